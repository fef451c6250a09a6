//! Decoding rows into models: sea-orm's by-name decoding everywhere, and a positional decoder on
//! PostgreSQL for the rows read by the page (BENCHMARKS.md, "Instructions per request").
//!
//! sea-orm decodes each column by name: a hash lookup of the name per column and row, and for a
//! `NULL` in an `Option` column an error message formatted and thrown away. A page of 50 cases
//! spent a quarter of ctex's instructions there. [`RowModel::from_row`] lets a model decode the
//! row of its entity's `SELECT` by position instead; the positions are checked against the
//! row's column names first, so a row of any other shape falls back to sea-orm's decoding and
//! is never misread.
//!
//! Column types are checked once per shape: the first row of a model is decoded with each
//! column's declared type checked against its field (`NULL`s included, which sqlx's own check
//! skips), and the column types are then remembered; a later row whose columns have exactly
//! those types is decoded without checking them again. Any other row is checked afresh.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::sqlx::postgres::types::Oid;
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use sea_orm::sqlx::{Column as _, Decode, Row as _, Type, TypeInfo as _};
use sea_orm::{DbErr, FromQueryResult, QueryResult};

/// A model read through the policy's scoped queries ([`super::Faceted`]).
pub(crate) trait RowModel: FromQueryResult + Sized {
    /// Decodes the model from a row of `Entity::find()` (its columns first, in the entity's
    /// column order, then any extra expressions). The default is sea-orm's decoding by name.
    fn from_row(res: &QueryResult) -> Result<Self, DbErr> {
        Self::from_query_result(res, "")
    }
}

macro_rules! by_name {
    ($($model:path),* $(,)?) => {
        $(impl RowModel for $model {})*
    };
}

by_name!(
    entities::case_event::Model,
    entities::case_link::Model,
    entities::disclosure_request::Model,
    entities::indictment::Model,
    entities::network::Model,
    entities::network_member::Model,
    entities::referral::Model,
    entities::support_service::Model,
    entities::tip::Model,
    entities::verdict::Model,
    entities::victim_flag::Model,
);

/// Rows of the positionally decoded models read by position, and by name (SQLite, or a row of
/// another shape).
static BY_POSITION: AtomicU64 = AtomicU64::new(0);
static BY_NAME: AtomicU64 = AtomicU64::new(0);

/// Publishes the row counts as `ctex_rows_decoded_total{path="position"|"name"}` (called when
/// `/metrics` is rendered, so decoding a row costs one relaxed atomic add).
pub(crate) fn publish_metrics() {
    metrics::counter!("ctex_rows_decoded_total", "path" => "position")
        .absolute(BY_POSITION.load(Ordering::Relaxed));
    metrics::counter!("ctex_rows_decoded_total", "path" => "name")
        .absolute(BY_NAME.load(Ordering::Relaxed));
}

/// Whether `row` starts with exactly `names`, in order.
fn starts_with_columns(row: &PgRow, names: &[&str]) -> bool {
    let columns = row.columns();
    columns.len() >= names.len()
        && columns
            .iter()
            .zip(names)
            .all(|(column, name)| column.name() == *name)
}

/// Decodes column `index` of `row` as `T`, first checking the column's declared type against
/// `T` (also when the value is `NULL`).
fn get_checked<'r, T>(row: &'r PgRow, index: usize) -> Result<T, DbErr>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    let column = row
        .columns()
        .get(index)
        .ok_or_else(|| DbErr::Type(format!("no column {index}")))?;
    if !T::compatible(column.type_info()) {
        return Err(DbErr::Type(format!(
            "column `{}` has type {}, which does not decode as {}",
            column.name(),
            column.type_info().name(),
            std::any::type_name::<T>()
        )));
    }
    get_unchecked(row, index)
}

/// Decodes column `index` of `row` as `T`, its type already checked for this shape of row.
fn get_unchecked<'r, T>(row: &'r PgRow, index: usize) -> Result<T, DbErr>
where
    T: Decode<'r, Postgres>,
{
    row.try_get_unchecked(index)
        .map_err(|e| DbErr::Type(e.to_string()))
}

/// The types of the first `n` columns of `row` (`None` if one has no oid).
fn column_types(row: &PgRow, n: usize) -> Option<Vec<Oid>> {
    row.columns()
        .iter()
        .take(n)
        .map(|c| c.type_info().oid())
        .collect()
}

/// Whether the first columns of `row` have exactly the types `checked`.
fn has_types(row: &PgRow, checked: &[Oid]) -> bool {
    row.columns()
        .iter()
        .zip(checked)
        .all(|(c, oid)| c.type_info().oid() == Some(*oid))
}

/// `positional!(module, [field, ...])`: [`RowModel`] for `module::Model` decoding by position on
/// PostgreSQL. The fields are listed in the entity's column order, each named as its column,
/// and the five bookkeeping columns every such entity ends with (`version`, `created_at`,
/// `updated_at`, `created_by_agency`, `created_by_subject`) follow; a unit test holds the list
/// equal to `module::Column`. The row's column names are checked against it before any value
/// is read, and its column types once per shape (see the module documentation).
macro_rules! positional {
    ($module:ident, [$($field:ident),* $(,)?]) => {
        positional!(@all $module, [$($field,)* version, created_at, updated_at, created_by_agency, created_by_subject]);
    };
    (@all $module:ident, [$($field:ident),* $(,)?]) => {
        impl RowModel for entities::$module::Model {
            fn from_row(res: &QueryResult) -> Result<Self, DbErr> {
                const COLUMNS: &[&str] = &[$(stringify!($field)),*];
                match res.try_as_pg_row() {
                    Some(row) if starts_with_columns(row, COLUMNS) => {
                        /// The column types of a row already decoded with its types checked.
                        static CHECKED: OnceLock<Vec<Oid>> = OnceLock::new();
                        BY_POSITION.fetch_add(1, Ordering::Relaxed);
                        let mut index = 0usize;
                        let mut next = || {
                            index += 1;
                            index - 1
                        };
                        if CHECKED.get().is_some_and(|checked| has_types(row, checked)) {
                            // Struct fields are evaluated in the order written: the column order.
                            return Ok(entities::$module::Model {
                                $($field: get_unchecked(row, next())?,)*
                            });
                        }
                        let model = entities::$module::Model {
                            $($field: get_checked(row, next())?,)*
                        };
                        if let Some(types) = column_types(row, COLUMNS.len()) {
                            let _ = CHECKED.set(types);
                        }
                        Ok(model)
                    }
                    _ => {
                        BY_NAME.fetch_add(1, Ordering::Relaxed);
                        Self::from_query_result(res, "")
                    }
                }
            }
        }

        #[cfg(test)]
        impl PositionalColumns for entities::$module::Model {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

/// The column list a positional decoder expects (for the unit test).
#[cfg(test)]
trait PositionalColumns {
    const COLUMNS: &'static [&'static str];
}

positional!(
    case,
    [
        id,
        case_number,
        title,
        status,
        lead_agency,
        province,
        opened_at,
        closed_at,
        legal_basis,
        transnational,
        organized_group,
        exploitation_forms,
        recruitment_methods,
        recruitment_platforms,
        countries,
        handling_code,
        handling_restriction,
        summary,
        source_reliability,
        information_accuracy,
    ]
);

positional!(
    person,
    [
        id,
        full_name,
        name_folded,
        aliases,
        date_of_birth,
        sex,
        ethnicity,
        nationality,
        national_id,
        address,
        phone,
    ]
);

positional!(
    identifier,
    [id, person_id, kind, value, normalized, platform, verified,]
);

positional!(
    case_party,
    [
        id,
        case_id,
        person_id,
        role,
        suspect_role,
        arrest_status,
        identification,
        received_at,
        age_at_exploitation,
        exploitation_details,
        health_notes,
        current_location,
        consent_to_share,
        protection_measures,
        is_minor,
    ]
);

/// Cases with only some columns read: a page whose query selects few fields
/// ([`super::case::page`]). Every field of a column not read holds an empty value (nil
/// id, empty text, the epoch, `None`, `false`, `0`); the caller reads only the columns whose
/// fields its query selects.
///
/// Each row holds `columns`, in that order, then any extra expressions. On PostgreSQL a row is
/// read by position once its column names are checked against `columns`, and the values' types
/// are checked on the first row (the rows of one result share their column types; a later row
/// whose types differ is checked afresh); otherwise each column is read by name.
pub(crate) fn case_rows(
    rows: &[QueryResult],
    columns: &[entities::case::Column],
) -> Result<Vec<entities::case::Model>, DbErr> {
    let mut checked: Option<Vec<Oid>> = None;
    rows.iter()
        .map(|res| {
            let pg = res.try_as_pg_row();
            let known = match (pg, &checked) {
                (Some(row), Some(types)) => has_types(row, types),
                _ => false,
            };
            let (model, by_position) = case_columns(res, columns, known)?;
            // Only a row read by position had its types checked (by name, sea-orm decodes).
            if checked.is_none() && by_position {
                checked = pg.and_then(|row| column_types(row, columns.len()));
            }
            Ok(model)
        })
        .collect()
}

/// One row of [`case_rows`]; `types_known`: its column types were checked on an earlier row.
/// Also says whether the row was read by position.
fn case_columns(
    res: &QueryResult,
    columns: &[entities::case::Column],
    types_known: bool,
) -> Result<(entities::case::Model, bool), DbErr> {
    use entities::case::Column as C;
    use sea_orm::IdenStatic;
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let mut m = entities::case::Model {
        id: uuid::Uuid::nil(),
        case_number: String::new(),
        title: String::new(),
        status: String::new(),
        lead_agency: String::new(),
        province: String::new(),
        opened_at: epoch,
        closed_at: None,
        legal_basis: String::new(),
        transnational: false,
        organized_group: false,
        exploitation_forms: String::new(),
        recruitment_methods: String::new(),
        recruitment_platforms: String::new(),
        countries: String::new(),
        handling_code: String::new(),
        handling_restriction: None,
        summary: None,
        source_reliability: None,
        information_accuracy: None,
        version: 0,
        created_at: epoch,
        updated_at: epoch,
        created_by_agency: String::new(),
        created_by_subject: String::new(),
    };
    let by_position = res.try_as_pg_row().filter(|row| {
        let names = row.columns();
        names.len() >= columns.len()
            && columns
                .iter()
                .zip(names)
                .all(|(c, n)| n.name() == c.as_str())
    });
    if by_position.is_some() {
        BY_POSITION.fetch_add(1, Ordering::Relaxed);
    } else {
        BY_NAME.fetch_add(1, Ordering::Relaxed);
    }
    for (index, column) in columns.iter().enumerate() {
        macro_rules! read {
            ($field:ident) => {
                m.$field = match by_position {
                    Some(row) if types_known => get_unchecked(row, index)?,
                    Some(row) => get_checked(row, index)?,
                    None => res.try_get("", column.as_str())?,
                }
            };
        }
        match column {
            C::Id => read!(id),
            C::CaseNumber => read!(case_number),
            C::Title => read!(title),
            C::Status => read!(status),
            C::LeadAgency => read!(lead_agency),
            C::Province => read!(province),
            C::OpenedAt => read!(opened_at),
            C::ClosedAt => read!(closed_at),
            C::LegalBasis => read!(legal_basis),
            C::Transnational => read!(transnational),
            C::OrganizedGroup => read!(organized_group),
            C::ExploitationForms => read!(exploitation_forms),
            C::RecruitmentMethods => read!(recruitment_methods),
            C::RecruitmentPlatforms => read!(recruitment_platforms),
            C::Countries => read!(countries),
            C::HandlingCode => read!(handling_code),
            C::HandlingRestriction => read!(handling_restriction),
            C::Summary => read!(summary),
            C::SourceReliability => read!(source_reliability),
            C::InformationAccuracy => read!(information_accuracy),
            C::Version => read!(version),
            C::CreatedAt => read!(created_at),
            C::UpdatedAt => read!(updated_at),
            C::CreatedByAgency => read!(created_by_agency),
            C::CreatedBySubject => read!(created_by_subject),
        }
    }
    Ok((m, by_position.is_some()))
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, IdenStatic, Iterable};

    use super::*;

    fn entity_columns<E: EntityTrait>() -> Vec<&'static str>
    where
        E::Column: IdenStatic,
    {
        E::Column::iter().map(|c| c.as_str()).collect()
    }

    #[test]
    fn each_positional_decoder_lists_its_entitys_columns_in_order() {
        use entities::{case, case_party, identifier, person};
        assert_eq!(entity_columns::<case::Entity>(), case::Model::COLUMNS);
        assert_eq!(entity_columns::<person::Entity>(), person::Model::COLUMNS);
        assert_eq!(
            entity_columns::<identifier::Entity>(),
            identifier::Model::COLUMNS
        );
        assert_eq!(
            entity_columns::<case_party::Entity>(),
            case_party::Model::COLUMNS
        );
    }
}
