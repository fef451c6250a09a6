//! Embassy flags and referrals: scoped loads, pages, inserts and lifecycle moves.

use chrono::{DateTime, Utc};
use entities::{referral, victim_flag};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::Faceted;
use super::page::{Cursor, Edge, Page, count_fn};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::policy::scope;

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
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = victim_flag::Entity::find().filter(victim_flag::Column::Id.is_in(ids.iter().copied()));
    Ok(super::scoped(q, scope::flags(p, "victim_flag"))
        .all(db)
        .await?)
}

/// The visible flags of these cases.
pub(crate) async fn flags_of_cases(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<FlagView>> {
    if case_ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = victim_flag::Entity::find()
        .filter(victim_flag::Column::CaseId.is_in(case_ids.iter().copied()))
        .order_by_asc(victim_flag::Column::Id);
    Ok(super::scoped(q, scope::flags(p, "victim_flag"))
        .all(db)
        .await?)
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
    let mut q = victim_flag::Entity::find().filter(base.clone());
    if let Some(c) = after {
        q = q.filter(victim_flag::Column::Id.lt(c.id));
    }
    let mut rows = super::scoped(
        q.order_by(victim_flag::Column::Id, Order::Desc)
            .limit(first + 1),
        scope::flags(p, "victim_flag"),
    )
    .all(db)
    .await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let edges = rows
        .into_iter()
        .map(|node| Edge {
            cursor: Cursor {
                sort: "CREATED".into(),
                key: None,
                id: node.row.id,
            }
            .encode(),
            node,
        })
        .collect();
    let count = count_fn(
        db,
        victim_flag::Entity::find()
            .filter(scope::flags(p, "victim_flag").scope)
            .filter(base),
    );
    Ok(Page {
        edges,
        has_next,
        count: Some(count),
    })
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
    let now = super::now();
    let mut update = victim_flag::Entity::update_many()
        .col_expr(victim_flag::Column::Status, Expr::val(to))
        .col_expr(
            victim_flag::Column::Version,
            Expr::col(victim_flag::Column::Version).add(1),
        )
        .col_expr(victim_flag::Column::UpdatedAt, Expr::val(now))
        .filter(victim_flag::Column::Id.eq(id))
        .filter(victim_flag::Column::Version.eq(expected))
        .filter(victim_flag::Column::Status.eq(from));
    if let Some(v) = change.verification_status {
        update = update.col_expr(victim_flag::Column::VerificationStatus, Expr::val(v));
    }
    if let Some(v) = change.verification_result {
        update = update.col_expr(victim_flag::Column::VerificationResult, Expr::val(Some(v)));
    }
    if change.requested {
        update = update.col_expr(
            victim_flag::Column::VerificationRequestedAt,
            Expr::val(Some(now)),
        );
    }
    if change.verified {
        update = update.col_expr(victim_flag::Column::VerifiedAt, Expr::val(Some(now)));
    }
    if let Some(case) = change.case_id {
        update = update.col_expr(victim_flag::Column::CaseId, Expr::val(Some(case)));
    }
    if update.exec(db).await?.rows_affected == 0 {
        return Err(ApiError::Conflict(
            "the flag was changed by someone else (your version is stale); reload it".into(),
        ));
    }
    super::history::record(db, p, "VictimFlag", id, Some(from), to, reason).await
}

/// Referrals by id, in the caller's scope.
pub(crate) async fn referrals_by_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
) -> ApiResult<Vec<ReferralView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = referral::Entity::find().filter(referral::Column::Id.is_in(ids.iter().copied()));
    Ok(super::scoped(q, scope::referrals(p, "referral"))
        .all(db)
        .await?)
}

/// The visible referrals of these cases.
pub(crate) async fn referrals_of_cases(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<ReferralView>> {
    if case_ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = referral::Entity::find()
        .filter(referral::Column::CaseId.is_in(case_ids.iter().copied()))
        .order_by_asc(referral::Column::Id);
    Ok(super::scoped(q, scope::referrals(p, "referral"))
        .all(db)
        .await?)
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
    let mut q = referral::Entity::find().filter(base.clone());
    if let Some(c) = after {
        q = q.filter(referral::Column::Id.lt(c.id));
    }
    let mut rows = super::scoped(
        q.order_by(referral::Column::Id, Order::Desc)
            .limit(first + 1),
        scope::referrals(p, "referral"),
    )
    .all(db)
    .await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let edges = rows
        .into_iter()
        .map(|node| Edge {
            cursor: Cursor {
                sort: "CREATED".into(),
                key: None,
                id: node.row.id,
            }
            .encode(),
            node,
        })
        .collect();
    let count = count_fn(
        db,
        referral::Entity::find()
            .filter(scope::referrals(p, "referral").scope)
            .filter(base),
    );
    Ok(Page {
        edges,
        has_next,
        count: Some(count),
    })
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

/// Moves a referral (the caller checked the lifecycle) and records the move.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn move_referral(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    expected: i32,
    from: &str,
    to: &str,
    text: Option<String>,
) -> ApiResult<()> {
    let now = super::now();
    let mut update = referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::val(to))
        .col_expr(
            referral::Column::Version,
            Expr::col(referral::Column::Version).add(1),
        )
        .col_expr(referral::Column::UpdatedAt, Expr::val(now))
        .filter(referral::Column::Id.eq(id))
        .filter(referral::Column::Version.eq(expected))
        .filter(referral::Column::Status.eq(from));
    update = match to {
        "ACCEPTED" => update.col_expr(referral::Column::RespondedAt, Expr::val(Some(now))),
        "DECLINED" | "REVOKED" => update
            .col_expr(referral::Column::RespondedAt, Expr::val(Some(now)))
            .col_expr(referral::Column::DeclineReason, Expr::val(text.clone())),
        "COMPLETED" => update
            .col_expr(referral::Column::CompletedAt, Expr::val(Some(now)))
            .col_expr(referral::Column::Outcome, Expr::val(text.clone())),
        _ => update,
    };
    if update.exec(db).await?.rows_affected == 0 {
        return Err(ApiError::Conflict(
            "the referral was changed by someone else (your version is stale); reload it".into(),
        ));
    }
    super::history::record(db, p, "Referral", id, Some(from), to, text).await
}
