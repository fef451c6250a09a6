//! The security suite, part 3: rate limits and concurrency shares (`RATE_LIMITED` with
//! `Retry-After`). Acceptance 4: one agency flooding is limited while another agency's requests,
//! sent at the same time by a second client, all succeed. Also: a subject's bucket does not
//! touch a colleague's, hit/no-hit searches have their own tighter bucket, and an agency with its
//! whole concurrency share in flight is refused at once while another agency is served.

use std::time::Duration;

use ctex_tests::ctex::domain::Agency;
use ctex_tests::ctex::ratelimit::{Per, Rate, RateConfig};
use ctex_tests::{Options, RawReply, TestApp, assert_no_leak, both_with, code, data};
use futures::future::join_all;
use serde_json::json;
use tokio::io::AsyncWriteExt;

const ME: &str = "{ me { agency subject } }";

async fn me(app: &TestApp, token: &str) -> RawReply {
    app.send(app.raw_post(
        Some(token),
        "application/json",
        json!({ "query": ME }).to_string(),
    ))
    .await
}

/// Asserts a whole request was refused for its rate: 429, `RATE_LIMITED`, `Retry-After` in
/// whole seconds matching `extensions.retryAfter`.
fn assert_rate_limited(reply: &RawReply, what: &str) {
    assert_no_leak(what, &reply.text);
    assert_eq!(reply.status, 429, "{what}: {}", reply.text);
    let body = reply.json();
    assert_eq!(code(&body), "RATE_LIMITED", "{what}: {body}");
    let retry: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: no Retry-After: {:?}", reply.headers));
    assert!(retry >= 1, "{what}: Retry-After {retry}");
    assert_eq!(
        body["errors"][0]["extensions"]["retryAfter"], retry,
        "{what}"
    );
}

both_with!(
    one_agency_flooding_is_limited_while_another_agency_keeps_succeeding,
    Options {
        configure: Some(|c| {
            c.rates = RateConfig {
                subject: Rate::Off,
                agency: Rate::new(30, Per::Minute, 30),
                hits: RateConfig::default().hits,
            }
        }),
        ..Options::default()
    },
    |app| async move {
        // Two concurrent clients: the police system floods (150 requests, 10 at a time, from
        // several officers); the court's system asks 20 times, steadily, meanwhile.
        let police: Vec<String> = (0..5)
            .map(|i| app.token(Agency::Police, &format!("officer-{i}")))
            .collect();
        let court = app.token(Agency::Court, "clerk");
        let flood = async {
            let mut replies = Vec::new();
            for round in 0..15 {
                let wave = (0..10).map(|i| me(&app, &police[(round + i) % police.len()]));
                replies.extend(join_all(wave).await);
            }
            replies
        };
        let steady = async {
            let mut replies = Vec::new();
            for _ in 0..20 {
                replies.push(me(&app, &court).await);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            replies
        };
        let (flooded, steady) = tokio::join!(flood, steady);

        let limited: Vec<&RawReply> = flooded.iter().filter(|r| r.status == 429).collect();
        let served = flooded.iter().filter(|r| r.status == 200).count();
        eprintln!(
            "rate limits: police sent {}, {served} served, {} RATE_LIMITED; court sent {}, {} served",
            flooded.len(),
            limited.len(),
            steady.len(),
            steady.iter().filter(|r| r.status == 200).count()
        );
        assert!(!limited.is_empty(), "the flooding agency is limited");
        assert_eq!(
            served + limited.len(),
            flooded.len(),
            "nothing else went wrong"
        );
        for reply in &limited {
            assert_rate_limited(reply, "police flood");
        }
        for reply in &steady {
            assert_eq!(
                reply.status, 200,
                "the court keeps succeeding: {}",
                reply.text
            );
            assert_eq!(data(&reply.json())["me"]["agency"], "COURT");
        }
        app.assert_healthy().await;
    }
);

both_with!(
    a_subject_flooding_is_limited_while_a_colleague_is_not,
    Options {
        configure: Some(|c| {
            c.rates = RateConfig {
                subject: Rate::new(10, Per::Hour, 10),
                agency: Rate::Off,
                hits: RateConfig::default().hits,
            }
        }),
        ..Options::default()
    },
    |app| async move {
        let flooder = app.token(Agency::Police, "officer-1");
        let colleague = app.token(Agency::Police, "officer-2");
        for _ in 0..10 {
            assert_eq!(me(&app, &flooder).await.status, 200);
        }
        assert_rate_limited(&me(&app, &flooder).await, "11th request");
        // A batch counts one cell per operation.
        let batch = json!([{ "query": ME }, { "query": ME }]);
        let reply = app
            .send(app.raw_post(Some(&flooder), "application/json", batch.to_string()))
            .await;
        assert_rate_limited(&reply, "a batch past the limit");
        let reply = me(&app, &colleague).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        app.assert_healthy().await;
    }
);

both_with!(
    hit_searches_have_their_own_tighter_configurable_limit,
    Options {
        configure: Some(|c| c.rates.hits = Rate::new(2, Per::Hour, 2)),
        ..Options::default()
    },
    |app| async move {
        let prober = app.token(Agency::BorderGuard, "prober");
        let q = "query($v: String!) { identifierHits(kind: PASSPORT, value: $v) { reference } }";
        for v in ["C1234567", "C1234568"] {
            let resp = app.gql(&prober, q, json!({ "v": v })).await;
            assert_eq!(data(&resp)["identifierHits"], json!([]));
        }
        let body = json!({ "query": q, "variables": { "v": "C1234569" } });
        let reply = app
            .send(app.raw_post(Some(&prober), "application/json", body.to_string()))
            .await;
        assert_no_leak("hits", &reply.text);
        assert_eq!(
            reply.status, 200,
            "a field error, the rest of the response stands"
        );
        assert_eq!(code(&reply.json()), "RATE_LIMITED");
        let retry: u64 = reply
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(
            retry >= 1,
            "Retry-After on a refused search: {:?}",
            reply.headers
        );
        // The same officer may still do everything else.
        assert_eq!(me(&app, &prober).await.status, 200);
        app.assert_healthy().await;
    }
);

both_with!(
    an_agency_with_its_share_in_flight_is_refused_at_once_while_another_is_served,
    Options {
        // Only the share limits here: with the rate buckets off, every 429 is the share's.
        configure: Some(|c| {
            c.agency_concurrency = 1;
            c.rates = RateConfig {
                subject: Rate::Off,
                agency: Rate::Off,
                hits: Rate::Off,
            };
        }),
        ..Options::default()
    },
    |app| async move {
        let police = app.token(Agency::Police, "slow-system");
        // A police request that sends its headers and then stalls holds police's one place.
        let stall = || async {
            let mut socket = tokio::net::TcpStream::connect(app.addr)
                .await
                .expect("connect");
            let head = format!(
                "POST /graphql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {police}\r\n\
                 Content-Type: application/json\r\nX-Access-Purpose: slow\r\nContent-Length: 100\r\n\r\n{{",
                app.addr
            );
            socket.write_all(head.as_bytes()).await.expect("send");
            socket
        };
        let mut socket = stall().await;
        // Once the stalled request holds the place, the next police request is refused at once.
        // The two race to the server: when the probe got there first, the stalled request was
        // the one refused (its answer is already on the socket), so it is sent again.
        let mut refused = None;
        for _ in 0..100 {
            let reply = me(&app, &police).await;
            if reply.status == 429 {
                refused = Some(reply);
                break;
            }
            let mut peek = [0u8; 1];
            match socket.try_read(&mut peek) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                _ => socket = stall().await,
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let refused =
            refused.expect("police's second request is refused while the first holds its share");
        assert_rate_limited(&refused, "police past its share");
        let court = app.token(Agency::Court, "clerk");
        let reply = me(&app, &court).await;
        assert_eq!(
            reply.status, 200,
            "another agency is served: {}",
            reply.text
        );
        // When the stalled request ends, police are served again.
        drop(socket);
        let mut served = false;
        for _ in 0..100 {
            if me(&app, &police).await.status == 200 {
                served = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(served, "police's place is freed");
        app.assert_healthy().await;
    }
);
