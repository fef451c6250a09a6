//! Group commit of read events, and the sealer of staged write events.
//!
//! Requests hand their read events to one writer task, which appends everything pending in one
//! transaction (one lock of the chain head, multi-row inserts) and then answers each request. A
//! response still waits until its own events are durable; under load many requests share one
//! commit instead of queueing on the head lock one by one.
//!
//! The writer also seals staged write events (`audit_stage`, committed by mutations in their
//! own transactions) into the chain, in staging order, ahead of the reads of the same commit, and
//! on PostgreSQL announces their change events in that commit ([`crate::events`]). A
//! mutation nudges the writer after its commit; the writer also seals on start and every
//! [`SWEEP`], for events staged by another process or left by one that stopped. Commits of
//! reads alone do not look at the stage.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use super::{Actor, PendingEvent};

/// The most requests folded into one commit.
const MAX_BATCH: usize = 256;

/// How often the writer looks for staged events nobody nudged it about (staged by a process
/// that stopped before its writer sealed them; any process's next mutation seals them too).
/// Long, so that an idle server sends no statements of its own.
pub const SWEEP: Duration = Duration::from_secs(30);

/// Work for the writer: read events to append and a waiter, or only a nudge to seal.
enum Job {
    Append {
        actor: Actor,
        events: Vec<PendingEvent>,
        done: oneshot::Sender<Result<(), String>>,
    },
    Seal,
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Job>,
    /// Set by [`AuditWriter::nudge`], taken by the writer's next commit: a nudge is never lost,
    /// even when the queue is full.
    seal_due: Arc<AtomicBool>,
}

impl AuditWriter {
    /// Starts the writer task over `db`.
    pub fn spawn(db: DatabaseConnection) -> AuditWriter {
        let (tx, mut rx) = mpsc::channel::<Job>(4096);
        let seal_due = Arc::new(AtomicBool::new(false));
        let due = seal_due.clone();
        tokio::spawn(async move {
            let mut sweep = tokio::time::interval(SWEEP);
            sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut more = false;
            loop {
                let first = if more {
                    Job::Seal
                } else {
                    tokio::select! {
                        job = rx.recv() => match job {
                            Some(job) => job,
                            None => break,
                        },
                        _ = sweep.tick() => Job::Seal,
                    }
                };
                let mut jobs = vec![first];
                while jobs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let mut batches = Vec::new();
                let mut waiters = Vec::new();
                let mut seal = due.swap(false, Ordering::AcqRel);
                for job in jobs {
                    match job {
                        Job::Append {
                            actor,
                            events,
                            done,
                        } => {
                            batches.push((actor, events));
                            waiters.push(done);
                        }
                        Job::Seal => seal = true,
                    }
                }
                let result = commit(&db, batches, seal)
                    .await
                    .map_err(|e| format!("{e:#}"));
                if let Err(err) = &result {
                    tracing::error!(error = %err, "audit commit failed");
                }
                for done in waiters {
                    let _ = done.send(result.clone().map(|_| ()));
                }
                // More staged than one commit takes: go on without waiting.
                more = matches!(result, Ok(sealed) if sealed >= super::chain::SEAL_BATCH);
            }
        });
        AuditWriter { tx, seal_due }
    }

    /// Appends `events` by `actor` and waits until they are committed.
    pub async fn write(&self, actor: Actor, events: Vec<PendingEvent>) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job::Append {
                actor,
                events,
                done,
            })
            .await
            .map_err(|_| anyhow::anyhow!("audit writer stopped"))?;
        wait.await
            .map_err(|_| anyhow::anyhow!("audit writer stopped"))?
            .map_err(|e| anyhow::anyhow!("audit commit failed: {e}"))
    }

    /// Asks the writer to seal staged events soon. Never waits: when the queue is full, the
    /// writer has commits ahead of it, and the next of them seals (`seal_due`).
    pub fn nudge(&self) {
        self.seal_due.store(true, Ordering::Release);
        let _ = self.tx.try_send(Job::Seal);
    }
}

/// One commit: the read events of `batches`, after the staged events when `seal` (a mutation
/// of this process staged some, or the sweep is due). Reads alone do not look at the stage.
async fn commit(
    db: &DatabaseConnection,
    batches: Vec<(Actor, Vec<PendingEvent>)>,
    seal: bool,
) -> anyhow::Result<u64> {
    if batches.is_empty() && !super::chain::any_staged(db).await? {
        // Only a nudge or the sweep, and nothing staged: no lock, no transaction.
        return Ok(0);
    }
    let txn = crate::store::begin_write(db).await?;
    let sealed = super::chain::append_many(&txn, batches, seal).await?;
    txn.commit().await?;
    metrics::counter!("ctex_audit_sealed_total").increment(sealed);
    Ok(sealed)
}
