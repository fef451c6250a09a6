//! Shared schema pieces: scalars, the agency directory, `me`, and Relay connection types.

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, TypeRef};
use async_graphql::{Name, Value};

use super::context::RequestCtx;
use super::flat::{Check, FlatValue, write_checked, write_text};
use super::model::{EnumValueDef, Guarded, ObjectDef, Root, TypeDef, fail, resolve_async};
use crate::domain::Agency;
use crate::error::ApiError;
use crate::policy::RowFacts;
use crate::store::page::{Edge, Page};

/// `DateTime` scalar name.
pub(crate) const DATE_TIME: &str = "DateTime";
/// `Date` scalar name.
pub(crate) const DATE: &str = "Date";
/// `AgencyCode` enum name.
pub(crate) const AGENCY_CODE: &str = "AgencyCode";

/// An enum value from stored text.
pub(crate) fn enum_value(s: &str) -> EnumText {
    EnumText(s.to_owned())
}

/// An optional enum value from stored text.
pub(crate) fn opt_enum(s: &Option<String>) -> Option<EnumText> {
    s.as_deref().map(enum_value)
}

/// An enum value by name (see [`enum_value`]).
#[derive(Clone)]
pub(crate) struct EnumText(String);

impl From<EnumText> for Value {
    fn from(e: EnumText) -> Value {
        Value::Enum(Name::new(e.0))
    }
}

impl FlatValue for EnumText {
    /// Written as its name, without building a `Value`, where the type is an enum (or a
    /// built-in scalar, which async-graphql does not check).
    fn write_flat(self, check: &Check, out: &mut Vec<u8>) -> bool {
        match check.bare() {
            Check::Enum(_) | Check::Any => write_text(&self.0, check, out),
            _ => write_checked(&self.into(), check, out),
        }
    }
}

/// A timestamp as RFC 3339 with microseconds and `Z`.
pub(crate) fn datetime(d: &chrono::DateTime<chrono::Utc>) -> Instant {
    Instant(*d)
}

/// A `DateTime` value: RFC 3339 with microseconds and `Z` (see [`datetime`]).
#[derive(Clone, Copy)]
pub(crate) struct Instant(chrono::DateTime<chrono::Utc>);

impl Instant {
    /// The text as [`chrono::DateTime::to_rfc3339_opts`] writes it, with microseconds and `Z`,
    /// written without an allocation; `None` for a year outside 0–9999 or a leap second, which
    /// chrono writes differently.
    fn text(&self) -> Option<[u8; 27]> {
        use chrono::{Datelike, Timelike};
        let d = self.0;
        let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
        let nanos = d.nanosecond();
        if nanos >= 1_000_000_000 {
            return None;
        }
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        let mut digits = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                text[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        digits(0, 4, year);
        digits(5, 2, d.month());
        digits(8, 2, d.day());
        digits(11, 2, d.hour());
        digits(14, 2, d.minute());
        digits(17, 2, d.second());
        digits(20, 6, nanos / 1000);
        Some(text)
    }
}

impl From<Instant> for Value {
    fn from(d: Instant) -> Value {
        Value::from(d.0.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    }
}

impl FlatValue for Instant {
    /// Written without building the text twice or parsing it back: text of this shape is a
    /// valid `DateTime` (a property test checks it against the scalar's validator).
    fn write_flat(self, check: &Check, out: &mut Vec<u8>) -> bool {
        match (check.bare(), self.text()) {
            (Check::Scalar(DATE_TIME, _), Some(text)) => {
                out.push(b'"');
                out.extend_from_slice(&text);
                out.push(b'"');
                true
            }
            _ => write_checked(&self.into(), check, out),
        }
    }
}

/// An `ID` value from a UUID, hyphenated in lower case.
#[derive(Clone, Copy)]
pub(crate) struct Id(pub(crate) uuid::Uuid);

impl From<Id> for Value {
    fn from(id: Id) -> Value {
        Value::from(id.0.to_string())
    }
}

impl FlatValue for Id {
    /// Written without an allocation where the type is `ID` (not checked by async-graphql).
    fn write_flat(self, check: &Check, out: &mut Vec<u8>) -> bool {
        match check.bare() {
            Check::Any => {
                let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
                out.push(b'"');
                out.extend_from_slice(self.0.hyphenated().encode_lower(&mut text).as_bytes());
                out.push(b'"');
                true
            }
            _ => write_checked(&self.into(), check, out),
        }
    }
}

/// A list of strings from a JSON array column.
pub(crate) fn string_list(text: &str) -> Value {
    Value::List(
        crate::store::parse_list(text)
            .into_iter()
            .map(Value::from)
            .collect(),
    )
}

/// A list of enum values from a JSON array column.
pub(crate) fn enum_list(text: &str) -> Value {
    Value::List(
        crate::store::parse_list(text)
            .iter()
            .map(|s| enum_value(s).into())
            .collect(),
    )
}

/// An agency code as its GraphQL enum value (`border_guard` → `BORDER_GUARD`).
pub(crate) fn agency_value(code: &str) -> EnumText {
    EnumText(code.to_ascii_uppercase())
}

/// Parses an `AgencyCode` enum value.
pub(crate) fn parse_agency(name: &str) -> Option<Agency> {
    name.to_ascii_lowercase().parse().ok()
}

fn valid_datetime(v: &Value) -> bool {
    matches!(v, Value::String(s) if super::input::parse_datetime(s).is_some())
}

fn valid_date(v: &Value) -> bool {
    matches!(v, Value::String(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
}

/// Row values of the agency directory.
pub(crate) struct AgencyRow {
    agency: Agency,
    name: &'static str,
    name_vi: &'static str,
}

impl Guarded for AgencyRow {
    fn facts(&self) -> &RowFacts {
        static ALL: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
        &ALL
    }
}

/// The directory row of an agency by its GraphQL code (`POLICE`) or token code (`police`).
pub(crate) fn agency_row(code: &str) -> Option<AgencyRow> {
    let agency = parse_agency(code)?;
    migration::seed::AGENCIES
        .iter()
        .find(|(c, _, _)| *c == agency.code())
        .map(|(_, name, name_vi)| AgencyRow {
            agency,
            name,
            name_vi,
        })
}

/// A province of the directory.
pub(crate) struct ProvinceRow {
    code: &'static str,
    name: &'static str,
    border: bool,
}

impl Guarded for ProvinceRow {
    fn facts(&self) -> &RowFacts {
        static ALL: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
        &ALL
    }
}

/// The caller as the server sees it.
pub(crate) struct MeRow(Arc<crate::auth::Principal>);

impl Guarded for MeRow {
    fn facts(&self) -> &RowFacts {
        static ALL: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
        &ALL
    }
}

/// Structural parents (connections, edges, page info) carry no facts of their own.
macro_rules! structural {
    ($($t:ty),*) => {$(
        impl<T: Send + Sync + 'static> Guarded for $t {
            fn facts(&self) -> &RowFacts {
                static NONE: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
                &NONE
            }
        }
    )*};
}
structural!(Page<T>, Edge<T>);

/// `PageInfo` values.
pub(crate) struct PageInfo {
    has_next: bool,
    end_cursor: Option<String>,
}

impl Guarded for PageInfo {
    fn facts(&self) -> &RowFacts {
        static NONE: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
        &NONE
    }
}

/// The connection and edge types of nodes of type `node` (parent values `T`).
pub(crate) fn connection<T: Guarded>(
    connection: &'static str,
    edge: &'static str,
    node: &'static str,
) -> Vec<TypeDef> {
    vec![
        ObjectDef::<Page<T>>::new(connection, "A page of results (Relay connection).")
            .field(
                "edges",
                TypeRef::named_nn_list_nn(edge),
                "The rows with their cursors.",
                vec![],
                |page, _ctx| value_list(page.edges.iter().map(|e| FieldValue::borrowed_any(e))),
            )
            .field(
                "nodes",
                TypeRef::named_nn_list_nn(node),
                "The rows.",
                vec![],
                move |page, ctx| {
                    if super::flat::nodes(&ctx, node, page.edges.iter().map(|e| &e.node)) {
                        return value_list(std::iter::empty());
                    }
                    value_list(page.edges.iter().map(|e| FieldValue::borrowed_any(&e.node)))
                },
            )
            .field(
                "pageInfo",
                TypeRef::named_nn("PageInfo"),
                "Where this page ends.",
                vec![],
                |page, _ctx| {
                    async_graphql::dynamic::FieldFuture::Value(Some(FieldValue::owned_any(
                        PageInfo {
                            has_next: page.has_next,
                            end_cursor: page.edges.last().map(|e| e.cursor.encode()),
                        },
                    )))
                },
            )
            .field(
                "totalCount",
                TypeRef::named(TypeRef::INT),
                "All rows matching the filter in your scope (counted only when asked).",
                vec![],
                |page, ctx| {
                    let count = page.count.clone();
                    resolve_async(ctx, |_ctx| async move {
                        match count {
                            Some(count) => {
                                let n = count().await?;
                                Ok(Some(FieldValue::value(
                                    i64::try_from(n).unwrap_or(i64::MAX),
                                )))
                            }
                            None => Ok(None),
                        }
                    })
                },
            )
            .build(),
        ObjectDef::<Edge<T>>::new(edge, "A row and its cursor.")
            .value(
                "cursor",
                TypeRef::named_nn(TypeRef::STRING),
                "Pass as `after` to continue.",
                |e| e.cursor.encode(),
            )
            .field(
                "node",
                TypeRef::named_nn(node),
                "The row.",
                vec![],
                |e, _ctx| {
                    async_graphql::dynamic::FieldFuture::Value(Some(FieldValue::borrowed_any(
                        &e.node,
                    )))
                },
            )
            .build(),
    ]
}

fn value_list<'a>(
    items: impl Iterator<Item = FieldValue<'a>>,
) -> async_graphql::dynamic::FieldFuture<'a> {
    async_graphql::dynamic::FieldFuture::Value(Some(FieldValue::list(items)))
}

/// Scalars, enums and directory types every schema has.
pub(crate) fn types() -> Vec<TypeDef> {
    let mut types = vec![
        TypeDef::Scalar {
            name: DATE_TIME,
            description: "An instant, RFC 3339 (e.g. `2026-07-01T08:00:00Z`).",
            validator: valid_datetime,
        },
        TypeDef::Scalar {
            name: DATE,
            description: "A calendar date, `YYYY-MM-DD`.",
            validator: valid_date,
        },
        TypeDef::Enum {
            name: AGENCY_CODE,
            description: "The agencies of the exchange (DESIGN §1).",
            governed: false,
            values: Agency::ALL
                .iter()
                .map(|a| EnumValueDef {
                    name: a.graphql_name(),
                    description: String::new(),
                    rule: None,
                })
                .collect(),
        },
        ObjectDef::<AgencyRow>::new("Agency", "An agency of the exchange.")
            .key("code")
            .value(
                "code",
                TypeRef::named_nn(AGENCY_CODE),
                "Agency code.",
                |a| agency_value(a.agency.code()),
            )
            .value(
                "name",
                TypeRef::named(TypeRef::STRING),
                "English name.",
                |a| a.name,
            )
            .value(
                "nameVi",
                TypeRef::named(TypeRef::STRING),
                "Vietnamese name.",
                |a| a.name_vi,
            )
            .build(),
        ObjectDef::<ProvinceRow>::new("Province", "A province by administrative code.")
            .value(
                "code",
                TypeRef::named_nn(TypeRef::STRING),
                "Two-digit code.",
                |p| p.code,
            )
            .value("name", TypeRef::named(TypeRef::STRING), "Name.", |p| p.name)
            .value(
                "border",
                TypeRef::named(TypeRef::BOOLEAN),
                "On a land border.",
                |p| p.border,
            )
            .build(),
        ObjectDef::<MeRow>::new("Me", "The caller, as authenticated.")
            .value(
                "agency",
                TypeRef::named_nn(AGENCY_CODE),
                "Your agency.",
                |m| agency_value(m.0.agency.code()),
            )
            .value(
                "subject",
                TypeRef::named_nn(TypeRef::STRING),
                "Your token subject.",
                |m| m.0.subject.clone(),
            )
            .value(
                "unit",
                TypeRef::named(TypeRef::STRING),
                "Your unit, if any.",
                |m| m.0.unit.clone(),
            )
            .value(
                "jurisdiction",
                TypeRef::named_nn_list(TypeRef::STRING),
                "Province codes you are limited to (absent: national).",
                |m| {
                    m.0.jurisdiction
                        .as_ref()
                        .map(|j| Value::List(j.iter().map(|s| Value::from(s.as_str())).collect()))
                        .unwrap_or(Value::Null)
                },
            )
            .value(
                "readOnly",
                TypeRef::named_nn(TypeRef::BOOLEAN),
                "Whether the token is read-only (`ctex:read`).",
                |m| m.0.read_only(),
            )
            .value(
                "purpose",
                TypeRef::named(TypeRef::STRING),
                "The access purpose of this request.",
                |m| m.0.purpose.clone(),
            )
            .build(),
        ObjectDef::<PageInfo>::new("PageInfo", "Pagination state.")
            .value(
                "hasNextPage",
                TypeRef::named_nn(TypeRef::BOOLEAN),
                "Whether more rows follow.",
                |p| p.has_next,
            )
            .value(
                "endCursor",
                TypeRef::named(TypeRef::STRING),
                "Cursor of the last row.",
                |p| p.end_cursor.clone(),
            )
            .build(),
    ];
    types.extend(query_fields());
    types
}

/// The directory and `me` fields of `Query` (merged into the root by `super::build`).
fn query_fields() -> Vec<TypeDef> {
    vec![
        ObjectDef::<Root>::new("Query", "")
            .field(
                "me",
                TypeRef::named_nn("Me"),
                "Who you are, as the server sees your token.",
                vec![],
                |_, ctx| match RequestCtx::of(&ctx) {
                    Some(req) => async_graphql::dynamic::FieldFuture::Value(Some(
                        FieldValue::owned_any(MeRow(req.principal.clone())),
                    )),
                    None => fail(&ctx, ApiError::Unauthenticated),
                },
            )
            .field(
                "agencies",
                TypeRef::named_nn_list("Agency"),
                "The agencies of the exchange.",
                vec![],
                |_, _ctx| {
                    let rows =
                        migration::seed::AGENCIES
                            .iter()
                            .filter_map(|(code, name, name_vi)| {
                                code.parse::<Agency>().ok().map(|agency| AgencyRow {
                                    agency,
                                    name,
                                    name_vi,
                                })
                            });
                    value_list(
                        rows.map(FieldValue::owned_any)
                            .collect::<Vec<_>>()
                            .into_iter(),
                    )
                },
            )
            .field(
                "provinces",
                TypeRef::named_nn_list("Province"),
                "Provinces by administrative code.",
                vec![],
                |_, _ctx| {
                    let rows = migration::seed::PROVINCES
                        .iter()
                        .map(|(code, name, border)| ProvinceRow {
                            code,
                            name,
                            border: *border,
                        });
                    value_list(
                        rows.map(FieldValue::owned_any)
                            .collect::<Vec<_>>()
                            .into_iter(),
                    )
                },
            )
            .build(),
    ]
}
