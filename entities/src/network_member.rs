//! `network_member`: a person's role in a ring.

use sea_orm::entity::prelude::*;

/// One membership.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network_member")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The ring.
    pub network_id: Uuid,
    /// The person.
    pub person_id: Uuid,
    /// Role (`ORGANIZER`, `BROKER` ...).
    pub role: String,
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
