//! `POST /graphql`: authenticate, parse (JSON only), execute on the right schema, write the
//! request's audit events, classify errors, record metrics.
//!
//! Only `application/json` bodies are accepted (a form POST cannot carry a query: CSRF). Errors
//! async-graphql raises itself (parse, validation, limits) get their `extensions.code` here, in
//! the one place; resolver errors already carry theirs.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::{BatchRequest, BatchResponse, Request, Response, ServerError, Value};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use tower_http::request_id::RequestId;

use super::AppState;
use super::auth::{self, AuthFailure};
use crate::auth::Principal;
use crate::graphql::RequestCtx;

/// A GraphQL-shaped error response outside execution (auth, body, content type).
pub(crate) fn error_response(
    status: StatusCode,
    message: &str,
    code: &str,
    field: Option<&str>,
) -> HttpResponse {
    let mut ext = serde_json::Map::new();
    ext.insert("code".into(), code.into());
    if let Some(field) = field {
        ext.insert("field".into(), field.into());
    }
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": ext }] });
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    resp
}

/// `GET /graphql` outside dev mode: queries over GET are refused (they would be cacheable and
/// linkable, and mutations over GET are CSRF).
pub(crate) async fn get_refused() -> HttpResponse {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "use POST with Content-Type: application/json",
        "BAD_USER_INPUT",
        None,
    )
}

fn request_id(headers: &HeaderMap, ext: Option<&RequestId>) -> String {
    ext.and_then(|id| id.header_value().to_str().ok())
        .or_else(|| headers.get(super::REQUEST_ID).and_then(|v| v.to_str().ok()))
        .unwrap_or("-")
        .to_string()
}

/// The handler of `POST /graphql`.
pub(crate) async fn post_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request_id_ext: Option<axum::Extension<RequestId>>,
    body: Body,
) -> HttpResponse {
    let request_id = request_id(&headers, request_id_ext.as_ref().map(|e| &e.0));
    let principal = match auth::authenticate(&state, &headers) {
        Ok(p) => p,
        Err(AuthFailure::Unauthenticated) => {
            crate::telemetry::record_operation("-", "UNAUTHENTICATED", 0.0);
            return error_response(
                StatusCode::UNAUTHORIZED,
                "authentication required",
                "UNAUTHENTICATED",
                None,
            );
        }
        Err(AuthFailure::BadPurpose(err)) => {
            let message = err.to_string();
            return error_response(
                StatusCode::BAD_REQUEST,
                &message,
                "BAD_USER_INPUT",
                Some("X-Access-Purpose"),
            );
        }
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
            "BAD_USER_INPUT",
            None,
        );
    }
    let limit = state.inner.config.body_limit;
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the request body exceeds {limit} bytes"),
                "BAD_USER_INPUT",
                None,
            );
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "the body is not a GraphQL request (JSON with a `query`, or a list of them)",
                "BAD_USER_INPUT",
                None,
            );
        }
    };
    let principal = Arc::new(principal);
    let response = match batch {
        BatchRequest::Single(request) => {
            BatchResponse::Single(execute(&state, &principal, &request_id, request).await)
        }
        BatchRequest::Batch(requests) => {
            let max = state.inner.config.max_batch;
            if requests.len() > max {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    &format!("a batch may hold at most {max} operations"),
                    "QUERY_TOO_COMPLEX",
                    None,
                );
            }
            let mut out = Vec::with_capacity(requests.len());
            for request in requests {
                out.push(execute(&state, &principal, &request_id, request).await);
            }
            BatchResponse::Batch(out)
        }
    };
    match serde_json::to_vec(&response) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
            "INTERNAL",
            None,
        ),
    }
}

/// Whether a query asks for introspection (`__schema` or `__type`, not `__typename`): it is then
/// answered from the caller's contract schema.
fn wants_introspection(query: &str) -> bool {
    if query.contains("__schema") {
        return true;
    }
    query.match_indices("__type").any(|(i, m)| {
        !query[i + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Executes one operation as `principal` and finishes its audit.
pub(crate) async fn execute(
    state: &AppState,
    principal: &Arc<Principal>,
    request_id: &str,
    request: Request,
) -> Response {
    let started = Instant::now();
    let operation = operation_label(request.operation_name.as_deref());
    let schema = if wants_introspection(&request.query) {
        state.inner.schemas.for_agency(principal.agency)
    } else {
        &state.inner.schemas.full
    };
    let ctx = Arc::new(
        RequestCtx::new(
            principal.clone(),
            request_id.to_string(),
            operation.clone(),
            state.inner.db.clone(),
            state.inner.read_db.clone(),
        )
        .with_events(state.inner.events.clone()),
    );
    let mut response = schema
        .execute(request.data(ctx.clone()).data(state.inner.events.clone()))
        .await;
    if let Err(err) = crate::audit::flush_reads(&state.inner.audit, &ctx).await {
        tracing::error!(request_id, error = %format!("{err:#}"), "audit write failed; response withheld");
        response = Response::from_errors(vec![internal(request_id)]);
    }
    classify(&mut response.errors, request_id);
    let outcome = response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|e| e.get("code"))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            _ => "ERROR".to_string(),
        })
        .unwrap_or_else(|| "OK".to_string());
    crate::telemetry::record_operation(&operation, &outcome, started.elapsed().as_secs_f64());
    response
}

pub(crate) fn internal(request_id: &str) -> ServerError {
    let mut err = ServerError::new("internal error", None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "INTERNAL");
    ext.set("requestId", request_id);
    err.extensions = Some(ext);
    err
}

/// Gives every error without a code its code (DESIGN §3.4): limits → `QUERY_TOO_COMPLEX`,
/// other parse and validation errors → `BAD_USER_INPUT` (with the argument as `field` when the
/// message names one); anything else is masked as `INTERNAL`.
fn classify(errors: &mut [ServerError], request_id: &str) {
    for err in errors.iter_mut() {
        let has_code = err
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let msg = err.message.to_ascii_lowercase();
        let (code, field) = if msg.contains("too complex")
            || msg.contains("too deep")
            || msg.contains("nested too deep")
            || msg.contains("too many")
            || msg.contains("exceed")
            || msg.contains("recursion")
        {
            ("QUERY_TOO_COMPLEX", None)
        } else if err.path.is_empty() {
            ("BAD_USER_INPUT", argument_name(&err.message))
        } else {
            tracing::error!(request_id, "unclassified resolver error masked");
            err.message = "internal error".to_string();
            ("INTERNAL", None)
        };
        let ext = err.extensions.get_or_insert_with(Default::default);
        ext.set("code", code);
        if let Some(field) = field {
            ext.set("field", field);
        }
        if code == "INTERNAL" {
            ext.set("requestId", request_id);
        }
    }
}

/// The argument a validation message names (`Invalid value for argument "input.openedAt"`).
fn argument_name(message: &str) -> Option<String> {
    let start = message.find("argument \"")? + "argument \"".len();
    let rest = &message[start..];
    let end = rest.find('"')?;
    Some(rest[..end].to_string())
}

/// Operation names label metrics; free text from callers is bounded so it cannot blow up the
/// number of series.
fn operation_label(name: Option<&str>) -> String {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let Some(name) = name else {
        return "anonymous".to_string();
    };
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return "invalid".to_string();
    }
    let Ok(mut seen) = SEEN.lock() else {
        return "other".to_string();
    };
    if seen.iter().any(|s| s == name) {
        return name.to_string();
    }
    if seen.len() >= 256 {
        return "other".to_string();
    }
    seen.push(name.to_string());
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_get_bad_user_input_with_the_argument() {
        let mut errors = vec![ServerError::new(
            "Invalid value for argument \"input.openedAt\", expected type \"DateTime\"",
            None,
        )];
        classify(&mut errors, "r");
        let ext = errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(ext, Some(Value::from("BAD_USER_INPUT")));
        let field = errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("field"))
            .cloned();
        assert_eq!(field, Some(Value::from("input.openedAt")));
    }

    #[test]
    fn limit_errors_are_query_too_complex() {
        let mut errors = vec![ServerError::new("Query is nested too deep.", None)];
        classify(&mut errors, "r");
        let ext = errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(ext, Some(Value::from("QUERY_TOO_COMPLEX")));
    }

    #[test]
    fn unknown_resolver_errors_are_masked() {
        let mut err = ServerError::new("relation \"person\" does not exist", None);
        err.path = vec![async_graphql::PathSegment::Field("case".into())];
        let mut errors = vec![err];
        classify(&mut errors, "req-9");
        assert_eq!(errors[0].message, "internal error");
        let rid = errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("requestId"))
            .cloned();
        assert_eq!(rid, Some(Value::from("req-9")));
    }

    #[test]
    fn typename_is_not_introspection() {
        assert!(!wants_introspection("{ case(id: 1) { __typename id } }"));
        assert!(wants_introspection(
            "{ __type(name: \"Case\") { fields { name } } }"
        ));
        assert!(wants_introspection("{ __schema { types { name } } }"));
    }

    #[test]
    fn operation_labels_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("drop table; --")), "invalid");
        assert_eq!(operation_label(Some("GetCase")), "GetCase");
    }
}
