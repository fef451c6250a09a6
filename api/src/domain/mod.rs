//! Domain vocabulary of DESIGN §4: the closed sets of values (statuses, roles, kinds) shared by
//! the database layer, the GraphQL schema and the policy.
//!
//! Each enum is stored in the database as its SCREAMING_SNAKE name and exposed as a GraphQL enum
//! of the same values, with each variant's doc comment as its description. Nothing here knows
//! about agencies' rights: that is the policy module's job.

pub mod agency;
pub mod countries;

pub use agency::Agency;

use strum::{EnumMessage, IntoEnumIterator};

/// A closed set of values exposed as a GraphQL enum and stored as text.
pub trait DomainEnum:
    IntoEnumIterator + AsRef<str> + std::str::FromStr + EnumMessage + Copy + Send + Sync + 'static
{
    /// The GraphQL enum type name.
    const NAME: &'static str;
    /// The GraphQL enum description.
    const DESCRIPTION: &'static str;

    /// The stored and GraphQL name of this value.
    fn name(&self) -> &str {
        self.as_ref()
    }

    /// Parses a stored or GraphQL name.
    fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

macro_rules! domain_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            strum::EnumString, strum::AsRefStr, strum::IntoStaticStr, strum::EnumIter,
            strum::EnumMessage, strum::Display,
        )]
        #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl DomainEnum for $name {
            const NAME: &'static str = stringify!($name);
            const DESCRIPTION: &'static str = concat!($($doc),*);
        }
    };
}

domain_enum! {
    /// Lifecycle status of a case (DESIGN §4.1).
    CaseStatus {
        /// Reported, not yet under investigation.
        Reported,
        /// Under investigation by police or border guard.
        UnderInvestigation,
        /// Indicted: the procuracy prosecutes.
        Prosecution,
        /// Before the court.
        Trial,
        /// The court has decided.
        Adjudicated,
        /// Closed.
        Closed,
        /// Investigation suspended.
        Suspended,
        /// Dismissed.
        Dismissed,
    }
}

domain_enum! {
    /// Legal basis: Penal Code article.
    LegalBasis {
        /// Article 150: trafficking in persons.
        #[strum(serialize = "ART_150")]
        Art150,
        /// Article 151: trafficking in persons under 16.
        #[strum(serialize = "ART_151")]
        Art151,
    }
}

domain_enum! {
    /// Form of exploitation.
    ExploitationForm {
        /// Sexual exploitation.
        SexualExploitation,
        /// Forced labour.
        ForcedLabour,
        /// Removal of organs.
        OrganRemoval,
        /// Forced marriage.
        ForcedMarriage,
        /// Commercial surrogacy.
        CommercialSurrogacy,
        /// Child adoption for profit.
        ChildAdoption,
        /// Other inhumane purposes.
        OtherInhumane,
    }
}

domain_enum! {
    /// How victims were recruited.
    RecruitmentMethod {
        /// "Light work, high pay" offers online.
        OnlineJobOffer,
        /// Marriage brokerage, often abroad.
        MarriageBrokerage,
        /// Illegal exit across a border.
        IllegalExit,
        /// Seasonal labour across the border.
        SeasonalLabour,
        /// Adoption.
        Adoption,
        /// Abduction.
        Abduction,
        /// Through family or acquaintances.
        FamilyOrAcquaintance,
        /// Other.
        Other,
    }
}

domain_enum! {
    /// Handling code after Europol SIENA (DESIGN §5.4).
    HandlingCode {
        /// Use for crime prevention only (default).
        H0,
        /// Not for judicial use without the owner's release: hidden from the court.
        H1,
        /// Not to be passed on: only the owning agency sees it.
        H2,
        /// Custom restriction, shown to every reader.
        H3,
    }
}

domain_enum! {
    /// Source reliability (admiralty code).
    SourceReliability {
        /// Completely reliable.
        A,
        /// Usually reliable.
        B,
        /// Fairly reliable.
        C,
        /// Reliability cannot be judged.
        X,
    }
}

domain_enum! {
    /// A person's role in a case.
    PartyRole {
        /// Suspected of trafficking.
        Suspect,
        /// Victim.
        Victim,
        /// Person under identification as a possible victim.
        PersonUnderIdentification,
        /// Witness.
        Witness,
        /// A minor accompanying a victim.
        AccompanyingMinor,
    }
}

domain_enum! {
    /// A suspect's role in the ring.
    SuspectRole {
        /// Organizer.
        Organizer,
        /// Broker.
        Broker,
        /// Recruiter.
        Recruiter,
        /// Transporter.
        Transporter,
        /// Harborer.
        Harborer,
        /// Financier.
        Financier,
        /// Exploiter.
        Exploiter,
        /// Other.
        Other,
    }
}

domain_enum! {
    /// A suspect's arrest status.
    ArrestStatus {
        /// Not located.
        AtLarge,
        /// Wanted notice issued.
        Wanted,
        /// Temporarily detained.
        Detained,
        /// Arrested.
        Arrested,
        /// Released.
        Released,
    }
}

domain_enum! {
    /// Victim identification status (Law 53/2024; DESIGN §4.1).
    IdentificationStatus {
        /// Received; verification is due within 3 days.
        Received,
        /// Being verified.
        Verifying,
        /// Identified as a victim.
        Identified,
        /// Found not to be a victim.
        NotAVictim,
    }
}

domain_enum! {
    /// Sex as recorded.
    Sex {
        /// Male.
        Male,
        /// Female.
        Female,
        /// Not known or not recorded.
        Unknown,
    }
}

impl PartyRole {
    /// Whether the role is protected like a victim (everything but `SUSPECT`).
    pub fn is_victim_like(self) -> bool {
        !matches!(self, PartyRole::Suspect)
    }
}
