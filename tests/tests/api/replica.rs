//! A read replica (`CTEX_READ_DATABASE_URL`): queries read it, while a mutation's response,
//! nested fields included, reads the primary, so it shows what the mutation wrote even when the
//! replica has not caught up; and a subscriber gets each event, loaded from the primary, even
//! though the replica does not hold the row yet. The replica here is a second, empty database
//! that never catches up.

use ctex_tests::ctex::domain::Agency;
use std::time::Duration;

use ctex_tests::{Options, Subscriber, WsEvent, add_party, both_with, case_input, data, open_case};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

const PARTY: &str = "mutation Add($i: AddPartyInput!) { addParty(input: $i) { id role \
    person { id fullName } case { id version } } }";

both_with!(
    a_mutation_answers_from_the_primary_while_queries_read_the_replica,
    Options {
        stale_replica: true,
        ..Options::default()
    },
    |app| async move {
        let police = app.token(Agency::Police, "investigator-r");
        let case = open_case(&app, &police, case_input("RP-1", "40")).await;
        let input =
            json!({ "caseId": case, "role": "VICTIM", "person": { "fullName": "Lò Thị Mai" } });
        let added = app.gql(&police, PARTY, json!({ "i": input })).await;
        assert!(added.get("errors").is_none(), "{added}");
        let party = &data(&added)["addParty"];
        assert_eq!(party["person"]["fullName"], "Lò Thị Mai", "{added}");
        assert_eq!(party["case"]["id"], case.as_str(), "{added}");
        assert_eq!(party["case"]["version"], 2, "{added}");

        // The mutation picked by name out of a document that also holds a query.
        let both = format!("query Look($c: ID!) {{ case(id: $c) {{ id }} }} {PARTY}");
        let input =
            json!({ "caseId": case, "role": "WITNESS", "person": { "fullName": "Vàng A Sử" } });
        let (on, token) = (&app, police.as_str());
        let run = |operation: &str, variables: serde_json::Value| {
            let body = json!({ "query": both, "operationName": operation, "variables": variables });
            async move {
                on.post(Some(token), Some("integration test"), &body)
                    .await
                    .1
            }
        };
        let named = run("Add", json!({ "i": input })).await;
        assert!(named.get("errors").is_none(), "{named}");
        assert_eq!(data(&named)["addParty"]["person"]["fullName"], "Vàng A Sử");
        assert_eq!(data(&named)["addParty"]["case"]["version"], 3, "{named}");

        // Over the WebSocket endpoint too.
        let mut socket = Subscriber::connect(&app.base, &police, Some("integration test"))
            .await
            .expect("connects");
        let input =
            json!({ "caseId": case, "role": "WITNESS", "person": { "fullName": "Giàng Thị Pà" } });
        let id = socket
            .subscribe(PARTY, json!({ "i": input }))
            .await
            .expect("sends");
        match socket.next(Duration::from_secs(10)).await {
            Some(WsEvent::Next { id: got, payload }) => {
                assert_eq!(got, id);
                assert!(payload.get("errors").is_none(), "{payload}");
                assert_eq!(
                    payload["data"]["addParty"]["person"]["fullName"],
                    "Giàng Thị Pà"
                );
                assert_eq!(
                    payload["data"]["addParty"]["case"]["version"], 4,
                    "{payload}"
                );
            }
            other => panic!("expected the mutation's result, got {other:?}"),
        }
        match socket.next(Duration::from_secs(10)).await {
            Some(WsEvent::Complete(done)) => assert_eq!(done, id),
            other => panic!("expected the mutation to complete, got {other:?}"),
        }
        // ... while a query over the same connection reads the replica.
        let id = socket
            .subscribe(
                "query($c: ID!) { case(id: $c) { id } }",
                json!({ "c": case }),
            )
            .await
            .expect("sends");
        match socket.next(Duration::from_secs(10)).await {
            Some(WsEvent::Next { id: got, payload }) => {
                assert_eq!(got, id);
                assert_eq!(
                    payload["errors"][0]["extensions"]["code"], "NOT_FOUND",
                    "{payload}"
                );
            }
            other => panic!("expected the query's result, got {other:?}"),
        }

        // A query reads the replica, which has none of it yet.
        let looked = run("Look", json!({ "c": case })).await;
        assert_eq!(
            looked["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{looked}"
        );
        // ... while the primary holds everything written.
        add_party(
            &app,
            &police,
            json!({ "caseId": case, "role": "WITNESS", "person": { "fullName": "Hờ A Dình" } }),
        )
        .await;
        let primary = app.db.connect().await.expect("primary");
        let parties = primary
            .query_one_raw(Statement::from_string(
                primary.get_database_backend(),
                "SELECT count(*) AS n FROM case_party",
            ))
            .await
            .expect("count")
            .and_then(|r| r.try_get::<i64>("", "n").ok());
        assert_eq!(parties, Some(4));
    }
);

both_with!(
    a_subscriber_gets_events_the_replica_does_not_hold_yet,
    Options {
        stale_replica: true,
        ..Options::default()
    },
    |app| async move {
        let police = app.token(Agency::Police, "watch-r");
        let mission = app.token(Agency::ForeignAffairs, "consul-r");
        let mut watcher = Subscriber::connect(&app.base, &police, Some("theo dõi cảnh báo"))
            .await
            .expect("connects");
        watcher
            .subscribe(
                "subscription { flagRaised { id status person { fullName } } }",
                json!({}),
            )
            .await
            .expect("subscribes");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let input = json!({ "i": { "mission": "Đại sứ quán tại Campuchia", "hostCountry": "KH",
            "circumstances": "Trường hợp R", "urgency": "HIGH",
            "person": { "fullName": "Nạn nhân R", "dateOfBirth": "1998-01-01" } } });
        let flag = app
            .gql(
                &mission,
                "mutation($i: FlagSuspectedVictimInput!) { flagSuspectedVictim(input: $i) { id } }",
                input,
            )
            .await;
        assert!(flag.get("errors").is_none(), "{flag}");
        let id = data(&flag)["flagSuspectedVictim"]["id"].clone();
        match watcher.next(Duration::from_secs(10)).await {
            Some(WsEvent::Next { payload, .. }) => {
                assert!(payload.get("errors").is_none(), "{payload}");
                assert_eq!(payload["data"]["flagRaised"]["id"], id, "{payload}");
                assert_eq!(
                    payload["data"]["flagRaised"]["person"]["fullName"], "Nạn nhân R",
                    "{payload}"
                );
            }
            other => panic!("the flag raised was not delivered: {other:?}"),
        }
        // The replica still has no flag: a query does not list it.
        let listed = app
            .gql(&police, "{ flags(first: 50) { nodes { id } } }", json!({}))
            .await;
        assert_eq!(
            data(&listed)["flags"]["nodes"],
            json!([]),
            "the replica listed the flag: {listed}"
        );
    }
);
