//! The demo dataset (`serve --demo`, `seed --demo`): loaded through the API at start, it gives
//! every agency something meaningful to see and only what its mandate permits; the README's
//! "Try it" queries answer with demo data; loading is quick and happens once.

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::Datelike;

use ctex_tests::ctex::auth::keys::TokenSpec;
use ctex_tests::ctex::domain::Agency;
use ctex_tests::{Backend, Options, TestApp, TestDb, code, codes, data, postgres_or_skip};
use serde_json::{Value, json};

/// The land-border provinces among those the demo uses.
const BORDER_PROVINCES: [&str; 7] = ["02", "10", "12", "38", "40", "42", "44"];

/// Runs a test on SQLite and on PostgreSQL against a server started with `--demo`.
macro_rules! with_demo {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = demo_app(Backend::Sqlite).await;
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if !postgres_or_skip() {
                    return;
                }
                let $app = demo_app(Backend::Postgres).await;
                $body.await;
            }
        }
    };
}

/// A server on a fresh database, started with the demo (`Config::demo`); says how long the start
/// (migrations and the demo) took.
async fn demo_app(backend: Backend) -> TestApp {
    let started = Instant::now();
    let app = TestApp::spawn_with(
        backend,
        Options {
            configure: Some(|c| c.demo = true),
            ..Options::default()
        },
    )
    .await;
    eprintln!(
        "{backend:?}: server with the demo started in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    app
}

/// A token for `agency` (foreign affairs as the embassy in Phnom Penh).
fn token(app: &TestApp, agency: Agency) -> String {
    let mut spec = TokenSpec::new(agency, "demo-user");
    if agency == Agency::ForeignAffairs {
        spec.unit = Some("dsq-phnom-penh".into());
    }
    app.token_with(spec)
}

/// `query` as `agency`, with a purpose.
async fn ask(app: &TestApp, agency: Agency, query: &str) -> Value {
    app.gql(&token(app, agency), query, json!({})).await
}

/// The paths (joined with `.`) of the errors of a response carrying `code`.
fn paths_with(resp: &Value, code: &str) -> Vec<String> {
    resp["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["extensions"]["code"] == code)
        .map(|e| {
            e["path"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

fn nodes(v: &Value) -> Vec<Value> {
    v["nodes"].as_array().cloned().unwrap_or_default()
}

fn strings(values: &[Value], key: &str) -> BTreeSet<String> {
    values
        .iter()
        .filter_map(|v| v[key].as_str().map(str::to_string))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The README's queries

/// One `q AGENCY 'QUERY' [--unit U]` line of the README's "Try it" block.
struct ReadmeQuery {
    agency: Agency,
    query: String,
    unit: Option<String>,
}

fn readme_queries() -> Vec<ReadmeQuery> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let block = readme
        .split("<!-- demo-queries:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- demo-queries:end -->").next())
        .expect("the README's demo-queries block");
    block
        .lines()
        .filter_map(|line| line.strip_prefix("q "))
        .map(|line| {
            let (agency, rest) = line.split_once(' ').expect("q AGENCY 'QUERY'");
            let rest = rest.strip_prefix('\'').expect("the query in single quotes");
            let (query, options) = rest.split_once('\'').expect("the closing quote");
            let unit = options
                .split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .find(|w| w[0] == "--unit")
                .map(|w| w[1].to_string());
            ReadmeQuery {
                agency: agency.parse().expect("an agency code"),
                query: query.to_string(),
                unit,
            }
        })
        .collect()
}

/// Whether a top-level answer carries data: a non-empty list, a connection with nodes, or an
/// object with a non-null field.
fn has_data(v: &Value) -> bool {
    match v {
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => match map.get("nodes") {
            Some(Value::Array(items)) => !items.is_empty(),
            _ => map.values().any(|v| !v.is_null()),
        },
        Value::Null => false,
        _ => true,
    }
}

async fn readme_queries_answer_with_demo_data(app: &TestApp) {
    let queries = readme_queries();
    let agencies: BTreeSet<&str> = queries.iter().map(|q| q.agency.code()).collect();
    assert_eq!(agencies.len(), 8, "a query for every agency: {agencies:?}");
    for q in &queries {
        let mut spec = TokenSpec::new(q.agency, "demo-user");
        spec.unit = q.unit.clone();
        let token = app.token_with(spec);
        let (status, resp) = app
            .post(
                Some(&token),
                Some("demo walkthrough"),
                &json!({ "query": q.query }),
            )
            .await;
        assert_eq!(status, 200, "{}: {resp}", q.query);
        let data = resp["data"].as_object().cloned().unwrap_or_default();
        assert!(!data.is_empty(), "{}: no data: {resp}", q.query);
        for (field, value) in &data {
            assert!(
                has_data(value),
                "{} ({}): `{field}` is empty: {resp}",
                q.query,
                q.agency.code()
            );
        }
        let other: Vec<String> = codes(&resp)
            .into_iter()
            .filter(|c| c != "FORBIDDEN")
            .collect();
        assert!(
            other.is_empty(),
            "{}: only field-level FORBIDDEN is expected: {resp}",
            q.query
        );
    }
}

/// The README's "Calling the API" examples: police's first query, then opening a case and adding
/// a victim (the demo's case numbers leave `NA-2026-001` free).
async fn calling_the_api_examples_work(app: &TestApp) {
    let police = token(app, Agency::Police);
    let (_, resp) = app
        .post(
            Some(&police),
            Some("case 12 review"),
            &json!({ "query": "{ me { agency subject } cases(first: 5) { totalCount nodes { id caseNumber title status } } }" }),
        )
        .await;
    assert_eq!(data(&resp)["cases"]["totalCount"], 10);
    let (_, resp) = app
        .post(
            Some(&police),
            Some("intake"),
            &json!({
                "query": "mutation($i: OpenCaseInput!) { openCase(input: $i) { id version status } }",
                "variables": { "i": { "caseNumber": "NA-2026-001", "title": "Tuyển lao động sang Campuchia",
                    "province": "40", "legalBasis": "ART_150", "exploitationForms": ["FORCED_LABOUR"],
                    "recruitmentPlatforms": ["Facebook"], "countries": ["KH"], "idempotencyKey": "intake-001" } }
            }),
        )
        .await;
    let case = data(&resp)["openCase"]["id"].clone();
    let (_, resp) = app
        .post(
            Some(&police),
            Some("intake"),
            &json!({
                "query": "mutation($i: AddPartyInput!) { addParty(input: $i) { id role person { id fullName isMinor } } }",
                "variables": { "i": { "caseId": case, "role": "VICTIM", "ageAtExploitation": 17,
                    "person": { "fullName": "Nguyễn Thị Lan", "sex": "FEMALE", "phone": "0912 345 678" } } }
            }),
        )
        .await;
    assert_eq!(data(&resp)["addParty"]["person"]["isMinor"], true);
}

// ---------------------------------------------------------------------------------------------
// What each agency sees

async fn police_see_every_case_ring_and_pending_work(app: &TestApp) {
    let resp = ask(app, Agency::Police, "{ cases(first: 20) { totalCount nodes { status province leadAgency } } networks { totalCount nodes { name members { person { fullName } } } } flags(status: VERIFYING) { nodes { person { fullName } } } overdueVerifications { person { fullName } } disclosureRequests(incoming: true, pending: true) { nodes { requesterAgency } } }").await;
    let d = data(&resp);
    let cases = nodes(&d["cases"]);
    assert_eq!(d["cases"]["totalCount"], 10);
    let statuses = strings(&cases, "status");
    for status in [
        "REPORTED",
        "UNDER_INVESTIGATION",
        "SUSPENDED",
        "PROSECUTION",
        "TRIAL",
        "ADJUDICATED",
        "CLOSED",
        "DISMISSED",
    ] {
        assert!(statuses.contains(status), "no {status} case: {statuses:?}");
    }
    assert_eq!(
        strings(&cases, "province"),
        ["01", "10", "40", "42", "44"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert_eq!(
        strings(&cases, "leadAgency"),
        ["BORDER_GUARD", "POLICE"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert_eq!(d["networks"]["totalCount"], 3);
    assert!(
        nodes(&d["networks"])
            .iter()
            .all(|n| !n["members"].as_array().is_none_or(Vec::is_empty))
    );
    assert_eq!(
        nodes(&d["flags"])[0]["person"]["fullName"],
        "Nguyễn Văn Đức"
    );
    assert!(
        d["overdueVerifications"]
            .as_array()
            .is_some_and(|v| v.len() >= 2)
    );
    assert_eq!(
        nodes(&d["disclosureRequests"])[0]["requesterAgency"],
        "BORDER_GUARD"
    );
}

async fn the_broker_phone_links_provinces_and_agencies(app: &TestApp) {
    let resp = ask(
        app,
        Agency::Police,
        "{ cases(filter: { province: [\"42\"], status: [TRIAL] }) { nodes { id } } }",
    )
    .await;
    let c2 = nodes(&data(&resp)["cases"])[0]["id"].clone();
    let resp = app
        .gql(
            &token(app, Agency::Police),
            "query($c: ID!) { linkSuggestions(caseId: $c) { evidence case { province leadAgency } } }",
            json!({ "c": c2 }),
        )
        .await;
    let suggestions = data(&resp)["linkSuggestions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let found: BTreeSet<(String, String)> = suggestions
        .iter()
        .filter(|s| {
            s["evidence"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e == "PHONE +84912555086"))
        })
        .map(|s| {
            (
                s["case"]["province"].as_str().unwrap_or_default().into(),
                s["case"]["leadAgency"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    // Cases already linked are no longer suggested: the phone connects the trial case to the
    // other two either as a suggestion or as a link.
    let resp = app
        .gql(
            &token(app, Agency::Police),
            "query($c: ID!) { case(id: $c) { links { from { id province leadAgency } to { id province leadAgency } } } }",
            json!({ "c": c2 }),
        )
        .await;
    let mut connected = found;
    for link in data(&resp)["case"]["links"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for end in [&link["from"], &link["to"]] {
            if end["id"] != c2 {
                connected.insert((
                    end["province"].as_str().unwrap_or_default().into(),
                    end["leadAgency"].as_str().unwrap_or_default().into(),
                ));
            }
        }
    }
    assert!(
        connected.contains(&("40".into(), "POLICE".into()))
            && connected.contains(&("44".into(), "BORDER_GUARD".into())),
        "{suggestions:?} {resp}"
    );
}

async fn border_guard_see_border_provinces_and_own_cases_in_full(app: &TestApp) {
    let resp = ask(app, Agency::BorderGuard, "{ cases(first: 20) { totalCount nodes { province leadAgency summary parties { role person { fullName isMinor } } } } tips(first: 100) { totalCount nodes { province } } }").await;
    let d = &resp["data"];
    let cases = nodes(&d["cases"]);
    assert_eq!(d["cases"]["totalCount"], 8, "no Hà Nội case: {resp}");
    assert!(
        cases
            .iter()
            .all(|c| BORDER_PROVINCES.contains(&c["province"].as_str().unwrap_or_default()))
    );
    let own: Vec<&Value> = cases
        .iter()
        .filter(|c| c["leadAgency"] == "BORDER_GUARD")
        .collect();
    assert_eq!(own.len(), 2);
    assert!(own.iter().all(|c| c["summary"].is_string()));
    assert!(
        cases
            .iter()
            .filter(|c| c["leadAgency"] == "POLICE")
            .all(|c| c["summary"].is_null()),
        "police's intelligence stays with police"
    );
    // The 17-year-old the border guard rescued: a child's identity is beyond it (DESIGN §5.3).
    let child = own
        .iter()
        .flat_map(|c| c["parties"].as_array().cloned().unwrap_or_default())
        .find(|p| p["person"]["isMinor"] == true)
        .expect("a rescued child");
    assert!(child["person"]["fullName"].is_null());
    assert!(
        paths_with(&resp, "FORBIDDEN")
            .iter()
            .any(|p| p.ends_with("person.fullName"))
    );
    let tips = nodes(&d["tips"]);
    assert!(!tips.is_empty());
    assert!(
        tips.iter()
            .all(|t| BORDER_PROVINCES.contains(&t["province"].as_str().unwrap_or_default())),
        "tips of border provinces only"
    );
}

async fn procuracy_see_every_case_with_its_indictments(app: &TestApp) {
    let resp = ask(app, Agency::Procuracy, "{ cases(first: 20) { totalCount nodes { status indictments { defendant { fullName } charges { article } } } } }").await;
    let d = data(&resp);
    assert_eq!(d["cases"]["totalCount"], 10);
    let indicted = nodes(&d["cases"])
        .into_iter()
        .filter(|c| !c["indictments"].as_array().is_none_or(Vec::is_empty))
        .count();
    assert_eq!(indicted, 4);
}

async fn court_see_only_indicted_cases(app: &TestApp) {
    let resp = ask(app, Agency::Court, "{ cases(first: 20) { totalCount nodes { status summary indictments { defendant { id } } verdicts { sentenceMonths appealStatus } parties { role person { id fullName } } } } }").await;
    let cases = nodes(&resp["data"]["cases"]);
    assert_eq!(resp["data"]["cases"]["totalCount"], 4, "{resp}");
    let mut verdicts = 0;
    for case in &cases {
        let defendants: BTreeSet<String> = case["indictments"]
            .as_array()
            .expect("indictments")
            .iter()
            .map(|i| {
                i["defendant"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert!(!defendants.is_empty(), "an indicted case: {case}");
        assert!(
            ["PROSECUTION", "TRIAL", "ADJUDICATED", "CLOSED"]
                .contains(&case["status"].as_str().unwrap_or_default())
        );
        assert!(case["summary"].is_null(), "no intelligence for the court");
        verdicts += case["verdicts"].as_array().map_or(0, Vec::len);
        // Suspects' names: defendants only.
        for party in case["parties"].as_array().into_iter().flatten() {
            if party["role"] == "SUSPECT" {
                let id = party["person"]["id"].as_str().unwrap_or_default();
                assert_eq!(
                    party["person"]["fullName"].is_string(),
                    defendants.contains(id),
                    "{party}"
                );
            }
        }
    }
    assert_eq!(verdicts, 4);
}

async fn foreign_affairs_see_flags_and_children_of_their_own_mission(app: &TestApp) {
    let resp = ask(app, Agency::ForeignAffairs, "{ flags { totalCount nodes { mission status person { fullName isMinor } case { status } } } cases { nodes { status } } }").await;
    let flags = nodes(&resp["data"]["flags"]);
    assert_eq!(resp["data"]["flags"]["totalCount"], 5, "{resp}");
    let own_child = flags
        .iter()
        .find(|f| {
            f["mission"] == "Đại sứ quán Việt Nam tại Campuchia" && f["person"]["isMinor"] == true
        })
        .expect("Phnom Penh's child");
    assert_eq!(own_child["person"]["fullName"], "Lương Văn Khánh");
    assert_eq!(own_child["status"], "HANDED_OVER");
    assert!(
        own_child["case"]["status"].is_string(),
        "linked case status"
    );
    let other_child = flags
        .iter()
        .find(|f| f["mission"] == "Tổng Lãnh sự quán Việt Nam tại Côn Minh")
        .expect("Côn Minh's flag");
    assert_eq!(other_child["person"]["isMinor"], true);
    assert!(other_child["person"]["fullName"].is_null());
    assert_eq!(paths_with(&resp, "FORBIDDEN").len(), 1, "{resp}");
    assert!(!nodes(&resp["data"]["cases"]).is_empty(), "linked cases");

    // The consulate in Côn Minh sees its own child, not Phnom Penh's.
    let mut spec = TokenSpec::new(Agency::ForeignAffairs, "demo-user");
    spec.unit = Some("tlsq-con-minh".into());
    let resp = app
        .gql(
            &app.token_with(spec),
            "{ flags { nodes { mission person { fullName isMinor } } } }",
            json!({}),
        )
        .await;
    let names: BTreeSet<String> = nodes(&resp["data"]["flags"])
        .iter()
        .filter(|f| f["person"]["isMinor"] == true)
        .filter_map(|f| f["person"]["fullName"].as_str().map(str::to_string))
        .collect();
    assert_eq!(names, BTreeSet::from(["Vi Thị Lan".to_string()]));
}

async fn social_services_see_referred_persons_and_every_tip(app: &TestApp) {
    let resp = ask(app, Agency::SocialServices, "{ referrals(received: true) { totalCount nodes { status consent overdue person { fullName } } } overdueReferrals(received: true) { totalCount } tips(first: 1) { totalCount } }").await;
    let d = data(&resp);
    let referrals = nodes(&d["referrals"]);
    assert_eq!(d["referrals"]["totalCount"], 7);
    for r in &referrals {
        let readable = r["person"]["fullName"].is_string();
        let accepted = r["status"] == "ACCEPTED" || r["status"] == "COMPLETED";
        assert_eq!(readable, accepted, "{r}");
    }
    let overridden = referrals
        .iter()
        .find(|r| r["consent"] == "OVERRIDDEN")
        .expect("a consent override");
    assert_eq!(overridden["person"]["fullName"], "Vi Thị Lan");
    assert_eq!(d["overdueReferrals"]["totalCount"], 1);
    assert_eq!(d["tips"]["totalCount"], 30);
}

async fn steering_see_aggregates_only(app: &TestApp) {
    let resp = ask(app, Agency::Steering, "{ cases { totalCount } }").await;
    assert_eq!(code(&resp), "FORBIDDEN");
    let resp = ask(
        app,
        Agency::Steering,
        "{ tipStatistics { channel received } }",
    )
    .await;
    assert_eq!(code(&resp), "FORBIDDEN");
    // Every demo tip lies within the last two years: ask from the first day of the month two
    // years back to the last day of next month (whole months, as statistics require).
    let today = chrono::Utc::now().date_naive();
    let from = chrono::NaiveDate::from_ymd_opt(today.year() - 2, today.month(), 1).expect("a day");
    let next = today + chrono::Months::new(2);
    let to = chrono::NaiveDate::from_ymd_opt(next.year(), next.month(), 1).expect("a day")
        - chrono::Duration::days(1);
    let query = format!(
        "{{ statistics(from: \"{from}\", to: \"{to}\", measures: [TIPS_RECEIVED, TIPS_RESOLVED]) \
         {{ cells {{ measure value suppressed }} }} }}"
    );
    let resp = ask(app, Agency::Steering, &query).await;
    let cells = data(&resp)["statistics"]["cells"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let cell = |m: &str| {
        cells
            .iter()
            .find(|c| c["measure"] == m)
            .cloned()
            .unwrap_or_else(|| panic!("no {m} cell: {resp}"))
    };
    assert_eq!(cell("TIPS_RECEIVED")["value"], 30, "{resp}");
    let resolved = cell("TIPS_RESOLVED");
    if resolved["suppressed"] == false {
        let n = resolved["value"].as_i64().expect("a count");
        assert!(n > 0 && n < 30, "{resolved}");
    }
}

async fn oversight_see_every_agency_in_the_audit_trail(app: &TestApp) {
    let resp = ask(app, Agency::Oversight, "{ cases { totalCount } }").await;
    assert_eq!(code(&resp), "FORBIDDEN");
    let mut agencies = BTreeSet::new();
    for agency in [
        "POLICE",
        "BORDER_GUARD",
        "PROCURACY",
        "COURT",
        "FOREIGN_AFFAIRS",
        "SOCIAL_SERVICES",
    ] {
        let resp = app
            .gql(
                &token(app, Agency::Oversight),
                "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 1) { nodes { agency subject purpose action } } }",
                json!({ "f": { "agency": agency, "subject": "demo-seed", "action": "WRITE" } }),
            )
            .await;
        let event = nodes(&data(&resp)["auditEvents"])
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no demo write by {agency}: {resp}"));
        assert_eq!(event["purpose"], "dữ liệu mẫu (demo)");
        agencies.insert(event["agency"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(agencies.len(), 6);
}

with_demo!(every_agency_sees_its_share_of_the_demo, |app| async move {
    readme_queries_answer_with_demo_data(&app).await;
    police_see_every_case_ring_and_pending_work(&app).await;
    the_broker_phone_links_provinces_and_agencies(&app).await;
    border_guard_see_border_provinces_and_own_cases_in_full(&app).await;
    procuracy_see_every_case_with_its_indictments(&app).await;
    court_see_only_indicted_cases(&app).await;
    foreign_affairs_see_flags_and_children_of_their_own_mission(&app).await;
    social_services_see_referred_persons_and_every_tip(&app).await;
    steering_see_aggregates_only(&app).await;
    oversight_see_every_agency_in_the_audit_trail(&app).await;
    // Last: it adds a case.
    calling_the_api_examples_work(&app).await;
});

// A page of cases selects only the columns its fields read (`graphql::case::columns_of`): each
// field asked alone on a page (so only its columns and the id are loaded) must answer exactly
// what a page asking every field answers, through `nodes`, `edges { node }` and fragments, and
// a cursor of such a page must lead to the same next page.
with_demo!(
    a_page_asking_few_fields_answers_as_a_full_page,
    |app| async move {
        for agency in [Agency::Police, Agency::Procuracy] {
            let t = token(&app, agency);
            // The scalar and enum fields of `Case` this agency may read, from its introspection.
            let intro = app
            .gql(
                &t,
                "{ __type(name: \"Case\") { fields { name args { name } type { kind ofType { kind ofType { kind ofType { kind } } } } } } }",
                json!({}),
            )
            .await;
            let leaf = |ty: &Value| {
                let mut ty = ty;
                while ty["ofType"].is_object()
                    && matches!(ty["kind"].as_str(), Some("NON_NULL" | "LIST"))
                {
                    ty = &ty["ofType"];
                }
                matches!(ty["kind"].as_str(), Some("SCALAR" | "ENUM"))
            };
            let fields: Vec<String> = data(&intro)["__type"]["fields"]
                .as_array()
                .expect("Case fields")
                .iter()
                .filter(|f| f["args"].as_array().is_none_or(Vec::is_empty) && leaf(&f["type"]))
                .map(|f| f["name"].as_str().expect("name").to_string())
                .collect();
            assert!(
                fields.len() >= 15,
                "{agency:?} reads most case fields: {fields:?}"
            );

            let full_query = format!(
                "{{ cases(first: 100) {{ nodes {{ {} }} }} }}",
                fields.join(" ")
            );
            let full = app.gql(&t, &full_query, json!({})).await;
            let full_nodes = full["data"]["cases"]["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("{agency:?}: nodes: {full}"))
                .clone();
            assert!(full_nodes.len() >= 5, "{agency:?} sees demo cases: {full}");
            // The reference: each case read by id, which loads the whole row.
            let by_id = full_nodes
                .iter()
                .enumerate()
                .map(|(i, n)| format!("c{i}: case(id: {}) {{ {} }}", n["id"], fields.join(" ")))
                .collect::<Vec<_>>()
                .join(" ");
            let reference = app.gql(&t, &format!("{{ {by_id} }}"), json!({})).await;
            let reference: Vec<Value> = (0..full_nodes.len())
                .map(|i| reference["data"][format!("c{i}")].clone())
                .collect();
            for (n, (f, r)) in full_nodes.iter().zip(&reference).enumerate() {
                assert_eq!(f, r, "{agency:?}: row {n} of a full page as read by id");
            }
            let mut filled = 0;
            for (i, field) in fields.iter().enumerate() {
                // Rotate through the ways a query can reach the nodes.
                let query = match i % 3 {
                    0 => format!("{{ cases(first: 100) {{ nodes {{ {field} }} }} }}"),
                    1 => format!("{{ cases(first: 100) {{ edges {{ node {{ {field} }} }} }} }}"),
                    _ => format!(
                        "query {{ cases(first: 100) {{ nodes {{ ...F }} }} }} fragment F on Case {{ {field} }}"
                    ),
                };
                let alone = app.gql(&t, &query, json!({})).await;
                assert_eq!(
                    denied_rows(&alone, field),
                    denied_rows(&full, field),
                    "{agency:?} {field}: the same rows refused"
                );
                let cases = &alone["data"]["cases"];
                let nodes: Vec<Value> = match cases["nodes"].as_array() {
                    Some(nodes) => nodes.clone(),
                    None => cases["edges"]
                        .as_array()
                        .expect("edges")
                        .iter()
                        .map(|e| e["node"].clone())
                        .collect(),
                };
                assert_eq!(
                    nodes.len(),
                    full_nodes.len(),
                    "{agency:?} {field}: as many rows"
                );
                for (n, (a, r)) in nodes.iter().zip(&reference).enumerate() {
                    assert_eq!(
                        a[field], r[field],
                        "{agency:?} {field} of row {n}: as read by id"
                    );
                }
                // A value that an empty placeholder could not have produced.
                if full_nodes.iter().any(|f| {
                    !matches!(&f[field], Value::Null | Value::Bool(false))
                        && f[field] != json!("")
                        && f[field] != json!([])
                        && f[field] != json!(0)
                }) {
                    filled += 1;
                }
            }
            assert!(
                filled * 4 >= fields.len() * 3,
                "{agency:?}: the demo fills most fields ({filled} of {})",
                fields.len()
            );

            // A cursor from a page that asked only titles, sorted by opening date, continues where a
            // full page would.
            let page = |after: Value, what: &str| {
                let query = format!(
                    "query($a: String) {{ cases(first: 3, sort: OPENED_AT, after: $a) {{ nodes {{ {what} }} pageInfo {{ endCursor }} }} }}"
                );
                let t = t.clone();
                let app = &app;
                async move { app.gql(&t, &query, json!({ "a": after })).await }
            };
            let first = page(Value::Null, "title").await;
            let cursor = data(&first)["cases"]["pageInfo"]["endCursor"].clone();
            assert!(cursor.is_string(), "{first}");
            let next_few = page(cursor.clone(), "id").await;
            let next_full = page(cursor, &fields.join(" ")).await;
            let ids = |v: &Value| -> Vec<Value> {
                v["data"]["cases"]["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .map(|n| n["id"].clone())
                    .collect()
            };
            assert_eq!(
                ids(&next_few),
                ids(&next_full),
                "{agency:?}: the same next page"
            );
            assert!(!ids(&next_few).is_empty());
        }
    }
);

/// The rows of a `cases` page (by index) whose `field` was refused, with the error code.
fn denied_rows(resp: &Value, field: &str) -> Vec<(Value, Value)> {
    let mut rows: Vec<(Value, Value)> = resp["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let path = e["path"].as_array()?;
            let row = path.get(2)?.clone();
            (path.last()? == field).then(|| (row, e["extensions"]["code"].clone()))
        })
        .collect();
    rows.sort_by_key(|(row, _)| row.as_u64());
    rows
}

// ---------------------------------------------------------------------------------------------
// Loading

/// Loads the demo into a fresh migrated database, timed; a second load is refused and changes
/// nothing. On PostgreSQL two loads start together, as two `serve --demo` processes would.
async fn loads_quickly_and_once(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = TestDb::create(backend, dir.path())
        .await
        .expect("test database");
    let conn = ctex_tests::ctex::db::connect(&db.url, 4)
        .await
        .expect("connect");
    ctex_tests::ctex::db::migrate(&conn).await.expect("migrate");

    let report = if backend == Backend::Postgres {
        let other = ctex_tests::ctex::db::connect(&db.url, 4)
            .await
            .expect("connect");
        let (a, b) = tokio::join!(
            ctex_tests::ctex::seed::demo_into_empty(&conn),
            ctex_tests::ctex::seed::demo_into_empty(&other)
        );
        other.close().await.ok();
        let (a, b) = (a.expect("first load"), b.expect("second load"));
        assert!(a.is_some() != b.is_some(), "exactly one of two loads runs");
        a.or(b).expect("a report")
    } else {
        ctex_tests::ctex::seed::demo(&conn)
            .await
            .expect("demo loads")
    };
    eprintln!("{backend:?}: {report}");
    assert_eq!(report.cases, 10);
    assert_eq!(report.tips, 30);
    assert!(
        report.elapsed.as_secs() < 30,
        "the demo loads in seconds: {report}"
    );
    let events = count(&conn, "audit_event").await;

    let loaded_again = ctex_tests::ctex::seed::demo_if_empty(&conn)
        .await
        .expect("second load");
    assert!(!loaded_again, "a database with cases is left alone");
    assert_eq!(count(&conn, "case_record").await, 10);
    assert_eq!(count(&conn, "tip").await, 30);
    assert_eq!(count(&conn, "audit_event").await, events);
    let chain = ctex_tests::ctex::audit::verify(&conn)
        .await
        .expect("verify");
    assert!(chain.first_bad.is_none(), "the demo's audit chain verifies");
    conn.close().await.ok();
}

async fn count(conn: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_loads_quickly_and_once_sqlite() {
    loads_quickly_and_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_loads_quickly_and_once_postgres() {
    if !postgres_or_skip() {
        return;
    }
    loads_quickly_and_once(Backend::Postgres).await;
}
