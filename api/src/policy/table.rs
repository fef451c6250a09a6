//! THE access table of ctex: DESIGN §5.2 as data. Every access rule is written here and nowhere
//! else.
//!
//! Two parts:
//! - [`MATRIX`]: for each class of data (a row of §5.2) and each agency, a [`Grant`]: on which
//!   rows it may read and write, and whether it gets hit/no-hit references or aggregates only.
//! - [`FIELDS`]: for each GraphQL `(type, field)` the [`Rule`] that governs it (usually the class
//!   its data belongs to). A field absent from this list is readable by nobody (deny by default);
//!   a test enumerates the schema and fails on any field without a rule.
//!
//! Enforcement (the generic guard in `crate::graphql::model`), row scopes (`super::scope`), the
//! per-agency contract schemas, `@requiresScopes` and the README matrix are all derived from
//! these two tables.

use super::rows::Rows;
use crate::domain::Agency;

/// A class of data: one row of the matrix in DESIGN §5.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, strum::EnumIter)]
pub enum Class {
    /// Reference data: agencies and provinces.
    Directory,
    /// Case core: number, title, lead agency, province, dates, legal basis, forms, countries.
    CaseCore,
    /// A case's lifecycle status (foreign affairs and social services see it for linked cases).
    CaseStatus,
    /// Case intelligence: `summary`, source reliability, information accuracy, `events`.
    CaseIntel,
    /// Networks (rings), their members, and links between cases.
    NetworksLinks,
    /// Identity and identifiers of suspects.
    SuspectIdentity,
    /// Identity and contact of victims and other protected persons.
    VictimIdentity,
    /// Victims' `healthNotes` and `currentLocation`.
    VictimSensitive,
    /// Victims' `exploitationDetails`.
    VictimExploitation,
    /// Protection measures ordered or applied for a victim.
    Protection,
    /// Tips, including hotline 111 calls.
    Tips,
    /// Embassy flags of suspected victims abroad.
    Flags,
    /// The identity verification of a flag (police writes it).
    FlagVerification,
    /// Referrals between agencies.
    Referrals,
    /// Support services given to victims.
    Support,
    /// Indictments.
    Indictments,
    /// The outcome of an indictment (charges filed, date).
    IndictmentOutcome,
    /// Verdicts.
    Verdicts,
    /// The outcome of a verdict (convicted or not, sentence).
    VerdictOutcome,
    /// Hit/no-hit disclosure requests.
    Disclosure,
    /// The audit trail.
    Audit,
    /// Statistics, campaigns (named reporting periods) and the periodic report (DESIGN §8):
    /// suppressed aggregates, over the whole country for an agency that sees aggregates only,
    /// over its own row scope for any other. Which measures an agency may count follows from
    /// its grants on the classes they count (see `StatisticsMeasure` in [`FIELDS`]).
    Statistics,
}

impl Class {
    /// Whether fields of this class are person-level data: reading them needs a purpose and
    /// is audited.
    pub const fn is_person_level(self) -> bool {
        matches!(
            self,
            Class::SuspectIdentity
                | Class::VictimIdentity
                | Class::VictimSensitive
                | Class::VictimExploitation
                | Class::Protection
                | Class::Tips
                | Class::Flags
                | Class::FlagVerification
                | Class::Referrals
                | Class::Support
        )
    }

    /// The label used in the README matrix.
    pub const fn label(self) -> &'static str {
        match self {
            Class::Directory => "agencies, provinces",
            Class::CaseCore => "case core",
            Class::CaseStatus => "case status",
            Class::CaseIntel => "case intelligence (`summary`, reliability, `events`)",
            Class::NetworksLinks => "networks, links",
            Class::SuspectIdentity => "suspect identity + identifiers",
            Class::VictimIdentity => "victim identity and contact",
            Class::VictimSensitive => "victim sensitive (`healthNotes`, `currentLocation`)",
            Class::VictimExploitation => "victim `exploitationDetails`",
            Class::Protection => "protection measures",
            Class::Tips => "tips",
            Class::Flags => "victim flags",
            Class::FlagVerification => "flag identity verification",
            Class::Referrals => "referrals",
            Class::Support => "support services",
            Class::Indictments => "indictments",
            Class::IndictmentOutcome => "indictment outcome",
            Class::Verdicts => "verdicts",
            Class::VerdictOutcome => "verdict outcome",
            Class::Disclosure => "disclosure requests",
            Class::Audit => "audit events",
            Class::Statistics => "statistics, campaigns, reports",
        }
    }
}

/// What one agency may do with one class of data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Rows on which the agency may read the class.
    pub read: Rows,
    /// Rows on which the agency may write the class (always within `read`).
    pub write: Rows,
    /// Hit/no-hit references (DESIGN §5.5) for rows it may not read.
    pub reference: bool,
    /// Aggregates (statistics) over the class.
    pub aggregate: bool,
}

impl Grant {
    /// No access.
    pub const NONE: Grant = Grant {
        read: Rows::NONE,
        write: Rows::NONE,
        reference: false,
        aggregate: false,
    };
    /// Aggregates only.
    pub const AGG: Grant = Grant {
        aggregate: true,
        ..Grant::NONE
    };
    /// Hit/no-hit references only.
    pub const REF: Grant = Grant {
        reference: true,
        ..Grant::NONE
    };

    /// Read on `rows`.
    pub const fn r(rows: Rows) -> Grant {
        Grant {
            read: rows,
            ..Grant::NONE
        }
    }

    /// Read and write on `rows`.
    pub const fn w(rows: Rows) -> Grant {
        Grant {
            read: rows,
            write: rows,
            ..Grant::NONE
        }
    }

    /// Read on `read`, write on `write`.
    pub const fn rw(read: Rows, write: Rows) -> Grant {
        Grant {
            read: read.or(write),
            write,
            ..Grant::NONE
        }
    }

    /// The same grant with hit/no-hit references added.
    pub const fn with_ref(self) -> Grant {
        Grant {
            reference: true,
            ..self
        }
    }

    /// Whether the grant allows anything at all.
    pub const fn any(self) -> bool {
        !self.read.is_empty() || self.reference || self.aggregate
    }
}

const ALL: Rows = Rows::ALL;
const OWN: Rows = Rows::OWN;
const NONE: Grant = Grant::NONE;
const AGG: Grant = Grant::AGG;
const fn r(rows: Rows) -> Grant {
    Grant::r(rows)
}
const fn w(rows: Rows) -> Grant {
    Grant::w(rows)
}
const fn rw(read: Rows, write: Rows) -> Grant {
    Grant::rw(read, write)
}
const SHARED: Rows = Rows::SHARED;
const INDICTED: Rows = Rows::INDICTED;
const LINKED: Rows = Rows::LINKED;
const REFERRED: Rows = Rows::REFERRED;
const ADDR: Rows = Rows::ADDRESSED;
const DISC: Rows = Rows::DISCLOSED;

/// DESIGN §5.2. Columns in the order of [`Agency::ALL`]: police, border_guard, procuracy, court,
/// foreign_affairs, social_services, steering, oversight.
///
/// `DISCLOSED` rows are records a holder disclosed after a hit/no-hit (DESIGN §5.5): the
/// requesting agency reads them until the grant expires.
#[rustfmt::skip]
pub const MATRIX: &[(Class, [Grant; 8])] = &[
    (Class::Directory,          [r(ALL), r(ALL),                       r(ALL), r(ALL),            r(ALL),            r(ALL),                NONE, r(ALL)]),
    (Class::CaseCore,           [w(ALL), rw(SHARED.or(DISC), OWN),     r(ALL), r(INDICTED),       r(DISC),           r(DISC),               AGG,  NONE]),
    (Class::CaseStatus,         [w(ALL), rw(SHARED.or(DISC), OWN),     w(ALL), w(INDICTED),       r(LINKED.or(DISC)), r(LINKED.or(DISC)),   AGG,  NONE]),
    (Class::CaseIntel,          [w(ALL), w(OWN),                       r(ALL), NONE,              NONE,              NONE,                  NONE, NONE]),
    (Class::NetworksLinks,      [w(ALL), w(OWN).with_ref(),            r(ALL), NONE,              NONE,              NONE,                  AGG,  NONE]),
    (Class::SuspectIdentity,    [w(ALL), rw(OWN.or(DISC), OWN).with_ref(), r(ALL), r(Rows::DEFENDANT), r(DISC).with_ref(), NONE,            AGG,  NONE]),
    (Class::VictimIdentity,     [w(ALL), rw(OWN.or(DISC), OWN),        r(ALL), r(INDICTED),       rw(Rows::OWN_FLAG.or(DISC), Rows::OWN_FLAG), rw(REFERRED.or(OWN).or(DISC), REFERRED.or(OWN)), AGG, NONE]),
    (Class::VictimSensitive,    [NONE,   NONE,                         NONE,   NONE,              NONE,              w(REFERRED.or(OWN)),   NONE, NONE]),
    (Class::VictimExploitation, [r(ALL), NONE,                         r(ALL), r(INDICTED),       NONE,              w(REFERRED.or(OWN)),   NONE, NONE]),
    (Class::Protection,         [w(ALL), NONE,                         r(ALL), r(INDICTED),       NONE,              w(REFERRED.or(OWN)),   NONE, NONE]),
    (Class::Tips,               [r(ALL), r(Rows::BORDER),              NONE,   NONE,              NONE,              w(ALL),                AGG,  NONE]),
    (Class::Flags,              [r(ALL), r(ALL),                       NONE,   NONE,              w(ALL),            r(ALL),                AGG,  NONE]),
    (Class::FlagVerification,   [w(ALL), r(ALL),                       NONE,   NONE,              r(ALL),            r(ALL),                AGG,  NONE]),
    (Class::Referrals,          [w(OWN.or(ADDR)), w(OWN.or(ADDR)),     r(ALL), NONE,              w(OWN.or(ADDR)),   w(ALL),                AGG,  NONE]),
    (Class::Support,            [w(OWN), w(OWN),                       r(ALL), NONE,              w(OWN),            w(ALL),                AGG,  NONE]),
    (Class::Indictments,        [r(ALL), NONE,                         w(ALL), r(ALL),            NONE,              NONE,                  AGG,  NONE]),
    (Class::IndictmentOutcome,  [r(ALL), NONE,                         w(ALL), r(ALL),            NONE,              r(LINKED),             AGG,  NONE]),
    (Class::Verdicts,           [r(ALL), AGG,                          r(ALL), w(ALL),            AGG,               NONE,                  AGG,  NONE]),
    (Class::VerdictOutcome,     [r(ALL), AGG,                          r(ALL), w(ALL),            AGG,               r(LINKED),             AGG,  NONE]),
    (Class::Disclosure,         [w(OWN.or(ADDR)), w(OWN.or(ADDR)),     w(OWN.or(ADDR)), w(OWN.or(ADDR)), w(OWN.or(ADDR)), w(OWN.or(ADDR)),    NONE, r(ALL)]),
    (Class::Audit,              [r(OWN), r(OWN),                       r(OWN), r(OWN),            r(OWN),            r(OWN),                NONE, r(ALL)]),
    (Class::Statistics,         [r(ALL), r(ALL),                       r(ALL), r(ALL),            r(ALL),            r(ALL),                w(ALL), NONE]),
];

/// Agencies whose case scope is narrowed by the token's `jurisdiction` claim (DESIGN §5.3).
pub const JURISDICTION_LIMITED: &[Agency] =
    &[Agency::Police, Agency::BorderGuard, Agency::Procuracy];

/// Agencies that may read a child's identity (DESIGN §5.3). Foreign affairs may too, for a
/// child its own mission flagged.
pub const MINOR_IDENTITY: &[Agency] = &[
    Agency::Police,
    Agency::Procuracy,
    Agency::Court,
    Agency::SocialServices,
];

/// Agencies for whom a victim's `consentToShare = false` blocks identity unless a referral to
/// them records an overridden consent with a reason (DESIGN §5.3).
pub const CONSENT_BOUND: &[Agency] = &[Agency::SocialServices];

/// Agencies that never see `H1` records (not for judicial use without the owner's release).
pub const H1_EXCLUDED: &[Agency] = &[Agency::Court];

/// Types whose fields a referral shares under another name: all of an `Identifier` is shared
/// by sharing `identifiers`.
pub const SHARED_AS: &[(&str, &str)] = &[("Identifier", "identifiers")];

/// How one GraphQL field is governed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Data of a class: readable per the class's grant on the row.
    Read(Class),
    /// Person identity: [`Class::SuspectIdentity`] for suspects, [`Class::VictimIdentity`] for
    /// everyone else (both when a person is both), plus the minor and consent rules.
    PersonIdentity,
    /// Row metadata (`id`, `version`, handling code): readable by whoever may see the row.
    Key,
    /// A root query field listing or fetching rows of `type`: allowed to agencies that may read
    /// some class of that type.
    Entry(&'static str),
    /// Writing a class (root mutations and their input fields).
    Write(Class),
    /// Writing person identity: the class follows the person as for [`Rule::PersonIdentity`].
    WriteIdentity,
    /// A filter or sort key over a field of a class of `type`: allowed only when the agency may
    /// read that class on every row of its scope of `type` (no oracle on rows it may not read).
    Filter(&'static str, Class),
    /// Structure (connections, edges, page info): guarded by the field that returned it.
    Structural,
    /// A filter on person identity (search by name, birth date ...): allowed only to agencies
    /// that read the identity of every person in their scope, with no minor, consent or
    /// referral restriction that a filter could be used to probe.
    FilterIdentity,
    /// Hit/no-hit searches (DESIGN §5.5): allowed to agencies that read, or get references to,
    /// some person identity.
    Hits,
    /// An aggregate over a class: allowed to agencies that may read it (over their scope) or see
    /// its aggregates (nationally).
    Aggregate(Class),
}

/// The rule of every GraphQL field. `(type, field, rule)`; input types and enum values (sort
/// keys) included.
pub const FIELDS: &[(&str, &str, Rule)] = &[
    // --- reference data
    ("Agency", "code", Rule::Read(Class::Directory)),
    ("Agency", "name", Rule::Read(Class::Directory)),
    ("Agency", "nameVi", Rule::Read(Class::Directory)),
    ("Province", "code", Rule::Read(Class::Directory)),
    ("Province", "name", Rule::Read(Class::Directory)),
    ("Province", "border", Rule::Read(Class::Directory)),
    ("Query", "agencies", Rule::Read(Class::Directory)),
    ("Query", "provinces", Rule::Read(Class::Directory)),
    ("Query", "me", Rule::Structural),
    ("Me", "agency", Rule::Structural),
    ("Me", "subject", Rule::Structural),
    ("Me", "unit", Rule::Structural),
    ("Me", "jurisdiction", Rule::Structural),
    ("Me", "readOnly", Rule::Structural),
    ("Me", "purpose", Rule::Structural),
    // --- cases
    ("Query", "case", Rule::Entry("Case")),
    ("Query", "cases", Rule::Entry("Case")),
    ("Mutation", "openCase", Rule::Write(Class::CaseCore)),
    ("Case", "id", Rule::Key),
    ("Case", "version", Rule::Key),
    ("Case", "handlingCode", Rule::Key),
    ("Case", "handlingRestriction", Rule::Key),
    ("Case", "status", Rule::Read(Class::CaseStatus)),
    ("Case", "caseNumber", Rule::Read(Class::CaseCore)),
    ("Case", "title", Rule::Read(Class::CaseCore)),
    ("Case", "leadAgency", Rule::Read(Class::CaseCore)),
    ("Case", "province", Rule::Read(Class::CaseCore)),
    ("Case", "openedAt", Rule::Read(Class::CaseCore)),
    ("Case", "closedAt", Rule::Read(Class::CaseCore)),
    ("Case", "legalBasis", Rule::Read(Class::CaseCore)),
    ("Case", "transnational", Rule::Read(Class::CaseCore)),
    ("Case", "organizedGroup", Rule::Read(Class::CaseCore)),
    ("Case", "exploitationForms", Rule::Read(Class::CaseCore)),
    ("Case", "recruitmentMethods", Rule::Read(Class::CaseCore)),
    ("Case", "recruitmentPlatforms", Rule::Read(Class::CaseCore)),
    ("Case", "countries", Rule::Read(Class::CaseCore)),
    ("Case", "createdAt", Rule::Read(Class::CaseCore)),
    ("Case", "updatedAt", Rule::Read(Class::CaseCore)),
    ("Case", "createdByAgency", Rule::Read(Class::CaseCore)),
    ("Case", "parties", Rule::Read(Class::CaseCore)),
    ("Case", "summary", Rule::Read(Class::CaseIntel)),
    ("Case", "sourceReliability", Rule::Read(Class::CaseIntel)),
    ("Case", "informationAccuracy", Rule::Read(Class::CaseIntel)),
    (
        "CaseFilter",
        "status",
        Rule::Filter("Case", Class::CaseStatus),
    ),
    (
        "CaseFilter",
        "province",
        Rule::Filter("Case", Class::CaseCore),
    ),
    (
        "CaseFilter",
        "leadAgency",
        Rule::Filter("Case", Class::CaseCore),
    ),
    (
        "CaseFilter",
        "legalBasis",
        Rule::Filter("Case", Class::CaseCore),
    ),
    (
        "CaseFilter",
        "exploitationForm",
        Rule::Filter("Case", Class::CaseCore),
    ),
    (
        "CaseFilter",
        "openedFrom",
        Rule::Filter("Case", Class::CaseCore),
    ),
    (
        "CaseFilter",
        "openedTo",
        Rule::Filter("Case", Class::CaseCore),
    ),
    (
        "CaseFilter",
        "transnational",
        Rule::Filter("Case", Class::CaseCore),
    ),
    ("CaseSort", "CREATED", Rule::Structural),
    (
        "CaseSort",
        "OPENED_AT",
        Rule::Filter("Case", Class::CaseCore),
    ),
    (
        "CaseSort",
        "CASE_NUMBER",
        Rule::Filter("Case", Class::CaseCore),
    ),
    ("OpenCaseInput", "caseNumber", Rule::Write(Class::CaseCore)),
    ("OpenCaseInput", "title", Rule::Write(Class::CaseCore)),
    ("OpenCaseInput", "province", Rule::Write(Class::CaseCore)),
    ("OpenCaseInput", "openedAt", Rule::Write(Class::CaseCore)),
    ("OpenCaseInput", "legalBasis", Rule::Write(Class::CaseCore)),
    (
        "OpenCaseInput",
        "transnational",
        Rule::Write(Class::CaseCore),
    ),
    (
        "OpenCaseInput",
        "organizedGroup",
        Rule::Write(Class::CaseCore),
    ),
    (
        "OpenCaseInput",
        "exploitationForms",
        Rule::Write(Class::CaseCore),
    ),
    (
        "OpenCaseInput",
        "recruitmentMethods",
        Rule::Write(Class::CaseCore),
    ),
    (
        "OpenCaseInput",
        "recruitmentPlatforms",
        Rule::Write(Class::CaseCore),
    ),
    ("OpenCaseInput", "countries", Rule::Write(Class::CaseCore)),
    (
        "OpenCaseInput",
        "handlingCode",
        Rule::Write(Class::CaseCore),
    ),
    (
        "OpenCaseInput",
        "handlingRestriction",
        Rule::Write(Class::CaseCore),
    ),
    ("OpenCaseInput", "summary", Rule::Write(Class::CaseIntel)),
    (
        "OpenCaseInput",
        "sourceReliability",
        Rule::Write(Class::CaseIntel),
    ),
    (
        "OpenCaseInput",
        "informationAccuracy",
        Rule::Write(Class::CaseIntel),
    ),
    ("OpenCaseInput", "idempotencyKey", Rule::Structural),
    ("Mutation", "updateCase", Rule::Write(Class::CaseCore)),
    ("UpdateCaseInput", "id", Rule::Structural),
    ("UpdateCaseInput", "version", Rule::Structural),
    ("UpdateCaseInput", "title", Rule::Write(Class::CaseCore)),
    (
        "UpdateCaseInput",
        "legalBasis",
        Rule::Write(Class::CaseCore),
    ),
    (
        "UpdateCaseInput",
        "transnational",
        Rule::Write(Class::CaseCore),
    ),
    (
        "UpdateCaseInput",
        "organizedGroup",
        Rule::Write(Class::CaseCore),
    ),
    (
        "UpdateCaseInput",
        "exploitationForms",
        Rule::Write(Class::CaseCore),
    ),
    (
        "UpdateCaseInput",
        "recruitmentMethods",
        Rule::Write(Class::CaseCore),
    ),
    (
        "UpdateCaseInput",
        "recruitmentPlatforms",
        Rule::Write(Class::CaseCore),
    ),
    ("UpdateCaseInput", "countries", Rule::Write(Class::CaseCore)),
    (
        "UpdateCaseInput",
        "handlingCode",
        Rule::Write(Class::CaseCore),
    ),
    (
        "UpdateCaseInput",
        "handlingRestriction",
        Rule::Write(Class::CaseCore),
    ),
    ("UpdateCaseInput", "summary", Rule::Write(Class::CaseIntel)),
    (
        "UpdateCaseInput",
        "sourceReliability",
        Rule::Write(Class::CaseIntel),
    ),
    (
        "UpdateCaseInput",
        "informationAccuracy",
        Rule::Write(Class::CaseIntel),
    ),
    ("CaseConnection", "edges", Rule::Structural),
    ("CaseConnection", "nodes", Rule::Structural),
    ("CaseConnection", "pageInfo", Rule::Structural),
    ("CaseConnection", "totalCount", Rule::Structural),
    ("CaseEdge", "cursor", Rule::Structural),
    ("CaseEdge", "node", Rule::Structural),
    ("PageInfo", "hasNextPage", Rule::Structural),
    ("PageInfo", "endCursor", Rule::Structural),
    // --- persons
    ("Query", "person", Rule::Entry("Person")),
    ("Person", "id", Rule::Key),
    ("Person", "version", Rule::Key),
    ("Person", "fullName", Rule::PersonIdentity),
    ("Person", "aliases", Rule::PersonIdentity),
    ("Person", "dateOfBirth", Rule::PersonIdentity),
    ("Person", "sex", Rule::PersonIdentity),
    ("Person", "ethnicity", Rule::PersonIdentity),
    ("Person", "nationality", Rule::PersonIdentity),
    ("Person", "nationalId", Rule::PersonIdentity),
    ("Person", "address", Rule::PersonIdentity),
    ("Person", "phone", Rule::PersonIdentity),
    ("Person", "identifiers", Rule::PersonIdentity),
    ("Person", "isMinor", Rule::Key),
    ("Person", "parties", Rule::Key),
    ("Person", "createdAt", Rule::Key),
    ("Person", "createdByAgency", Rule::Key),
    ("Query", "persons", Rule::Entry("Person")),
    ("PersonFilter", "name", Rule::FilterIdentity),
    ("PersonFilter", "bornFrom", Rule::FilterIdentity),
    ("PersonFilter", "bornTo", Rule::FilterIdentity),
    ("PersonFilter", "nationality", Rule::FilterIdentity),
    ("PersonConnection", "edges", Rule::Structural),
    ("PersonConnection", "nodes", Rule::Structural),
    ("PersonConnection", "pageInfo", Rule::Structural),
    ("PersonConnection", "totalCount", Rule::Structural),
    ("PersonEdge", "cursor", Rule::Structural),
    ("PersonEdge", "node", Rule::Structural),
    // --- case parties
    ("Mutation", "addParty", Rule::Write(Class::CaseCore)),
    ("CaseParty", "id", Rule::Key),
    ("CaseParty", "version", Rule::Key),
    ("CaseParty", "role", Rule::Key),
    ("CaseParty", "case", Rule::Key),
    ("CaseParty", "person", Rule::Key),
    ("CaseParty", "suspectRole", Rule::PersonIdentity),
    ("CaseParty", "arrestStatus", Rule::PersonIdentity),
    ("CaseParty", "identification", Rule::PersonIdentity),
    ("CaseParty", "receivedAt", Rule::PersonIdentity),
    ("CaseParty", "ageAtExploitation", Rule::PersonIdentity),
    ("CaseParty", "consentToShare", Rule::PersonIdentity),
    (
        "CaseParty",
        "exploitationDetails",
        Rule::Read(Class::VictimExploitation),
    ),
    (
        "CaseParty",
        "healthNotes",
        Rule::Read(Class::VictimSensitive),
    ),
    (
        "CaseParty",
        "currentLocation",
        Rule::Read(Class::VictimSensitive),
    ),
    (
        "CaseParty",
        "protectionMeasures",
        Rule::Read(Class::Protection),
    ),
    ("AddPartyInput", "caseId", Rule::Write(Class::CaseCore)),
    ("AddPartyInput", "caseVersion", Rule::Structural),
    ("AddPartyInput", "personId", Rule::WriteIdentity),
    ("AddPartyInput", "person", Rule::WriteIdentity),
    ("AddPartyInput", "role", Rule::Write(Class::CaseCore)),
    ("AddPartyInput", "suspectRole", Rule::WriteIdentity),
    ("AddPartyInput", "arrestStatus", Rule::WriteIdentity),
    ("AddPartyInput", "receivedAt", Rule::WriteIdentity),
    ("AddPartyInput", "ageAtExploitation", Rule::WriteIdentity),
    ("AddPartyInput", "consentToShare", Rule::WriteIdentity),
    (
        "AddPartyInput",
        "exploitationDetails",
        Rule::Write(Class::VictimExploitation),
    ),
    (
        "AddPartyInput",
        "healthNotes",
        Rule::Write(Class::VictimSensitive),
    ),
    (
        "AddPartyInput",
        "currentLocation",
        Rule::Write(Class::VictimSensitive),
    ),
    (
        "AddPartyInput",
        "protectionMeasures",
        Rule::Write(Class::Protection),
    ),
    ("AddPartyInput", "idempotencyKey", Rule::Structural),
    ("Mutation", "updateParty", Rule::WriteIdentity),
    ("UpdatePartyInput", "id", Rule::Structural),
    ("UpdatePartyInput", "version", Rule::Structural),
    ("UpdatePartyInput", "suspectRole", Rule::WriteIdentity),
    ("UpdatePartyInput", "arrestStatus", Rule::WriteIdentity),
    ("UpdatePartyInput", "ageAtExploitation", Rule::WriteIdentity),
    ("UpdatePartyInput", "consentToShare", Rule::WriteIdentity),
    (
        "UpdatePartyInput",
        "exploitationDetails",
        Rule::Write(Class::VictimExploitation),
    ),
    (
        "UpdatePartyInput",
        "healthNotes",
        Rule::Write(Class::VictimSensitive),
    ),
    (
        "UpdatePartyInput",
        "currentLocation",
        Rule::Write(Class::VictimSensitive),
    ),
    (
        "UpdatePartyInput",
        "protectionMeasures",
        Rule::Write(Class::Protection),
    ),
    ("PersonInput", "fullName", Rule::WriteIdentity),
    ("PersonInput", "aliases", Rule::WriteIdentity),
    ("PersonInput", "dateOfBirth", Rule::WriteIdentity),
    ("PersonInput", "sex", Rule::WriteIdentity),
    ("PersonInput", "ethnicity", Rule::WriteIdentity),
    ("PersonInput", "nationality", Rule::WriteIdentity),
    ("PersonInput", "nationalId", Rule::WriteIdentity),
    ("PersonInput", "address", Rule::WriteIdentity),
    ("PersonInput", "phone", Rule::WriteIdentity),
    // --- prosecution and trial
    ("Case", "indictments", Rule::Entry("Indictment")),
    ("Case", "verdicts", Rule::Entry("Verdict")),
    ("Indictment", "id", Rule::Key),
    ("Indictment", "version", Rule::Key),
    ("Indictment", "case", Rule::Key),
    ("Indictment", "defendant", Rule::Read(Class::Indictments)),
    (
        "Indictment",
        "charges",
        Rule::Read(Class::IndictmentOutcome),
    ),
    (
        "Indictment",
        "filedAt",
        Rule::Read(Class::IndictmentOutcome),
    ),
    ("Indictment", "office", Rule::Read(Class::Indictments)),
    (
        "Indictment",
        "createdByAgency",
        Rule::Read(Class::Indictments),
    ),
    ("Charge", "article", Rule::Structural),
    ("Charge", "clause", Rule::Structural),
    ("Charge", "point", Rule::Structural),
    ("Verdict", "id", Rule::Key),
    ("Verdict", "version", Rule::Key),
    ("Verdict", "case", Rule::Key),
    ("Verdict", "defendant", Rule::Read(Class::Verdicts)),
    ("Verdict", "court", Rule::Read(Class::Verdicts)),
    ("Verdict", "level", Rule::Read(Class::Verdicts)),
    ("Verdict", "decidedAt", Rule::Read(Class::VerdictOutcome)),
    ("Verdict", "convicted", Rule::Read(Class::VerdictOutcome)),
    ("Verdict", "articles", Rule::Read(Class::VerdictOutcome)),
    (
        "Verdict",
        "sentenceMonths",
        Rule::Read(Class::VerdictOutcome),
    ),
    ("Verdict", "fine", Rule::Read(Class::VerdictOutcome)),
    ("Verdict", "closedTrial", Rule::Read(Class::Verdicts)),
    ("Verdict", "appealStatus", Rule::Read(Class::VerdictOutcome)),
    (
        "Mutation",
        "fileIndictment",
        Rule::Write(Class::Indictments),
    ),
    (
        "FileIndictmentInput",
        "caseId",
        Rule::Write(Class::Indictments),
    ),
    (
        "FileIndictmentInput",
        "defendantId",
        Rule::Write(Class::Indictments),
    ),
    (
        "FileIndictmentInput",
        "charges",
        Rule::Write(Class::IndictmentOutcome),
    ),
    (
        "FileIndictmentInput",
        "filedAt",
        Rule::Write(Class::IndictmentOutcome),
    ),
    (
        "FileIndictmentInput",
        "office",
        Rule::Write(Class::Indictments),
    ),
    ("FileIndictmentInput", "idempotencyKey", Rule::Structural),
    ("ChargeInput", "article", Rule::Structural),
    ("ChargeInput", "clause", Rule::Structural),
    ("ChargeInput", "point", Rule::Structural),
    ("Mutation", "recordVerdict", Rule::Write(Class::Verdicts)),
    ("RecordVerdictInput", "caseId", Rule::Write(Class::Verdicts)),
    (
        "RecordVerdictInput",
        "defendantId",
        Rule::Write(Class::Verdicts),
    ),
    ("RecordVerdictInput", "court", Rule::Write(Class::Verdicts)),
    ("RecordVerdictInput", "level", Rule::Write(Class::Verdicts)),
    (
        "RecordVerdictInput",
        "decidedAt",
        Rule::Write(Class::VerdictOutcome),
    ),
    (
        "RecordVerdictInput",
        "convicted",
        Rule::Write(Class::VerdictOutcome),
    ),
    (
        "RecordVerdictInput",
        "articles",
        Rule::Write(Class::VerdictOutcome),
    ),
    (
        "RecordVerdictInput",
        "sentenceMonths",
        Rule::Write(Class::VerdictOutcome),
    ),
    (
        "RecordVerdictInput",
        "fine",
        Rule::Write(Class::VerdictOutcome),
    ),
    (
        "RecordVerdictInput",
        "closedTrial",
        Rule::Write(Class::Verdicts),
    ),
    (
        "RecordVerdictInput",
        "appealStatus",
        Rule::Write(Class::VerdictOutcome),
    ),
    ("RecordVerdictInput", "idempotencyKey", Rule::Structural),
    // --- lifecycles
    ("Case", "statusHistory", Rule::Read(Class::CaseStatus)),
    ("CaseParty", "statusHistory", Rule::PersonIdentity),
    ("StatusMove", "from", Rule::Structural),
    ("StatusMove", "to", Rule::Structural),
    ("StatusMove", "agency", Rule::Structural),
    ("StatusMove", "subject", Rule::Structural),
    ("StatusMove", "at", Rule::Structural),
    ("StatusMove", "reason", Rule::Structural),
    ("Mutation", "moveCase", Rule::Write(Class::CaseStatus)),
    ("MoveCaseInput", "id", Rule::Structural),
    ("MoveCaseInput", "version", Rule::Structural),
    ("MoveCaseInput", "to", Rule::Structural),
    ("MoveCaseInput", "reason", Rule::Structural),
    ("Mutation", "moveIdentification", Rule::WriteIdentity),
    ("MoveIdentificationInput", "partyId", Rule::Structural),
    ("MoveIdentificationInput", "version", Rule::Structural),
    ("MoveIdentificationInput", "to", Rule::Structural),
    ("MoveIdentificationInput", "reason", Rule::Structural),
    ("Query", "overdueVerifications", Rule::PersonIdentity),
    // --- tips
    ("Query", "tips", Rule::Entry("Tip")),
    // Over the caller's own tips only: the steering committee's national figures come from
    // `statistics`, suppressed (DESIGN §8).
    ("Query", "tipStatistics", Rule::Read(Class::Tips)),
    ("Tip", "id", Rule::Key),
    ("Tip", "version", Rule::Key),
    ("Tip", "channel", Rule::Read(Class::Tips)),
    ("Tip", "receivedAt", Rule::Read(Class::Tips)),
    ("Tip", "summary", Rule::Read(Class::Tips)),
    ("Tip", "urgency", Rule::Read(Class::Tips)),
    ("Tip", "potentialVictimCount", Rule::Read(Class::Tips)),
    ("Tip", "status", Rule::Read(Class::Tips)),
    ("Tip", "resolvedAt", Rule::Read(Class::Tips)),
    ("Tip", "forwardedTo", Rule::Read(Class::Tips)),
    ("Tip", "province", Rule::Read(Class::Tips)),
    ("Tip", "createdByAgency", Rule::Read(Class::Tips)),
    ("Tip", "case", Rule::Read(Class::Tips)),
    ("Tip", "statusHistory", Rule::Read(Class::Tips)),
    ("TipChannelStatistics", "channel", Rule::Structural),
    ("TipChannelStatistics", "received", Rule::Structural),
    ("TipChannelStatistics", "resolved", Rule::Structural),
    ("TipChannelStatistics", "resolutionRate", Rule::Structural),
    (
        "TipChannelStatistics",
        "meanHoursToResolve",
        Rule::Structural,
    ),
    ("TipFilter", "channel", Rule::Filter("Tip", Class::Tips)),
    ("TipFilter", "status", Rule::Filter("Tip", Class::Tips)),
    ("TipFilter", "province", Rule::Filter("Tip", Class::Tips)),
    (
        "TipFilter",
        "receivedFrom",
        Rule::Filter("Tip", Class::Tips),
    ),
    ("TipFilter", "receivedTo", Rule::Filter("Tip", Class::Tips)),
    ("Mutation", "recordTip", Rule::Write(Class::Tips)),
    ("RecordTipInput", "channel", Rule::Write(Class::Tips)),
    ("RecordTipInput", "receivedAt", Rule::Write(Class::Tips)),
    ("RecordTipInput", "summary", Rule::Write(Class::Tips)),
    ("RecordTipInput", "urgency", Rule::Write(Class::Tips)),
    (
        "RecordTipInput",
        "potentialVictimCount",
        Rule::Write(Class::Tips),
    ),
    ("RecordTipInput", "province", Rule::Write(Class::Tips)),
    ("RecordTipInput", "idempotencyKey", Rule::Structural),
    ("Mutation", "moveTip", Rule::Write(Class::Tips)),
    ("MoveTipInput", "id", Rule::Structural),
    ("MoveTipInput", "version", Rule::Structural),
    ("MoveTipInput", "to", Rule::Structural),
    ("MoveTipInput", "reason", Rule::Structural),
    ("MoveTipInput", "forwardedTo", Rule::Write(Class::Tips)),
    ("MoveTipInput", "caseId", Rule::Write(Class::Tips)),
    ("TipConnection", "edges", Rule::Structural),
    ("TipConnection", "nodes", Rule::Structural),
    ("TipConnection", "pageInfo", Rule::Structural),
    ("TipConnection", "totalCount", Rule::Structural),
    ("TipEdge", "cursor", Rule::Structural),
    ("TipEdge", "node", Rule::Structural),
    // --- networks
    ("Query", "networks", Rule::Entry("Network")),
    ("Case", "networks", Rule::Entry("Network")),
    ("Network", "id", Rule::Key),
    ("Network", "version", Rule::Key),
    ("Network", "name", Rule::Read(Class::NetworksLinks)),
    ("Network", "aliases", Rule::Read(Class::NetworksLinks)),
    ("Network", "transnational", Rule::Read(Class::NetworksLinks)),
    ("Network", "countries", Rule::Read(Class::NetworksLinks)),
    ("Network", "dismantledAt", Rule::Read(Class::NetworksLinks)),
    (
        "Network",
        "createdByAgency",
        Rule::Read(Class::NetworksLinks),
    ),
    ("Network", "members", Rule::Read(Class::NetworksLinks)),
    ("Network", "cases", Rule::Read(Class::NetworksLinks)),
    ("NetworkMember", "id", Rule::Key),
    ("NetworkMember", "role", Rule::Read(Class::NetworksLinks)),
    ("NetworkMember", "person", Rule::Read(Class::NetworksLinks)),
    (
        "NetworkFilter",
        "name",
        Rule::Filter("Network", Class::NetworksLinks),
    ),
    (
        "NetworkFilter",
        "country",
        Rule::Filter("Network", Class::NetworksLinks),
    ),
    (
        "NetworkFilter",
        "dismantled",
        Rule::Filter("Network", Class::NetworksLinks),
    ),
    (
        "Mutation",
        "createNetwork",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "CreateNetworkInput",
        "name",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "CreateNetworkInput",
        "aliases",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "CreateNetworkInput",
        "transnational",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "CreateNetworkInput",
        "countries",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "CreateNetworkInput",
        "caseIds",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "Mutation",
        "addNetworkMember",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "AddNetworkMemberInput",
        "networkId",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "AddNetworkMemberInput",
        "personId",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "AddNetworkMemberInput",
        "role",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "Mutation",
        "linkNetworkCase",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "LinkNetworkCaseInput",
        "networkId",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "LinkNetworkCaseInput",
        "caseId",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "Mutation",
        "dismantleNetwork",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "DismantleNetworkInput",
        "id",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "DismantleNetworkInput",
        "version",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "DismantleNetworkInput",
        "dismantledAt",
        Rule::Write(Class::NetworksLinks),
    ),
    ("CreateNetworkInput", "idempotencyKey", Rule::Structural),
    ("NetworkConnection", "edges", Rule::Structural),
    ("NetworkConnection", "nodes", Rule::Structural),
    ("NetworkConnection", "pageInfo", Rule::Structural),
    ("NetworkConnection", "totalCount", Rule::Structural),
    ("NetworkEdge", "cursor", Rule::Structural),
    ("NetworkEdge", "node", Rule::Structural),
    // --- support and case events
    ("Person", "support", Rule::Entry("SupportService")),
    ("SupportService", "id", Rule::Key),
    ("SupportService", "version", Rule::Key),
    ("SupportService", "person", Rule::Read(Class::Support)),
    ("SupportService", "service", Rule::Read(Class::Support)),
    ("SupportService", "provider", Rule::Read(Class::Support)),
    ("SupportService", "startedAt", Rule::Read(Class::Support)),
    ("SupportService", "endedAt", Rule::Read(Class::Support)),
    ("SupportService", "notes", Rule::Read(Class::Support)),
    (
        "SupportService",
        "createdByAgency",
        Rule::Read(Class::Support),
    ),
    ("Mutation", "addSupportService", Rule::Write(Class::Support)),
    (
        "AddSupportServiceInput",
        "personId",
        Rule::Write(Class::Support),
    ),
    (
        "AddSupportServiceInput",
        "service",
        Rule::Write(Class::Support),
    ),
    (
        "AddSupportServiceInput",
        "provider",
        Rule::Write(Class::Support),
    ),
    (
        "AddSupportServiceInput",
        "startedAt",
        Rule::Write(Class::Support),
    ),
    (
        "AddSupportServiceInput",
        "endedAt",
        Rule::Write(Class::Support),
    ),
    (
        "AddSupportServiceInput",
        "notes",
        Rule::Write(Class::Support),
    ),
    ("AddSupportServiceInput", "idempotencyKey", Rule::Structural),
    ("Case", "events", Rule::Entry("CaseEvent")),
    ("CaseEvent", "id", Rule::Key),
    ("CaseEvent", "kind", Rule::Read(Class::CaseIntel)),
    ("CaseEvent", "place", Rule::Read(Class::CaseIntel)),
    ("CaseEvent", "country", Rule::Read(Class::CaseIntel)),
    ("CaseEvent", "occurredOn", Rule::Read(Class::CaseIntel)),
    ("CaseEvent", "description", Rule::Read(Class::CaseIntel)),
    ("Mutation", "addCaseEvent", Rule::Write(Class::CaseIntel)),
    ("AddCaseEventInput", "caseId", Rule::Write(Class::CaseIntel)),
    ("AddCaseEventInput", "kind", Rule::Write(Class::CaseIntel)),
    ("AddCaseEventInput", "place", Rule::Write(Class::CaseIntel)),
    (
        "AddCaseEventInput",
        "country",
        Rule::Write(Class::CaseIntel),
    ),
    (
        "AddCaseEventInput",
        "occurredOn",
        Rule::Write(Class::CaseIntel),
    ),
    (
        "AddCaseEventInput",
        "description",
        Rule::Write(Class::CaseIntel),
    ),
    // --- embassy flags and referrals
    ("Query", "flags", Rule::Entry("VictimFlag")),
    ("Query", "referrals", Rule::Entry("Referral")),
    ("Query", "overdueReferrals", Rule::Entry("Referral")),
    ("Case", "flags", Rule::Entry("VictimFlag")),
    ("Case", "referrals", Rule::Entry("Referral")),
    ("VictimFlag", "id", Rule::Key),
    ("VictimFlag", "version", Rule::Key),
    ("VictimFlag", "status", Rule::Read(Class::Flags)),
    ("VictimFlag", "mission", Rule::Read(Class::Flags)),
    ("VictimFlag", "hostCountry", Rule::Read(Class::Flags)),
    ("VictimFlag", "location", Rule::Read(Class::Flags)),
    ("VictimFlag", "circumstances", Rule::Read(Class::Flags)),
    ("VictimFlag", "urgency", Rule::Read(Class::Flags)),
    ("VictimFlag", "createdAt", Rule::Read(Class::Flags)),
    ("VictimFlag", "createdByAgency", Rule::Read(Class::Flags)),
    ("VictimFlag", "person", Rule::Read(Class::Flags)),
    ("VictimFlag", "case", Rule::Read(Class::Flags)),
    ("VictimFlag", "statusHistory", Rule::Read(Class::Flags)),
    (
        "VictimFlag",
        "verificationStatus",
        Rule::Read(Class::FlagVerification),
    ),
    (
        "VictimFlag",
        "verificationRequestedAt",
        Rule::Read(Class::FlagVerification),
    ),
    (
        "VictimFlag",
        "verificationResult",
        Rule::Read(Class::FlagVerification),
    ),
    (
        "VictimFlag",
        "verifiedAt",
        Rule::Read(Class::FlagVerification),
    ),
    ("Referral", "id", Rule::Key),
    ("Referral", "version", Rule::Key),
    ("Referral", "status", Rule::Read(Class::Referrals)),
    ("Referral", "fromAgency", Rule::Read(Class::Referrals)),
    ("Referral", "toAgency", Rule::Read(Class::Referrals)),
    ("Referral", "purpose", Rule::Read(Class::Referrals)),
    ("Referral", "services", Rule::Read(Class::Referrals)),
    ("Referral", "consent", Rule::Read(Class::Referrals)),
    ("Referral", "consentReason", Rule::Read(Class::Referrals)),
    ("Referral", "sharedFields", Rule::Read(Class::Referrals)),
    ("Referral", "dueAt", Rule::Read(Class::Referrals)),
    ("Referral", "overdue", Rule::Read(Class::Referrals)),
    ("Referral", "respondedAt", Rule::Read(Class::Referrals)),
    ("Referral", "completedAt", Rule::Read(Class::Referrals)),
    ("Referral", "outcome", Rule::Read(Class::Referrals)),
    ("Referral", "declineReason", Rule::Read(Class::Referrals)),
    ("Referral", "createdAt", Rule::Read(Class::Referrals)),
    ("Referral", "person", Rule::Read(Class::Referrals)),
    ("Referral", "case", Rule::Read(Class::Referrals)),
    ("Referral", "statusHistory", Rule::Read(Class::Referrals)),
    ("Mutation", "flagSuspectedVictim", Rule::Write(Class::Flags)),
    (
        "FlagSuspectedVictimInput",
        "mission",
        Rule::Write(Class::Flags),
    ),
    (
        "FlagSuspectedVictimInput",
        "hostCountry",
        Rule::Write(Class::Flags),
    ),
    (
        "FlagSuspectedVictimInput",
        "location",
        Rule::Write(Class::Flags),
    ),
    (
        "FlagSuspectedVictimInput",
        "circumstances",
        Rule::Write(Class::Flags),
    ),
    (
        "FlagSuspectedVictimInput",
        "urgency",
        Rule::Write(Class::Flags),
    ),
    (
        "FlagSuspectedVictimInput",
        "personId",
        Rule::Write(Class::Flags),
    ),
    (
        "FlagSuspectedVictimInput",
        "person",
        Rule::Write(Class::Flags),
    ),
    (
        "FlagSuspectedVictimInput",
        "caseId",
        Rule::Write(Class::Flags),
    ),
    (
        "FlagSuspectedVictimInput",
        "idempotencyKey",
        Rule::Structural,
    ),
    (
        "Mutation",
        "requestIdentityVerification",
        Rule::Write(Class::Flags),
    ),
    ("FlagRefInput", "id", Rule::Structural),
    ("FlagRefInput", "version", Rule::Structural),
    (
        "Mutation",
        "recordIdentityVerification",
        Rule::Write(Class::FlagVerification),
    ),
    ("RecordIdentityVerificationInput", "id", Rule::Structural),
    (
        "RecordIdentityVerificationInput",
        "version",
        Rule::Structural,
    ),
    (
        "RecordIdentityVerificationInput",
        "confirmed",
        Rule::Structural,
    ),
    (
        "RecordIdentityVerificationInput",
        "result",
        Rule::Structural,
    ),
    ("Mutation", "moveFlag", Rule::Entry("VictimFlag")),
    ("MoveFlagInput", "id", Rule::Structural),
    ("MoveFlagInput", "version", Rule::Structural),
    ("MoveFlagInput", "to", Rule::Structural),
    ("MoveFlagInput", "caseId", Rule::Structural),
    ("MoveFlagInput", "reason", Rule::Structural),
    ("Mutation", "sendReferral", Rule::Write(Class::Referrals)),
    (
        "SendReferralInput",
        "toAgency",
        Rule::Write(Class::Referrals),
    ),
    (
        "SendReferralInput",
        "personId",
        Rule::Write(Class::Referrals),
    ),
    ("SendReferralInput", "caseId", Rule::Write(Class::Referrals)),
    (
        "SendReferralInput",
        "purpose",
        Rule::Write(Class::Referrals),
    ),
    (
        "SendReferralInput",
        "services",
        Rule::Write(Class::Referrals),
    ),
    (
        "SendReferralInput",
        "consent",
        Rule::Write(Class::Referrals),
    ),
    (
        "SendReferralInput",
        "consentReason",
        Rule::Write(Class::Referrals),
    ),
    (
        "SendReferralInput",
        "sharedFields",
        Rule::Write(Class::Referrals),
    ),
    ("SendReferralInput", "dueAt", Rule::Write(Class::Referrals)),
    ("SendReferralInput", "idempotencyKey", Rule::Structural),
    ("Mutation", "acceptReferral", Rule::Write(Class::Referrals)),
    ("Mutation", "declineReferral", Rule::Write(Class::Referrals)),
    ("Mutation", "revokeReferral", Rule::Write(Class::Referrals)),
    (
        "Mutation",
        "completeReferral",
        Rule::Write(Class::Referrals),
    ),
    ("AnswerReferralInput", "id", Rule::Structural),
    ("AnswerReferralInput", "version", Rule::Structural),
    ("AnswerReferralInput", "reason", Rule::Structural),
    ("VictimFlagConnection", "edges", Rule::Structural),
    ("VictimFlagConnection", "nodes", Rule::Structural),
    ("VictimFlagConnection", "pageInfo", Rule::Structural),
    ("VictimFlagConnection", "totalCount", Rule::Structural),
    ("VictimFlagEdge", "cursor", Rule::Structural),
    ("VictimFlagEdge", "node", Rule::Structural),
    ("ReferralConnection", "edges", Rule::Structural),
    ("ReferralConnection", "nodes", Rule::Structural),
    ("ReferralConnection", "pageInfo", Rule::Structural),
    ("ReferralConnection", "totalCount", Rule::Structural),
    ("ReferralEdge", "cursor", Rule::Structural),
    ("ReferralEdge", "node", Rule::Structural),
    // --- subscriptions
    ("Subscription", "flagRaised", Rule::Entry("VictimFlag")),
    ("Subscription", "flagUpdated", Rule::Entry("VictimFlag")),
    ("Subscription", "referralReceived", Rule::Entry("Referral")),
    ("Subscription", "referralUpdated", Rule::Entry("Referral")),
    ("Subscription", "caseUpdated", Rule::Entry("Case")),
    // --- investigator tools
    ("Query", "identifierHits", Rule::Hits),
    ("Query", "personHits", Rule::Hits),
    ("Query", "linkSuggestions", Rule::Read(Class::NetworksLinks)),
    ("Query", "network", Rule::Read(Class::NetworksLinks)),
    (
        "Query",
        "disclosureRequests",
        Rule::Entry("DisclosureRequest"),
    ),
    ("Case", "links", Rule::Entry("CaseLink")),
    ("CaseLink", "id", Rule::Key),
    ("CaseLink", "from", Rule::Read(Class::NetworksLinks)),
    ("CaseLink", "to", Rule::Read(Class::NetworksLinks)),
    ("CaseLink", "reason", Rule::Read(Class::NetworksLinks)),
    ("CaseLink", "evidence", Rule::Read(Class::NetworksLinks)),
    ("CaseLink", "confidence", Rule::Read(Class::NetworksLinks)),
    (
        "CaseLink",
        "createdByAgency",
        Rule::Read(Class::NetworksLinks),
    ),
    ("CaseLink", "createdAt", Rule::Read(Class::NetworksLinks)),
    ("HitReference", "reference", Rule::Structural),
    ("HitReference", "kind", Rule::Structural),
    ("HitReference", "holdingAgency", Rule::Structural),
    ("HitReference", "contact", Rule::Structural),
    ("LinkSuggestion", "case", Rule::Structural),
    ("LinkSuggestion", "reference", Rule::Structural),
    ("LinkSuggestion", "evidence", Rule::Structural),
    ("LinkSuggestion", "score", Rule::Structural),
    ("GraphNode", "index", Rule::Structural),
    ("GraphNode", "kind", Rule::Structural),
    ("GraphNode", "depth", Rule::Structural),
    ("GraphNode", "case", Rule::Structural),
    ("GraphNode", "person", Rule::Structural),
    ("GraphNode", "identifier", Rule::Structural),
    ("GraphNode", "reference", Rule::Structural),
    ("GraphEdge", "from", Rule::Structural),
    ("GraphEdge", "to", Rule::Structural),
    ("GraphEdge", "kind", Rule::Structural),
    ("NetworkGraph", "nodes", Rule::Structural),
    ("NetworkGraph", "edges", Rule::Structural),
    ("NetworkGraph", "truncated", Rule::Structural),
    ("DisclosureRequest", "id", Rule::Key),
    ("DisclosureRequest", "version", Rule::Key),
    ("DisclosureRequest", "person", Rule::Key),
    ("DisclosureRequest", "case", Rule::Key),
    ("DisclosureRequest", "status", Rule::Read(Class::Disclosure)),
    ("DisclosureRequest", "kind", Rule::Read(Class::Disclosure)),
    (
        "DisclosureRequest",
        "holderAgency",
        Rule::Read(Class::Disclosure),
    ),
    (
        "DisclosureRequest",
        "requesterAgency",
        Rule::Read(Class::Disclosure),
    ),
    (
        "DisclosureRequest",
        "requesterSubject",
        Rule::Read(Class::Disclosure),
    ),
    (
        "DisclosureRequest",
        "purpose",
        Rule::Read(Class::Disclosure),
    ),
    (
        "DisclosureRequest",
        "expiresAt",
        Rule::Read(Class::Disclosure),
    ),
    (
        "DisclosureRequest",
        "decidedAt",
        Rule::Read(Class::Disclosure),
    ),
    ("DisclosureRequest", "reason", Rule::Read(Class::Disclosure)),
    (
        "DisclosureRequest",
        "createdAt",
        Rule::Read(Class::Disclosure),
    ),
    ("Mutation", "linkCases", Rule::Write(Class::NetworksLinks)),
    ("LinkCasesInput", "from", Rule::Write(Class::NetworksLinks)),
    ("LinkCasesInput", "to", Rule::Write(Class::NetworksLinks)),
    (
        "LinkCasesInput",
        "reason",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "LinkCasesInput",
        "evidence",
        Rule::Write(Class::NetworksLinks),
    ),
    (
        "LinkCasesInput",
        "confidence",
        Rule::Write(Class::NetworksLinks),
    ),
    ("Mutation", "unlinkCases", Rule::Write(Class::NetworksLinks)),
    ("Mutation", "requestDisclosure", Rule::Hits),
    ("RequestDisclosureInput", "reference", Rule::Structural),
    ("RequestDisclosureInput", "purpose", Rule::Structural),
    (
        "Mutation",
        "grantDisclosure",
        Rule::Write(Class::Disclosure),
    ),
    ("Mutation", "denyDisclosure", Rule::Write(Class::Disclosure)),
    ("DecideDisclosureInput", "id", Rule::Structural),
    ("DecideDisclosureInput", "version", Rule::Structural),
    ("DecideDisclosureInput", "hours", Rule::Structural),
    ("DecideDisclosureInput", "reason", Rule::Structural),
    ("DisclosureRequestConnection", "edges", Rule::Structural),
    ("DisclosureRequestConnection", "nodes", Rule::Structural),
    ("DisclosureRequestConnection", "pageInfo", Rule::Structural),
    (
        "DisclosureRequestConnection",
        "totalCount",
        Rule::Structural,
    ),
    ("DisclosureRequestEdge", "cursor", Rule::Structural),
    ("DisclosureRequestEdge", "node", Rule::Structural),
    // --- audit trail
    ("Query", "auditEvents", Rule::Entry("AuditEvent")),
    ("AuditEvent", "seq", Rule::Key),
    ("AuditEvent", "at", Rule::Read(Class::Audit)),
    ("AuditEvent", "agency", Rule::Read(Class::Audit)),
    ("AuditEvent", "subject", Rule::Read(Class::Audit)),
    ("AuditEvent", "tokenId", Rule::Read(Class::Audit)),
    ("AuditEvent", "requestId", Rule::Read(Class::Audit)),
    ("AuditEvent", "operation", Rule::Read(Class::Audit)),
    ("AuditEvent", "purpose", Rule::Read(Class::Audit)),
    ("AuditEvent", "entityType", Rule::Read(Class::Audit)),
    ("AuditEvent", "entityId", Rule::Read(Class::Audit)),
    ("AuditEvent", "personId", Rule::Read(Class::Audit)),
    ("AuditEvent", "fields", Rule::Read(Class::Audit)),
    ("AuditEvent", "action", Rule::Read(Class::Audit)),
    ("AuditEvent", "outcome", Rule::Read(Class::Audit)),
    ("AuditEvent", "reason", Rule::Read(Class::Audit)),
    ("AuditEvent", "hash", Rule::Read(Class::Audit)),
    (
        "AuditEventFilter",
        "personId",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    (
        "AuditEventFilter",
        "entityId",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    (
        "AuditEventFilter",
        "entityType",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    (
        "AuditEventFilter",
        "agency",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    (
        "AuditEventFilter",
        "subject",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    (
        "AuditEventFilter",
        "from",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    (
        "AuditEventFilter",
        "to",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    (
        "AuditEventFilter",
        "outcome",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    (
        "AuditEventFilter",
        "action",
        Rule::Filter("AuditEvent", Class::Audit),
    ),
    ("AuditEventConnection", "edges", Rule::Structural),
    ("AuditEventConnection", "nodes", Rule::Structural),
    ("AuditEventConnection", "pageInfo", Rule::Structural),
    ("AuditEventConnection", "totalCount", Rule::Structural),
    ("AuditEventEdge", "cursor", Rule::Structural),
    ("AuditEventEdge", "node", Rule::Structural),
    // --- identifiers
    ("Mutation", "addIdentifier", Rule::WriteIdentity),
    ("Identifier", "id", Rule::Key),
    ("Identifier", "version", Rule::Key),
    ("Identifier", "kind", Rule::PersonIdentity),
    ("Identifier", "value", Rule::PersonIdentity),
    ("Identifier", "normalized", Rule::PersonIdentity),
    ("Identifier", "platform", Rule::PersonIdentity),
    ("Identifier", "verified", Rule::PersonIdentity),
    ("AddIdentifierInput", "personId", Rule::WriteIdentity),
    ("AddIdentifierInput", "personVersion", Rule::Structural),
    ("AddIdentifierInput", "kind", Rule::WriteIdentity),
    ("AddIdentifierInput", "value", Rule::WriteIdentity),
    ("AddIdentifierInput", "platform", Rule::WriteIdentity),
    ("AddIdentifierInput", "verified", Rule::WriteIdentity),
    ("AddIdentifierInput", "idempotencyKey", Rule::Structural),
    // --- statistics, campaigns and the periodic report (DESIGN §8)
    ("Query", "statistics", Rule::Read(Class::Statistics)),
    ("Query", "report", Rule::Read(Class::Statistics)),
    ("Query", "campaigns", Rule::Read(Class::Statistics)),
    ("Mutation", "createCampaign", Rule::Write(Class::Statistics)),
    // A measure counts rows of one class: allowed to agencies that see its aggregates
    // (nationally) or read it (over their own scope). An agency counting over its own scope must
    // also read, on every row of that scope, the field that dates the measure and each field it
    // groups or filters by (the filter rule of that field, checked when asked).
    (
        "StatisticsMeasure",
        "CASES_OPENED",
        Rule::Aggregate(Class::CaseCore),
    ),
    (
        "StatisticsMeasure",
        "RINGS_DISMANTLED",
        Rule::Aggregate(Class::NetworksLinks),
    ),
    (
        "StatisticsMeasure",
        "VICTIMS_RECEIVED",
        Rule::Aggregate(Class::VictimIdentity),
    ),
    (
        "StatisticsMeasure",
        "VICTIMS_IDENTIFIED",
        Rule::Aggregate(Class::VictimIdentity),
    ),
    (
        "StatisticsMeasure",
        "VICTIMS_SUPPORTED",
        Rule::Aggregate(Class::Support),
    ),
    (
        "StatisticsMeasure",
        "CHILD_VICTIMS",
        Rule::Aggregate(Class::VictimIdentity),
    ),
    (
        "StatisticsMeasure",
        "SUSPECTS",
        Rule::Aggregate(Class::SuspectIdentity),
    ),
    (
        "StatisticsMeasure",
        "TIPS_RECEIVED",
        Rule::Aggregate(Class::Tips),
    ),
    (
        "StatisticsMeasure",
        "TIPS_RESOLVED",
        Rule::Aggregate(Class::Tips),
    ),
    (
        "StatisticsMeasure",
        "HOTLINE_CALLS",
        Rule::Aggregate(Class::Tips),
    ),
    (
        "StatisticsMeasure",
        "REFERRALS",
        Rule::Aggregate(Class::Referrals),
    ),
    (
        "StatisticsMeasure",
        "PROSECUTIONS",
        Rule::Aggregate(Class::Indictments),
    ),
    (
        "StatisticsMeasure",
        "CONVICTIONS",
        Rule::Aggregate(Class::VerdictOutcome),
    ),
    // The answers are guarded by the field that returned them.
    ("Statistics", "from", Rule::Structural),
    ("Statistics", "to", Rule::Structural),
    ("Statistics", "threshold", Rule::Structural),
    ("Statistics", "groupBy", Rule::Structural),
    ("Statistics", "cells", Rule::Structural),
    ("StatisticsCell", "measure", Rule::Structural),
    ("StatisticsCell", "province", Rule::Structural),
    ("StatisticsCell", "sex", Rule::Structural),
    ("StatisticsCell", "ageBand", Rule::Structural),
    ("StatisticsCell", "ethnicityGroup", Rule::Structural),
    ("StatisticsCell", "exploitationForm", Rule::Structural),
    ("StatisticsCell", "destinationCountry", Rule::Structural),
    ("StatisticsCell", "channel", Rule::Structural),
    ("StatisticsCell", "month", Rule::Structural),
    ("StatisticsCell", "value", Rule::Structural),
    ("StatisticsCell", "suppressed", Rule::Structural),
    // Checked per measure when asked, like the dimensions grouped by.
    ("StatisticsFilter", "province", Rule::Structural),
    ("StatisticsFilter", "sex", Rule::Structural),
    ("StatisticsFilter", "ageBand", Rule::Structural),
    ("StatisticsFilter", "ethnicityGroup", Rule::Structural),
    ("StatisticsFilter", "exploitationForm", Rule::Structural),
    ("StatisticsFilter", "destinationCountry", Rule::Structural),
    ("StatisticsFilter", "channel", Rule::Structural),
    ("Report", "title", Rule::Structural),
    ("Report", "from", Rule::Structural),
    ("Report", "to", Rule::Structural),
    ("Report", "lang", Rule::Structural),
    ("Report", "threshold", Rule::Structural),
    ("Report", "columns", Rule::Structural),
    ("Report", "rows", Rule::Structural),
    ("ReportRow", "key", Rule::Structural),
    ("ReportRow", "indicator", Rule::Structural),
    ("ReportRow", "breakdown", Rule::Structural),
    ("ReportRow", "value", Rule::Structural),
    ("ReportRow", "suppressed", Rule::Structural),
    ("ReportRow", "note", Rule::Structural),
    ("Campaign", "id", Rule::Key),
    ("Campaign", "version", Rule::Key),
    ("Campaign", "name", Rule::Read(Class::Statistics)),
    ("Campaign", "from", Rule::Read(Class::Statistics)),
    ("Campaign", "to", Rule::Read(Class::Statistics)),
    ("Campaign", "description", Rule::Read(Class::Statistics)),
    ("Campaign", "createdAt", Rule::Read(Class::Statistics)),
    ("Campaign", "createdByAgency", Rule::Read(Class::Statistics)),
    (
        "CreateCampaignInput",
        "name",
        Rule::Write(Class::Statistics),
    ),
    (
        "CreateCampaignInput",
        "from",
        Rule::Write(Class::Statistics),
    ),
    ("CreateCampaignInput", "to", Rule::Write(Class::Statistics)),
    (
        "CreateCampaignInput",
        "description",
        Rule::Write(Class::Statistics),
    ),
    ("CreateCampaignInput", "idempotencyKey", Rule::Structural),
];
