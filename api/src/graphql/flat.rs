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

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dynamic::{ResolverContext, TypeRef};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::Selection;
use async_graphql::{Name, ServerResult, Value};

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
enum Check {
    /// A built-in scalar: async-graphql does not check its values.
    Any,
    /// One of these enum values (sorted), as enum or string.
    Enum(Vec<String>),
    /// A custom scalar's validator.
    Scalar(fn(&Value) -> bool),
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
                } else if let Some(valid) = named.scalars.get(name) {
                    Check::Scalar(*valid)
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
            (Check::Scalar(valid), v) => valid(v),
            (Check::Never, _) => false,
        }
    }
}

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

/// The selection of one flat page: response key and field (`None`: `__typename`).
type Selected<'f> = Vec<(Name, Option<(&'f FlatField, Rule)>)>;

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
    let mut list = Vec::with_capacity(rows.len());
    for row in rows {
        let mut object = IndexMap::with_capacity(selected.len());
        for (key, field) in &selected {
            let value = match field {
                None => Value::from(ty),
                Some((field, rule)) => {
                    if policy::check(&req.principal, *rule, ty, field.name, row.facts()).is_err() {
                        return false;
                    }
                    let Some(value) = (field.value)(row as &dyn Any) else {
                        return false;
                    };
                    if !field.check.accepts(&value) {
                        return false;
                    }
                    value
                }
            };
            // A repeated response key keeps its first value and place, as async-graphql's
            // merge does.
            object.entry(key.clone()).or_insert(value);
        }
        list.push(Value::Object(object));
    }
    req.flat_lists.put(path_key(path), Value::List(list));
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
        let key = field.response_key().node.clone();
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

/// The lists built for this request's flat pages, waiting for [`FlatLists`].
#[derive(Default)]
pub(crate) struct Pending(std::sync::Mutex<Vec<(usize, Value)>>);

impl Pending {
    /// Keeps `list` for the field `key`. A poisoned lock is taken over: the list is always
    /// consistent, and losing it would answer an empty page.
    fn put(&self, key: usize, list: Value) {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        pending.push((key, list));
    }

    fn take(&self, key: usize) -> Option<Value> {
        let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let at = pending.iter().position(|(k, _)| *k == key)?;
        Some(pending.swap_remove(at).1)
    }
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
            return Ok(Some(list));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat() -> FlatFields {
        FlatFields::of(&super::super::model())
    }

    /// The check of `ty` as the schema's types resolve it.
    fn check(ty: TypeRef) -> Check {
        Check::of(&ty, &Named::of(&super::super::model()))
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
