//! The security suite, part 5: SQL and script metacharacters in every string argument.
//!
//! Every root query and mutation field any agency may use is called with every `String` and `ID`
//! argument and input field set to hostile text (SQL, script, template and shell
//! metacharacters, a NUL byte), once with hostile ids and once with a real case id (so writes
//! get past their id checks and store the text). Each answer must carry only documented,
//! non-internal codes and no leak. Then what the core writes stored is read back: verbatim,
//! never executed (the tables are all still there, the counts are what was written).

use std::collections::{BTreeMap, BTreeSet};

use ctex_tests::ctex::domain::Agency;
use ctex_tests::ctex::ratelimit::{Rate, RateConfig};
use ctex_tests::{Options, TestApp, assert_no_leak, both_with, case_input, codes, data, open_case};
use serde_json::{Map, Value, json};

/// Hostile strings: SQL, script, template, shell and path metacharacters, and a NUL byte.
const PAYLOADS: [&str; 3] = [
    "'; DROP TABLE \"case\"; -- ' OR '1'='1' /* \\\\ %27 ; SELECT pg_sleep(5)",
    "<script>alert(1)</script><img src=x onerror=alert(1)> {{7*7}} ${7*7} `id` $(id) ../../etc/passwd",
    "nul \u{0} byte ; \u{202E} \" \\\" ) ) ; --",
];

/// Codes an attack may get back: documented, and none of them a failure of ctex itself.
const EXPECTED: [&str; 8] = [
    "BAD_USER_INPUT",
    "NOT_FOUND",
    "FORBIDDEN",
    "PURPOSE_REQUIRED",
    "CONFLICT",
    "INVALID_TRANSITION",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
];

const TYPES: &str = "{ __schema { queryType { name } mutationType { name } types { kind name \
    enumValues { name } inputFields { name type { ...T } } fields { name args { name type { ...T } } \
    type { ...T } } } } } fragment T on __Type { kind name ofType { kind name ofType { kind name \
    ofType { kind name } } } }";

/// An agency's contract, as introspection gives it.
struct Contract {
    types: BTreeMap<String, Value>,
    query: String,
    mutation: Option<String>,
}

async fn contract(app: &TestApp, token: &str) -> Contract {
    let resp = app.gql(token, TYPES, json!({})).await;
    let schema = &data(&resp)["__schema"];
    let types = schema["types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["name"].as_str()?.to_string(), t.clone())))
        .collect();
    Contract {
        types,
        query: schema["queryType"]["name"]
            .as_str()
            .unwrap_or("Query")
            .to_string(),
        mutation: schema["mutationType"]["name"].as_str().map(str::to_string),
    }
}

/// The GraphQL spelling of an introspected type reference (`[String!]!`).
fn render(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", render(&t["ofType"])),
        Some("LIST") => format!("[{}]", render(&t["ofType"])),
        _ => t["name"].as_str().unwrap_or_default().to_string(),
    }
}

/// The named type under a reference.
fn named(t: &Value) -> &Value {
    if t["ofType"].is_null() {
        t
    } else {
        named(&t["ofType"])
    }
}

/// A value of type `t` with every string set to `payload` and every id to `id`.
fn value(c: &Contract, t: &Value, payload: &str, id: &str, depth: usize) -> Value {
    match t["kind"].as_str() {
        Some("NON_NULL") => value(c, &t["ofType"], payload, id, depth),
        Some("LIST") => json!([value(c, &t["ofType"], payload, id, depth)]),
        Some("ENUM") => {
            let name = t["name"].as_str().unwrap_or_default();
            c.types[name]["enumValues"][0]["name"].clone()
        }
        Some("INPUT_OBJECT") if depth < 4 => {
            let name = t["name"].as_str().unwrap_or_default();
            let mut object = Map::new();
            for f in c.types[name]["inputFields"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let v = value(c, &f["type"], payload, id, depth + 1);
                object.insert(f["name"].as_str().unwrap_or_default().to_string(), v);
            }
            Value::Object(object)
        }
        Some("INPUT_OBJECT") => Value::Null,
        _ => match t["name"].as_str().unwrap_or_default() {
            "Int" => json!(1),
            "Float" => json!(1.5),
            "Boolean" => json!(true),
            "Date" => json!("2026-01-15"),
            "DateTime" => json!("2026-01-15T10:00:00Z"),
            "ID" => json!(id),
            "_Any" => json!({ "__typename": "Case", "id": id }),
            _ => json!(payload),
        },
    }
}

/// `op(vars) { field(args) { __typename } }` with every argument a variable.
fn operation(op: &str, field: &Value) -> (String, Vec<(String, Value)>) {
    let name = field["name"].as_str().unwrap_or_default();
    let args: Vec<(String, Value)> = field["args"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or_default().to_string(),
                a["type"].clone(),
            )
        })
        .collect();
    let vars: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, (_, t))| format!("$a{i}: {}", render(t)))
        .collect();
    let call: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, (n, _))| format!("{n}: $a{i}"))
        .collect();
    let kind = named(&field["type"])["kind"].as_str().unwrap_or_default();
    let selection = if matches!(kind, "OBJECT" | "INTERFACE" | "UNION") {
        " { __typename }"
    } else {
        ""
    };
    let head = if vars.is_empty() {
        op.to_string()
    } else {
        format!("{op}({})", vars.join(", "))
    };
    let call = if call.is_empty() {
        String::new()
    } else {
        format!("({})", call.join(", "))
    };
    (format!("{head} {{ {name}{call}{selection} }}"), args)
}

/// The errors of a response as text, with the hostile strings taken out (an error may name
/// the caller's own input; what it must never show is ctex's inside).
fn errors_without_payloads(resp: &Value) -> String {
    let mut text = resp["errors"].to_string();
    for p in PAYLOADS {
        for form in [
            p.to_string(),
            Value::from(p).to_string().trim_matches('"').to_string(),
        ] {
            text = text.replace(&form, "");
        }
    }
    text
}

both_with!(
    metacharacters_in_every_string_argument_are_refused_or_stored_never_executed,
    Options {
        configure: Some(|c| {
            c.rates = RateConfig {
                subject: Rate::Off,
                agency: Rate::Off,
                hits: Rate::Off,
            }
        }),
        ..Options::default()
    },
    |app| async move {
        let police = app.token(Agency::Police, "p");
        let real_case = open_case(&app, &police, case_input("INJ-0", "40")).await;
        let mut covered: BTreeSet<String> = BTreeSet::new();
        let mut calls = 0;
        for agency in Agency::ALL {
            let token = app.token(agency, "fuzzer");
            let c = contract(&app, &token).await;
            let roots = [
                ("query", Some(c.query.clone())),
                ("mutation", c.mutation.clone()),
            ];
            for (op, root) in roots {
                let Some(root) = root else { continue };
                for field in c.types[&root]["fields"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                {
                    let key = format!("{root}.{}", field["name"].as_str().unwrap_or_default());
                    if !covered.insert(key.clone()) {
                        continue;
                    }
                    let (doc, args) = operation(op, &field);
                    for payload in PAYLOADS {
                        for id in [payload, real_case.as_str()] {
                            let vars: Map<String, Value> = args
                                .iter()
                                .enumerate()
                                .map(|(i, (_, t))| (format!("a{i}"), value(&c, t, payload, id, 0)))
                                .collect();
                            let body = json!({ "query": doc, "variables": vars });
                            let reply = app
                                .send(app.raw_post(
                                    Some(&token),
                                    "application/json",
                                    body.to_string(),
                                ))
                                .await;
                            calls += 1;
                            let resp = reply.json();
                            assert_eq!(reply.status, 200, "{agency:?} {key}: {}", reply.text);
                            let all = codes(&resp);
                            let errors = resp["errors"].as_array().map(Vec::len).unwrap_or(0);
                            assert_eq!(
                                all.len(),
                                errors,
                                "{agency:?} {key}: an error without a code: {resp}"
                            );
                            for code in &all {
                                assert!(
                                    EXPECTED.contains(&code.as_str()),
                                    "{agency:?} {key} with {payload:?}: {code}: {resp}"
                                );
                            }
                            assert_no_leak(&key, &errors_without_payloads(&resp));
                        }
                    }
                }
            }
        }
        eprintln!(
            "metacharacters: {} root fields, {calls} calls",
            covered.len()
        );
        assert!(covered.len() > 50, "the whole API was covered: {covered:?}");
        // Nothing was executed: the tables are there and the police's case is intact.
        let resp = app
            .gql(
                &police,
                "query($c: ID!) { case(id: $c) { caseNumber title } cases { totalCount } }",
                json!({ "c": real_case }),
            )
            .await;
        assert_eq!(data(&resp)["case"]["caseNumber"], "INJ-0");
        app.assert_healthy().await;
    }
);

both_with!(
    hostile_text_is_stored_and_returned_verbatim,
    Options::default(),
    |app| async move {
        let police = app.token(Agency::Police, "p");
        let social = app.token(Agency::SocialServices, "hotline");
        for (n, payload) in PAYLOADS.iter().enumerate() {
            if payload.contains('\u{0}') {
                // A NUL byte cannot be stored as text; it is refused, never half-stored.
                let mut input = case_input("NUL-1", "01");
                input["title"] = json!(payload);
                let resp = app
                    .gql(
                        &police,
                        "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                        json!({ "i": input }),
                    )
                    .await;
                assert_eq!(codes(&resp), vec!["BAD_USER_INPUT"], "{resp}");
                continue;
            }
            let mut input = case_input(&format!("VERBATIM-{n}"), "01");
            input["title"] = json!(payload);
            input["summary"] = json!(payload);
            input["handlingRestriction"] = json!(payload);
            // Platform names are short (64 characters at most).
            let short: String = payload.chars().take(60).collect();
            input["recruitmentPlatforms"] = json!([short]);
            let case = open_case(&app, &police, input).await;
            let resp = app
                .gql(&police, "mutation($i: AddPartyInput!) { addParty(input: $i) { person { id } } }", json!({ "i": {
                    "caseId": case, "role": "VICTIM", "protectionMeasures": [payload],
                    "person": { "fullName": payload, "aliases": [payload], "ethnicity": payload, "address": payload }
                } }))
                .await;
            let person = data(&resp)["addParty"]["person"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let resp = app.gql(&police, "mutation($i: AddCaseEventInput!) { addCaseEvent(input: $i) { id } }", json!({ "i": {
                "caseId": case, "kind": "RECRUITMENT", "place": payload, "description": payload } })).await;
            assert!(resp.get("errors").is_none(), "{resp}");
            let resp = app.gql(&police, "mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id name aliases } }", json!({ "i": {
                "name": payload, "aliases": [payload], "caseIds": [case] } })).await;
            assert_eq!(data(&resp)["createNetwork"]["name"], *payload);
            assert_eq!(data(&resp)["createNetwork"]["aliases"], json!([payload]));
            let resp = app
                .gql(
                    &social,
                    "mutation($i: RecordTipInput!) { recordTip(input: $i) { summary } }",
                    json!({ "i": {
                "channel": "HOTLINE_111", "summary": payload, "urgency": "HIGH" } }),
                )
                .await;
            assert_eq!(data(&resp)["recordTip"]["summary"], *payload);

            let resp = app
                .gql(&police, "query($c: ID!, $p: ID!) { case(id: $c) { title summary handlingRestriction recruitmentPlatforms
                    events { place description } parties { protectionMeasures } }
                    person(id: $p) { fullName aliases ethnicity address } }", json!({ "c": case, "p": person }))
                .await;
            let d = data(&resp);
            for (what, got) in [
                ("title", &d["case"]["title"]),
                ("summary", &d["case"]["summary"]),
                ("handlingRestriction", &d["case"]["handlingRestriction"]),
                ("event place", &d["case"]["events"][0]["place"]),
                ("event description", &d["case"]["events"][0]["description"]),
                (
                    "protectionMeasures",
                    &d["case"]["parties"][0]["protectionMeasures"][0],
                ),
                ("fullName", &d["person"]["fullName"]),
                ("aliases", &d["person"]["aliases"][0]),
                ("ethnicity", &d["person"]["ethnicity"]),
                ("address", &d["person"]["address"]),
            ] {
                assert_eq!(got, &json!(payload), "{what} round-trips verbatim");
            }
            assert_eq!(d["case"]["recruitmentPlatforms"][0], json!(short));
            // Searching with it finds nothing and breaks nothing.
            let resp = app
                .gql(
                    &police,
                    "query($t: String!) { persons(filter: { name: $t }) { totalCount } }",
                    json!({ "t": format!("x{payload}") }),
                )
                .await;
            assert_eq!(data(&resp)["persons"]["totalCount"], 0);
        }
        // Every table is still there, holding what was written.
        let resp = app
            .gql(
                &police,
                "{ cases { totalCount } networks { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(data(&resp)["cases"]["totalCount"], 2);
        assert_eq!(data(&resp)["networks"]["totalCount"], 2);
        let resp = app.gql(&social, "{ tips { totalCount } }", json!({})).await;
        assert_eq!(data(&resp)["tips"]["totalCount"], 2);
        app.assert_healthy().await;
    }
);
