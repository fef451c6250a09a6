//! Indictments and verdicts: scoped loads through their case, inserts.

use chrono::{DateTime, Utc};
use entities::{case_party, indictment, verdict};
use sea_orm::sea_query::{Alias, ExprTrait, JoinType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QueryTrait,
    Set,
};
use uuid::Uuid;

use super::Faceted;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::policy::scope::{self, tables};

/// An indictment with its facts.
pub(crate) type IndictmentView = Faceted<indictment::Model>;
/// A verdict with its facts.
pub(crate) type VerdictView = Faceted<verdict::Model>;

const C: &str = "jc";

fn join_case<E: EntityTrait>(table: &str) -> sea_orm::Select<E> {
    let mut q = E::find();
    QueryTrait::query(&mut q).join_as(
        JoinType::InnerJoin,
        Alias::new(tables::CASE),
        Alias::new(C),
        scope::col(C, "id").equals((Alias::new(table.to_string()), Alias::new("case_id"))),
    );
    q
}

/// The visible indictments of these cases.
pub(crate) async fn indictments_of_cases(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<IndictmentView>> {
    super::scoped_in(
        db,
        join_case::<indictment::Entity>("indictment").order_by_asc(indictment::Column::Id),
        indictment::Column::CaseId,
        case_ids,
        scope::case_child(p, "Indictment", C),
    )
    .await
}

/// The visible verdicts of these cases.
pub(crate) async fn verdicts_of_cases(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<VerdictView>> {
    super::scoped_in(
        db,
        join_case::<verdict::Entity>("verdict").order_by_asc(verdict::Column::Id),
        verdict::Column::CaseId,
        case_ids,
        scope::case_child(p, "Verdict", C),
    )
    .await
}

/// Whether `person` is a suspect party of `case`.
pub(crate) async fn is_suspect_of(
    db: &impl ConnectionTrait,
    case: Uuid,
    person: Uuid,
) -> ApiResult<bool> {
    Ok(case_party::Entity::find()
        .filter(case_party::Column::CaseId.eq(case))
        .filter(case_party::Column::PersonId.eq(person))
        .filter(case_party::Column::Role.eq("SUSPECT"))
        .count(db)
        .await?
        > 0)
}

/// Whether `person` is indicted in `case`.
pub(crate) async fn is_indicted_in(
    db: &impl ConnectionTrait,
    case: Uuid,
    person: Uuid,
) -> ApiResult<bool> {
    Ok(indictment::Entity::find()
        .filter(indictment::Column::CaseId.eq(case))
        .filter(indictment::Column::DefendantId.eq(person))
        .count(db)
        .await?
        > 0)
}

/// Whether every indicted defendant of `case` has a first-instance verdict.
pub(crate) async fn all_defendants_decided(
    db: &impl ConnectionTrait,
    case: Uuid,
) -> ApiResult<bool> {
    let indicted: Vec<Uuid> = indictment::Entity::find()
        .filter(indictment::Column::CaseId.eq(case))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.defendant_id)
        .collect();
    let decided: Vec<Uuid> = verdict::Entity::find()
        .filter(verdict::Column::CaseId.eq(case))
        .filter(verdict::Column::Level.eq("FIRST_INSTANCE"))
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.defendant_id)
        .collect();
    Ok(!indicted.is_empty() && indicted.iter().all(|d| decided.contains(d)))
}

/// Values of a new indictment.
pub(crate) struct NewIndictment {
    pub(crate) case_id: Uuid,
    pub(crate) defendant_id: Uuid,
    pub(crate) charges: String,
    pub(crate) filed_at: DateTime<Utc>,
    pub(crate) office: String,
}

/// Inserts an indictment.
pub(crate) async fn insert_indictment(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: NewIndictment,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    indictment::Entity::insert(indictment::ActiveModel {
        id: Set(id),
        case_id: Set(n.case_id),
        defendant_id: Set(n.defendant_id),
        charges: Set(n.charges),
        filed_at: Set(n.filed_at),
        office: Set(n.office),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Values of a new verdict.
pub(crate) struct NewVerdict {
    pub(crate) case_id: Uuid,
    pub(crate) defendant_id: Uuid,
    pub(crate) court: String,
    pub(crate) level: String,
    pub(crate) decided_at: DateTime<Utc>,
    pub(crate) convicted: bool,
    pub(crate) articles: Vec<String>,
    pub(crate) sentence_months: Option<i32>,
    pub(crate) fine: Option<i64>,
    pub(crate) closed_trial: bool,
    pub(crate) appeal_status: String,
}

/// Inserts a verdict.
pub(crate) async fn insert_verdict(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: NewVerdict,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    verdict::Entity::insert(verdict::ActiveModel {
        id: Set(id),
        case_id: Set(n.case_id),
        defendant_id: Set(n.defendant_id),
        court: Set(n.court),
        level: Set(n.level),
        decided_at: Set(n.decided_at),
        convicted: Set(n.convicted),
        articles: Set(super::json_list(&n.articles)),
        sentence_months: Set(n.sentence_months),
        fine: Set(n.fine),
        closed_trial: Set(n.closed_trial),
        appeal_status: Set(n.appeal_status),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}
