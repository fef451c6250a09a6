//! The claims of a verified token, read and checked one by one (DESIGN §3.3).
//!
//! [`Claims::from_payload`] runs only after the signature has been verified. Each problem
//! becomes a [`Rejection`] that names the claim but never repeats its value: claim values
//! (subjects, purposes) can be personal data and must never reach an error or a log.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::domain::Agency;

use super::Rejection;
use super::principal::normalize_purpose;

/// Claims every token must carry (DESIGN §3.3).
const REQUIRED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "iat", "jti", "agency"];
/// Longest accepted `sub`, `jti` and `unit`, in characters.
const MAX_ID_CHARS: usize = 200;
/// Longest accepted `scope`, in characters.
const MAX_SCOPE_CHARS: usize = 1000;

/// The claims of a token that passed [`TrustStore::verify`](super::TrustStore::verify).
///
/// Every value has been checked against the rules of DESIGN §3.3; build a
/// [`Principal`](super::Principal) from it.
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    /// Issuer, as listed in the trust file.
    pub iss: String,
    /// The caller within the agency: non-empty, at most 200 characters, no control characters.
    pub sub: String,
    /// Audiences; always contains [`AUDIENCE`](super::AUDIENCE).
    pub aud: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: i64,
    /// Token id: what revocation and the audit trail refer to.
    pub jti: String,
    /// Not-before time, seconds since the Unix epoch, when the issuer set one.
    pub nbf: Option<i64>,
    /// The agency the caller speaks for; always the issuer's agency.
    pub agency: Agency,
    /// The caller's unit within the agency.
    pub unit: Option<String>,
    /// Two-digit province codes; `None` means national (never an empty list).
    pub jurisdiction: Option<Vec<String>>,
    /// Space-separated scopes (`ctex:read` narrows the token to reads).
    pub scope: Option<String>,
    /// Access purpose from the token, trimmed, 3–200 characters.
    pub purpose: Option<String>,
}

impl fmt::Debug for Claims {
    /// Everything but the purpose text, which is free text and may name a person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("jti", &self.jti)
            .field("nbf", &self.nbf)
            .field("agency", &self.agency)
            .field("unit", &self.unit)
            .field("jurisdiction", &self.jurisdiction)
            .field("scope", &self.scope)
            .field("purpose", &self.purpose.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Claims {
    /// Reads and checks the claims of a payload whose signature has been verified.
    pub(super) fn from_payload(payload: &Map<String, Value>) -> Result<Claims, Rejection> {
        for name in REQUIRED_CLAIMS {
            if matches!(payload.get(name), None | Some(Value::Null)) {
                return Err(Rejection::MissingClaim(name));
            }
        }
        let agency = required_str(payload, "agency")?;
        let agency = Agency::from_str(agency).map_err(|_| Rejection::BadClaim("agency"))?;
        let purpose = optional_str(payload, "purpose")?
            .map(|p| normalize_purpose(p).map_err(|_| Rejection::BadClaim("purpose")))
            .transpose()?;
        Ok(Claims {
            iss: required_str(payload, "iss")?.to_owned(),
            sub: identifier(payload, "sub")?,
            aud: audience(payload)?,
            exp: numeric_date(payload, "exp")?,
            iat: numeric_date(payload, "iat")?,
            jti: identifier(payload, "jti")?,
            nbf: match payload.get("nbf") {
                None | Some(Value::Null) => None,
                Some(_) => Some(numeric_date(payload, "nbf")?),
            },
            agency,
            unit: match optional_str(payload, "unit")? {
                None => None,
                Some(_) => Some(identifier(payload, "unit")?),
            },
            jurisdiction: jurisdiction(payload)?,
            scope: scope(payload)?,
            purpose,
        })
    }
}

/// A required string claim.
pub(super) fn required_str<'a>(
    payload: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, Rejection> {
    match payload.get(name) {
        None | Some(Value::Null) => Err(Rejection::MissingClaim(name)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Rejection::BadClaim(name)),
    }
}

/// An optional string claim (`null` counts as absent).
fn optional_str<'a>(
    payload: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, Rejection> {
    match payload.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Rejection::BadClaim(name)),
    }
}

/// An identifier-like string claim: 1–200 characters, no control characters.
fn identifier(payload: &Map<String, Value>, name: &'static str) -> Result<String, Rejection> {
    let value = required_str(payload, name)?;
    let chars = value.chars().count();
    if chars == 0 || chars > MAX_ID_CHARS || value.chars().any(char::is_control) {
        return Err(Rejection::BadClaim(name));
    }
    Ok(value.to_owned())
}

/// The optional `scope` claim: at most 1000 characters, no control characters.
fn scope(payload: &Map<String, Value>) -> Result<Option<String>, Rejection> {
    match optional_str(payload, "scope")? {
        None => Ok(None),
        Some(s) if s.chars().count() <= MAX_SCOPE_CHARS && !s.chars().any(char::is_control) => {
            Ok(Some(s.to_owned()))
        }
        Some(_) => Err(Rejection::BadClaim("scope")),
    }
}

/// A NumericDate claim (RFC 7519 §2): seconds since the epoch, fractions truncated.
fn numeric_date(payload: &Map<String, Value>, name: &'static str) -> Result<i64, Rejection> {
    let Some(Value::Number(n)) = payload.get(name) else {
        return Err(Rejection::BadClaim(name));
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    match n.as_f64() {
        // The guard keeps the value far inside the i64 range, so the cast cannot saturate.
        Some(f) if f.is_finite() && f.abs() < 1e15 => Ok(f.trunc() as i64),
        _ => Err(Rejection::BadClaim(name)),
    }
}

/// The `aud` claim: a string or a non-empty array of strings.
fn audience(payload: &Map<String, Value>) -> Result<Vec<String>, Rejection> {
    match payload.get("aud") {
        Some(Value::String(aud)) => Ok(vec![aud.clone()]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or(Rejection::BadClaim("aud"))
            })
            .collect(),
        _ => Err(Rejection::BadClaim("aud")),
    }
}

/// The optional `jurisdiction` claim: a non-empty array of two-digit province codes.
///
/// An empty array is refused rather than guessed at: absent means national, and `[]` could
/// be read either as "national" or as "nowhere".
fn jurisdiction(payload: &Map<String, Value>) -> Result<Option<Vec<String>>, Rejection> {
    const BAD: Rejection = Rejection::BadClaim("jurisdiction");
    let items = match payload.get("jurisdiction") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(_) => return Err(BAD),
    };
    items
        .iter()
        .map(|item| match item.as_str() {
            Some(code) if code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(code.to_owned())
            }
            _ => Err(BAD),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
