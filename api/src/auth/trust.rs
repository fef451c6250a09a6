//! The trust file and token verification (DESIGN §3.3).
//!
//! [`TrustStore::load`] reads the trust file (format in the [module docs](super)), checks every
//! issuer and parses every public key once, pinning each key to one algorithm.
//! [`TrustStore::verify`] then checks a bearer token against it and returns its [`Claims`].
//!
//! This module must never trust anything in a token before its signature has been checked
//! with a key chosen from the trust file: the unverified `iss` and `kid` only *select* a key.
//! It must never accept `alg: none` or HMAC, never use a key carried in the token, and never
//! echo token content in an error or a log line ([`Rejection`] carries static text only).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::domain::Agency;

use super::cache::TokenCache;
use super::claims::{Claims, required_str};
use super::public_key::{JwksProblem, KeyAlg, TrustedKey, parse_jwks};
use super::{AUDIENCE, CLOCK_LEEWAY_SECS, MAX_TOKEN_BYTES};

/// The issuers ctex trusts, their keys and the revoked token ids, loaded from the trust file.
///
/// Cheap to share behind an `Arc`; reload by loading a new store and swapping it in.
#[derive(Clone, Debug)]
pub struct TrustStore {
    /// Trusted issuers by their exact `iss`.
    issuers: HashMap<String, Issuer>,
    /// `jti`s refused even when otherwise valid.
    revoked: HashSet<String>,
    /// Tokens this store verified, until they expire (see `cache.rs`); a reload builds a new
    /// store, so a new, empty cache.
    cache: TokenCache,
}

/// Why a token was refused.
///
/// Callers get a plain `UNAUTHENTICATED`; the variant is for logs and metrics, through
/// [`Rejection::reason`]. Messages are static: they never contain token content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The token is longer than [`MAX_TOKEN_BYTES`]; it was not parsed.
    #[error("token is too large")]
    TooLarge,
    /// The token is not three base64url parts with a JSON object header and payload, or its
    /// header is unusable (no `alg`, a non-string `kid`, a `crit` extension).
    #[error("token is malformed")]
    Malformed,
    /// The header's `alg` is `none`, HMAC, not allowed for the issuer, or not the algorithm
    /// of the key its `kid` selects.
    #[error("token algorithm is not allowed")]
    AlgNotAllowed,
    /// No issuer in the trust file has the token's `iss`.
    #[error("token issuer is not trusted")]
    UnknownIssuer,
    /// The issuer has no key with the token's `kid` (or the token has no `kid` and the issuer
    /// has several keys).
    #[error("token key id is not known for its issuer")]
    UnknownKid,
    /// The signature does not verify with the selected key (forged or edited token).
    #[error("token signature is invalid")]
    BadSignature,
    /// `exp` is more than the leeway in the past.
    #[error("token has expired")]
    Expired,
    /// `nbf` or `iat` is more than the leeway in the future.
    #[error("token is not valid yet")]
    NotYetValid,
    /// `aud` does not contain `ctex`.
    #[error("token is not meant for ctex")]
    WrongAudience,
    /// The `agency` claim is not the agency the issuer may speak for.
    #[error("token agency does not match its issuer")]
    AgencyMismatch,
    /// The `jti` is listed as revoked in the trust file.
    #[error("token has been revoked")]
    Revoked,
    /// A required claim (named) is absent or null.
    #[error("token lacks the required claim `{0}`")]
    MissingClaim(&'static str),
    /// A claim (named) has the wrong type or an invalid value.
    #[error("token claim `{0}` is invalid")]
    BadClaim(&'static str),
}

impl Rejection {
    /// A stable snake_case code for logs and metrics (`expired`, `bad_signature` ...).
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::TooLarge => "too_large",
            Rejection::Malformed => "malformed",
            Rejection::AlgNotAllowed => "alg_not_allowed",
            Rejection::UnknownIssuer => "unknown_issuer",
            Rejection::UnknownKid => "unknown_kid",
            Rejection::BadSignature => "bad_signature",
            Rejection::Expired => "expired",
            Rejection::NotYetValid => "not_yet_valid",
            Rejection::WrongAudience => "wrong_audience",
            Rejection::AgencyMismatch => "agency_mismatch",
            Rejection::Revoked => "revoked",
            Rejection::MissingClaim(_) => "missing_claim",
            Rejection::BadClaim(_) => "bad_claim",
        }
    }
}

/// Why the trust file could not be loaded. Each issuer-level error names the issuer.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The trust file itself cannot be read.
    #[error("cannot read trust file {path}: {source}")]
    Read {
        /// The trust file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The trust file is not valid TOML or does not have the documented shape.
    #[error("trust file {path} is invalid: {source}")]
    Parse {
        /// The trust file.
        path: PathBuf,
        /// The TOML error (position and expected shape).
        source: Box<toml::de::Error>,
    },
    /// The trust file lists no `[[issuer]]`, so no token could ever be accepted.
    #[error("trust file {path} lists no [[issuer]]")]
    NoIssuers {
        /// The trust file.
        path: PathBuf,
    },
    /// An issuer's `iss` is empty.
    #[error("issuer number {number} has an empty `iss`")]
    EmptyIss {
        /// 1-based position of the issuer in the file.
        number: usize,
    },
    /// Two issuers have the same `iss`.
    #[error("issuer `{iss}` is listed more than once")]
    DuplicateIssuer {
        /// The repeated issuer.
        iss: String,
    },
    /// An issuer's `agency` is not one of the agency codes of DESIGN §1.
    #[error(
        "issuer `{iss}`: unknown agency `{agency}` (expected one of {expected})",
        expected = agency_codes()
    )]
    UnknownAgency {
        /// The issuer.
        iss: String,
        /// The unknown agency code.
        agency: String,
    },
    /// An issuer allows `none` or an HMAC algorithm.
    #[error("issuer `{iss}`: algorithm `{alg}` is forbidden (never `none`, never HMAC)")]
    ForbiddenAlgorithm {
        /// The issuer.
        iss: String,
        /// The forbidden algorithm.
        alg: String,
    },
    /// An issuer allows an algorithm ctex does not support.
    #[error("issuer `{iss}`: algorithm `{alg}` is not supported (use EdDSA, ES256 or RS256)")]
    UnsupportedAlgorithm {
        /// The issuer.
        iss: String,
        /// The unsupported algorithm.
        alg: String,
    },
    /// An issuer's `algorithms` list is empty.
    #[error("issuer `{iss}`: `algorithms` is empty")]
    NoAlgorithms {
        /// The issuer.
        iss: String,
    },
    /// An issuer has neither `keys` nor a `jwks` file with keys.
    #[error("issuer `{iss}`: no keys (give `keys` or `jwks`)")]
    NoKeys {
        /// The issuer.
        iss: String,
    },
    /// A key or JWKS file cannot be read (missing, unreadable).
    #[error("issuer `{iss}`: cannot read key file {path}: {source}")]
    KeyFile {
        /// The issuer.
        iss: String,
        /// The key or JWKS file, resolved against the trust file's folder.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A JWKS file is not a JSON Web Key Set.
    #[error("issuer `{iss}`: JWKS file {path} is invalid: {problem}")]
    Jwks {
        /// The issuer.
        iss: String,
        /// The JWKS file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A key cannot be used (not a public key, unsupported type or curve, too small ...).
    #[error("issuer `{iss}`: key `{kid}` is unusable: {problem}")]
    BadKey {
        /// The issuer.
        iss: String,
        /// The key id.
        kid: String,
        /// What is wrong.
        problem: String,
    },
    /// A key's type does not match any algorithm the issuer allows.
    #[error("issuer `{iss}`: key `{kid}` is a {key_alg} key but the issuer allows only {allowed}")]
    KeyAlgorithmMismatch {
        /// The issuer.
        iss: String,
        /// The key id.
        kid: String,
        /// The algorithm the key's type implies.
        key_alg: &'static str,
        /// The issuer's allowed algorithms, comma-separated.
        allowed: String,
    },
    /// Two keys of one issuer share a `kid`.
    #[error("issuer `{iss}`: kid `{kid}` is listed more than once")]
    DuplicateKid {
        /// The issuer.
        iss: String,
        /// The repeated key id.
        kid: String,
    },
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

impl TrustStore {
    /// Loads and checks the trust file at `path`; key paths are relative to its folder.
    ///
    /// Fails on the first problem, naming the issuer and what is wrong (see the module docs
    /// for the rules).
    pub fn load(path: &Path) -> Result<TrustStore, TrustError> {
        let text = fs::read_to_string(path).map_err(|source| TrustError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        let store = TrustStore::parse(&text, base, path)?;
        tracing::info!(
            issuers = store.issuers.len(),
            revoked = store.revoked.len(),
            "trust file loaded"
        );
        Ok(store)
    }

    /// The trusted issuers and the agency each speaks for (for startup logs and readiness).
    pub fn issuers(&self) -> impl Iterator<Item = (&str, Agency)> + '_ {
        self.issuers.values().map(|i| (i.iss.as_str(), i.agency))
    }

    /// Verifies a bearer token (without the `Bearer ` prefix) and returns its claims.
    ///
    /// In order: at most [`MAX_TOKEN_BYTES`]; three base64url parts; the header's `alg` is
    /// EdDSA, ES256 or RS256 (never `none` or HMAC); the unverified `iss` selects a trusted
    /// issuer, whose allowed algorithms must include `alg`; the `kid` selects one of its keys
    /// (an issuer with a single key also accepts a token without `kid`) and `alg` must be that
    /// key's own algorithm; the signature must verify. Only then are the claims read: `iss`,
    /// `sub`, `aud`, `exp`, `iat`, `jti`, `agency` are required; `aud` contains `ctex`; `exp`
    /// and `nbf`/`iat` hold within [`CLOCK_LEEWAY_SECS`]; `agency` is the issuer's agency;
    /// `jti` is not revoked; `jurisdiction` entries are two-digit province codes; `sub` is
    /// 1–200 characters.
    ///
    /// Rejections are logged at debug level with their reason code only.
    ///
    /// A token this store has already verified is answered from its cache (keyed by the whole
    /// token) while it is unexpired; see `cache.rs`.
    pub fn verify(&self, token: &str) -> Result<Claims, Rejection> {
        let now = chrono::Utc::now().timestamp();
        self.verify_cached_at(token, now)
    }

    /// [`TrustStore::verify`] with an explicit clock, through the cache.
    pub(crate) fn verify_cached_at(&self, token: &str, now: i64) -> Result<Claims, Rejection> {
        if token.len() <= MAX_TOKEN_BYTES
            && let Some(claims) = self.cache.get(token, now)
        {
            return Ok(claims);
        }
        let claims = self.verify_at(token, now).inspect_err(|rejection| {
            tracing::debug!(reason = rejection.reason(), "token rejected");
        })?;
        self.cache.insert(token, &claims);
        Ok(claims)
    }

    /// Tokens answered from the cache so far (for tests and diagnostics).
    pub fn cache_hits(&self) -> u64 {
        self.cache.hits()
    }

    /// [`TrustStore::verify`] with an explicit clock (seconds since the Unix epoch).
    pub(crate) fn verify_at(&self, token: &str, now: i64) -> Result<Claims, Rejection> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::Malformed);
        };

        // Header: the algorithm is checked before anything else is looked at.
        let header = decode_json_object(header_b64)?;
        let alg = match header.get("alg") {
            Some(Value::String(name)) => KeyAlg::parse(name).ok_or(Rejection::AlgNotAllowed)?,
            _ => return Err(Rejection::Malformed),
        };
        if header.contains_key("crit") {
            // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
            return Err(Rejection::Malformed);
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(_) => return Err(Rejection::Malformed),
        };

        // Payload, still untrusted: only `iss` is used, to select the issuer.
        let payload = decode_json_object(payload_b64)?;
        let iss = required_str(&payload, "iss")?;
        let issuer = self.issuers.get(iss).ok_or(Rejection::UnknownIssuer)?;
        if !issuer.algorithms.contains(&alg) {
            return Err(Rejection::AlgNotAllowed);
        }
        let key = issuer.key(kid)?;
        if key.alg != alg {
            return Err(Rejection::AlgNotAllowed);
        }
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
        if !key.verifies(signing_input.as_bytes(), signature_b64) {
            return Err(Rejection::BadSignature);
        }

        // Signed by a trusted key: now read and check the claims.
        let claims = Claims::from_payload(&payload)?;
        if !claims.aud.iter().any(|a| a == AUDIENCE) {
            return Err(Rejection::WrongAudience);
        }
        if now > claims.exp.saturating_add(CLOCK_LEEWAY_SECS) {
            return Err(Rejection::Expired);
        }
        let latest_start = now.saturating_add(CLOCK_LEEWAY_SECS);
        if claims.nbf.is_some_and(|nbf| nbf > latest_start) || claims.iat > latest_start {
            return Err(Rejection::NotYetValid);
        }
        if claims.exp < claims.iat {
            return Err(Rejection::BadClaim("exp"));
        }
        if claims.agency != issuer.agency {
            return Err(Rejection::AgencyMismatch);
        }
        if self.revoked.contains(&claims.jti) {
            return Err(Rejection::Revoked);
        }
        Ok(claims)
    }

    /// Parses and checks trust-file text; `base` resolves key paths, `path` names the file in
    /// errors.
    fn parse(text: &str, base: &Path, path: &Path) -> Result<TrustStore, TrustError> {
        let raw: RawTrustFile = toml::from_str(text).map_err(|e| TrustError::Parse {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        if raw.issuer.is_empty() {
            return Err(TrustError::NoIssuers {
                path: path.to_owned(),
            });
        }
        let mut issuers = HashMap::with_capacity(raw.issuer.len());
        for (index, raw_issuer) in raw.issuer.into_iter().enumerate() {
            if raw_issuer.iss.trim().is_empty() {
                return Err(TrustError::EmptyIss { number: index + 1 });
            }
            if issuers.contains_key(&raw_issuer.iss) {
                return Err(TrustError::DuplicateIssuer {
                    iss: raw_issuer.iss,
                });
            }
            let issuer = Issuer::build(raw_issuer, base)?;
            issuers.insert(issuer.iss.clone(), issuer);
        }
        let revoked = raw.revoked.jti.into_iter().collect();
        Ok(TrustStore {
            issuers,
            revoked,
            cache: TokenCache::default(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Issuers
// ---------------------------------------------------------------------------------------------

/// Whether an algorithm name is one the trust file must never allow (`none`, HMAC).
fn is_forbidden_alg(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    lower == "none" || lower.is_empty() || lower.starts_with("hs")
}

/// A trusted issuer.
#[derive(Clone, Debug)]
struct Issuer {
    /// The exact `iss` its tokens carry.
    iss: String,
    /// The one agency it may speak for.
    agency: Agency,
    /// Algorithms its tokens may use.
    algorithms: Vec<KeyAlg>,
    /// Its keys, in trust-file order (PEM keys first, then the JWKS).
    keys: Vec<TrustedKey>,
}

impl Issuer {
    /// Checks one `[[issuer]]` entry and loads its keys.
    fn build(raw: RawIssuer, base: &Path) -> Result<Issuer, TrustError> {
        let iss = raw.iss;
        let agency = Agency::from_str(&raw.agency).map_err(|_| TrustError::UnknownAgency {
            iss: iss.clone(),
            agency: raw.agency,
        })?;

        let mut algorithms = Vec::new();
        for name in raw.algorithms {
            if is_forbidden_alg(&name) {
                return Err(TrustError::ForbiddenAlgorithm { iss, alg: name });
            }
            let Some(alg) = KeyAlg::parse(&name) else {
                return Err(TrustError::UnsupportedAlgorithm { iss, alg: name });
            };
            if !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        if algorithms.is_empty() {
            return Err(TrustError::NoAlgorithms { iss });
        }

        let mut keys: Vec<TrustedKey> = Vec::new();
        for raw_key in raw.keys {
            let path = base.join(&raw_key.pem);
            let text = fs::read_to_string(&path).map_err(|source| TrustError::KeyFile {
                iss: iss.clone(),
                path,
                source,
            })?;
            let key = TrustedKey::from_pem(raw_key.kid.clone(), &text).map_err(|problem| {
                TrustError::BadKey {
                    iss: iss.clone(),
                    kid: raw_key.kid,
                    problem,
                }
            })?;
            push_key(&iss, &mut keys, key)?;
        }
        if let Some(jwks) = raw.jwks {
            let path = base.join(jwks);
            let text = fs::read_to_string(&path).map_err(|source| TrustError::KeyFile {
                iss: iss.clone(),
                path: path.clone(),
                source,
            })?;
            let jwks_keys = parse_jwks(&text).map_err(|problem| match problem {
                JwksProblem::Invalid(problem) => TrustError::Jwks {
                    iss: iss.clone(),
                    path,
                    problem,
                },
                JwksProblem::BadKey { kid, problem } => TrustError::BadKey {
                    iss: iss.clone(),
                    kid,
                    problem,
                },
            })?;
            for key in jwks_keys {
                push_key(&iss, &mut keys, key)?;
            }
        }
        if keys.is_empty() {
            return Err(TrustError::NoKeys { iss });
        }
        for key in &keys {
            if !algorithms.contains(&key.alg) {
                return Err(TrustError::KeyAlgorithmMismatch {
                    iss: iss.clone(),
                    kid: key.kid.clone(),
                    key_alg: key.alg.name(),
                    allowed: algorithms
                        .iter()
                        .map(|a| a.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(Issuer {
            iss,
            agency,
            algorithms,
            keys,
        })
    }

    /// The key a token's `kid` selects; without a `kid`, the issuer's only key.
    fn key(&self, kid: Option<&str>) -> Result<&TrustedKey, Rejection> {
        match (kid, self.keys.as_slice()) {
            (Some(kid), keys) => keys
                .iter()
                .find(|k| k.kid == kid)
                .ok_or(Rejection::UnknownKid),
            (None, [only]) => Ok(only),
            (None, _) => Err(Rejection::UnknownKid),
        }
    }
}

/// Adds a key, refusing an empty or repeated `kid`.
fn push_key(iss: &str, keys: &mut Vec<TrustedKey>, key: TrustedKey) -> Result<(), TrustError> {
    if key.kid.trim().is_empty() {
        return Err(TrustError::BadKey {
            iss: iss.to_owned(),
            kid: key.kid,
            problem: "the kid is empty".into(),
        });
    }
    if keys.iter().any(|k| k.kid == key.kid) {
        return Err(TrustError::DuplicateKid {
            iss: iss.to_owned(),
            kid: key.kid,
        });
    }
    keys.push(key);
    Ok(())
}

/// Decodes one base64url part of a token into a JSON object.
fn decode_json_object(part: &str) -> Result<Map<String, Value>, Rejection> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Rejection::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Rejection::Malformed),
    }
}

/// The agency codes, for error messages.
fn agency_codes() -> String {
    Agency::ALL
        .iter()
        .map(|a| a.code())
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// File shapes
// ---------------------------------------------------------------------------------------------

/// The trust file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrustFile {
    /// `[[issuer]]` tables.
    #[serde(default)]
    issuer: Vec<RawIssuer>,
    /// The `[revoked]` table.
    #[serde(default)]
    revoked: RawRevoked,
}

/// One `[[issuer]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    /// The token `iss`.
    iss: String,
    /// The agency code.
    agency: String,
    /// Allowed algorithm names.
    algorithms: Vec<String>,
    /// PEM keys.
    #[serde(default)]
    keys: Vec<RawKey>,
    /// A JWKS file.
    #[serde(default)]
    jwks: Option<PathBuf>,
}

/// One entry of an issuer's `keys`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    /// Key id.
    kid: String,
    /// PEM file path, relative to the trust file's folder.
    pem: PathBuf,
}

/// The `[revoked]` table.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRevoked {
    /// Revoked token ids.
    #[serde(default)]
    jti: Vec<String>,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
    use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
    use jsonwebtoken::Algorithm;
    use serde_json::{Value, json};
    use tempfile::TempDir;

    use super::super::keys::{self, dev_issuer, dev_kid, mint_with_key, private_key_path};
    use super::*;

    /// A throwaway RSA-2048 key for the RS256 tests only. Test fixture, never trusted anywhere.
    const RSA_TEST_PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDVxhP7CvDXl58+\n\
NYjDNOPdMyVbIeApoE+MzyY2t4rX2fROhIQXKzkbsPscK3oEIR3kYnk31BHdCksY\n\
6EPejnC+ynowhE8QMBeN0aLevRSfoC1S8ehGFcNzJzH6l7kwTNCjUXDYAH/zyVRu\n\
ZWcxOYuHIZGmANoqk2bU0mXzg4Xcv4XkIQXlEusvmEGXTzcMoVWvph32Fe176ga5\n\
4y+tkhxDgMJqHYs1lTsfGhzsXZXkGJCPjmq8q7m8ShT44zbsUBZODs2wTD+Gg13w\n\
26kXs6cRS2N8oyUdOm7AE8YX7xX1oV5UN6RGJf7y1a7tyDgHMT1IXUbDa7Y3XYQl\n\
wnyE4JJPAgMBAAECggEACQErINX2DVA3UjwMf/x8thzAgSmqIZDsCOV0gm+0xU+Q\n\
bZ2Ht/FkgvjSY7h3pl6yYIztU6sOQHtPD5W0p5wqMoT99hQfkSxD94tR87J39TIS\n\
9qwCRTuqLZTVnwQRzW+UtSaYgslymk+DEatfzHp3JHrv3rySFuioZdkWOqfaslxd\n\
VHZR3XZqgba8Qx1IqnN7zx0QuTd0mzce14OcqnycD0PhpImXkUzIHIMfXjEsDfns\n\
z0OEvHkGXejGkdFWxTWW/Yt1ODzOHy8mKeRDfBLpzPDO061vPTLuFWWOnwFcmz6m\n\
l3xg7wCrG0ch8e41gjPIxXYgWsZ+A6soc4Q2MPYx0QKBgQD69maMbInyx6q7B/Hp\n\
sB2yxfR9rVAUYDEXUB+f554/keLCZf0BKp0xFqQg3jAsY53LVN853Xa2ZzZyiQdJ\n\
lAgrZuUasyOrUGrNo5GdoQjAsF7zQzJPWu5aMlVW80/J/SCT2pRizvuADjwWBjt9\n\
6pm/A3uk3HnylpB061DHkIJbRQKBgQDaEJQrdV9x05rTKAyCCvGhShdYt5EFsaRG\n\
dUE1rQx2Tw2v6+Jyik3h4phB1solRu9byd71QJnurOJBQ0Uz+aQCsJN7PbeCfc5I\n\
v6a4SnR3rt2wkkYXfeBnv8UcBFXJBddwDdKyghhX2RQhadZCU7VZF9jH1wiN7Yto\n\
nPf/cEtGgwKBgD8oNWSPiCPmJcxN0o6Z+M9dzAq4zBdkodYZHuxSENw0rZl4qzRY\n\
8hhBd2qiIAN7ymE6abcZSd/bl7M5UvEsZOXvTibrAEYDxe0che/ib952RF76ATZB\n\
Twy58Aoiz2io4EL1VjSLnHV8n5h3Vw94M9sDWGGD7tijFZWnBrxCXNv1AoGBAIku\n\
HMgqElz9DU0AyL2WPOOGRKGe+TBnzDw2z0sBDfHvUWD2N4Ju1wffEIF6qbhBo5pO\n\
qGAIv82SHNOJiiNkTHUUt/KzpJoGoprJVgxhaltQOk419roYie86iLlTUNQhRKJN\n\
T9rUVJQPD8blWdBn8JGXmtw8vjjq0uSAutKKxhAZAoGAHs/ab4qLojFThi0bMuSB\n\
AO4mzszUqU+g7f2jSVwS8sliirk6Gjov/+6re0nHa5vq2q96uv8en0861bEHmBUN\n\
X4TRWQTxQCoM0OglwoBsoSO3jAJik2eb+pov0Dg8+ysggWqbRCKF9gYCBYx0QzEw\n\
INv3VxpSkqlEjZG3h/UI34g=\n\
-----END PRIVATE KEY-----";
    /// The public half of [`RSA_TEST_PRIVATE_PEM`] as SPKI.
    const RSA_TEST_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----\n\
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1cYT+wrw15efPjWIwzTj\n\
3TMlWyHgKaBPjM8mNreK19n0ToSEFys5G7D7HCt6BCEd5GJ5N9QR3QpLGOhD3o5w\n\
vsp6MIRPEDAXjdGi3r0Un6AtUvHoRhXDcycx+pe5MEzQo1Fw2AB/88lUbmVnMTmL\n\
hyGRpgDaKpNm1NJl84OF3L+F5CEF5RLrL5hBl083DKFVr6Yd9hXte+oGueMvrZIc\n\
Q4DCah2LNZU7Hxoc7F2V5BiQj45qvKu5vEoU+OM27FAWTg7NsEw/hoNd8NupF7On\n\
EUtjfKMlHTpuwBPGF+8V9aFeVDekRiX+8tWu7cg4BzE9SF1Gw2u2N12EJcJ8hOCS\n\
TwIDAQAB\n\
-----END PUBLIC KEY-----";
    /// The public half of [`RSA_TEST_PRIVATE_PEM`] as PKCS#1.
    const RSA_TEST_PKCS1_PEM: &str = "-----BEGIN RSA PUBLIC KEY-----\n\
MIIBCgKCAQEA1cYT+wrw15efPjWIwzTj3TMlWyHgKaBPjM8mNreK19n0ToSEFys5\n\
G7D7HCt6BCEd5GJ5N9QR3QpLGOhD3o5wvsp6MIRPEDAXjdGi3r0Un6AtUvHoRhXD\n\
cycx+pe5MEzQo1Fw2AB/88lUbmVnMTmLhyGRpgDaKpNm1NJl84OF3L+F5CEF5RLr\n\
L5hBl083DKFVr6Yd9hXte+oGueMvrZIcQ4DCah2LNZU7Hxoc7F2V5BiQj45qvKu5\n\
vEoU+OM27FAWTg7NsEw/hoNd8NupF7OnEUtjfKMlHTpuwBPGF+8V9aFeVDekRiX+\n\
8tWu7cg4BzE9SF1Gw2u2N12EJcJ8hOCSTwIDAQAB\n\
-----END RSA PUBLIC KEY-----";

    // ---- helpers ------------------------------------------------------------------------

    /// A folder with the eight dev key pairs and their trust file, loaded.
    struct Dev {
        dir: TempDir,
        store: TrustStore,
    }

    impl Dev {
        fn new() -> Dev {
            let dir = TempDir::new().expect("temp dir");
            keys::init(dir.path()).expect("keys init");
            let store = TrustStore::load(&keys::trust_file_path(dir.path())).expect("dev trust");
            Dev { dir, store }
        }

        fn private_pem(&self, agency: Agency) -> Vec<u8> {
            fs::read(private_key_path(self.dir.path(), agency)).expect("private key")
        }

        fn public_pem(&self, agency: Agency) -> Vec<u8> {
            fs::read(keys::public_key_path(self.dir.path(), agency)).expect("public key")
        }

        /// Signs `claims` with `agency`'s dev key under its dev kid.
        fn sign(&self, agency: Agency, claims: &Value) -> String {
            mint_with_key(
                &self.private_pem(agency),
                Algorithm::EdDSA,
                Some(&dev_kid(agency)),
                claims,
            )
            .expect("sign")
        }

        fn reload(&mut self) {
            self.store = TrustStore::load(&keys::trust_file_path(self.dir.path())).expect("reload");
        }
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    /// Valid claims for an agency's dev issuer.
    fn claims(agency: Agency) -> Value {
        let now = now();
        json!({
            "iss": dev_issuer(agency),
            "sub": "officer-17",
            "aud": "ctex",
            "iat": now,
            "exp": now + 600,
            "jti": uuid::Uuid::now_v7().to_string(),
            "agency": agency.code(),
        })
    }

    fn with(mut claims: Value, name: &str, value: Value) -> Value {
        claims[name] = value;
        claims
    }

    fn without(mut claims: Value, name: &str) -> Value {
        if let Value::Object(map) = &mut claims {
            map.remove(name);
        }
        claims
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn rejection(store: &TrustStore, token: &str) -> Rejection {
        store.verify(token).expect_err("the token must be rejected")
    }

    fn write(dir: &Path, name: &str, contents: &[u8]) {
        if let Some(parent) = dir.join(name).parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(dir.join(name), contents).expect("write");
    }

    fn load_str(dir: &Path, trust: &str) -> Result<TrustStore, TrustError> {
        write(dir, "trust.toml", trust.as_bytes());
        TrustStore::load(&dir.join("trust.toml"))
    }

    /// A fresh Ed25519 key pair as (private PKCS#8 PEM, public SPKI PEM).
    fn ed25519_pair() -> (String, String) {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let private = key.to_pkcs8_pem(LineEnding::LF).expect("pkcs8").to_string();
        let public = key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("spki");
        (private, public)
    }

    /// A fresh P-256 key pair as (private PKCS#8 PEM, public SPKI PEM).
    fn p256_pair() -> (String, String) {
        use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let private = secret
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .expect("pkcs8")
            .to_string();
        let public = secret
            .public_key()
            .to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .expect("spki");
        (private, public)
    }

    /// Claims for a non-dev issuer.
    fn claims_for(iss: &str, agency: Agency) -> Value {
        with(claims(agency), "iss", json!(iss))
    }

    // ---- positive paths -----------------------------------------------------------------

    #[test]
    fn dev_keys_round_trip_through_init_mint_load_verify() {
        let dev = Dev::new();
        let spec = keys::TokenSpec {
            agency: Agency::BorderGuard,
            subject: "bg-officer-3".into(),
            unit: Some("bp-lao-cai".into()),
            jurisdiction: Some(vec!["10".into(), "20".into()]),
            scope: Some("ctex:read".into()),
            purpose: Some("border intercept follow-up".into()),
            ttl_secs: 900,
        };

        let token = keys::mint(dev.dir.path(), &spec).expect("mint");
        let claims = dev.store.verify(&token).expect("a dev token verifies");

        assert_eq!(claims.iss, "ctex-dev:border_guard");
        assert_eq!(claims.agency, Agency::BorderGuard);
        assert_eq!(claims.sub, "bg-officer-3");
        assert_eq!(claims.aud, vec!["ctex".to_owned()]);
        assert_eq!(claims.unit.as_deref(), Some("bp-lao-cai"));
        assert_eq!(
            claims.jurisdiction,
            Some(vec!["10".to_owned(), "20".to_owned()])
        );
        assert_eq!(claims.scope.as_deref(), Some("ctex:read"));
        assert_eq!(
            claims.purpose.as_deref(),
            Some("border intercept follow-up")
        );
        assert_eq!(claims.exp - claims.iat, 900);
        let jti = uuid::Uuid::parse_str(&claims.jti).expect("jti is a UUID");
        assert_eq!(jti.get_version_num(), 7);
        let principal = crate::auth::Principal::from_claims(claims);
        assert!(principal.read_only());
    }

    #[test]
    fn every_agency_dev_token_verifies_as_that_agency() {
        let dev = Dev::new();
        for agency in Agency::ALL {
            let token =
                keys::mint(dev.dir.path(), &keys::TokenSpec::new(agency, "s")).expect("mint");
            assert_eq!(dev.store.verify(&token).expect("verifies").agency, agency);
        }
        assert_eq!(dev.store.issuers().count(), 8);
    }

    #[test]
    fn es256_issuer_with_a_pem_key_verifies() {
        let dir = TempDir::new().expect("tmp");
        let (private, public) = p256_pair();
        write(dir.path(), "keys/mofa.pub.pem", public.as_bytes());
        let store = load_str(
            dir.path(),
            r#"
            [[issuer]]
            iss = "https://idp.mofa.example"
            agency = "foreign_affairs"
            algorithms = ["ES256"]
            keys = [ { kid = "mofa-2025", pem = "keys/mofa.pub.pem" } ]
            "#,
        )
        .expect("load");
        let claims = claims_for("https://idp.mofa.example", Agency::ForeignAffairs);

        let token = mint_with_key(
            private.as_bytes(),
            Algorithm::ES256,
            Some("mofa-2025"),
            &claims,
        )
        .expect("sign");
        let no_kid =
            mint_with_key(private.as_bytes(), Algorithm::ES256, None, &claims).expect("sign");

        assert_eq!(
            store.verify(&token).expect("verifies").agency,
            Agency::ForeignAffairs
        );
        assert!(
            store.verify(&no_kid).is_ok(),
            "a single-key issuer needs no kid"
        );
    }

    /// The JWKS of the RSA test key under `kid`.
    fn rsa_jwks(kid: &str) -> String {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(RSA_TEST_PRIVATE_PEM.as_bytes())
            .expect("rsa key");
        let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::RS256).expect("jwk");
        let mut jwk = serde_json::to_value(jwk).expect("json");
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        json!({ "keys": [jwk] }).to_string()
    }

    #[test]
    fn rs256_issuer_given_as_a_jwks_file_verifies() {
        let dir = TempDir::new().expect("tmp");
        write(
            dir.path(),
            "keys/procuracy.jwks.json",
            rsa_jwks("spp-1").as_bytes(),
        );
        let store = load_str(
            dir.path(),
            r#"
            [[issuer]]
            iss = "https://sso.procuracy.example"
            agency = "procuracy"
            algorithms = ["RS256"]
            jwks = "keys/procuracy.jwks.json"
            "#,
        )
        .expect("load");
        let claims = claims_for("https://sso.procuracy.example", Agency::Procuracy);

        let token = mint_with_key(
            RSA_TEST_PRIVATE_PEM.as_bytes(),
            Algorithm::RS256,
            Some("spp-1"),
            &claims,
        )
        .expect("sign");
        let ps256 = mint_with_key(
            RSA_TEST_PRIVATE_PEM.as_bytes(),
            Algorithm::PS256,
            Some("spp-1"),
            &claims,
        )
        .expect("sign");

        assert_eq!(
            store.verify(&token).expect("verifies").agency,
            Agency::Procuracy
        );
        assert_eq!(rejection(&store, &ps256), Rejection::AlgNotAllowed);
    }

    #[test]
    fn rsa_pem_keys_load_as_spki_and_pkcs1() {
        let dir = TempDir::new().expect("tmp");
        write(dir.path(), "spki.pem", RSA_TEST_PUBLIC_PEM.as_bytes());
        write(dir.path(), "pkcs1.pem", RSA_TEST_PKCS1_PEM.as_bytes());
        let store = load_str(
            dir.path(),
            r#"
            [[issuer]]
            iss = "court-idp"
            agency = "court"
            algorithms = ["RS256"]
            keys = [ { kid = "a", pem = "spki.pem" }, { kid = "b", pem = "pkcs1.pem" } ]
            "#,
        )
        .expect("load");
        let claims = claims_for("court-idp", Agency::Court);

        for kid in ["a", "b"] {
            let token = mint_with_key(
                RSA_TEST_PRIVATE_PEM.as_bytes(),
                Algorithm::RS256,
                Some(kid),
                &claims,
            )
            .expect("sign");
            assert!(store.verify(&token).is_ok(), "kid {kid}");
        }
    }

    #[test]
    fn key_rotation_accepts_both_keys_until_the_old_one_is_removed() {
        let dir = TempDir::new().expect("tmp");
        let (old_private, old_public) = ed25519_pair();
        let (new_private, new_public) = ed25519_pair();
        write(dir.path(), "old.pub.pem", old_public.as_bytes());
        write(dir.path(), "new.pub.pem", new_public.as_bytes());
        let both = r#"
            [[issuer]]
            iss = "police-idp"
            agency = "police"
            algorithms = ["EdDSA"]
            keys = [ { kid = "2024", pem = "old.pub.pem" }, { kid = "2025", pem = "new.pub.pem" } ]
        "#;
        let claims = claims_for("police-idp", Agency::Police);
        let old_token = mint_with_key(
            old_private.as_bytes(),
            Algorithm::EdDSA,
            Some("2024"),
            &claims,
        )
        .expect("sign");
        let new_token = mint_with_key(
            new_private.as_bytes(),
            Algorithm::EdDSA,
            Some("2025"),
            &claims,
        )
        .expect("sign");
        let no_kid =
            mint_with_key(new_private.as_bytes(), Algorithm::EdDSA, None, &claims).expect("sign");

        let store = load_str(dir.path(), both).expect("load both");
        assert!(store.verify(&old_token).is_ok());
        assert!(store.verify(&new_token).is_ok());
        assert_eq!(
            rejection(&store, &no_kid),
            Rejection::UnknownKid,
            "two keys: kid required"
        );

        let only_new = both.replace(r#"{ kid = "2024", pem = "old.pub.pem" }, "#, "");
        let store = load_str(dir.path(), &only_new).expect("load new only");
        assert_eq!(rejection(&store, &old_token), Rejection::UnknownKid);
        assert!(store.verify(&new_token).is_ok());
    }

    #[test]
    fn claims_at_the_edges_are_accepted() {
        let dev = Dev::new();
        let now = now();
        let expired_30s = with(
            with(claims(Agency::Police), "iat", json!(now - 600)),
            "exp",
            json!(now - 30),
        );
        let nbf_soon = with(claims(Agency::Police), "nbf", json!(now + 30));
        let aud_list = with(claims(Agency::Police), "aud", json!(["other", "ctex"]));
        let sub_200 = with(claims(Agency::Police), "sub", json!("đ".repeat(200)));
        let float_dates = with(claims(Agency::Police), "exp", json!(now as f64 + 600.5));
        let nulls = with(claims(Agency::Police), "unit", Value::Null);

        for (what, c) in [
            ("expired 30 s ago (inside leeway)", expired_30s),
            ("nbf 30 s ahead", nbf_soon),
            ("aud list containing ctex", aud_list),
            ("sub of 200 characters", sub_200),
            ("fractional exp", float_dates),
            ("null optional claim", nulls),
        ] {
            let token = dev.sign(Agency::Police, &c);
            assert!(dev.store.verify(&token).is_ok(), "{what} must be accepted");
        }
    }

    // ---- attacks ------------------------------------------------------------------------

    #[test]
    fn alg_none_is_rejected() {
        let dev = Dev::new();
        let payload = b64(claims(Agency::Police).to_string().as_bytes());
        for alg in ["none", "None", "NONE"] {
            let header = b64(json!({ "alg": alg, "typ": "JWT" }).to_string().as_bytes());
            for token in [
                format!("{header}.{payload}."),
                format!("{header}.{payload}"),
            ] {
                let r = dev.store.verify(&token).expect_err("alg none");
                assert!(
                    matches!(r, Rejection::AlgNotAllowed | Rejection::Malformed),
                    "{alg}: {r:?}"
                );
            }
            assert_eq!(
                rejection(&dev.store, &format!("{header}.{payload}.")),
                Rejection::AlgNotAllowed
            );
        }
    }

    #[test]
    fn hs256_signed_with_the_public_key_is_rejected() {
        let dev = Dev::new();
        let public_pem = dev.public_pem(Agency::Police);

        let token = mint_with_key(
            &public_pem,
            Algorithm::HS256,
            Some(&dev_kid(Agency::Police)),
            &claims(Agency::Police),
        )
        .expect("forge");

        assert_eq!(rejection(&dev.store, &token).reason(), "alg_not_allowed");
    }

    #[test]
    fn algorithm_is_pinned_to_the_key() {
        // An issuer allowing EdDSA and ES256, with one key of each type: a token whose header
        // says ES256 but selects the Ed25519 key (or the reverse) must be refused.
        let dir = TempDir::new().expect("tmp");
        let (ed_private, ed_public) = ed25519_pair();
        let (ec_private, ec_public) = p256_pair();
        write(dir.path(), "ed.pem", ed_public.as_bytes());
        write(dir.path(), "ec.pem", ec_public.as_bytes());
        let store = load_str(
            dir.path(),
            r#"
            [[issuer]]
            iss = "mixed"
            agency = "court"
            algorithms = ["EdDSA", "ES256"]
            keys = [ { kid = "ed", pem = "ed.pem" }, { kid = "ec", pem = "ec.pem" } ]
            "#,
        )
        .expect("load");
        let claims = claims_for("mixed", Agency::Court);

        let ec_on_ed = mint_with_key(ec_private.as_bytes(), Algorithm::ES256, Some("ed"), &claims)
            .expect("sign");
        let ed_on_ec = mint_with_key(ed_private.as_bytes(), Algorithm::EdDSA, Some("ec"), &claims)
            .expect("sign");
        let good = mint_with_key(ec_private.as_bytes(), Algorithm::ES256, Some("ec"), &claims)
            .expect("sign");

        assert_eq!(rejection(&store, &ec_on_ed), Rejection::AlgNotAllowed);
        assert_eq!(rejection(&store, &ed_on_ec), Rejection::AlgNotAllowed);
        assert!(store.verify(&good).is_ok());
    }

    #[test]
    fn an_algorithm_the_issuer_does_not_allow_is_rejected() {
        let dev = Dev::new();
        let (ec_private, _) = p256_pair();

        let token = mint_with_key(
            ec_private.as_bytes(),
            Algorithm::ES256,
            Some(&dev_kid(Agency::Police)),
            &claims(Agency::Police),
        )
        .expect("sign");

        assert_eq!(rejection(&dev.store, &token), Rejection::AlgNotAllowed);
    }

    #[test]
    fn expired_beyond_the_leeway_is_rejected_but_30_seconds_late_is_not() {
        let dev = Dev::new();
        let now = now();
        let expired_at = |exp: i64| {
            let c = with(claims(Agency::Police), "iat", json!(now - 3600));
            dev.sign(Agency::Police, &with(c, "exp", json!(exp)))
        };

        let two_minutes_late = dev.store.verify(&expired_at(now - 120));
        let thirty_seconds_late = dev.store.verify(&expired_at(now - 30));

        assert_eq!(two_minutes_late.map(|_| ()), Err(Rejection::Expired));
        assert!(thirty_seconds_late.is_ok(), "inside the 60 s leeway");
        // The same edge through the explicit clock, away from wall-clock timing.
        let token = expired_at(now - 30);
        assert!(dev.store.verify_at(&token, now + 29).is_ok());
        assert_eq!(
            dev.store.verify_at(&token, now + 31).map(|_| ()),
            Err(Rejection::Expired)
        );
    }

    #[test]
    fn not_yet_valid_tokens_are_rejected() {
        let dev = Dev::new();
        let now = now();
        let nbf = with(claims(Agency::Police), "nbf", json!(now + 300));
        let iat = with(
            with(claims(Agency::Police), "iat", json!(now + 300)),
            "exp",
            json!(now + 900),
        );

        assert_eq!(
            rejection(&dev.store, &dev.sign(Agency::Police, &nbf)),
            Rejection::NotYetValid
        );
        assert_eq!(
            rejection(&dev.store, &dev.sign(Agency::Police, &iat)),
            Rejection::NotYetValid
        );
    }

    #[test]
    fn wrong_audience_is_rejected() {
        let dev = Dev::new();
        for aud in [json!("ctex-staging"), json!(["other"]), json!("CTEX")] {
            let c = with(claims(Agency::Police), "aud", aud);
            assert_eq!(
                rejection(&dev.store, &dev.sign(Agency::Police, &c)).reason(),
                "wrong_audience"
            );
        }
    }

    #[test]
    fn unknown_issuer_is_rejected() {
        let dev = Dev::new();
        let c = with(claims(Agency::Police), "iss", json!("ctex-dev:interpol"));

        assert_eq!(
            rejection(&dev.store, &dev.sign(Agency::Police, &c)).reason(),
            "unknown_issuer"
        );
    }

    #[test]
    fn border_guard_key_cannot_speak_for_police() {
        let dev = Dev::new();
        // Its own issuer, claiming another agency.
        let claim_police = with(claims(Agency::BorderGuard), "agency", json!("police"));
        // The police issuer and kid, signed with the border guard key.
        let as_police_issuer = dev.sign_with_other_key(Agency::BorderGuard, Agency::Police);

        assert_eq!(
            rejection(&dev.store, &dev.sign(Agency::BorderGuard, &claim_police)).reason(),
            "agency_mismatch"
        );
        assert_eq!(
            rejection(&dev.store, &as_police_issuer).reason(),
            "bad_signature"
        );
    }

    impl Dev {
        /// A token claiming to come from `victim`'s issuer and kid, signed with `signer`'s key.
        fn sign_with_other_key(&self, signer: Agency, victim: Agency) -> String {
            mint_with_key(
                &self.private_pem(signer),
                Algorithm::EdDSA,
                Some(&dev_kid(victim)),
                &claims(victim),
            )
            .expect("sign")
        }
    }

    #[test]
    fn unknown_kid_is_rejected() {
        let dev = Dev::new();
        let token = mint_with_key(
            &dev.private_pem(Agency::Police),
            Algorithm::EdDSA,
            Some("police-dev-9"),
            &claims(Agency::Police),
        )
        .expect("sign");

        assert_eq!(rejection(&dev.store, &token).reason(), "unknown_kid");
    }

    #[test]
    fn revoked_jti_is_rejected() {
        let mut dev = Dev::new();
        let c = claims(Agency::Police);
        let jti = c["jti"].as_str().expect("jti").to_owned();
        let token = dev.sign(Agency::Police, &c);
        assert!(dev.store.verify(&token).is_ok(), "valid before revocation");
        assert!(dev.store.verify(&token).is_ok());
        assert_eq!(dev.store.cache_hits(), 1, "cached before revocation");

        let trust = keys::trust_file_path(dev.dir.path());
        let mut text = fs::read_to_string(&trust).expect("trust");
        text.push_str(&format!("\n[revoked]\njti = [\"{jti}\"]\n"));
        fs::write(&trust, text).expect("write");
        dev.reload();

        assert_eq!(rejection(&dev.store, &token).reason(), "revoked");
        let other = dev.sign(Agency::Police, &claims(Agency::Police));
        assert!(dev.store.verify(&other).is_ok(), "other tokens still pass");
    }

    #[test]
    fn payload_edited_after_signing_is_rejected() {
        let dev = Dev::new();
        let token = dev.sign(Agency::Procuracy, &claims(Agency::Procuracy));
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        payload["sub"] = json!("chief-prosecutor");
        payload["exp"] = json!(now() + 10 * 365 * 86400);

        let edited = format!(
            "{}.{}.{}",
            parts[0],
            b64(payload.to_string().as_bytes()),
            parts[2]
        );

        assert_eq!(rejection(&dev.store, &edited).reason(), "bad_signature");
    }

    #[test]
    fn a_20_kb_token_is_rejected_before_parsing() {
        let dev = Dev::new();
        let big = with(
            claims(Agency::Police),
            "padding",
            json!("x".repeat(20 * 1024)),
        );
        let signed = dev.sign(Agency::Police, &big);
        let garbage = "a".repeat(20 * 1024);

        assert!(signed.len() > 20 * 1024);
        assert_eq!(rejection(&dev.store, &signed).reason(), "too_large");
        assert_eq!(rejection(&dev.store, &garbage).reason(), "too_large");
    }

    #[test]
    fn missing_required_claims_are_rejected_by_name() {
        let dev = Dev::new();
        for name in ["jti", "sub", "aud", "exp", "iat", "agency"] {
            let c = without(claims(Agency::Police), name);
            let r = rejection(&dev.store, &dev.sign(Agency::Police, &c));
            assert_eq!(r, Rejection::MissingClaim(name), "{name}");
            assert_eq!(r.reason(), "missing_claim");
        }
        let null_jti = with(claims(Agency::Police), "jti", Value::Null);
        assert_eq!(
            rejection(&dev.store, &dev.sign(Agency::Police, &null_jti)),
            Rejection::MissingClaim("jti")
        );
        let no_iss = without(claims(Agency::Police), "iss");
        assert_eq!(
            rejection(&dev.store, &dev.sign(Agency::Police, &no_iss)),
            Rejection::MissingClaim("iss")
        );
    }

    #[test]
    fn invalid_claim_values_are_rejected_by_name() {
        let dev = Dev::new();
        let cases = [
            ("jurisdiction", json!(["1"])),
            ("jurisdiction", json!(["001"])),
            ("jurisdiction", json!(["ab"])),
            ("jurisdiction", json!([1])),
            ("jurisdiction", json!([])),
            ("jurisdiction", json!("01")),
            ("sub", json!("")),
            ("sub", json!("a".repeat(201))),
            ("sub", json!("line\nbreak")),
            ("sub", json!(17)),
            ("jti", json!("")),
            ("agency", json!("interpol")),
            ("agency", json!("Police")),
            ("exp", json!("tomorrow")),
            ("purpose", json!("x")),
            ("unit", json!(["a"])),
            ("scope", json!(["ctex:read"])),
            ("aud", json!([])),
        ];
        for (name, value) in cases {
            let c = with(claims(Agency::Police), name, value.clone());
            assert_eq!(
                rejection(&dev.store, &dev.sign(Agency::Police, &c)),
                Rejection::BadClaim(name),
                "{name} = {value}"
            );
        }
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        let dev = Dev::new();
        let good = dev.sign(Agency::Police, &claims(Agency::Police));
        let parts: Vec<&str> = good.split('.').collect();
        let crit_header = b64(
            json!({"alg": "EdDSA", "kid": "police-dev-1", "crit": ["exp"]})
                .to_string()
                .as_bytes(),
        );
        let numeric_kid = b64(json!({"alg": "EdDSA", "kid": 1}).to_string().as_bytes());
        let no_alg = b64(json!({"kid": "police-dev-1"}).to_string().as_bytes());

        for token in [
            String::new(),
            "abc".into(),
            "a.b".into(),
            format!("{good}.extra"),
            format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
            format!("{}.{}.{}", b64(b"[1]"), parts[1], parts[2]),
            format!("{}.{}.{}", parts[0], b64(b"not json"), parts[2]),
            format!("{crit_header}.{}.{}", parts[1], parts[2]),
            format!("{numeric_kid}.{}.{}", parts[1], parts[2]),
            format!("{no_alg}.{}.{}", parts[1], parts[2]),
        ] {
            assert_eq!(
                rejection(&dev.store, &token),
                Rejection::Malformed,
                "{token}"
            );
        }
    }

    #[test]
    fn rejections_never_echo_token_content() {
        let dev = Dev::new();
        let secret = "Nguyen-Thi-Secret";
        let tokens = [
            dev.sign(
                Agency::Police,
                &with(claims(Agency::Police), "sub", json!(format!("{secret}\n"))),
            ),
            dev.sign(
                Agency::Police,
                &with(claims(Agency::Police), "agency", json!(secret)),
            ),
            dev.sign(
                Agency::Police,
                &with(claims(Agency::Police), "iss", json!(secret)),
            ),
            format!("{secret}.{secret}.{secret}"),
        ];
        for token in tokens {
            let r = rejection(&dev.store, &token);
            assert!(!r.to_string().contains(secret), "{r}");
            assert!(!format!("{r:?}").contains(secret), "{r:?}");
        }
    }

    #[test]
    fn reason_codes_are_stable_and_distinct() {
        let all = [
            Rejection::TooLarge,
            Rejection::Malformed,
            Rejection::AlgNotAllowed,
            Rejection::UnknownIssuer,
            Rejection::UnknownKid,
            Rejection::BadSignature,
            Rejection::Expired,
            Rejection::NotYetValid,
            Rejection::WrongAudience,
            Rejection::AgencyMismatch,
            Rejection::Revoked,
            Rejection::MissingClaim("jti"),
            Rejection::BadClaim("sub"),
        ];
        let reasons: Vec<&str> = all.iter().map(Rejection::reason).collect();
        assert_eq!(
            reasons,
            [
                "too_large",
                "malformed",
                "alg_not_allowed",
                "unknown_issuer",
                "unknown_kid",
                "bad_signature",
                "expired",
                "not_yet_valid",
                "wrong_audience",
                "agency_mismatch",
                "revoked",
                "missing_claim",
                "bad_claim",
            ]
        );
    }

    // ---- loading errors -----------------------------------------------------------------

    /// The `keys` line of an issuer using the valid Ed25519 key `load_issuer` writes.
    const ED_KEY: &str = r#"keys = [{ kid = "k", pem = "ed.pem" }]"#;

    /// Loads a trust file with one issuer `iss = "x"` of `agency`, allowing `algorithms` (a
    /// TOML array), with the key line `keys`; a valid Ed25519 public key sits at `ed.pem`.
    fn load_issuer(agency: &str, algorithms: &str, keys: &str) -> Result<TrustStore, TrustError> {
        let dir = TempDir::new().expect("tmp");
        let (_, public) = ed25519_pair();
        write(dir.path(), "ed.pem", public.as_bytes());
        let trust = format!(
            "[[issuer]]\niss = \"x\"\nagency = \"{agency}\"\nalgorithms = {algorithms}\n{keys}\n"
        );
        load_str(dir.path(), &trust)
    }

    #[test]
    fn hmac_and_none_algorithms_are_refused_at_load() {
        for alg in ["HS256", "hs512", "none"] {
            let algorithms = format!(r#"["EdDSA", "{alg}"]"#);

            let err = load_issuer("police", &algorithms, ED_KEY).expect_err("forbidden");

            assert!(
                matches!(&err, TrustError::ForbiddenAlgorithm { iss, alg: a }
                    if iss == "x" && a == alg),
                "{err}"
            );
            assert!(err.to_string().contains("issuer `x`"), "{err}");
        }
        let err = load_issuer("police", r#"["PS256"]"#, ED_KEY).expect_err("unsupported");
        assert!(
            matches!(err, TrustError::UnsupportedAlgorithm { .. }),
            "{err}"
        );
    }

    #[test]
    fn unknown_agency_is_refused_at_load() {
        let err = load_issuer("interpol", r#"["EdDSA"]"#, ED_KEY).expect_err("unknown agency");

        assert!(matches!(&err, TrustError::UnknownAgency { agency, .. } if agency == "interpol"));
        let message = err.to_string();
        assert!(message.contains("issuer `x`"), "{message}");
        assert!(
            message.contains("border_guard"),
            "lists the valid codes: {message}"
        );
    }

    #[test]
    fn missing_key_file_is_refused_at_load() {
        let missing_pem = r#"keys = [{ kid = "k", pem = "gone.pem" }]"#;

        let err = load_issuer("police", r#"["EdDSA"]"#, missing_pem).expect_err("missing");
        let jwks_err = load_issuer("police", r#"["EdDSA"]"#, r#"jwks = "gone.json""#)
            .expect_err("missing jwks");

        assert!(
            matches!(&err, TrustError::KeyFile { iss, path, .. }
                if iss == "x" && path.ends_with("gone.pem")),
            "{err}"
        );
        assert!(matches!(jwks_err, TrustError::KeyFile { .. }), "{jwks_err}");
    }

    #[test]
    fn key_type_must_match_the_declared_algorithms() {
        let err = load_issuer("police", r#"["ES256"]"#, ED_KEY).expect_err("mismatch");

        assert!(
            matches!(&err, TrustError::KeyAlgorithmMismatch { kid, key_alg: "EdDSA", .. }
                if kid == "k"),
            "{err}"
        );
    }

    #[test]
    fn other_load_errors_name_the_problem() {
        let dup_kid = r#"keys = [{ kid = "k", pem = "ed.pem" }, { kid = "k", pem = "ed.pem" }]"#;
        let empty_kid = r#"keys = [{ kid = " ", pem = "ed.pem" }]"#;
        let typo = format!("{ED_KEY}\nalgorithm = [\"EdDSA\"]");
        let second_x = format!(
            "{ED_KEY}\n\n[[issuer]]\niss = \"x\"\nagency = \"court\"\n\
             algorithms = [\"EdDSA\"]\n{ED_KEY}"
        );
        type Expectation = fn(&TrustError) -> bool;
        let cases: [(&str, &str, Expectation); 6] = [
            (r#"["EdDSA"]"#, dup_kid, |e| {
                matches!(e, TrustError::DuplicateKid { .. })
            }),
            (r#"["EdDSA"]"#, empty_kid, |e| {
                matches!(e, TrustError::BadKey { .. })
            }),
            ("[]", ED_KEY, |e| {
                matches!(e, TrustError::NoAlgorithms { .. })
            }),
            (r#"["EdDSA"]"#, "", |e| {
                matches!(e, TrustError::NoKeys { .. })
            }),
            (r#"["EdDSA"]"#, &typo, |e| {
                matches!(e, TrustError::Parse { .. })
            }),
            (
                r#"["EdDSA"]"#,
                &second_x,
                |e| matches!(e, TrustError::DuplicateIssuer { iss } if iss == "x"),
            ),
        ];
        for (algorithms, keys, expected) in cases {
            let err = load_issuer("police", algorithms, keys).expect_err("must fail");
            assert!(expected(&err), "{algorithms} {keys}\n=> {err}");
        }
        let dir = TempDir::new().expect("tmp");
        let err = load_str(dir.path(), "# nothing\n").expect_err("no issuers");
        assert!(matches!(err, TrustError::NoIssuers { .. }), "{err}");
    }

    #[test]
    fn private_keys_certificates_and_secrets_are_refused_as_trust_keys() {
        let dir = TempDir::new().expect("tmp");
        let (ed_private, _) = ed25519_pair();
        write(dir.path(), "priv.pem", ed_private.as_bytes());
        write(dir.path(), "rsa-priv.pem", RSA_TEST_PRIVATE_PEM.as_bytes());
        write(dir.path(), "junk.pem", b"hello");
        write(
            dir.path(),
            "oct.json",
            br#"{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}"#,
        );
        let mut rsa_with_d: Value = serde_json::from_str(&rsa_jwks("r")).expect("json");
        rsa_with_d["keys"][0]["d"] = json!("AQAB");
        write(dir.path(), "d.json", rsa_with_d.to_string().as_bytes());
        let mut rsa_wrong_alg: Value = serde_json::from_str(&rsa_jwks("r")).expect("json");
        rsa_wrong_alg["keys"][0]["alg"] = json!("ES256");
        write(dir.path(), "alg.json", rsa_wrong_alg.to_string().as_bytes());
        write(
            dir.path(),
            "nokid.json",
            br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}"#,
        );
        write(
            dir.path(),
            "short.json",
            br#"{"keys":[{"kty":"OKP","kid":"s","crv":"Ed25519","x":"AAAA"}]}"#,
        );

        let issuer = |source: &str, algs: &str| {
            format!(
                "[[issuer]]\niss = \"x\"\nagency = \"police\"\nalgorithms = [{algs}]\n{source}\n"
            )
        };
        for (source, algs) in [
            ("keys = [{ kid = \"k\", pem = \"priv.pem\" }]", "\"EdDSA\""),
            (
                "keys = [{ kid = \"k\", pem = \"rsa-priv.pem\" }]",
                "\"RS256\"",
            ),
            ("keys = [{ kid = \"k\", pem = \"junk.pem\" }]", "\"EdDSA\""),
            ("jwks = \"oct.json\"", "\"EdDSA\""),
            ("jwks = \"d.json\"", "\"RS256\""),
            ("jwks = \"alg.json\"", "\"RS256\""),
            ("jwks = \"short.json\"", "\"EdDSA\""),
        ] {
            let err = load_str(dir.path(), &issuer(source, algs)).expect_err(source);
            assert!(
                matches!(err, TrustError::BadKey { .. }),
                "{source} => {err}"
            );
        }
        let err = load_str(dir.path(), &issuer("jwks = \"nokid.json\"", "\"EdDSA\""))
            .expect_err("no kid");
        assert!(matches!(err, TrustError::Jwks { .. }), "{err}");
    }

    #[test]
    fn es256_and_eddsa_jwks_keys_load() {
        let dir = TempDir::new().expect("tmp");
        let (ec_private, _) = p256_pair();
        let ed_key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let ed_private = ed_key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("pkcs8")
            .to_string();
        let ec_key = jsonwebtoken::EncodingKey::from_ec_pem(ec_private.as_bytes()).expect("key");
        let mut ec_jwk = serde_json::to_value(
            jsonwebtoken::jwk::Jwk::from_encoding_key(&ec_key, Algorithm::ES256).expect("jwk"),
        )
        .expect("json");
        ec_jwk["kid"] = json!("ec");
        let ed_jwk = json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": "ed",
            "alg": "EdDSA",
            "use": "sig",
            "x": b64(ed_key.verifying_key().as_bytes()),
        });
        let set = json!({ "keys": [ec_jwk, ed_jwk] });
        write(dir.path(), "set.json", set.to_string().as_bytes());
        let store = load_str(
            dir.path(),
            r#"
            [[issuer]]
            iss = "sw"
            agency = "social_services"
            algorithms = ["ES256", "EdDSA"]
            jwks = "set.json"
            "#,
        )
        .expect("load");
        let c = claims_for("sw", Agency::SocialServices);

        let ec =
            mint_with_key(ec_private.as_bytes(), Algorithm::ES256, Some("ec"), &c).expect("sign");
        let ed =
            mint_with_key(ed_private.as_bytes(), Algorithm::EdDSA, Some("ed"), &c).expect("sign");

        assert!(store.verify(&ec).is_ok());
        assert!(store.verify(&ed).is_ok());
    }

    // ---- the verified-token cache ----------------------------------------------------

    #[test]
    fn a_verified_token_is_answered_from_the_cache_until_it_expires() {
        let dev = Dev::new();
        let c = claims(Agency::Police);
        let exp = c["exp"].as_i64().expect("exp");
        let token = dev.sign(Agency::Police, &c);

        let first = dev.store.verify_cached_at(&token, now()).expect("valid");
        let second = dev.store.verify_cached_at(&token, now()).expect("cached");

        assert_eq!(first, second);
        assert_eq!(dev.store.cache_hits(), 1, "the second call is a hit");
        let late = exp + CLOCK_LEEWAY_SECS + 1;
        assert_eq!(
            dev.store.verify_cached_at(&token, late).err(),
            Some(Rejection::Expired),
            "a cached token still expires"
        );
        assert_eq!(dev.store.cache_hits(), 1, "an expired entry is never used");
    }

    #[test]
    fn only_the_exact_verified_bytes_hit_the_cache() {
        let dev = Dev::new();
        let token = dev.sign(Agency::Police, &claims(Agency::Police));
        assert!(dev.store.verify(&token).is_ok());

        let forged_payload = {
            let parts: Vec<&str> = token.split('.').collect();
            let payload = with(claims(Agency::Police), "sub", json!("someone-else"));
            let b64 = URL_SAFE_NO_PAD.encode(payload.to_string());
            format!("{}.{b64}.{}", parts[0], parts[2])
        };
        let mut flipped = token.clone();
        let last = flipped.pop().expect("non-empty");
        flipped.push(if last == 'A' { 'B' } else { 'A' });

        assert_eq!(
            rejection(&dev.store, &forged_payload).reason(),
            "bad_signature"
        );
        assert!(
            dev.store.verify(&flipped).is_err(),
            "an edited signature is verified afresh"
        );
        assert_eq!(dev.store.cache_hits(), 0);
    }

    #[test]
    fn rejected_tokens_are_not_cached() {
        let dev = Dev::new();
        let c = with(claims(Agency::Police), "nbf", json!(now() + 3_600));
        let token = dev.sign(Agency::Police, &c);

        assert_eq!(rejection(&dev.store, &token).reason(), "not_yet_valid");
        assert_eq!(rejection(&dev.store, &token).reason(), "not_yet_valid");
        assert_eq!(dev.store.cache_hits(), 0);
    }

    #[test]
    fn a_reload_that_removes_the_key_refuses_tokens_the_old_store_cached() {
        let mut dev = Dev::new();
        let token = dev.sign(Agency::Police, &claims(Agency::Police));
        assert!(dev.store.verify(&token).is_ok());
        assert!(dev.store.verify(&token).is_ok());
        assert_eq!(dev.store.cache_hits(), 1, "cached in the old store");

        // Rotate: the police issuer's key file now holds another key.
        let other = dev.public_pem(Agency::Court);
        fs::write(keys::public_key_path(dev.dir.path(), Agency::Police), other).expect("write");
        dev.reload();

        assert_eq!(rejection(&dev.store, &token).reason(), "bad_signature");
        assert_eq!(dev.store.cache_hits(), 0, "the new store starts empty");
    }
}
