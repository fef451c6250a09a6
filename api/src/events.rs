//! Change events for subscriptions, across replicas.
//!
//! A mutation that changes a flag, a referral or a case announces it. On PostgreSQL the audit
//! writer announces it with `pg_notify` in the commit that seals the mutation's staged write
//! event into the audit chain ([`crate::audit::chain`]): the event exists only if the change
//! committed (its write event commits with it), reaches every `ctex serve` process listening on
//! the same database, and is derived from the sealed row by [`events_of`], so one notification
//! statement serves a whole seal batch instead of one round trip (and one turn at PostgreSQL's
//! notification lock) per mutation. Subscribers hear of a change milliseconds after the
//! mutation's response; events staged by a process that stopped are announced when another
//! process (or the next start) seals them. On SQLite (one process) events go on the in-process
//! channel after the commit. Events carry a kind and an id, never personal data: each
//! subscriber loads the row through its own scope.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{DatabaseConnection, DbBackend};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel events travel on.
pub const CHANNEL: &str = "ctex_events";

/// What changed.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::AsRefStr,
)]
pub enum EventKind {
    /// An embassy flagged a suspected victim.
    FlagRaised,
    /// A flag moved or was verified.
    FlagUpdated,
    /// A referral was sent.
    ReferralReceived,
    /// A referral was answered, revoked or completed.
    ReferralUpdated,
    /// A case (or something in it) changed.
    CaseUpdated,
}

/// One change: its kind and the id of the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What changed.
    pub kind: EventKind,
    /// The row (flag, referral or case).
    pub id: Uuid,
}

impl Event {
    /// The notification payload: `Kind:id`.
    pub(crate) fn payload(&self) -> String {
        format!("{}:{}", self.kind.as_ref(), self.id)
    }

    fn parse(payload: &str) -> Option<Event> {
        let (kind, id) = payload.split_once(':')?;
        Some(Event {
            kind: EventKind::from_str(kind).ok()?,
            id: Uuid::from_str(id).ok()?,
        })
    }
}

/// One event as this process received it: the event and its place among the deliveries of
/// the bus (the same change announced twice is delivered twice, with two numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Counts the bus's deliveries, from 1.
    pub seq: u64,
    /// The event.
    pub event: Event,
}

/// Sends `event` on `tx` with the next delivery number of `counter`.
fn deliver(tx: &broadcast::Sender<Delivery>, counter: &AtomicU64, event: Event) {
    let seq = counter.fetch_add(1, Ordering::Relaxed) + 1;
    let _ = tx.send(Delivery { seq, event });
}

/// The in-process fan-out of events to subscribers.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Delivery>,
    delivered: Arc<AtomicU64>,
    backend: DbBackend,
}

impl EventBus {
    /// A bus for a server on `db`; on PostgreSQL it also starts the listener that feeds it
    /// from `LISTEN ctex_events`.
    pub async fn start(db: &DatabaseConnection, url: &str) -> anyhow::Result<EventBus> {
        let (tx, _) = broadcast::channel(8192);
        let delivered = Arc::new(AtomicU64::new(0));
        let backend = db.get_database_backend();
        if backend == DbBackend::Postgres {
            let mut listener = sea_orm::sqlx::postgres::PgListener::connect(url).await?;
            listener.listen(CHANNEL).await?;
            let sender = tx.clone();
            let counter = delivered.clone();
            tokio::spawn(async move {
                loop {
                    match listener.recv().await {
                        Ok(note) => {
                            if let Some(event) = Event::parse(note.payload()) {
                                deliver(&sender, &counter, event);
                            }
                        }
                        Err(err) => {
                            // sqlx reconnects on the next recv; events sent meanwhile are lost.
                            tracing::warn!(error = %err, "event listener interrupted; reconnecting");
                            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                        }
                    }
                }
            });
        }
        Ok(EventBus {
            tx,
            delivered,
            backend,
        })
    }

    /// A new subscription to every event delivered from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Delivery> {
        self.tx.subscribe()
    }

    /// The events a committed mutation sends itself, after its commit: all of them on SQLite;
    /// none on PostgreSQL, where the audit writer announces them when it seals the mutation's
    /// write event (see the module docs).
    pub(crate) fn after_commit(&self, events: Vec<Event>) -> Vec<Event> {
        if self.backend == DbBackend::Postgres {
            return Vec::new();
        }
        events
    }

    /// Sends events locally (after the commit, on SQLite).
    pub(crate) fn send_local(&self, events: Vec<Event>) {
        for event in events {
            deliver(&self.tx, &self.delivered, event);
        }
    }
}

/// The events a successful mutation announces.
pub fn events_of(operation: &str, entity_id: Uuid, case_id: Option<Uuid>) -> Vec<Event> {
    use EventKind::*;
    let mut out = Vec::new();
    match operation {
        "flagSuspectedVictim" => out.push(Event {
            kind: FlagRaised,
            id: entity_id,
        }),
        "requestIdentityVerification" | "recordIdentityVerification" | "moveFlag" => {
            out.push(Event {
                kind: FlagUpdated,
                id: entity_id,
            })
        }
        "sendReferral" => out.push(Event {
            kind: ReferralReceived,
            id: entity_id,
        }),
        "acceptReferral" | "declineReferral" | "revokeReferral" | "completeReferral" => {
            out.push(Event {
                kind: ReferralUpdated,
                id: entity_id,
            })
        }
        "updateCase" | "moveCase" | "openCase" => out.push(Event {
            kind: CaseUpdated,
            id: entity_id,
        }),
        _ => {}
    }
    if let Some(case) = case_id
        && !out.iter().any(|e| e.kind == CaseUpdated && e.id == case)
    {
        out.push(Event {
            kind: CaseUpdated,
            id: case,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_carry_no_more_than_kind_and_id() {
        let e = Event {
            kind: EventKind::FlagRaised,
            id: Uuid::now_v7(),
        };
        assert_eq!(Event::parse(&e.payload()), Some(e));
        assert_eq!(e.payload().len(), "FlagRaised:".len() + 36);
        assert_eq!(Event::parse("nonsense"), None);
        assert_eq!(Event::parse("FlagRaised:not-a-uuid"), None);
    }

    #[test]
    fn mutations_announce_their_events() {
        let id = Uuid::now_v7();
        let case = Uuid::now_v7();
        assert_eq!(
            events_of("flagSuspectedVictim", id, None),
            vec![Event {
                kind: EventKind::FlagRaised,
                id
            }]
        );
        assert_eq!(
            events_of("acceptReferral", id, Some(case)),
            vec![
                Event {
                    kind: EventKind::ReferralUpdated,
                    id
                },
                Event {
                    kind: EventKind::CaseUpdated,
                    id: case
                }
            ]
        );
        assert_eq!(
            events_of("moveCase", case, Some(case)),
            vec![Event {
                kind: EventKind::CaseUpdated,
                id: case
            }]
        );
    }
}
