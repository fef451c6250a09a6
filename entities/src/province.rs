//! `province`: Vietnam's provinces by their administrative code, seeded by migration.

use sea_orm::entity::prelude::*;

/// One province (the 63 codes used in case records).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "province")]
pub struct Model {
    /// Two-digit administrative code, e.g. `01` (Hà Nội), `79` (Hồ Chí Minh).
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// Name with Vietnamese diacritics.
    pub name: String,
    /// Whether the province lies on a land border (border guard's tip scope).
    pub border: bool,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
