//! `hit_reference`: an opaque reference a hit/no-hit answer hands out instead of the record.

use sea_orm::entity::prelude::*;

/// One reference.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hit_reference")]
pub struct Model {
    /// The opaque reference.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `Person` or `Case`.
    pub entity_type: String,
    /// The record it stands for (never shown).
    pub entity_id: Uuid,
    /// The agency holding the record.
    pub holder_agency: String,
    /// The agency that got the reference.
    pub issued_to: String,
    /// When it was issued.
    pub created_at: DateTimeUtc,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
