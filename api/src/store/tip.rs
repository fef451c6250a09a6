//! Tips (hotline 111 calls and other reports): scoped pages, per-channel statistics, inserts
//! and status moves.

use chrono::{DateTime, Utc};
use entities::tip;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use uuid::Uuid;

use super::page::{Cursor, Page};
use super::{Faceted, StatusColumn, StatusMove};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::policy::scope::{self, tables};

/// A tip with its facts.
pub(crate) type TipView = Faceted<tip::Model>;

/// Filters of `tips`.
#[derive(Clone, Debug, Default)]
pub(crate) struct TipFilter {
    pub(crate) channel: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) province: Option<String>,
    pub(crate) received_from: Option<DateTime<Utc>>,
    pub(crate) received_to: Option<DateTime<Utc>>,
}

fn condition(f: &TipFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(v) = &f.channel {
        c = c.add(tip::Column::Channel.eq(v.as_str()));
    }
    if let Some(v) = &f.status {
        c = c.add(tip::Column::Status.eq(v.as_str()));
    }
    if let Some(v) = &f.province {
        c = c.add(tip::Column::Province.eq(v.as_str()));
    }
    if let Some(v) = f.received_from {
        c = c.add(tip::Column::ReceivedAt.gte(v));
    }
    if let Some(v) = f.received_to {
        c = c.add(tip::Column::ReceivedAt.lt(v));
    }
    c
}

/// Tips by id, in the caller's scope.
pub(crate) async fn by_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
) -> ApiResult<Vec<TipView>> {
    super::scoped_in(
        db,
        tip::Entity::find(),
        tip::Column::Id,
        ids,
        scope::tips(p, "tip"),
    )
    .await
}

/// One page of tips, newest first.
pub(crate) async fn page(
    db: &DatabaseConnection,
    p: &Principal,
    filter: &TipFilter,
    after: Option<&Cursor>,
    first: u64,
) -> ApiResult<Page<TipView>> {
    super::page::newest_first::<tip::Entity>(
        db,
        condition(filter),
        tip::Column::Id,
        scope::tips(p, "tip"),
        "RECEIVED",
        after,
        first,
    )
    .await
}

/// Per channel: tips received, resolved, and the mean hours from receipt to resolution.
pub(crate) struct ChannelStats {
    pub(crate) channel: String,
    pub(crate) received: i64,
    pub(crate) resolved: i64,
    pub(crate) mean_hours: Option<f64>,
}

/// Tip statistics per channel over `[from, to)`, in the caller's scope (set-based: one
/// `GROUP BY`, resolution times averaged in Rust over the resolved rows' two timestamps only).
pub(crate) async fn channel_stats(
    db: &DatabaseConnection,
    p: &Principal,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ApiResult<Vec<ChannelStats>> {
    let filter = TipFilter {
        received_from: from,
        received_to: to,
        ..Default::default()
    };
    let scope = scope::aggregate(p, crate::policy::Class::Tips, scope::tips(p, "tip").scope);
    let mut q = Query::select();
    q.column(Alias::new("channel"))
        .expr_as(Expr::col(Alias::new("id")).count(), Alias::new("received"))
        .expr_as(
            Expr::col(Alias::new("resolved_at")).count(),
            Alias::new("resolved"),
        )
        .from(Alias::new("tip"))
        .cond_where(scope)
        .cond_where(condition(&filter))
        .group_by_col(Alias::new("channel"))
        .order_by(Alias::new("channel"), Order::Asc);
    let stmt = db.get_database_backend().build(&q);
    let mut out = Vec::new();
    for row in db.query_all_raw(stmt).await? {
        out.push(ChannelStats {
            channel: row.try_get("", "channel")?,
            received: row.try_get("", "received")?,
            resolved: row.try_get("", "resolved")?,
            mean_hours: None,
        });
    }
    // Mean time to resolution: portable across backends by reading the two timestamps of the
    // resolved tips of the period (bounded by the period, not by the table).
    let mut times = Query::select();
    times
        .columns([
            Alias::new("channel"),
            Alias::new("received_at"),
            Alias::new("resolved_at"),
        ])
        .from(Alias::new("tip"))
        .cond_where(scope::aggregate(
            p,
            crate::policy::Class::Tips,
            scope::tips(p, "tip").scope,
        ))
        .cond_where(condition(&filter))
        .and_where(Expr::col(Alias::new("resolved_at")).is_not_null())
        .limit(100_000);
    let stmt = db.get_database_backend().build(&times);
    let mut sums: std::collections::HashMap<String, (f64, i64)> = std::collections::HashMap::new();
    for row in db.query_all_raw(stmt).await? {
        let channel: String = row.try_get("", "channel")?;
        let received: DateTime<Utc> = row.try_get("", "received_at")?;
        let resolved: DateTime<Utc> = row.try_get("", "resolved_at")?;
        let e = sums.entry(channel).or_default();
        e.0 += (resolved - received).num_seconds() as f64 / 3600.0;
        e.1 += 1;
    }
    for s in out.iter_mut() {
        s.mean_hours = sums
            .get(&s.channel)
            .filter(|(_, n)| *n > 0)
            .map(|(h, n)| h / *n as f64);
    }
    Ok(out)
}

/// Values of a new tip.
pub(crate) struct NewTip {
    pub(crate) channel: String,
    pub(crate) received_at: DateTime<Utc>,
    pub(crate) summary: String,
    pub(crate) urgency: String,
    pub(crate) potential_victim_count: Option<i32>,
    pub(crate) province: Option<String>,
}

/// Inserts a tip (status `RECEIVED`) and records its creation.
pub(crate) async fn insert(db: &impl ConnectionTrait, p: &Principal, n: NewTip) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    tip::Entity::insert(tip::ActiveModel {
        id: Set(id),
        channel: Set(n.channel),
        received_at: Set(n.received_at),
        summary: Set(n.summary),
        urgency: Set(n.urgency),
        potential_victim_count: Set(n.potential_victim_count),
        status: Set("RECEIVED".into()),
        resolved_at: Set(None),
        forwarded_to: Set(None),
        case_id: Set(None),
        province: Set(n.province),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await?;
    super::history::record(db, p, "Tip", id, None, "RECEIVED", None).await?;
    Ok(id)
}

/// Where tips keep their status.
const STATUS: StatusColumn = StatusColumn {
    table: tables::TIP,
    column: "status",
    entity_type: "Tip",
    conflict: "the tip was changed by someone else (your version is stale); reload it",
};

/// Moves a tip (the caller checked the lifecycle); resolution statuses stamp `resolvedAt`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn set_status(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    expected: i32,
    from: &str,
    to: &str,
    forwarded_to: Option<String>,
    case_id: Option<Uuid>,
    reason: Option<String>,
) -> ApiResult<()> {
    let at = super::now();
    let mut also = Vec::new();
    if matches!(to, "CASE_OPENED" | "UNFOUNDED" | "FORWARDED") {
        also.push(("resolved_at", Some(at).into()));
    }
    if let Some(agency) = forwarded_to {
        also.push(("forwarded_to", Some(agency).into()));
    }
    if let Some(case) = case_id {
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
    super::move_status(db, p, &STATUS, change).await
}
