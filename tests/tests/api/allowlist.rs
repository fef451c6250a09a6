//! The security suite, part 4: the persisted-operation allow-list (`CTEX_ALLOWLIST`).
//! Acceptance 3: with the allow-list set, an unlisted query is refused (`FORBIDDEN`) and a
//! listed one runs, whether it is sent as text (any layout), by `id` or by Apollo's
//! `extensions.persistedQuery.sha256Hash`; over WebSocket too. Without an allow-list, persisted
//! references are `BAD_USER_INPUT`.

use std::time::Duration;

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{
    Options, Subscriber, TestApp, TestEnv, WsEvent, assert_no_leak, both, both_with, case_input,
    code, data, postgres_or_skip, server_bin,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ME: &str = "query Me { me { agency subject } }";
const OPEN: &str = "mutation Open($i: OpenCaseInput!) { openCase(input: $i) { id caseNumber } }";
const FLAGS: &str = "subscription Flags { flagRaised { id } }";

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn manifest() -> Value {
    json!({ "Me": ME, "Open": OPEN, "Flags": FLAGS })
}

async fn post(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app
        .send(app.raw_post(Some(token), "application/json", body.to_string()))
        .await;
    assert_no_leak("allow-list", &reply.text);
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

both_with!(
    with_an_allow_list_only_listed_operations_run,
    Options {
        allowlist: Some(manifest()),
        ..Options::default()
    },
    |app| async move {
        let token = app.token(Agency::Police, "system");
        // Listed: as text, in another layout, by id (or documentId), by hash.
        let relaid = "query Me {\n  me {\n    agency # who\n    subject\n  }\n}";
        for (what, body) in [
            ("text", json!({ "query": ME })),
            ("relaid text", json!({ "query": relaid })),
            ("id", json!({ "id": "Me" })),
            ("documentId", json!({ "documentId": "Me" })),
            (
                "sha256Hash",
                json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(ME) } } }),
            ),
            (
                "text and hash",
                json!({ "query": ME, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(ME) } } }),
            ),
        ] {
            let resp = post(&app, &token, body).await;
            assert_eq!(data(&resp)["me"]["subject"], "system", "{what}: {resp}");
        }
        let resp = post(
            &app,
            &token,
            json!({ "id": "Open", "variables": { "i": case_input("AL-1", "01") } }),
        )
        .await;
        assert_eq!(data(&resp)["openCase"]["caseNumber"], "AL-1");
        // Unlisted: another query, one field more, introspection, an unknown id or hash.
        for (what, body) in [
            (
                "unlisted query",
                json!({ "query": "{ cases { totalCount } }" }),
            ),
            (
                "a field more",
                json!({ "query": "query Me { me { agency subject unit } }" }),
            ),
            (
                "introspection",
                json!({ "query": "{ __schema { types { name } } }" }),
            ),
            ("unknown id", json!({ "id": "DropEverything" })),
            (
                "unknown hash",
                json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256("{ cases { totalCount } }") } } }),
            ),
        ] {
            let resp = post(&app, &token, body).await;
            assert_eq!(code(&resp), "FORBIDDEN", "{what}: {resp}");
            assert!(resp["data"].is_null(), "{what}: nothing ran");
        }
        // Mismatches are the caller's error.
        let resp = post(&app, &token, json!({ "query": ME, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(OPEN) } } })).await;
        assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
        let resp = post(
            &app,
            &token,
            json!({ "id": "Me", "query": "{ cases { totalCount } }" }),
        )
        .await;
        assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
        // Nothing unlisted ran: no case but the listed mutation's.
        let resp = post(&app, &token, json!({ "id": "Me" })).await;
        assert!(resp.get("errors").is_none());
        app.assert_healthy().await;
    }
);

both_with!(
    subscriptions_over_websocket_obey_the_allow_list,
    Options {
        allowlist: Some(manifest()),
        ..Options::default()
    },
    |app| async move {
        let token = app.token(Agency::Police, "watcher");
        let mut ws = Subscriber::connect(&app.base, &token, Some("allow-list test"))
            .await
            .expect("connection accepted");
        ws.subscribe(
            "subscription { caseUpdated(id: \"00000000-0000-7000-8000-000000000000\") { id } }",
            json!({}),
        )
        .await
        .expect("send");
        match ws.next(Duration::from_secs(10)).await {
            Some(WsEvent::Next { payload, .. }) | Some(WsEvent::Error { payload, .. }) => {
                assert!(payload.to_string().contains("FORBIDDEN"), "{payload}");
            }
            other => panic!("an unlisted subscription is refused: {other:?}"),
        }
        // The listed subscription is accepted (no refusal arrives) on the same connection.
        ws.subscribe(FLAGS, json!({})).await.expect("send");
        match ws.next(Duration::from_millis(500)).await {
            None | Some(WsEvent::Complete(_)) => {}
            Some(WsEvent::Next { payload, .. }) | Some(WsEvent::Error { payload, .. }) => {
                assert!(!payload.to_string().contains("FORBIDDEN"), "{payload}");
            }
            Some(WsEvent::Closed) => panic!("the connection stays open"),
        }
        app.assert_healthy().await;
    }
);

both!(
    without_an_allow_list_persisted_references_are_bad_user_input,
    |app| async move {
        let token = app.token(Agency::Police, "system");
        let resp = post(&app, &token, json!({ "id": "Me" })).await;
        assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
        let resp = post(&app, &token, json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(ME) } } })).await;
        assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
        assert_eq!(resp["errors"][0]["message"], "PersistedQueryNotFound");
        // Any query runs, and a matching hash next to it is fine.
        let resp = post(&app, &token, json!({ "query": ME, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(ME) } } })).await;
        assert_eq!(data(&resp)["me"]["agency"], "POLICE");
        app.assert_healthy().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allow_list_is_read_from_ctex_allowlist() {
    // The variable and the file as an operator sets them, on a served process.
    let backend = if postgres_or_skip() {
        ctex_tests::Backend::Postgres
    } else {
        ctex_tests::Backend::Sqlite
    };
    let env = TestEnv::new(backend).await;
    let path = env.keys_dir().join("allowlist.json");
    std::fs::write(&path, manifest().to_string()).expect("write the allow-list");
    let server = env
        .server(server_bin!())
        .env("CTEX_ALLOWLIST", &path)
        .start();
    let token = env.token(Agency::Court, "clerk");
    let listed = server.gql(&token, ME, json!({})).await;
    assert_eq!(data(&listed)["me"]["agency"], "COURT");
    let unlisted = server.gql(&token, "{ me { agency } }", json!({})).await;
    assert_eq!(code(&unlisted), "FORBIDDEN", "{unlisted}");
    assert!(
        server.log_count("allow-list loaded") >= 1,
        "{}",
        server.logs()
    );
}
