//! `POST /graphql`: authenticate, admit (rate limits and the agency's concurrency share), parse
//! (JSON only), resolve the operation against the allow-list, refuse abusive documents before
//! validation ([`crate::graphql::armor`]), execute on the right schema, write the request's
//! audit events, classify errors, record metrics. The whole request runs under
//! `CTEX_REQUEST_TIMEOUT`.
//!
//! Only `application/json` bodies are accepted (a form, multipart or text POST cannot carry a
//! query: CSRF). Errors async-graphql raises itself (parse, validation, limits) get their
//! `extensions.code` here, in the one place; resolver errors already carry theirs.

use std::cell::Cell;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::dynamic::Schema;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchResponse, Request, Response, ServerError, Value, Variables};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use tower_http::request_id::RequestId;

use super::AppState;
use super::allowlist::{self, Named};
use super::auth::{self, AuthFailure};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::graphql::batch::{driven, unbudgeted};
use crate::graphql::flat::{self, RawPages};
use crate::graphql::{RequestCtx, armor};

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
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
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

/// The answer to a request refused as a whole: `RATE_LIMITED` (429 with `Retry-After`) or a
/// timeout (503).
fn refused_response(status: StatusCode, err: ApiError, request_id: &str) -> HttpResponse {
    let retry = match &err {
        ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
        _ => None,
    };
    let body = serde_json::json!({ "errors": [err.into_graphql(request_id)] });
    let mut resp = (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response();
    if let Some(secs) = retry {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
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

/// The handler of `POST /graphql`: [`handle`] under the request timeout.
pub(crate) async fn post_graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request_id_ext: Option<axum::Extension<RequestId>>,
    body: Body,
) -> HttpResponse {
    let request_id = request_id(&headers, request_id_ext.as_ref().map(|e| &e.0));
    let timeout = state.inner.config.request_timeout;
    match tokio::time::timeout(timeout, handle(&state, &headers, &request_id, body)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(request_id, "request abandoned: timeout");
            crate::telemetry::record_operation("-", "TIMEOUT", timeout.as_secs_f64());
            refused_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ApiError::TooComplex(format!(
                    "the request did not finish within {} s and was abandoned; ask for less",
                    timeout.as_secs_f64()
                )),
                &request_id,
            )
        }
    }
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    request_id: &str,
    body: Body,
) -> HttpResponse {
    let principal = match auth::authenticate(state, headers) {
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
    // A place in the agency's share and one operation of each bucket, before the body is read:
    // a flood is refused at the cost of a token check.
    let limiters = &state.inner.limiters;
    let _admission = match limiters.admit(principal.agency, &principal.subject, 1) {
        Ok(a) => a,
        Err(err) => {
            crate::telemetry::record_operation("-", "RATE_LIMITED", 0.0);
            return refused_response(StatusCode::TOO_MANY_REQUESTS, err, request_id);
        }
    };
    let limit = state.inner.config.body_limit;
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request body exceeds {limit} bytes"),
            "BAD_USER_INPUT",
            None,
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let bytes: Bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(e) if e.to_string().contains("length limit") => return too_large(),
        Err(_) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
                "BAD_USER_INPUT",
                None,
            );
        }
    };
    let max = state.inner.config.max_batch;
    let incoming = match parse_body(&bytes, max) {
        Ok(i) => i,
        Err(BodyError::TooMany) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &format!("a batch may hold at most {max} operations"),
                "QUERY_TOO_COMPLEX",
                None,
            );
        }
        Err(BodyError::Empty) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "the batch holds no operation",
                "BAD_USER_INPUT",
                None,
            );
        }
        Err(BodyError::NotGraphql) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "the body is not a GraphQL request (JSON with a `query`, or a list of them)",
                "BAD_USER_INPUT",
                None,
            );
        }
    };
    let principal = Arc::new(principal);
    let response = match incoming {
        Incoming::Single(wire) => {
            BatchResponse::Single(execute(state, &principal, request_id, wire).await)
        }
        Incoming::Batch(wires) => {
            // The first operation was admitted above; the others take their cells now.
            let more = u32::try_from(wires.len().saturating_sub(1)).unwrap_or(u32::MAX);
            if let Err(err) = limiters.charge(principal.agency, &principal.subject, more) {
                crate::telemetry::record_operation("-", "RATE_LIMITED", 0.0);
                return refused_response(StatusCode::TOO_MANY_REQUESTS, err, request_id);
            }
            let mut out = Vec::with_capacity(wires.len());
            for wire in wires {
                out.push(execute(state, &principal, request_id, wire).await);
            }
            BatchResponse::Batch(out)
        }
    };
    let retry = retry_after(&response);
    // Sized for a page of rows, so that serializing one does not regrow (and copy) the buffer
    // several times; the buffer lives until the response is sent. Flat pages are copied into
    // it as the JSON text they were built as.
    let mut body = Vec::with_capacity(16 * 1024);
    match flat::write_batch(&mut body, &response) {
        Ok(()) => {
            let mut resp = (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                body,
            )
                .into_response();
            if let Some(secs) = retry {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            resp
        }
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
            "INTERNAL",
            None,
        ),
    }
}

/// The longest `retryAfter` of the `RATE_LIMITED` errors of a response (a hit/no-hit search
/// refused inside an operation), for the `Retry-After` header.
fn retry_after(response: &BatchResponse) -> Option<u64> {
    let responses: Vec<&Response> = match response {
        BatchResponse::Single(r) => vec![r],
        BatchResponse::Batch(rs) => rs.iter().collect(),
    };
    responses
        .iter()
        .flat_map(|r| r.errors.iter())
        .filter_map(|e| e.extensions.as_ref())
        .filter(|ext| matches!(ext.get("code"), Some(Value::String(c)) if c == "RATE_LIMITED"))
        .filter_map(|ext| match ext.get("retryAfter") {
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        })
        .max()
}

/// One operation as sent in a `POST /graphql` body. Unknown members are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Wire {
    /// The document.
    #[serde(default)]
    pub(crate) query: Option<String>,
    /// Which operation of the document to run.
    #[serde(default)]
    pub(crate) operation_name: Option<String>,
    /// The variables (an object, or null).
    #[serde(default)]
    pub(crate) variables: Option<serde_json::Value>,
    /// Request extensions (`persistedQuery`).
    #[serde(default)]
    pub(crate) extensions: Option<serde_json::Value>,
    /// A persisted operation's id (allow-list).
    #[serde(default)]
    pub(crate) id: Option<String>,
    /// The same, as the GraphQL-over-HTTP draft names it.
    #[serde(default)]
    pub(crate) document_id: Option<String>,
}

/// A parsed body: one operation or a batch.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// `{ "query": … }`.
    Single(Wire),
    /// `[{ "query": … }, …]`.
    Batch(Vec<Wire>),
}

/// Why a body is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Not JSON, not UTF-8, or not shaped as GraphQL requests.
    NotGraphql,
    /// A batch of more than the allowed operations (`QUERY_TOO_COMPLEX`).
    TooMany,
    /// An empty batch.
    Empty,
}

/// Reads a body as one operation or a batch of at most `max_batch`, stopping at the first
/// operation past the limit (a 1,000-operation batch is refused after reading `max_batch + 1`).
pub(crate) fn parse_body(bytes: &[u8], max_batch: usize) -> Result<Incoming, BodyError> {
    let too_many = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = BodySeed {
        max: max_batch,
        too_many: &too_many,
    }
    .deserialize(&mut de)
    .and_then(|incoming| de.end().map(|()| incoming));
    match parsed {
        Ok(Incoming::Batch(b)) if b.is_empty() => Err(BodyError::Empty),
        Ok(incoming) => Ok(incoming),
        Err(_) if too_many.get() => Err(BodyError::TooMany),
        Err(_) => Err(BodyError::NotGraphql),
    }
}

struct BodySeed<'a> {
    max: usize,
    too_many: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for BodySeed<'_> {
    type Value = Incoming;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Incoming, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BodySeed<'_> {
    type Value = Incoming;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a GraphQL request or a list of them")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Incoming, A::Error> {
        Wire::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Incoming::Single)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Incoming, A::Error> {
        let mut out = Vec::new();
        while let Some(wire) = seq.next_element::<Wire>()? {
            if out.len() >= self.max {
                self.too_many.set(true);
                return Err(A::Error::custom("too many operations"));
            }
            out.push(wire);
        }
        Ok(Incoming::Batch(out))
    }
}

/// The `async_graphql::Request` of a wire operation, with its document taken from the allow-list
/// when it names a persisted one.
fn request_of(state: &AppState, wire: Wire) -> Result<Request, ApiError> {
    let sha = wire
        .extensions
        .as_ref()
        .and_then(|e| e.get("persistedQuery"))
        .and_then(|p| p.get("sha256Hash"))
        .and_then(|h| h.as_str());
    let list = state.allowlist();
    let query = allowlist::resolve(
        list.as_deref(),
        Named {
            query: wire.query.as_deref(),
            id: wire.id.as_deref().or(wire.document_id.as_deref()),
            sha256: sha,
        },
    )?;
    let variables = match wire.variables {
        None | Some(serde_json::Value::Null) => Variables::default(),
        Some(v @ serde_json::Value::Object(_)) => Variables::from_json(v),
        Some(_) => return Err(ApiError::bad_input("variables", "must be an object")),
    };
    let mut request = Request::new(query).variables(variables);
    if let Some(name) = wire.operation_name {
        request = request.operation_name(name);
    }
    Ok(request)
}

/// The document of a request that arrived without HTTP (a WebSocket `subscribe`), resolved
/// against the allow-list like an HTTP one (by text or `extensions.persistedQuery`).
pub(crate) fn resolve_listed(state: &AppState, mut request: Request) -> Result<Request, ApiError> {
    let sha = match request.extensions.get("persistedQuery") {
        Some(Value::Object(p)) => match p.get("sha256Hash") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    let list = state.allowlist();
    let query = allowlist::resolve(
        list.as_deref(),
        Named {
            query: Some(request.query.as_str()),
            id: None,
            sha256: sha.as_deref(),
        },
    )?;
    request.query = query;
    Ok(request)
}

/// Checks a request's document against the limits before it is validated ([`armor::scan`] on
/// the text, [`armor::check_document`] on the parsed document, kept for execution; a text
/// parsed before comes from the document cache) and picks
/// the schema that runs it ([`crate::graphql::Schemas::executing`]).
pub(crate) fn prepare<'s>(
    state: &'s AppState,
    principal: &Principal,
    request: &mut Request,
) -> Result<&'s Schema, ApiError> {
    let limits = &state.inner.config.limits;
    armor::scan(&request.query, limits)?;
    let variables = request.variables.clone();
    let documents = &state.inner.documents;
    match documents.get(&request.query) {
        Some(doc) => request.set_parsed_query(doc),
        None => {
            let doc = request
                .parsed_query()
                .map_err(|e| ApiError::bad_input("query", e.message))?
                .clone();
            documents.insert(&request.query, doc);
        }
    }
    let doc = request
        .parsed_query()
        .map_err(|e| ApiError::bad_input("query", e.message))?;
    let schemas = &state.inner.schemas;
    let shape = armor::check_document(doc, schemas.full.registry(), &variables, limits)?;
    Ok(schemas.executing(principal.agency, &shape))
}

/// Whether the operation `request` selects (by its operation name, or the only one) reads the
/// primary rather than a read replica: a mutation (its response shows what it wrote) or a
/// subscription (each event is loaded right after the write that raised it, which a lagging
/// replica may not hold yet: the event would be lost). An unparsable document or an unknown
/// name does not: execution refuses those.
pub(crate) fn reads_primary(request: &mut Request) -> bool {
    matches!(
        operation_type(request),
        Some(OperationType::Mutation | OperationType::Subscription)
    )
}

/// The type of the operation `request` selects (by its operation name, or the only one);
/// `None` for an unparsable document or an unknown name.
pub(crate) fn operation_type(request: &mut Request) -> Option<OperationType> {
    use async_graphql::parser::types::DocumentOperations;
    let name = request.operation_name.clone();
    let Ok(doc) = request.parsed_query() else {
        return None;
    };
    let op = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    op.map(|op| op.node.ty)
}

/// A response carrying one error, for an operation refused before execution.
pub(crate) fn refusal(err: ApiError, request_id: &str) -> Response {
    let err = err.into_graphql(request_id);
    let mut server = ServerError::new(err.message, None);
    server.extensions = err.extensions;
    Response::from_errors(vec![server])
}

/// Executes one wire operation as `principal` (allow-list, limits, execution) and finishes its
/// audit.
async fn execute(
    state: &AppState,
    principal: &Arc<Principal>,
    request_id: &str,
    wire: Wire,
) -> Response {
    let started = Instant::now();
    let operation = operation_label(wire.operation_name.as_deref());
    let prepared = request_of(state, wire).and_then(|mut request| {
        prepare(state, principal, &mut request).map(|schema| (request, schema))
    });
    let mut response = match prepared {
        Err(err) => refusal(err, request_id),
        Ok((mut request, schema)) => {
            // A mutation reads what it wrote: its response (and every nested field of it) comes
            // from the primary, not from a read replica that may not have caught up yet.
            let read_db = if reads_primary(&mut request) {
                &state.inner.db
            } else {
                &state.inner.read_db
            };
            let ctx = Arc::new(
                RequestCtx::new(
                    principal.clone(),
                    request_id.to_string(),
                    operation.clone(),
                    state.inner.db.clone(),
                    read_db.clone(),
                )
                .with_events(state.inner.events.clone()),
            );
            let request = request
                .data(ctx.clone())
                .data(state.inner.events.clone())
                .data(state.inner.limiters.hits.clone())
                .data(RawPages);
            // Driven, and outside tokio's budget, so that sibling fields join one batch
            // (`graphql::batch`).
            let mut response = unbudgeted(driven(schema.execute(request))).await;
            if let Err(err) = crate::audit::flush_reads(&state.inner.audit, &ctx).await {
                tracing::error!(request_id, error = %format!("{err:#}"), "audit write failed; response withheld");
                response = Response::from_errors(vec![internal(request_id)]);
            }
            response
        }
    };
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
///
/// A field that reported its own error and answered `null` where its type is non-null also gets
/// async-graphql's "non-null types require a return value" at the same path; that echo is
/// dropped, so the caller sees the field's real error once (not a second, `INTERNAL` one).
pub(crate) fn classify(errors: &mut Vec<ServerError>, request_id: &str) {
    const NON_NULL: &str = "internal: non-null types require a return value";
    let reported: Vec<Vec<async_graphql::PathSegment>> = errors
        .iter()
        .filter(|e| e.message != NON_NULL)
        .map(|e| e.path.clone())
        .collect();
    errors.retain(|e| e.message != NON_NULL || !reported.iter().any(|p| p.starts_with(&e.path)));
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
            tracing::error!(request_id, error = %err.message, "unclassified resolver error masked");
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
pub(crate) fn operation_label(name: Option<&str>) -> String {
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
    fn bodies_are_one_operation_or_a_bounded_batch() {
        assert!(
            matches!(
                parse_body(br#"{"query": "{ me { agency } }", "id": 3, "x": [1]}"#, 5),
                Err(BodyError::NotGraphql)
            ),
            "a number is no id"
        );
        assert!(matches!(
            parse_body(br#"{"query": "{ me { agency } }", "other": [1]}"#, 5),
            Ok(Incoming::Single(_))
        ));
        let batch: String = format!("[{}]", [r#"{"query":"{ __typename }"}"#; 5].join(","));
        assert!(matches!(parse_body(batch.as_bytes(), 5), Ok(Incoming::Batch(b)) if b.len() == 5));
        let big: String = format!("[{}]", [r#"{"query":"{ __typename }"}"#; 1000].join(","));
        assert_eq!(
            parse_body(big.as_bytes(), 5).err(),
            Some(BodyError::TooMany)
        );
        assert_eq!(parse_body(b"[]", 5).err(), Some(BodyError::Empty));
        for bad in [
            &b"query=%7B%7D"[..],
            b"\xff\xfe",
            b"[1, 2]",
            b"\"q\"",
            b"{\"query\": 1}",
            b"{} x",
            b"",
        ] {
            assert_eq!(
                parse_body(bad, 5).err(),
                Some(BodyError::NotGraphql),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_body(&[b'{', 0xff, b'}'], 5).err(),
            Some(BodyError::NotGraphql)
        );
    }

    #[test]
    fn a_non_null_echo_of_a_field_error_is_dropped() {
        let path = vec![async_graphql::PathSegment::Field(
            "overdueVerifications".into(),
        )];
        let mut real = ServerError::new("must be between 1 and 100", None);
        real.path = path.clone();
        let mut ext = async_graphql::ErrorExtensionValues::default();
        ext.set("code", "BAD_USER_INPUT");
        real.extensions = Some(ext);
        let mut echo = ServerError::new("internal: non-null types require a return value", None);
        echo.path = path.clone();
        let mut errors = vec![real, echo.clone()];
        classify(&mut errors, "r");
        assert_eq!(errors.len(), 1);
        // Alone, it is a real bug: masked as INTERNAL.
        let mut errors = vec![echo];
        classify(&mut errors, "r");
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0]
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .cloned(),
            Some(Value::from("INTERNAL"))
        );
    }

    #[test]
    fn operation_labels_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("drop table; --")), "invalid");
        assert_eq!(operation_label(Some("GetCase")), "GetCase");
    }
}
