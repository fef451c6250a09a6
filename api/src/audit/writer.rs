//! Group commit of read events: requests hand their events to one writer task, which appends
//! everything pending in one transaction (one lock of the chain head, multi-row inserts) and
//! then answers each request. A response still waits until its own events are durable; under
//! load many requests share one commit instead of queueing on the head lock one by one.

use sea_orm::DatabaseConnection;
use tokio::sync::{mpsc, oneshot};

use super::{Actor, PendingEvent};

/// The most requests folded into one commit.
const MAX_BATCH: usize = 256;

struct Job {
    actor: Actor,
    events: Vec<PendingEvent>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Job>,
}

impl AuditWriter {
    /// Starts the writer task over `db`.
    pub fn spawn(db: DatabaseConnection) -> AuditWriter {
        let (tx, mut rx) = mpsc::channel::<Job>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let (batches, waiters): (Vec<_>, Vec<_>) = jobs
                    .into_iter()
                    .map(|j| ((j.actor, j.events), j.done))
                    .unzip();
                let result = commit(&db, batches).await.map_err(|e| format!("{e:#}"));
                for done in waiters {
                    let _ = done.send(result.clone());
                }
            }
        });
        AuditWriter { tx }
    }

    /// Appends `events` by `actor` and waits until they are committed.
    pub async fn write(&self, actor: Actor, events: Vec<PendingEvent>) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job {
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
}

async fn commit(
    db: &DatabaseConnection,
    batches: Vec<(Actor, Vec<PendingEvent>)>,
) -> anyhow::Result<()> {
    let txn = crate::store::begin_write(db).await?;
    super::chain::append_many(&txn, batches).await?;
    txn.commit().await?;
    Ok(())
}
