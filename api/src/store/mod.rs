//! Database access: functions over `&impl ConnectionTrait` that load rows through the caller's
//! row scope and write rows inside transactions.
//!
//! Every read here adds the policy's scope condition to its `WHERE` and selects the policy's
//! facts column, so what leaves the database is only what the caller may see, each row tagged
//! with the qualifiers the field guard needs. Nothing here decides access itself, formats SQL by
//! hand from caller input, or logs values.
//!
//! Writes to existing rows go through [`bump_version`], [`update_versioned`] and
//! [`move_status`], so a stale version (or, for a lifecycle move, a status someone else already
//! moved) is always a `CONFLICT`, never a silent overwrite.

pub(crate) mod audit;
pub(crate) mod care;
pub(crate) mod case;
pub(crate) mod decode;
pub(crate) mod history;
pub(crate) mod idempotency;
pub(crate) mod investigate;
pub(crate) mod justice;
pub(crate) mod network;
pub(crate) mod page;
pub(crate) mod person;
pub(crate) mod rendered;
pub(crate) mod search;
pub(crate) mod statistics;
pub(crate) mod tip;
pub(crate) mod workflow;
pub(crate) mod writes;

pub(crate) use writes::Writes;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, UpdateStatement};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryResult, Select, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use decode::RowModel;

use crate::policy::scope::Scoped;
use crate::policy::{RowFacts, scope::FACTS_COLUMN};

/// A row together with the policy facts the caller's scope computed for it.
#[derive(Clone, Debug)]
pub(crate) struct Faceted<M> {
    /// The database row.
    pub(crate) row: M,
    /// What the policy knows about the row for this caller.
    pub(crate) facts: RowFacts,
}

impl<M: RowModel> FromQueryResult for Faceted<M> {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let row = if pre.is_empty() {
            M::from_row(res)?
        } else {
            M::from_query_result(res, pre)?
        };
        let bits: i64 = res.try_get(pre, FACTS_COLUMN)?;
        Ok(Faceted {
            row,
            facts: RowFacts::from_bits(bits),
        })
    }
}

/// Selects `select`'s rows within `scoped.scope`, each with its facts.
pub(crate) fn scoped<E: EntityTrait>(
    select: Select<E>,
    scoped: Scoped,
) -> sea_orm::Selector<sea_orm::SelectModel<Faceted<E::Model>>>
where
    E::Model: RowModel + Send + Sync,
{
    use sea_orm::QuerySelect;
    select
        .filter(scoped.scope)
        .expr_as(crate::policy::scope::facts_expr(scoped.facts), FACTS_COLUMN)
        .into_model::<Faceted<E::Model>>()
}

/// The rows of `select` whose `column` is one of `ids`, within `scoped`, each with its facts (no
/// query at all when `ids` is empty).
pub(crate) async fn scoped_in<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    column: E::Column,
    ids: &[Uuid],
    scoped: Scoped,
) -> ApiResult<Vec<Faceted<E::Model>>>
where
    E::Model: RowModel + Send + Sync,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let select = select.filter(id_in(backend, Expr::col((E::default(), column)), ids));
    Ok(self::scoped(select, scoped).all(db).await?)
}

/// `expr IN (ids)` for a batch of ids. On PostgreSQL it is written
/// `expr = ANY(CAST((SELECT CAST($n AS uuid[])) AS uuid[]))` with the ids as one parameter, so
/// the statement text is the same for every batch size and each query is prepared once per
/// connection. The sub-select hides the ids from the planner: with the array in plain sight,
/// PostgreSQL prices a plan for the few ids of each call below its generic plan (which assumes
/// ten) and so plans every execution anew, and the scope conditions make planning cost more
/// than running (0.3–0.6 ms against 0.05–0.1 ms; BENCHMARKS.md, run `s21`). Hidden, the call's
/// plan costs what the generic one does, and the generic plan is kept after five calls.
/// SQLite keeps `IN (...)`.
pub(crate) fn id_in(backend: DbBackend, expr: Expr, ids: &[Uuid]) -> sea_orm::sea_query::Condition {
    use sea_orm::sea_query::IntoCondition;
    match backend {
        DbBackend::Postgres => Expr::cust_with_exprs(
            "$1 = ANY(CAST((SELECT CAST($2 AS uuid[])) AS uuid[]))",
            [expr, Expr::val(uuid_array(ids))],
        )
        .into_condition(),
        _ => expr.is_in(ids.iter().copied()).into_condition(),
    }
}

/// The PostgreSQL array literal of `ids` (`{id,id,...}`), the parameter of [`id_in`].
pub(crate) fn uuid_array(ids: &[Uuid]) -> String {
    let mut list = String::with_capacity(ids.len() * 37 + 2);
    list.push('{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            list.push(',');
        }
        list.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
    }
    list.push('}');
    list
}

/// Begins a write transaction. On SQLite it takes the write lock at `BEGIN` (IMMEDIATE), so two
/// writers queue on the busy timeout instead of failing when a read lock would need upgrading.
pub(crate) async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
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

/// `UPDATE table SET version = version + 1, updated_at = at WHERE id = ?`, and, with
/// `expected`, `AND version = expected` (optimistic concurrency).
fn versioned_update(
    table: &str,
    id: Uuid,
    expected: Option<i32>,
    at: DateTime<Utc>,
) -> UpdateStatement {
    let mut update = Query::update();
    update
        .table(Alias::new(table))
        .value(
            Alias::new("version"),
            Expr::col(Alias::new("version")).add(1),
        )
        .value(Alias::new("updated_at"), at)
        .and_where(Expr::col(Alias::new("id")).eq(id));
    if let Some(expected) = expected {
        update.and_where(Expr::col(Alias::new("version")).eq(expected));
    }
    update
}

/// Runs `update`; when it changed no row, the row was changed by someone else (or is gone) and
/// the write is a `CONFLICT` saying `conflict`.
async fn execute_or_conflict(
    db: &impl ConnectionTrait,
    update: &UpdateStatement,
    conflict: impl FnOnce() -> String,
) -> ApiResult<()> {
    let stmt = db.get_database_backend().build(update);
    if db.execute_raw(stmt).await?.rows_affected() == 0 {
        return Err(ApiError::Conflict(conflict()));
    }
    Ok(())
}

/// The `CONFLICT` message of a stale version of a `what`.
fn stale(what: &str) -> String {
    format!("the {what} was changed by someone else (your version is stale); reload it")
}

/// Bumps a row's version. With `expected`, only if it is still that version (optimistic
/// concurrency; stale → `CONFLICT`); without, unconditionally (a child row was added).
pub(crate) async fn bump_version(
    db: &impl ConnectionTrait,
    table: &str,
    what: &str,
    id: Uuid,
    expected: Option<i32>,
) -> ApiResult<()> {
    let mut writes = Writes::default();
    bump_version_into(&mut writes, table, what, id, expected);
    writes.run(db).await
}

/// Adds a bump of a row's version to `writes`, as [`bump_version`] runs it: with `expected`
/// only at that version, and a `CONFLICT` when no row changed.
pub(crate) fn bump_version_into(
    writes: &mut Writes,
    table: &str,
    what: &str,
    id: Uuid,
    expected: Option<i32>,
) {
    writes.update_one(versioned_update(table, id, expected, now()), stale(what));
}

/// Sets `values` on a row at version `expected`, bumping it; stale → `CONFLICT` naming the
/// `what`.
pub(crate) async fn update_versioned(
    db: &impl ConnectionTrait,
    table: &str,
    what: &str,
    id: Uuid,
    expected: i32,
    values: Vec<(&'static str, sea_orm::Value)>,
) -> ApiResult<()> {
    let mut writes = Writes::default();
    update_versioned_into(&mut writes, table, what, id, expected, values);
    writes.run(db).await
}

/// Adds [`update_versioned`]'s update to `writes`.
pub(crate) fn update_versioned_into(
    writes: &mut Writes,
    table: &str,
    what: &str,
    id: Uuid,
    expected: i32,
    values: Vec<(&'static str, sea_orm::Value)>,
) {
    let mut update = versioned_update(table, id, Some(expected), now());
    for (column, value) in values {
        update.value(Alias::new(column), value);
    }
    writes.update_one(update, stale(what));
}

/// Where rows of one kind keep their lifecycle status, for [`move_status`].
pub(crate) struct StatusColumn {
    /// The table.
    pub(crate) table: &'static str,
    /// The status column (`status`; `identification` for case parties).
    pub(crate) column: &'static str,
    /// The entity type the moves are recorded under in the status history.
    pub(crate) entity_type: &'static str,
    /// The `CONFLICT` message when the row is no longer at the version or status the move
    /// expects.
    pub(crate) conflict: &'static str,
}

/// One move of a row along its lifecycle, for [`move_status`].
pub(crate) struct StatusMove<'a> {
    /// The row.
    pub(crate) id: Uuid,
    /// The version the caller read; `None` for moves the service makes on its own (an
    /// indictment moving its case to prosecution).
    pub(crate) expected: Option<i32>,
    /// The status the caller saw (the row must still have it).
    pub(crate) from: &'a str,
    /// The new status.
    pub(crate) to: &'a str,
    /// When the move happens: the row's new `updated_at` (timestamps in `also` take it too).
    pub(crate) at: DateTime<Utc>,
    /// The other columns the move sets (resolution times, verification results ...).
    pub(crate) also: Vec<(&'static str, sea_orm::Value)>,
    /// Why, for the status history.
    pub(crate) reason: Option<String>,
}

/// Moves a row's status (the caller checked the lifecycle): sets `to` and `also` and bumps the
/// version, only while the row is still at `from` (and at `expected`, when given), else
/// `CONFLICT`; then records the move in the status history.
pub(crate) async fn move_status(
    db: &impl ConnectionTrait,
    p: &Principal,
    kind: &StatusColumn,
    m: StatusMove<'_>,
) -> ApiResult<()> {
    let mut update = versioned_update(kind.table, m.id, m.expected, m.at);
    update
        .value(Alias::new(kind.column), m.to)
        .and_where(Expr::col(Alias::new(kind.column)).eq(m.from));
    for (column, value) in m.also {
        update.value(Alias::new(column), value);
    }
    execute_or_conflict(db, &update, || kind.conflict.to_string()).await?;
    history::record(db, p, kind.entity_type, m.id, Some(m.from), m.to, m.reason).await
}

/// Whether the database answered a statement with an error (a violated constraint, a division
/// by zero, a cancelled query ...), as opposed to a failure to reach it or a connection lost
/// before its answer. A single statement answered with an error wrote nothing; one without an
/// answer may have committed.
pub(crate) fn answered_with_error(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr::SqlxError;
    match err {
        DbErr::Exec(SqlxError(e)) | DbErr::Query(SqlxError(e)) => {
            matches!(**e, sea_orm::sqlx::Error::Database(_))
        }
        _ => false,
    }
}

/// Whether a database error is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Maps an insert's error: a unique-constraint violation is a `CONFLICT` saying `message`, any
/// other error stays a database error.
pub(crate) fn conflict_if_duplicate(message: &'static str) -> impl FnOnce(DbErr) -> ApiError {
    move |err| {
        if is_unique_violation(&err) {
            ApiError::Conflict(message.into())
        } else {
            err.into()
        }
    }
}
