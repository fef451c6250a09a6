//! The audit trail: every person-level read and every write recorded with its purpose, visible
//! to oversight (and to each agency for its own events), hash-chained and verifiable.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use ctex_tests::ctex::domain::Agency;
use ctex_tests::ctex::graphql::{Audience, CatalogField, catalog};
use ctex_tests::ctex::policy;
use ctex_tests::{
    Backend, TestApp, TestDb, TestEnv, add_party, both, case_input, code, data, metric_sum,
    open_case, postgres_or_skip, server_bin,
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

const EVENTS: &str = "query($f: AuditEventFilter, $a: String) { auditEvents(filter: $f, first: 100, after: $a) {
    totalCount nodes { seq agency subject operation purpose entityType entityId personId fields action outcome reason }
    pageInfo { hasNextPage endCursor } } }";

async fn events(app: &TestApp, token: &str, filter: Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let resp = app
            .gql(token, EVENTS, json!({ "f": filter, "a": after }))
            .await;
        let page = &data(&resp)["auditEvents"];
        out.extend(page["nodes"].as_array().cloned().unwrap_or_default());
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn verify_cli(db_url: &str) -> (bool, String) {
    let out = Command::new(server_bin!())
        .args([
            "--log",
            "error",
            "audit",
            "verify",
            "--database-url",
            db_url,
        ])
        .output()
        .expect("ctex audit verify runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

both!(
    a_refused_write_leaves_no_row_and_no_write_event,
    |app| async move {
        let police = app.token(Agency::Police, "investigator-7");
        let case = open_case(&app, &police, case_input("HG-7", "40")).await;
        let (_, person) = add_party(
            &app,
            &police,
            json!({ "caseId": case, "caseVersion": 1, "role": "VICTIM", "person": { "fullName": "Lò Thị Mai" } }),
        )
        .await;
        let add = |input: Value| {
            app.gql(
                &police,
                "mutation($i: AddPartyInput!) { addParty(input: $i) { id } }",
                json!({ "i": input }),
            )
        };
        // The case is at version 2 now: a party with a new person at version 1 is refused, and
        // the new person is not written either.
        let stale = add(json!({ "caseId": case, "caseVersion": 1, "role": "WITNESS", "person": { "fullName": "Vàng A Sử" } })).await;
        assert_eq!(code(&stale), "CONFLICT", "{stale}");
        assert_eq!(
            stale["errors"][0]["message"],
            "the case was changed by someone else (your version is stale); reload it"
        );
        // The same person in the same role twice.
        let again = add(json!({ "caseId": case, "role": "VICTIM", "personId": person })).await;
        assert_eq!(code(&again), "CONFLICT", "{again}");
        assert_eq!(
            again["errors"][0]["message"],
            "this person already has this role in the case"
        );
        let after = app
            .gql(
                &police,
                "query($c: ID!) { case(id: $c) { version parties { id } } persons { totalCount } }",
                json!({ "c": case }),
            )
            .await;
        assert_eq!(data(&after)["case"]["version"], 2, "{after}");
        assert_eq!(
            data(&after)["case"]["parties"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(data(&after)["persons"]["totalCount"], 1, "{after}");
        let writes: Vec<Value> = events(&app, &police, json!({ "entityType": "CaseParty" }))
            .await
            .into_iter()
            .filter(|e| e["action"] == "WRITE")
            .collect();
        assert_eq!(writes.len(), 1, "{writes:?}");
        assert_eq!(writes[0]["operation"], "addParty");
        assert_eq!(writes[0]["personId"], person.as_str());
    }
);

both!(
    reading_victims_names_and_phones_is_audited_with_its_purpose,
    |app| async move {
        let police = app.token(Agency::Police, "investigator-12");
        let case = open_case(&app, &police, case_input("NA-12", "40")).await;
        let mut persons = BTreeSet::new();
        for (name, phone) in [
            ("Nguyễn Thị Lan", "0912 345 678"),
            ("Lò Thị Mai", "0987 654 321"),
            ("Vàng Thị Dung", "0903 111 222"),
        ] {
            let (_, person) = add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "VICTIM", "person": { "fullName": name, "phone": phone } }),
        )
        .await;
            persons.insert(person);
        }
        let resp = app
        .post(
            Some(&police),
            Some("case 12 review"),
            &json!({
                "query": "query Review($id: ID!) { case(id: $id) { title parties { person { fullName phone } } } }",
                "operationName": "Review",
                "variables": { "id": case }
            }),
        )
        .await
        .1;
        assert_eq!(
            data(&resp)["case"]["parties"].as_array().map(Vec::len),
            Some(3)
        );

        let oversight = app.token(Agency::Oversight, "auditor-1");
        let reads = events(
            &app,
            &oversight,
            json!({ "action": "READ", "agency": "POLICE" }),
        )
        .await;
        let reads: Vec<&Value> = reads
            .iter()
            .filter(|e| e["operation"] == "Review")
            .collect();
        assert_eq!(reads.len(), 3, "one event per person: {reads:?}");
        let named: BTreeSet<String> = reads
            .iter()
            .map(|e| e["personId"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(named, persons, "the events name exactly those persons");
        for e in &reads {
            assert_eq!(e["entityType"], "Person");
            assert_eq!(e["entityId"], e["personId"]);
            assert_eq!(e["fields"], json!(["fullName", "phone"]));
            assert_eq!(e["purpose"], "case 12 review");
            assert_eq!(
                (e["agency"].as_str(), e["subject"].as_str()),
                (Some("POLICE"), Some("investigator-12"))
            );
            assert_eq!(e["outcome"], "ALLOWED");
        }
        // Writes were audited too: the case and three parties.
        let writes = events(&app, &oversight, json!({ "action": "WRITE" })).await;
        let ops: Vec<&str> = writes
            .iter()
            .filter_map(|e| e["operation"].as_str())
            .collect();
        assert_eq!(ops.iter().filter(|o| **o == "addParty").count(), 3);
        assert_eq!(ops.iter().filter(|o| **o == "openCase").count(), 1);

        // Filter by person.
        let one = persons.iter().next().cloned().unwrap_or_default();
        let about_one = events(&app, &oversight, json!({ "personId": one })).await;
        assert!(about_one.iter().all(|e| e["personId"] == json!(one)) && about_one.len() >= 2);

        // The court sees none of the police's events; police sees its own.
        let court = app.token(Agency::Court, "judge-1");
        let court_view = events(&app, &court, json!({})).await;
        assert!(
            court_view.iter().all(|e| e["agency"] == "COURT"),
            "{court_view:?}"
        );
        let police_view = events(&app, &police, json!({ "action": "READ" })).await;
        assert!(police_view.len() >= 3);
        // Steering reads no audit events at all.
        let steering = app.token(Agency::Steering, "analyst-1");
        let resp = app
            .gql(&steering, EVENTS, json!({ "f": {}, "a": null }))
            .await;
        assert_eq!(code(&resp), "FORBIDDEN");
        assert!(resp["data"]["auditEvents"].is_null());
        // The court filtering on police events gets nothing either.
        let filtered = events(&app, &court, json!({ "agency": "POLICE" })).await;
        assert!(filtered.is_empty());
    }
);

both!(denials_are_audited_too, |app| async move {
    let police = app.token(Agency::Police, "officer-1");
    let case = open_case(&app, &police, case_input("HN-20", "01")).await;
    let (_, person) = add_party(
        &app,
        &police,
        json!({ "caseId": case, "role": "VICTIM", "person": { "fullName": "Hờ Thị Say" } }),
    )
    .await;
    // No purpose.
    let resp = app
        .gql_no_purpose(
            &police,
            "query($p: ID!) { person(id: $p) { fullName } }",
            json!({ "p": person }),
        )
        .await;
    assert_eq!(code(&resp), "PURPOSE_REQUIRED");
    assert!(resp["data"]["person"]["fullName"].is_null());
    // Forbidden field.
    let resp = app
        .gql(
            &police,
            "query($c: ID!) { case(id: $c) { parties { healthNotes } } }",
            json!({ "c": case }),
        )
        .await;
    assert_eq!(code(&resp), "FORBIDDEN");
    // Not found by scope.
    let court = app.token(Agency::Court, "judge-1");
    let resp = app
        .gql(
            &court,
            "query($c: ID!) { case(id: $c) { title } }",
            json!({ "c": case }),
        )
        .await;
    assert_eq!(code(&resp), "NOT_FOUND");

    let oversight = app.token(Agency::Oversight, "auditor-1");
    let denied = events(&app, &oversight, json!({ "outcome": "DENIED" })).await;
    let reasons: BTreeSet<&str> = denied.iter().filter_map(|e| e["reason"].as_str()).collect();
    assert_eq!(
        reasons,
        BTreeSet::from(["FORBIDDEN", "NOT_FOUND", "PURPOSE_REQUIRED"]),
        "{denied:?}"
    );
    let purpose_missing = denied
        .iter()
        .find(|e| e["reason"] == "PURPOSE_REQUIRED")
        .cloned()
        .unwrap_or_default();
    assert_eq!(purpose_missing["personId"], json!(person));
    assert_eq!(purpose_missing["fields"], json!(["fullName"]));
});

both!(the_chain_verifies_after_normal_use, |app| async move {
    let police = app.token(Agency::Police, "officer-1");
    let case = open_case(&app, &police, case_input("HN-21", "01")).await;
    add_party(
        &app,
        &police,
        json!({ "caseId": case, "role": "SUSPECT", "person": { "fullName": "Trần Văn Hùng" } }),
    )
    .await;
    let (ok, text) = verify_cli(&app.db.url);
    assert!(ok, "{text}");
    assert!(text.contains("verifies"), "{text}");
});

/// `SELECT COUNT(*)` of `table` (`where` appended as is).
async fn count_rows(conn: &sea_orm::DatabaseConnection, table: &str, filter: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table} {filter}"),
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get("", "n").expect("n")
}

/// Waits until nothing is staged (the server's writer sealed it), or fails after 10 s.
async fn until_sealed(conn: &sea_orm::DatabaseConnection) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while count_rows(conn, "audit_stage", "").await > 0 {
        assert!(
            Instant::now() < deadline,
            "staged write events were not sealed within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

both!(
    a_write_event_commits_with_its_mutation_and_the_server_seals_it_unasked,
    |app| async move {
        let police = app.token(Agency::Police, "officer-1");
        let case = open_case(&app, &police, case_input("HN-40", "01")).await;
        let conn = app.db.connect().await.expect("connect");
        // Nobody asks for the audit trail: the server's writer seals on its own.
        until_sealed(&conn).await;
        // addParty also reads a person-level field back: its READ event and its staged WRITE
        // event reach the chain together.
        let added = app
            .gql(
                &police,
                "mutation($i: AddPartyInput!) { addParty(input: $i) { id person { fullName } } }",
                json!({ "i": { "caseId": case, "role": "VICTIM", "person": { "fullName": "Lò Thị Mai" } } }),
            )
            .await;
        assert_eq!(data(&added)["addParty"]["person"]["fullName"], "Lò Thị Mai");
        until_sealed(&conn).await;
        let oversight = app.token(Agency::Oversight, "auditor-1");
        let sealed = events(&app, &oversight, json!({ "entityId": case }))
            .await
            .iter()
            .filter(|e| e["action"] == "WRITE" && e["operation"] == "openCase")
            .count();
        assert_eq!(sealed, 1, "one sealed write event for the mutation");
        assert_eq!(
            count_rows(&conn, "audit_event", "WHERE action = 'WRITE'").await,
            2,
            "openCase and addParty"
        );
        let (ok, text) = verify_cli(&app.db.url);
        assert!(ok, "{text}");
        assert!(!text.contains("sealed"), "nothing was left to seal: {text}");
        // A refused mutation stages nothing.
        let writes = count_rows(&conn, "audit_event", "WHERE action = 'WRITE'").await;
        let refused = app
            .gql(
                &police,
                "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                json!({ "i": case_input("HN-40", "01") }),
            )
            .await;
        assert!(
            refused["errors"].is_array(),
            "duplicate case number: {refused}"
        );
        until_sealed(&conn).await;
        assert_eq!(
            count_rows(&conn, "audit_event", "WHERE action = 'WRITE'").await,
            writes
        );
    }
);

/// Stages `n` write events as a process that committed its mutations and stopped before
/// sealing them would have left them; returns their request ids in staging order.
async fn stage_orphans(conn: &sea_orm::DatabaseConnection, tag: &str, n: usize) -> Vec<String> {
    use sea_orm::{ActiveValue::NotSet, EntityTrait, Set};
    let mut ids = Vec::new();
    for i in 0..n {
        let request_id = format!("{tag}-{i}");
        entities::audit_stage::Entity::insert(entities::audit_stage::ActiveModel {
            id: NotSet,
            at: Set(
                chrono::DateTime::from_timestamp(1_780_000_000 + i as i64, 123_456_000)
                    .expect("instant"),
            ),
            agency: Set("police".into()),
            subject: Set("stopped-process".into()),
            token_id: Set("jti".into()),
            request_id: Set(request_id.clone()),
            operation: Set("openCase".into()),
            purpose: Set(None),
            entity_type: Set("Case".into()),
            entity_id: Set(Some(uuid::Uuid::now_v7())),
            person_id: Set(None),
            fields: Set("[\"title\"]".into()),
            action: Set("WRITE".into()),
            outcome: Set("ALLOWED".into()),
            reason: Set(None),
        })
        .exec_without_returning(conn)
        .await
        .expect("stage");
        ids.push(request_id);
    }
    ids
}

/// The request ids of the last `n` events of the chain, oldest first.
async fn last_request_ids(conn: &sea_orm::DatabaseConnection, n: u64) -> Vec<String> {
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
    let mut rows = entities::audit_event::Entity::find()
        .order_by_desc(entities::audit_event::Column::Seq)
        .limit(n)
        .all(conn)
        .await
        .expect("events");
    rows.reverse();
    rows.into_iter().map(|r| r.request_id).collect()
}

async fn staged_events_of_a_stopped_process_are_sealed_in_order(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let mut server = env.start_server(server_bin!());
    let police = env.token(Agency::Police, "officer-1");
    let (status, body) = server
        .post(
            Some(&police),
            None,
            &json!({
                "query": "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                "variables": { "i": case_input("HN-41", "01") }
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let conn = env.db.connect().await.expect("connect");
    until_sealed(&conn).await;
    server.terminate().await;

    // A stopped process left three committed, unsealed events.
    let orphans = stage_orphans(&conn, "orphan", 3).await;
    let out = Command::new(server_bin!())
        .args(["--log", "error", "audit", "verify", "--no-seal"])
        .args(["--database-url", &env.db.url])
        .output()
        .expect("verify runs");
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("3 staged write events are not sealed"),
        "{text}"
    );
    assert_eq!(
        count_rows(&conn, "audit_stage", "").await,
        3,
        "--no-seal writes nothing"
    );

    let (ok, text) = verify_cli(&env.db.url);
    assert!(ok, "{text}");
    assert!(text.contains("sealed 3 staged write events"), "{text}");
    assert_eq!(count_rows(&conn, "audit_stage", "").await, 0);
    assert_eq!(
        last_request_ids(&conn, 3).await,
        orphans,
        "chained in staging order"
    );

    // A starting server seals what it finds, unasked.
    let more = stage_orphans(&conn, "later", 2).await;
    let mut server = env.start_server(server_bin!());
    until_sealed(&conn).await;
    assert_eq!(last_request_ids(&conn, 2).await, more);
    assert_eq!(
        metric_sum(&server.metrics().await, "ctex_audit_sealed_total"),
        2.0
    );

    // Events staged while it runs that nobody nudged it about (another process stopped before
    // sealing) are sealed when it stops cleanly, well before its next sweep.
    let last = stage_orphans(&conn, "at-shutdown", 2).await;
    assert_eq!(count_rows(&conn, "audit_stage", "").await, 2);
    server.terminate().await;
    assert_eq!(count_rows(&conn, "audit_stage", "").await, 0);
    assert_eq!(last_request_ids(&conn, 2).await, last);
    let (ok, text) = verify_cli(&env.db.url);
    assert!(ok && !text.contains("sealed"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_events_of_a_stopped_process_are_sealed_in_order_sqlite() {
    staged_events_of_a_stopped_process_are_sealed_in_order(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_events_of_a_stopped_process_are_sealed_in_order_postgres() {
    if !postgres_or_skip() {
        return;
    }
    staged_events_of_a_stopped_process_are_sealed_in_order(Backend::Postgres).await;
}

/// Runs `sql` (written with `?` placeholders is not needed: no values) on the test database.
async fn exec(db: &TestDb, sql: &str) {
    let conn = db.connect().await.expect("connect");
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_string(),
    ))
    .await
    .expect("tamper statement");
}

async fn seeded_chain(backend: Backend) -> (TestApp, u64) {
    let app = TestApp::spawn(backend).await;
    let police = app.token(Agency::Police, "officer-1");
    let case = open_case(&app, &police, case_input("T-1", "01")).await;
    for name in ["Nguyễn Văn A", "Nguyễn Văn B", "Nguyễn Văn C"] {
        add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "VICTIM", "person": { "fullName": name } }),
        )
        .await;
    }
    let (ok, text) = verify_cli(&app.db.url);
    assert!(ok, "{text}");
    let conn = app.db.connect().await.expect("connect");
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT MAX(seq) AS n FROM audit_event",
        ))
        .await
        .expect("max")
        .expect("row");
    let n: i64 = row.try_get("", "n").expect("n");
    assert!(n >= 4, "a write per mutation at least");
    (app, n as u64)
}

async fn tampering_is_detected(backend: Backend) {
    // Editing one row.
    let (app, _) = seeded_chain(backend).await;
    exec(
        &app.db,
        "UPDATE audit_event SET purpose = 'tampered' WHERE seq = 2",
    )
    .await;
    let (ok, text) = verify_cli(&app.db.url);
    assert!(!ok && text.contains("at event 2"), "{text}");

    // Deleting one row in the middle.
    let (app, _) = seeded_chain(backend).await;
    exec(&app.db, "DELETE FROM audit_event WHERE seq = 3").await;
    let (ok, text) = verify_cli(&app.db.url);
    assert!(!ok && text.contains("at event 3"), "{text}");

    // Deleting the last row.
    let (app, n) = seeded_chain(backend).await;
    exec(&app.db, &format!("DELETE FROM audit_event WHERE seq = {n}")).await;
    let (ok, text) = verify_cli(&app.db.url);
    assert!(!ok && text.contains(&format!("at event {n}")), "{text}");

    // Reordering two rows.
    let (app, _) = seeded_chain(backend).await;
    exec(&app.db, "UPDATE audit_event SET seq = -1 WHERE seq = 2").await;
    exec(&app.db, "UPDATE audit_event SET seq = 2 WHERE seq = 3").await;
    exec(&app.db, "UPDATE audit_event SET seq = 3 WHERE seq = -1").await;
    let (ok, text) = verify_cli(&app.db.url);
    assert!(!ok && text.contains("at event 2"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_deleting_or_reordering_events_breaks_verification_sqlite() {
    tampering_is_detected(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_deleting_or_reordering_events_breaks_verification_postgres() {
    if !postgres_or_skip() {
        return;
    }
    tampering_is_detected(Backend::Postgres).await;
}

/// Fires audited mutations and reads at `bases` from `workers` tasks for `secs`; returns the ids
/// of mutations that got a success answer.
async fn load(bases: Vec<String>, token: String, workers: usize, secs: u64) -> Vec<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        let base = bases[w % bases.len()].clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = Vec::new();
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                let body = if w % 2 == 0 {
                    json!({
                        "query": "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                        "variables": { "i": { "caseNumber": format!("L-{w}-{i}"), "title": "load", "province": "01", "legalBasis": "ART_150" } }
                    })
                } else {
                    json!({ "query": "{ cases(first: 5) { nodes { id title parties { person { fullName } } } } }" })
                };
                let Ok(resp) = client
                    .post(format!("{base}/graphql"))
                    .bearer_auth(&token)
                    .header("x-access-purpose", "load test")
                    .json(&body)
                    .send()
                    .await
                else {
                    continue;
                };
                let Ok(v) = resp.json::<Value>().await else { continue };
                if let Some(id) = v["data"]["openCase"]["id"].as_str() {
                    ok.push(id.to_string());
                }
            }
            ok
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap_or_default());
    }
    ids
}

async fn count_write_events(conn: &sea_orm::DatabaseConnection) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM audit_event WHERE action = 'WRITE'",
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get("", "n").expect("n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_chain_stays_linear_across_two_processes_under_load_postgres() {
    if !postgres_or_skip() {
        return;
    }
    let env = TestEnv::new(Backend::Postgres).await;
    let mut a = env.start_server(server_bin!());
    let mut b = env.start_server(server_bin!());
    let token = env.token(Agency::Police, "load");
    let secs = std::env::var("CTEX_AUDIT_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let ids = load(vec![a.base.clone(), b.base.clone()], token, 32, secs).await;
    a.kill();
    b.kill();
    let (ok, text) = verify_cli(&env.db.url);
    assert!(ok, "{text}");
    let conn = env.db.connect().await.expect("connect");
    let writes = count_write_events(&conn).await;
    eprintln!(
        "{} successful mutations in {secs} s over two processes; {text}",
        ids.len()
    );
    assert_eq!(
        writes,
        ids.len() as i64,
        "one write event per successful mutation"
    );
}

async fn sigkill_mid_load(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let mut server = env.start_server(server_bin!());
    let token = env.token(Agency::Police, "kill");
    let load = tokio::spawn(load(vec![server.base.clone()], token, 16, 3));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.signal("KILL");
    let ids = load.await.expect("load task");
    server.wait().await;
    assert!(!ids.is_empty());
    let (ok, text) = verify_cli(&env.db.url);
    assert!(ok, "{text}");
    let conn = env.db.connect().await.expect("connect");
    let placeholder = if conn.get_database_backend() == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    for id in &ids {
        let uuid = uuid::Uuid::parse_str(id).expect("uuid");
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                conn.get_database_backend(),
                format!("SELECT seq FROM audit_event WHERE action = 'WRITE' AND entity_id = {placeholder}"),
                [uuid.into()],
            ))
            .await
            .expect("query");
        assert!(
            row.is_some(),
            "acknowledged mutation {id} has no write event"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_leaves_a_verifying_chain_sqlite() {
    sigkill_mid_load(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_leaves_a_verifying_chain_postgres() {
    if !postgres_or_skip() {
        return;
    }
    sigkill_mid_load(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_the_events_as_json_lines() {
    let (app, n) = seeded_chain(Backend::Sqlite).await;
    let out = app.dir.path().join("export.jsonl");
    let status = Command::new(server_bin!())
        .args([
            "--log",
            "error",
            "audit",
            "export",
            "--database-url",
            &app.db.url,
            "--from",
            "2000-01-01T00:00:00Z",
        ])
        .arg("--out")
        .arg(&out)
        .status()
        .expect("export runs");
    assert!(status.success());
    let text = std::fs::read_to_string(&out).expect("export file");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len() as u64, n);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[1]["prevHash"], lines[0]["hash"]);
    let later = Command::new(server_bin!())
        .args([
            "--log",
            "error",
            "audit",
            "export",
            "--database-url",
            &app.db.url,
            "--from",
            "2999-01-01T00:00:00Z",
        ])
        .output()
        .expect("export runs");
    assert!(later.stdout.is_empty(), "nothing after the period");
}

both!(
    a_read_whose_audit_cannot_be_written_returns_no_personal_data,
    |app| async move {
        let police = app.token(Agency::Police, "officer-1");
        let case = open_case(&app, &police, case_input("HN-30", "01")).await;
        let (_, person) = add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "VICTIM", "person": { "fullName": "Giàng Thị Pà" } }),
        )
        .await;
        // The audit table becomes unwritable (a fault in the database).
        exec(
            &app.db,
            "ALTER TABLE audit_event RENAME TO audit_event_moved",
        )
        .await;
        let resp = app
            .gql(
                &police,
                "query($p: ID!) { person(id: $p) { fullName } }",
                json!({ "p": person }),
            )
            .await;
        assert_eq!(code(&resp), "INTERNAL");
        assert!(resp["errors"][0]["extensions"]["requestId"].is_string());
        assert!(
            resp["data"].is_null(),
            "no personal data without its audit: {resp}"
        );
        assert!(!resp.to_string().contains("Giàng"));
        // Writes fail whole: nothing is created without its event (writes stage their events
        // in `audit_stage`, inside their own transaction).
        exec(
            &app.db,
            "ALTER TABLE audit_stage RENAME TO audit_stage_moved",
        )
        .await;
        let write = app
            .gql(
                &police,
                "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                json!({ "i": case_input("HN-31", "01") }),
            )
            .await;
        assert_eq!(code(&write), "INTERNAL");
        exec(
            &app.db,
            "ALTER TABLE audit_event_moved RENAME TO audit_event",
        )
        .await;
        exec(
            &app.db,
            "ALTER TABLE audit_stage_moved RENAME TO audit_stage",
        )
        .await;
        let count = app
            .gql(&police, "{ cases { totalCount } }", json!({}))
            .await;
        assert_eq!(
            data(&count)["cases"]["totalCount"],
            1,
            "the failed write left nothing behind"
        );
    }
);

/// The audited (entity type, field) pairs of `events`, by outcome.
fn audited_fields(events: &[Value], outcome: &str) -> BTreeSet<(String, String)> {
    events
        .iter()
        .filter(|e| e["outcome"] == outcome)
        .flat_map(|e| {
            let ty = e["entityType"].as_str().unwrap_or_default().to_string();
            e["fields"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(move |f| Some((ty.clone(), f.as_str()?.to_string())))
        })
        .collect()
}

both!(
    every_person_level_field_read_or_refused_is_audited,
    |app| async move {
        // Every agency reads every person-level field of every row type of the access world
        // (the rows the matrix test probes); each field that resolved (to a value or to null)
        // must be in an ALLOWED read event of that entity type, each refused one in a DENIED
        // one, all with the request's purpose.
        let w = crate::access::world(&app).await;
        let cat = catalog(Audience::Full);
        let oversight = app.token(Agency::Oversight, "auditor-coverage");
        let mut covered: BTreeSet<(String, String)> = BTreeSet::new();
        for agency in Agency::ALL {
            let token = crate::access::token(&app, agency);
            let subject = format!("{}-officer", agency.code());
            let before: BTreeSet<String> = events(&app, &oversight, json!({ "subject": subject }))
                .await
                .iter()
                .filter_map(|e| e["seq"].as_str().map(str::to_string))
                .collect();
            let mut read = BTreeSet::new();
            let mut refused = BTreeSet::new();
            for (_, ty, query, path) in crate::access::probes(&w) {
                let fields: Vec<&CatalogField> = cat
                    .iter()
                    .filter(|f| {
                        f.ty == ty
                            && !f.has_args
                            && policy::rule(ty, f.field).is_some_and(policy::person_level)
                    })
                    .collect();
                if fields.is_empty() {
                    continue;
                }
                let selection = fields
                    .iter()
                    .map(|f| {
                        if f.object {
                            format!("{} {{ __typename }}", f.field)
                        } else {
                            f.field.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                let resp = app
                    .gql(&token, &query.replace("SEL", &selection), json!({}))
                    .await;
                let object = crate::access::at(&resp["data"], &path);
                if !object.is_object() {
                    continue;
                }
                let errors = resp["errors"].as_array().cloned().unwrap_or_default();
                for f in fields {
                    let mut at_field = path.clone();
                    at_field.push(Value::from(f.field));
                    let pair = (ty.to_string(), f.field.to_string());
                    if errors.iter().any(|e| {
                        e["path"].as_array() == Some(&at_field)
                            && e["extensions"]["code"] == "FORBIDDEN"
                    }) {
                        refused.insert(pair);
                    } else {
                        // Resolved (a value, or null because the row holds none): a read.
                        read.insert(pair);
                    }
                }
            }
            let new: Vec<Value> = events(&app, &oversight, json!({ "subject": subject }))
                .await
                .into_iter()
                .filter(|e| e["seq"].as_str().is_some_and(|s| !before.contains(s)))
                .collect();
            assert!(
                new.iter().all(|e| e["purpose"] == "integration test"),
                "every event carries the request's purpose"
            );
            eprintln!(
                "{agency:?}: {} new events, first {:?}",
                new.len(),
                new.first()
            );
            let allowed = audited_fields(&new, "ALLOWED");
            let denied = audited_fields(&new, "DENIED");
            let missing: Vec<_> = read.difference(&allowed).collect();
            assert!(
                missing.is_empty(),
                "{agency:?} read person-level fields without an audit event: {missing:?}"
            );
            let missing: Vec<_> = refused.difference(&denied).collect();
            assert!(
                missing.is_empty(),
                "{agency:?} was refused person-level fields without a DENIED event: {missing:?}"
            );
            covered.extend(read);
        }
        // The world reaches every person-level field that some agency may read: none of them
        // escapes the check above because no probe reached it.
        let all: BTreeSet<(String, String)> = cat
            .iter()
            .filter(|f| {
                !f.has_args && policy::rule(f.ty, f.field).is_some_and(policy::person_level)
            })
            .filter(|f| {
                crate::access::probes(&w)
                    .iter()
                    .any(|(_, ty, ..)| *ty == f.ty)
            })
            .map(|f| (f.ty.to_string(), f.field.to_string()))
            .collect();
        let unread: Vec<_> = all.difference(&covered).collect();
        assert!(
            unread.is_empty(),
            "person-level fields no agency read in the probes: {unread:?}"
        );
    }
);
