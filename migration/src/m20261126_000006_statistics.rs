//! Statistics: named reporting periods (campaigns) of the steering committee.
//!
//! A campaign names whole calendar months (`starts_on` is the first day of a month, `ends_on`
//! the last day of one); the API checks that, and that names are unique. No campaign is seeded:
//! the steering committee creates them (`createCampaign`), since their dates change every year.
//! The aggregate queries themselves need no table of their own.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Campaign {
    Table,
    Id,
    Name,
    StartsOn,
    EndsOn,
    Description,
    Version,
    CreatedAt,
    UpdatedAt,
    CreatedByAgency,
    CreatedBySubject,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Campaign::Table)
                    .col(uuid(Campaign::Id).primary_key())
                    .col(text(Campaign::Name))
                    .col(date(Campaign::StartsOn))
                    .col(date(Campaign::EndsOn))
                    .col(text_null(Campaign::Description))
                    .col(integer(Campaign::Version).default(1))
                    .col(timestamp_with_time_zone(Campaign::CreatedAt))
                    .col(timestamp_with_time_zone(Campaign::UpdatedAt))
                    .col(string(Campaign::CreatedByAgency))
                    .col(string(Campaign::CreatedBySubject))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("campaign_name_unique")
                    .table(Campaign::Table)
                    .col(Campaign::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("campaign_starts_on")
                    .table(Campaign::Table)
                    .col(Campaign::StartsOn)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Campaign::Table).to_owned())
            .await
    }
}
