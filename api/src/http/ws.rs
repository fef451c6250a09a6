//! `GET /graphql/ws`: subscriptions over graphql-transport-ws (and the older graphql-ws).
//!
//! The token travels in the `connection_init` payload (`{"Authorization": "Bearer …",
//! "X-Access-Purpose": "…"}`), is verified like any request's, and the connection closes when it
//! expires. Every event pushed to a subscriber is audited (its person-level reads are committed
//! before the event is sent) like a query's response.
//!
//! Each `subscribe` is treated as an HTTP operation would be: it takes one cell of the subject's
//! and the agency's rate limits, must be on the allow-list when one is configured (by its text or
//! `extensions.persistedQuery.sha256Hash`; an `id` cannot be sent in this protocol), and passes
//! the same document limits; introspection is answered from the caller's contract schema. A
//! refusal is a single error for that subscription; the connection stays open. Connections do
//! not count in the agency's concurrency share (they are long-lived).

use std::sync::{Arc, Mutex};

use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response as HttpResponse;
use futures::StreamExt;
use futures::stream::BoxStream;

use super::AppState;
use super::auth::{self, AuthFailure};
use crate::error::ApiError;
use crate::graphql::RequestCtx;

/// The GraphQL executor of one WebSocket connection: the full schema, with the connection's
/// request context and the audit of every response.
#[derive(Clone)]
struct Connection {
    state: AppState,
    ctx: Arc<Mutex<Option<Arc<RequestCtx>>>>,
}

impl Connection {
    fn ctx(&self) -> Option<Arc<RequestCtx>> {
        self.ctx.lock().ok().and_then(|c| c.clone())
    }

    /// Rate limits, allow-list and document limits for one operation of the connection; the
    /// request to run and its schema, or the response refusing it.
    fn admit(
        &self,
        ctx: &RequestCtx,
        request: Request,
    ) -> Result<(Request, async_graphql::dynamic::Schema), Box<Response>> {
        let state = &self.state;
        let principal = &ctx.principal;
        let refuse = |err| Box::new(super::graphql::refusal(err, &ctx.request_id));
        state
            .inner
            .limiters
            .charge(principal.agency, &principal.subject, 1)
            .map_err(refuse)?;
        let mut request = super::graphql::resolve_listed(state, request).map_err(refuse)?;
        let schema = super::graphql::prepare(state, principal, &mut request)
            .map_err(refuse)?
            .clone();
        Ok((request, schema))
    }

    /// The context `request` runs with: the connection's, but a mutation or a subscription gets
    /// its own, reading the primary (a mutation's response shows what it wrote, and a
    /// subscription's events are loaded as soon as they are written, even when queries read a
    /// replica that has not caught up; as over HTTP, `graphql::reads_primary`). A mutation's
    /// has its own request id and operation name; a subscription's keeps the connection's.
    fn context_for(&self, ctx: &Arc<RequestCtx>, request: &mut Request) -> Arc<RequestCtx> {
        let (request_id, operation) = match super::graphql::operation_type(request) {
            Some(OperationType::Mutation) => (
                uuid::Uuid::now_v7().to_string(),
                super::graphql::operation_label(request.operation_name.as_deref()),
            ),
            Some(OperationType::Subscription) => (ctx.request_id.clone(), ctx.operation.clone()),
            _ => return ctx.clone(),
        };
        let inner = &self.state.inner;
        Arc::new(
            RequestCtx::new(
                ctx.principal.clone(),
                request_id,
                operation,
                inner.db.clone(),
                inner.db.clone(),
            )
            .with_events(inner.events.clone()),
        )
    }
}

impl Executor for Connection {
    async fn execute(&self, request: Request) -> Response {
        let Some(ctx) = self.ctx() else {
            return super::graphql::refusal(ApiError::Unauthenticated, "-");
        };
        let (mut request, schema) = match self.admit(&ctx, request) {
            Ok(admitted) => admitted,
            Err(refused) => return *refused,
        };
        let ctx = self.context_for(&ctx, &mut request);
        // Driven, and outside tokio's budget, so that sibling fields join one batch
        // (`graphql::batch`).
        let response = crate::graphql::batch::unbudgeted(crate::graphql::batch::driven(
            schema.execute(
                request
                    .data(ctx.clone())
                    .data(self.state.inner.limiters.hits.clone()),
            ),
        ))
        .await;
        audited(&self.state, &ctx, response).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let state = self.state.clone();
        let ctx = self.ctx();
        let session = session_data.unwrap_or_default();
        let admitted = match &ctx {
            Some(ctx) => self.admit(ctx, request),
            None => Err(Box::new(super::graphql::refusal(
                ApiError::Unauthenticated,
                "-",
            ))),
        };
        let (mut request, schema) = match admitted {
            Ok(admitted) => admitted,
            Err(refused) => return futures::stream::once(async move { *refused }).boxed(),
        };
        // A mutation's or subscription's own context (request data comes before the session's).
        let ctx = ctx.map(|ctx| self.context_for(&ctx, &mut request));
        let request = match &ctx {
            Some(ctx) => request.data(ctx.clone()),
            None => request,
        };
        let stream = schema.execute_stream_with_session_data(request, session);
        stream
            .then(move |response| {
                let state = state.clone();
                let ctx = ctx.clone();
                async move {
                    match ctx {
                        Some(ctx) => audited(&state, &ctx, response).await,
                        None => response,
                    }
                }
            })
            .boxed()
    }
}

/// Commits the reads a response made before it is sent; without its audit, no data leaves.
/// Errors get their codes as over HTTP.
async fn audited(state: &AppState, ctx: &RequestCtx, mut response: Response) -> Response {
    if let Err(err) = crate::audit::flush_reads(&state.inner.audit, ctx).await {
        tracing::error!(request_id = %ctx.request_id, error = %format!("{err:#}"), "audit write failed; event withheld");
        response = Response::from_errors(vec![super::graphql::internal(&ctx.request_id)]);
    }
    super::graphql::classify(&mut response.errors, &ctx.request_id);
    response
}

fn header_value<'a>(payload: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    payload
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// The handler of `GET /graphql/ws`.
pub(crate) async fn ws(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(state, socket, protocol))
}

async fn serve(state: AppState, socket: axum::extract::ws::WebSocket, protocol: GraphQLProtocol) {
    let connection = Connection {
        state: state.clone(),
        ctx: Arc::new(Mutex::new(None)),
    };
    let (expires_tx, expires_rx) = tokio::sync::oneshot::channel::<i64>();
    let slot = connection.ctx.clone();
    let init_state = state.clone();
    let server = GraphQLWebSocket::new(socket, connection, protocol).on_connection_init(
        move |payload| async move {
            let principal = match auth::authenticate_token(
                &init_state,
                header_value(&payload, "authorization"),
                header_value(&payload, auth::PURPOSE),
            ) {
                Ok(p) => Arc::new(p),
                Err(AuthFailure::Unauthenticated) => {
                    return Err(async_graphql::Error::new("authentication required"));
                }
                Err(AuthFailure::BadPurpose(e)) => {
                    return Err(async_graphql::Error::new(e.to_string()));
                }
            };
            let _ = expires_tx.send(principal.expires_at);
            let ctx = Arc::new(
                RequestCtx::new(
                    principal,
                    uuid::Uuid::now_v7().to_string(),
                    "subscription".to_string(),
                    init_state.inner.db.clone(),
                    init_state.inner.read_db.clone(),
                )
                .with_events(init_state.inner.events.clone()),
            );
            if let Ok(mut s) = slot.lock() {
                *s = Some(ctx.clone());
            }
            let mut data = Data::default();
            data.insert(ctx);
            data.insert(init_state.inner.events.clone());
            data.insert(init_state.inner.limiters.hits.clone());
            Ok(data)
        },
    );
    let expiry = async move {
        match expires_rx.await {
            Ok(at) => {
                let left = u64::try_from(at - chrono::Utc::now().timestamp()).unwrap_or(0);
                tokio::time::sleep(std::time::Duration::from_secs(left)).await;
                tracing::info!("closing a subscription connection: its token expired");
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = server.serve() => {}
        _ = expiry => {}
    }
}
