//! `statistics`, `report`, `campaigns` and `createCampaign`: figures for the steering
//! committee's periodic reports, with small-cell and complementary suppression (DESIGN §8).
//!
//! The steering committee counts nationally; every other agency counts over its own row scope,
//! and only what it may read there. [`check_measure`] applies the policy to a question before
//! any SQL runs: the measure's rule from the table, then (for an agency counting over its own
//! scope) the filter rule of the field that dates the measure and of every field it groups or
//! filters by. The figures come from `crate::store::statistics`, suppressed there; this module
//! never publishes a count itself.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_graphql::Value;
use async_graphql::dynamic::{FieldFuture, FieldValue, ResolverContext, TypeRef};
use chrono::NaiveDate;
use entities::campaign;

use super::common::{AGENCY_CODE, DATE, DATE_TIME, Id, agency_value, datetime, enum_value};
use super::context::RequestCtx;
use super::input::{Input, MAX_SHORT, MAX_TEXT};
use super::model::{
    EnumValueDef, Guarded, InputDef, ObjectDef, Root, TypeDef, arg, arg_default, domain_enum,
    resolve_async, sort_enum,
};
use super::write;
use crate::audit::AuditEntity;
use crate::auth::Principal;
use crate::domain::{DomainEnum, ExploitationForm, Sex, TipChannel};
use crate::error::{ApiError, ApiResult};
use crate::policy::{self, RowFacts, Rule};
use crate::report::{Lang, Report, ReportRow};
use crate::store::statistics::{
    self as store, AgeBand, Dimension, EthnicityGroup, Figure, Filter, MAX_CELLS, Measure,
    NewCampaign, Period,
};

// ---------------------------------------------------------------------------------------------
// Policy

/// The type whose enum values carry the measures' rules in the policy table.
const MEASURE_TYPE: &str = "StatisticsMeasure";

/// May `p` count `measure` grouped or filtered by `dims`? Refusals are `FORBIDDEN` and say why.
///
/// The measure's rule comes from the table (`StatisticsMeasure.<MEASURE>`). An agency that sees
/// the measure's class only as aggregates counts nationally and may group by anything; an agency
/// that reads the class counts over its own row scope, so it must also be allowed to filter on
/// (read on every row of its scope) the field that dates the measure and every field it groups
/// or filters by: a statistic never reveals what a filter could not.
pub(crate) fn check_measure(p: &Principal, measure: Measure, dims: &[Dimension]) -> ApiResult<()> {
    let name: &'static str = measure.into();
    let refused = || ApiError::forbidden(format!("your agency may not count {name}"));
    let rule = policy::rule(MEASURE_TYPE, name).ok_or_else(refused)?;
    policy::check_static(p, rule, MEASURE_TYPE).map_err(|_| refused())?;
    if policy::grant(p.agency, measure.class()).read.is_empty() {
        // Aggregates only: national figures, every dimension.
        return Ok(());
    }
    let dated = std::iter::once(("period", measure.dated_by()));
    let grouped = dims.iter().map(|d| {
        let label: &'static str = (*d).into();
        (label, measure.reads(*d))
    });
    for (what, (ty, field)) in dated.chain(grouped) {
        let allowed = match policy::rule(ty, field) {
            Some(Rule::Read(class)) => policy::check_static(p, Rule::Filter(ty, class), ty).is_ok(),
            Some(Rule::PersonIdentity) => policy::check_static(p, Rule::FilterIdentity, ty).is_ok(),
            Some(rule @ (Rule::Key | Rule::Structural)) => {
                policy::check_static(p, rule, ty).is_ok()
            }
            _ => false,
        };
        if !allowed {
            return Err(ApiError::forbidden(format!(
                "your agency may not count {name} by {what}: it does not read {ty}.{field} on every row of its scope"
            )));
        }
    }
    Ok(())
}

/// The suppression threshold of this server (`--min-cell`, `CTEX_MIN_CELL`), at least 1.
fn threshold(ctx: &ResolverContext<'_>) -> u64 {
    let k = ctx
        .ctx
        .data_opt::<super::Limits>()
        .map_or(super::Limits::default().min_cell, |l| l.min_cell);
    u64::from(k.max(1))
}

// ---------------------------------------------------------------------------------------------
// Parent values

/// No row facts: these values are guarded by the root field that produced them.
fn no_facts() -> &'static RowFacts {
    static NONE: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
    &NONE
}

/// An answer of `statistics`.
pub(crate) struct StatisticsNode {
    period: Period,
    threshold: u64,
    group_by: Vec<Dimension>,
    cells: Vec<Arc<CellNode>>,
}

/// One figure of an answer.
pub(crate) struct CellNode {
    measure: Measure,
    group_by: Arc<Vec<Dimension>>,
    figure: Figure,
}

impl CellNode {
    /// The value of `dim` in this cell's group, when grouped by it.
    fn value_of(&self, dim: Dimension) -> Option<&str> {
        self.group_by
            .iter()
            .position(|d| *d == dim)
            .and_then(|i| self.figure.key.get(i))
            .map(String::as_str)
    }
}

/// The periodic report.
pub(crate) struct ReportNode(Report);

/// One line of the report.
pub(crate) struct RowNode(ReportRow);

/// A campaign.
pub(crate) struct CampaignNode(campaign::Model);

macro_rules! unguarded_rows {
    ($($t:ty),*) => {$(
        impl Guarded for $t {
            fn facts(&self) -> &RowFacts {
                no_facts()
            }
        }
    )*};
}
unguarded_rows!(
    StatisticsNode,
    Arc<CellNode>,
    ReportNode,
    RowNode,
    CampaignNode
);

// ---------------------------------------------------------------------------------------------
// Types

const MEASURE_DESCRIPTIONS: [(&str, &str); 13] = [
    ("CASES_OPENED", "Cases opened (by `openedAt`)."),
    ("RINGS_DISMANTLED", "Rings dismantled (by `dismantledAt`)."),
    (
        "VICTIMS_RECEIVED",
        "Persons first received as victims or persons under identification (by `receivedAt`).",
    ),
    (
        "VICTIMS_IDENTIFIED",
        "Persons first identified as victims (by the move to `IDENTIFIED`).",
    ),
    (
        "VICTIMS_SUPPORTED",
        "Persons whose first support service started in the period.",
    ),
    (
        "CHILD_VICTIMS",
        "Persons first received as victims while under 18 at exploitation.",
    ),
    ("SUSPECTS", "Persons first recorded as suspects in a case."),
    ("TIPS_RECEIVED", "Tips received, every channel."),
    (
        "TIPS_RESOLVED",
        "Tips resolved: case opened, unfounded or forwarded (by `resolvedAt`).",
    ),
    ("HOTLINE_CALLS", "Calls to the national hotline 111."),
    ("REFERRALS", "Referrals sent."),
    ("PROSECUTIONS", "Defendants first indicted (by `filedAt`)."),
    (
        "CONVICTIONS",
        "Defendants first convicted (by `decidedAt`).",
    ),
];

const DIMENSION_DESCRIPTIONS: [(&str, &str); 8] = [
    (
        "PROVINCE",
        "The province of the case (or of the tip); `UNKNOWN` when none.",
    ),
    ("SEX", "The person's recorded sex."),
    ("AGE_BAND", "The victim's age at exploitation, in bands."),
    ("ETHNICITY_GROUP", "Kinh or an ethnic minority."),
    (
        "EXPLOITATION_FORM",
        "The case's forms of exploitation: a case with several counts under each, so these groups overlap.",
    ),
    (
        "DESTINATION_COUNTRY",
        "The countries of the case's route and destination other than Viet Nam (each counts; groups overlap).",
    ),
    ("CHANNEL", "How a tip came in."),
    ("MONTH", "The calendar month, `YYYY-MM`."),
];

fn plain_enum(
    name: &'static str,
    description: &'static str,
    values: &[(&'static str, &'static str)],
) -> TypeDef {
    TypeDef::Enum {
        name,
        description,
        governed: false,
        values: values
            .iter()
            .map(|(v, d)| EnumValueDef {
                name: (*v).to_string(),
                description: (*d).to_string(),
                rule: None,
            })
            .collect(),
    }
}

fn date_value(d: NaiveDate) -> Value {
    Value::from(d.format("%Y-%m-%d").to_string())
}

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    let nn = |n: &str| TypeRef::named_nn(n.to_string());
    vec![
        sort_enum(
            MEASURE_TYPE,
            "What a statistic counts. Persons count once each, at their first qualifying \
             record; cases, rings, tips and referrals as records.",
            &MEASURE_DESCRIPTIONS,
        ),
        plain_enum(
            "StatisticsDimension",
            "What a statistic can be grouped or filtered by.",
            &DIMENSION_DESCRIPTIONS,
        ),
        domain_enum::<AgeBand>(),
        domain_enum::<EthnicityGroup>(),
        plain_enum(
            "ReportLanguage",
            "The language of the report's headings.",
            &[("VI", "Vietnamese."), ("EN", "English.")],
        ),
        InputDef::new(
            "StatisticsFilter",
            "Counts only units with one of the listed values of each dimension given (for \
             forms and countries: any of them).",
        )
        .field(
            "province",
            TypeRef::named_nn_list("String"),
            "Province codes.",
        )
        .field("sex", TypeRef::named_nn_list("Sex"), "Sexes.")
        .field("ageBand", TypeRef::named_nn_list("AgeBand"), "Age bands.")
        .field(
            "ethnicityGroup",
            TypeRef::named_nn_list("EthnicityGroup"),
            "Ethnicity groups.",
        )
        .field(
            "exploitationForm",
            TypeRef::named_nn_list("ExploitationForm"),
            "Exploitation forms.",
        )
        .field(
            "destinationCountry",
            TypeRef::named_nn_list("String"),
            "ISO 3166 alpha-2 codes.",
        )
        .field(
            "channel",
            TypeRef::named_nn_list("TipChannel"),
            "Tip channels.",
        )
        .build(),
        ObjectDef::<StatisticsNode>::new(
            "Statistics",
            "Figures over a period of whole months. A cell counting fewer than `threshold`, or \
             whose publication would let one be recovered, is `suppressed` with a null `value`.",
        )
        .value("from", nn(DATE), "First day.", |s| {
            date_value(s.period.from())
        })
        .value("to", nn(DATE), "Last day.", |s| date_value(s.period.to()))
        .value(
            "threshold",
            TypeRef::named_nn(TypeRef::INT),
            "The suppression threshold.",
            |s| i64::try_from(s.threshold).unwrap_or(i64::MAX),
        )
        .value(
            "groupBy",
            TypeRef::named_nn_list_nn("StatisticsDimension"),
            "The dimensions grouped by, in the order asked.",
            |s| {
                Value::List(
                    s.group_by
                        .iter()
                        .map(|d| enum_value((*d).into()).into())
                        .collect(),
                )
            },
        )
        .field(
            "cells",
            TypeRef::named_nn_list_nn("StatisticsCell"),
            "One cell per measure and combination of the grouped values (within the filter), \
             suppressed ones included.",
            vec![],
            |s, _| {
                FieldFuture::Value(Some(FieldValue::list(
                    s.cells.iter().cloned().map(FieldValue::owned_any),
                )))
            },
        )
        .build(),
        ObjectDef::<Arc<CellNode>>::new(
            "StatisticsCell",
            "One figure: a measure for one combination of the grouped values. Fields of \
             dimensions not grouped by are null.",
        )
        .value("measure", nn(MEASURE_TYPE), "What it counts.", |c| {
            enum_value(c.measure.into())
        })
        .value("province", s(TypeRef::STRING), "Province code.", |c| {
            c.value_of(Dimension::Province).map(str::to_string)
        })
        .value("sex", s("Sex"), "Sex.", |c| {
            c.value_of(Dimension::Sex).map(enum_value)
        })
        .value("ageBand", s("AgeBand"), "Age band.", |c| {
            c.value_of(Dimension::AgeBand).map(enum_value)
        })
        .value(
            "ethnicityGroup",
            s("EthnicityGroup"),
            "Ethnicity group.",
            |c| c.value_of(Dimension::EthnicityGroup).map(enum_value),
        )
        .value(
            "exploitationForm",
            s("ExploitationForm"),
            "Exploitation form.",
            |c| c.value_of(Dimension::ExploitationForm).map(enum_value),
        )
        .value(
            "destinationCountry",
            s(TypeRef::STRING),
            "Country (ISO 3166 alpha-2).",
            |c| {
                c.value_of(Dimension::DestinationCountry)
                    .map(str::to_string)
            },
        )
        .value("channel", s("TipChannel"), "Tip channel.", |c| {
            c.value_of(Dimension::Channel).map(enum_value)
        })
        .value("month", s(TypeRef::STRING), "Month, `YYYY-MM`.", |c| {
            c.value_of(Dimension::Month).map(str::to_string)
        })
        .value(
            "value",
            s(TypeRef::INT),
            "The count; null when suppressed.",
            |c| c.figure.value.and_then(|v| i64::try_from(v).ok()),
        )
        .value(
            "suppressed",
            TypeRef::named_nn(TypeRef::BOOLEAN),
            "Whether the count is withheld.",
            |c| c.figure.value.is_none(),
        )
        .build(),
        ObjectDef::<ReportNode>::new(
            "Report",
            "The periodic report table an analyst sends to the steering committee, suppressed \
             like `statistics`. Only the lines your agency may count are listed.",
        )
        .value("title", nn(TypeRef::STRING), "Title.", |r| {
            r.0.title.clone()
        })
        .value("from", nn(DATE), "First day.", |r| {
            date_value(r.0.period.from())
        })
        .value("to", nn(DATE), "Last day.", |r| date_value(r.0.period.to()))
        .value("lang", nn("ReportLanguage"), "Heading language.", |r| {
            enum_value(match r.0.lang {
                Lang::Vi => "VI",
                Lang::En => "EN",
            })
        })
        .value(
            "threshold",
            TypeRef::named_nn(TypeRef::INT),
            "The suppression threshold.",
            |r| i64::try_from(r.0.threshold).unwrap_or(i64::MAX),
        )
        .value(
            "columns",
            TypeRef::named_nn_list_nn(TypeRef::STRING),
            "Column headings.",
            |r| Value::List(r.0.columns().iter().map(|c| Value::from(*c)).collect()),
        )
        .field(
            "rows",
            TypeRef::named_nn_list_nn("ReportRow"),
            "The lines, in order.",
            vec![],
            |r, _| {
                FieldFuture::Value(Some(FieldValue::list(
                    r.0.rows
                        .iter()
                        .cloned()
                        .map(|row| FieldValue::owned_any(RowNode(row))),
                )))
            },
        )
        .build(),
        ObjectDef::<RowNode>::new("ReportRow", "One line of the report.")
            .value(
                "key",
                nn(TypeRef::STRING),
                "Stable key, e.g. `victims_supported.sex.male`.",
                |r| r.0.key.clone(),
            )
            .value(
                "indicator",
                nn(TypeRef::STRING),
                "Indicator heading.",
                |r| r.0.indicator.to_string(),
            )
            .value(
                "breakdown",
                nn(TypeRef::STRING),
                "Breakdown heading.",
                |r| r.0.breakdown.to_string(),
            )
            .value(
                "value",
                s(TypeRef::INT),
                "The count; null when suppressed.",
                |r| r.0.value.and_then(|v| i64::try_from(v).ok()),
            )
            .value(
                "suppressed",
                TypeRef::named_nn(TypeRef::BOOLEAN),
                "Whether the count is withheld.",
                |r| r.0.value.is_none(),
            )
            .value(
                "note",
                s(TypeRef::STRING),
                "Why it is withheld, when it is.",
                |r| r.0.note.clone(),
            )
            .build(),
        ObjectDef::<CampaignNode>::new(
            "Campaign",
            "A named reporting period of whole months (a campaign, a quarter, a year).",
        )
        .value("id", TypeRef::named_nn(TypeRef::ID), "Campaign id.", |c| {
            Id(c.0.id)
        })
        .value(
            "version",
            TypeRef::named_nn(TypeRef::INT),
            "Version.",
            |c| c.0.version,
        )
        .value("name", nn(TypeRef::STRING), "Name.", |c| c.0.name.clone())
        .value("from", nn(DATE), "First day.", |c| {
            date_value(c.0.starts_on)
        })
        .value("to", nn(DATE), "Last day (inclusive).", |c| {
            date_value(c.0.ends_on)
        })
        .value(
            "description",
            s(TypeRef::STRING),
            "What it is about.",
            |c| c.0.description.clone(),
        )
        .value("createdAt", nn(DATE_TIME), "When it was created.", |c| {
            datetime(&c.0.created_at)
        })
        .value(
            "createdByAgency",
            nn(AGENCY_CODE),
            "Agency that created it.",
            |c| agency_value(&c.0.created_by_agency),
        )
        .build(),
        InputDef::new("CreateCampaignInput", "A new campaign.")
            .field("name", nn(TypeRef::STRING), "Name (unique).")
            .field("from", nn(DATE), "First day: the first day of a month.")
            .field("to", nn(DATE), "Last day: the last day of a month.")
            .field("description", s(TypeRef::STRING), "What it is about.")
            .field("idempotencyKey", s(TypeRef::STRING), "Retry-safe key.")
            .build(),
        ObjectDef::<Root>::new("Query", "")
            .field(
                "statistics",
                nn("Statistics"),
                "Figures over whole calendar months: national for the steering committee, over \
                 your own scope for any other agency. Small cells, and cells that would let one \
                 be recovered from other figures, are suppressed.",
                vec![
                    arg("from", nn(DATE), "First day: the first day of a month."),
                    arg("to", nn(DATE), "Last day: the last day of a month."),
                    arg(
                        "measures",
                        TypeRef::named_nn_list_nn(MEASURE_TYPE),
                        "What to count.",
                    ),
                    arg_default(
                        "groupBy",
                        TypeRef::named_nn_list_nn("StatisticsDimension"),
                        "Dimensions to group by (none: one total per measure).",
                        Value::List(Vec::new()),
                    ),
                    arg("filter", s("StatisticsFilter"), "Filters."),
                ],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        statistics(&ctx)
                            .await
                            .map(|s| Some(FieldValue::owned_any(s)))
                    })
                },
            )
            .field(
                "report",
                nn("Report"),
                "The periodic report table (tips, hotline calls, victims by sex and ethnicity \
                 group, cases, rings, prosecutions, convictions), suppressed like `statistics`.",
                vec![
                    arg("from", nn(DATE), "First day: the first day of a month."),
                    arg("to", nn(DATE), "Last day: the last day of a month."),
                    arg_default(
                        "lang",
                        nn("ReportLanguage"),
                        "Heading language.",
                        Value::Enum(async_graphql::Name::new("VI")),
                    ),
                ],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        report(&ctx)
                            .await
                            .map(|r| Some(FieldValue::owned_any(ReportNode(r))))
                    })
                },
            )
            .field(
                "campaigns",
                TypeRef::named_nn_list_nn("Campaign"),
                "The named reporting periods, newest first.",
                vec![],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        let req = RequestCtx::of(&ctx).ok_or(ApiError::Unauthenticated)?;
                        let list = store::campaigns(&req.read_db).await?;
                        Ok(Some(FieldValue::list(
                            list.into_iter()
                                .map(|c| FieldValue::owned_any(CampaignNode(c))),
                        )))
                    })
                },
            )
            .build(),
        ObjectDef::<Root>::new("Mutation", "")
            .field(
                "createCampaign",
                s("Campaign"),
                "Name a reporting period (the steering committee).",
                vec![arg("input", nn("CreateCampaignInput"), "The campaign.")],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        create_campaign(&ctx)
                            .await
                            .map(|c| Some(FieldValue::owned_any(c)))
                    })
                },
            )
            .build(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Resolvers

/// A required `Date` argument of the root field.
fn date_arg(ctx: &ResolverContext<'_>, name: &str) -> ApiResult<NaiveDate> {
    ctx.args
        .get(name)
        .and_then(|v| v.string().ok())
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .ok_or_else(|| ApiError::bad_input(name, "must be a date YYYY-MM-DD"))
}

/// The period of the `from` and `to` arguments.
fn period_args(ctx: &ResolverContext<'_>) -> ApiResult<Period> {
    Period::of_days(date_arg(ctx, "from")?, date_arg(ctx, "to")?, ("from", "to"))
}

/// The enum names of a list argument.
fn enum_list(ctx: &ResolverContext<'_>, name: &str) -> ApiResult<Vec<String>> {
    let Some(v) = ctx.args.get(name).filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = v
        .list()
        .map_err(|_| ApiError::bad_input(name, "must be a list"))?;
    list.iter()
        .map(|item| {
            item.enum_name()
                .or_else(|_| item.string())
                .map(str::to_string)
                .map_err(|_| ApiError::bad_input(name, "must be enum values"))
        })
        .collect()
}

/// The `filter` argument, each value checked against its dimension's values.
fn filter_arg(ctx: &ResolverContext<'_>, period: &Period) -> ApiResult<Filter> {
    let input = Input::arg(ctx, "filter");
    let mut filter = Filter::new();
    let mut add = |dim: Dimension, field: &str, values: Vec<String>| -> ApiResult<()> {
        if values.is_empty() {
            return Ok(());
        }
        let domain: BTreeSet<String> = dim.domain(period).into_iter().collect();
        if let Some(bad) = values.iter().find(|v| !domain.contains(*v)) {
            return Err(ApiError::bad_input(
                format!("filter.{field}"),
                format!("{bad:?} is not a value of {}", <&str>::from(dim)),
            ));
        }
        filter.insert(dim, values.into_iter().collect());
        Ok(())
    };
    fn names<E: DomainEnum + PartialEq>(input: &Input<'_>, field: &str) -> ApiResult<Vec<String>> {
        Ok(input
            .enumerations::<E>(field)?
            .iter()
            .map(|e| e.name().to_string())
            .collect())
    }
    add(
        Dimension::Province,
        "province",
        input.strings("province", 8)?,
    )?;
    add(Dimension::Sex, "sex", names::<Sex>(&input, "sex")?)?;
    add(
        Dimension::AgeBand,
        "ageBand",
        names::<AgeBand>(&input, "ageBand")?,
    )?;
    add(
        Dimension::EthnicityGroup,
        "ethnicityGroup",
        names::<EthnicityGroup>(&input, "ethnicityGroup")?,
    )?;
    add(
        Dimension::ExploitationForm,
        "exploitationForm",
        names::<ExploitationForm>(&input, "exploitationForm")?,
    )?;
    add(
        Dimension::DestinationCountry,
        "destinationCountry",
        input.strings("destinationCountry", 2)?,
    )?;
    add(
        Dimension::Channel,
        "channel",
        names::<TipChannel>(&input, "channel")?,
    )?;
    Ok(filter)
}

async fn statistics(ctx: &ResolverContext<'_>) -> ApiResult<StatisticsNode> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let period = period_args(ctx)?;
    let mut measures: Vec<Measure> = Vec::new();
    for name in enum_list(ctx, "measures")? {
        let m: Measure = name
            .parse()
            .map_err(|_| ApiError::bad_input("measures", format!("unknown measure {name}")))?;
        if !measures.contains(&m) {
            measures.push(m);
        }
    }
    if measures.is_empty() {
        return Err(ApiError::bad_input("measures", "name at least one measure"));
    }
    let mut group_by: Vec<Dimension> = Vec::new();
    for name in enum_list(ctx, "groupBy")? {
        let d: Dimension = name
            .parse()
            .map_err(|_| ApiError::bad_input("groupBy", format!("unknown dimension {name}")))?;
        if group_by.contains(&d) {
            return Err(ApiError::bad_input(
                "groupBy",
                format!("{name} is listed twice"),
            ));
        }
        group_by.push(d);
    }
    let filter = filter_arg(ctx, &period)?;
    let used: Vec<Dimension> = group_by
        .iter()
        .copied()
        .chain(filter.keys().copied())
        .collect();
    for m in &measures {
        if let Some(d) = used.iter().find(|d| !m.has(**d)) {
            let (name, dim): (&str, &str) = ((*m).into(), (*d).into());
            let field = if group_by.contains(d) {
                "groupBy"
            } else {
                "filter"
            };
            return Err(ApiError::bad_input(
                field,
                format!("{name} cannot be grouped or filtered by {dim}"),
            ));
        }
        if let Err(e) = check_measure(&req.principal, *m, &used) {
            req.audit.denied(MEASURE_TYPE, "statistics", None);
            return Err(e);
        }
    }
    let groups = store::groups(&group_by, &filter, &period)?.len();
    if groups.saturating_mul(measures.len()) > MAX_CELLS {
        return Err(ApiError::bad_input(
            "measures",
            format!("this question has more than {MAX_CELLS} cells: ask fewer measures or groups"),
        ));
    }
    let k = threshold(ctx);
    let shared = Arc::new(group_by.clone());
    let mut cells = Vec::new();
    for m in measures {
        let tables = store::load(&req.read_db, &req.principal, m, &period, k).await?;
        for figure in tables.answer(&period, &group_by, &filter)? {
            cells.push(Arc::new(CellNode {
                measure: m,
                group_by: shared.clone(),
                figure,
            }));
        }
    }
    Ok(StatisticsNode {
        period,
        threshold: k,
        group_by,
        cells,
    })
}

async fn report(ctx: &ResolverContext<'_>) -> ApiResult<Report> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let period = period_args(ctx)?;
    let lang = match ctx
        .args
        .get("lang")
        .and_then(|v| v.enum_name().ok().map(str::to_string))
        .as_deref()
    {
        Some("EN") => Lang::En,
        _ => Lang::Vi,
    };
    crate::report::build(&req.read_db, &req.principal, &period, lang, threshold(ctx)).await
}

async fn create_campaign(ctx: &ResolverContext<'_>) -> ApiResult<CampaignNode> {
    let (req, input) = write::mutation_input(ctx)?;
    input.authorize(req, "CreateCampaignInput", &RowFacts::created())?;
    let name = input.required_string("name", MAX_SHORT)?;
    if name.chars().count() < 3 {
        return Err(ApiError::bad_input("input.name", "at least 3 characters"));
    }
    let from = input
        .date("from")?
        .ok_or_else(|| ApiError::bad_input("input.from", "is required"))?;
    let to = input
        .date("to")?
        .ok_or_else(|| ApiError::bad_input("input.to", "is required"))?;
    let period = Period::of_days(from, to, ("input.from", "input.to"))?;
    let new = NewCampaign {
        name,
        period,
        description: input.string("description", MAX_TEXT)?,
    };
    let key = write::key_of(&input)?;
    let principal = req.principal.clone();
    let id = write::transact(req, "createCampaign", key, input.provided(), move |txn| {
        Box::pin(async move {
            let id = store::insert_campaign(txn, &principal, new).await?;
            Ok(AuditEntity {
                ty: "Campaign",
                id,
                person: None,
            })
        })
    })
    .await?;
    store::campaign(&req.db, id)
        .await?
        .map(CampaignNode)
        .ok_or(ApiError::NotFound("campaign"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Agency;
    use strum::IntoEnumIterator;

    fn principal(agency: Agency) -> Principal {
        Principal {
            agency,
            subject: "t".into(),
            unit: None,
            jurisdiction: None,
            scopes: Vec::new(),
            purpose: None,
            token_id: "jti".into(),
            issuer: "iss".into(),
            expires_at: 0,
        }
    }

    /// What `agency` may count: each measure it may count, with the dimensions it may group it by.
    fn counts(agency: Agency) -> Vec<(Measure, Vec<Dimension>)> {
        let p = principal(agency);
        Measure::iter()
            .filter(|m| check_measure(&p, *m, &[]).is_ok())
            .map(|m| {
                let dims = m
                    .dimensions()
                    .iter()
                    .copied()
                    .filter(|d| check_measure(&p, m, &[*d]).is_ok())
                    .collect();
                (m, dims)
            })
            .collect()
    }

    fn person_dims() -> [Dimension; 3] {
        [
            Dimension::Sex,
            Dimension::EthnicityGroup,
            Dimension::AgeBand,
        ]
    }

    #[test]
    fn the_steering_committee_counts_everything_nationally_and_oversight_nothing() {
        let all: Vec<(Measure, Vec<Dimension>)> = Measure::iter()
            .map(|m| (m, m.dimensions().to_vec()))
            .collect();
        assert_eq!(counts(Agency::Steering), all);
        assert!(counts(Agency::Oversight).is_empty());
        // Police and the procuracy read everything in their scope, identities included.
        assert_eq!(counts(Agency::Police), all);
        let procuracy: Vec<_> = all
            .iter()
            .filter(|(m, _)| m.class() != crate::policy::Class::Tips)
            .cloned()
            .collect();
        assert_eq!(counts(Agency::Procuracy), procuracy);
    }

    #[test]
    fn no_agency_groups_by_what_it_may_not_read_on_every_row() {
        // Minors' identity is hidden from the border guard, consent binds social services,
        // the court reads identities of indicted cases only, foreign affairs of its own flags.
        for agency in [
            Agency::BorderGuard,
            Agency::Court,
            Agency::SocialServices,
            Agency::ForeignAffairs,
        ] {
            for (m, dims) in counts(agency) {
                if policy::grant(agency, m.class()).read.is_empty() {
                    continue; // national aggregates (verdicts for the border guard and missions)
                }
                assert!(
                    person_dims().iter().all(|d| !dims.contains(d)),
                    "{agency:?} groups {m:?} by a person's identity: {dims:?}"
                );
            }
        }
        let court: Vec<Measure> = counts(Agency::Court).into_iter().map(|(m, _)| m).collect();
        assert_eq!(
            court,
            vec![
                Measure::CasesOpened,
                Measure::Suspects,
                Measure::Prosecutions,
                Measure::Convictions
            ]
        );
        // Foreign affairs reads the status of linked cases only: it cannot date cases.
        assert!(
            counts(Agency::ForeignAffairs)
                .iter()
                .all(|(m, _)| *m != Measure::CasesOpened)
        );
        let social: Vec<(Measure, Vec<Dimension>)> = counts(Agency::SocialServices);
        assert!(social.contains(&(Measure::VictimsSupported, vec![])));
        assert!(social.contains(&(Measure::HotlineCalls, vec![Dimension::Province])));
    }

    #[test]
    fn refusals_say_which_field_the_agency_cannot_read() {
        let social = principal(Agency::SocialServices);
        match check_measure(&social, Measure::VictimsSupported, &[Dimension::Sex]) {
            Err(ApiError::Forbidden(m)) => assert!(m.contains("Person.sex"), "{m}"),
            other => panic!("{other:?}"),
        }
        match check_measure(&principal(Agency::Court), Measure::TipsReceived, &[]) {
            Err(ApiError::Forbidden(m)) => assert_eq!(m, "your agency may not count TIPS_RECEIVED"),
            other => panic!("{other:?}"),
        }
    }
}
