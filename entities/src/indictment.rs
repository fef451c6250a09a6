//! `indictment`: an indictment of one defendant in a case, filed by the procuracy.

use sea_orm::entity::prelude::*;

/// One indictment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "indictment")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The case.
    pub case_id: Uuid,
    /// The indicted person.
    pub defendant_id: Uuid,
    /// JSON array of charges `{article, clause, point}`.
    pub charges: String,
    /// When it was filed.
    pub filed_at: DateTimeUtc,
    /// The procuracy office.
    pub office: String,
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
