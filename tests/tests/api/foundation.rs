//! The foundation: HTTP endpoints, authentication at the edge, cases and persons round-trip,
//! optimistic concurrency, idempotency, input validation, metrics.

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{TestApp, add_party, both, case_input, code, codes, data, open_case};
use serde_json::{Value, json};

const CASE_FIELDS: &str = "id version caseNumber title status leadAgency province openedAt closedAt
    legalBasis transnational organizedGroup exploitationForms recruitmentMethods
    recruitmentPlatforms countries handlingCode handlingRestriction summary sourceReliability
    informationAccuracy createdByAgency";

both!(health_and_readiness_answer, |app| async move {
    assert_eq!(app.get("/healthz").await.0, 200);
    let (status, body) = app.get("/readyz").await;
    assert_eq!((status, body.as_str()), (200, "ready"));
});

both!(
    a_dev_token_authenticates_and_me_reports_it,
    |app| async move {
        let token = app.token(Agency::Police, "officer-1");
        let resp = app
            .gql(
                &token,
                "{ me { agency subject readOnly purpose } }",
                json!({}),
            )
            .await;
        assert_eq!(
            data(&resp)["me"],
            json!({ "agency": "POLICE", "subject": "officer-1", "readOnly": false, "purpose": "integration test" })
        );
    }
);

both!(
    no_token_or_a_tampered_token_is_401_unauthenticated,
    |app| async move {
        let body = json!({ "query": "{ me { agency } }" });
        let (status, resp) = app.post(None, None, &body).await;
        assert_eq!((status, code(&resp)), (401, "UNAUTHENTICATED".to_string()));
        assert!(resp["data"].is_null());

        let token = app.token(Agency::Police, "officer-1");
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        // Flip one character of the signature.
        let sig = parts[2].clone();
        let first = if sig.starts_with('A') { 'B' } else { 'A' };
        let flipped: String = std::iter::once(first).chain(sig.chars().skip(1)).collect();
        parts[2] = flipped;
        let (status, resp) = app.post(Some(&parts.join(".")), None, &body).await;
        assert_eq!((status, code(&resp)), (401, "UNAUTHENTICATED".to_string()));
        let (status, _) = app.post(Some("not-a-jwt"), None, &body).await;
        assert_eq!(status, 401);
    }
);

both!(open_case_round_trips_every_field, |app| async move {
    let police = app.token(Agency::Police, "officer-1");
    let input = json!({
        "caseNumber": "NA-2026-001",
        "title": "Đường dây đưa người sang Campuchia qua mạng Facebook",
        "province": "40",
        "openedAt": "2026-07-01T08:30:00.123456Z",
        "legalBasis": "ART_151",
        "transnational": true,
        "organizedGroup": true,
        "exploitationForms": ["FORCED_LABOUR", "SEXUAL_EXPLOITATION"],
        "recruitmentMethods": ["ONLINE_JOB_OFFER"],
        "recruitmentPlatforms": ["Facebook", "Zalo"],
        "countries": ["vn", "KH"],
        "handlingCode": "H3",
        "handlingRestriction": "Chỉ dùng cho điều tra",
        "summary": "Đối tượng tuyển \"việc nhẹ lương cao\"; O'Brien; <script>; DROP TABLE x; --",
        "sourceReliability": "B",
        "informationAccuracy": 2,
    });
    let query =
        format!("mutation($i: OpenCaseInput!) {{ openCase(input: $i) {{ {CASE_FIELDS} }} }}");
    let opened = data(&app.gql(&police, &query, json!({ "i": input })).await)["openCase"].clone();
    let id = opened["id"].as_str().expect("id").to_string();
    let query = format!("query($id: ID!) {{ case(id: $id) {{ {CASE_FIELDS} }} }}");
    let read = data(&app.gql(&police, &query, json!({ "id": id })).await)["case"].clone();
    assert_eq!(
        read, opened,
        "what openCase returned is what case(id) reads"
    );
    let expected = json!({
        "id": id, "version": 1, "caseNumber": "NA-2026-001",
        "title": "Đường dây đưa người sang Campuchia qua mạng Facebook",
        "status": "REPORTED", "leadAgency": "POLICE", "province": "40",
        "openedAt": "2026-07-01T08:30:00.123456Z", "closedAt": null, "legalBasis": "ART_151",
        "transnational": true, "organizedGroup": true,
        "exploitationForms": ["FORCED_LABOUR", "SEXUAL_EXPLOITATION"],
        "recruitmentMethods": ["ONLINE_JOB_OFFER"], "recruitmentPlatforms": ["Facebook", "Zalo"],
        "countries": ["VN", "KH"], "handlingCode": "H3", "handlingRestriction": "Chỉ dùng cho điều tra",
        "summary": "Đối tượng tuyển \"việc nhẹ lương cao\"; O'Brien; <script>; DROP TABLE x; --",
        "sourceReliability": "B", "informationAccuracy": 2, "createdByAgency": "POLICE",
    });
    assert_eq!(read, expected);
});

both!(a_person_party_and_identifier_round_trip, |app| async move {
    let police = app.token(Agency::Police, "officer-1");
    let case = open_case(&app, &police, case_input("HN-1", "01")).await;
    let (party, person) = add_party(
        &app,
        &police,
        json!({
            "caseId": case, "role": "VICTIM", "ageAtExploitation": 16, "consentToShare": true,
            "person": {
                "fullName": "Đặng Thị Hồng", "aliases": ["Hồng"], "dateOfBirth": "2009-03-02",
                "sex": "FEMALE", "ethnicity": "Kinh", "nationality": "vn", "nationalId": "001309012345",
                "address": "Xã Nghĩa Đàn, Nghệ An", "phone": "0912 345 678"
            }
        }),
    )
    .await;
    let resp = app
        .gql(
            &police,
            "mutation($p: ID!) { addIdentifier(input: { personId: $p, kind: PHONE, value: \"+84 912-345-678\" }) { kind value normalized verified } }",
            json!({ "p": person }),
        )
        .await;
    assert_eq!(
        data(&resp)["addIdentifier"],
        json!({ "kind": "PHONE", "value": "+84 912-345-678", "normalized": "+84912345678", "verified": false })
    );
    let resp = app
        .gql(
            &police,
            "query($p: ID!) { person(id: $p) { id version fullName aliases dateOfBirth sex ethnicity nationality nationalId address phone isMinor createdByAgency identifiers { normalized } parties { id role identification ageAtExploitation consentToShare exploitationDetails case { id } } } }",
            json!({ "p": person }),
        )
        .await;
    assert_eq!(
        data(&resp)["person"],
        json!({
            "id": person, "version": 2, "fullName": "Đặng Thị Hồng", "aliases": ["Hồng"],
            "dateOfBirth": "2009-03-02", "sex": "FEMALE", "ethnicity": "Kinh", "nationality": "VN",
            "nationalId": "001309012345", "address": "Xã Nghĩa Đàn, Nghệ An", "phone": "0912 345 678",
            "isMinor": true, "createdByAgency": "POLICE", "identifiers": [{ "normalized": "+84912345678" }],
            "parties": [{
                "id": party, "role": "VICTIM", "identification": "RECEIVED", "ageAtExploitation": 16,
                "consentToShare": true, "exploitationDetails": null, "case": { "id": case }
            }]
        })
    );
});

both!(a_stale_version_is_a_conflict, |app| async move {
    let police = app.token(Agency::Police, "officer-1");
    let id = open_case(&app, &police, case_input("HN-2", "01")).await;
    let update = "mutation($i: UpdateCaseInput!) { updateCase(input: $i) { version title } }";
    let first = app
        .gql(
            &police,
            update,
            json!({ "i": { "id": id, "version": 1, "title": "Mới" } }),
        )
        .await;
    assert_eq!(
        data(&first)["updateCase"],
        json!({ "version": 2, "title": "Mới" })
    );
    let stale = app
        .gql(
            &police,
            update,
            json!({ "i": { "id": id, "version": 1, "title": "Cũ" } }),
        )
        .await;
    assert_eq!(code(&stale), "CONFLICT");
    assert!(stale["data"]["updateCase"].is_null());
    let read = app
        .gql(
            &police,
            "query($id: ID!) { case(id: $id) { title version } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data(&read)["case"],
        json!({ "title": "Mới", "version": 2 }),
        "the stale write changed nothing"
    );
});

both!(
    the_same_idempotency_key_creates_one_case,
    |app| async move {
        let police = app.token(Agency::Police, "officer-1");
        let mut input = case_input("HN-3", "01");
        input["idempotencyKey"] = json!("retry-7f3a");
        let mutation = "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }";
        let a = app.gql(&police, mutation, json!({ "i": input })).await;
        let b = app.gql(&police, mutation, json!({ "i": input })).await;
        assert_eq!(data(&a)["openCase"]["id"], data(&b)["openCase"]["id"]);
        let count = app
            .gql(&police, "{ cases { totalCount } }", json!({}))
            .await;
        assert_eq!(data(&count)["cases"]["totalCount"], 1);
        // The same key on another operation is a conflict, not a silent reuse.
        let other = app
        .gql(
            &police,
            "mutation($c: ID!) { addParty(input: { caseId: $c, role: WITNESS, idempotencyKey: \"retry-7f3a\", person: { fullName: \"Lò Văn Páo\" } }) { id } }",
            json!({ "c": data(&a)["openCase"]["id"] }),
        )
        .await;
        assert_eq!(code(&other), "CONFLICT");
    }
);

both!(
    concurrent_retries_with_one_key_create_one_case,
    |app| async move {
        let police = app.token(Agency::Police, "officer-1");
        let mut input = case_input("HN-4", "01");
        input["idempotencyKey"] = json!("burst-1");
        let mutation = "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }";
        let calls = (0..8).map(|_| app.gql(&police, mutation, json!({ "i": input.clone() })));
        let results = futures::future::join_all(calls).await;
        let ids: std::collections::BTreeSet<String> = results
            .iter()
            .map(|r| {
                data(r)["openCase"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(ids.len(), 1, "{results:?}");
        let count = app
            .gql(&police, "{ cases { totalCount } }", json!({}))
            .await;
        assert_eq!(data(&count)["cases"]["totalCount"], 1);
    }
);

both!(
    a_case_number_is_taken_once_per_agency_even_by_concurrent_calls,
    |app| async move {
        let police = app.token(Agency::Police, "officer-1");
        let calls = (0..8).map(|_| open_with(&app, &police, case_input("HN-5", "01")));
        let results = futures::future::join_all(calls).await;
        let opened = results
            .iter()
            .filter(|r| r["errors"].is_null() && r["data"]["openCase"]["id"].is_string())
            .count();
        assert_eq!(opened, 1, "{results:?}");
        for refused in results.iter().filter(|r| !r["errors"].is_null()) {
            assert_eq!(code(refused), "CONFLICT", "{refused}");
            assert_eq!(
                refused["errors"][0]["message"], "your agency already has a case numbered HN-5",
                "{refused}"
            );
        }
        let count = app
            .gql(&police, "{ cases { totalCount } }", json!({}))
            .await;
        assert_eq!(data(&count)["cases"]["totalCount"], 1);
        // Another agency's numbering is its own.
        let guard = app.token(Agency::BorderGuard, "guard-1");
        let theirs = open_with(&app, &guard, case_input("HN-5", "01")).await;
        assert!(data(&theirs)["openCase"]["id"].is_string(), "{theirs}");
    }
);

async fn open_with(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(
        token,
        "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
        json!({ "i": input }),
    )
    .await
}

both!(bad_input_is_bad_user_input_never_a_500, |app| async move {
    let police = app.token(Agency::Police, "officer-1");
    let mut bad_date = case_input("X-1", "01");
    bad_date["openedAt"] = json!("31/12/2026");
    let resp = open_with(&app, &police, bad_date).await;
    assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(resp["errors"][0]["extensions"]["field"], "input.openedAt");

    let mut bad_enum = case_input("X-2", "01");
    bad_enum["legalBasis"] = json!("ART_999");
    let resp = open_with(&app, &police, bad_enum).await;
    assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
    assert_eq!(resp["errors"][0]["extensions"]["field"], "input.legalBasis");

    let mut huge = case_input("X-3", "01");
    huge["title"] = json!("a".repeat(1_000_000));
    let (status, resp) = app
        .post(
            Some(&police),
            None,
            &json!({ "query": "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }", "variables": { "i": huge } }),
        )
        .await;
    assert_eq!(
        (status, code(&resp)),
        (200, "BAD_USER_INPUT".to_string()),
        "{resp}"
    );
    assert_eq!(resp["errors"][0]["extensions"]["field"], "input.title");

    let mut bad_province = case_input("X-4", "99");
    bad_province["countries"] = json!(["VN"]);
    let resp = open_with(&app, &police, bad_province).await;
    assert_eq!(resp["errors"][0]["extensions"]["field"], "input.province");

    let mut bad_country = case_input("X-5", "01");
    bad_country["countries"] = json!(["XX"]);
    let resp = open_with(&app, &police, bad_country).await;
    assert_eq!(resp["errors"][0]["extensions"]["field"], "input.countries");

    let (status, resp) = app
        .post(
            Some(&police),
            None,
            &json!({ "query": "{ case(id: \"not-a-uuid\") { id } }" }),
        )
        .await;
    assert_eq!((status, code(&resp)), (200, "BAD_USER_INPUT".to_string()));

    let (status, resp) = app
        .post(Some(&police), None, &json!({ "query": "{ nope }" }))
        .await;
    assert_eq!((status, code(&resp)), (200, "BAD_USER_INPUT".to_string()));

    let count = app
        .gql(&police, "{ cases { totalCount } }", json!({}))
        .await;
    assert_eq!(
        data(&count)["cases"]["totalCount"],
        0,
        "nothing was written"
    );
    assert_eq!(app.get("/healthz").await.0, 200);
});

both!(
    a_body_over_the_limit_is_refused_with_a_code,
    |app| async move {
        let police = app.token(Agency::Police, "officer-1");
        let mut huge = case_input("X-6", "01");
        huge["summary"] = json!("b".repeat(3 * 1024 * 1024));
        let (status, resp) = app
            .post_oversized(
                &police,
                &json!({ "query": "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }", "variables": { "i": huge } }),
            )
            .await;
        assert_eq!((status, code(&resp)), (413, "BAD_USER_INPUT".to_string()));
    }
);

both!(cases_are_paged_with_keyset_cursors, |app| async move {
    let police = app.token(Agency::Police, "officer-1");
    for i in 0..7 {
        let mut input = case_input(&format!("P-{i}"), if i % 2 == 0 { "01" } else { "79" });
        input["openedAt"] = json!(format!("2026-0{}-01T00:00:00Z", 7 - i % 3));
        open_case(&app, &police, input).await;
    }
    for sort in ["CREATED", "OPENED_AT", "CASE_NUMBER"] {
        let mut seen: Vec<String> = Vec::new();
        let mut after: Value = Value::Null;
        loop {
            let resp = app
                .gql(
                    &police,
                    "query($s: CaseSort!, $a: String) { cases(first: 3, sort: $s, after: $a) { totalCount edges { cursor node { id caseNumber } } pageInfo { hasNextPage endCursor } } }",
                    json!({ "s": sort, "a": after }),
                )
                .await;
            let page = &data(&resp)["cases"];
            assert_eq!(page["totalCount"], 7);
            for e in page["edges"].as_array().expect("edges") {
                seen.push(e["node"]["id"].as_str().unwrap_or_default().to_string());
            }
            if page["pageInfo"]["hasNextPage"] != json!(true) {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
        assert_eq!(
            (seen.len(), unique.len()),
            (7, 7),
            "sort {sort} visits every case once"
        );
    }
    let filtered = app
        .gql(
            &police,
            "{ cases(filter: { province: [\"79\"] }) { totalCount nodes { province } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&filtered)["cases"]["totalCount"], 3);
    let bad = app
        .gql(
            &police,
            "{ cases(after: \"garbage\") { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    let too_many = app
        .gql(&police, "{ cases(first: 1000) { totalCount } }", json!({}))
        .await;
    assert_eq!(code(&too_many), "BAD_USER_INPUT");
});

both!(metrics_show_the_requests_just_made, |app| async move {
    let police = app.token(Agency::Police, "officer-1");
    let marker = format!("MetricsProbe{}", uuid::Uuid::new_v4().simple());
    let resp = app
        .post(Some(&police), None, &json!({ "query": format!("query {marker} {{ me {{ agency }} }}"), "operationName": marker }))
        .await;
    assert_eq!(resp.0, 200);
    let (status, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    let line = text
        .lines()
        .find(|l| l.starts_with("ctex_graphql_requests_total") && l.contains(&marker))
        .unwrap_or_else(|| panic!("no counter for {marker}"));
    assert!(
        line.contains("outcome=\"OK\"") && line.ends_with(" 1"),
        "{line}"
    );
    assert!(text.contains("ctex_graphql_request_duration_seconds_bucket"));
    assert!(text.contains("ctex_sql_statements_total"));
});

both!(
    forbidden_fields_are_null_with_an_error_at_their_path,
    |app| async move {
        let police = app.token(Agency::Police, "officer-1");
        let case = open_case(&app, &police, case_input("HN-9", "01")).await;
        add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "VICTIM", "person": { "fullName": "Hờ A Dính" } }),
        )
        .await;
        let resp = app
            .gql(
                &police,
                "query($id: ID!) { case(id: $id) { title parties { role healthNotes } } }",
                json!({ "id": case }),
            )
            .await;
        assert_eq!(resp["data"]["case"]["title"], format!("Vụ án HN-9"));
        assert_eq!(resp["data"]["case"]["parties"][0]["role"], "VICTIM");
        assert!(
            resp["data"]["case"]["parties"][0]
                .as_object()
                .is_some_and(|o| o.contains_key("healthNotes"))
        );
        assert!(resp["data"]["case"]["parties"][0]["healthNotes"].is_null());
        assert_eq!(codes(&resp), vec!["FORBIDDEN"]);
        assert_eq!(
            resp["errors"][0]["path"],
            json!(["case", "parties", 0, "healthNotes"])
        );
    }
);
