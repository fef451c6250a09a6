//! Test harness for ctex's black-box tests: start the real router on `127.0.0.1:0` against a
//! fresh database, mint tokens with throwaway dev keys, speak HTTP to it.
//!
//! Every test runs on SQLite (a temporary file) and on PostgreSQL when
//! `CTEX_TEST_DATABASE_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`): a
//! uniquely named database is created per test and dropped afterwards. When the variable is set
//! and PostgreSQL is unreachable the test fails; it never silently skips.
//!
//! Logs stay silent unless `TEST_LOG` is set (then they go to stderr).

use std::path::{Path, PathBuf};
use std::time::Duration;

use ctex::auth::keys::{self, TokenSpec};
use ctex::config::Config;
use ctex::domain::Agency;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tempfile::TempDir;

pub use ctex;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file.
    Sqlite,
    /// A fresh database on the server named by `CTEX_TEST_DATABASE_URL`.
    Postgres,
}

/// The PostgreSQL admin URL for tests, if configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("CTEX_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Installs the log subscriber once when `TEST_LOG` is set.
pub fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        ctex::telemetry::init_logging(
            "info,ctex=debug,sqlx=warn",
            ctex::telemetry::LogFormat::Text,
        );
    }
}

/// A database made for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    /// The URL the server connects to.
    pub url: String,
    /// PostgreSQL: the admin URL and database name, to drop it.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// Creates a fresh database for `backend` (SQLite files live in `dir`).
    pub async fn create(backend: Backend, dir: &Path) -> anyhow::Result<TestDb> {
        match backend {
            Backend::Sqlite => Ok(TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("ctex.db").display()),
                pg: None,
            }),
            Backend::Postgres => {
                let admin = postgres_admin_url()
                    .ok_or_else(|| anyhow::anyhow!("CTEX_TEST_DATABASE_URL is not set"))?;
                let name = format!("ctex_test_{}", uuid::Uuid::new_v4().simple());
                let conn = Database::connect(admin.as_str()).await.map_err(|e| {
                    anyhow::anyhow!(
                        "CTEX_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"
                    )
                })?;
                conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                conn.close().await?;
                let url = with_database(&admin, &name);
                Ok(TestDb {
                    url,
                    pg: Some((admin, name)),
                })
            }
        }
    }

    /// A direct connection, for assertions on stored rows.
    pub async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        Ok(Database::connect(self.url.as_str()).await?)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // A separate thread with its own runtime: Drop may run inside an async test.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(conn) = Database::connect(admin.as_str()).await {
                        let _ = conn
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// `postgres://u@h:p/db?x` with the database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

/// A running server for one test.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The bound address.
    pub addr: std::net::SocketAddr,
    /// HTTP client.
    pub http: reqwest::Client,
    /// Folder with the dev keys and trust file.
    pub dir: TempDir,
    /// The test's database.
    pub db: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// Options for [`TestApp::spawn_with`].
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Dev mode (GraphiQL, suggestions).
    pub dev: bool,
    /// Edits the configuration before the server starts.
    pub configure: Option<fn(&mut Config)>,
}

impl TestApp {
    /// Starts a server on `backend` with default options.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, Options::default()).await
    }

    /// Starts a server on `backend`.
    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        init_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        keys::init(dir.path()).expect("dev keys");
        let db = TestDb::create(backend, dir.path())
            .await
            .expect("test database");
        let mut config = Config::new(db.url.clone());
        config.bind = "127.0.0.1:0".parse().expect("addr");
        config.trust_path = keys::trust_file_path(dir.path());
        config.dev = options.dev;
        config.db_pool = 8;
        if let Some(configure) = options.configure {
            configure(&mut config);
        }
        let app = ctex::app::App::build(config).await.expect("app builds");
        let addr = app.local_addr().expect("local addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = app
                .run_until(async move {
                    let _ = rx.await;
                })
                .await;
        });
        TestApp {
            base: format!("http://{addr}"),
            addr,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            dir,
            db,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// The keys folder.
    pub fn keys_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// A token for `agency` with subject `sub`.
    pub fn token(&self, agency: Agency, sub: &str) -> String {
        self.token_with(TokenSpec::new(agency, sub))
    }

    /// A token from a full spec.
    pub fn token_with(&self, spec: TokenSpec) -> String {
        keys::mint(self.dir.path(), &spec).expect("mint token")
    }

    /// POSTs a GraphQL request; returns the HTTP status and JSON body.
    pub async fn post(
        &self,
        token: Option<&str>,
        purpose: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        let mut req = self.http.post(format!("{}/graphql", self.base)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(purpose) = purpose {
            req = req.header("x-access-purpose", purpose);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
        (status, json)
    }

    /// Runs `query` with `variables` as `token`, with a purpose.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        self.post(
            Some(token),
            Some("integration test"),
            &json!({ "query": query, "variables": variables }),
        )
        .await
        .1
    }

    /// Runs `query` without a purpose header.
    pub async fn gql_no_purpose(&self, token: &str, query: &str, variables: Value) -> Value {
        self.post(
            Some(token),
            None,
            &json!({ "query": query, "variables": variables }),
        )
        .await
        .1
    }

    /// GET on a path, returning status and text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("request sent");
        (
            resp.status().as_u16(),
            resp.text().await.unwrap_or_default(),
        )
    }

    /// Stops the server, finishing in-flight requests.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The `extensions.code` of every error in a response, in order.
pub fn codes(resp: &Value) -> Vec<String> {
    resp["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The first error code of a response, or `""`.
pub fn code(resp: &Value) -> String {
    codes(resp).into_iter().next().unwrap_or_default()
}

/// Asserts a response has no errors and returns its `data`.
pub fn data(resp: &Value) -> &Value {
    assert!(
        resp.get("errors").is_none() || resp["errors"].is_null(),
        "unexpected errors: {resp}"
    );
    &resp["data"]
}

/// Declares a test that runs once on SQLite and once on PostgreSQL:
/// `both!(name, |app| async move { ... });` where `app` is a started [`TestApp`].
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::TestApp::spawn($crate::Backend::Sqlite).await;
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::postgres_admin_url().is_none() {
                    eprintln!("CTEX_TEST_DATABASE_URL not set: PostgreSQL half not run");
                    return;
                }
                let $app = $crate::TestApp::spawn($crate::Backend::Postgres).await;
                $body.await;
            }
        }
    };
}

/// The opening fields of a valid `openCase` input, for tests to extend.
pub fn case_input(number: &str, province: &str) -> Value {
    json!({
        "caseNumber": number,
        "title": format!("Vụ án {number}"),
        "province": province,
        "legalBasis": "ART_150",
    })
}

/// Opens a case as `token`; returns its id.
pub async fn open_case(app: &TestApp, token: &str, input: Value) -> String {
    let resp = app
        .gql(
            token,
            "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    data(&resp)["openCase"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("openCase failed: {resp}"))
        .to_string()
}

/// Adds a party; returns `(party id, person id)`.
pub async fn add_party(app: &TestApp, token: &str, input: Value) -> (String, String) {
    let resp = app
        .gql(
            token,
            "mutation($i: AddPartyInput!) { addParty(input: $i) { id person { id } } }",
            json!({ "i": input }),
        )
        .await;
    let party = &data(&resp)["addParty"];
    (
        party["id"]
            .as_str()
            .unwrap_or_else(|| panic!("addParty failed: {resp}"))
            .to_string(),
        party["person"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("addParty person: {resp}"))
            .to_string(),
    )
}
