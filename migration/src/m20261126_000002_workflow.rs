//! Workflow tables the access scopes depend on: indictments, verdicts, embassy flags,
//! referrals and tips.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Indictment {
    Table,
    Id,
    CaseId,
    DefendantId,
    Charges,
    FiledAt,
    Office,
}

#[derive(DeriveIden)]
enum Verdict {
    Table,
    Id,
    CaseId,
    DefendantId,
    Court,
    Level,
    DecidedAt,
    Convicted,
    Articles,
    SentenceMonths,
    Fine,
    ClosedTrial,
    AppealStatus,
}

#[derive(DeriveIden)]
enum VictimFlag {
    Table,
    Id,
    Mission,
    MissionUnit,
    HostCountry,
    Location,
    Circumstances,
    Urgency,
    PersonId,
    Status,
    VerificationStatus,
    VerificationRequestedAt,
    VerificationResult,
    VerifiedAt,
    CaseId,
}

#[derive(DeriveIden)]
enum Referral {
    Table,
    Id,
    FromAgency,
    ToAgency,
    PersonId,
    CaseId,
    Purpose,
    Services,
    Consent,
    ConsentReason,
    SharedFields,
    Status,
    DueAt,
    RespondedAt,
    CompletedAt,
    Outcome,
    DeclineReason,
}

#[derive(DeriveIden)]
enum Tip {
    Table,
    Id,
    Channel,
    ReceivedAt,
    Summary,
    Urgency,
    PotentialVictimCount,
    Status,
    ResolvedAt,
    ForwardedTo,
    CaseId,
    Province,
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
                        .table(Indictment::Table)
                        .col(uuid(Indictment::Id).primary_key())
                        .col(uuid(Indictment::CaseId))
                        .col(uuid(Indictment::DefendantId))
                        .col(text(Indictment::Charges))
                        .col(timestamp_with_time_zone(Indictment::FiledAt))
                        .col(string(Indictment::Office)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_indictment_case", Indictment::Table, &["case_id"]))
            .await?;
        manager
            .create_index(index(
                "ix_indictment_defendant",
                Indictment::Table,
                &["defendant_id"],
            ))
            .await?;

        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(Verdict::Table)
                        .col(uuid(Verdict::Id).primary_key())
                        .col(uuid(Verdict::CaseId))
                        .col(uuid(Verdict::DefendantId))
                        .col(string(Verdict::Court))
                        .col(string(Verdict::Level))
                        .col(timestamp_with_time_zone(Verdict::DecidedAt))
                        .col(boolean(Verdict::Convicted))
                        .col(text(Verdict::Articles))
                        .col(integer_null(Verdict::SentenceMonths))
                        .col(big_integer_null(Verdict::Fine))
                        .col(boolean(Verdict::ClosedTrial))
                        .col(string(Verdict::AppealStatus)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_verdict_case", Verdict::Table, &["case_id"]))
            .await?;

        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(VictimFlag::Table)
                        .col(uuid(VictimFlag::Id).primary_key())
                        .col(string(VictimFlag::Mission))
                        .col(string_null(VictimFlag::MissionUnit))
                        .col(string(VictimFlag::HostCountry))
                        .col(text_null(VictimFlag::Location))
                        .col(text(VictimFlag::Circumstances))
                        .col(string(VictimFlag::Urgency))
                        .col(uuid(VictimFlag::PersonId))
                        .col(string(VictimFlag::Status))
                        .col(string(VictimFlag::VerificationStatus))
                        .col(timestamp_with_time_zone_null(
                            VictimFlag::VerificationRequestedAt,
                        ))
                        .col(text_null(VictimFlag::VerificationResult))
                        .col(timestamp_with_time_zone_null(VictimFlag::VerifiedAt))
                        .col(uuid_null(VictimFlag::CaseId)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_victim_flag_person",
                VictimFlag::Table,
                &["person_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_victim_flag_case",
                VictimFlag::Table,
                &["case_id"],
            ))
            .await?;

        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(Referral::Table)
                        .col(uuid(Referral::Id).primary_key())
                        .col(string(Referral::FromAgency))
                        .col(string(Referral::ToAgency))
                        .col(uuid(Referral::PersonId))
                        .col(uuid_null(Referral::CaseId))
                        .col(text(Referral::Purpose))
                        .col(text(Referral::Services))
                        .col(string(Referral::Consent))
                        .col(text_null(Referral::ConsentReason))
                        .col(text(Referral::SharedFields))
                        .col(string(Referral::Status))
                        .col(timestamp_with_time_zone(Referral::DueAt))
                        .col(timestamp_with_time_zone_null(Referral::RespondedAt))
                        .col(timestamp_with_time_zone_null(Referral::CompletedAt))
                        .col(text_null(Referral::Outcome))
                        .col(text_null(Referral::DeclineReason)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_referral_person",
                Referral::Table,
                &["person_id", "to_agency"],
            ))
            .await?;
        manager
            .create_index(index("ix_referral_case", Referral::Table, &["case_id"]))
            .await?;
        manager
            .create_index(index(
                "ix_referral_to",
                Referral::Table,
                &["to_agency", "status"],
            ))
            .await?;

        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(Tip::Table)
                        .col(uuid(Tip::Id).primary_key())
                        .col(string(Tip::Channel))
                        .col(timestamp_with_time_zone(Tip::ReceivedAt))
                        .col(text(Tip::Summary))
                        .col(string(Tip::Urgency))
                        .col(integer_null(Tip::PotentialVictimCount))
                        .col(string(Tip::Status))
                        .col(timestamp_with_time_zone_null(Tip::ResolvedAt))
                        .col(string_null(Tip::ForwardedTo))
                        .col(uuid_null(Tip::CaseId))
                        .col(string_null(Tip::Province)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_tip_case", Tip::Table, &["case_id"]))
            .await?;
        manager
            .create_index(index("ix_tip_received", Tip::Table, &["received_at", "id"]))
            .await?;
        Ok(())
    }
}
