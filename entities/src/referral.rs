//! `referral`: a referral of a person from one agency to another.

use sea_orm::entity::prelude::*;

/// One referral.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Sending agency.
    pub from_agency: String,
    /// Receiving agency.
    pub to_agency: String,
    /// The person referred.
    pub person_id: Uuid,
    /// The case, if any.
    pub case_id: Option<Uuid>,
    /// Why.
    pub purpose: String,
    /// JSON array of services asked for.
    pub services: String,
    /// `GIVEN` or `OVERRIDDEN`.
    pub consent: String,
    /// Why consent was overridden.
    pub consent_reason: Option<String>,
    /// JSON array of person fields the receiver may read.
    pub shared_fields: String,
    /// Lifecycle status.
    pub status: String,
    /// When an answer is due.
    pub due_at: DateTimeUtc,
    /// When the receiver answered.
    pub responded_at: Option<DateTimeUtc>,
    /// When completed.
    pub completed_at: Option<DateTimeUtc>,
    /// Outcome on completion.
    pub outcome: Option<String>,
    /// Why it was declined or revoked.
    pub decline_reason: Option<String>,
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
