//! Idempotency keys: a mutation retried with the same key returns the first result instead of
//! repeating the write.

use entities::idempotency;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, Set,
    Statement,
};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// The longest key accepted.
pub(crate) const MAX_KEY: usize = 200;

/// The advisory-lock class of idempotency keys (the first of PostgreSQL's two 32-bit lock keys;
/// that key space does not overlap the single 64-bit one the migrations lock with).
const LOCK_CLASS: i32 = 0x1de3;

/// On PostgreSQL, holds `key`'s lock until `txn` ends, so that calls with one key run one after
/// the other. Without it, concurrent calls each found no result, wrote, and all but the first
/// failed on what the first had written (an `openCase` retried in a burst answered `CONFLICT`
/// "your agency already has a case numbered …" instead of the first call's case). Take it
/// before [`lookup`], in its own statement: the lookup's snapshot must be taken after the wait,
/// to see what the previous holder committed. SQLite needs none (write transactions begin
/// `IMMEDIATE`, one at a time). Two keys whose hashes collide only wait for each other.
pub(crate) async fn lock(txn: &DatabaseTransaction, agency: &str, key: &str) -> ApiResult<()> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        [LOCK_CLASS.into(), format!("{agency}\u{1f}{key}").into()],
    ))
    .await?;
    Ok(())
}

/// The entity a previous call with this key produced, if any. The same key used for another
/// operation is a `CONFLICT`.
pub(crate) async fn lookup(
    db: &impl ConnectionTrait,
    agency: &str,
    key: &str,
    operation: &str,
) -> ApiResult<Option<Uuid>> {
    let found = idempotency::Entity::find()
        .filter(idempotency::Column::Agency.eq(agency))
        .filter(idempotency::Column::Key.eq(key))
        .one(db)
        .await?;
    match found {
        Some(row) if row.operation != operation => Err(ApiError::Conflict(format!(
            "idempotencyKey was already used for {}",
            row.operation
        ))),
        Some(row) => Ok(Some(row.entity_id)),
        None => Ok(None),
    }
}

/// Remembers the result of a call; fails with a unique violation if a concurrent call with the
/// same key committed first.
pub(crate) async fn remember(
    db: &impl ConnectionTrait,
    agency: &str,
    key: &str,
    operation: &str,
    entity_id: Uuid,
) -> Result<(), sea_orm::DbErr> {
    idempotency::Entity::insert(idempotency::ActiveModel {
        agency: Set(agency.to_string()),
        key: Set(key.to_string()),
        operation: Set(operation.to_string()),
        entity_id: Set(entity_id),
        created_at: Set(super::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
