//! `campaign`: a named reporting period of the steering committee (a campaign such as the summer
//! peak crackdown, a quarter, a year), always whole calendar months.

use sea_orm::entity::prelude::*;

/// One campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Name, unique (e.g. `Cao điểm hè 2026`).
    pub name: String,
    /// First day (the first day of a month).
    pub starts_on: Date,
    /// Last day, inclusive (the last day of a month).
    pub ends_on: Date,
    /// What the campaign is about.
    pub description: Option<String>,
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

/// No relations: a campaign names a period, not rows.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
