//! HTTP: the axum router of DESIGN §3.2 and its middleware.
//!
//! `POST /graphql` (JSON only), `GET /graphql` (GraphiQL, dev mode only), `GET /healthz`,
//! `GET /readyz`, `GET /metrics`. Every request gets an `x-request-id` (accepted or generated,
//! echoed, and on every log line of the request), a body limit, a timeout and a place under a
//! concurrency cap. Handlers never log bodies, tokens or personal data.

mod auth;
pub(crate) mod graphiql;
mod graphql;
mod health;
mod ws;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sea_orm::DatabaseConnection;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::TrustStore;
use crate::config::Config;
use crate::graphql::Schemas;

/// The header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Shared state of the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) db: DatabaseConnection,
    pub(crate) read_db: DatabaseConnection,
    pub(crate) schemas: Schemas,
    pub(crate) trust: RwLock<Arc<TrustStore>>,
    pub(crate) config: Config,
    pub(crate) audit: crate::audit::AuditWriter,
    pub(crate) events: crate::events::EventBus,
}

impl AppState {
    /// State for a server over these databases and trust store.
    pub fn new(
        config: Config,
        db: DatabaseConnection,
        read_db: DatabaseConnection,
        schemas: Schemas,
        trust: TrustStore,
        events: crate::events::EventBus,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                audit: crate::audit::AuditWriter::spawn(db.clone()),
                events,
                db,
                read_db,
                schemas,
                trust: RwLock::new(Arc::new(trust)),
                config,
            }),
        }
    }

    /// The current trust store.
    pub(crate) fn trust(&self) -> Arc<TrustStore> {
        match self.inner.trust.read() {
            Ok(t) => t.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads the trust file (key rotation, revocations); on error the current one stays.
    pub fn reload_trust(&self) -> anyhow::Result<()> {
        let store = TrustStore::load(&self.inner.config.trust_path)?;
        match self.inner.trust.write() {
            Ok(mut t) => *t = Arc::new(store),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(store),
        }
        Ok(())
    }

    /// The primary database.
    pub fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }
}

fn request_id_of<B>(req: &Request<B>) -> String {
    req.extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// The router with all routes and middleware.
pub fn router(state: AppState) -> Router {
    let config = &state.inner.config;
    let mut routes = Router::new()
        .route("/graphql", post(graphql::post_graphql))
        .route("/graphql/ws", get(ws::ws))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics));
    if config.dev {
        routes = routes.merge(graphiql::routes());
    } else {
        routes = routes.route("/graphql", get(graphql::get_refused));
    }
    let timeout = config.request_timeout;
    let concurrency = config.max_concurrency;
    routes
        .fallback(not_found)
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                        tracing::info_span!("request", request_id = %request_id_of(req), method = %req.method(), path = %req.uri().path())
                    }),
                )
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(CatchPanicLayer::custom(|_| {
                    graphql::error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error", "INTERNAL", None)
                }))
                .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout.max(Duration::from_millis(1))))
                .layer(tower::limit::ConcurrencyLimitLayer::new(concurrency.max(1))),
        )
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain"),
        )],
        "not found",
    )
        .into_response()
}
