//! Embassy flags and referrals: scoped loads, pages, inserts and lifecycle moves.

use chrono::{DateTime, Utc};
use entities::{referral, victim_flag};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder, Set};
use uuid::Uuid;

use super::page::{Cursor, Page};
use super::{Faceted, StatusColumn, StatusMove};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::policy::scope::{self, tables};

/// A flag with its facts.
pub(crate) type FlagView = Faceted<victim_flag::Model>;
/// A referral with its facts.
pub(crate) type ReferralView = Faceted<referral::Model>;

/// Flags by id, in the caller's scope.
pub(crate) async fn flags_by_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
) -> ApiResult<Vec<FlagView>> {
    super::scoped_in(
        db,
        victim_flag::Entity::find(),
        victim_flag::Column::Id,
        ids,
        scope::flags(p, "victim_flag"),
    )
    .await
}

/// The visible flags of these cases.
pub(crate) async fn flags_of_cases(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<FlagView>> {
    super::scoped_in(
        db,
        victim_flag::Entity::find().order_by_asc(victim_flag::Column::Id),
        victim_flag::Column::CaseId,
        case_ids,
        scope::flags(p, "victim_flag"),
    )
    .await
}

/// One page of flags, newest first.
pub(crate) async fn flags_page(
    db: &DatabaseConnection,
    p: &Principal,
    status: Option<String>,
    after: Option<&Cursor>,
    first: u64,
) -> ApiResult<Page<FlagView>> {
    let mut base = Condition::all();
    if let Some(s) = status {
        base = base.add(victim_flag::Column::Status.eq(s));
    }
    super::page::newest_first::<victim_flag::Entity>(
        db,
        base,
        victim_flag::Column::Id,
        scope::flags(p, "victim_flag"),
        "CREATED",
        after,
        first,
    )
    .await
}

/// Values of a new flag.
pub(crate) struct NewFlag {
    pub(crate) mission: String,
    pub(crate) host_country: String,
    pub(crate) location: Option<String>,
    pub(crate) circumstances: String,
    pub(crate) urgency: String,
    pub(crate) person_id: Uuid,
    pub(crate) case_id: Option<Uuid>,
}

/// Inserts a flag (status `FLAGGED`) and records its creation.
pub(crate) async fn insert_flag(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: NewFlag,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    victim_flag::Entity::insert(victim_flag::ActiveModel {
        id: Set(id),
        mission: Set(n.mission),
        mission_unit: Set(p.unit.clone()),
        host_country: Set(n.host_country),
        location: Set(n.location),
        circumstances: Set(n.circumstances),
        urgency: Set(n.urgency),
        person_id: Set(n.person_id),
        status: Set("FLAGGED".into()),
        verification_status: Set("NOT_REQUESTED".into()),
        verification_requested_at: Set(None),
        verification_result: Set(None),
        verified_at: Set(None),
        case_id: Set(n.case_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await?;
    super::history::record(db, p, "VictimFlag", id, None, "FLAGGED", None).await?;
    Ok(id)
}

/// Changes to apply with a flag move.
#[derive(Default)]
pub(crate) struct FlagChange {
    pub(crate) verification_status: Option<String>,
    pub(crate) verification_result: Option<String>,
    pub(crate) requested: bool,
    pub(crate) verified: bool,
    pub(crate) case_id: Option<Uuid>,
}

/// Where flags keep their status.
const FLAG_STATUS: StatusColumn = StatusColumn {
    table: tables::FLAG,
    column: "status",
    entity_type: "VictimFlag",
    conflict: "the flag was changed by someone else (your version is stale); reload it",
};

/// Moves a flag (the caller checked the lifecycle) and records the move.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn move_flag(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    expected: i32,
    from: &str,
    to: &str,
    change: FlagChange,
    reason: Option<String>,
) -> ApiResult<()> {
    let at = super::now();
    let mut also = Vec::new();
    if let Some(v) = change.verification_status {
        also.push(("verification_status", v.into()));
    }
    if let Some(v) = change.verification_result {
        also.push(("verification_result", Some(v).into()));
    }
    if change.requested {
        also.push(("verification_requested_at", Some(at).into()));
    }
    if change.verified {
        also.push(("verified_at", Some(at).into()));
    }
    if let Some(case) = change.case_id {
        also.push(("case_id", Some(case).into()));
    }
    let change = StatusMove {
        id,
        expected: Some(expected),
        from,
        to,
        at,
        also,
        reason,
    };
    super::move_status(db, p, &FLAG_STATUS, change).await
}

/// Referrals by id, in the caller's scope.
pub(crate) async fn referrals_by_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
) -> ApiResult<Vec<ReferralView>> {
    super::scoped_in(
        db,
        referral::Entity::find(),
        referral::Column::Id,
        ids,
        scope::referrals(p, "referral"),
    )
    .await
}

/// The visible referrals of these cases.
pub(crate) async fn referrals_of_cases(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<ReferralView>> {
    super::scoped_in(
        db,
        referral::Entity::find().order_by_asc(referral::Column::Id),
        referral::Column::CaseId,
        case_ids,
        scope::referrals(p, "referral"),
    )
    .await
}

/// Which referrals of the caller a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Sent by the caller's agency.
    Sent,
    /// Addressed to the caller's agency.
    Received,
    /// Both.
    Any,
}

/// One page of referrals, newest first; `overdue_at` keeps only those still unanswered after it.
pub(crate) async fn referrals_page(
    db: &DatabaseConnection,
    p: &Principal,
    direction: Direction,
    status: Option<String>,
    overdue_at: Option<DateTime<Utc>>,
    after: Option<&Cursor>,
    first: u64,
) -> ApiResult<Page<ReferralView>> {
    let me = p.agency.code();
    let mut base = Condition::all();
    base = match direction {
        Direction::Sent => base.add(referral::Column::FromAgency.eq(me)),
        Direction::Received => base.add(referral::Column::ToAgency.eq(me)),
        Direction::Any => base,
    };
    if let Some(s) = status {
        base = base.add(referral::Column::Status.eq(s));
    }
    if let Some(at) = overdue_at {
        base = base
            .add(referral::Column::Status.eq("SENT"))
            .add(referral::Column::DueAt.lt(at));
    }
    super::page::newest_first::<referral::Entity>(
        db,
        base,
        referral::Column::Id,
        scope::referrals(p, "referral"),
        "CREATED",
        after,
        first,
    )
    .await
}

/// Values of a new referral.
pub(crate) struct NewReferral {
    pub(crate) to_agency: String,
    pub(crate) person_id: Uuid,
    pub(crate) case_id: Option<Uuid>,
    pub(crate) purpose: String,
    pub(crate) services: Vec<String>,
    pub(crate) consent: String,
    pub(crate) consent_reason: Option<String>,
    pub(crate) shared_fields: Vec<String>,
    pub(crate) due_at: DateTime<Utc>,
}

/// Inserts a referral (status `SENT`) and records its creation.
pub(crate) async fn insert_referral(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: NewReferral,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    referral::Entity::insert(referral::ActiveModel {
        id: Set(id),
        from_agency: Set(p.agency.code().to_string()),
        to_agency: Set(n.to_agency),
        person_id: Set(n.person_id),
        case_id: Set(n.case_id),
        purpose: Set(n.purpose),
        services: Set(super::json_list(&n.services)),
        consent: Set(n.consent),
        consent_reason: Set(n.consent_reason),
        shared_fields: Set(super::json_list(&n.shared_fields)),
        status: Set("SENT".into()),
        due_at: Set(n.due_at),
        responded_at: Set(None),
        completed_at: Set(None),
        outcome: Set(None),
        decline_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await?;
    super::history::record(db, p, "Referral", id, None, "SENT", None).await?;
    Ok(id)
}

/// Where referrals keep their status.
const REFERRAL_STATUS: StatusColumn = StatusColumn {
    table: tables::REFERRAL,
    column: "status",
    entity_type: "Referral",
    conflict: "the referral was changed by someone else (your version is stale); reload it",
};

/// Moves a referral (the caller checked the lifecycle) and records the move; `text` is the
/// decline or revocation reason, or the outcome of a completion.
pub(crate) async fn move_referral(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    expected: i32,
    from: &str,
    to: &str,
    text: Option<String>,
) -> ApiResult<()> {
    let at = super::now();
    let also = match to {
        "ACCEPTED" => vec![("responded_at", Some(at).into())],
        "DECLINED" | "REVOKED" => vec![
            ("responded_at", Some(at).into()),
            ("decline_reason", text.clone().into()),
        ],
        "COMPLETED" => vec![
            ("completed_at", Some(at).into()),
            ("outcome", text.clone().into()),
        ],
        _ => Vec::new(),
    };
    let change = StatusMove {
        id,
        expected: Some(expected),
        from,
        to,
        at,
        also,
        reason: text,
    };
    super::move_status(db, p, &REFERRAL_STATUS, change).await
}
