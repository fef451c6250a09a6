//! The append-only, hash-chained audit trail (DESIGN §6) and its head row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Seq,
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
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(big_integer(AuditEvent::Seq).primary_key())
                    .col(timestamp_with_time_zone(AuditEvent::At))
                    .col(string(AuditEvent::Agency))
                    .col(string(AuditEvent::Subject))
                    .col(string(AuditEvent::TokenId))
                    .col(string(AuditEvent::RequestId))
                    .col(string(AuditEvent::Operation))
                    .col(text_null(AuditEvent::Purpose))
                    .col(string(AuditEvent::EntityType))
                    .col(uuid_null(AuditEvent::EntityId))
                    .col(uuid_null(AuditEvent::PersonId))
                    .col(text(AuditEvent::Fields))
                    .col(string(AuditEvent::Action))
                    .col(string(AuditEvent::Outcome))
                    .col(string_null(AuditEvent::Reason))
                    .col(string(AuditEvent::PrevHash))
                    .col(string(AuditEvent::Hash))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_audit_event_person", &["person_id", "seq"][..]),
            ("ix_audit_event_entity", &["entity_id", "seq"][..]),
            ("ix_audit_event_agency", &["agency", "seq"][..]),
            ("ix_audit_event_at", &["at"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditEvent::Table);
            for col in cols {
                index.col(Alias::new(*col));
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(integer(AuditHead::Id).primary_key())
                    .col(big_integer(AuditHead::Seq))
                    .col(string(AuditHead::Hash))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                    .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
