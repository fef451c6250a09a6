//! Authentication at the HTTP edge: `Authorization: Bearer <JWT>` and `X-Access-Purpose` into a
//! [`Principal`].
//!
//! Every refusal is `UNAUTHENTICATED` with HTTP 401 for the caller; the reason code goes to the
//! log only (never the token).

use axum::http::HeaderMap;

use super::AppState;
use crate::auth::{MAX_TOKEN_BYTES, Principal};
use crate::error::ApiError;

/// The header carrying the access purpose.
pub(crate) const PURPOSE: &str = "x-access-purpose";

/// Why a request could not be authenticated.
#[derive(Debug)]
pub(crate) enum AuthFailure {
    /// No or unusable credentials (401).
    Unauthenticated,
    /// A bad `X-Access-Purpose` header (400).
    BadPurpose(ApiError),
}

/// Verifies the bearer token and applies the purpose header.
pub(crate) fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Principal, AuthFailure> {
    let token = bearer(headers).ok_or_else(|| {
        tracing::info!(reason = "missing_token", "authentication refused");
        AuthFailure::Unauthenticated
    })?;
    let claims = state.trust().verify(token).map_err(|rejection| {
        tracing::info!(reason = rejection.reason(), "authentication refused");
        AuthFailure::Unauthenticated
    })?;
    principal(claims, headers)
}

/// Verifies a bearer token given outside headers (a WebSocket `connection_init` payload) and
/// applies a purpose given as plain UTF-8 text.
pub(crate) fn authenticate_token(
    state: &AppState,
    authorization: Option<&str>,
    purpose: Option<&str>,
) -> Result<Principal, AuthFailure> {
    let token = authorization
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && token.len() <= MAX_TOKEN_BYTES * 2
        })
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            tracing::info!(reason = "missing_token", "authentication refused");
            AuthFailure::Unauthenticated
        })?;
    let claims = state.trust().verify(token).map_err(|rejection| {
        tracing::info!(reason = rejection.reason(), "authentication refused");
        AuthFailure::Unauthenticated
    })?;
    Principal::from_claims(claims)
        .with_purpose_header(purpose)
        .map_err(|e| {
            AuthFailure::BadPurpose(ApiError::bad_input("X-Access-Purpose", e.to_string()))
        })
}

/// The principal of verified claims with the request's purpose header applied.
pub(crate) fn principal(
    claims: crate::auth::Claims,
    headers: &HeaderMap,
) -> Result<Principal, AuthFailure> {
    let header = match headers.get(PURPOSE) {
        Some(v) => Some(v.to_str().map_err(|_| {
            AuthFailure::BadPurpose(ApiError::bad_input(
                "X-Access-Purpose",
                "must be UTF-8 text (percent-encode non-ASCII)",
            ))
        })?),
        None => None,
    };
    let decoded = header.map(percent_decode);
    Principal::from_claims(claims)
        .with_purpose_header(decoded.as_deref())
        .map_err(|e| {
            AuthFailure::BadPurpose(ApiError::bad_input("X-Access-Purpose", e.to_string()))
        })
}

/// The bearer token of the request, if well-formed.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.len() > MAX_TOKEN_BYTES * 2 {
        return None;
    }
    Some(token.trim())
}

/// Header values are ASCII; a purpose in Vietnamese arrives percent-encoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_vietnamese_purpose() {
        assert_eq!(percent_decode("r%C3%A0 so%C3%A1t"), "rà soát");
        assert_eq!(percent_decode("case 12 review"), "case 12 review");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn bearer_needs_the_scheme() {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::AUTHORIZATION,
            "Basic abc".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(bearer(&h).is_none());
        h.insert(
            axum::http::header::AUTHORIZATION,
            "Bearer abc".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(bearer(&h), Some("abc"));
    }
}
