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

/// Opens a connection pool for `url` with `pool` connections at most.
pub async fn connect(url: &str, pool: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(pool)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
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
