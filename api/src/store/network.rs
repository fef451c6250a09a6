//! Networks (trafficking rings): scoped loads, members and cases, inserts.

use chrono::{DateTime, Utc};
use entities::{network, network_case, network_member};
use sea_orm::sea_query::{Alias, Condition, ExprTrait, JoinType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QueryTrait, Set,
};
use uuid::Uuid;

use super::Faceted;
use super::page::{Cursor, Page};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::policy::scope;

/// A network with its facts.
pub(crate) type NetworkView = Faceted<network::Model>;
/// A membership with its network's facts.
pub(crate) type MemberView = Faceted<network_member::Model>;

/// Networks by id, in the caller's scope.
pub(crate) async fn by_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
) -> ApiResult<Vec<NetworkView>> {
    super::scoped_in(
        db,
        network::Entity::find(),
        network::Column::Id,
        ids,
        scope::networks(p, "network"),
    )
    .await
}

/// Filters of `networks`.
#[derive(Clone, Debug, Default)]
pub(crate) struct NetworkFilter {
    pub(crate) name: Option<String>,
    pub(crate) country: Option<String>,
    pub(crate) dismantled: Option<bool>,
}

/// One page of networks, newest first.
pub(crate) async fn page(
    db: &DatabaseConnection,
    p: &Principal,
    f: &NetworkFilter,
    after: Option<&Cursor>,
    first: u64,
) -> ApiResult<Page<NetworkView>> {
    let mut base = Condition::all();
    if let Some(name) = &f.name {
        base = base.add(network::Column::Name.like(format!("%{}%", name.replace(['%', '_'], ""))));
    }
    if let Some(c) = &f.country {
        base = base.add(network::Column::Countries.like(format!("%\"{c}\"%")));
    }
    if let Some(d) = f.dismantled {
        base = base.add(if d {
            network::Column::DismantledAt.is_not_null()
        } else {
            network::Column::DismantledAt.is_null()
        });
    }
    super::page::newest_first::<network::Entity>(
        db,
        base,
        network::Column::Id,
        scope::networks(p, "network"),
        "CREATED",
        after,
        first,
    )
    .await
}

/// The members of these networks (facts of their network).
pub(crate) async fn members_of(
    db: &impl ConnectionTrait,
    p: &Principal,
    network_ids: &[Uuid],
) -> ApiResult<Vec<MemberView>> {
    let mut q = network_member::Entity::find();
    QueryTrait::query(&mut q).join_as(
        JoinType::InnerJoin,
        Alias::new("network"),
        Alias::new("nw"),
        scope::col("nw", "id").equals((Alias::new("network_member"), Alias::new("network_id"))),
    );
    super::scoped_in(
        db,
        q.order_by_asc(network_member::Column::Id),
        network_member::Column::NetworkId,
        network_ids,
        scope::networks(p, "nw"),
    )
    .await
}

/// The case ids of these networks.
pub(crate) async fn cases_of(
    db: &impl ConnectionTrait,
    network_ids: &[Uuid],
) -> ApiResult<Vec<network_case::Model>> {
    links(db, network_case::Column::NetworkId, network_ids).await
}

/// The network ids of these cases.
pub(crate) async fn networks_of_cases(
    db: &impl ConnectionTrait,
    case_ids: &[Uuid],
) -> ApiResult<Vec<network_case::Model>> {
    links(db, network_case::Column::CaseId, case_ids).await
}

/// The network–case links whose `side` is one of `ids`, oldest first.
async fn links(
    db: &impl ConnectionTrait,
    side: network_case::Column,
    ids: &[Uuid],
) -> ApiResult<Vec<network_case::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(network_case::Entity::find()
        .filter(super::id_in(
            db.get_database_backend(),
            sea_orm::sea_query::Expr::col((network_case::Entity, side)),
            ids,
        ))
        .order_by_asc(network_case::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Values of a new network.
pub(crate) struct NewNetwork {
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) transnational: bool,
    pub(crate) countries: Vec<String>,
}

/// Inserts a network.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: NewNetwork,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    network::Entity::insert(network::ActiveModel {
        id: Set(id),
        name: Set(n.name),
        aliases: Set(super::json_list(&n.aliases)),
        transnational: Set(n.transnational),
        countries: Set(super::json_list(&n.countries)),
        dismantled_at: Set(None),
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

/// Adds a member; the same person twice is a `CONFLICT`.
pub(crate) async fn add_member(
    db: &impl ConnectionTrait,
    p: &Principal,
    network: Uuid,
    person: Uuid,
    role: String,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    network_member::Entity::insert(network_member::ActiveModel {
        id: Set(id),
        network_id: Set(network),
        person_id: Set(person),
        role: Set(role),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await
    .map_err(super::conflict_if_duplicate(
        "the person is already a member",
    ))?;
    Ok(id)
}

/// Links a case to a network (idempotent).
pub(crate) async fn link_case(
    db: &impl ConnectionTrait,
    p: &Principal,
    network: Uuid,
    case: Uuid,
) -> ApiResult<()> {
    let exists = network_case::Entity::find()
        .filter(network_case::Column::NetworkId.eq(network))
        .filter(network_case::Column::CaseId.eq(case))
        .one(db)
        .await?;
    if exists.is_none() {
        network_case::Entity::insert(network_case::ActiveModel {
            network_id: Set(network),
            case_id: Set(case),
            created_at: Set(super::now()),
            created_by_agency: Set(p.agency.code().to_string()),
        })
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Marks a network dismantled at `at` (version-checked).
pub(crate) async fn dismantle(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected: i32,
    at: DateTime<Utc>,
) -> ApiResult<()> {
    let dismantled = vec![("dismantled_at", Some(at).into())];
    super::update_versioned(db, "network", "network", id, expected, dismantled).await
}
