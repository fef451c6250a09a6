//! Logs and metrics.
//!
//! Logs are structured `tracing` events (text or JSON, `CTEX_LOG` filter); every line of a
//! request carries its `request_id`. Nothing here, or anywhere, logs personal data: no query
//! text, no variables, no token, no name. Metrics are Prometheus counters and histograms
//! rendered at `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global tracing subscriber (once; later calls do nothing).
pub fn init_logging(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let recorder = PrometheusBuilder::new()
            .set_buckets(&buckets)
            .map(|b| b.build_recorder())
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Another recorder may be installed already (tests embedding the app): keep ours local.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts every SQL statement the connection runs (`ctex_sql_statements_total`), and logs the
/// start of each at `debug` under the target `ctex::sql` (`CTEX_LOG=info,ctex::sql=debug`).
pub fn count_statements(db: &mut DatabaseConnection) {
    metrics_handle();
    db.set_metric_callback(|info| {
        metrics::counter!("ctex_sql_statements_total").increment(1);
        tracing::debug!(
            target: "ctex::sql",
            statement = %info.statement.sql.chars().take(120).collect::<String>(),
            failed = info.failed,
            micros = info.elapsed.as_micros() as u64,
            "sql statement"
        );
    });
}

/// Records one GraphQL operation.
pub fn record_operation(operation: &str, outcome: &str, seconds: f64) {
    let labels = [
        ("operation", operation.to_string()),
        ("outcome", outcome.to_string()),
    ];
    metrics::counter!("ctex_graphql_requests_total", &labels).increment(1);
    metrics::histogram!("ctex_graphql_request_duration_seconds", &labels).record(seconds);
}
