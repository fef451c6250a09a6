//! The rest of the domain: networks (rings) with members and cases, case events, support
//! services, and the history of every lifecycle move.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Network {
    Table,
    Id,
    Name,
    Aliases,
    Transnational,
    Countries,
    DismantledAt,
}

#[derive(DeriveIden)]
enum NetworkMember {
    Table,
    Id,
    NetworkId,
    PersonId,
    Role,
}

#[derive(DeriveIden)]
enum NetworkCase {
    Table,
    NetworkId,
    CaseId,
    CreatedAt,
    CreatedByAgency,
}

#[derive(DeriveIden)]
enum CaseEvent {
    Table,
    Id,
    CaseId,
    Kind,
    Place,
    Country,
    OccurredOn,
    Description,
}

#[derive(DeriveIden)]
enum SupportService {
    Table,
    Id,
    PersonId,
    Service,
    Provider,
    StartedAt,
    EndedAt,
    Notes,
}

#[derive(DeriveIden)]
enum StatusHistory {
    Table,
    Id,
    EntityType,
    EntityId,
    FromStatus,
    ToStatus,
    Agency,
    Subject,
    At,
    Reason,
}

#[derive(DeriveIden)]
enum Bookkeeping {
    Version,
    CreatedAt,
    UpdatedAt,
    CreatedByAgency,
    CreatedBySubject,
}

fn with_bookkeeping(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(integer(Bookkeeping::Version).default(1))
        .col(timestamp_with_time_zone(Bookkeeping::CreatedAt))
        .col(timestamp_with_time_zone(Bookkeeping::UpdatedAt))
        .col(string(Bookkeeping::CreatedByAgency))
        .col(string(Bookkeeping::CreatedBySubject))
}

fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(Network::Table)
                        .col(uuid(Network::Id).primary_key())
                        .col(text(Network::Name))
                        .col(text(Network::Aliases))
                        .col(boolean(Network::Transnational))
                        .col(text(Network::Countries))
                        .col(timestamp_with_time_zone_null(Network::DismantledAt)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(NetworkMember::Table)
                        .col(uuid(NetworkMember::Id).primary_key())
                        .col(uuid(NetworkMember::NetworkId))
                        .col(uuid(NetworkMember::PersonId))
                        .col(string(NetworkMember::Role)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_network_member",
                    NetworkMember::Table,
                    &["network_id", "person_id"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_network_member_person",
                NetworkMember::Table,
                &["person_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NetworkCase::Table)
                    .col(uuid(NetworkCase::NetworkId))
                    .col(uuid(NetworkCase::CaseId))
                    .col(timestamp_with_time_zone(NetworkCase::CreatedAt))
                    .col(string(NetworkCase::CreatedByAgency))
                    .primary_key(
                        Index::create()
                            .col(NetworkCase::NetworkId)
                            .col(NetworkCase::CaseId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_network_case_case",
                NetworkCase::Table,
                &["case_id"],
            ))
            .await?;
        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(CaseEvent::Table)
                        .col(uuid(CaseEvent::Id).primary_key())
                        .col(uuid(CaseEvent::CaseId))
                        .col(string(CaseEvent::Kind))
                        .col(text_null(CaseEvent::Place))
                        .col(string_null(CaseEvent::Country))
                        .col(date_null(CaseEvent::OccurredOn))
                        .col(text_null(CaseEvent::Description)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_case_event_case", CaseEvent::Table, &["case_id"]))
            .await?;
        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(SupportService::Table)
                        .col(uuid(SupportService::Id).primary_key())
                        .col(uuid(SupportService::PersonId))
                        .col(string(SupportService::Service))
                        .col(text(SupportService::Provider))
                        .col(timestamp_with_time_zone(SupportService::StartedAt))
                        .col(timestamp_with_time_zone_null(SupportService::EndedAt))
                        .col(text_null(SupportService::Notes)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_support_person",
                SupportService::Table,
                &["person_id"],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusHistory::Table)
                    .col(uuid(StatusHistory::Id).primary_key())
                    .col(string(StatusHistory::EntityType))
                    .col(uuid(StatusHistory::EntityId))
                    .col(string_null(StatusHistory::FromStatus))
                    .col(string(StatusHistory::ToStatus))
                    .col(string(StatusHistory::Agency))
                    .col(string(StatusHistory::Subject))
                    .col(timestamp_with_time_zone(StatusHistory::At))
                    .col(text_null(StatusHistory::Reason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_status_history_entity",
                StatusHistory::Table,
                &["entity_id", "at"],
            ))
            .await?;
        Ok(())
    }
}
