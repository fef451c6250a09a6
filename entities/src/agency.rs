//! `agency`: the eight agencies of DESIGN §1, seeded by the first migration.

use sea_orm::entity::prelude::*;

/// One agency that may hold tokens and own records.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency")]
pub struct Model {
    /// Agency code (`police`, `border_guard` ...), the value of the token's `agency` claim.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    /// English name.
    pub name: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// Liaison contact that hit/no-hit references point to.
    pub contact: String,
}

/// No relations are navigated through sea-orm; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
