//! `verdict`: a court decision about one defendant.

use sea_orm::entity::prelude::*;

/// One verdict.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "verdict")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The defendant.
    pub defendant_id: Uuid,
    /// The court that decided.
    pub court: String,
    /// `FIRST_INSTANCE` or `APPEAL`.
    pub level: String,
    /// When it was decided.
    pub decided_at: DateTimeUtc,
    /// Whether the defendant was convicted.
    pub convicted: bool,
    /// JSON array of Penal Code articles applied.
    pub articles: String,
    /// Prison sentence in months.
    pub sentence_months: Option<i32>,
    /// Fine in VND.
    pub fine: Option<i64>,
    /// Whether the trial was closed to the public.
    pub closed_trial: bool,
    /// `NONE`, `APPEALED` or `FINAL`.
    pub appeal_status: String,
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
