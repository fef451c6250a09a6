//! `/healthz` (the process is up), `/readyz` (database reachable, migrations current) and
//! `/metrics` (Prometheus text).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

/// 200 while the process serves requests.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// 200 when the database answers and no migration is pending, else 503 with the reason.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    match crate::db::ready(&state.inner.db).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(reason) => (StatusCode::SERVICE_UNAVAILABLE, reason).into_response(),
    }
}

/// Prometheus metrics.
pub(crate) async fn metrics() -> Response {
    crate::store::decode::publish_metrics();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::telemetry::metrics_handle().render(),
    )
        .into_response()
}
