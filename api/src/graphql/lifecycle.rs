//! Lifecycle moves: `moveCase`, `moveIdentification`, the `statusHistory` of cases and parties,
//! and `overdueVerifications` (victims received more than 3 days ago and still unverified).

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};
use entities::status_history;

use super::case::{CaseNode, load_fresh, load_named};
use super::common::{AGENCY_CODE, DATE_TIME, agency_value, datetime};
use super::context::RequestCtx;
use super::input::MAX_SHORT;
use super::model::{
    Guarded, InputDef, ObjectDef, Root, TypeDef, arg, arg_default, load_list, resolve_async,
};
use super::person::PartyNode;
use super::{authorize_row, write};
use crate::audit::AuditEntity;
use crate::domain::lifecycle::{CASE, IDENTIFICATION};
use crate::domain::{CaseStatus, DomainEnum, IdentificationStatus};
use crate::error::{ApiError, ApiResult};
use crate::policy::{self, RowFacts, Rule};
use crate::store::person as persons;

/// How long victim identification may stay open after receipt (Law 53/2024).
pub(crate) const VERIFICATION_DAYS: i64 = 3;

impl Guarded for Arc<status_history::Model> {
    fn facts(&self) -> &RowFacts {
        static NONE: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
        &NONE
    }
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    vec![
        ObjectDef::<Arc<status_history::Model>>::new("StatusMove", "One lifecycle move: who, when, from where to where, why.")
            .value("from", s(TypeRef::STRING), "Status before (none at creation).", |m| m.from_status.clone())
            .value("to", TypeRef::named_nn(TypeRef::STRING), "Status after.", |m| m.to_status.clone())
            .value("agency", TypeRef::named_nn(AGENCY_CODE), "Agency that made the move.", |m| agency_value(&m.agency))
            .value("subject", TypeRef::named_nn(TypeRef::STRING), "Who made it (token subject).", |m| m.subject.clone())
            .value("at", TypeRef::named_nn(DATE_TIME), "When.", |m| datetime(&m.at))
            .value("reason", s(TypeRef::STRING), "Why, when given.", |m| m.reason.clone())
            .build(),
        ObjectDef::<CaseNode>::new("Case", "")
            .field("statusHistory", TypeRef::named_nn_list("StatusMove"), "Every status move of the case.", vec![], |c, ctx| {
                load_list(ctx, c.row.id, |l| &l.history)
            })
            .build(),
        ObjectDef::<PartyNode>::new("CaseParty", "")
            .field("statusHistory", TypeRef::named_nn_list("StatusMove"), "Every identification move of the party.", vec![], |p, ctx| {
                load_list(ctx, p.row.id, |l| &l.history)
            })
            .build(),
        InputDef::new("MoveCaseInput", "A lifecycle move of a case (DESIGN §4.1).")
            .field("id", TypeRef::named_nn(TypeRef::ID), "The case.")
            .field("version", TypeRef::named_nn(TypeRef::INT), "The version you read.")
            .field("to", TypeRef::named_nn("CaseStatus"), "The new status.")
            .field("reason", TypeRef::named(TypeRef::STRING), "Why.")
            .build(),
        InputDef::new("MoveIdentificationInput", "A move of a victim's identification (RECEIVED → VERIFYING → IDENTIFIED | NOT_A_VICTIM).")
            .field("partyId", TypeRef::named_nn(TypeRef::ID), "The victim's party record.")
            .field("version", TypeRef::named_nn(TypeRef::INT), "The version you read.")
            .field("to", TypeRef::named_nn("IdentificationStatus"), "The new status.")
            .field("reason", TypeRef::named(TypeRef::STRING), "Why.")
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field("moveCase", s("Case"), "Move a case through its lifecycle; each agency makes its own moves.", vec![arg("input", TypeRef::named_nn("MoveCaseInput"), "The move.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { move_case(&ctx).await.map(|c| Some(FieldValue::owned_any(c))) })
            })
            .field("moveIdentification", s("CaseParty"), "Move a victim's identification.", vec![arg("input", TypeRef::named_nn("MoveIdentificationInput"), "The move.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { move_identification(&ctx).await.map(|p| Some(FieldValue::owned_any(p))) })
            })
            .build(),
        ObjectDef::<Root>::new("Query", "")
            .field(
                "overdueVerifications",
                TypeRef::named_nn_list_nn("CaseParty"),
                "Victims received more than 3 days ago whose identification is still open, that your agency must verify; oldest first.",
                vec![arg_default("first", TypeRef::named_nn(TypeRef::INT), "How many (1-100).", 50)],
                |_, ctx| resolve_async(ctx, |ctx| async move { overdue(&ctx).await.map(|l| Some(FieldValue::list(l.into_iter().map(FieldValue::owned_any)))) }),
            )
            .build(),
    ]
}

async fn move_case(ctx: &ResolverContext<'_>) -> ApiResult<CaseNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let id = input.required_id("id")?;
    let version = input.required_version()?;
    let to = input.required_enum::<CaseStatus>("to")?.name().to_string();
    let reason = input.string("reason", MAX_SHORT)?;
    let case = load_named(req, id).await?;
    authorize_row(req, "Mutation", "moveCase", &case.facts)?;
    let from = case.row.status.clone();
    CASE.check(req.principal.agency, &from, &to)?;
    let principal = req.principal.clone();
    write::transact(req, "moveCase", None, vec!["status".into()], move |txn| {
        Box::pin(async move {
            crate::store::case::set_status(txn, &principal, id, Some(version), &from, &to, reason)
                .await?;
            Ok(AuditEntity {
                ty: "Case",
                id,
                person: None,
            })
        })
    })
    .await?;
    load_fresh(req, id).await
}

async fn move_identification(ctx: &ResolverContext<'_>) -> ApiResult<PartyNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let id = input.required_id("partyId")?;
    let version = input.required_version()?;
    let to = input
        .required_enum::<IdentificationStatus>("to")?
        .name()
        .to_string();
    let reason = input.string("reason", MAX_SHORT)?;
    let party = write::load_scoped_or_not_found(
        req,
        "CaseParty",
        "party",
        id,
        persons::party_by_id(&req.db, &req.principal, id),
    )
    .await?;
    authorize_row(req, "Mutation", "moveIdentification", &party.facts)?;
    let from = party.row.identification.clone().ok_or_else(|| ApiError::InvalidTransition {
        message: "this party has no identification to move (suspects and witnesses are not identified)".into(),
        allowed: vec![],
    })?;
    IDENTIFICATION.check(req.principal.agency, &from, &to)?;
    let principal = req.principal.clone();
    let person = party.row.person_id;
    write::transact(
        req,
        "moveIdentification",
        None,
        vec!["identification".into()],
        move |txn| {
            Box::pin(async move {
                persons::set_identification(txn, &principal, id, version, &from, &to, reason)
                    .await?;
                Ok(AuditEntity {
                    ty: "CaseParty",
                    id,
                    person: Some(person),
                })
            })
        },
    )
    .await?;
    persons::party_by_id(&req.db, &req.principal, id)
        .await?
        .map(Arc::new)
        .ok_or(ApiError::NotFound("party"))
}

async fn overdue(ctx: &ResolverContext<'_>) -> ApiResult<Vec<PartyNode>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let first = crate::store::page::page_size(ctx.args.get("first").and_then(|v| v.i64().ok()))?;
    let before = crate::store::now() - chrono::Duration::days(VERIFICATION_DAYS);
    let rows = persons::overdue_identifications(&req.read_db, &req.principal, before, 500).await?;
    let rule = policy::rule("Mutation", "moveIdentification").unwrap_or(Rule::Structural);
    Ok(rows
        .into_iter()
        .filter(|p| {
            IDENTIFICATION
                .moves
                .iter()
                .any(|m| m.by.contains(&req.principal.agency))
                && policy::check(
                    &req.principal,
                    rule,
                    "Mutation",
                    "moveIdentification",
                    &p.facts,
                )
                .is_ok()
        })
        .take(first as usize)
        .map(Arc::new)
        .collect())
}
