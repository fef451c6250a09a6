//! The one way mutations write: a transaction, the idempotency key, the audit events of the
//! write, and a commit, in that order.
//!
//! A mutation body runs inside [`transact`] and returns the id of the row it produced. If the
//! call carries an `idempotencyKey` already used by the caller's agency for the same operation,
//! the body does not run and the first result's id is returned. Nothing is written unless
//! everything commits together.

use std::future::Future;
use std::pin::Pin;

use sea_orm::DatabaseTransaction;

use uuid::Uuid;

use super::context::RequestCtx;
use crate::audit::AuditEntity;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, idempotency};

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
    if let Some(key) = &key
        && let Some(id) = idempotency::lookup(&txn, agency, key, operation).await?
    {
        txn.rollback().await?;
        return Ok(id);
    }
    let entity = body(&txn).await?;
    let id = entity.id;
    let fields: Vec<String> = fields
        .into_iter()
        .filter(|f| f != "idempotencyKey")
        .collect();
    req.audit.written(operation, entity, fields);
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
    if let Err(err) = crate::audit::append_writes(&txn, req).await {
        req.audit.discard_writes();
        return Err(err);
    }
    txn.commit().await?;
    Ok(id)
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
