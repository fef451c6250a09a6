//! Indexes the hot queries need (justified by `EXPLAIN` in BENCHMARKS.md).
//!
//! The foundation migrations already index every key the benchmarked requests look rows up by
//! (ids, `case_party (case_id ...)` and `(person_id)`, `identifier (person_id)` and
//! `(kind, normalized)`, `case_record (province, status, id)` ...); `bench/capture-sql.sh`
//! shows each statement of the workloads on those indexes at 200,000 cases. What was left:
//!
//! - `ix_case_party_open_identification`: `overdueVerifications` lists victims whose
//!   identification is still `RECEIVED` or `VERIFYING`, oldest `received_at` first. Without it
//!   PostgreSQL scans all parties (about a million at 200,000 cases) and sorts them; with this
//!   partial index (the open ones only, a tenth of the parties) it reads them in order and stops
//!   at the page size.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The open identification statuses (`overdueVerifications`).
const OPEN: [&str; 2] = ["RECEIVED", "VERIFYING"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_case_party_open_identification")
                    .table(Alias::new("case_party"))
                    .col(Alias::new("received_at"))
                    .and_where(Expr::col(Alias::new("identification")).is_in(OPEN))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_case_party_open_identification")
                    .table(Alias::new("case_party"))
                    .to_owned(),
            )
            .await
    }
}
