//! `victim_flag`: an embassy's flag of a suspected victim abroad.

use sea_orm::entity::prelude::*;

/// One flag.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "victim_flag")]
pub struct Model {
    /// UUIDv7 primary key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The mission (embassy or consulate) that flagged.
    pub mission: String,
    /// The token unit of the flagging mission.
    pub mission_unit: Option<String>,
    /// ISO alpha-2 country where the person is.
    pub host_country: String,
    /// Where the person is (sensitive).
    pub location: Option<String>,
    /// What is known.
    pub circumstances: String,
    /// `LOW` .. `CRITICAL`.
    pub urgency: String,
    /// The person (provisional identity).
    pub person_id: Uuid,
    /// Lifecycle status (DESIGN §4.1).
    pub status: String,
    /// `NOT_REQUESTED`, `REQUESTED`, `CONFIRMED` or `NOT_CONFIRMED`.
    pub verification_status: String,
    /// When verification was asked of police.
    pub verification_requested_at: Option<DateTimeUtc>,
    /// What police found.
    pub verification_result: Option<String>,
    /// When police answered.
    pub verified_at: Option<DateTimeUtc>,
    /// The case, once linked.
    pub case_id: Option<Uuid>,
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
