//! `support_service`: a support service given to a person.

use sea_orm::entity::prelude::*;

/// One support service.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "support_service")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The person supported.
    pub person_id: Uuid,
    /// `SHELTER`, `MEDICAL` ...
    pub service: String,
    /// Who provides it.
    pub provider: String,
    /// Start.
    pub started_at: DateTimeUtc,
    /// End.
    pub ended_at: Option<DateTimeUtc>,
    /// Notes (sensitive).
    pub notes: Option<String>,
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
