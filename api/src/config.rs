//! Server configuration: one value the library builds the app from, so tests build it in code.
//!
//! The CLI (`crate::cli`) fills it from flags with environment fallbacks (`CTEX_*`); every
//! default here is the documented one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::graphql::Limits;
use crate::ratelimit::RateConfig;

/// Everything `serve` needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on (`CTEX_BIND`, default `127.0.0.1:8080`); port 0 picks a free one.
    pub bind: SocketAddr,
    /// Primary database (`CTEX_DATABASE_URL`, default `sqlite://ctex.db?mode=rwc`).
    pub database_url: String,
    /// Read replica for queries (`CTEX_READ_DATABASE_URL`); the primary when absent.
    pub read_database_url: Option<String>,
    /// The trust file (`CTEX_TRUST`, default `.ctex/trust.toml`).
    pub trust_path: PathBuf,
    /// Dev mode: creates dev keys if missing, serves GraphiQL, gives field suggestions.
    pub dev: bool,
    /// Load the demo dataset at start when the database holds no case yet (`CTEX_DEMO`).
    pub demo: bool,
    /// Query limits (depth, cost, aliases, directives, tokens, length ...).
    pub limits: Limits,
    /// Largest request body accepted, in bytes (`CTEX_BODY_LIMIT`).
    pub body_limit: usize,
    /// Requests taking longer are abandoned and answered with an error
    /// (`CTEX_REQUEST_TIMEOUT`).
    pub request_timeout: Duration,
    /// Requests served at once; more wait (`CTEX_MAX_CONCURRENCY`).
    pub max_concurrency: usize,
    /// GraphQL requests one agency may have in flight at once; one more is `RATE_LIMITED`, so
    /// one agency cannot take every place (`CTEX_AGENCY_CONCURRENCY`; 0: no share).
    pub agency_concurrency: usize,
    /// Operations per batched request (`CTEX_MAX_BATCH`).
    pub max_batch: usize,
    /// Token buckets per subject, per agency and for hit/no-hit searches (`CTEX_RATE_*`).
    pub rates: RateConfig,
    /// Origins allowed to call from a browser (`CTEX_CORS_ORIGINS`); none: no CORS headers.
    pub cors_origins: Vec<String>,
    /// The persisted-operation allow-list file (`CTEX_ALLOWLIST`); when set, only the
    /// operations it lists run.
    pub allowlist: Option<PathBuf>,
    /// Database pool size.
    pub db_pool: u32,
    /// A pooled connection idle this long is pinged before use (`CTEX_DB_PING_IDLE_MS`; zero:
    /// every checkout), see [`crate::db::connect_pinging`].
    pub db_ping_idle: Duration,
}

impl Config {
    /// A configuration with the documented defaults for `database_url`.
    pub fn new(database_url: impl Into<String>) -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: database_url.into(),
            read_database_url: None,
            trust_path: PathBuf::from(".ctex/trust.toml"),
            dev: false,
            demo: false,
            limits: Limits::default(),
            body_limit: 2 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_concurrency: 512,
            agency_concurrency: 128,
            max_batch: 5,
            rates: RateConfig::default(),
            cors_origins: Vec::new(),
            allowlist: None,
            db_pool: 16,
            db_ping_idle: crate::db::DEFAULT_PING_IDLE,
        }
    }
}
