//! Statistics and the periodic report: suppression, complementary suppression and the
//! differencing attack (DESIGN §8).
//!
//! The hotline quarter (the summer campaign, 1 July–30 September 2026) is shaped like a real
//! period: 780 calls to hotline 111 and 45 other tips, 30 persons supported (15 men, 15 women;
//! 29 Kinh, one man of an ethnic minority), and two police cases with 12 victims (one woman of
//! an ethnic minority). The report shows the totals and the sex split and suppresses the
//! ethnicity split; an attacker who asks every grouping, filter and period still cannot solve
//! for the minority person ([`the_minority_person_cannot_be_recovered_from_any_combination`]).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::Mutex;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use ctex_tests::ctex::auth::keys::TokenSpec;
use ctex_tests::ctex::domain::Agency;
use ctex_tests::{TestApp, add_party, both, case_input, code, data, open_case, server_bin};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, Value as DbValue};
use serde_json::{Value, json};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Fixtures

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid instant")
}

/// Inserts `rows` into `table` in chunks, through sea-query (so UUIDs, timestamps and booleans
/// are encoded as the server's own writes encode them, on both databases).
async fn insert(conn: &DatabaseConnection, table: &str, columns: &[&str], rows: Vec<Vec<DbValue>>) {
    for chunk in rows.chunks(200) {
        let mut q = Query::insert();
        q.into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)));
        for row in chunk {
            q.values_panic(row.iter().cloned().map(Expr::val));
        }
        let stmt = conn.get_database_backend().build(&q);
        conn.execute_raw(stmt).await.expect("fixture insert");
    }
}

/// A tip row: (channel, received at, resolved at, province).
fn tip_row(
    channel: &str,
    received: DateTime<Utc>,
    resolved: Option<DateTime<Utc>>,
    province: &str,
) -> Vec<DbValue> {
    let status = if resolved.is_some() {
        "FORWARDED"
    } else {
        "RECEIVED"
    };
    vec![
        Uuid::now_v7().into(),
        channel.into(),
        received.into(),
        "Cuộc gọi báo tin".into(),
        "MEDIUM".into(),
        status.into(),
        resolved.into(),
        Some(province.to_string()).into(),
        1i32.into(),
        received.into(),
        received.into(),
        "social_services".into(),
        "fixture".into(),
    ]
}

const TIP_COLUMNS: [&str; 13] = [
    "id",
    "channel",
    "received_at",
    "summary",
    "urgency",
    "status",
    "resolved_at",
    "province",
    "version",
    "created_at",
    "updated_at",
    "created_by_agency",
    "created_by_subject",
];

/// Tips: in July, August and September 2026, 260 hotline calls a month (700 of the 780 resolved
/// the next day) and 15 other tips; in June, 100 hotline calls.
async fn hotline_tips(conn: &DatabaseConnection) {
    let provinces = ["40", "42", "01", "79", "38"];
    let mut rows = Vec::new();
    let mut resolved_left = 700;
    for month in 7..=9 {
        for i in 0..260u32 {
            let received = at(2026, month, 1 + i % 28, 8 + i % 10);
            let resolved = (resolved_left > 0).then(|| received + Duration::days(1));
            resolved_left -= i32::from(resolved.is_some());
            rows.push(tip_row(
                "HOTLINE_111",
                received,
                resolved,
                provinces[i as usize % provinces.len()],
            ));
        }
        for i in 0..15u32 {
            let channel = if i % 3 == 0 { "POLICE_DESK" } else { "COMMUNE" };
            rows.push(tip_row(channel, at(2026, month, 2 + i, 9), None, "40"));
        }
    }
    for i in 0..100u32 {
        rows.push(tip_row(
            "HOTLINE_111",
            at(2026, 6, 1 + i % 28, 10),
            None,
            "01",
        ));
    }
    insert(conn, "tip", &TIP_COLUMNS, rows).await;
}

/// One person supported by social services: (sex, ethnicity, start of each service).
struct Supported {
    sex: &'static str,
    ethnicity: &'static str,
    services: Vec<DateTime<Utc>>,
}

/// 30 persons supported from July to September 2026 (5 men and 5 women a month; the man of
/// an ethnic minority in August), some given a second service later; and 6 persons whose
/// support began in June (their second services in July must not count them again).
fn supported_persons() -> Vec<Supported> {
    let mut out = Vec::new();
    for i in 0..30u32 {
        let month = 7 + i % 3;
        let first = at(2026, month, 3 + i % 20, 9);
        let mut services = vec![first];
        if i % 4 == 0 {
            services.push(first + Duration::days(35));
        }
        out.push(Supported {
            sex: if i < 15 { "MALE" } else { "FEMALE" },
            ethnicity: if i == 7 { "H'Mông" } else { "Kinh" },
            services,
        });
    }
    for i in 0..6u32 {
        out.push(Supported {
            sex: if i % 2 == 0 { "MALE" } else { "FEMALE" },
            ethnicity: "Kinh",
            services: vec![at(2026, 6, 10 + i, 9), at(2026, 7, 10 + i, 9)],
        });
    }
    out
}

async fn support_fixture(conn: &DatabaseConnection) {
    let created = at(2026, 6, 1, 0);
    let mut persons = Vec::new();
    let mut services = Vec::new();
    for (i, p) in supported_persons().into_iter().enumerate() {
        let id = Uuid::now_v7();
        persons.push(vec![
            id.into(),
            format!("Người được hỗ trợ {i}").into(),
            format!("duoc ho nguoi tro {i}").into(),
            "[]".into(),
            Some(p.sex.to_string()).into(),
            Some(p.ethnicity.to_string()).into(),
            1i32.into(),
            created.into(),
            created.into(),
            "social_services".into(),
            "fixture".into(),
        ]);
        for started in p.services {
            services.push(vec![
                Uuid::now_v7().into(),
                id.into(),
                "SHELTER".into(),
                "Trung tâm CTXH".into(),
                started.into(),
                1i32.into(),
                started.into(),
                started.into(),
                "social_services".into(),
                "fixture".into(),
            ]);
        }
    }
    insert(
        conn,
        "person",
        &[
            "id",
            "full_name",
            "name_folded",
            "aliases",
            "sex",
            "ethnicity",
            "version",
            "created_at",
            "updated_at",
            "created_by_agency",
            "created_by_subject",
        ],
        persons,
    )
    .await;
    insert(
        conn,
        "support_service",
        &[
            "id",
            "person_id",
            "service",
            "provider",
            "started_at",
            "version",
            "created_at",
            "updated_at",
            "created_by_agency",
            "created_by_subject",
        ],
        services,
    )
    .await;
}

/// One victim of the police fixture: (case index, sex, ethnicity, age, received at).
struct Victim {
    case: usize,
    sex: &'static str,
    ethnicity: &'static str,
    age: i64,
    received: DateTime<Utc>,
}

/// Two police cases opened in July 2026: Nghệ An (40, forced labour in Cambodia) and Hà Tĩnh
/// (42, sexual exploitation in China); 12 victims received from July to September, 6 men and
/// 6 women, one woman of an ethnic minority (in Hà Tĩnh, in August), two of them children.
fn victims() -> Vec<Victim> {
    let plan: [(usize, &str, &str, i64, u32); 12] = [
        (0, "MALE", "Kinh", 24, 7),
        (0, "MALE", "Kinh", 31, 7),
        (0, "MALE", "Kinh", 19, 8),
        (0, "FEMALE", "Kinh", 22, 8),
        (0, "FEMALE", "Kinh", 17, 9),
        (0, "MALE", "Kinh", 27, 9),
        (1, "FEMALE", "Kinh", 20, 7),
        (1, "FEMALE", "Thái", 15, 8),
        (1, "FEMALE", "Kinh", 25, 8),
        (1, "MALE", "Kinh", 35, 8),
        (1, "FEMALE", "Kinh", 23, 9),
        (1, "MALE", "Kinh", 29, 9),
    ];
    plan.iter()
        .enumerate()
        .map(|(i, (case, sex, ethnicity, age, month))| Victim {
            case: *case,
            sex,
            ethnicity,
            age: *age,
            received: at(2026, *month, 5 + i as u32, 10),
        })
        .collect()
}

/// Opens the two police cases and adds their victims through the API; identifies the victims of
/// the Nghệ An case and dates their identification in August (the history records the server's
/// clock, so the fixture moves it into the period).
async fn police_fixture(app: &TestApp, conn: &DatabaseConnection) {
    let police = app.token(Agency::Police, "dieu-tra-vien");
    let mut cases = Vec::new();
    for (number, province, form, country) in [
        ("NA-2026-S1", "40", "FORCED_LABOUR", "KH"),
        ("HT-2026-S2", "42", "SEXUAL_EXPLOITATION", "CN"),
    ] {
        let mut input = case_input(number, province);
        input["openedAt"] = json!("2026-07-02T08:00:00Z");
        input["exploitationForms"] = json!([form]);
        input["countries"] = json!(["VN", country]);
        cases.push(open_case(app, &police, input).await);
    }
    for (i, v) in victims().into_iter().enumerate() {
        let (party, _) = add_party(
            app,
            &police,
            json!({ "caseId": cases[v.case], "role": "VICTIM", "ageAtExploitation": v.age,
                "receivedAt": v.received.to_rfc3339(),
                "person": { "fullName": format!("Nạn nhân {i}"), "sex": v.sex, "ethnicity": v.ethnicity } }),
        )
        .await;
        if v.case == 0 {
            for (version, to) in [(1, "VERIFYING"), (2, "IDENTIFIED")] {
                let r = app
                    .gql(
                        &police,
                        "mutation($i: MoveIdentificationInput!) { moveIdentification(input: $i) { id } }",
                        json!({ "i": { "partyId": party, "version": version, "to": to } }),
                    )
                    .await;
                data(&r);
            }
        }
    }
    use sea_orm::sea_query::ExprTrait as _;
    let mut q = Query::update();
    q.table(Alias::new("status_history"))
        .value(Alias::new("at"), at(2026, 8, 20, 9))
        .and_where(Expr::col(Alias::new("to_status")).eq("IDENTIFIED"));
    let stmt = conn.get_database_backend().build(&q);
    conn.execute_raw(stmt)
        .await
        .expect("date the identifications");
}

async fn hotline_quarter(app: &TestApp) {
    let conn = app.db.connect().await.expect("connect");
    hotline_tips(&conn).await;
    support_fixture(&conn).await;
    police_fixture(app, &conn).await;
    conn.close().await.ok();
}

fn steering(app: &TestApp) -> String {
    app.token(Agency::Steering, "phan-tich-vien")
}

const STATS: &str = "query($f: Date!, $t: Date!, $m: [StatisticsMeasure!]!, $g: [StatisticsDimension!]!, $x: StatisticsFilter) {
  statistics(from: $f, to: $t, measures: $m, groupBy: $g, filter: $x) {
    threshold cells { measure province sex ageBand ethnicityGroup exploitationForm destinationCountry channel month value suppressed } } }";

/// Asks `statistics` and returns its cells (panics on errors).
async fn cells(
    app: &TestApp,
    token: &str,
    from: &str,
    to: &str,
    measures: &[&str],
    group_by: &[&str],
    filter: Value,
) -> Vec<Value> {
    let resp = app
        .gql(
            token,
            STATS,
            json!({ "f": from, "t": to, "m": measures, "g": group_by, "x": filter }),
        )
        .await;
    data(&resp)["statistics"]["cells"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("no cells: {resp}"))
}

/// The value of the one cell of `measure` whose grouped fields equal `key`.
fn value_of(cells: &[Value], measure: &str, key: &[(&str, &str)]) -> Value {
    let found: Vec<&Value> = cells
        .iter()
        .filter(|c| c["measure"] == measure && key.iter().all(|(k, v)| c[*k] == *v))
        .collect();
    assert_eq!(found.len(), 1, "{measure} {key:?} in {cells:?}");
    found[0]["value"].clone()
}

// ---------------------------------------------------------------------------------------------
// The report of the hotline quarter

const REPORT: &str = "query($f: Date!, $t: Date!, $l: ReportLanguage!) {
  report(from: $f, to: $t, lang: $l) { title from to threshold columns rows { key indicator breakdown value suppressed note } } }";

fn row<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["key"] == key))
        .unwrap_or_else(|| panic!("no row {key} in {report}"))
}

both!(
    the_hotline_quarter_report_shows_totals_and_the_sex_split_not_the_minority,
    |app| async move {
        hotline_quarter(&app).await;
        let token = steering(&app);
        let resp = app
            .gql(
                &token,
                REPORT,
                json!({ "f": "2026-07-01", "t": "2026-09-30", "l": "VI" }),
            )
            .await;
        let report = &data(&resp)["report"];
        assert_eq!(
            report["title"],
            "Báo cáo số liệu phòng, chống mua bán người từ ngày 01/07/2026 đến ngày 30/09/2026"
        );
        assert_eq!(
            report["columns"],
            json!(["Mã", "Chỉ tiêu", "Phân tổ", "Số lượng", "Ghi chú"])
        );
        let calls = row(report, "hotline_calls.total");
        assert_eq!(
            calls["indicator"],
            "Cuộc gọi đến Tổng đài điện thoại quốc gia 111"
        );
        assert_eq!(calls["breakdown"], "Tổng số");
        assert_eq!(calls["value"], 780);
        assert_eq!(row(report, "tips_received.total")["value"], 825);
        assert_eq!(row(report, "tips_resolved.total")["value"], 700);
        let supported = row(report, "victims_supported.total");
        assert_eq!(supported["indicator"], "Nạn nhân được hỗ trợ");
        assert_eq!(supported["value"], 30);
        assert_eq!(row(report, "victims_supported.sex.male")["value"], 15);
        assert_eq!(row(report, "victims_supported.sex.female")["value"], 15);
        assert_eq!(
            row(report, "victims_supported.sex.male")["breakdown"],
            "Nam"
        );
        for key in [
            "victims_supported.ethnicity.kinh",
            "victims_supported.ethnicity.minority",
            "victims_supported.ethnicity.unknown",
            "victims_supported.sex.unknown",
        ] {
            let r = row(report, key);
            assert_eq!(r["value"], Value::Null, "{key}: {r}");
            assert_eq!(r["suppressed"], true);
            assert!(
                r["note"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("Không công bố"))
            );
        }
        assert_eq!(
            row(report, "victims_supported.ethnicity.minority")["breakdown"],
            "Dân tộc thiểu số"
        );
        assert_eq!(row(report, "victims_received.total")["value"], 12);
        assert_eq!(row(report, "victims_received.sex.male")["value"], 6);
        assert_eq!(
            row(report, "victims_received.ethnicity.minority")["value"],
            Value::Null
        );
        assert_eq!(row(report, "victims_identified.total")["value"], 6);
        assert_eq!(
            row(report, "cases_opened.total")["value"],
            Value::Null,
            "2 cases"
        );
        // The English variant: the same figures.
        let resp = app
            .gql(
                &token,
                REPORT,
                json!({ "f": "2026-07-01", "t": "2026-09-30", "l": "EN" }),
            )
            .await;
        let en = &data(&resp)["report"];
        assert_eq!(
            en["title"],
            "Counter-trafficking statistics, 1 July 2026 to 30 September 2026"
        );
        assert_eq!(en["columns"][1], "Indicator");
        assert_eq!(
            row(en, "hotline_calls.total")["indicator"],
            "Calls to the national hotline 111"
        );
        assert_eq!(
            row(en, "victims_supported.sex.female")["breakdown"],
            "Female"
        );
        let values = |r: &Value| -> Vec<Value> {
            r["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| json!([x["key"], x["value"]]))
                .collect()
        };
        assert_eq!(values(report), values(en));
        // `statistics` says the same.
        let c = cells(
            &app,
            &token,
            "2026-07-01",
            "2026-09-30",
            &["VICTIMS_SUPPORTED"],
            &["ETHNICITY_GROUP"],
            json!(null),
        )
        .await;
        assert!(
            c.iter()
                .all(|c| c["value"].is_null() && c["suppressed"] == true),
            "{c:?}"
        );
        let c = cells(
            &app,
            &token,
            "2026-07-01",
            "2026-09-30",
            &["HOTLINE_CALLS", "TIPS_RECEIVED"],
            &["MONTH"],
            json!(null),
        )
        .await;
        for month in ["2026-07", "2026-08", "2026-09"] {
            assert_eq!(value_of(&c, "HOTLINE_CALLS", &[("month", month)]), 260);
            assert_eq!(value_of(&c, "TIPS_RECEIVED", &[("month", month)]), 275);
        }
    }
);

// ---------------------------------------------------------------------------------------------
// The differencing attack, as linear algebra

/// One unit as the attacker models it: its value of every dimension asked about (forms and
/// countries as their one value: each fixture case has one of each) and its month.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Unit {
    values: BTreeMap<&'static str, String>,
    month: String,
}

/// A measure as the attack sees it: the dimensions (GraphQL name, cell field, values tried as
/// filters) and the units of the fixture. The unknowns of the linear system are the counts of
/// the combinations that occur: the attacker is even told which combinations are empty.
struct Model {
    measures: Vec<&'static str>,
    dims: Vec<(&'static str, &'static str, Vec<&'static str>)>,
    units: BTreeMap<&'static str, Vec<Unit>>,
}

fn eth_group(e: &str) -> &'static str {
    if e == "Kinh" { "KINH" } else { "MINORITY" }
}

fn age_band(age: i64) -> &'static str {
    match age {
        ..16 => "UNDER_16",
        16..18 => "AGE_16_17",
        18..30 => "AGE_18_29",
        30..45 => "AGE_30_44",
        _ => "AGE_45_PLUS",
    }
}

fn month(d: DateTime<Utc>) -> String {
    d.format("%Y-%m").to_string()
}

fn supported_model() -> Model {
    let units = supported_persons()
        .into_iter()
        .map(|p| Unit {
            values: [
                ("sex", p.sex.to_string()),
                ("ethnicityGroup", eth_group(p.ethnicity).to_string()),
                ("ageBand", "UNKNOWN".to_string()),
            ]
            .into_iter()
            .collect(),
            month: month(p.services[0]),
        })
        .collect();
    Model {
        measures: vec!["VICTIMS_SUPPORTED"],
        dims: vec![
            ("SEX", "sex", vec!["MALE", "FEMALE", "UNKNOWN"]),
            (
                "ETHNICITY_GROUP",
                "ethnicityGroup",
                vec!["KINH", "MINORITY", "UNKNOWN"],
            ),
            ("AGE_BAND", "ageBand", vec!["UNKNOWN", "AGE_18_29"]),
        ],
        units: [("VICTIMS_SUPPORTED", units)].into_iter().collect(),
    }
}

fn victims_model() -> Model {
    let cases = [
        ("40", "FORCED_LABOUR", "KH"),
        ("42", "SEXUAL_EXPLOITATION", "CN"),
    ];
    let unit = |v: &Victim, m: String| Unit {
        values: [
            ("sex", v.sex.to_string()),
            ("ethnicityGroup", eth_group(v.ethnicity).to_string()),
            ("ageBand", age_band(v.age).to_string()),
            ("province", cases[v.case].0.to_string()),
            ("exploitationForm", cases[v.case].1.to_string()),
            ("destinationCountry", cases[v.case].2.to_string()),
        ]
        .into_iter()
        .collect(),
        month: m,
    };
    let all = victims();
    let received: Vec<Unit> = all.iter().map(|v| unit(v, month(v.received))).collect();
    let identified: Vec<Unit> = all
        .iter()
        .filter(|v| v.case == 0)
        .map(|v| unit(v, "2026-08".to_string()))
        .collect();
    let children: Vec<Unit> = all
        .iter()
        .filter(|v| v.age < 18)
        .map(|v| unit(v, month(v.received)))
        .collect();
    Model {
        measures: vec!["VICTIMS_RECEIVED", "VICTIMS_IDENTIFIED", "CHILD_VICTIMS"],
        dims: vec![
            ("SEX", "sex", vec!["MALE", "FEMALE"]),
            (
                "ETHNICITY_GROUP",
                "ethnicityGroup",
                vec!["KINH", "MINORITY"],
            ),
            (
                "AGE_BAND",
                "ageBand",
                vec!["UNDER_16", "AGE_16_17", "AGE_18_29", "AGE_30_44"],
            ),
            ("PROVINCE", "province", vec!["40", "42", "01"]),
            (
                "EXPLOITATION_FORM",
                "exploitationForm",
                vec!["FORCED_LABOUR", "SEXUAL_EXPLOITATION"],
            ),
            (
                "DESTINATION_COUNTRY",
                "destinationCountry",
                vec!["KH", "CN"],
            ),
        ],
        units: [
            ("VICTIMS_RECEIVED", received),
            ("VICTIMS_IDENTIFIED", identified),
            ("CHILD_VICTIMS", children),
        ]
        .into_iter()
        .collect(),
    }
}

/// The whole-month periods the attacker asks about: single months, runs of months that
/// overlap and differ by one month (Jan–Jun and Jan–Jul ...), the quarter, the year, and a
/// period across the turn of the year.
const PERIODS: [(&str, &str); 16] = [
    ("2026-06-01", "2026-06-30"),
    ("2026-07-01", "2026-07-31"),
    ("2026-08-01", "2026-08-31"),
    ("2026-09-01", "2026-09-30"),
    ("2026-10-01", "2026-10-31"),
    ("2026-07-01", "2026-08-31"),
    ("2026-08-01", "2026-09-30"),
    ("2026-07-01", "2026-09-30"),
    ("2026-06-01", "2026-09-30"),
    ("2026-07-01", "2026-10-31"),
    ("2026-01-01", "2026-06-30"),
    ("2026-01-01", "2026-07-31"),
    ("2026-01-01", "2026-08-31"),
    ("2026-01-01", "2026-09-30"),
    ("2026-01-01", "2026-12-31"),
    ("2025-12-01", "2026-09-30"),
];

/// Every question of the attack on `model`: each grouping by at most two dimensions (month
/// included) without a filter; each grouping by at most one with each one-value filter; and
/// "filter, then subtract" filters (everyone but the minority) with every pair grouping.
fn questions(model: &Model) -> Vec<(Vec<&'static str>, Value)> {
    let mut dims: Vec<&'static str> = model.dims.iter().map(|d| d.0).collect();
    dims.push("MONTH");
    let mut groupings: Vec<Vec<&'static str>> = vec![Vec::new()];
    for (i, a) in dims.iter().enumerate() {
        groupings.push(vec![a]);
        for b in &dims[i + 1..] {
            groupings.push(vec![a, b]);
        }
    }
    let filter_name = |d: &str| match d {
        "SEX" => "sex",
        "ETHNICITY_GROUP" => "ethnicityGroup",
        "AGE_BAND" => "ageBand",
        "PROVINCE" => "province",
        "EXPLOITATION_FORM" => "exploitationForm",
        "DESTINATION_COUNTRY" => "destinationCountry",
        _ => "channel",
    };
    let mut out = Vec::new();
    for g in &groupings {
        // Grouping countries by another dimension lists every country of the world: the
        // attacker names the few that matter, or the answer would be too large to ask for.
        let wide = g.len() == 2 && g.contains(&"DESTINATION_COUNTRY");
        let countries = json!(["KH", "CN", "TH"]);
        let (plain, all_but_minority) = if wide {
            (
                json!({ "destinationCountry": countries }),
                json!({ "ethnicityGroup": ["KINH", "UNKNOWN"], "destinationCountry": countries }),
            )
        } else {
            (
                json!(null),
                json!({ "ethnicityGroup": ["KINH", "UNKNOWN"] }),
            )
        };
        out.push((g.clone(), plain));
        out.push((g.clone(), all_but_minority));
    }
    for (dim, _, values) in &model.dims {
        for v in values {
            for g in groupings.iter().filter(|g| g.len() <= 1) {
                out.push((g.clone(), json!({ filter_name(dim): [v] })));
            }
        }
    }
    out
}

/// Whether `unit` is counted by the cell `cell` of a question over `period` with `filter`.
fn counts(unit: &Unit, period: (&str, &str), filter: &Value, cell: &Value) -> bool {
    let (from, to) = (&period.0[..7], &period.1[..7]);
    if unit.month.as_str() < from || unit.month.as_str() > to {
        return false;
    }
    if let Some(f) = filter.as_object() {
        for (field, allowed) in f {
            let value = unit.values.get(field.as_str()).cloned().unwrap_or_default();
            if !allowed
                .as_array()
                .is_some_and(|a| a.iter().any(|x| *x == value))
            {
                return false;
            }
        }
    }
    for (field, value) in cell.as_object().into_iter().flatten() {
        if matches!(field.as_str(), "measure" | "value" | "suppressed") || value.is_null() {
            continue;
        }
        let mine = if field == "month" {
            Some(&unit.month)
        } else {
            unit.values.get(field.as_str())
        };
        if mine.is_none_or(|m| value != m) {
            return false;
        }
    }
    true
}

/// Exact membership of `t` in the row space of `rows` (fraction-free Gaussian elimination in
/// i128 with gcd normalisation: no rounding, no modulus).
fn in_span(rows: &[Vec<i128>], t: &[i128]) -> bool {
    fn gcd(a: i128, b: i128) -> i128 {
        if b == 0 { a.abs() } else { gcd(b, a % b) }
    }
    fn reduce(basis: &[(usize, Vec<i128>)], v: &mut [i128]) {
        for (p, b) in basis {
            if v[*p] != 0 {
                let (f, g) = (b[*p], v[*p]);
                for (x, y) in v.iter_mut().zip(b) {
                    *x = *x * f - y * g;
                }
                let d = v.iter().fold(0, |d, x| gcd(d, *x));
                if d > 1 {
                    v.iter_mut().for_each(|x| *x /= d);
                }
            }
        }
    }
    let mut basis: Vec<(usize, Vec<i128>)> = Vec::new();
    for r in rows {
        let mut v = r.clone();
        reduce(&basis, &mut v);
        if let Some(p) = v.iter().position(|x| *x != 0) {
            basis.push((p, v));
        }
    }
    let mut v = t.to_vec();
    reduce(&basis, &mut v);
    v.iter().all(|x| *x == 0)
}

/// The combinations that occur among `units`, with their counts: the unknowns.
fn combinations(units: &[Unit]) -> Vec<(Unit, i128)> {
    let mut counts: BTreeMap<Unit, i128> = BTreeMap::new();
    for u in units {
        *counts.entry(u.clone()).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// Every group the attacker could want to count: a run of months and, per dimension, one value
/// or any. Those counting 1 to k-1 must never be determined.
fn small_groups(model: &Model, units: &[(Unit, i128)], k: i128) -> Vec<(String, Vec<i128>, i128)> {
    let months: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
    let mut choices: Vec<Vec<(&'static str, Option<&'static str>)>> = vec![Vec::new()];
    for (_, field, values) in &model.dims {
        choices = choices
            .into_iter()
            .flat_map(|c| {
                std::iter::once(None)
                    .chain(values.iter().map(|v| Some(*v)))
                    .map(move |v| {
                        let mut c = c.clone();
                        c.push((*field, v));
                        c
                    })
            })
            .collect();
    }
    let mut out = Vec::new();
    for (i, a) in months.iter().enumerate() {
        for b in &months[i..] {
            for choice in &choices {
                let t: Vec<i128> = units
                    .iter()
                    .map(|(u, _)| {
                        let inside = u.month >= *a
                            && u.month <= *b
                            && choice.iter().all(|(f, v)| {
                                v.is_none_or(|v| u.values.get(*f).is_some_and(|x| x == v))
                            });
                        i128::from(inside)
                    })
                    .collect();
                let n: i128 = t.iter().zip(units).map(|(x, (_, c))| x * c).sum();
                if n > 0 && n < k {
                    out.push((format!("{a}..{b} {choice:?}"), t, n));
                }
            }
        }
    }
    out
}

/// Asks every question of the attack as steering, in batches; returns per measure the published
/// figures as equations over the combinations (checking each published value against the
/// truth on the way), and whether any published value was under the threshold.
async fn attack(
    app: &TestApp,
    model: &Model,
    periods: &[(&str, &str)],
) -> BTreeMap<&'static str, Vec<Vec<i128>>> {
    let token = app.token(Agency::Steering, &format!("attacker-{}", model.measures[0]));
    let unknowns: BTreeMap<&'static str, Vec<(Unit, i128)>> = model
        .units
        .iter()
        .map(|(m, units)| (*m, combinations(units)))
        .collect();
    let mut equations: BTreeMap<&'static str, BTreeSet<Vec<i128>>> = BTreeMap::new();
    let mut asked = Vec::new();
    for period in periods {
        for (group_by, filter) in questions(model) {
            asked.push((*period, group_by, filter));
        }
    }
    for batch in asked.chunks(5) {
        let body: Vec<Value> = batch
            .iter()
            .map(|(period, group_by, filter)| {
                json!({ "query": STATS, "variables": { "f": period.0, "t": period.1,
                    "m": model.measures, "g": group_by, "x": filter } })
            })
            .collect();
        let resp = post_patiently(app, &token, &Value::Array(body)).await;
        let answers = resp.as_array().cloned().unwrap_or_default();
        assert_eq!(answers.len(), batch.len(), "{resp}");
        for ((period, _, filter), answer) in batch.iter().zip(&answers) {
            let stats = &data(answer)["statistics"];
            let k = stats["threshold"].as_i64().unwrap_or(5) as i128;
            for cell in stats["cells"].as_array().into_iter().flatten() {
                let measure = model
                    .measures
                    .iter()
                    .find(|m| cell["measure"] == **m)
                    .copied()
                    .expect("a measure asked");
                let Some(value) = cell["value"].as_i64() else {
                    assert_eq!(cell["suppressed"], true);
                    continue;
                };
                assert_eq!(cell["suppressed"], false);
                assert!(
                    value as i128 >= k,
                    "a published cell under the threshold: {cell}"
                );
                let row: Vec<i128> = unknowns[measure]
                    .iter()
                    .map(|(u, _)| i128::from(counts(u, *period, filter, cell)))
                    .collect();
                let truth: i128 = row
                    .iter()
                    .zip(&unknowns[measure])
                    .map(|(x, (_, n))| x * n)
                    .sum();
                assert_eq!(value as i128, truth, "{measure} {period:?} {filter} {cell}");
                equations.entry(measure).or_default().insert(row);
            }
        }
    }
    equations
        .into_iter()
        .map(|(m, rows)| (m, rows.into_iter().collect()))
        .collect()
}

/// POSTs `body`, waiting out `RATE_LIMITED` answers (the attack asks thousands of questions,
/// more than a subject's rate allows in a burst).
async fn post_patiently(app: &TestApp, token: &str, body: &Value) -> Value {
    for _ in 0..120 {
        let (status, resp) = app.post(Some(token), Some("integration test"), body).await;
        if status == 429 || resp.to_string().contains("RATE_LIMITED") {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            continue;
        }
        assert_eq!(status, 200, "{resp}");
        return resp;
    }
    panic!("still rate limited after a minute");
}

/// The minority of a model's measure: the indicator of the combinations of ethnic minorities.
fn minority(unknowns: &[(Unit, i128)]) -> Vec<i128> {
    unknowns
        .iter()
        .map(|(u, _)| i128::from(u.values["ethnicityGroup"] == "MINORITY"))
        .collect()
}

both!(
    the_minority_person_cannot_be_recovered_from_any_combination,
    |app| async move {
        hotline_quarter(&app).await;
        // The victims' model has more dimensions: it is asked over the periods that overlap
        // the quarter and differ by a month, the quarter, the year and across the year's turn.
        let (supported, victims) = (supported_model(), victims_model());
        let few: Vec<(&str, &str)> = PERIODS
            .iter()
            .copied()
            .filter(|p| !["2026-06-01", "2026-10-01"].contains(&p.0) && p.1 != "2026-10-31")
            .filter(|p| *p != ("2026-01-01", "2026-08-31") && *p != ("2026-01-01", "2026-09-30"))
            .collect();
        let (a, b) = futures::join!(
            attack(&app, &supported, &PERIODS),
            attack(&app, &victims, &few)
        );
        for (model, equations) in [(supported, a), (victims, b)] {
            for measure in &model.measures {
                let unknowns = combinations(&model.units[measure]);
                let rows = equations.get(measure).cloned().unwrap_or_default();
                eprintln!(
                    "{measure}: {} distinct published figures over {} unknowns",
                    rows.len(),
                    unknowns.len()
                );
                let lone = minority(&unknowns);
                if lone.contains(&1) {
                    assert!(
                        !in_span(&rows, &lone),
                        "{measure}: the minority count is determined by the published figures"
                    );
                }
                for (group, t, n) in small_groups(&model, &unknowns, 5) {
                    assert!(
                        !in_span(&rows, &t),
                        "{measure}: the group {group} of {n} is determined"
                    );
                }
                // The check has teeth: with every figure of the same questions published,
                // the minority count is solved for.
                let mut all = rows.clone();
                all.push(unknowns.iter().map(|_| 1).collect());
                all.push(
                    unknowns
                        .iter()
                        .map(|(u, _)| i128::from(u.values["ethnicityGroup"] == "KINH"))
                        .collect(),
                );
                assert!(
                    in_span(&all, &lone),
                    "{measure}: the unsuppressed system solves it"
                );
            }
        }
    }
);

// ---------------------------------------------------------------------------------------------
// No published cell counts fewer than the threshold, whoever asks (property)

/// A random world for the property: tips, persons supported, and cases with victims and
/// suspects, spread over 2025-11 to 2026-12, in a few provinces, some cases `H2`.
#[derive(Clone, Debug)]
struct World {
    /// (channel, province, month, resolved).
    tips: Vec<(usize, usize, u32, bool)>,
    /// (sex, ethnicity, month of the first service, a second service).
    supported: Vec<(usize, usize, u32, bool)>,
    /// (province, form, `H2`, members).
    cases: Vec<(usize, usize, bool, Vec<Member>)>,
}

/// A case member: (suspect, sex, ethnicity, age, month received).
type Member = (bool, usize, usize, i64, u32);

const CHANNELS: [&str; 3] = ["HOTLINE_111", "COMMUNE", "BORDER_POST"];
const PROVINCES: [&str; 4] = ["40", "42", "01", "79"];
const SEXES: [Option<&str>; 3] = [Some("MALE"), Some("FEMALE"), None];
const ETHNICITIES: [Option<&str>; 4] = [Some("Kinh"), Some("Thái"), Some("H'Mông"), None];
const FORMS: [&str; 3] = ["FORCED_LABOUR", "SEXUAL_EXPLOITATION", "FORCED_MARRIAGE"];

/// Month index 0..14 → (year, month) from 2025-11.
fn month_of(i: u32) -> (i32, u32) {
    let n = 2025 * 12 + 10 + i as i32;
    (n.div_euclid(12), n.rem_euclid(12) as u32 + 1)
}

fn world_strategy() -> impl proptest::strategy::Strategy<Value = World> {
    use proptest::prelude::*;
    let tips =
        proptest::collection::vec((0..3usize, 0..4usize, 0..14u32, any::<bool>()), 600..1200);
    let supported =
        proptest::collection::vec((0..3usize, 0..4usize, 0..14u32, any::<bool>()), 80..160);
    let victim = (
        proptest::bool::weighted(0.3),
        0..3usize,
        0..4usize,
        10..50i64,
        0..14u32,
    );
    let cases = proptest::collection::vec(
        (
            0..4usize,
            0..3usize,
            proptest::bool::weighted(0.2),
            proptest::collection::vec(victim, 5..25),
        ),
        6..12,
    );
    (tips, supported, cases).prop_map(|(tips, supported, cases)| World {
        tips,
        supported,
        cases,
    })
}

async fn load_world(app: &TestApp, w: &World) {
    let conn = app.db.connect().await.expect("connect");
    let day = |i: u32, d: u32| {
        let (y, m) = month_of(i);
        at(y, m, 1 + d % 28, 9)
    };
    let tips: Vec<Vec<DbValue>> = w
        .tips
        .iter()
        .enumerate()
        .map(|(n, (c, p, m, resolved))| {
            let received = day(*m, n as u32);
            tip_row(
                CHANNELS[*c],
                received,
                resolved.then(|| received + Duration::days(20)),
                PROVINCES[*p],
            )
        })
        .collect();
    insert(&conn, "tip", &TIP_COLUMNS, tips).await;
    let created = at(2025, 1, 1, 0);
    let person = |id: Uuid, n: usize, sex: usize, eth: usize| -> Vec<DbValue> {
        vec![
            id.into(),
            format!("Người {n}").into(),
            format!("nguoi {n}").into(),
            "[]".into(),
            SEXES[sex].map(str::to_string).into(),
            ETHNICITIES[eth].map(str::to_string).into(),
            1i32.into(),
            created.into(),
            created.into(),
            "police".into(),
            "fixture".into(),
        ]
    };
    const PERSON: [&str; 11] = [
        "id",
        "full_name",
        "name_folded",
        "aliases",
        "sex",
        "ethnicity",
        "version",
        "created_at",
        "updated_at",
        "created_by_agency",
        "created_by_subject",
    ];
    let mut persons = Vec::new();
    let mut services = Vec::new();
    for (n, (sex, eth, m, twice)) in w.supported.iter().enumerate() {
        let id = Uuid::now_v7();
        persons.push(person(id, n, *sex, *eth));
        let first = day(*m, n as u32);
        let starts = if *twice {
            vec![first, first + Duration::days(40)]
        } else {
            vec![first]
        };
        for started in starts {
            services.push(vec![
                Uuid::now_v7().into(),
                id.into(),
                "MEDICAL".into(),
                "Bệnh viện".into(),
                started.into(),
                1i32.into(),
                started.into(),
                started.into(),
                "social_services".into(),
                "fixture".into(),
            ]);
        }
    }
    let mut cases = Vec::new();
    let mut parties = Vec::new();
    for (n, (province, form, h2, members)) in w.cases.iter().enumerate() {
        let case = Uuid::now_v7();
        let opened = day((n as u32 * 3) % 14, n as u32);
        cases.push(vec![
            case.into(),
            format!("RND-{n}").into(),
            format!("Vụ án {n}").into(),
            "UNDER_INVESTIGATION".into(),
            "police".into(),
            PROVINCES[*province].into(),
            opened.into(),
            "ART_150".into(),
            false.into(),
            false.into(),
            format!("[\"{}\"]", FORMS[*form]).into(),
            "[]".into(),
            "[]".into(),
            "[\"VN\",\"KH\"]".into(),
            if *h2 { "H2" } else { "H0" }.into(),
            1i32.into(),
            opened.into(),
            opened.into(),
            "police".into(),
            "fixture".into(),
        ]);
        for (i, (suspect, sex, eth, age, m)) in members.iter().enumerate() {
            let id = Uuid::now_v7();
            persons.push(person(id, 1000 + n * 100 + i, *sex, *eth));
            let received = day(*m, i as u32);
            parties.push(vec![
                Uuid::now_v7().into(),
                case.into(),
                id.into(),
                if *suspect { "SUSPECT" } else { "VICTIM" }.into(),
                (!*suspect).then(|| "RECEIVED".to_string()).into(),
                (!*suspect).then_some(received).into(),
                (!*suspect).then_some(*age as i32).into(),
                false.into(),
                "[]".into(),
                (!*suspect && *age < 18).into(),
                1i32.into(),
                received.into(),
                received.into(),
                "police".into(),
                "fixture".into(),
            ]);
        }
    }
    insert(&conn, "person", &PERSON, persons).await;
    insert(
        &conn,
        "support_service",
        &[
            "id",
            "person_id",
            "service",
            "provider",
            "started_at",
            "version",
            "created_at",
            "updated_at",
            "created_by_agency",
            "created_by_subject",
        ],
        services,
    )
    .await;
    insert(
        &conn,
        "case_record",
        &[
            "id",
            "case_number",
            "title",
            "status",
            "lead_agency",
            "province",
            "opened_at",
            "legal_basis",
            "transnational",
            "organized_group",
            "exploitation_forms",
            "recruitment_methods",
            "recruitment_platforms",
            "countries",
            "handling_code",
            "version",
            "created_at",
            "updated_at",
            "created_by_agency",
            "created_by_subject",
        ],
        cases,
    )
    .await;
    insert(
        &conn,
        "case_party",
        &[
            "id",
            "case_id",
            "person_id",
            "role",
            "identification",
            "received_at",
            "age_at_exploitation",
            "consent_to_share",
            "protection_measures",
            "is_minor",
            "version",
            "created_at",
            "updated_at",
            "created_by_agency",
            "created_by_subject",
        ],
        parties,
    )
    .await;
    conn.close().await.ok();
}

/// A question of the property: who asks, what, grouped and filtered how, over which months.
#[derive(Clone, Debug)]
struct Question {
    agency: Agency,
    jurisdiction: bool,
    measures: Vec<&'static str>,
    group_by: Vec<&'static str>,
    filter: Option<(&'static str, Vec<&'static str>)>,
    first: u32,
    months: u32,
}

/// Measures asked together, with the dimensions and filters that apply to all of them.
type Family = (
    Vec<&'static str>,
    Vec<&'static str>,
    Vec<(&'static str, Vec<&'static str>)>,
);

fn families() -> Vec<Family> {
    let person_filters = vec![
        ("sex", vec!["FEMALE"]),
        ("ethnicityGroup", vec!["MINORITY"]),
        ("ethnicityGroup", vec!["KINH", "UNKNOWN"]),
    ];
    let case_filters = vec![
        ("province", vec!["40"]),
        ("province", vec!["42", "01"]),
        ("exploitationForm", vec!["FORCED_LABOUR"]),
        ("destinationCountry", vec!["KH"]),
    ];
    let both: Vec<_> = person_filters
        .iter()
        .chain(&case_filters)
        .cloned()
        .collect();
    vec![
        (
            vec!["TIPS_RECEIVED", "TIPS_RESOLVED", "HOTLINE_CALLS"],
            vec!["PROVINCE", "MONTH", "CHANNEL"],
            vec![
                ("province", vec!["40"]),
                ("province", vec!["42", "79"]),
                ("channel", vec!["HOTLINE_111"]),
            ],
        ),
        (
            vec!["VICTIMS_SUPPORTED"],
            vec!["SEX", "ETHNICITY_GROUP", "AGE_BAND", "MONTH"],
            person_filters.clone(),
        ),
        (
            vec!["VICTIMS_RECEIVED", "VICTIMS_IDENTIFIED", "CHILD_VICTIMS"],
            vec![
                "SEX",
                "ETHNICITY_GROUP",
                "AGE_BAND",
                "PROVINCE",
                "EXPLOITATION_FORM",
                "MONTH",
            ],
            both.clone(),
        ),
        (
            vec!["SUSPECTS", "PROSECUTIONS", "CONVICTIONS"],
            vec![
                "SEX",
                "ETHNICITY_GROUP",
                "PROVINCE",
                "DESTINATION_COUNTRY",
                "MONTH",
            ],
            both,
        ),
        (
            vec!["CASES_OPENED", "RINGS_DISMANTLED", "REFERRALS"],
            vec!["MONTH", "PROVINCE", "EXPLOITATION_FORM"],
            case_filters,
        ),
    ]
}

fn question_strategy() -> impl proptest::strategy::Strategy<Value = Question> {
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};
    let agency = prop_oneof![
        3 => Just(Agency::Steering),
        2 => select(Agency::ALL.to_vec()),
    ];
    (
        agency,
        any::<bool>(),
        select(families()),
        0..14u32,
        1..15u32,
    )
        .prop_flat_map(
            |(agency, jurisdiction, (measures, dims, filters), first, months)| {
                let n = measures.len();
                (
                    Just((agency, jurisdiction, first, months)),
                    subsequence(measures, 1..=n.min(2)),
                    subsequence(dims, 0..3),
                    proptest::option::of(select(filters)),
                )
            },
        )
        .prop_map(
            |((agency, jurisdiction, first, months), measures, group_by, filter)| Question {
                agency,
                jurisdiction,
                measures,
                group_by,
                filter,
                first,
                months,
            },
        )
}

/// The true national count of a tip or support measure for a steering question's cell, when the
/// fixture makes it easy to know (else `None`).
fn truth(w: &World, q: &Question, measure: &str, cell: &Value) -> Option<i64> {
    let months = |m: u32| m >= q.first && m < q.first + q.months;
    let label = |m: u32| {
        let (y, mo) = month_of(m);
        format!("{y}-{mo:02}")
    };
    let keep = |field: &str, value: &str| {
        q.filter
            .as_ref()
            .is_none_or(|(f, vs)| *f != field || vs.contains(&value))
            && (cell[field].is_null() || cell[field] == value)
    };
    match measure {
        "TIPS_RECEIVED" | "HOTLINE_CALLS" | "TIPS_RESOLVED" => {
            if q.filter
                .as_ref()
                .is_some_and(|(f, _)| !["province", "channel"].contains(f))
            {
                return None;
            }
            let n = w
                .tips
                .iter()
                .enumerate()
                .filter(|(n, (c, p, m, resolved))| {
                    let month = if measure == "TIPS_RESOLVED" {
                        if !resolved {
                            return false;
                        }
                        // Resolved 20 days after receipt (as `load_world` writes it).
                        let (y, mo) = month_of(*m);
                        let resolved = at(y, mo, 1 + (*n as u32) % 28, 9) + Duration::days(20);
                        let (ry, rm) = (resolved.year(), resolved.month());
                        (ry * 12 + rm as i32 - (2025 * 12 + 11)) as u32
                    } else {
                        *m
                    };
                    (measure != "HOTLINE_CALLS" || *c == 0)
                        && months(month)
                        && keep("channel", CHANNELS[*c])
                        && keep("province", PROVINCES[*p])
                        && (cell["month"].is_null() || cell["month"] == label(month))
                })
                .count();
            Some(n as i64)
        }
        "VICTIMS_SUPPORTED" => {
            if q.filter
                .as_ref()
                .is_some_and(|(f, _)| !["sex", "ethnicityGroup"].contains(f))
            {
                return None;
            }
            let n = w
                .supported
                .iter()
                .filter(|(sex, eth, m, _)| {
                    let sex = SEXES[*sex].unwrap_or("UNKNOWN");
                    let eth = match ETHNICITIES[*eth] {
                        None => "UNKNOWN",
                        Some("Kinh") => "KINH",
                        Some(_) => "MINORITY",
                    };
                    months(*m)
                        && keep("sex", sex)
                        && keep("ethnicityGroup", eth)
                        && (cell["month"].is_null() || cell["month"] == label(*m))
                })
                .count();
            Some(n as i64)
        }
        _ => None,
    }
}

/// Asks `q`; every published cell counts at least the threshold, every suppressed one is null,
/// and the steering committee's published tip and support figures are the true ones.
/// What the property saw: questions answered, cells published, published figures checked
/// against the truth.
#[derive(Debug, Default)]
struct Seen {
    answered: usize,
    refused: usize,
    published: usize,
    checked: usize,
}

async fn ask(app: &TestApp, w: &World, q: &Question, seen: &Mutex<Seen>) -> Result<(), String> {
    let mut spec = TokenSpec::new(q.agency, format!("{}-analyst", q.agency.code()));
    if q.jurisdiction && q.agency == Agency::Police {
        spec.jurisdiction = Some(vec!["40".into()]);
    }
    let token = app.token_with(spec);
    let (fy, fm) = month_of(q.first);
    let (ly, lm) = month_of(q.first + q.months - 1);
    let last = chrono::NaiveDate::from_ymd_opt(ly + i32::from(lm == 12), lm % 12 + 1, 1)
        .and_then(|d| d.pred_opt())
        .expect("a day");
    let filter = q
        .filter
        .as_ref()
        .map(|(f, vs)| json!({ *f: vs }))
        .unwrap_or(Value::Null);
    let body = json!({ "query": STATS, "variables": {
        "f": format!("{fy}-{fm:02}-01"), "t": last.to_string(),
        "m": q.measures, "g": q.group_by, "x": filter } });
    let resp = post_patiently(app, &token, &body).await;
    if resp.get("errors").is_some_and(|e| !e.is_null()) {
        // Refused as a whole (a measure the agency may not count, a dimension that does not
        // apply, too many cells): nothing published.
        let codes: BTreeSet<String> = ctex_tests::codes(&resp).into_iter().collect();
        if !codes
            .iter()
            .all(|c| c == "FORBIDDEN" || c == "BAD_USER_INPUT")
        {
            return Err(format!("unexpected errors: {resp}"));
        }
        if !resp["data"]["statistics"].is_null() {
            return Err(format!("an error with data: {resp}"));
        }
        lock(seen).refused += 1;
        return Ok(());
    }
    lock(seen).answered += 1;
    let stats = &resp["data"]["statistics"];
    let k = stats["threshold"].as_i64().unwrap_or(5);
    for cell in stats["cells"].as_array().into_iter().flatten() {
        match (cell["value"].as_i64(), cell["suppressed"].as_bool()) {
            (Some(v), Some(false)) if v >= k => {
                lock(seen).published += 1;
                if q.agency == Agency::Steering
                    && let Some(measure) = cell["measure"].as_str()
                    && let Some(t) = truth(w, q, measure, cell)
                {
                    lock(seen).checked += 1;
                    if t != v {
                        return Err(format!("published {v}, truly {t}: {cell} for {q:?}"));
                    }
                }
            }
            (None, Some(true)) => {}
            _ => {
                return Err(format!(
                    "a cell under {k} or inconsistent: {cell} for {q:?}"
                ));
            }
        }
    }
    Ok(())
}

async fn no_cell_under_the_threshold(backend: ctex_tests::Backend) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRunner};
    let app = TestApp::spawn(backend).await;
    let mut seed_runner = TestRunner::deterministic();
    let world = world_strategy()
        .new_tree(&mut seed_runner)
        .expect("a world")
        .current();
    load_world(&app, &world).await;
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    let handle = tokio::runtime::Handle::current();
    let seen = Mutex::new(Seen::default());
    let result = runner.run(&question_strategy(), |q| {
        tokio::task::block_in_place(|| handle.block_on(ask(&app, &world, &q, &seen)))
            .map_err(proptest::test_runner::TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seen = lock(&seen);
    eprintln!(
        "{} tips, {} persons supported, {} cases; {seen:?}",
        world.tips.len(),
        world.supported.len(),
        world.cases.len()
    );
    assert!(
        seen.answered > 100 && seen.published > 25 && seen.checked > 10,
        "{seen:?}"
    );
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_statistics_cell_counts_fewer_than_the_threshold_sqlite() {
    no_cell_under_the_threshold(ctex_tests::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_statistics_cell_counts_fewer_than_the_threshold_postgres() {
    if ctex_tests::postgres_or_skip() {
        no_cell_under_the_threshold(ctex_tests::Backend::Postgres).await;
    }
}

// ---------------------------------------------------------------------------------------------
// `ctex report`

/// Runs `ctex report` over the test's database; returns (success, stdout, stderr).
fn report_cli(db_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(server_bin!())
        .args(["--log", "error", "report", "--database-url", db_url])
        .args(args)
        .env_remove("CTEX_MIN_CELL")
        .output()
        .expect("ctex report runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

both!(
    ctex_report_writes_the_quarter_as_csv_and_json,
    |app| async move {
        hotline_quarter(&app).await;
        let url = app.db.url.clone();
        let quarter = ["--from", "2026-07-01", "--to", "2026-09-30"];
        let (ok, csv, err) = report_cli(&url, &[&quarter[..], &["--format", "csv"]].concat());
        assert!(ok, "{err}");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "Mã,Chỉ tiêu,Phân tổ,Số lượng,Ghi chú");
        assert!(lines.contains(
            &"hotline_calls.total,Cuộc gọi đến Tổng đài điện thoại quốc gia 111,Tổng số,780,"
        ));
        assert!(lines.contains(&"victims_supported.total,Nạn nhân được hỗ trợ,Tổng số,30,"));
        assert!(lines.contains(&"victims_supported.sex.male,Nạn nhân được hỗ trợ,Nam,15,"));
        assert!(lines.contains(&"victims_supported.sex.female,Nạn nhân được hỗ trợ,Nữ,15,"));
        let minority = lines
            .iter()
            .find(|l| l.starts_with("victims_supported.ethnicity.minority,"))
            .expect("the minority line");
        assert!(
        minority.starts_with("victims_supported.ethnicity.minority,Nạn nhân được hỗ trợ,Dân tộc thiểu số,,\"Không công bố"),
        "{minority}"
    );
        // JSON in English, to a file: the same figures as the `report` query.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bao-cao.json");
        let path_arg = path.display().to_string();
        let (ok, out, err) = report_cli(
            &url,
            &[
                &quarter[..],
                &["--format", "json", "--lang", "en", "--out", &path_arg],
            ]
            .concat(),
        );
        assert!(ok && out.is_empty(), "{out}{err}");
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("the file")).expect("JSON");
        assert_eq!(doc["from"], "2026-07-01");
        assert_eq!(doc["to"], "2026-09-30");
        assert_eq!(doc["lang"], "en");
        assert_eq!(doc["threshold"], 5);
        let resp = app
            .gql(
                &steering(&app),
                REPORT,
                json!({ "f": "2026-07-01", "t": "2026-09-30", "l": "EN" }),
            )
            .await;
        let api = &data(&resp)["report"];
        for r in api["rows"].as_array().into_iter().flatten() {
            let cli = row(&doc, r["key"].as_str().unwrap_or_default());
            assert_eq!(cli["value"], r["value"], "{}", r["key"]);
            assert_eq!(cli["indicator"], r["indicator"]);
            assert_eq!(cli["suppressed"], r["suppressed"]);
        }
        assert_eq!(
            row(&doc, "victims_supported.ethnicity.minority")["suppressed"],
            true
        );
        // With a threshold of 16 the sex split (15 and 15) is suppressed, and so is the quarter's
        // total of 30 persons supported: the 6 persons whose support began in June (under 16)
        // would otherwise follow from the year's total minus the quarter's. The calls stay.
        let (ok, csv, err) = report_cli(&url, &[&quarter[..], &["--min-cell", "16"]].concat());
        assert!(ok, "{err}");
        assert!(csv.contains(
            "hotline_calls.total,Cuộc gọi đến Tổng đài điện thoại quốc gia 111,Tổng số,780,"
        ));
        assert!(
            csv.contains("victims_supported.sex.male,Nạn nhân được hỗ trợ,Nam,,"),
            "{csv}"
        );
        assert!(
            csv.contains("victims_supported.total,Nạn nhân được hỗ trợ,Tổng số,,"),
            "{csv}"
        );
        let (ok, csv, err) = report_cli(
            &url,
            &[
                "--from",
                "2026-01-01",
                "--to",
                "2026-12-31",
                "--min-cell",
                "16",
            ],
        );
        assert!(ok, "{err}");
        assert!(
            csv.contains("victims_supported.total,Nạn nhân được hỗ trợ,Tổng số,36,"),
            "{csv}"
        );
        // Periods are whole months.
        let (ok, _, err) = report_cli(&url, &["--from", "2026-07-02", "--to", "2026-09-30"]);
        assert!(
            !ok && err.contains("--from must be the first day of a month"),
            "{err}"
        );
        let (ok, _, err) = report_cli(&url, &["--from", "2026-07-01", "--to", "30/09/2026"]);
        assert!(
            !ok && err.contains("--to must be a date YYYY-MM-DD"),
            "{err}"
        );
    }
);

// ---------------------------------------------------------------------------------------------
// Questions, scopes and refusals

both!(
    bad_periods_and_groupings_are_bad_user_input,
    |app| async move {
        let token = steering(&app);
        for (vars, field, says) in [
            (
                json!({ "f": "2026-07-02", "t": "2026-09-30", "m": ["TIPS_RECEIVED"], "g": [] }),
                "from",
                "first day of a month",
            ),
            (
                json!({ "f": "2026-07-01", "t": "2026-09-29", "m": ["TIPS_RECEIVED"], "g": [] }),
                "to",
                "last day of a month",
            ),
            (
                json!({ "f": "2026-07-01", "t": "2026-06-30", "m": ["TIPS_RECEIVED"], "g": [] }),
                "to",
                "must not be before from",
            ),
            (
                json!({ "f": "2020-01-01", "t": "2026-06-30", "m": ["TIPS_RECEIVED"], "g": [] }),
                "to",
                "at most 60 months",
            ),
            (
                json!({ "f": "2026-07-01", "t": "2026-09-30", "m": ["TIPS_RECEIVED"], "g": ["SEX"] }),
                "groupBy",
                "TIPS_RECEIVED cannot be grouped or filtered by SEX",
            ),
            (
                json!({ "f": "2026-07-01", "t": "2026-09-30", "m": ["TIPS_RECEIVED"], "g": ["MONTH", "MONTH"] }),
                "groupBy",
                "listed twice",
            ),
            (
                json!({ "f": "2026-07-01", "t": "2026-09-30", "m": ["TIPS_RECEIVED"], "g": [], "x": { "province": ["99"] } }),
                "filter.province",
                "is not a value of PROVINCE",
            ),
            (
                json!({ "f": "2026-07-01", "t": "2026-09-30", "m": [], "g": [] }),
                "measures",
                "at least one measure",
            ),
            (
                json!({ "f": "2026-07-01", "t": "2026-09-30", "m": ["CASES_OPENED"], "g": ["PROVINCE", "DESTINATION_COUNTRY"] }),
                "groupBy",
                "more than 5000 cells",
            ),
        ] {
            let resp = app.gql(&token, STATS, vars.clone()).await;
            assert_eq!(code(&resp), "BAD_USER_INPUT", "{vars}: {resp}");
            assert_eq!(resp["errors"][0]["extensions"]["field"], field, "{resp}");
            assert!(
                resp["errors"][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(says)),
                "{resp}"
            );
            assert!(resp["data"]["statistics"].is_null());
        }
    }
);

both!(
    each_agency_counts_only_its_scope_and_what_it_may_read,
    |app| async move {
        hotline_quarter(&app).await;
        let q3 = ("2026-07-01", "2026-09-30");
        // Police limited to Nghệ An count that province's tips only.
        let nghe_an = app.token_with(TokenSpec {
            jurisdiction: Some(vec!["40".into()]),
            ..TokenSpec::new(Agency::Police, "cong-an-nghe-an")
        });
        let c = cells(
            &app,
            &nghe_an,
            q3.0,
            q3.1,
            &["TIPS_RECEIVED"],
            &["PROVINCE"],
            json!(null),
        )
        .await;
        assert_eq!(
            value_of(&c, "TIPS_RECEIVED", &[("province", "40")]),
            156 + 45
        );
        assert!(
            c.iter()
                .filter(|c| c["province"] != "40")
                .all(|c| c["suppressed"] == true)
        );
        // The steering committee counts nationally.
        let c = cells(
            &app,
            &steering(&app),
            q3.0,
            q3.1,
            &["TIPS_RECEIVED"],
            &["PROVINCE"],
            json!(null),
        )
        .await;
        assert_eq!(value_of(&c, "TIPS_RECEIVED", &[("province", "42")]), 156);
        // Social services count the persons they support, but may not group them by sex: consent
        // rules keep some persons' identity from them, so a grouping could reveal it.
        let social = app.token(Agency::SocialServices, "ctxh");
        let c = cells(
            &app,
            &social,
            q3.0,
            q3.1,
            &["VICTIMS_SUPPORTED", "HOTLINE_CALLS"],
            &[],
            json!(null),
        )
        .await;
        assert_eq!(value_of(&c, "VICTIMS_SUPPORTED", &[]), 30);
        assert_eq!(value_of(&c, "HOTLINE_CALLS", &[]), 780);
        let vars = json!({ "f": q3.0, "t": q3.1, "m": ["VICTIMS_SUPPORTED"], "g": ["SEX"] });
        let resp = app.gql(&social, STATS, vars).await;
        assert_eq!(code(&resp), "FORBIDDEN", "{resp}");
        assert!(
            resp["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("Person.sex"))
        );
        // The court reads no tips; oversight counts nothing.
        for (agency, measure) in [
            (Agency::Court, "TIPS_RECEIVED"),
            (Agency::Oversight, "TIPS_RECEIVED"),
            (Agency::ForeignAffairs, "CASES_OPENED"),
            (Agency::BorderGuard, "VICTIMS_RECEIVED"),
        ] {
            let vars = json!({ "f": q3.0, "t": q3.1, "m": [measure], "g": [] });
            let resp = app.gql(&app.token(agency, "x"), STATS, vars).await;
            assert_eq!(code(&resp), "FORBIDDEN", "{agency:?} {measure}: {resp}");
            assert!(resp["data"].is_null() || resp["data"]["statistics"].is_null());
        }
        // Police count their victims by sex; the minority stays suppressed for them too.
        let police = app.token(Agency::Police, "national");
        let c = cells(
            &app,
            &police,
            q3.0,
            q3.1,
            &["VICTIMS_RECEIVED"],
            &["SEX"],
            json!(null),
        )
        .await;
        assert_eq!(value_of(&c, "VICTIMS_RECEIVED", &[("sex", "MALE")]), 6);
        let c = cells(
            &app,
            &police,
            q3.0,
            q3.1,
            &["VICTIMS_RECEIVED"],
            &["ETHNICITY_GROUP"],
            json!(null),
        )
        .await;
        assert!(c.iter().all(|c| c["suppressed"] == true), "{c:?}");
        // The steering committee no longer reads per-channel tip figures unsuppressed.
        let resp = app
            .gql(
                &steering(&app),
                "{ tipStatistics { channel received } }",
                json!({}),
            )
            .await;
        assert_eq!(code(&resp), "FORBIDDEN", "{resp}");
    }
);

both!(
    the_steering_committee_names_campaigns_and_reports_on_them,
    |app| async move {
        hotline_quarter(&app).await;
        let token = steering(&app);
        let create = "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id name from to description createdByAgency } }";
        let summer = json!({ "name": "Cao điểm hè 2026", "from": "2026-07-01", "to": "2026-09-30",
            "description": "Cao điểm tấn công, trấn áp tội phạm mua bán người" });
        let resp = app.gql(&token, create, json!({ "i": summer })).await;
        let created = &data(&resp)["createCampaign"];
        assert_eq!(created["from"], "2026-07-01");
        assert_eq!(created["to"], "2026-09-30");
        assert_eq!(created["createdByAgency"], "STEERING");
        // Names are unique; periods are whole months; only the steering committee names them.
        let resp = app.gql(&token, create, json!({ "i": summer })).await;
        assert_eq!(code(&resp), "CONFLICT", "{resp}");
        let resp = app
            .gql(
                &token,
                create,
                json!({ "i": { "name": "Tháng 7", "from": "2026-07-15", "to": "2026-07-31" } }),
            )
            .await;
        assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
        assert_eq!(resp["errors"][0]["extensions"]["field"], "input.from");
        let police = app.token(Agency::Police, "p");
        let resp = app
            .gql(
                &police,
                create,
                json!({ "i": { "name": "Quý 3", "from": "2026-07-01", "to": "2026-09-30" } }),
            )
            .await;
        assert_eq!(code(&resp), "FORBIDDEN", "{resp}");
        let year = json!({ "name": "Năm 2026", "from": "2026-01-01", "to": "2026-12-31" });
        data(&app.gql(&token, create, json!({ "i": year })).await);
        // Every agency that counts reads the campaigns (newest first); oversight does not.
        let list = "{ campaigns { name from to } }";
        let resp = app.gql(&police, list, json!({})).await;
        assert_eq!(
            data(&resp)["campaigns"],
            json!([
                { "name": "Cao điểm hè 2026", "from": "2026-07-01", "to": "2026-09-30" },
                { "name": "Năm 2026", "from": "2026-01-01", "to": "2026-12-31" },
            ])
        );
        let resp = app
            .gql(&app.token(Agency::Oversight, "o"), list, json!({}))
            .await;
        assert_eq!(code(&resp), "FORBIDDEN", "{resp}");
        // The campaign's period is a period of the report.
        let resp = app.gql(&token, list, json!({})).await;
        let c = &data(&resp)["campaigns"][0];
        let resp = app
            .gql(
                &token,
                REPORT,
                json!({ "f": c["from"], "t": c["to"], "l": "VI" }),
            )
            .await;
        assert_eq!(
            row(&data(&resp)["report"], "hotline_calls.total")["value"],
            780
        );
    }
);
