//! `audit_event`: one hash-chained audit event.

use sea_orm::entity::prelude::*;

/// One audit event. Rows are only ever inserted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    /// Position in the chain, from 1, without gaps.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// When the event was recorded.
    pub at: DateTimeUtc,
    /// Agency of the caller.
    pub agency: String,
    /// Token subject of the caller.
    pub subject: String,
    /// Token id (`jti`).
    pub token_id: String,
    /// Request id.
    pub request_id: String,
    /// GraphQL operation name, or the mutation field for writes.
    pub operation: String,
    /// The stated access purpose.
    pub purpose: Option<String>,
    /// Entity type (`Person`, `Case` ...).
    pub entity_type: String,
    /// Entity id, when the access concerned one row.
    pub entity_id: Option<Uuid>,
    /// The person concerned, for person-level data.
    pub person_id: Option<Uuid>,
    /// JSON array of the fields read or written.
    pub fields: String,
    /// `READ` or `WRITE`.
    pub action: String,
    /// `ALLOWED` or `DENIED`.
    pub outcome: String,
    /// For denials: `FORBIDDEN`, `PURPOSE_REQUIRED` or `NOT_FOUND`.
    pub reason: Option<String>,
    /// Hash of the previous event (64 zeros before the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and the canonical encoding of this event, hex.
    pub hash: String,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
