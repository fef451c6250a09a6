//! Database connections and migrations, identical on PostgreSQL and SQLite.
//!
//! SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout, so
//! concurrent requests queue rather than fail. Migrations run under an advisory lock on
//! PostgreSQL, so several `ctex serve` processes starting together apply them once.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};

/// How long a pooled connection may sit idle before it is pinged on its next checkout
/// (`CTEX_DB_PING_IDLE_MS`).
pub const DEFAULT_PING_IDLE: Duration = Duration::from_secs(1);

/// Opens a connection pool for `url` with `pool` connections at most, pinging connections idle
/// for [`DEFAULT_PING_IDLE`] or longer before they are handed out.
pub async fn connect(url: &str, pool: u32) -> anyhow::Result<DatabaseConnection> {
    connect_pinging(url, pool, DEFAULT_PING_IDLE).await
}

/// Opens a connection pool for `url` with `pool` connections at most. A connection idle for
/// `ping_idle` or longer is pinged before it is handed out, and replaced if the ping fails, so
/// a connection that the server, a proxy or a firewall dropped while idle costs no request. A
/// connection in steady use skips the ping (a round trip per statement); the price is that
/// after a database restart each connection used within `ping_idle` fails one statement, whose
/// request gets an error and changes nothing (its transaction never commits). Zero pings on
/// every checkout.
pub async fn connect_pinging(
    url: &str,
    pool: u32,
    ping_idle: Duration,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(pool)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if ping_idle.is_zero() {
        options.test_before_acquire(true);
    } else {
        options.test_before_acquire_if_idle_for(ping_idle);
    }
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    }
    let mut db = Database::connect(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    crate::telemetry::count_statements(&mut db);
    Ok(db)
}

/// Why connecting to PostgreSQL at `url` exposes its traffic, when it does: the server is
/// not on this host (neither a Unix socket nor a loopback address) and the URL's `sslmode`
/// either sends in the clear (`disable`, `allow`) or encrypts without checking the server's
/// certificate (`prefer`, the default, and `require`), which a machine in the path can
/// impersonate. `None` for SQLite, local servers and `verify-ca`/`verify-full`. The text names
/// the host, never the URL (which may hold a password).
pub fn transport_risk(url: &str) -> Option<String> {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgSslMode};
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return None;
    }
    let options: PgConnectOptions = url.parse().ok()?;
    if options.get_socket().is_some() {
        return None;
    }
    let host = options.get_host();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let local = bare.eq_ignore_ascii_case("localhost")
        || bare.starts_with('/')
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if local {
        return None;
    }
    match options.get_ssl_mode() {
        PgSslMode::VerifyCa | PgSslMode::VerifyFull => None,
        PgSslMode::Disable | PgSslMode::Allow => Some(format!(
            "the database at {host} is reached without TLS: add sslmode=verify-full and \
             sslrootcert=<CA file> to its URL"
        )),
        PgSslMode::Prefer | PgSslMode::Require => Some(format!(
            "the database at {host} is reached over TLS without checking its certificate: \
             add sslmode=verify-full and sslrootcert=<CA file> to its URL"
        )),
    }
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(7414213562)",
            ))
            .await?;
            Migrator::up(&txn, None).await?;
            txn.commit().await?;
        }
        _ => Migrator::up(db, None).await?,
    }
    Ok(())
}

/// Whether the database answers and no migration is pending.
pub async fn ready(db: &DatabaseConnection) -> Result<(), &'static str> {
    db.execute_unprepared("SELECT 1")
        .await
        .map_err(|_| "database unreachable")?;
    match Migrator::get_pending_migrations(db).await {
        Ok(pending) if pending.is_empty() => Ok(()),
        Ok(_) => Err("migrations pending"),
        Err(_) => Err("migration status unknown"),
    }
}

/// A database of a unit test's own on the PostgreSQL server `CTEX_TEST_DATABASE_URL` names,
/// migrated; [`ScratchPostgres::remove`] removes it.
#[cfg(test)]
pub(crate) struct ScratchPostgres {
    server: DatabaseConnection,
    name: String,
    /// The database's URL.
    pub(crate) url: String,
    /// A pool of `pool` connections to it.
    pub(crate) db: DatabaseConnection,
}

#[cfg(test)]
impl ScratchPostgres {
    /// Creates and migrates a database named `prefix` and a UUID, with a pool of `pool`
    /// connections; `None` (and a line on stderr) when `CTEX_TEST_DATABASE_URL` is not set.
    pub(crate) async fn create(prefix: &str, pool: u32) -> Option<ScratchPostgres> {
        let Some(admin) = std::env::var("CTEX_TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())
        else {
            eprintln!("CTEX_TEST_DATABASE_URL not set: PostgreSQL half not run");
            return None;
        };
        let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
        let server = connect(&admin, 1).await.expect("admin connection");
        server
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create database");
        let url = with_database(&admin, &name);
        let db = connect(&url, pool).await.expect("connect");
        migrate(&db).await.expect("migrate");
        Some(ScratchPostgres {
            server,
            name,
            url,
            db,
        })
    }

    /// Closes the pool and drops the database.
    pub(crate) async fn remove(self) {
        self.db.close().await.ok();
        self.server
            .execute_unprepared(&format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name))
            .await
            .ok();
    }
}

/// The database URL `admin` with its database name replaced by `name`.
#[cfg(test)]
fn with_database(admin: &str, name: &str) -> String {
    let (base, query) = admin.split_once('?').unwrap_or((admin, ""));
    let (server, _) = base.rsplit_once('/').expect("a database URL");
    match query {
        "" => format!("{server}/{name}"),
        q => format!("{server}/{name}?{q}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_database_without_a_checked_certificate_is_a_transport_risk() {
        for url in [
            "sqlite://ctex.db?mode=rwc",
            "postgres://postgres@127.0.0.1:5432/db",
            "postgres://postgres@localhost/db",
            "postgres://postgres@[::1]:5432/db",
            "postgres://u@db.example.org/db?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "postgres://u@10.0.0.5/db?sslmode=verify-ca",
            "postgres://u@%2Fvar%2Frun%2Fpostgresql/db",
            "postgres:///db?host=/var/run/postgresql",
        ] {
            assert_eq!(transport_risk(url), None, "{url}");
        }
        for (url, says) in [
            ("postgres://u:secret@db.example.org/db", "without checking"),
            (
                "postgresql://u@10.0.0.5:5433/db?sslmode=require",
                "without checking",
            ),
            (
                "postgres://u@db.example.org/db?sslmode=prefer",
                "without checking",
            ),
            (
                "postgres://u@db.example.org/db?sslmode=disable",
                "without TLS",
            ),
            ("postgres://u@[2001:db8::1]/db?sslmode=allow", "without TLS"),
        ] {
            let risk = transport_risk(url).unwrap_or_else(|| panic!("no risk named for {url}"));
            assert!(risk.contains(says), "{url}: {risk}");
            assert!(!risk.contains("secret"), "the password leaked: {risk}");
        }
    }

    /// The TCP socket of this process whose local port is `port`, duplicated through the
    /// process's own pidfd (the descriptor itself belongs to the pool).
    #[cfg(target_os = "linux")]
    fn own_socket(port: u16) -> Option<socket2::Socket> {
        use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};
        let pidfd = pidfd_open(getpid(), PidfdFlags::empty()).expect("pidfd_open");
        for entry in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd") {
            let entry = entry.expect("a descriptor");
            let is_socket = std::fs::read_link(entry.path())
                .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
            let Some(fd) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            if !is_socket {
                continue;
            }
            // A descriptor closed meanwhile by another test is skipped.
            let Ok(dup) = pidfd_getfd(&pidfd, fd, PidfdGetfdFlags::empty()) else {
                continue;
            };
            let socket = socket2::Socket::from(dup);
            let local = socket.local_addr().ok().and_then(|a| a.as_socket());
            if local.is_some_and(|a| a.port() == port) {
                return Some(socket);
            }
        }
        None
    }

    /// A pooled connection to PostgreSQL sends each message at once: Nagle's algorithm is off
    /// on its socket. With it on, a message the TLS layer writes as two records (a statement
    /// over 16 KB, such as a sealed audit batch) waited for the server's delayed ACK, about
    /// 40 ms (BENCHMARKS.md, recommendation 1); sqlx 0.9.0 had dropped the option, 0.9.1
    /// sets it again. The connection's own port comes from the server, so only this test's
    /// socket is looked at.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn connections_to_postgres_have_nagle_off() {
        let Some(url) = std::env::var("CTEX_TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())
        else {
            eprintln!("CTEX_TEST_DATABASE_URL not set: test not run");
            return;
        };
        let db = connect(&url, 1).await.expect("connect");
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT inet_client_port() AS port, \
                 (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls",
            ))
            .await
            .expect("query")
            .expect("a row");
        let port: Option<i32> = row.try_get("", "port").expect("port");
        let tls: Option<bool> = row.try_get("", "tls").expect("tls");
        let port = port.expect("CTEX_TEST_DATABASE_URL must reach PostgreSQL over TCP");
        let socket = own_socket(u16::try_from(port).expect("a port"))
            .expect("the pool's socket among this process's descriptors");
        assert!(
            socket.tcp_nodelay().expect("TCP_NODELAY"),
            "Nagle's algorithm is on for a connection to PostgreSQL (TLS: {tls:?})"
        );
        db.close().await.ok();
    }
}
