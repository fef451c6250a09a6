//! The schema model: GraphQL types as data, every field wrapped in the one policy guard.
//!
//! Domain modules (`case.rs`, `person.rs` ...) describe their types with [`ObjectDef`],
//! [`InputDef`] and [`EnumDef`]. Each field's rule comes from the policy table
//! ([`crate::policy::rule`]) by `(type, field)` name when the field is declared; a field with no
//! rule is denied to everyone. [`guard`] wraps every resolver: it checks the rule against the
//! caller and the parent row's facts, requires a purpose for person-level data, records the
//! read for the audit trail, and only then runs the resolver. Resolvers never check access
//! themselves.
//!
//! Because the model is data, `super::build` can emit the full schema (with `@requiresScopes`)
//! and each agency's contract schema (only the fields it may use) from the same definitions.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::Value;
use async_graphql::dynamic::{FieldFuture, FieldValue, ResolverContext, TypeRef};

use super::context::RequestCtx;
use super::flat::{Check, FlatValue};
use crate::error::ApiError;
use crate::policy::{self, RowFacts, Rule};

/// A resolver as the dynamic schema stores it.
pub(crate) type ResolveFn =
    Arc<dyn for<'a> Fn(ResolverContext<'a>) -> FieldFuture<'a> + Send + Sync>;

/// A field argument.
pub(crate) struct ArgDef {
    pub(crate) name: &'static str,
    pub(crate) ty: TypeRef,
    pub(crate) description: &'static str,
    pub(crate) default: Option<Value>,
}

/// An output field.
pub(crate) struct FieldDef {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) ty: TypeRef,
    pub(crate) args: Vec<ArgDef>,
    /// `None`: no rule in the table, so nobody may use it.
    pub(crate) rule: Option<Rule>,
    pub(crate) resolve: ResolveFn,
    /// For a field computed synchronously from the row ([`ObjectDef::value`]): the same
    /// computation, for [`super::flat`] pages.
    pub(crate) flat: Option<FlatFn>,
}

/// A value field's computation on a parent row given as `Any`, writing the value into a flat
/// page when the field's check accepts it (`false` when it does not, or when the row is not of
/// the field's parent type).
pub(crate) type FlatFn = Arc<dyn Fn(&dyn Any, &Check, &mut Vec<u8>) -> bool + Send + Sync>;

/// An input object field.
pub(crate) struct InputFieldDef {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) ty: TypeRef,
    pub(crate) rule: Option<Rule>,
}

/// An enum value.
pub(crate) struct EnumValueDef {
    pub(crate) name: String,
    pub(crate) description: String,
    /// Only sort-key enums carry rules; plain value enums have none and are always allowed.
    pub(crate) rule: Option<Rule>,
}

/// A subscription resolver as the dynamic schema stores it.
pub(crate) type SubscribeFn = Arc<
    dyn for<'a> Fn(ResolverContext<'a>) -> async_graphql::dynamic::SubscriptionFieldFuture<'a>
        + Send
        + Sync,
>;

/// A subscription field (a root field of `Subscription`).
pub(crate) struct SubscriptionDef {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) ty: TypeRef,
    pub(crate) args: Vec<ArgDef>,
    pub(crate) rule: Option<Rule>,
    pub(crate) subscribe: SubscribeFn,
}

/// One GraphQL type.
pub(crate) enum TypeDef {
    /// The `Subscription` root.
    Subscription { fields: Vec<SubscriptionDef> },
    /// An object type.
    Object {
        name: &'static str,
        description: &'static str,
        /// Federation `@key` fields.
        key: Option<&'static str>,
        fields: Vec<FieldDef>,
    },
    /// An input object type.
    Input {
        name: &'static str,
        description: &'static str,
        fields: Vec<InputFieldDef>,
    },
    /// An enum.
    Enum {
        name: &'static str,
        description: &'static str,
        /// Whether values carry rules (sort keys) that prune them per agency.
        governed: bool,
        values: Vec<EnumValueDef>,
    },
    /// A custom scalar with its validator.
    Scalar {
        name: &'static str,
        description: &'static str,
        validator: fn(&Value) -> bool,
    },
}

impl TypeDef {
    /// The type's name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            TypeDef::Subscription { .. } => "Subscription",
            TypeDef::Object { name, .. }
            | TypeDef::Input { name, .. }
            | TypeDef::Enum { name, .. }
            | TypeDef::Scalar { name, .. } => name,
        }
    }
}

/// A row the guard can check: it knows its facts and, for person-level data, what to audit.
pub(crate) trait Guarded: Any + Send + Sync {
    /// Whether this is the root value: root fields are checked statically (may the agency use
    /// this operation at all?); the resolver then checks the rows it touches.
    const ROOT: bool = false;
    /// For the root type: the value its fields see (dynamic roots carry no parent value).
    fn root_instance() -> Option<&'static Self> {
        None
    }
    /// The policy facts of this row for the caller.
    fn facts(&self) -> &RowFacts;
    /// The entity (type name and id) recorded in audit events when person-level fields of this
    /// row are read.
    fn audit_entity(&self) -> Option<crate::audit::AuditEntity> {
        None
    }
}

/// The parent value of root fields (`Query`, `Mutation`).
pub(crate) struct Root;

impl Guarded for Root {
    const ROOT: bool = true;
    fn root_instance() -> Option<&'static Self> {
        static ROOT: Root = Root;
        Some(&ROOT)
    }
    fn facts(&self) -> &RowFacts {
        static NONE: std::sync::LazyLock<RowFacts> = std::sync::LazyLock::new(RowFacts::default);
        &NONE
    }
}

/// An error as a resolver result: `null` with the error recorded at the field's path, so the
/// rest of the response stands (async-graphql's dynamic schema would otherwise drop the key).
pub(crate) fn fail<'a>(ctx: &ResolverContext<'a>, err: ApiError) -> FieldFuture<'a> {
    report(ctx.ctx, err);
    FieldFuture::Value(None)
}

/// Records `err` at the current field's path.
fn report(ctx: &async_graphql::Context<'_>, err: ApiError) {
    let request_id = ctx
        .data_opt::<std::sync::Arc<RequestCtx>>()
        .map(|r| r.request_id.as_str())
        .unwrap_or("-");
    let err = err.into_graphql(request_id).into_server_error(ctx.item.pos);
    ctx.add_error(ctx.set_error_path(err));
}

/// A scalar value as a resolver result (no allocation for the future).
pub(crate) fn value<'a>(v: impl Into<Value>) -> FieldFuture<'a> {
    let v: Value = v.into();
    FieldFuture::Value(if matches!(v, Value::Null) {
        None
    } else {
        Some(FieldValue::value(v))
    })
}

/// An async resolver body returning [`ApiError`]s, converted in the one place.
pub(crate) fn resolve_async<'a, F, R>(
    ctx: ResolverContext<'a>,
    body: impl FnOnce(ResolverContext<'a>) -> F,
) -> FieldFuture<'a>
where
    F: std::future::Future<Output = Result<Option<R>, ApiError>> + Send + 'a,
    R: Into<FieldValue<'a>> + Send,
{
    let gctx: &'a async_graphql::Context<'a> = ctx.ctx;
    let fut = body(ctx);
    FieldFuture::new(async move {
        match fut.await {
            Ok(v) => Ok(v.map(Into::into)),
            Err(e) => {
                report(gctx, e);
                Ok(None::<FieldValue<'a>>)
            }
        }
    })
}

/// Wraps `inner` in the policy guard for field `ty.field`.
///
/// Order: parent row → rule (none = deny) → [`policy::check`] against the row's facts →
/// purpose for person-level data → audit record → resolver. A denial is recorded for the audit
/// trail and returned as `FORBIDDEN` at the field's path; the rest of the response stands.
///
/// [`super::flat::nodes`] builds whole pages of value fields without calling the guard, and
/// leaves to it every page where any of these steps would deny, ask for a purpose or record
/// anything: a step added here must be added there too (or make it leave the page here).
pub(crate) fn guard<T, F>(
    ty: &'static str,
    field: &'static str,
    rule: Option<Rule>,
    inner: F,
) -> ResolveFn
where
    T: Guarded,
    F: for<'a> Fn(&'a T, ResolverContext<'a>) -> FieldFuture<'a> + Send + Sync + 'static,
{
    Arc::new(move |ctx: ResolverContext<'_>| {
        let Some(req) = RequestCtx::of(&ctx) else {
            return fail(&ctx, ApiError::Unauthenticated);
        };
        let Some(parent) = T::root_instance().or_else(|| ctx.parent_value.downcast_ref::<T>())
        else {
            return fail(
                &ctx,
                ApiError::internal(anyhow::anyhow!("{ty}.{field}: unexpected parent")),
            );
        };
        let Some(rule) = rule else {
            req.audit.denied(ty, field, parent.audit_entity());
            return fail(
                &ctx,
                ApiError::forbidden(format!("{ty}.{field} has no access rule")),
            );
        };
        let checked = if T::ROOT {
            policy::check_static(&req.principal, rule, ty)
        } else {
            policy::check(&req.principal, rule, ty, field, parent.facts())
        };
        if let Err(denial) = checked {
            req.audit.denied(ty, field, parent.audit_entity());
            return fail(&ctx, denial.into_error(ty, field));
        }
        if policy::person_level(rule) {
            if req.principal.purpose.is_none() {
                req.audit.purpose_missing(ty, field, parent.audit_entity());
                return fail(&ctx, ApiError::PurposeRequired);
            }
            if let Some(entity) = parent.audit_entity() {
                req.audit.read(entity, field);
            }
        }
        inner(parent, ctx)
    })
}

/// Builder of an object type whose parent values are `T`.
pub(crate) struct ObjectDef<T> {
    name: &'static str,
    description: &'static str,
    key: Option<&'static str>,
    fields: Vec<FieldDef>,
    _row: PhantomData<fn() -> T>,
}

impl<T: Guarded> ObjectDef<T> {
    /// A new object type.
    pub(crate) fn new(name: &'static str, description: &'static str) -> Self {
        ObjectDef {
            name,
            description,
            key: None,
            fields: Vec::new(),
            _row: PhantomData,
        }
    }

    /// Marks the type a federation entity with `@key(fields: key)`.
    pub(crate) fn key(mut self, key: &'static str) -> Self {
        self.key = Some(key);
        self
    }

    /// A field computed synchronously from the row.
    pub(crate) fn value<V, F>(
        self,
        name: &'static str,
        ty: TypeRef,
        description: &'static str,
        f: F,
    ) -> Self
    where
        V: FlatValue,
        F: Fn(&T) -> V + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let flat = f.clone();
        let mut def = self.field(name, ty, description, Vec::new(), move |row: &T, _ctx| {
            value(f(row))
        });
        if let Some(last) = def.fields.last_mut() {
            last.flat = Some(Arc::new(
                move |row: &dyn Any, check: &Check, out: &mut Vec<u8>| {
                    row.downcast_ref::<T>()
                        .is_some_and(|row| flat(row).write_flat(check, out))
                },
            ));
        }
        def
    }

    /// A field with its own resolver (async, arguments, nested objects).
    pub(crate) fn field<F>(
        mut self,
        name: &'static str,
        ty: TypeRef,
        description: &'static str,
        args: Vec<ArgDef>,
        f: F,
    ) -> Self
    where
        F: for<'a> Fn(&'a T, ResolverContext<'a>) -> FieldFuture<'a> + Send + Sync + 'static,
    {
        let rule = policy::rule(self.name, name);
        let resolve = guard::<T, F>(self.name, name, rule, f);
        self.fields.push(FieldDef {
            name,
            description,
            ty,
            args,
            rule,
            resolve,
            flat: None,
        });
        self
    }

    /// The finished type.
    pub(crate) fn build(self) -> TypeDef {
        TypeDef::Object {
            name: self.name,
            description: self.description,
            key: self.key,
            fields: self.fields,
        }
    }
}

/// Builder of an input object type.
pub(crate) struct InputDef {
    name: &'static str,
    description: &'static str,
    fields: Vec<InputFieldDef>,
}

impl InputDef {
    /// A new input type.
    pub(crate) fn new(name: &'static str, description: &'static str) -> Self {
        InputDef {
            name,
            description,
            fields: Vec::new(),
        }
    }

    /// An input field; its rule comes from the policy table.
    pub(crate) fn field(
        mut self,
        name: &'static str,
        ty: TypeRef,
        description: &'static str,
    ) -> Self {
        let rule = policy::rule(self.name, name);
        self.fields.push(InputFieldDef {
            name,
            description,
            ty,
            rule,
        });
        self
    }

    /// Adds the fields that `add` adds (fields shared by several input types).
    pub(crate) fn with(self, add: impl FnOnce(Self) -> Self) -> Self {
        add(self)
    }

    /// The finished type.
    pub(crate) fn build(self) -> TypeDef {
        TypeDef::Input {
            name: self.name,
            description: self.description,
            fields: self.fields,
        }
    }
}

/// A plain enum from a [`crate::domain::DomainEnum`].
pub(crate) fn domain_enum<E: crate::domain::DomainEnum>() -> TypeDef {
    TypeDef::Enum {
        name: E::NAME,
        description: E::DESCRIPTION.trim(),
        governed: false,
        values: E::iter()
            .map(|v| EnumValueDef {
                name: v.as_ref().to_string(),
                description: v.get_documentation().unwrap_or_default().trim().to_string(),
                rule: None,
            })
            .collect(),
    }
}

/// A sort-key enum: each value is governed by a rule (`(type, VALUE)` in the policy table).
pub(crate) fn sort_enum(
    name: &'static str,
    description: &'static str,
    values: &[(&'static str, &'static str)],
) -> TypeDef {
    TypeDef::Enum {
        name,
        description,
        governed: true,
        values: values
            .iter()
            .map(|(v, d)| EnumValueDef {
                name: (*v).to_string(),
                description: (*d).to_string(),
                rule: policy::rule(name, v),
            })
            .collect(),
    }
}

/// An argument.
pub(crate) fn arg(name: &'static str, ty: TypeRef, description: &'static str) -> ArgDef {
    ArgDef {
        name,
        ty,
        description,
        default: None,
    }
}

/// An argument with a default value.
pub(crate) fn arg_default(
    name: &'static str,
    ty: TypeRef,
    description: &'static str,
    default: impl Into<Value>,
) -> ArgDef {
    ArgDef {
        name,
        ty,
        description,
        default: Some(default.into()),
    }
}

/// A nested list field loaded through one of the request's batch loaders (batched, scoped).
pub(crate) fn load_list<'a, L, V>(
    ctx: ResolverContext<'a>,
    key: uuid::Uuid,
    pick: fn(&super::context::Loaders) -> &super::batch::Batcher<uuid::Uuid, L>,
) -> FieldFuture<'a>
where
    L: async_graphql::dataloader::Loader<
            uuid::Uuid,
            Value = Arc<Vec<Arc<V>>>,
            Error = super::loaders::LoadError,
        >,
    V: Send + Sync + 'static,
{
    resolve_async(ctx, move |ctx| async move {
        let req = RequestCtx::of(&ctx).ok_or(ApiError::Unauthenticated)?;
        let list = pick(&req.loaders)
            .load_one(key)
            .await
            .map_err(ApiError::from)?;
        Ok(Some(FieldValue::list(
            list.iter()
                .flat_map(|l| l.iter())
                .cloned()
                .map(FieldValue::owned_any),
        )))
    })
}

/// A nested object field loaded through one of the request's batch loaders; `null` when the row is
/// outside the caller's scope.
pub(crate) fn load_one<'a, L, V>(
    ctx: ResolverContext<'a>,
    key: Option<uuid::Uuid>,
    pick: fn(&super::context::Loaders) -> &super::batch::Batcher<uuid::Uuid, L>,
) -> FieldFuture<'a>
where
    L: async_graphql::dataloader::Loader<
            uuid::Uuid,
            Value = Arc<V>,
            Error = super::loaders::LoadError,
        >,
    V: Send + Sync + 'static,
{
    let Some(key) = key else {
        return FieldFuture::Value(None);
    };
    resolve_async(ctx, move |ctx| async move {
        let req = RequestCtx::of(&ctx).ok_or(ApiError::Unauthenticated)?;
        let row = pick(&req.loaders)
            .load_one(key)
            .await
            .map_err(ApiError::from)?;
        Ok(row.map(FieldValue::owned_any))
    })
}

/// A list field of rows named by ids (loaded through a by-id batch loader, out-of-scope ids
/// dropped), where the ids themselves come from another loader.
pub(crate) fn load_linked<'a, K, L, V>(
    ctx: ResolverContext<'a>,
    key: uuid::Uuid,
    links: fn(&super::context::Loaders) -> &super::batch::Batcher<uuid::Uuid, K>,
    rows: fn(&super::context::Loaders) -> &super::batch::Batcher<uuid::Uuid, L>,
) -> FieldFuture<'a>
where
    K: async_graphql::dataloader::Loader<
            uuid::Uuid,
            Value = Arc<Vec<uuid::Uuid>>,
            Error = super::loaders::LoadError,
        >,
    L: async_graphql::dataloader::Loader<
            uuid::Uuid,
            Value = Arc<V>,
            Error = super::loaders::LoadError,
        >,
    V: Send + Sync + 'static,
{
    resolve_async(ctx, move |ctx| async move {
        let req = RequestCtx::of(&ctx).ok_or(ApiError::Unauthenticated)?;
        let ids = links(&req.loaders)
            .load_one(key)
            .await
            .map_err(ApiError::from)?
            .unwrap_or_default();
        let found = rows(&req.loaders)
            .load_many(ids.iter().copied())
            .await
            .map_err(ApiError::from)?;
        let ordered: Vec<Arc<V>> = ids.iter().filter_map(|id| found.get(id).cloned()).collect();
        Ok(Some(FieldValue::list(
            ordered.into_iter().map(FieldValue::owned_any),
        )))
    })
}
