//! The security suite, part 1: the graphql-cop checks written as our own tests, production mode
//! (no GraphiQL, introspection only for authenticated callers and only of their contract, no
//! suggestions, no GET or form posts, no CORS unless configured), malformed and hostile input
//! (huge strings and numbers, invalid UTF-8, unknown enum values, malformed documents) and
//! other agencies' ids.
//!
//! Every attack asserts its precise `extensions.code` (and HTTP status where it is the edge that
//! refuses), that no body carries a SQL fragment, a file path or a Rust type name
//! ([`assert_no_leak`]), and that the server still answers `/healthz` afterwards. Limits have
//! their own file (`limits.rs`), as do rate limits (`ratelimits.rs`), the allow-list
//! (`allowlist.rs`) and metacharacters in every string argument (`injection.rs`).

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{
    Options, TestApp, add_party, assert_no_leak, both, both_with, case_input, code, codes, data,
    open_case,
};
use serde_json::{Value, json};

/// The purpose every request of this file sends.
const PURPOSE: &str = "security suite";

/// Runs `query` as `token` and checks the body for leaks; returns the status and the body.
async fn attack(app: &TestApp, token: &str, what: &str, body: Value) -> (u16, Value) {
    let reply = app
        .send(app.raw_post(Some(token), "application/json", body.to_string()))
        .await;
    assert_no_leak(what, &reply.text);
    (reply.status, reply.json())
}

/// A single-query attack; returns the status and body.
async fn query(app: &TestApp, token: &str, what: &str, q: &str) -> (u16, Value) {
    attack(app, token, what, json!({ "query": q })).await
}

/// Asserts every error of `resp` has `code`, and that there is at least one.
fn assert_only(resp: &Value, expected: &str, what: &str) {
    let all = codes(resp);
    assert!(!all.is_empty(), "{what}: no error in {resp}");
    assert!(
        all.iter().all(|c| c == expected),
        "{what}: expected only {expected}, got {all:?} in {resp}"
    );
    let errors = resp["errors"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(errors, all.len(), "{what}: an error without a code: {resp}");
}

// ---------------------------------------------------------------------------------------------
// graphql-cop
// ---------------------------------------------------------------------------------------------

both!(graphql_cop_alias_overloading_is_refused, |app| async move {
    let token = app.token(Agency::Police, "cop");
    let aliases: String = (0..=100)
        .map(|i| format!("alias{i}:__typename \n"))
        .collect();
    let (status, resp) = query(
        &app,
        &token,
        "aliases",
        &format!("query cop {{ {aliases} }}"),
    )
    .await;
    assert_eq!(status, 200);
    assert_only(&resp, "QUERY_TOO_COMPLEX", "101 aliases");
    assert!(resp["data"].is_null(), "nothing executed: {resp}");
    // Control: 15 aliases (GraphQL Armor's default) run.
    let fifteen: String = (0..15).map(|i| format!("a{i}: __typename ")).collect();
    let (_, resp) = query(&app, &token, "15 aliases", &format!("{{ {fifteen} }}")).await;
    assert_eq!(data(&resp)["a14"], "Query");
    app.assert_healthy().await;
});

both!(graphql_cop_batch_queries_are_refused, |app| async move {
    let token = app.token(Agency::Police, "cop");
    let batch: Vec<Value> = (0..10)
        .map(|_| json!({ "query": "query cop { __typename }" }))
        .collect();
    let (status, resp) = attack(&app, &token, "batch of 10", json!(batch)).await;
    assert_eq!(status, 400);
    assert_only(&resp, "QUERY_TOO_COMPLEX", "batch of 10");
    // Control: a batch within CTEX_MAX_BATCH (5) runs, one answer per operation.
    let batch: Vec<Value> = (0..5)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let (status, resp) = attack(&app, &token, "batch of 5", json!(batch)).await;
    assert_eq!(status, 200);
    assert_eq!(resp.as_array().map(Vec::len), Some(5), "{resp}");
    app.assert_healthy().await;
});

both!(graphql_cop_field_duplication_is_refused, |app| async move {
    let token = app.token(Agency::Police, "cop");
    let q = format!("query cop {{ {} }}", "__typename \n".repeat(500));
    let (status, resp) = query(&app, &token, "field duplication", &q).await;
    assert_eq!(status, 200);
    assert_only(&resp, "QUERY_TOO_COMPLEX", "500 × __typename");
    let q = format!("{{ me {{ {} }} }}", "agency ".repeat(11));
    let (_, resp) = query(&app, &token, "11 × agency", &q).await;
    assert_only(&resp, "QUERY_TOO_COMPLEX", "11 × agency");
    app.assert_healthy().await;
});

both!(
    graphql_cop_directive_overloading_is_refused_with_one_error,
    |app| async move {
        let token = app.token(Agency::Police, "cop");
        // graphql-cop's probe: ten unknown directives; validation would report each one.
        let q = format!("query cop {{ __typename {} }}", "@aa".repeat(10));
        let (status, resp) = query(&app, &token, "unknown directives", &q).await;
        assert_eq!(status, 200);
        assert_only(&resp, "BAD_USER_INPUT", "10 × @aa");
        assert_eq!(
            codes(&resp).len(),
            1,
            "one error, not one per directive: {resp}"
        );
        // More directives than CTEX_MAX_DIRECTIVES (50), all known.
        let q = format!("{{ __typename {} }}", "@include(if: true) ".repeat(51));
        let (_, resp) = query(&app, &token, "51 directives", &q).await;
        assert_only(&resp, "QUERY_TOO_COMPLEX", "51 × @include");
        app.assert_healthy().await;
    }
);

/// graphql-cop's circular introspection probe.
const CIRCULAR: &str = "query cop { __schema { types { fields { type { fields { type { fields { \
                        type { fields { type { name } } } } } } } } } } }";

/// A standard introspection query (GraphiQL's, trimmed to what ctex answers).
const INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } \
    mutationType { name } subscriptionType { name } types { ...FullType } directives { name \
    locations args { ...InputValue } } } } \
    fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name \
    description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } \
    inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) \
    { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } } \
    fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue } \
    fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind \
    name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } \
    } }";

both!(
    graphql_cop_circular_introspection_is_refused,
    |app| async move {
        let token = app.token(Agency::Police, "cop");
        let (status, resp) = query(&app, &token, "circular introspection", CIRCULAR).await;
        assert_eq!(status, 200);
        assert_only(&resp, "QUERY_TOO_COMPLEX", "circular introspection");
        // Control: the standard introspection query runs, on the caller's contract schema.
        let (_, resp) = query(&app, &token, "introspection", INTROSPECTION).await;
        let types = data(&resp)["__schema"]["types"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            types.iter().any(|t| t["name"] == "Case"),
            "police sees Case"
        );
        app.assert_healthy().await;
    }
);

both!(
    introspection_needs_a_token_and_shows_only_the_callers_contract,
    |app| async move {
        let (status, resp) = app
            .post(None, Some(PURPOSE), &json!({ "query": INTROSPECTION }))
            .await;
        assert_eq!((status, code(&resp).as_str()), (401, "UNAUTHENTICATED"));
        let q = "{ __type(name: \"Person\") { name fields { name } } }";
        let steering = app.token(Agency::Steering, "analyst");
        let (_, resp) = query(&app, &steering, "steering introspection", q).await;
        assert!(
            data(&resp)["__type"].is_null(),
            "steering's contract has no Person: {resp}"
        );
        let police = app.token(Agency::Police, "p");
        let (_, resp) = query(&app, &police, "police introspection", q).await;
        assert_eq!(data(&resp)["__type"]["name"], "Person");
        // Introspection hidden in a fragment is found all the same.
        let hidden = "{ ...F } fragment F on Query { __type(name: \"Person\") { name } }";
        let (_, resp) = query(&app, &steering, "hidden introspection", hidden).await;
        assert!(data(&resp)["__type"].is_null(), "{resp}");
        app.assert_healthy().await;
    }
);

both!(
    graphql_cop_get_queries_and_get_mutations_are_refused,
    |app| async move {
        let token = app.token(Agency::Police, "cop");
        for q in [
            "query cop { __typename }",
            "{ me { agency } }",
            "mutation cop { __typename }",
        ] {
            let reply = app
                .send(
                    app.http
                        .get(format!("{}/graphql", app.base))
                        .query(&[("query", q)])
                        .bearer_auth(&token),
                )
                .await;
            assert_no_leak("GET", &reply.text);
            assert_eq!(reply.status, 405, "{q}: {}", reply.text);
            assert_eq!(code(&reply.json()), "BAD_USER_INPUT", "{q}");
            assert!(reply.json()["data"].is_null());
        }
        // The mutation over GET wrote nothing.
        let opened = json!({ "i": case_input("GET-1", "01") });
        let reply = app
            .send(
                app.http
                    .get(format!("{}/graphql", app.base))
                    .query(&[
                        (
                            "query",
                            "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                        ),
                        ("variables", &opened.to_string()),
                    ])
                    .bearer_auth(&token),
            )
            .await;
        assert_eq!(reply.status, 405);
        let resp = app.gql(&token, "{ cases { totalCount } }", json!({})).await;
        assert_eq!(data(&resp)["cases"]["totalCount"], 0);
        app.assert_healthy().await;
    }
);

both!(
    graphql_cop_form_multipart_and_text_posts_are_refused,
    |app| async move {
        let token = app.token(Agency::Police, "cop");
        for (ct, body) in [
            ("application/x-www-form-urlencoded", "query=%7B__typename%7D".to_string()),
            (
                "multipart/form-data; boundary=x",
                "--x\r\nContent-Disposition: form-data; name=\"query\"\r\n\r\n{ __typename }\r\n--x--\r\n"
                    .to_string(),
            ),
            ("text/plain", json!({ "query": "{ __typename }" }).to_string()),
            ("application/graphql", "{ __typename }".to_string()),
        ] {
            let reply = app.send(app.raw_post(Some(&token), ct, body)).await;
            assert_no_leak(ct, &reply.text);
            assert_eq!(reply.status, 415, "{ct}: {}", reply.text);
            assert_eq!(code(&reply.json()), "BAD_USER_INPUT", "{ct}");
        }
        // A form posting a mutation (CSRF) writes nothing.
        let form = format!(
            "query={}",
            "mutation%20%7B%20openCase(input%3A%20%7BcaseNumber%3A%22X%22%7D)%20%7B%20id%20%7D%20%7D"
        );
        let reply = app
            .send(app.raw_post(Some(&token), "application/x-www-form-urlencoded", form))
            .await;
        assert_eq!(reply.status, 415);
        app.assert_healthy().await;
    }
);

both!(
    graphql_cop_field_suggestions_are_not_given,
    |app| async move {
        let token = app.token(Agency::Police, "cop");
        for q in [
            "{ cases { nodes { titel } } }",
            "{ cases { nodes { titl } } }",
            "{ case { id } }",
            "{ cases(frist: 3) { totalCount } }",
            "{ cases(sort: CREATE) { totalCount } }",
            "{ mee { agency } }",
            "mutation { openCas { id } }",
        ] {
            let (status, resp) = query(&app, &token, q, q).await;
            assert_eq!(status, 200, "{q}");
            assert_only(&resp, "BAD_USER_INPUT", q);
            let text = resp.to_string().to_lowercase();
            assert!(!text.contains("did you mean"), "{q} suggests: {resp}");
        }
        app.assert_healthy().await;
    }
);

both_with!(
    dev_mode_gives_suggestions_and_graphiql,
    Options {
        dev: true,
        ..Options::default()
    },
    |app| async move {
        // The control of the production checks: the same probes do find something in dev mode.
        let token = app.token(Agency::Police, "dev");
        let (_, resp) = query(
            &app,
            &token,
            "dev suggestion",
            "{ cases { nodes { titl } } }",
        )
        .await;
        assert!(
            resp.to_string().to_lowercase().contains("did you mean"),
            "dev mode suggests: {resp}"
        );
        let reply = app
            .send(app.http.get(format!("{}/graphql", app.base)))
            .await;
        assert_eq!(reply.status, 200);
        assert!(
            reply.text.contains("<html") || reply.text.contains("<!doctype"),
            "GraphiQL page"
        );
        // Even in dev mode a GET never executes a query.
        let reply = app
            .send(
                app.http
                    .get(format!("{}/graphql", app.base))
                    .query(&[("query", "{ me { agency } }")])
                    .bearer_auth(&token),
            )
            .await;
        assert!(!reply.text.contains("\"data\""), "{}", reply.text);
        app.assert_healthy().await;
    }
);

both!(graphql_cop_graphiql_is_not_exposed, |app| async move {
    let token = app.token(Agency::Police, "cop");
    let reply = app
        .send(
            app.http
                .get(format!("{}/graphql", app.base))
                .header("accept", "text/html"),
        )
        .await;
    assert_eq!(reply.status, 405);
    assert!(
        !reply.text.to_lowercase().contains("graphiql"),
        "{}",
        reply.text
    );
    for path in [
        "/graphiql",
        "/playground",
        "/graphql/playground",
        "/graphql/graphiql",
        "/graphql/console",
        "/altair",
        "/voyager",
        "/explorer",
        "/v1/graphql",
        "/api/graphql",
        "/graphql/assets/graphiql.min.js",
        "/graphql/assets/react.production.min.js",
    ] {
        let reply = app
            .send(
                app.http
                    .get(format!("{}{path}", app.base))
                    .bearer_auth(&token),
            )
            .await;
        assert_eq!(reply.status, 404, "{path}: {}", reply.text);
        assert!(!reply.text.to_lowercase().contains("graphiql"), "{path}");
    }
    app.assert_healthy().await;
});

both!(
    graphql_cop_unhandled_errors_and_debug_output_never_leak,
    |app| async move {
        let token = app.token(Agency::Police, "cop");
        // Malformed documents and requests: each a clean BAD_USER_INPUT, never a 500.
        for (what, body) in [
            ("not graphql", json!({ "query": "qwerty cop { abc }" })),
            ("unclosed", json!({ "query": "{ cases { nodes { id }" })),
            (
                "empty argument",
                json!({ "query": "{ cases(first: ) { totalCount } }" }),
            ),
            ("empty", json!({ "query": "" })),
            ("null query", json!({ "query": null })),
            ("no query", json!({ "variables": {} })),
            ("number query", json!({ "query": 42 })),
            (
                "array variables",
                json!({ "query": "{ __typename }", "variables": [1] }),
            ),
            (
                "unknown operation",
                json!({ "query": "query A { __typename }", "operationName": "B" }),
            ),
            (
                "two anonymous",
                json!({ "query": "query A { __typename } query B { __typename }" }),
            ),
            (
                "subscription over http",
                json!({ "query": "subscription { flagRaised { id } }" }),
            ),
            (
                "bad variable type",
                json!({ "query": "query($n: Int!) { cases(first: $n) { totalCount } }", "variables": { "n": "x" } }),
            ),
            (
                "undeclared variable",
                json!({ "query": "{ cases(first: $n) { totalCount } }" }),
            ),
            (
                "invalid character",
                json!({ "query": "{ cases ☃ { totalCount } }" }),
            ),
            ("numbers", json!([1, 2, 3])),
            ("string", json!("{ __typename }")),
        ] {
            let (status, resp) = attack(&app, &token, what, body).await;
            assert!(status == 200 || status == 400, "{what}: {status} {resp}");
            assert_only(&resp, "BAD_USER_INPUT", what);
            assert!(
                resp.get("extensions").is_none(),
                "{what}: no tracing or debug: {resp}"
            );
            for error in resp["errors"].as_array().into_iter().flatten() {
                for key in ["exception", "stacktrace", "trace", "debug"] {
                    assert!(
                        error["extensions"].get(key).is_none(),
                        "{what}: {key} in {error}"
                    );
                }
            }
        }
        // A successful answer carries no tracing extension either.
        let (_, resp) = query(&app, &token, "plain", "query cop { __typename }").await;
        assert!(resp.get("extensions").is_none(), "{resp}");
        app.assert_healthy().await;
    }
);

// ---------------------------------------------------------------------------------------------
// Production mode at the HTTP edge
// ---------------------------------------------------------------------------------------------

both!(
    no_cors_headers_unless_configured_and_responses_are_not_cacheable,
    |app| async move {
        let preflight = app
            .send(
                app.http
                    .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
                    .header("origin", "https://evil.example")
                    .header("access-control-request-method", "POST")
                    .header(
                        "access-control-request-headers",
                        "authorization,content-type",
                    ),
            )
            .await;
        assert!(
            preflight.header("access-control-allow-origin").is_none(),
            "no CORS by default: {:?}",
            preflight.headers
        );
        let token = app.token(Agency::Police, "p");
        let reply = app
            .send(
                app.raw_post(
                    Some(&token),
                    "application/json",
                    json!({ "query": "{ __typename }" }).to_string(),
                )
                .header("origin", "https://evil.example"),
            )
            .await;
        assert!(reply.header("access-control-allow-origin").is_none());
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        app.assert_healthy().await;
    }
);

both_with!(
    cors_allows_only_the_configured_origins,
    Options {
        configure: Some(|c| c.cors_origins = vec!["https://portal.example.gov.vn".into()]),
        ..Options::default()
    },
    |app| async move {
        let preflight = |origin: &'static str| {
            app.http
                .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type,x-access-purpose",
                )
        };
        let ok = app.send(preflight("https://portal.example.gov.vn")).await;
        assert_eq!(
            ok.header("access-control-allow-origin"),
            Some("https://portal.example.gov.vn")
        );
        let other = app.send(preflight("https://evil.example")).await;
        assert!(other.header("access-control-allow-origin").is_none());
        app.assert_healthy().await;
    }
);

// ---------------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------------

both!(huge_strings_are_refused, |app| async move {
    let token = app.token(Agency::Police, "p");
    // A body past CTEX_BODY_LIMIT (2 MiB).
    let huge = "x".repeat(3 * 1024 * 1024);
    let (status, resp) = app
        .post_oversized(
            &token,
            &json!({ "query": "{ __typename }", "variables": { "x": huge } }),
        )
        .await;
    assert_eq!((status, code(&resp).as_str()), (413, "BAD_USER_INPUT"));
    // A title far past its limit, as a variable.
    let mut input = case_input("BIG-1", "01");
    input["title"] = json!("Đ".repeat(100_000));
    let (status, resp) = attack(
        &app,
        &token,
        "100k title",
        json!({ "query": "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }", "variables": { "i": input } }),
    )
    .await;
    assert_eq!(status, 200);
    assert_only(&resp, "BAD_USER_INPUT", "100k title");
    assert_eq!(resp["errors"][0]["extensions"]["field"], "input.title");
    // A huge string literal in the document itself: past CTEX_MAX_QUERY_LENGTH.
    let q = format!("{{ person(id: \"{}\") {{ id }} }}", "9".repeat(100_000));
    let (_, resp) = query(&app, &token, "100k literal", &q).await;
    assert_only(&resp, "QUERY_TOO_COMPLEX", "100k literal");
    app.assert_healthy().await;
});

both!(huge_and_odd_numbers_are_bad_user_input, |app| async move {
    let token = app.token(Agency::Police, "p");
    for q in [
        "{ cases(first: 99999999999999999999999999) { totalCount } }",
        "{ cases(first: 2147483648) { totalCount } }",
        "{ cases(first: 1e309) { totalCount } }",
        "{ cases(first: 1.5) { totalCount } }",
        "{ cases(first: -1) { totalCount } }",
        "{ cases(first: 0) { totalCount } }",
        "{ cases(first: 101) { totalCount } }",
        "{ network(caseId: \"00000000-0000-0000-0000-000000000000\", depth: 99999) { truncated } }",
    ] {
        let (status, resp) = query(&app, &token, q, q).await;
        assert_eq!(status, 200, "{q}");
        assert_only(&resp, "BAD_USER_INPUT", q);
    }
    // Through variables, including a number JSON cannot hold.
    let (_, resp) = attack(
        &app,
        &token,
        "huge variable",
        json!({ "query": "query($n: Int!) { cases(first: $n) { totalCount } }", "variables": { "n": 1e300 } }),
    )
    .await;
    assert_only(&resp, "BAD_USER_INPUT", "1e300");
    let reply = app
        .send(app.raw_post(
            Some(&token),
            "application/json",
            r#"{"query":"query($n: Int!) { cases(first: $n) { totalCount } }","variables":{"n":1e400}}"#,
        ))
        .await;
    assert_no_leak("1e400", &reply.text);
    assert_eq!(
        (reply.status, code(&reply.json()).as_str()),
        (400, "BAD_USER_INPUT")
    );
    let case = open_case(&app, &token, case_input("NUM-1", "01")).await;
    let (_, resp) = attack(
        &app,
        &token,
        "huge age",
        json!({ "query": "mutation($i: AddPartyInput!) { addParty(input: $i) { id } }",
                "variables": { "i": { "caseId": case, "role": "VICTIM", "ageAtExploitation": 4294967296u64,
                                      "person": { "fullName": "Lò Thị Mai" } } } }),
    )
    .await;
    assert_only(&resp, "BAD_USER_INPUT", "age past i32");
    app.assert_healthy().await;
});

both!(invalid_utf8_is_bad_user_input, |app| async move {
    let token = app.token(Agency::Police, "p");
    let mut body = br#"{"query":"{ me { agency } }","variables":{"x":""#.to_vec();
    body.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    body.extend_from_slice(br#""}}"#);
    let reply = app
        .send(app.raw_post(Some(&token), "application/json", body))
        .await;
    assert_no_leak("invalid UTF-8 body", &reply.text);
    assert_eq!(
        (reply.status, code(&reply.json()).as_str()),
        (400, "BAD_USER_INPUT")
    );
    // A lone surrogate escaped in JSON is not a Unicode scalar value either.
    let reply = app
        .send(app.raw_post(
            Some(&token),
            "application/json",
            r#"{"query":"query($t: String!) { persons(filter: { name: $t }) { totalCount } }","variables":{"t":"\ud800"}}"#,
        ))
        .await;
    assert_no_leak("lone surrogate", &reply.text);
    assert_eq!(code(&reply.json()), "BAD_USER_INPUT", "{}", reply.text);
    // A purpose header that is not UTF-8.
    let reply = app
        .send(
            app.http
                .post(format!("{}/graphql", app.base))
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .header(
                    "x-access-purpose",
                    reqwest::header::HeaderValue::from_bytes(&[0x72, 0xe0, 0x20, 0x73, 0xff])
                        .expect("header bytes"),
                )
                .body(json!({ "query": "{ me { agency } }" }).to_string()),
        )
        .await;
    assert_eq!(
        (reply.status, code(&reply.json()).as_str()),
        (400, "BAD_USER_INPUT")
    );
    assert_eq!(
        reply.json()["errors"][0]["extensions"]["field"],
        "X-Access-Purpose"
    );
    app.assert_healthy().await;
});

both!(unknown_enum_values_are_bad_user_input, |app| async move {
    let token = app.token(Agency::Police, "p");
    for q in [
        "{ cases(sort: NOPE) { totalCount } }",
        "{ cases(filter: { status: [REPORTED, DELETED] }) { totalCount } }",
        "{ flags(status: drop_table) { totalCount } }",
        "{ identifierHits(kind: SSN, value: \"1\") { reference } }",
    ] {
        let (status, resp) = query(&app, &token, q, q).await;
        assert_eq!(status, 200, "{q}");
        assert_only(&resp, "BAD_USER_INPUT", q);
    }
    let mut input = case_input("ENUM-1", "01");
    input["legalBasis"] = json!("ART_999");
    let (_, resp) = attack(
        &app,
        &token,
        "enum variable",
        json!({ "query": "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }", "variables": { "i": input } }),
    )
    .await;
    assert_only(&resp, "BAD_USER_INPUT", "legalBasis ART_999");
    app.assert_healthy().await;
});

both!(ids_of_other_agencies_rows_are_not_found, |app| async move {
    // Police hold a case in Hà Nội (not a border province) with a victim.
    let police = app.token(Agency::Police, "p");
    let case = open_case(&app, &police, case_input("HN-2026-001", "01")).await;
    let (_, person) = add_party(
        &app,
        &police,
        json!({ "caseId": case, "role": "VICTIM", "person": { "fullName": "Hà Thị Lan" } }),
    )
    .await;
    let version = data(
        &app.gql(
            &police,
            "query($c: ID!) { case(id: $c) { version } }",
            json!({ "c": case }),
        )
        .await,
    )["case"]["version"]
        .clone();
    let border = app.token(Agency::BorderGuard, "bg");
    let social = app.token(Agency::SocialServices, "ss");
    let court = app.token(Agency::Court, "judge");
    for (who, token) in [
        ("border guard", &border),
        ("social services", &social),
        ("court", &court),
    ] {
        let (_, resp) = attack(&app, token, who, json!({ "query": "query($c: ID!) { case(id: $c) { id title } }", "variables": { "c": case } })).await;
        assert_eq!(code(&resp), "NOT_FOUND", "{who} reads the case: {resp}");
        let (_, resp) = attack(&app, token, who, json!({ "query": "query($p: ID!) { person(id: $p) { id fullName } }", "variables": { "p": person } })).await;
        assert_eq!(code(&resp), "NOT_FOUND", "{who} reads the person: {resp}");
    }
    // Writes on another agency's row: the row does not exist for the writer.
    let (_, resp) = attack(
            &app,
            &border,
            "border guard moves the police case",
            json!({ "query": "mutation($i: MoveCaseInput!) { moveCase(input: $i) { id } }",
                    "variables": { "i": { "id": case, "version": version, "to": "UNDER_INVESTIGATION" } } }),
        )
        .await;
    assert_eq!(code(&resp), "NOT_FOUND", "{resp}");
    let (_, resp) = attack(
            &app,
            &border,
            "border guard adds a party to the police case",
            json!({ "query": "mutation($i: AddPartyInput!) { addParty(input: $i) { id } }",
                    "variables": { "i": { "caseId": case, "role": "SUSPECT", "person": { "fullName": "X" } } } }),
        )
        .await;
    assert_eq!(code(&resp), "NOT_FOUND", "{resp}");
    // Made-up and malformed ids.
    for id in [
        "00000000-0000-7000-8000-000000000000",
        "1 OR 1=1",
        "' OR ''='",
        "../../etc/passwd",
        "",
    ] {
        let (_, resp) = attack(
            &app,
            &police,
            id,
            json!({ "query": "query($c: ID!) { case(id: $c) { id } }", "variables": { "c": id } }),
        )
        .await;
        let c = code(&resp);
        assert!(c == "NOT_FOUND" || c == "BAD_USER_INPUT", "{id}: {resp}");
    }
    // The police still see their case: nothing was changed.
    let resp = app
        .gql(
            &police,
            "query($c: ID!) { case(id: $c) { status parties { role } } }",
            json!({ "c": case }),
        )
        .await;
    assert_eq!(data(&resp)["case"]["status"], "REPORTED");
    assert_eq!(
        data(&resp)["case"]["parties"].as_array().map(Vec::len),
        Some(1)
    );
    app.assert_healthy().await;
});
