//! `audit_stage`: write events committed with their mutation, waiting for their place in the
//! chain.
//!
//! A mutation inserts its WRITE events here, inside its own transaction, without touching the
//! chain head; the sealer (`ctex::audit::chain::seal`) moves them into `audit_event` in `id`
//! order, hashed, under the head lock. Mutations therefore no longer queue on the head lock
//! through their commit flush. Rows live here for milliseconds while a server runs; rows left
//! by a stopped server are sealed when the next one starts, or by `ctex audit verify`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum AuditStage {
    Table,
    Id,
    At,
    Agency,
    Subject,
    TokenId,
    RequestId,
    Operation,
    Purpose,
    EntityType,
    EntityId,
    PersonId,
    Fields,
    Action,
    Outcome,
    Reason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditStage::Table)
                    .col(big_pk_auto(AuditStage::Id))
                    .col(timestamp_with_time_zone(AuditStage::At))
                    .col(string(AuditStage::Agency))
                    .col(string(AuditStage::Subject))
                    .col(string(AuditStage::TokenId))
                    .col(string(AuditStage::RequestId))
                    .col(string(AuditStage::Operation))
                    .col(text_null(AuditStage::Purpose))
                    .col(string(AuditStage::EntityType))
                    .col(uuid_null(AuditStage::EntityId))
                    .col(uuid_null(AuditStage::PersonId))
                    .col(text(AuditStage::Fields))
                    .col(string(AuditStage::Action))
                    .col(string(AuditStage::Outcome))
                    .col(string_null(AuditStage::Reason))
                    .to_owned(),
            )
            .await
    }
}
