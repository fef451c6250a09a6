//! Keyset pagination: opaque cursors and pages of rows.
//!
//! A cursor encodes the sort it was made for, the sort key of the last row and its id
//! (base64url JSON). It is only a position: rows after it are still filtered by the caller's
//! scope, and a cursor only ever holds values of a sort key the caller may read.
//! [`newest_first`] is the whole query of the lists sorted by creation, newest first (tips,
//! networks, flags, referrals); lists with their own sort build their rows and finish with
//! [`Page::from_rows`].

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Condition, Order, ValueType};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Faceted;
use crate::error::{ApiError, ApiResult};
use crate::policy::scope::Scoped;

/// A decoded cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// The sort the cursor belongs to (`CREATED`, `OPENED_AT` ...).
    #[serde(rename = "s")]
    pub(crate) sort: Cow<'static, str>,
    /// The sort key of the row, as text (absent for `CREATED`, which sorts by id).
    #[serde(rename = "k", skip_serializing_if = "Option::is_none", default)]
    pub(crate) key: Option<String>,
    /// The row id (tie-breaker).
    #[serde(rename = "i")]
    pub(crate) id: Uuid,
}

impl Cursor {
    /// The opaque string form.
    pub(crate) fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Parses `after` for a page sorted by `sort`; `field` names the argument in errors.
    pub(crate) fn decode(text: &str, sort: &str, field: &str) -> Result<Cursor, ApiError> {
        let bad = || ApiError::bad_input(field, "not a cursor returned by this query");
        if text.len() > 512 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.sort != sort {
            return Err(ApiError::bad_input(
                field,
                "the cursor belongs to another sort order",
            ));
        }
        Ok(cursor)
    }
}

/// One page of rows with their cursors.
pub(crate) struct Page<T> {
    /// The rows, each with its cursor.
    pub(crate) edges: Vec<Edge<T>>,
    /// Whether more rows follow.
    pub(crate) has_next: bool,
    /// Counts all rows matching the query in the caller's scope, when asked.
    pub(crate) count: Option<CountFn>,
}

impl<T> Page<T> {
    /// The page of `rows` read with `LIMIT first + 1`: the extra row, if any, only says that more
    /// follow. Each kept row gets the cursor `cursor` makes of it.
    pub(crate) fn from_rows(
        mut rows: Vec<T>,
        first: u64,
        cursor: impl Fn(&T) -> ApiResult<Cursor>,
        count: CountFn,
    ) -> ApiResult<Page<T>> {
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let edges = rows
            .into_iter()
            .map(|node| {
                Ok(Edge {
                    cursor: cursor(&node)?,
                    node,
                })
            })
            .collect::<ApiResult<_>>()?;
        Ok(Page {
            edges,
            has_next,
            count: Some(count),
        })
    }

    /// The same page with each row mapped (e.g. into the `Arc` a GraphQL parent value is).
    pub(crate) fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            edges: self
                .edges
                .into_iter()
                .map(|e| Edge {
                    cursor: e.cursor,
                    node: f(e.node),
                })
                .collect(),
            has_next: self.has_next,
            count: self.count,
        }
    }
}

/// A row and its cursor.
pub(crate) struct Edge<T> {
    /// The position of this row; encoded (into the opaque string) only when a client asks for
    /// it, so a page whose edges' cursors nobody reads does not encode one per row.
    pub(crate) cursor: Cursor,
    /// The row.
    pub(crate) node: T,
}

/// A deferred `COUNT(*)` over the same filter and scope as the page.
pub(crate) type CountFn = std::sync::Arc<
    dyn Fn() -> futures::future::BoxFuture<'static, Result<u64, ApiError>> + Send + Sync,
>;

/// A deferred count of `select`'s rows.
pub(crate) fn count_fn<E>(db: &sea_orm::DatabaseConnection, select: sea_orm::Select<E>) -> CountFn
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    let db = db.clone();
    std::sync::Arc::new(move || {
        let db = db.clone();
        let q = select.clone();
        Box::pin(async move { Ok(sea_orm::PaginatorTrait::count(q, &db).await?) })
    })
}

/// One page of the rows of `E` matching `base` within `scoped`, each with its facts, newest first:
/// by the UUIDv7 `id` column descending, after the cursor's id when given. Cursors carry `sort`
/// and the row id only; the deferred count covers the same filter and scope.
pub(crate) async fn newest_first<E>(
    db: &DatabaseConnection,
    base: Condition,
    id: E::Column,
    scoped: Scoped,
    sort: &str,
    after: Option<&Cursor>,
    first: u64,
) -> ApiResult<Page<Faceted<E::Model>>>
where
    E: EntityTrait,
    E::Model: super::decode::RowModel + Send + Sync,
{
    let count = count_fn(
        db,
        E::find().filter(scoped.scope.clone()).filter(base.clone()),
    );
    let mut q = E::find().filter(base);
    if let Some(c) = after {
        q = q.filter(id.lt(c.id));
    }
    let rows = super::scoped(q.order_by(id, Order::Desc).limit(first + 1), scoped)
        .all(db)
        .await?;
    Page::from_rows(
        rows,
        first,
        |node| {
            Ok(Cursor {
                sort: sort.to_string().into(),
                key: None,
                id: <Uuid as ValueType>::try_from(node.row.get(id)).map_err(ApiError::internal)?,
            })
        },
        count,
    )
}

/// Page size limits: `first` defaults to 20 and may not exceed 100.
pub(crate) const DEFAULT_PAGE: u64 = 20;
/// The largest `first` accepted.
pub(crate) const MAX_PAGE: u64 = 100;

/// Validates `first`.
pub(crate) fn page_size(first: Option<i64>) -> Result<u64, ApiError> {
    match first {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE as i64).contains(&n) => Ok(n as u64),
        Some(_) => Err(ApiError::bad_input(
            "first",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let c = Cursor {
            sort: "OPENED_AT".into(),
            key: Some("2026-01-01".into()),
            id: Uuid::now_v7(),
        };
        assert_eq!(
            Cursor::decode(&c.encode(), "OPENED_AT", "after").ok(),
            Some(c)
        );
    }

    #[test]
    fn a_cursor_of_another_sort_is_refused() {
        let c = Cursor {
            sort: "CREATED".into(),
            key: None,
            id: Uuid::now_v7(),
        };
        let err = Cursor::decode(&c.encode(), "OPENED_AT", "after").err();
        assert!(matches!(err, Some(ApiError::BadInput { .. })));
    }

    #[test]
    fn garbage_is_bad_input_not_a_panic() {
        for text in ["", "!!!", "eyJ9", &"A".repeat(10_000)] {
            assert!(matches!(
                Cursor::decode(text, "CREATED", "after"),
                Err(ApiError::BadInput { .. })
            ));
        }
    }

    #[test]
    fn the_extra_row_only_says_that_more_follow() -> Result<(), ApiError> {
        let count: CountFn = std::sync::Arc::new(|| Box::pin(async { Ok(3) }));
        let ids = vec![Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
        let cursor = |id: &Uuid| {
            Ok(Cursor {
                sort: "CREATED".into(),
                key: None,
                id: *id,
            })
        };

        let page = Page::from_rows(ids.clone(), 2, cursor, count.clone())?.map(|id| id.to_string());
        assert!(page.has_next);
        let nodes: Vec<String> = page.edges.iter().map(|e| e.node.clone()).collect();
        assert_eq!(nodes, [ids[0].to_string(), ids[1].to_string()]);
        let last = Cursor::decode(&page.edges[1].cursor.encode(), "CREATED", "after")?;
        assert_eq!(last.id, ids[1]);

        let all = Page::from_rows(ids, 3, cursor, count)?;
        assert_eq!((all.edges.len(), all.has_next), (3, false));
        Ok(())
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(page_size(None).ok(), Some(DEFAULT_PAGE));
        assert_eq!(page_size(Some(100)).ok(), Some(100));
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-5)).is_err());
    }
}
