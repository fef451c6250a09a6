//! The audit trail (DESIGN §6): what was read or written about whom, by whom, and why.
//!
//! During a request the field guard records person-level reads and every denial in the
//! request's [`AuditBuffer`], grouped per entity (one event lists its fields); mutations record
//! their write. Reads are appended by `flush_reads` before the response leaves (a request whose
//! events cannot be written returns no data). Writes are staged by `append_writes` inside the
//! mutation's own transaction (`audit_stage`: they commit or roll back with the write, without
//! waiting for the chain), and the [`AuditWriter`] seals them into the chain moments later.
//! [`chain`] keeps `audit_event` a linear SHA-256 hash chain, serialized on a locked head row so
//! it stays linear across concurrent requests and processes.
//!
//! Why writes are staged (a difference from DESIGN §6, which appends them to the chain in the
//! mutation's transaction): appending there held the head lock from the append through the
//! mutation's commit flush, so all mutations of all processes queued on one lock. A staged
//! event is as durable as the write it records; its place in the chain is decided by the
//! sealer, in staging order. Until sealed (milliseconds while a server runs) it is not yet
//! protected by the chain's hashes; `ctex audit verify` seals what is staged before verifying.
//!
//! This module never logs personal data: events hold ids, field names and codes.

pub mod chain;
pub mod writer;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use uuid::Uuid;

pub use chain::{VerifyReport, export, seal, staged, verify};
pub use writer::AuditWriter;

/// Outcome of an audited access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// The access was allowed.
    Allowed,
    /// The access was refused (`FORBIDDEN`, `PURPOSE_REQUIRED`, `NOT_FOUND` by scope).
    Denied,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "ALLOWED",
            Outcome::Denied => "DENIED",
        }
    }
}

/// Whether an event records a read or a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Fields were read (or a read was refused).
    Read,
    /// A mutation wrote (or a write was refused).
    Write,
}

impl Action {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "READ",
            Action::Write => "WRITE",
        }
    }
}

/// The row an access concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuditEntity {
    /// GraphQL type name (`Person`, `CaseParty`, `Identifier`, `Case` ...).
    pub ty: &'static str,
    /// Row id.
    pub id: Uuid,
    /// The person the data is about, when it is person-level.
    pub person: Option<Uuid>,
}

/// Key of one pending event: entity, action, outcome and the reason for a denial.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventKey {
    /// Entity type.
    pub entity_type: &'static str,
    /// Entity id, when the access concerned one row.
    pub entity_id: Option<Uuid>,
    /// The person concerned.
    pub person_id: Option<Uuid>,
    /// Read or write.
    pub action: Action,
    /// Allowed or denied.
    pub outcome: Outcome,
    /// For denials: the code (`FORBIDDEN`, `PURPOSE_REQUIRED`, `NOT_FOUND`).
    pub reason: Option<&'static str>,
    /// For writes: the mutation (reads use the request's operation name).
    pub operation: Option<&'static str>,
}

/// One event waiting to be appended, before it has a place in the chain.
#[derive(Clone, Debug)]
pub struct PendingEvent {
    /// What the event is about.
    pub key: EventKey,
    /// The fields read or written, sorted.
    pub fields: Vec<String>,
}

/// The reads, writes and denials of one request, waiting to be written.
#[derive(Debug, Default)]
pub struct AuditBuffer {
    reads: Mutex<BTreeMap<EventKey, BTreeSet<&'static str>>>,
    writes: Mutex<Vec<PendingEvent>>,
    /// Write events were staged: the writer should seal them.
    staged: AtomicBool,
}

fn entity_key(
    entity: Option<AuditEntity>,
    ty: &'static str,
    action: Action,
    outcome: Outcome,
    reason: Option<&'static str>,
) -> EventKey {
    EventKey {
        entity_type: entity.map(|e| e.ty).unwrap_or(ty),
        entity_id: entity.map(|e| e.id),
        person_id: entity.and_then(|e| e.person),
        action,
        outcome,
        reason,
        operation: None,
    }
}

impl AuditBuffer {
    fn push(&self, key: EventKey, field: &'static str) {
        let mut reads = match self.reads.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        reads.entry(key).or_default().insert(field);
    }

    /// A person-level field of `entity` was read.
    pub fn read(&self, entity: AuditEntity, field: &'static str) {
        self.push(
            entity_key(
                Some(entity),
                entity.ty,
                Action::Read,
                Outcome::Allowed,
                None,
            ),
            field,
        );
    }

    /// The policy refused `ty.field` (on `entity`, when it concerned a row).
    pub fn denied(&self, ty: &'static str, field: &'static str, entity: Option<AuditEntity>) {
        self.push(
            entity_key(entity, ty, Action::Read, Outcome::Denied, Some("FORBIDDEN")),
            field,
        );
    }

    /// Person-level `ty.field` was requested without a purpose.
    pub fn purpose_missing(
        &self,
        ty: &'static str,
        field: &'static str,
        entity: Option<AuditEntity>,
    ) {
        self.push(
            entity_key(
                entity,
                ty,
                Action::Read,
                Outcome::Denied,
                Some("PURPOSE_REQUIRED"),
            ),
            field,
        );
    }

    /// A lookup by id found nothing in the caller's scope.
    pub fn not_found(&self, entity_type: &'static str, id: Uuid) {
        let entity = AuditEntity {
            ty: entity_type,
            id,
            person: (entity_type == "Person").then_some(id),
        };
        self.push(
            entity_key(
                Some(entity),
                entity_type,
                Action::Read,
                Outcome::Denied,
                Some("NOT_FOUND"),
            ),
            "id",
        );
    }

    /// A mutation wrote `fields` of `entity`: appended inside its transaction.
    pub fn written(&self, operation: &'static str, entity: AuditEntity, fields: Vec<String>) {
        let mut fields = fields;
        fields.sort_unstable();
        fields.dedup();
        let key = EventKey {
            entity_type: entity.ty,
            entity_id: Some(entity.id),
            person_id: entity.person,
            action: Action::Write,
            outcome: Outcome::Allowed,
            reason: None,
            operation: Some(operation),
        };
        match self.writes.lock() {
            Ok(mut w) => w.push(PendingEvent { key, fields }),
            Err(poisoned) => poisoned.into_inner().push(PendingEvent { key, fields }),
        }
    }

    /// Takes the pending read and denial events, one per entity with its fields.
    pub fn take_reads(&self) -> Vec<PendingEvent> {
        let mut reads = match self.reads.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        std::mem::take(&mut *reads)
            .into_iter()
            .map(|(key, fields)| PendingEvent {
                key,
                fields: fields.into_iter().map(str::to_string).collect(),
            })
            .collect()
    }

    /// Takes the pending write events.
    pub fn take_writes(&self) -> Vec<PendingEvent> {
        match self.writes.lock() {
            Ok(mut w) => std::mem::take(&mut *w),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        }
    }

    /// Drops pending write events (the transaction they belonged to rolled back).
    pub fn discard_writes(&self) {
        let _ = self.take_writes();
    }
}

/// Who made the request, for the events it produces.
#[derive(Clone, Debug)]
pub struct Actor {
    /// Agency code.
    pub agency: String,
    /// Token subject.
    pub subject: String,
    /// Token id.
    pub token_id: String,
    /// Request id.
    pub request_id: String,
    /// GraphQL operation name.
    pub operation: String,
    /// Access purpose.
    pub purpose: Option<String>,
}

impl Actor {
    /// A police officer's actor, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_test() -> Actor {
        Actor {
            agency: "police".into(),
            subject: "officer".into(),
            token_id: "jti".into(),
            request_id: "req".into(),
            operation: "Op".into(),
            purpose: None,
        }
    }

    /// The actor of a request.
    pub(crate) fn of(req: &crate::graphql::RequestCtx) -> Actor {
        Actor {
            agency: req.principal.agency.code().to_string(),
            subject: req.principal.subject.clone(),
            token_id: req.principal.token_id.clone(),
            request_id: req.request_id.clone(),
            operation: req.operation.clone(),
            purpose: req.principal.purpose.clone(),
        }
    }
}

/// Writes the request's pending read and denial events (group-committed with other requests'),
/// before its response leaves, and has the writer seal the write events it staged. An error
/// here must withhold the response.
pub(crate) async fn flush_reads(
    writer: &AuditWriter,
    req: &crate::graphql::RequestCtx,
) -> anyhow::Result<()> {
    let events = req.audit.take_reads();
    if req.audit.staged.swap(false, Ordering::Relaxed) {
        // Ahead of the reads, so that usually one commit seals and appends both.
        writer.nudge();
    }
    if events.is_empty() {
        return Ok(());
    }
    writer.write(Actor::of(req), events).await
}

/// Takes the request's pending write events as the insert that stages them, for a write that
/// sends it within its own statement (`store::Writes::combined`); `None` when there are none.
/// Once that statement has succeeded, [`staged_by`] tells the writer to seal them.
pub(crate) fn stage_statement(
    req: &crate::graphql::RequestCtx,
) -> Option<sea_orm::sea_query::InsertStatement> {
    chain::stage_statement(&Actor::of(req), req.audit.take_writes())
}

/// Records that the request staged write events by itself (see [`stage_statement`]).
pub(crate) fn staged_by(req: &crate::graphql::RequestCtx) {
    req.audit.staged.store(true, Ordering::Relaxed);
}

/// Stages the write events of a mutation inside its transaction (sealed into the chain by the
/// writer after `flush_reads`).
pub(crate) async fn append_writes(
    txn: &sea_orm::DatabaseTransaction,
    req: &crate::graphql::RequestCtx,
) -> crate::error::ApiResult<()> {
    let events = req.audit.take_writes();
    if events.is_empty() {
        return Ok(());
    }
    chain::stage(txn, &Actor::of(req), events).await?;
    req.audit.staged.store(true, Ordering::Relaxed);
    Ok(())
}
