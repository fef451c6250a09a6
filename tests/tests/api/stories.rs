//! The agencies' work as stories: each step by the right agency's token, each wrong agency or
//! illegal move refused with the right code.

use ctex_tests::ctex::auth::keys::TokenSpec;
use ctex_tests::ctex::domain::Agency;
use std::time::{Duration, Instant};

use ctex_tests::{
    Subscriber, TestApp, WsEvent, add_party, both, case_input, code, data, open_case,
};
use serde_json::{Value, json};

async fn gql(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.gql(token, query, variables).await
}

const MOVE_CASE: &str = "mutation($i: MoveCaseInput!) { moveCase(input: $i) { status version } }";

async fn case_version(app: &TestApp, token: &str, id: &str) -> (String, i64) {
    let resp = gql(
        app,
        token,
        "query($id: ID!) { case(id: $id) { status version } }",
        json!({ "id": id }),
    )
    .await;
    let c = &data(&resp)["case"];
    (
        c["status"].as_str().unwrap_or_default().to_string(),
        c["version"].as_i64().unwrap_or_default(),
    )
}

both!(
    from_a_hotline_tip_to_an_adjudicated_case,
    |app| async move {
        let hotline = app.token(Agency::SocialServices, "hotline-111-operator");
        let police = app.token(Agency::Police, "investigator-na");
        let procuracy = app.token(Agency::Procuracy, "prosecutor-na");
        let court = app.token(Agency::Court, "judge-na");
        let border = app.token(Agency::BorderGuard, "bg-officer");

        // A hotline 111 call.
        let tip = gql(
        &app,
        &hotline,
        "mutation($i: RecordTipInput!) { recordTip(input: $i) { id version status channel } }",
        json!({ "i": { "channel": "HOTLINE_111", "summary": "Người nhà báo con gái bị đưa sang Trung Quốc", "urgency": "HIGH", "potentialVictimCount": 2, "province": "40" } }),
    )
    .await;
        let tip = data(&tip)["recordTip"].clone();
        assert_eq!(
            (tip["status"].as_str(), tip["channel"].as_str()),
            (Some("RECEIVED"), Some("HOTLINE_111"))
        );
        let tip_id = tip["id"].as_str().unwrap_or_default().to_string();
        // Police may read tips but not record or move them.
        let resp = gql(
            &app,
            &police,
            "mutation($i: RecordTipInput!) { recordTip(input: $i) { id } }",
            json!({ "i": { "channel": "POLICE_DESK", "summary": "x", "urgency": "LOW" } }),
        )
        .await;
        assert_eq!(code(&resp), "FORBIDDEN");
        let resp = gql(
            &app,
            &hotline,
            "mutation($i: MoveTipInput!) { moveTip(input: $i) { status } }",
            json!({ "i": { "id": tip_id, "version": 1, "to": "VERIFYING" } }),
        )
        .await;
        assert_eq!(data(&resp)["moveTip"]["status"], "VERIFYING");

        // Police open the case; the tip is resolved with it.
        let case = open_case(&app, &police, case_input("NA-2026-77", "40")).await;
        let resp = gql(
            &app,
            &hotline,
            "mutation($i: MoveTipInput!) { moveTip(input: $i) { status resolvedAt } }",
            json!({ "i": { "id": tip_id, "version": 2, "to": "CASE_OPENED", "caseId": case } }),
        )
        .await;
        assert_eq!(data(&resp)["moveTip"]["status"], "CASE_OPENED");
        assert!(data(&resp)["moveTip"]["resolvedAt"].is_string());
        // An illegal tip move names the allowed ones.
        let resp = gql(
            &app,
            &hotline,
            "mutation($i: MoveTipInput!) { moveTip(input: $i) { status } }",
            json!({ "i": { "id": tip_id, "version": 3, "to": "VERIFYING" } }),
        )
        .await;
        assert_eq!(code(&resp), "INVALID_TRANSITION");

        // The court cannot move a case it cannot see; the procuracy cannot start an investigation.
        let resp = gql(
            &app,
            &court,
            MOVE_CASE,
            json!({ "i": { "id": case, "version": 1, "to": "UNDER_INVESTIGATION" } }),
        )
        .await;
        assert_eq!(code(&resp), "NOT_FOUND");
        let resp = gql(
            &app,
            &procuracy,
            MOVE_CASE,
            json!({ "i": { "id": case, "version": 1, "to": "UNDER_INVESTIGATION" } }),
        )
        .await;
        assert_eq!(code(&resp), "INVALID_TRANSITION");
        assert!(
            resp["errors"][0]["extensions"]["allowed"]
                .as_array()
                .is_some_and(|a| a.is_empty()),
            "{resp}"
        );
        let resp = gql(
            &app,
            &police,
            MOVE_CASE,
            json!({ "i": { "id": case, "version": 1, "to": "UNDER_INVESTIGATION" } }),
        )
        .await;
        assert_eq!(data(&resp)["moveCase"]["status"], "UNDER_INVESTIGATION");
        let resp = gql(
            &app,
            &police,
            MOVE_CASE,
            json!({ "i": { "id": case, "version": 2, "to": "TRIAL" } }),
        )
        .await;
        assert_eq!(code(&resp), "INVALID_TRANSITION");
        assert_eq!(
            resp["errors"][0]["extensions"]["allowed"],
            json!(["SUSPENDED", "DISMISSED"])
        );

        // Victims received, verified, identified; a suspect.
        let (victim_party, _) = add_party(&app, &police, json!({ "caseId": case, "role": "VICTIM", "ageAtExploitation": 17, "person": { "fullName": "Lầu Thị Mỷ", "sex": "FEMALE", "ethnicity": "H'Mông" } })).await;
        let (_, suspect) = add_party(&app, &police, json!({ "caseId": case, "role": "SUSPECT", "suspectRole": "BROKER", "person": { "fullName": "Vàng Seo Lử", "sex": "MALE" } })).await;
        let move_id = "mutation($i: MoveIdentificationInput!) { moveIdentification(input: $i) { identification version statusHistory { from to agency } } }";
        let resp = gql(
            &app,
            &police,
            move_id,
            json!({ "i": { "partyId": victim_party, "version": 1, "to": "IDENTIFIED" } }),
        )
        .await;
        assert_eq!(
            code(&resp),
            "INVALID_TRANSITION",
            "verification cannot be skipped"
        );
        let resp = gql(
            &app,
            &court,
            move_id,
            json!({ "i": { "partyId": victim_party, "version": 1, "to": "VERIFYING" } }),
        )
        .await;
        assert_eq!(
            code(&resp),
            "FORBIDDEN",
            "the court never identifies victims"
        );
        let resp = gql(
            &app,
            &police,
            move_id,
            json!({ "i": { "partyId": victim_party, "version": 1, "to": "VERIFYING" } }),
        )
        .await;
        assert_eq!(
            data(&resp)["moveIdentification"]["identification"],
            "VERIFYING"
        );
        let resp = gql(&app, &police, move_id, json!({ "i": { "partyId": victim_party, "version": 2, "to": "IDENTIFIED", "reason": "khớp lời khai" } })).await;
        let moved = &data(&resp)["moveIdentification"];
        assert_eq!(moved["identification"], "IDENTIFIED");
        assert_eq!(
            moved["statusHistory"],
            json!([
                { "from": "RECEIVED", "to": "VERIFYING", "agency": "POLICE" },
                { "from": "VERIFYING", "to": "IDENTIFIED", "agency": "POLICE" }
            ])
        );

        // The procuracy indicts (the case moves to PROSECUTION); police cannot.
        let indict = "mutation($i: FileIndictmentInput!) { fileIndictment(input: $i) { id charges { article clause } defendant { fullName } case { status } } }";
        let input = json!({ "caseId": case, "defendantId": suspect, "charges": [{ "article": "151", "clause": "2", "point": "a" }], "office": "VKSND tỉnh Nghệ An" });
        let resp = gql(&app, &police, indict, json!({ "i": input })).await;
        assert_eq!(code(&resp), "FORBIDDEN");
        let resp = gql(&app, &procuracy, indict, json!({ "i": input })).await;
        let filed = &data(&resp)["fileIndictment"];
        assert_eq!(
            filed["charges"],
            json!([{ "article": "151", "clause": "2" }])
        );
        assert_eq!(filed["defendant"]["fullName"], "Vàng Seo Lử");
        assert_eq!(filed["case"]["status"], "PROSECUTION");
        // A victim cannot be indicted.
        let victim_person = data(
            &gql(
                &app,
                &police,
                "query($c: ID!) { case(id: $c) { parties { role person { id } } } }",
                json!({ "c": case }),
            )
            .await,
        )["case"]["parties"][0]["person"]["id"]
            .clone();
        let resp = gql(&app, &procuracy, indict, json!({ "i": { "caseId": case, "defendantId": victim_person, "charges": [{ "article": "150" }], "office": "x" } })).await;
        assert_eq!(code(&resp), "BAD_USER_INPUT");

        // The court now sees the case, puts it on trial, records the verdict: ADJUDICATED.
        let (_, version) = case_version(&app, &court, &case).await;
        let verdict = "mutation($i: RecordVerdictInput!) { recordVerdict(input: $i) { convicted sentenceMonths case { status } } }";
        let vinput = json!({ "caseId": case, "defendantId": suspect, "court": "TAND tỉnh Nghệ An", "convicted": true, "articles": ["151"], "sentenceMonths": 144 });
        let resp = gql(&app, &court, verdict, json!({ "i": vinput })).await;
        assert_eq!(
            code(&resp),
            "INVALID_TRANSITION",
            "no verdict before the trial"
        );
        let resp = gql(
            &app,
            &procuracy,
            MOVE_CASE,
            json!({ "i": { "id": case, "version": version, "to": "TRIAL" } }),
        )
        .await;
        assert_eq!(
            code(&resp),
            "INVALID_TRANSITION",
            "the court puts cases on trial"
        );
        let resp = gql(
            &app,
            &court,
            MOVE_CASE,
            json!({ "i": { "id": case, "version": version, "to": "TRIAL" } }),
        )
        .await;
        assert_eq!(data(&resp)["moveCase"]["status"], "TRIAL");
        let resp = gql(&app, &police, verdict, json!({ "i": vinput })).await;
        assert_eq!(code(&resp), "FORBIDDEN");
        let resp = gql(&app, &court, verdict, json!({ "i": vinput })).await;
        assert_eq!(
            data(&resp)["recordVerdict"],
            json!({ "convicted": true, "sentenceMonths": 144, "case": { "status": "ADJUDICATED" } })
        );

        // The history shows who moved the case.
        let resp = gql(
            &app,
            &police,
            "query($c: ID!) { case(id: $c) { status statusHistory { to agency } } }",
            json!({ "c": case }),
        )
        .await;
        let moves: Vec<(String, String)> = data(&resp)["case"]["statusHistory"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| {
                        (
                            m["to"].as_str().unwrap_or_default().into(),
                            m["agency"].as_str().unwrap_or_default().into(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            moves,
            vec![
                ("UNDER_INVESTIGATION".into(), "POLICE".into()),
                ("PROSECUTION".into(), "PROCURACY".into()),
                ("TRIAL".into(), "COURT".into()),
                ("ADJUDICATED".into(), "COURT".into()),
            ]
        );

        // Tip statistics: one hotline call, resolved.
        let resp = gql(
            &app,
            &hotline,
            "{ tipStatistics { channel received resolved resolutionRate } }",
            json!({}),
        )
        .await;
        assert_eq!(
            data(&resp)["tipStatistics"],
            json!([{ "channel": "HOTLINE_111", "received": 1, "resolved": 1, "resolutionRate": 1.0 }])
        );
        // The border guard sees tips of border provinces (Nghệ An is one).
        let resp = gql(&app, &border, "{ tips { totalCount } }", json!({})).await;
        assert_eq!(data(&resp)["tips"]["totalCount"], 1);
    }
);

both!(
    overdue_verifications_list_victims_waiting_more_than_three_days,
    |app| async move {
        let police = app.token(Agency::Police, "investigator");
        let case = open_case(&app, &police, case_input("LC-9", "10")).await;
        let four_days_ago = (chrono::Utc::now() - chrono::Duration::days(4)).to_rfc3339();
        let (late, _) = add_party(&app, &police, json!({ "caseId": case, "role": "VICTIM", "receivedAt": four_days_ago, "person": { "fullName": "Sùng Thị Dợ" } })).await;
        add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "VICTIM", "person": { "fullName": "Ly Thị Ca" } }),
        )
        .await;
        let resp = gql(
            &app,
            &police,
            "{ overdueVerifications { id identification } }",
            json!({}),
        )
        .await;
        assert_eq!(
            data(&resp)["overdueVerifications"],
            json!([{ "id": late, "identification": "RECEIVED" }])
        );
        let court = app.token(Agency::Court, "judge");
        let resp = gql(&app, &court, "{ overdueVerifications { id } }", json!({})).await;
        assert!(
            code(&resp) == "FORBIDDEN" || data(&resp)["overdueVerifications"] == json!([]),
            "{resp}"
        );
    }
);

both!(the_repatriation_story_end_to_end, |app| async move {
    let mission = app.token_with(TokenSpec {
        unit: Some("dsq-phnom-penh".into()),
        ..TokenSpec::new(Agency::ForeignAffairs, "consul-1")
    });
    let police = app.token(Agency::Police, "investigator");
    let border = app.token(Agency::BorderGuard, "bg-moc-bai");
    let social = app.token(Agency::SocialServices, "shelter-tay-ninh");
    let court = app.token(Agency::Court, "judge");

    // Police and the border guard watch for flags from missions abroad.
    let raised = "subscription { flagRaised { id status hostCountry } }";
    let mut watchers = Vec::new();
    for token in [&police, &border] {
        let mut s = Subscriber::connect(&app.base, token, Some("theo dõi cảnh báo"))
            .await
            .expect("subscriber connects");
        s.subscribe(raised, json!({})).await.expect("subscribes");
        watchers.push(s);
    }
    // Let the subscriptions register before the flag is raised.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let raised_at = Instant::now();
    let flag = gql(
        &app,
        &mission,
        "mutation($i: FlagSuspectedVictimInput!) { flagSuspectedVictim(input: $i) { id version status person { id fullName } } }",
        json!({ "i": { "mission": "Đại sứ quán Việt Nam tại Campuchia", "hostCountry": "KH", "location": "Sihanoukville, khu Kaiyang",
            "circumstances": "Bị giữ tại cơ sở lừa đảo trực tuyến", "urgency": "CRITICAL",
            "person": { "fullName": "Trần Văn Khánh", "dateOfBirth": "2001-05-14", "phone": "0912 000 111", "address": "Quận 8, TP.HCM" } } }),
    )
    .await;
    let flag = data(&flag)["flagSuspectedVictim"].clone();
    let (flag_id, person) = (
        flag["id"].as_str().unwrap_or_default().to_string(),
        flag["person"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    assert_eq!(flag["status"], "FLAGGED");
    assert_eq!(flag["person"]["fullName"], "Trần Văn Khánh");
    for (who, watcher) in ["police", "border guard"].into_iter().zip(&mut watchers) {
        match watcher.next(Duration::from_secs(10)).await {
            Some(WsEvent::Next { payload, .. }) => {
                eprintln!(
                    "{who} received flagRaised {:?} after the flag was raised",
                    raised_at.elapsed()
                );
                assert_eq!(
                    payload["data"]["flagRaised"],
                    json!({ "id": flag_id, "status": "FLAGGED", "hostCountry": "KH" })
                );
            }
            other => panic!("{who} should receive flagRaised, got {other:?}"),
        }
    }
    // The court never sees flags.
    let resp = gql(&app, &court, "{ flags { totalCount } }", json!({})).await;
    assert_eq!(code(&resp), "FORBIDDEN");

    let resp = gql(&app, &mission, "mutation($i: FlagRefInput!) { requestIdentityVerification(input: $i) { status verificationStatus } }", json!({ "i": { "id": flag_id, "version": 1 } })).await;
    assert_eq!(
        data(&resp)["requestIdentityVerification"],
        json!({ "status": "VERIFYING", "verificationStatus": "REQUESTED" })
    );
    let verify = "mutation($i: RecordIdentityVerificationInput!) { recordIdentityVerification(input: $i) { status verificationStatus verificationResult } }";
    let resp = gql(
        &app,
        &mission,
        verify,
        json!({ "i": { "id": flag_id, "version": 2, "confirmed": true } }),
    )
    .await;
    assert_eq!(code(&resp), "FORBIDDEN", "only police verify identity");
    let resp = gql(
        &app,
        &police,
        verify,
        json!({ "i": { "id": flag_id, "version": 2, "confirmed": true, "result": "Khớp CCCD" } }),
    )
    .await;
    assert_eq!(
        data(&resp)["recordIdentityVerification"]["status"],
        "CONFIRMED"
    );

    let move_flag = "mutation($i: MoveFlagInput!) { moveFlag(input: $i) { status version } }";
    let resp = gql(
        &app,
        &border,
        move_flag,
        json!({ "i": { "id": flag_id, "version": 3, "to": "RESCUED" } }),
    )
    .await;
    assert_eq!(
        code(&resp),
        "INVALID_TRANSITION",
        "the mission records the rescue"
    );
    let resp = gql(
        &app,
        &mission,
        move_flag,
        json!({ "i": { "id": flag_id, "version": 3, "to": "RESCUED" } }),
    )
    .await;
    assert_eq!(data(&resp)["moveFlag"]["status"], "RESCUED");
    let resp = gql(
        &app,
        &mission,
        move_flag,
        json!({ "i": { "id": flag_id, "version": 4, "to": "REPATRIATED" } }),
    )
    .await;
    assert_eq!(data(&resp)["moveFlag"]["status"], "REPATRIATED");
    let resp = gql(&app, &border, move_flag, json!({ "i": { "id": flag_id, "version": 5, "to": "HANDED_OVER", "reason": "Cửa khẩu Mộc Bài" } })).await;
    assert_eq!(data(&resp)["moveFlag"]["status"], "HANDED_OVER");

    // Police refer the person to social services, sharing name, date of birth and phone.
    let send = "mutation($i: SendReferralInput!) { sendReferral(input: $i) { id version status sharedFields } }";
    let resp = gql(&app, &police, send, json!({ "i": { "toAgency": "SOCIAL_SERVICES", "personId": person, "purpose": "Tiếp nhận, hỗ trợ tạm thời",
        "services": ["SHELTER", "MEDICAL"], "consent": "GIVEN", "sharedFields": ["FULL_NAME", "DATE_OF_BIRTH", "PHONE"] } })).await;
    let referral = data(&resp)["sendReferral"].clone();
    assert_eq!(
        referral["sharedFields"],
        json!(["FULL_NAME", "DATE_OF_BIRTH", "PHONE"])
    );
    let referral_id = referral["id"].as_str().unwrap_or_default().to_string();
    // Before accepting, social services cannot see the person.
    let read = "query($p: ID!) { person(id: $p) { fullName dateOfBirth phone address } }";
    let resp = gql(&app, &social, read, json!({ "p": person })).await;
    assert_eq!(code(&resp), "NOT_FOUND");
    let answer = |name: &str| {
        format!("mutation($i: AnswerReferralInput!) {{ {name}(input: $i) {{ status version }} }}")
    };
    let resp = gql(
        &app,
        &police,
        &answer("acceptReferral"),
        json!({ "i": { "id": referral_id, "version": 1 } }),
    )
    .await;
    assert_eq!(code(&resp), "FORBIDDEN", "the sender cannot accept");
    let resp = gql(
        &app,
        &social,
        &answer("acceptReferral"),
        json!({ "i": { "id": referral_id, "version": 1 } }),
    )
    .await;
    assert_eq!(data(&resp)["acceptReferral"]["status"], "ACCEPTED");
    // Exactly the shared fields, not the address.
    let resp = gql(&app, &social, read, json!({ "p": person })).await;
    assert_eq!(
        resp["data"]["person"],
        json!({ "fullName": "Trần Văn Khánh", "dateOfBirth": "2001-05-14", "phone": "0912 000 111", "address": null })
    );
    assert_eq!(code(&resp), "FORBIDDEN");
    assert_eq!(resp["errors"][0]["path"], json!(["person", "address"]));

    let resp = gql(
        &app,
        &social,
        move_flag,
        json!({ "i": { "id": flag_id, "version": 6, "to": "CLOSED" } }),
    )
    .await;
    assert_eq!(data(&resp)["moveFlag"]["status"], "CLOSED");
    let resp = gql(
        &app,
        &police,
        "{ flags { nodes { id status statusHistory { to agency } } } }",
        json!({}),
    )
    .await;
    let history: Vec<String> = data(&resp)["flags"]["nodes"][0]["statusHistory"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    format!(
                        "{}:{}",
                        m["to"].as_str().unwrap_or_default(),
                        m["agency"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        history,
        vec![
            "FLAGGED:FOREIGN_AFFAIRS",
            "VERIFYING:FOREIGN_AFFAIRS",
            "CONFIRMED:POLICE",
            "RESCUED:FOREIGN_AFFAIRS",
            "REPATRIATED:FOREIGN_AFFAIRS",
            "HANDED_OVER:BORDER_GUARD",
            "CLOSED:SOCIAL_SERVICES"
        ]
    );

    // Revoking ends the receiver's access at once.
    let resp = gql(
        &app,
        &police,
        &answer("revokeReferral"),
        json!({ "i": { "id": referral_id, "version": 2, "reason": "Chuyển cơ sở khác" } }),
    )
    .await;
    assert_eq!(data(&resp)["revokeReferral"]["status"], "REVOKED");
    let resp = gql(&app, &social, read, json!({ "p": person })).await;
    assert_eq!(code(&resp), "NOT_FOUND");
});

both!(a_declined_referral_gives_no_access, |app| async move {
    let police = app.token(Agency::Police, "investigator");
    let social = app.token(Agency::SocialServices, "shelter");
    let case = open_case(&app, &police, case_input("HT-3", "42")).await;
    let (_, person) = add_party(&app, &police, json!({ "caseId": case, "role": "VICTIM", "consentToShare": true, "person": { "fullName": "Hồ Thị Na" } })).await;
    let resp = gql(&app, &police, "mutation($i: SendReferralInput!) { sendReferral(input: $i) { id } }", json!({ "i": { "toAgency": "SOCIAL_SERVICES", "personId": person, "caseId": case, "purpose": "Hỗ trợ", "services": ["PSYCHOLOGICAL"], "consent": "GIVEN", "sharedFields": ["FULL_NAME"], "dueAt": "2020-01-01T00:00:00Z" } })).await;
    let referral = data(&resp)["sendReferral"]["id"].clone();
    // Overdue for both sides.
    let resp = gql(
        &app,
        &police,
        "{ overdueReferrals(received: false) { totalCount nodes { overdue } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        data(&resp)["overdueReferrals"],
        json!({ "totalCount": 1, "nodes": [{ "overdue": true }] })
    );
    let resp = gql(
        &app,
        &social,
        "{ overdueReferrals(received: true) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(data(&resp)["overdueReferrals"]["totalCount"], 1);
    let resp = gql(
        &app,
        &social,
        "mutation($i: AnswerReferralInput!) { declineReferral(input: $i) { status } }",
        json!({ "i": { "id": referral, "version": 1 } }),
    )
    .await;
    assert_eq!(code(&resp), "BAD_USER_INPUT", "a reason is required");
    let resp = gql(
        &app,
        &social,
        "mutation($i: AnswerReferralInput!) { declineReferral(input: $i) { status } }",
        json!({ "i": { "id": referral, "version": 1, "reason": "Hết chỗ" } }),
    )
    .await;
    assert_eq!(data(&resp)["declineReferral"]["status"], "DECLINED");
    let resp = gql(
        &app,
        &social,
        "query($p: ID!) { person(id: $p) { fullName } }",
        json!({ "p": person }),
    )
    .await;
    assert_eq!(code(&resp), "NOT_FOUND");
    // Social services see the status of the linked case only.
    let resp = gql(
        &app,
        &social,
        "query($c: ID!) { case(id: $c) { status title } }",
        json!({ "c": case }),
    )
    .await;
    assert_eq!(resp["data"]["case"]["status"], "REPORTED");
    assert!(resp["data"]["case"]["title"].is_null());
    assert_eq!(code(&resp), "FORBIDDEN");
});

const UPDATE_PARTY: &str = "mutation($i: UpdatePartyInput!) { updateParty(input: $i) { id version healthNotes currentLocation protectionMeasures } }";

both!(
    social_services_keep_the_care_record_of_a_victim_referred_to_them,
    |app| async move {
        let police = app.token(Agency::Police, "investigator");
        let social = app.token(Agency::SocialServices, "shelter-hn");
        let procuracy = app.token(Agency::Procuracy, "prosecutor");
        let oversight = app.token(Agency::Oversight, "auditor");
        let case = open_case(&app, &police, case_input("HT-CARE", "01")).await;
        let (party, person) = add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "VICTIM", "consentToShare": true, "ageAtExploitation": 19,
                    "person": { "fullName": "Lò Thị Mai" } }),
        )
        .await;
        let (suspect, _) = add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "SUSPECT", "person": { "fullName": "Vàng A Sử" } }),
        )
        .await;
        let care = json!({ "id": party, "version": 1, "healthNotes": "Suy dinh dưỡng nhẹ",
                           "currentLocation": "Cơ sở bảo trợ xã hội Hà Nội", "protectionMeasures": ["Bố trí chỗ ở an toàn"] });

        // Before a referral reaches them, social services cannot touch the record.
        let resp = gql(&app, &social, UPDATE_PARTY, json!({ "i": care })).await;
        assert_eq!(code(&resp), "NOT_FOUND", "{resp}");
        // Police refer the victim; social services accept.
        let resp = gql(&app, &police, "mutation($i: SendReferralInput!) { sendReferral(input: $i) { id } }",
            json!({ "i": { "toAgency": "SOCIAL_SERVICES", "personId": person, "caseId": case, "purpose": "Hỗ trợ tạm thời",
                           "services": ["SHELTER", "MEDICAL"], "consent": "GIVEN",
                           "sharedFields": ["FULL_NAME", "HEALTH_NOTES", "CURRENT_LOCATION", "PROTECTION_MEASURES"] } })).await;
        let referral = data(&resp)["sendReferral"]["id"].clone();
        let resp = gql(
            &app,
            &social,
            "mutation($i: AnswerReferralInput!) { acceptReferral(input: $i) { status } }",
            json!({ "i": { "id": referral, "version": 1 } }),
        )
        .await;
        assert_eq!(data(&resp)["acceptReferral"]["status"], "ACCEPTED");

        // Social services write the victim's health, whereabouts and protection.
        let resp = gql(&app, &social, UPDATE_PARTY, json!({ "i": care })).await;
        let updated = &data(&resp)["updateParty"];
        assert_eq!(updated["version"], 2);
        assert_eq!(updated["healthNotes"], "Suy dinh dưỡng nhẹ");
        assert_eq!(updated["currentLocation"], "Cơ sở bảo trợ xã hội Hà Nội");
        assert_eq!(
            updated["protectionMeasures"],
            json!(["Bố trí chỗ ở an toàn"])
        );
        // The same change again at the old version is a conflict, not a second write.
        let resp = gql(&app, &social, UPDATE_PARTY, json!({ "i": care })).await;
        assert_eq!(code(&resp), "CONFLICT", "{resp}");
        // Through the referral they write only what it shares with them.
        let resp = gql(
            &app,
            &social,
            UPDATE_PARTY,
            json!({ "i": { "id": party, "version": 2, "exploitationDetails": "x" } }),
        )
        .await;
        assert_eq!(code(&resp), "FORBIDDEN", "{resp}");
        // A suspect's fields do not apply to a victim; an empty change is refused.
        let resp = gql(
            &app,
            &police,
            UPDATE_PARTY,
            json!({ "i": { "id": party, "version": 2, "arrestStatus": "DETAINED" } }),
        )
        .await;
        assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");
        let resp = gql(
            &app,
            &social,
            UPDATE_PARTY,
            json!({ "i": { "id": party, "version": 2 } }),
        )
        .await;
        assert_eq!(code(&resp), "BAD_USER_INPUT", "{resp}");

        // The police may neither write nor read the victim's health and whereabouts ...
        let resp = gql(
            &app,
            &police,
            UPDATE_PARTY,
            json!({ "i": { "id": party, "version": 2, "healthNotes": "x" } }),
        )
        .await;
        assert_eq!(code(&resp), "FORBIDDEN", "{resp}");
        // ... but correct the age at exploitation, which makes the victim a child.
        let resp = gql(&app, &police, "mutation($i: UpdatePartyInput!) { updateParty(input: $i) { version ageAtExploitation } }",
            json!({ "i": { "id": party, "version": 2, "ageAtExploitation": 16 } })).await;
        assert_eq!(
            data(&resp)["updateParty"],
            json!({ "version": 3, "ageAtExploitation": 16 })
        );
        let resp = gql(
            &app,
            &police,
            "query($p: ID!) { person(id: $p) { isMinor } }",
            json!({ "p": person }),
        )
        .await;
        assert_eq!(data(&resp)["person"]["isMinor"], true, "{resp}");
        let resp = gql(
            &app,
            &police,
            "mutation($i: UpdatePartyInput!) { updateParty(input: $i) { arrestStatus } }",
            json!({ "i": { "id": suspect, "version": 1, "arrestStatus": "DETAINED" } }),
        )
        .await;
        assert_eq!(data(&resp)["updateParty"]["arrestStatus"], "DETAINED");
        // Social services may not touch the suspect's record, the procuracy no party at all.
        let resp = gql(
            &app,
            &social,
            UPDATE_PARTY,
            json!({ "i": { "id": suspect, "version": 2, "healthNotes": "x" } }),
        )
        .await;
        assert!(
            matches!(code(&resp).as_str(), "NOT_FOUND" | "FORBIDDEN"),
            "{resp}"
        );
        let resp = gql(
            &app,
            &procuracy,
            UPDATE_PARTY,
            json!({ "i": { "id": party, "version": 3, "ageAtExploitation": 17 } }),
        )
        .await;
        assert_eq!(code(&resp), "FORBIDDEN", "{resp}");

        // Every change is audited with the fields written.
        let resp = gql(&app, &oversight, "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 50) { nodes { agency operation fields outcome } } }",
            json!({ "f": { "entityId": party, "action": "WRITE" } })).await;
        let events: Vec<(String, String, Value)> = data(&resp)["auditEvents"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["operation"] == "updateParty" && e["outcome"] == "ALLOWED")
            .map(|e| {
                (
                    e["agency"].as_str().unwrap_or_default().to_string(),
                    e["outcome"].as_str().unwrap_or_default().to_string(),
                    e["fields"].clone(),
                )
            })
            .collect();
        assert!(
            events.iter().any(|(a, _, f)| a == "SOCIAL_SERVICES"
                && f.as_array()
                    .is_some_and(|f| f.contains(&json!("healthNotes"))
                        && f.contains(&json!("currentLocation")))),
            "{resp}"
        );
        assert!(
            events.iter().any(|(a, _, f)| a == "POLICE"
                && f.as_array()
                    .is_some_and(|f| f.contains(&json!("ageAtExploitation")))),
            "{resp}"
        );
    }
);
