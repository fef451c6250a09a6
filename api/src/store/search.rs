//! Person search within the caller's scope (folded name, birth-date range, nationality).

use chrono::NaiveDate;
use entities::person;
use sea_orm::sea_query::{Condition, Order};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::page::{Cursor, Edge, Page, count_fn};
use super::person::PersonView;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::policy::scope::{self, tables};

/// Filters of `persons`.
#[derive(Clone, Debug, Default)]
pub(crate) struct PersonFilter {
    /// Folded name key (diacritics, case and word order ignored).
    pub(crate) name_folded: Option<String>,
    pub(crate) born_from: Option<NaiveDate>,
    pub(crate) born_to: Option<NaiveDate>,
    pub(crate) nationality: Option<String>,
}

/// One page of persons matching `f` in the caller's scope, newest first.
pub(crate) async fn persons(
    db: &DatabaseConnection,
    p: &Principal,
    f: &PersonFilter,
    after: Option<&Cursor>,
    first: u64,
) -> ApiResult<Page<PersonView>> {
    let mut base = Condition::all();
    if let Some(v) = &f.name_folded {
        base = base.add(person::Column::NameFolded.eq(v.as_str()));
    }
    if let Some(v) = f.born_from {
        base = base.add(person::Column::DateOfBirth.gte(v));
    }
    if let Some(v) = f.born_to {
        base = base.add(person::Column::DateOfBirth.lt(v));
    }
    if let Some(v) = &f.nationality {
        base = base.add(person::Column::Nationality.eq(v.as_str()));
    }
    let mut q = super::person::scoped(p).filter(base.clone());
    if let Some(c) = after {
        q = q.filter(person::Column::Id.lt(c.id));
    }
    let mut rows: Vec<PersonView> = q
        .order_by(person::Column::Id, Order::Desc)
        .limit(first + 1)
        .into_model::<PersonView>()
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    let edges = rows
        .into_iter()
        .map(|node| Edge {
            cursor: Cursor {
                sort: "CREATED".into(),
                key: None,
                id: node.row.id,
            },
            node,
        })
        .collect();
    let count = count_fn(
        db,
        person::Entity::find()
            .filter(scope::person_scope(p, tables::PERSON))
            .filter(base),
    );
    Ok(Page {
        edges,
        has_next,
        count: Some(count),
    })
}
