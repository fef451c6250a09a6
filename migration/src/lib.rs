//! Database migrations of ctex.
//!
//! The same migrations serve PostgreSQL (production) and SQLite (the embedded default): every
//! statement is built with sea-query's portable schema builder, never as backend-specific SQL,
//! unless a migration says why. Migrations are frozen once landed; change the schema with a new
//! one.
//!
//! # Layout
//! `m<date>_<seq>_<what>.rs`, listed in order in [`Migrator`]. `seed` holds the reference data
//! (agencies, provinces) that the first migration inserts.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_foundation;
mod m20261126_000002_workflow;
pub mod m20261126_000003_audit;
mod m20261126_000004_domain;
pub mod m20261126_000005_investigation;
mod m20261126_000006_statistics;
mod m20261126_000007_performance;
mod m20261206_000008_audit_stage;
pub mod seed;

/// All migrations of ctex, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_workflow::Migration),
            Box::new(m20261126_000003_audit::Migration),
            Box::new(m20261126_000004_domain::Migration),
            Box::new(m20261126_000005_investigation::Migration),
            Box::new(m20261126_000006_statistics::Migration),
            Box::new(m20261126_000007_performance::Migration),
            Box::new(m20261206_000008_audit_stage::Migration),
        ]
    }
}
