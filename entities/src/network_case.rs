//! `network_case`: a case attributed to a ring.

use sea_orm::entity::prelude::*;

/// One ring-case link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network_case")]
pub struct Model {
    /// The ring.
    #[sea_orm(primary_key, auto_increment = false)]
    pub network_id: Uuid,
    /// The case.
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: Uuid,
    /// When linked.
    pub created_at: DateTimeUtc,
    /// Agency that linked them.
    pub created_by_agency: String,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
