//! Investigator tools over the database: case links, hit/no-hit matches and their opaque
//! references, disclosure requests, link suggestions and the breadth-first network expansion.
//!
//! Matching (hits, suggestions, the network walk) looks across every agency's records on
//! purpose: that is how a link held by another agency is found. What the caller then sees of a
//! match goes through the policy: rows in its scope load through their scoped queries; the rest
//! are only ever named by an opaque [`hit_reference`] row.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    case, case_link, case_party, disclosure_request, hit_reference, identifier, person,
};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::Faceted;
use super::page::{Cursor, Page};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::policy::scope;

/// A link with its facts.
pub(crate) type LinkView = Faceted<case_link::Model>;
/// A disclosure request with its facts.
pub(crate) type DisclosureView = Faceted<disclosure_request::Model>;

/// The visible links touching these cases.
pub(crate) async fn links_of_cases(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<LinkView>> {
    if case_ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = case_link::Entity::find()
        .filter(
            Condition::any()
                .add(case_link::Column::FromCase.is_in(case_ids.iter().copied()))
                .add(case_link::Column::ToCase.is_in(case_ids.iter().copied())),
        )
        .order_by_asc(case_link::Column::Id);
    Ok(super::scoped(q, scope::case_links(p, "case_link"))
        .all(db)
        .await?)
}

/// One link by id, if the caller may see it.
pub(crate) async fn links_by_id(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> ApiResult<Option<LinkView>> {
    let q = case_link::Entity::find().filter(case_link::Column::Id.eq(id));
    Ok(super::scoped(q, scope::case_links(p, "case_link"))
        .one(db)
        .await?)
}

/// Inserts a link between two cases; an existing link between them is a `CONFLICT`.
pub(crate) async fn insert_link(
    db: &impl ConnectionTrait,
    p: &Principal,
    from: Uuid,
    to: Uuid,
    reason: String,
    evidence: Vec<String>,
    confidence: i32,
) -> ApiResult<Uuid> {
    let exists = case_link::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(case_link::Column::FromCase.eq(from))
                        .add(case_link::Column::ToCase.eq(to)),
                )
                .add(
                    Condition::all()
                        .add(case_link::Column::FromCase.eq(to))
                        .add(case_link::Column::ToCase.eq(from)),
                ),
        )
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(ApiError::Conflict("the cases are already linked".into()));
    }
    let now = super::now();
    let id = super::new_id();
    case_link::Entity::insert(case_link::ActiveModel {
        id: Set(id),
        from_case: Set(from),
        to_case: Set(to),
        reason: Set(reason),
        evidence: Set(super::json_list(&evidence)),
        confidence: Set(confidence),
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

/// Deletes a link.
pub(crate) async fn delete_link(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<()> {
    case_link::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// One record a hit points to: the record and the agency holding it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Holding {
    pub(crate) entity_type: &'static str,
    pub(crate) entity_id: Uuid,
    pub(crate) holder: String,
}

/// Persons holding an identifier with this normalized value, across every agency.
pub(crate) async fn identifier_holdings(
    db: &impl ConnectionTrait,
    kind: &str,
    normalized: &str,
) -> ApiResult<Vec<Holding>> {
    let rows = identifier::Entity::find()
        .filter(identifier::Column::Kind.eq(kind))
        .filter(identifier::Column::Normalized.eq(normalized))
        .limit(200)
        .all(db)
        .await?;
    let mut out: BTreeSet<Holding> = BTreeSet::new();
    for r in rows {
        out.insert(Holding {
            entity_type: "Person",
            entity_id: r.person_id,
            holder: r.created_by_agency,
        });
    }
    Ok(out.into_iter().collect())
}

/// Persons with this folded name (and date of birth, when given), across every agency.
pub(crate) async fn person_holdings(
    db: &impl ConnectionTrait,
    name_folded: &str,
    dob: Option<NaiveDate>,
) -> ApiResult<Vec<Holding>> {
    let mut q = person::Entity::find().filter(person::Column::NameFolded.eq(name_folded));
    if let Some(d) = dob {
        q = q.filter(person::Column::DateOfBirth.eq(d));
    }
    let rows = q.limit(200).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| Holding {
            entity_type: "Person",
            entity_id: r.id,
            holder: r.created_by_agency,
        })
        .collect())
}

/// Issues opaque references to `holdings` for the caller's agency, in one statement.
pub(crate) async fn issue_references(
    db: &impl ConnectionTrait,
    p: &Principal,
    holdings: &[Holding],
) -> ApiResult<Vec<hit_reference::Model>> {
    if holdings.is_empty() {
        return Ok(Vec::new());
    }
    let now = super::now();
    let rows: Vec<hit_reference::Model> = holdings
        .iter()
        .map(|h| hit_reference::Model {
            id: super::new_id(),
            entity_type: h.entity_type.to_string(),
            entity_id: h.entity_id,
            holder_agency: h.holder.clone(),
            issued_to: p.agency.code().to_string(),
            created_at: now,
        })
        .collect();
    hit_reference::Entity::insert_many(rows.iter().cloned().map(|m| hit_reference::ActiveModel {
        id: Set(m.id),
        entity_type: Set(m.entity_type),
        entity_id: Set(m.entity_id),
        holder_agency: Set(m.holder_agency),
        issued_to: Set(m.issued_to),
        created_at: Set(m.created_at),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(rows)
}

/// A reference issued to the caller's agency.
pub(crate) async fn reference(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> ApiResult<Option<hit_reference::Model>> {
    Ok(hit_reference::Entity::find_by_id(id)
        .filter(hit_reference::Column::IssuedTo.eq(p.agency.code()))
        .one(db)
        .await?)
}

/// Liaison contacts of the agencies.
pub(crate) async fn contacts(db: &impl ConnectionTrait) -> ApiResult<HashMap<String, String>> {
    Ok(entities::agency::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.code, a.contact))
        .collect())
}

/// Inserts a disclosure request (status `PENDING`).
pub(crate) async fn insert_disclosure(
    db: &impl ConnectionTrait,
    p: &Principal,
    reference: &hit_reference::Model,
    purpose: String,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    disclosure_request::Entity::insert(disclosure_request::ActiveModel {
        id: Set(id),
        reference_id: Set(reference.id),
        entity_type: Set(reference.entity_type.clone()),
        entity_id: Set(reference.entity_id),
        holder_agency: Set(reference.holder_agency.clone()),
        requester_agency: Set(p.agency.code().to_string()),
        requester_subject: Set(p.subject.clone()),
        purpose: Set(purpose),
        status: Set("PENDING".into()),
        expires_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await?;
    super::history::record(db, p, "DisclosureRequest", id, None, "PENDING", None).await?;
    Ok(id)
}

/// Disclosure requests by id, in the caller's scope.
pub(crate) async fn disclosures_by_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
) -> ApiResult<Vec<DisclosureView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let q = disclosure_request::Entity::find()
        .filter(disclosure_request::Column::Id.is_in(ids.iter().copied()));
    Ok(
        super::scoped(q, scope::disclosures(p, "disclosure_request"))
            .all(db)
            .await?,
    )
}

/// One page of the caller's disclosure requests, newest first: `incoming` those it must answer,
/// else those it asked; `pending` only the undecided.
pub(crate) async fn disclosures_page(
    db: &DatabaseConnection,
    p: &Principal,
    incoming: Option<bool>,
    pending: bool,
    after: Option<&Cursor>,
    first: u64,
) -> ApiResult<Page<DisclosureView>> {
    let me = p.agency.code();
    let mut base = Condition::all();
    match incoming {
        Some(true) => base = base.add(disclosure_request::Column::HolderAgency.eq(me)),
        Some(false) => base = base.add(disclosure_request::Column::RequesterAgency.eq(me)),
        None => {}
    }
    if pending {
        base = base.add(disclosure_request::Column::Status.eq("PENDING"));
    }
    super::page::newest_first::<disclosure_request::Entity>(
        db,
        base,
        disclosure_request::Column::Id,
        scope::disclosures(p, "disclosure_request"),
        "CREATED",
        after,
        first,
    )
    .await
}

/// Decides a pending request (version-checked): `GRANTED` until `expires_at`, or `DENIED`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn decide(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    expected: i32,
    to: &str,
    expires_at: Option<DateTime<Utc>>,
    reason: Option<String>,
) -> ApiResult<()> {
    let now = super::now();
    super::move_status(
        db,
        p,
        &super::StatusColumn {
            table: "disclosure_request",
            column: "status",
            entity_type: "DisclosureRequest",
            conflict: "the request was already decided or changed (your version is stale)",
        },
        super::StatusMove {
            id,
            expected: Some(expected),
            from: "PENDING",
            to,
            at: now,
            also: vec![
                ("expires_at", expires_at.into()),
                ("decided_at", Some(now).into()),
                ("decided_by", Some(p.subject.clone()).into()),
                ("reason", reason.clone().into()),
            ],
            reason,
        },
    )
    .await
}

/// Another case matching one of `case`'s persons or identifiers, with what matched (named by the
/// caller's own data: its identifier values and its person ids).
#[derive(Clone, Debug, Default)]
pub(crate) struct Suggestion {
    pub(crate) case_id: Uuid,
    pub(crate) lead_agency: String,
    pub(crate) evidence: BTreeSet<String>,
}

/// Cases sharing a normalized identifier, a person, or a person of the same folded name and
/// date of birth with `case`, and not yet linked to it (set-based: a fixed number of queries
/// whatever the case size).
pub(crate) async fn suggestions(
    db: &impl ConnectionTrait,
    case_id: Uuid,
) -> ApiResult<Vec<Suggestion>> {
    let parties = case_party::Entity::find()
        .filter(case_party::Column::CaseId.eq(case_id))
        .all(db)
        .await?;
    let persons: Vec<Uuid> = parties.iter().map(|p| p.person_id).collect();
    if persons.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: BTreeMap<Uuid, BTreeSet<String>> = BTreeMap::new();
    // Identifiers of the case's persons, and every other identifier with the same value.
    let own_ids = identifier::Entity::find()
        .filter(identifier::Column::PersonId.is_in(persons.clone()))
        .all(db)
        .await?;
    let keys: BTreeSet<(String, String)> = own_ids
        .iter()
        .map(|i| (i.kind.clone(), i.normalized.clone()))
        .collect();
    let values: Vec<String> = keys.iter().map(|(_, v)| v.clone()).collect();
    let mut matched_persons: BTreeMap<Uuid, BTreeSet<String>> = BTreeMap::new();
    if !values.is_empty() {
        // `kind IN (..) AND normalized IN (..)` reaches the `(kind, normalized)` index; rows of
        // another kind are dropped below anyway.
        let kinds: BTreeSet<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        let shared = identifier::Entity::find()
            .filter(identifier::Column::Kind.is_in(kinds))
            .filter(identifier::Column::Normalized.is_in(values))
            .all(db)
            .await?;
        for i in shared {
            if keys.contains(&(i.kind.clone(), i.normalized.clone()))
                && !persons.contains(&i.person_id)
            {
                matched_persons
                    .entry(i.person_id)
                    .or_default()
                    .insert(format!("{} {}", i.kind, i.normalized));
            }
        }
    }
    // Persons of the same folded name and date of birth.
    let own_people = person::Entity::find()
        .filter(person::Column::Id.is_in(persons.clone()))
        .all(db)
        .await?;
    let names: Vec<String> = own_people
        .iter()
        .filter(|p| p.date_of_birth.is_some())
        .map(|p| p.name_folded.clone())
        .collect();
    if !names.is_empty() {
        let same = person::Entity::find()
            .filter(person::Column::NameFolded.is_in(names))
            .all(db)
            .await?;
        for other in same {
            if persons.contains(&other.id) {
                continue;
            }
            if let Some(mine) = own_people.iter().find(|m| {
                m.name_folded == other.name_folded
                    && m.date_of_birth.is_some()
                    && m.date_of_birth == other.date_of_birth
            }) {
                matched_persons
                    .entry(other.id)
                    .or_default()
                    .insert(format!("PERSON {} (name and date of birth)", mine.id));
            }
        }
    }
    // The same persons in other cases, and the cases of the matched persons.
    let mut all_persons: Vec<Uuid> = persons.clone();
    all_persons.extend(matched_persons.keys().copied());
    let other_parties = case_party::Entity::find()
        .filter(case_party::Column::PersonId.is_in(all_persons))
        .filter(case_party::Column::CaseId.ne(case_id))
        .all(db)
        .await?;
    for party in other_parties {
        let evidence = found.entry(party.case_id).or_default();
        if persons.contains(&party.person_id) {
            evidence.insert(format!("PERSON {} (same person)", party.person_id));
        }
        if let Some(e) = matched_persons.get(&party.person_id) {
            evidence.extend(e.iter().cloned());
        }
    }
    // Cases already linked to this one (either way) are no longer suggestions.
    if !found.is_empty() {
        let linked = case_link::Entity::find()
            .filter(
                Condition::any()
                    .add(case_link::Column::FromCase.eq(case_id))
                    .add(case_link::Column::ToCase.eq(case_id)),
            )
            .all(db)
            .await?;
        for link in linked {
            found.remove(&link.from_case);
            found.remove(&link.to_case);
        }
    }
    let leads: HashMap<Uuid, String> = case::Entity::find()
        .filter(case::Column::Id.is_in(found.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.lead_agency))
        .collect();
    let mut out: Vec<Suggestion> = found
        .into_iter()
        .filter(|(_, e)| !e.is_empty())
        .map(|(case_id, evidence)| Suggestion {
            lead_agency: leads.get(&case_id).cloned().unwrap_or_default(),
            case_id,
            evidence,
        })
        .collect();
    out.sort_by(|a, b| {
        b.evidence
            .len()
            .cmp(&a.evidence.len())
            .then(a.case_id.cmp(&b.case_id))
    });
    Ok(out)
}

/// A node of the expanded network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Node {
    Case(Uuid),
    Person(Uuid),
    /// An identifier row (its person's identifier).
    Identifier(Uuid),
}

/// How two nodes are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum EdgeKind {
    /// A person is party to a case.
    Party,
    /// A person holds an identifier.
    Holds,
    /// Two identifiers have the same normalized value.
    SameValue,
    /// Two cases are linked.
    Link,
}

/// The expanded graph, before policy.
#[derive(Default)]
pub(crate) struct Graph {
    pub(crate) nodes: Vec<(Node, u8)>,
    pub(crate) edges: BTreeSet<(Node, Node, EdgeKind)>,
    pub(crate) truncated: bool,
    /// Holding agency of each person and case node (for references).
    pub(crate) holders: HashMap<Node, String>,
}

/// Breadth-first expansion from `start` through parties, identifiers (and their shared values)
/// and case links, `depth` levels at most and `limit` nodes at most. Each level costs a fixed
/// number of set-based queries, whatever the frontier size.
pub(crate) async fn expand(
    db: &impl ConnectionTrait,
    start: Node,
    depth: u8,
    limit: usize,
) -> ApiResult<Graph> {
    let mut g = Graph::default();
    let mut seen: HashMap<Node, u8> = HashMap::new();
    seen.insert(start, 0);
    g.nodes.push((start, 0));
    let mut frontier = vec![start];
    for level in 1..=depth {
        let cases: Vec<Uuid> = frontier
            .iter()
            .filter_map(|n| {
                if let Node::Case(id) = n {
                    Some(*id)
                } else {
                    None
                }
            })
            .collect();
        let persons: Vec<Uuid> = frontier
            .iter()
            .filter_map(|n| {
                if let Node::Person(id) = n {
                    Some(*id)
                } else {
                    None
                }
            })
            .collect();
        let idents: Vec<Uuid> = frontier
            .iter()
            .filter_map(|n| {
                if let Node::Identifier(id) = n {
                    Some(*id)
                } else {
                    None
                }
            })
            .collect();
        let mut found: Vec<(Node, Node, EdgeKind)> = Vec::new();
        if !cases.is_empty() {
            for p in case_party::Entity::find()
                .filter(case_party::Column::CaseId.is_in(cases.clone()))
                .limit(limit as u64 * 4)
                .all(db)
                .await?
            {
                found.push((
                    Node::Case(p.case_id),
                    Node::Person(p.person_id),
                    EdgeKind::Party,
                ));
            }
            let links = case_link::Entity::find()
                .filter(
                    Condition::any()
                        .add(case_link::Column::FromCase.is_in(cases.clone()))
                        .add(case_link::Column::ToCase.is_in(cases.clone())),
                )
                .limit(limit as u64 * 4)
                .all(db)
                .await?;
            for l in links {
                found.push((
                    Node::Case(l.from_case),
                    Node::Case(l.to_case),
                    EdgeKind::Link,
                ));
            }
        }
        if !persons.is_empty() {
            for p in case_party::Entity::find()
                .filter(case_party::Column::PersonId.is_in(persons.clone()))
                .limit(limit as u64 * 4)
                .all(db)
                .await?
            {
                found.push((
                    Node::Person(p.person_id),
                    Node::Case(p.case_id),
                    EdgeKind::Party,
                ));
            }
            for i in identifier::Entity::find()
                .filter(identifier::Column::PersonId.is_in(persons.clone()))
                .limit(limit as u64 * 4)
                .all(db)
                .await?
            {
                found.push((
                    Node::Person(i.person_id),
                    Node::Identifier(i.id),
                    EdgeKind::Holds,
                ));
            }
        }
        if !idents.is_empty() {
            let rows = identifier::Entity::find()
                .filter(identifier::Column::Id.is_in(idents.clone()))
                .all(db)
                .await?;
            let values: Vec<String> = rows.iter().map(|i| i.normalized.clone()).collect();
            // Same value means same kind too (checked below): filtering on both reaches the
            // `(kind, normalized)` index instead of scanning every identifier.
            let kinds: BTreeSet<&str> = rows.iter().map(|i| i.kind.as_str()).collect();
            let same = identifier::Entity::find()
                .filter(identifier::Column::Kind.is_in(kinds))
                .filter(identifier::Column::Normalized.is_in(values))
                .limit(limit as u64 * 4)
                .all(db)
                .await?;
            for r in &rows {
                found.push((
                    Node::Identifier(r.id),
                    Node::Person(r.person_id),
                    EdgeKind::Holds,
                ));
                for s in same
                    .iter()
                    .filter(|s| s.id != r.id && s.kind == r.kind && s.normalized == r.normalized)
                {
                    found.push((
                        Node::Identifier(r.id),
                        Node::Identifier(s.id),
                        EdgeKind::SameValue,
                    ));
                }
            }
        }
        let mut next = Vec::new();
        for (a, b, kind) in found {
            let (from, to) = if seen.contains_key(&a) {
                (a, b)
            } else {
                (b, a)
            };
            if let std::collections::hash_map::Entry::Vacant(slot) = seen.entry(to) {
                if g.nodes.len() >= limit {
                    g.truncated = true;
                    continue;
                }
                slot.insert(level);
                g.nodes.push((to, level));
                next.push(to);
            }
            g.edges.insert((from.min(to), from.max(to), kind));
        }
        if next.is_empty() {
            break;
        }
        if level == depth {
            // More lies beyond the depth limit when the last level still had neighbours.
            g.truncated =
                g.truncated || !next.is_empty() && level == depth && has_more(db, &next).await?;
        }
        frontier = next;
    }
    // Holders: the lead agency of cases, the recording agency of persons.
    let case_ids: Vec<Uuid> = g
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
    let person_ids: Vec<Uuid> = g
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
    if !case_ids.is_empty() {
        for c in case::Entity::find()
            .filter(case::Column::Id.is_in(case_ids))
            .all(db)
            .await?
        {
            g.holders.insert(Node::Case(c.id), c.lead_agency);
        }
    }
    if !person_ids.is_empty() {
        for p in person::Entity::find()
            .filter(person::Column::Id.is_in(person_ids))
            .all(db)
            .await?
        {
            g.holders.insert(Node::Person(p.id), p.created_by_agency);
        }
    }
    Ok(g)
}

/// Whether nodes on the last level have neighbours not expanded (one cheap query).
async fn has_more(db: &impl ConnectionTrait, last: &[Node]) -> ApiResult<bool> {
    let persons: Vec<Uuid> = last
        .iter()
        .filter_map(|n| {
            if let Node::Person(id) = n {
                Some(*id)
            } else {
                None
            }
        })
        .collect();
    let cases: Vec<Uuid> = last
        .iter()
        .filter_map(|n| {
            if let Node::Case(id) = n {
                Some(*id)
            } else {
                None
            }
        })
        .collect();
    let mut cond = Condition::any();
    if !persons.is_empty() {
        cond = cond.add(case_party::Column::PersonId.is_in(persons));
    }
    if !cases.is_empty() {
        cond = cond.add(case_party::Column::CaseId.is_in(cases));
    }
    if cond.is_empty() {
        return Ok(!last.is_empty());
    }
    Ok(case_party::Entity::find()
        .filter(cond)
        .limit(1)
        .one(db)
        .await?
        .is_some())
}
