//! `idempotency_key`: the first result of a mutation sent with an `idempotencyKey`.

use sea_orm::entity::prelude::*;

/// One remembered mutation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_key")]
pub struct Model {
    /// Agency of the caller: keys are scoped per agency.
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency: String,
    /// The caller's key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Mutation field name (`openCase` ...); the same key on another mutation is a conflict.
    pub operation: String,
    /// Id of the row the first call produced.
    pub entity_id: Uuid,
    /// When the first call committed.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
