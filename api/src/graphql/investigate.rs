//! Investigator tools (DESIGN §4 CaseLink, §5.5): `linkCases`, `unlinkCases`, `Case.links`,
//! `linkSuggestions`, the `network` expansion, hit/no-hit (`identifierHits`, `personHits`) and
//! disclosure (`requestDisclosure`, `grantDisclosure`, `denyDisclosure`,
//! `disclosureRequests`).
//!
//! A hit never carries a field of a person or case: only an opaque reference, the holding
//! agency and its liaison contact. Whatever the caller may not read in a suggestion or a network
//! node comes back the same way.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use async_graphql::Value;
use async_graphql::dynamic::{FieldFuture, FieldValue, ResolverContext, TypeRef};
use entities::hit_reference;
use uuid::Uuid;

use super::case::{CaseNode, load_fresh};
use super::common::{
    AGENCY_CODE, DATE, DATE_TIME, Id, agency_value, connection, datetime, enum_value, string_list,
};
use super::context::RequestCtx;
use super::input::{self, MAX_SHORT};
use super::model::{
    EnumValueDef, Guarded, InputDef, ObjectDef, Root, TypeDef, arg, arg_default, load_list,
    load_one, resolve_async,
};
use super::person::{IdentifierNode, PersonNode};
use super::{authorize_row, write};
use crate::audit::AuditEntity;
use crate::error::{ApiError, ApiResult};
use crate::normalize::{self, IdentifierKind};
use crate::policy::{RowFacts, Rows};
use crate::ratelimit::{HitLimiter, RateConfig};
use crate::store::investigate::{self as store, DisclosureView, EdgeKind, Holding, LinkView, Node};
use crate::store::page::{Cursor, Page, page_size};

/// Parent value of `CaseLink` fields.
pub(crate) type LinkNode = Arc<LinkView>;
/// Parent value of `DisclosureRequest` fields.
pub(crate) type DisclosureNode = Arc<DisclosureView>;

impl Guarded for LinkNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
}

impl Guarded for DisclosureNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
}

/// An opaque reference handed out instead of a record.
#[derive(Clone)]
pub(crate) struct Hit {
    reference: Uuid,
    kind: String,
    holder: String,
    contact: String,
}

/// A suggested link: a visible case, or a reference to one the caller may not see.
pub(crate) struct Suggestion {
    case: Option<CaseNode>,
    reference: Option<Hit>,
    evidence: Vec<String>,
}

/// One node of an expanded network.
pub(crate) struct GraphNode {
    index: usize,
    kind: &'static str,
    depth: u8,
    case: Option<CaseNode>,
    person: Option<PersonNode>,
    identifier: Option<IdentifierNode>,
    reference: Option<Hit>,
}

/// One edge of an expanded network, between node indices.
pub(crate) struct GraphEdge {
    from: usize,
    to: usize,
    kind: &'static str,
}

/// The expanded network.
pub(crate) struct Graph {
    nodes: Vec<GraphNode>,
    edges: Vec<GraphEdge>,
    truncated: bool,
}

macro_rules! structural_parent {
    ($($t:ty),*) => {$(
        impl Guarded for $t {
            fn facts(&self) -> &RowFacts {
                static NONE: LazyLock<RowFacts> = LazyLock::new(RowFacts::default);
                &NONE
            }
        }
    )*};
}
structural_parent!(Hit, Suggestion, GraphNode, GraphEdge, Graph);

/// The hit/no-hit limiter of requests that carry none in their data (the server always adds
/// its configured one, `CTEX_RATE_HITS`): the documented default, never unlimited.
static DEFAULT_HIT_LIMITER: LazyLock<HitLimiter> =
    LazyLock::new(|| HitLimiter::new(RateConfig::default().hits));

/// Hit/no-hit searches per subject (`CTEX_RATE_HITS`, default a burst of 10, then one every 2
/// seconds), so the searches cannot be used to enumerate the other agencies' records.
fn rate_limit_hits(ctx: &ResolverContext<'_>, req: &RequestCtx) -> ApiResult<()> {
    let limiter = ctx
        .ctx
        .data_opt::<HitLimiter>()
        .unwrap_or(&DEFAULT_HIT_LIMITER);
    limiter.take(req.principal.agency, &req.principal.subject)
}

fn values(name: &'static str, description: &'static str, values: &[&str]) -> TypeDef {
    TypeDef::Enum {
        name,
        description,
        governed: false,
        values: values
            .iter()
            .map(|v| EnumValueDef {
                name: (*v).to_string(),
                description: String::new(),
                rule: None,
            })
            .collect(),
    }
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    let mut types = vec![
        values("GraphNodeKind", "Kinds of network nodes.", &["CASE", "PERSON", "IDENTIFIER"]),
        values("GraphEdgeKind", "How two network nodes are connected.", &["PARTY", "HOLDS", "SAME_VALUE", "LINK"]),
        values("DisclosureStatus", "State of a disclosure request.", &["PENDING", "GRANTED", "DENIED"]),
        ObjectDef::<LinkNode>::new("CaseLink", "A link between two cases.")
            .value("id", TypeRef::named_nn(TypeRef::ID), "Link id.", |l| Id(l.row.id))
            .field("from", s("Case"), "The case the link was made from.", vec![], |l, ctx| load_one(ctx, Some(l.row.from_case), |x| &x.case))
            .field("to", s("Case"), "The linked case.", vec![], |l, ctx| load_one(ctx, Some(l.row.to_case), |x| &x.case))
            .value("reason", s(TypeRef::STRING), "Why.", |l| l.row.reason.clone())
            .value("evidence", TypeRef::named_nn_list(TypeRef::STRING), "Shared identifiers or persons.", |l| string_list(&l.row.evidence))
            .value("confidence", s(TypeRef::INT), "Confidence, 0 to 100.", |l| l.row.confidence)
            .value("createdByAgency", s(AGENCY_CODE), "Agency that linked them.", |l| agency_value(&l.row.created_by_agency))
            .value("createdAt", s(DATE_TIME), "When.", |l| datetime(&l.row.created_at))
            .build(),
        ObjectDef::<CaseNode>::new("Case", "")
            .field("links", TypeRef::named_nn_list("CaseLink"), "Links to other cases (those you may see).", vec![], |c, ctx| load_list(ctx, c.row.id, |l| &l.links))
            .build(),
        ObjectDef::<Hit>::new("HitReference", "An opaque reference to a record held by another agency: ask its holder for disclosure.")
            .value("reference", TypeRef::named_nn(TypeRef::ID), "The reference to quote in `requestDisclosure`.", |h| h.reference.to_string())
            .value("kind", TypeRef::named_nn(TypeRef::STRING), "PERSON or CASE.", |h| h.kind.to_ascii_uppercase())
            .value("holdingAgency", TypeRef::named_nn(AGENCY_CODE), "The agency holding the record.", |h| agency_value(&h.holder))
            .value("contact", s(TypeRef::STRING), "Its liaison contact.", |h| h.contact.clone())
            .build(),
        ObjectDef::<Suggestion>::new("LinkSuggestion", "A case that may be linked, with the evidence.")
            .field("case", s("Case"), "The case, when you may see it.", vec![], |x, _ctx| FieldFuture::Value(x.case.clone().map(FieldValue::owned_any)))
            .field("reference", s("HitReference"), "A reference, when you may not.", vec![], |x, _ctx| FieldFuture::Value(x.reference.clone().map(FieldValue::owned_any)))
            .value("evidence", TypeRef::named_nn_list(TypeRef::STRING), "What matched (your own data).", |x| Value::List(x.evidence.iter().map(|e| Value::from(e.as_str())).collect()))
            .value("score", TypeRef::named_nn(TypeRef::INT), "How many pieces of evidence.", |x| x.evidence.len() as i64)
            .build(),
        ObjectDef::<GraphNode>::new("GraphNode", "A node of an expanded network: readable, or an opaque reference.")
            .value("index", TypeRef::named_nn(TypeRef::INT), "Position, used by edges.", |n| n.index as i64)
            .value("kind", TypeRef::named_nn("GraphNodeKind"), "Case, person or identifier.", |n| enum_value(n.kind))
            .value("depth", TypeRef::named_nn(TypeRef::INT), "Distance from the start.", |n| i64::from(n.depth))
            .field("case", s("Case"), "The case, when you may see it.", vec![], |n, _ctx| FieldFuture::Value(n.case.clone().map(FieldValue::owned_any)))
            .field("person", s("Person"), "The person, when you may see it.", vec![], |n, _ctx| FieldFuture::Value(n.person.clone().map(FieldValue::owned_any)))
            .field("identifier", s("Identifier"), "The identifier, when you may see its person.", vec![], |n, _ctx| FieldFuture::Value(n.identifier.clone().map(FieldValue::owned_any)))
            .field("reference", s("HitReference"), "A reference to the record, when you may not see it.", vec![], |n, _ctx| FieldFuture::Value(n.reference.clone().map(FieldValue::owned_any)))
            .build(),
        ObjectDef::<GraphEdge>::new("GraphEdge", "An edge between two nodes (by index).")
            .value("from", TypeRef::named_nn(TypeRef::INT), "Node index.", |e| e.from as i64)
            .value("to", TypeRef::named_nn(TypeRef::INT), "Node index.", |e| e.to as i64)
            .value("kind", TypeRef::named_nn("GraphEdgeKind"), "How they are connected.", |e| enum_value(e.kind))
            .build(),
        ObjectDef::<Graph>::new("NetworkGraph", "Persons, cases and identifiers reachable from a start, within limits.")
            .field("nodes", TypeRef::named_nn_list_nn("GraphNode"), "Nodes.", vec![], |g, _ctx| FieldFuture::Value(Some(FieldValue::list(g.nodes.iter().map(|n| FieldValue::borrowed_any(n))))))
            .field("edges", TypeRef::named_nn_list_nn("GraphEdge"), "Edges.", vec![], |g, _ctx| FieldFuture::Value(Some(FieldValue::list(g.edges.iter().map(|e| FieldValue::borrowed_any(e))))))
            .value("truncated", TypeRef::named_nn(TypeRef::BOOLEAN), "Whether the depth or node limit cut the expansion.", |g| g.truncated)
            .build(),
        ObjectDef::<DisclosureNode>::new("DisclosureRequest", "A request to the holder of a record found by hit/no-hit.")
            .value("id", TypeRef::named_nn(TypeRef::ID), "Request id.", |d| Id(d.row.id))
            .value("version", TypeRef::named_nn(TypeRef::INT), "Version.", |d| d.row.version)
            .value("status", s("DisclosureStatus"), "Pending, granted or denied.", |d| enum_value(&d.row.status))
            .value("kind", s(TypeRef::STRING), "PERSON or CASE.", |d| d.row.entity_type.to_ascii_uppercase())
            .value("holderAgency", s(AGENCY_CODE), "The agency that decides.", |d| agency_value(&d.row.holder_agency))
            .value("requesterAgency", s(AGENCY_CODE), "The agency asking.", |d| agency_value(&d.row.requester_agency))
            .value("requesterSubject", s(TypeRef::STRING), "Who asked.", |d| d.row.requester_subject.clone())
            .value("purpose", s(TypeRef::STRING), "Why.", |d| d.row.purpose.clone())
            .value("expiresAt", s(DATE_TIME), "Until when a grant lasts.", |d| d.row.expires_at.as_ref().map(datetime))
            .value("decidedAt", s(DATE_TIME), "When decided.", |d| d.row.decided_at.as_ref().map(datetime))
            .value("reason", s(TypeRef::STRING), "Why it was denied.", |d| d.row.reason.clone())
            .value("createdAt", s(DATE_TIME), "When asked.", |d| datetime(&d.row.created_at))
            .field("person", s("Person"), "The disclosed person (once granted, until it expires).", vec![], |d, ctx| {
                load_one(ctx, (d.row.entity_type == "Person").then_some(d.row.entity_id), |l| &l.person)
            })
            .field("case", s("Case"), "The disclosed case (once granted, until it expires).", vec![], |d, ctx| {
                load_one(ctx, (d.row.entity_type == "Case").then_some(d.row.entity_id), |l| &l.case)
            })
            .build(),
        InputDef::new("LinkCasesInput", "A link between two cases you may see.")
            .field("from", TypeRef::named_nn(TypeRef::ID), "A case.")
            .field("to", TypeRef::named_nn(TypeRef::ID), "The other case.")
            .field("reason", TypeRef::named_nn(TypeRef::STRING), "Why.")
            .field("evidence", TypeRef::named_nn_list(TypeRef::STRING), "Shared identifiers or persons.")
            .field("confidence", s(TypeRef::INT), "0 to 100 (default 50).")
            .build(),
        InputDef::new("RequestDisclosureInput", "Ask the holder of a hit for the record.")
            .field("reference", TypeRef::named_nn(TypeRef::ID), "The hit reference.")
            .field("purpose", TypeRef::named_nn(TypeRef::STRING), "Why you need it.")
            .build(),
        InputDef::new("DecideDisclosureInput", "The holder's decision.")
            .field("id", TypeRef::named_nn(TypeRef::ID), "The request.")
            .field("version", TypeRef::named_nn(TypeRef::INT), "The version you read.")
            .field("hours", s(TypeRef::INT), "For a grant: hours the requester may read the record (1-168, default 24).")
            .field("reason", s(TypeRef::STRING), "For a denial: why.")
            .build(),
        ObjectDef::<Root>::new("Query", "")
            .field("identifierHits", TypeRef::named_nn_list_nn("HitReference"), "Does any agency hold this identifier? Opaque references only.", vec![
                arg("kind", TypeRef::named_nn("IdentifierKind"), "Kind."),
                arg("value", TypeRef::named_nn(TypeRef::STRING), "Value, written any way (it is normalized)."),
                arg("platform", s(TypeRef::STRING), "Platform of a handle."),
            ], |_, ctx| resolve_async(ctx, |ctx| async move { identifier_hits(&ctx).await.map(hits_value) }))
            .field("personHits", TypeRef::named_nn_list_nn("HitReference"), "Does any agency hold a person of this name (and birth date)? Opaque references only.", vec![
                arg("fullName", TypeRef::named_nn(TypeRef::STRING), "Name (diacritics, case and word order ignored)."),
                arg("dateOfBirth", s(DATE), "Date of birth."),
            ], |_, ctx| resolve_async(ctx, |ctx| async move { person_hits(&ctx).await.map(hits_value) }))
            .field("linkSuggestions", TypeRef::named_nn_list_nn("LinkSuggestion"), "Cases sharing an identifier or a person with this case, ranked, with the evidence.", vec![
                arg("caseId", TypeRef::named_nn(TypeRef::ID), "The case."),
            ], |_, ctx| resolve_async(ctx, |ctx| async move { suggestions(&ctx).await.map(|l| Some(FieldValue::list(l.into_iter().map(FieldValue::owned_any)))) }))
            .field("network", s("NetworkGraph"), "The connected graph of persons, cases and identifiers around a case or a person.", vec![
                arg("caseId", s(TypeRef::ID), "Start from this case."),
                arg("personId", s(TypeRef::ID), "Or from this person."),
                arg_default("depth", TypeRef::named_nn(TypeRef::INT), "Levels (1-4).", 2),
                arg_default("limit", TypeRef::named_nn(TypeRef::INT), "Nodes at most (1-500).", 200),
            ], |_, ctx| resolve_async(ctx, |ctx| async move { network(&ctx).await.map(|g| Some(FieldValue::owned_any(g))) }))
            .field("disclosureRequests", s("DisclosureRequestConnection"), "Disclosure requests your agency made, or must answer (incoming).", vec![
                arg("incoming", s(TypeRef::BOOLEAN), "Only those you must answer (true) or those you asked (false)."),
                arg_default("pending", TypeRef::named_nn(TypeRef::BOOLEAN), "Only undecided ones.", false),
                arg_default("first", TypeRef::named_nn(TypeRef::INT), "Page size (1-100).", 20),
                arg("after", s(TypeRef::STRING), "Continue after this cursor."),
            ], |_, ctx| resolve_async(ctx, |ctx| async move { disclosures(&ctx).await.map(|p| Some(FieldValue::owned_any(p))) }))
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field("linkCases", s("CaseLink"), "Link two cases you may see.", vec![arg("input", TypeRef::named_nn("LinkCasesInput"), "The link.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { link(&ctx).await.map(|l| Some(FieldValue::owned_any(l))) })
            })
            .field("unlinkCases", s(TypeRef::ID), "Remove a link.", vec![arg("id", TypeRef::named_nn(TypeRef::ID), "The link.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { unlink(&ctx).await.map(|id| Some(FieldValue::value(id.to_string()))) })
            })
            .field("requestDisclosure", s("DisclosureRequest"), "Ask the holder of a hit for the record.", vec![arg("input", TypeRef::named_nn("RequestDisclosureInput"), "The request.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { request(&ctx).await.map(|d| Some(FieldValue::owned_any(d))) })
            })
            .field("grantDisclosure", s("DisclosureRequest"), "Let the requester read the record for a while (holder only).", vec![arg("input", TypeRef::named_nn("DecideDisclosureInput"), "The decision.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { decide(&ctx, "grantDisclosure", true).await.map(|d| Some(FieldValue::owned_any(d))) })
            })
            .field("denyDisclosure", s("DisclosureRequest"), "Refuse a disclosure request (holder only).", vec![arg("input", TypeRef::named_nn("DecideDisclosureInput"), "The decision.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { decide(&ctx, "denyDisclosure", false).await.map(|d| Some(FieldValue::owned_any(d))) })
            })
            .build(),
    ];
    types.extend(connection::<DisclosureNode>(
        "DisclosureRequestConnection",
        "DisclosureRequestEdge",
        "DisclosureRequest",
    ));
    types
}

fn hits_value(hits: Vec<Hit>) -> Option<FieldValue<'static>> {
    Some(FieldValue::list(
        hits.into_iter().map(FieldValue::owned_any),
    ))
}

/// References to `holdings` for the caller, audited (one event per reference, naming only the
/// reference).
async fn references(
    req: &RequestCtx,
    holdings: Vec<Holding>,
    what: &'static str,
) -> ApiResult<Vec<Hit>> {
    let contacts = store::contacts(&req.read_db).await?;
    let issued = store::issue_references(&req.db, &req.principal, &holdings).await?;
    Ok(issued
        .into_iter()
        .map(|r: hit_reference::Model| {
            req.audit.read(
                AuditEntity {
                    ty: "HitReference",
                    id: r.id,
                    person: None,
                },
                what,
            );
            Hit {
                reference: r.id,
                kind: r.entity_type.to_ascii_lowercase(),
                contact: contacts.get(&r.holder_agency).cloned().unwrap_or_default(),
                holder: r.holder_agency,
            }
        })
        .collect())
}

async fn identifier_hits(ctx: &ResolverContext<'_>) -> ApiResult<Vec<Hit>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    rate_limit_hits(ctx, req)?;
    let kind = ctx
        .args
        .get("kind")
        .and_then(|v| {
            v.enum_name()
                .ok()
                .and_then(|k| k.parse::<IdentifierKind>().ok())
        })
        .ok_or_else(|| ApiError::bad_input("kind", "is required"))?;
    let value = ctx
        .args
        .get("value")
        .and_then(|v| v.string().ok())
        .ok_or_else(|| ApiError::bad_input("value", "is required"))?;
    let platform = ctx.args.get("platform").and_then(|v| v.string().ok());
    let normalized = normalize::normalize_identifier(kind, value, platform)
        .map_err(|e| ApiError::bad_input("value", e.to_string()))?;
    let holdings =
        store::identifier_holdings(&req.read_db, kind.as_ref(), &normalized.value).await?;
    references(req, holdings, "identifierHits").await
}

async fn person_hits(ctx: &ResolverContext<'_>) -> ApiResult<Vec<Hit>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    rate_limit_hits(ctx, req)?;
    let name = ctx
        .args
        .get("fullName")
        .and_then(|v| v.string().ok())
        .ok_or_else(|| ApiError::bad_input("fullName", "is required"))?;
    let folded = normalize::fold_name(name);
    if folded.is_empty() {
        return Err(ApiError::bad_input("fullName", "is empty once folded"));
    }
    let dob = match ctx.args.get("dateOfBirth").and_then(|v| v.string().ok()) {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_input("dateOfBirth", "must be YYYY-MM-DD"))?,
        ),
        None => None,
    };
    let holdings = store::person_holdings(&req.read_db, &folded, dob).await?;
    references(req, holdings, "personHits").await
}

async fn suggestions(ctx: &ResolverContext<'_>) -> ApiResult<Vec<Suggestion>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let case_id = input::id_arg(ctx, "caseId")?;
    let case = load_fresh(req, case_id)
        .await
        .inspect_err(|_| req.audit.not_found("Case", case_id))?;
    authorize_row(req, "Query", "linkSuggestions", &case.facts)?;
    let found = store::suggestions(&req.read_db, case_id).await?;
    let ids: Vec<Uuid> = found.iter().map(|s| s.case_id).collect();
    let visible: HashMap<Uuid, CaseNode> =
        crate::store::case::by_ids(&req.read_db, &req.principal, &ids)
            .await?
            .into_iter()
            .map(|c| (c.row.id, Arc::new(c)))
            .collect();
    let hidden: Vec<Holding> = found
        .iter()
        .filter(|s| !visible.contains_key(&s.case_id))
        .map(|s| Holding {
            entity_type: "Case",
            entity_id: s.case_id,
            holder: s.lead_agency.clone(),
        })
        .collect();
    let mut refs = references(req, hidden, "linkSuggestions")
        .await?
        .into_iter();
    Ok(found
        .into_iter()
        .map(|s| {
            let evidence = s.evidence.into_iter().collect();
            match visible.get(&s.case_id) {
                Some(c) => Suggestion {
                    case: Some(c.clone()),
                    reference: None,
                    evidence,
                },
                None => Suggestion {
                    case: None,
                    reference: refs.next(),
                    evidence,
                },
            }
        })
        .collect())
}

/// The deepest and widest expansion asked for.
const MAX_DEPTH: i64 = 4;
const MAX_NODES: i64 = 500;

async fn network(ctx: &ResolverContext<'_>) -> ApiResult<Graph> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let depth = ctx
        .args
        .get("depth")
        .and_then(|v| v.i64().ok())
        .unwrap_or(2);
    if !(1..=MAX_DEPTH).contains(&depth) {
        return Err(ApiError::bad_input(
            "depth",
            format!("must be between 1 and {MAX_DEPTH}"),
        ));
    }
    let limit = ctx
        .args
        .get("limit")
        .and_then(|v| v.i64().ok())
        .unwrap_or(200);
    if !(1..=MAX_NODES).contains(&limit) {
        return Err(ApiError::bad_input(
            "limit",
            format!("must be between 1 and {MAX_NODES}"),
        ));
    }
    let case = ctx
        .args
        .get("caseId")
        .and_then(|v| v.string().ok())
        .map(|s| {
            input::parse_id(s).ok_or_else(|| ApiError::bad_input("caseId", "is not a valid ID"))
        })
        .transpose()?;
    let person = ctx
        .args
        .get("personId")
        .and_then(|v| v.string().ok())
        .map(|s| {
            input::parse_id(s).ok_or_else(|| ApiError::bad_input("personId", "is not a valid ID"))
        })
        .transpose()?;
    let start = match (case, person) {
        (Some(id), None) => {
            load_fresh(req, id)
                .await
                .inspect_err(|_| req.audit.not_found("Case", id))?;
            Node::Case(id)
        }
        (None, Some(id)) => {
            crate::store::person::by_ids(&req.read_db, &req.principal, &[id])
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    req.audit.not_found("Person", id);
                    ApiError::NotFound("person")
                })?;
            Node::Person(id)
        }
        _ => return Err(ApiError::bad_input("caseId", "give caseId or personId")),
    };
    let raw = store::expand(&req.read_db, start, depth as u8, limit as usize).await?;
    // What the caller may see of each node, loaded in one scoped query per kind.
    let case_ids: Vec<Uuid> = raw
        .nodes
        .iter()
        .filter_map(|(n, _)| {
            if let Node::Case(id) = n {
                Some(*id)
            } else {
                None
            }
        })
        .collect();
    let person_ids: Vec<Uuid> = raw
        .nodes
        .iter()
        .filter_map(|(n, _)| {
            if let Node::Person(id) = n {
                Some(*id)
            } else {
                None
            }
        })
        .collect();
    let cases: HashMap<Uuid, CaseNode> =
        crate::store::case::by_ids(&req.read_db, &req.principal, &case_ids)
            .await?
            .into_iter()
            .map(|c| (c.row.id, Arc::new(c)))
            .collect();
    let persons: HashMap<Uuid, PersonNode> =
        crate::store::person::by_ids(&req.read_db, &req.principal, &person_ids)
            .await?
            .into_iter()
            .map(|p| (p.row.id, Arc::new(p)))
            .collect();
    let visible_persons: Vec<Uuid> = persons.keys().copied().collect();
    let identifiers: HashMap<Uuid, IdentifierNode> = crate::store::person::identifiers_of_persons(
        &req.read_db,
        &req.principal,
        &visible_persons,
    )
    .await?
    .into_iter()
    .map(|i| (i.row.id, Arc::new(i)))
    .collect();
    let hidden: Vec<Holding> = raw
        .nodes
        .iter()
        .filter_map(|(n, _)| match n {
            Node::Case(id) if !cases.contains_key(id) => Some(Holding {
                entity_type: "Case",
                entity_id: *id,
                holder: raw.holders.get(n).cloned().unwrap_or_default(),
            }),
            Node::Person(id) if !persons.contains_key(id) => Some(Holding {
                entity_type: "Person",
                entity_id: *id,
                holder: raw.holders.get(n).cloned().unwrap_or_default(),
            }),
            _ => None,
        })
        .collect();
    let issued = references(req, hidden.clone(), "network").await?;
    let refs: HashMap<Uuid, Hit> = hidden.iter().map(|h| h.entity_id).zip(issued).collect();
    let index: HashMap<Node, usize> = raw
        .nodes
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (*n, i))
        .collect();
    let nodes = raw
        .nodes
        .iter()
        .enumerate()
        .map(|(i, (n, depth))| {
            let mut node = GraphNode {
                index: i,
                kind: "CASE",
                depth: *depth,
                case: None,
                person: None,
                identifier: None,
                reference: None,
            };
            match n {
                Node::Case(id) => {
                    node.case = cases.get(id).cloned();
                    node.reference = refs.get(id).cloned();
                }
                Node::Person(id) => {
                    node.kind = "PERSON";
                    node.person = persons.get(id).cloned();
                    node.reference = refs.get(id).cloned();
                }
                Node::Identifier(id) => {
                    node.kind = "IDENTIFIER";
                    node.identifier = identifiers.get(id).cloned();
                }
            }
            node
        })
        .collect();
    let edges = raw
        .edges
        .iter()
        .filter_map(|(a, b, kind)| {
            Some(GraphEdge {
                from: *index.get(a)?,
                to: *index.get(b)?,
                kind: match kind {
                    EdgeKind::Party => "PARTY",
                    EdgeKind::Holds => "HOLDS",
                    EdgeKind::SameValue => "SAME_VALUE",
                    EdgeKind::Link => "LINK",
                },
            })
        })
        .collect();
    Ok(Graph {
        nodes,
        edges,
        truncated: raw.truncated,
    })
}

async fn disclosures(ctx: &ResolverContext<'_>) -> ApiResult<Page<DisclosureNode>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let incoming = ctx.args.get("incoming").and_then(|v| v.boolean().ok());
    let pending = ctx
        .args
        .get("pending")
        .and_then(|v| v.boolean().ok())
        .unwrap_or(false);
    let first = page_size(ctx.args.get("first").and_then(|v| v.i64().ok()))?;
    let after = match ctx.args.get("after").and_then(|v| v.string().ok()) {
        Some(s) => Some(Cursor::decode(s, "CREATED", "after")?),
        None => None,
    };
    Ok(store::disclosures_page(
        &req.read_db,
        &req.principal,
        incoming,
        pending,
        after.as_ref(),
        first,
    )
    .await?
    .map(Arc::new))
}

async fn link(ctx: &ResolverContext<'_>) -> ApiResult<LinkNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let from = input.required_id("from")?;
    let to = input.required_id("to")?;
    if from == to {
        return Err(ApiError::bad_input(
            "input.to",
            "a case cannot be linked to itself",
        ));
    }
    let a = load_fresh(req, from)
        .await
        .inspect_err(|_| req.audit.not_found("Case", from))?;
    let b = load_fresh(req, to)
        .await
        .inspect_err(|_| req.audit.not_found("Case", to))?;
    let facts = RowFacts {
        quals: Rows::OWN | a.facts.quals | b.facts.quals,
        person: None,
    };
    authorize_row(req, "Mutation", "linkCases", &facts)?;
    let reason = input.required_string("reason", MAX_SHORT)?;
    let evidence = input.strings("evidence", MAX_SHORT)?;
    let confidence = input.int("confidence", 0..=100)?.unwrap_or(50);
    let principal = req.principal.clone();
    let id = write::transact(req, "linkCases", None, input.provided(), move |txn| {
        Box::pin(async move {
            let id =
                store::insert_link(txn, &principal, from, to, reason, evidence, confidence).await?;
            Ok(AuditEntity {
                ty: "CaseLink",
                id,
                person: None,
            })
        })
    })
    .await?;
    store::links_of_cases(&req.db, &req.principal, &[from])
        .await?
        .into_iter()
        .find(|l| l.row.id == id)
        .map(Arc::new)
        .ok_or(ApiError::NotFound("link"))
}

async fn unlink(ctx: &ResolverContext<'_>) -> ApiResult<Uuid> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    write::ensure_writable(req)?;
    let id = input::id_arg(ctx, "id")?;
    let link = crate::store::investigate::links_by_id(&req.db, &req.principal, id)
        .await?
        .ok_or_else(|| {
            req.audit.not_found("CaseLink", id);
            ApiError::NotFound("link")
        })?;
    authorize_row(req, "Mutation", "unlinkCases", &link.facts)?;
    write::transact(req, "unlinkCases", None, vec!["id".into()], move |txn| {
        Box::pin(async move {
            store::delete_link(txn, id).await?;
            Ok(AuditEntity {
                ty: "CaseLink",
                id,
                person: None,
            })
        })
    })
    .await
}

async fn request(ctx: &ResolverContext<'_>) -> ApiResult<DisclosureNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let reference_id = input.required_id("reference")?;
    let reference = store::reference(&req.db, &req.principal, reference_id)
        .await?
        .ok_or(ApiError::NotFound("reference"))?;
    let purpose = input.required_string("purpose", MAX_SHORT)?;
    let principal = req.principal.clone();
    let id = write::transact(
        req,
        "requestDisclosure",
        None,
        input.provided(),
        move |txn| {
            Box::pin(async move {
                let id = store::insert_disclosure(txn, &principal, &reference, purpose).await?;
                Ok(AuditEntity {
                    ty: "DisclosureRequest",
                    id,
                    person: None,
                })
            })
        },
    )
    .await?;
    load_disclosure(req, id).await
}

async fn load_disclosure(req: &RequestCtx, id: Uuid) -> ApiResult<DisclosureNode> {
    store::disclosures_by_ids(&req.db, &req.principal, &[id])
        .await?
        .into_iter()
        .next()
        .map(Arc::new)
        .ok_or_else(|| {
            req.audit.not_found("DisclosureRequest", id);
            ApiError::NotFound("disclosure request")
        })
}

/// Longest grant, in hours.
const MAX_GRANT_HOURS: i64 = 168;

async fn decide(
    ctx: &ResolverContext<'_>,
    operation: &'static str,
    grant: bool,
) -> ApiResult<DisclosureNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let id = input.required_id("id")?;
    let version = input.required_version()?;
    let request = load_disclosure(req, id).await?;
    authorize_row(req, "Mutation", operation, &request.facts)?;
    crate::domain::lifecycle::holder_decides(request.facts.quals.contains(Rows::ADDRESSED))?;
    let (to, expires_at, reason) = if grant {
        let hours = i64::from(input.int("hours", 1..=MAX_GRANT_HOURS)?.unwrap_or(24));
        (
            "GRANTED",
            Some(crate::store::now() + chrono::Duration::hours(hours)),
            None,
        )
    } else {
        let reason = input
            .string("reason", MAX_SHORT)?
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| ApiError::bad_input("input.reason", "give a reason"))?;
        ("DENIED", None, Some(reason))
    };
    let principal = req.principal.clone();
    let entity = AuditEntity {
        ty: "DisclosureRequest",
        id,
        person: (request.row.entity_type == "Person").then_some(request.row.entity_id),
    };
    write::transact(req, operation, None, input.provided(), move |txn| {
        Box::pin(async move {
            store::decide(txn, &principal, id, version, to, expires_at, reason).await?;
            Ok(entity)
        })
    })
    .await?;
    load_disclosure(req, id).await
}
