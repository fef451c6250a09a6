//! `identifier`: a phone, document, account or handle linked to a person.

use sea_orm::entity::prelude::*;

/// One identifier row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identifier")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The person it belongs to.
    pub person_id: Uuid,
    /// `PHONE`, `PASSPORT`, `NATIONAL_ID`, `SOCIAL_MEDIA`, `BANK_ACCOUNT`, `VEHICLE_PLATE`, `EMAIL`.
    pub kind: String,
    /// The value as recorded.
    pub value: String,
    /// The normalized value used for matching (E.164 phones, upper-case documents ...).
    pub normalized: String,
    /// Platform for social-media handles (`facebook`, `zalo` ...).
    pub platform: Option<String>,
    /// Whether an officer verified it.
    pub verified: bool,
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
