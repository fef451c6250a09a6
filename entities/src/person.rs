//! `person`: a natural person (victim, suspect, witness ...) known to at least one agency.

use sea_orm::entity::prelude::*;

/// One person row. Every column but the bookkeeping ones is personal data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Full name as recorded, with diacritics.
    pub full_name: String,
    /// Name folded for matching (diacritics stripped, lower case, words sorted).
    pub name_folded: String,
    /// JSON array of other names.
    pub aliases: String,
    /// Date of birth, if known.
    pub date_of_birth: Option<Date>,
    /// `MALE`, `FEMALE` or `UNKNOWN`.
    pub sex: Option<String>,
    /// Ethnic group (`Kinh`, `H'Mông` ...).
    pub ethnicity: Option<String>,
    /// ISO 3166 alpha-2 nationality.
    pub nationality: Option<String>,
    /// National ID number (CCCD) as recorded.
    pub national_id: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Phone number as recorded.
    pub phone: Option<String>,
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
