//! Graceful shutdown: SIGTERM during a burst of writes loses no acknowledged write.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use ctex_tests::ctex::auth::keys::{self, TokenSpec};
use ctex_tests::ctex::domain::Agency;
use ctex_tests::{Backend, TestDb, postgres_admin_url};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// Starts `ctex serve` as a process on a free port; returns the child and its base URL.
pub(crate) fn start_server(db_url: &str, trust: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ctex-under-test"))
        .args(["--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
        .env("CTEX_DATABASE_URL", db_url)
        .env("CTEX_TRUST", trust)
        .env("CTEX_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server log ends before listening")
            .expect("log line");
        if line.contains("ctex listening") {
            let v: serde_json::Value = serde_json::from_str(&line).expect("json log");
            break v["addr"].as_str().expect("addr").to_string();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, format!("http://{addr}"))
}

async fn burst_then_sigterm(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    keys::init(dir.path()).expect("keys");
    let db = TestDb::create(backend, dir.path()).await.expect("db");
    let (mut child, base) = start_server(&db.url, &keys::trust_file_path(dir.path()));
    let token = keys::mint(dir.path(), &TokenSpec::new(Agency::Police, "burst")).expect("token");
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = client.clone();
        let base = base.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i as u64 * 2)).await;
            let body = json!({
                "query": "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                "variables": { "i": { "caseNumber": format!("B-{i}"), "title": "burst", "province": "01", "legalBasis": "ART_150" } }
            });
            let resp = client.post(format!("{base}/graphql")).bearer_auth(&token).json(&body).send().await.ok()?;
            let v: serde_json::Value = resp.json().await.ok()?;
            v["data"]["openCase"]["id"].as_str().map(str::to_string)
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let mut acknowledged = Vec::new();
    for t in tasks {
        if let Ok(Some(id)) = t.await {
            acknowledged.push(id);
        }
    }
    let exit = child.wait().expect("server exits");
    assert!(exit.success(), "graceful exit, got {exit:?}");
    assert!(
        !acknowledged.is_empty(),
        "some writes succeeded before the signal"
    );
    let conn = db.connect().await.expect("connect");
    for id in &acknowledged {
        let uuid = uuid::Uuid::parse_str(id).expect("uuid");
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                conn.get_database_backend(),
                match conn.get_database_backend() {
                    sea_orm::DbBackend::Postgres => "SELECT id FROM case_record WHERE id = $1",
                    _ => "SELECT id FROM case_record WHERE id = ?",
                },
                [uuid.into()],
            ))
            .await
            .expect("query");
        assert!(
            row.is_some(),
            "acknowledged case {id} is missing after shutdown"
        );
    }
    eprintln!("{} acknowledged writes, all present", acknowledged.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_loses_no_acknowledged_write_sqlite() {
    burst_then_sigterm(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_loses_no_acknowledged_write_postgres() {
    if postgres_admin_url().is_none() {
        eprintln!("CTEX_TEST_DATABASE_URL not set: PostgreSQL half not run");
        return;
    }
    burst_then_sigterm(Backend::Postgres).await;
}
