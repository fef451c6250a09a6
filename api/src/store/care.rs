//! Support services given to victims, and the recruitment / transit / exploitation events of
//! cases.

use chrono::{DateTime, NaiveDate, Utc};
use entities::{case_event, support_service};
use sea_orm::sea_query::{Alias, ExprTrait, JoinType};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, QueryTrait, Set};
use uuid::Uuid;

use super::Faceted;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::policy::scope::{self, tables};

/// A support service with its facts.
pub(crate) type SupportView = Faceted<support_service::Model>;
/// A case event with its case's facts.
pub(crate) type EventView = Faceted<case_event::Model>;

/// The visible support services of these persons.
pub(crate) async fn support_of(
    db: &impl ConnectionTrait,
    p: &Principal,
    person_ids: &[Uuid],
) -> ApiResult<Vec<SupportView>> {
    let mut q = support_service::Entity::find();
    QueryTrait::query(&mut q).join_as(
        JoinType::InnerJoin,
        Alias::new(tables::PERSON),
        Alias::new("sp"),
        scope::col("sp", "id").equals((Alias::new("support_service"), Alias::new("person_id"))),
    );
    super::scoped_in(
        db,
        q.order_by_asc(support_service::Column::StartedAt),
        support_service::Column::PersonId,
        person_ids,
        scope::support(p, "support_service", "sp"),
    )
    .await
}

/// Values of a new support service.
pub(crate) struct NewSupport {
    pub(crate) person_id: Uuid,
    pub(crate) service: String,
    pub(crate) provider: String,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) ended_at: Option<DateTime<Utc>>,
    pub(crate) notes: Option<String>,
}

/// Inserts a support service.
pub(crate) async fn insert_support(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: NewSupport,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    support_service::Entity::insert(support_service::ActiveModel {
        id: Set(id),
        person_id: Set(n.person_id),
        service: Set(n.service),
        provider: Set(n.provider),
        started_at: Set(n.started_at),
        ended_at: Set(n.ended_at),
        notes: Set(n.notes),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// The visible events of these cases, in order of occurrence.
pub(crate) async fn events_of(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<EventView>> {
    let mut q = case_event::Entity::find();
    QueryTrait::query(&mut q).join_as(
        JoinType::InnerJoin,
        Alias::new(tables::CASE),
        Alias::new("ec"),
        scope::col("ec", "id").equals((Alias::new("case_event"), Alias::new("case_id"))),
    );
    super::scoped_in(
        db,
        q.order_by_asc(case_event::Column::OccurredOn)
            .order_by_asc(case_event::Column::Id),
        case_event::Column::CaseId,
        case_ids,
        scope::case_child(p, "CaseEvent", "ec"),
    )
    .await
}

/// Values of a new case event.
pub(crate) struct NewEvent {
    pub(crate) case_id: Uuid,
    pub(crate) kind: String,
    pub(crate) place: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) occurred_on: Option<NaiveDate>,
    pub(crate) description: Option<String>,
}

/// Inserts a case event.
pub(crate) async fn insert_event(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: NewEvent,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    case_event::Entity::insert(case_event::ActiveModel {
        id: Set(id),
        case_id: Set(n.case_id),
        kind: Set(n.kind),
        place: Set(n.place),
        country: Set(n.country),
        occurred_on: Set(n.occurred_on),
        description: Set(n.description),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await
    .map_err(ApiError::from)?;
    Ok(id)
}
