//! Token attacks from the outside (DESIGN §3.3): forged, edited, expired, untrusted, revoked
//! and oversized bearer tokens sent over HTTP to the running server, and key rotation and
//! revocation through a trust-file reload on SIGHUP.
//!
//! Every refusal must be HTTP 401 with `extensions.code == "UNAUTHENTICATED"`, `data` null and
//! a body that never repeats the token. Each attack is paired with a control (the same claims,
//! key and request with the one defect removed) that must succeed, so a test cannot pass
//! because the token was broken in some other way.
//!
//! Tokens are shaped here by hand: asymmetric signatures through `keys::mint_with_key`, the
//! HS256 forgery with a local HMAC-SHA256 (the tests crate has no `sha2`/`hmac` dependency and
//! must not lean on the server's own HMAC path to build the attack on it), base64url likewise.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use ctex_tests::ctex::auth::keys::{self, Algorithm};
use ctex_tests::ctex::auth::{CLOCK_LEEWAY_SECS, MAX_TOKEN_BYTES};
use ctex_tests::ctex::domain::Agency;
use ctex_tests::{Backend, TestApp, TestDb, both, postgres_admin_url};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Requests and assertions
// ---------------------------------------------------------------------------------------------

/// The query every test sends: it needs a valid principal and nothing else.
const ME: &str = "{ me { agency subject } }";

/// One answer of `POST /graphql`, kept raw so tests can check what the body does not contain.
struct Reply {
    /// HTTP status.
    status: u16,
    /// The body as sent.
    text: String,
    /// The body parsed (`Null` if it was not JSON).
    json: Value,
}

/// POSTs [`ME`] with the given `Authorization` header value (or none).
async fn call(http: &reqwest::Client, base: &str, authorization: Option<&str>) -> Reply {
    let mut req = http
        .post(format!("{base}/graphql"))
        .header("x-access-purpose", "token tests")
        .json(&json!({ "query": ME }));
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, text, json }
}

/// POSTs [`ME`] with `Authorization: Bearer <token>` to an in-process app.
async fn bearer(app: &TestApp, token: &str) -> Reply {
    call(&app.http, &app.base, Some(&format!("Bearer {token}"))).await
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
    let mac = hmac_sha256(secret, input.as_bytes());
    format!("{input}.{}", b64url_encode(&mac))
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

fn encode_json(value: &Value) -> String {
    b64url_encode(&serde_json::to_vec(value).expect("json"))
}

fn decode_json(part: &str) -> Option<Value> {
    serde_json::from_slice(&b64url_decode(part)?).ok()
}

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5), as JWS uses.
fn b64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(B64URL[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes unpadded base64url; `None` on any other character.
fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64URL.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block
        .iter()
        .map(|b| b ^ 0x36)
        .chain(message.iter().copied())
        .collect();
    let outer: Vec<u8> = block
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(sha256(&inner))
        .collect();
    sha256(&outer)
}

/// SHA-256 (FIPS 180-4), enough for the HS256 forgery.
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for (k, wi) in K.iter().zip(w) {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(*k)
                .wrapping_add(wi);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let t2 = s0.wrapping_add((a & b) ^ (a & c) ^ (b & c));
            (hh, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
        }
        for (state, add) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(add);
        }
    }
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(h) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_local_hmac_sha256_and_base64url_match_their_standards() {
    // FIPS 180-4 "abc"; RFC 4231 test cases 2 (short key) and 6 (key longer than a block,
    // the path a PEM secret takes).
    assert_eq!(
        hex(&sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        hex(&hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        )),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    );
    assert_eq!(b64url_encode(b"\xfb\xff"), "-_8");
    assert_eq!(b64url_encode(b"ctex"), "Y3RleA");
    for len in 0..10 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 200) as u8).collect();
        assert_eq!(b64url_decode(&b64url_encode(&bytes)), Some(bytes));
    }
    assert_eq!(b64url_decode("a+b"), None);
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
            let reply = call(&app.http, &app.base, Some(&header)).await;
            assert_unauthenticated(&reply, &token, what);
        }
        let reply = call(&app.http, &app.base, None).await;
        assert_unauthenticated(&reply, &token, "no Authorization header");
    }
);

// ---------------------------------------------------------------------------------------------
// The server as a process: revocation and key rotation through SIGHUP
// ---------------------------------------------------------------------------------------------

/// How long a reload may take to show.
const RELOAD_WAIT: Duration = Duration::from_secs(10);

/// `ctex-under-test serve` as a child process whose log lines are kept for assertions. Killed
/// (SIGKILL to this child only) when dropped, so a failing test leaves nothing running.
struct ServerProcess {
    child: Child,
    base: String,
    logs: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

impl ServerProcess {
    /// Starts the server on a free port with `trust` and waits until it listens.
    fn start(db_url: &str, trust: &Path) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ctex-under-test"))
            .args(["--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
            .env("CTEX_DATABASE_URL", db_url)
            .env("CTEX_TRUST", trust)
            .env("CTEX_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("server starts");
        let stderr = child.stderr.take().expect("stderr");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("ctex listening")
                    && let Ok(v) = serde_json::from_str::<Value>(&line)
                    && let Some(addr) = v["addr"].as_str()
                {
                    let _ = tx.send(addr.to_string());
                }
                sink.lock().expect("logs").push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("server did not listen: {:?}", logs.lock().expect("logs"))
            });
        ServerProcess {
            child,
            base: format!("http://{addr}"),
            logs,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    /// Sends `ME` with a bearer token.
    async fn bearer(&self, token: &str) -> Reply {
        call(&self.http, &self.base, Some(&format!("Bearer {token}"))).await
    }

    /// Polls (at most [`RELOAD_WAIT`]) until `token` gets `status`; returns the last reply.
    async fn until_status(&self, token: &str, status: u16) -> Reply {
        let start = Instant::now();
        loop {
            let reply = self.bearer(token).await;
            if reply.status == status || start.elapsed() > RELOAD_WAIT {
                return reply;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGHUP (reload the trust file) to this child.
    fn hangup(&mut self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGHUP sent");
    }

    /// How many log lines contain `needle`.
    fn log_count(&self, needle: &str) -> usize {
        let logs = self.logs.lock().expect("logs");
        logs.iter().filter(|l| l.contains(needle)).count()
    }

    /// Waits (at most [`RELOAD_WAIT`]) until `needle` has been logged `count` times.
    async fn wait_for_log(&self, needle: &str, count: usize) {
        let start = Instant::now();
        while self.log_count(needle) < count {
            assert!(
                start.elapsed() < RELOAD_WAIT,
                "no {count}× {needle:?} in the log: {:?}",
                self.logs.lock().expect("logs")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asserts the process is still running.
    fn assert_running(&mut self) {
        assert!(
            self.child.try_wait().expect("try_wait").is_none(),
            "the server exited"
        );
    }

    /// Asserts no log line contains any of `tokens` or their signature and payload parts.
    fn assert_logs_never_hold(&self, tokens: &[&str]) {
        let logs = self.logs.lock().expect("logs");
        for token in tokens {
            for part in token.split('.').skip(1).chain([*token]) {
                assert!(
                    !logs.iter().any(|l| l.contains(part)),
                    "a token part is logged"
                );
            }
        }
    }

    /// SIGTERM, then waits for a clean exit.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = self.child.wait().expect("server exits");
        assert!(exit.success(), "graceful exit, got {exit:?}");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
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

/// Keys, trust file and database for one process test.
struct Setup {
    /// The database; declared first so it is dropped before the folder holding it.
    db: TestDb,
    /// Dev keys and trust file (and the SQLite file).
    dir: tempfile::TempDir,
}

impl Setup {
    async fn new(backend: Backend) -> Setup {
        let dir = tempfile::tempdir().expect("dir");
        keys::init(dir.path()).expect("keys");
        let db = TestDb::create(backend, dir.path()).await.expect("db");
        Setup { db, dir }
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn trust(&self) -> PathBuf {
        keys::trust_file_path(self.dir())
    }
}

async fn revoked_jtis_are_refused_at_start_and_after_sighup(backend: Backend) {
    let setup = Setup::new(backend).await;
    let dir = setup.dir();
    let revoked_claims = claims(Agency::Police, "revoked-officer");
    let revoked = sign(dir, Agency::Police, None, &revoked_claims);
    let original = std::fs::read_to_string(setup.trust()).expect("trust");
    // The dev trust file only mentions `[revoked]` in a comment: this adds the real table.
    let listed = format!(
        "{original}\n[revoked]\njti = [\"{}\"]\n",
        revoked_claims["jti"].as_str().expect("jti")
    );
    write_trust(&setup.trust(), &listed);
    let mut server = ServerProcess::start(&setup.db.url, &setup.trust());

    // Listed when the server started.
    assert_unauthenticated(&server.bearer(&revoked).await, &revoked, "revoked at start");
    let live_claims = claims(Agency::Police, "live-officer");
    let live = sign(dir, Agency::Police, None, &live_claims);
    assert_accepted(
        &server.bearer(&live).await,
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
    write_trust(&setup.trust(), &both_listed);
    server.hangup();
    let reply = server.until_status(&live, 401).await;
    assert_unauthenticated(&reply, &live, "revoked by SIGHUP");
    server.assert_running();
    assert_unauthenticated(&server.bearer(&revoked).await, &revoked, "still revoked");
    let other = sign(
        dir,
        Agency::Police,
        None,
        &claims(Agency::Police, "other-officer"),
    );
    assert_accepted(
        &server.bearer(&other).await,
        "POLICE",
        "other-officer",
        "others pass",
    );

    server.assert_logs_never_hold(&[&revoked, &live, &other]);
    server.stop();
}

async fn keys_rotate_with_sighup_without_a_restart(backend: Backend) {
    let setup = Setup::new(backend).await;
    let dir = setup.dir();
    let mut server = ServerProcess::start(&setup.db.url, &setup.trust());
    let old = keys::mint(
        dir,
        &keys::TokenSpec::new(Agency::Police, "old-key-officer"),
    )
    .expect("mint");
    assert_accepted(
        &server.bearer(&old).await,
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
        &server.bearer(&new).await,
        &new,
        "new key before the reload",
    );

    // 1. Add the new key next to the old one.
    let original = std::fs::read_to_string(setup.trust()).expect("trust");
    let both_keys = replace_once(
        &original,
        POLICE_KEYS,
        r#"keys = [ { kid = "police-dev-1", pem = "keys/police.pub.pem" }, { kid = "police-dev-2", pem = "keys/police-2.pub.pem" } ]"#,
    );
    write_trust(&setup.trust(), &both_keys);
    server.hangup();
    let reply = server.until_status(&new, 200).await;
    assert_accepted(
        &reply,
        "POLICE",
        "new-key-officer",
        "new key after the reload",
    );
    server.assert_running();
    assert_accepted(
        &server.bearer(&old).await,
        "POLICE",
        "old-key-officer",
        "both keys",
    );
    server.wait_for_log("trust file reloaded", 1).await;

    // 2. Retire the old key.
    let new_only = replace_once(
        &original,
        POLICE_KEYS,
        r#"keys = [ { kid = "police-dev-2", pem = "keys/police-2.pub.pem" } ]"#,
    );
    write_trust(&setup.trust(), &new_only);
    server.hangup();
    let reply = server.until_status(&old, 401).await;
    assert_unauthenticated(&reply, &old, "old key after it was removed");
    assert_accepted(
        &server.bearer(&new).await,
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
        &server.bearer(&old_key_new_kid).await,
        &old_key_new_kid,
        "old key under the new kid",
    );
    server.wait_for_log("trust file reloaded", 2).await;

    // 3. A broken trust file is refused on reload; the previous one stays in force.
    write_trust(&setup.trust(), "[[issuer]\nthis is not a trust file");
    server.hangup();
    server.wait_for_log("trust file reload failed", 1).await;
    server.assert_running();
    assert_accepted(
        &server.bearer(&new).await,
        "POLICE",
        "new-key-officer",
        "new key after a failed reload",
    );
    assert_unauthenticated(
        &server.bearer(&old).await,
        &old,
        "old key after a failed reload",
    );
    assert_eq!(
        server.log_count("trust file reloaded"),
        2,
        "no reload counted"
    );

    server.assert_logs_never_hold(&[&old, &new, &old_key_new_kid]);
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_jtis_are_refused_at_start_and_after_sighup_sqlite() {
    revoked_jtis_are_refused_at_start_and_after_sighup(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_jtis_are_refused_at_start_and_after_sighup_postgres() {
    if postgres_admin_url().is_none() {
        eprintln!("CTEX_TEST_DATABASE_URL not set: PostgreSQL half not run");
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
    if postgres_admin_url().is_none() {
        eprintln!("CTEX_TEST_DATABASE_URL not set: PostgreSQL half not run");
        return;
    }
    keys_rotate_with_sighup_without_a_restart(Backend::Postgres).await;
}
