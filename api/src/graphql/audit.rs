//! `auditEvents`: the audit trail, for oversight (all agencies) and for each agency (its own).

use std::sync::Arc;

use async_graphql::Value;
use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};
use chrono::SecondsFormat;
use entities::audit_event;

use super::common::{AGENCY_CODE, DATE_TIME, agency_value, connection, parse_agency, string_list};
use super::context::RequestCtx;
use super::input::{Input, page_args, with_page_args};
use super::model::{EnumValueDef, Guarded, InputDef, ObjectDef, Root, TypeDef, arg, resolve_async};
use crate::error::{ApiError, ApiResult};
use crate::policy::{RowFacts, Rows};
use crate::store::audit::{self as store, AuditFilter};
use crate::store::page::Page;

/// An audit event with the caller's facts about it.
pub(crate) struct AuditNode {
    row: audit_event::Model,
    facts: RowFacts,
}

impl Guarded for Arc<AuditNode> {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
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
        values("AuditOutcome", "Whether an audited access was allowed.", &["ALLOWED", "DENIED"]),
        values("AuditAction", "Whether an audited access read or wrote.", &["READ", "WRITE"]),
        ObjectDef::<Arc<AuditNode>>::new("AuditEvent", "One event of the hash-chained audit trail.")
            .value("seq", TypeRef::named_nn(TypeRef::STRING), "Position in the chain (a 64-bit integer as text).", |e| e.row.seq.to_string())
            .value("at", s(DATE_TIME), "When it was recorded.", |e| e.row.at.to_rfc3339_opts(SecondsFormat::Micros, true))
            .value("agency", s(AGENCY_CODE), "Agency of the caller.", |e| agency_value(&e.row.agency))
            .value("subject", s(TypeRef::STRING), "Token subject of the caller.", |e| e.row.subject.clone())
            .value("tokenId", s(TypeRef::STRING), "Token id (jti).", |e| e.row.token_id.clone())
            .value("requestId", s(TypeRef::STRING), "Request id.", |e| e.row.request_id.clone())
            .value("operation", s(TypeRef::STRING), "Operation name, or the mutation for writes.", |e| e.row.operation.clone())
            .value("purpose", s(TypeRef::STRING), "The stated purpose.", |e| e.row.purpose.clone())
            .value("entityType", s(TypeRef::STRING), "Entity type.", |e| e.row.entity_type.clone())
            .value("entityId", s(TypeRef::ID), "Entity id.", |e| e.row.entity_id.map(|u| u.to_string()))
            .value("personId", s(TypeRef::ID), "The person concerned.", |e| e.row.person_id.map(|u| u.to_string()))
            .value("fields", TypeRef::named_nn_list(TypeRef::STRING), "Fields read or written.", |e| string_list(&e.row.fields))
            .value("action", s("AuditAction"), "READ or WRITE.", |e| Value::Enum(async_graphql::Name::new(&e.row.action)))
            .value("outcome", s("AuditOutcome"), "ALLOWED or DENIED.", |e| Value::Enum(async_graphql::Name::new(&e.row.outcome)))
            .value("reason", s(TypeRef::STRING), "For denials: FORBIDDEN, PURPOSE_REQUIRED or NOT_FOUND.", |e| e.row.reason.clone())
            .value("hash", s(TypeRef::STRING), "The chain hash of this event.", |e| e.row.hash.clone())
            .build(),
        InputDef::new("AuditEventFilter", "Filters of `auditEvents`.")
            .field("personId", TypeRef::named(TypeRef::ID), "Events about this person.")
            .field("entityId", TypeRef::named(TypeRef::ID), "Events about this record.")
            .field("entityType", TypeRef::named(TypeRef::STRING), "Events about records of this type.")
            .field("agency", TypeRef::named(AGENCY_CODE), "Events of this agency.")
            .field("subject", TypeRef::named(TypeRef::STRING), "Events of this token subject.")
            .field("from", TypeRef::named(DATE_TIME), "At or after.")
            .field("to", TypeRef::named(DATE_TIME), "Before.")
            .field("outcome", TypeRef::named("AuditOutcome"), "Allowed or denied.")
            .field("action", TypeRef::named("AuditAction"), "Reads or writes.")
            .build(),
        ObjectDef::<Root>::new("Query", "")
            .field(
                "auditEvents",
                TypeRef::named("AuditEventConnection"),
                "The audit trail, newest first: oversight sees every agency's events, each other agency its own.",
                with_page_args(vec![arg("filter", TypeRef::named("AuditEventFilter"), "Filters.")]),
                |_, ctx| resolve_async(ctx, |ctx| async move { list(&ctx).await.map(|p| Some(FieldValue::owned_any(p))) }),
            )
            .build(),
    ];
    types.extend(connection::<Arc<AuditNode>>(
        "AuditEventConnection",
        "AuditEventEdge",
        "AuditEvent",
    ));
    types
}

async fn list(ctx: &ResolverContext<'_>) -> ApiResult<Page<Arc<AuditNode>>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let input = Input::arg(ctx, "filter");
    input.authorize(req, "AuditEventFilter", &RowFacts::default())?;
    let agency = match input.enum_name("agency")? {
        Some(name) => Some(
            parse_agency(&name)
                .ok_or_else(|| ApiError::bad_input("filter.agency", "unknown agency"))?
                .code()
                .to_string(),
        ),
        None => None,
    };
    let filter = AuditFilter {
        person_id: input.id("personId")?,
        entity_id: input.id("entityId")?,
        entity_type: input.string("entityType", 64)?,
        agency,
        subject: input.string("subject", 200)?,
        from: input.datetime("from")?,
        to: input.datetime("to")?,
        outcome: input.enum_name("outcome")?,
        action: input.enum_name("action")?,
    };
    let (first, after) = page_args(ctx, "SEQ")?;
    // Write events staged by mutations that committed before this request take their place in
    // the chain first, so that oversight sees them.
    crate::audit::seal(&req.db).await?;
    let page = store::page(&req.read_db, &req.principal, &filter, after.as_ref(), first).await?;
    let me = req.principal.agency.code();
    Ok(page.map(|row| {
        let quals = if row.agency == me {
            Rows::OWN
        } else {
            Rows::NONE
        };
        Arc::new(AuditNode {
            facts: RowFacts {
                quals,
                person: None,
            },
            row,
        })
    }))
}
