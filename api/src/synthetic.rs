//! `ctex seed --synthetic`: a large, deterministic dataset for benchmarks, written with
//! set-based inserts.
//!
//! For `N` cases it writes about `5 N` persons (victims, suspects, witnesses; some suspects
//! party to several cases, some recorded twice by different units with the same phone in
//! another format), `15 N` identifiers, `N / 5` rings with members and cases, and tips, embassy
//! flags, referrals with support services, indictments, verdicts, case events, case links and
//! the status history of every lifecycle move, in the proportions of the demo dataset. Names,
//! places, missions and offices are Vietnamese-looking and invented.
//!
//! # Same values as the API
//! Every row carries exactly what the API would have stored had each agency written it through
//! the mutations: `Person.nameFolded` is [`normalize::fold_name`], `Identifier.normalized` and
//! `platform` come from [`normalize::normalize_identifier`], `CaseParty.isMinor` from the same
//! `minor_at` rule as `addParty`, creators are the agencies whose mutations create such rows
//! (police and border guard cases and persons, procuracy indictments, court verdicts, missions'
//! flags, social services' tips and support), statuses only follow legal lifecycle moves, each
//! recorded in `status_history` by the agency allowed to make it, and versions count the writes
//! that bumped them. The policy's row facts are computed by SQL at read time from these
//! columns, so scopes over synthetic rows are the same as over rows written through the API.
//!
//! # Deterministic
//! Every value derives from `(seed, table, row index)` through a small counter-based generator
//! (`Rng`), and ids are UUIDv7 built from the row's creation time and that generator; dates
//! are anchored at [`END`], not at the day of loading. The same `--cases` and `--seed` give the
//! same rows, byte for byte.
//!
//! # How it writes
//! PostgreSQL: one transaction on one connection; secondary indexes and foreign keys of the
//! loaded tables are dropped first and recreated from their own definitions afterwards (a bulk
//! index build and one validation join are far cheaper than per-row maintenance), the rows go in
//! with `COPY ... FROM STDIN`, and the tables are `ANALYZE`d. SQLite: multi-row `INSERT`s in one
//! transaction, up to [`SQLITE_MAX_CASES`] cases (a test-sized dataset; benchmarks use
//! PostgreSQL).
//!
//! # Audit
//! The load writes no audit event: it is not an access by an agency, and it neither reads nor
//! writes `audit_event` or `audit_head`, so the chain verifies afterwards exactly as before.
//! It refuses a database that already holds a case, so it never mixes with real records.
//!
//! This module never logs a generated value (they look like personal data).

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use entities::{
    case, case_event, case_link, case_party, identifier, indictment, network, network_case,
    network_member, person, referral, status_history, support_service, tip, verdict, victim_flag,
};
use migration::seed::PROVINCES;
use sea_orm::sqlx::{self, Postgres, pool::PoolConnection};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityName, EntityTrait, IdenStatic, IntoActiveModel, Iterable, Statement, Value,
};
use uuid::Uuid;

use crate::normalize::{self, IdentifierKind};

/// The most cases the SQLite path loads (multi-row inserts; enough for tests).
pub const SQLITE_MAX_CASES: u64 = 20_000;

/// The most cases any load generates.
pub const MAX_CASES: u64 = 5_000_000;

/// The end of the generated period: cases are opened over the five years before it.
pub const END: &str = "2026-11-01T00:00:00Z";

/// Rows per generated block (cases per block); bounds memory whatever `N`.
const BLOCK: usize = 4_096;

/// What a synthetic load wrote, table by table.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases written.
    pub cases: u64,
    /// Rows per table, in load order.
    pub tables: Vec<(&'static str, u64)>,
    /// Seconds the whole load took.
    pub seconds: f64,
}

impl Report {
    /// Rows written to `table` (0 when absent).
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cases", self.cases)?;
        for (table, rows) in &self.tables {
            write!(f, ", {rows} {table}")?;
        }
        write!(f, " in {:.1} s", self.seconds)
    }
}

/// Generates `cases` cases and everything around them from `seed`.
///
/// Refuses (as bad input) zero cases, more than [`MAX_CASES`], more than [`SQLITE_MAX_CASES`]
/// on SQLite, and a database that already holds a case.
pub async fn seed(db: &DatabaseConnection, cases: u64, seed: u64) -> anyhow::Result<Report> {
    let started = Instant::now();
    if cases == 0 || cases > MAX_CASES {
        anyhow::bail!("--cases must be between 1 and {MAX_CASES}");
    }
    let backend = db.get_database_backend();
    if backend == DbBackend::Sqlite && cases > SQLITE_MAX_CASES {
        anyhow::bail!(
            "the synthetic dataset loads at most {SQLITE_MAX_CASES} cases into SQLite; \
             use PostgreSQL (--database-url postgres://...) for benchmark-sized datasets"
        );
    }
    let existing = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id FROM case_record LIMIT 1",
        ))
        .await?;
    if existing.is_some() {
        anyhow::bail!(
            "the database already holds cases: the synthetic dataset loads into an empty \
             database only (create a fresh one, e.g. createdb ctex_bench)"
        );
    }
    let plan = Plan::build(cases as usize, seed);
    let mut report = match backend {
        DbBackend::Postgres => {
            let conn = db.get_postgres_connection_pool().acquire().await?;
            let mut sink = PgSink::begin(conn).await?;
            let report = write_all(&plan, &mut sink).await?;
            sink.commit().await?;
            report
        }
        _ => {
            let txn = crate::store::begin_write(db).await?;
            let mut sink = SqliteSink { txn: &txn };
            let report = write_all(&plan, &mut sink).await?;
            txn.commit().await?;
            report
        }
    };
    if backend == DbBackend::Postgres {
        for (table, _) in &report.tables {
            db.execute_unprepared(&format!("ANALYZE {table}")).await?;
        }
    }
    report.cases = cases;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Where rows go: a `COPY` stream (PostgreSQL) or multi-row inserts (SQLite).
trait Sink {
    /// Writes `rows` of entity `E`.
    async fn put<E>(&mut self, rows: Vec<E::Model>) -> anyhow::Result<()>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Send,
        E::ActiveModel: Send;
}

/// Writes every table from the plan, in foreign-key order.
async fn write_all(plan: &Plan, sink: &mut impl Sink) -> anyhow::Result<Report> {
    let mut report = Report::default();
    macro_rules! table {
        ($entity:ty, $gen:expr) => {{
            let mut n = 0u64;
            let mut from = 0usize;
            while from < plan.cases.len() {
                let to = (from + BLOCK).min(plan.cases.len());
                let rows: Vec<<$entity as EntityTrait>::Model> = $gen(plan, from..to);
                n += rows.len() as u64;
                sink.put::<$entity>(rows).await?;
                from = to;
            }
            report
                .tables
                .push((<$entity as Default>::default().table_name(), n));
        }};
    }
    table!(case::Entity, rows::cases);
    table!(person::Entity, rows::persons);
    table!(case_party::Entity, rows::parties);
    table!(identifier::Entity, rows::identifiers);
    table!(network::Entity, rows::networks);
    table!(network_member::Entity, rows::members);
    table!(network_case::Entity, rows::network_cases);
    table!(case_link::Entity, rows::links);
    table!(case_event::Entity, rows::events);
    table!(indictment::Entity, rows::indictments);
    table!(verdict::Entity, rows::verdicts);
    table!(victim_flag::Entity, rows::flags);
    table!(referral::Entity, rows::referrals);
    table!(support_service::Entity, rows::support);
    table!(tip::Entity, rows::tips);
    table!(status_history::Entity, rows::history);
    Ok(report)
}

/// PostgreSQL: `COPY` in one transaction, with the loaded tables' secondary indexes and foreign
/// keys set aside until the end.
struct PgSink {
    conn: PoolConnection<Postgres>,
    /// `CREATE INDEX` statements to replay after the load.
    indexes: Vec<String>,
    /// `(table, constraint, definition)` of the foreign keys to restore after the load.
    foreign_keys: Vec<(String, String, String)>,
    /// A reusable text buffer.
    buf: Vec<u8>,
}

/// The tables the load writes (whose indexes and foreign keys are set aside).
const TABLES: [&str; 16] = [
    "case_record",
    "person",
    "case_party",
    "identifier",
    "network",
    "network_member",
    "network_case",
    "case_link",
    "case_event",
    "indictment",
    "verdict",
    "victim_flag",
    "referral",
    "support_service",
    "tip",
    "status_history",
];

impl PgSink {
    async fn begin(mut conn: PoolConnection<Postgres>) -> anyhow::Result<PgSink> {
        use sqlx::Row;
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        for setting in [
            "SET LOCAL synchronous_commit = off",
            "SET LOCAL maintenance_work_mem = '512MB'",
        ] {
            sqlx::query(setting).execute(&mut *conn).await?;
        }
        let tables: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
        let foreign_keys: Vec<(String, String, String)> = sqlx::query(
            "SELECT c.conrelid::regclass::text AS tbl, c.conname::text AS name, \
                    pg_get_constraintdef(c.oid) AS def \
             FROM pg_constraint c \
             WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY($1) \
             ORDER BY 1, 2",
        )
        .bind(&tables)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("tbl")?, r.try_get("name")?, r.try_get("def")?)))
        .collect::<Result<_, sqlx::Error>>()?;
        for (table, name, _) in &foreign_keys {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {table} DROP CONSTRAINT \"{name}\""
            )))
            .execute(&mut *conn)
            .await?;
        }
        let indexes: Vec<(String, String)> = sqlx::query(
            "SELECT i.indexname::text AS name, i.indexdef AS def FROM pg_indexes i \
             WHERE i.schemaname = current_schema() AND i.tablename = ANY($1) \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) \
             ORDER BY 1",
        )
        .bind(&tables)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get("name")?, r.try_get("def")?)))
        .collect::<Result<_, sqlx::Error>>()?;
        for (name, _) in &indexes {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                .execute(&mut *conn)
                .await?;
        }
        Ok(PgSink {
            conn,
            indexes: indexes.into_iter().map(|(_, def)| def).collect(),
            foreign_keys,
            buf: Vec::with_capacity(1 << 20),
        })
    }

    /// Recreates the indexes and foreign keys set aside (their definitions come from the
    /// catalog, never from input), then commits.
    async fn commit(mut self) -> anyhow::Result<()> {
        for def in &self.indexes {
            sqlx::query(sqlx::AssertSqlSafe(def.as_str()))
                .execute(&mut *self.conn)
                .await?;
        }
        for (table, name, def) in &self.foreign_keys {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"
            )))
            .execute(&mut *self.conn)
            .await?;
        }
        sqlx::query("COMMIT").execute(&mut *self.conn).await?;
        Ok(())
    }
}

impl Sink for PgSink {
    async fn put<E>(&mut self, rows: Vec<E::Model>) -> anyhow::Result<()>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Send,
        E::ActiveModel: Send,
    {
        if rows.is_empty() {
            return Ok(());
        }
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
        let statement = format!(
            "COPY {} ({}) FROM STDIN",
            E::default().table_name(),
            names.join(", ")
        );
        self.buf.clear();
        let mut copy = self.conn.copy_in_raw(&statement).await?;
        for model in rows {
            let active = model.into_active_model();
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    self.buf.push(b'\t');
                }
                copy_value(&mut self.buf, active.get(*column).into_value());
            }
            self.buf.push(b'\n');
            if self.buf.len() >= 1 << 20 {
                copy.send(self.buf.as_slice()).await?;
                self.buf.clear();
            }
        }
        if !self.buf.is_empty() {
            copy.send(self.buf.as_slice()).await?;
            self.buf.clear();
        }
        copy.finish().await?;
        Ok(())
    }
}

/// Appends `value` in `COPY` text format.
fn copy_value(out: &mut Vec<u8>, value: Option<Value>) {
    use std::io::Write as _;
    let null = |out: &mut Vec<u8>| out.extend_from_slice(b"\\N");
    match value {
        Some(Value::Bool(Some(b))) => out.push(if b { b't' } else { b'f' }),
        Some(Value::Int(Some(v))) => {
            let _ = write!(out, "{v}");
        }
        Some(Value::BigInt(Some(v))) => {
            let _ = write!(out, "{v}");
        }
        Some(Value::String(Some(s))) => {
            for b in s.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    _ => out.push(b),
                }
            }
        }
        Some(Value::Uuid(Some(u))) => {
            let mut buf = Uuid::encode_buffer();
            out.extend_from_slice(u.hyphenated().encode_lower(&mut buf).as_bytes());
        }
        Some(Value::ChronoDateTimeUtc(Some(t))) => {
            let _ = write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        }
        Some(Value::ChronoDate(Some(d))) => {
            let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        }
        _ => null(out),
    }
}

/// SQLite: multi-row inserts inside the caller's transaction.
struct SqliteSink<'a> {
    txn: &'a DatabaseTransaction,
}

impl Sink for SqliteSink<'_> {
    async fn put<E>(&mut self, rows: Vec<E::Model>) -> anyhow::Result<()>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel> + Send,
        E::ActiveModel: Send,
    {
        // SQLite binds at most 32,766 parameters per statement.
        let per = (30_000 / E::Column::iter().count().max(1)).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<E::ActiveModel> = rows
                .by_ref()
                .take(per)
                .map(IntoActiveModel::into_active_model)
                .collect();
            E::insert_many(chunk)
                .exec_without_returning(self.txn)
                .await?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The generator

/// A counter-based generator (SplitMix64): each row draws from its own `(seed, stream, index)`
/// state, so values do not depend on the order rows are generated in.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// The generator of row `index` of `stream` under `seed`.
    pub(crate) fn new(seed: u64, stream: u64, index: u64) -> Rng {
        Rng(mix(seed
            ^ mix(stream.wrapping_add(0x9e37_79b9_7f4a_7c15))
            ^ mix(index)))
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One item of `items`.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One item of `(item, weight)` pairs, by weight.
    fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut at = self.below(total);
        for (item, w) in items {
            if at < u64::from(*w) {
                return item;
            }
            at -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }

    /// A UUIDv7 for a row created at `at`: its time is `at`, its 74 random bits come from here.
    fn uuid7(&mut self, at: DateTime<Utc>) -> Uuid {
        let ms = at.timestamp_millis().max(0) as u64;
        let (a, b) = (self.next(), self.next());
        let mut bytes = [0u8; 16];
        bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
        bytes[6] = 0x70 | (a as u8 & 0x0f);
        bytes[7] = (a >> 8) as u8;
        bytes[8] = 0x80 | (b as u8 & 0x3f);
        bytes[9..].copy_from_slice(&b.to_be_bytes()[1..]);
        Uuid::from_bytes(bytes)
    }
}

/// Streams of the generator, one per kind of draw.
mod stream {
    pub(super) const CASE: u64 = 1;
    pub(super) const PERSON: u64 = 2;
    pub(super) const PARTY: u64 = 3;
    pub(super) const IDENTIFIER: u64 = 4;
    pub(super) const NETWORK: u64 = 5;
    pub(super) const LINK: u64 = 6;
    pub(super) const EVENT: u64 = 7;
    pub(super) const JUSTICE: u64 = 8;
    pub(super) const FLAG: u64 = 9;
    pub(super) const REFERRAL: u64 = 10;
    pub(super) const TIP: u64 = 11;
    pub(super) const HISTORY: u64 = 12;
    pub(super) const NAME: u64 = 13;
}

fn end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(END)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc.timestamp_opt(0, 0).single().unwrap_or_default())
}

/// `at` plus `seconds` and some microseconds (stored times carry microseconds).
fn later(at: DateTime<Utc>, seconds: i64, rng: &mut Rng) -> DateTime<Utc> {
    at + Duration::seconds(seconds) + Duration::microseconds(rng.range(0, 999_999))
}

// ---------------------------------------------------------------------------------------------
// The plan: who is who and what relates to what, decided before any row is written

/// A scenario of the national plans: what the case is about.
struct Scenario {
    title: &'static str,
    places: &'static [&'static str],
    forms: &'static [&'static str],
    methods: &'static [&'static str],
    platforms: &'static [&'static str],
    countries: &'static [&'static str],
    weight: u32,
    /// Share of cases under 16 (`ART_151`), in percent.
    children: u64,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        title: "Lừa tuyển lao động \"việc nhẹ lương cao\" qua mạng xã hội, bán sang {} (Campuchia) làm trong khu lừa đảo trực tuyến",
        places: &["Sihanoukville", "Bavet", "Phnôm Pênh", "Poipet", "Kampot"],
        forms: &["FORCED_LABOUR"],
        methods: &["ONLINE_JOB_OFFER"],
        platforms: &["Facebook", "Telegram", "Zalo"],
        countries: &["KH"],
        weight: 28,
        children: 4,
    },
    Scenario {
        title: "Tuyển \"nhân viên chăm sóc khách hàng\" sang Thái Lan rồi đưa qua {} (Myanmar)",
        places: &["Myawaddy", "Tachileik", "Shwe Kokko"],
        forms: &["FORCED_LABOUR"],
        methods: &["ONLINE_JOB_OFFER"],
        platforms: &["TikTok", "Telegram"],
        countries: &["TH", "MM"],
        weight: 8,
        children: 2,
    },
    Scenario {
        title: "Môi giới kết hôn trái phép, bán phụ nữ sang {} (Trung Quốc)",
        places: &["Hà Bắc", "Sơn Đông", "Hà Nam", "An Huy", "Giang Tô"],
        forms: &["FORCED_MARRIAGE"],
        methods: &["MARRIAGE_BROKERAGE"],
        platforms: &["Zalo", "WeChat"],
        countries: &["CN"],
        weight: 14,
        children: 8,
    },
    Scenario {
        title: "Dụ dỗ phụ nữ, trẻ em gái qua đường mòn biên giới sang {} (Trung Quốc)",
        places: &["Hà Khẩu", "Mông Tự", "Văn Sơn", "Bằng Tường", "Đông Hưng"],
        forms: &["FORCED_MARRIAGE", "SEXUAL_EXPLOITATION"],
        methods: &["ILLEGAL_EXIT", "FAMILY_OR_ACQUAINTANCE"],
        platforms: &["Zalo"],
        countries: &["CN"],
        weight: 12,
        children: 30,
    },
    Scenario {
        title: "Lừa sang Malaysia làm phục vụ nhà hàng, ép bán dâm tại {}",
        places: &["Kuala Lumpur", "Johor Bahru", "Penang"],
        forms: &["SEXUAL_EXPLOITATION"],
        methods: &["ONLINE_JOB_OFFER"],
        platforms: &["Facebook"],
        countries: &["MY"],
        weight: 5,
        children: 5,
    },
    Scenario {
        title: "Cưỡng bức lao động ngư dân trên tàu cá ở {} (Thái Lan)",
        places: &["Songkhla", "Pattani", "Rayong"],
        forms: &["FORCED_LABOUR"],
        methods: &["ILLEGAL_EXIT", "SEASONAL_LABOUR"],
        platforms: &[],
        countries: &["LA", "TH"],
        weight: 4,
        children: 3,
    },
    Scenario {
        title: "Đưa lao động sang {} (Lào), giữ giấy tờ, cưỡng bức làm việc trong đặc khu kinh tế",
        places: &["Bokeo", "Viêng Chăn", "Luang Namtha"],
        forms: &["FORCED_LABOUR"],
        methods: &["ONLINE_JOB_OFFER"],
        platforms: &["Facebook", "Zalo"],
        countries: &["LA"],
        weight: 6,
        children: 3,
    },
    Scenario {
        title: "Mua bán người, ép bán dâm tại cơ sở karaoke ở {}",
        places: &[
            "Hà Nội",
            "TP. Hồ Chí Minh",
            "Hải Phòng",
            "Bình Dương",
            "Đà Nẵng",
        ],
        forms: &["SEXUAL_EXPLOITATION"],
        methods: &["FAMILY_OR_ACQUAINTANCE", "ONLINE_JOB_OFFER"],
        platforms: &["Zalo", "Facebook"],
        countries: &[],
        weight: 15,
        children: 20,
    },
    Scenario {
        title: "Mua bán trẻ sơ sinh, mang thai hộ vì mục đích thương mại tại {}",
        places: &["Hà Nội", "Nghệ An", "Quảng Ninh", "Lạng Sơn"],
        forms: &["COMMERCIAL_SURROGACY", "CHILD_ADOPTION"],
        methods: &["OTHER"],
        platforms: &["Facebook"],
        countries: &["CN"],
        weight: 5,
        children: 60,
    },
    Scenario {
        title: "Môi giới mua bán thận qua mạng xã hội, đưa người bán đến {}",
        places: &["Hà Nội", "TP. Hồ Chí Minh"],
        forms: &["ORGAN_REMOVAL"],
        methods: &["ONLINE_JOB_OFFER"],
        platforms: &["Facebook"],
        countries: &[],
        weight: 3,
        children: 0,
    },
];

/// Province codes where cases arise, by weight (hotspots of the national plans weigh more).
fn province_weights() -> Vec<(usize, u32)> {
    const HOT: [(&str, u32); 18] = [
        ("40", 40),
        ("42", 25),
        ("38", 22),
        ("10", 22),
        ("02", 18),
        ("11", 18),
        ("12", 14),
        ("14", 14),
        ("04", 10),
        ("20", 12),
        ("22", 12),
        ("89", 14),
        ("72", 10),
        ("91", 10),
        ("01", 16),
        ("79", 16),
        ("44", 10),
        ("45", 8),
    ];
    PROVINCES
        .iter()
        .enumerate()
        .map(|(i, (code, _, _))| {
            let w = HOT.iter().find(|(c, _)| c == code).map(|(_, w)| *w);
            (i, w.unwrap_or(3))
        })
        .collect()
}

/// One planned case.
struct CasePlan {
    id: Uuid,
    created: DateTime<Utc>,
    opened: DateTime<Utc>,
    lead: &'static str,
    subject: String,
    province: usize,
    scenario: usize,
    status: &'static str,
    handling: &'static str,
    child: bool,
    organized: bool,
    parties: std::ops::Range<u32>,
    /// The persons this case recorded first (contiguous: persons are numbered case by case).
    persons: std::ops::Range<u32>,
    /// Case events (recruitment, transit, exploitation) added after opening.
    events: u8,
}

impl CasePlan {
    fn transnational(&self) -> bool {
        !SCENARIOS[self.scenario].countries.is_empty()
    }

    /// The statuses the case went through, after `REPORTED`, each with the agency that moved it.
    fn moves(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let lead = self.lead;
        let path: &[(&str, &str, &str)] = match self.status {
            "UNDER_INVESTIGATION" => &[("REPORTED", "UNDER_INVESTIGATION", "")],
            "SUSPENDED" => &[
                ("REPORTED", "UNDER_INVESTIGATION", ""),
                ("UNDER_INVESTIGATION", "SUSPENDED", ""),
            ],
            "DISMISSED" => &[
                ("REPORTED", "UNDER_INVESTIGATION", ""),
                ("UNDER_INVESTIGATION", "DISMISSED", ""),
            ],
            "PROSECUTION" => &[
                ("REPORTED", "UNDER_INVESTIGATION", ""),
                ("UNDER_INVESTIGATION", "PROSECUTION", "procuracy"),
            ],
            "TRIAL" => &[
                ("REPORTED", "UNDER_INVESTIGATION", ""),
                ("UNDER_INVESTIGATION", "PROSECUTION", "procuracy"),
                ("PROSECUTION", "TRIAL", "court"),
            ],
            "ADJUDICATED" => &[
                ("REPORTED", "UNDER_INVESTIGATION", ""),
                ("UNDER_INVESTIGATION", "PROSECUTION", "procuracy"),
                ("PROSECUTION", "TRIAL", "court"),
                ("TRIAL", "ADJUDICATED", "court"),
            ],
            "CLOSED" => &[
                ("REPORTED", "UNDER_INVESTIGATION", ""),
                ("UNDER_INVESTIGATION", "PROSECUTION", "procuracy"),
                ("PROSECUTION", "TRIAL", "court"),
                ("TRIAL", "ADJUDICATED", "court"),
                ("ADJUDICATED", "CLOSED", "court"),
            ],
            _ => &[],
        };
        path.iter()
            .map(|(f, t, by)| (*f, *t, if by.is_empty() { lead } else { *by }))
            .collect()
    }

    /// Whether the case was indicted (reached `PROSECUTION`).
    fn indicted(&self) -> bool {
        matches!(
            self.status,
            "PROSECUTION" | "TRIAL" | "ADJUDICATED" | "CLOSED"
        )
    }

    /// Whether verdicts were recorded.
    fn adjudicated(&self) -> bool {
        matches!(self.status, "ADJUDICATED" | "CLOSED")
    }

    /// When the n-th lifecycle move happened.
    fn move_at(&self, n: usize, rng: &mut Rng) -> DateTime<Utc> {
        later(
            self.created,
            86_400 * (20 + 45 * n as i64) + rng.range(0, 86_400),
            rng,
        )
    }
}

/// The roles of party rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Suspect,
    Victim,
    UnderIdentification,
    Witness,
    AccompanyingMinor,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Suspect => "SUSPECT",
            Role::Victim => "VICTIM",
            Role::UnderIdentification => "PERSON_UNDER_IDENTIFICATION",
            Role::Witness => "WITNESS",
            Role::AccompanyingMinor => "ACCOMPANYING_MINOR",
        }
    }
}

/// One planned party.
struct PartyPlan {
    id: Uuid,
    case: u32,
    person: u32,
    role: Role,
    created: DateTime<Utc>,
    age: Option<i32>,
    is_minor: bool,
    consent: bool,
    /// Final identification status (victim-like roles but witnesses).
    identification: Option<&'static str>,
    suspect_role: Option<&'static str>,
}

/// One planned person.
struct PersonPlan {
    id: Uuid,
    /// The case (and so the agency) that recorded the person.
    case: u32,
    created: DateTime<Utc>,
    dob: Option<NaiveDate>,
    female: bool,
    suspect: bool,
    /// The person whose name and phone this record repeats (itself, or an earlier suspect that
    /// another unit recorded again).
    same_as: u32,
    /// Identifiers recorded for this person.
    identifiers: u8,
}

/// One planned ring.
struct NetworkPlan {
    id: Uuid,
    created: DateTime<Utc>,
    anchor: u32,
    cases: Vec<u32>,
}

/// The dataset's skeleton.
struct Plan {
    seed: u64,
    cases: Vec<CasePlan>,
    persons: Vec<PersonPlan>,
    parties: Vec<PartyPlan>,
    networks: Vec<NetworkPlan>,
    /// Networks anchored in each case (index of the first, count).
    networks_of_case: Vec<(u32, u8)>,
    /// Pairs of cases sharing a suspect: `(earlier case, later case, person)`.
    shared: Vec<(u32, u32, u32)>,
}

impl Plan {
    fn build(n: usize, seed: u64) -> Plan {
        let end = end();
        let span = 5 * 365 * 86_400i64;
        let start = end - Duration::seconds(span);
        let provinces = province_weights();
        let border: Vec<(usize, u32)> = provinces
            .iter()
            .copied()
            .filter(|(i, _)| PROVINCES[*i].2)
            .collect();
        let scenarios: Vec<(usize, u32)> = SCENARIOS
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.weight))
            .collect();
        let mut plan = Plan {
            seed,
            cases: Vec::with_capacity(n),
            persons: Vec::with_capacity(n * 5 + 16),
            parties: Vec::with_capacity(n * 5 + 16),
            networks: Vec::new(),
            networks_of_case: Vec::with_capacity(n),
            shared: Vec::new(),
        };
        let mut suspects: Vec<u32> = Vec::new();
        for i in 0..n {
            let mut r = Rng::new(seed, stream::CASE, i as u64);
            let slot = span / n as i64;
            let created = later(
                start,
                slot * i as i64 + r.range(0, (slot - 1).max(0)),
                &mut r,
            );
            let opened = created - Duration::seconds(r.range(0, 14 * 86_400));
            let scenario = *r.weighted(&scenarios);
            let province = if scenario == 3 || scenario == 5 {
                *r.weighted(&border)
            } else {
                *r.weighted(&provinces)
            };
            let lead = if PROVINCES[province].2 && r.chance(35) {
                "border_guard"
            } else {
                "police"
            };
            let age = i as f64 / n as f64;
            let status = *r.weighted(if age > 0.95 {
                &[("REPORTED", 60), ("UNDER_INVESTIGATION", 40)][..]
            } else if age > 0.5 {
                &[
                    ("REPORTED", 4),
                    ("UNDER_INVESTIGATION", 45),
                    ("SUSPENDED", 8),
                    ("DISMISSED", 5),
                    ("PROSECUTION", 12),
                    ("TRIAL", 8),
                    ("ADJUDICATED", 8),
                    ("CLOSED", 10),
                ][..]
            } else {
                &[
                    ("UNDER_INVESTIGATION", 25),
                    ("SUSPENDED", 7),
                    ("DISMISSED", 8),
                    ("PROSECUTION", 5),
                    ("TRIAL", 5),
                    ("ADJUDICATED", 15),
                    ("CLOSED", 35),
                ][..]
            });
            let handling = *r.weighted(&[("H0", 92), ("H1", 5), ("H2", 2), ("H3", 1)]);
            let child = r.chance(SCENARIOS[scenario].children);
            let unit = r.range(1, 40);
            let subject = match lead {
                "police" => format!("dtv-{}-{unit:02}", PROVINCES[province].0),
                _ => format!("bp-{}-{unit:02}", PROVINCES[province].0),
            };
            let victims = *r.weighted(&[(1u32, 35), (2, 25), (3, 18), (4, 12), (5, 6), (6, 4)]);
            let n_suspects = *r.weighted(&[(1u32, 30), (2, 35), (3, 20), (4, 10), (5, 5)]);
            let witnesses = *r.weighted(&[(0u32, 55), (1, 35), (2, 10)]);
            let events = if SCENARIOS[scenario].countries.is_empty() {
                *r.weighted(&[(0u8, 50), (1, 50)])
            } else {
                *r.weighted(&[(0u8, 30), (1, 20), (2, 30), (3, 20)])
            };
            let first = plan.parties.len() as u32;
            let first_person = plan.persons.len() as u32;
            let case_index = i as u32;
            let mut case = CasePlan {
                id: r.uuid7(created),
                created,
                opened,
                lead,
                subject,
                province,
                scenario,
                status,
                handling,
                child,
                organized: r.chance(35),
                parties: first..first,
                persons: first_person..first_person,
                events,
            };
            // Parties, in the order addParty would add them: suspects, victims, witnesses.
            let mut k = 0i64;
            let mut roles: Vec<Role> = Vec::new();
            roles.extend(std::iter::repeat_n(Role::Suspect, n_suspects as usize));
            for v in 0..victims {
                roles.push(if v > 0 && r.chance(3) {
                    Role::AccompanyingMinor
                } else if age > 0.9 && r.chance(20) {
                    Role::UnderIdentification
                } else {
                    Role::Victim
                });
            }
            roles.extend(std::iter::repeat_n(Role::Witness, witnesses as usize));
            for role in roles {
                k += 1;
                let party_index = plan.parties.len() as u64;
                let mut pr = Rng::new(seed, stream::PARTY, party_index);
                let created_party = later(created, 600 * k + pr.range(0, 599), &mut pr);
                // A suspect already known from an earlier case, or a new person.
                let reuse = role == Role::Suspect && !suspects.is_empty() && pr.chance(6);
                let person = if reuse {
                    let back = pr.below(suspects.len().min(3_000) as u64) as usize;
                    let p = suspects[suspects.len() - 1 - back];
                    let other = plan.persons[p as usize].case;
                    if other != case_index
                        && !plan.parties[case.parties.start as usize..]
                            .iter()
                            .any(|q| q.person == p)
                    {
                        plan.shared.push((other, case_index, p));
                        Some(p)
                    } else {
                        None
                    }
                } else {
                    None
                };
                let person = match person {
                    Some(p) => p,
                    None => {
                        let index = plan.persons.len() as u32;
                        let mut rp = Rng::new(seed, stream::PERSON, u64::from(index));
                        let suspect = role == Role::Suspect;
                        let same_as = if suspect && !suspects.is_empty() && rp.chance(3) {
                            let back = rp.below(suspects.len().min(5_000) as u64) as usize;
                            plan.persons[suspects[suspects.len() - 1 - back] as usize].same_as
                        } else {
                            index
                        };
                        let female = if suspect {
                            rp.chance(40)
                        } else {
                            rp.chance(82)
                        };
                        let years = match role {
                            Role::Suspect => rp.range(20, 58),
                            Role::Witness => rp.range(18, 65),
                            Role::AccompanyingMinor => rp.range(3, 14),
                            _ if child => rp.range(11, 15),
                            _ => rp.range(14, 36),
                        };
                        let dob = rp.chance(88).then(|| {
                            (opened - Duration::days(years * 365 + rp.range(0, 364))).date_naive()
                        });
                        let identifiers = match role {
                            Role::Suspect => {
                                *rp.weighted(&[(2u8, 15), (3, 30), (4, 30), (5, 15), (6, 10)])
                            }
                            Role::Witness => *rp.weighted(&[(1u8, 40), (2, 45), (3, 15)]),
                            Role::AccompanyingMinor => 0,
                            _ => *rp.weighted(&[(1u8, 10), (2, 30), (3, 35), (4, 25)]),
                        };
                        let created_person = created_party - Duration::microseconds(1);
                        plan.persons.push(PersonPlan {
                            id: rp.uuid7(created_person),
                            case: case_index,
                            created: created_person,
                            dob,
                            female,
                            suspect,
                            same_as,
                            identifiers,
                        });
                        if suspect {
                            suspects.push(index);
                        }
                        index
                    }
                };
                let victim_like = role != Role::Suspect;
                let age_given = victim_like && role != Role::Witness && pr.chance(70);
                let p = &plan.persons[person as usize];
                let age = age_given
                    .then(|| {
                        p.dob.map(|d| {
                            let o = opened.date_naive();
                            let mut y = o.year() - d.year();
                            if (o.month(), o.day()) < (d.month(), d.day()) {
                                y -= 1;
                            }
                            y
                        })
                    })
                    .flatten();
                let is_minor = victim_like && crate::store::person::minor_at(age, p.dob, opened);
                let identification = match role {
                    Role::Suspect | Role::Witness => None,
                    _ => Some(if status == "REPORTED" || pr.chance(8) {
                        *pr.pick(&["RECEIVED", "VERIFYING"])
                    } else if pr.chance(6) {
                        "NOT_A_VICTIM"
                    } else {
                        "IDENTIFIED"
                    }),
                };
                let suspect_role = (role == Role::Suspect).then(|| {
                    *pr.weighted(&[
                        ("ORGANIZER", 10),
                        ("BROKER", 30),
                        ("RECRUITER", 30),
                        ("TRANSPORTER", 15),
                        ("HARBORER", 5),
                        ("FINANCIER", 3),
                        ("EXPLOITER", 5),
                        ("OTHER", 2),
                    ])
                });
                plan.parties.push(PartyPlan {
                    id: pr.uuid7(created_party),
                    case: case_index,
                    person,
                    role,
                    created: created_party,
                    age,
                    is_minor,
                    consent: victim_like && pr.chance(60),
                    identification,
                    suspect_role,
                });
            }
            case.parties = first..plan.parties.len() as u32;
            case.persons = first_person..plan.persons.len() as u32;
            plan.cases.push(case);
        }
        // Rings: one in five cases anchors one, with one to four organized cases of the same
        // region close by in time.
        for i in 0..n {
            let mut r = Rng::new(seed, stream::NETWORK, i as u64);
            let first = plan.networks.len() as u32;
            let count = u8::from(i % 5 == 0);
            for _ in 0..count {
                let mut cases = vec![i as u32];
                for _ in 0..r.range(0, 3) {
                    let j = i + r.range(1, 60) as usize;
                    if j < n
                        && !cases.contains(&(j as u32))
                        && plan.cases[j].lead == plan.cases[i].lead
                    {
                        cases.push(j as u32);
                    }
                }
                for c in &cases {
                    plan.cases[*c as usize].organized = true;
                }
                let created = later(plan.cases[i].created, r.range(3, 90) * 86_400, &mut r);
                plan.networks.push(NetworkPlan {
                    id: r.uuid7(created),
                    created,
                    anchor: i as u32,
                    cases,
                });
            }
            plan.networks_of_case.push((first, count));
        }
        plan
    }

    fn case_of(&self, party: &PartyPlan) -> &CasePlan {
        &self.cases[party.case as usize]
    }

    fn parties_of(&self, case: &CasePlan) -> &[PartyPlan] {
        &self.parties[case.parties.start as usize..case.parties.end as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

mod words {
    pub(super) const FAMILY: [(&str, u32); 16] = [
        ("Nguyễn", 38),
        ("Trần", 11),
        ("Lê", 9),
        ("Phạm", 7),
        ("Hoàng", 5),
        ("Huỳnh", 3),
        ("Phan", 4),
        ("Vũ", 4),
        ("Võ", 3),
        ("Đặng", 2),
        ("Bùi", 2),
        ("Đỗ", 2),
        ("Hồ", 2),
        ("Ngô", 2),
        ("Dương", 1),
        ("Lý", 1),
    ];
    pub(super) const MIDDLE_M: [&str; 8] =
        ["Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân"];
    pub(super) const MIDDLE_F: [&str; 8] =
        ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Hồng", "Thanh", "Kim"];
    pub(super) const GIVEN_M: [&str; 24] = [
        "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khánh",
        "Long", "Mạnh", "Minh", "Nam", "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Toàn",
        "Tuấn", "Việt",
    ];
    pub(super) const GIVEN_F: [&str; 24] = [
        "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Liên", "Linh",
        "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh", "Phương", "Thảo", "Trang", "Tuyết", "Vân",
        "Yến",
    ];
    /// Ethnic groups with the family names and middle names their names take.
    pub(super) const ETHNIC: [(&str, u32, &[&str], &str, &str); 8] = [
        ("Kinh", 78, &[], "", ""),
        (
            "H'Mông",
            6,
            &["Giàng", "Sùng", "Vàng", "Lý", "Thào", "Mùa"],
            "A",
            "Thị",
        ),
        (
            "Thái",
            5,
            &["Lò", "Lường", "Quàng", "Cầm", "Lự"],
            "Văn",
            "Thị",
        ),
        ("Dao", 3, &["Triệu", "Bàn", "Đặng", "Phùng"], "Văn", "Thị"),
        ("Mường", 2, &["Bùi", "Đinh", "Quách"], "Văn", "Thị"),
        ("Tày", 2, &["Hoàng", "Nông", "Lục", "Ma"], "Văn", "Thị"),
        ("Nùng", 2, &["Hoàng", "Nông", "Lăng"], "Văn", "Thị"),
        ("Khmer", 2, &["Thạch", "Danh", "Sơn", "Kim"], "", "Thị"),
    ];
    pub(super) const COMMUNES: [&str; 16] = [
        "xã Mường Lống",
        "xã Nậm Cắn",
        "xã Tà Cạ",
        "xã Hữu Kiệm",
        "xã Châu Kim",
        "xã Thạch Lạc",
        "xã Cẩm Thịnh",
        "xã Y Tý",
        "xã A Mú Sung",
        "xã Sà Phìn",
        "xã Lũng Cú",
        "phường Trung Hòa",
        "phường Bến Thủy",
        "xã Vĩnh Xương",
        "xã Phước Vĩnh Tây",
        "xã Hòa Bình",
    ];
    pub(super) const MOBILE: [&str; 20] = [
        "32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79", "81", "83",
        "86", "88", "90", "91", "97",
    ];
}

/// A Vietnamese-looking name for person `index` (the same index always gives the same name).
fn name_of(seed: u64, index: u32, female: bool) -> (String, &'static str) {
    let mut r = Rng::new(seed, stream::NAME, u64::from(index));
    let ethnic: Vec<(usize, u32)> = words::ETHNIC
        .iter()
        .enumerate()
        .map(|(i, e)| (i, e.1))
        .collect();
    let (ethnicity, _, families, middle_m, middle_f) = words::ETHNIC[*r.weighted(&ethnic)];
    let family = if families.is_empty() {
        *r.weighted(&words::FAMILY)
    } else {
        *r.pick(families)
    };
    let middle = if families.is_empty() {
        if female {
            *r.pick(&words::MIDDLE_F)
        } else {
            *r.pick(&words::MIDDLE_M)
        }
    } else if female {
        middle_f
    } else {
        middle_m
    };
    let given = if female {
        *r.pick(&words::GIVEN_F)
    } else {
        *r.pick(&words::GIVEN_M)
    };
    let name = if middle.is_empty() {
        format!("{family} {given}")
    } else {
        format!("{family} {middle} {given}")
    };
    (name, ethnicity)
}

/// The national mobile number of person `index` (10 digits with the leading `0`).
fn phone_of(seed: u64, index: u32, n: u8) -> String {
    let mut r = Rng::new(
        seed,
        stream::IDENTIFIER,
        (u64::from(index) << 8) | u64::from(n),
    );
    format!("0{}{:07}", r.pick(&words::MOBILE), r.below(10_000_000))
}

/// A phone number as an officer might write it.
fn written_phone(national: &str, style: u64) -> String {
    let d = &national[1..];
    match style % 5 {
        0 => format!("{} {} {}", &national[..4], &national[4..7], &national[7..]),
        1 => format!("+84 {}-{}-{}", &d[..2], &d[2..5], &d[5..]),
        2 => format!("{}.{}.{}", &national[..4], &national[4..7], &national[7..]),
        3 => format!("84{d}"),
        _ => national.to_string(),
    }
}

/// The mission of a host country: `(name, unit)`.
fn mission_of(country: &str) -> (&'static str, &'static str) {
    match country {
        "KH" => ("Đại sứ quán Việt Nam tại Campuchia", "dsq-phnom-penh"),
        "CN" => ("Tổng Lãnh sự quán Việt Nam tại Côn Minh", "tlsq-con-minh"),
        "LA" => ("Đại sứ quán Việt Nam tại Lào", "dsq-vientiane"),
        "MY" => ("Đại sứ quán Việt Nam tại Malaysia", "dsq-kuala-lumpur"),
        "MM" => ("Đại sứ quán Việt Nam tại Myanmar", "dsq-yangon"),
        _ => ("Đại sứ quán Việt Nam tại Thái Lan", "dsq-bangkok"),
    }
}

// ---------------------------------------------------------------------------------------------
// Rows

mod rows {
    use super::*;

    type Range = std::ops::Range<usize>;

    fn json(items: &[&str]) -> String {
        crate::store::json_list(items)
    }

    /// The status history of one row: `(from, to, agency, subject, at)` moves.
    pub(super) struct Moves {
        pub(super) entity_type: &'static str,
        pub(super) entity_id: Uuid,
        pub(super) moves: Vec<(
            &'static str,
            &'static str,
            &'static str,
            String,
            DateTime<Utc>,
        )>,
    }

    impl Moves {
        fn last_at(&self, or: DateTime<Utc>) -> DateTime<Utc> {
            self.moves.last().map(|m| m.4).unwrap_or(or)
        }
    }

    fn subject_of(agency: &str, r: &mut Rng) -> String {
        let n = r.range(1, 60);
        match agency {
            "procuracy" => format!("ksv-{n:02}"),
            "court" => format!("tp-{n:02}"),
            "foreign_affairs" => format!("lanhsu-{n:02}"),
            "social_services" => format!("tdv-111-{n:02}"),
            "border_guard" => format!("bp-dn-{n:02}"),
            _ => format!("dtv-tw-{n:02}"),
        }
    }

    fn case_moves(plan: &Plan, i: usize) -> Moves {
        let c = &plan.cases[i];
        let mut r = Rng::new(plan.seed, stream::HISTORY, i as u64);
        let moves = c
            .moves()
            .into_iter()
            .enumerate()
            .map(|(n, (from, to, by))| {
                let subject = if by == c.lead {
                    c.subject.clone()
                } else {
                    subject_of(by, &mut r)
                };
                (from, to, by, subject, c.move_at(n, &mut r))
            })
            .collect();
        Moves {
            entity_type: "Case",
            entity_id: c.id,
            moves,
        }
    }

    pub(super) fn cases(plan: &Plan, range: Range) -> Vec<case::Model> {
        range
            .map(|i| {
                let c = &plan.cases[i];
                let s = &SCENARIOS[c.scenario];
                let mut r = Rng::new(plan.seed, stream::CASE, (i as u64) | (1 << 40));
                let place = r.pick(s.places);
                let moves = case_moves(plan, i);
                let parties = c.parties.len() as i32;
                let version = 1 + parties + moves.moves.len() as i32 + i32::from(c.events);
                let (code, name, _) = PROVINCES[c.province];
                let prefix = if c.lead == "police" { "CA" } else { "BP" };
                let closed_at = matches!(c.status, "CLOSED" | "DISMISSED").then(|| moves.last_at(c.created));
                let updated = moves
                    .last_at(c.created)
                    .max(c.created + Duration::seconds(600 * (i64::from(parties) + 1)));
                let summary = format!(
                    "Đối tượng tuyển người tại {name} qua {}, đưa đến {place}; {} bị hại, {} đối tượng đã xác định.",
                    s.platforms.first().copied().unwrap_or("người quen"),
                    plan.parties_of(c).iter().filter(|p| p.role != Role::Suspect && p.role != Role::Witness).count(),
                    plan.parties_of(c).iter().filter(|p| p.role == Role::Suspect).count(),
                );
                case::Model {
                    id: c.id,
                    case_number: format!("{prefix}-{code}-{}-{:06}", c.opened.year(), i + 1),
                    title: s.title.replace("{}", place),
                    status: c.status.to_string(),
                    lead_agency: c.lead.to_string(),
                    province: code.to_string(),
                    opened_at: c.opened,
                    closed_at,
                    legal_basis: if c.child { "ART_151" } else { "ART_150" }.to_string(),
                    transnational: c.transnational(),
                    organized_group: c.organized,
                    exploitation_forms: json(s.forms),
                    recruitment_methods: json(s.methods),
                    recruitment_platforms: json(s.platforms),
                    countries: json(s.countries),
                    handling_code: c.handling.to_string(),
                    handling_restriction: (c.handling == "H3").then(|| {
                        "Không chuyển cho cơ quan nước ngoài khi chưa có ý kiến của Cục Cảnh sát hình sự".to_string()
                    }),
                    summary: r.chance(85).then_some(summary),
                    source_reliability: Some(r.pick(&["A", "B", "B", "C", "X"]).to_string()),
                    information_accuracy: Some(r.range(1, 4) as i32),
                    version,
                    created_at: c.created,
                    updated_at: updated,
                    created_by_agency: c.lead.to_string(),
                    created_by_subject: c.subject.clone(),
                }
            })
            .collect()
    }

    /// The persons first recorded by cases in `range`.
    fn persons_in(plan: &Plan, range: &Range) -> std::ops::Range<usize> {
        plan.cases[range.start].persons.start as usize
            ..plan.cases[range.end - 1].persons.end as usize
    }

    pub(super) fn persons(plan: &Plan, range: Range) -> Vec<person::Model> {
        persons_in(plan, &range)
            .map(|i| {
                let p = &plan.persons[i];
                let c = &plan.cases[p.case as usize];
                let src = &plan.persons[p.same_as as usize];
                let (full_name, ethnicity) = name_of(plan.seed, p.same_as, src.female);
                let mut r = Rng::new(plan.seed, stream::PERSON, (i as u64) | (1 << 40));
                let (code, province, _) = PROVINCES[c.province];
                let national = phone_of(plan.seed, p.same_as, 0);
                let phone = r.chance(80).then(|| written_phone(&national, r.next()));
                let aliases: Vec<String> = if p.suspect && r.chance(40) {
                    let short = full_name.rsplit(' ').next().unwrap_or("");
                    vec![format!(
                        "{short} {}",
                        r.pick(&["Zalo", "Cò", "Béo", "Campuchia", "Tàu"])
                    )]
                } else {
                    Vec::new()
                };
                person::Model {
                    id: p.id,
                    name_folded: normalize::fold_name(&full_name),
                    full_name,
                    aliases: crate::store::json_list(&aliases),
                    date_of_birth: p.dob,
                    sex: Some(if src.female { "FEMALE" } else { "MALE" }.to_string()),
                    ethnicity: Some(ethnicity.to_string()),
                    nationality: Some(
                        if p.suspect && r.chance(5) {
                            *r.pick(&["CN", "KH", "LA"])
                        } else {
                            "VN"
                        }
                        .to_string(),
                    ),
                    national_id: r
                        .chance(50)
                        .then(|| national_id(plan.seed, p.same_as, code)),
                    address: r
                        .chance(85)
                        .then(|| format!("{}, tỉnh {province}", r.pick(&words::COMMUNES))),
                    phone,
                    version: 1 + i32::from(p.identifiers),
                    created_at: p.created,
                    updated_at: p.created + Duration::seconds(i64::from(p.identifiers) * 30),
                    created_by_agency: c.lead.to_string(),
                    created_by_subject: c.subject.clone(),
                }
            })
            .collect()
    }

    fn national_id(seed: u64, index: u32, province: &str) -> String {
        let mut r = Rng::new(seed, stream::IDENTIFIER, (u64::from(index) << 8) | 0xff);
        format!("0{province}{}{:08}", r.range(0, 3), r.below(100_000_000))
    }

    pub(super) fn party_moves(plan: &Plan, index: usize) -> Moves {
        let p = &plan.parties[index];
        let c = plan.case_of(p);
        let mut r = Rng::new(plan.seed, stream::HISTORY, (index as u64) | (1 << 40));
        let mut moves = Vec::new();
        let mut at = p.created;
        let path: &[&str] = match p.identification {
            Some("VERIFYING") => &["RECEIVED", "VERIFYING"],
            Some("IDENTIFIED") => &["RECEIVED", "VERIFYING", "IDENTIFIED"],
            Some("NOT_A_VICTIM") => &["RECEIVED", "VERIFYING", "NOT_A_VICTIM"],
            _ => &[],
        };
        for w in path.windows(2) {
            at = later(at, r.range(3_600, 3 * 86_400), &mut r);
            moves.push((w[0], w[1], c.lead, c.subject.clone(), at));
        }
        Moves {
            entity_type: "CaseParty",
            entity_id: p.id,
            moves,
        }
    }

    pub(super) fn parties(plan: &Plan, range: Range) -> Vec<case_party::Model> {
        let c0 = plan.cases[range.start].parties.start as usize;
        let c1 = plan.cases[range.end - 1].parties.end as usize;
        (c0..c1)
            .map(|i| {
                let p = &plan.parties[i];
                let c = plan.case_of(p);
                let mut r = Rng::new(plan.seed, stream::PARTY, (i as u64) | (1 << 40));
                let moves = party_moves(plan, i);
                let victim = matches!(
                    p.role,
                    Role::Victim | Role::UnderIdentification | Role::AccompanyingMinor
                );
                case_party::Model {
                    id: p.id,
                    case_id: c.id,
                    person_id: plan.persons[p.person as usize].id,
                    role: p.role.name().to_string(),
                    suspect_role: p.suspect_role.map(str::to_string),
                    arrest_status: (p.role == Role::Suspect).then(|| {
                        r.weighted(&[
                            ("AT_LARGE", 20),
                            ("WANTED", 15),
                            ("DETAINED", 25),
                            ("ARRESTED", 35),
                            ("RELEASED", 5),
                        ])
                        .to_string()
                    }),
                    identification: p.identification.map(str::to_string),
                    received_at: (p.role != Role::Suspect).then_some(p.created),
                    age_at_exploitation: p.age,
                    // Sensitive victim fields are social services' to write (DESIGN §5.2), and
                    // it adds no parties to police or border guard cases: the API leaves them
                    // empty on these rows, so the dataset does too.
                    exploitation_details: None,
                    health_notes: None,
                    current_location: None,
                    consent_to_share: p.consent,
                    // Protection measures: police may record them, the border guard may not.
                    protection_measures: if victim
                        && p.is_minor
                        && c.lead == "police"
                        && r.chance(50)
                    {
                        json(&["Giữ bí mật thông tin cá nhân", "Bố trí nơi tạm lánh"])
                    } else {
                        json(&[])
                    },
                    is_minor: p.is_minor,
                    version: 1 + moves.moves.len() as i32,
                    created_at: p.created,
                    updated_at: moves.last_at(p.created),
                    created_by_agency: c.lead.to_string(),
                    created_by_subject: c.subject.clone(),
                }
            })
            .collect()
    }

    /// One identifier as recorded: `(kind, value, platform)`.
    fn identifier_value(
        plan: &Plan,
        person: u32,
        n: u8,
        r: &mut Rng,
    ) -> (IdentifierKind, String, Option<String>) {
        let p = &plan.persons[person as usize];
        let src = p.same_as;
        let (name, _) = name_of(plan.seed, src, plan.persons[src as usize].female);
        let folded = normalize::fold_name(&name).replace(' ', ".");
        let tag = src % 10_000;
        match n {
            0 => (
                IdentifierKind::Phone,
                written_phone(&phone_of(plan.seed, src, 0), r.next()),
                None,
            ),
            1 if p.suspect => (
                IdentifierKind::SocialMedia,
                format!("https://facebook.com/{folded}.{tag}"),
                None,
            ),
            1 => (
                IdentifierKind::SocialMedia,
                format!("@{folded}{tag}"),
                Some(r.pick(&["Facebook", "TikTok"]).to_string()),
            ),
            2 if p.suspect => (
                IdentifierKind::SocialMedia,
                phone_of(plan.seed, src, 1),
                Some("Zalo".to_string()),
            ),
            2 => {
                let code = PROVINCES[plan.cases[p.case as usize].province].0;
                (
                    IdentifierKind::NationalId,
                    national_id(plan.seed, src, code),
                    None,
                )
            }
            3 if p.suspect => (
                IdentifierKind::BankAccount,
                format!(
                    "{:013}",
                    Rng::new(plan.seed, stream::IDENTIFIER, u64::from(src) | (3 << 40))
                        .below(10_000_000_000_000)
                ),
                None,
            ),
            3 => (
                IdentifierKind::Passport,
                format!("C{:07}", r.below(10_000_000)),
                None,
            ),
            4 => (
                IdentifierKind::Phone,
                written_phone(&phone_of(plan.seed, src, 2), r.next()),
                None,
            ),
            _ => (
                if r.chance(50) {
                    IdentifierKind::VehiclePlate
                } else {
                    IdentifierKind::Email
                },
                if r.chance(50) {
                    format!(
                        "{}A-{:03}.{:02}",
                        r.range(11, 99),
                        r.below(1000),
                        r.below(100)
                    )
                } else {
                    format!("{}{tag}@gmail.com", folded.replace('.', ""))
                },
                None,
            ),
        }
    }

    pub(super) fn identifiers(plan: &Plan, range: Range) -> Vec<identifier::Model> {
        let mut out = Vec::new();
        for i in persons_in(plan, &range) {
            let p = &plan.persons[i];
            let c = &plan.cases[p.case as usize];
            for n in 0..p.identifiers {
                let mut r = Rng::new(
                    plan.seed,
                    stream::IDENTIFIER,
                    ((i as u64) << 8) | u64::from(n) | (1 << 48),
                );
                let (kind, mut value, platform) = identifier_value(plan, i as u32, n, &mut r);
                // Kinds of the fallback slot may collide with a real plate or mail: fine, the
                // value stands. An invalid value (never expected) falls back to a plain email.
                let normalized =
                    match normalize::normalize_identifier(kind, &value, platform.as_deref()) {
                        Ok(v) => (kind, v),
                        Err(_) => {
                            value = format!("nguoi{i}.{n}@example.vn");
                            match normalize::normalize_identifier(
                                IdentifierKind::Email,
                                &value,
                                None,
                            ) {
                                Ok(v) => (IdentifierKind::Email, v),
                                Err(_) => continue,
                            }
                        }
                    };
                let created = p.created + Duration::seconds(30 * (i64::from(n) + 1));
                out.push(identifier::Model {
                    id: r.uuid7(created),
                    person_id: p.id,
                    kind: normalized.0.as_ref().to_string(),
                    value,
                    normalized: normalized.1.value,
                    platform: normalized.1.platform,
                    verified: r.chance(40),
                    version: 1,
                    created_at: created,
                    updated_at: created,
                    created_by_agency: c.lead.to_string(),
                    created_by_subject: c.subject.clone(),
                });
            }
        }
        out
    }

    fn networks_in<'a>(
        plan: &'a Plan,
        range: &Range,
    ) -> impl Iterator<Item = (usize, &'a NetworkPlan)> + 'a {
        let (a, _) = plan.networks_of_case[range.start];
        let (b, n) = plan.networks_of_case[range.end - 1];
        (a as usize..(b + u32::from(n)) as usize).map(move |k| (k, &plan.networks[k]))
    }

    pub(super) fn networks(plan: &Plan, range: Range) -> Vec<network::Model> {
        networks_in(plan, &range)
            .map(|(k, w)| {
                let c = &plan.cases[w.anchor as usize];
                let s = &SCENARIOS[c.scenario];
                let mut r = Rng::new(plan.seed, stream::NETWORK, (k as u64) | (1 << 40));
                let (_, province, _) = PROVINCES[c.province];
                let boss = plan
                    .parties_of(c)
                    .iter()
                    .find(|p| p.role == Role::Suspect)
                    .map(|p| {
                        let src = plan.persons[p.person as usize].same_as;
                        let (name, _) = name_of(plan.seed, src, plan.persons[src as usize].female);
                        name.rsplit(' ').next().unwrap_or("").to_string()
                    })
                    .unwrap_or_default();
                let dismantled = (c.adjudicated() && r.chance(70))
                    .then(|| later(w.created, r.range(30, 400) * 86_400, &mut r));
                network::Model {
                    id: w.id,
                    name: format!(
                        "Đường dây {} – {province} #{}",
                        s.places[k % s.places.len()],
                        k + 1
                    ),
                    aliases: crate::store::json_list(&[format!("Nhóm {boss}")]),
                    transnational: c.transnational(),
                    countries: json(s.countries),
                    dismantled_at: dismantled,
                    version: 1 + w.cases.len() as i32 + i32::from(dismantled.is_some()),
                    created_at: w.created,
                    updated_at: dismantled.unwrap_or(w.created),
                    created_by_agency: c.lead.to_string(),
                    created_by_subject: c.subject.clone(),
                }
            })
            .collect()
    }

    pub(super) fn members(plan: &Plan, range: Range) -> Vec<network_member::Model> {
        let mut out = Vec::new();
        for (k, w) in networks_in(plan, &range) {
            let c = &plan.cases[w.anchor as usize];
            let mut r = Rng::new(plan.seed, stream::NETWORK, (k as u64) | (2 << 40));
            let mut seen = BTreeSet::new();
            for case in &w.cases {
                for p in plan.parties_of(&plan.cases[*case as usize]) {
                    if p.role != Role::Suspect || seen.len() >= 6 || !seen.insert(p.person) {
                        continue;
                    }
                    let at = later(w.created, 60 * seen.len() as i64, &mut r);
                    out.push(network_member::Model {
                        id: r.uuid7(at),
                        network_id: w.id,
                        person_id: plan.persons[p.person as usize].id,
                        role: p.suspect_role.unwrap_or("OTHER").to_string(),
                        version: 1,
                        created_at: at,
                        updated_at: at,
                        created_by_agency: c.lead.to_string(),
                        created_by_subject: c.subject.clone(),
                    });
                }
            }
        }
        out
    }

    pub(super) fn network_cases(plan: &Plan, range: Range) -> Vec<network_case::Model> {
        let mut out = Vec::new();
        for (k, w) in networks_in(plan, &range) {
            let c = &plan.cases[w.anchor as usize];
            let mut r = Rng::new(plan.seed, stream::NETWORK, (k as u64) | (3 << 40));
            for (n, case) in w.cases.iter().enumerate() {
                out.push(network_case::Model {
                    network_id: w.id,
                    case_id: plan.cases[*case as usize].id,
                    created_at: later(w.created, 120 + 60 * n as i64, &mut r),
                    created_by_agency: c.lead.to_string(),
                });
            }
        }
        out
    }

    pub(super) fn links(plan: &Plan, range: Range) -> Vec<case_link::Model> {
        let mut out = Vec::new();
        let mut seen: HashMap<(u32, u32), ()> = HashMap::new();
        for (k, (from, to, person)) in plan.shared.iter().enumerate() {
            if !range.contains(&(*to as usize)) || seen.insert((*from, *to), ()).is_some() {
                continue;
            }
            let (a, b) = (&plan.cases[*from as usize], &plan.cases[*to as usize]);
            // Police link cases it sees (both not `H2`, or both its own); the border guard links
            // only its own.
            let linker_sees = |c: &CasePlan| c.handling != "H2" || c.lead == b.lead;
            if !(b.lead == "police" || a.lead == b.lead) || !linker_sees(a) || !linker_sees(b) {
                continue;
            }
            let mut r = Rng::new(plan.seed, stream::LINK, k as u64);
            let at = later(b.created, r.range(2, 60) * 86_400, &mut r);
            out.push(case_link::Model {
                id: r.uuid7(at),
                from_case: b.id,
                to_case: a.id,
                reason: "Cùng đối tượng môi giới trong hai vụ án".to_string(),
                evidence: crate::store::json_list(&[format!(
                    "PERSON {} (same person)",
                    plan.persons[*person as usize].id
                )]),
                confidence: r.range(70, 100) as i32,
                version: 1,
                created_at: at,
                updated_at: at,
                created_by_agency: b.lead.to_string(),
                created_by_subject: b.subject.clone(),
            });
        }
        out
    }

    pub(super) fn events(plan: &Plan, range: Range) -> Vec<case_event::Model> {
        let mut out = Vec::new();
        for i in range {
            let c = &plan.cases[i];
            let s = &SCENARIOS[c.scenario];
            let mut r = Rng::new(plan.seed, stream::EVENT, i as u64);
            let (_, province, _) = PROVINCES[c.province];
            let kinds: &[(&str, String, Option<&str>)] = &[
                (
                    "RECRUITMENT",
                    format!("{}, tỉnh {province}", r.pick(&words::COMMUNES)),
                    Some("VN"),
                ),
                (
                    "TRANSIT",
                    r.pick(&[
                        "Cửa khẩu Mộc Bài",
                        "Cửa khẩu Lào Cai",
                        "Đường mòn Bát Xát",
                        "Cửa khẩu Cha Lo",
                        "Cửa khẩu Nậm Cắn",
                    ])
                    .to_string(),
                    Some("VN"),
                ),
                (
                    "EXPLOITATION",
                    r.pick(s.places).to_string(),
                    s.countries.last().copied(),
                ),
            ];
            for (n, (kind, place, country)) in kinds.iter().enumerate().take(usize::from(c.events))
            {
                let at = later(c.created, 3_600 * (n as i64 + 1) + 86_400, &mut r);
                out.push(case_event::Model {
                    id: r.uuid7(at),
                    case_id: c.id,
                    kind: kind.to_string(),
                    place: Some(place.clone()),
                    country: country.map(str::to_string),
                    occurred_on: Some(
                        (c.opened - Duration::days(r.range(30, 200) - 40 * n as i64)).date_naive(),
                    ),
                    description: r
                        .chance(50)
                        .then(|| "Theo lời khai của bị hại.".to_string()),
                    version: 1,
                    created_at: at,
                    updated_at: at,
                    created_by_agency: c.lead.to_string(),
                    created_by_subject: c.subject.clone(),
                });
            }
        }
        out
    }

    /// The defendants of an indicted case: its suspects (all of them, at most four).
    fn defendants<'a>(plan: &'a Plan, c: &'a CasePlan) -> impl Iterator<Item = &'a PartyPlan> + 'a {
        plan.parties_of(c)
            .iter()
            .filter(|p| p.role == Role::Suspect)
            .take(4)
    }

    pub(super) fn indictments(plan: &Plan, range: Range) -> Vec<indictment::Model> {
        let mut out = Vec::new();
        for i in range {
            let c = &plan.cases[i];
            if !c.indicted() {
                continue;
            }
            let mut r = Rng::new(plan.seed, stream::JUSTICE, i as u64);
            let moves = case_moves(plan, i);
            let filed = moves
                .moves
                .iter()
                .find(|m| m.1 == "PROSECUTION")
                .map(|m| m.4)
                .unwrap_or(c.created);
            let subject = moves
                .moves
                .iter()
                .find(|m| m.1 == "PROSECUTION")
                .map(|m| m.3.clone())
                .unwrap_or_default();
            let (_, province, _) = PROVINCES[c.province];
            for (n, d) in defendants(plan, c).enumerate() {
                let at = filed - Duration::seconds(60) + Duration::seconds(20 * n as i64);
                let article = if c.child { "151" } else { "150" };
                let charges = format!(
                    "[{{\"article\":\"{article}\",\"clause\":\"{}\",\"point\":\"{}\"}}]",
                    r.range(1, 3),
                    r.pick(&["a", "b", "c", "d", "đ"])
                );
                out.push(indictment::Model {
                    id: r.uuid7(at),
                    case_id: c.id,
                    defendant_id: plan.persons[d.person as usize].id,
                    charges,
                    filed_at: at,
                    office: format!("Viện kiểm sát nhân dân tỉnh {province}"),
                    version: 1,
                    created_at: at,
                    updated_at: at,
                    created_by_agency: "procuracy".to_string(),
                    created_by_subject: subject.clone(),
                });
            }
        }
        out
    }

    pub(super) fn verdicts(plan: &Plan, range: Range) -> Vec<verdict::Model> {
        let mut out = Vec::new();
        for i in range {
            let c = &plan.cases[i];
            if !c.adjudicated() {
                continue;
            }
            let mut r = Rng::new(plan.seed, stream::JUSTICE, (i as u64) | (1 << 40));
            let moves = case_moves(plan, i);
            let decided = moves
                .moves
                .iter()
                .find(|m| m.1 == "ADJUDICATED")
                .map(|m| (m.4, m.3.clone()));
            let Some((decided, subject)) = decided else {
                continue;
            };
            let (_, province, _) = PROVINCES[c.province];
            for (n, d) in defendants(plan, c).enumerate() {
                let at = decided - Duration::seconds(60) + Duration::seconds(20 * n as i64);
                let convicted = r.chance(95);
                out.push(verdict::Model {
                    id: r.uuid7(at),
                    case_id: c.id,
                    defendant_id: plan.persons[d.person as usize].id,
                    court: format!("Tòa án nhân dân tỉnh {province}"),
                    level: "FIRST_INSTANCE".to_string(),
                    decided_at: at,
                    convicted,
                    articles: json(&[if c.child { "151" } else { "150" }]),
                    sentence_months: convicted.then(|| r.range(24, 240) as i32),
                    fine: (convicted && r.chance(40)).then(|| r.range(20, 100) * 1_000_000),
                    closed_trial: c.child || r.chance(10),
                    appeal_status: r
                        .weighted(&[("NONE", 20), ("FINAL", 70), ("APPEALED", 10)])
                        .to_string(),
                    version: 1,
                    created_at: at,
                    updated_at: at,
                    created_by_agency: "court".to_string(),
                    created_by_subject: subject.clone(),
                });
            }
        }
        out
    }

    /// The flag of case `i`, if one: the first victim of a transnational case, flagged by the
    /// mission in the destination country. `(flag, victim party, moves)`.
    pub(super) fn flag_of(
        plan: &Plan,
        i: usize,
    ) -> Option<(victim_flag::Model, &PartyPlan, Moves)> {
        let c = &plan.cases[i];
        let s = &SCENARIOS[c.scenario];
        let mut r = Rng::new(plan.seed, stream::FLAG, i as u64);
        if !c.transnational() || !r.chance(25) {
            return None;
        }
        let victim = plan.parties_of(c).iter().find(|p| p.role == Role::Victim)?;
        let country = *s.countries.last()?;
        let (mission, unit) = mission_of(country);
        let created = c.created - Duration::days(r.range(2, 20));
        let id = r.uuid7(created);
        let status = *r.weighted(&[
            ("FLAGGED", 5),
            ("VERIFYING", 5),
            ("CONFIRMED", 5),
            ("RESCUED", 10),
            ("REPATRIATED", 15),
            ("HANDED_OVER", 20),
            ("CLOSED", 35),
            ("UNFOUNDED", 5),
        ]);
        let path: &[(&str, &str, &str)] = &[
            ("FLAGGED", "VERIFYING", "foreign_affairs"),
            ("VERIFYING", "CONFIRMED", "police"),
            ("CONFIRMED", "RESCUED", "foreign_affairs"),
            ("RESCUED", "REPATRIATED", "foreign_affairs"),
            ("REPATRIATED", "HANDED_OVER", "border_guard"),
            ("HANDED_OVER", "CLOSED", "social_services"),
        ];
        let steps: Vec<(&str, &str, &str)> = if status == "UNFOUNDED" {
            vec![
                ("FLAGGED", "VERIFYING", "foreign_affairs"),
                ("VERIFYING", "UNFOUNDED", "police"),
            ]
        } else {
            let n = path
                .iter()
                .position(|m| m.1 == status)
                .map(|p| p + 1)
                .unwrap_or(0);
            path[..n].to_vec()
        };
        let lead_subject = subject_of("foreign_affairs", &mut r);
        let mut at = created;
        let mut moves = Vec::new();
        for (from, to, by) in steps {
            at = later(at, r.range(86_400, 10 * 86_400), &mut r);
            let subject = if by == "foreign_affairs" {
                lead_subject.clone()
            } else {
                subject_of(by, &mut r)
            };
            moves.push((from, to, by, subject, at));
        }
        let requested = moves.first().map(|m| m.4);
        let verified = moves.get(1).map(|m| (m.4, m.1));
        let flag = victim_flag::Model {
            id,
            mission: mission.to_string(),
            mission_unit: Some(unit.to_string()),
            host_country: country.to_string(),
            location: Some(r.pick(s.places).to_string()),
            circumstances: "Gia đình báo tin qua đường dây nóng của cơ quan đại diện: bị giữ giấy tờ, bị ép làm việc, xin được giải cứu.".to_string(),
            urgency: r.weighted(&[("MEDIUM", 30), ("HIGH", 50), ("CRITICAL", 20)]).to_string(),
            person_id: plan.persons[victim.person as usize].id,
            status: status.to_string(),
            verification_status: match verified {
                Some((_, "CONFIRMED")) => "CONFIRMED",
                Some(_) => "NOT_CONFIRMED",
                None if requested.is_some() => "REQUESTED",
                None => "NOT_REQUESTED",
            }
            .to_string(),
            verification_requested_at: requested,
            verification_result: verified.map(|(_, to)| {
                if to == "CONFIRMED" { "Khớp với hồ sơ căn cước công dân" } else { "Không khớp với hồ sơ" }.to_string()
            }),
            verified_at: verified.map(|(t, _)| t),
            case_id: Some(c.id),
            version: 1 + moves.len() as i32,
            created_at: created,
            updated_at: moves.last().map(|m| m.4).unwrap_or(created),
            created_by_agency: "foreign_affairs".to_string(),
            created_by_subject: lead_subject,
        };
        Some((
            flag,
            victim,
            Moves {
                entity_type: "VictimFlag",
                entity_id: id,
                moves,
            },
        ))
    }

    pub(super) fn flags(plan: &Plan, range: Range) -> Vec<victim_flag::Model> {
        range
            .filter_map(|i| flag_of(plan, i).map(|f| f.0))
            .collect()
    }

    /// The referrals of case `i`: some victims referred to social services by the lead agency.
    pub(super) fn referrals_of(plan: &Plan, i: usize) -> Vec<(referral::Model, Moves)> {
        let c = &plan.cases[i];
        let mut out = Vec::new();
        for (n, p) in plan.parties_of(c).iter().enumerate() {
            let mut r = Rng::new(plan.seed, stream::REFERRAL, ((i as u64) << 8) | n as u64);
            if !matches!(p.role, Role::Victim | Role::AccompanyingMinor) || !r.chance(35) {
                continue;
            }
            let created = later(p.created, r.range(3_600, 5 * 86_400), &mut r);
            let id = r.uuid7(created);
            let overridden = !p.consent && p.is_minor;
            if !p.consent && !overridden {
                continue;
            }
            let status = *r.weighted(&[
                ("SENT", 8),
                ("ACCEPTED", 30),
                ("COMPLETED", 50),
                ("DECLINED", 7),
                ("REVOKED", 5),
            ]);
            let by = |to: &str| {
                if to == "REVOKED" {
                    c.lead
                } else {
                    "social_services"
                }
            };
            let steps: Vec<(&str, &str)> = match status {
                "ACCEPTED" => vec![("SENT", "ACCEPTED")],
                "COMPLETED" => vec![("SENT", "ACCEPTED"), ("ACCEPTED", "COMPLETED")],
                "DECLINED" => vec![("SENT", "DECLINED")],
                "REVOKED" => vec![("SENT", "REVOKED")],
                _ => vec![],
            };
            let ss_subject = subject_of("social_services", &mut r);
            let mut at = created;
            let mut moves = Vec::new();
            for (from, to) in steps {
                at = later(at, r.range(3_600, 2 * 86_400), &mut r);
                let agency = by(to);
                let subject = if agency == "social_services" {
                    ss_subject.clone()
                } else {
                    c.subject.clone()
                };
                moves.push((from, to, agency, subject, at));
            }
            let responded = moves.first().filter(|m| m.1 != "REVOKED").map(|m| m.4);
            let completed = moves.iter().find(|m| m.1 == "COMPLETED").map(|m| m.4);
            let mut shared = vec!["fullName", "dateOfBirth", "sex", "phone"];
            if r.chance(50) {
                shared.push("address");
            }
            if r.chance(40) {
                shared.push("healthNotes");
                shared.push("currentLocation");
            }
            let services: Vec<&str> = [
                ("SHELTER", 50),
                ("MEDICAL", 50),
                ("PSYCHOLOGICAL", 60),
                ("LEGAL_AID", 30),
                ("VOCATIONAL", 25),
                ("REINTEGRATION", 40),
            ]
            .iter()
            .filter(|(_, w)| r.chance(*w))
            .map(|(s, _)| *s)
            .collect();
            let services = if services.is_empty() {
                vec!["PSYCHOLOGICAL"]
            } else {
                services
            };
            let model = referral::Model {
                id,
                from_agency: c.lead.to_string(),
                to_agency: "social_services".to_string(),
                person_id: plan.persons[p.person as usize].id,
                case_id: Some(c.id),
                purpose: "Tiếp nhận, hỗ trợ nạn nhân theo Luật Phòng, chống mua bán người 2024"
                    .to_string(),
                services: json(&services),
                consent: if overridden { "OVERRIDDEN" } else { "GIVEN" }.to_string(),
                consent_reason: overridden
                    .then(|| "Trẻ em, vì lợi ích tốt nhất của trẻ".to_string()),
                shared_fields: json(&shared),
                status: status.to_string(),
                due_at: created + Duration::days(3),
                responded_at: responded,
                completed_at: completed,
                outcome: completed.map(|_| "Đã hòa nhập cộng đồng, có việc làm".to_string()),
                decline_reason: (status == "DECLINED")
                    .then(|| "Cơ sở đã hết chỗ, chuyển tỉnh khác".to_string()),
                version: 1 + moves.len() as i32,
                created_at: created,
                updated_at: moves.last().map(|m| m.4).unwrap_or(created),
                created_by_agency: c.lead.to_string(),
                created_by_subject: c.subject.clone(),
            };
            out.push((
                model,
                Moves {
                    entity_type: "Referral",
                    entity_id: id,
                    moves,
                },
            ));
        }
        out
    }

    pub(super) fn referrals(plan: &Plan, range: Range) -> Vec<referral::Model> {
        range
            .flat_map(|i| referrals_of(plan, i).into_iter().map(|r| r.0))
            .collect()
    }

    pub(super) fn support(plan: &Plan, range: Range) -> Vec<support_service::Model> {
        let mut out = Vec::new();
        for i in range {
            for (k, (rf, _)) in referrals_of(plan, i).into_iter().enumerate() {
                let Some(start) = rf
                    .responded_at
                    .filter(|_| matches!(rf.status.as_str(), "ACCEPTED" | "COMPLETED"))
                else {
                    continue;
                };
                let mut r = Rng::new(
                    plan.seed,
                    stream::REFERRAL,
                    ((i as u64) << 8) | k as u64 | (1 << 48),
                );
                let subject = subject_of("social_services", &mut r);
                for (n, service) in crate::store::parse_list(&rf.services)
                    .into_iter()
                    .take(2)
                    .enumerate()
                {
                    let at = later(start, 3_600 * (n as i64 + 1), &mut r);
                    out.push(support_service::Model {
                        id: r.uuid7(at),
                        person_id: rf.person_id,
                        service,
                        provider: "Trung tâm Công tác xã hội tỉnh".to_string(),
                        started_at: at,
                        ended_at: rf.completed_at,
                        notes: r
                            .chance(30)
                            .then(|| "Tư vấn tâm lý định kỳ hằng tuần.".to_string()),
                        version: 1 + i32::from(rf.completed_at.is_some()),
                        created_at: at,
                        updated_at: rf.completed_at.unwrap_or(at),
                        created_by_agency: "social_services".to_string(),
                        created_by_subject: subject.clone(),
                    });
                }
            }
        }
        out
    }

    /// The tip of slot `i` (one tip per two cases): hotline calls and other reports recorded by
    /// social services, some of which opened case `i`.
    pub(super) fn tip_of(plan: &Plan, i: usize) -> Option<(tip::Model, Moves)> {
        if i % 2 == 1 {
            return None;
        }
        let c = &plan.cases[i];
        let mut r = Rng::new(plan.seed, stream::TIP, i as u64);
        let received =
            c.created - Duration::days(r.range(1, 30)) - Duration::seconds(r.range(0, 86_399));
        let id = r.uuid7(received);
        let status = *r.weighted(&[
            ("RECEIVED", 8),
            ("VERIFYING", 10),
            ("CASE_OPENED", 30),
            ("UNFOUNDED", 32),
            ("FORWARDED", 20),
        ]);
        let steps: Vec<(&str, &str)> = match status {
            "VERIFYING" => vec![("RECEIVED", "VERIFYING")],
            "CASE_OPENED" => vec![("RECEIVED", "VERIFYING"), ("VERIFYING", "CASE_OPENED")],
            "UNFOUNDED" => vec![("RECEIVED", "VERIFYING"), ("VERIFYING", "UNFOUNDED")],
            "FORWARDED" => vec![("RECEIVED", "FORWARDED")],
            _ => vec![],
        };
        let subject = subject_of("social_services", &mut r);
        let mut at = received;
        let mut moves = Vec::new();
        for (from, to) in steps {
            at = later(at, r.range(1_800, 5 * 86_400), &mut r);
            moves.push((from, to, "social_services", subject.clone(), at));
        }
        let resolved = moves.last().filter(|m| m.1 != "VERIFYING").map(|m| m.4);
        let channel = *r.weighted(&[
            ("HOTLINE_111", 45),
            ("POLICE_DESK", 10),
            ("BORDER_POST", 10),
            ("MISSION_ABROAD", 10),
            ("COMMUNE", 15),
            ("ONLINE", 8),
            ("INTERNATIONAL", 2),
        ]);
        let (_, province, _) = PROVINCES[c.province];
        let tip = tip::Model {
            id,
            channel: channel.to_string(),
            received_at: received,
            summary: format!(
                "Người nhà báo con gái ở {province} đi làm ăn xa, mất liên lạc, nghi bị lừa bán."
            ),
            urgency: r
                .weighted(&[("LOW", 20), ("MEDIUM", 45), ("HIGH", 28), ("CRITICAL", 7)])
                .to_string(),
            potential_victim_count: r.chance(80).then(|| r.range(1, 6) as i32),
            status: status.to_string(),
            resolved_at: resolved,
            forwarded_to: (status == "FORWARDED").then(|| c.lead.to_string()),
            case_id: (status == "CASE_OPENED").then_some(c.id),
            province: Some(PROVINCES[c.province].0.to_string()),
            version: 1 + moves.len() as i32,
            created_at: received,
            updated_at: moves.last().map(|m| m.4).unwrap_or(received),
            created_by_agency: "social_services".to_string(),
            created_by_subject: subject,
        };
        Some((
            tip,
            Moves {
                entity_type: "Tip",
                entity_id: id,
                moves,
            },
        ))
    }

    pub(super) fn tips(plan: &Plan, range: Range) -> Vec<tip::Model> {
        range.filter_map(|i| tip_of(plan, i).map(|t| t.0)).collect()
    }

    pub(super) fn history(plan: &Plan, range: Range) -> Vec<status_history::Model> {
        let mut all: Vec<Moves> = Vec::new();
        for i in range {
            all.push(case_moves(plan, i));
            let c = &plan.cases[i];
            for p in c.parties.clone() {
                all.push(party_moves(plan, p as usize));
            }
            if let Some((_, _, m)) = flag_of(plan, i) {
                all.push(m);
            }
            all.extend(referrals_of(plan, i).into_iter().map(|r| r.1));
            if let Some((_, m)) = tip_of(plan, i) {
                all.push(m);
            }
        }
        let mut out = Vec::new();
        for m in all {
            let mut r = Rng::new(
                plan.seed,
                stream::HISTORY,
                u64::from_be_bytes(m.entity_id.as_bytes()[8..].try_into().unwrap_or_default()),
            );
            for (from, to, agency, subject, at) in m.moves {
                out.push(status_history::Model {
                    id: r.uuid7(at),
                    entity_type: m.entity_type.to_string(),
                    entity_id: m.entity_id,
                    from_status: Some(from.to_string()),
                    to_status: to.to_string(),
                    agency: agency.to_string(),
                    subject,
                    at,
                    reason: None,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_deterministic_and_spread() {
        let a: Vec<u64> = (0..5).map(|i| Rng::new(7, 1, i).next()).collect();
        let b: Vec<u64> = (0..5).map(|i| Rng::new(7, 1, i).next()).collect();
        assert_eq!(a, b);
        assert_ne!(Rng::new(7, 1, 0).next(), Rng::new(8, 1, 0).next());
        let mut r = Rng::new(1, 2, 3);
        let below: Vec<u64> = (0..1000).map(|_| r.below(10)).collect();
        assert!(below.iter().all(|v| *v < 10));
        assert!((0..10).all(|v| below.contains(&v)));
    }

    #[test]
    fn ids_are_version_7_and_ordered_by_time() {
        let mut r = Rng::new(1, 1, 1);
        let t = end();
        let a = r.uuid7(t);
        let b = r.uuid7(t + Duration::seconds(1));
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b);
    }

    #[test]
    fn plans_are_deterministic_with_the_expected_proportions() {
        let p = Plan::build(2_000, 42);
        let q = Plan::build(2_000, 42);
        assert_eq!(p.persons.len(), q.persons.len());
        assert_eq!(p.cases[1_999].id, q.cases[1_999].id);
        let persons = p.persons.len() as f64 / 2_000.0;
        assert!((4.5..5.8).contains(&persons), "{persons} persons per case");
        assert_eq!(p.networks.len(), 400);
        assert!(
            !p.shared.is_empty(),
            "some suspects are party to several cases"
        );
        let ids: BTreeSet<Uuid> = p.persons.iter().map(|x| x.id).collect();
        assert_eq!(ids.len(), p.persons.len(), "person ids are unique");
    }

    #[test]
    fn generated_phones_normalize() {
        for i in 0..200 {
            let national = phone_of(3, i, 0);
            for style in 0..5 {
                let written = written_phone(&national, style);
                let n = normalize::normalize_identifier(IdentifierKind::Phone, &written, None)
                    .unwrap_or_else(|e| panic!("{written}: {e}"));
                assert_eq!(n.value, format!("+84{}", &national[1..]));
            }
        }
    }

    #[test]
    fn copy_text_escapes_and_nulls() {
        let mut out = Vec::new();
        copy_value(&mut out, Some(Value::String(Some("a\tb\\c\nd".into()))));
        out.push(b'|');
        copy_value(&mut out, Some(Value::String(None)));
        out.push(b'|');
        copy_value(&mut out, Some(Value::Bool(Some(true))));
        assert_eq!(String::from_utf8_lossy(&out), "a\\tb\\\\c\\nd|\\N|t");
    }
}
