//! No personal data in logs: a realistic session against a server logging at debug level, then
//! a scan of everything it logged for the seeded names, ids and phone numbers.

use ctex_tests::ctex::domain::Agency;
use ctex_tests::{Backend, ServerProcess, TestEnv, server_bin};
use serde_json::{Value, json};

const NAME: &str = "Phạm Thị Quỳnh Như";
const ALIAS: &str = "Như Mèo";
const PHONE: &str = "0968 777 313";
const PHONE_E164: &str = "+84968777313";
const NATIONAL_ID: &str = "038199004417";
const ADDRESS: &str = "Thôn Bản Phố, xã Quản Bạ";
const HANDLE: &str = "nhu.meo.2005";

/// Runs `query` as `token` with a purpose; returns the JSON body.
async fn gql(server: &ServerProcess, token: &str, query: &str, variables: Value) -> Value {
    server
        .post(
            Some(token),
            Some("log scan"),
            &json!({ "query": query, "variables": variables }),
        )
        .await
        .1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_personal_data() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let mut server = env.server(server_bin!()).args(["--log", "debug"]).start();
    let police = env.token(Agency::Police, "officer-7");
    let court = env.token(Agency::Court, "judge-7");
    let case = gql(
        &server,
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
        &server,
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
            &server,
            &police,
            "mutation($i: AddIdentifierInput!) { addIdentifier(input: $i) { id } }",
            json!({ "i": { "personId": person, "kind": kind, "value": value } }),
        )
        .await;
    }
    gql(&server, &police,
        "mutation($i: AddIdentifierInput!) { addIdentifier(input: $i) { id } }",
        json!({ "i": { "personId": person, "kind": "SOCIAL_MEDIA", "value": HANDLE, "platform": "Facebook" } }),
    )
    .await;
    // Reads, denials and bad input that carry personal values.
    gql(&server, &police, "query($p: ID!) { person(id: $p) { fullName phone address identifiers { value normalized } } }", json!({ "p": person })).await;
    gql(
        &server,
        &court,
        "query($p: ID!) { person(id: $p) { fullName } }",
        json!({ "p": person }),
    )
    .await;
    gql(
        &server,
        &police,
        &format!("{{ person(id: \"{NAME}\") {{ id }} }}"),
        json!({}),
    )
    .await;
    gql(&server, &police, "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }", json!({ "i": { "caseNumber": NATIONAL_ID, "title": NAME, "province": ADDRESS, "legalBasis": "ART_150" } })).await;
    gql(
        &server,
        &police,
        &format!("query {{ cases(filter: {{ province: [\"{PHONE}\"] }}) {{ totalCount }} }}"),
        json!({}),
    )
    .await;

    // After the exit the capture is complete: every line the server wrote is in `logs()`.
    server.terminate().await;
    let logs = server.logs();
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
