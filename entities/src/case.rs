//! `case`: a trafficking case as recorded by its lead agency.

use sea_orm::entity::prelude::*;

/// One case row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_record")]
pub struct Model {
    /// UUIDv7 primary key (time-ordered, so keyset pages follow creation order).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Case number, unique per lead agency.
    pub case_number: String,
    /// Short title.
    pub title: String,
    /// Lifecycle status (DESIGN §4.1), e.g. `UNDER_INVESTIGATION`.
    pub status: String,
    /// Agency code of the lead agency.
    pub lead_agency: String,
    /// Province code where the case is handled (jurisdiction scope).
    pub province: String,
    /// When the case was opened.
    pub opened_at: DateTimeUtc,
    /// When the case was closed, if it was.
    pub closed_at: Option<DateTimeUtc>,
    /// `ART_150` or `ART_151`.
    pub legal_basis: String,
    /// Whether the case crosses a national border.
    pub transnational: bool,
    /// Whether an organized group is involved.
    pub organized_group: bool,
    /// JSON array of exploitation form codes.
    pub exploitation_forms: String,
    /// JSON array of recruitment method codes.
    pub recruitment_methods: String,
    /// JSON array of platform names (Facebook, Zalo ...).
    pub recruitment_platforms: String,
    /// JSON array of ISO 3166 alpha-2 codes (route and destination).
    pub countries: String,
    /// Handling code `H0`..`H3` (DESIGN §5.4).
    pub handling_code: String,
    /// Restriction text for `H3`.
    pub handling_restriction: Option<String>,
    /// Investigative narrative.
    pub summary: Option<String>,
    /// Source reliability `A`, `B`, `C` or `X`.
    pub source_reliability: Option<String>,
    /// Information accuracy 1..4.
    pub information_accuracy: Option<i32>,
    /// Optimistic-concurrency version, starting at 1.
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
