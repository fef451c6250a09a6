//! Authentication: who is calling (DESIGN §3.3).
//!
//! Agency systems call ctex machine to machine with `Authorization: Bearer <JWT>`. This module
//! turns such a token into a [`Principal`]: it loads the **trust file** (which issuers may speak
//! for which agency, with which keys), verifies a token's signature and claims against it, and
//! applies the `X-Access-Purpose` header. It also makes the development keys and tokens used by
//! `ctex keys init` and `ctex token`.
//!
//! It must never decide what a principal may *see*: that is the policy module's job. It must
//! never log, or put into an error, any part of a token, a claim value or personal data; a
//! rejected token is described only by its stable reason code ([`Rejection::reason`]). It must
//! never accept `alg: none` or an HMAC algorithm, never take a key from the token itself (`jwk`,
//! `jku`, `x5u`, `x5c` headers are ignored), and never let a token speak for an agency other
//! than the one its issuer is trusted for.
//!
//! # Layout
//! - `trust.rs`: the trust file ([`TrustStore::load`]) and its load errors ([`TrustError`]);
//!   token verification ([`TrustStore::verify`]) and the reasons a token is refused
//!   ([`Rejection`]).
//! - `cache.rs`: verified tokens remembered until they expire, keyed by the whole token, per
//!   trust store (a reload starts an empty cache, so revocations and key changes apply at once).
//! - `public_key.rs`: PEM and JWKS public keys, each pinned to one algorithm.
//! - `claims.rs`: the claims of a verified token ([`Claims`]), read and checked one by one.
//! - `principal.rs`: the authenticated caller ([`Principal`]) handed to resolvers and the
//!   policy, and the access purpose rules ([`PurposeError`]).
//! - `keys.rs` ([`keys`]): development key pairs and tokens for the CLI (`ctex keys init`,
//!   `ctex token`), plus a low-level signer tests use to shape or forge tokens.
//!
//! # Trust file
//! TOML, usually `.ctex/trust.toml` (`CTEX_TRUST`). Relative key paths are resolved against the
//! folder holding the trust file.
//!
//! ```toml
//! # one [[issuer]] per trusted token issuer
//! [[issuer]]
//! iss = "ctex-dev:police"          # the token's `iss`
//! agency = "police"                # the ONE agency this issuer may speak for
//! algorithms = ["EdDSA"]           # any of EdDSA, ES256, RS256; never none or HS*
//! keys = [ { kid = "police-dev-1", pem = "keys/police.pub.pem" } ]   # paths relative to the trust file's folder
//! # or: jwks = "keys/police.jwks.json"   (a JWKS file; kid selects the key)
//!
//! [revoked]
//! jti = ["0192..."]                # revoked token ids
//! ```
//!
//! Rules checked when the file is loaded (any failure names the issuer and the problem):
//! - `iss` is non-empty and unique; `agency` is one of the eight agency codes of DESIGN §1.
//! - `algorithms` is non-empty and lists only `EdDSA`, `ES256`, `RS256` (spelled exactly so);
//!   `none` and `HS256`/`HS384`/`HS512` are refused outright.
//! - Keys come from `keys` (PEM public keys: SPKI `PUBLIC KEY`, or PKCS#1 `RSA PUBLIC KEY`),
//!   from a `jwks` file, or both; at least one key is required. Every key needs a `kid`, unique
//!   within its issuer. Private keys, certificates and symmetric (`oct`) JWKs are refused.
//! - Each key is pinned to exactly one algorithm by its type (Ed25519 → `EdDSA`, P-256 →
//!   `ES256`, RSA of 2048–4096 bits → `RS256`), which must be among the issuer's `algorithms`.
//!   A JWK's own `alg`, `use` and `key_ops`, when present, must agree.
//! - Unknown fields are errors, so a misspelt setting cannot be silently ignored.
//!
//! # Token rules
//! See [`TrustStore::verify`]: at most [`MAX_TOKEN_BYTES`]; the header's `alg` must be allowed
//! for the issuer *and* equal the selected key's algorithm; required claims `iss`, `sub`, `aud`
//! (containing [`AUDIENCE`]), `exp`, `iat`, `jti`, `agency`; clock leeway
//! [`CLOCK_LEEWAY_SECS`]; the `agency` claim must equal the issuer's agency; revoked `jti`s are
//! refused.

mod cache;
mod claims;
pub mod keys;
mod principal;
mod public_key;
mod trust;

pub use claims::Claims;
pub use principal::{Principal, PurposeError, READ_SCOPE};
pub use trust::{Rejection, TrustError, TrustStore};

/// The only audience ctex accepts in a token's `aud` claim.
pub const AUDIENCE: &str = "ctex";

/// The largest token accepted, in bytes; longer tokens are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (DESIGN §3.3: at most 60 s).
pub const CLOCK_LEEWAY_SECS: i64 = 60;
