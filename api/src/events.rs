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
//!
//! A notification also carries the chain's head after its seal. When a process's LISTEN
//! connection is lost (PostgreSQL restarted, the connection cut), notifications sent until sqlx
//! has reconnected and listens again reach nobody there; once back, the listener reads the
//! writes sealed after the last head it heard from the chain itself and announces their events
//! (`Heard::catch_up`), and skips the notifications of seals that catch-up covered, so each
//! event is delivered once. When sqlx reports an error instead (PostgreSQL refused the new
//! connection), the listener retries the connection itself every 200 ms, outside the wait for
//! a notification, and catches up as soon as it is back, not when the next notification comes.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
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
    /// The notification payload: `Kind:id:head`, `head` being the audit chain's head after the
    /// seal that announces the event (what a listener that lost its connection catches up
    /// from).
    pub(crate) fn payload(&self, head: i64) -> String {
        format!("{}:{}:{head}", self.kind.as_ref(), self.id)
    }

    /// The event of a payload and the head it was sealed at (`None` for a payload of an
    /// earlier version, `Kind:id`).
    fn parse(payload: &str) -> Option<(Event, Option<i64>)> {
        let (kind, rest) = payload.split_once(':')?;
        let (id, head) = match rest.split_once(':') {
            Some((id, head)) => (id, Some(head.parse().ok()?)),
            None => (rest, None),
        };
        let event = Event {
            kind: EventKind::from_str(kind).ok()?,
            id: Uuid::from_str(id).ok()?,
        };
        Some((event, head))
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
            let mut heard = Heard::new(head(db).await?);
            let (sender, counter, db) = (tx.clone(), delivered.clone(), db.clone());
            tokio::spawn(async move {
                loop {
                    match listener.try_recv().await {
                        Ok(note) => {
                            if note.is_none() {
                                // Back after losing the connection (sqlx reconnected and
                                // listens again): what was sealed meanwhile was announced to
                                // nobody here.
                                for event in heard.catch_up(&db).await {
                                    deliver(&sender, &counter, event);
                                }
                            }
                            if let Some(note) = note
                                && let Some(event) = heard.note(note.payload())
                            {
                                deliver(&sender, &counter, event);
                            }
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "event listener interrupted; reconnecting");
                            // Reconnect here rather than inside the next wait, which would
                            // catch up only when a notification arrives.
                            while let Err(err) = reconnect(&mut listener).await {
                                tracing::debug!(error = %err, "event listener still disconnected");
                            }
                            tracing::info!("event listener reconnected; catching up");
                            for event in heard.catch_up(&db).await {
                                deliver(&sender, &counter, event);
                            }
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

/// After 200 ms, connects `listener` again if it has no connection (sqlx listens on its
/// channels again when it connects), by running a query through it.
async fn reconnect(
    listener: &mut sea_orm::sqlx::postgres::PgListener,
) -> Result<(), sea_orm::sqlx::Error> {
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    sea_orm::sqlx::query("SELECT 1")
        .execute(listener)
        .await
        .map(|_| ())
}

/// The audit chain's head (PostgreSQL).
async fn head(db: &DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT seq FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("audit head row missing".into()))?;
    row.try_get("", "seq")
}

/// The most sealed writes one catch-up announces; beyond them a warning says events were lost.
const CATCH_UP_LIMIT: u64 = 10_000;

/// Where a PostgreSQL listener stands in the audit chain, so that after losing its connection
/// it announces what was sealed meanwhile, and nothing twice.
#[derive(Debug)]
struct Heard {
    /// The chain's head at the last announcement heard or caught up: a catch-up starts after it.
    head: i64,
    /// The head the last catch-up read (`i64::MIN` before any): announcements of seals up to it
    /// were caught up, so they are not delivered again when their notifications arrive.
    caught: i64,
}

impl Heard {
    /// A listener that started listening when the chain's head was `head` (read just after
    /// `LISTEN`: a seal that committed in between is heard, and delivered, although its head is
    /// not above `head`).
    fn new(head: i64) -> Heard {
        Heard {
            head,
            caught: i64::MIN,
        }
    }

    /// The event of a notification's payload, unless a catch-up delivered it already.
    fn note(&mut self, payload: &str) -> Option<Event> {
        let (event, sealed_at) = Event::parse(payload)?;
        match sealed_at {
            Some(at) if at <= self.caught => None,
            Some(at) => {
                self.head = self.head.max(at);
                Some(event)
            }
            None => Some(event),
        }
    }

    /// The events of the writes sealed since the last announcement heard, read from the chain
    /// (as the sealer derived them: [`events_of`] of each sealed write), in chain order. On an
    /// error nothing is caught up (logged: those events are lost to this process's
    /// subscribers).
    async fn catch_up(&mut self, db: &DatabaseConnection) -> Vec<Event> {
        match self.sealed_since(db).await {
            Ok((events, head)) => {
                tracing::info!(
                    from = self.head,
                    to = head,
                    events = events.len(),
                    "event listener reconnected; caught up from the audit chain"
                );
                self.head = self.head.max(head);
                self.caught = self.caught.max(head);
                events
            }
            Err(err) => {
                tracing::error!(error = %err, from = self.head, "event listener could not catch up; events sealed while it was disconnected are lost");
                Vec::new()
            }
        }
    }

    async fn sealed_since(
        &self,
        db: &DatabaseConnection,
    ) -> Result<(Vec<Event>, i64), sea_orm::DbErr> {
        // The head first: every seal up to it has committed, with all its rows.
        let head = head(db).await?;
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT seq, operation, entity_id FROM audit_event \
                 WHERE seq > $1 AND seq <= $2 AND action = 'WRITE' AND outcome = 'ALLOWED' \
                 AND entity_id IS NOT NULL ORDER BY seq LIMIT $3",
                [
                    self.head.into(),
                    head.into(),
                    i64::try_from(CATCH_UP_LIMIT).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        if rows.len() as u64 >= CATCH_UP_LIMIT {
            tracing::warn!(
                limit = CATCH_UP_LIMIT,
                "event listener catch-up truncated; later events of the gap are lost"
            );
        }
        let mut events = Vec::new();
        for row in rows {
            let operation: String = row.try_get("", "operation")?;
            let entity: Uuid = row.try_get("", "entity_id")?;
            events.extend(events_of(&operation, entity, None));
        }
        Ok((events, head))
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
    fn payloads_round_trip_and_carry_no_more_than_kind_id_and_head() {
        let e = Event {
            kind: EventKind::FlagRaised,
            id: Uuid::now_v7(),
        };
        assert_eq!(Event::parse(&e.payload(42)), Some((e, Some(42))));
        assert_eq!(e.payload(42).len(), "FlagRaised:".len() + 36 + ":42".len());
        // A payload of an earlier version.
        assert_eq!(
            Event::parse(&format!("FlagRaised:{}", e.id)),
            Some((e, None))
        );
        assert_eq!(Event::parse("nonsense"), None);
        assert_eq!(Event::parse("FlagRaised:not-a-uuid"), None);
        assert_eq!(Event::parse(&format!("FlagRaised:{}:x", e.id)), None);
    }

    #[test]
    fn a_listener_skips_what_it_caught_up_and_nothing_else() {
        let e = |n: u128| Event {
            kind: EventKind::ReferralReceived,
            id: Uuid::from_u128(n),
        };
        let mut heard = Heard::new(10);
        // A seal between `LISTEN` and reading the head is delivered.
        assert_eq!(heard.note(&e(7).payload(10)), Some(e(7)));
        assert_eq!(heard.head, 10);
        // Seals after the start are delivered, also several events of one seal.
        assert_eq!(heard.note(&e(1).payload(12)), Some(e(1)));
        assert_eq!(heard.note(&e(2).payload(12)), Some(e(2)));
        assert_eq!(heard.head, 12);
        // A catch-up read up to head 20: notifications of seals up to it are not delivered
        // again; later ones are.
        heard.caught = 20;
        heard.head = 20;
        assert_eq!(heard.note(&e(3).payload(15)), None);
        assert_eq!(heard.note(&e(4).payload(20)), None);
        assert_eq!(heard.note(&e(5).payload(21)), Some(e(5)));
        assert_eq!(heard.head, 21);
        // An earlier version's payload has no head: delivered.
        assert_eq!(
            heard.note(&format!("ReferralReceived:{}", e(6).id)),
            Some(e(6))
        );
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
