//! Cases: the `Case` type, `case`, `cases`, `openCase` and `updateCase`.

use std::sync::Arc;

use async_graphql::Value;
use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};
use entities::case;
use sea_orm::Set;

use super::common::{
    AGENCY_CODE, DATE_TIME, Id, agency_value, connection, datetime, enum_list, enum_value,
    parse_agency, string_list,
};
use super::context::RequestCtx;
use super::input::{self, Input, MAX_SHORT, MAX_TEXT, with_page_args};
use super::model::{
    Guarded, InputDef, ObjectDef, Root, TypeDef, arg, arg_default, domain_enum, load_list,
    resolve_async, sort_enum,
};
use super::{authorize_row, write};
use crate::audit::AuditEntity;
use crate::domain::{
    CaseStatus, DomainEnum, ExploitationForm, HandlingCode, LegalBasis, RecruitmentMethod,
    SourceReliability,
};
use crate::error::{ApiError, ApiResult};
use crate::policy::{RowFacts, table};
use crate::store::case::{self as store, CaseFilter, CaseSort, CaseView, NewCase};

/// Parent value of `Case` fields.
pub(crate) type CaseNode = Arc<CaseView>;

impl Guarded for CaseNode {
    fn facts(&self) -> &RowFacts {
        &self.facts
    }
}

/// The `Case` type and its inputs, enums and connection.
pub(crate) fn types() -> Vec<TypeDef> {
    let mut types = vec![
        domain_enum::<CaseStatus>(),
        domain_enum::<LegalBasis>(),
        domain_enum::<ExploitationForm>(),
        domain_enum::<RecruitmentMethod>(),
        domain_enum::<HandlingCode>(),
        domain_enum::<SourceReliability>(),
        case_type(),
        sort_enum(
            "CaseSort",
            "Orders of `cases`.",
            &[
                ("CREATED", "Creation order (default)."),
                ("OPENED_AT", "Opening date."),
                ("CASE_NUMBER", "Case number."),
            ],
        ),
        InputDef::new(
            "CaseFilter",
            "Filters of `cases`; each only for agencies that may read the field it filters on.",
        )
        .field(
            "status",
            TypeRef::named_nn_list("CaseStatus"),
            "Any of these statuses.",
        )
        .field(
            "province",
            TypeRef::named_nn_list(TypeRef::STRING),
            "Any of these province codes.",
        )
        .field(
            "leadAgency",
            TypeRef::named_nn_list(AGENCY_CODE),
            "Any of these lead agencies.",
        )
        .field(
            "legalBasis",
            TypeRef::named("LegalBasis"),
            "This legal basis.",
        )
        .field(
            "exploitationForm",
            TypeRef::named("ExploitationForm"),
            "Cases with this exploitation form.",
        )
        .field(
            "openedFrom",
            TypeRef::named(DATE_TIME),
            "Opened at or after.",
        )
        .field("openedTo", TypeRef::named(DATE_TIME), "Opened before.")
        .field(
            "transnational",
            TypeRef::named(TypeRef::BOOLEAN),
            "Transnational or not.",
        )
        .build(),
        case_fields_input(
            InputDef::new("OpenCaseInput", "A new case, led by your agency.")
                .field(
                    "caseNumber",
                    TypeRef::named_nn(TypeRef::STRING),
                    "Case number, unique within your agency.",
                )
                .field("title", TypeRef::named_nn(TypeRef::STRING), "Short title.")
                .field(
                    "province",
                    TypeRef::named_nn(TypeRef::STRING),
                    "Province code (within your jurisdiction).",
                )
                .field(
                    "openedAt",
                    TypeRef::named(DATE_TIME),
                    "When the case was opened (default: now).",
                )
                .field(
                    "legalBasis",
                    TypeRef::named_nn("LegalBasis"),
                    "Penal Code article.",
                ),
        )
        .field(
            "idempotencyKey",
            TypeRef::named(TypeRef::STRING),
            "Retry-safe key: the same key returns the first result.",
        )
        .build(),
        case_fields_input(
            InputDef::new(
                "UpdateCaseInput",
                "Changes to a case; fields left out stay as they are.",
            )
            .field("id", TypeRef::named_nn(TypeRef::ID), "The case.")
            .field(
                "version",
                TypeRef::named_nn(TypeRef::INT),
                "The version you read; a stale version is a CONFLICT.",
            )
            .field("title", TypeRef::named(TypeRef::STRING), "Short title.")
            .field(
                "legalBasis",
                TypeRef::named("LegalBasis"),
                "Penal Code article.",
            ),
        )
        .build(),
    ];
    types.extend(root());
    types.extend(connection::<CaseNode>("CaseConnection", "CaseEdge", "Case"));
    types
}

fn case_fields_input(def: InputDef) -> InputDef {
    def.field(
        "transnational",
        TypeRef::named(TypeRef::BOOLEAN),
        "Crosses a national border.",
    )
    .field(
        "organizedGroup",
        TypeRef::named(TypeRef::BOOLEAN),
        "An organized group is involved.",
    )
    .field(
        "exploitationForms",
        TypeRef::named_nn_list("ExploitationForm"),
        "Forms of exploitation.",
    )
    .field(
        "recruitmentMethods",
        TypeRef::named_nn_list("RecruitmentMethod"),
        "How victims were recruited.",
    )
    .field(
        "recruitmentPlatforms",
        TypeRef::named_nn_list(TypeRef::STRING),
        "Platforms used (Facebook, Zalo ...).",
    )
    .field(
        "countries",
        TypeRef::named_nn_list(TypeRef::STRING),
        "ISO 3166 alpha-2 codes of route and destination.",
    )
    .field(
        "handlingCode",
        TypeRef::named("HandlingCode"),
        "Handling code (default H0).",
    )
    .field(
        "handlingRestriction",
        TypeRef::named(TypeRef::STRING),
        "Restriction text, required for H3.",
    )
    .field(
        "summary",
        TypeRef::named(TypeRef::STRING),
        "Investigative narrative.",
    )
    .field(
        "sourceReliability",
        TypeRef::named("SourceReliability"),
        "Source reliability (A, B, C, X).",
    )
    .field(
        "informationAccuracy",
        TypeRef::named(TypeRef::INT),
        "Information accuracy, 1 (confirmed) to 4.",
    )
}

fn case_type() -> TypeDef {
    let s = |n: &str| TypeRef::named(n.to_string());
    ObjectDef::<CaseNode>::new(
        "Case",
        "A trafficking case, as recorded by its lead agency.",
    )
    .key("id")
    .value("id", TypeRef::named_nn(TypeRef::ID), "Case id.", |c| {
        Id(c.row.id)
    })
    .value(
        "version",
        TypeRef::named_nn(TypeRef::INT),
        "Version for optimistic concurrency.",
        |c| c.row.version,
    )
    .value(
        "handlingCode",
        TypeRef::named_nn("HandlingCode"),
        "Handling code (DESIGN §5.4).",
        |c| enum_value(&c.row.handling_code),
    )
    .value(
        "handlingRestriction",
        s(TypeRef::STRING),
        "Restriction every reader must respect (H3).",
        |c| c.row.handling_restriction.clone(),
    )
    .value("status", s("CaseStatus"), "Lifecycle status.", |c| {
        enum_value(&c.row.status)
    })
    .value(
        "caseNumber",
        s(TypeRef::STRING),
        "Case number (per lead agency).",
        |c| c.row.case_number.clone(),
    )
    .value("title", s(TypeRef::STRING), "Short title.", |c| {
        c.row.title.clone()
    })
    .value("leadAgency", s(AGENCY_CODE), "Lead agency.", |c| {
        agency_value(&c.row.lead_agency)
    })
    .value("province", s(TypeRef::STRING), "Province code.", |c| {
        c.row.province.clone()
    })
    .value("openedAt", s(DATE_TIME), "When it was opened.", |c| {
        datetime(&c.row.opened_at)
    })
    .value("closedAt", s(DATE_TIME), "When it was closed.", |c| {
        c.row.closed_at.as_ref().map(datetime)
    })
    .value("legalBasis", s("LegalBasis"), "Penal Code article.", |c| {
        enum_value(&c.row.legal_basis)
    })
    .value(
        "transnational",
        s(TypeRef::BOOLEAN),
        "Crosses a national border.",
        |c| c.row.transnational,
    )
    .value(
        "organizedGroup",
        s(TypeRef::BOOLEAN),
        "An organized group is involved.",
        |c| c.row.organized_group,
    )
    .value(
        "exploitationForms",
        TypeRef::named_nn_list("ExploitationForm"),
        "Forms of exploitation.",
        |c| enum_list(&c.row.exploitation_forms),
    )
    .value(
        "recruitmentMethods",
        TypeRef::named_nn_list("RecruitmentMethod"),
        "Recruitment methods.",
        |c| enum_list(&c.row.recruitment_methods),
    )
    .value(
        "recruitmentPlatforms",
        TypeRef::named_nn_list(TypeRef::STRING),
        "Platforms used.",
        |c| string_list(&c.row.recruitment_platforms),
    )
    .value(
        "countries",
        TypeRef::named_nn_list(TypeRef::STRING),
        "Route and destination countries.",
        |c| string_list(&c.row.countries),
    )
    .value("createdAt", s(DATE_TIME), "Creation time.", |c| {
        datetime(&c.row.created_at)
    })
    .value("updatedAt", s(DATE_TIME), "Last change.", |c| {
        datetime(&c.row.updated_at)
    })
    .value(
        "createdByAgency",
        s(AGENCY_CODE),
        "Agency that recorded it.",
        |c| agency_value(&c.row.created_by_agency),
    )
    .value(
        "summary",
        s(TypeRef::STRING),
        "Investigative narrative.",
        |c| c.row.summary.clone(),
    )
    .value(
        "sourceReliability",
        s("SourceReliability"),
        "Source reliability.",
        |c| c.row.source_reliability.as_deref().map(enum_value),
    )
    .value(
        "informationAccuracy",
        s(TypeRef::INT),
        "Information accuracy (1-4).",
        |c| c.row.information_accuracy,
    )
    .field(
        "parties",
        TypeRef::named_nn_list("CaseParty"),
        "Persons and their roles in the case (those you may see).",
        vec![],
        |c, ctx| load_list(ctx, c.row.id, |l| &l.parties_by_case),
    )
    .build()
}

fn root() -> Vec<TypeDef> {
    vec![
        ObjectDef::<Root>::new("Query", "")
            .field(
                "case",
                TypeRef::named("Case"),
                "One case by id (NOT_FOUND when absent or out of your scope).",
                vec![arg("id", TypeRef::named_nn(TypeRef::ID), "Case id.")],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        let req = RequestCtx::of(&ctx).ok_or(ApiError::Unauthenticated)?;
                        let id = input::id_arg(&ctx, "id")?;
                        match req
                            .loaders
                            .case
                            .load_one(id)
                            .await
                            .map_err(ApiError::from)?
                        {
                            Some(c) => Ok(Some(FieldValue::owned_any(c))),
                            None => {
                                req.audit.not_found("Case", id);
                                Err(ApiError::NotFound("case"))
                            }
                        }
                    })
                },
            )
            .field(
                "cases",
                TypeRef::named("CaseConnection"),
                "Cases in your scope, a page at a time.",
                with_page_args(vec![
                    arg("filter", TypeRef::named("CaseFilter"), "Filters."),
                    arg_default(
                        "sort",
                        TypeRef::named_nn("CaseSort"),
                        "Order.",
                        Value::Enum(async_graphql::Name::new("CREATED")),
                    ),
                ]),
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        list_cases(&ctx)
                            .await
                            .map(|p| Some(FieldValue::owned_any(p)))
                    })
                },
            )
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field(
                "openCase",
                TypeRef::named("Case"),
                "Open a case led by your agency.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("OpenCaseInput"),
                    "The case.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        open_case(&ctx)
                            .await
                            .map(|c| Some(FieldValue::owned_any(c)))
                    })
                },
            )
            .field(
                "updateCase",
                TypeRef::named("Case"),
                "Change a case you may write.",
                vec![arg(
                    "input",
                    TypeRef::named_nn("UpdateCaseInput"),
                    "The changes.",
                )],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        update_case(&ctx)
                            .await
                            .map(|c| Some(FieldValue::owned_any(c)))
                    })
                },
            )
            .build(),
    ]
}

async fn list_cases(ctx: &ResolverContext<'_>) -> ApiResult<crate::store::page::Page<CaseNode>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let filter_input = Input::arg(ctx, "filter");
    filter_input.authorize(req, "CaseFilter", &RowFacts::default())?;
    let sort_name = ctx
        .args
        .get("sort")
        .and_then(|v| v.enum_name().ok().map(str::to_string))
        .unwrap_or_else(|| "CREATED".to_string());
    let sort =
        CaseSort::parse(&sort_name).ok_or_else(|| ApiError::bad_input("sort", "unknown sort"))?;
    super::authorize_enum(req, "CaseSort", &sort_name)?;
    let (first, after) = input::page_args(ctx, sort.name())?;
    let filter = CaseFilter {
        status: names(filter_input.enumerations::<CaseStatus>("status")?),
        province: non_empty(filter_input.strings("province", 8)?),
        lead_agency: agency_codes(&filter_input)?,
        legal_basis: filter_input
            .enumeration::<LegalBasis>("legalBasis")?
            .map(|v| v.name().to_string()),
        exploitation_form: filter_input
            .enumeration::<ExploitationForm>("exploitationForm")?
            .map(|v| v.name().to_string()),
        opened_from: filter_input.datetime("openedFrom")?,
        opened_to: filter_input.datetime("openedTo")?,
        transnational: filter_input.boolean("transnational")?,
    };
    let columns = selected_columns(&ctx.ctx.field());
    let page = store::page(
        &req.read_db,
        &req.principal,
        &filter,
        sort,
        after.as_ref(),
        first,
        columns.as_deref(),
    )
    .await?;
    Ok(page.map(Arc::new))
}

/// The columns that the `Case` fields of a `cases` selection read (under `nodes` and
/// `edges { node }`, fragments included; a field under `@skip` still counts), or `None` when
/// it selects a field [`columns_of`] does not know: then the page loads every column.
fn selected_columns(cases: &async_graphql::SelectionField<'_>) -> Option<Vec<case::Column>> {
    let mut columns = Vec::new();
    let mut add = |node: async_graphql::SelectionField<'_>| -> Option<()> {
        for field in node.selection_set() {
            columns.extend_from_slice(columns_of(field.name())?);
        }
        Some(())
    };
    for field in cases.selection_set() {
        match field.name() {
            "nodes" => add(field)?,
            "edges" => {
                for edge in field.selection_set() {
                    if edge.name() == "node" {
                        add(edge)?;
                    }
                }
            }
            _ => {}
        }
    }
    Some(columns)
}

/// The columns a field of `Case` (as [`case_type`] defines it) reads from the row; `None` for
/// any other field, including those other modules add to `Case`, so that a page selecting one
/// loads every column. Keep it in step with `case_type` (a test compares every field's value on
/// a page that selects it alone with the same case read by id, which loads the whole row).
fn columns_of(field: &str) -> Option<&'static [case::Column]> {
    use case::Column as C;
    Some(match field {
        "__typename" => &[],
        "id" | "parties" => &[C::Id],
        "version" => &[C::Version],
        "handlingCode" => &[C::HandlingCode],
        "handlingRestriction" => &[C::HandlingRestriction],
        "status" => &[C::Status],
        "caseNumber" => &[C::CaseNumber],
        "title" => &[C::Title],
        "leadAgency" => &[C::LeadAgency],
        "province" => &[C::Province],
        "openedAt" => &[C::OpenedAt],
        "closedAt" => &[C::ClosedAt],
        "legalBasis" => &[C::LegalBasis],
        "transnational" => &[C::Transnational],
        "organizedGroup" => &[C::OrganizedGroup],
        "exploitationForms" => &[C::ExploitationForms],
        "recruitmentMethods" => &[C::RecruitmentMethods],
        "recruitmentPlatforms" => &[C::RecruitmentPlatforms],
        "countries" => &[C::Countries],
        "createdAt" => &[C::CreatedAt],
        "updatedAt" => &[C::UpdatedAt],
        "createdByAgency" => &[C::CreatedByAgency],
        "summary" => &[C::Summary],
        "sourceReliability" => &[C::SourceReliability],
        "informationAccuracy" => &[C::InformationAccuracy],
        _ => return None,
    })
}

fn names<E: DomainEnum>(v: Vec<E>) -> Option<Vec<String>> {
    non_empty(v.iter().map(|e| e.name().to_string()).collect())
}

fn non_empty(v: Vec<String>) -> Option<Vec<String>> {
    if v.is_empty() { None } else { Some(v) }
}

fn agency_codes(input: &Input<'_>) -> ApiResult<Option<Vec<String>>> {
    let codes = input
        .enum_names("leadAgency")?
        .iter()
        .map(|n| parse_agency(n).map(|a| a.code().to_string()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ApiError::bad_input("filter.leadAgency", "unknown agency"))?;
    Ok(non_empty(codes))
}

/// Validates a province code against the reference list.
pub(crate) fn province(field: &str, code: &str) -> ApiResult<String> {
    if migration::seed::PROVINCES
        .iter()
        .any(|(c, _, _)| *c == code)
    {
        Ok(code.to_string())
    } else {
        Err(ApiError::bad_input(
            field,
            "is not a known province code (e.g. 01, 79)",
        ))
    }
}

/// Validates ISO 3166 alpha-2 country codes (upper-case letters).
pub(crate) fn countries(field: &str, codes: Vec<String>) -> ApiResult<Vec<String>> {
    codes
        .into_iter()
        .map(|c| {
            let upper = c.to_ascii_uppercase();
            if upper.len() == 2
                && upper.bytes().all(|b| b.is_ascii_uppercase())
                && is_iso_country(&upper)
            {
                Ok(upper)
            } else {
                Err(ApiError::bad_input(
                    field,
                    "must be ISO 3166 alpha-2 country codes (e.g. VN, CN, KH)",
                ))
            }
        })
        .collect()
}

fn is_iso_country(code: &str) -> bool {
    crate::domain::countries::is_alpha2(code)
}

struct CaseFields {
    transnational: Option<bool>,
    organized_group: Option<bool>,
    exploitation_forms: Option<Vec<String>>,
    recruitment_methods: Option<Vec<String>>,
    recruitment_platforms: Option<Vec<String>>,
    countries: Option<Vec<String>>,
    handling_code: Option<HandlingCode>,
    handling_restriction: Option<String>,
    summary: Option<String>,
    source_reliability: Option<String>,
    information_accuracy: Option<i32>,
}

fn read_case_fields(input: &Input<'_>) -> ApiResult<CaseFields> {
    let provided = input.provided();
    let has = |n: &str| provided.iter().any(|p| p == n);
    let fields = CaseFields {
        transnational: input.boolean("transnational")?,
        organized_group: input.boolean("organizedGroup")?,
        exploitation_forms: has("exploitationForms")
            .then(|| {
                input
                    .enumerations::<ExploitationForm>("exploitationForms")
                    .map(|v| v.iter().map(|e| e.name().to_string()).collect())
            })
            .transpose()?,
        recruitment_methods: has("recruitmentMethods")
            .then(|| {
                input
                    .enumerations::<RecruitmentMethod>("recruitmentMethods")
                    .map(|v| v.iter().map(|e| e.name().to_string()).collect())
            })
            .transpose()?,
        recruitment_platforms: has("recruitmentPlatforms")
            .then(|| input.strings("recruitmentPlatforms", 64))
            .transpose()?,
        countries: has("countries")
            .then(|| {
                input
                    .strings("countries", 8)
                    .and_then(|c| countries("input.countries", c))
            })
            .transpose()?,
        handling_code: input.enumeration::<HandlingCode>("handlingCode")?,
        handling_restriction: input.string("handlingRestriction", MAX_SHORT)?,
        summary: input.string("summary", MAX_TEXT)?,
        source_reliability: input
            .enumeration::<SourceReliability>("sourceReliability")?
            .map(|v| v.name().to_string()),
        information_accuracy: input.int("informationAccuracy", 1..=4)?,
    };
    if fields.handling_code == Some(HandlingCode::H3)
        && fields
            .handling_restriction
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        return Err(ApiError::bad_input(
            "input.handlingRestriction",
            "is required for handling code H3",
        ));
    }
    Ok(fields)
}

/// Whether the caller's jurisdiction (if its agency is limited by one) includes `province`.
fn within_jurisdiction(req: &RequestCtx, province: &str) -> bool {
    if !table::JURISDICTION_LIMITED.contains(&req.principal.agency) {
        return true;
    }
    req.principal
        .jurisdiction
        .as_ref()
        .is_none_or(|j| j.iter().any(|p| p == province))
}

async fn open_case(ctx: &ResolverContext<'_>) -> ApiResult<CaseNode> {
    let (req, input) = write::mutation_input(ctx)?;
    input.authorize(req, "OpenCaseInput", &RowFacts::created())?;
    let province = province("input.province", &input.required_string("province", 8)?)?;
    if !within_jurisdiction(req, &province) {
        return Err(ApiError::forbidden(
            "the province is outside your jurisdiction",
        ));
    }
    let fields = read_case_fields(&input)?;
    let new = NewCase {
        case_number: input.required_string("caseNumber", 64)?,
        title: input.required_string("title", MAX_SHORT)?,
        status: CaseStatus::Reported.name().to_string(),
        province,
        opened_at: input
            .datetime("openedAt")?
            .unwrap_or_else(crate::store::now),
        legal_basis: input
            .required_enum::<LegalBasis>("legalBasis")?
            .name()
            .to_string(),
        transnational: fields.transnational.unwrap_or(false),
        organized_group: fields.organized_group.unwrap_or(false),
        exploitation_forms: fields.exploitation_forms.unwrap_or_default(),
        recruitment_methods: fields.recruitment_methods.unwrap_or_default(),
        recruitment_platforms: fields.recruitment_platforms.unwrap_or_default(),
        countries: fields.countries.unwrap_or_default(),
        handling_code: fields
            .handling_code
            .unwrap_or(HandlingCode::H0)
            .name()
            .to_string(),
        handling_restriction: fields.handling_restriction,
        summary: fields.summary,
        source_reliability: fields.source_reliability,
        information_accuracy: fields.information_accuracy,
    };
    let key = write::key_of(&input)?;
    let mut writes = crate::store::Writes::default();
    let id = store::insert_into(&mut writes, &req.principal, new);
    let entity = AuditEntity {
        ty: "Case",
        id,
        person: None,
    };
    // On PostgreSQL the write answers with the new case as the caller sees it.
    let view = store::scoped_over(&req.principal, &writes.returned());
    let fields = input.provided();
    let applied = write::apply(req, "openCase", key, fields, writes, entity, Some(view)).await?;
    match applied.rows {
        Some(rows) => store::written_row(&rows)?
            .map(Arc::new)
            .ok_or(ApiError::NotFound("case")),
        None => load_fresh(req, applied.id).await,
    }
}

/// Reloads a case from the primary after a write, through the caller's scope.
pub(crate) async fn load_fresh(req: &RequestCtx, id: uuid::Uuid) -> ApiResult<CaseNode> {
    store::by_ids(&req.db, &req.principal, &[id])
        .await?
        .into_iter()
        .next()
        .map(Arc::new)
        .ok_or(ApiError::NotFound("case"))
}

/// Loads the case a mutation names, from the primary through the caller's scope; when that
/// fails (for any reason), the attempt is audited as a denied read of the case.
pub(crate) async fn load_named(req: &RequestCtx, id: uuid::Uuid) -> ApiResult<CaseNode> {
    load_fresh(req, id)
        .await
        .inspect_err(|_| req.audit.not_found("Case", id))
}

/// Refuses `input.caseId` when it names no case (links whose target the caller names).
///
/// The case need not be visible to the caller: the hotline marks its tip as having opened the
/// case the police opened, and a mission links its flag to a case it was told about. This
/// confirms only that an id the caller already holds exists; ids are UUIDv7 with 74 random
/// bits, so they cannot be enumerated, and the link itself reveals nothing of the case.
pub(crate) async fn ensure_case_exists(req: &RequestCtx, id: Option<uuid::Uuid>) -> ApiResult<()> {
    if let Some(case) = id
        && !store::exists(&req.db, case).await?
    {
        return Err(ApiError::bad_input("input.caseId", "is not a case"));
    }
    Ok(())
}

async fn update_case(ctx: &ResolverContext<'_>) -> ApiResult<CaseNode> {
    let (req, input) = write::mutation_input(ctx)?;
    let id = input.required_id("id")?;
    let version = input.required_version()?;
    let current = load_named(req, id).await?;
    authorize_row(req, "Mutation", "updateCase", &current.facts)?;
    input.authorize(req, "UpdateCaseInput", &current.facts)?;
    let fields = read_case_fields(&input)?;
    let mut model = case::ActiveModel {
        ..Default::default()
    };
    if let Some(title) = input.string("title", MAX_SHORT)? {
        if title.trim().is_empty() {
            return Err(ApiError::bad_input("input.title", "may not be blank"));
        }
        model.title = Set(title);
    }
    if let Some(v) = input.enumeration::<LegalBasis>("legalBasis")? {
        model.legal_basis = Set(v.name().to_string());
    }
    if let Some(v) = fields.transnational {
        model.transnational = Set(v);
    }
    if let Some(v) = fields.organized_group {
        model.organized_group = Set(v);
    }
    if let Some(v) = fields.exploitation_forms {
        model.exploitation_forms = Set(crate::store::json_list(&v));
    }
    if let Some(v) = fields.recruitment_methods {
        model.recruitment_methods = Set(crate::store::json_list(&v));
    }
    if let Some(v) = fields.recruitment_platforms {
        model.recruitment_platforms = Set(crate::store::json_list(&v));
    }
    if let Some(v) = fields.countries {
        model.countries = Set(crate::store::json_list(&v));
    }
    if let Some(v) = fields.handling_code {
        model.handling_code = Set(v.name().to_string());
    }
    if let Some(v) = fields.handling_restriction {
        model.handling_restriction = Set(Some(v));
    }
    if let Some(v) = fields.summary {
        model.summary = Set(Some(v));
    }
    if let Some(v) = fields.source_reliability {
        model.source_reliability = Set(Some(v));
    }
    if let Some(v) = fields.information_accuracy {
        model.information_accuracy = Set(Some(v));
    }
    let mut writes = crate::store::Writes::default();
    store::update_into(&mut writes, id, version, model);
    let entity = AuditEntity {
        ty: "Case",
        id,
        person: None,
    };
    write::apply(
        req,
        "updateCase",
        None,
        input.provided(),
        writes,
        entity,
        None,
    )
    .await?;
    load_fresh(req, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_the_case_type_names_its_columns() {
        let TypeDef::Object { fields, .. } = case_type() else {
            panic!("Case is an object type");
        };
        for field in &fields {
            assert!(
                columns_of(field.name).is_some(),
                "Case.{} reads columns `columns_of` does not list: a page selecting it would \
                 load every column",
                field.name
            );
        }
        assert!(columns_of("aFieldAddedElsewhere").is_none());
    }
}
