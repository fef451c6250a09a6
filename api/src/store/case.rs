//! Cases: scoped lookups, keyset pages, counts, inserts and versioned updates.

use chrono::{DateTime, Utc};
use entities::case;
use sea_orm::sea_query::{Condition, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Set, Statement,
};
use uuid::Uuid;

use super::page::{Cursor, Page};
use super::{Faceted, StatusColumn, StatusMove};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::policy::scope::{self, FACTS_COLUMN, tables};

/// A case row with its facts.
pub(crate) type CaseView = Faceted<case::Model>;

/// Filters of `cases(filter:)`. Each is checked against the policy before use.
#[derive(Clone, Debug, Default)]
pub(crate) struct CaseFilter {
    pub(crate) status: Option<Vec<String>>,
    pub(crate) province: Option<Vec<String>>,
    pub(crate) lead_agency: Option<Vec<String>>,
    pub(crate) legal_basis: Option<String>,
    pub(crate) exploitation_form: Option<String>,
    pub(crate) opened_from: Option<DateTime<Utc>>,
    pub(crate) opened_to: Option<DateTime<Utc>>,
    pub(crate) transnational: Option<bool>,
}

/// Sort orders of `cases(sort:)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CaseSort {
    /// Creation order (UUIDv7 ids).
    Created,
    /// Opening date, then id.
    OpenedAt,
    /// Case number, then id.
    CaseNumber,
}

impl CaseSort {
    /// The GraphQL enum value.
    pub(crate) fn name(self) -> &'static str {
        match self {
            CaseSort::Created => "CREATED",
            CaseSort::OpenedAt => "OPENED_AT",
            CaseSort::CaseNumber => "CASE_NUMBER",
        }
    }

    /// Parses the GraphQL enum value.
    pub(crate) fn parse(s: &str) -> Option<CaseSort> {
        [CaseSort::Created, CaseSort::OpenedAt, CaseSort::CaseNumber]
            .into_iter()
            .find(|v| v.name() == s)
    }

    /// The column this sort orders by before the id (`None` for creation order).
    fn column(self) -> Option<case::Column> {
        match self {
            CaseSort::Created => None,
            CaseSort::OpenedAt => Some(case::Column::OpenedAt),
            CaseSort::CaseNumber => Some(case::Column::CaseNumber),
        }
    }

    fn key(self, row: &case::Model) -> Option<String> {
        match self {
            CaseSort::Created => None,
            CaseSort::OpenedAt => Some(row.opened_at.to_rfc3339()),
            CaseSort::CaseNumber => Some(row.case_number.clone()),
        }
    }
}

/// The cases the caller may see, with their facts.
pub(crate) fn scoped(p: &Principal) -> Select<case::Entity> {
    case::Entity::find()
        .filter(scope::case_scope(p, tables::CASE))
        .expr_as(
            scope::facts_expr(scope::case_facts(p, tables::CASE)),
            FACTS_COLUMN,
        )
}

/// The cases the caller may see, with only `columns` (in that order) and their facts.
fn scoped_columns(p: &Principal, columns: &[case::Column]) -> Select<case::Entity> {
    case::Entity::find()
        .select_only()
        .columns(columns.iter().copied())
        .filter(scope::case_scope(p, tables::CASE))
        .expr_as(
            scope::facts_expr(scope::case_facts(p, tables::CASE)),
            FACTS_COLUMN,
        )
}

/// The columns a page of cases reads: `None` is every column; `Some` lists those its query's
/// fields read, to which the id and the sort key are added (cursors need them). Returns the
/// list in the entity's column order.
fn page_columns(columns: Option<&[case::Column]>, sort: CaseSort) -> Option<Vec<case::Column>> {
    use sea_orm::{IdenStatic, Iterable};
    let wanted = columns?;
    let named = |c: &case::Column, other: case::Column| c.as_str() == other.as_str();
    Some(
        case::Column::iter()
            .filter(|c| {
                named(c, case::Column::Id)
                    || sort.column().is_some_and(|key| named(c, key))
                    || wanted.iter().any(|w| named(c, *w))
            })
            .collect(),
    )
}

/// The statement of [`by_ids`].
pub(crate) fn by_ids_sql(backend: DbBackend, p: &Principal, ids: &[Uuid]) -> Statement {
    scoped(p)
        .filter(super::id_in(backend, scope::col(tables::CASE, "id"), ids))
        .build(backend)
}

/// The caller's view of the case a combined write inserts: [`scoped`] over `written` (the
/// name of the insert's returned rows in the statement, `Writes::returned`) in place of the
/// table, so the write answers with the row and its facts without a second round trip. The
/// scope and facts are the same expressions as every load's, qualified by the table's name,
/// which here names the written row; decode with [`written_row`].
pub(crate) fn scoped_over(p: &Principal, written: &str) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::sea_query::Alias;
    let mut select = scoped(p).into_query();
    select
        .from_clear()
        .from_as(Alias::new(written), Alias::new(tables::CASE));
    select
}

/// The case a combined write answered with ([`scoped_over`]); `None` when the caller may not
/// see it.
pub(crate) fn written_row(rows: &[sea_orm::QueryResult]) -> ApiResult<Option<CaseView>> {
    use sea_orm::FromQueryResult;
    Ok(match rows.first() {
        Some(row) => Some(CaseView::from_query_result(row, "")?),
        None => None,
    })
}

/// Loads the cases with these ids that the caller may see.
pub(crate) async fn by_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
) -> ApiResult<Vec<CaseView>> {
    let backend = db.get_database_backend();
    super::rendered::load(db, "case::by_ids", p, ids, |ids| {
        by_ids_sql(backend, p, ids)
    })
    .await
}

fn filter_condition(filter: &CaseFilter) -> Condition {
    let mut cond = Condition::all();
    if let Some(v) = &filter.status {
        cond = cond.add(case::Column::Status.is_in(v.iter().map(String::as_str)));
    }
    if let Some(v) = &filter.province {
        cond = cond.add(case::Column::Province.is_in(v.iter().map(String::as_str)));
    }
    if let Some(v) = &filter.lead_agency {
        cond = cond.add(case::Column::LeadAgency.is_in(v.iter().map(String::as_str)));
    }
    if let Some(v) = &filter.legal_basis {
        cond = cond.add(case::Column::LegalBasis.eq(v.as_str()));
    }
    if let Some(v) = &filter.exploitation_form {
        // Lists are JSON array text; enum names are quoted tokens, so `"X"` matches exactly X.
        cond = cond.add(case::Column::ExploitationForms.like(format!("%\"{v}\"%")));
    }
    if let Some(v) = filter.opened_from {
        cond = cond.add(case::Column::OpenedAt.gte(v));
    }
    if let Some(v) = filter.opened_to {
        cond = cond.add(case::Column::OpenedAt.lt(v));
    }
    if let Some(v) = filter.transnational {
        cond = cond.add(case::Column::Transnational.eq(v));
    }
    cond
}

fn after_condition(sort: CaseSort, cursor: &Cursor, field: &str) -> ApiResult<Condition> {
    let id = cursor.id;
    let bad = || ApiError::bad_input(field, "not a cursor returned by this query");
    Ok(match sort {
        CaseSort::Created => Condition::all().add(case::Column::Id.gt(id)),
        CaseSort::OpenedAt => {
            let key = cursor.key.as_deref().ok_or_else(bad)?;
            let at = DateTime::parse_from_rfc3339(key)
                .map_err(|_| bad())?
                .with_timezone(&Utc);
            Condition::any().add(case::Column::OpenedAt.gt(at)).add(
                Condition::all()
                    .add(case::Column::OpenedAt.eq(at))
                    .add(case::Column::Id.gt(id)),
            )
        }
        CaseSort::CaseNumber => {
            let key = cursor.key.clone().ok_or_else(bad)?;
            Condition::any()
                .add(case::Column::CaseNumber.gt(key.clone()))
                .add(
                    Condition::all()
                        .add(case::Column::CaseNumber.eq(key))
                        .add(case::Column::Id.gt(id)),
                )
        }
    })
}

/// One page of the caller's cases. `totalCount` is computed only when asked.
///
/// `columns`: the columns the caller's fields read (`None`: all). Only those are selected and
/// decoded, with the id and the sort key; every other field of the rows holds an empty value
/// (see [`super::decode::case_rows`]).
pub(crate) async fn page(
    db: &sea_orm::DatabaseConnection,
    p: &Principal,
    filter: &CaseFilter,
    sort: CaseSort,
    after: Option<&Cursor>,
    first: u64,
    columns: Option<&[case::Column]>,
) -> ApiResult<Page<CaseView>> {
    let base = filter_condition(filter);
    let columns = page_columns(columns, sort);
    let mut query = match &columns {
        Some(columns) => scoped_columns(p, columns),
        None => scoped(p),
    }
    .filter(base.clone());
    if let Some(cursor) = after {
        query = query.filter(after_condition(sort, cursor, "after")?);
    }
    query = match sort {
        CaseSort::Created => query,
        CaseSort::OpenedAt => query.order_by(case::Column::OpenedAt, Order::Asc),
        CaseSort::CaseNumber => query.order_by(case::Column::CaseNumber, Order::Asc),
    };
    let query = query
        .order_by(case::Column::Id, Order::Asc)
        .limit(first + 1);
    let rows: Vec<CaseView> = match &columns {
        None => query.into_model::<CaseView>().all(db).await?,
        Some(columns) => {
            let statement = sea_orm::QueryTrait::build(&query, db.get_database_backend());
            let results = db.query_all_raw(statement).await?;
            let models = super::decode::case_rows(&results, columns)?;
            results
                .iter()
                .zip(models)
                .map(|(res, row)| {
                    let bits: i64 = res.try_get("", FACTS_COLUMN)?;
                    Ok(CaseView {
                        row,
                        facts: crate::policy::RowFacts::from_bits(bits),
                    })
                })
                .collect::<Result<_, sea_orm::DbErr>>()?
        }
    };
    let count = super::page::count_fn(
        db,
        case::Entity::find()
            .filter(scope::case_scope(p, tables::CASE))
            .filter(base),
    );
    Page::from_rows(
        rows,
        first,
        |node| {
            Ok(Cursor {
                sort: sort.name().into(),
                key: sort.key(&node.row),
                id: node.row.id,
            })
        },
        count,
    )
}

/// Values of a new case.
pub(crate) struct NewCase {
    pub(crate) case_number: String,
    pub(crate) title: String,
    pub(crate) status: String,
    pub(crate) province: String,
    pub(crate) opened_at: DateTime<Utc>,
    pub(crate) legal_basis: String,
    pub(crate) transnational: bool,
    pub(crate) organized_group: bool,
    pub(crate) exploitation_forms: Vec<String>,
    pub(crate) recruitment_methods: Vec<String>,
    pub(crate) recruitment_platforms: Vec<String>,
    pub(crate) countries: Vec<String>,
    pub(crate) handling_code: String,
    pub(crate) handling_restriction: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) source_reliability: Option<String>,
    pub(crate) information_accuracy: Option<i32>,
}

/// Adds the insert of a case led by the caller's agency to `writes` and returns its id; a
/// duplicate case number is a `CONFLICT`. The unique index on (lead_agency, case_number)
/// decides, in the same statement (no look-up first: no window between a check and the insert).
pub(crate) fn insert_into(writes: &mut super::Writes, p: &Principal, new: NewCase) -> Uuid {
    let now = super::now();
    let id = super::new_id();
    let new_number = new.case_number.clone();
    let model = case::ActiveModel {
        id: Set(id),
        case_number: Set(new.case_number),
        title: Set(new.title),
        status: Set(new.status),
        lead_agency: Set(p.agency.code().to_string()),
        province: Set(new.province),
        opened_at: Set(new.opened_at),
        closed_at: Set(None),
        legal_basis: Set(new.legal_basis),
        transnational: Set(new.transnational),
        organized_group: Set(new.organized_group),
        exploitation_forms: Set(super::json_list(&new.exploitation_forms)),
        recruitment_methods: Set(super::json_list(&new.recruitment_methods)),
        recruitment_platforms: Set(super::json_list(&new.recruitment_platforms)),
        countries: Set(super::json_list(&new.countries)),
        handling_code: Set(new.handling_code),
        handling_restriction: Set(new.handling_restriction),
        summary: Set(new.summary),
        source_reliability: Set(new.source_reliability),
        information_accuracy: Set(new.information_accuracy),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    };
    writes.insert(
        case::Entity::insert(model).into_query(),
        Some(format!(
            "your agency already has a case numbered {new_number}"
        )),
    );
    id
}

/// Bumps a case's version; see [`super::bump_version`].
pub(crate) async fn bump_version(
    db: &impl ConnectionTrait,
    id: Uuid,
    expected: Option<i32>,
) -> ApiResult<()> {
    super::bump_version(db, tables::CASE, "case", id, expected).await
}

/// Adds a bump of a case's version to `writes`; see [`super::bump_version_into`].
pub(crate) fn bump_version_into(writes: &mut super::Writes, id: Uuid, expected: Option<i32>) {
    super::bump_version_into(writes, tables::CASE, "case", id, expected);
}

/// Adds the update of changed columns of a case at `expected` version to `writes`; stale →
/// `CONFLICT`.
pub(crate) fn update_into(
    writes: &mut super::Writes,
    id: Uuid,
    expected: i32,
    mut model: case::ActiveModel,
) {
    model.version = Set(expected + 1);
    model.updated_at = Set(super::now());
    let update = case::Entity::update_many()
        .set(model)
        .filter(case::Column::Id.eq(id))
        .filter(case::Column::Version.eq(expected))
        .into_query();
    writes.update_one(
        update,
        format!(
            "the case was changed by someone else (your version {expected} is stale); reload it"
        ),
    );
}

/// Where cases keep their status.
const STATUS: StatusColumn = StatusColumn {
    table: tables::CASE,
    column: "status",
    entity_type: "Case",
    conflict: "the case was changed by someone else (status or version is stale); reload it",
};

/// Moves a case's status from `from` to `to` (the caller checked the lifecycle), bumping its
/// version (checked against `expected` when given) and recording the move.
pub(crate) async fn set_status(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    expected: Option<i32>,
    from: &str,
    to: &str,
    reason: Option<String>,
) -> ApiResult<()> {
    let at = super::now();
    let also = if matches!(to, "CLOSED" | "DISMISSED") {
        vec![("closed_at", Some(at).into())]
    } else {
        Vec::new()
    };
    let change = StatusMove {
        id,
        expected,
        from,
        to,
        at,
        also,
        reason,
    };
    super::move_status(db, p, &STATUS, change).await
}

/// Whether a case with this id exists (for links whose target the caller names).
pub(crate) async fn exists(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<bool> {
    Ok(
        sea_orm::PaginatorTrait::count(case::Entity::find().filter(case::Column::Id.eq(id)), db)
            .await?
            > 0,
    )
}
