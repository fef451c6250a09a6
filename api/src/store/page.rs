//! Keyset pagination: opaque cursors and pages of rows.
//!
//! A cursor encodes the sort it was made for, the sort key of the last row and its id
//! (base64url JSON). It is only a position: rows after it are still filtered by the caller's
//! scope, and a cursor only ever holds values of a sort key the caller may read.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

/// A decoded cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// The sort the cursor belongs to (`CREATED`, `OPENED_AT` ...).
    #[serde(rename = "s")]
    pub(crate) sort: String,
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

/// A row and its cursor.
pub(crate) struct Edge<T> {
    /// The opaque cursor of this row.
    pub(crate) cursor: String,
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
    fn page_size_is_bounded() {
        assert_eq!(page_size(None).ok(), Some(DEFAULT_PAGE));
        assert_eq!(page_size(Some(100)).ok(), Some(100));
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-5)).is_err());
    }
}
