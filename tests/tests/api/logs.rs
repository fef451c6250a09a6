//! No personal data in logs: a realistic session against a server logging at debug level, then
//! a scan of everything it logged for the seeded names, ids and phone numbers.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use ctex_tests::ctex::auth::keys::{self, TokenSpec};
use ctex_tests::ctex::domain::Agency;
use ctex_tests::{Backend, TestDb};
use serde_json::{Value, json};

const NAME: &str = "Phạm Thị Quỳnh Như";
const ALIAS: &str = "Như Mèo";
const PHONE: &str = "0968 777 313";
const PHONE_E164: &str = "+84968777313";
const NATIONAL_ID: &str = "038199004417";
const ADDRESS: &str = "Thôn Bản Phố, xã Quản Bạ";
const HANDLE: &str = "nhu.meo.2005";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_personal_data() {
    let dir = tempfile::tempdir().expect("dir");
    keys::init(dir.path()).expect("keys");
    let db = TestDb::create(Backend::Sqlite, dir.path())
        .await
        .expect("db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ctex-under-test"))
        .args([
            "--log",
            "debug",
            "--log-format",
            "json",
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .env("CTEX_DATABASE_URL", &db.url)
        .env("CTEX_TRUST", keys::trust_file_path(dir.path()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("server starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        let mut buf = [0u8; 4096];
        let mut announced = false;
        loop {
            match stderr.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    all.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if !announced
                        && let Some(line) = all.lines().find(|l| l.contains("ctex listening"))
                    {
                        let v: Value = serde_json::from_str(line).unwrap_or_default();
                        let _ = tx.send(v["addr"].as_str().unwrap_or_default().to_string());
                        announced = true;
                    }
                }
            }
        }
        all
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("server listening");
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let police =
        keys::mint(dir.path(), &TokenSpec::new(Agency::Police, "officer-7")).expect("token");
    let court = keys::mint(dir.path(), &TokenSpec::new(Agency::Court, "judge-7")).expect("token");
    let gql = |token: &str, query: &str, variables: Value| {
        let req = client
            .post(format!("{base}/graphql"))
            .bearer_auth(token)
            .header("x-access-purpose", "log scan")
            .json(&json!({ "query": query, "variables": variables }));
        async move {
            req.send()
                .await
                .expect("sent")
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let case = gql(
        &police,
        "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
        json!({ "i": { "caseNumber": "HG-1", "title": "Đưa người qua biên giới", "province": "02", "legalBasis": "ART_150" } }),
    )
    .await;
    let case_id = case["data"]["openCase"]["id"]
        .as_str()
        .expect("case")
        .to_string();
    let party = gql(
        &police,
        "mutation($i: AddPartyInput!) { addParty(input: $i) { person { id fullName phone } } }",
        json!({ "i": { "caseId": case_id, "role": "VICTIM", "ageAtExploitation": 17, "person": {
            "fullName": NAME, "aliases": [ALIAS], "phone": PHONE, "nationalId": NATIONAL_ID, "address": ADDRESS,
            "dateOfBirth": "2008-02-29" } } }),
    )
    .await;
    let person = party["data"]["addParty"]["person"]["id"]
        .as_str()
        .expect("person")
        .to_string();
    for (kind, value) in [
        ("PHONE", PHONE),
        ("NATIONAL_ID", NATIONAL_ID),
        ("PHONE", "not a phone 0968 777 313x"),
    ] {
        gql(
            &police,
            "mutation($i: AddIdentifierInput!) { addIdentifier(input: $i) { id } }",
            json!({ "i": { "personId": person, "kind": kind, "value": value } }),
        )
        .await;
    }
    gql(
        &police,
        "mutation($i: AddIdentifierInput!) { addIdentifier(input: $i) { id } }",
        json!({ "i": { "personId": person, "kind": "SOCIAL_MEDIA", "value": HANDLE, "platform": "Facebook" } }),
    )
    .await;
    // Reads, denials and bad input that carry personal values.
    gql(&police, "query($p: ID!) { person(id: $p) { fullName phone address identifiers { value normalized } } }", json!({ "p": person })).await;
    gql(
        &court,
        "query($p: ID!) { person(id: $p) { fullName } }",
        json!({ "p": person }),
    )
    .await;
    gql(
        &police,
        &format!("{{ person(id: \"{NAME}\") {{ id }} }}"),
        json!({}),
    )
    .await;
    gql(&police, "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }", json!({ "i": { "caseNumber": NATIONAL_ID, "title": NAME, "province": ADDRESS, "legalBasis": "ART_150" } })).await;
    gql(
        &police,
        &format!("query {{ cases(filter: {{ province: [\"{PHONE}\"] }}) {{ totalCount }} }}"),
        json!({}),
    )
    .await;

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let logs = reader.join().expect("log reader");
    assert!(logs.contains("ctex listening"), "the log was captured");
    assert!(logs.lines().count() > 10, "debug logging produced lines");
    for secret in [
        NAME,
        ALIAS,
        PHONE,
        PHONE_E164,
        NATIONAL_ID,
        ADDRESS,
        HANDLE,
        "2008-02-29",
        "Quỳnh",
        "968777313",
    ] {
        assert!(
            !logs.contains(secret),
            "the log contains personal data ({secret})"
        );
    }
}
