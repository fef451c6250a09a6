//! The one error type at the API boundary and its mapping to `extensions.code` (DESIGN §3.4).
//!
//! Every resolver returns [`ApiError`]; [`ApiError::into_graphql`] is the only place an error
//! becomes a GraphQL error. Internal errors (database, I/O, bugs) are logged here with the request
//! id and masked: their message never reaches a caller. Nothing in this module may format a
//! database error, a file path or personal data into a message that leaves the process.
//!
//! Resolvers must not use `?` on foreign error types into `async_graphql::Error` (its blanket
//! `From<impl Display>` would echo raw messages); they convert into [`ApiError`] instead, and a
//! foreign error converts into [`ApiError::Internal`] only.

use async_graphql::{ErrorExtensions, Value};
use std::fmt;

/// The stable error codes of DESIGN §3.4, as they appear in `extensions.code`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::AsRefStr, strum::EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The token is missing, malformed, expired or not trusted (HTTP 401).
    Unauthenticated,
    /// The caller's agency may not read or write this field or operation.
    Forbidden,
    /// Person-level data was requested without an access purpose.
    PurposeRequired,
    /// No such record, or none the caller may see (never reveals which).
    NotFound,
    /// An argument is invalid; `extensions.field` names it.
    BadUserInput,
    /// A stale `version`, a duplicate, or an idempotency key reused for another operation.
    Conflict,
    /// A lifecycle move that is not allowed from the current state or for this agency.
    InvalidTransition,
    /// The query exceeds a depth, complexity, alias or size limit.
    QueryTooComplex,
    /// The caller exceeded its rate limit.
    RateLimited,
    /// Something failed inside ctex; the message is masked, `extensions.requestId` finds the log.
    Internal,
}

impl ErrorCode {
    /// The `extensions.code` string, e.g. `BAD_USER_INPUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::PurposeRequired => "PURPOSE_REQUIRED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::InvalidTransition => "INVALID_TRANSITION",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error a resolver or request handler can return.
///
/// Each variant's doc says its `extensions.code`. Messages are written for the caller: they may
/// name fields and allowed values, never internal details or another agency's data.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// `UNAUTHENTICATED`.
    #[error("authentication required")]
    Unauthenticated,
    /// `FORBIDDEN`: the message says what was refused (a field or operation name).
    #[error("{0}")]
    Forbidden(String),
    /// `PURPOSE_REQUIRED`.
    #[error(
        "reading person-level data requires an access purpose (X-Access-Purpose header or \
         `purpose` claim, 3-200 characters)"
    )]
    PurposeRequired,
    /// `NOT_FOUND`: the message names the kind of record only.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// `BAD_USER_INPUT` with `extensions.field`.
    #[error("{message}")]
    BadInput {
        /// The argument path, e.g. `input.openedAt`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// `CONFLICT`.
    #[error("{0}")]
    Conflict(String),
    /// `INVALID_TRANSITION`: names the current state and the allowed moves.
    #[error("{message}")]
    InvalidTransition {
        /// What was refused and what is allowed.
        message: String,
        /// The moves allowed from the current state for the caller.
        allowed: Vec<String>,
    },
    /// `QUERY_TOO_COMPLEX`.
    #[error("{0}")]
    TooComplex(String),
    /// `RATE_LIMITED`, with the seconds after which to retry.
    #[error("rate limit exceeded; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// `INTERNAL`: the source is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A `BAD_USER_INPUT` error for `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A `FORBIDDEN` error.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden(message.into())
    }

    /// An `INTERNAL` error wrapping any error (database, I/O ...).
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(err.into())
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Unauthenticated => ErrorCode::Unauthenticated,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::PurposeRequired => ErrorCode::PurposeRequired,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::BadInput { .. } => ErrorCode::BadUserInput,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            ApiError::TooComplex(_) => ErrorCode::QueryTooComplex,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Converts into the GraphQL error sent to the caller; the one place codes are attached.
    ///
    /// An internal error is logged here (with its source chain and the request id) and its
    /// message replaced by a generic one carrying `extensions.requestId`.
    pub fn into_graphql(self, request_id: &str) -> async_graphql::Error {
        let code = self.code();
        if let ApiError::Internal(source) = &self {
            tracing::error!(request_id, error = %format!("{source:#}"), "internal error");
        }
        let message = self.to_string();
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            match &self {
                ApiError::BadInput { field, .. } => ext.set("field", field.as_str()),
                ApiError::InvalidTransition { allowed, .. } => ext.set(
                    "allowed",
                    Value::List(allowed.iter().map(|s| Value::from(s.as_str())).collect()),
                ),
                ApiError::RateLimited { retry_after_secs } => {
                    ext.set("retryAfter", *retry_after_secs)
                }
                ApiError::Internal(_) => ext.set("requestId", request_id),
                _ => {}
            }
        })
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::Internal(err.into())
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(err: sea_orm::TransactionError<ApiError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl From<std::sync::Arc<ApiError>> for ApiError {
    /// Rebuilds an error shared between the waiters of a loader batch (internal sources are
    /// flattened to their text, which is logged, never shown).
    fn from(err: std::sync::Arc<ApiError>) -> Self {
        match &*err {
            ApiError::Unauthenticated => ApiError::Unauthenticated,
            ApiError::Forbidden(m) => ApiError::Forbidden(m.clone()),
            ApiError::PurposeRequired => ApiError::PurposeRequired,
            ApiError::NotFound(what) => ApiError::NotFound(what),
            ApiError::BadInput { field, message } => ApiError::BadInput {
                field: field.clone(),
                message: message.clone(),
            },
            ApiError::Conflict(m) => ApiError::Conflict(m.clone()),
            ApiError::InvalidTransition { message, allowed } => ApiError::InvalidTransition {
                message: message.clone(),
                allowed: allowed.clone(),
            },
            ApiError::TooComplex(m) => ApiError::TooComplex(m.clone()),
            ApiError::RateLimited { retry_after_secs } => ApiError::RateLimited {
                retry_after_secs: *retry_after_secs,
            },
            ApiError::Internal(source) => ApiError::Internal(anyhow::anyhow!("{source:#}")),
        }
    }
}

/// Result of API operations.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    fn ext(err: &async_graphql::Error, key: &str) -> Option<Value> {
        err.extensions.as_ref().and_then(|e| e.get(key)).cloned()
    }

    fn code_of(err: ApiError) -> String {
        match ext(&err.into_graphql("req-1"), "code") {
            Some(Value::String(s)) => s,
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn every_variant_maps_to_its_documented_code() {
        let cases: Vec<(ApiError, &str)> = vec![
            (ApiError::Unauthenticated, "UNAUTHENTICATED"),
            (ApiError::forbidden("no"), "FORBIDDEN"),
            (ApiError::PurposeRequired, "PURPOSE_REQUIRED"),
            (ApiError::NotFound("case"), "NOT_FOUND"),
            (
                ApiError::bad_input("input.title", "too long"),
                "BAD_USER_INPUT",
            ),
            (ApiError::Conflict("stale version".into()), "CONFLICT"),
            (
                ApiError::InvalidTransition {
                    message: "no".into(),
                    allowed: vec![],
                },
                "INVALID_TRANSITION",
            ),
            (ApiError::TooComplex("deep".into()), "QUERY_TOO_COMPLEX"),
            (
                ApiError::RateLimited {
                    retry_after_secs: 3,
                },
                "RATE_LIMITED",
            ),
            (ApiError::internal(anyhow::anyhow!("boom")), "INTERNAL"),
        ];
        assert_eq!(
            cases.len(),
            ErrorCode::iter().count(),
            "a code lacks a mapping test"
        );
        for (err, code) in cases {
            assert_eq!(code_of(err), code);
        }
    }

    #[test]
    fn codes_match_their_strum_names() {
        for code in ErrorCode::iter() {
            assert_eq!(code.as_str(), code.as_ref());
        }
    }

    #[test]
    fn internal_errors_are_masked_and_carry_the_request_id() {
        let db = sea_orm::DbErr::Custom("relation \"person\" does not exist at /src/db.rs".into());
        let err = ApiError::from(db).into_graphql("req-42");
        assert_eq!(err.message, "internal error");
        assert_eq!(ext(&err, "requestId"), Some(Value::from("req-42")));
        let json = serde_json::to_string(&err).unwrap_or_default();
        assert!(
            !json.contains("person") && !json.contains("/src/"),
            "leaked: {json}"
        );
    }

    #[test]
    fn bad_input_names_the_field() {
        let err = ApiError::bad_input("input.openedAt", "not a date").into_graphql("r");
        assert_eq!(ext(&err, "field"), Some(Value::from("input.openedAt")));
        assert_eq!(err.message, "not a date");
    }

    #[test]
    fn invalid_transition_lists_allowed_moves() {
        let err = ApiError::InvalidTransition {
            message: "cannot move".into(),
            allowed: vec!["TRIAL".into()],
        }
        .into_graphql("r");
        assert_eq!(
            ext(&err, "allowed"),
            Some(Value::List(vec![Value::from("TRIAL")]))
        );
    }

    #[test]
    fn rate_limited_says_when_to_retry() {
        let err = ApiError::RateLimited {
            retry_after_secs: 7,
        }
        .into_graphql("r");
        assert_eq!(ext(&err, "retryAfter"), Some(Value::from(7)));
    }
}
