//! The one way mutations write: a transaction, the idempotency key, the audit events of the
//! write, and a commit, in that order.
//!
//! A mutation body runs inside [`transact`] and returns the id of the row it produced. If the
//! call carries an `idempotencyKey` already used by the caller's agency for the same operation,
//! the body does not run and the first result's id is returned. Nothing is written unless
//! everything commits together.

use std::future::Future;
use std::pin::Pin;

use sea_orm::{DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::context::RequestCtx;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, idempotency};

/// A mutation body: writes through the transaction and returns the produced row's id.
pub(crate) type Body<'c> = Pin<Box<dyn Future<Output = ApiResult<Uuid>> + Send + 'c>>;

/// Reads `idempotencyKey` from an input object.
pub(crate) fn key_of(input: &super::input::Input<'_>) -> ApiResult<Option<String>> {
    input.string("idempotencyKey", idempotency::MAX_KEY)
}

/// Runs `body` in a write transaction with idempotency and audit; returns the produced id.
pub(crate) async fn transact<F>(
    req: &RequestCtx,
    operation: &'static str,
    key: Option<String>,
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
    let id = body(&txn).await?;
    if let Some(key) = &key
        && let Err(err) = idempotency::remember(&txn, agency, key, operation, id).await
    {
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
    crate::audit::append_writes(&txn, req).await?;
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

#[allow(unused_imports)]
use TransactionTrait as _;
