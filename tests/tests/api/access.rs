//! Access control from the outside (DESIGN §5): every agency × every field of the schema, the
//! contract each agency's introspection shows, row scopes, and filters that could be oracles.

use std::collections::{BTreeMap, BTreeSet};

use ctex_tests::ctex::auth::keys::TokenSpec;
use ctex_tests::ctex::domain::Agency;
use ctex_tests::ctex::graphql::{Audience, CatalogField, catalog};
use ctex_tests::ctex::policy;
use ctex_tests::{
    Backend, TestApp, add_party, both, case_input, code, data, open_case, postgres_or_skip,
};
use serde_json::{Value, json};

/// The world every agency looks at: one case led by police in Nghệ An (a border province),
/// indicted and tried, with a victim referred to social services and a suspect; an embassy flag;
/// a hotline tip; a ring; support; events.
pub(crate) struct World {
    pub(crate) case: String,
    pub(crate) victim: String,
    pub(crate) suspect: String,
    pub(crate) flagged: String,
}

/// The foreign affairs token's mission unit.
pub(crate) const MISSION: &str = "dsq-phnom-penh";

pub(crate) fn token(app: &TestApp, agency: Agency) -> String {
    let mut spec = TokenSpec::new(agency, format!("{}-officer", agency.code()));
    if agency == Agency::ForeignAffairs {
        spec.unit = Some(MISSION.into());
    }
    app.token_with(spec)
}

pub(crate) async fn world(app: &TestApp) -> World {
    let police = token(app, Agency::Police);
    let procuracy = token(app, Agency::Procuracy);
    let court = token(app, Agency::Court);
    let mission = token(app, Agency::ForeignAffairs);
    let social = token(app, Agency::SocialServices);
    let mut input = case_input("NA-2026-M", "40");
    input["summary"] = json!("Đường dây tuyển dụng qua Facebook");
    input["sourceReliability"] = json!("B");
    input["informationAccuracy"] = json!(2);
    input["exploitationForms"] = json!(["FORCED_LABOUR"]);
    input["countries"] = json!(["KH"]);
    let case = open_case(app, &police, input).await;
    let (victim_party, victim) = add_party(app, &police, json!({ "caseId": case, "role": "VICTIM", "ageAtExploitation": 22, "consentToShare": true,
        "protectionMeasures": ["Giữ bí mật danh tính"],
        "person": { "fullName": "Nguyễn Thị Hoa", "dateOfBirth": "2003-04-05", "sex": "FEMALE", "ethnicity": "Kinh", "nationality": "VN", "nationalId": "040303000123", "address": "Nghĩa Đàn, Nghệ An", "phone": "0912 345 678" } })).await;
    let (_, suspect) = add_party(app, &police, json!({ "caseId": case, "role": "SUSPECT", "suspectRole": "RECRUITER", "arrestStatus": "ARRESTED",
        "person": { "fullName": "Lê Văn Tú", "dateOfBirth": "1985-01-01", "sex": "MALE", "phone": "0988 000 111" } })).await;
    for (person, kind, value) in [
        (&victim, "PHONE", "0912 345 678"),
        (&suspect, "PHONE", "0988 000 111"),
    ] {
        let r = app
            .gql(
                &police,
                "mutation($i: AddIdentifierInput!) { addIdentifier(input: $i) { id } }",
                json!({ "i": { "personId": person, "kind": kind, "value": value } }),
            )
            .await;
        data(&r);
    }
    let r = app.gql(&police, "mutation($i: AddCaseEventInput!) { addCaseEvent(input: $i) { id } }", json!({ "i": { "caseId": case, "kind": "RECRUITMENT", "place": "Vinh", "country": "VN", "occurredOn": "2026-01-15", "description": "Hẹn gặp tại bến xe" } })).await;
    data(&r);
    let r = app.gql(&police, "mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id } }", json!({ "i": { "name": "Đường dây Sihanoukville", "aliases": ["Kaiyang"], "transnational": true, "countries": ["VN", "KH"], "caseIds": [case] } })).await;
    let network = data(&r)["createNetwork"]["id"].clone();
    let r = app
        .gql(
            &police,
            "mutation($i: AddNetworkMemberInput!) { addNetworkMember(input: $i) { id } }",
            json!({ "i": { "networkId": network, "personId": suspect, "role": "RECRUITER" } }),
        )
        .await;
    data(&r);
    // Prosecution and trial.
    let r = app
        .gql(
            &police,
            "query($c: ID!) { case(id: $c) { version } }",
            json!({ "c": case }),
        )
        .await;
    let version = data(&r)["case"]["version"].clone();
    let r = app
        .gql(
            &police,
            "mutation($i: MoveCaseInput!) { moveCase(input: $i) { version } }",
            json!({ "i": { "id": case, "version": version, "to": "UNDER_INVESTIGATION" } }),
        )
        .await;
    let version = data(&r)["moveCase"]["version"].as_i64().unwrap_or_default();
    let r = app.gql(&procuracy, "mutation($i: FileIndictmentInput!) { fileIndictment(input: $i) { id } }", json!({ "i": { "caseId": case, "defendantId": suspect, "charges": [{ "article": "150", "clause": "2" }], "office": "VKSND Nghệ An" } })).await;
    data(&r);
    let r = app
        .gql(
            &court,
            "mutation($i: MoveCaseInput!) { moveCase(input: $i) { version } }",
            json!({ "i": { "id": case, "version": version + 1, "to": "TRIAL" } }),
        )
        .await;
    data(&r);
    let r = app.gql(&court, "mutation($i: RecordVerdictInput!) { recordVerdict(input: $i) { id } }", json!({ "i": { "caseId": case, "defendantId": suspect, "court": "TAND Nghệ An", "convicted": true, "articles": ["150"], "sentenceMonths": 96, "fine": 20000000 } })).await;
    data(&r);
    // Referral of the victim to social services, every field shared, accepted.
    let r = app.gql(&police, "mutation($i: SendReferralInput!) { sendReferral(input: $i) { id } }", json!({ "i": { "toAgency": "SOCIAL_SERVICES", "personId": victim, "caseId": case,
        "purpose": "Hỗ trợ tái hòa nhập", "services": ["SHELTER"], "consent": "GIVEN",
        "sharedFields": ["FULL_NAME", "ALIASES", "DATE_OF_BIRTH", "SEX", "ETHNICITY", "NATIONALITY", "NATIONAL_ID", "ADDRESS", "PHONE", "IDENTIFIERS", "EXPLOITATION_DETAILS", "HEALTH_NOTES", "CURRENT_LOCATION", "PROTECTION_MEASURES"] } })).await;
    let referral = data(&r)["sendReferral"]["id"].clone();
    let r = app
        .gql(
            &social,
            "mutation($i: AnswerReferralInput!) { acceptReferral(input: $i) { id } }",
            json!({ "i": { "id": referral, "version": 1 } }),
        )
        .await;
    data(&r);
    // Social services record the victim's account, health and whereabouts.
    let r = app
        .gql(
            &police,
            "query($c: ID!) { case(id: $c) { parties { id version } } }",
            json!({ "c": case }),
        )
        .await;
    let version = data(&r)["case"]["parties"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"] == json!(victim_party))
        .map(|p| p["version"].clone())
        .expect("the victim's party");
    let r = app.gql(&social, "mutation($i: UpdatePartyInput!) { updateParty(input: $i) { id } }", json!({ "i": { "id": victim_party, "version": version,
        "exploitationDetails": "Bị ép làm việc 16 giờ mỗi ngày", "healthNotes": "Suy nhược", "currentLocation": "Cơ sở bảo trợ xã hội Nghệ An" } })).await;
    data(&r);
    let r = app.gql(&social, "mutation($i: AddSupportServiceInput!) { addSupportService(input: $i) { id } }", json!({ "i": { "personId": victim, "service": "SHELTER", "provider": "Trung tâm CTXH Nghệ An", "notes": "Ổn định" } })).await;
    data(&r);
    // A hotline tip that led to the case.
    let r = app.gql(&social, "mutation($i: RecordTipInput!) { recordTip(input: $i) { id } }", json!({ "i": { "channel": "HOTLINE_111", "summary": "Gia đình báo tin", "urgency": "HIGH", "province": "40", "potentialVictimCount": 1 } })).await;
    let tip = data(&r)["recordTip"]["id"].clone();
    let r = app
        .gql(
            &social,
            "mutation($i: MoveTipInput!) { moveTip(input: $i) { id } }",
            json!({ "i": { "id": tip, "version": 1, "to": "FORWARDED", "forwardedTo": "POLICE" } }),
        )
        .await;
    data(&r);
    // An embassy flag, linked to the case, verification requested and answered.
    let r = app.gql(&mission, "mutation($i: FlagSuspectedVictimInput!) { flagSuspectedVictim(input: $i) { id person { id } } }", json!({ "i": { "mission": "Đại sứ quán tại Campuchia", "hostCountry": "KH", "location": "Sihanoukville", "circumstances": "Bị giữ", "urgency": "HIGH", "caseId": case,
        "person": { "fullName": "Phạm Văn Long", "dateOfBirth": "1999-09-09", "sex": "MALE", "phone": "0977 123 456" } } })).await;
    let flag = data(&r)["flagSuspectedVictim"].clone();
    let flagged = flag["person"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = app
        .gql(
            &mission,
            "mutation($i: FlagRefInput!) { requestIdentityVerification(input: $i) { id } }",
            json!({ "i": { "id": flag["id"], "version": 1 } }),
        )
        .await;
    data(&r);
    let r = app.gql(&police, "mutation($i: RecordIdentityVerificationInput!) { recordIdentityVerification(input: $i) { id } }", json!({ "i": { "id": flag["id"], "version": 2, "confirmed": true, "result": "Khớp" } })).await;
    data(&r);
    // A reporting period named by the steering committee.
    let steering = token(app, Agency::Steering);
    let r = app.gql(&steering, "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }", json!({ "i": { "name": "Cao điểm hè 2026", "from": "2026-07-01", "to": "2026-09-30", "description": "Cao điểm tấn công tội phạm mua bán người" } })).await;
    data(&r);
    World {
        case,
        victim,
        suspect,
        flagged,
    }
}

/// The selection of every field of `ty`, object fields with `__typename`, fields with
/// arguments skipped (their own tests cover them).
fn selection(cat: &[CatalogField], ty: &str) -> String {
    cat.iter()
        .filter(|f| f.ty == ty && !f.has_args)
        .map(|f| {
            if f.object {
                format!("{} {{ __typename }}", f.field)
            } else {
                f.field.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where each row type is reached: `(label, type, query with {SEL} for the selection, path to the
/// object in `data`)`.
pub(crate) fn probes(w: &World) -> Vec<(String, &'static str, String, Vec<Value>)> {
    let p = |s: &str| {
        s.split('.')
            .map(|k| {
                k.parse::<usize>()
                    .map(Value::from)
                    .unwrap_or(Value::from(k))
            })
            .collect::<Vec<_>>()
    };
    vec![
        (
            "Case".into(),
            "Case",
            format!("{{ case(id: \"{}\") {{ SEL }} }}", w.case),
            p("case"),
        ),
        (
            "Person (victim)".into(),
            "Person",
            format!("{{ person(id: \"{}\") {{ SEL }} }}", w.victim),
            p("person"),
        ),
        (
            "Person (suspect)".into(),
            "Person",
            format!("{{ person(id: \"{}\") {{ SEL }} }}", w.suspect),
            p("person"),
        ),
        (
            "Person (flagged)".into(),
            "Person",
            format!("{{ person(id: \"{}\") {{ SEL }} }}", w.flagged),
            p("person"),
        ),
        (
            "CaseParty (victim)".into(),
            "CaseParty",
            format!("{{ person(id: \"{}\") {{ parties {{ SEL }} }} }}", w.victim),
            p("person.parties.0"),
        ),
        (
            "CaseParty (suspect)".into(),
            "CaseParty",
            format!(
                "{{ person(id: \"{}\") {{ parties {{ SEL }} }} }}",
                w.suspect
            ),
            p("person.parties.0"),
        ),
        (
            "Identifier (victim)".into(),
            "Identifier",
            format!(
                "{{ person(id: \"{}\") {{ identifiers {{ SEL }} }} }}",
                w.victim
            ),
            p("person.identifiers.0"),
        ),
        (
            "Identifier (suspect)".into(),
            "Identifier",
            format!(
                "{{ person(id: \"{}\") {{ identifiers {{ SEL }} }} }}",
                w.suspect
            ),
            p("person.identifiers.0"),
        ),
        (
            "Indictment".into(),
            "Indictment",
            format!("{{ case(id: \"{}\") {{ indictments {{ SEL }} }} }}", w.case),
            p("case.indictments.0"),
        ),
        (
            "Verdict".into(),
            "Verdict",
            format!("{{ case(id: \"{}\") {{ verdicts {{ SEL }} }} }}", w.case),
            p("case.verdicts.0"),
        ),
        (
            "CaseEvent".into(),
            "CaseEvent",
            format!("{{ case(id: \"{}\") {{ events {{ SEL }} }} }}", w.case),
            p("case.events.0"),
        ),
        (
            "StatusMove".into(),
            "StatusMove",
            format!(
                "{{ case(id: \"{}\") {{ statusHistory {{ SEL }} }} }}",
                w.case
            ),
            p("case.statusHistory.0"),
        ),
        (
            "Network".into(),
            "Network",
            "{ networks { nodes { SEL } } }".into(),
            p("networks.nodes.0"),
        ),
        (
            "NetworkMember".into(),
            "NetworkMember",
            "{ networks { nodes { members { SEL } } } }".into(),
            p("networks.nodes.0.members.0"),
        ),
        (
            "Tip".into(),
            "Tip",
            "{ tips { nodes { SEL } } }".into(),
            p("tips.nodes.0"),
        ),
        (
            "VictimFlag".into(),
            "VictimFlag",
            "{ flags { nodes { SEL } } }".into(),
            p("flags.nodes.0"),
        ),
        (
            "Referral".into(),
            "Referral",
            "{ referrals { nodes { SEL } } }".into(),
            p("referrals.nodes.0"),
        ),
        (
            "SupportService".into(),
            "SupportService",
            format!("{{ person(id: \"{}\") {{ support {{ SEL }} }} }}", w.victim),
            p("person.support.0"),
        ),
        (
            "AuditEvent".into(),
            "AuditEvent",
            "{ auditEvents(first: 1) { nodes { SEL } } }".into(),
            p("auditEvents.nodes.0"),
        ),
        (
            "Agency".into(),
            "Agency",
            "{ agencies { SEL } }".into(),
            p("agencies.0"),
        ),
        (
            "Province".into(),
            "Province",
            "{ provinces { SEL } }".into(),
            p("provinces.0"),
        ),
        (
            "TipChannelStatistics".into(),
            "TipChannelStatistics",
            "{ tipStatistics { SEL } }".into(),
            p("tipStatistics.0"),
        ),
        (
            "Campaign".into(),
            "Campaign",
            "{ campaigns { SEL } }".into(),
            p("campaigns.0"),
        ),
        (
            "Statistics".into(),
            "Statistics",
            format!("{{ statistics({STATISTICS_ARGS}) {{ SEL }} }}"),
            p("statistics"),
        ),
        (
            "StatisticsCell".into(),
            "StatisticsCell",
            format!("{{ statistics({STATISTICS_ARGS}) {{ cells {{ SEL }} }} }}"),
            p("statistics.cells.0"),
        ),
        (
            "Report".into(),
            "Report",
            "{ report(from: \"2026-01-01\", to: \"2026-12-31\") { SEL } }".into(),
            p("report"),
        ),
        (
            "ReportRow".into(),
            "ReportRow",
            "{ report(from: \"2026-01-01\", to: \"2026-12-31\") { rows { SEL } } }".into(),
            p("report.rows.0"),
        ),
    ]
}

/// The statistics the matrix asks for: tips of 2026 by channel (national for the steering
/// committee, over its own scope for an agency that reads tips).
const STATISTICS_ARGS: &str =
    "from: \"2026-01-01\", to: \"2026-12-31\", measures: [TIPS_RECEIVED], groupBy: [CHANNEL]";

pub(crate) fn at<'a>(v: &'a Value, path: &[Value]) -> &'a Value {
    path.iter().fold(v, |acc, k| match k {
        Value::String(s) => &acc[s.as_str()],
        Value::Number(n) => &acc[n.as_u64().unwrap_or(0) as usize],
        _ => &Value::Null,
    })
}

/// One cell: `R` value readable, `·` null without error (nothing recorded), `F` FORBIDDEN at the
/// field, `-` the row is not reachable for this agency.
async fn cells(app: &TestApp, w: &World) -> BTreeMap<(String, String), BTreeMap<Agency, char>> {
    let cat = catalog(Audience::Full);
    let mut out: BTreeMap<(String, String), BTreeMap<Agency, char>> = BTreeMap::new();
    for agency in Agency::ALL {
        let tok = token(app, agency);
        for (label, ty, query, path) in probes(w) {
            let query = query.replace("SEL", &selection(&cat, ty));
            let resp = app.gql(&tok, &query, json!({})).await;
            let object = at(&resp["data"], &path);
            let errors = resp["errors"].as_array().cloned().unwrap_or_default();
            for f in cat.iter().filter(|f| f.ty == ty && !f.has_args) {
                let mut field_path = path.clone();
                field_path.push(Value::from(f.field));
                let forbidden = errors.iter().any(|e| {
                    e["path"].as_array() == Some(&field_path)
                        && e["extensions"]["code"] == "FORBIDDEN"
                });
                let cell = if !object.is_object() {
                    '-'
                } else if forbidden {
                    'F'
                } else if object[f.field].is_null() {
                    '·'
                } else {
                    'R'
                };
                out.entry((label.clone(), f.field.to_string()))
                    .or_default()
                    .insert(agency, cell);
            }
        }
    }
    out
}

fn render(
    cells: &BTreeMap<(String, String), BTreeMap<Agency, char>>,
    order: &[(String, &'static str, String, Vec<Value>)],
    cat: &[CatalogField],
) -> String {
    let mut s = String::from("| row | field |");
    for a in Agency::ALL {
        s.push_str(&format!(" {} |", a.code()));
    }
    s.push_str("\n|---|---|");
    s.push_str(&"---|".repeat(Agency::ALL.len()));
    s.push('\n');
    for (label, ty, _, _) in order {
        for f in cat.iter().filter(|f| f.ty == *ty && !f.has_args) {
            let row = &cells[&(label.clone(), f.field.to_string())];
            s.push_str(&format!("| {label} | {} |", f.field));
            for a in Agency::ALL {
                s.push_str(&format!(" {} |", row.get(&a).copied().unwrap_or('?')));
            }
            s.push('\n');
        }
    }
    s
}

async fn matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let cells = cells(&app, &w).await;
    let cat = catalog(Audience::Full);
    let order = probes(&w);
    // No agency ever reads a field the policy never grants it, whatever the snapshot says.
    for ((label, field), row) in &cells {
        let ty = order
            .iter()
            .find(|(l, ..)| l == label)
            .map(|(_, t, ..)| *t)
            .unwrap_or_default();
        let rule = policy::rule(ty, field);
        for (agency, cell) in row {
            if *cell == 'R' {
                assert!(
                    rule.is_some_and(|r| policy::may_ever_use(*agency, r, ty)),
                    "{agency:?} read {label}.{field}, which the policy never grants it"
                );
            }
        }
    }
    let table = render(&cells, &order, &cat);
    insta::assert_snapshot!("access_matrix", table);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_agency_reads_exactly_the_fields_of_the_matrix_sqlite() {
    matrix(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_agency_reads_exactly_the_fields_of_the_matrix_postgres() {
    if postgres_or_skip() {
        matrix(Backend::Postgres).await;
    }
}

const INTROSPECT: &str =
    "{ __schema { types { name kind fields { name } inputFields { name } } } }";

fn contract_fields(resp: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in resp["data"]["__schema"]["types"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let name = t["name"].as_str().unwrap_or_default().to_string();
        if name.starts_with("__") || name.starts_with('_') {
            continue;
        }
        for f in t["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(t["inputFields"].as_array().into_iter().flatten())
        {
            let field = f["name"].as_str().unwrap_or_default();
            if !field.starts_with('_') {
                out.insert(format!("{name}.{field}"));
            }
        }
    }
    out
}

both!(
    introspection_shows_each_agency_exactly_its_contract,
    |app| async move {
        for agency in Agency::ALL {
            let resp = app.gql(&token(&app, agency), INTROSPECT, json!({})).await;
            let seen = contract_fields(&resp);
            let expected: BTreeSet<String> = catalog(Audience::Agency(agency))
                .iter()
                .map(|f| format!("{}.{}", f.ty, f.field))
                .collect();
            let seen_outputs: BTreeSet<String> = seen
                .iter()
                .filter(|f| {
                    expected.contains(*f) || !f.contains("Input.") && !f.contains("Filter.")
                })
                .cloned()
                .collect();
            assert_eq!(
                seen_outputs
                    .iter()
                    .filter(|f| !expected.contains(*f) && !is_input(f))
                    .collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "{agency:?} sees fields outside its contract"
            );
            assert!(
                expected.iter().all(|f| seen.contains(f)),
                "{agency:?} misses contract fields"
            );
            for field in &seen {
                let (ty, name) = field.split_once('.').unwrap_or_default();
                let rule = policy::rule(ty, name).or_else(|| policy::rule(ty, name));
                assert!(
                    rule.is_some_and(|r| policy::may_ever_use(agency, r, ty)),
                    "{agency:?} introspects {field} without a grant"
                );
            }
        }
        // The steering committee's contract has no person, case or audit type at all.
        let steering = contract_fields(
            &app.gql(&token(&app, Agency::Steering), INTROSPECT, json!({}))
                .await,
        );
        assert!(
            steering.iter().all(|f| !f.starts_with("Person.")
                && !f.starts_with("Case.")
                && !f.starts_with("AuditEvent.")),
            "{steering:?}"
        );
        // A court that introspects `Person` sees no address.
        let court = contract_fields(
            &app.gql(&token(&app, Agency::Court), INTROSPECT, json!({}))
                .await,
        );
        assert!(court.contains("Person.fullName") && court.contains("Person.address"));
        assert!(!court.contains("CaseParty.healthNotes") && !court.contains("Case.summary"));
    }
);

/// The roots the steering committee may use: statistics, campaigns and reports, and `me` (which
/// only echoes its own token).
const STEERING_ROOTS: [&str; 5] = [
    "Mutation.createCampaign",
    "Query.campaigns",
    "Query.me",
    "Query.report",
    "Query.statistics",
];

both!(
    the_steering_committee_reads_nothing_but_statistics_campaigns_and_reports,
    |app| async move {
        // Its contract: those roots and the types they return, nothing else.
        let contract = catalog(Audience::Agency(Agency::Steering));
        let roots: BTreeSet<String> = contract
            .iter()
            .filter(|f| matches!(f.ty, "Query" | "Mutation" | "Subscription"))
            .map(|f| format!("{}.{}", f.ty, f.field))
            .collect();
        let expected: BTreeSet<String> = STEERING_ROOTS.iter().map(|s| s.to_string()).collect();
        assert_eq!(roots, expected);
        let types: BTreeSet<&str> = contract
            .iter()
            .map(|f| f.ty)
            .filter(|t| !matches!(*t, "Query" | "Mutation"))
            .collect();
        assert_eq!(
            types,
            BTreeSet::from([
                "Campaign",
                "Me",
                "Report",
                "ReportRow",
                "Statistics",
                "StatisticsCell"
            ])
        );
        // The policy agrees for every root field of the full schema.
        for f in catalog(Audience::Full)
            .iter()
            .filter(|f| matches!(f.ty, "Query" | "Mutation" | "Subscription"))
        {
            let name = format!("{}.{}", f.ty, f.field);
            let may = policy::rule(f.ty, f.field)
                .is_some_and(|r| policy::may_ever_use(Agency::Steering, r, f.ty));
            assert_eq!(may, expected.contains(&name), "{name}");
        }
        // And the server: every argument-free root it may not use is FORBIDDEN, and so are the
        // aggregates and lists it used to read.
        let w = world(&app).await;
        let tok = token(&app, Agency::Steering);
        let mut refused = vec![
            format!("{{ case(id: \"{}\") {{ id }} }}", w.case),
            format!("{{ person(id: \"{}\") {{ id }} }}", w.victim),
            "{ cases { totalCount } }".to_string(),
            "{ tips { totalCount } }".to_string(),
            "{ tipStatistics { channel received } }".to_string(),
            "{ networks { totalCount } }".to_string(),
            "{ auditEvents(first: 1) { totalCount } }".to_string(),
            "{ identifierHits(kind: PHONE, value: \"0912 345 678\") { reference } }".to_string(),
        ];
        for f in catalog(Audience::Full)
            .iter()
            .filter(|f| f.ty == "Query" && !f.has_args)
        {
            if !expected.contains(&format!("Query.{}", f.field)) {
                refused.push(if f.object {
                    format!("{{ {} {{ __typename }} }}", f.field)
                } else {
                    format!("{{ {} }}", f.field)
                });
            }
        }
        for q in &refused {
            let resp = app.gql(&tok, q, json!({})).await;
            assert_eq!(code(&resp), "FORBIDDEN", "{q}: {resp}");
        }
        let resp = app
            .gql(
                &tok,
                "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                json!({ "i": case_input("ST-1", "01") }),
            )
            .await;
        assert_eq!(code(&resp), "FORBIDDEN", "{resp}");
        let resp = app
            .gql(
                &tok,
                &format!(
                    "{{ me {{ agency }} campaigns {{ name }} statistics({STATISTICS_ARGS}) {{ threshold }} report(from: \"2026-07-01\", to: \"2026-09-30\") {{ rows {{ key }} }} }}"
                ),
                json!({}),
            )
            .await;
        let d = data(&resp);
        assert_eq!(d["me"]["agency"], "STEERING");
        assert_eq!(d["campaigns"][0]["name"], "Cao điểm hè 2026");
        assert_eq!(d["statistics"]["threshold"], 5);
        assert!(
            d["report"]["rows"]
                .as_array()
                .is_some_and(|r| r.len() == 28),
            "{resp}"
        );
    }
);

fn is_input(f: &str) -> bool {
    let ty = f.split('.').next().unwrap_or_default();
    ty.ends_with("Input") || ty.ends_with("Filter")
}

both!(
    a_jurisdiction_hides_other_provinces_everywhere,
    |app| async move {
        let national = app.token(Agency::Police, "national");
        let hanoi = app.token_with(TokenSpec {
            jurisdiction: Some(vec!["01".into()]),
            ..TokenSpec::new(Agency::Police, "hanoi")
        });
        let hcm_case = open_case(&app, &national, case_input("HCM-1", "79")).await;
        let (_, hcm_person) = add_party(&app, &national, json!({ "caseId": hcm_case, "role": "VICTIM", "person": { "fullName": "Nguyễn Thị Sài Gòn" } })).await;
        for i in 0..3 {
            open_case(&app, &national, case_input(&format!("HN-{i}"), "01")).await;
        }
        // Lists and totals.
        let resp = app
            .gql(
                &hanoi,
                "{ cases(first: 2) { totalCount nodes { province } pageInfo { endCursor } } }",
                json!({}),
            )
            .await;
        let page = &data(&resp)["cases"];
        assert_eq!(page["totalCount"], 3);
        assert!(
            page["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|n| n["province"] == "01")
        );
        // Cursors: the rest of the walk stays in 01.
        let resp = app
            .gql(
                &hanoi,
                "query($a: String) { cases(first: 10, after: $a) { nodes { province } } }",
                json!({ "a": page["pageInfo"]["endCursor"] }),
            )
            .await;
        assert_eq!(data(&resp)["cases"]["nodes"], json!([{ "province": "01" }]));
        // Filtering for 79 finds nothing.
        let resp = app
            .gql(
                &hanoi,
                "{ cases(filter: { province: [\"79\"] }) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(data(&resp)["cases"]["totalCount"], 0);
        // By id, and through nested paths.
        let resp = app
            .gql(
                &hanoi,
                "query($c: ID!) { case(id: $c) { title } }",
                json!({ "c": hcm_case }),
            )
            .await;
        assert_eq!(code(&resp), "NOT_FOUND");
        let resp = app
            .gql(
                &hanoi,
                "query($p: ID!) { person(id: $p) { fullName parties { case { id } } } }",
                json!({ "p": hcm_person }),
            )
            .await;
        assert_eq!(code(&resp), "NOT_FOUND");
        // A case outside its jurisdiction cannot be opened either.
        let resp = app
            .gql(
                &hanoi,
                "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                json!({ "i": case_input("HCM-2", "79") }),
            )
            .await;
        assert_eq!(code(&resp), "FORBIDDEN");
        // The national token sees everything.
        let resp = app
            .gql(&national, "{ cases { totalCount } }", json!({}))
            .await;
        assert_eq!(data(&resp)["cases"]["totalCount"], 4);
    }
);

both!(the_court_sees_only_indicted_cases, |app| async move {
    let w = world(&app).await;
    let police = app.token(Agency::Police, "p");
    let other = open_case(&app, &police, case_input("HN-X", "01")).await;
    let court = token(&app, Agency::Court);
    let resp = app
        .gql(&court, "{ cases { totalCount nodes { id } } }", json!({}))
        .await;
    assert_eq!(
        data(&resp)["cases"],
        json!({ "totalCount": 1, "nodes": [{ "id": w.case }] })
    );
    let resp = app
        .gql(
            &court,
            "query($c: ID!) { case(id: $c) { id } }",
            json!({ "c": other }),
        )
        .await;
    assert_eq!(code(&resp), "NOT_FOUND");
    // The court reads the defendant, not the intelligence.
    let resp = app
        .gql(
            &court,
            "query($c: ID!) { case(id: $c) { summary indictments { defendant { fullName } } } }",
            json!({ "c": w.case }),
        )
        .await;
    assert_eq!(
        resp["data"]["case"]["indictments"][0]["defendant"]["fullName"],
        "Lê Văn Tú"
    );
    assert_eq!(code(&resp), "FORBIDDEN");
    assert_eq!(resp["errors"][0]["path"], json!(["case", "summary"]));
});

both!(
    an_h2_case_is_invisible_to_all_but_its_owner,
    |app| async move {
        let border = app.token(Agency::BorderGuard, "bg");
        let mut input = case_input("BG-H2", "10");
        input["handlingCode"] = json!("H2");
        let case = open_case(&app, &border, input).await;
        let resp = app
            .gql(
                &border,
                "query($c: ID!) { case(id: $c) { handlingCode } }",
                json!({ "c": case }),
            )
            .await;
        assert_eq!(data(&resp)["case"]["handlingCode"], "H2");
        for agency in [
            Agency::Police,
            Agency::Procuracy,
            Agency::Court,
            Agency::ForeignAffairs,
            Agency::SocialServices,
            Agency::Steering,
            Agency::Oversight,
        ] {
            let t = token(&app, agency);
            let resp = app
                .gql(
                    &t,
                    "query($c: ID!) { case(id: $c) { id } }",
                    json!({ "c": case }),
                )
                .await;
            assert!(
                matches!(code(&resp).as_str(), "NOT_FOUND" | "FORBIDDEN"),
                "{agency:?}: {resp}"
            );
            let resp = app.gql(&t, "{ cases { totalCount } }", json!({})).await;
            assert!(
                resp["data"]["cases"].is_null() || resp["data"]["cases"]["totalCount"] == 0,
                "{agency:?}: {resp}"
            );
        }
    }
);

both!(
    a_childs_identity_is_hidden_from_foreign_affairs_unless_its_own_flag,
    |app| async move {
        let mission = token(&app, Agency::ForeignAffairs);
        let other_mission = app.token_with(TokenSpec {
            unit: Some("tlsq-quang-chau".into()),
            ..TokenSpec::new(Agency::ForeignAffairs, "consul-2")
        });
        let police = app.token(Agency::Police, "p");
        let flag = "mutation($i: FlagSuspectedVictimInput!) { flagSuspectedVictim(input: $i) { person { id } } }";
        let r = app.gql(&mission, flag, json!({ "i": { "mission": "ĐSQ Phnom Penh", "hostCountry": "KH", "circumstances": "Trẻ em bị giữ", "urgency": "CRITICAL", "person": { "fullName": "Lò Văn Páo", "dateOfBirth": "2012-03-03" } } })).await;
        let child = data(&r)["flagSuspectedVictim"]["person"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // Police attach the child to a case as a victim aged 14.
        let case = open_case(&app, &police, case_input("KH-1", "72")).await;
        add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "VICTIM", "personId": child, "ageAtExploitation": 14 }),
        )
        .await;
        let read = "query($p: ID!) { person(id: $p) { fullName isMinor } }";
        let resp = app.gql(&mission, read, json!({ "p": child })).await;
        assert_eq!(
            data(&resp)["person"],
            json!({ "fullName": "Lò Văn Páo", "isMinor": true }),
            "the flagging mission reads it"
        );
        // Another mission of the same ministry: the row is visible (its agency flagged it), the identity is not.
        let resp = app.gql(&other_mission, read, json!({ "p": child })).await;
        assert!(resp["data"]["person"]["fullName"].is_null());
        assert_eq!(code(&resp), "FORBIDDEN");
        // The border guard never reads a child's identity, even of its own rescue.
        let border = app.token(Agency::BorderGuard, "bg");
        let bg_case = open_case(&app, &border, case_input("BG-1", "72")).await;
        let (_, rescued) = add_party(&app, &border, json!({ "caseId": bg_case, "role": "VICTIM", "ageAtExploitation": 15, "person": { "fullName": "Hầu A Chá" } })).await;
        let resp = app.gql(&border, read, json!({ "p": rescued })).await;
        assert!(
            resp["data"]["person"]["fullName"].is_null() && code(&resp) == "FORBIDDEN",
            "{resp}"
        );
        let resp = app.gql(&police, read, json!({ "p": rescued })).await;
        assert_eq!(data(&resp)["person"]["fullName"], "Hầu A Chá");
    }
);

both!(
    filters_and_sorts_on_unreadable_fields_are_refused,
    |app| async move {
        let w = world(&app).await;
        let mission = token(&app, Agency::ForeignAffairs);
        // Foreign affairs sees the status of linked cases only: filtering on status is fine …
        let resp = app
            .gql(
                &mission,
                "{ cases(filter: { status: [ADJUDICATED] }) { totalCount nodes { status } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            data(&resp)["cases"],
            json!({ "totalCount": 1, "nodes": [{ "status": "ADJUDICATED" }] })
        );
        // … filtering or sorting on what it cannot read is refused, so it cannot probe the province or dates.
        for q in [
            "{ cases(filter: { province: [\"40\"] }) { totalCount } }",
            "{ cases(filter: { openedFrom: \"2020-01-01T00:00:00Z\" }) { totalCount } }",
            "{ cases(sort: OPENED_AT) { totalCount } }",
        ] {
            let resp = app.gql(&mission, q, json!({})).await;
            assert_eq!(code(&resp), "FORBIDDEN", "{q}: {resp}");
            assert!(resp["data"]["cases"].is_null());
        }
        // The court cannot filter tips at all.
        let court = token(&app, Agency::Court);
        let resp = app
            .gql(
                &court,
                "{ tips(filter: { province: \"40\" }) { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(code(&resp), "FORBIDDEN");
        // The border guard cannot learn a victim's birth year by searching persons.
        let border = token(&app, Agency::BorderGuard);
        let resp = app.gql(&border, "{ persons(filter: { bornFrom: \"2003-01-01\", bornTo: \"2004-01-01\" }) { totalCount } }", json!({})).await;
        assert_eq!(code(&resp), "FORBIDDEN");
        let police = token(&app, Agency::Police);
        let resp = app.gql(&police, "{ persons(filter: { bornFrom: \"2003-01-01\", bornTo: \"2004-01-01\" }) { totalCount nodes { id } } }", json!({})).await;
        assert_eq!(
            data(&resp)["persons"],
            json!({ "totalCount": 1, "nodes": [{ "id": w.victim }] })
        );
        let resp = app
            .gql(
                &police,
                "{ persons(filter: { name: \"hoa nguyen thi\" }) { nodes { fullName } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            data(&resp)["persons"]["nodes"],
            json!([{ "fullName": "Nguyễn Thị Hoa" }])
        );
    }
);

both!(
    reading_person_data_without_a_purpose_is_refused,
    |app| async move {
        let w = world(&app).await;
        let police = token(&app, Agency::Police);
        let resp = app
            .gql_no_purpose(
                &police,
                "query($c: ID!) { case(id: $c) { title parties { role person { fullName } } } }",
                json!({ "c": w.case }),
            )
            .await;
        assert_eq!(
            resp["data"]["case"]["title"], "Vụ án NA-2026-M",
            "case data needs no purpose"
        );
        assert!(
            resp["errors"].as_array().is_some_and(|e| !e.is_empty()
                && e.iter()
                    .all(|e| e["extensions"]["code"] == "PURPOSE_REQUIRED")),
            "{resp}"
        );
        // A purpose in the token works as well as the header.
        let with_claim = app.token_with(TokenSpec {
            purpose: Some("điều tra vụ án".into()),
            ..TokenSpec::new(Agency::Police, "p2")
        });
        let resp = app
            .gql_no_purpose(
                &with_claim,
                "query($p: ID!) { person(id: $p) { fullName } }",
                json!({ "p": w.victim }),
            )
            .await;
        assert_eq!(data(&resp)["person"]["fullName"], "Nguyễn Thị Hoa");
    }
);

both!(a_read_only_token_cannot_write, |app| async move {
    let reader = app.token_with(TokenSpec {
        scope: Some("ctex:read".into()),
        ..TokenSpec::new(Agency::Police, "analyst")
    });
    let resp = app
        .gql(
            &reader,
            "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
            json!({ "i": case_input("RO-1", "01") }),
        )
        .await;
    assert_eq!(code(&resp), "FORBIDDEN");
    let resp = app
        .gql(
            &reader,
            "{ me { readOnly } cases { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&resp)["me"]["readOnly"], true);
    assert_eq!(data(&resp)["cases"]["totalCount"], 0);
});
