//! The GraphQL API: the schema model, built into one full schema and one contract schema per
//! agency, all from the same definitions and the same policy table.
//!
//! - [`Schemas::build`] makes the full federated schema (every field, `@requiresScopes` from the
//!   policy) and each agency's contract schema (only the fields that agency may use at least
//!   somewhere). Building needs no database: the data arrives per request in `RequestCtx`.
//! - Requests execute on the full schema, so a field an agency may not use answers `null` with
//!   a `FORBIDDEN` error at its path. Introspection is answered from the caller's contract
//!   schema, so it lists exactly the fields the agency may use.
//!
//! # Layout
//! `model` (types as data, the field guard), `context` (per-request data), `loaders` (the
//! batch loaders' queries), `batch` (batching without a timer), `input` (argument parsing),
//! `write` (the mutation transaction), `common` (scalars, directory, connections), and one
//! module per domain: `case`, `person`.

pub mod armor;
pub(crate) mod audit;
pub(crate) mod batch;
pub(crate) mod care;
pub(crate) mod case;
pub(crate) mod common;
pub(crate) mod context;
pub(crate) mod documents;
pub(crate) mod flat;
pub(crate) mod input;
pub(crate) mod investigate;
pub(crate) mod justice;
pub(crate) mod lifecycle;
pub(crate) mod loaders;
pub(crate) mod model;
pub(crate) mod network;
pub(crate) mod person;
pub(crate) mod search;
pub(crate) mod statistics;
pub(crate) mod subscription;
pub(crate) mod tip;
pub(crate) mod workflow;
pub(crate) mod write;

use std::collections::{BTreeSet, HashMap};

use async_graphql::dynamic::{
    Enum, EnumItem, Field, FieldFuture, FieldValue, InputObject, InputValue, Object, Scalar,
    Schema, SchemaBuilder, TypeRef,
};
use async_graphql::{SDLExportOptions, Value};

pub(crate) use context::RequestCtx;
use model::TypeDef;

use crate::domain::Agency;
use crate::error::{ApiError, ApiResult};
use crate::policy::{self, RowFacts, Rule};

/// Who a schema is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The full federated schema: every field, with `@requiresScopes`.
    Full,
    /// One agency's contract: only the fields it may use.
    Agency(Agency),
}

/// Limits on what one GraphQL document may ask (DESIGN §3.4: `QUERY_TOO_COMPLEX`). The text
/// limits are counted by [`armor::scan`] before parsing, the others by
/// [`armor::check_document`] before validation; depth, complexity and directives are also given
/// to async-graphql as a second line.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum query depth (fields nested, through fragments).
    pub depth: usize,
    /// Maximum cost: each field 1, plus its selection's cost times its list size (the `first`
    /// asked, or [`armor::ASSUMED_LIST_SIZE`] for lists without `first`).
    pub complexity: usize,
    /// Maximum nesting of `{`, `(` and `[` in the text, which bounds the parser's recursion (and
    /// fragment recursion, checked by async-graphql).
    pub recursive_depth: usize,
    /// Maximum directives in a document (and per field, for async-graphql).
    pub directives: usize,
    /// Maximum aliases in a document.
    pub aliases: usize,
    /// Maximum lexical tokens in a document.
    pub tokens: usize,
    /// Maximum length of a document, in bytes.
    pub query_bytes: usize,
    /// How many times one selection set may select the same response key.
    pub field_repeats: usize,
    /// Whether field suggestions ("did you mean") are given in errors.
    pub suggestions: bool,
    /// The statistics suppression threshold: a cell counting fewer is never shown.
    pub min_cell: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: 12,
            complexity: 20_000,
            recursive_depth: 32,
            directives: 50,
            aliases: 15,
            tokens: 1000,
            query_bytes: 32 * 1024,
            field_repeats: 10,
            suggestions: false,
            min_cell: 5,
        }
    }
}

/// The full schema and each agency's contract schema.
#[derive(Clone)]
pub struct Schemas {
    /// The full schema; every request executes here, except those selecting `_entities`.
    pub full: Schema,
    /// The full schema with `NullEntities`, for queries selecting `_entities`: the extension
    /// wraps the resolution of every field, so the other requests run without it.
    pub full_entities: Schema,
    /// The full schema with flat pages (`flat::FlatLists`), for documents selecting `nodes`
    /// (and not `_entities`); the same trade as `full_entities`.
    pub full_lists: Schema,
    /// Contract schemas for introspection, per agency.
    pub agencies: HashMap<Agency, Schema>,
}

impl Schemas {
    /// Builds all schemas.
    pub fn build(limits: Limits) -> anyhow::Result<Schemas> {
        let full = build_with(Audience::Full, limits, Execution::Plain)?;
        let full_entities = build(Audience::Full, limits)?;
        let full_lists = build_with(Audience::Full, limits, Execution::FlatLists)?;
        let mut agencies = HashMap::new();
        for agency in Agency::ALL {
            agencies.insert(agency, build(Audience::Agency(agency), limits)?);
        }
        Ok(Schemas {
            full,
            full_entities,
            full_lists,
            agencies,
        })
    }

    /// The schema that executes a document of `shape` for `agency`: the agency's contract
    /// schema for introspection, else the full one (with `NullEntities` for `_entities`, with
    /// flat pages for `nodes`).
    pub fn executing(&self, agency: Agency, shape: &armor::Shape) -> &Schema {
        if shape.introspection {
            self.for_agency(agency)
        } else if shape.entities {
            &self.full_entities
        } else if shape.lists {
            &self.full_lists
        } else {
            &self.full
        }
    }

    /// The schema that answers introspection for `agency`.
    pub fn for_agency(&self, agency: Agency) -> &Schema {
        self.agencies.get(&agency).unwrap_or(&self.full)
    }
}

/// All type definitions of the API, in declaration order.
pub(crate) fn model() -> Vec<TypeDef> {
    let mut types = common::types();
    types.extend(case::types());
    types.extend(person::types());
    types.extend(audit::types());
    types.extend(justice::types());
    types.extend(lifecycle::types());
    types.extend(tip::types());
    types.extend(network::types());
    types.extend(care::types());
    types.extend(workflow::types());
    types.extend(search::types());
    types.extend(investigate::types());
    types.extend(statistics::types());
    types.extend(subscription::types());
    merge_roots(types)
}

/// Merges object types declared in several modules under one name (the roots, and domain types
/// that other modules extend with their own fields, as `Case.indictments` is added by the
/// justice module): fields are concatenated in declaration order.
fn merge_roots(types: Vec<TypeDef>) -> Vec<TypeDef> {
    let mut out: Vec<TypeDef> = Vec::new();
    for t in types {
        match t {
            TypeDef::Object {
                name,
                description,
                key,
                fields,
            } => {
                let existing = out.iter_mut().find(|o| o.name() == name);
                match existing {
                    Some(TypeDef::Object {
                        description: d,
                        key: k,
                        fields: f,
                        ..
                    }) => {
                        if d.is_empty() {
                            *d = description;
                        }
                        if k.is_none() {
                            *k = key;
                        }
                        f.extend(fields);
                    }
                    _ => out.push(TypeDef::Object {
                        name,
                        description,
                        key,
                        fields,
                    }),
                }
            }
            other => out.push(other),
        }
    }
    for t in out.iter_mut() {
        if let TypeDef::Object {
            name, description, ..
        } = t
            && description.is_empty()
        {
            *description = match *name {
                "Query" => "Reads. Every field answers only within your agency's scope.",
                "Mutation" => "Writes. Transactional; `idempotencyKey` makes retries safe.",
                "Subscription" => "Real-time events, filtered by the same policy as queries.",
                _ => "",
            };
        }
    }
    out
}

fn allowed(audience: Audience, rule: Option<Rule>, ty: &str) -> bool {
    match audience {
        Audience::Full => true,
        Audience::Agency(agency) => rule.is_some_and(|r| policy::may_ever_use(agency, r, ty)),
    }
}

/// Keeps, for `audience`, the fields it may use, then drops types no longer reachable from the
/// roots (and fields whose type was dropped), until nothing changes.
fn filter(types: Vec<TypeDef>, audience: Audience) -> Vec<TypeDef> {
    let mut types: Vec<TypeDef> = types
        .into_iter()
        .map(|t| match t {
            TypeDef::Object {
                name,
                description,
                key,
                fields,
            } => TypeDef::Object {
                name,
                description,
                key,
                fields: fields
                    .into_iter()
                    .filter(|f| allowed(audience, f.rule, name))
                    .collect(),
            },
            TypeDef::Input {
                name,
                description,
                fields,
            } => TypeDef::Input {
                name,
                description,
                fields: fields
                    .into_iter()
                    .filter(|f| allowed(audience, f.rule, name))
                    .collect(),
            },
            TypeDef::Enum {
                name,
                description,
                governed,
                values,
            } => TypeDef::Enum {
                name,
                description,
                governed,
                values: values
                    .into_iter()
                    .filter(|v| !governed || allowed(audience, v.rule, name))
                    .collect(),
            },
            TypeDef::Subscription { fields } => TypeDef::Subscription {
                fields: fields
                    .into_iter()
                    .filter(|f| allowed(audience, f.rule, "Subscription"))
                    .collect(),
            },
            scalar => scalar,
        })
        .collect();
    loop {
        let before: usize = types.iter().map(size).sum::<usize>() + types.len();
        // Empty objects, inputs and enums cannot exist.
        types.retain(|t| size(t) > 0 || matches!(t, TypeDef::Scalar { .. }));
        let present: BTreeSet<&'static str> = types.iter().map(TypeDef::name).collect();
        let known = |ty: &TypeRef| is_builtin(ty.type_name()) || present.contains(ty.type_name());
        for t in types.iter_mut() {
            match t {
                TypeDef::Object { fields, .. } => {
                    fields.retain(|f| {
                        known(&f.ty)
                            && f.args
                                .iter()
                                .all(|a| known(&a.ty) || !a.ty.to_string().ends_with('!'))
                    });
                    for f in fields.iter_mut() {
                        f.args.retain(|a| known(&a.ty));
                    }
                }
                TypeDef::Input { fields, .. } => fields.retain(|f| known(&f.ty)),
                _ => {}
            }
        }
        let reachable = reachable(&types);
        types.retain(|t| reachable.contains(t.name()));
        let after: usize = types.iter().map(size).sum::<usize>() + types.len();
        if after == before {
            return types;
        }
    }
}

fn size(t: &TypeDef) -> usize {
    match t {
        TypeDef::Subscription { fields } => fields.len(),
        TypeDef::Object { fields, .. } => fields.len(),
        TypeDef::Input { fields, .. } => fields.len(),
        TypeDef::Enum { values, .. } => values.len(),
        TypeDef::Scalar { .. } => 1,
    }
}

fn is_builtin(name: &str) -> bool {
    matches!(name, "String" | "Int" | "Float" | "Boolean" | "ID")
}

fn reachable(types: &[TypeDef]) -> BTreeSet<&'static str> {
    let by_name: HashMap<&str, &TypeDef> = types.iter().map(|t| (t.name(), t)).collect();
    let mut seen: BTreeSet<&'static str> = BTreeSet::new();
    let mut stack: Vec<&str> = vec!["Query", "Mutation", "Subscription", "Agency"];
    while let Some(name) = stack.pop() {
        let Some(t) = by_name.get(name) else { continue };
        if !seen.insert(t.name()) {
            continue;
        }
        match t {
            TypeDef::Object { fields, .. } => {
                for f in fields {
                    stack.push(leak_name(&f.ty));
                    for a in &f.args {
                        stack.push(leak_name(&a.ty));
                    }
                }
            }
            TypeDef::Input { fields, .. } => {
                for f in fields {
                    stack.push(leak_name(&f.ty));
                }
            }
            TypeDef::Subscription { fields } => {
                for f in fields {
                    stack.push(leak_name(&f.ty));
                    for a in &f.args {
                        stack.push(leak_name(&a.ty));
                    }
                }
            }
            _ => {}
        }
    }
    seen
}

fn leak_name(ty: &TypeRef) -> &str {
    ty.type_name()
}

/// The `@requiresScopes` scopes of a field: one `agency:<code>` alternative per agency that may
/// use it. Structural fields carry none.
pub(crate) fn required_scopes(rule: Option<Rule>, ty: &str) -> Option<Vec<String>> {
    match rule {
        Some(Rule::Structural) => None,
        rule => Some(
            Agency::ALL
                .iter()
                .filter(|a| allowed(Audience::Agency(**a), rule, ty))
                .map(|a| format!("agency:{}", a.code()))
                .collect(),
        ),
    }
}

fn scopes_directive(scopes: Vec<String>) -> async_graphql::dynamic::Directive {
    let value = Value::List(
        scopes
            .into_iter()
            .map(|s| Value::List(vec![Value::from(s)]))
            .collect(),
    );
    async_graphql::dynamic::Directive::new("requiresScopes").argument("scopes", value)
}

/// Builds the schema for `audience`, able to answer `_entities` with `null` items.
pub fn build(audience: Audience, limits: Limits) -> anyhow::Result<Schema> {
    build_with(audience, limits, Execution::NullEntities)
}

/// The extension a schema executes with (each wraps the resolution of every field, so each
/// schema has at most one, chosen by the documents it executes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Execution {
    /// None.
    Plain,
    /// `NullEntities`: an `_entities` item that is not found is `null` (without it, it fails
    /// the whole list).
    NullEntities,
    /// Flat pages (`flat::FlatLists`): a connection's `nodes` that selects only plain value
    /// fields is built as one list.
    FlatLists,
}

/// Builds the schema for `audience`, executing with `execution`.
pub fn build_with(
    audience: Audience,
    limits: Limits,
    execution: Execution,
) -> anyhow::Result<Schema> {
    let types = filter(model(), audience);
    let has = |n: &str| types.iter().any(|t| t.name() == n);
    let mutation = has("Mutation").then_some("Mutation");
    let subscription = has("Subscription").then_some("Subscription");
    let mut builder: SchemaBuilder = Schema::build("Query", mutation, subscription)
        // The configured depth is enforced by `armor::check_document` (which lets introspection
        // through); async-graphql's own count, which includes introspection, is the backstop.
        .limit_depth(limits.depth.max(limits.recursive_depth))
        .limit_complexity(limits.complexity)
        .limit_recursive_depth(limits.recursive_depth)
        .limit_directives(limits.directives)
        .enable_federation()
        .entity_resolver(entities);
    match execution {
        Execution::Plain => {}
        Execution::NullEntities => builder = builder.extension(NullEntities),
        Execution::FlatLists => {
            builder = builder
                .extension(flat::FlatLists)
                .data(std::sync::Arc::new(flat::FlatFields::of(&types)));
        }
    }
    if !limits.suggestions {
        builder = builder.disable_suggestions();
    }
    for t in types {
        builder = match t {
            TypeDef::Object {
                name,
                description,
                key,
                fields,
            } => {
                let mut object = Object::new(name);
                if !description.is_empty() {
                    object = object.description(description);
                }
                if let Some(key) = key {
                    object = object.key(key);
                }
                for f in fields {
                    let resolve = f.resolve.clone();
                    let mut field = Field::new(f.name, f.ty, move |ctx| resolve(ctx));
                    if !f.description.is_empty() {
                        field = field.description(f.description);
                    }
                    for a in f.args {
                        let mut input = InputValue::new(a.name, a.ty).description(a.description);
                        if let Some(default) = a.default {
                            input = input.default_value(default);
                        }
                        field = field.argument(input);
                    }
                    if audience == Audience::Full
                        && let Some(scopes) = required_scopes(f.rule, name)
                    {
                        field = field.directive(scopes_directive(scopes));
                    }
                    object = object.field(field);
                }
                builder.register(object)
            }
            TypeDef::Input {
                name,
                description,
                fields,
            } => {
                let mut input = InputObject::new(name).description(description);
                for f in fields {
                    input = input.field(InputValue::new(f.name, f.ty).description(f.description));
                }
                builder.register(input)
            }
            TypeDef::Enum {
                name,
                description,
                values,
                ..
            } => {
                let mut e = Enum::new(name).description(description);
                for v in values {
                    let mut item = EnumItem::new(v.name);
                    if !v.description.is_empty() {
                        item = item.description(v.description);
                    }
                    e = e.item(item);
                }
                builder.register(e)
            }
            TypeDef::Scalar {
                name,
                description,
                validator,
            } => builder.register(
                Scalar::new(name)
                    .description(description)
                    .validator(validator),
            ),
            TypeDef::Subscription { fields } => {
                let mut root = async_graphql::dynamic::Subscription::new("Subscription");
                for f in fields {
                    let subscribe = f.subscribe.clone();
                    let mut field =
                        async_graphql::dynamic::SubscriptionField::new(f.name, f.ty, move |ctx| {
                            subscribe(ctx)
                        })
                        .description(f.description);
                    for a in f.args {
                        field = field
                            .argument(InputValue::new(a.name, a.ty).description(a.description));
                    }
                    root = root.field(field);
                }
                builder.register(root)
            }
        };
    }
    Ok(builder.finish()?)
}

/// Resolves federation `_entities` representations through the caller's scope: an entity the
/// caller may not see resolves to `null`.
fn entities(ctx: async_graphql::dynamic::ResolverContext<'_>) -> FieldFuture<'_> {
    model::resolve_async(ctx, |ctx| async move {
        let req = RequestCtx::of(&ctx).ok_or(ApiError::Unauthenticated)?;
        let reps = ctx
            .args
            .get("representations")
            .and_then(|v| v.list().ok())
            .ok_or_else(|| ApiError::bad_input("representations", "is required"))?;
        if reps.len() > 100 {
            return Err(ApiError::bad_input("representations", "at most 100"));
        }
        // Each representation names a type and a key; rows load in one batch per type, through
        // the caller's scope, and come back in order (null when out of scope).
        let mut wanted: Vec<(&'static str, Option<uuid::Uuid>, Option<String>)> = Vec::new();
        for rep in reps.iter() {
            let obj = rep
                .object()
                .map_err(|_| ApiError::bad_input("representations", "must be objects"))?;
            let typename = obj
                .get("__typename")
                .and_then(|v| v.string().ok())
                .unwrap_or_default();
            let ty = ENTITY_TYPES
                .iter()
                .find(|t| **t == typename)
                .copied()
                .ok_or_else(|| ApiError::bad_input("representations", "unknown entity type"))?;
            let id = obj
                .get("id")
                .and_then(|v| v.string().ok())
                .and_then(input::parse_id);
            let code = obj.get("code").and_then(|v| {
                v.enum_name()
                    .ok()
                    .or_else(|| v.string().ok())
                    .map(str::to_string)
            });
            wanted.push((ty, id, code));
        }
        let ids = |ty: &str| -> Vec<uuid::Uuid> {
            wanted
                .iter()
                .filter(|w| w.0 == ty)
                .filter_map(|w| w.1)
                .collect()
        };
        let cases = req
            .loaders
            .case
            .load_many(ids("Case"))
            .await
            .map_err(ApiError::from)?;
        let persons = req
            .loaders
            .person
            .load_many(ids("Person"))
            .await
            .map_err(ApiError::from)?;
        let networks = req
            .loaders
            .network
            .load_many(ids("Network"))
            .await
            .map_err(ApiError::from)?;
        let flags =
            crate::store::workflow::flags_by_ids(&req.read_db, &req.principal, &ids("VictimFlag"))
                .await?;
        let referrals = crate::store::workflow::referrals_by_ids(
            &req.read_db,
            &req.principal,
            &ids("Referral"),
        )
        .await?;
        let mut out = Vec::with_capacity(wanted.len());
        for (ty, id, code) in wanted {
            let value = match (ty, id) {
                ("Case", Some(id)) => cases.get(&id).cloned().map(FieldValue::owned_any),
                ("Person", Some(id)) => persons.get(&id).cloned().map(FieldValue::owned_any),
                ("Network", Some(id)) => networks.get(&id).cloned().map(FieldValue::owned_any),
                ("VictimFlag", Some(id)) => flags
                    .iter()
                    .find(|f| f.row.id == id)
                    .cloned()
                    .map(|f| FieldValue::owned_any(std::sync::Arc::new(f))),
                ("Referral", Some(id)) => referrals
                    .iter()
                    .find(|r| r.row.id == id)
                    .cloned()
                    .map(|r| FieldValue::owned_any(std::sync::Arc::new(r))),
                ("Agency", _) => code
                    .as_deref()
                    .and_then(common::agency_row)
                    .map(FieldValue::owned_any),
                _ => None,
            };
            if value.is_none() {
                if let Some(id) = id {
                    req.audit.not_found(ty, id);
                }
                // `null` at this index, with NOT_FOUND at `_entities.<index>` (see NullEntities).
                let key = ctx.ctx.item.node.response_key().node.to_string();
                let index = out.len();
                let err = ApiError::NotFound(ty)
                    .into_graphql(&req.request_id)
                    .into_server_error(ctx.ctx.item.pos);
                let mut err = ctx.ctx.set_error_path(err);
                err.path.push(async_graphql::PathSegment::Index(index));
                ctx.ctx.add_error(err);
                if let Ok(mut nulls) = req.null_entities.lock() {
                    nulls.insert((key, index));
                }
            }
            out.push(value.map(|v| v.with_type(ty)).unwrap_or(FieldValue::NULL));
        }
        Ok(Some(FieldValue::list(out)))
    })
}

/// Lets an `_entities` item be `null`. async-graphql's dynamic schema resolves every list item
/// as its type, and a `null` `_Entity` (a union) fails the whole list as an internal error
/// (async-graphql issue #1577); this extension answers `null` for the items [`entities`]
/// marked, without resolving them.
struct NullEntities;

impl async_graphql::extensions::ExtensionFactory for NullEntities {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(NullEntities)
    }
}

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for NullEntities {
    async fn resolve(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        info: async_graphql::extensions::ResolveInfo<'_>,
        next: async_graphql::extensions::NextResolve<'_>,
    ) -> async_graphql::ServerResult<Option<Value>> {
        if info.parent_type == "[_Entity]"
            && let async_graphql::QueryPathSegment::Index(index) = info.path_node.segment
            && let Some(req) = ctx.data_opt::<std::sync::Arc<RequestCtx>>()
            && let Ok(nulls) = req.null_entities.lock()
            && nulls.contains(&(info.alias.unwrap_or(info.name).to_string(), index))
        {
            return Ok(None);
        }
        next.run(ctx, info).await
    }
}

/// The federation entity types ctex resolves (`@key(fields: "id")`, `Agency` by `code`).
pub const ENTITY_TYPES: [&str; 6] = [
    "Case",
    "Person",
    "Referral",
    "VictimFlag",
    "Network",
    "Agency",
];

/// One output field of a schema, for tools and tests that walk the whole API (the access matrix
/// test queries every field as every agency).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogField {
    /// The object type (`Case`).
    pub ty: &'static str,
    /// The field (`summary`).
    pub field: &'static str,
    /// The named type it returns (`String`, `CaseParty`).
    pub returns: String,
    /// Whether that type is an object (so the field needs a selection).
    pub object: bool,
    /// Whether the field takes arguments.
    pub has_args: bool,
    /// Whether it is a value computed from the row alone, which a flat page can build
    /// (`flat::nodes`).
    pub flat: bool,
}

/// Every output field of the schema for `audience`, in declaration order.
pub fn catalog(audience: Audience) -> Vec<CatalogField> {
    let types = filter(model(), audience);
    let objects: BTreeSet<&'static str> = types
        .iter()
        .filter(|t| matches!(t, TypeDef::Object { .. }))
        .map(TypeDef::name)
        .collect();
    let mut out = Vec::new();
    for t in &types {
        if let TypeDef::Subscription { fields } = t {
            for f in fields {
                out.push(CatalogField {
                    ty: "Subscription",
                    field: f.name,
                    object: objects.contains(f.ty.type_name()),
                    returns: f.ty.type_name().to_string(),
                    has_args: !f.args.is_empty(),
                    flat: false,
                });
            }
        }
        if let TypeDef::Object { name, fields, .. } = t {
            for f in fields {
                let returns = f.ty.type_name().to_string();
                out.push(CatalogField {
                    ty: name,
                    field: f.name,
                    object: objects.contains(returns.as_str()),
                    returns,
                    has_args: !f.args.is_empty(),
                    flat: f.flat.is_some(),
                });
            }
        }
    }
    out
}

/// The SDL of a schema: the full one as a Federation v2 subgraph, agency contracts plain.
pub fn sdl(audience: Audience) -> anyhow::Result<String> {
    let schema = build(audience, Limits::default())?;
    let options = match audience {
        Audience::Full => SDLExportOptions::new().federation().compose_directive(),
        Audience::Agency(_) => SDLExportOptions::new(),
    };
    Ok(schema.sdl_with_options(options))
}

/// Checks the rule of `ty.field` (a root operation) against a row the operation touches.
pub(crate) fn authorize_row(
    req: &RequestCtx,
    ty: &'static str,
    field: &'static str,
    facts: &RowFacts,
) -> ApiResult<()> {
    let rule = policy::rule(ty, field)
        .ok_or_else(|| ApiError::forbidden(format!("{ty}.{field} has no access rule")))?;
    policy::check(&req.principal, rule, ty, field, facts).map_err(|d| {
        req.audit.denied(ty, field, None);
        d.into_error(ty, field)
    })
}

/// Checks the rule of a governed enum value (a sort key).
pub(crate) fn authorize_enum(req: &RequestCtx, ty: &'static str, value: &str) -> ApiResult<()> {
    let rule = policy::rule(ty, value)
        .ok_or_else(|| ApiError::forbidden(format!("{ty}.{value} has no access rule")))?;
    policy::check_static(&req.principal, rule, ty).map_err(|_| {
        req.audit.denied(ty, "sort", None);
        ApiError::forbidden(format!("your agency may not sort by {value}"))
    })
}
