//! Investigator tools: suggestions across agencies, hit/no-hit with disclosure, and the bounded
//! network expansion.

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{
    Backend, TestApp, TestEnv, add_party, both, case_input, code, data, metric_sum, open_case,
    postgres_or_skip, server_bin,
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

async fn add_phone(app: &TestApp, token: &str, person: &str, value: &str) {
    let r = app
        .gql(
            token,
            "mutation($i: AddIdentifierInput!) { addIdentifier(input: $i) { normalized } }",
            json!({ "i": { "personId": person, "kind": "PHONE", "value": value } }),
        )
        .await;
    assert_eq!(data(&r)["addIdentifier"]["normalized"], "+84912345678");
}

both!(
    one_phone_written_three_ways_links_three_cases,
    |app| async move {
        let police = app.token(Agency::Police, "investigator-na");
        let hanoi_police = app.token(Agency::Police, "investigator-hn");
        let border = app.token(Agency::BorderGuard, "bg-lao-cai");
        let na = open_case(&app, &police, case_input("NA-1", "40")).await;
        let hn = open_case(&app, &hanoi_police, case_input("HN-1", "01")).await;
        let lc = open_case(&app, &border, case_input("LC-1", "10")).await;
        for (token, case, name, phone) in [
            (&police, &na, "Trần Văn Môi", "0912 345 678"),
            (&hanoi_police, &hn, "Trần Văn Mới", "+84 912-345-678"),
            (&border, &lc, "Trần Môi", "84912345678"),
        ] {
            let (_, person) = add_party(&app, token, json!({ "caseId": case, "role": "SUSPECT", "suspectRole": "BROKER", "person": { "fullName": name } })).await;
            add_phone(&app, token, &person, phone).await;
        }
        let q = "query($c: ID!) { linkSuggestions(caseId: $c) { score evidence case { id caseNumber } reference { reference kind holdingAgency contact } } }";
        let resp = app.gql(&police, q, json!({ "c": na })).await;
        let suggestions = data(&resp)["linkSuggestions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let found: Vec<Value> = suggestions
            .iter()
            .map(|s| s["case"]["id"].clone())
            .collect();
        assert_eq!(suggestions.len(), 2, "{suggestions:?}");
        assert!(
            found.contains(&json!(hn)) && found.contains(&json!(lc)),
            "police sees both cases: {suggestions:?}"
        );
        assert!(
            suggestions
                .iter()
                .all(|s| s["evidence"] == json!(["PHONE +84912345678"]))
        );
        // The border guard sees its own case's suggestions; the Hà Nội police case (not a border
        // province) only as a reference.
        let resp = app.gql(&border, q, json!({ "c": lc })).await;
        let suggestions = data(&resp)["linkSuggestions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(suggestions.len(), 2, "{suggestions:?}");
        let hidden = suggestions
            .iter()
            .find(|s| s["case"].is_null())
            .cloned()
            .unwrap_or_default();
        assert_eq!(hidden["reference"]["holdingAgency"], "POLICE");
        assert_eq!(hidden["reference"]["kind"], "CASE");
        assert!(
            hidden["reference"]["contact"]
                .as_str()
                .is_some_and(|c| !c.is_empty())
        );
        assert!(
            !hidden.to_string().contains("HN-1") && !hidden.to_string().contains(&hn),
            "no field of the hidden case leaks"
        );
        let visible = suggestions
            .iter()
            .find(|s| !s["case"].is_null())
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            visible["case"]["id"],
            json!(na),
            "Nghệ An is a border province: the border guard sees it"
        );
        // Linking.
        let r = app.gql(&police, "mutation($i: LinkCasesInput!) { linkCases(input: $i) { id reason evidence from { id } to { id } } }", json!({ "i": { "from": na, "to": hn, "reason": "cùng số điện thoại môi giới", "evidence": ["PHONE +84912345678"], "confidence": 80 } })).await;
        let link = data(&r)["linkCases"].clone();
        assert_eq!(link["to"]["id"], json!(hn));
        let r = app
            .gql(
                &police,
                "query($c: ID!) { case(id: $c) { links { id reason } } }",
                json!({ "c": hn }),
            )
            .await;
        assert_eq!(data(&r)["case"]["links"][0]["id"], link["id"]);
        let r = app
            .gql(
                &police,
                "mutation($i: LinkCasesInput!) { linkCases(input: $i) { id } }",
                json!({ "i": { "from": hn, "to": na, "reason": "again" } }),
            )
            .await;
        assert_eq!(code(&r), "CONFLICT");
        // A linked case is no longer suggested, from either side; unlinked, it is again.
        let suggested = |resp: &Value| -> Vec<Value> {
            data(resp)["linkSuggestions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| s["case"]["id"].clone())
                .collect()
        };
        let resp = app.gql(&police, q, json!({ "c": na })).await;
        assert_eq!(suggested(&resp), vec![json!(lc)], "{resp}");
        let resp = app.gql(&hanoi_police, q, json!({ "c": hn })).await;
        assert!(!suggested(&resp).contains(&json!(na)), "{resp}");
        let r = app
            .gql(
                &police,
                "mutation($id: ID!) { unlinkCases(id: $id) }",
                json!({ "id": link["id"] }),
            )
            .await;
        assert_eq!(data(&r)["unlinkCases"], link["id"]);
        let resp = app.gql(&police, q, json!({ "c": na })).await;
        assert_eq!(suggested(&resp).len(), 2, "{resp}");
    }
);

both!(hit_no_hit_then_disclosure_then_expiry, |app| async move {
    let police = app.token(Agency::Police, "investigator");
    let border = app.token(Agency::BorderGuard, "bg");
    let case = open_case(&app, &police, case_input("HN-7", "01")).await;
    let (_, suspect) = add_party(&app, &police, json!({ "caseId": case, "role": "SUSPECT", "person": { "fullName": "Đỗ Văn Hải", "dateOfBirth": "1980-02-02", "address": "Hoàng Mai, Hà Nội" } })).await;
    add_phone(&app, &police, &suspect, "0912.345.678").await;
    // The border guard asks: does anyone hold this phone? Only a reference comes back.
    let hits = "query { identifierHits(kind: PHONE, value: \"(091) 234-5678\") { reference kind holdingAgency contact } }";
    let resp = app.gql(&border, hits, json!({})).await;
    let found = data(&resp)["identifierHits"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(found.len(), 1, "{resp}");
    assert_eq!(
        (
            found[0]["kind"].as_str(),
            found[0]["holdingAgency"].as_str()
        ),
        (Some("PERSON"), Some("POLICE"))
    );
    let text = resp.to_string();
    assert!(
        !text.contains("Đỗ")
            && !text.contains(&suspect)
            && !text.contains(&case)
            && !text.contains("Hoàng Mai"),
        "a hit leaks nothing: {text}"
    );
    let reference = found[0]["reference"].clone();
    // No hit: nothing.
    let resp = app
        .gql(
            &border,
            "query { identifierHits(kind: PHONE, value: \"0987 000 000\") { reference } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&resp)["identifierHits"], json!([]));
    let resp = app.gql(&border, "query { personHits(fullName: \"HAI DO VAN\", dateOfBirth: \"1980-02-02\") { holdingAgency } }", json!({})).await;
    assert_eq!(
        data(&resp)["personHits"],
        json!([{ "holdingAgency": "POLICE" }])
    );
    // Before disclosure the border guard cannot read the person.
    let read = "query($p: ID!) { person(id: $p) { fullName address } }";
    assert_eq!(
        code(&app.gql(&border, read, json!({ "p": suspect })).await),
        "NOT_FOUND"
    );
    // Request, and the holder sees it pending.
    let r = app.gql(&border, "mutation($i: RequestDisclosureInput!) { requestDisclosure(input: $i) { id version status holderAgency } }", json!({ "i": { "reference": reference, "purpose": "Xác minh đối tượng tại cửa khẩu" } })).await;
    let request = data(&r)["requestDisclosure"].clone();
    assert_eq!(
        (request["status"].as_str(), request["holderAgency"].as_str()),
        (Some("PENDING"), Some("POLICE"))
    );
    let r = app.gql(&police, "{ disclosureRequests(incoming: true, pending: true) { totalCount nodes { id purpose requesterAgency } } }", json!({})).await;
    assert_eq!(data(&r)["disclosureRequests"]["totalCount"], 1);
    // Only the holder decides.
    let decide = "mutation($i: DecideDisclosureInput!) { grantDisclosure(input: $i) { status expiresAt person { fullName } } }";
    let r = app
        .gql(
            &border,
            decide,
            json!({ "i": { "id": request["id"], "version": 1 } }),
        )
        .await;
    assert_eq!(code(&r), "FORBIDDEN");
    let r = app
        .gql(
            &police,
            decide,
            json!({ "i": { "id": request["id"], "version": 1, "hours": 2 } }),
        )
        .await;
    assert_eq!(data(&r)["grantDisclosure"]["status"], "GRANTED");
    // Now the border guard reads the person (identity), through the request or directly.
    let r = app.gql(&border, read, json!({ "p": suspect })).await;
    assert_eq!(data(&r)["person"]["fullName"], "Đỗ Văn Hải");
    // After expiry it cannot.
    let conn = app.db.connect().await.expect("connect");
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        "UPDATE disclosure_request SET expires_at = created_at".to_string(),
    ))
    .await
    .expect("expire");
    assert_eq!(
        code(&app.gql(&border, read, json!({ "p": suspect })).await),
        "NOT_FOUND"
    );
    // Every step is in the audit trail.
    let oversight = app.token(Agency::Oversight, "auditor");
    let r = app
        .gql(
            &oversight,
            "{ auditEvents(first: 100) { nodes { agency operation entityType action outcome } } }",
            json!({}),
        )
        .await;
    let events: Vec<(String, String, String)> = data(&r)["auditEvents"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["agency"].as_str().unwrap_or_default().into(),
                e["operation"].as_str().unwrap_or_default().into(),
                e["entityType"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    for (agency, operation, entity) in [
        ("BORDER_GUARD", "anonymous", "HitReference"),
        ("BORDER_GUARD", "requestDisclosure", "DisclosureRequest"),
        ("POLICE", "grantDisclosure", "DisclosureRequest"),
        ("BORDER_GUARD", "anonymous", "Person"),
    ] {
        assert!(
            events
                .iter()
                .any(|e| e.0 == agency && e.1 == operation && e.2 == entity),
            "missing {agency} {operation} {entity}: {events:?}"
        );
    }
});

both!(
    hit_searches_are_rate_limited_per_subject,
    |app| async move {
        let border = app.token(Agency::BorderGuard, "bg-prober");
        let other = app.token(Agency::BorderGuard, "bg-colleague");
        let q = "query($v: String!) { identifierHits(kind: PASSPORT, value: $v) { reference } }";
        let mut limited = false;
        for i in 0..40 {
            let r = app
                .gql(&border, q, json!({ "v": format!("C{:07}", i) }))
                .await;
            if code(&r) == "RATE_LIMITED" {
                assert!(
                    r["errors"][0]["extensions"]["retryAfter"]
                        .as_u64()
                        .is_some_and(|s| s >= 1)
                );
                limited = true;
                break;
            }
        }
        assert!(limited, "a prober enumerating passports is slowed down");
        let r = app.gql(&other, q, json!({ "v": "C1234567" })).await;
        assert_eq!(
            data(&r)["identifierHits"],
            json!([]),
            "another officer is not affected"
        );
        let steering = app.token(Agency::Steering, "analyst");
        assert_eq!(
            code(&app.gql(&steering, q, json!({ "v": "C1" })).await),
            "FORBIDDEN"
        );
    }
);

/// In its own server process, so the statement counter counts this test's statements only.
async fn network_expansion_is_bounded(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let server = env.start_server(server_bin!());
    let police = env.token(Agency::Police, "analyst");
    let r = server
        .gql(
            &police,
            "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
            json!({ "i": case_input("BIG-1", "01") }),
        )
        .await;
    let case = data(&r)["openCase"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // A large component: 3,000 persons party to the case, pairs of them sharing a phone,
    // inserted directly for speed.
    let conn = env.db.connect().await.expect("connect");
    let backend = conn.get_database_backend();
    let case_id = uuid::Uuid::parse_str(&case).expect("uuid");
    let now = chrono::Utc::now().to_rfc3339();
    // UUIDs are stored natively on PostgreSQL and as 16-byte blobs on SQLite.
    let lit = |u: uuid::Uuid| {
        if backend == sea_orm::DbBackend::Sqlite {
            format!("X'{}'", u.simple())
        } else {
            format!("'{u}'")
        }
    };
    let case_id = lit(case_id);
    for chunk in 0..30 {
        let mut persons = Vec::new();
        let mut parties = Vec::new();
        let mut idents = Vec::new();
        for i in 0..100 {
            let n = chunk * 100 + i;
            let person = lit(uuid::Uuid::now_v7());
            persons.push(format!(
                "({person}, 'Người {n}', 'nguoi {n}', '[]', 1, '{now}', '{now}', 'police', 'seed')"
            ));
            parties.push(format!("({}, {case_id}, {person}, 'VICTIM', FALSE, '[]', FALSE, 1, '{now}', '{now}', 'police', 'seed')", lit(uuid::Uuid::now_v7())));
            idents.push(format!("({}, {person}, 'PHONE', 'x', '+849{:08}', FALSE, 1, '{now}', '{now}', 'police', 'seed')", lit(uuid::Uuid::now_v7()), n / 2));
        }
        let fix = |s: String| {
            if backend == sea_orm::DbBackend::Sqlite {
                s.replace("FALSE", "0")
            } else {
                s
            }
        };
        for sql in [
            format!(
                "INSERT INTO person (id, full_name, name_folded, aliases, version, created_at, updated_at, created_by_agency, created_by_subject) VALUES {}",
                persons.join(",")
            ),
            format!(
                "INSERT INTO case_party (id, case_id, person_id, role, consent_to_share, protection_measures, is_minor, version, created_at, updated_at, created_by_agency, created_by_subject) VALUES {}",
                parties.join(",")
            ),
            format!(
                "INSERT INTO identifier (id, person_id, kind, value, normalized, verified, version, created_at, updated_at, created_by_agency, created_by_subject) VALUES {}",
                idents.join(",")
            ),
        ] {
            conn.execute_raw(Statement::from_string(backend, fix(sql)))
                .await
                .expect("fixture insert");
        }
    }
    let before = metric_sum(&server.metrics().await, "ctex_sql_statements_total");
    let resp = server
        .gql(&police, "query($c: ID!) { network(caseId: $c, depth: 4, limit: 500) { truncated nodes { index kind depth } edges { from to kind } } }", json!({ "c": case }))
        .await;
    let after = metric_sum(&server.metrics().await, "ctex_sql_statements_total");
    let graph = &data(&resp)["network"];
    assert_eq!(graph["truncated"], true);
    assert_eq!(graph["nodes"].as_array().map(Vec::len), Some(500));
    assert_eq!(
        graph["nodes"][0],
        json!({ "index": 0, "kind": "CASE", "depth": 0 })
    );
    let statements = after - before;
    eprintln!("network depth 4 over a 6,000-node component: {statements} SQL statements");
    assert!(
        statements < 40.0,
        "{statements} statements: the expansion is not set-based"
    );
    let resp = server
        .gql(
            &police,
            "query($c: ID!) { network(caseId: $c, depth: 5) { truncated } }",
            json!({ "c": case }),
        )
        .await;
    assert_eq!(code(&resp), "BAD_USER_INPUT");
    let court = env.token(Agency::Court, "judge");
    assert_eq!(
        code(
            &server
                .gql(
                    &court,
                    "query($c: ID!) { network(caseId: $c) { truncated } }",
                    json!({ "c": case })
                )
                .await
        ),
        "FORBIDDEN"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_expansion_is_bounded_and_set_based_sqlite() {
    network_expansion_is_bounded(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_expansion_is_bounded_and_set_based_postgres() {
    if postgres_or_skip() {
        network_expansion_is_bounded(Backend::Postgres).await;
    }
}
