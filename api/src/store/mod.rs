//! Database access: functions over `&impl ConnectionTrait` that load rows through the caller's
//! row scope and write rows inside transactions.
//!
//! Every read here adds the policy's scope condition to its `WHERE` and selects the policy's
//! facts column, so what leaves the database is only what the caller may see, each row tagged
//! with the qualifiers the field guard needs. Nothing here decides access itself, formats SQL by
//! hand from caller input, or logs values.

pub(crate) mod audit;
pub(crate) mod care;
pub(crate) mod case;
pub(crate) mod history;
pub(crate) mod idempotency;
pub(crate) mod justice;
pub(crate) mod network;
pub(crate) mod page;
pub(crate) mod person;
pub(crate) mod tip;
pub(crate) mod workflow;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    FromQueryResult, QueryResult, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::error::{ApiError, ApiResult};

use crate::policy::{RowFacts, scope::FACTS_COLUMN};

/// A row together with the policy facts the caller's scope computed for it.
#[derive(Clone, Debug)]
pub(crate) struct Faceted<M> {
    /// The database row.
    pub(crate) row: M,
    /// What the policy knows about the row for this caller.
    pub(crate) facts: RowFacts,
}

impl<M: FromQueryResult> FromQueryResult for Faceted<M> {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let row = M::from_query_result(res, pre)?;
        let bits: i64 = res.try_get(pre, FACTS_COLUMN)?;
        Ok(Faceted {
            row,
            facts: RowFacts::from_bits(bits),
        })
    }
}

/// Selects `select`'s rows within `scoped.scope`, each with its facts.
pub(crate) fn scoped<E: sea_orm::EntityTrait>(
    select: sea_orm::Select<E>,
    scoped: crate::policy::scope::Scoped,
) -> sea_orm::Selector<sea_orm::SelectModel<Faceted<E::Model>>>
where
    E::Model: FromQueryResult + Sized + Send + Sync,
{
    use sea_orm::{QueryFilter, QuerySelect};
    select
        .filter(scoped.scope)
        .expr_as(crate::policy::scope::facts_expr(scoped.facts), FACTS_COLUMN)
        .into_model::<Faceted<E::Model>>()
}

/// Begins a write transaction. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE), so two
/// writers queue on the busy timeout instead of failing when a read lock would need upgrading.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: Some(AccessMode::ReadWrite),
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            })
            .await
        }
        _ => db.begin().await,
    }
}

/// Now, truncated to microseconds so values round-trip exactly on both databases.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A new UUIDv7 id.
pub(crate) fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// Encodes a list as the JSON array text stored in list columns.
pub(crate) fn json_list<S: AsRef<str>>(items: &[S]) -> String {
    serde_json::to_string(&items.iter().map(AsRef::as_ref).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".to_string())
}

/// Decodes a JSON array text column; a malformed value reads as empty.
pub(crate) fn parse_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Bumps a row's version. With `expected`, only if it is still that version (optimistic
/// concurrency; stale → `CONFLICT`); without, unconditionally (a child row was added).
pub(crate) async fn bump_version(
    db: &impl ConnectionTrait,
    table: &str,
    what: &str,
    id: uuid::Uuid,
    expected: Option<i32>,
) -> ApiResult<()> {
    let mut update = Query::update();
    update
        .table(Alias::new(table))
        .value(
            Alias::new("version"),
            Expr::col(Alias::new("version")).add(1),
        )
        .value(Alias::new("updated_at"), now())
        .and_where(Expr::col(Alias::new("id")).eq(id));
    if let Some(expected) = expected {
        update.and_where(Expr::col(Alias::new("version")).eq(expected));
    }
    let stmt = db.get_database_backend().build(&update);
    if db.execute_raw(stmt).await?.rows_affected() == 0 {
        return Err(ApiError::Conflict(format!(
            "the {what} was changed by someone else (your version is stale); reload it"
        )));
    }
    Ok(())
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
