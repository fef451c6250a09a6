//! Flat pages: a connection's `nodes` built as one value instead of field by field.
//!
//! async-graphql resolves every field of every row on its own: a boxed future, a path node, a
//! lookup of the field and of its type by name, the guard, a copy of the value and a map insert.
//! For a page of 50 rows with 7 plain fields that is most of the request's CPU (BENCHMARKS.md,
//! run `s17`). When the selection under `nodes` is only plain value fields (those declared with
//! [`super::model::ObjectDef::value`]) and `__typename`, written directly (no fragments, no
//! directives), [`nodes`] builds the whole list itself, with the same policy rule, the same
//! check against each row's facts and the same computation of each value as the guarded field
//! resolvers, and checks each value against the field's type as async-graphql would.
//!
//! It takes the page only when nothing would differ from the field-by-field path: when any field
//! is denied on any row, is person-level (a purpose and an audit record per read), has no rule,
//! or yields a value its type rejects, it leaves the page to that path, which answers (and
//! records) exactly as before. The list is handed to async-graphql through [`FlatLists`], an
//! extension of the schema that executes documents selecting `nodes` (see
//! [`super::Schemas::executing`]): the resolver answers an empty list, and the extension puts
//! the built list in its place.
//!
//! The list is built as JSON text, each value written as async-graphql's serialization of that
//! value would write it. A field's result is written by its [`FlatValue`] implementation:
//! text, enum names, ids, timestamps, numbers and booleans straight from the row (no
//! async-graphql `Value` built, checked and dropped; a timestamp not formatted by chrono and
//! parsed back by the scalar's validator), anything else through a `Value`. Property tests
//! hold each implementation to what its `Value` would give.
//!
//! When the HTTP endpoint writes the response ([`RawPages`], [`write_batch`]) the text is
//! copied into it as it is, so the rows never become a tree of async-graphql values (a map per
//! row, each key hashed) that is walked again to serialize it and then dropped. Any other caller
//! (the WebSocket endpoint, the demo seed) gets the list parsed into values.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dynamic::{ResolverContext, TypeRef};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::Selection;
use async_graphql::{BatchResponse, Response, ServerResult, Value};

use super::context::RequestCtx;
use super::model::{FlatFn, Guarded, TypeDef};
use crate::policy::{self, Rule};

/// One value field of an object type.
struct FlatField {
    name: &'static str,
    rule: Option<Rule>,
    check: Check,
    value: FlatFn,
}

/// What async-graphql checks of a field's value, resolved from its type when the schema is
/// built (so that checking a value looks nothing up by name).
pub(crate) enum Check {
    /// A built-in scalar: async-graphql does not check its values.
    Any,
    /// One of these enum values (sorted), as enum or string.
    Enum(Vec<String>),
    /// A custom scalar (by name) and its validator.
    Scalar(&'static str, fn(&Value) -> bool),
    /// An object type: not a value field.
    Never,
    /// Not null, then the inner check.
    NonNull(Box<Check>),
    /// A list, each item checked.
    List(Box<Check>),
}

impl Check {
    fn of(ty: &TypeRef, named: &Named) -> Check {
        match ty {
            TypeRef::NonNull(inner) => Check::NonNull(Box::new(Check::of(inner, named))),
            TypeRef::List(inner) => Check::List(Box::new(Check::of(inner, named))),
            TypeRef::Named(name) => {
                let name: &str = name;
                if let Some(values) = named.enums.get(name) {
                    Check::Enum(values.clone())
                } else if let Some((name, valid)) = named.scalars.get_key_value(name) {
                    Check::Scalar(name, *valid)
                } else if matches!(name, "String" | "Int" | "Float" | "Boolean" | "ID") {
                    Check::Any
                } else {
                    Check::Never
                }
            }
        }
    }

    /// Whether async-graphql would accept `v` (a field's top-level value). Stricter than
    /// async-graphql where that is simpler: any `null` inside a list is refused here, so that
    /// page takes the field-by-field path.
    fn accepts(&self, v: &Value) -> bool {
        match (self, v) {
            (Check::NonNull(_), Value::Null) => false,
            (Check::NonNull(inner), v) => inner.accepts(v),
            (_, Value::Null) => true,
            (Check::List(inner), Value::List(items)) => items
                .iter()
                .all(|i| !matches!(i, Value::Null) && inner.accepts(i)),
            (Check::List(_), _) => false,
            (Check::Any, _) => true,
            (Check::Enum(values), Value::Enum(e)) => values
                .binary_search_by(|v| v.as_str().cmp(e.as_str()))
                .is_ok(),
            (Check::Enum(values), Value::String(s)) => values
                .binary_search_by(|v| v.as_str().cmp(s.as_str()))
                .is_ok(),
            (Check::Enum(_), _) => false,
            (Check::Scalar(_, valid), v) => valid(v),
            (Check::Never, _) => false,
        }
    }

    /// The check of the type without its not-null wrapper.
    pub(crate) fn bare(&self) -> &Check {
        match self {
            Check::NonNull(inner) => inner,
            other => other,
        }
    }
}

/// A value field's result as its value function computes it ([`super::model::ObjectDef::value`]):
/// converted into a [`Value`] for the field-by-field path, or written straight into a flat
/// page's JSON text.
pub(crate) trait FlatValue: Into<Value> {
    /// Appends the value as JSON, as async-graphql's serialization of `self.into()` writes it,
    /// when `check` accepts `self.into()`; `false` when it does not (the page then takes the
    /// field-by-field path). The default converts into a [`Value`] first; the implementations
    /// below write common values without building one.
    fn write_flat(self, check: &Check, out: &mut Vec<u8>) -> bool {
        write_checked(&self.into(), check, out)
    }
}

/// Appends `value` as JSON when `check` accepts it.
pub(crate) fn write_checked(value: &Value, check: &Check, out: &mut Vec<u8>) -> bool {
    check.accepts(value) && write_json(out, value)
}

/// Appends text (a `String` value, or an enum value's name) when `check` accepts it.
pub(crate) fn write_text(s: &str, check: &Check, out: &mut Vec<u8>) -> bool {
    match check.bare() {
        Check::Any => {
            write_str(out, s);
            true
        }
        Check::Enum(values) => {
            let known = values.binary_search_by(|v| v.as_str().cmp(s)).is_ok();
            if known {
                write_str(out, s);
            }
            known
        }
        _ => write_checked(&Value::from(s), check, out),
    }
}

/// Appends `s` as a JSON string, as serde_json writes it (the same escapes). Runs of bytes
/// that need no escape (all but control characters, `"` and `\`) are found 16 bytes at a
/// time, with a test the compiler vectorizes, and copied whole, instead of serde_json's table
/// lookup per byte.
fn write_str(out: &mut Vec<u8>, s: &str) {
    const CHUNK: usize = 16;
    let plain = |b: u8| (b >= 0x20) & (b != b'"') & (b != b'\\');
    let mut rest = s.as_bytes();
    out.reserve(rest.len() + 2);
    out.push(b'"');
    while !rest.is_empty() {
        let mut n = 0;
        while let Some(chunk) = rest.get(n..).and_then(<[u8]>::first_chunk::<CHUNK>)
            && chunk.iter().fold(true, |all, b| all & plain(*b))
        {
            n += CHUNK;
        }
        while rest.get(n).is_some_and(|b| plain(*b)) {
            n += 1;
        }
        out.extend_from_slice(&rest[..n]);
        if let Some(&b) = rest.get(n) {
            escape(out, b);
            n += 1;
        }
        rest = &rest[n..];
    }
    out.push(b'"');
}

/// Appends the escape of `b` (a control character, `"` or `\`) as serde_json writes it.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short: &[u8] = match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        0x08 => b"\\b",
        0x0c => b"\\f",
        _ => {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
            return;
        }
    };
    out.extend_from_slice(short);
}

impl FlatValue for Value {}

/// Through a [`Value`]: async-graphql writes a non-finite float as `null`.
impl FlatValue for f64 {}

impl FlatValue for String {
    fn write_flat(self, check: &Check, out: &mut Vec<u8>) -> bool {
        write_text(&self, check, out)
    }
}

impl FlatValue for &str {
    fn write_flat(self, check: &Check, out: &mut Vec<u8>) -> bool {
        write_text(self, check, out)
    }
}

impl<T: FlatValue> FlatValue for Option<T> {
    fn write_flat(self, check: &Check, out: &mut Vec<u8>) -> bool {
        match self {
            Some(v) => v.write_flat(check, out),
            None if matches!(check, Check::NonNull(_)) => false,
            None => {
                out.extend_from_slice(b"null");
                true
            }
        }
    }
}

/// Numbers and booleans: written as they are where async-graphql does not check them.
macro_rules! flat_plain {
    ($($t:ty),*) => {$(
        impl FlatValue for $t {
            fn write_flat(self, check: &Check, out: &mut Vec<u8>) -> bool {
                match check.bare() {
                    Check::Any => write_json(out, &self),
                    _ => write_checked(&self.into(), check, out),
                }
            }
        }
    )*};
}
flat_plain!(i32, i64, bool);

/// The enums (values sorted) and custom scalars of a schema, by name.
struct Named {
    enums: HashMap<&'static str, Vec<String>>,
    scalars: HashMap<&'static str, fn(&Value) -> bool>,
}

impl Named {
    fn of(types: &[TypeDef]) -> Named {
        let mut named = Named {
            enums: HashMap::new(),
            scalars: HashMap::new(),
        };
        for t in types {
            match t {
                TypeDef::Enum { name, values, .. } => {
                    let mut values: Vec<String> = values.iter().map(|v| v.name.clone()).collect();
                    values.sort_unstable();
                    named.enums.insert(*name, values);
                }
                TypeDef::Scalar {
                    name, validator, ..
                } => {
                    named.scalars.insert(*name, *validator);
                }
                _ => {}
            }
        }
        named
    }
}

/// The value fields of the schema's object types, by type and then by field. Schema data of
/// the schema with [`FlatLists`].
pub(crate) struct FlatFields {
    fields: HashMap<&'static str, HashMap<&'static str, FlatField>>,
}

impl FlatFields {
    /// Collects the value fields of `types`, with their types' checks.
    pub(crate) fn of(types: &[TypeDef]) -> FlatFields {
        let named = Named::of(types);
        let mut fields: HashMap<&'static str, HashMap<&'static str, FlatField>> = HashMap::new();
        for t in types {
            if let TypeDef::Object {
                name, fields: defs, ..
            } = t
            {
                for f in defs {
                    if let Some(value) = &f.flat {
                        fields.entry(*name).or_default().insert(
                            f.name,
                            FlatField {
                                name: f.name,
                                rule: f.rule,
                                check: Check::of(&f.ty, &named),
                                value: value.clone(),
                            },
                        );
                    }
                }
            }
        }
        FlatFields { fields }
    }
}

/// The selection of one flat page: the response key as JSON with its colon (`"key":`), and the
/// field (`None`: `__typename`). A repeated response key is selected once, at its first place,
/// as async-graphql merges it (validation has made sure both ask for the same field).
type Selected<'f> = Vec<(String, Option<(&'f FlatField, Rule)>)>;

/// Appends `value` to `json` as async-graphql's serialization writes it; `false` if serde_json
/// refuses it (a value of a field's type never is refused).
fn write_json(json: &mut Vec<u8>, value: &(impl serde::Serialize + ?Sized)) -> bool {
    serde_json::to_writer(json, value).is_ok()
}

/// Builds the `nodes` list of a connection page whose node type is `ty` and hands it to
/// [`FlatLists`]; `false` when the page must take the field-by-field path (see the module
/// docs), which the caller then answers.
pub(crate) fn nodes<'r, T: Guarded>(
    ctx: &ResolverContext<'_>,
    ty: &'static str,
    rows: impl ExactSizeIterator<Item = &'r T>,
) -> bool {
    let Some(flat) = ctx.ctx.data_opt::<Arc<FlatFields>>() else {
        return false;
    };
    let Some(req) = RequestCtx::of(ctx.ctx) else {
        return false;
    };
    let Some(path) = ctx.ctx.path_node.as_ref() else {
        return false;
    };
    let Some(selected) = selection(ctx, flat, ty) else {
        return false;
    };
    // The list as JSON text, each value written as async-graphql would serialize it, after the
    // tag that marks it as such.
    // Sized for the keys and about 48 bytes per value, so that a page rarely regrows it.
    let per_row: usize = selected.iter().map(|(key, _)| key.len() + 48).sum();
    let mut json = Vec::with_capacity(RAW_TAG.len() + 2 + rows.len() * (per_row + 2));
    json.extend_from_slice(RAW_TAG);
    json.push(b'[');
    for (i, row) in rows.enumerate() {
        if i > 0 {
            json.push(b',');
        }
        json.push(b'{');
        for (j, (key, field)) in selected.iter().enumerate() {
            if j > 0 {
                json.push(b',');
            }
            json.extend_from_slice(key.as_bytes());
            let written = match field {
                None => {
                    write_str(&mut json, ty);
                    true
                }
                Some((field, rule)) => {
                    if policy::check(&req.principal, *rule, ty, field.name, row.facts()).is_err() {
                        return false;
                    }
                    (field.value)(row as &dyn Any, &field.check, &mut json)
                }
            };
            if !written {
                return false;
            }
        }
        json.push(b'}');
    }
    json.push(b']');
    req.flat_lists.put(path_key(path), json);
    metrics::counter!("ctex_flat_pages_total").increment(1);
    true
}

/// The plain value fields (and `__typename`) selected under the current field, written
/// directly, with their rules; `None` when anything else is selected.
fn selection<'f>(
    ctx: &ResolverContext<'_>,
    flat: &'f FlatFields,
    ty: &'static str,
) -> Option<Selected<'f>> {
    let fields = flat.fields.get(ty)?;
    let items = &ctx.ctx.item.node.selection_set.node.items;
    let mut selected = Vec::with_capacity(items.len());
    for item in items {
        let Selection::Field(field) = &item.node else {
            return None;
        };
        let field = &field.node;
        if !field.directives.is_empty()
            || !field.arguments.is_empty()
            || !field.selection_set.node.items.is_empty()
        {
            return None;
        }
        let Ok(mut key) = serde_json::to_string(field.response_key().node.as_str()) else {
            return None;
        };
        key.push(':');
        if selected.iter().any(|(k, _)| *k == key) {
            continue;
        }
        if field.name.node == "__typename" {
            selected.push((key, None));
            continue;
        }
        let def = fields.get(field.name.node.as_str())?;
        let rule = def.rule?;
        if policy::person_level(rule) {
            return None;
        }
        selected.push((key, Some((def, rule))));
    }
    Some(selected)
}

/// Identifies a field's resolution within its request: the address of its path node, which
/// both the resolver and the extension see and which lives until that field is resolved.
fn path_key(node: &async_graphql::QueryPathNode<'_>) -> usize {
    std::ptr::from_ref(node) as usize
}

/// The lists built for this request's flat pages, as tagged JSON text, waiting for
/// [`FlatLists`].
#[derive(Default)]
pub(crate) struct Pending(std::sync::Mutex<Vec<(usize, Vec<u8>)>>);

impl Pending {
    /// Keeps `list` for the field `key`. A poisoned lock is taken over: the list is always
    /// consistent, and losing it would answer an empty page.
    fn put(&self, key: usize, list: Vec<u8>) {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        pending.push((key, list));
    }

    fn take(&self, key: usize) -> Option<Vec<u8>> {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let at = pending.iter().position(|(k, _)| *k == key)?;
        Some(pending.swap_remove(at).1)
    }
}

/// Starts the bytes of a `Value::Binary` that stands for JSON text to copy into the response.
/// Nothing else in ctex's responses is binary (no field has a binary or upload type), and a
/// binary value without the tag is written as serde would write it.
const RAW_TAG: &[u8] = b"\0ctex:json\0";

/// Request data: the response is written by [`write_batch`], which copies a flat page's JSON
/// text into it as it is. Without it the list is parsed into values.
pub(crate) struct RawPages;

/// The value that stands for `json` (tagged JSON text) in the response.
fn answer(json: Vec<u8>, raw: bool) -> ServerResult<Value> {
    if raw {
        return Ok(Value::Binary(bytes::Bytes::from(json)));
    }
    serde_json::from_slice(&json[RAW_TAG.len()..])
        .and_then(Value::from_json)
        .map_err(|e| async_graphql::ServerError::new(format!("internal: flat page: {e}"), None))
}

/// Writes `response` as `serde_json::to_writer` would, except that a flat page's JSON text
/// (a binary value starting with [`RAW_TAG`]) is copied as it is.
pub(crate) fn write_batch(out: &mut Vec<u8>, response: &BatchResponse) -> serde_json::Result<()> {
    match response {
        BatchResponse::Single(r) => write_response(out, r),
        BatchResponse::Batch(rs) => write_list(out, rs, write_response),
    }
}

/// Writes `items` as a JSON array, each with `write`.
fn write_list<T>(
    out: &mut Vec<u8>,
    items: &[T],
    write: impl Fn(&mut Vec<u8>, &T) -> serde_json::Result<()>,
) -> serde_json::Result<()> {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item)?;
    }
    out.push(b']');
    Ok(())
}

/// One response, with the fields and order of async-graphql's `Serialize` for it.
fn write_response(out: &mut Vec<u8>, r: &Response) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"data\":");
    write_value(out, &r.data)?;
    if !r.extensions.is_empty() {
        out.extend_from_slice(b",\"extensions\":");
        serde_json::to_writer(&mut *out, &r.extensions)?;
    }
    if !r.errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        serde_json::to_writer(&mut *out, &r.errors)?;
    }
    out.push(b'}');
    Ok(())
}

fn write_value(out: &mut Vec<u8>, v: &Value) -> serde_json::Result<()> {
    match v {
        Value::List(items) => write_list(out, items, write_value)?,
        Value::Object(fields) => {
            out.push(b'{');
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key.as_str())?;
                out.push(b':');
                write_value(out, value)?;
            }
            out.push(b'}');
        }
        Value::Binary(bytes) if bytes.starts_with(RAW_TAG) => {
            let json = &bytes[RAW_TAG.len()..];
            // Room for the rest of the response too, so that the page is copied once.
            out.reserve(json.len() + 4096);
            out.extend_from_slice(json);
        }
        other => serde_json::to_writer(&mut *out, other)?,
    }
    Ok(())
}

/// Puts the list [`nodes`] built in place of the empty list its resolver answered.
pub(crate) struct FlatLists;

impl ExtensionFactory for FlatLists {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FlatLists)
    }
}

#[async_trait::async_trait]
impl Extension for FlatLists {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let key = path_key(info.path_node);
        let value = next.run(ctx, info).await?;
        if let Some(req) = ctx.data_opt::<Arc<RequestCtx>>()
            && let Some(list) = req.flat_lists.take(key)
        {
            let raw = ctx.data_opt::<RawPages>().is_some();
            return answer(list, raw).map(Some);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Name;
    use async_graphql::indexmap::IndexMap;
    use proptest::collection::vec;
    use proptest::prelude::*;

    /// Values a value field can answer: scalars, enums, and lists of them.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Boolean),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[A-Z][A-Z_]{0,12}".prop_map(|e| Value::Enum(Name::new(e))),
        ];
        prop_oneof![
            3 => leaf.clone(),
            1 => vec(leaf, 0..4).prop_map(Value::List),
        ]
    }

    /// Any value a response's data can hold (but binary).
    fn tree() -> impl Strategy<Value = Value> {
        value().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Value::List),
                vec(("[a-zA-Z_][a-zA-Z0-9_]{0,6}", inner), 0..4).prop_map(|fields| {
                    Value::Object(fields.into_iter().map(|(k, v)| (Name::new(k), v)).collect())
                }),
            ]
        })
    }

    /// A response with `data`, and maybe an extension and an error.
    fn response_of(data: Value, extension: Option<Value>, error: Option<String>) -> Response {
        let mut r = Response::new(data);
        if let Some(v) = extension {
            r.extensions.insert("cost".into(), v);
        }
        if let Some(message) = error {
            let mut e = async_graphql::ServerError::new(message, None);
            let mut ext = async_graphql::ErrorExtensionValues::default();
            ext.set("code", "FORBIDDEN");
            e.extensions = Some(ext);
            r.errors.push(e);
        }
        r
    }

    /// `rows` written as a flat page's tagged JSON text.
    fn written(rows: &[Vec<Value>]) -> Vec<u8> {
        let mut json = RAW_TAG.to_vec();
        json.push(b'[');
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            json.push(b'{');
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    json.push(b',');
                }
                json.extend_from_slice(format!("\"f{j}\":").as_bytes());
                assert!(write_json(&mut json, v));
            }
            json.push(b'}');
        }
        json.push(b']');
        json
    }

    /// `rows` as async-graphql values.
    fn values(rows: Vec<Vec<Value>>) -> Value {
        Value::List(
            rows.into_iter()
                .map(|row| {
                    Value::Object(
                        row.into_iter()
                            .enumerate()
                            .map(|(j, v)| (Name::new(format!("f{j}")), v))
                            .collect(),
                    )
                })
                .collect(),
        )
    }

    /// `{ "page": { "nodes": nodes } }`.
    fn page(nodes: Value) -> Value {
        let mut page = IndexMap::new();
        page.insert(Name::new("nodes"), nodes);
        let mut data = IndexMap::new();
        data.insert(Name::new("page"), Value::Object(page));
        Value::Object(data)
    }

    /// `response` as `write_batch` writes it.
    fn ours(response: &BatchResponse) -> String {
        let mut out = Vec::new();
        write_batch(&mut out, response).expect("writes");
        String::from_utf8(out).expect("UTF-8")
    }

    proptest! {
        /// Without flat pages the response is written exactly as serde_json writes it, single
        /// or batched.
        #[test]
        fn a_response_is_written_as_serde_json_writes_it(
            data in tree(),
            extension in proptest::option::of(tree()),
            error in proptest::option::of(any::<String>()),
            batched in any::<bool>(),
        ) {
            let r = response_of(data, extension, error);
            let batch = if batched {
                BatchResponse::Batch(vec![r, Response::new(Value::Null)])
            } else {
                BatchResponse::Single(r)
            };
            prop_assert_eq!(ours(&batch), serde_json::to_string(&batch).expect("serializes"));
        }

        /// A flat page's JSON text, copied into the response, is what the rows' values would
        /// have been serialized as; parsed back (for any other caller) it is the same JSON.
        #[test]
        fn a_flat_page_is_written_as_its_values_would_be(
            rows in vec(vec(value(), 0..5), 0..6),
            error in proptest::option::of(any::<String>()),
        ) {
            let json = written(&rows);
            let single = |data| BatchResponse::Single(response_of(data, None, error.clone()));
            let expected = serde_json::to_string(&single(page(values(rows))))
                .expect("serializes");
            let raw = answer(json.clone(), true).expect("raw");
            prop_assert_eq!(ours(&single(page(raw))), expected.clone());
            let parsed = answer(json, false).expect("parsed");
            prop_assert_eq!(
                serde_json::to_string(&single(page(parsed))).expect("serializes"),
                expected
            );
        }
    }

    #[test]
    fn a_binary_value_without_the_tag_is_written_as_serde_would() {
        let r = BatchResponse::Single(Response::new(Value::Binary(bytes::Bytes::from_static(
            b"[1]",
        ))));
        assert_eq!(ours(&r), serde_json::to_string(&r).expect("serializes"));
        assert_eq!(ours(&r), r#"{"data":[91,49,93]}"#);
    }

    fn flat() -> FlatFields {
        FlatFields::of(&super::super::model())
    }

    /// The check of `ty` as the schema's types resolve it.
    fn check(ty: TypeRef) -> Check {
        Check::of(&ty, &Named::of(&super::super::model()))
    }

    /// The checks of value fields' types as the schema resolves them, of every kind.
    fn checks() -> Vec<Check> {
        [
            TypeRef::named(TypeRef::STRING),
            TypeRef::named_nn(TypeRef::ID),
            TypeRef::named(TypeRef::INT),
            TypeRef::named_nn(TypeRef::BOOLEAN),
            TypeRef::named("CaseStatus"),
            TypeRef::named_nn("CaseStatus"),
            TypeRef::named_nn("AgencyCode"),
            TypeRef::named("DateTime"),
            TypeRef::named_nn("DateTime"),
            TypeRef::named("Date"),
            TypeRef::named_nn_list("CaseStatus"),
            TypeRef::named_nn("Case"),
        ]
        .map(check)
        .into()
    }

    /// `v` written into a flat page by its [`FlatValue`] implementation, and through its value
    /// as async-graphql would check and write it (`None`: refused).
    fn both_ways<V: FlatValue + Clone>(v: V, check: &Check) -> (Option<String>, Option<String>) {
        let mut flat = Vec::new();
        let flat = v.clone().write_flat(check, &mut flat).then_some(flat);
        let mut value = Vec::new();
        let value = write_checked(&v.into(), check, &mut value).then_some(value);
        let text = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8(b).expect("JSON is UTF-8"));
        (text(flat), text(value))
    }

    /// Text a field may hold: anything, enum-like names, values of `CaseStatus`, timestamps.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[A-Z][A-Z_]{0,20}",
            Just("UNDER_INVESTIGATION".to_string()),
            Just("police".to_string()),
            Just("2026-07-01T08:00:00.000000Z".to_string()),
            Just("2026-07-01".to_string()),
        ]
    }

    /// Any instant chrono represents, leap seconds and years beyond 9999 included.
    fn instant() -> impl Strategy<Value = chrono::DateTime<chrono::Utc>> {
        let secs = prop_oneof![
            -62_167_219_200i64..253_402_300_800, // years 0 to 9999
            chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp()
                ..chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp(),
        ];
        (secs, 0u32..2_000_000_000).prop_filter_map("representable", |(s, n)| {
            chrono::DateTime::from_timestamp(s, n)
        })
    }

    proptest! {
        /// Every value a value field computes is written into a flat page, or refused, exactly
        /// as its `Value` would be checked and written, under every kind of field type.
        #[test]
        fn a_value_is_written_flat_as_its_value_would_be(
            s in text(),
            n in any::<i64>(),
            b in any::<bool>(),
            at in instant(),
            id in any::<u128>(),
        ) {
            use super::super::common::{Id, agency_value, datetime, enum_value};
            for check in &checks() {
                let (flat, value) = both_ways(s.clone(), check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(s.as_str(), check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(Some(s.clone()), check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(None::<String>, check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(n, check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(i32::try_from(n).ok(), check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(b, check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(datetime(&at), check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(Some(datetime(&at)), check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(Id(uuid::Uuid::from_u128(id)), check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(enum_value(&s), check);
                prop_assert_eq!(flat, value);
                let (flat, value) = both_ways(agency_value(&s), check);
                prop_assert_eq!(flat, value);
            }
        }
    }

    proptest! {
        /// Strings are written as serde_json writes them, with and without characters that
        /// JSON escapes.
        #[test]
        fn a_string_is_written_as_serde_json_writes_it(
            s in prop_oneof![any::<String>(), "[\\x00-\\x7f]{0,40}", "[^\"\\\\]{0,40}"],
        ) {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            prop_assert_eq!(String::from_utf8(out).expect("UTF-8"), serde_json::to_string(&s)?);
        }
    }

    #[test]
    fn an_instant_of_every_year_is_written_as_chrono_writes_it() {
        use super::super::common::datetime;
        let check = check(TypeRef::named_nn("DateTime"));
        for text in [
            "0000-01-01T00:00:00.000000Z",
            "0999-12-31T23:59:59.999999Z",
            "2026-07-01T08:00:00.000001Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            let at = chrono::DateTime::parse_from_rfc3339(text)
                .expect("valid")
                .to_utc();
            let mut out = Vec::new();
            assert!(datetime(&at).write_flat(&check, &mut out));
            assert_eq!(out, format!("\"{text}\"").into_bytes());
        }
    }

    #[test]
    fn values_are_checked_against_their_types_as_async_graphql_would() {
        let nn = |t: &str| check(TypeRef::named_nn(t.to_string()));
        let status = Value::Enum(Name::new("REPORTED"));
        // Enum values must be values of the enum, as enum or string.
        assert!(nn("CaseStatus").accepts(&status));
        assert!(nn("CaseStatus").accepts(&Value::from("REPORTED")));
        assert!(nn("CaseStatus").accepts(&Value::from("TRIAL")));
        assert!(!nn("CaseStatus").accepts(&Value::from("LOST")));
        assert!(!nn("CaseStatus").accepts(&Value::from(1)));
        // Null only where the type allows it; never inside a list (left to async-graphql).
        assert!(!nn("CaseStatus").accepts(&Value::Null));
        assert!(check(TypeRef::named("CaseStatus")).accepts(&Value::Null));
        let list = check(TypeRef::named_nn_list("CaseStatus"));
        assert!(list.accepts(&Value::List(vec![status.clone()])));
        assert!(!list.accepts(&Value::List(vec![Value::Null])));
        assert!(!list.accepts(&status));
        // Custom scalars through their validators; built-in ones unchecked; objects never.
        assert!(nn("DateTime").accepts(&Value::from("2026-07-01T08:00:00Z")));
        assert!(!nn("DateTime").accepts(&Value::from("yesterday")));
        assert!(nn(TypeRef::INT).accepts(&Value::from(3)));
        assert!(!nn("Case").accepts(&Value::from("x")));
    }

    #[test]
    fn every_value_field_of_case_is_flat_and_object_fields_are_not() {
        let flat = flat();
        let case = &flat.fields["Case"];
        for field in [
            "id",
            "caseNumber",
            "status",
            "openedAt",
            "exploitationForms",
        ] {
            assert!(case.contains_key(field), "{field}");
        }
        assert!(!case.contains_key("parties"));
    }
}
