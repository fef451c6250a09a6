//! `status_history`: every lifecycle move: who moved what from where to where, when and why.

use sea_orm::entity::prelude::*;

/// One move.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_history")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `Case`, `CaseParty`, `Tip`, `VictimFlag`, `Referral`.
    pub entity_type: String,
    /// The row moved.
    pub entity_id: Uuid,
    /// Status before (none at creation).
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Agency that moved it.
    pub agency: String,
    /// Token subject that moved it.
    pub subject: String,
    /// When.
    pub at: DateTimeUtc,
    /// Why, when given.
    pub reason: Option<String>,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
