//! Test harness for ctex's black-box tests: start the real router on `127.0.0.1:0` against a
//! fresh database, mint tokens with throwaway dev keys, speak HTTP to it.
//!
//! Every test runs on SQLite (a temporary file) and on PostgreSQL when
//! `CTEX_TEST_DATABASE_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`): a
//! uniquely named database is created per test and dropped afterwards. When the variable is set
//! and PostgreSQL is unreachable the test fails; it never silently skips.
//!
//! Logs stay silent unless `TEST_LOG` is set (then they go to stderr).
//!
//! # Layout
//! - [`TestDb`]: a fresh database per test; [`Backend`] says which, [`postgres_or_skip`] guards
//!   the PostgreSQL-only tests.
//! - [`TestApp`]: the router in this process (`both!` runs a test on each backend).
//! - [`TestEnv`] and [`ServerProcess`]: `ctex-under-test serve` as a child process, for what
//!   only a process shows (signals, logs, several servers on one database). The binary's path
//!   comes from [`server_bin!`], expanded in the integration test.
//! - Helpers that open cases and add parties, and read codes and data out of responses.

use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

/// Whether the PostgreSQL half of a test runs: `true` when `CTEX_TEST_DATABASE_URL` is set,
/// otherwise `false` after saying so on stderr. A test that needs PostgreSQL starts with
/// `if !postgres_or_skip() { return; }`.
pub fn postgres_or_skip() -> bool {
    let configured = postgres_admin_url().is_some();
    if !configured {
        eprintln!("CTEX_TEST_DATABASE_URL not set: PostgreSQL half not run");
    }
    configured
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
        TestDb::create_named(backend, dir, "ctex").await
    }

    /// [`TestDb::create`], the SQLite file named `<stem>.db` (for a second database beside the
    /// first).
    pub async fn create_named(backend: Backend, dir: &Path, stem: &str) -> anyhow::Result<TestDb> {
        match backend {
            Backend::Sqlite => Ok(TestDb {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.join(format!("{stem}.db")).display()
                ),
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
    /// The server's shared state, kept to reload its trust file ([`TestApp::reload_trust`]);
    /// declared before `dir` and `db` so its connection pool is released before they go.
    state: ctex::http::AppState,
    /// Folder with the dev keys and trust file.
    pub dir: TempDir,
    /// The test's database.
    pub db: TestDb,
    /// The read replica's database, with [`Options::stale_replica`].
    pub replica: Option<TestDb>,
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
    /// A persisted-operation allow-list: written to a file in the test's folder and set as
    /// `CTEX_ALLOWLIST`.
    pub allowlist: Option<Value>,
    /// Queries read a second database (`CTEX_READ_DATABASE_URL`), migrated and empty: a read
    /// replica that has not caught up with anything written.
    pub stale_replica: bool,
}

/// One HTTP answer kept raw: status, headers and body text, for tests that look at what an
/// attack gets back.
#[derive(Debug)]
pub struct RawReply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as sent.
    pub text: String,
}

impl RawReply {
    /// The body parsed as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
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
        if let Some(list) = &options.allowlist {
            let path = dir.path().join("allowlist.json");
            std::fs::write(&path, list.to_string()).expect("write the allow-list");
            config.allowlist = Some(path);
        }
        let replica = match options.stale_replica {
            true => {
                let replica = TestDb::create_named(backend, dir.path(), "replica")
                    .await
                    .expect("replica database");
                let conn = replica.connect().await.expect("replica connection");
                ctex::db::migrate(&conn).await.expect("replica schema");
                conn.close().await.expect("replica closes");
                config.read_database_url = Some(replica.url.clone());
                Some(replica)
            }
            false => None,
        };
        if let Some(configure) = options.configure {
            configure(&mut config);
        }
        let app = ctex::app::App::build(config).await.expect("app builds");
        let addr = app.local_addr().expect("local addr");
        let state = app.state().clone();
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
            replica,
            state,
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

    /// Reloads the server's trust file (the one in [`TestApp::keys_dir`] unless `configure`
    /// moved it), as SIGHUP does in a served process; on error the previous trust stays in force.
    pub fn reload_trust(&self) -> anyhow::Result<()> {
        self.state.reload_trust()
    }

    /// POSTs a GraphQL request; returns the HTTP status and JSON body.
    pub async fn post(
        &self,
        token: Option<&str>,
        purpose: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        post_json(&self.http, &self.base, token, purpose, body).await
    }

    /// POSTs a GraphQL request with `authorization` as the raw `Authorization` header value
    /// (or none); returns the HTTP status and the body exactly as sent.
    pub async fn post_raw(
        &self,
        authorization: Option<&str>,
        purpose: Option<&str>,
        body: &Value,
    ) -> (u16, String) {
        post_graphql(&self.http, &self.base, authorization, purpose, body).await
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

    /// Sends `request` (built on [`TestApp::http`]) and keeps the answer raw.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> RawReply {
        let resp = request.send().await.expect("request sent");
        RawReply {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.unwrap_or_default(),
        }
    }

    /// POSTs a JSON `body` larger than the server's body limit over a raw socket: the headers
    /// (declaring the whole length) and the first 64 KiB only, then reads the answer. The server
    /// refuses such a body on its `Content-Length` and closes the connection; a client still
    /// writing megabytes at that moment may see the connection reset before it reads the answer,
    /// so the test speaks only as much as the refusal needs. Returns status and parsed body.
    pub async fn post_oversized(&self, token: &str, body: &Value) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let body = body.to_string();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nX-Access-Purpose: integration test\r\n\
             Content-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        let mut socket = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        socket.write_all(head.as_bytes()).await.expect("send");
        let prefix = &body.as_bytes()[..body.len().min(64 * 1024)];
        socket.write_all(prefix).await.expect("send");
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut answer)).await;
        let text = String::from_utf8_lossy(&answer).to_string();
        let status = text
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no HTTP answer to an oversized body: {text:?}"));
        let payload = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        assert_no_leak("oversized body", payload);
        (status, serde_json::from_str(payload).unwrap_or(Value::Null))
    }

    /// A POST to `/graphql` with a bearer token (if any), a purpose, and `body` sent as is with
    /// `content_type`.
    pub fn raw_post(
        &self,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header("x-access-purpose", "integration test")
            .body(body);
        if let Some(token) = token {
            req = req.header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        req
    }

    /// Panics unless `GET /healthz` answers 200 `ok` (the server survived what came before).
    pub async fn assert_healthy(&self) {
        let (status, body) = self.get("/healthz").await;
        assert_eq!(
            (status, body.as_str()),
            (200, "ok"),
            "/healthz after the attack"
        );
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

// ---------------------------------------------------------------------------------------------
// ctex as a child process
// ---------------------------------------------------------------------------------------------

/// The path of the `ctex-under-test` binary, for [`ServerProcess`] and CLI tests. It expands to
/// `env!("CARGO_BIN_EXE_ctex-under-test")` at the call site: Cargo sets that variable for this
/// package's integration tests only, not for this library.
#[macro_export]
macro_rules! server_bin {
    () => {
        ::std::env!("CARGO_BIN_EXE_ctex-under-test")
    };
}

/// How long a server may take to log `ctex listening`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long [`ServerProcess::wait`] lets a server take to exit before killing it.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Log lines printed by a dropped [`ServerProcess`] whose test is failing.
const LOG_TAIL_ON_PANIC: usize = 40;

/// Dev keys, trust file and a fresh database, for tests that start `ctex` as a process (the
/// same things [`TestApp`] makes for itself).
pub struct TestEnv {
    /// The database; declared first so it is dropped before the folder holding its file.
    pub db: TestDb,
    /// Dev keys and trust file (and the SQLite file).
    pub dir: TempDir,
}

impl TestEnv {
    /// Creates dev keys, the trust file and a database on `backend`.
    pub async fn new(backend: Backend) -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        keys::init(dir.path()).expect("dev keys");
        let db = TestDb::create(backend, dir.path())
            .await
            .expect("test database");
        TestEnv { db, dir }
    }

    /// The keys folder.
    pub fn keys_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The trust file.
    pub fn trust_path(&self) -> PathBuf {
        keys::trust_file_path(self.dir.path())
    }

    /// A token for `agency` with subject `sub`.
    pub fn token(&self, agency: Agency, sub: &str) -> String {
        keys::mint(self.dir.path(), &TokenSpec::new(agency, sub)).expect("mint token")
    }

    /// A token from a full spec.
    pub fn token_with(&self, spec: TokenSpec) -> String {
        keys::mint(self.dir.path(), &spec).expect("mint token")
    }

    /// A server command over this database and trust file; `bin` is [`server_bin!`].
    pub fn server(&self, bin: impl AsRef<OsStr>) -> ServerBuilder {
        ServerBuilder::new(bin, &self.db.url, &self.trust_path())
    }

    /// Starts a server over this database and trust file with the default settings.
    pub fn start_server(&self, bin: impl AsRef<OsStr>) -> ServerProcess {
        self.server(bin).start()
    }
}

/// The command line of a [`ServerProcess`]: `<bin> --log-format json serve` on
/// `127.0.0.1:0`, logging at `info` (`--log debug` overrides), with `CTEX_*` variables of the
/// test's own environment removed so only what the test sets reaches the server.
pub struct ServerBuilder {
    /// The command being built.
    command: Command,
}

impl ServerBuilder {
    /// `bin serve` over `db_url` and the trust file `trust`.
    pub fn new(bin: impl AsRef<OsStr>, db_url: &str, trust: &Path) -> ServerBuilder {
        let mut command = Command::new(bin);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("CTEX_") {
                command.env_remove(name);
            }
        }
        command
            .args(["--log-format", "json", "serve"])
            .env("CTEX_BIND", "127.0.0.1:0")
            .env("CTEX_LOG", "info")
            .env("CTEX_DATABASE_URL", db_url)
            .env("CTEX_TRUST", trust);
        ServerBuilder { command }
    }

    /// Adds an argument after `serve` (global flags such as `--log` are accepted there too).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> ServerBuilder {
        self.command.arg(arg);
        self
    }

    /// Adds arguments after `serve`.
    pub fn args<I, S>(mut self, args: I) -> ServerBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Sets an environment variable of the server.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> ServerBuilder {
        self.command.env(name, value);
        self
    }

    /// Starts the server and waits (at most a minute) until it logs `ctex listening`.
    pub fn start(mut self) -> ServerProcess {
        let mut child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ctex-under-test starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let readers = vec![
            capture(child.stderr.take().expect("stderr"), &logs, tx.clone()),
            capture(child.stdout.take().expect("stdout"), &logs, tx),
        ];
        let mut server = ServerProcess {
            child,
            base: String::new(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            logs,
            readers,
            exit: None,
        };
        // Both readers drop their sender at end of output, so a server that dies early is
        // reported at once rather than after the timeout.
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => server.base = format!("http://{addr}"),
            Err(e) => {
                let exit = server.kill();
                panic!(
                    "ctex did not log `ctex listening` ({e}); {exit}; log:\n{}",
                    server.logs()
                );
            }
        }
        server
    }
}

/// Reads `stream` line by line into `sink` (invalid UTF-8 replaced, never a reason to stop
/// reading, so the server can never block on a full pipe); sends the address of the
/// `ctex listening` line to `listening`.
fn capture(
    stream: impl Read + Send + 'static,
    sink: &Arc<Mutex<Vec<String>>>,
    listening: mpsc::Sender<String>,
) -> JoinHandle<()> {
    capture_lines(stream, sink, listening, listening_addr)
}

/// Reads a child process's `stream` line by line into `sink` (invalid UTF-8 replaced, never a
/// reason to stop reading, so the child can never block on a full pipe); sends what `announce`
/// finds in a line (the address it listens on) to `listening`.
pub fn capture_lines(
    stream: impl Read + Send + 'static,
    sink: &Arc<Mutex<Vec<String>>>,
    listening: mpsc::Sender<String>,
    announce: fn(&str) -> Option<String>,
) -> JoinHandle<()> {
    let sink = Arc::clone(sink);
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&buf)
                .trim_end_matches(['\n', '\r'])
                .to_string();
            if let Some(addr) = announce(&line) {
                let _ = listening.send(addr);
            }
            lock(&sink).push(line);
        }
    })
}

/// The `addr` of a JSON `ctex listening` log line.
fn listening_addr(line: &str) -> Option<String> {
    if !line.contains("ctex listening") {
        return None;
    }
    let v: Value = serde_json::from_str(line).ok()?;
    v["addr"]
        .as_str()
        .or_else(|| v["fields"]["addr"].as_str())
        .map(str::to_string)
}

/// Locks `m`, ignoring poisoning (a panicking test must still see the logs).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `ctex-under-test serve` running as a child process, its log lines kept for assertions.
///
/// Dropping it kills the child (SIGKILL to that one process) and reaps it, so a failing test
/// never leaves a server running; a dropped server whose test is panicking prints the end of
/// its log to the test's output.
pub struct ServerProcess {
    /// The child; only reaped through `&mut self` methods, which record [`Self::exit`], so
    /// while that is `None` the pid cannot have been reused and [`Self::signal`] is safe.
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// HTTP client (30 s timeout).
    pub http: reqwest::Client,
    /// Every line the server wrote to stderr or stdout, in arrival order per stream.
    logs: Arc<Mutex<Vec<String>>>,
    /// The threads filling `logs`; joined once the child has exited, so the logs are complete.
    readers: Vec<JoinHandle<()>>,
    /// The exit status, once reaped.
    exit: Option<ExitStatus>,
}

impl ServerProcess {
    /// The server's `/metrics` page (Prometheus text).
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body")
    }

    /// Starts `bin serve` over `db_url` and `trust` with the default settings.
    pub fn start(bin: impl AsRef<OsStr>, db_url: &str, trust: &Path) -> ServerProcess {
        ServerBuilder::new(bin, db_url, trust).start()
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`"HUP"`, `"TERM"`, `"KILL"`, with or without `SIG`) with `kill(1)`.
    /// Panics if the server has already been reaped or `kill` fails.
    pub fn signal(&self, signal: &str) {
        assert!(
            self.exit.is_none(),
            "signal {signal} to a server that already exited"
        );
        let name = signal.strip_prefix("SIG").unwrap_or(signal);
        let status = Command::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -s {name} {}: {status}", self.pid());
    }

    /// Whether the server is still running.
    pub fn is_running(&mut self) -> bool {
        if self.exit.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.reaped(status);
        }
        self.exit.is_none()
    }

    /// Asserts the server is still running.
    pub fn assert_running(&mut self) {
        assert!(
            self.is_running(),
            "the server exited ({:?}); log:\n{}",
            self.exit,
            self.logs()
        );
    }

    /// Waits for the server to exit (killing it and panicking after a minute); returns its
    /// status. Its log is complete afterwards.
    pub async fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.exit {
                return status;
            }
            if !self.is_running() {
                continue;
            }
            if Instant::now() > deadline {
                let status = self.kill();
                panic!(
                    "the server did not exit within {EXIT_TIMEOUT:?} (killed: {status}); log:\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM (finish in-flight requests, then exit), then [`Self::wait`].
    pub async fn terminate(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.wait().await
    }

    /// SIGKILL, then reaps the server; returns its status.
    pub fn kill(&mut self) -> ExitStatus {
        if let Some(status) = self.exit {
            return status;
        }
        let _ = self.child.kill();
        let status = self.child.wait().expect("reap the server");
        self.reaped(status);
        status
    }

    /// Records the exit and waits for the readers to drain what the server wrote.
    fn reaped(&mut self, status: ExitStatus) {
        self.exit = Some(status);
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }

    /// Every log line so far.
    pub fn log_lines(&self) -> Vec<String> {
        lock(&self.logs).clone()
    }

    /// Every log line so far, joined by newlines.
    pub fn logs(&self) -> String {
        lock(&self.logs).join("\n")
    }

    /// How many log lines so far contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        lock(&self.logs)
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Waits until a log line contains `needle`; panics with the log after `timeout`.
    pub async fn wait_for_log(&self, needle: &str, timeout: Duration) {
        self.wait_for_log_count(needle, 1, timeout).await;
    }

    /// Waits until `count` log lines contain `needle`; panics with the log after `timeout`.
    pub async fn wait_for_log_count(&self, needle: &str, count: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.log_count(needle) < count {
            assert!(
                Instant::now() < deadline,
                "no {count}× {needle:?} in the log within {timeout:?}:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// POSTs a GraphQL request with a bearer token; returns the HTTP status and JSON body.
    pub async fn post(
        &self,
        token: Option<&str>,
        purpose: Option<&str>,
        body: &Value,
    ) -> (u16, Value) {
        post_json(&self.http, &self.base, token, purpose, body).await
    }

    /// POSTs a GraphQL request with `authorization` as the raw `Authorization` header value
    /// (or none); returns the HTTP status and the body exactly as sent.
    pub async fn post_raw(
        &self,
        authorization: Option<&str>,
        purpose: Option<&str>,
        body: &Value,
    ) -> (u16, String) {
        post_graphql(&self.http, &self.base, authorization, purpose, body).await
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
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.exit.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // A server that never listened (`base` empty) already put its whole log in the panic.
        if std::thread::panicking() && !self.base.is_empty() {
            let logs = lock(&self.logs);
            let tail = &logs[logs.len().saturating_sub(LOG_TAIL_ON_PANIC)..];
            eprintln!(
                "server {} log, last {} lines:\n{}",
                self.base,
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

/// POSTs `body` to `{base}/graphql` with the raw `authorization` and `x-access-purpose` header
/// values; returns the status and body text.
async fn post_graphql(
    http: &reqwest::Client,
    base: &str,
    authorization: Option<&str>,
    purpose: Option<&str>,
    body: &Value,
) -> (u16, String) {
    let mut req = http.post(format!("{base}/graphql")).json(body);
    if let Some(authorization) = authorization {
        req = req.header(reqwest::header::AUTHORIZATION, authorization);
    }
    if let Some(purpose) = purpose {
        req = req.header("x-access-purpose", purpose);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// [`post_graphql`] with a bearer token, the body parsed (`{"raw": text}` if it is not JSON).
async fn post_json(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    purpose: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let authorization = token.map(|t| format!("Bearer {t}"));
    let (status, text) = post_graphql(http, base, authorization.as_deref(), purpose, body).await;
    let json = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
    (status, json)
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

/// What must never appear in a response body (lower-cased): SQL, file paths, Rust type names,
/// panics and stack traces (DESIGN §3.4).
pub const LEAKS: &[&str] = &[
    // SQL
    "select ",
    "insert into",
    "delete from",
    "update \"",
    " from \"",
    "where \"",
    "sqlstate",
    "syntax error at",
    "relation \"",
    "violates",
    "duplicate key",
    "sqlx",
    "sqlite",
    "postgres",
    "pg_",
    // file paths
    "/src/",
    ".rs:",
    "/home/",
    "/root/",
    "/work/",
    "/tmp/",
    "/usr/",
    "cargo/registry",
    "\\src\\",
    // Rust
    "::",
    "panicked",
    "backtrace",
    "thread '",
    "option<",
    "vec<",
    "result<",
    "arc<",
    "box<",
    "sea_orm",
    "async_graphql",
    "tokio",
    "hyper",
    "dberr",
    "anyhow",
];

/// Panics if `text` (a response body, or its errors) contains any of [`LEAKS`].
pub fn assert_no_leak(what: &str, text: &str) {
    let lower = text.to_lowercase();
    for needle in LEAKS {
        assert!(
            !lower.contains(needle),
            "{what}: the response contains {needle:?}: {text}"
        );
    }
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
                if !$crate::postgres_or_skip() {
                    return;
                }
                let $app = $crate::TestApp::spawn($crate::Backend::Postgres).await;
                $body.await;
            }
        }
    };
}

/// [`both!`] with [`Options`]: `both_with!(name, options_expr, |app| async move { ... });`.
#[macro_export]
macro_rules! both_with {
    ($name:ident, $options:expr, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::TestApp::spawn_with($crate::Backend::Sqlite, $options).await;
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !$crate::postgres_or_skip() {
                    return;
                }
                let $app = $crate::TestApp::spawn_with($crate::Backend::Postgres, $options).await;
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

/// A graphql-transport-ws client: connect with a token, subscribe, read events.
pub struct Subscriber {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

/// What a subscriber saw next.
#[derive(Debug, Clone, PartialEq)]
pub enum WsEvent {
    /// A `next` message: the payload of subscription `id`.
    Next {
        /// Subscription id.
        id: String,
        /// `{ data, errors }`.
        payload: Value,
    },
    /// An `error` message for subscription `id`.
    Error {
        /// Subscription id.
        id: String,
        /// The errors.
        payload: Value,
    },
    /// `complete` for subscription `id`.
    Complete(String),
    /// The server closed the connection.
    Closed,
}

impl Subscriber {
    /// Connects to `base` (`http://127.0.0.1:port`) and completes `connection_init` with `token`
    /// (and `purpose`). Fails if the server refuses the connection.
    pub async fn connect(
        base: &str,
        token: &str,
        purpose: Option<&str>,
    ) -> anyhow::Result<Subscriber> {
        use futures::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
        let url = format!("{}/graphql/ws", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        let mut payload = json!({ "Authorization": format!("Bearer {token}") });
        if let Some(p) = purpose {
            payload["X-Access-Purpose"] = json!(p);
        }
        socket
            .send(Message::Text(
                json!({ "type": "connection_init", "payload": payload })
                    .to_string()
                    .into(),
            ))
            .await?;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), socket.next()).await? {
                Some(Ok(Message::Text(text))) => {
                    let v: Value = serde_json::from_str(&text)?;
                    match v["type"].as_str() {
                        Some("connection_ack") => return Ok(Subscriber { socket, next_id: 0 }),
                        Some("ping") => {
                            socket
                                .send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                                .await?;
                        }
                        _ => anyhow::bail!("connection refused: {v}"),
                    }
                }
                Some(Ok(Message::Close(_))) | None => {
                    anyhow::bail!("connection closed during init")
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// Starts a subscription; returns its id.
    pub async fn subscribe(&mut self, query: &str, variables: Value) -> anyhow::Result<String> {
        use futures::SinkExt;
        use tokio_tungstenite::tungstenite::Message;
        self.next_id += 1;
        let id = self.next_id.to_string();
        let msg = json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } });
        self.socket
            .send(Message::Text(msg.to_string().into()))
            .await?;
        Ok(id)
    }

    /// The next event within `timeout` (`None` when nothing came).
    pub async fn next(&mut self, timeout: Duration) -> Option<WsEvent> {
        use futures::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let msg = match tokio::time::timeout(left, self.socket.next()).await {
                Err(_) => return None,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => {
                    return Some(WsEvent::Closed);
                }
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(_))) => continue,
            };
            let v: Value = serde_json::from_str(&msg).unwrap_or_default();
            let id = v["id"].as_str().unwrap_or_default().to_string();
            match v["type"].as_str() {
                Some("next") => {
                    return Some(WsEvent::Next {
                        id,
                        payload: v["payload"].clone(),
                    });
                }
                Some("error") => {
                    return Some(WsEvent::Error {
                        id,
                        payload: v["payload"].clone(),
                    });
                }
                Some("complete") => return Some(WsEvent::Complete(id)),
                Some("ping") => {
                    let _ = self
                        .socket
                        .send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                        .await;
                }
                _ => {}
            }
        }
    }

    /// Every `next` payload that arrives within `window`.
    pub async fn drain(&mut self, window: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + window;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(WsEvent::Next { payload, .. }) => out.push(payload),
                Some(WsEvent::Closed) | None => return out,
                Some(_) => {}
            }
        }
    }
}

/// The sum of the samples of a Prometheus `metrics` page whose line starts with `series` (a
/// metric name, or a name with its labels: `ctex_rows_decoded_total{path="name"}`).
pub fn metric_sum(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(series))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum()
}
