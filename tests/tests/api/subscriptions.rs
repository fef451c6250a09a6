//! Subscriptions over graphql-transport-ws: events reach exactly the subscribers whose scope
//! holds the row, with only the fields they may read; across server processes on one
//! PostgreSQL, also when a server's LISTEN connection is cut; the socket closes when the token
//! expires.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ctex_tests::ctex::auth::keys::TokenSpec;
use ctex_tests::ctex::domain::Agency;
use ctex_tests::{
    Backend, Subscriber, TestEnv, WsEvent, add_party, both, case_input, data, open_case,
    postgres_admin_url, postgres_or_skip, server_bin,
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

const FLAG_RAISED: &str = "subscription { flagRaised { id status mission person { fullName } } }";

fn flag_input(n: usize) -> Value {
    json!({ "i": { "mission": "Đại sứ quán tại Campuchia", "hostCountry": "KH", "circumstances": format!("Trường hợp {n}"), "urgency": "HIGH",
        "person": { "fullName": format!("Nạn nhân {n}"), "dateOfBirth": "1998-01-01" } } })
}

const FLAG: &str =
    "mutation($i: FlagSuspectedVictimInput!) { flagSuspectedVictim(input: $i) { id } }";

async fn subscriber(base: &str, token: &str, query: &str) -> Subscriber {
    let mut s = Subscriber::connect(base, token, Some("theo dõi cảnh báo"))
        .await
        .expect("connects");
    s.subscribe(query, json!({})).await.expect("subscribes");
    s
}

/// A subscriber (without a purpose) to `caseUpdated` of `case`, selecting `fields`, settled.
async fn case_watcher(base: &str, token: &str, case: &str, fields: &str) -> Subscriber {
    let mut s = Subscriber::connect(base, token, None)
        .await
        .expect("connects");
    s.subscribe(
        &format!("subscription($c: ID!) {{ caseUpdated(id: $c) {{ {fields} }} }}"),
        json!({ "c": case }),
    )
    .await
    .expect("subscribes");
    tokio::time::sleep(Duration::from_millis(200)).await;
    s
}

both!(
    a_flag_reaches_police_and_border_guard_but_not_the_court,
    |app| async move {
        let mission = app.token(Agency::ForeignAffairs, "consul");
        let mut police = subscriber(&app.base, &app.token(Agency::Police, "p"), FLAG_RAISED).await;
        let mut border = subscriber(
            &app.base,
            &app.token(Agency::BorderGuard, "bg"),
            FLAG_RAISED,
        )
        .await;
        let mut court = subscriber(&app.base, &app.token(Agency::Court, "c"), FLAG_RAISED).await;
        // The court may not subscribe to flags at all: refused at once.
        match court.next(Duration::from_secs(5)).await {
            Some(WsEvent::Next { payload, .. }) | Some(WsEvent::Error { payload, .. }) => {
                assert!(
                    payload.to_string().contains("FORBIDDEN")
                        || payload.to_string().contains("may not"),
                    "{payload}"
                );
            }
            other => panic!("the court's subscription should be refused, got {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let flag = app.gql(&mission, FLAG, flag_input(1)).await;
        let id = data(&flag)["flagSuspectedVictim"]["id"].clone();
        for (who, sub) in [("police", &mut police), ("border guard", &mut border)] {
            match sub.next(Duration::from_secs(10)).await {
                Some(WsEvent::Next { payload, .. }) => {
                    eprintln!("{who} received flagRaised after {:?}", started.elapsed());
                    assert_eq!(payload["data"]["flagRaised"]["id"], id);
                    assert_eq!(payload["data"]["flagRaised"]["status"], "FLAGGED");
                    if who == "police" {
                        assert_eq!(
                            payload["data"]["flagRaised"]["person"]["fullName"],
                            "Nạn nhân 1"
                        );
                    } else {
                        // The border guard sees the flag, not the person's identity.
                        assert!(
                            payload["data"]["flagRaised"]["person"].is_null(),
                            "{payload}"
                        );
                    }
                }
                other => panic!("{who} got {other:?}"),
            }
        }
        assert!(
            court
                .next(Duration::from_millis(500))
                .await
                .is_none_or(|e| e == WsEvent::Closed || matches!(e, WsEvent::Complete(_)))
        );
        // Reading the flagged person's name through a subscription is audited like a query.
        let oversight = app.token(Agency::Oversight, "auditor");
        let events = app.gql(&oversight, "{ auditEvents(filter: { agency: POLICE }) { nodes { operation entityType fields purpose } } }", json!({})).await;
        let nodes = data(&events)["auditEvents"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            nodes.iter().any(|e| e["operation"] == "subscription"
                && e["entityType"] == "Person"
                && e["fields"] == json!(["fullName"])
                && e["purpose"] == "theo dõi cảnh báo"),
            "{nodes:?}"
        );
    }
);

both!(
    referrals_reach_their_receiver_and_case_updates_their_case,
    |app| async move {
        let police = app.token(Agency::Police, "p");
        let case = open_case(&app, &police, case_input("SUB-1", "01")).await;
        let (_, person) = add_party(&app, &police, json!({ "caseId": case, "role": "VICTIM", "consentToShare": true, "person": { "fullName": "Lý Thị Mai" } })).await;
        let received = "subscription { referralReceived { id toAgency status } }";
        let mut social =
            subscriber(&app.base, &app.token(Agency::SocialServices, "s"), received).await;
        let mut mission =
            subscriber(&app.base, &app.token(Agency::ForeignAffairs, "f"), received).await;
        let mut watcher = case_watcher(&app.base, &police, &case, "id status version").await;
        let r = app.gql(&police, "mutation($i: SendReferralInput!) { sendReferral(input: $i) { id } }", json!({ "i": { "toAgency": "SOCIAL_SERVICES", "personId": person, "caseId": case, "purpose": "Hỗ trợ", "services": ["SHELTER"], "consent": "GIVEN", "sharedFields": ["FULL_NAME"] } })).await;
        let referral = data(&r)["sendReferral"]["id"].clone();
        match social.next(Duration::from_secs(10)).await {
            Some(WsEvent::Next { payload, .. }) => assert_eq!(
                payload["data"]["referralReceived"],
                json!({ "id": referral, "toAgency": "SOCIAL_SERVICES", "status": "SENT" })
            ),
            other => panic!("social services got {other:?}"),
        }
        assert!(
            mission.drain(Duration::from_millis(700)).await.is_empty(),
            "foreign affairs is not the receiver"
        );
        let r = app
            .gql(
                &police,
                "mutation($i: MoveCaseInput!) { moveCase(input: $i) { version } }",
                json!({ "i": { "id": case, "version": 2, "to": "UNDER_INVESTIGATION" } }),
            )
            .await;
        data(&r);
        let updates = watcher.drain(Duration::from_secs(3)).await;
        assert!(
            updates
                .iter()
                .any(|u| u["data"]["caseUpdated"]["status"] == "UNDER_INVESTIGATION"),
            "{updates:?}"
        );
    }
);

both!(
    each_change_of_a_case_reaches_its_watcher_as_the_change_left_it,
    |app| async move {
        // Rows loaded for an event are shared by subscribers; a second change of the same case
        // must not be answered with the row as the first change left it.
        let police = app.token(Agency::Police, "p");
        let case = open_case(&app, &police, case_input("SUB-2", "01")).await;
        let mut watcher = case_watcher(&app.base, &police, &case, "id title status version").await;
        // The case's own opening may still be announced (on PostgreSQL the sealer announces
        // it); from here every state the changes leave must arrive, the last one last.
        let r = app
            .gql(
                &police,
                "mutation($i: MoveCaseInput!) { moveCase(input: $i) { version } }",
                json!({ "i": { "id": case, "version": 1, "to": "UNDER_INVESTIGATION" } }),
            )
            .await;
        assert_eq!(data(&r)["moveCase"]["version"], 2);
        let mut seen = Vec::new();
        let moved = |u: &Value| {
            u["data"]["caseUpdated"]["status"] == "UNDER_INVESTIGATION"
                && u["data"]["caseUpdated"]["version"] == 2
        };
        while !seen.iter().any(moved) {
            match watcher.next(Duration::from_secs(10)).await {
                Some(WsEvent::Next { payload, .. }) => seen.push(payload),
                other => panic!("after the move the watcher got {other:?}; before: {seen:?}"),
            }
        }
        let r = app
            .gql(
                &police,
                "mutation($i: UpdateCaseInput!) { updateCase(input: $i) { version } }",
                json!({ "i": { "id": case, "version": 2, "title": "Đổi tên" } }),
            )
            .await;
        assert_eq!(data(&r)["updateCase"]["version"], 3);
        match watcher.next(Duration::from_secs(10)).await {
            Some(WsEvent::Next { payload, .. }) => assert_eq!(
                payload["data"]["caseUpdated"],
                json!({ "id": case, "title": "Đổi tên", "status": "UNDER_INVESTIGATION", "version": 3 })
            ),
            other => panic!("after the update the watcher got {other:?}"),
        }
    }
);

both!(the_socket_closes_when_the_token_expires, |app| async move {
    let short = app.token_with(TokenSpec {
        ttl_secs: 2,
        ..TokenSpec::new(Agency::Police, "short")
    });
    let mut s = subscriber(&app.base, &short, FLAG_RAISED).await;
    let started = Instant::now();
    loop {
        match s.next(Duration::from_secs(10)).await {
            Some(WsEvent::Closed) | Some(WsEvent::Complete(_)) => break,
            None => panic!("still open {:?} after the token expired", started.elapsed()),
            Some(_) => {}
        }
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    // A bad token is refused at connection_init.
    assert!(
        Subscriber::connect(&app.base, "not-a-token", None)
            .await
            .is_err()
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flag_raised_on_one_process_reaches_subscribers_on_another_postgres() {
    if !postgres_or_skip() {
        return;
    }
    let env = TestEnv::new(Backend::Postgres).await;
    let a = env.start_server(server_bin!());
    let b = env.start_server(server_bin!());
    let mut police_b = subscriber(&b.base, &env.token(Agency::Police, "p"), FLAG_RAISED).await;
    let mut court_a = Subscriber::connect(&a.base, &env.token(Agency::Court, "c"), None)
        .await
        .expect("connects");
    court_a
        .subscribe(
            "subscription { caseUpdated(id: \"00000000-0000-0000-0000-000000000000\") { id } }",
            json!({}),
        )
        .await
        .expect("subscribes");
    let mut court_b = Subscriber::connect(&b.base, &env.token(Agency::Court, "c"), None)
        .await
        .expect("connects");
    court_b
        .subscribe(
            "subscription { caseUpdated(id: \"00000000-0000-0000-0000-000000000000\") { id } }",
            json!({}),
        )
        .await
        .expect("subscribes");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let flag = a
        .gql(&env.token(Agency::ForeignAffairs, "f"), FLAG, flag_input(7))
        .await;
    let id = data(&flag)["flagSuspectedVictim"]["id"].clone();
    match police_b.next(Duration::from_secs(10)).await {
        Some(WsEvent::Next { payload, .. }) => {
            eprintln!("flagRaised crossed processes in {:?}", started.elapsed());
            assert_eq!(payload["data"]["flagRaised"]["id"], id);
        }
        other => panic!("process B's subscriber got {other:?}"),
    }
    assert!(court_a.drain(Duration::from_millis(500)).await.is_empty());
    assert!(court_b.drain(Duration::from_millis(500)).await.is_empty());
}

/// A PostgreSQL server with a settled police subscriber to `flagRaised`, and a connection to
/// its database.
async fn listening_police() -> (
    TestEnv,
    ctex_tests::ServerProcess,
    Subscriber,
    sea_orm::DatabaseConnection,
) {
    let env = TestEnv::new(Backend::Postgres).await;
    let app = env.start_server(server_bin!());
    let police = subscriber(&app.base, &env.token(Agency::Police, "p"), FLAG_RAISED).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let db = env.db.connect().await.expect("connects");
    (env, app, police, db)
}

/// Expects `police` to get the flag raised by the response `flag` within 10 s, and only once.
async fn delivered_once(police: &mut Subscriber, flag: &Value, what: &str) {
    let id = data(flag)["flagSuspectedVictim"]["id"].clone();
    match police.next(Duration::from_secs(10)).await {
        Some(WsEvent::Next { payload, .. }) => {
            assert_eq!(payload["data"]["flagRaised"]["id"], id, "{payload}");
        }
        other => panic!("{what}: {other:?}"),
    }
    let again = police.drain(Duration::from_millis(700)).await;
    assert!(again.is_empty(), "delivered again: {again:?}");
}

/// Terminates the server's LISTEN connection, from `db` (a connection to its database).
async fn cut_listener(db: &sea_orm::DatabaseConnection) {
    let cut = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND query ILIKE 'LISTEN%' \
             AND pid <> pg_backend_pid()",
        ))
        .await
        .expect("terminates")
        .and_then(|r| r.try_get::<i64>("", "n").ok());
    assert_eq!(cut, Some(1), "the server's listener connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_sealed_while_the_listener_reconnects_arrive_once_postgres() {
    if !postgres_or_skip() {
        return;
    }
    let (env, app, mut police, db) = listening_police().await;
    let mission = env.token(Agency::ForeignAffairs, "f");
    for n in 20..23 {
        // Cut the server's LISTEN connection and raise a flag at once, while it reconnects.
        cut_listener(&db).await;
        let flag = app.gql(&mission, FLAG, flag_input(n)).await;
        delivered_once(
            &mut police,
            &flag,
            "the flag raised while the listener reconnected",
        )
        .await;
    }
    // With the connection up, as before: once.
    let flag = app.gql(&mission, FLAG, flag_input(30)).await;
    let id = data(&flag)["flagSuspectedVictim"]["id"].clone();
    let got = police.drain(Duration::from_secs(2)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["data"]["flagRaised"]["id"], id);
}

/// Runs one statement on `db`.
async fn run(db: &sea_orm::DatabaseConnection, sql: &str) {
    db.execute_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_sealed_while_the_listener_cannot_reconnect_arrive_once_it_is_back_postgres() {
    if !postgres_or_skip() {
        return;
    }
    let (env, app, mut police, db) = listening_police().await;
    let name = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_database() AS name",
        ))
        .await
        .expect("asks")
        .and_then(|r| r.try_get::<String>("", "name").ok())
        .expect("a database name");
    let mission = env.token(Agency::ForeignAffairs, "f");
    // Open a few of the server's pooled connections, which stay usable while new connections
    // are refused below; the flags are delivered and drained.
    let warm: Vec<_> = (0..4)
        .map(|n| app.gql(&mission, FLAG, flag_input(40 + n)))
        .collect();
    futures::future::join_all(warm).await;
    let warmed = police.drain(Duration::from_secs(2)).await;
    assert_eq!(warmed.len(), 4, "{warmed:?}");

    // New connections to the database are refused (said from another database), and the
    // server's LISTEN connection is cut: sqlx's reconnection fails, an error rather than a lost
    // connection.
    let admin = sea_orm::Database::connect(postgres_admin_url().expect("configured"))
        .await
        .expect("connects");
    run(
        &admin,
        &format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false"),
    )
    .await;
    cut_listener(&db).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A flag raised meanwhile, on a pooled connection: its notification reaches nobody here.
    let flag = app.gql(&mission, FLAG, flag_input(50)).await;
    run(
        &admin,
        &format!("ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true"),
    )
    .await;
    // Delivered once the listener is back, though no other notification follows.
    delivered_once(
        &mut police,
        &flag,
        "the flag raised while the listener could not reconnect",
    )
    .await;
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_subscribers_each_get_every_visible_flag_exactly_once_postgres() {
    if !postgres_or_skip() {
        return;
    }
    let secs: u64 = std::env::var("CTEX_SUB_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let rate: u64 = 50;
    let env = TestEnv::new(Backend::Postgres).await;
    let server = env.start_server(server_bin!());
    // 200 subscribers over the agencies: police, border guard and social services see flags;
    // the court's subscriptions are refused.
    let agencies = [
        Agency::Police,
        Agency::BorderGuard,
        Agency::SocialServices,
        Agency::ForeignAffairs,
        Agency::Court,
    ];
    let mut tasks = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(256);
    for i in 0..200usize {
        let agency = agencies[i % agencies.len()];
        let token = env.token_with(TokenSpec {
            ttl_secs: 3600,
            ..TokenSpec::new(agency, format!("sub-{i}"))
        });
        let base = server.base.clone();
        let ready = ready_tx.clone();
        tasks.push((
            agency,
            tokio::spawn(async move {
                let mut s = subscriber(&base, &token, "subscription { flagRaised { id } }").await;
                let _ = ready.send(()).await;
                let mut seen: BTreeMap<String, u32> = BTreeMap::new();
                let mut refused = false;
                loop {
                    match s.next(Duration::from_secs(15)).await {
                        Some(WsEvent::Next { payload, .. }) => {
                            match payload["data"]["flagRaised"]["id"].as_str() {
                                Some(id) => *seen.entry(id.to_string()).or_default() += 1,
                                None => refused = true,
                            }
                        }
                        Some(WsEvent::Error { .. }) => refused = true,
                        Some(WsEvent::Complete(_)) | Some(WsEvent::Closed) | None => break,
                    }
                }
                (seen, refused)
            }),
        ));
    }
    drop(ready_tx);
    for _ in 0..200 {
        ready_rx.recv().await.expect("subscriber ready");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_start = rss_kib(server.pid());
    let mission = env.token_with(TokenSpec {
        ttl_secs: 3600,
        ..TokenSpec::new(Agency::ForeignAffairs, "mission")
    });
    let mut created = Vec::new();
    let mut rss_mid = 0;
    let started = Instant::now();
    for n in 0..(secs * rate) {
        let due = started + Duration::from_millis(n * 1000 / rate);
        tokio::time::sleep_until(due.into()).await;
        let resp = server.gql(&mission, FLAG, flag_input(n as usize)).await;
        if let Some(id) = resp["data"]["flagSuspectedVictim"]["id"].as_str() {
            created.push(id.to_string());
        }
        if n == secs * rate / 2 {
            rss_mid = rss_kib(server.pid());
        }
    }
    let rss_end = rss_kib(server.pid());
    assert_eq!(created.len() as u64, secs * rate, "every flag was created");
    for (agency, task) in tasks {
        let (seen, refused) = task.await.expect("subscriber task");
        match agency {
            Agency::Court => assert!(seen.is_empty() && refused, "the court receives nothing"),
            _ => {
                assert_eq!(seen.len(), created.len(), "{agency:?} received every flag");
                assert!(
                    seen.values().all(|n| *n == 1),
                    "{agency:?} received a flag twice"
                );
            }
        }
    }
    eprintln!("RSS KiB: start {rss_start}, middle {rss_mid}, end {rss_end}");
    assert!(
        rss_end <= rss_mid + rss_mid / 4 + 20_000,
        "memory grows: middle {rss_mid} KiB, end {rss_end} KiB"
    );
}
