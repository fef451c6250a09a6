//! `persons`: search persons in your scope by name (diacritics, case and word order ignored),
//! birth-date range and nationality. Only agencies that read every identity in their scope may
//! search, so a search cannot reveal what a field guard would hide.

use std::sync::Arc;

use async_graphql::dynamic::{FieldValue, ResolverContext, TypeRef};

use super::common::{DATE, connection};
use super::context::RequestCtx;
use super::input::Input;
use super::model::{InputDef, ObjectDef, Root, TypeDef, arg, arg_default, resolve_async};
use super::person::PersonNode;
use crate::error::{ApiError, ApiResult};
use crate::policy::RowFacts;
use crate::store::page::{Cursor, Edge, Page, page_size};
use crate::store::search::{self as store, PersonFilter};

/// The types of this module.
pub(crate) fn types() -> Vec<TypeDef> {
    let s = |n: &str| TypeRef::named(n.to_string());
    let mut types = vec![
        InputDef::new("PersonFilter", "Person search.")
            .field(
                "name",
                s(TypeRef::STRING),
                "Full name, matched with diacritics, case and word order ignored.",
            )
            .field("bornFrom", s(DATE), "Born on or after.")
            .field("bornTo", s(DATE), "Born before.")
            .field(
                "nationality",
                s(TypeRef::STRING),
                "Nationality (ISO alpha-2).",
            )
            .build(),
        ObjectDef::<Root>::new("Query", "")
            .field(
                "persons",
                s("PersonConnection"),
                "Persons in your scope matching the filter, newest first.",
                vec![
                    arg("filter", s("PersonFilter"), "Filters."),
                    arg_default(
                        "first",
                        TypeRef::named_nn(TypeRef::INT),
                        "Page size (1-100).",
                        20,
                    ),
                    arg("after", s(TypeRef::STRING), "Continue after this cursor."),
                ],
                |_, ctx| {
                    resolve_async(ctx, |ctx| async move {
                        search(&ctx).await.map(|p| Some(FieldValue::owned_any(p)))
                    })
                },
            )
            .build(),
    ];
    types.extend(connection::<PersonNode>(
        "PersonConnection",
        "PersonEdge",
        "Person",
    ));
    types
}

async fn search(ctx: &ResolverContext<'_>) -> ApiResult<Page<PersonNode>> {
    let req = RequestCtx::of(ctx).ok_or(ApiError::Unauthenticated)?;
    let input = Input::new(
        ctx.args.get("filter").and_then(|v| v.object().ok()),
        "filter",
    );
    input.authorize(req, "PersonFilter", &RowFacts::default())?;
    let filter = PersonFilter {
        name_folded: input
            .string("name", 200)?
            .map(|n| crate::normalize::fold_name(&n))
            .filter(|n| !n.is_empty()),
        born_from: input.date("bornFrom")?,
        born_to: input.date("bornTo")?,
        nationality: input
            .string("nationality", 8)?
            .map(|n| n.to_ascii_uppercase()),
    };
    let first = page_size(ctx.args.get("first").and_then(|v| v.i64().ok()))?;
    let after = match ctx.args.get("after").and_then(|v| v.string().ok()) {
        Some(s) => Some(Cursor::decode(s, "CREATED", "after")?),
        None => None,
    };
    let page = store::persons(&req.read_db, &req.principal, &filter, after.as_ref(), first).await?;
    Ok(Page {
        edges: page
            .edges
            .into_iter()
            .map(|e| Edge {
                cursor: e.cursor,
                node: Arc::new(e.node),
            })
            .collect(),
        has_next: page.has_next,
        count: page.count,
    })
}
