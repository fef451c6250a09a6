//! Statement counts: nested pages load through batch loaders, so the SQL statements a page needs
//! do not grow with its size.
//!
//! Each test runs its own server process, so `ctex_sql_statements_total` on its `/metrics`
//! counts this test's statements only (and `ctex_rows_decoded_total` its rows).

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{
    Backend, ServerProcess, TestEnv, case_input, data, metric_sum, postgres_or_skip, server_bin,
};
use serde_json::{Value, json};

/// A page of cases with everything person-level under it: parties, their persons and the
/// persons' identifiers (each level a list, each row audited as a person-level read).
const PAGE: &str = "query($n: Int!) { cases(first: $n) { edges { node {
    id caseNumber status
    parties { id role person { id fullName phone identifiers { kind value normalized } } }
} } } }";

/// The server's statement counter now.
async fn counter(server: &ServerProcess) -> f64 {
    metric_sum(&server.metrics().await, "ctex_sql_statements_total")
}

/// Runs `query` as `token`, failing on any error; returns the data.
async fn run(server: &ServerProcess, token: &str, query: &str, variables: Value) -> Value {
    let resp = server.gql(token, query, variables).await;
    assert!(resp.get("errors").is_none(), "unexpected errors: {resp}");
    data(&resp).clone()
}

/// The log lines of statements (the server runs with `ctex::sql=debug`).
const SQL_LINE: &str = "\"ctex::sql\"";

/// The statements the server has logged, from the `from`-th to the `to`-th it counted (its log
/// reaches the test through a pipe, so this waits until the `to`-th is in).
async fn statements_logged(server: &ServerProcess, from: f64, to: f64) -> Vec<String> {
    server
        .wait_for_log_count(SQL_LINE, to as usize, std::time::Duration::from_secs(30))
        .await;
    let mut all: Vec<String> = server
        .logs()
        .lines()
        .filter(|l| l.contains(SQL_LINE))
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .and_then(|v| v["statement"].as_str().map(str::to_string))
                .unwrap_or_else(|| l.to_string())
        })
        .collect();
    all.truncate(to as usize);
    all.split_off((from as usize).min(all.len()))
}

/// One measured page: how many statements it took, which, and its data.
struct Measured {
    count: f64,
    statements: Vec<String>,
    page: Value,
}

/// The statements one page of `n` cases takes (a second run of the same page, so one-off work
/// such as warming the token cache is not counted).
async fn statements_for_page(server: &ServerProcess, token: &str, n: usize) -> Measured {
    run(server, token, PAGE, json!({ "n": n })).await;
    let before = counter(server).await;
    let page = run(server, token, PAGE, json!({ "n": n })).await;
    let after = counter(server).await;
    let statements = statements_logged(server, before, after).await;
    Measured {
        count: after - before,
        statements,
        page,
    }
}

async fn nested_pages_take_a_constant_number_of_statements(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let server = env
        .server(server_bin!())
        .env("CTEX_LOG", "info,ctex::sql=debug")
        .start();
    let police = env.token(Agency::Police, "investigator");
    // 50 cases, each with a victim and a suspect, each person with two identifiers.
    for c in 0..50 {
        let case = run(
            &server,
            &police,
            "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
            json!({ "i": case_input(&format!("NA-2026-{c:03}"), "40") }),
        )
        .await["openCase"]["id"]
            .as_str()
            .expect("case id")
            .to_string();
        for (role, name) in [("VICTIM", "Nguyễn Thị Hoa"), ("SUSPECT", "Trần Văn Nam")] {
            let party = run(
                &server,
                &police,
                "mutation($i: AddPartyInput!) { addParty(input: $i) { person { id } } }",
                json!({ "i": {
                    "caseId": case, "role": role,
                    "person": { "fullName": format!("{name} {c}"), "phone": format!("09{c:08}") },
                } }),
            )
            .await;
            let person = party["addParty"]["person"]["id"]
                .as_str()
                .expect("person id")
                .to_string();
            for (kind, value) in [
                ("PHONE", format!("+84 91 {c:07}")),
                ("PASSPORT", format!("C{c:07}")),
            ] {
                run(
                    &server,
                    &police,
                    "mutation($i: AddIdentifierInput!) { addIdentifier(input: $i) { id } }",
                    json!({ "i": { "personId": person, "kind": kind, "value": value } }),
                )
                .await;
            }
        }
    }

    let small = statements_for_page(&server, &police, 5).await;
    let large = statements_for_page(&server, &police, 50).await;
    let (page, full) = (&small.page, &large.page);
    eprintln!(
        "{backend:?}: a page of 5 cases took {} statements, a page of 50 took {}",
        small.count, large.count
    );
    eprintln!("{backend:?}: the page of 50: {:#?}", large.statements);

    // The pages are what they claim: 50 cases, 100 parties, 200 identifiers.
    let edges = full["cases"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 50);
    assert_eq!(page["cases"]["edges"].as_array().map(Vec::len), Some(5));
    let parties: Vec<&Value> = edges
        .iter()
        .flat_map(|e| e["node"]["parties"].as_array().expect("parties"))
        .collect();
    assert_eq!(parties.len(), 100);
    let identifiers: usize = parties
        .iter()
        .map(|p| {
            assert!(
                p["person"]["fullName"].is_string(),
                "police read names: {p}"
            );
            p["person"]["identifiers"]
                .as_array()
                .expect("identifiers")
                .len()
        })
        .sum();
    assert_eq!(identifiers, 200);

    // On PostgreSQL the page's rows (50 cases, 100 parties, 100 persons, 200 identifiers) are
    // decoded by position, none by name; SQLite decodes by name.
    let before = server.metrics().await;
    run(&server, &police, PAGE, json!({ "n": 50 })).await;
    let after = server.metrics().await;
    let by = |path: &str| {
        let series = format!("ctex_rows_decoded_total{{path=\"{path}\"}}");
        metric_sum(&after, &series) - metric_sum(&before, &series)
    };
    let (position, name) = (by("position"), by("name"));
    match backend {
        Backend::Postgres => {
            assert!(position >= 450.0, "rows decoded by position: {position}");
            assert_eq!(name, 0.0, "rows decoded by name on PostgreSQL");
        }
        Backend::Sqlite => {
            assert_eq!(position, 0.0, "SQLite rows decoded by position");
            assert!(name >= 450.0, "rows decoded by name: {name}");
        }
    }

    // One statement per level (and the audit append), whatever the page size: ten times the
    // rows may not cost a single statement more. An N+1 anywhere would add at least 45.
    assert!(small.count > 0.0, "the counter counts");
    assert_eq!(
        large.count, small.count,
        "a page of 50 cases took {} statements, a page of 5 took {}: a nested list is loaded per \
         row.\n50: {:#?}\n5: {:#?}",
        large.count, small.count, large.statements, small.statements
    );

    // Batches close when a level has asked for all its keys, not after a delay: a batch that
    // closed early would split into two statements. Every run of the page takes the same count.
    for round in 0..20 {
        let again = statements_for_page(&server, &police, 50).await;
        assert_eq!(
            again.count, large.count,
            "round {round}: the page of 50 took {} statements, before {}: a level's batch \
             split.\nnow: {:#?}\nbefore: {:#?}",
            again.count, large.count, again.statements, large.statements
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_pages_take_a_constant_number_of_statements_sqlite() {
    nested_pages_take_a_constant_number_of_statements(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_pages_take_a_constant_number_of_statements_postgres() {
    if !postgres_or_skip() {
        return;
    }
    nested_pages_take_a_constant_number_of_statements(Backend::Postgres).await;
}
