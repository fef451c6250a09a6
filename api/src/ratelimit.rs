//! Rate limits and concurrency shares: how much of the server one caller or one agency may use.
//!
//! Three token buckets (GCRA, the `governor` crate), each configurable as a [`Rate`]:
//! - per subject (`agency/sub` of the token): every GraphQL operation, over HTTP or WebSocket,
//!   takes one cell (a batch takes one per operation);
//! - per agency: the same operations, counted for the whole agency, so one agency flooding the
//!   server is slowed down while the others keep their share;
//! - per subject on hit/no-hit searches (`identifierHits`, `personHits`): a much tighter
//!   bucket, so the searches cannot enumerate the other agencies' records.
//!
//! And a concurrency share: each agency may have at most `CTEX_AGENCY_CONCURRENCY` GraphQL
//! requests in flight at once (under the global cap of `CTEX_MAX_CONCURRENCY`); one more is
//! refused at once rather than queued, so a slow or flooding agency cannot take every place.
//!
//! Every refusal is [`ApiError::RateLimited`] (`RATE_LIMITED`, with the seconds to wait, sent as
//! `Retry-After`). This module never logs a subject: only the agency and the bucket.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::Agency;
use crate::error::ApiError;

/// The period a [`Rate`] counts over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Per {
    /// Per second (`/s`).
    Second,
    /// Per minute (`/m`).
    Minute,
    /// Per hour (`/h`).
    Hour,
}

impl Per {
    fn duration(self) -> Duration {
        match self {
            Per::Second => Duration::from_secs(1),
            Per::Minute => Duration::from_secs(60),
            Per::Hour => Duration::from_secs(3600),
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Per::Second => "s",
            Per::Minute => "m",
            Per::Hour => "h",
        }
    }
}

/// A token-bucket setting, written `COUNT/PERIOD[,burst=N]` (`20/s,burst=200`, `30/m,burst=10`,
/// `5000/h`) or `off`.
///
/// `COUNT` cells refill per `PERIOD` (`s`, `m` or `h`), evenly spread; `burst` is how many may be
/// spent at once (default `COUNT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    /// No limit.
    Off,
    /// A bucket.
    Limit {
        /// Cells refilled per period.
        count: NonZeroU32,
        /// The period.
        per: Per,
        /// Cells that may be spent at once.
        burst: NonZeroU32,
    },
}

impl Rate {
    /// `count` per `per`, with `burst`; `Off` if either is zero.
    pub fn new(count: u32, per: Per, burst: u32) -> Rate {
        match (NonZeroU32::new(count), NonZeroU32::new(burst)) {
            (Some(count), Some(burst)) => Rate::Limit { count, per, burst },
            _ => Rate::Off,
        }
    }

    /// The governor quota, or `None` when off.
    fn quota(self) -> Option<Quota> {
        match self {
            Rate::Off => None,
            Rate::Limit { count, per, burst } => {
                let period = per.duration() / count.get();
                Quota::with_period(period.max(Duration::from_nanos(1)))
                    .map(|q| q.allow_burst(burst))
            }
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Off => f.write_str("off"),
            Rate::Limit { count, per, burst } if burst == count => {
                write!(f, "{count}/{}", per.suffix())
            }
            Rate::Limit { count, per, burst } => {
                write!(f, "{count}/{},burst={burst}", per.suffix())
            }
        }
    }
}

/// Why a [`Rate`] could not be read.
#[derive(Debug, thiserror::Error)]
#[error("expected COUNT/PERIOD[,burst=N] with PERIOD s, m or h (e.g. 20/s,burst=200), or off")]
pub struct BadRate;

impl FromStr for Rate {
    type Err = BadRate;

    fn from_str(s: &str) -> Result<Rate, BadRate> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") || s == "0" {
            return Ok(Rate::Off);
        }
        let (rate, burst) = match s.split_once(',') {
            Some((rate, rest)) => {
                let value = rest
                    .trim()
                    .strip_prefix("burst")
                    .map(str::trim_start)
                    .and_then(|r| r.strip_prefix('='))
                    .ok_or(BadRate)?;
                (
                    rate,
                    Some(value.trim().parse::<u32>().map_err(|_| BadRate)?),
                )
            }
            None => (s, None),
        };
        let (count, per) = rate.split_once('/').ok_or(BadRate)?;
        let count: u32 = count.trim().parse().map_err(|_| BadRate)?;
        let per = match per.trim() {
            "s" | "sec" | "second" => Per::Second,
            "m" | "min" | "minute" => Per::Minute,
            "h" | "hour" => Per::Hour,
            _ => return Err(BadRate),
        };
        if count == 0 || burst == Some(0) {
            return Err(BadRate);
        }
        Ok(Rate::new(count, per, burst.unwrap_or(count)))
    }
}

/// The rate limits of a server (`CTEX_RATE_SUBJECT`, `CTEX_RATE_AGENCY`, `CTEX_RATE_HITS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateConfig {
    /// Operations per subject.
    pub subject: Rate,
    /// Operations per agency.
    pub agency: Rate,
    /// Hit/no-hit searches per subject.
    pub hits: Rate,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig {
            subject: Rate::new(50, Per::Second, 500),
            agency: Rate::new(200, Per::Second, 2000),
            hits: Rate::new(30, Per::Minute, 10),
        }
    }
}

/// One keyed token bucket.
pub(crate) struct Bucket {
    /// What it limits, for logs (`subject`, `agency`, `hits`).
    name: &'static str,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl Bucket {
    /// A bucket per key at `rate` (no limit when off).
    pub(crate) fn new(name: &'static str, rate: Rate) -> Bucket {
        Bucket {
            name,
            limiter: rate.quota().map(RateLimiter::keyed),
        }
    }

    /// Takes `n` cells for `key`, or says how long to wait.
    pub(crate) fn take(&self, key: &str, n: u32) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        let key = key.to_string();
        let wait = match limiter.check_key_n(&key, n) {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(not_until)) => not_until.wait_time_from(DefaultClock::default().now()),
            // More cells than the burst: never possible, wait a whole period.
            Err(_) => Duration::from_secs(60),
        };
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::info!(bucket = self.name, "rate limited");
        Err(ApiError::RateLimited {
            retry_after_secs: secs.max(1),
        })
    }

    /// Forgets keys whose bucket is full again (bounds memory).
    fn prune(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The hit/no-hit bucket, as the resolvers of `identifierHits` and `personHits` find it in the
/// request data.
#[derive(Clone)]
pub struct HitLimiter(pub(crate) Arc<Bucket>);

impl HitLimiter {
    /// A hit/no-hit limiter at `rate`.
    pub fn new(rate: Rate) -> HitLimiter {
        HitLimiter(Arc::new(Bucket::new("hits", rate)))
    }

    /// Takes one search for `agency/subject`.
    pub(crate) fn take(&self, agency: Agency, subject: &str) -> Result<(), ApiError> {
        self.0.take(&subject_key(agency, subject), 1)
    }
}

/// The key of a subject: subjects are unique per issuer, and issuers per agency.
fn subject_key(agency: Agency, subject: &str) -> String {
    format!("{}/{subject}", agency.code())
}

/// The in-flight share of each agency.
pub(crate) struct Shares {
    per_agency: HashMap<Agency, Arc<Semaphore>>,
}

impl Shares {
    /// `share` requests in flight per agency (0: no share limit).
    fn new(share: usize) -> Shares {
        let per_agency = if share == 0 {
            HashMap::new()
        } else {
            Agency::ALL
                .iter()
                .map(|a| (*a, Arc::new(Semaphore::new(share))))
                .collect()
        };
        Shares { per_agency }
    }

    /// A place for one request of `agency`, held until the permit drops; `RATE_LIMITED` when the
    /// agency already has its share in flight.
    fn enter(&self, agency: Agency) -> Result<Option<OwnedSemaphorePermit>, ApiError> {
        match self.per_agency.get(&agency) {
            None => Ok(None),
            Some(sem) => sem.clone().try_acquire_owned().map(Some).map_err(|_| {
                tracing::info!(agency = agency.code(), "agency concurrency share full");
                ApiError::RateLimited {
                    retry_after_secs: 1,
                }
            }),
        }
    }
}

/// All limits of a running server.
pub struct Limiters {
    subject: Bucket,
    agency: Bucket,
    /// The hit/no-hit bucket, handed to resolvers in the request data.
    pub hits: HitLimiter,
    shares: Shares,
}

/// A request's place in its agency's share; dropping it frees the place.
pub struct Admission {
    _permit: Option<OwnedSemaphorePermit>,
}

impl Limiters {
    /// Limiters for `rates`, with `share` requests in flight per agency (0: unlimited).
    pub fn new(rates: RateConfig, share: usize) -> Limiters {
        Limiters {
            subject: Bucket::new("subject", rates.subject),
            agency: Bucket::new("agency", rates.agency),
            hits: HitLimiter::new(rates.hits),
            shares: Shares::new(share),
        }
    }

    /// Admits one request of `agency/subject` carrying `operations` operations: a place in the
    /// agency's share, and that many cells of the subject's and the agency's buckets.
    pub fn admit(
        &self,
        agency: Agency,
        subject: &str,
        operations: u32,
    ) -> Result<Admission, ApiError> {
        let permit = self.shares.enter(agency)?;
        self.charge(agency, subject, operations)?;
        Ok(Admission { _permit: permit })
    }

    /// Takes `operations` cells of the subject's and the agency's buckets.
    pub fn charge(&self, agency: Agency, subject: &str, operations: u32) -> Result<(), ApiError> {
        if operations == 0 {
            return Ok(());
        }
        self.subject
            .take(&subject_key(agency, subject), operations)?;
        self.agency.take(agency.code(), operations)
    }

    /// Forgets idle keys; called once a minute.
    pub fn prune(&self) {
        self.subject.prune();
        self.agency.prune();
        self.hits.0.prune();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let cases = [
            (
                "20/s,burst=200",
                Rate::new(20, Per::Second, 200),
                "20/s,burst=200",
            ),
            (
                "30/m, burst = 10",
                Rate::new(30, Per::Minute, 10),
                "30/m,burst=10",
            ),
            ("5000/h", Rate::new(5000, Per::Hour, 5000), "5000/h"),
            ("7/min", Rate::new(7, Per::Minute, 7), "7/m"),
            ("off", Rate::Off, "off"),
            ("OFF", Rate::Off, "off"),
        ];
        for (text, rate, printed) in cases {
            assert_eq!(text.parse::<Rate>().ok(), Some(rate), "{text}");
            assert_eq!(rate.to_string(), printed);
            assert_eq!(
                printed.parse::<Rate>().ok(),
                Some(rate),
                "round trip {printed}"
            );
        }
        for bad in [
            "",
            "20",
            "20/d",
            "x/s",
            "0/s",
            "20/s,burst=0",
            "20/s,b=3",
            "-1/s",
        ] {
            assert!(bad.parse::<Rate>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn the_defaults_print_as_documented() {
        let d = RateConfig::default();
        assert_eq!(d.subject.to_string(), "50/s,burst=500");
        assert_eq!(d.agency.to_string(), "200/s,burst=2000");
        assert_eq!(d.hits.to_string(), "30/m,burst=10");
    }

    #[test]
    fn a_bucket_refuses_past_its_burst_with_a_retry_time() {
        let bucket = Bucket::new("test", Rate::new(1, Per::Hour, 3));
        for _ in 0..3 {
            assert!(bucket.take("k", 1).is_ok());
        }
        match bucket.take("k", 1) {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=3600).contains(&retry_after_secs))
            }
            other => panic!("expected RATE_LIMITED, got {other:?}"),
        }
        assert!(bucket.take("other", 1).is_ok(), "keys are independent");
        assert!(bucket.take("other", 5).is_err(), "more than the burst");
    }

    #[test]
    fn an_agency_flooding_does_not_limit_another() {
        let limits = Limiters::new(
            RateConfig {
                subject: Rate::Off,
                agency: Rate::new(1, Per::Hour, 5),
                hits: Rate::Off,
            },
            0,
        );
        for i in 0..5 {
            assert!(limits.admit(Agency::Police, &format!("s{i}"), 1).is_ok());
        }
        assert!(limits.admit(Agency::Police, "s9", 1).is_err());
        assert!(limits.admit(Agency::Court, "s1", 1).is_ok());
    }

    #[test]
    fn a_subject_flooding_does_not_limit_a_colleague() {
        let limits = Limiters::new(
            RateConfig {
                subject: Rate::new(1, Per::Hour, 2),
                agency: Rate::Off,
                hits: Rate::Off,
            },
            0,
        );
        assert!(limits.admit(Agency::Police, "a", 2).is_ok());
        assert!(limits.admit(Agency::Police, "a", 1).is_err());
        assert!(limits.admit(Agency::Police, "b", 1).is_ok());
        assert!(
            limits.admit(Agency::Court, "a", 1).is_ok(),
            "subjects are per agency"
        );
    }

    #[test]
    fn an_agency_share_is_freed_when_its_requests_finish() {
        let limits = Limiters::new(
            RateConfig {
                subject: Rate::Off,
                agency: Rate::Off,
                hits: Rate::Off,
            },
            2,
        );
        let first = limits.admit(Agency::Police, "a", 1).ok();
        let second = limits.admit(Agency::Police, "a", 1).ok();
        assert!(first.is_some() && second.is_some());
        assert!(matches!(
            limits.admit(Agency::Police, "a", 1),
            Err(ApiError::RateLimited { .. })
        ));
        assert!(
            limits.admit(Agency::Court, "c", 1).is_ok(),
            "another agency has its own share"
        );
        drop(first);
        assert!(limits.admit(Agency::Police, "a", 1).is_ok());
    }

    #[test]
    fn hit_searches_have_their_own_bucket() {
        let limits = Limiters::new(
            RateConfig {
                subject: Rate::Off,
                agency: Rate::Off,
                hits: Rate::new(1, Per::Hour, 1),
            },
            0,
        );
        assert!(limits.hits.take(Agency::Police, "a").is_ok());
        assert!(limits.hits.take(Agency::Police, "a").is_err());
        assert!(limits.hits.take(Agency::Police, "b").is_ok());
        assert!(limits.admit(Agency::Police, "a", 1).is_ok());
    }
}
