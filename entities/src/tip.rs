//! `tip`: a report, including hotline 111 calls.

use sea_orm::entity::prelude::*;

/// One tip.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tip")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// How it came in.
    pub channel: String,
    /// When it came in.
    pub received_at: DateTimeUtc,
    /// What was reported.
    pub summary: String,
    /// `LOW` .. `CRITICAL`.
    pub urgency: String,
    /// How many people may be victims.
    pub potential_victim_count: Option<i32>,
    /// Lifecycle status.
    pub status: String,
    /// When it was resolved.
    pub resolved_at: Option<DateTimeUtc>,
    /// Agency it was forwarded to.
    pub forwarded_to: Option<String>,
    /// The case it led to.
    pub case_id: Option<Uuid>,
    /// Province concerned.
    pub province: Option<String>,
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
