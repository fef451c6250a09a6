//! The hash chain: append events under the head lock, verify the chain, export it.
//!
//! Each event's `hash = SHA-256(prev_hash ‖ canonical JSON of the event)`, hex. The canonical
//! JSON has a fixed key order and carries every stored column but the hashes, so editing any
//! column, deleting a row (a gap in `seq`, or a head that no longer matches) or swapping two rows
//! breaks verification at a named `seq`. Appends read the head row `FOR UPDATE` (PostgreSQL) or
//! run in an `IMMEDIATE` transaction (SQLite), so concurrent requests and several server
//! processes extend one linear chain; a request's events go in one multi-row insert.

use chrono::{DateTime, SecondsFormat, Utc};
use entities::{audit_event, audit_stage};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, NotSet,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Actor, PendingEvent};

/// The hash before the first event.
pub const GENESIS: &str = migration::m20261126_000003_audit::GENESIS;

#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    at: String,
    agency: &'a str,
    subject: &'a str,
    token_id: &'a str,
    request_id: &'a str,
    operation: &'a str,
    purpose: Option<&'a str>,
    entity_type: &'a str,
    entity_id: Option<String>,
    person_id: Option<String>,
    fields: Vec<String>,
    action: &'a str,
    outcome: &'a str,
    reason: Option<&'a str>,
}

/// The canonical encoding of an event (everything but its hashes).
fn canonical(e: &audit_event::Model) -> String {
    let c = Canonical {
        seq: e.seq,
        at: e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        agency: &e.agency,
        subject: &e.subject,
        token_id: &e.token_id,
        request_id: &e.request_id,
        operation: &e.operation,
        purpose: e.purpose.as_deref(),
        entity_type: &e.entity_type,
        entity_id: e.entity_id.map(|u| u.to_string()),
        person_id: e.person_id.map(|u| u.to_string()),
        fields: serde_json::from_str(&e.fields).unwrap_or_default(),
        action: &e.action,
        outcome: &e.outcome,
        reason: e.reason.as_deref(),
    };
    serde_json::to_string(&c).unwrap_or_default()
}

/// `hex(SHA-256(prev ‖ canonical(e)))`.
pub fn event_hash(prev: &str, e: &audit_event::Model) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev.as_bytes());
    hasher.update(canonical(e).as_bytes());
    hex::encode(hasher.finalize())
}

async fn lock_head(conn: &impl ConnectionTrait) -> Result<(i64, String), DbErr> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
        _ => "SELECT seq, hash FROM audit_head WHERE id = 1",
    };
    let row = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| DbErr::Custom("audit head row missing".into()))?;
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

/// The most staged events one commit moves into the chain.
pub const SEAL_BATCH: u64 = 1000;

/// Stages a mutation's `events` by `actor` inside the mutation's own transaction: they commit
/// (or roll back) with its writes, without the head lock. The sealer chains them later.
pub(crate) async fn stage(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    events: Vec<PendingEvent>,
) -> Result<(), DbErr> {
    if let Some(insert) = stage_statement(actor, events) {
        conn.execute(&insert).await?;
    }
    Ok(())
}

/// The insert that stages `events` (see [`stage`]); `None` when there are none.
pub(crate) fn stage_statement(
    actor: &Actor,
    events: Vec<PendingEvent>,
) -> Option<sea_orm::sea_query::InsertStatement> {
    if events.is_empty() {
        return None;
    }
    let at = crate::store::now();
    let models = events.into_iter().map(|event| audit_stage::ActiveModel {
        id: NotSet,
        at: Set(at),
        agency: Set(actor.agency.clone()),
        subject: Set(actor.subject.clone()),
        token_id: Set(actor.token_id.clone()),
        request_id: Set(actor.request_id.clone()),
        operation: Set(event
            .key
            .operation
            .map(str::to_string)
            .unwrap_or_else(|| actor.operation.clone())),
        purpose: Set(actor.purpose.clone()),
        entity_type: Set(event.key.entity_type.to_string()),
        entity_id: Set(event.key.entity_id),
        person_id: Set(event.key.person_id),
        fields: Set(crate::store::json_list(&event.fields)),
        action: Set(event.key.action.as_str().to_string()),
        outcome: Set(event.key.outcome.as_str().to_string()),
        reason: Set(event.key.reason.map(str::to_string)),
    });
    Some(sea_orm::QueryTrait::into_query(
        audit_stage::Entity::insert_many(models),
    ))
}

/// Appends the events of several requests at once, inside the caller's transaction, after
/// sealing (when `seal`) up to [`SEAL_BATCH`] staged events (they come first: they were
/// committed earlier). One head lock, one insert: the group commit of concurrent requests'
/// reads. Returns how many staged events were sealed; [`SEAL_BATCH`] of them means more may be
/// waiting.
///
/// On PostgreSQL the rows go in as one JSON parameter (`json_populate_recordset`), and the
/// sealed rows leave the stage and the head moves in the same statement, so the statement text,
/// and so its prepared plan, is the same whatever the number of events: four round trips under
/// the head lock (lock, read the stage, insert and move, commit). On SQLite, multi-row inserts.
pub(crate) async fn append_many(
    conn: &impl ConnectionTrait,
    batches: Vec<(Actor, Vec<PendingEvent>)>,
    seal: bool,
) -> Result<u64, DbErr> {
    if !seal && batches.iter().all(|(_, e)| e.is_empty()) {
        return Ok(0);
    }
    let (mut seq, mut prev) = lock_head(conn).await?;
    // Read after the lock: a concurrent sealer (another process) has committed by now, so its
    // rows are gone from the stage, and the order of `id` is the order of the chain.
    let staged = if seal {
        audit_stage::Entity::find()
            .order_by_asc(audit_stage::Column::Id)
            .limit(SEAL_BATCH)
            .all(conn)
            .await?
    } else {
        Vec::new()
    };
    let total = staged.len() + batches.iter().map(|(_, e)| e.len()).sum::<usize>();
    if total == 0 {
        return Ok(0);
    }
    let sealed = staged.len() as u64;
    let staged_ids: Vec<i64> = staged.iter().map(|s| s.id).collect();
    // The change events of the sealed writes, announced by this commit (crate::events) with
    // the head it moves the chain to.
    let events: Vec<crate::events::Event> = staged
        .iter()
        .filter_map(|s| Some(crate::events::events_of(&s.operation, s.entity_id?, None)))
        .flatten()
        .collect();
    let at = crate::store::now();
    let mut rows: Vec<audit_event::Model> = Vec::with_capacity(total);
    let mut push = |mut model: audit_event::Model| {
        seq += 1;
        model.seq = seq;
        model.hash = event_hash(&prev, &model);
        model.prev_hash = std::mem::replace(&mut prev, model.hash.clone());
        rows.push(model);
    };
    for s in staged {
        push(audit_event::Model {
            seq: 0,
            at: s.at,
            agency: s.agency,
            subject: s.subject,
            token_id: s.token_id,
            request_id: s.request_id,
            operation: s.operation,
            purpose: s.purpose,
            entity_type: s.entity_type,
            entity_id: s.entity_id,
            person_id: s.person_id,
            fields: s.fields,
            action: s.action,
            outcome: s.outcome,
            reason: s.reason,
            prev_hash: String::new(),
            hash: String::new(),
        });
    }
    for (actor, events) in batches {
        for event in events {
            push(audit_event::Model {
                seq: 0,
                at,
                agency: actor.agency.clone(),
                subject: actor.subject.clone(),
                token_id: actor.token_id.clone(),
                request_id: actor.request_id.clone(),
                operation: event
                    .key
                    .operation
                    .map(str::to_string)
                    .unwrap_or_else(|| actor.operation.clone()),
                purpose: actor.purpose.clone(),
                entity_type: event.key.entity_type.to_string(),
                entity_id: event.key.entity_id,
                person_id: event.key.person_id,
                fields: crate::store::json_list(&event.fields),
                action: event.key.action.as_str().to_string(),
                outcome: event.key.outcome.as_str().to_string(),
                reason: event.key.reason.map(str::to_string),
                prev_hash: String::new(),
                hash: String::new(),
            });
        }
    }
    let backend = conn.get_database_backend();
    if backend == DbBackend::Postgres {
        let announced: Vec<String> = events.iter().map(|e| e.payload(seq)).collect();
        let json = serde_json::to_string(&rows.iter().map(row_json).collect::<Vec<_>>())
            .map_err(|e| DbErr::Custom(format!("audit rows: {e}")))?;
        let ids = serde_json::to_string(&staged_ids)
            .map_err(|e| DbErr::Custom(format!("staged ids: {e}")))?;
        let announced = serde_json::to_string(&announced)
            .map_err(|e| DbErr::Custom(format!("announced events: {e}")))?;
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            APPEND_PG,
            [
                json.into(),
                seq.into(),
                prev.into(),
                ids.into(),
                crate::events::CHANNEL.into(),
                announced.into(),
            ],
        ))
        .await?;
        return Ok(sealed);
    }
    for chunk in rows.chunks(500) {
        let models = chunk.iter().cloned().map(|m| audit_event::ActiveModel {
            seq: Set(m.seq),
            at: Set(m.at),
            agency: Set(m.agency),
            subject: Set(m.subject),
            token_id: Set(m.token_id),
            request_id: Set(m.request_id),
            operation: Set(m.operation),
            purpose: Set(m.purpose),
            entity_type: Set(m.entity_type),
            entity_id: Set(m.entity_id),
            person_id: Set(m.person_id),
            fields: Set(m.fields),
            action: Set(m.action),
            outcome: Set(m.outcome),
            reason: Set(m.reason),
            prev_hash: Set(m.prev_hash),
            hash: Set(m.hash),
        });
        audit_event::Entity::insert_many(models)
            .exec_without_returning(conn)
            .await?;
    }
    for chunk in staged_ids.chunks(500) {
        audit_stage::Entity::delete_many()
            .filter(audit_stage::Column::Id.is_in(chunk.iter().copied()))
            .exec(conn)
            .await?;
    }
    let mut update = Query::update();
    update
        .table(Alias::new("audit_head"))
        .value(Alias::new("seq"), seq)
        .value(Alias::new("hash"), prev)
        .and_where(Expr::col(Alias::new("id")).eq(1));
    conn.execute_raw(backend.build(&update)).await?;
    Ok(sealed)
}

/// Moves every staged event into the chain, in commits of up to [`SEAL_BATCH`]; returns how
/// many. The server's audit writer does this continuously; `ctex audit verify` and `export`
/// and the `auditEvents` query do it first, so that they see every committed event.
pub async fn seal(db: &DatabaseConnection) -> Result<u64, DbErr> {
    if !any_staged(db).await? {
        return Ok(0);
    }
    let mut total = 0;
    loop {
        let txn = crate::store::begin_write(db).await?;
        let sealed = append_many(&txn, Vec::new(), true).await?;
        txn.commit().await?;
        metrics::counter!("ctex_audit_sealed_total").increment(sealed);
        total += sealed;
        if sealed < SEAL_BATCH {
            return Ok(total);
        }
    }
}

/// Whether any event is staged (one indexed row read, no lock). In `id` order, so that it
/// reads the primary key's index: the stage's heap is mostly rows already sealed and deleted,
/// which a plain `LIMIT 1` scanned through (6 ms a call under W3, BENCHMARKS.md run `s21`).
pub(crate) async fn any_staged(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(audit_stage::Entity::find()
        .select_only()
        .column(audit_stage::Column::Id)
        .order_by_asc(audit_stage::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// How many events are staged and not yet sealed.
pub async fn staged(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    audit_stage::Entity::find().count(db).await
}

/// PostgreSQL: insert the events (`$1`, a JSON array of rows), delete the staged rows they seal
/// (`$4`, a JSON array of ids), announce the sealed writes' change events on channel `$5` (`$6`,
/// a JSON array of payloads; delivered when the transaction commits) and move the head to
/// `$2`, `$3`, in one statement. The `announced` CTE calls a volatile function, so PostgreSQL
/// materializes it, and the head's `UPDATE` reads it, so it runs (an unread `SELECT` CTE would
/// not).
const APPEND_PG: &str = "WITH inserted AS (\
    INSERT INTO audit_event (seq, at, agency, subject, token_id, request_id, operation, purpose, \
    entity_type, entity_id, person_id, fields, action, outcome, reason, prev_hash, hash) \
    SELECT seq, at, agency, subject, token_id, request_id, operation, purpose, entity_type, \
    entity_id, person_id, fields, action, outcome, reason, prev_hash, hash \
    FROM json_populate_recordset(NULL::audit_event, $1::json) RETURNING 1), \
    sealed AS (DELETE FROM audit_stage WHERE id IN \
    (SELECT value::bigint FROM json_array_elements_text($4::json)) RETURNING 1), \
    announced AS (SELECT pg_notify($5, value) FROM json_array_elements_text($6::json)) \
    UPDATE audit_head SET seq = $2, hash = $3 \
    WHERE id = 1 AND (SELECT count(*) FROM announced) >= 0";

/// One event as a JSON object of its columns (timestamps RFC 3339 with microseconds, as
/// PostgreSQL reads them back exactly).
fn row_json(m: &audit_event::Model) -> serde_json::Value {
    serde_json::json!({
        "seq": m.seq,
        "at": m.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "agency": m.agency,
        "subject": m.subject,
        "token_id": m.token_id,
        "request_id": m.request_id,
        "operation": m.operation,
        "purpose": m.purpose,
        "entity_type": m.entity_type,
        "entity_id": m.entity_id,
        "person_id": m.person_id,
        "fields": m.fields,
        "action": m.action,
        "outcome": m.outcome,
        "reason": m.reason,
        "prev_hash": m.prev_hash,
        "hash": m.hash,
    })
}

/// The result of verifying the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events checked.
    pub events: u64,
    /// The first broken place: its `seq` and what is wrong. `None` when the chain verifies.
    pub first_bad: Option<(i64, String)>,
}

/// Recomputes the whole chain from the first event and compares it with the head row.
pub async fn verify(db: &impl ConnectionTrait) -> anyhow::Result<VerifyReport> {
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_string();
    let mut count = 0u64;
    loop {
        let page = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(5000)
            .all(db)
            .await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            if e.seq != expected_seq {
                return Ok(bad(
                    count,
                    expected_seq,
                    format!("event {expected_seq} is missing (next is {})", e.seq),
                ));
            }
            if e.prev_hash != prev {
                return Ok(bad(
                    count,
                    e.seq,
                    "prev_hash does not match the previous event's hash".into(),
                ));
            }
            let recomputed = event_hash(&prev, e);
            if recomputed != e.hash {
                return Ok(bad(
                    count,
                    e.seq,
                    "hash does not match the event's contents".into(),
                ));
            }
            prev = e.hash.clone();
            expected_seq += 1;
            count += 1;
        }
    }
    let (head_seq, head_hash) = lock_free_head(db).await?;
    if head_seq != expected_seq - 1 || head_hash != prev {
        return Ok(bad(
            count,
            expected_seq,
            format!(
                "the chain ends at {} but the head says {head_seq}: events were removed from the end",
                expected_seq - 1
            ),
        ));
    }
    Ok(VerifyReport {
        events: count,
        first_bad: None,
    })
}

fn bad(events: u64, seq: i64, what: String) -> VerifyReport {
    VerifyReport {
        events,
        first_bad: Some((seq, what)),
    }
}

async fn lock_free_head(conn: &impl ConnectionTrait) -> Result<(i64, String), DbErr> {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT seq, hash FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("audit head row missing".into()))?;
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

/// Writes the events recorded in `[from, to)` as JSON lines (with their hashes), for archiving.
pub async fn export(
    db: &impl ConnectionTrait,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    out: &mut impl std::io::Write,
) -> anyhow::Result<u64> {
    let mut after = 0i64;
    let mut written = 0u64;
    loop {
        let mut query = audit_event::Entity::find().filter(audit_event::Column::Seq.gt(after));
        if let Some(from) = from {
            query = query.filter(audit_event::Column::At.gte(from));
        }
        if let Some(to) = to {
            query = query.filter(audit_event::Column::At.lt(to));
        }
        let page = query
            .order_by_asc(audit_event::Column::Seq)
            .limit(5000)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            let line = serde_json::json!({
                "seq": e.seq,
                "at": e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
                "agency": e.agency,
                "subject": e.subject,
                "tokenId": e.token_id,
                "requestId": e.request_id,
                "operation": e.operation,
                "purpose": e.purpose,
                "entityType": e.entity_type,
                "entityId": e.entity_id,
                "personId": e.person_id,
                "fields": serde_json::from_str::<serde_json::Value>(&e.fields).unwrap_or_default(),
                "action": e.action,
                "outcome": e.outcome,
                "reason": e.reason,
                "prevHash": e.prev_hash,
                "hash": e.hash,
            });
            writeln!(out, "{line}")?;
            written += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i64) -> audit_event::Model {
        audit_event::Model {
            seq,
            at: DateTime::parse_from_rfc3339("2026-07-01T08:00:00.123456Z")
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default(),
            agency: "police".into(),
            subject: "officer-1".into(),
            token_id: "jti".into(),
            request_id: "req".into(),
            operation: "Q".into(),
            purpose: Some("case 12 review".into()),
            entity_type: "Person".into(),
            entity_id: None,
            person_id: None,
            fields: "[\"fullName\",\"phone\"]".into(),
            action: "READ".into(),
            outcome: "ALLOWED".into(),
            reason: None,
            prev_hash: GENESIS.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_hash_covers_every_column() {
        let base = event_hash(GENESIS, &event(1));
        let mut e = event(1);
        e.purpose = Some("another purpose".into());
        assert_ne!(event_hash(GENESIS, &e), base);
        let mut e = event(1);
        e.fields = "[\"fullName\"]".into();
        assert_ne!(event_hash(GENESIS, &e), base);
        let mut e = event(1);
        e.seq = 2;
        assert_ne!(event_hash(GENESIS, &e), base);
        assert_ne!(
            event_hash(&"1".repeat(64), &event(1)),
            base,
            "the previous hash is chained in"
        );
        assert_eq!(event_hash(GENESIS, &event(1)), base, "deterministic");
        assert_eq!(base.len(), 64);
    }

    /// On PostgreSQL the commit that seals a mutation's write event announces the mutation's
    /// change event (crate::events), once, and nothing is announced while it is only staged.
    /// Runs when `CTEX_TEST_DATABASE_URL` names a PostgreSQL server.
    #[tokio::test]
    async fn sealing_announces_the_sealed_writes_on_postgres() {
        use std::time::Duration;
        let Some(scratch) = crate::db::ScratchPostgres::create("ctex_announce", 2).await else {
            return;
        };
        let db = &scratch.db;
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(&scratch.url)
            .await
            .expect("listener");
        listener
            .listen(crate::events::CHANNEL)
            .await
            .expect("listen");
        /// Nothing arrives within 300 ms.
        async fn quiet(listener: &mut sea_orm::sqlx::postgres::PgListener) -> bool {
            tokio::time::timeout(Duration::from_millis(300), listener.recv())
                .await
                .is_err()
        }

        let actor = Actor::for_test();
        let (case, party) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let writes = crate::audit::AuditBuffer::default();
        for (operation, ty, id) in [("openCase", "Case", case), ("addParty", "CaseParty", party)] {
            writes.written(
                operation,
                crate::audit::AuditEntity {
                    ty,
                    id,
                    person: None,
                },
                vec!["title".into()],
            );
        }
        stage(db, &actor, writes.take_writes())
            .await
            .expect("stage");
        assert!(quiet(&mut listener).await, "announced while only staged");

        assert_eq!(seal(db).await.expect("seal"), 2);
        let note = tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .expect("announced when sealed")
            .expect("notification");
        // With the head the seal moved the chain to.
        let (head, _) = lock_head(db).await.expect("head");
        assert_eq!(note.payload(), format!("CaseUpdated:{case}:{head}"));
        assert!(
            quiet(&mut listener).await,
            "addParty announces nothing; once only"
        );
        assert_eq!(seal(db).await.expect("seal again"), 0);
        assert!(
            quiet(&mut listener).await,
            "a second seal announces nothing again"
        );
        let report = verify(db).await.expect("verify");
        assert_eq!((report.events, report.first_bad), (2, None));

        drop(listener);
        scratch.remove().await;
    }
}
