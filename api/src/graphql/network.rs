//! Trafficking rings: `Network`, its members and cases, `createNetwork`, `addNetworkMember`,
//! `linkNetworkCase`, `dismantleNetwork`, `networks`.

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};

use super::case::{CaseNode, countries, load_named};
use super::common::{
    AGENCY_CODE, DATE_TIME, Id, agency_value, connection, datetime, enum_value, string_list,
};
use super::context::RequestCtx;
use super::input::{Input, MAX_SHORT, page_args, with_page_args};
use super::model::{
    Guarded, InputDef, ObjectDef, Root, TypeDef, arg, load_linked, load_list, load_one,
    resolve_async,
};
use super::person::load_person;
use super::{authorize_row, write};
use crate::audit::AuditEntity;
use crate::domain::{DomainEnum, SuspectRole};
use crate::error::{ApiError, ApiResult};
use crate::policy::RowFacts;
use crate::store::network::{self as store, MemberView, NetworkFilter, NetworkView, NewNetwork};
use crate::store::page::Page;

/// Parent value of `Network` fields.
pub(crate) type NetworkNode = Arc<NetworkView>;
/// Parent value of `NetworkMember` fields.
pub(crate) type MemberNode = Arc<MemberView>;

impl Guarded for NetworkNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
}

impl Guarded for MemberNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    let mut types = vec![
        ObjectDef::<NetworkNode>::new(
            "Network",
            "A trafficking ring: its members and the cases attributed to it.",
        )
        .key("id")
        .value("id", TypeRef::named_nn(TypeRef::ID), "Network id.", |n| {
            Id(n.row.id)
        })
        .value(
            "version",
            TypeRef::named_nn(TypeRef::INT),
            "Version.",
            |n| n.row.version,
        )
        .value("name", s(TypeRef::STRING), "Working name.", |n| {
            n.row.name.clone()
        })
        .value(
            "aliases",
            TypeRef::named_nn_list(TypeRef::STRING),
            "Other names.",
            |n| string_list(&n.row.aliases),
        )
        .value(
            "transnational",
            s(TypeRef::BOOLEAN),
            "Operates across borders.",
            |n| n.row.transnational,
        )
        .value(
            "countries",
            TypeRef::named_nn_list(TypeRef::STRING),
            "Countries (ISO alpha-2).",
            |n| string_list(&n.row.countries),
        )
        .value(
            "dismantledAt",
            s(DATE_TIME),
            "When it was dismantled.",
            |n| n.row.dismantled_at.as_ref().map(datetime),
        )
        .value(
            "createdByAgency",
            s(AGENCY_CODE),
            "Agency that recorded it.",
            |n| agency_value(&n.row.created_by_agency),
        )
        .field(
            "members",
            TypeRef::named_nn_list("NetworkMember"),
            "Members and their roles.",
            vec![],
            |n, ctx| load_list(ctx, n.row.id, |l| &l.members),
        )
        .field(
            "cases",
            TypeRef::named_nn_list("Case"),
            "Cases attributed to the ring (those you may see).",
            vec![],
            |n, ctx| load_linked(ctx, n.row.id, |l| &l.cases_of_network, |l| &l.case),
        )
        .build(),
        ObjectDef::<MemberNode>::new("NetworkMember", "A person's role in a ring.")
            .value(
                "id",
                TypeRef::named_nn(TypeRef::ID),
                "Membership id.",
                |m| Id(m.row.id),
            )
            .value("role", s("SuspectRole"), "Role in the ring.", |m| {
                enum_value(&m.row.role)
            })
            .field(
                "person",
                s("Person"),
                "The person (null when outside your scope).",
                vec![],
                |m, ctx| load_one(ctx, Some(m.row.person_id), |l| &l.person),
            )
            .build(),
        ObjectDef::<CaseNode>::new("Case", "")
            .field(
                "networks",
                TypeRef::named_nn_list("Network"),
                "Rings the case is attributed to (those you may see).",
                vec![],
                |c, ctx| load_linked(ctx, c.row.id, |l| &l.networks_of_case, |l| &l.network),
            )
            .build(),
        InputDef::new("NetworkFilter", "Filters of `networks`.")
            .field("name", s(TypeRef::STRING), "Name contains.")
            .field("country", s(TypeRef::STRING), "Operates in this country.")
            .field(
                "dismantled",
                s(TypeRef::BOOLEAN),
                "Dismantled or still active.",
            )
            .build(),
        InputDef::new("CreateNetworkInput", "A new ring.")
            .field("name", TypeRef::named_nn(TypeRef::STRING), "Working name.")
            .field(
                "aliases",
                TypeRef::named_nn_list(TypeRef::STRING),
                "Other names.",
            )
            .field(
                "transnational",
                s(TypeRef::BOOLEAN),
                "Operates across borders.",
            )
            .field(
                "countries",
                TypeRef::named_nn_list(TypeRef::STRING),
                "Countries (ISO alpha-2).",
            )
            .field(
                "caseIds",
                TypeRef::named_nn_list(TypeRef::ID),
                "Cases to attribute to it.",
            )
            .field("idempotencyKey", s(TypeRef::STRING), "Retry-safe key.")
            .build(),
        InputDef::new("AddNetworkMemberInput", "A member of a ring.")
            .field("networkId", TypeRef::named_nn(TypeRef::ID), "The ring.")
            .field("personId", TypeRef::named_nn(TypeRef::ID), "The person.")
            .field(
                "role",
                TypeRef::named_nn("SuspectRole"),
                "Role in the ring.",
            )
            .build(),
        InputDef::new("LinkNetworkCaseInput", "Attribute a case to a ring.")
            .field("networkId", TypeRef::named_nn(TypeRef::ID), "The ring.")
            .field("caseId", TypeRef::named_nn(TypeRef::ID), "The case.")
            .build(),
        InputDef::new(
            "DismantleNetworkInput",
            "Record that a ring was dismantled.",
        )
        .field("id", TypeRef::named_nn(TypeRef::ID), "The ring.")
        .field(
            "version",
            TypeRef::named_nn(TypeRef::INT),
            "The version you read.",
        )
        .field("dismantledAt", s(DATE_TIME), "When (default: now).")
        .build(),
        ObjectDef::<Root>::new("Query", "")
            .field(
                "networks",
                s("NetworkConnection"),
                "Rings in your scope, newest first.",
                with_page_args(vec![arg("filter", s("NetworkFilter"), "Filters.")]),
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        list(&ctx).await.map(|p| Some(FieldValue::owned_any(p)))
                    })
                },
            )
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field(
                "createNetwork",
                s("Network"),
                "Record a ring.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("CreateNetworkInput"),
                    "The ring.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        create(&ctx).await.map(|n| Some(FieldValue::owned_any(n)))
                    })
                },
            )
            .field(
                "addNetworkMember",
                s("Network"),
                "Add a member to a ring.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("AddNetworkMemberInput"),
                    "The member.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        add_member(&ctx)
                            .await
                            .map(|n| Some(FieldValue::owned_any(n)))
                    })
                },
            )
            .field(
                "linkNetworkCase",
                s("Network"),
                "Attribute a case to a ring.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("LinkNetworkCaseInput"),
                    "The link.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        link_case(&ctx)
                            .await
                            .map(|n| Some(FieldValue::owned_any(n)))
                    })
                },
            )
            .field(
                "dismantleNetwork",
                s("Network"),
                "Record that a ring was dismantled.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("DismantleNetworkInput"),
                    "The ring.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        dismantle(&ctx)
                            .await
                            .map(|n| Some(FieldValue::owned_any(n)))
                    })
                },
            )
            .build(),
    ];
    types.extend(connection::<NetworkNode>(
        "NetworkConnection",
        "NetworkEdge",
        "Network",
    ));
    types
}

async fn list(ctx: &ResolverContext<'_>) -> ApiResult<Page<NetworkNode>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let input = Input::arg(ctx, "filter");
    input.authorize(req, "NetworkFilter", &RowFacts::default())?;
    let filter = NetworkFilter {
        name: input.string("name", 100)?,
        country: input.string("country", 8)?.map(|c| c.to_ascii_uppercase()),
        dismantled: input.boolean("dismantled")?,
    };
    let (first, after) = page_args(ctx, "CREATED")?;
    let page = store::page(&req.read_db, &req.principal, &filter, after.as_ref(), first).await?;
    Ok(page.map(Arc::new))
}

async fn load(req: &RequestCtx, id: uuid::Uuid) -> ApiResult<NetworkNode> {
    write::load_scoped_or_not_found(
        req,
        "Network",
        "network",
        id,
        store::by_ids(&req.db, &req.principal, &[id]),
    )
    .await
}

async fn create(ctx: &ResolverContext<'_>) -> ApiResult<NetworkNode> {
    let (req, input) = write::mutation_input(ctx)?;
    input.authorize(req, "CreateNetworkInput", &RowFacts::created())?;
    let new = NewNetwork {
        name: input.required_string("name", MAX_SHORT)?,
        aliases: input.strings("aliases", MAX_SHORT)?,
        transnational: input.boolean("transnational")?.unwrap_or(false),
        countries: countries("input.countries", input.strings("countries", 8)?)?,
    };
    let mut cases = Vec::new();
    for name in input.enum_names("caseIds").unwrap_or_default() {
        let id = super::input::parse_id(&name)
            .ok_or_else(|| ApiError::bad_input("input.caseIds", "is not a list of IDs"))?;
        let case = load_named(req, id).await?;
        authorize_row(req, "Mutation", "linkNetworkCase", &case.facts)?;
        cases.push(id);
    }
    let key = write::key_of(&input)?;
    let principal = req.principal.clone();
    let id = write::transact(req, "createNetwork", key, input.provided(), move |txn| {
        Box::pin(async move {
            let id = store::insert(txn, &principal, new).await?;
            for case in cases {
                store::link_case(txn, &principal, id, case).await?;
            }
            Ok(AuditEntity {
                ty: "Network",
                id,
                person: None,
            })
        })
    })
    .await?;
    load(req, id).await
}

async fn add_member(ctx: &ResolverContext<'_>) -> ApiResult<NetworkNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let network_id = input.required_id("networkId")?;
    let network = load(req, network_id).await?;
    authorize_row(req, "Mutation", "addNetworkMember", &network.facts)?;
    let person_id = input.required_id("personId")?;
    load_person(req, person_id).await?;
    let role = input
        .required_enum::<SuspectRole>("role")?
        .name()
        .to_string();
    let principal = req.principal.clone();
    write::transact(
        req,
        "addNetworkMember",
        None,
        input.provided(),
        move |txn| {
            Box::pin(async move {
                let id = store::add_member(txn, &principal, network_id, person_id, role).await?;
                Ok(AuditEntity {
                    ty: "NetworkMember",
                    id,
                    person: Some(person_id),
                })
            })
        },
    )
    .await?;
    load(req, network_id).await
}

async fn link_case(ctx: &ResolverContext<'_>) -> ApiResult<NetworkNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let network_id = input.required_id("networkId")?;
    let network = load(req, network_id).await?;
    authorize_row(req, "Mutation", "linkNetworkCase", &network.facts)?;
    let case_id = input.required_id("caseId")?;
    load_named(req, case_id).await?;
    let principal = req.principal.clone();
    write::transact(req, "linkNetworkCase", None, input.provided(), move |txn| {
        Box::pin(async move {
            store::link_case(txn, &principal, network_id, case_id).await?;
            Ok(AuditEntity {
                ty: "Network",
                id: network_id,
                person: None,
            })
        })
    })
    .await?;
    load(req, network_id).await
}

async fn dismantle(ctx: &ResolverContext<'_>) -> ApiResult<NetworkNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let id = input.required_id("id")?;
    let version = input.required_version()?;
    let network = load(req, id).await?;
    authorize_row(req, "Mutation", "dismantleNetwork", &network.facts)?;
    let at = input
        .datetime("dismantledAt")?
        .unwrap_or_else(crate::store::now);
    write::transact(
        req,
        "dismantleNetwork",
        None,
        input.provided(),
        move |txn| {
            Box::pin(async move {
                store::dismantle(txn, id, version, at).await?;
                Ok(AuditEntity {
                    ty: "Network",
                    id,
                    person: None,
                })
            })
        },
    )
    .await?;
    load(req, id).await
}
