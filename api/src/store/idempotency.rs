//! Idempotency keys: a mutation retried with the same key returns the first result instead of
//! repeating the write.

use entities::idempotency;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// The longest key accepted.
pub(crate) const MAX_KEY: usize = 200;

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
