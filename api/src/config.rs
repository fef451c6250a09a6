//! Server configuration: one value the library builds the app from, so tests build it in code.
//!
//! The CLI (`crate::cli`) fills it from flags with environment fallbacks (`CTEX_*`); every
//! default here is the documented one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::graphql::Limits;

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
    /// Query limits.
    pub limits: Limits,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Requests taking longer are answered with an error.
    pub request_timeout: Duration,
    /// Requests served at once; more wait.
    pub max_concurrency: usize,
    /// Operations per batched request.
    pub max_batch: usize,
    /// Database pool size.
    pub db_pool: u32,
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
            max_batch: 10,
            db_pool: 16,
        }
    }
}
