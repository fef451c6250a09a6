//! Reading arguments and input objects into typed values, with `BAD_USER_INPUT` errors that name
//! the offending field, and the policy check of every input field provided.
//!
//! The schema already rejects wrong types and unknown enum values; this module adds the rules a
//! type cannot express (lengths, ranges, codes, UUIDs). Strings are kept verbatim (no trimming
//! of content, no escaping): they are bound as SQL parameters, never interpolated.

use std::str::FromStr;

use async_graphql::dynamic::{ObjectAccessor, ResolverContext, TypeRef, ValueAccessor};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::context::RequestCtx;
use super::model::{ArgDef, arg, arg_default};
use crate::domain::DomainEnum;
use crate::error::{ApiError, ApiResult};
use crate::policy::{self, RowFacts, Rule};
use crate::store::page::{Cursor, page_size};

/// The longest free-text field accepted (summaries, narratives), in characters.
pub(crate) const MAX_TEXT: usize = 20_000;
/// The longest short string (names, numbers, titles), in characters.
pub(crate) const MAX_SHORT: usize = 500;
/// The most items in a list argument.
pub(crate) const MAX_ITEMS: usize = 100;

/// An input object being read, with its path for error messages (`input`, `filter`).
pub(crate) struct Input<'a> {
    obj: Option<ObjectAccessor<'a>>,
    path: &'static str,
}

impl<'a> Input<'a> {
    /// Wraps an input object argument; `None` reads as an empty object.
    pub(crate) fn new(obj: Option<ObjectAccessor<'a>>, path: &'static str) -> Input<'a> {
        Input { obj, path }
    }

    /// Wraps the input object argument `name` (`input`, `filter`) of a field; absent or null, it
    /// reads as an empty object.
    pub(crate) fn arg(ctx: &'a ResolverContext<'_>, name: &'static str) -> Input<'a> {
        Input::new(ctx.args.get(name).and_then(|v| v.object().ok()), name)
    }

    fn field(&self, name: &str) -> String {
        format!("{}.{}", self.path, name)
    }

    fn get(&self, name: &str) -> Option<ValueAccessor<'_>> {
        self.obj
            .as_ref()
            .and_then(|o| o.get(name))
            .filter(|v| !v.is_null())
    }

    /// The names of the fields given a non-null value.
    pub(crate) fn provided(&self) -> Vec<String> {
        match &self.obj {
            Some(o) => o
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k.as_str().to_string())
                .collect(),
            None => Vec::new(),
        }
    }

    /// Checks every provided field of input type `ty` against the policy for a row with
    /// `facts` (write rules for mutation inputs, filter rules for filters). Refusals are
    /// `FORBIDDEN` naming the field.
    pub(crate) fn authorize(
        &self,
        req: &RequestCtx,
        ty: &'static str,
        facts: &RowFacts,
    ) -> ApiResult<()> {
        for name in self.provided() {
            let allowed = match policy::rule(ty, &name) {
                None => false,
                Some(rule @ (Rule::Filter(..) | Rule::Structural)) => {
                    policy::check_static(&req.principal, rule, ty).is_ok()
                }
                Some(rule) => policy::check(&req.principal, rule, ty, &name, facts).is_ok(),
            };
            if !allowed {
                req.audit.denied(ty, "input", None);
                return Err(ApiError::forbidden(format!(
                    "your agency may not set or filter on {}",
                    self.field(&name)
                )));
            }
        }
        Ok(())
    }

    /// An optional string of at most `max` characters.
    pub(crate) fn string(&self, name: &str, max: usize) -> ApiResult<Option<String>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let s = v
            .string()
            .map_err(|_| ApiError::bad_input(self.field(name), "must be a string"))?;
        check_len(s, max, || self.field(name))?;
        Ok(Some(s.to_string()))
    }

    /// A required, non-blank string of at most `max` characters.
    pub(crate) fn required_string(&self, name: &str, max: usize) -> ApiResult<String> {
        match self.string(name, max)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ApiError::bad_input(
                self.field(name),
                "is required and may not be blank",
            )),
        }
    }

    /// An optional list of strings.
    pub(crate) fn strings(&self, name: &str, max: usize) -> ApiResult<Vec<String>> {
        let Some(v) = self.get(name) else {
            return Ok(Vec::new());
        };
        let list = v
            .list()
            .map_err(|_| ApiError::bad_input(self.field(name), "must be a list"))?;
        if list.len() > MAX_ITEMS {
            return Err(ApiError::bad_input(
                self.field(name),
                format!("at most {MAX_ITEMS} items"),
            ));
        }
        list.iter()
            .map(|item| {
                let s = item
                    .string()
                    .map_err(|_| ApiError::bad_input(self.field(name), "must be strings"))?;
                check_len(s, max, || self.field(name))?;
                Ok(s.to_string())
            })
            .collect()
    }

    /// An optional enum value.
    pub(crate) fn enumeration<E: DomainEnum>(&self, name: &str) -> ApiResult<Option<E>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        parse_enum::<E>(&v)
            .map(Some)
            .map_err(|_| self.unknown_enum::<E>(name))
    }

    /// A required enum value.
    pub(crate) fn required_enum<E: DomainEnum>(&self, name: &str) -> ApiResult<E> {
        self.enumeration::<E>(name)?
            .ok_or_else(|| ApiError::bad_input(self.field(name), "is required"))
    }

    /// A list of enum values, deduplicated in order.
    pub(crate) fn enumerations<E: DomainEnum + PartialEq>(&self, name: &str) -> ApiResult<Vec<E>> {
        let Some(v) = self.get(name) else {
            return Ok(Vec::new());
        };
        let list = v
            .list()
            .map_err(|_| ApiError::bad_input(self.field(name), "must be a list"))?;
        let mut out: Vec<E> = Vec::new();
        for item in list.iter() {
            let e = parse_enum::<E>(&item).map_err(|_| self.unknown_enum::<E>(name))?;
            if !out.contains(&e) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The name of an enum value of a type without a Rust enum here.
    pub(crate) fn enum_name(&self, name: &str) -> ApiResult<Option<String>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        v.enum_name()
            .or_else(|_| v.string())
            .map(|s| Some(s.to_string()))
            .map_err(|_| ApiError::bad_input(self.field(name), "must be an enum value"))
    }

    /// The names of a list of enum values of a type without a Rust enum (e.g. `AgencyCode`).
    pub(crate) fn enum_names(&self, name: &str) -> ApiResult<Vec<String>> {
        let Some(v) = self.get(name) else {
            return Ok(Vec::new());
        };
        let list = v
            .list()
            .map_err(|_| ApiError::bad_input(self.field(name), "must be a list"))?;
        if list.len() > MAX_ITEMS {
            return Err(ApiError::bad_input(
                self.field(name),
                format!("at most {MAX_ITEMS} items"),
            ));
        }
        list.iter()
            .map(|item| {
                item.enum_name()
                    .or_else(|_| item.string())
                    .map(str::to_string)
                    .map_err(|_| ApiError::bad_input(self.field(name), "must be enum values"))
            })
            .collect()
    }

    fn unknown_enum<E: DomainEnum>(&self, name: &str) -> ApiError {
        let allowed: Vec<String> = E::iter().map(|e| e.as_ref().to_string()).collect();
        ApiError::bad_input(
            self.field(name),
            format!("must be one of {}", allowed.join(", ")),
        )
    }

    /// An optional RFC 3339 timestamp.
    pub(crate) fn datetime(&self, name: &str) -> ApiResult<Option<DateTime<Utc>>> {
        let Some(s) = self.string(name, 64)? else {
            return Ok(None);
        };
        parse_datetime(&s).map(Some).ok_or_else(|| {
            ApiError::bad_input(
                self.field(name),
                "must be an RFC 3339 date-time, e.g. 2026-07-01T08:00:00Z",
            )
        })
    }

    /// An optional `YYYY-MM-DD` date.
    pub(crate) fn date(&self, name: &str) -> ApiResult<Option<NaiveDate>> {
        let Some(s) = self.string(name, 32)? else {
            return Ok(None);
        };
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .ok()
            .filter(|d| *d >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default())
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_input(self.field(name), "must be a date YYYY-MM-DD after 1900")
            })
    }

    /// An optional boolean.
    pub(crate) fn boolean(&self, name: &str) -> ApiResult<Option<bool>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        v.boolean()
            .map(Some)
            .map_err(|_| ApiError::bad_input(self.field(name), "must be a boolean"))
    }

    /// An optional integer within `range`.
    pub(crate) fn int(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> ApiResult<Option<i32>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let n = v
            .i64()
            .map_err(|_| ApiError::bad_input(self.field(name), "must be an integer"))?;
        if !range.contains(&n) {
            return Err(ApiError::bad_input(
                self.field(name),
                format!("must be between {} and {}", range.start(), range.end()),
            ));
        }
        i32::try_from(n)
            .map(Some)
            .map_err(|_| ApiError::bad_input(self.field(name), "out of range"))
    }

    /// An optional row version (a positive `Int`), such as `caseVersion`.
    pub(crate) fn version(&self, name: &str) -> ApiResult<Option<i32>> {
        self.int(name, 1..=i64::from(i32::MAX))
    }

    /// The required `version` the caller read (stale → `CONFLICT` when written).
    pub(crate) fn required_version(&self) -> ApiResult<i32> {
        self.version("version")?
            .ok_or_else(|| ApiError::bad_input(self.field("version"), "is required"))
    }

    /// An optional id.
    pub(crate) fn id(&self, name: &str) -> ApiResult<Option<Uuid>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let s = v
            .string()
            .map_err(|_| ApiError::bad_input(self.field(name), "must be an ID"))?;
        parse_id(s)
            .map(Some)
            .ok_or_else(|| ApiError::bad_input(self.field(name), "is not a valid ID"))
    }

    /// A required id.
    pub(crate) fn required_id(&self, name: &str) -> ApiResult<Uuid> {
        self.id(name)?
            .ok_or_else(|| ApiError::bad_input(self.field(name), "is required"))
    }

    /// A nested input object.
    pub(crate) fn object(&self, name: &'static str) -> ApiResult<Option<Input<'_>>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let obj = v
            .object()
            .map_err(|_| ApiError::bad_input(self.field(name), "must be an object"))?;
        Ok(Some(Input {
            obj: Some(obj),
            path: name,
        }))
    }
}

fn parse_enum<E: DomainEnum>(v: &ValueAccessor<'_>) -> Result<E, ()> {
    let name = v.enum_name().or_else(|_| v.string()).map_err(|_| ())?;
    E::from_str(name).map_err(|_| ())
}

fn check_len(s: &str, max: usize, field: impl Fn() -> String) -> ApiResult<()> {
    if s.len() > max * 4 || s.chars().count() > max {
        return Err(ApiError::bad_input(
            field(),
            format!("is longer than {max} characters"),
        ));
    }
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ApiError::bad_input(field(), "contains control characters"));
    }
    Ok(())
}

/// Parses an RFC 3339 timestamp, truncated to microseconds.
pub(crate) fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    use chrono::SubsecRound;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc).trunc_subsecs(6))
}

/// Parses an id (a UUID).
pub(crate) fn parse_id(s: &str) -> Option<Uuid> {
    if s.len() > 64 {
        return None;
    }
    Uuid::from_str(s).ok()
}

/// A connection field's arguments: `args`, then `first` and `after` (read by [`page_args`]).
pub(crate) fn with_page_args(mut args: Vec<ArgDef>) -> Vec<ArgDef> {
    args.push(arg_default(
        "first",
        TypeRef::named_nn(TypeRef::INT),
        "Page size (1-100).",
        20,
    ));
    args.push(arg(
        "after",
        TypeRef::named(TypeRef::STRING),
        "Continue after this cursor.",
    ));
    args
}

/// Reads the `first` and `after` arguments of a connection sorted by `sort`.
pub(crate) fn page_args(ctx: &ResolverContext<'_>, sort: &str) -> ApiResult<(u64, Option<Cursor>)> {
    let first = page_size(ctx.args.get("first").and_then(|v| v.i64().ok()))?;
    let after = match ctx.args.get("after").and_then(|v| v.string().ok()) {
        Some(s) => Some(Cursor::decode(s, sort, "after")?),
        None => None,
    };
    Ok((first, after))
}

/// Reads a top-level `ID!` argument.
pub(crate) fn id_arg(ctx: &ResolverContext<'_>, name: &str) -> ApiResult<Uuid> {
    let s = ctx
        .args
        .get(name)
        .and_then(|v| v.string().ok())
        .ok_or_else(|| ApiError::bad_input(name, "is required"))?;
    parse_id(s).ok_or_else(|| ApiError::bad_input(name, "is not a valid ID"))
}

/// Reads an optional top-level `DateTime` argument.
pub(crate) fn datetime_arg(
    ctx: &ResolverContext<'_>,
    name: &str,
) -> ApiResult<Option<DateTime<Utc>>> {
    match ctx.args.get(name).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => v
            .string()
            .ok()
            .and_then(parse_datetime)
            .map(Some)
            .ok_or_else(|| ApiError::bad_input(name, "must be an RFC 3339 date-time")),
    }
}
