//! Investigator tools: links between cases, hit/no-hit references and disclosure requests, and
//! each agency's liaison contact.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum CaseLink {
    Table,
    Id,
    FromCase,
    ToCase,
    Reason,
    Evidence,
    Confidence,
}

#[derive(DeriveIden)]
enum HitReference {
    Table,
    Id,
    EntityType,
    EntityId,
    HolderAgency,
    IssuedTo,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DisclosureRequest {
    Table,
    Id,
    ReferenceId,
    EntityType,
    EntityId,
    HolderAgency,
    RequesterAgency,
    RequesterSubject,
    Purpose,
    Status,
    ExpiresAt,
    DecidedAt,
    DecidedBy,
    Reason,
}

#[derive(DeriveIden)]
enum Agency {
    Table,
    Contact,
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

/// `(agency code, liaison contact)`: where a hit/no-hit reference sends the requester.
pub const CONTACTS: [(&str, &str); 8] = [
    (
        "police",
        "Văn phòng thường trực Ban Chỉ đạo 138/CP, Bộ Công an: trực ban liên ngành",
    ),
    (
        "border_guard",
        "Cục Phòng chống ma túy và tội phạm, BTL Bộ đội Biên phòng: trực ban",
    ),
    (
        "procuracy",
        "Vụ 2, Viện kiểm sát nhân dân tối cao: đầu mối phối hợp",
    ),
    (
        "court",
        "Văn phòng Tòa án nhân dân tối cao: đầu mối phối hợp",
    ),
    (
        "foreign_affairs",
        "Cục Lãnh sự, Bộ Ngoại giao: trực bảo hộ công dân",
    ),
    (
        "social_services",
        "Tổng đài 111 và Cục Bảo trợ xã hội: đầu mối tiếp nhận",
    ),
    ("steering", "Văn phòng Ban Chỉ đạo quốc gia"),
    ("oversight", "Thanh tra Bộ Công an: bảo vệ dữ liệu cá nhân"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(CaseLink::Table)
                        .col(uuid(CaseLink::Id).primary_key())
                        .col(uuid(CaseLink::FromCase))
                        .col(uuid(CaseLink::ToCase))
                        .col(text(CaseLink::Reason))
                        .col(text(CaseLink::Evidence))
                        .col(integer(CaseLink::Confidence)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_case_link_from", CaseLink::Table, &["from_case"]))
            .await?;
        manager
            .create_index(index("ix_case_link_to", CaseLink::Table, &["to_case"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(HitReference::Table)
                    .col(uuid(HitReference::Id).primary_key())
                    .col(string(HitReference::EntityType))
                    .col(uuid(HitReference::EntityId))
                    .col(string(HitReference::HolderAgency))
                    .col(string(HitReference::IssuedTo))
                    .col(timestamp_with_time_zone(HitReference::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                with_bookkeeping(
                    Table::create()
                        .table(DisclosureRequest::Table)
                        .col(uuid(DisclosureRequest::Id).primary_key())
                        .col(uuid(DisclosureRequest::ReferenceId))
                        .col(string(DisclosureRequest::EntityType))
                        .col(uuid(DisclosureRequest::EntityId))
                        .col(string(DisclosureRequest::HolderAgency))
                        .col(string(DisclosureRequest::RequesterAgency))
                        .col(string(DisclosureRequest::RequesterSubject))
                        .col(text(DisclosureRequest::Purpose))
                        .col(string(DisclosureRequest::Status))
                        .col(timestamp_with_time_zone_null(DisclosureRequest::ExpiresAt))
                        .col(timestamp_with_time_zone_null(DisclosureRequest::DecidedAt))
                        .col(string_null(DisclosureRequest::DecidedBy))
                        .col(text_null(DisclosureRequest::Reason)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_disclosure_entity",
                DisclosureRequest::Table,
                &["entity_id", "requester_agency"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_disclosure_holder",
                DisclosureRequest::Table,
                &["holder_agency", "status"],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Agency::Table)
                    .add_column(string(Agency::Contact).default(""))
                    .to_owned(),
            )
            .await?;
        for (code, contact) in CONTACTS {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Agency::Table)
                        .value(Agency::Contact, contact)
                        .and_where(Expr::col(Alias::new("code")).eq(code))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
