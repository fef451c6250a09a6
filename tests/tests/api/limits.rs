//! The security suite, part 2: document and request limits (DESIGN §3.4, `QUERY_TOO_COMPLEX`):
//! depth, cost with page sizes, aliases, directives, tokens, length, nesting, repeated fields,
//! fragment cycles and bombs, batches, body size, bounded pagination, the request timeout; each
//! with its control (the same just within the limit runs) and each configurable. And the
//! timings of acceptance 2, printed (never asserted): refusals of a depth-50 query, a
//! 1,000-alias query and a 1,000-operation batch against a normal query.

use std::time::{Duration, Instant};

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{
    Options, TestApp, assert_no_leak, both, both_with, case_input, code, codes, data, open_case,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let reply = app
        .send(app.raw_post(Some(token), "application/json", body.to_string()))
        .await;
    assert_no_leak("limits", &reply.text);
    (reply.status, reply.json())
}

async fn run(app: &TestApp, token: &str, q: &str) -> Value {
    post(app, token, json!({ "query": q })).await.1
}

fn refused(resp: &Value, what: &str) {
    assert_eq!(codes(resp), vec!["QUERY_TOO_COMPLEX"], "{what}: {resp}");
    assert!(resp["data"].is_null(), "{what}: nothing ran: {resp}");
    let message = resp["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.len() > 10, "{what}: a clear message: {message}");
}

/// `{ cases(first: 1) { nodes { parties { person { parties { case { … id } } } } } } }`, `levels`
/// fields deep (the leaf `id` included).
fn deep(levels: usize) -> String {
    let cycle = ["parties", "person", "parties", "case"];
    let mut q = String::from("{ cases(first: 1) { nodes { ");
    let mut open = 2;
    while open < levels - 1 {
        q.push_str(cycle[(open - 2) % cycle.len()]);
        q.push_str(" { ");
        open += 1;
    }
    q.push_str("id");
    q.push_str(&" }".repeat(open + 1));
    q
}

both_with!(
    depth_is_limited,
    Options {
        // Depth on its own: the cost of these nested lists would be refused first.
        configure: Some(|c| c.limits.complexity = 100_000_000),
        ..Options::default()
    },
    |app| async move {
        let token = app.token(Agency::Police, "p");
        let resp = run(&app, &token, &deep(12)).await;
        assert!(resp.get("errors").is_none(), "depth 12 runs: {resp}");
        refused(&run(&app, &token, &deep(13)).await, "depth 13");
        refused(&run(&app, &token, &deep(50)).await, "depth 50");
        // Through fragments, depth counts the same.
        let q = "{ ...A } fragment A on Query { cases { nodes { ...B } } } \
             fragment B on Case { parties { person { parties { case { parties { person { \
             parties { case { parties { person { parties { id } } } } } } } } } } } }";
        refused(&run(&app, &token, q).await, "depth through fragments");
        app.assert_healthy().await;
    }
);

both!(cost_counts_the_page_sizes_asked_for, |app| async move {
    let token = app.token(Agency::Police, "p");
    let nested = |n: u32| {
        format!(
            "{{ cases(first: {n}) {{ nodes {{ id parties {{ id person {{ id fullName identifiers {{ kind value }} \
             parties {{ id case {{ id title }} }} }} }} }} }} }}"
        )
    };
    let resp = run(&app, &token, &nested(5)).await;
    assert!(resp.get("errors").is_none(), "5 per page runs: {resp}");
    refused(&run(&app, &token, &nested(100)).await, "100 per page");
    // The page size read from a variable counts too.
    let q = "query($n: Int!) { cases(first: $n) { nodes { id parties { id person { id fullName \
             identifiers { kind value } parties { id case { id title } } } } } } }";
    let (_, resp) = post(
        &app,
        &token,
        json!({ "query": q, "variables": { "n": 100 } }),
    )
    .await;
    refused(&resp, "100 per page from a variable");
    app.assert_healthy().await;
});

both!(
    aliases_tokens_length_and_nesting_are_limited,
    |app| async move {
        let token = app.token(Agency::Police, "p");
        let aliases = |n: usize| {
            let body: String = (0..n).map(|i| format!("a{i}: __typename ")).collect();
            format!("{{ {body} }}")
        };
        assert!(
            run(&app, &token, &aliases(15))
                .await
                .get("errors")
                .is_none()
        );
        refused(&run(&app, &token, &aliases(16)).await, "16 aliases");
        refused(&run(&app, &token, &aliases(1000)).await, "1000 aliases");
        // 1,000 tokens: `{ me { agency` repeated under aliases would hit aliases first; plain
        // repeated selections of different fields hit the token limit.
        let wide: String = (0..600).map(|_| "me { agency } ").collect();
        refused(
            &run(&app, &token, &format!("{{ {wide} }}")).await,
            "more than 1000 tokens",
        );
        let long = format!("{{ __typename }} # {}", "x".repeat(40 * 1024));
        refused(&run(&app, &token, &long).await, "40 KiB document");
        let nested = format!(
            "{{ cases(filter: {{ status: {}REPORTED{} }}) {{ totalCount }} }}",
            "[".repeat(40),
            "]".repeat(40)
        );
        refused(&run(&app, &token, &nested).await, "40 nested lists");
        let braces = format!("{}{}", "{ a ".repeat(10_000), "}".repeat(10_000));
        refused(&run(&app, &token, &braces).await, "10,000 nested braces");
        app.assert_healthy().await;
    }
);

both!(fragment_cycles_and_bombs_are_refused, |app| async move {
    let token = app.token(Agency::Police, "p");
    for (what, q) in [
        (
            "two-fragment cycle",
            "{ ...A } fragment A on Query { me { agency } ...B } fragment B on Query { ...A }"
                .to_string(),
        ),
        (
            "self spread",
            "{ ...A } fragment A on Query { ...A }".to_string(),
        ),
        (
            "cycle through fields",
            "{ cases { nodes { ...C } } } fragment C on Case { parties { case { ...C } } }"
                .to_string(),
        ),
    ] {
        refused(&run(&app, &token, &q).await, what);
    }
    // A fragment bomb: each level spreads the next twice (2^30 expansions); refused on cost
    // without being expanded.
    let mut q = String::from("{ ...F0 } ");
    for i in 0..30 {
        q.push_str(&format!(
            "fragment F{i} on Query {{ ...F{} ...F{} }} ",
            i + 1,
            i + 1
        ));
    }
    q.push_str("fragment F30 on Query { __typename }");
    refused(&run(&app, &token, &q).await, "fragment bomb");
    let resp = run(&app, &token, "{ ...Missing }").await;
    assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
    app.assert_healthy().await;
});

both!(batches_and_bodies_are_bounded, |app| async move {
    let token = app.token(Agency::Police, "p");
    let batch = |n: usize| {
        json!(
            (0..n)
                .map(|_| json!({ "query": "{ __typename }" }))
                .collect::<Vec<_>>()
        )
    };
    let (status, resp) = post(&app, &token, batch(5)).await;
    assert_eq!((status, resp.as_array().map(Vec::len)), (200, Some(5)));
    for n in [6, 1000] {
        let (status, resp) = post(&app, &token, batch(n)).await;
        assert_eq!(status, 400, "{n}");
        refused(&resp, &format!("batch of {n}"));
    }
    let (status, resp) = post(&app, &token, json!([])).await;
    assert_eq!((status, code(&resp).as_str()), (400, "BAD_USER_INPUT"));
    // Each operation of a batch passes the document limits on its own.
    let aliases: String = (0..20).map(|i| format!("a{i}: __typename ")).collect();
    let (_, resp) = post(
        &app,
        &token,
        json!([{ "query": "{ __typename }" }, { "query": format!("{{ {aliases} }}") }]),
    )
    .await;
    assert!(resp[0].get("errors").is_none(), "{resp}");
    assert_eq!(code(&resp[1]), "QUERY_TOO_COMPLEX", "{resp}");
    // A body over the limit (2 MiB) is refused on its declared length, before it is read.
    let (status, resp) = app
        .post_oversized(
            &token,
            &json!({ "query": "{ __typename }", "variables": { "x": "y".repeat(2 * 1024 * 1024) } }),
        )
        .await;
    assert_eq!(
        (status, code(&resp).as_str()),
        (413, "BAD_USER_INPUT"),
        "{resp}"
    );
    app.assert_healthy().await;
});

both!(
    pagination_is_mandatory_and_bounded_everywhere,
    |app| async move {
        let token = app.token(Agency::Police, "p");
        // Every root field that takes `first`, from the caller's contract.
        let resp = run(&app, &token, "{ __schema { queryType { fields { name args { name type { kind name ofType { kind name } } } } } } }").await;
        let fields = data(&resp)["__schema"]["queryType"]["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let paged: Vec<String> = fields
            .iter()
            .filter(|f| {
                f["args"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|a| a["name"] == "first"))
            })
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect();
        assert!(paged.len() >= 8, "the connections: {paged:?}");
        for name in &paged {
            let field = fields
                .iter()
                .find(|f| f["name"] == name.as_str())
                .cloned()
                .unwrap_or_default();
            let list = field.to_string().contains("Connection");
            let selection = if list {
                "{ totalCount }"
            } else {
                "{ __typename }"
            };
            for first in [0, 101, -5] {
                let q = format!("{{ {name}(first: {first}) {selection} }}");
                let resp = run(&app, &token, &q).await;
                assert_eq!(codes(&resp), vec!["BAD_USER_INPUT"], "{q}: {resp}");
                assert_eq!(resp["errors"][0]["extensions"]["field"], "first", "{q}");
            }
        }
        app.assert_healthy().await;
    }
);

both_with!(
    each_limit_is_configurable,
    Options {
        configure: Some(|c| {
            c.limits.aliases = 2;
            c.limits.depth = 3;
            c.limits.tokens = 40;
            c.limits.directives = 1;
            c.limits.complexity = 50;
            c.limits.field_repeats = 1;
            c.limits.query_bytes = 200;
            c.max_batch = 2;
        }),
        ..Options::default()
    },
    |app| async move {
        let token = app.token(Agency::Police, "p");
        refused(
            &run(
                &app,
                &token,
                "{ a: __typename b: __typename c: __typename }",
            )
            .await,
            "3 aliases",
        );
        refused(
            &run(&app, &token, "{ cases { nodes { parties { id } } } }").await,
            "depth 4",
        );
        refused(
            &run(
                &app,
                &token,
                &format!("{{ {} }}", "me { agency } ".repeat(10)),
            )
            .await,
            "41 tokens",
        );
        refused(
            &run(
                &app,
                &token,
                "{ __typename @include(if: true) @skip(if: false) }",
            )
            .await,
            "2 directives",
        );
        refused(
            &run(&app, &token, "{ cases(first: 30) { nodes { id title } } }").await,
            "cost 62",
        );
        refused(
            &run(&app, &token, "{ __typename __typename }").await,
            "a repeat",
        );
        refused(
            &run(
                &app,
                &token,
                &format!("{{ __typename }} #{}", "x".repeat(200)),
            )
            .await,
            "201 bytes",
        );
        let (status, resp) = post(&app, &token, json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }, { "query": "{ __typename }" }])).await;
        assert_eq!(status, 400);
        refused(&resp, "batch of 3");
        let resp = run(
            &app,
            &token,
            "{ a: me { agency } cases(first: 3) { nodes { id } } }",
        )
        .await;
        assert!(resp.get("errors").is_none(), "within every limit: {resp}");
        app.assert_healthy().await;
    }
);

both_with!(
    a_request_past_its_timeout_is_abandoned_with_a_graphql_error,
    Options {
        configure: Some(|c| c.request_timeout = Duration::from_secs(1)),
        ..Options::default()
    },
    |app| async move {
        // A client that sends its headers and part of its body, then nothing: the request is
        // abandoned when its time is up, with a GraphQL error, and the server goes on.
        let token = app.token(Agency::Police, "slow");
        let mut socket = tokio::net::TcpStream::connect(app.addr)
            .await
            .expect("connect");
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nX-Access-Purpose: slow client\r\n\
             Content-Length: 100\r\n\r\n{{\"query\":",
            app.addr
        );
        socket.write_all(head.as_bytes()).await.expect("send");
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut answer)).await;
        let text = String::from_utf8_lossy(&answer).to_string();
        assert!(text.starts_with("HTTP/1.1 503"), "{text}");
        assert!(text.contains("QUERY_TOO_COMPLEX"), "{text}");
        assert_no_leak("timeout", &text);
        app.assert_healthy().await;
    }
);

/// Median of `n` runs of `f`, in milliseconds.
async fn median_ms<F, Fut>(n: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        f().await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[n / 2]
}

both!(
    abusive_documents_are_refused_faster_than_a_normal_query_is_answered,
    |app| async move {
        // Acceptance 2, measured and printed (run with --nocapture); never asserted as a time.
        let token = app.token(Agency::Police, "timer");
        for i in 0..20 {
            open_case(&app, &token, case_input(&format!("T-{i:03}"), "01")).await;
        }
        let normal = json!({ "query": "{ cases(first: 20) { totalCount nodes { id caseNumber title status province } } }" });
        let deep = json!({ "query": deep(50) });
        let aliases: String = (0..1000).map(|i| format!("a{i}: __typename ")).collect();
        let aliases = json!({ "query": format!("{{ {aliases} }}") });
        let batch = json!(
            (0..1000)
                .map(|_| json!({ "query": "{ cases { totalCount } }" }))
                .collect::<Vec<_>>()
        );
        let expect: [(&str, &Value, Option<&str>); 4] = [
            ("normal query (20 cases)", &normal, None),
            ("depth-50 query", &deep, Some("QUERY_TOO_COMPLEX")),
            ("1,000-alias query", &aliases, Some("QUERY_TOO_COMPLEX")),
            ("1,000-operation batch", &batch, Some("QUERY_TOO_COMPLEX")),
        ];
        for (what, body, refusal) in expect {
            let (_, resp) = post(&app, &token, body.clone()).await;
            match refusal {
                None => assert!(resp.get("errors").is_none(), "{what}: {resp}"),
                Some(c) => assert_eq!(code(&resp), c, "{what}: {resp}"),
            }
            let ms = median_ms(15, || {
                let app = &app;
                let token = &token;
                async move {
                    app.send(app.raw_post(Some(token), "application/json", body.to_string()))
                        .await;
                }
            })
            .await;
            eprintln!("timing: {what}: median {ms:.2} ms over 15 requests");
        }
        app.assert_healthy().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limits_are_read_from_their_environment_variables() {
    // As an operator sets them, on a served process (SQLite: the wiring, not the database).
    let env = ctex_tests::TestEnv::new(ctex_tests::Backend::Sqlite).await;
    let server = env
        .server(ctex_tests::server_bin!())
        .env("CTEX_MAX_ALIASES", "1")
        .env("CTEX_MAX_DEPTH", "2")
        .env("CTEX_MAX_TOKENS", "30")
        .env("CTEX_MAX_DIRECTIVES", "0")
        .env("CTEX_MAX_FIELD_REPEATS", "1")
        .env("CTEX_MAX_QUERY_LENGTH", "100")
        .env("CTEX_MAX_COMPLEXITY", "30")
        .env("CTEX_MAX_BATCH", "1")
        .env("CTEX_RATE_AGENCY", "12/h")
        .env("CTEX_CORS_ORIGINS", "https://portal.example.gov.vn")
        .start();
    let token = env.token(Agency::Police, "ops");
    let post = |body: Value| {
        let server = &server;
        let token = &token;
        async move { server.post(Some(token), Some("env test"), &body).await }
    };
    for (what, q) in [
        ("aliases", "{ a: __typename b: __typename }"),
        ("depth", "{ me { agency } cases { nodes { id } } }"),
        (
            "tokens",
            "{ me { agency subject unit purpose readOnly jurisdiction agency subject unit purpose readOnly } }",
        ),
        ("directives", "{ __typename @include(if: true) }"),
        ("repeats", "{ __typename __typename }"),
        (
            "length",
            "{ __typename } #                                                                                     ",
        ),
        ("cost", "{ cases(first: 20) { nodes { id } } }"),
    ] {
        let (_, resp) = post(json!({ "query": q })).await;
        assert_eq!(code(&resp), "QUERY_TOO_COMPLEX", "{what}: {resp}");
    }
    let (status, resp) =
        post(json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }])).await;
    assert_eq!((status, code(&resp).as_str()), (400, "QUERY_TOO_COMPLEX"));
    let mut limited = false;
    for _ in 0..15 {
        let (status, resp) = post(json!({ "query": "{ __typename }" })).await;
        if status == 429 {
            assert_eq!(code(&resp), "RATE_LIMITED");
            limited = true;
            break;
        }
    }
    assert!(limited, "CTEX_RATE_AGENCY applies");
    let preflight = server
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", server.base))
        .header("origin", "https://portal.example.gov.vn")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://portal.example.gov.vn")
    );
}
