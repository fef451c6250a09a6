//! `case_event`: a recruitment, transit or exploitation event of a case.

use sea_orm::entity::prelude::*;

/// One event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_event")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// `RECRUITMENT`, `TRANSIT` or `EXPLOITATION`.
    pub kind: String,
    /// Where.
    pub place: Option<String>,
    /// ISO alpha-2 country.
    pub country: Option<String>,
    /// When.
    pub occurred_on: Option<Date>,
    /// What happened.
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

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
