//! The repatriation and referral workflow: embassy flags (`flagSuspectedVictim`, identity
//! verification by police, handover, closing) and victim referrals (`sendReferral`,
//! `acceptReferral`, `declineReferral`, `revokeReferral`, `completeReferral`,
//! `overdueReferrals`). A receiver reads the referred person through the accepted referral's
//! `sharedFields` only, and loses that access when the referral is revoked.

use std::sync::Arc;

use async_graphql::Value;
use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};

use super::case::{CaseNode, countries, ensure_case_exists};
use super::common::{
    AGENCY_CODE, DATE_TIME, Id, agency_value, connection, datetime, enum_list, enum_value,
    parse_agency,
};
use super::context::RequestCtx;
use super::input::{Input, MAX_SHORT, MAX_TEXT, page_args, with_page_args};
use super::model::{
    Guarded, InputDef, ObjectDef, Root, TypeDef, arg, domain_enum, load_list, load_one,
    resolve_async,
};
use super::person::load_person;
use super::{authorize_row, write};
use crate::audit::AuditEntity;
use crate::domain::lifecycle::{FLAG, REFERRAL, referral_side};
use crate::domain::{
    Consent, DomainEnum, FlagStatus, PersonField, ReferralStatus, Service, Urgency,
    VerificationStatus,
};
use crate::error::{ApiError, ApiResult};
use crate::policy::{RowFacts, Rows};
use crate::store::page::Page;
use crate::store::workflow::{
    self as store, Direction, FlagChange, FlagView, NewFlag, NewReferral, ReferralView,
};

/// Parent value of `VictimFlag` fields.
pub(crate) type FlagNode = Arc<FlagView>;
/// Parent value of `Referral` fields.
pub(crate) type ReferralNode = Arc<ReferralView>;

impl Guarded for FlagNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
    fn audit_entity(&self) -> Option<AuditEntity> {
        Some(AuditEntity {
            ty: "VictimFlag",
            id: self.row.id,
            person: Some(self.row.person_id),
        })
    }
}

impl Guarded for ReferralNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
    fn audit_entity(&self) -> Option<AuditEntity> {
        Some(AuditEntity {
            ty: "Referral",
            id: self.row.id,
            person: Some(self.row.person_id),
        })
    }
}

/// Days a receiver has to answer a referral when the sender sets no due date.
pub(crate) const DEFAULT_REFERRAL_DAYS: i64 = 3;

fn shared_fields_value(text: &str) -> Value {
    Value::List(
        crate::store::parse_list(text)
            .iter()
            .filter_map(|f| PersonField::of_field(f))
            .map(|f| enum_value(f.name()).into())
            .collect(),
    )
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    let mut types = vec![
        domain_enum::<FlagStatus>(),
        domain_enum::<VerificationStatus>(),
        domain_enum::<ReferralStatus>(),
        domain_enum::<Consent>(),
        domain_enum::<PersonField>(),
        ObjectDef::<FlagNode>::new("VictimFlag", "An embassy's flag of a suspected victim abroad.")
            .key("id")
            .value("id", TypeRef::named_nn(TypeRef::ID), "Flag id.", |f| Id(f.row.id))
            .value("version", TypeRef::named_nn(TypeRef::INT), "Version.", |f| f.row.version)
            .value("status", s("FlagStatus"), "Lifecycle status.", |f| enum_value(&f.row.status))
            .value("mission", s(TypeRef::STRING), "The mission that flagged.", |f| f.row.mission.clone())
            .value("hostCountry", s(TypeRef::STRING), "Country where the person is.", |f| f.row.host_country.clone())
            .value("location", s(TypeRef::STRING), "Where the person is.", |f| f.row.location.clone())
            .value("circumstances", s(TypeRef::STRING), "What is known.", |f| f.row.circumstances.clone())
            .value("urgency", s("Urgency"), "How urgent.", |f| enum_value(&f.row.urgency))
            .value("verificationStatus", s("VerificationStatus"), "Identity verification by police.", |f| enum_value(&f.row.verification_status))
            .value("verificationRequestedAt", s(DATE_TIME), "When verification was requested.", |f| f.row.verification_requested_at.as_ref().map(datetime))
            .value("verificationResult", s(TypeRef::STRING), "What police found.", |f| f.row.verification_result.clone())
            .value("verifiedAt", s(DATE_TIME), "When police answered.", |f| f.row.verified_at.as_ref().map(datetime))
            .value("createdAt", s(DATE_TIME), "When flagged.", |f| datetime(&f.row.created_at))
            .value("createdByAgency", s(AGENCY_CODE), "Agency that flagged.", |f| agency_value(&f.row.created_by_agency))
            .field("person", s("Person"), "The person (provisional identity).", vec![], |f, ctx| load_one(ctx, Some(f.row.person_id), |l| &l.person))
            .field("case", s("Case"), "The case, once linked.", vec![], |f, ctx| load_one(ctx, f.row.case_id, |l| &l.case))
            .field("statusHistory", TypeRef::named_nn_list("StatusMove"), "Every move.", vec![], |f, ctx| load_list(ctx, f.row.id, |l| &l.history))
            .build(),
        ObjectDef::<ReferralNode>::new("Referral", "A referral of a person from one agency to another.")
            .key("id")
            .value("id", TypeRef::named_nn(TypeRef::ID), "Referral id.", |r| Id(r.row.id))
            .value("version", TypeRef::named_nn(TypeRef::INT), "Version.", |r| r.row.version)
            .value("status", s("ReferralStatus"), "Lifecycle status.", |r| enum_value(&r.row.status))
            .value("fromAgency", s(AGENCY_CODE), "Sender.", |r| agency_value(&r.row.from_agency))
            .value("toAgency", s(AGENCY_CODE), "Receiver.", |r| agency_value(&r.row.to_agency))
            .value("purpose", s(TypeRef::STRING), "Why.", |r| r.row.purpose.clone())
            .value("services", TypeRef::named_nn_list("Service"), "Services asked for.", |r| enum_list(&r.row.services))
            .value("consent", s("Consent"), "The person's consent.", |r| enum_value(&r.row.consent))
            .value("consentReason", s(TypeRef::STRING), "Why consent was overridden.", |r| r.row.consent_reason.clone())
            .value("sharedFields", TypeRef::named_nn_list("PersonField"), "Person fields the receiver may read.", |r| shared_fields_value(&r.row.shared_fields))
            .value("dueAt", s(DATE_TIME), "Answer due by.", |r| datetime(&r.row.due_at))
            .value("overdue", s(TypeRef::BOOLEAN), "Unanswered after its due date.", |r| r.row.status == "SENT" && r.row.due_at < crate::store::now())
            .value("respondedAt", s(DATE_TIME), "When answered.", |r| r.row.responded_at.as_ref().map(datetime))
            .value("completedAt", s(DATE_TIME), "When completed.", |r| r.row.completed_at.as_ref().map(datetime))
            .value("outcome", s(TypeRef::STRING), "Outcome.", |r| r.row.outcome.clone())
            .value("declineReason", s(TypeRef::STRING), "Why declined or revoked.", |r| r.row.decline_reason.clone())
            .value("createdAt", s(DATE_TIME), "When sent.", |r| datetime(&r.row.created_at))
            .field("person", s("Person"), "The person referred.", vec![], |r, ctx| load_one(ctx, Some(r.row.person_id), |l| &l.person))
            .field("case", s("Case"), "The case, if any.", vec![], |r, ctx| load_one(ctx, r.row.case_id, |l| &l.case))
            .field("statusHistory", TypeRef::named_nn_list("StatusMove"), "Every move.", vec![], |r, ctx| load_list(ctx, r.row.id, |l| &l.history))
            .build(),
        ObjectDef::<CaseNode>::new("Case", "")
            .field("flags", TypeRef::named_nn_list("VictimFlag"), "Embassy flags linked to the case.", vec![], |c, ctx| load_list(ctx, c.row.id, |l| &l.flags_of_case))
            .field("referrals", TypeRef::named_nn_list("Referral"), "Referrals about the case.", vec![], |c, ctx| load_list(ctx, c.row.id, |l| &l.referrals_of_case))
            .build(),
        InputDef::new("FlagSuspectedVictimInput", "A suspected victim abroad: an existing person or a provisional identity.")
            .field("mission", TypeRef::named_nn(TypeRef::STRING), "The flagging mission.")
            .field("hostCountry", TypeRef::named_nn(TypeRef::STRING), "Country where the person is (ISO alpha-2).")
            .field("location", s(TypeRef::STRING), "Where the person is.")
            .field("circumstances", TypeRef::named_nn(TypeRef::STRING), "What is known.")
            .field("urgency", TypeRef::named_nn("Urgency"), "How urgent.")
            .field("personId", s(TypeRef::ID), "An existing person.")
            .field("person", s("PersonInput"), "A provisional identity.")
            .field("caseId", s(TypeRef::ID), "A related case.")
            .field("idempotencyKey", s(TypeRef::STRING), "Retry-safe key.")
            .build(),
        InputDef::new("FlagRefInput", "A flag and the version you read.")
            .field("id", TypeRef::named_nn(TypeRef::ID), "The flag.")
            .field("version", TypeRef::named_nn(TypeRef::INT), "The version you read.")
            .build(),
        InputDef::new("RecordIdentityVerificationInput", "Police's answer to an identity verification request.")
            .field("id", TypeRef::named_nn(TypeRef::ID), "The flag.")
            .field("version", TypeRef::named_nn(TypeRef::INT), "The version you read.")
            .field("confirmed", TypeRef::named_nn(TypeRef::BOOLEAN), "Whether the identity is confirmed.")
            .field("result", s(TypeRef::STRING), "What was found.")
            .build(),
        InputDef::new("MoveFlagInput", "A move of a flag: RESCUED, REPATRIATED (foreign affairs), HANDED_OVER (border guard), CLOSED, UNFOUNDED.")
            .field("id", TypeRef::named_nn(TypeRef::ID), "The flag.")
            .field("version", TypeRef::named_nn(TypeRef::INT), "The version you read.")
            .field("to", TypeRef::named_nn("FlagStatus"), "The new status.")
            .field("caseId", s(TypeRef::ID), "Link the flag to this case.")
            .field("reason", s(TypeRef::STRING), "Why.")
            .build(),
        InputDef::new("SendReferralInput", "A referral of a person to another agency.")
            .field("toAgency", TypeRef::named_nn(AGENCY_CODE), "The receiving agency.")
            .field("personId", TypeRef::named_nn(TypeRef::ID), "The person.")
            .field("caseId", s(TypeRef::ID), "The case, if any.")
            .field("purpose", TypeRef::named_nn(TypeRef::STRING), "Why.")
            .field("services", TypeRef::named_nn_list_nn("Service"), "Services asked for.")
            .field("consent", TypeRef::named_nn("Consent"), "The person's consent.")
            .field("consentReason", s(TypeRef::STRING), "Required when consent is OVERRIDDEN.")
            .field("sharedFields", TypeRef::named_nn_list_nn("PersonField"), "Person fields the receiver may read.")
            .field("dueAt", s(DATE_TIME), "Answer due by (default: 3 days).")
            .field("idempotencyKey", s(TypeRef::STRING), "Retry-safe key.")
            .build(),
        InputDef::new("AnswerReferralInput", "An answer to, or a change of, a referral.")
            .field("id", TypeRef::named_nn(TypeRef::ID), "The referral.")
            .field("version", TypeRef::named_nn(TypeRef::INT), "The version you read.")
            .field("reason", s(TypeRef::STRING), "Why (declining, revoking) or the outcome (completing).")
            .build(),
        ObjectDef::<Root>::new("Query", "")
            .field("flags", s("VictimFlagConnection"), "Embassy flags in your scope, newest first.", with_page_args(vec![arg("status", s("FlagStatus"), "Only this status.")]), |_, ctx| {
                resolve_async(ctx, |ctx| async move { list_flags(&ctx).await.map(|p| Some(FieldValue::owned_any(p))) })
            })
            .field("referrals", s("ReferralConnection"), "Referrals your agency sent or received, newest first.", with_page_args(vec![arg("received", s(TypeRef::BOOLEAN), "Only received (true) or only sent (false)."), arg("status", s("ReferralStatus"), "Only this status.")]), |_, ctx| {
                resolve_async(ctx, |ctx| async move { list_referrals(&ctx, false).await.map(|p| Some(FieldValue::owned_any(p))) })
            })
            .field("overdueReferrals", s("ReferralConnection"), "Referrals still unanswered after their due date, sent or received by your agency.", with_page_args(vec![arg("received", s(TypeRef::BOOLEAN), "Only received (true) or only sent (false).")]), |_, ctx| {
                resolve_async(ctx, |ctx| async move { list_referrals(&ctx, true).await.map(|p| Some(FieldValue::owned_any(p))) })
            })
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field("flagSuspectedVictim", s("VictimFlag"), "Flag a suspected victim abroad (foreign affairs).", vec![arg("input", TypeRef::named_nn("FlagSuspectedVictimInput"), "The flag.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { flag(&ctx).await.map(|f| Some(FieldValue::owned_any(f))) })
            })
            .field("requestIdentityVerification", s("VictimFlag"), "Ask police to verify the flagged person's identity (foreign affairs).", vec![arg("input", TypeRef::named_nn("FlagRefInput"), "The flag.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { request_verification(&ctx).await.map(|f| Some(FieldValue::owned_any(f))) })
            })
            .field("recordIdentityVerification", s("VictimFlag"), "Answer an identity verification request (police).", vec![arg("input", TypeRef::named_nn("RecordIdentityVerificationInput"), "The answer.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { record_verification(&ctx).await.map(|f| Some(FieldValue::owned_any(f))) })
            })
            .field("moveFlag", s("VictimFlag"), "Move a flag: rescued, repatriated, handed over, closed, unfounded.", vec![arg("input", TypeRef::named_nn("MoveFlagInput"), "The move.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { move_flag(&ctx).await.map(|f| Some(FieldValue::owned_any(f))) })
            })
            .field("sendReferral", s("Referral"), "Refer a person to another agency.", vec![arg("input", TypeRef::named_nn("SendReferralInput"), "The referral.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { send_referral(&ctx).await.map(|r| Some(FieldValue::owned_any(r))) })
            })
            .field("acceptReferral", s("Referral"), "Accept a referral addressed to your agency.", vec![arg("input", TypeRef::named_nn("AnswerReferralInput"), "The referral.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { answer(&ctx, "acceptReferral", ReferralStatus::Accepted).await.map(|r| Some(FieldValue::owned_any(r))) })
            })
            .field("declineReferral", s("Referral"), "Decline a referral addressed to your agency (with a reason).", vec![arg("input", TypeRef::named_nn("AnswerReferralInput"), "The referral.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { answer(&ctx, "declineReferral", ReferralStatus::Declined).await.map(|r| Some(FieldValue::owned_any(r))) })
            })
            .field("revokeReferral", s("Referral"), "Revoke a referral your agency sent; the receiver's access ends at once.", vec![arg("input", TypeRef::named_nn("AnswerReferralInput"), "The referral.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { answer(&ctx, "revokeReferral", ReferralStatus::Revoked).await.map(|r| Some(FieldValue::owned_any(r))) })
            })
            .field("completeReferral", s("Referral"), "Complete an accepted referral (with its outcome).", vec![arg("input", TypeRef::named_nn("AnswerReferralInput"), "The referral.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { answer(&ctx, "completeReferral", ReferralStatus::Completed).await.map(|r| Some(FieldValue::owned_any(r))) })
            })
            .build(),
    ];
    types.extend(connection::<FlagNode>(
        "VictimFlagConnection",
        "VictimFlagEdge",
        "VictimFlag",
    ));
    types.extend(connection::<ReferralNode>(
        "ReferralConnection",
        "ReferralEdge",
        "Referral",
    ));
    types
}

async fn list_flags(ctx: &ResolverContext<'_>) -> ApiResult<Page<FlagNode>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let status = ctx
        .args
        .get("status")
        .and_then(|v| v.enum_name().ok().map(str::to_string));
    let (first, after) = page_args(ctx, "CREATED")?;
    let page =
        store::flags_page(&req.read_db, &req.principal, status, after.as_ref(), first).await?;
    Ok(page.map(Arc::new))
}

async fn list_referrals(ctx: &ResolverContext<'_>, overdue: bool) -> ApiResult<Page<ReferralNode>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let direction = match ctx.args.get("received").and_then(|v| v.boolean().ok()) {
        Some(true) => Direction::Received,
        Some(false) => Direction::Sent,
        None => Direction::Any,
    };
    let status = ctx
        .args
        .get("status")
        .and_then(|v| v.enum_name().ok().map(str::to_string));
    let (first, after) = page_args(ctx, "CREATED")?;
    let overdue_at = overdue.then(crate::store::now);
    let page = store::referrals_page(
        &req.read_db,
        &req.principal,
        direction,
        status,
        overdue_at,
        after.as_ref(),
        first,
    )
    .await?;
    Ok(page.map(Arc::new))
}

async fn load_flag(req: &RequestCtx, id: uuid::Uuid) -> ApiResult<FlagNode> {
    write::load_scoped_or_not_found(
        req,
        "VictimFlag",
        "flag",
        id,
        store::flags_by_ids(&req.db, &req.principal, &[id]),
    )
    .await
}

async fn load_referral(req: &RequestCtx, id: uuid::Uuid) -> ApiResult<ReferralNode> {
    write::load_scoped_or_not_found(
        req,
        "Referral",
        "referral",
        id,
        store::referrals_by_ids(&req.db, &req.principal, &[id]),
    )
    .await
}

async fn flag(ctx: &ResolverContext<'_>) -> ApiResult<FlagNode> {
    let (req, input) = write::mutation_input(ctx)?;
    input.authorize(req, "FlagSuspectedVictimInput", &RowFacts::created())?;
    let (existing, new_person) = match (input.id("personId")?, input.object("person")?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_input(
                "input.person",
                "give either personId or person, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::bad_input(
                "input.personId",
                "give personId or person",
            ));
        }
        (Some(id), None) => (Some(load_person(req, id).await?.row.id), None),
        (None, Some(p)) => {
            let facts = RowFacts {
                quals: Rows::OWN | Rows::OWN_FLAG,
                person: Some(crate::policy::PersonFacts {
                    victim: true,
                    ..Default::default()
                }),
            };
            p.authorize(req, "PersonInput", &facts)?;
            (None, Some(super::person::read_person(&p)?))
        }
    };
    let host = countries(
        "input.hostCountry",
        vec![input.required_string("hostCountry", 8)?],
    )?
    .into_iter()
    .next()
    .unwrap_or_default();
    let case_id = input.id("caseId")?;
    ensure_case_exists(req, case_id).await?;
    let mut new = NewFlag {
        mission: input.required_string("mission", MAX_SHORT)?,
        host_country: host,
        location: input.string("location", MAX_SHORT)?,
        circumstances: input.required_string("circumstances", MAX_TEXT)?,
        urgency: input
            .required_enum::<Urgency>("urgency")?
            .name()
            .to_string(),
        person_id: existing.unwrap_or_default(),
        case_id,
    };
    let mut fields = input.provided();
    if let Some(p) = input.object("person")? {
        fields.extend(p.provided().into_iter().map(|f| format!("person.{f}")));
    }
    let key = write::key_of(&input)?;
    let principal = req.principal.clone();
    let id = write::transact(req, "flagSuspectedVictim", key, fields, move |txn| {
        Box::pin(async move {
            if let Some(person) = new_person {
                new.person_id = crate::store::person::insert(txn, &principal, person).await?;
            }
            let person = new.person_id;
            let id = store::insert_flag(txn, &principal, new).await?;
            Ok(AuditEntity {
                ty: "VictimFlag",
                id,
                person: Some(person),
            })
        })
    })
    .await?;
    load_flag(req, id).await
}

async fn flag_move(
    req: &RequestCtx,
    operation: &'static str,
    input: &Input<'_>,
    to: &str,
    change: FlagChange,
) -> ApiResult<FlagNode> {
    let id = input.required_id("id")?;
    let version = input.required_version()?;
    let flag = load_flag(req, id).await?;
    authorize_row(req, "Mutation", operation, &flag.facts)?;
    let from = flag.row.status.clone();
    FLAG.check(req.principal.agency, &from, to)?;
    let reason = input
        .string("reason", MAX_SHORT)
        .unwrap_or(None)
        .or_else(|| input.string("result", MAX_TEXT).unwrap_or(None));
    let principal = req.principal.clone();
    let person = flag.row.person_id;
    let to = to.to_string();
    write::transact(req, operation, None, input.provided(), move |txn| {
        Box::pin(async move {
            store::move_flag(txn, &principal, id, version, &from, &to, change, reason).await?;
            Ok(AuditEntity {
                ty: "VictimFlag",
                id,
                person: Some(person),
            })
        })
    })
    .await?;
    load_flag(req, id).await
}

async fn request_verification(ctx: &ResolverContext<'_>) -> ApiResult<FlagNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let change = FlagChange {
        verification_status: Some("REQUESTED".into()),
        requested: true,
        ..Default::default()
    };
    flag_move(
        req,
        "requestIdentityVerification",
        &input,
        "VERIFYING",
        change,
    )
    .await
}

async fn record_verification(ctx: &ResolverContext<'_>) -> ApiResult<FlagNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let confirmed = input
        .boolean("confirmed")?
        .ok_or_else(|| ApiError::bad_input("input.confirmed", "is required"))?;
    let change = FlagChange {
        verification_status: Some(
            if confirmed {
                "CONFIRMED"
            } else {
                "NOT_CONFIRMED"
            }
            .into(),
        ),
        verification_result: input.string("result", MAX_TEXT)?,
        verified: true,
        ..Default::default()
    };
    flag_move(
        req,
        "recordIdentityVerification",
        &input,
        if confirmed { "CONFIRMED" } else { "UNFOUNDED" },
        change,
    )
    .await
}

async fn move_flag(ctx: &ResolverContext<'_>) -> ApiResult<FlagNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let to = input.required_enum::<FlagStatus>("to")?;
    let case_id = input.id("caseId")?;
    ensure_case_exists(req, case_id).await?;
    flag_move(
        req,
        "moveFlag",
        &input,
        to.name(),
        FlagChange {
            case_id,
            ..Default::default()
        },
    )
    .await
}

async fn send_referral(ctx: &ResolverContext<'_>) -> ApiResult<ReferralNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let person_id = input.required_id("personId")?;
    let person = load_person(req, person_id).await?;
    let facts = RowFacts {
        quals: Rows::OWN,
        person: person.facts.person.clone(),
    };
    authorize_row(req, "Mutation", "sendReferral", &facts)?;
    input.authorize(req, "SendReferralInput", &facts)?;
    let to = input
        .enum_name("toAgency")?
        .and_then(|n| parse_agency(&n))
        .ok_or_else(|| ApiError::bad_input("input.toAgency", "is required"))?;
    if to == req.principal.agency {
        return Err(ApiError::bad_input(
            "input.toAgency",
            "a referral goes to another agency",
        ));
    }
    let consent = input.required_enum::<Consent>("consent")?;
    let consent_reason = input.string("consentReason", MAX_SHORT)?;
    if consent == Consent::Overridden
        && consent_reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        return Err(ApiError::bad_input(
            "input.consentReason",
            "is required when consent is OVERRIDDEN",
        ));
    }
    let shared: Vec<String> = input
        .enumerations::<PersonField>("sharedFields")?
        .iter()
        .map(|f| f.field().to_string())
        .collect();
    let services: Vec<String> = input
        .enumerations::<Service>("services")?
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    if services.is_empty() {
        return Err(ApiError::bad_input(
            "input.services",
            "ask for at least one service",
        ));
    }
    let case_id = input.id("caseId")?;
    ensure_case_exists(req, case_id).await?;
    let due_at = input
        .datetime("dueAt")?
        .unwrap_or_else(|| crate::store::now() + chrono::Duration::days(DEFAULT_REFERRAL_DAYS));
    let new = NewReferral {
        to_agency: to.code().to_string(),
        person_id,
        case_id,
        purpose: input.required_string("purpose", MAX_SHORT)?,
        services,
        consent: consent.name().to_string(),
        consent_reason,
        shared_fields: shared,
        due_at,
    };
    let key = write::key_of(&input)?;
    let principal = req.principal.clone();
    let id = write::transact(req, "sendReferral", key, input.provided(), move |txn| {
        Box::pin(async move {
            let id = store::insert_referral(txn, &principal, new).await?;
            Ok(AuditEntity {
                ty: "Referral",
                id,
                person: Some(person_id),
            })
        })
    })
    .await?;
    load_referral(req, id).await
}

async fn answer(
    ctx: &ResolverContext<'_>,
    operation: &'static str,
    to: ReferralStatus,
) -> ApiResult<ReferralNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let id = input.required_id("id")?;
    let version = input.required_version()?;
    let referral = load_referral(req, id).await?;
    authorize_row(req, "Mutation", operation, &referral.facts)?;
    let me = req.principal.agency.code();
    referral_side(
        to.name(),
        referral.row.to_agency == me,
        referral.row.from_agency == me,
    )?;
    let from = referral.row.status.clone();
    REFERRAL.check(req.principal.agency, &from, to.name())?;
    let text = input.string("reason", MAX_TEXT)?;
    if matches!(
        to,
        ReferralStatus::Declined | ReferralStatus::Revoked | ReferralStatus::Completed
    ) && text.as_deref().is_none_or(|t| t.trim().is_empty())
    {
        let what = if to == ReferralStatus::Completed {
            "the outcome"
        } else {
            "a reason"
        };
        return Err(ApiError::bad_input("input.reason", format!("give {what}")));
    }
    let principal = req.principal.clone();
    let person = referral.row.person_id;
    let to_name = to.name().to_string();
    write::transact(req, operation, None, input.provided(), move |txn| {
        Box::pin(async move {
            store::move_referral(txn, &principal, id, version, &from, &to_name, text).await?;
            Ok(AuditEntity {
                ty: "Referral",
                id,
                person: Some(person),
            })
        })
    })
    .await?;
    load_referral(req, id).await
}
