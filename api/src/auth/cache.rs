//! The verified-token cache: a token that passed every check of
//! [`TrustStore::verify`](super::TrustStore::verify) is not verified again until it expires.
//!
//! Agency systems send the same token with every request for its whole lifetime, and checking
//! an Ed25519 signature and parsing the claims costs tens of microseconds per request. The cache
//! is keyed by the **whole token** (header, payload and signature), so only the exact bytes that
//! were verified can hit: a token with an edited payload or signature is a different key and is
//! verified from scratch.
//!
//! Each [`TrustStore`](super::TrustStore) owns its cache, and reloading the trust file builds a
//! new store with an empty one: a revoked `jti`, a removed key or a removed issuer take effect at
//! the reload, as without a cache. An entry is used only while the token is unexpired at the
//! moment of use (with the same clock leeway as verification); rejected tokens are never
//! cached. The cache is bounded ([`CAPACITY`]); when full it is emptied, so a flood of distinct
//! tokens costs at most what verifying them costs anyway.
//!
//! It must never hand out claims for a token that was not verified byte for byte, nor outlive
//! the trust store that verified the token.
//!
//! `CTEX_TOKEN_CACHE=off` in the server's environment turns the cache off (every request
//! verifies its token): only for measuring what the cache buys (BENCHMARKS.md).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, RwLock};

use super::{CLOCK_LEEWAY_SECS, Claims};

/// Most tokens kept at once.
pub(crate) const CAPACITY: usize = 16_384;

/// Verified tokens and their claims.
#[derive(Default)]
pub(crate) struct TokenCache {
    entries: RwLock<HashMap<Box<str>, Claims>>,
    hits: AtomicU64,
}

/// Whether `CTEX_TOKEN_CACHE=off` turned the cache off (read once).
fn disabled() -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    *OFF.get_or_init(|| {
        std::env::var("CTEX_TOKEN_CACHE").is_ok_and(|v| v.eq_ignore_ascii_case("off"))
    })
}

impl TokenCache {
    /// The claims of `token` if it was verified by this store and is still unexpired at `now`.
    pub(crate) fn get(&self, token: &str, now: i64) -> Option<Claims> {
        if disabled() {
            return None;
        }
        let entries = match self.entries.read() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        let claims = entries.get(token)?;
        if now > claims.exp.saturating_add(CLOCK_LEEWAY_SECS) {
            return None;
        }
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(claims.clone())
    }

    /// Remembers that `token` verified to `claims`.
    pub(crate) fn insert(&self, token: &str, claims: &Claims) {
        if disabled() {
            return;
        }
        let mut entries = match self.entries.write() {
            Ok(e) => e,
            Err(poisoned) => poisoned.into_inner(),
        };
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(token.into(), claims.clone());
    }

    /// Tokens answered from the cache so far.
    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Tokens held now.
    pub(crate) fn len(&self) -> usize {
        match self.entries.read() {
            Ok(e) => e.len(),
            Err(poisoned) => poisoned.into_inner().len(),
        }
    }
}

impl Clone for TokenCache {
    /// A copy of a store starts with an empty cache (it verifies for itself).
    fn clone(&self) -> Self {
        TokenCache::default()
    }
}

impl std::fmt::Debug for TokenCache {
    /// Counts only: never a token or a claim.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("tokens", &self.len())
            .field("hits", &self.hits())
            .finish()
    }
}
