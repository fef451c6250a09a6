//! Foundation tables: agencies, provinces, cases, persons, case parties, identifiers and
//! idempotency keys.

use sea_orm_migration::{prelude::*, schema::*};

use crate::seed::{AGENCIES, PROVINCES};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Agency {
    Table,
    Code,
    Name,
    NameVi,
}

#[derive(DeriveIden)]
enum Province {
    Table,
    Code,
    Name,
    Border,
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)]
enum Case {
    #[sea_orm(iden = "case_record")]
    Table,
    Id,
    CaseNumber,
    Title,
    Status,
    LeadAgency,
    Province,
    OpenedAt,
    ClosedAt,
    LegalBasis,
    Transnational,
    OrganizedGroup,
    ExploitationForms,
    RecruitmentMethods,
    RecruitmentPlatforms,
    Countries,
    HandlingCode,
    HandlingRestriction,
    Summary,
    SourceReliability,
    InformationAccuracy,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    FullName,
    NameFolded,
    Aliases,
    DateOfBirth,
    Sex,
    Ethnicity,
    Nationality,
    NationalId,
    Address,
    Phone,
}

#[derive(DeriveIden)]
enum CaseParty {
    Table,
    Id,
    CaseId,
    PersonId,
    Role,
    SuspectRole,
    ArrestStatus,
    Identification,
    ReceivedAt,
    AgeAtExploitation,
    ExploitationDetails,
    HealthNotes,
    CurrentLocation,
    ConsentToShare,
    ProtectionMeasures,
    IsMinor,
}

#[derive(DeriveIden)]
enum Identifier {
    Table,
    Id,
    PersonId,
    Kind,
    Value,
    Normalized,
    Platform,
    Verified,
}

#[derive(DeriveIden)]
enum IdempotencyKey {
    Table,
    Agency,
    Key,
    Operation,
    EntityId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Bookkeeping {
    Version,
    CreatedAt,
    UpdatedAt,
    CreatedByAgency,
    CreatedBySubject,
}

/// Adds the columns every mutable row carries: version, timestamps and creator.
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
                Table::create()
                    .table(Agency::Table)
                    .col(string(Agency::Code).primary_key())
                    .col(string(Agency::Name))
                    .col(string(Agency::NameVi))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert
            .into_table(Agency::Table)
            .columns([Agency::Code, Agency::Name, Agency::NameVi]);
        for (code, name, name_vi) in AGENCIES {
            insert.values_panic([code.into(), name.into(), name_vi.into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table(Province::Table)
                    .col(string(Province::Code).primary_key())
                    .col(string(Province::Name))
                    .col(boolean(Province::Border))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert.into_table(Province::Table).columns([
            Province::Code,
            Province::Name,
            Province::Border,
        ]);
        for (code, name, border) in PROVINCES {
            insert.values_panic([code.into(), name.into(), border.into()]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(Case::Table)
                        .col(uuid(Case::Id).primary_key())
                        .col(string(Case::CaseNumber))
                        .col(text(Case::Title))
                        .col(string(Case::Status))
                        .col(string(Case::LeadAgency))
                        .col(string(Case::Province))
                        .col(timestamp_with_time_zone(Case::OpenedAt))
                        .col(timestamp_with_time_zone_null(Case::ClosedAt))
                        .col(string(Case::LegalBasis))
                        .col(boolean(Case::Transnational))
                        .col(boolean(Case::OrganizedGroup))
                        .col(text(Case::ExploitationForms))
                        .col(text(Case::RecruitmentMethods))
                        .col(text(Case::RecruitmentPlatforms))
                        .col(text(Case::Countries))
                        .col(string(Case::HandlingCode))
                        .col(text_null(Case::HandlingRestriction))
                        .col(text_null(Case::Summary))
                        .col(string_null(Case::SourceReliability))
                        .col(integer_null(Case::InformationAccuracy))
                        .foreign_key(
                            ForeignKey::create()
                                .from(Case::Table, Case::LeadAgency)
                                .to(Agency::Table, Agency::Code),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(Case::Table, Case::Province)
                                .to(Province::Table, Province::Code),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_case_record_number",
                    Case::Table,
                    &["lead_agency", "case_number"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_case_record_province_status",
                Case::Table,
                &["province", "status", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_case_record_status",
                Case::Table,
                &["status", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_case_record_opened_at",
                Case::Table,
                &["opened_at", "id"],
            ))
            .await?;

        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(Person::Table)
                        .col(uuid(Person::Id).primary_key())
                        .col(text(Person::FullName))
                        .col(text(Person::NameFolded))
                        .col(text(Person::Aliases))
                        .col(date_null(Person::DateOfBirth))
                        .col(string_null(Person::Sex))
                        .col(string_null(Person::Ethnicity))
                        .col(string_null(Person::Nationality))
                        .col(string_null(Person::NationalId))
                        .col(text_null(Person::Address))
                        .col(string_null(Person::Phone)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_person_name_folded",
                Person::Table,
                &["name_folded"],
            ))
            .await?;

        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(CaseParty::Table)
                        .col(uuid(CaseParty::Id).primary_key())
                        .col(uuid(CaseParty::CaseId))
                        .col(uuid(CaseParty::PersonId))
                        .col(string(CaseParty::Role))
                        .col(string_null(CaseParty::SuspectRole))
                        .col(string_null(CaseParty::ArrestStatus))
                        .col(string_null(CaseParty::Identification))
                        .col(timestamp_with_time_zone_null(CaseParty::ReceivedAt))
                        .col(integer_null(CaseParty::AgeAtExploitation))
                        .col(text_null(CaseParty::ExploitationDetails))
                        .col(text_null(CaseParty::HealthNotes))
                        .col(text_null(CaseParty::CurrentLocation))
                        .col(boolean(CaseParty::ConsentToShare))
                        .col(text(CaseParty::ProtectionMeasures))
                        .col(boolean(CaseParty::IsMinor))
                        .foreign_key(
                            ForeignKey::create()
                                .from(CaseParty::Table, CaseParty::CaseId)
                                .to(Case::Table, Case::Id),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .from(CaseParty::Table, CaseParty::PersonId)
                                .to(Person::Table, Person::Id),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_case_party",
                    CaseParty::Table,
                    &["case_id", "person_id", "role"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_case_party_person",
                CaseParty::Table,
                &["person_id"],
            ))
            .await?;

        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(Identifier::Table)
                        .col(uuid(Identifier::Id).primary_key())
                        .col(uuid(Identifier::PersonId))
                        .col(string(Identifier::Kind))
                        .col(text(Identifier::Value))
                        .col(text(Identifier::Normalized))
                        .col(string_null(Identifier::Platform))
                        .col(boolean(Identifier::Verified))
                        .foreign_key(
                            ForeignKey::create()
                                .from(Identifier::Table, Identifier::PersonId)
                                .to(Person::Table, Person::Id),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_identifier_person",
                Identifier::Table,
                &["person_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_identifier_normalized",
                Identifier::Table,
                &["kind", "normalized"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKey::Table)
                    .col(string(IdempotencyKey::Agency))
                    .col(string(IdempotencyKey::Key))
                    .col(string(IdempotencyKey::Operation))
                    .col(uuid(IdempotencyKey::EntityId))
                    .col(timestamp_with_time_zone(IdempotencyKey::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKey::Agency)
                            .col(IdempotencyKey::Key),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
