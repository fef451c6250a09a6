//! Domain vocabulary of DESIGN §4: the closed sets of values (statuses, roles, kinds) shared by
//! the database layer, the GraphQL schema and the policy.
//!
//! Each enum is stored in the database as its SCREAMING_SNAKE name and exposed as a GraphQL enum
//! of the same values, with each variant's doc comment as its description. Nothing here knows
//! about agencies' rights: that is the policy module's job.

pub mod agency;
pub mod countries;
pub mod lifecycle;

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

domain_enum! {
    /// How a tip came in.
    TipChannel {
        /// National hotline 111.
        #[strum(serialize = "HOTLINE_111")]
        Hotline111,
        /// A police reception desk.
        PoliceDesk,
        /// A border post.
        BorderPost,
        /// A mission abroad.
        MissionAbroad,
        /// A commune office.
        Commune,
        /// Online.
        Online,
        /// An international partner.
        International,
    }
}

domain_enum! {
    /// How urgent a report is.
    Urgency {
        /// Low.
        Low,
        /// Medium.
        Medium,
        /// High.
        High,
        /// A life may be at risk now.
        Critical,
    }
}

domain_enum! {
    /// Lifecycle status of a tip.
    TipStatus {
        /// Received.
        Received,
        /// Being verified.
        Verifying,
        /// A case was opened.
        CaseOpened,
        /// Unfounded.
        Unfounded,
        /// Forwarded to another agency.
        Forwarded,
    }
}

domain_enum! {
    /// Lifecycle status of an embassy flag (DESIGN §4.1).
    FlagStatus {
        /// Flagged by a mission.
        Flagged,
        /// Identity being verified by police.
        Verifying,
        /// Identity confirmed.
        Confirmed,
        /// Rescued.
        Rescued,
        /// Repatriated.
        Repatriated,
        /// Handed over at the border.
        HandedOver,
        /// Closed.
        Closed,
        /// Unfounded.
        Unfounded,
    }
}

domain_enum! {
    /// State of a flag's identity verification by police.
    VerificationStatus {
        /// Not requested yet.
        NotRequested,
        /// Requested, awaiting police.
        Requested,
        /// Police confirmed the identity.
        Confirmed,
        /// Police could not confirm it.
        NotConfirmed,
    }
}

domain_enum! {
    /// Lifecycle status of a referral (DESIGN §4.1).
    ReferralStatus {
        /// Sent, awaiting an answer.
        Sent,
        /// Accepted by the receiver.
        Accepted,
        /// Declined by the receiver.
        Declined,
        /// Revoked by the sender.
        Revoked,
        /// Completed with an outcome.
        Completed,
    }
}

domain_enum! {
    /// A service a person can be referred to or given.
    Service {
        /// Shelter.
        Shelter,
        /// Medical care.
        Medical,
        /// Psychological support.
        Psychological,
        /// Legal aid.
        LegalAid,
        /// Vocational training.
        Vocational,
        /// Financial support.
        Financial,
        /// Reintegration.
        Reintegration,
        /// Repatriation.
        Repatriation,
        /// Identity verification.
        IdentityVerification,
    }
}

domain_enum! {
    /// The person's consent to a referral.
    Consent {
        /// Consent given.
        Given,
        /// Consent overridden (a reason is required).
        Overridden,
    }
}

domain_enum! {
    /// Instance of a verdict.
    VerdictLevel {
        /// First instance.
        FirstInstance,
        /// Appeal.
        Appeal,
    }
}

domain_enum! {
    /// Appeal status of a verdict.
    AppealStatus {
        /// No appeal (yet).
        None,
        /// Appealed.
        Appealed,
        /// Final.
        Final,
    }
}

domain_enum! {
    /// Kind of case event.
    CaseEventKind {
        /// Recruitment.
        Recruitment,
        /// Transit.
        Transit,
        /// Exploitation.
        Exploitation,
    }
}

domain_enum! {
    /// A person field a referral shares with its receiver.
    PersonField {
        /// `Person.fullName`.
        FullName,
        /// `Person.aliases`.
        Aliases,
        /// `Person.dateOfBirth`.
        DateOfBirth,
        /// `Person.sex`.
        Sex,
        /// `Person.ethnicity`.
        Ethnicity,
        /// `Person.nationality`.
        Nationality,
        /// `Person.nationalId`.
        NationalId,
        /// `Person.address`.
        Address,
        /// `Person.phone`.
        Phone,
        /// `Person.identifiers`.
        Identifiers,
        /// `CaseParty.exploitationDetails`.
        ExploitationDetails,
        /// `CaseParty.healthNotes`.
        HealthNotes,
        /// `CaseParty.currentLocation`.
        CurrentLocation,
        /// `CaseParty.protectionMeasures`.
        ProtectionMeasures,
    }
}

impl PersonField {
    /// The GraphQL field it shares (`fullName` ...).
    pub fn field(self) -> &'static str {
        match self {
            PersonField::FullName => "fullName",
            PersonField::Aliases => "aliases",
            PersonField::DateOfBirth => "dateOfBirth",
            PersonField::Sex => "sex",
            PersonField::Ethnicity => "ethnicity",
            PersonField::Nationality => "nationality",
            PersonField::NationalId => "nationalId",
            PersonField::Address => "address",
            PersonField::Phone => "phone",
            PersonField::Identifiers => "identifiers",
            PersonField::ExploitationDetails => "exploitationDetails",
            PersonField::HealthNotes => "healthNotes",
            PersonField::CurrentLocation => "currentLocation",
            PersonField::ProtectionMeasures => "protectionMeasures",
        }
    }

    /// The enum value of a field name.
    pub fn of_field(field: &str) -> Option<PersonField> {
        <PersonField as strum::IntoEnumIterator>::iter().find(|f| f.field() == field)
    }
}
