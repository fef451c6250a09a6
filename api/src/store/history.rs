//! Lifecycle moves: every status change recorded with who, when and why.

use entities::status_history;
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::auth::Principal;
use crate::error::ApiResult;

/// Records a move of `entity_type` `id` from `from` (none at creation) to `to`.
pub(crate) async fn record(
    db: &impl ConnectionTrait,
    p: &Principal,
    entity_type: &str,
    id: Uuid,
    from: Option<&str>,
    to: &str,
    reason: Option<String>,
) -> ApiResult<()> {
    status_history::Entity::insert(status_history::ActiveModel {
        id: Set(super::new_id()),
        entity_type: Set(entity_type.to_string()),
        entity_id: Set(id),
        from_status: Set(from.map(str::to_string)),
        to_status: Set(to.to_string()),
        agency: Set(p.agency.code().to_string()),
        subject: Set(p.subject.clone()),
        at: Set(super::now()),
        reason: Set(reason),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The moves of these rows, oldest first (callers load only rows the caller may see).
pub(crate) async fn of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> ApiResult<Vec<status_history::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(status_history::Entity::find()
        .filter(super::id_in(
            db.get_database_backend(),
            sea_orm::sea_query::Expr::col((
                status_history::Entity,
                status_history::Column::EntityId,
            )),
            ids,
        ))
        .order_by_asc(status_history::Column::At)
        .order_by_asc(status_history::Column::Id)
        .all(db)
        .await?)
}
