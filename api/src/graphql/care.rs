//! Support given to victims (`SupportService`, `addSupportService`, `Person.support`) and the
//! events of a case (`CaseEvent`, `addCaseEvent`, `Case.events`: recruitment, transit,
//! exploitation with place, country and date).

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};

use super::case::{CaseNode, countries, load_fresh, load_named};
use super::common::{AGENCY_CODE, DATE, DATE_TIME, Id, agency_value, datetime, enum_value};
use super::input::{MAX_SHORT, MAX_TEXT};
use super::model::{
    Guarded, InputDef, ObjectDef, Root, TypeDef, arg, domain_enum, load_list, load_one,
    resolve_async,
};
use super::person::{PersonNode, load_person};
use super::{authorize_row, write};
use crate::audit::AuditEntity;
use crate::domain::{CaseEventKind, DomainEnum, Service};
use crate::error::ApiResult;
use crate::policy::{RowFacts, Rows};
use crate::store::care::{self as store, EventView, NewEvent, NewSupport, SupportView};

/// Parent value of `SupportService` fields.
pub(crate) type SupportNode = Arc<SupportView>;
/// Parent value of `CaseEvent` fields.
pub(crate) type EventNode = Arc<EventView>;

impl Guarded for SupportNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
    fn audit_entity(&self) -> Option<AuditEntity> {
        Some(AuditEntity {
            ty: "SupportService",
            id: self.row.id,
            person: Some(self.row.person_id),
        })
    }
}

impl Guarded for EventNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    vec![
        domain_enum::<Service>(),
        domain_enum::<CaseEventKind>(),
        ObjectDef::<SupportNode>::new("SupportService", "A service given to a victim.")
            .value("id", TypeRef::named_nn(TypeRef::ID), "Id.", |x| {
                Id(x.row.id)
            })
            .value(
                "version",
                TypeRef::named_nn(TypeRef::INT),
                "Version.",
                |x| x.row.version,
            )
            .field(
                "person",
                s("Person"),
                "The person supported.",
                vec![],
                |x, ctx| load_one(ctx, Some(x.row.person_id), |l| &l.person),
            )
            .value("service", s("Service"), "Which service.", |x| {
                enum_value(&x.row.service)
            })
            .value("provider", s(TypeRef::STRING), "Who provides it.", |x| {
                x.row.provider.clone()
            })
            .value("startedAt", s(DATE_TIME), "Start.", |x| {
                datetime(&x.row.started_at)
            })
            .value("endedAt", s(DATE_TIME), "End.", |x| {
                x.row.ended_at.as_ref().map(datetime)
            })
            .value("notes", s(TypeRef::STRING), "Notes.", |x| {
                x.row.notes.clone()
            })
            .value(
                "createdByAgency",
                s(AGENCY_CODE),
                "Agency that recorded it.",
                |x| agency_value(&x.row.created_by_agency),
            )
            .build(),
        ObjectDef::<EventNode>::new(
            "CaseEvent",
            "A recruitment, transit or exploitation event of a case.",
        )
        .value("id", TypeRef::named_nn(TypeRef::ID), "Id.", |e| {
            Id(e.row.id)
        })
        .value("kind", s("CaseEventKind"), "Kind.", |e| {
            enum_value(&e.row.kind)
        })
        .value("place", s(TypeRef::STRING), "Where.", |e| {
            e.row.place.clone()
        })
        .value(
            "country",
            s(TypeRef::STRING),
            "Country (ISO alpha-2).",
            |e| e.row.country.clone(),
        )
        .value("occurredOn", s(DATE), "When.", |e| {
            e.row.occurred_on.map(|d| d.format("%Y-%m-%d").to_string())
        })
        .value("description", s(TypeRef::STRING), "What happened.", |e| {
            e.row.description.clone()
        })
        .build(),
        ObjectDef::<PersonNode>::new("Person", "")
            .field(
                "support",
                TypeRef::named_nn_list("SupportService"),
                "Support services given to the person.",
                vec![],
                |p, ctx| load_list(ctx, p.row.id, |l| &l.support),
            )
            .build(),
        ObjectDef::<CaseNode>::new("Case", "")
            .field(
                "events",
                TypeRef::named_nn_list("CaseEvent"),
                "Recruitment, transit and exploitation events.",
                vec![],
                |c, ctx| load_list(ctx, c.row.id, |l| &l.events),
            )
            .build(),
        InputDef::new("AddSupportServiceInput", "A service given to a person.")
            .field("personId", TypeRef::named_nn(TypeRef::ID), "The person.")
            .field("service", TypeRef::named_nn("Service"), "Which service.")
            .field(
                "provider",
                TypeRef::named_nn(TypeRef::STRING),
                "Who provides it.",
            )
            .field("startedAt", s(DATE_TIME), "Start (default: now).")
            .field("endedAt", s(DATE_TIME), "End.")
            .field("notes", s(TypeRef::STRING), "Notes.")
            .field("idempotencyKey", s(TypeRef::STRING), "Retry-safe key.")
            .build(),
        InputDef::new("AddCaseEventInput", "An event of a case.")
            .field("caseId", TypeRef::named_nn(TypeRef::ID), "The case.")
            .field("kind", TypeRef::named_nn("CaseEventKind"), "Kind.")
            .field("place", s(TypeRef::STRING), "Where.")
            .field("country", s(TypeRef::STRING), "Country (ISO alpha-2).")
            .field("occurredOn", s(DATE), "When.")
            .field("description", s(TypeRef::STRING), "What happened.")
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field(
                "addSupportService",
                s("SupportService"),
                "Record a service given to a person.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("AddSupportServiceInput"),
                    "The service.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        add_support(&ctx)
                            .await
                            .map(|x| Some(FieldValue::owned_any(x)))
                    })
                },
            )
            .field(
                "addCaseEvent",
                s("Case"),
                "Record an event of a case.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("AddCaseEventInput"),
                    "The event.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        add_event(&ctx)
                            .await
                            .map(|c| Some(FieldValue::owned_any(c)))
                    })
                },
            )
            .build(),
    ]
}

async fn add_support(ctx: &ResolverContext<'_>) -> ApiResult<SupportNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let person_id = input.required_id("personId")?;
    let person = load_person(req, person_id).await?;
    // The new service is the caller's own record about a person it may see.
    let facts = RowFacts {
        quals: Rows::OWN | person.facts.quals,
        person: person.facts.person.clone(),
    };
    authorize_row(req, "Mutation", "addSupportService", &facts)?;
    input.authorize(req, "AddSupportServiceInput", &facts)?;
    let new = NewSupport {
        person_id,
        service: input
            .required_enum::<Service>("service")?
            .name()
            .to_string(),
        provider: input.required_string("provider", MAX_SHORT)?,
        started_at: input
            .datetime("startedAt")?
            .unwrap_or_else(crate::store::now),
        ended_at: input.datetime("endedAt")?,
        notes: input.string("notes", MAX_TEXT)?,
    };
    let key = write::key_of(&input)?;
    let principal = req.principal.clone();
    let id = write::transact(
        req,
        "addSupportService",
        key,
        input.provided(),
        move |txn| {
            Box::pin(async move {
                let id = store::insert_support(txn, &principal, new).await?;
                Ok(AuditEntity {
                    ty: "SupportService",
                    id,
                    person: Some(person_id),
                })
            })
        },
    )
    .await?;
    write::reload(
        store::support_of(&req.db, &req.principal, &[person_id]),
        |x| x.row.id == id,
        "support service",
    )
    .await
}

async fn add_event(ctx: &ResolverContext<'_>) -> ApiResult<CaseNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let case_id = input.required_id("caseId")?;
    let case = load_named(req, case_id).await?;
    authorize_row(req, "Mutation", "addCaseEvent", &case.facts)?;
    input.authorize(req, "AddCaseEventInput", &case.facts)?;
    let country = match input.string("country", 8)? {
        Some(c) => countries("input.country", vec![c])?.into_iter().next(),
        None => None,
    };
    let new = NewEvent {
        case_id,
        kind: input
            .required_enum::<CaseEventKind>("kind")?
            .name()
            .to_string(),
        place: input.string("place", MAX_SHORT)?,
        country,
        occurred_on: input.date("occurredOn")?,
        description: input.string("description", MAX_TEXT)?,
    };
    let principal = req.principal.clone();
    write::transact(req, "addCaseEvent", None, input.provided(), move |txn| {
        Box::pin(async move {
            crate::store::case::bump_version(txn, case_id, None).await?;
            let id = store::insert_event(txn, &principal, new).await?;
            Ok(AuditEntity {
                ty: "CaseEvent",
                id,
                person: None,
            })
        })
    })
    .await?;
    load_fresh(req, case_id).await
}
