//! The one way mutations write: a transaction, the idempotency key, the audit events of the
//! write, and a commit, in that order.
//!
//! A mutation starts with [`mutation_input`] (the caller's context, refused for read-only
//! tokens, and its `input`), loads the rows it names through the caller's scope (cases with
//! `case::load_named`, other rows with [`load_scoped_or_not_found`]), and its body runs inside
//! [`transact`] and returns the id of the row it produced. If the call carries an
//! `idempotencyKey` already used by the caller's agency for the same operation, the body does not
//! run and the first result's id is returned; calls with one key made at once run one after the
//! other (`idempotency::lock`), so each retry finds the first result. Nothing is written unless everything commits
//! together. The response is reloaded through the caller's scope ([`reload`] for a row found
//! among its parent's).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::dynamic::ResolverContext;
use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DatabaseTransaction, QueryResult};

use uuid::Uuid;

use super::context::RequestCtx;
use super::input::Input;
use crate::audit::AuditEntity;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, Writes, idempotency};

/// A mutation body: writes through the transaction and returns the row it produced (for the
/// write's audit event and the response).
pub(crate) type Body<'c> = Pin<Box<dyn Future<Output = ApiResult<AuditEntity>> + Send + 'c>>;

/// Reads `idempotencyKey` from an input object.
pub(crate) fn key_of(input: &super::input::Input<'_>) -> ApiResult<Option<String>> {
    input.string("idempotencyKey", idempotency::MAX_KEY)
}

/// Runs `body` in a write transaction with idempotency and audit; returns the produced id.
///
/// The write is audited as one event of `operation` naming the produced row, its person and the
/// input `fields` written, appended in the same transaction.
pub(crate) async fn transact<F>(
    req: &RequestCtx,
    operation: &'static str,
    key: Option<String>,
    fields: Vec<String>,
    body: F,
) -> ApiResult<Uuid>
where
    F: for<'c> FnOnce(&'c DatabaseTransaction) -> Body<'c>,
{
    let agency = req.principal.agency.code();
    let txn = store::begin_write(&req.db).await?;
    if let Some(key) = &key {
        // Calls with one key run one after the other: a concurrent retry waits here and then
        // finds the first call's result.
        idempotency::lock(&txn, agency, key).await?;
        if let Some(id) = idempotency::lookup(&txn, agency, key, operation).await? {
            txn.rollback().await?;
            return Ok(id);
        }
    }
    let entity = body(&txn).await?;
    let id = entity.id;
    req.audit.written(operation, entity, written(fields));
    if let Some(key) = &key
        && let Err(err) = idempotency::remember(&txn, agency, key, operation, id).await
    {
        req.audit.discard_writes();
        if store::is_unique_violation(&err) {
            // A concurrent call with the same key committed first: its result stands.
            txn.rollback().await?;
            return idempotency::lookup(&req.db, agency, key, operation)
                .await?
                .ok_or_else(|| {
                    ApiError::Conflict("idempotencyKey is being used concurrently".into())
                });
        }
        return Err(err.into());
    }
    // On PostgreSQL the audit writer announces the events when it seals the write event.
    let after_commit = match &req.events {
        Some(bus) => bus.after_commit(crate::events::events_of(operation, id, None)),
        None => Vec::new(),
    };
    if let Err(err) = crate::audit::append_writes(&txn, req).await {
        req.audit.discard_writes();
        return Err(err);
    }
    txn.commit().await?;
    if let Some(bus) = &req.events {
        bus.send_local(after_commit);
    }
    Ok(id)
}

/// The input fields a write event names: all given but the idempotency key.
fn written(fields: Vec<String>) -> Vec<String> {
    fields
        .into_iter()
        .filter(|f| f != "idempotencyKey")
        .collect()
}

/// What [`apply`] wrote.
pub(crate) struct Applied {
    /// The produced row's id.
    pub(crate) id: Uuid,
    /// The rows of the main query, when the writes went as one statement with it; `None` when
    /// they went step by step (the caller then loads the row itself).
    pub(crate) rows: Option<Vec<QueryResult>>,
}

/// Runs a mutation's `writes`, which produce `entity`, with idempotency and audit, as
/// [`transact`] does.
///
/// On PostgreSQL, without an idempotency key, the writes and the write's audit event go to the
/// database as one statement (one round trip, atomic on its own; `store::writes`). Its change
/// events are announced when the audit writer seals the event, as for every PostgreSQL write.
/// If PostgreSQL refuses that statement (a stale version, a taken value), nothing of it was
/// written, and the same writes run again through [`transact`], which checks them one by one
/// and answers with the exact error. If it gives no answer (a lost connection), the write may
/// have committed: that is an internal error, not retried. With a key, or on SQLite, only the
/// transaction.
///
/// `main`, when given, is a query over a [`Writes::returned`] step (the written row as the
/// caller sees it): when the writes go as one statement with no checked step, the statement
/// answers with its rows ([`Applied::rows`]). Otherwise the caller loads the row itself.
pub(crate) async fn apply(
    req: &RequestCtx,
    operation: &'static str,
    key: Option<String>,
    fields: Vec<String>,
    writes: Writes,
    entity: AuditEntity,
    main: Option<SelectStatement>,
) -> ApiResult<Applied> {
    if key.is_none() && Writes::combinable(req.db.get_database_backend()) {
        req.audit
            .written(operation, entity, written(fields.clone()));
        if let Some(stage) = crate::audit::stage_statement(req) {
            let done = match writes.combined(stage, main) {
                (statement, true) => req.db.query_all(&statement).await.map(Some),
                (statement, false) => req.db.execute(&statement).await.map(|_| None),
            };
            match done {
                Ok(rows) => {
                    crate::audit::staged_by(req);
                    return Ok(Applied {
                        id: entity.id,
                        rows,
                    });
                }
                Err(err) if store::answered_with_error(&err) => {
                    // PostgreSQL refused the statement, so nothing of it was written; the
                    // transaction below reports why (no values logged).
                    tracing::debug!(operation, "combined write failed; running it step by step");
                }
                Err(err) => {
                    // No answer (the connection failed): the statement may have committed. Running
                    // the writes again would fail on the ids it wrote and report a false
                    // conflict, so the outcome stays unknown to the caller (`INTERNAL`, logged),
                    // who retries with an idempotency key or reloads. The event, if written,
                    // was staged with the write.
                    crate::audit::staged_by(req);
                    return Err(err.into());
                }
            }
        }
    }
    let id = transact(req, operation, key, fields, move |txn| {
        Box::pin(async move {
            writes.run(txn).await?;
            Ok(entity)
        })
    })
    .await?;
    Ok(Applied { id, rows: None })
}

/// Whether the caller may not write at all with this token (checked before any work).
pub(crate) fn ensure_writable(req: &RequestCtx) -> ApiResult<()> {
    if req.principal.read_only() {
        return Err(ApiError::forbidden(
            "a read-only token (ctex:read) may not write",
        ));
    }
    Ok(())
}

/// The prelude of every mutation: the caller's context (a read-only token is refused before any
/// work) and the `input` argument.
pub(crate) fn mutation_input<'a>(
    ctx: &'a ResolverContext<'_>,
) -> ApiResult<(&'a RequestCtx, Input<'a>)> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    ensure_writable(req)?;
    Ok((req, Input::arg(ctx, "input")))
}

/// The row `id` a mutation names, from `rows`, the store's by-id load of it through the caller's
/// scope (a list or an option). Absent or out of scope, it is `NOT_FOUND` (`what` names it in
/// the message) and the attempt is audited as a denied read of `entity` `id`.
pub(crate) async fn load_scoped_or_not_found<V>(
    req: &RequestCtx,
    entity: &'static str,
    what: &'static str,
    id: Uuid,
    rows: impl Future<Output = ApiResult<impl IntoIterator<Item = V>>>,
) -> ApiResult<Arc<V>> {
    rows.await?.into_iter().next().map(Arc::new).ok_or_else(|| {
        req.audit.not_found(entity, id);
        ApiError::NotFound(what)
    })
}

/// The row a mutation wrote, picked by `is_it` out of `rows` (its parent's rows, reloaded through
/// the caller's scope); `NOT_FOUND` naming `what` when the caller may not see it.
pub(crate) async fn reload<V>(
    rows: impl Future<Output = ApiResult<Vec<V>>>,
    is_it: impl Fn(&V) -> bool,
    what: &'static str,
) -> ApiResult<Arc<V>> {
    rows.await?
        .into_iter()
        .find(|row| is_it(row))
        .map(Arc::new)
        .ok_or(ApiError::NotFound(what))
}
