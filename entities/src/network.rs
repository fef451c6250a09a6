//! `network`: a trafficking ring.

use sea_orm::entity::prelude::*;

/// One network.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Working name.
    pub name: String,
    /// JSON array of other names.
    pub aliases: String,
    /// Operates across borders.
    pub transnational: bool,
    /// JSON array of ISO alpha-2 countries.
    pub countries: String,
    /// When it was dismantled.
    pub dismantled_at: Option<DateTimeUtc>,
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
