//! Prosecution and trial: `Indictment`, `Verdict`, `fileIndictment` (procuracy) and
//! `recordVerdict` (court). Filing an indictment moves its case to `PROSECUTION`; the verdict
//! for the last indicted defendant moves it to `ADJUDICATED`.

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};
use serde::{Deserialize, Serialize};

use super::common::{AGENCY_CODE, DATE_TIME, Id, agency_value, datetime, enum_value, string_list};
use super::input::{Input, MAX_SHORT};
use super::model::{
    Guarded, InputDef, ObjectDef, Root, TypeDef, arg, domain_enum, load_list, load_one,
    resolve_async,
};
use super::{authorize_row, case::load_named, write};
use crate::audit::AuditEntity;
use crate::domain::lifecycle::CASE;
use crate::domain::{AppealStatus, DomainEnum, VerdictLevel};
use crate::error::{ApiError, ApiResult};
use crate::policy::RowFacts;
use crate::store::justice::{
    self as store, IndictmentView, NewIndictment, NewVerdict, VerdictView,
};

/// Parent value of `Indictment` fields.
pub(crate) type IndictmentNode = Arc<IndictmentView>;
/// Parent value of `Verdict` fields.
pub(crate) type VerdictNode = Arc<VerdictView>;

impl Guarded for IndictmentNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
}

impl Guarded for VerdictNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
}

/// A charge: Penal Code article, clause and point.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Charge {
    article: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    point: Option<String>,
}

impl Guarded for Charge {
    fn facts(&self) -> &RowFacts {
        static NONE: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
        &NONE
    }
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    vec![
        domain_enum::<VerdictLevel>(),
        domain_enum::<AppealStatus>(),
        ObjectDef::<Charge>::new("Charge", "A charge: Penal Code article, clause and point.")
            .value("article", TypeRef::named_nn(TypeRef::STRING), "Article (150, 151 ...).", |c| c.article.clone())
            .value("clause", s(TypeRef::STRING), "Clause.", |c| c.clause.clone())
            .value("point", s(TypeRef::STRING), "Point.", |c| c.point.clone())
            .build(),
        ObjectDef::<IndictmentNode>::new("Indictment", "An indictment of one defendant, filed by the procuracy.")
            .value("id", TypeRef::named_nn(TypeRef::ID), "Indictment id.", |i| Id(i.row.id))
            .value("version", TypeRef::named_nn(TypeRef::INT), "Version.", |i| i.row.version)
            .field("case", s("Case"), "The case.", vec![], |i, ctx| load_one(ctx, Some(i.row.case_id), |l| &l.case))
            .field("defendant", s("Person"), "The defendant (null when outside your scope).", vec![], |i, ctx| {
                load_one(ctx, Some(i.row.defendant_id), |l| &l.person)
            })
            .field("charges", TypeRef::named_nn_list("Charge"), "Charges.", vec![], |i, _ctx| {
                let charges: Vec<Charge> = serde_json::from_str(&i.row.charges).unwrap_or_default();
                async_graphql::dynamic::FieldFuture::Value(Some(FieldValue::list(charges.into_iter().map(FieldValue::owned_any))))
            })
            .value("filedAt", s(DATE_TIME), "When it was filed.", |i| datetime(&i.row.filed_at))
            .value("office", s(TypeRef::STRING), "The procuracy office.", |i| i.row.office.clone())
            .value("createdByAgency", s(AGENCY_CODE), "Agency that recorded it.", |i| agency_value(&i.row.created_by_agency))
            .build(),
        ObjectDef::<VerdictNode>::new("Verdict", "A court's decision about one defendant.")
            .value("id", TypeRef::named_nn(TypeRef::ID), "Verdict id.", |v| Id(v.row.id))
            .value("version", TypeRef::named_nn(TypeRef::INT), "Version.", |v| v.row.version)
            .field("case", s("Case"), "The case.", vec![], |v, ctx| load_one(ctx, Some(v.row.case_id), |l| &l.case))
            .field("defendant", s("Person"), "The defendant (null when outside your scope).", vec![], |v, ctx| {
                load_one(ctx, Some(v.row.defendant_id), |l| &l.person)
            })
            .value("court", s(TypeRef::STRING), "The court.", |v| v.row.court.clone())
            .value("level", s("VerdictLevel"), "First instance or appeal.", |v| enum_value(&v.row.level))
            .value("decidedAt", s(DATE_TIME), "When it was decided.", |v| datetime(&v.row.decided_at))
            .value("convicted", s(TypeRef::BOOLEAN), "Convicted or not.", |v| v.row.convicted)
            .value("articles", TypeRef::named_nn_list(TypeRef::STRING), "Articles applied.", |v| string_list(&v.row.articles))
            .value("sentenceMonths", s(TypeRef::INT), "Prison sentence in months.", |v| v.row.sentence_months)
            .value("fine", s(TypeRef::FLOAT), "Fine in VND.", |v| v.row.fine.map(|f| f as f64))
            .value("closedTrial", s(TypeRef::BOOLEAN), "Tried behind closed doors.", |v| v.row.closed_trial)
            .value("appealStatus", s("AppealStatus"), "Appeal status.", |v| enum_value(&v.row.appeal_status))
            .build(),
        ObjectDef::<super::case::CaseNode>::new("Case", "")
            .field("indictments", TypeRef::named_nn_list("Indictment"), "Indictments filed in the case.", vec![], |c, ctx| {
                load_list(ctx, c.row.id, |l| &l.indictments)
            })
            .field("verdicts", TypeRef::named_nn_list("Verdict"), "Verdicts recorded in the case.", vec![], |c, ctx| {
                load_list(ctx, c.row.id, |l| &l.verdicts)
            })
            .build(),
        InputDef::new("ChargeInput", "A charge.")
            .field("article", TypeRef::named_nn(TypeRef::STRING), "Penal Code article (150, 151 ...).")
            .field("clause", TypeRef::named(TypeRef::STRING), "Clause.")
            .field("point", TypeRef::named(TypeRef::STRING), "Point.")
            .build(),
        InputDef::new("FileIndictmentInput", "An indictment of a suspect of the case.")
            .field("caseId", TypeRef::named_nn(TypeRef::ID), "The case.")
            .field("defendantId", TypeRef::named_nn(TypeRef::ID), "The person indicted (a suspect of the case).")
            .field("charges", TypeRef::named_nn_list_nn("ChargeInput"), "Charges.")
            .field("filedAt", TypeRef::named(DATE_TIME), "When it was filed (default: now).")
            .field("office", TypeRef::named_nn(TypeRef::STRING), "The procuracy office.")
            .field("idempotencyKey", TypeRef::named(TypeRef::STRING), "Retry-safe key.")
            .build(),
        InputDef::new("RecordVerdictInput", "A verdict about an indicted defendant of a case on trial.")
            .field("caseId", TypeRef::named_nn(TypeRef::ID), "The case.")
            .field("defendantId", TypeRef::named_nn(TypeRef::ID), "The defendant (indicted in this case).")
            .field("court", TypeRef::named_nn(TypeRef::STRING), "The court.")
            .field("level", TypeRef::named("VerdictLevel"), "Instance (default first instance).")
            .field("decidedAt", TypeRef::named(DATE_TIME), "When it was decided (default: now).")
            .field("convicted", TypeRef::named_nn(TypeRef::BOOLEAN), "Convicted or not.")
            .field("articles", TypeRef::named_nn_list(TypeRef::STRING), "Articles applied.")
            .field("sentenceMonths", TypeRef::named(TypeRef::INT), "Prison sentence in months.")
            .field("fine", TypeRef::named(TypeRef::INT), "Fine in VND.")
            .field("closedTrial", TypeRef::named(TypeRef::BOOLEAN), "Tried behind closed doors.")
            .field("appealStatus", TypeRef::named("AppealStatus"), "Appeal status (default NONE).")
            .field("idempotencyKey", TypeRef::named(TypeRef::STRING), "Retry-safe key.")
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field("fileIndictment", s("Indictment"), "File an indictment (procuracy); moves the case to PROSECUTION.", vec![arg("input", TypeRef::named_nn("FileIndictmentInput"), "The indictment.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { file_indictment(&ctx).await.map(|i| Some(FieldValue::owned_any(i))) })
            })
            .field("recordVerdict", s("Verdict"), "Record a verdict (court); the last defendant's verdict moves the case to ADJUDICATED.", vec![arg("input", TypeRef::named_nn("RecordVerdictInput"), "The verdict.")], |_, ctx| {
                resolve_async(ctx, |ctx| async move { record_verdict(&ctx).await.map(|v| Some(FieldValue::owned_any(v))) })
            })
            .build(),
    ]
}

async fn file_indictment(ctx: &ResolverContext<'_>) -> ApiResult<IndictmentNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let case_id = input.required_id("caseId")?;
    let case = load_named(req, case_id).await?;
    authorize_row(req, "Mutation", "fileIndictment", &case.facts)?;
    input.authorize(req, "FileIndictmentInput", &case.facts)?;
    let defendant = input.required_id("defendantId")?;
    if !store::is_suspect_of(&req.db, case_id, defendant).await? {
        return Err(ApiError::bad_input(
            "input.defendantId",
            "is not a suspect of this case",
        ));
    }
    let status = case.row.status.clone();
    if status != "PROSECUTION" {
        CASE.check(req.principal.agency, &status, "PROSECUTION")?;
    }
    let charges = read_charges(ctx)?;
    let new = NewIndictment {
        case_id,
        defendant_id: defendant,
        charges: serde_json::to_string(&charges).unwrap_or_else(|_| "[]".into()),
        filed_at: input.datetime("filedAt")?.unwrap_or_else(crate::store::now),
        office: input.required_string("office", MAX_SHORT)?,
    };
    let key = write::key_of(&input)?;
    let principal = req.principal.clone();
    let id = write::transact(req, "fileIndictment", key, input.provided(), move |txn| {
        Box::pin(async move {
            if status != "PROSECUTION" {
                crate::store::case::set_status(
                    txn,
                    &principal,
                    case_id,
                    None,
                    &status,
                    "PROSECUTION",
                    Some("indictment filed".into()),
                )
                .await?;
            }
            let id = store::insert_indictment(txn, &principal, new).await?;
            Ok(AuditEntity {
                ty: "Indictment",
                id,
                person: Some(defendant),
            })
        })
    })
    .await?;
    write::reload(
        store::indictments_of_cases(&req.db, &req.principal, &[case_id]),
        |i| i.row.id == id,
        "indictment",
    )
    .await
}

fn read_charges(ctx: &ResolverContext<'_>) -> ApiResult<Vec<Charge>> {
    let required = || ApiError::bad_input("input.charges", "is required");
    let input = ctx
        .args
        .get("input")
        .and_then(|v| v.object().ok())
        .ok_or_else(required)?;
    let charges = input.get("charges").ok_or_else(required)?;
    let list = charges.list().map_err(|_| required())?;
    if list.is_empty() || list.len() > 20 {
        return Err(ApiError::bad_input("input.charges", "give 1 to 20 charges"));
    }
    list.iter()
        .map(|item| {
            let obj = Input::new(item.object().ok(), "charges");
            let article = obj.required_string("article", 16)?;
            if !article.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(ApiError::bad_input(
                    "input.charges.article",
                    "must be an article number, e.g. 150",
                ));
            }
            Ok(Charge {
                article,
                clause: obj.string("clause", 16)?,
                point: obj.string("point", 16)?,
            })
        })
        .collect()
}

async fn record_verdict(ctx: &ResolverContext<'_>) -> ApiResult<VerdictNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let case_id = input.required_id("caseId")?;
    let case = load_named(req, case_id).await?;
    authorize_row(req, "Mutation", "recordVerdict", &case.facts)?;
    input.authorize(req, "RecordVerdictInput", &case.facts)?;
    let defendant = input.required_id("defendantId")?;
    if !store::is_indicted_in(&req.db, case_id, defendant).await? {
        return Err(ApiError::bad_input(
            "input.defendantId",
            "is not indicted in this case",
        ));
    }
    if case.row.status != "TRIAL" {
        let allowed = CASE.allowed(req.principal.agency, &case.row.status);
        return Err(ApiError::InvalidTransition {
            message: format!(
                "verdicts are recorded for cases on TRIAL; this case is {}",
                case.row.status
            ),
            allowed: allowed.into_iter().map(str::to_string).collect(),
        });
    }
    let level = input
        .enumeration::<VerdictLevel>("level")?
        .unwrap_or(VerdictLevel::FirstInstance);
    let convicted = input
        .boolean("convicted")?
        .ok_or_else(|| ApiError::bad_input("input.convicted", "is required"))?;
    let new = NewVerdict {
        case_id,
        defendant_id: defendant,
        court: input.required_string("court", MAX_SHORT)?,
        level: level.name().to_string(),
        decided_at: input
            .datetime("decidedAt")?
            .unwrap_or_else(crate::store::now),
        convicted,
        articles: input.strings("articles", 16)?,
        sentence_months: input.int("sentenceMonths", 0..=1200)?,
        fine: input.int("fine", 0..=i64::from(i32::MAX))?.map(i64::from),
        closed_trial: input.boolean("closedTrial")?.unwrap_or(false),
        appeal_status: input
            .enumeration::<AppealStatus>("appealStatus")?
            .unwrap_or(AppealStatus::None)
            .name()
            .to_string(),
    };
    let key = write::key_of(&input)?;
    let principal = req.principal.clone();
    let id = write::transact(req, "recordVerdict", key, input.provided(), move |txn| {
        Box::pin(async move {
            let id = store::insert_verdict(txn, &principal, new).await?;
            if level == VerdictLevel::FirstInstance
                && store::all_defendants_decided(txn, case_id).await?
            {
                crate::store::case::set_status(
                    txn,
                    &principal,
                    case_id,
                    None,
                    "TRIAL",
                    "ADJUDICATED",
                    Some("verdicts recorded for every defendant".into()),
                )
                .await?;
            }
            Ok(AuditEntity {
                ty: "Verdict",
                id,
                person: Some(defendant),
            })
        })
    })
    .await?;
    write::reload(
        store::verdicts_of_cases(&req.db, &req.principal, &[case_id]),
        |v| v.row.id == id,
        "verdict",
    )
    .await
}
