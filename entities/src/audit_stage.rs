//! `audit_stage`: a write event committed with its mutation, not yet chained.

use sea_orm::entity::prelude::*;

/// One staged event: the columns of `audit_event` but its place and hashes. The sealer moves
/// rows into the chain in `id` order and deletes them here.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_stage")]
pub struct Model {
    /// Staging order (the sealer chains in this order).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the event was recorded (the mutation's time).
    pub at: DateTimeUtc,
    /// Agency of the caller.
    pub agency: String,
    /// Token subject of the caller.
    pub subject: String,
    /// Token id (`jti`).
    pub token_id: String,
    /// Request id.
    pub request_id: String,
    /// The mutation field.
    pub operation: String,
    /// The stated access purpose.
    pub purpose: Option<String>,
    /// Entity type (`Person`, `Case` ...).
    pub entity_type: String,
    /// Entity id.
    pub entity_id: Option<Uuid>,
    /// The person concerned, for person-level data.
    pub person_id: Option<Uuid>,
    /// JSON array of the fields written.
    pub fields: String,
    /// `WRITE` (or `READ`).
    pub action: String,
    /// `ALLOWED` or `DENIED`.
    pub outcome: String,
    /// For denials: the code.
    pub reason: Option<String>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
