//! Tips, including hotline 111 calls: `recordTip`, `moveTip`, `tips`, and `tipStatistics`
//! (resolution rate and time per channel; the national plans track a >90 % resolution rate).

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};

use super::case::{ensure_case_exists, province};
use super::common::{
    AGENCY_CODE, DATE_TIME, Id, agency_value, connection, datetime, enum_value, parse_agency,
};
use super::context::RequestCtx;
use super::input::{Input, MAX_SHORT, MAX_TEXT, page_args, with_page_args};
use super::model::{
    Guarded, InputDef, ObjectDef, Root, TypeDef, arg, domain_enum, load_list, load_one,
    resolve_async,
};
use super::{authorize_row, write};
use crate::audit::AuditEntity;
use crate::domain::lifecycle::TIP;
use crate::domain::{DomainEnum, TipChannel, TipStatus, Urgency};
use crate::error::{ApiError, ApiResult};
use crate::policy::RowFacts;
use crate::store::page::Page;
use crate::store::tip::{self as store, NewTip, TipFilter, TipView};

/// Parent value of `Tip` fields.
pub(crate) type TipNode = Arc<TipView>;

impl Guarded for TipNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
    fn audit_entity(&self) -> Option<AuditEntity> {
        Some(AuditEntity {
            ty: "Tip",
            id: self.row.id,
            person: None,
        })
    }
}

/// Statistics of one channel.
pub(crate) struct ChannelRow(store::ChannelStats);

impl Guarded for ChannelRow {
    fn facts(&self) -> &RowFacts {
        static NONE: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
        &NONE
    }
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    let mut types = vec![
        domain_enum::<TipChannel>(),
        domain_enum::<Urgency>(),
        domain_enum::<TipStatus>(),
        ObjectDef::<TipNode>::new(
            "Tip",
            "A report of possible trafficking, including hotline 111 calls.",
        )
        .value("id", TypeRef::named_nn(TypeRef::ID), "Tip id.", |t| {
            Id(t.row.id)
        })
        .value(
            "version",
            TypeRef::named_nn(TypeRef::INT),
            "Version.",
            |t| t.row.version,
        )
        .value("channel", s("TipChannel"), "How it came in.", |t| {
            enum_value(&t.row.channel)
        })
        .value("receivedAt", s(DATE_TIME), "When.", |t| {
            datetime(&t.row.received_at)
        })
        .value("summary", s(TypeRef::STRING), "What was reported.", |t| {
            t.row.summary.clone()
        })
        .value("urgency", s("Urgency"), "How urgent.", |t| {
            enum_value(&t.row.urgency)
        })
        .value(
            "potentialVictimCount",
            s(TypeRef::INT),
            "How many people may be victims.",
            |t| t.row.potential_victim_count,
        )
        .value("status", s("TipStatus"), "Status.", |t| {
            enum_value(&t.row.status)
        })
        .value("resolvedAt", s(DATE_TIME), "When resolved.", |t| {
            t.row.resolved_at.as_ref().map(datetime)
        })
        .value(
            "forwardedTo",
            s(AGENCY_CODE),
            "Agency it was forwarded to.",
            |t| t.row.forwarded_to.as_deref().map(agency_value),
        )
        .value("province", s(TypeRef::STRING), "Province concerned.", |t| {
            t.row.province.clone()
        })
        .value(
            "createdByAgency",
            s(AGENCY_CODE),
            "Agency that recorded it.",
            |t| agency_value(&t.row.created_by_agency),
        )
        .field(
            "case",
            s("Case"),
            "The case it led to (null when outside your scope).",
            vec![],
            |t, ctx| load_one(ctx, t.row.case_id, |l| &l.case),
        )
        .field(
            "statusHistory",
            TypeRef::named_nn_list("StatusMove"),
            "Every status move.",
            vec![],
            |t, ctx| load_list(ctx, t.row.id, |l| &l.history),
        )
        .build(),
        ObjectDef::<ChannelRow>::new("TipChannelStatistics", "Tips of one channel over a period.")
            .value(
                "channel",
                TypeRef::named_nn("TipChannel"),
                "Channel.",
                |c| enum_value(&c.0.channel),
            )
            .value(
                "received",
                TypeRef::named_nn(TypeRef::INT),
                "Tips received.",
                |c| c.0.received,
            )
            .value(
                "resolved",
                TypeRef::named_nn(TypeRef::INT),
                "Tips resolved (case opened, unfounded or forwarded).",
                |c| c.0.resolved,
            )
            .value(
                "resolutionRate",
                s(TypeRef::FLOAT),
                "Resolved / received.",
                |c| (c.0.received > 0).then(|| c.0.resolved as f64 / c.0.received as f64),
            )
            .value(
                "meanHoursToResolve",
                s(TypeRef::FLOAT),
                "Mean hours from receipt to resolution.",
                |c| c.0.mean_hours,
            )
            .build(),
        InputDef::new("TipFilter", "Filters of `tips`.")
            .field("channel", s("TipChannel"), "This channel.")
            .field("status", s("TipStatus"), "This status.")
            .field("province", s(TypeRef::STRING), "This province.")
            .field("receivedFrom", s(DATE_TIME), "Received at or after.")
            .field("receivedTo", s(DATE_TIME), "Received before.")
            .build(),
        InputDef::new("RecordTipInput", "A new tip.")
            .field(
                "channel",
                TypeRef::named_nn("TipChannel"),
                "How it came in.",
            )
            .field("receivedAt", s(DATE_TIME), "When (default: now).")
            .field(
                "summary",
                TypeRef::named_nn(TypeRef::STRING),
                "What was reported.",
            )
            .field("urgency", TypeRef::named_nn("Urgency"), "How urgent.")
            .field(
                "potentialVictimCount",
                s(TypeRef::INT),
                "How many people may be victims.",
            )
            .field("province", s(TypeRef::STRING), "Province concerned.")
            .field("idempotencyKey", s(TypeRef::STRING), "Retry-safe key.")
            .build(),
        InputDef::new("MoveTipInput", "A status move of a tip.")
            .field("id", TypeRef::named_nn(TypeRef::ID), "The tip.")
            .field(
                "version",
                TypeRef::named_nn(TypeRef::INT),
                "The version you read.",
            )
            .field("to", TypeRef::named_nn("TipStatus"), "The new status.")
            .field("forwardedTo", s(AGENCY_CODE), "For FORWARDED: the agency.")
            .field("caseId", s(TypeRef::ID), "For CASE_OPENED: the case.")
            .field("reason", s(TypeRef::STRING), "Why.")
            .build(),
        ObjectDef::<Root>::new("Query", "")
            .field(
                "tips",
                s("TipConnection"),
                "Tips in your scope, newest first.",
                with_page_args(vec![arg("filter", s("TipFilter"), "Filters.")]),
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        list(&ctx).await.map(|p| Some(FieldValue::owned_any(p)))
                    })
                },
            )
            .field(
                "tipStatistics",
                TypeRef::named_nn_list_nn("TipChannelStatistics"),
                "Tips received and resolved per channel, with the resolution rate and time.",
                vec![
                    arg("from", s(DATE_TIME), "From (inclusive)."),
                    arg("to", s(DATE_TIME), "To (exclusive)."),
                ],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        statistics(&ctx).await.map(|l| {
                            Some(FieldValue::list(l.into_iter().map(FieldValue::owned_any)))
                        })
                    })
                },
            )
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field(
                "recordTip",
                s("Tip"),
                "Record a tip (hotline 111 and other channels).",
                vec![arg(
                    "input",
                    TypeRef::named_nn("RecordTipInput"),
                    "The tip.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        record(&ctx).await.map(|t| Some(FieldValue::owned_any(t)))
                    })
                },
            )
            .field(
                "moveTip",
                s("Tip"),
                "Move a tip: verifying, case opened, unfounded, forwarded.",
                vec![arg("input", TypeRef::named_nn("MoveTipInput"), "The move.")],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        move_tip(&ctx).await.map(|t| Some(FieldValue::owned_any(t)))
                    })
                },
            )
            .build(),
    ];
    types.extend(connection::<TipNode>("TipConnection", "TipEdge", "Tip"));
    types
}

async fn list(ctx: &ResolverContext<'_>) -> ApiResult<Page<TipNode>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let input = Input::arg(ctx, "filter");
    input.authorize(req, "TipFilter", &RowFacts::default())?;
    let filter = TipFilter {
        channel: input
            .enumeration::<TipChannel>("channel")?
            .map(|v| v.name().to_string()),
        status: input
            .enumeration::<TipStatus>("status")?
            .map(|v| v.name().to_string()),
        province: input.string("province", 8)?,
        received_from: input.datetime("receivedFrom")?,
        received_to: input.datetime("receivedTo")?,
    };
    let (first, after) = page_args(ctx, "RECEIVED")?;
    let page = store::page(&req.read_db, &req.principal, &filter, after.as_ref(), first).await?;
    Ok(page.map(Arc::new))
}

async fn statistics(ctx: &ResolverContext<'_>) -> ApiResult<Vec<ChannelRow>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let from = super::input::datetime_arg(ctx, "from")?;
    let to = super::input::datetime_arg(ctx, "to")?;
    Ok(store::channel_stats(&req.read_db, &req.principal, from, to)
        .await?
        .into_iter()
        .map(ChannelRow)
        .collect())
}

async fn load(req: &RequestCtx, id: uuid::Uuid) -> ApiResult<TipNode> {
    write::load_scoped_or_not_found(
        req,
        "Tip",
        "tip",
        id,
        store::by_ids(&req.db, &req.principal, &[id]),
    )
    .await
}

async fn record(ctx: &ResolverContext<'_>) -> ApiResult<TipNode> {
    let (req, input) = write::mutation_input(ctx)?;
    input.authorize(req, "RecordTipInput", &RowFacts::created())?;
    let province = match input.string("province", 8)? {
        Some(p) => Some(province("input.province", &p)?),
        None => None,
    };
    let new = NewTip {
        channel: input
            .required_enum::<TipChannel>("channel")?
            .name()
            .to_string(),
        received_at: input
            .datetime("receivedAt")?
            .unwrap_or_else(crate::store::now),
        summary: input.required_string("summary", MAX_TEXT)?,
        urgency: input
            .required_enum::<Urgency>("urgency")?
            .name()
            .to_string(),
        potential_victim_count: input.int("potentialVictimCount", 0..=10_000)?,
        province,
    };
    let key = write::key_of(&input)?;
    let principal = req.principal.clone();
    let id = write::transact(req, "recordTip", key, input.provided(), move |txn| {
        Box::pin(async move {
            let id = store::insert(txn, &principal, new).await?;
            Ok(AuditEntity {
                ty: "Tip",
                id,
                person: None,
            })
        })
    })
    .await?;
    load(req, id).await
}

async fn move_tip(ctx: &ResolverContext<'_>) -> ApiResult<TipNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let id = input.required_id("id")?;
    let version = input.required_version()?;
    let to = input.required_enum::<TipStatus>("to")?;
    let tip = load(req, id).await?;
    authorize_row(req, "Mutation", "moveTip", &tip.facts)?;
    let from = tip.row.status.clone();
    TIP.check(req.principal.agency, &from, to.name())?;
    let forwarded_to = match input.enum_name("forwardedTo")? {
        Some(name) => Some(
            parse_agency(&name)
                .ok_or_else(|| ApiError::bad_input("input.forwardedTo", "unknown agency"))?
                .code()
                .to_string(),
        ),
        None if to == TipStatus::Forwarded => {
            return Err(ApiError::bad_input(
                "input.forwardedTo",
                "is required to forward a tip",
            ));
        }
        None => None,
    };
    let case_id = input.id("caseId")?;
    if to == TipStatus::CaseOpened {
        let case = case_id.ok_or_else(|| {
            ApiError::bad_input("input.caseId", "is required when a case was opened")
        })?;
        ensure_case_exists(req, Some(case)).await?;
    }
    let reason = input.string("reason", MAX_SHORT)?;
    let principal = req.principal.clone();
    let to_name = to.name().to_string();
    write::transact(req, "moveTip", None, input.provided(), move |txn| {
        Box::pin(async move {
            store::set_status(
                txn,
                &principal,
                id,
                version,
                &from,
                &to_name,
                forwarded_to,
                case_id,
                reason,
            )
            .await?;
            Ok(AuditEntity {
                ty: "Tip",
                id,
                person: None,
            })
        })
    })
    .await?;
    load(req, id).await
}
