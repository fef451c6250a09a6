//! The database connection pool: a connection the database dropped while it sat idle costs no
//! request (it is pinged before use and replaced), while a busy connection skips the ping.

use std::time::Duration;

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{Backend, Options, TestApp, postgres_or_skip};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

/// Ends every other session on the test's database, as a database restart or a proxy would.
async fn drop_connections(app: &TestApp) -> i64 {
    let admin = app.db.connect().await.expect("admin connection");
    let rows = admin
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        ))
        .await
        .expect("terminate");
    rows.iter()
        .filter(|r| r.try_get::<bool>("", "ended").unwrap_or(false))
        .count() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_while_idle_costs_no_request() {
    if !postgres_or_skip() {
        return;
    }
    let app = TestApp::spawn_with(
        Backend::Postgres,
        Options {
            configure: Some(|c| c.db_ping_idle = Duration::from_millis(100)),
            ..Options::default()
        },
    )
    .await;
    let police = app.token(Agency::Police, "investigator");
    let page = "{ cases(first: 5) { edges { node { id } } } }";
    for round in 0..3 {
        let resp = app.gql(&police, page, json!({})).await;
        assert!(resp.get("errors").is_none(), "round {round}: {resp}");
        // The pool's connections sit idle past the threshold, then the database drops them.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let ended = drop_connections(&app).await;
        assert!(ended > 0, "round {round}: the server had sessions to end");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let resp = app.gql(&police, page, json!({})).await;
        assert!(
            resp.get("errors").is_none(),
            "round {round}: the first request after the drop failed: {resp}"
        );
    }
    app.assert_healthy().await;
}
