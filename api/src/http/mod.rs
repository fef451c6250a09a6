//! HTTP: the axum router of DESIGN §3.2 and its middleware.
//!
//! `POST /graphql` (JSON only), `GET /graphql` (GraphiQL, dev mode only; 405 otherwise),
//! `GET /graphql/ws`, `GET /healthz`, `GET /readyz`, `GET /metrics`. Every request gets an
//! `x-request-id` (accepted or generated, echoed, and on every log line of the request), a
//! timeout and a place under the global concurrency cap; GraphQL requests also a body limit, a
//! place in their agency's concurrency share and their rate limits (`crate::ratelimit`), and
//! the allow-list when one is configured ([`allowlist`]). CORS headers are sent only for the
//! origins configured (`CTEX_CORS_ORIGINS`); every response says `nosniff`. Handlers never log
//! bodies, tokens or personal data.

pub mod allowlist;
mod auth;
#[cfg(test)]
mod fuzz;
pub(crate) mod graphiql;
mod graphql;
mod health;
mod ws;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sea_orm::DatabaseConnection;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::TrustStore;
use crate::config::Config;
use crate::graphql::Schemas;
use crate::ratelimit::Limiters;
use allowlist::AllowList;

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
    /// Rate limits and agency concurrency shares.
    pub(crate) limiters: Limiters,
    /// The persisted-operation allow-list, when `CTEX_ALLOWLIST` is set.
    pub(crate) allowlist: RwLock<Option<Arc<AllowList>>>,
    /// Documents parsed before, by query text.
    pub(crate) documents: crate::graphql::documents::DocumentCache,
}

impl AppState {
    /// State for a server over these databases and trust store (and allow-list, if any).
    pub fn new(
        config: Config,
        db: DatabaseConnection,
        read_db: DatabaseConnection,
        schemas: Schemas,
        trust: TrustStore,
        events: crate::events::EventBus,
        allowlist: Option<AllowList>,
    ) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                audit: crate::audit::AuditWriter::spawn(db.clone()),
                events,
                limiters: Limiters::new(config.rates, config.agency_concurrency),
                allowlist: RwLock::new(allowlist.map(Arc::new)),
                documents: Default::default(),
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

    /// The current allow-list, if one is configured.
    pub(crate) fn allowlist(&self) -> Option<Arc<AllowList>> {
        match self.inner.allowlist.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the allow-list file (when one is configured); on error the current one stays.
    pub fn reload_allowlist(&self) -> anyhow::Result<()> {
        let Some(path) = &self.inner.config.allowlist else {
            return Ok(());
        };
        let list = Arc::new(AllowList::load(path)?);
        match self.inner.allowlist.write() {
            Ok(mut l) => *l = Some(list),
            Err(poisoned) => *poisoned.into_inner() = Some(list),
        }
        Ok(())
    }

    /// The rate limiters (pruned once a minute by the server).
    pub fn limiters(&self) -> &Limiters {
        &self.inner.limiters
    }
}

/// The CORS layer for the configured origins; `None` (no CORS headers at all, so browsers keep
/// other origins out) when none is configured.
pub fn cors(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let mut values = Vec::with_capacity(origins.len());
    for origin in origins {
        let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
            && !origin.ends_with('/')
            && origin != "*";
        if !valid {
            anyhow::bail!(
                "CORS origin `{origin}` must be a scheme and host without a path, e.g. \
                 https://portal.example.gov.vn"
            );
        }
        values.push(HeaderValue::from_str(origin)?);
    }
    Ok(Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(values))
            .allow_methods([Method::POST, Method::GET])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static(auth::PURPOSE),
                REQUEST_ID,
            ])
            .expose_headers([REQUEST_ID, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    ))
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
    // The handler answers a timed-out GraphQL request itself (with a GraphQL error); this layer
    // is the net for everything else, a little later.
    let timeout = config.request_timeout + Duration::from_secs(1);
    let concurrency = config.max_concurrency;
    let cors = cors(&config.cors_origins).ok().flatten();
    let router =
        routes
            .fallback(not_found)
            .with_state(state)
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ));
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
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
