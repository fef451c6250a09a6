//! Reading the audit trail through the caller's scope.

use chrono::{DateTime, Utc};
use entities::audit_event;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::page::{Cursor, Page};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::policy::scope;

/// Filters of `auditEvents`.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuditFilter {
    pub(crate) person_id: Option<Uuid>,
    pub(crate) entity_id: Option<Uuid>,
    pub(crate) entity_type: Option<String>,
    pub(crate) agency: Option<String>,
    pub(crate) subject: Option<String>,
    pub(crate) from: Option<DateTime<Utc>>,
    pub(crate) to: Option<DateTime<Utc>>,
    pub(crate) outcome: Option<String>,
    pub(crate) action: Option<String>,
}

fn condition(f: &AuditFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(v) = f.person_id {
        c = c.add(audit_event::Column::PersonId.eq(v));
    }
    if let Some(v) = f.entity_id {
        c = c.add(audit_event::Column::EntityId.eq(v));
    }
    if let Some(v) = &f.entity_type {
        c = c.add(audit_event::Column::EntityType.eq(v.as_str()));
    }
    if let Some(v) = &f.agency {
        c = c.add(audit_event::Column::Agency.eq(v.as_str()));
    }
    if let Some(v) = &f.subject {
        c = c.add(audit_event::Column::Subject.eq(v.as_str()));
    }
    if let Some(v) = f.from {
        c = c.add(audit_event::Column::At.gte(v));
    }
    if let Some(v) = f.to {
        c = c.add(audit_event::Column::At.lt(v));
    }
    if let Some(v) = &f.outcome {
        c = c.add(audit_event::Column::Outcome.eq(v.as_str()));
    }
    if let Some(v) = &f.action {
        c = c.add(audit_event::Column::Action.eq(v.as_str()));
    }
    c
}

/// One page of events, newest first.
pub(crate) async fn page(
    db: &DatabaseConnection,
    p: &Principal,
    filter: &AuditFilter,
    after: Option<&Cursor>,
    first: u64,
) -> ApiResult<Page<audit_event::Model>> {
    let scope = scope::audit_scope(p, "audit_event");
    let base = condition(filter);
    let mut query = audit_event::Entity::find()
        .filter(scope.clone())
        .filter(base.clone());
    if let Some(c) = after {
        let seq: i64 = c
            .key
            .as_deref()
            .and_then(|k| k.parse().ok())
            .ok_or_else(|| ApiError::bad_input("after", "not a cursor returned by this query"))?;
        query = query.filter(audit_event::Column::Seq.lt(seq));
    }
    let rows = query
        .order_by_desc(audit_event::Column::Seq)
        .limit(first + 1)
        .all(db)
        .await?;
    let count = super::page::count_fn(db, audit_event::Entity::find().filter(scope).filter(base));
    Page::from_rows(
        rows,
        first,
        |node| {
            Ok(Cursor {
                sort: "SEQ".into(),
                key: Some(node.seq.to_string()),
                id: Uuid::nil(),
            })
        },
        count,
    )
}
