//! Flat pages (`graphql::flat`): a connection's `nodes` that selects only value fields is built as
//! one list instead of field by field. For every agency, every connection and every value field,
//! the page answered that way is the page answered field by field (the same selection through a
//! fragment, which always takes that path): the same data, byte for byte, and the same errors;
//! and the flat path is taken exactly when it may be (nothing denied, nothing person-level).
//! Over the WebSocket endpoint a flat page answers the same data as over HTTP.
//!
//! The server runs in its own process on the demo dataset, so that its `/metrics` counts this
//! test's flat pages only (servers embedded in the test binary share one recorder).

use ctex_tests::ctex::auth::keys::TokenSpec;
use ctex_tests::ctex::domain::Agency;
use ctex_tests::ctex::graphql::{Audience, CatalogField, catalog};
use ctex_tests::ctex::policy;
use std::time::Duration;

use ctex_tests::{
    Backend, ServerProcess, Subscriber, TestEnv, WsEvent, metric_sum, postgres_or_skip, server_bin,
};
use serde_json::{Value, json};

/// The counter of flat pages.
const FLAT: &str = "ctex_flat_pages_total";

/// `(root field, node type)` of every connection the schema has.
fn connections(cat: &[CatalogField]) -> Vec<(&'static str, String)> {
    cat.iter()
        .filter(|f| f.ty == "Query" && f.returns.ends_with("Connection"))
        .filter_map(|f| {
            cat.iter()
                .find(|n| n.ty == f.returns && n.field == "nodes")
                .map(|n| (f.field, n.returns.clone()))
        })
        .collect()
}

/// One answer: the body as sent and parsed.
struct Answer {
    text: String,
    json: Value,
}

impl Answer {
    /// The body up to its errors: `data`, which async-graphql writes first.
    fn data_text(&self) -> &str {
        self.text.split(",\"errors\":").next().unwrap_or_default()
    }

    /// `(path, code, message)` of each error.
    fn errors(&self) -> Vec<(Value, Value, Value)> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["path"].clone(),
                            e["extensions"]["code"].clone(),
                            e["message"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The fields denied (`FORBIDDEN` at `[root, "nodes", i, field]`) on any row.
    fn denied(&self) -> Vec<String> {
        self.errors()
            .into_iter()
            .filter(|(_, code, _)| code == "FORBIDDEN")
            .filter_map(|(path, ..)| {
                let path = path.as_array()?;
                (path.len() == 4 && path[1] == "nodes")
                    .then(|| path[3].as_str().map(str::to_string))?
            })
            .collect()
    }
}

async fn ask(app: &ServerProcess, token: &str, query: &str) -> Answer {
    let (status, text) = app
        .post_raw(
            Some(&format!("Bearer {token}")),
            Some("integration test"),
            &json!({ "query": query }),
        )
        .await;
    assert_eq!(status, 200, "{query}: {text}");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { text, json }
}

/// `query` over the WebSocket endpoint: the payload of its `next` message.
async fn ask_ws(ws: &mut Subscriber, query: &str) -> Value {
    let id = ws.subscribe(query, json!({})).await.expect("subscribes");
    loop {
        match ws.next(Duration::from_secs(10)).await {
            Some(WsEvent::Next { id: got, payload }) if got == id => return payload,
            Some(WsEvent::Complete(_)) => {} // the previous query's
            other => panic!("{query} over the WebSocket: {other:?}"),
        }
    }
}

async fn flat_pages(app: &ServerProcess) -> f64 {
    metric_sum(&app.metrics().await, FLAT)
}

/// The page of `root` (called as `root(args)`) selecting `fields` (with `__typename`, an alias
/// and a repeated field) directly, and through a fragment on `node`.
fn queries(root: &str, args: &str, node: &str, fields: &[&str]) -> (String, String) {
    let first = fields.first().copied().unwrap_or("__typename");
    let sel = format!(
        "__typename {} flatAgain: {first} {first} flatType: __typename",
        fields.join(" ")
    );
    (
        format!("{{ {root}{args} {{ nodes {{ {sel} }} }} }}"),
        format!("{{ {root}{args} {{ nodes {{ ...F }} }} }} fragment F on {node} {{ {sel} }}"),
    )
}

/// Asks both forms; asserts they answer alike; returns the direct answer and whether it took
/// the flat path.
async fn both_ways(
    app: &ServerProcess,
    token: &str,
    agency: Agency,
    root: &str,
    args: &str,
    node: &str,
    fields: &[&str],
) -> (Answer, bool) {
    let (direct, by_fragment) = queries(root, args, node, fields);
    let before = flat_pages(app).await;
    let flat = ask(app, token, &direct).await;
    let after = flat_pages(app).await;
    let slow = ask(app, token, &by_fragment).await;
    assert_eq!(
        flat_pages(app).await,
        after,
        "{agency:?} {root}: a page selecting through a fragment took the flat path"
    );
    assert_eq!(
        flat.data_text(),
        slow.data_text(),
        "{agency:?} {root}: the direct page answered other data than field by field"
    );
    assert_eq!(
        flat.errors(),
        slow.errors(),
        "{agency:?} {root}: the direct page answered other errors than field by field"
    );
    (flat, after - before == 1.0)
}

async fn every_agency_connection_and_field(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let app = env.server(server_bin!()).arg("--demo").start();
    let token = |agency: Agency| {
        let mut spec = TokenSpec::new(agency, format!("{}-officer", agency.code()));
        if agency == Agency::ForeignAffairs {
            spec.unit = Some("dsq-phnom-penh".into());
        }
        env.token_with(spec)
    };
    // The test's own denials are audited: the audit trail is compared as it stood before.
    let before = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let args = |root: &str| {
        if root == "auditEvents" {
            format!("(filter: {{ to: \"{before}\" }})")
        } else {
            String::new()
        }
    };
    let cat = catalog(Audience::Full);
    let connections = connections(&cat);
    assert!(connections.len() >= 8, "connections: {connections:?}");
    let (mut flat_seen, mut rows_seen) = (0, 0);
    for agency in Agency::ALL {
        let tok = token(agency);
        let mut ws = Subscriber::connect(&app.base, &tok, Some("integration test"))
            .await
            .expect("connects over the WebSocket");
        for (root, node) in &connections {
            let values: Vec<&CatalogField> = cat
                .iter()
                .filter(|f| f.ty == node && !f.has_args && !f.object)
                .collect();
            let all: Vec<&str> = values.iter().map(|f| f.field).collect();
            // Every scalar field, as the access matrix asks them: denied ones and fields that
            // are not plain values take the page field by field, with the same answer.
            let (everything, took_flat) =
                both_ways(&app, &tok, agency, root, &args(root), node, &all).await;
            // A value field with a rule, not person-level (which needs a purpose and an audit
            // record per read).
            let plain = |f: &CatalogField| {
                f.flat && policy::rule(node, f.field).is_some_and(|r| !policy::person_level(r))
            };
            let listed = !everything.json["data"][*root].is_null();
            assert_eq!(
                took_flat,
                listed && values.iter().all(|f| plain(f)) && everything.denied().is_empty(),
                "{agency:?} {root}: flat path taken: {took_flat}; {}",
                everything.text
            );
            if !listed {
                continue; // the agency may not list these at all
            }
            // The value fields this agency reads on every row: always the flat path.
            let denied = everything.denied();
            let readable: Vec<&str> = values
                .iter()
                .filter(|f| plain(f))
                .map(|f| f.field)
                .filter(|f| !denied.iter().any(|d| d == f))
                .collect();
            let (page, took_flat) =
                both_ways(&app, &tok, agency, root, &args(root), node, &readable).await;
            assert!(
                took_flat,
                "{agency:?} {root} {{ {readable:?} }} took the field-by-field path: {}",
                page.text
            );
            assert!(page.errors().is_empty(), "{agency:?} {root}: {}", page.text);
            // The same page over the WebSocket: the flat path, the same data.
            let (direct, _) = queries(root, &args(root), node, &readable);
            let before = flat_pages(&app).await;
            let over_ws = ask_ws(&mut ws, &direct).await;
            assert_eq!(
                flat_pages(&app).await - before,
                1.0,
                "{agency:?} {root}: over the WebSocket the page took the field-by-field path"
            );
            assert_eq!(
                over_ws["data"], page.json["data"],
                "{agency:?} {root}: the page over the WebSocket answered other data"
            );
            flat_seen += 1;
            rows_seen += page.json["data"][*root]["nodes"]
                .as_array()
                .map_or(0, Vec::len);
        }
    }
    eprintln!("{backend:?}: {flat_seen} flat pages compared, {rows_seen} rows");
    // The demo has rows in most kinds of list for someone, so the comparisons compared rows.
    assert!(flat_seen >= 20, "flat pages compared: {flat_seen}");
    assert!(rows_seen >= 20, "rows compared: {rows_seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flat_pages_answer_as_field_by_field_sqlite() {
    every_agency_connection_and_field(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flat_pages_answer_as_field_by_field_postgres() {
    if postgres_or_skip() {
        every_agency_connection_and_field(Backend::Postgres).await;
    }
}
