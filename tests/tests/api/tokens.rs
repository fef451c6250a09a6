//! Token attacks from the outside (DESIGN §3.3): forged, edited, expired, untrusted, revoked
//! and oversized bearer tokens sent over HTTP to the running server, and key rotation and
//! revocation through a trust-file reload (in process, and on SIGHUP to a server process).
//!
//! Every refusal must be HTTP 401 with `extensions.code == "UNAUTHENTICATED"`, `data` null and
//! a body that never repeats the token. Each attack is paired with a control (the same claims,
//! key and request with the one defect removed) that must succeed, so a test cannot pass
//! because the token was broken in some other way.
//!
//! Tokens are shaped here by hand: asymmetric signatures through `keys::mint_with_key`, the
//! HS256 forgery with the `hmac` and `sha2` crates (not the server's own verification path, so
//! the attack does not lean on what it attacks), base64url with `base64`.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ctex_tests::ctex::auth::keys::{self, Algorithm};
use ctex_tests::ctex::auth::{CLOCK_LEEWAY_SECS, MAX_TOKEN_BYTES};
use ctex_tests::ctex::domain::Agency;
use ctex_tests::{Backend, ServerProcess, TestApp, TestEnv, both, postgres_or_skip, server_bin};
use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

// ---------------------------------------------------------------------------------------------
// Requests and assertions
// ---------------------------------------------------------------------------------------------

/// The query every test sends: it needs a valid principal and nothing else.
const ME: &str = "{ me { agency subject } }";

/// The `X-Access-Purpose` of every request.
const PURPOSE: &str = "token tests";

/// One answer of `POST /graphql`, kept raw so tests can check what the body does not contain.
struct Reply {
    /// HTTP status.
    status: u16,
    /// The body as sent.
    text: String,
    /// The body parsed (`Null` if it was not JSON).
    json: Value,
}

impl Reply {
    fn new((status, text): (u16, String)) -> Reply {
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, text, json }
    }
}

/// POSTs [`ME`] to an in-process app with the given `Authorization` header value (or none).
async fn call(app: &TestApp, authorization: Option<&str>) -> Reply {
    Reply::new(
        app.post_raw(authorization, Some(PURPOSE), &json!({ "query": ME }))
            .await,
    )
}

/// POSTs [`ME`] with `Authorization: Bearer <token>` to an in-process app.
async fn bearer(app: &TestApp, token: &str) -> Reply {
    call(app, Some(&format!("Bearer {token}"))).await
}

/// Asserts the refusal every bad token gets, and that nothing of `token` comes back.
fn assert_unauthenticated(reply: &Reply, token: &str, what: &str) {
    assert_eq!(reply.status, 401, "{what}: status; body {}", reply.text);
    let errors = reply.json["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no errors array in {}", reply.text));
    assert!(!errors.is_empty(), "{what}: empty errors");
    for error in errors {
        assert_eq!(
            error["extensions"]["code"], "UNAUTHENTICATED",
            "{what}: {}",
            reply.text
        );
    }
    assert!(reply.json["data"].is_null(), "{what}: data {}", reply.text);
    assert_not_echoed(&reply.text, token, what);
}

/// Asserts `text` contains neither `token` nor any of its dot-separated parts of 8+ characters,
/// nor any decoded claim value of 8+ characters (a subject or jti must not leak either).
fn assert_not_echoed(text: &str, token: &str, what: &str) {
    if token.len() >= 8 {
        assert!(!text.contains(token), "{what}: the token is echoed");
    }
    for part in token.split('.').filter(|p| p.len() >= 8) {
        assert!(!text.contains(part), "{what}: a token part is echoed");
    }
    if let Some(Value::Object(claims)) = token.split('.').nth(1).and_then(decode_json) {
        for value in claims.values().filter_map(Value::as_str) {
            if value.len() >= 8 {
                assert!(!text.contains(value), "{what}: a claim value is echoed");
            }
        }
    }
}

/// Asserts a request was authenticated as `agency`/`subject` without errors.
fn assert_accepted(reply: &Reply, agency: &str, subject: &str, what: &str) {
    assert_eq!(reply.status, 200, "{what}: status; body {}", reply.text);
    assert!(
        reply.json.get("errors").is_none_or(Value::is_null),
        "{what}: errors in {}",
        reply.text
    );
    assert_eq!(
        reply.json["data"]["me"],
        json!({ "agency": agency, "subject": subject }),
        "{what}"
    );
}

// ---------------------------------------------------------------------------------------------
// Shaping tokens
// ---------------------------------------------------------------------------------------------

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid claims for `agency`'s dev issuer: 10 minutes of life, a fresh `jti`.
fn claims(agency: Agency, sub: &str) -> Value {
    let now = now();
    json!({
        "iss": keys::dev_issuer(agency),
        "sub": sub,
        "aud": "ctex",
        "iat": now,
        "exp": now + 600,
        "jti": uuid::Uuid::now_v7().to_string(),
        "agency": agency.code(),
    })
}

/// `claims` with `name` set to `value`.
fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

/// Signs `claims` (EdDSA) with `agency`'s dev private key under `dir`, header `kid` as given.
fn sign(dir: &Path, agency: Agency, kid: Option<&str>, claims: &Value) -> String {
    sign_with_pem_file(&keys::private_key_path(dir, agency), kid, claims)
}

/// Signs `claims` (EdDSA) with the PKCS#8 private key in `pem_path`.
fn sign_with_pem_file(pem_path: &Path, kid: Option<&str>, claims: &Value) -> String {
    let pem = std::fs::read(pem_path).expect("private key");
    keys::mint_with_key(&pem, Algorithm::EdDSA, kid, claims).expect("sign")
}

/// A compact JWS with the given header and claims, signed with HMAC-SHA256 under `secret`.
fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!("{}.{}", encode_json(header), encode_json(claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The claims of a token (its payload, decoded).
fn payload_of(token: &str) -> Value {
    token
        .split('.')
        .nth(1)
        .and_then(decode_json)
        .expect("a JSON payload")
}

/// `token` with its payload replaced by `claims`; header and signature kept.
fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS");
    format!("{}.{}.{}", parts[0], encode_json(claims), parts[2])
}

/// base64url (unpadded, RFC 4648 §5, as JWS uses) of `value`'s JSON.
fn encode_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

/// The JSON in an unpadded base64url segment; `None` if it is not one.
fn decode_json(part: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

// ---------------------------------------------------------------------------------------------
// Attacks on the in-process server, on SQLite and PostgreSQL
// ---------------------------------------------------------------------------------------------

both!(an_unsigned_alg_none_token_is_401, |app| async move {
    let dir = app.keys_dir();
    let claims = claims(Agency::Police, "forger-none");
    let signed = sign(&dir, Agency::Police, Some("police-dev-1"), &claims);
    assert_accepted(
        &bearer(&app, &signed).await,
        "POLICE",
        "forger-none",
        "control",
    );
    let real_signature = signed.rsplit('.').next().expect("signature");

    for (header, signature) in [
        (json!({ "alg": "none", "typ": "JWT" }), ""),
        (
            json!({ "alg": "none", "typ": "JWT", "kid": "police-dev-1" }),
            "",
        ),
        (json!({ "alg": "None", "typ": "JWT" }), ""),
        (json!({ "alg": "NONE", "typ": "JWT" }), ""),
        // A real signature left in place must not make `none` count as signed.
        (json!({ "alg": "none", "typ": "JWT" }), real_signature),
    ] {
        let token = format!(
            "{}.{}.{signature}",
            encode_json(&header),
            encode_json(&claims)
        );
        assert_unauthenticated(&bearer(&app, &token).await, &token, &header.to_string());
    }
});

both!(
    hs256_signed_with_the_police_public_key_is_401,
    |app| async move {
        let dir = app.keys_dir();
        let public_pem = std::fs::read(keys::public_key_path(&dir, Agency::Police)).expect("pub");
        let claims = claims(Agency::Police, "forger-hmac");
        let control = sign(&dir, Agency::Police, Some("police-dev-1"), &claims);
        assert_accepted(
            &bearer(&app, &control).await,
            "POLICE",
            "forger-hmac",
            "control",
        );

        let trimmed = String::from_utf8(public_pem.clone()).expect("utf-8");
        for (header, secret) in [
            (
                json!({ "alg": "HS256", "typ": "JWT", "kid": "police-dev-1" }),
                public_pem.as_slice(),
            ),
            // Without a kid the issuer's only key is selected: the classic confusion path.
            (
                json!({ "alg": "HS256", "typ": "JWT" }),
                public_pem.as_slice(),
            ),
            (
                json!({ "alg": "HS256", "typ": "JWT", "kid": "police-dev-1" }),
                trimmed.trim().as_bytes(),
            ),
        ] {
            let token = hs256(&header, &claims, secret);
            assert_unauthenticated(&bearer(&app, &token).await, &token, &header.to_string());
        }
    }
);

// The expiry and not-before tests rely on 30 s being inside the leeway and 600 s outside it.
const _: () = assert!(CLOCK_LEEWAY_SECS >= 30 && CLOCK_LEEWAY_SECS < 600);

both!(
    a_token_expired_beyond_the_leeway_is_401_within_it_200,
    |app| async move {
        let dir = app.keys_dir();
        let now = now();

        let late = with(
            claims(Agency::Police, "late-officer"),
            "iat",
            json!(now - 3600),
        );
        let within = sign(
            &dir,
            Agency::Police,
            None,
            &with(late.clone(), "exp", json!(now - 30)),
        );
        assert_accepted(
            &bearer(&app, &within).await,
            "POLICE",
            "late-officer",
            "30 s expired is within the leeway",
        );

        let expired = sign(
            &dir,
            Agency::Police,
            None,
            &with(late, "exp", json!(now - 600)),
        );
        assert_unauthenticated(&bearer(&app, &expired).await, &expired, "10 min expired");
    }
);

both!(a_token_not_valid_for_ten_minutes_is_401, |app| async move {
    let dir = app.keys_dir();
    let now = now();
    let base = claims(Agency::Police, "early-officer");

    let soon = sign(
        &dir,
        Agency::Police,
        None,
        &with(base.clone(), "nbf", json!(now + 30)),
    );
    assert_accepted(
        &bearer(&app, &soon).await,
        "POLICE",
        "early-officer",
        "nbf 30 s ahead is within the leeway",
    );

    let later = sign(
        &dir,
        Agency::Police,
        None,
        &with(base.clone(), "nbf", json!(now + 600)),
    );
    assert_unauthenticated(&bearer(&app, &later).await, &later, "nbf 10 min ahead");

    let issued_later = with(
        with(base, "iat", json!(now + 600)),
        "exp",
        json!(now + 1200),
    );
    let issued_later = sign(&dir, Agency::Police, None, &issued_later);
    assert_unauthenticated(
        &bearer(&app, &issued_later).await,
        &issued_later,
        "iat 10 min ahead",
    );
});

both!(a_token_for_another_audience_is_401, |app| async move {
    let dir = app.keys_dir();
    let base = claims(Agency::Police, "aud-officer");
    let listed = sign(
        &dir,
        Agency::Police,
        None,
        &with(base.clone(), "aud", json!(["case-portal", "ctex"])),
    );
    assert_accepted(
        &bearer(&app, &listed).await,
        "POLICE",
        "aud-officer",
        "ctex among audiences",
    );

    for aud in [
        json!("case-portal"),
        json!(["case-portal", "visa-system"]),
        json!("CTEX"),
        json!("ctex "),
        json!([]),
    ] {
        let token = sign(
            &dir,
            Agency::Police,
            None,
            &with(base.clone(), "aud", aud.clone()),
        );
        assert_unauthenticated(&bearer(&app, &token).await, &token, &format!("aud {aud}"));
    }
});

both!(a_token_from_an_unknown_issuer_is_401, |app| async move {
    let dir = app.keys_dir();
    let base = claims(Agency::Police, "iss-officer");
    for iss in [
        "ctex-dev:interpol",
        "ctex-dev:Police",
        "ctex-dev:police ",
        "",
    ] {
        let token = sign(
            &dir,
            Agency::Police,
            Some("police-dev-1"),
            &with(base.clone(), "iss", json!(iss)),
        );
        assert_unauthenticated(&bearer(&app, &token).await, &token, &format!("iss {iss:?}"));
    }
    let no_iss = {
        let mut c = base.clone();
        c.as_object_mut().expect("object").remove("iss");
        sign(&dir, Agency::Police, Some("police-dev-1"), &c)
    };
    assert_unauthenticated(&bearer(&app, &no_iss).await, &no_iss, "no iss");
    let control = sign(&dir, Agency::Police, Some("police-dev-1"), &base);
    assert_accepted(
        &bearer(&app, &control).await,
        "POLICE",
        "iss-officer",
        "control",
    );
});

both!(
    the_border_guard_key_cannot_speak_for_the_police,
    |app| async move {
        let dir = app.keys_dir();
        let own = claims(Agency::BorderGuard, "bg-officer");
        let control = sign(&dir, Agency::BorderGuard, Some("border_guard-dev-1"), &own);
        assert_accepted(
            &bearer(&app, &control).await,
            "BORDER_GUARD",
            "bg-officer",
            "the border guard as itself",
        );

        let claims_police = with(own.clone(), "agency", json!("police"));
        let as_police_iss = with(
            claims_police.clone(),
            "iss",
            json!(keys::dev_issuer(Agency::Police)),
        );
        for (kid, claims, what) in [
            (
                Some("border_guard-dev-1"),
                &claims_police,
                "own iss, agency police",
            ),
            (
                Some("border_guard-dev-1"),
                &as_police_iss,
                "police iss, own kid",
            ),
            (Some("police-dev-1"), &as_police_iss, "police iss and kid"),
            (None, &as_police_iss, "police iss, no kid"),
        ] {
            let token = sign(&dir, Agency::BorderGuard, kid, claims);
            assert_unauthenticated(&bearer(&app, &token).await, &token, what);
        }
    }
);

both!(a_token_with_an_unknown_kid_is_401, |app| async move {
    let dir = app.keys_dir();
    let claims = claims(Agency::Police, "kid-officer");
    for kid in ["police-dev-9", "border_guard-dev-1", "POLICE-DEV-1", ""] {
        let token = sign(&dir, Agency::Police, Some(kid), &claims);
        assert_unauthenticated(&bearer(&app, &token).await, &token, &format!("kid {kid:?}"));
    }
    let control = sign(&dir, Agency::Police, Some("police-dev-1"), &claims);
    assert_accepted(
        &bearer(&app, &control).await,
        "POLICE",
        "kid-officer",
        "control",
    );
});

both!(a_payload_edited_after_signing_is_401, |app| async move {
    let token = app.token(Agency::Police, "officer-1");
    let claims = payload_of(&token);
    let resealed = with_payload(&token, &claims);
    assert_eq!(resealed, token, "re-encoding an unedited payload is exact");
    assert_accepted(
        &bearer(&app, &token).await,
        "POLICE",
        "officer-1",
        "control",
    );

    for (name, value) in [
        ("sub", json!("officer-2")),
        ("agency", json!("court")),
        ("exp", json!(claims["exp"].as_i64().expect("exp") + 86_400)),
        ("jurisdiction", json!(["01"])),
        ("scope", json!("ctex:admin")),
    ] {
        let edited = with_payload(&token, &with(claims.clone(), name, value));
        assert_unauthenticated(
            &bearer(&app, &edited).await,
            &edited,
            &format!("edited {name}"),
        );
    }
});

both!(a_20_kb_token_is_401, |app| async move {
    let dir = app.keys_dir();
    let padded = |bytes: usize| {
        let c = with(
            claims(Agency::Police, "big-officer"),
            "pad",
            json!("x".repeat(bytes)),
        );
        sign(&dir, Agency::Police, None, &c)
    };
    let under = padded(MAX_TOKEN_BYTES / 2);
    assert!(under.len() < MAX_TOKEN_BYTES);
    assert_accepted(
        &bearer(&app, &under).await,
        "POLICE",
        "big-officer",
        "a padded token under the limit",
    );

    let huge = padded(16_000);
    assert!(huge.len() >= 20 * 1024, "{} bytes", huge.len());
    assert_unauthenticated(&bearer(&app, &huge).await, &huge, "20 KB token");
});

both!(
    basic_auth_an_empty_bearer_and_a_fourth_segment_are_401,
    |app| async move {
        let token = app.token(Agency::Police, "officer-1");
        assert_accepted(
            &bearer(&app, &token).await,
            "POLICE",
            "officer-1",
            "control",
        );

        for (header, what) in [
            (
                "Basic cG9saWNlOm9mZmljZXItMQ==".to_string(),
                "basic user:password",
            ),
            (format!("Basic {token}"), "a valid token under Basic"),
            (format!("Token {token}"), "another scheme"),
            (format!("Bearer{token}"), "no space after Bearer"),
            ("Bearer".to_string(), "Bearer alone"),
            ("Bearer ".to_string(), "an empty bearer"),
            ("Bearer    ".to_string(), "a blank bearer"),
            (
                format!("Bearer {token}.Z2FyYmFnZQ"),
                "a trailing garbage segment",
            ),
            (format!("Bearer {token}."), "a trailing empty segment"),
            (
                format!("Bearer {token}garbage"),
                "garbage after the signature",
            ),
            (format!("Bearer {token} {token}"), "two tokens"),
        ] {
            let reply = call(&app, Some(&header)).await;
            assert_unauthenticated(&reply, &token, what);
        }
        let reply = call(&app, None).await;
        assert_unauthenticated(&reply, &token, "no Authorization header");
    }
);

both!(
    a_trust_reload_revokes_at_once_and_a_broken_file_changes_nothing,
    |app| async move {
        let dir = app.keys_dir();
        let trust = keys::trust_file_path(&dir);
        let revoked_claims = claims(Agency::Police, "reload-revoked");
        let revoked = sign(&dir, Agency::Police, None, &revoked_claims);
        let other = sign(
            &dir,
            Agency::Police,
            None,
            &claims(Agency::Police, "reload-other"),
        );
        assert_accepted(
            &bearer(&app, &revoked).await,
            "POLICE",
            "reload-revoked",
            "control: before the reload",
        );

        let original = std::fs::read_to_string(&trust).expect("trust");
        let listed = format!(
            "{original}\n[revoked]\njti = [\"{}\"]\n",
            revoked_claims["jti"].as_str().expect("jti")
        );
        write_trust(&trust, &listed);
        app.reload_trust().expect("the edited trust file loads");
        assert_unauthenticated(
            &bearer(&app, &revoked).await,
            &revoked,
            "revoked by a reload",
        );
        assert_accepted(
            &bearer(&app, &other).await,
            "POLICE",
            "reload-other",
            "control: others pass",
        );

        write_trust(&trust, "[[issuer]\nthis is not a trust file");
        assert!(
            app.reload_trust().is_err(),
            "a broken trust file is refused"
        );
        assert_unauthenticated(
            &bearer(&app, &revoked).await,
            &revoked,
            "still revoked after a failed reload",
        );
        assert_accepted(
            &bearer(&app, &other).await,
            "POLICE",
            "reload-other",
            "others still pass after a failed reload",
        );
    }
);

// ---------------------------------------------------------------------------------------------
// The server as a process: revocation and key rotation through SIGHUP
// ---------------------------------------------------------------------------------------------

/// How long a reload may take to show.
const RELOAD_WAIT: Duration = Duration::from_secs(10);

/// POSTs [`ME`] with `Authorization: Bearer <token>` to a server process.
async fn bearer_to(server: &ServerProcess, token: &str) -> Reply {
    Reply::new(
        server
            .post_raw(
                Some(&format!("Bearer {token}")),
                Some(PURPOSE),
                &json!({ "query": ME }),
            )
            .await,
    )
}

/// Polls (at most [`RELOAD_WAIT`]) until `token` gets `status`; returns the last reply.
async fn until_status(server: &ServerProcess, token: &str, status: u16) -> Reply {
    let start = Instant::now();
    loop {
        let reply = bearer_to(server, token).await;
        if reply.status == status || start.elapsed() > RELOAD_WAIT {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asserts no log line contains any of `tokens` or their signature and payload parts.
fn assert_logs_never_hold(server: &ServerProcess, tokens: &[&str]) {
    let logs = server.log_lines();
    for token in tokens {
        for part in token.split('.').skip(1).chain([*token]) {
            assert!(
                !logs.iter().any(|l| l.contains(part)),
                "a token part is logged"
            );
        }
    }
}

/// SIGTERM; asserts a clean exit.
async fn stop(mut server: ServerProcess) {
    let exit = server.terminate().await;
    assert!(exit.success(), "graceful exit, got {exit:?}");
}

/// Writes the trust file through a rename, so a reload never sees half a file.
fn write_trust(path: &Path, text: &str) {
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).expect("write trust");
    std::fs::rename(&tmp, path).expect("rename trust");
}

/// `text` with its one occurrence of `from` replaced by `to`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} once in {text}");
    text.replacen(from, to, 1)
}

/// The dev trust file's police key line.
const POLICE_KEYS: &str = r#"keys = [ { kid = "police-dev-1", pem = "keys/police.pub.pem" } ]"#;

async fn revoked_jtis_are_refused_at_start_and_after_sighup(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let dir = env.keys_dir();
    let revoked_claims = claims(Agency::Police, "revoked-officer");
    let revoked = sign(dir, Agency::Police, None, &revoked_claims);
    let original = std::fs::read_to_string(env.trust_path()).expect("trust");
    // The dev trust file only mentions `[revoked]` in a comment: this adds the real table.
    let listed = format!(
        "{original}\n[revoked]\njti = [\"{}\"]\n",
        revoked_claims["jti"].as_str().expect("jti")
    );
    write_trust(&env.trust_path(), &listed);
    let mut server = env.start_server(server_bin!());

    // Listed when the server started.
    assert_unauthenticated(
        &bearer_to(&server, &revoked).await,
        &revoked,
        "revoked at start",
    );
    let live_claims = claims(Agency::Police, "live-officer");
    let live = sign(dir, Agency::Police, None, &live_claims);
    assert_accepted(
        &bearer_to(&server, &live).await,
        "POLICE",
        "live-officer",
        "not revoked",
    );

    // Revoked while the server runs: a reload, no restart.
    let (revoked_jti, live_jti) = (
        revoked_claims["jti"].as_str().expect("jti"),
        live_claims["jti"].as_str().expect("jti"),
    );
    let both_listed = replace_once(
        &listed,
        &format!("jti = [\"{revoked_jti}\"]"),
        &format!("jti = [\"{revoked_jti}\", \"{live_jti}\"]"),
    );
    write_trust(&env.trust_path(), &both_listed);
    server.signal("HUP");
    let reply = until_status(&server, &live, 401).await;
    assert_unauthenticated(&reply, &live, "revoked by SIGHUP");
    server.assert_running();
    assert_unauthenticated(
        &bearer_to(&server, &revoked).await,
        &revoked,
        "still revoked",
    );
    let other = sign(
        dir,
        Agency::Police,
        None,
        &claims(Agency::Police, "other-officer"),
    );
    assert_accepted(
        &bearer_to(&server, &other).await,
        "POLICE",
        "other-officer",
        "others pass",
    );

    assert_logs_never_hold(&server, &[&revoked, &live, &other]);
    stop(server).await;
}

async fn keys_rotate_with_sighup_without_a_restart(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let dir = env.keys_dir();
    let mut server = env.start_server(server_bin!());
    let old = keys::mint(
        dir,
        &keys::TokenSpec::new(Agency::Police, "old-key-officer"),
    )
    .expect("mint");
    assert_accepted(
        &bearer_to(&server, &old).await,
        "POLICE",
        "old-key-officer",
        "old key",
    );

    // A second police key pair, made the way an operator would (`keys init` elsewhere).
    let other = tempfile::tempdir().expect("dir");
    keys::init(other.path()).expect("second keys");
    std::fs::copy(
        keys::public_key_path(other.path(), Agency::Police),
        dir.join("keys").join("police-2.pub.pem"),
    )
    .expect("copy new public key");
    let new_private = keys::private_key_path(other.path(), Agency::Police);
    let new = sign_with_pem_file(
        &new_private,
        Some("police-dev-2"),
        &claims(Agency::Police, "new-key-officer"),
    );
    assert_unauthenticated(
        &bearer_to(&server, &new).await,
        &new,
        "new key before the reload",
    );

    // 1. Add the new key next to the old one.
    let original = std::fs::read_to_string(env.trust_path()).expect("trust");
    let both_keys = replace_once(
        &original,
        POLICE_KEYS,
        r#"keys = [ { kid = "police-dev-1", pem = "keys/police.pub.pem" }, { kid = "police-dev-2", pem = "keys/police-2.pub.pem" } ]"#,
    );
    write_trust(&env.trust_path(), &both_keys);
    server.signal("HUP");
    let reply = until_status(&server, &new, 200).await;
    assert_accepted(
        &reply,
        "POLICE",
        "new-key-officer",
        "new key after the reload",
    );
    server.assert_running();
    assert_accepted(
        &bearer_to(&server, &old).await,
        "POLICE",
        "old-key-officer",
        "both keys",
    );
    server
        .wait_for_log_count("trust file reloaded", 1, RELOAD_WAIT)
        .await;

    // 2. Retire the old key.
    let new_only = replace_once(
        &original,
        POLICE_KEYS,
        r#"keys = [ { kid = "police-dev-2", pem = "keys/police-2.pub.pem" } ]"#,
    );
    write_trust(&env.trust_path(), &new_only);
    server.signal("HUP");
    let reply = until_status(&server, &old, 401).await;
    assert_unauthenticated(&reply, &old, "old key after it was removed");
    assert_accepted(
        &bearer_to(&server, &new).await,
        "POLICE",
        "new-key-officer",
        "new key",
    );
    let old_key_new_kid = sign(
        dir,
        Agency::Police,
        Some("police-dev-2"),
        &claims(Agency::Police, "old-key-officer"),
    );
    assert_unauthenticated(
        &bearer_to(&server, &old_key_new_kid).await,
        &old_key_new_kid,
        "old key under the new kid",
    );
    server
        .wait_for_log_count("trust file reloaded", 2, RELOAD_WAIT)
        .await;

    // 3. A broken trust file is refused on reload; the previous one stays in force.
    write_trust(&env.trust_path(), "[[issuer]\nthis is not a trust file");
    server.signal("HUP");
    server
        .wait_for_log_count("trust file reload failed", 1, RELOAD_WAIT)
        .await;
    server.assert_running();
    assert_accepted(
        &bearer_to(&server, &new).await,
        "POLICE",
        "new-key-officer",
        "new key after a failed reload",
    );
    assert_unauthenticated(
        &bearer_to(&server, &old).await,
        &old,
        "old key after a failed reload",
    );
    assert_eq!(
        server.log_count("trust file reloaded"),
        2,
        "no reload counted"
    );

    assert_logs_never_hold(&server, &[&old, &new, &old_key_new_kid]);
    stop(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_jtis_are_refused_at_start_and_after_sighup_sqlite() {
    revoked_jtis_are_refused_at_start_and_after_sighup(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_jtis_are_refused_at_start_and_after_sighup_postgres() {
    if !postgres_or_skip() {
        return;
    }
    revoked_jtis_are_refused_at_start_and_after_sighup(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_with_sighup_without_a_restart_sqlite() {
    keys_rotate_with_sighup_without_a_restart(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_with_sighup_without_a_restart_postgres() {
    if !postgres_or_skip() {
        return;
    }
    keys_rotate_with_sighup_without_a_restart(Backend::Postgres).await;
}
