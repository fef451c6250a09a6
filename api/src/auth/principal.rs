//! The authenticated caller, as resolvers and the policy module see it (DESIGN §2, §3.3).
//!
//! A [`Principal`] is built only from [`Claims`] that [`TrustStore::verify`] accepted, then
//! given the request's access purpose ([`Principal::with_purpose_header`]). It carries facts
//! about the caller, never rights: what an agency may read is decided by the policy module.
//! Its `Debug` output must never show the free-text purpose (it may name a person).
//!
//! [`TrustStore::verify`]: super::TrustStore::verify

use std::fmt;

use crate::domain::Agency;

use super::Claims;

/// The scope that narrows a token to reads (DESIGN §3.3).
pub const READ_SCOPE: &str = "ctex:read";

/// Shortest accepted access purpose, in characters after trimming.
const PURPOSE_MIN_CHARS: usize = 3;
/// Longest accepted access purpose, in characters after trimming.
const PURPOSE_MAX_CHARS: usize = 200;

/// The authenticated caller of one request.
#[derive(Clone, PartialEq, Eq)]
pub struct Principal {
    /// The agency the caller speaks for; the policy module keys every rule on it.
    pub agency: Agency,
    /// The caller within the agency (the token's `sub`), recorded in every audit event.
    pub subject: String,
    /// The caller's unit inside the agency, when the issuer says (used for "own" records and
    /// hit/no-hit contact details).
    pub unit: Option<String>,
    /// Province codes the caller is limited to (DESIGN §5.3); `None` means national.
    pub jurisdiction: Option<Vec<String>>,
    /// The token's space-separated `scope`, split; [`READ_SCOPE`] makes the caller read-only.
    pub scopes: Vec<String>,
    /// Why the caller reads person-level data (header or claim), recorded with every audit
    /// event; `None` means person-level reads must fail with `PURPOSE_REQUIRED`.
    pub purpose: Option<String>,
    /// The token's `jti`, recorded in audit events so one token's accesses can be traced.
    pub token_id: String,
    /// The token's `iss`, recorded so an auditor can tell which issuer vouched for the caller.
    pub issuer: String,
    /// The token's `exp` (seconds since the Unix epoch), so long-lived connections such as
    /// subscriptions can be closed when the token runs out.
    pub expires_at: i64,
}

impl Principal {
    /// A national principal of `agency` with a purpose, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(agency: Agency, subject: &str) -> Principal {
        Principal {
            agency,
            subject: subject.into(),
            unit: None,
            jurisdiction: None,
            scopes: Vec::new(),
            purpose: Some("unit test".into()),
            token_id: "jti".into(),
            issuer: "iss".into(),
            expires_at: 0,
        }
    }

    /// Builds the principal from claims that [`TrustStore::verify`] accepted.
    ///
    /// The purpose claim is carried over as is; [`Principal::with_purpose_header`] checks it.
    ///
    /// [`TrustStore::verify`]: super::TrustStore::verify
    pub fn from_claims(claims: Claims) -> Principal {
        let scopes = claims
            .scope
            .as_deref()
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        Principal {
            agency: claims.agency,
            subject: claims.sub,
            unit: claims.unit,
            jurisdiction: claims.jurisdiction,
            scopes,
            purpose: claims.purpose,
            token_id: claims.jti,
            issuer: claims.iss,
            expires_at: claims.exp,
        }
    }

    /// Whether the token was narrowed to reads (its scopes contain [`READ_SCOPE`]).
    pub fn read_only(&self) -> bool {
        self.scopes.iter().any(|s| s == READ_SCOPE)
    }

    /// Applies the request's `X-Access-Purpose` header, which overrides the token's `purpose`
    /// claim.
    ///
    /// With no header the claim (if any) stands. Whichever purpose results is trimmed and must
    /// be 3–200 characters without control characters; otherwise the request is refused
    /// rather than recorded with a purpose nobody can read.
    pub fn with_purpose_header(mut self, header: Option<&str>) -> Result<Principal, PurposeError> {
        self.purpose = match (header, self.purpose.take()) {
            (Some(header), _) => Some(normalize_purpose(header)?),
            (None, Some(claim)) => Some(normalize_purpose(&claim)?),
            (None, None) => None,
        };
        Ok(self)
    }
}

impl fmt::Debug for Principal {
    /// Everything but the purpose text, which is free text and may name a person.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("agency", &self.agency)
            .field("subject", &self.subject)
            .field("unit", &self.unit)
            .field("jurisdiction", &self.jurisdiction)
            .field("scopes", &self.scopes)
            .field("purpose", &self.purpose.as_ref().map(|_| "<set>"))
            .field("token_id", &self.token_id)
            .field("issuer", &self.issuer)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why an access purpose was refused. Messages never repeat the purpose text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PurposeError {
    /// The purpose has fewer than 3 characters after trimming (an empty header included).
    #[error("the access purpose must be at least 3 characters")]
    TooShort,
    /// The purpose has more than 200 characters after trimming.
    #[error("the access purpose must be at most 200 characters")]
    TooLong,
    /// The purpose contains a control character (newline, tab, escape ...), which would let
    /// it forge lines in logs and audit exports.
    #[error("the access purpose must not contain control characters")]
    ControlCharacter,
}

/// Trims a purpose and checks it is 3–200 characters without control characters.
pub(crate) fn normalize_purpose(raw: &str) -> Result<String, PurposeError> {
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars < PURPOSE_MIN_CHARS {
        return Err(PurposeError::TooShort);
    }
    if chars > PURPOSE_MAX_CHARS {
        return Err(PurposeError::TooLong);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(PurposeError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            iss: "ctex-dev:police".into(),
            sub: "officer-17".into(),
            aud: vec!["ctex".into()],
            exp: 2_000_000_000,
            iat: 1_999_999_000,
            jti: "0192aaaa-0000-7000-8000-000000000001".into(),
            nbf: None,
            agency: Agency::Police,
            unit: Some("pc02".into()),
            jurisdiction: Some(vec!["01".into(), "79".into()]),
            scope: Some("ctex:read  other:thing".into()),
            purpose: Some("case review".into()),
        }
    }

    #[test]
    fn from_claims_maps_every_field_and_splits_scopes() {
        let p = Principal::from_claims(claims());

        assert_eq!(p.agency, Agency::Police);
        assert_eq!(p.subject, "officer-17");
        assert_eq!(p.unit.as_deref(), Some("pc02"));
        assert_eq!(p.jurisdiction, Some(vec!["01".to_owned(), "79".to_owned()]));
        assert_eq!(
            p.scopes,
            vec!["ctex:read".to_owned(), "other:thing".to_owned()]
        );
        assert_eq!(p.purpose.as_deref(), Some("case review"));
        assert_eq!(p.token_id, "0192aaaa-0000-7000-8000-000000000001");
        assert_eq!(p.issuer, "ctex-dev:police");
        assert_eq!(p.expires_at, 2_000_000_000);
    }

    #[test]
    fn read_scope_makes_the_principal_read_only() {
        let read = Principal::from_claims(claims());
        let mut c = claims();
        c.scope = Some("ctex:reader ctex:write".into());
        let not_read = Principal::from_claims(c);
        let mut c = claims();
        c.scope = None;
        let no_scope = Principal::from_claims(c);

        assert!(read.read_only());
        assert!(!not_read.read_only(), "only the exact scope counts");
        assert!(!no_scope.read_only());
        assert!(no_scope.scopes.is_empty());
    }

    #[test]
    fn purpose_header_overrides_the_claim_and_is_trimmed() {
        let p = Principal::from_claims(claims())
            .with_purpose_header(Some("  identity check for referral  "))
            .expect("valid purpose");

        assert_eq!(p.purpose.as_deref(), Some("identity check for referral"));
    }

    #[test]
    fn without_header_the_claim_stands() {
        let p = Principal::from_claims(claims())
            .with_purpose_header(None)
            .expect("valid claim");
        assert_eq!(p.purpose.as_deref(), Some("case review"));

        let mut c = claims();
        c.purpose = None;
        let p = Principal::from_claims(c)
            .with_purpose_header(None)
            .expect("no purpose is fine");
        assert_eq!(p.purpose, None);
    }

    #[test]
    fn purpose_length_is_checked_after_trimming() {
        let p = || Principal::from_claims(claims());

        assert_eq!(
            p().with_purpose_header(Some("  ab  ")).err(),
            Some(PurposeError::TooShort)
        );
        assert_eq!(
            p().with_purpose_header(Some("")).err(),
            Some(PurposeError::TooShort)
        );
        assert!(p().with_purpose_header(Some("abc")).is_ok());
        let max = "đ".repeat(200);
        assert!(
            p().with_purpose_header(Some(&max)).is_ok(),
            "200 characters, not bytes"
        );
        let long = "a".repeat(201);
        assert_eq!(
            p().with_purpose_header(Some(&long)).err(),
            Some(PurposeError::TooLong)
        );
        assert_eq!(
            p().with_purpose_header(Some("line\nforged")).err(),
            Some(PurposeError::ControlCharacter)
        );
    }

    #[test]
    fn an_invalid_purpose_claim_is_refused_when_no_header_overrides_it() {
        let mut c = claims();
        c.purpose = Some("x".into());

        assert_eq!(
            Principal::from_claims(c.clone())
                .with_purpose_header(None)
                .err(),
            Some(PurposeError::TooShort)
        );
        assert!(
            Principal::from_claims(c)
                .with_purpose_header(Some("audit sample"))
                .is_ok()
        );
    }

    #[test]
    fn debug_hides_the_purpose_text() {
        let p = Principal::from_claims(claims())
            .with_purpose_header(Some("victim Nguyen Thi A follow-up"))
            .expect("valid");

        let shown = format!("{p:?}");

        assert!(!shown.contains("Nguyen"), "{shown}");
        assert!(shown.contains("officer-17"));
    }
}
