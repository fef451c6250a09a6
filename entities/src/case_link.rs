//! `case_link`: a link between two cases, with the reason and evidence.

use sea_orm::entity::prelude::*;

/// One link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_link")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The case the link was made from.
    pub from_case: Uuid,
    /// The linked case.
    pub to_case: Uuid,
    /// Why the cases are linked.
    pub reason: String,
    /// JSON array of evidence (shared identifiers or persons).
    pub evidence: String,
    /// Confidence, 0 to 100.
    pub confidence: i32,
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
