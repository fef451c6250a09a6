//! `case_party`: a person's role in a case (suspect, victim, witness ...).

use sea_orm::entity::prelude::*;

/// One party row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_party")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// `SUSPECT`, `VICTIM`, `PERSON_UNDER_IDENTIFICATION`, `WITNESS`, `ACCOMPANYING_MINOR`.
    pub role: String,
    /// For suspects: `ORGANIZER`, `BROKER` ...
    pub suspect_role: Option<String>,
    /// For suspects: `AT_LARGE`, `WANTED`, `DETAINED`, `ARRESTED`, `RELEASED`.
    pub arrest_status: Option<String>,
    /// For victims: identification status (`RECEIVED`, `VERIFYING`, `IDENTIFIED`, `NOT_A_VICTIM`).
    pub identification: Option<String>,
    /// When the person was received (starts the 3-day verification clock).
    pub received_at: Option<DateTimeUtc>,
    /// Age at exploitation, in years.
    pub age_at_exploitation: Option<i32>,
    /// What happened to the victim (sensitive).
    pub exploitation_details: Option<String>,
    /// Health notes (sensitive).
    pub health_notes: Option<String>,
    /// Where the victim is now (sensitive).
    pub current_location: Option<String>,
    /// Whether the victim consents to sharing identity with support services.
    pub consent_to_share: bool,
    /// JSON array of protection measures ordered or applied.
    pub protection_measures: String,
    /// Under 18 at exploitation: from `age_at_exploitation`, else from the person's date of
    /// birth and the case's opening date. Maintained by every write that changes either.
    pub is_minor: bool,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last update time.
    pub updated_at: DateTimeUtc,
    /// Agency that created the row.
    pub created_by_agency: String,
    /// Token subject that created the row.
    pub created_by_subject: String,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
