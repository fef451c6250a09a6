//! `ctex-floor`: the floor of the ctex benchmark (BENCHMARKS.md).
//!
//! A minimal axum server that, for each benchmarked GraphQL request, runs the SQL statements
//! ctex issues for it (captured from the PostgreSQL log by `bench/capture-sql.sh`: the same
//! tables, joins, policy predicates, columns, ordering and limits, with the caller's agency as a
//! parameter), decodes every selected column as ctex does, appends the same audit events to the
//! same hash chain (group commit and staged writes sealed by the writer, as ctex's audit writer
//! does) and answers the same JSON. No
//! GraphQL, no token, no policy engine, no rate limiting: what is left is the cost of the SQL,
//! the audit and HTTP/JSON. Each audited route has a `-noaudit` twin.
//!
//!   ctex-floor 127.0.0.1:39181 postgres://postgres@127.0.0.1:5432/ctex_bench 16
//!
//! Routes (POST, JSON bodies; `agency` is `police` or `procuracy`, default `police`):
//! - `/w1`, `/w1-noaudit`: `{"id", "agency"}`, the case with parties, persons, identifiers.
//! - `/w2`: `{"province": [..], "status": [..], "first", "after", "agency"}`, a page of cases.
//! - `/w3/open`: `{"caseNumber", "title", "province"}`, open a case (police).
//! - `/w3/party`: `{"caseId", "fullName", "phone"}`, add a victim with a phone (police).
//! - `/w4`, `/w4-noaudit`: `{"kind", "normalized", "agency"}`, hit/no-hit references.
//!
//! The audit events are hashed exactly as ctex's `audit::chain` does, so `ctex audit verify`
//! still verifies the chain after the floor has written to it.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// The most requests folded into one audit commit (ctex: `audit::writer::MAX_BATCH`).
const MAX_BATCH: usize = 256;

#[derive(Clone)]
struct App {
    pool: PgPool,
    audit: mpsc::Sender<Job>,
}

/// One audit event, before its place in the chain is known.
struct Event {
    operation: String,
    entity_type: &'static str,
    entity_id: Option<Uuid>,
    person_id: Option<Uuid>,
    fields: Vec<&'static str>,
    action: &'static str,
}

struct Actor {
    agency: String,
    subject: String,
    token_id: String,
    request_id: String,
    purpose: Option<String>,
}

/// Work for the writer: read events and a waiter, or a nudge to seal staged events.
enum Job {
    Append {
        actor: Actor,
        events: Vec<Event>,
        done: oneshot::Sender<Result<(), String>>,
    },
    Seal,
}

type Res = Result<Response, (StatusCode, String)>;

fn fail(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

fn bad(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::BAD_REQUEST, e.to_string())
}

/// The same allocator as the ctex binary (`api/src/main.rs`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:39181".into());
    let url = args
        .next()
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/ctex_bench".into());
    let pool_size: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(16);
    // Same pool shape as ctex (`db::connect`): at most `pool_size`, at least one, and a
    // connection idle for a second or more is pinged before use (`CTEX_DB_PING_IDLE_MS`;
    // `FLOOR_PING_EVERY=1` pings on every checkout, as both did before).
    let ping_every = std::env::var("FLOOR_PING_EVERY").is_ok_and(|v| v == "1");
    let mut options = PgPoolOptions::new()
        .max_connections(pool_size)
        .min_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(30));
    if !ping_every {
        options = options
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= std::time::Duration::from_secs(1) {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            });
    }
    let pool = options.connect(&url).await?;
    let audit = spawn_writer(pool.clone());
    let app = App { pool, audit };
    let router = Router::new()
        .route("/w1", post(|s, b| w1(s, b, true)))
        .route("/w1-noaudit", post(|s, b| w1(s, b, false)))
        .route("/w2", post(w2))
        .route("/w3/open", post(w3_open))
        .route("/w3/party", post(w3_party))
        .route("/w4", post(|s, b| w4(s, b, true)))
        .route("/w4-noaudit", post(|s, b| w4(s, b, false)))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    eprintln!("ctex-floor listening on {bind}, pool {pool_size}");
    axum::serve(listener, router).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Audit: ctex's hash chain and group commit.

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

/// The staged events one commit seals (ctex: `audit::chain::SEAL_BATCH`).
const SEAL_BATCH: i64 = 1000;

/// ctex's read of the stage (sea-orm's `find().order_by_asc(id).limit(n)`).
const STAGED: &str = "SELECT \"audit_stage\".\"id\", \"audit_stage\".\"at\", \"audit_stage\".\"agency\", \"audit_stage\".\"subject\", \"audit_stage\".\"token_id\", \"audit_stage\".\"request_id\", \"audit_stage\".\"operation\", \"audit_stage\".\"purpose\", \"audit_stage\".\"entity_type\", \"audit_stage\".\"entity_id\", \"audit_stage\".\"person_id\", \"audit_stage\".\"fields\", \"audit_stage\".\"action\", \"audit_stage\".\"outcome\", \"audit_stage\".\"reason\" FROM \"audit_stage\" ORDER BY \"audit_stage\".\"id\" ASC LIMIT $1";

/// ctex's look for any staged event (`chain::any_staged`).
const ANY_STAGED: &str = "SELECT \"audit_stage\".\"id\" FROM \"audit_stage\" ORDER BY \"audit_stage\".\"id\" ASC LIMIT $1";

/// ctex's staging insert of one write event (sea-orm's `insert_many` of one row).
const STAGE: &str = "INSERT INTO \"audit_stage\" (\"at\", \"agency\", \"subject\", \"token_id\", \"request_id\", \"operation\", \"purpose\", \"entity_type\", \"entity_id\", \"person_id\", \"fields\", \"action\", \"outcome\", \"reason\") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// One event with every column but its place and hashes.
struct EventRow {
    at: DateTime<Utc>,
    agency: String,
    subject: String,
    token_id: String,
    request_id: String,
    operation: String,
    purpose: Option<String>,
    entity_type: String,
    entity_id: Option<Uuid>,
    person_id: Option<Uuid>,
    fields: String,
    action: String,
    outcome: String,
    reason: Option<String>,
}

fn row_of(actor: &Actor, e: &Event, at: DateTime<Utc>) -> EventRow {
    let mut fields: Vec<String> = e.fields.iter().map(|f| f.to_string()).collect();
    fields.sort_unstable();
    fields.dedup();
    EventRow {
        at,
        agency: actor.agency.clone(),
        subject: actor.subject.clone(),
        token_id: actor.token_id.clone(),
        request_id: actor.request_id.clone(),
        operation: e.operation.clone(),
        purpose: actor.purpose.clone(),
        entity_type: e.entity_type.to_string(),
        entity_id: e.entity_id,
        person_id: e.person_id,
        fields: serde_json::to_string(&fields).unwrap_or_else(|_| "[]".into()),
        action: e.action.to_string(),
        outcome: "ALLOWED".into(),
        reason: None,
    }
}

fn spawn_writer(pool: PgPool) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(4096);
    tokio::spawn(async move {
        let mut sweep = tokio::time::interval(std::time::Duration::from_secs(1));
        let mut more = false;
        loop {
            let first = if more {
                Job::Seal
            } else {
                tokio::select! {
                    job = rx.recv() => match job { Some(job) => job, None => break },
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
            let mut waiters = Vec::with_capacity(jobs.len());
            let mut batches = Vec::with_capacity(jobs.len());
            let mut seal = false;
            for j in jobs {
                match j {
                    Job::Append {
                        actor,
                        events,
                        done,
                    } => {
                        waiters.push(done);
                        batches.push((actor, events));
                    }
                    Job::Seal => seal = true,
                }
            }
            let result = async {
                if batches.is_empty() {
                    // ctex: `chain::any_staged`, before any lock.
                    let any = sqlx::query(ANY_STAGED)
                        .bind(1i64)
                        .fetch_optional(&pool)
                        .await?;
                    if any.is_none() {
                        return Ok(0);
                    }
                }
                let mut txn = pool.begin().await?;
                let sealed = append(&mut txn, batches, seal).await?;
                txn.commit().await?;
                Ok::<_, sqlx::Error>(sealed)
            }
            .await
            .map_err(|e| e.to_string());
            more = matches!(result, Ok(n) if n >= SEAL_BATCH);
            for done in waiters {
                let _ = done.send(result.clone().map(|_| ()));
            }
        }
    });
    tx
}

/// Seals staged events (when `seal`), then appends the read events, under the head lock, in the caller's
/// transaction (ctex: `audit::chain::append_many`): lock, read the stage, one
/// insert-delete-and-move statement. Returns how many staged events were sealed.
async fn append(
    txn: &mut Transaction<'_, Postgres>,
    batches: Vec<(Actor, Vec<Event>)>,
    seal: bool,
) -> Result<i64, sqlx::Error> {
    if !seal && batches.iter().all(|(_, e)| e.is_empty()) {
        return Ok(0);
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut **txn)
        .await?;
    let mut seq: i64 = head.try_get("seq")?;
    let mut prev: String = head.try_get("hash")?;
    let staged = if seal {
        sqlx::query(STAGED)
            .bind(SEAL_BATCH)
            .fetch_all(&mut **txn)
            .await?
    } else {
        Vec::new()
    };
    let mut ids = Vec::with_capacity(staged.len());
    let mut all = Vec::new();
    // ctex's sealer announces the sealed writes' change events (`crate::events::events_of`)
    // with the head the seal moves the chain to; of the floor's writes only openCase has one.
    let mut announced = Vec::new();
    for r in &staged {
        ids.push(r.try_get::<i64, _>("id")?);
        if r.try_get::<&str, _>("operation")? == "openCase"
            && let Some(id) = r.try_get::<Option<Uuid>, _>("entity_id")?
        {
            announced.push(id);
        }
        all.push(EventRow {
            at: r.try_get("at")?,
            agency: r.try_get("agency")?,
            subject: r.try_get("subject")?,
            token_id: r.try_get("token_id")?,
            request_id: r.try_get("request_id")?,
            operation: r.try_get("operation")?,
            purpose: r.try_get("purpose")?,
            entity_type: r.try_get("entity_type")?,
            entity_id: r.try_get("entity_id")?,
            person_id: r.try_get("person_id")?,
            fields: r.try_get("fields")?,
            action: r.try_get("action")?,
            outcome: r.try_get("outcome")?,
            reason: r.try_get("reason")?,
        });
    }
    let at = Utc::now().trunc_subsecs(6);
    for (actor, events) in &batches {
        for e in events {
            all.push(row_of(actor, e, at));
        }
    }
    if all.is_empty() {
        return Ok(0);
    }
    let mut rows = Vec::with_capacity(all.len());
    for r in &all {
        seq += 1;
        let at_text = r.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let canonical = serde_json::to_string(&Canonical {
            seq,
            at: at_text.clone(),
            agency: &r.agency,
            subject: &r.subject,
            token_id: &r.token_id,
            request_id: &r.request_id,
            operation: &r.operation,
            purpose: r.purpose.as_deref(),
            entity_type: &r.entity_type,
            entity_id: r.entity_id.map(|u| u.to_string()),
            person_id: r.person_id.map(|u| u.to_string()),
            fields: serde_json::from_str(&r.fields).unwrap_or_default(),
            action: &r.action,
            outcome: &r.outcome,
            reason: r.reason.as_deref(),
        })
        .unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(prev.as_bytes());
        hasher.update(canonical.as_bytes());
        let hash = hex::encode(hasher.finalize());
        rows.push(json!({
            "seq": seq,
            "at": at_text,
            "agency": r.agency,
            "subject": r.subject,
            "token_id": r.token_id,
            "request_id": r.request_id,
            "operation": r.operation,
            "purpose": r.purpose,
            "entity_type": r.entity_type,
            "entity_id": r.entity_id,
            "person_id": r.person_id,
            "fields": r.fields,
            "action": r.action,
            "outcome": r.outcome,
            "reason": r.reason,
            "prev_hash": prev,
            "hash": hash,
        }));
        prev = hash;
    }
    let json = serde_json::to_string(&rows).unwrap_or_default();
    let ids_json = serde_json::to_string(&ids).unwrap_or_default();
    let announced: Vec<String> = announced
        .iter()
        .map(|id| format!("CaseUpdated:{id}:{seq}"))
        .collect();
    let announced = serde_json::to_string(&announced).unwrap_or_default();
    sqlx::query(APPEND_PG)
        .bind(json)
        .bind(seq)
        .bind(&prev)
        .bind(ids_json)
        .bind("ctex_events")
        .bind(announced)
        .execute(&mut **txn)
        .await?;
    Ok(ids.len() as i64)
}

fn actor(agency: &str) -> Actor {
    Actor {
        agency: agency.to_string(),
        subject: "floor".into(),
        token_id: "floor".into(),
        request_id: Uuid::new_v4().to_string(),
        purpose: Some("benchmark review".into()),
    }
}

/// Group-committed read events: waits until they are durable (ctex: `AuditWriter::write`).
async fn audit_reads(
    app: &App,
    actor: Actor,
    events: Vec<Event>,
) -> Result<(), (StatusCode, String)> {
    if events.is_empty() {
        return Ok(());
    }
    let (done, wait) = oneshot::channel();
    app.audit
        .send(Job::Append {
            actor,
            events,
            done,
        })
        .await
        .map_err(fail)?;
    wait.await.map_err(fail)?.map_err(fail)
}

// ---------------------------------------------------------------------------------------------
// The policy predicates ctex generates for the two reading agencies of the benchmark.

fn agency_of(a: &Option<String>) -> Result<&'static str, (StatusCode, String)> {
    match a.as_deref().unwrap_or("police") {
        "police" => Ok("police"),
        "procuracy" => Ok("procuracy"),
        other => Err(bad(format!("agency {other} is not benchmarked"))),
    }
}

/// Cases the agency sees (`$1` = agency).
fn case_scope(a: &str) -> String {
    format!(
        "(\"{a}\".\"handling_code\" <> 'H2' OR (\"{a}\".\"lead_agency\" = $1 OR \"{a}\".\"created_by_agency\" = $1)) AND TRUE"
    )
}

/// Persons the agency sees, `pe` being the person's alias.
fn person_scope(pe: &str, agency: &str) -> String {
    let (flag, referral) = if agency == "police" {
        (
            "(TRUE AND TRUE)",
            "(TRUE AND (\"ar\".\"from_agency\" = $1 OR \"ar\".\"to_agency\" = $1))",
        )
    } else {
        ("1 = 0", "(TRUE AND TRUE)")
    };
    format!(
        "(EXISTS(SELECT 1 FROM \"case_party\" AS \"sp\" INNER JOIN \"case_record\" AS \"sc\" ON \"sc\".\"id\" = \"sp\".\"case_id\" WHERE \"sp\".\"person_id\" = \"{pe}\".\"id\" AND {cs}) \
         OR EXISTS(SELECT 1 FROM \"victim_flag\" AS \"af\" WHERE \"af\".\"person_id\" = \"{pe}\".\"id\" AND {flag}) \
         OR EXISTS(SELECT 1 FROM \"referral\" AS \"ar\" WHERE \"ar\".\"person_id\" = \"{pe}\".\"id\" AND {referral}) \
         OR (\"{pe}\".\"created_by_agency\" = $1 AND (NOT EXISTS(SELECT 1 FROM \"case_party\" AS \"np\" WHERE \"np\".\"person_id\" = \"{pe}\".\"id\"))))",
        cs = case_scope("sc"),
    )
}

fn minor_fact(pe: &str) -> String {
    format!(
        "(CASE WHEN (EXISTS(SELECT 1 FROM \"case_party\" AS \"fp\" WHERE \"fp\".\"person_id\" = \"{pe}\".\"id\" AND \"fp\".\"is_minor\" = TRUE)) THEN 262144 ELSE 0 END) AS \"ctex_facts\""
    )
}

/// `$first, $first+1, ...` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const CASE_COLS: &str = "\"case_record\".\"id\", \"case_record\".\"case_number\", \"case_record\".\"title\", \"case_record\".\"status\", \"case_record\".\"lead_agency\", \"case_record\".\"province\", \"case_record\".\"opened_at\", \"case_record\".\"closed_at\", \"case_record\".\"legal_basis\", \"case_record\".\"transnational\", \"case_record\".\"organized_group\", \"case_record\".\"exploitation_forms\", \"case_record\".\"recruitment_methods\", \"case_record\".\"recruitment_platforms\", \"case_record\".\"countries\", \"case_record\".\"handling_code\", \"case_record\".\"handling_restriction\", \"case_record\".\"summary\", \"case_record\".\"source_reliability\", \"case_record\".\"information_accuracy\", \"case_record\".\"version\", \"case_record\".\"created_at\", \"case_record\".\"updated_at\", \"case_record\".\"created_by_agency\", \"case_record\".\"created_by_subject\", 0 AS \"ctex_facts\"";

const PARTY_COLS: &str = "\"case_party\".\"id\", \"case_party\".\"case_id\", \"case_party\".\"person_id\", \"case_party\".\"role\", \"case_party\".\"suspect_role\", \"case_party\".\"arrest_status\", \"case_party\".\"identification\", \"case_party\".\"received_at\", \"case_party\".\"age_at_exploitation\", \"case_party\".\"exploitation_details\", \"case_party\".\"health_notes\", \"case_party\".\"current_location\", \"case_party\".\"consent_to_share\", \"case_party\".\"protection_measures\", \"case_party\".\"is_minor\", \"case_party\".\"version\", \"case_party\".\"created_at\", \"case_party\".\"updated_at\", \"case_party\".\"created_by_agency\", \"case_party\".\"created_by_subject\"";

const PERSON_COLS: &str = "\"person\".\"id\", \"person\".\"full_name\", \"person\".\"name_folded\", \"person\".\"aliases\", \"person\".\"date_of_birth\", \"person\".\"sex\", \"person\".\"ethnicity\", \"person\".\"nationality\", \"person\".\"national_id\", \"person\".\"address\", \"person\".\"phone\", \"person\".\"version\", \"person\".\"created_at\", \"person\".\"updated_at\", \"person\".\"created_by_agency\", \"person\".\"created_by_subject\"";

const IDENT_COLS: &str = "\"identifier\".\"id\", \"identifier\".\"person_id\", \"identifier\".\"kind\", \"identifier\".\"value\", \"identifier\".\"normalized\", \"identifier\".\"platform\", \"identifier\".\"verified\", \"identifier\".\"version\", \"identifier\".\"created_at\", \"identifier\".\"updated_at\", \"identifier\".\"created_by_agency\", \"identifier\".\"created_by_subject\"";

// W2 reads only the columns its fields need, as ctex's `cases` does since it selects them by
// the query's fields (the id and the sort key always; here the sort is by id).
const CASE_PAGE_COLS: &str = "\"case_record\".\"id\", \"case_record\".\"case_number\", \"case_record\".\"title\", \"case_record\".\"status\", \"case_record\".\"lead_agency\", \"case_record\".\"province\", \"case_record\".\"opened_at\", 0 AS \"ctex_facts\"";

// Rows, decoded in full as ctex's entities are (W2's page rows: the columns it selects).

#[derive(sqlx::FromRow)]
#[allow(dead_code)]
struct CasePageRow {
    id: Uuid,
    case_number: String,
    title: String,
    status: String,
    lead_agency: String,
    province: String,
    opened_at: DateTime<Utc>,
    ctex_facts: i32,
}

#[derive(sqlx::FromRow)]
#[allow(dead_code)]
struct CaseRow {
    id: Uuid,
    case_number: String,
    title: String,
    status: String,
    lead_agency: String,
    province: String,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    legal_basis: String,
    transnational: bool,
    organized_group: bool,
    exploitation_forms: String,
    recruitment_methods: String,
    recruitment_platforms: String,
    countries: String,
    handling_code: String,
    handling_restriction: Option<String>,
    summary: Option<String>,
    source_reliability: Option<String>,
    information_accuracy: Option<i32>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by_agency: String,
    created_by_subject: String,
    ctex_facts: i32,
}

#[derive(sqlx::FromRow)]
#[allow(dead_code)]
struct PartyRow {
    id: Uuid,
    case_id: Uuid,
    person_id: Uuid,
    role: String,
    suspect_role: Option<String>,
    arrest_status: Option<String>,
    identification: Option<String>,
    received_at: Option<DateTime<Utc>>,
    age_at_exploitation: Option<i32>,
    exploitation_details: Option<String>,
    health_notes: Option<String>,
    current_location: Option<String>,
    consent_to_share: bool,
    protection_measures: String,
    is_minor: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by_agency: String,
    created_by_subject: String,
    ctex_facts: i32,
}

#[derive(sqlx::FromRow)]
#[allow(dead_code)]
struct PersonRow {
    id: Uuid,
    full_name: String,
    name_folded: String,
    aliases: String,
    date_of_birth: Option<NaiveDate>,
    sex: Option<String>,
    ethnicity: Option<String>,
    nationality: Option<String>,
    national_id: Option<String>,
    address: Option<String>,
    phone: Option<String>,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by_agency: String,
    created_by_subject: String,
    ctex_facts: i32,
}

#[derive(sqlx::FromRow)]
#[allow(dead_code)]
struct IdentRow {
    id: Uuid,
    person_id: Uuid,
    kind: String,
    value: String,
    normalized: String,
    platform: Option<String>,
    verified: bool,
    version: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    created_by_agency: String,
    created_by_subject: String,
}

#[derive(sqlx::FromRow)]
#[allow(dead_code)]
struct IdentFactsRow {
    #[sqlx(flatten)]
    row: IdentRow,
    ctex_facts: i32,
}

// ---------------------------------------------------------------------------------------------
// W1: case(id) { id caseNumber title status province parties { role person { fullName
// identifiers { kind value normalized } } } }

#[derive(Deserialize)]
struct W1 {
    id: Uuid,
    agency: Option<String>,
}

/// The response shapes, field for field as the GraphQL response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseOut<'a> {
    id: Uuid,
    case_number: &'a str,
    title: &'a str,
    status: &'a str,
    province: &'a str,
    parties: Vec<PartyOut<'a>>,
}

#[derive(Serialize)]
struct PartyOut<'a> {
    role: &'a str,
    person: Option<PersonOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PersonOut<'a> {
    full_name: &'a str,
    identifiers: Vec<IdentOut<'a>>,
}

#[derive(Serialize)]
struct IdentOut<'a> {
    kind: &'a str,
    value: &'a str,
    normalized: &'a str,
}

fn json_response(v: &impl Serialize) -> Response {
    match serde_json::to_vec(v) {
        Ok(body) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(e) => fail(e).into_response(),
    }
}

async fn w1(State(app): State<App>, Json(req): Json<W1>, audited: bool) -> Res {
    let agency = agency_of(&req.agency)?;
    let sql = format!(
        "SELECT {CASE_COLS} FROM \"case_record\" WHERE {} AND (\"case_record\".\"id\" = ANY(CAST((SELECT CAST($2 AS uuid[])) AS uuid[])))",
        case_scope("case_record")
    );
    let case: Option<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(agency)
        .bind(vec![req.id])
        .fetch_optional(&app.pool)
        .await
        .map_err(fail)?;
    let Some(case) = case else {
        return Ok(json_response(&json!({"data": {"case": null}})));
    };
    let sql = format!(
        "SELECT {PARTY_COLS}, {facts} FROM \"case_party\" INNER JOIN \"case_record\" AS \"pc\" ON \"pc\".\"id\" = \"case_party\".\"case_id\" INNER JOIN \"person\" AS \"pe\" ON \"pe\".\"id\" = \"case_party\".\"person_id\" WHERE (({cs}) OR {ps}) AND (\"case_party\".\"case_id\" = ANY(CAST((SELECT CAST($2 AS uuid[])) AS uuid[]))) ORDER BY \"case_party\".\"id\" ASC",
        facts = minor_fact("pe"),
        cs = case_scope("pc"),
        ps = person_scope("pe", agency),
    );
    let parties: Vec<PartyRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(agency)
        .bind(vec![case.id])
        .fetch_all(&app.pool)
        .await
        .map_err(fail)?;
    let mut person_ids: Vec<Uuid> = Vec::new();
    for p in &parties {
        if !person_ids.contains(&p.person_id) {
            person_ids.push(p.person_id);
        }
    }
    let mut persons: HashMap<Uuid, PersonRow> = HashMap::new();
    let mut idents: HashMap<Uuid, Vec<IdentRow>> = HashMap::new();
    if !person_ids.is_empty() {
        let sql = format!(
            "SELECT {PERSON_COLS}, {facts} FROM \"person\" WHERE {ps} AND (\"person\".\"id\" = ANY(CAST((SELECT CAST($2 AS uuid[])) AS uuid[])))",
            facts = minor_fact("person"),
            ps = person_scope("person", agency),
        );
        let q = sqlx::query_as::<_, PersonRow>(sqlx::AssertSqlSafe(sql))
            .bind(agency)
            .bind(&person_ids);
        for p in q.fetch_all(&app.pool).await.map_err(fail)? {
            persons.insert(p.id, p);
        }
        let sql = format!(
            "SELECT {IDENT_COLS}, {facts} FROM \"identifier\" INNER JOIN \"person\" AS \"pe\" ON \"pe\".\"id\" = \"identifier\".\"person_id\" WHERE {ps} AND (\"identifier\".\"person_id\" = ANY(CAST((SELECT CAST($2 AS uuid[])) AS uuid[]))) ORDER BY \"identifier\".\"id\" ASC",
            facts = minor_fact("pe"),
            ps = person_scope("pe", agency),
        );
        let q = sqlx::query_as::<_, IdentFactsRow>(sqlx::AssertSqlSafe(sql))
            .bind(agency)
            .bind(&person_ids);
        for i in q.fetch_all(&app.pool).await.map_err(fail)? {
            idents.entry(i.row.person_id).or_default().push(i.row);
        }
    }
    let empty: Vec<IdentRow> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let out = CaseOut {
        id: case.id,
        case_number: &case.case_number,
        title: &case.title,
        status: &case.status,
        province: &case.province,
        parties: parties
            .iter()
            .map(|p| PartyOut {
                role: &p.role,
                person: persons.get(&p.person_id).map(|person| {
                    let ids = idents.get(&person.id).unwrap_or(&empty);
                    w1_events(&mut events, person, ids);
                    PersonOut {
                        full_name: &person.full_name,
                        identifiers: ids
                            .iter()
                            .map(|i| IdentOut {
                                kind: &i.kind,
                                value: &i.value,
                                normalized: &i.normalized,
                            })
                            .collect(),
                    }
                }),
            })
            .collect(),
    };
    let body = json_response(&json!({"data": {"case": out}}));
    if audited {
        audit_reads(&app, actor(agency), dedup(events)).await?;
    }
    Ok(body)
}

/// The read events ctex records for one party of W1 (captured): the person's `fullName` and
/// `identifiers`, and each identifier's `kind`, `normalized` and `value`.
fn w1_events(events: &mut Vec<Event>, person: &PersonRow, ids: &[IdentRow]) {
    events.push(Event {
        operation: "Case".into(),
        entity_type: "Person",
        entity_id: Some(person.id),
        person_id: Some(person.id),
        fields: vec!["fullName", "identifiers"],
        action: "READ",
    });
    for i in ids {
        events.push(Event {
            operation: "Case".into(),
            entity_type: "Identifier",
            entity_id: Some(i.id),
            person_id: Some(person.id),
            fields: vec!["kind", "normalized", "value"],
            action: "READ",
        });
    }
}

/// One event per entity, as ctex's audit buffer keeps them (a person party to a case twice is
/// read once).
fn dedup(events: Vec<Event>) -> Vec<Event> {
    let mut seen: BTreeSet<(&'static str, Option<Uuid>)> = BTreeSet::new();
    events
        .into_iter()
        .filter(|e| seen.insert((e.entity_type, e.entity_id)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// W2: cases(first: 50, after, filter: {province, status}) { nodes { id caseNumber title status
// province leadAgency openedAt } pageInfo { endCursor hasNextPage } }

#[derive(Deserialize)]
struct W2 {
    province: Vec<String>,
    status: Vec<String>,
    first: Option<i64>,
    after: Option<Uuid>,
    agency: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseNodeOut<'a> {
    id: Uuid,
    case_number: &'a str,
    title: &'a str,
    status: &'a str,
    province: &'a str,
    lead_agency: String,
    opened_at: String,
}

async fn w2(State(app): State<App>, Json(req): Json<W2>) -> Res {
    let agency = agency_of(&req.agency)?;
    let first = req.first.unwrap_or(50).clamp(1, 100);
    let mut n = 2;
    let status_ph = placeholders(n, req.status.len());
    n += req.status.len();
    let province_ph = placeholders(n, req.province.len());
    n += req.province.len();
    let after = if req.after.is_some() {
        n += 1;
        format!(" AND \"case_record\".\"id\" > ${}", n - 1)
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT {CASE_PAGE_COLS} FROM \"case_record\" WHERE {cs} AND \"case_record\".\"status\" IN ({status_ph}) AND \"case_record\".\"province\" IN ({province_ph}){after} ORDER BY \"case_record\".\"id\" ASC LIMIT ${n}",
        cs = case_scope("case_record"),
    );
    let mut q = sqlx::query_as::<_, CasePageRow>(sqlx::AssertSqlSafe(sql)).bind(agency);
    for s in &req.status {
        q = q.bind(s);
    }
    for p in &req.province {
        q = q.bind(p);
    }
    if let Some(a) = req.after {
        q = q.bind(a);
    }
    let mut rows = q.bind(first + 1).fetch_all(&app.pool).await.map_err(fail)?;
    let has_next = rows.len() as i64 > first;
    rows.truncate(first as usize);
    let nodes: Vec<CaseNodeOut> = rows
        .iter()
        .map(|c| CaseNodeOut {
            id: c.id,
            case_number: &c.case_number,
            title: &c.title,
            status: &c.status,
            province: &c.province,
            lead_agency: c.lead_agency.to_ascii_uppercase(),
            opened_at: c.opened_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        })
        .collect();
    let end = rows.last().map(|c| c.id.to_string());
    Ok(json_response(&json!({"data": {"cases": {
        "nodes": nodes,
        "pageInfo": {"endCursor": end, "hasNextPage": has_next},
    }}})))
}

// ---------------------------------------------------------------------------------------------
// W3: openCase and addParty (police), as captured in bench/results/sql/w3*-police.sql: the
// writes and their WRITE event in one statement (staged, then sealed by the writer), then the
// reload through the writer's scope; addParty's reload reads a person-level field, so its READ
// event goes through the group commit.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenCase {
    case_number: String,
    title: String,
    province: String,
}

async fn w3_open(State(app): State<App>, Json(req): Json<OpenCase>) -> Res {
    let agency = "police";
    let now = Utc::now().trunc_subsecs(6);
    let id = Uuid::now_v7();
    let event = Event {
        operation: "openCase".into(),
        entity_type: "Case",
        entity_id: Some(id),
        person_id: None,
        fields: vec!["caseNumber", "legalBasis", "province", "title"],
        action: "WRITE",
    };
    // As ctex on PostgreSQL (`store::writes`): the insert and its staged WRITE event in one
    // statement, its own transaction.
    let query = sqlx::query(sqlx::AssertSqlSafe(W3_OPEN.as_str()))
        .bind(id)
        .bind(&req.case_number)
        .bind(&req.title)
        .bind(&req.province)
        .bind(now)
        .bind(agency)
        .bind("floor");
    let query = bind_stage(query, row_of(&actor(agency), &event, now));
    // As ctex: the statement answers with the new case through the writer's scope.
    let case: CaseRow = sqlx::FromRow::from_row(
        &query
            .fetch_optional(&app.pool)
            .await
            .map_err(|e| match e.as_database_error() {
                // As ctex: the unique index on (lead_agency, case_number) decides, no look-up.
                Some(db) if db.is_unique_violation() => bad("the case number is taken"),
                _ => fail(e),
            })?
            .ok_or_else(|| fail("no row"))?,
    )
    .map_err(fail)?;
    // ctex nudges its writer when the request is done (`audit::flush_reads`).
    let _ = app.audit.try_send(Job::Seal);
    Ok(json_response(&json!({"data": {"openCase": {
        "id": case.id, "version": case.version, "status": case.status,
    }}})))
}

/// A case by id through the agency's scope (the first statement of W1).
async fn load_case(
    app: &App,
    agency: &str,
    id: Uuid,
) -> Result<Option<CaseRow>, (StatusCode, String)> {
    let sql = format!(
        "SELECT {CASE_COLS} FROM \"case_record\" WHERE {} AND (\"case_record\".\"id\" = ANY(CAST((SELECT CAST($2 AS uuid[])) AS uuid[])))",
        case_scope("case_record")
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(agency)
        .bind(vec![id])
        .fetch_optional(&app.pool)
        .await
        .map_err(fail)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddParty {
    case_id: Uuid,
    full_name: String,
    phone: String,
}

async fn w3_party(State(app): State<App>, Json(req): Json<AddParty>) -> Res {
    let agency = "police";
    let Some(case) = load_case(&app, agency, req.case_id).await? else {
        return Err(bad("no such case"));
    };
    let now = Utc::now().trunc_subsecs(6);
    let (person_id, party_id) = (Uuid::now_v7(), Uuid::now_v7());
    let event = Event {
        operation: "addParty".into(),
        entity_type: "CaseParty",
        entity_id: Some(party_id),
        person_id: Some(person_id),
        fields: vec![
            "caseId",
            "person",
            "person.fullName",
            "person.phone",
            "role",
        ],
        action: "WRITE",
    };
    // As ctex on PostgreSQL: the version bump (guarded: no row, no write), the person, the
    // party and the staged WRITE event in one statement.
    let query = sqlx::query(sqlx::AssertSqlSafe(W3_PARTY.as_str()))
        .bind(1i32)
        .bind(now)
        .bind(case.id)
        .bind(person_id)
        .bind(&req.full_name)
        .bind(fold_name(&req.full_name))
        .bind(&req.phone)
        .bind(now)
        .bind(agency)
        .bind("floor")
        .bind(party_id)
        .bind(case.id)
        .bind(person_id)
        .bind(now)
        .bind(agency)
        .bind("floor");
    bind_stage(query, row_of(&actor(agency), &event, now))
        .execute(&app.pool)
        .await
        .map_err(fail)?;
    // The reload: the new party, then its person, through the scope.
    let sql = format!(
        "SELECT {PARTY_COLS}, {facts} FROM \"case_party\" INNER JOIN \"case_record\" AS \"pc\" ON \"pc\".\"id\" = \"case_party\".\"case_id\" INNER JOIN \"person\" AS \"pe\" ON \"pe\".\"id\" = \"case_party\".\"person_id\" WHERE (({cs}) OR {ps}) AND (\"case_party\".\"id\" = ANY(CAST((SELECT CAST($2 AS uuid[])) AS uuid[]))) ORDER BY \"case_party\".\"id\" ASC",
        facts = minor_fact("pe"),
        cs = case_scope("pc"),
        ps = person_scope("pe", agency),
    );
    let parties: Vec<PartyRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(agency)
        .bind(vec![party_id])
        .fetch_all(&app.pool)
        .await
        .map_err(fail)?;
    let party = parties
        .into_iter()
        .find(|p| p.id == party_id)
        .ok_or_else(|| fail("reload"))?;
    let sql = format!(
        "SELECT {PERSON_COLS}, {facts} FROM \"person\" WHERE {ps} AND (\"person\".\"id\" = ANY(CAST((SELECT CAST($2 AS uuid[])) AS uuid[])))",
        facts = minor_fact("person"),
        ps = person_scope("person", agency),
    );
    let person: PersonRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(agency)
        .bind(vec![party.person_id])
        .fetch_one(&app.pool)
        .await
        .map_err(fail)?;
    let body = json_response(&json!({"data": {"addParty": {
        "id": party.id, "role": party.role,
        "person": {"id": person.id, "fullName": person.full_name},
    }}}));
    let read = Event {
        operation: "Party".into(),
        entity_type: "Person",
        entity_id: Some(person.id),
        person_id: Some(person.id),
        fields: vec!["fullName"],
        action: "READ",
    };
    // ctex nudges its writer just before handing it the request's reads.
    let _ = app.audit.try_send(Job::Seal);
    audit_reads(&app, actor(agency), vec![read]).await?;
    Ok(body)
}

const W3_INSERT_CASE: &str = "INSERT INTO \"case_record\" (\"id\", \"case_number\", \"title\", \"status\", \"lead_agency\", \"province\", \"opened_at\", \"closed_at\", \"legal_basis\", \"transnational\", \"organized_group\", \"exploitation_forms\", \"recruitment_methods\", \"recruitment_platforms\", \"countries\", \"handling_code\", \"handling_restriction\", \"summary\", \"source_reliability\", \"information_accuracy\", \"version\", \"created_at\", \"updated_at\", \"created_by_agency\", \"created_by_subject\") VALUES ($1, $2, $3, 'REPORTED', $6, $4, $5, NULL, 'ART_150', FALSE, FALSE, '[]', '[]', '[]', '[]', 'H0', NULL, NULL, NULL, NULL, 1, $5, $5, $6, $7)";

const W3_INSERT_PERSON: &str = "INSERT INTO \"person\" (\"id\", \"full_name\", \"name_folded\", \"aliases\", \"date_of_birth\", \"sex\", \"ethnicity\", \"nationality\", \"national_id\", \"address\", \"phone\", \"version\", \"created_at\", \"updated_at\", \"created_by_agency\", \"created_by_subject\") VALUES ($1, $2, $3, '[]', NULL, NULL, NULL, NULL, NULL, NULL, $4, 1, $5, $5, $6, $7)";

const W3_INSERT_PARTY: &str = "INSERT INTO \"case_party\" (\"id\", \"case_id\", \"person_id\", \"role\", \"suspect_role\", \"arrest_status\", \"identification\", \"received_at\", \"age_at_exploitation\", \"exploitation_details\", \"health_notes\", \"current_location\", \"consent_to_share\", \"protection_measures\", \"is_minor\", \"version\", \"created_at\", \"updated_at\", \"created_by_agency\", \"created_by_subject\") VALUES ($1, $2, $3, 'VICTIM', NULL, NULL, 'RECEIVED', $4, NULL, NULL, NULL, NULL, FALSE, '[]', FALSE, 1, $4, $4, $5, $6)";

/// `openCase` on PostgreSQL: the case and its staged event, one statement ($1–$7, $8–$21),
/// answering with the new case through the writer's scope (the agency is $6).
static W3_OPEN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH w0 AS ({W3_INSERT_CASE} RETURNING *), stage AS ({}) SELECT {CASE_COLS} FROM \"w0\" AS \"case_record\" WHERE {}",
        renumber(STAGE, 7),
        case_scope("case_record").replace("$1", "$6")
    )
});

/// `addParty` with a new person on PostgreSQL: the guarded version bump ($1–$3), the person
/// ($4–$10), the party ($11–$16) and the staged event ($17–$30), one statement; a bump that
/// changed no row divides by zero and so writes nothing.
static W3_PARTY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH w0 AS (UPDATE \"case_record\" SET \"version\" = \"version\" + $1, \"updated_at\" = $2 WHERE \"id\" = $3 RETURNING 1), w1 AS ({}), w2 AS ({}), stage AS ({}) SELECT 1 / (SELECT count(*) FROM \"w0\")",
        renumber(W3_INSERT_PERSON, 3),
        renumber(W3_INSERT_PARTY, 10),
        renumber(STAGE, 16)
    )
});

/// `sql` with each placeholder `$n` moved to `$(n + by)`.
fn renumber(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' {
            let mut n = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(*d);
                chars.next();
            }
            match n.parse::<usize>() {
                Ok(n) => out.push_str(&(n + by).to_string()),
                Err(_) => out.push_str(&n),
            }
        }
    }
    out
}

/// Binds a staged event's columns (in `STAGE`'s order) after the query's own parameters.
fn bind_stage<'q>(
    query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    r: EventRow,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(r.at)
        .bind(r.agency)
        .bind(r.subject)
        .bind(r.token_id)
        .bind(r.request_id)
        .bind(r.operation)
        .bind(r.purpose)
        .bind(r.entity_type)
        .bind(r.entity_id)
        .bind(r.person_id)
        .bind(r.fields)
        .bind(r.action)
        .bind(r.outcome)
        .bind(r.reason)
}

/// Lower-case, accents off (a cheap stand-in for ctex's `fold_name`; same order of cost).
fn fold_name(name: &str) -> String {
    name.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// W4: identifierHits(kind, value) { reference holdingAgency contact }

#[derive(Deserialize)]
struct W4 {
    kind: String,
    normalized: String,
    agency: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HitOut {
    reference: Uuid,
    holding_agency: String,
    contact: String,
}

async fn w4(State(app): State<App>, Json(req): Json<W4>, audited: bool) -> Res {
    let agency = agency_of(&req.agency)?;
    let rows: Vec<IdentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {IDENT_COLS} FROM \"identifier\" WHERE \"identifier\".\"kind\" = $1 AND \"identifier\".\"normalized\" = $2 LIMIT $3"
    )))
    .bind(&req.kind)
    .bind(&req.normalized)
    .bind(200i64)
    .fetch_all(&app.pool)
    .await
    .map_err(fail)?;
    let holdings: BTreeSet<(Uuid, String)> = rows
        .into_iter()
        .map(|r| (r.person_id, r.created_by_agency))
        .collect();
    let contacts: HashMap<String, String> = sqlx::query(
        "SELECT \"agency\".\"code\", \"agency\".\"name\", \"agency\".\"name_vi\", \"agency\".\"contact\" FROM \"agency\"",
    )
    .fetch_all(&app.pool)
    .await
    .map_err(fail)?
    .into_iter()
    .map(|r| {
        (
            r.get::<String, _>("code"),
            r.get::<Option<String>, _>("contact").unwrap_or_default(),
        )
    })
    .collect();
    let mut hits = Vec::new();
    if !holdings.is_empty() {
        let now = Utc::now().trunc_subsecs(6);
        let mut sql = String::from(
            "INSERT INTO \"hit_reference\" (\"id\", \"entity_type\", \"entity_id\", \"holder_agency\", \"issued_to\", \"created_at\") VALUES ",
        );
        for i in 0..holdings.len() {
            let b = i * 6;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6
            ));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (person, holder) in &holdings {
            let id = Uuid::now_v7();
            q = q
                .bind(id)
                .bind("Person")
                .bind(*person)
                .bind(holder)
                .bind(agency)
                .bind(now);
            hits.push(HitOut {
                reference: id,
                holding_agency: holder.to_ascii_uppercase(),
                contact: contacts.get(holder).cloned().unwrap_or_default(),
            });
        }
        q.execute(&app.pool).await.map_err(fail)?;
    }
    let body = json_response(&json!({"data": {"identifierHits": hits}}));
    if audited {
        let events = hits
            .iter()
            .map(|h| Event {
                operation: "Hits".into(),
                entity_type: "HitReference",
                entity_id: Some(h.reference),
                person_id: None,
                fields: vec!["identifierHits"],
                action: "READ",
            })
            .collect();
        audit_reads(&app, actor(agency), events).await?;
    }
    Ok(body)
}
