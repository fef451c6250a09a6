//! Apollo Federation (DESIGN §7) with Apollo's own tools: ctex composes with a second agency's
//! subgraph under `@apollo/composition`, and serves a real `@apollo/gateway` that forwards the
//! caller's `Authorization` and `X-Access-Purpose`; `_entities` goes through the caller's scope
//! (out of scope → `null`, nothing leaks) and is audited with the forwarded purpose.
//!
//! The Node side is `tests/federation/` (`compose.mjs`, `consular-registry.mjs`, `gateway.mjs`),
//! installed by `npm ci --prefix tests/federation` (CI's `.ci/run` does it). Without `node`, `npm`
//! or those packages these tests fail and say so; they never skip. The Node processes listen on
//! `127.0.0.1:0`, run with `APOLLO_TELEMETRY_DISABLED=true`, and talk to loopback only.
//!
//! # Layout
//! - [`Node`]: the toolchain check, and `node <script>` runs and child processes.
//! - `composition_*`: `compose.mjs` over the checked-in `schema.graphql`.
//! - `through_the_gateway_*`: ctex, the consular registry and the gateway as processes; the
//!   acceptance queries as foreign affairs and as the court; the audit trail as oversight.
//! - `entities_outside_the_callers_scope_*`: `_entities` straight to ctex.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use ctex_tests::ctex::auth::keys::TokenSpec;
use ctex_tests::ctex::domain::Agency;
use ctex_tests::server_bin;
use ctex_tests::{
    Backend, ServerProcess, TestApp, TestEnv, both, capture_lines, codes, data, postgres_or_skip,
};
use serde_json::{Value, json};

/// What a developer without the Node packages must do.
const INSTALL_HINT: &str = "run `npm ci --prefix tests/federation` from the repository root \
                            (CI's .ci/run does; Node.js 20+ with npm is required)";

/// How long a Node process may take to print `listening on`.
const NODE_START_TIMEOUT: Duration = Duration::from_secs(60);

/// Log lines of a Node process printed when its test fails.
const NODE_LOG_TAIL: usize = 40;

/// The flagged person's name: it must never reach the court, through any path.
const FLAGGED_NAME: &str = "Trần Văn Khánh";

/// The statuses `consular-registry.mjs` hands out.
const PASSPORT_STATUSES: [&str; 4] = ["VALID", "EXPIRED", "REPORTED_LOST", "NOT_ISSUED"];

/// Flags a suspected victim with a provisional identity (foreign affairs).
const FLAG: &str = "mutation($i: FlagSuspectedVictimInput!) { \
                    flagSuspectedVictim(input: $i) { id person { id fullName } } }";

/// Rooted at the consular registry: every ctex field comes from ctex's `_entities`.
const VIA_REGISTRY: &str = "query PassportCheck($p: ID!) { \
                            passportHolder(personId: $p) { id fullName passportStatus } }";

/// Rooted at ctex: `passportStatus` comes from the registry's `_entities`.
const VIA_CTEX: &str = "query PersonCheck($p: ID!) { \
                        person(id: $p) { id fullName passportStatus } }";

/// `_entities` for one or more `Person` representations.
const ENTITIES: &str = "query Entities($r: [_Any!]!) { \
                        _entities(representations: $r) { __typename ... on Person { id fullName } } }";

/// The audit trail about one person, as oversight sees it.
const AUDIT: &str = "query($p: ID!) { auditEvents(filter: { personId: $p }, first: 100) { \
                     nodes { agency subject operation purpose entityType entityId personId \
                     fields action outcome reason } } }";

/// Locks `m`, ignoring poisoning (a failing test must still see the logs).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The Node toolchain and `tests/federation` with its packages installed.
struct Node {
    /// `tests/federation`.
    dir: PathBuf,
}

impl Node {
    /// Checks `node`, `npm` and the installed Apollo packages; panics with [`INSTALL_HINT`]
    /// when anything is missing (these tests must fail, not skip, where CI would run them).
    fn require() -> Node {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("federation");
        for tool in ["node", "npm"] {
            let ok = Command::new(tool)
                .arg("--version")
                .stdin(Stdio::null())
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "`{tool} --version` does not run: {INSTALL_HINT}");
        }
        for package in [
            "@apollo/composition",
            "@apollo/gateway",
            "@apollo/server",
            "@apollo/subgraph",
            "graphql",
        ] {
            let manifest = dir.join("node_modules").join(package).join("package.json");
            assert!(
                manifest.is_file(),
                "{} is missing: {INSTALL_HINT}",
                manifest.display()
            );
        }
        Node { dir }
    }

    /// `node <script> <args>` in `tests/federation`, to completion.
    fn run(&self, script: &str, args: &[&str]) -> Output {
        self.command(script)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("node {script}: {e}; {INSTALL_HINT}"))
    }

    /// Starts `node <script> <args>` and waits until it prints `listening on <url>`.
    fn start(&self, script: &str, args: &[&str]) -> NodeProcess {
        let mut child = self
            .command(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("node {script}: {e}; {INSTALL_HINT}"));
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let readers = vec![
            capture_lines(
                child.stdout.take().expect("stdout"),
                &logs,
                tx.clone(),
                listening_url,
            ),
            capture_lines(
                child.stderr.take().expect("stderr"),
                &logs,
                tx,
                listening_url,
            ),
        ];
        let mut process = NodeProcess {
            script: script.to_string(),
            child,
            url: String::new(),
            logs,
            readers,
        };
        // Both readers drop their sender at end of output: a script that dies early is
        // reported at once.
        match rx.recv_timeout(NODE_START_TIMEOUT) {
            Ok(url) => process.url = url,
            Err(e) => {
                let _ = process.child.kill();
                let status = process.child.wait();
                for reader in process.readers.drain(..) {
                    let _ = reader.join();
                }
                panic!(
                    "node {script} did not print `listening on` ({e}; {status:?}); output:\n{}",
                    process.logs()
                );
            }
        }
        process
    }

    /// `node <script>` with the environment every Apollo process of these tests gets: telemetry
    /// off and no GraphOS credentials, so nothing can reach beyond loopback.
    fn command(&self, script: &str) -> Command {
        let mut command = Command::new("node");
        command
            .arg(format!("{script}.mjs"))
            .current_dir(&self.dir)
            .env("APOLLO_TELEMETRY_DISABLED", "true")
            .env_remove("APOLLO_KEY")
            .env_remove("APOLLO_GRAPH_REF")
            .env_remove("APOLLO_GRAPH_ID")
            .env_remove("APOLLO_GRAPH_VARIANT")
            .env_remove("APOLLO_SCHEMA_REPORTING");
        command
    }
}

/// A Node script running as a child; killed (that one process, SIGKILL) when dropped.
struct NodeProcess {
    /// Which script, for messages.
    script: String,
    /// The child process.
    child: Child,
    /// The URL it printed after `listening on `.
    url: String,
    /// Everything it printed, line by line.
    logs: Arc<Mutex<Vec<String>>>,
    /// The threads filling `logs`.
    readers: Vec<JoinHandle<()>>,
}

impl NodeProcess {
    /// Everything printed so far.
    fn logs(&self) -> String {
        lock(&self.logs).join("\n")
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let logs = lock(&self.logs);
            let tail = &logs[logs.len().saturating_sub(NODE_LOG_TAIL)..];
            eprintln!(
                "node {} output, last {} lines:\n{}",
                self.script,
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

/// The URL of a Node process's `listening on <url>` line.
fn listening_url(line: &str) -> Option<String> {
    let (_, rest) = line.split_once("listening on ")?;
    rest.split_whitespace().next().map(str::to_string)
}

/// POSTs a GraphQL request to `url` (the gateway or ctex) with a bearer token and a purpose;
/// returns the status and the body as text (to search it for leaks) and as JSON.
async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    purpose: &str,
    query: &str,
    variables: Value,
) -> (u16, String, Value) {
    let mut req = http
        .post(url)
        .header("x-access-purpose", purpose)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
    (status, text, json)
}

/// Asserts every error of `resp` is `FORBIDDEN` or `NOT_FOUND` and there is at least one.
fn assert_denied(resp: &Value, what: &str) {
    let codes = codes(resp);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "FORBIDDEN" || c == "NOT_FOUND"),
        "{what}: expected FORBIDDEN/NOT_FOUND errors only, got {codes:?}: {resp}"
    );
}

/// A foreign affairs officer of a mission (the `unit` claim makes the flag theirs).
fn mission_spec() -> TokenSpec {
    TokenSpec {
        unit: Some("dsq-phnom-penh".into()),
        ..TokenSpec::new(Agency::ForeignAffairs, "consul-1")
    }
}

/// The flag input: a provisional person abroad.
fn flag_input() -> Value {
    json!({ "i": {
        "mission": "Đại sứ quán Việt Nam tại Campuchia", "hostCountry": "KH",
        "location": "Sihanoukville", "circumstances": "Bị giữ tại cơ sở lừa đảo trực tuyến",
        "urgency": "CRITICAL",
        "person": { "fullName": FLAGGED_NAME, "dateOfBirth": "2001-05-14" } } })
}

// ---------------------------------------------------------------------------------------------
// Composition
// ---------------------------------------------------------------------------------------------

#[test]
fn composition_succeeds_and_the_supergraph_keeps_the_requires_scopes_rules() {
    let node = Node::require();
    let out = node.run("compose", &[]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "compose.mjs failed ({}):\n{stderr}",
        out.status
    );
    assert!(
        !stderr.contains("compose: hint"),
        "composition gave hints:\n{stderr}"
    );
    // Both subgraphs, the requiresScopes spec linked for SECURITY, and ctex's rules on fields.
    for needle in [
        "CTEX @join__graph(name: \"ctex\"",
        "CONSULAR @join__graph(name: \"consular\"",
        "@link(url: \"https://specs.apollo.dev/requiresScopes/v0.1\", for: SECURITY)",
        "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!)",
        "healthNotes: String @requiresScopes(scopes: [[\"agency:social_services\"]])",
        "passportStatus: String @join__field(graph: CONSULAR)",
    ] {
        assert!(stdout.contains(needle), "the supergraph lacks {needle:?}");
    }
    let rules = stdout.matches("@requiresScopes(scopes:").count();
    assert!(
        rules > 100,
        "only {rules} @requiresScopes rules in the supergraph"
    );
    // Person is an entity of both subgraphs, keyed by id.
    assert!(
        stdout.contains("type Person\n  @join__type(graph: CONSULAR, key: \"id\")\n  @join__type(graph: CTEX, key: \"id\")"),
        "Person is not keyed by id in both subgraphs"
    );
}

#[test]
fn composition_for_the_js_gateway_drops_only_the_scopes() {
    let node = Node::require();
    let out = node.run("compose", &["--for", "gateway"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "compose.mjs --for gateway failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains("requiresScopes"),
        "scopes left in the gateway supergraph"
    );
    assert!(stdout.contains("passportStatus: String @join__field(graph: CONSULAR)"));
    assert!(stdout.contains("healthNotes: String"));
}

#[test]
fn composition_fails_on_an_error_and_on_a_type_hint() {
    let node = Node::require();
    let dir = tempfile::tempdir().expect("temp dir");
    let header = "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.5\", \
                  import: [\"@key\"])\ntype Query { me: Person }\n";
    // The consular registry's `Person.id` is `ID!`: a list cannot merge with it (an error), a
    // nullable `ID` can but only with a hint that the types disagree.
    for (name, person, expected) in [
        ("error", "id: [String!]!", "FIELD_TYPE_MISMATCH"),
        ("hint", "id: ID", "INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE"),
    ] {
        let path = dir.path().join(format!("{name}.graphql"));
        let sdl =
            format!("{header}type Person @key(fields: \"id\") {{ {person} fullName: String }}\n");
        std::fs::write(&path, sdl).expect("write");
        let out = node.run("compose", &["--ctex-sdl", &path.display().to_string()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{name}: a failed composition printed a supergraph"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Through the gateway
// ---------------------------------------------------------------------------------------------

/// ctex, the consular registry and the gateway as processes on loopback.
struct Federation {
    /// ctex (its database and keys live in `env`).
    ctex: ServerProcess,
    /// The consular registry subgraph.
    _registry: NodeProcess,
    /// The gateway.
    gateway: NodeProcess,
    /// Dev keys and database; last, so the processes stop before they go.
    env: TestEnv,
}

impl Federation {
    /// Starts ctex on `backend`, then the registry, then the gateway over ctex's live SDL.
    async fn start(backend: Backend) -> Federation {
        let node = Node::require();
        let env = TestEnv::new(backend).await;
        let ctex = env.start_server(server_bin!());
        // The gateway composes the SDL this very server publishes (`_service`), so it plans
        // against exactly what ctex runs.
        let token = env.token(Agency::Police, "federation-setup");
        let resp = ctex.gql(&token, "{ _service { sdl } }", json!({})).await;
        let sdl = data(&resp)["_service"]["sdl"]
            .as_str()
            .unwrap_or_else(|| panic!("_service.sdl: {resp}"))
            .to_string();
        let sdl_path = env.dir.path().join("ctex.graphql");
        std::fs::write(&sdl_path, sdl).expect("write the SDL");
        let registry = node.start("consular-registry", &["--port", "0"]);
        let ctex_url = format!("{}/graphql", ctex.base);
        let sdl_arg = sdl_path.display().to_string();
        let gateway = node.start(
            "gateway",
            &[
                "--port",
                "0",
                "--ctex-url",
                &ctex_url,
                "--consular-url",
                &registry.url,
                "--ctex-sdl",
                &sdl_arg,
            ],
        );
        Federation {
            ctex,
            _registry: registry,
            gateway,
            env,
        }
    }
}

/// The acceptance of issue 8 through a real gateway.
async fn through_the_gateway(backend: Backend) {
    let fed = Federation::start(backend).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let gateway = fed.gateway.url.as_str();
    let mission = fed.env.token_with(mission_spec());
    let court = fed.env.token(Agency::Court, "judge-1");
    let oversight = fed.env.token(Agency::Oversight, "auditor-1");

    // Arrange: the mission flags a person abroad (a provisional identity it owns).
    let resp = fed.ctex.gql(&mission, FLAG, flag_input()).await;
    let person = data(&resp)["flagSuspectedVictim"]["person"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("flagSuspectedVictim: {resp}"))
        .to_string();
    let vars = json!({ "p": person });

    // Foreign affairs, rooted at the registry: ctex answers `fullName` through `_entities`.
    let fa_purpose = "repatriation check flag KH-7";
    let (status, _, resp) = post(
        &http,
        gateway,
        Some(&mission),
        fa_purpose,
        VIA_REGISTRY,
        vars.clone(),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    let holder = &data(&resp)["passportHolder"];
    assert_eq!(holder["id"], person.as_str(), "{resp}");
    assert_eq!(holder["fullName"], FLAGGED_NAME, "{resp}");
    let status_value = holder["passportStatus"].as_str().unwrap_or_default();
    assert!(PASSPORT_STATUSES.contains(&status_value), "{resp}");

    // Foreign affairs, rooted at ctex: the registry answers `passportStatus`.
    let (_, _, resp) = post(
        &http,
        gateway,
        Some(&mission),
        fa_purpose,
        VIA_CTEX,
        vars.clone(),
    )
    .await;
    assert_eq!(
        data(&resp)["person"],
        json!({ "id": person, "fullName": FLAGGED_NAME, "passportStatus": status_value }),
        "{resp}"
    );

    // The court, rooted at the registry: ctex's field is null, denied, and the name never shows.
    let court_purpose = "trial preparation case HS-12";
    let (status, text, resp) = post(
        &http,
        gateway,
        Some(&court),
        court_purpose,
        VIA_REGISTRY,
        vars.clone(),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    assert!(
        !text.contains(FLAGGED_NAME),
        "the name leaked to the court: {text}"
    );
    assert!(
        resp["data"]["passportHolder"]["fullName"].is_null(),
        "ctex's field reached the court: {resp}"
    );
    assert_denied(&resp, "court via the registry");

    // The court, rooted at ctex: `person` is NOT_FOUND, so nothing else is fetched.
    let (_, text, resp) = post(
        &http,
        gateway,
        Some(&court),
        court_purpose,
        VIA_CTEX,
        vars.clone(),
    )
    .await;
    assert!(
        !text.contains(FLAGGED_NAME),
        "the name leaked to the court: {text}"
    );
    assert!(resp["data"]["person"].is_null(), "{resp}");
    assert_denied(&resp, "court via ctex");

    // No token: ctex answers UNAUTHENTICATED, nothing of ctex's comes back.
    let (_, text, resp) = post(&http, gateway, None, fa_purpose, VIA_REGISTRY, vars.clone()).await;
    assert!(
        !text.contains(FLAGGED_NAME),
        "the name leaked without a token: {text}"
    );
    assert!(
        resp["data"]["passportHolder"]["fullName"].is_null(),
        "{resp}"
    );
    assert!(
        codes(&resp).iter().any(|c| c == "UNAUTHENTICATED"),
        "{resp}"
    );

    // The audit trail, as oversight: the gateway's `_entities` reads, with the forwarded purpose.
    let resp = fed.ctex.gql(&oversight, AUDIT, vars.clone()).await;
    let events = data(&resp)["auditEvents"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let entities_reads = |agency: &str, purpose: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| {
                e["agency"] == agency
                    && e["purpose"] == purpose
                    && e["entityType"] == "Person"
                    && e["personId"] == person.as_str()
                    && e["action"] == "READ"
                    && e["operation"]
                        .as_str()
                        .is_some_and(|o| o.starts_with("PassportCheck__ctex__"))
            })
            .cloned()
            .collect()
    };
    let fa = entities_reads("FOREIGN_AFFAIRS", fa_purpose);
    assert!(
        fa.iter().any(|e| e["outcome"] == "ALLOWED"
            && e["subject"] == "consul-1"
            && e["fields"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("fullName")))),
        "no allowed _entities read of fullName by foreign affairs with its purpose: {events:#?}"
    );
    let denied = entities_reads("COURT", court_purpose);
    assert!(
        denied.iter().any(|e| e["outcome"] == "DENIED"
            && e["subject"] == "judge-1"
            && (e["reason"] == "NOT_FOUND" || e["reason"] == "FORBIDDEN")),
        "no denied _entities read by the court with its purpose: {events:#?}"
    );
    // The ctex-rooted reads were audited too, under the gateway's operation name.
    assert!(
        events.iter().any(|e| e["agency"] == "FOREIGN_AFFAIRS"
            && e["purpose"] == fa_purpose
            && e["operation"]
                .as_str()
                .is_some_and(|o| o.starts_with("PersonCheck__ctex__"))),
        "no audited read for the ctex-rooted query: {events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_gateway_sqlite() {
    through_the_gateway(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_gateway_postgres() {
    if !postgres_or_skip() {
        return;
    }
    through_the_gateway(Backend::Postgres).await;
}

// ---------------------------------------------------------------------------------------------
// `_entities` straight to ctex
// ---------------------------------------------------------------------------------------------

/// `_entities` as `token`; returns the body as text and JSON.
async fn entities(app: &TestApp, token: &str, reps: Value) -> (String, Value) {
    let (_, text) = app
        .post_raw(
            Some(&format!("Bearer {token}")),
            Some("federation entity check"),
            &json!({ "query": ENTITIES, "variables": { "r": reps } }),
        )
        .await;
    let json = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "raw": text }));
    (text, json)
}

both!(
    entities_outside_the_callers_scope_resolve_to_null,
    |app| async move {
        let mission = app.token_with(mission_spec());
        let court = app.token(Agency::Court, "judge-1");
        let resp = app.gql(&mission, FLAG, flag_input()).await;
        let person = data(&resp)["flagSuspectedVictim"]["person"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("flagSuspectedVictim: {resp}"))
            .to_string();
        let rep = json!({ "__typename": "Person", "id": person });

        // In scope: the entity.
        let (_, resp) = entities(&app, &mission, json!([rep])).await;
        assert_eq!(
            data(&resp)["_entities"],
            json!([{ "__typename": "Person", "id": person, "fullName": FLAGGED_NAME }])
        );

        // Out of scope: null, and nothing of the person in the body.
        let (text, resp) = entities(&app, &court, json!([rep])).await;
        assert!(!text.contains(FLAGGED_NAME), "the name leaked: {text}");
        assert_eq!(resp["data"]["_entities"], json!([null]), "{resp}");
        assert!(
            codes(&resp)
                .iter()
                .all(|c| c == "FORBIDDEN" || c == "NOT_FOUND"),
            "{resp}"
        );

        // A batch: each representation on its own, in order.
        let unknown = json!({ "__typename": "Person", "id": uuid::Uuid::now_v7().to_string() });
        let (_, resp) = entities(&app, &mission, json!([rep, unknown])).await;
        assert_eq!(
            resp["data"]["_entities"],
            json!([{ "__typename": "Person", "id": person, "fullName": FLAGGED_NAME }, null]),
            "{resp}"
        );
    }
);
