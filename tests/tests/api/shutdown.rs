//! Graceful shutdown: SIGTERM during a burst of writes loses no acknowledged write.

use std::time::Duration;

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{Backend, TestEnv, postgres_or_skip, server_bin};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

async fn burst_then_sigterm(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let mut server = env.start_server(server_bin!());
    let token = env.token(Agency::Police, "burst");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = server.http.clone();
        let base = server.base.clone();
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
    server.signal("TERM");
    let mut acknowledged = Vec::new();
    for t in tasks {
        if let Ok(Some(id)) = t.await {
            acknowledged.push(id);
        }
    }
    let exit = server.wait().await;
    assert!(exit.success(), "graceful exit, got {exit:?}");
    assert!(
        !acknowledged.is_empty(),
        "some writes succeeded before the signal"
    );
    let conn = env.db.connect().await.expect("connect");
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
    if !postgres_or_skip() {
        return;
    }
    burst_then_sigterm(Backend::Postgres).await;
}
