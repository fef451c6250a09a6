//! `disclosure_request`: a request to the holder of a record found by hit/no-hit.

use sea_orm::entity::prelude::*;

/// One request.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosure_request")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The hit reference it follows.
    pub reference_id: Uuid,
    /// `Person` or `Case`.
    pub entity_type: String,
    /// The record.
    pub entity_id: Uuid,
    /// The agency that decides.
    pub holder_agency: String,
    /// The agency asking.
    pub requester_agency: String,
    /// Who asked.
    pub requester_subject: String,
    /// Why.
    pub purpose: String,
    /// `PENDING`, `GRANTED` or `DENIED`.
    pub status: String,
    /// Until when a grant lets the requester read the record.
    pub expires_at: Option<DateTimeUtc>,
    /// When the holder decided.
    pub decided_at: Option<DateTimeUtc>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Why (a denial).
    pub reason: Option<String>,
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
