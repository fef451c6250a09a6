//! Persons, their case parties and identifiers: scoped batch loads and inserts.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entities::{case_party, identifier, person};
use sea_orm::sea_query::{Alias, ExprTrait, JoinType, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Set, Statement,
};
use uuid::Uuid;

use super::{Faceted, StatusColumn, StatusMove, rendered};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::policy::Rows;
use crate::policy::scope::{self, FACTS_COLUMN, tables};

/// A person row with its facts.
pub(crate) type PersonView = Faceted<person::Model>;
/// A party row with its facts (its case's and its person's qualifiers).
pub(crate) type PartyView = Faceted<case_party::Model>;
/// An identifier row with its person's facts.
pub(crate) type IdentifierView = Faceted<identifier::Model>;

const PE: &str = "pe";
const PC: &str = "pc";

/// Persons the caller may see, with their facts.
pub(crate) fn scoped(p: &Principal) -> Select<person::Entity> {
    person::Entity::find()
        .filter(scope::person_scope(p, tables::PERSON))
        .expr_as(
            scope::facts_expr(scope::person_facts(p, tables::PERSON)),
            FACTS_COLUMN,
        )
}

/// Attaches the fields shared by accepted referrals to rows covered as `REFERRED`.
async fn attach_shared_fields<M>(
    db: &impl ConnectionTrait,
    p: &Principal,
    rows: &mut [Faceted<M>],
    person_of: impl Fn(&M) -> Uuid,
) -> ApiResult<()> {
    if !scope::identity_facts_needed(p.agency).shared_fields {
        return Ok(());
    }
    let ids: BTreeSet<Uuid> = rows
        .iter()
        .filter(|r| r.facts.quals.contains(Rows::REFERRED))
        .map(|r| person_of(&r.row))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut query = sea_orm::sea_query::Query::select();
    query
        .column((Alias::new("r"), Alias::new("person_id")))
        .column((Alias::new("r"), Alias::new("shared_fields")))
        .from_as(Alias::new(tables::REFERRAL), Alias::new("r"))
        .cond_where(super::id_in(
            db.get_database_backend(),
            scope::col("r", "person_id"),
            &ids.iter().copied().collect::<Vec<_>>(),
        ))
        .cond_where(scope::active_referrals_to(p, "r"));
    let stmt = db.get_database_backend().build(&query);
    let mut shared: HashMap<Uuid, BTreeSet<String>> = HashMap::new();
    for row in db.query_all_raw(stmt).await? {
        let person: Uuid = row.try_get("", "person_id")?;
        let fields: String = row.try_get("", "shared_fields")?;
        shared
            .entry(person)
            .or_default()
            .extend(super::parse_list(&fields));
    }
    let shared: HashMap<Uuid, Arc<BTreeSet<String>>> =
        shared.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
    for row in rows.iter_mut() {
        if row.facts.quals.contains(Rows::REFERRED) {
            let fields = shared.get(&person_of(&row.row)).cloned();
            row.facts = std::mem::take(&mut row.facts).with_shared_fields(fields);
        }
    }
    Ok(())
}

/// The statement of [`by_ids`].
pub(crate) fn by_ids_sql(backend: DbBackend, p: &Principal, ids: &[Uuid]) -> Statement {
    scoped(p)
        .filter(super::id_in(backend, scope::col(tables::PERSON, "id"), ids))
        .build(backend)
}

/// Loads the persons with these ids that the caller may see.
pub(crate) async fn by_ids(
    db: &impl ConnectionTrait,
    p: &Principal,
    ids: &[Uuid],
) -> ApiResult<Vec<PersonView>> {
    let backend = db.get_database_backend();
    let mut rows: Vec<PersonView> = rendered::load(db, "person::by_ids", p, ids, |ids| {
        by_ids_sql(backend, p, ids)
    })
    .await?;
    attach_shared_fields(db, p, &mut rows, |m| m.id).await?;
    Ok(rows)
}

/// Parties the caller may see, joined with their case (`pc`) and person (`pe`) for scope and
/// facts.
fn scoped_parties(p: &Principal) -> Select<case_party::Entity> {
    let mut q = case_party::Entity::find();
    QueryTrait::query(&mut q)
        .join_as(
            JoinType::InnerJoin,
            Alias::new(tables::CASE),
            Alias::new(PC),
            scope::col(PC, "id").equals((Alias::new(tables::PARTY), Alias::new("case_id"))),
        )
        .join_as(
            JoinType::InnerJoin,
            Alias::new(tables::PERSON),
            Alias::new(PE),
            scope::col(PE, "id").equals((Alias::new(tables::PARTY), Alias::new("person_id"))),
        );
    q.filter(scope::party_scope(p, PC, PE)).expr_as(
        scope::facts_expr(scope::party_facts(p, PC, PE)),
        FACTS_COLUMN,
    )
}

/// The statement of the parties whose `column` (`case_id` or `person_id`) is one of `ids`.
pub(crate) fn parties_sql(
    backend: DbBackend,
    p: &Principal,
    column: &'static str,
    ids: &[Uuid],
) -> Statement {
    scoped_parties(p)
        .filter(super::id_in(
            backend,
            scope::col(tables::PARTY, column),
            ids,
        ))
        .order_by(case_party::Column::Id, Order::Asc)
        .build(backend)
}

/// The parties of these cases that the caller may see, in creation order.
pub(crate) async fn parties_of_cases(
    db: &impl ConnectionTrait,
    p: &Principal,
    case_ids: &[Uuid],
) -> ApiResult<Vec<PartyView>> {
    let backend = db.get_database_backend();
    let mut rows: Vec<PartyView> =
        rendered::load(db, "person::parties_of_cases", p, case_ids, |ids| {
            parties_sql(backend, p, "case_id", ids)
        })
        .await?;
    attach_shared_fields(db, p, &mut rows, |m| m.person_id).await?;
    Ok(rows)
}

/// The parties of these persons that the caller may see.
pub(crate) async fn parties_of_persons(
    db: &impl ConnectionTrait,
    p: &Principal,
    person_ids: &[Uuid],
) -> ApiResult<Vec<PartyView>> {
    let backend = db.get_database_backend();
    let mut rows: Vec<PartyView> =
        rendered::load(db, "person::parties_of_persons", p, person_ids, |ids| {
            parties_sql(backend, p, "person_id", ids)
        })
        .await?;
    attach_shared_fields(db, p, &mut rows, |m| m.person_id).await?;
    Ok(rows)
}

/// The statement of [`identifiers_of_persons`].
pub(crate) fn identifiers_sql(backend: DbBackend, p: &Principal, ids: &[Uuid]) -> Statement {
    let mut q = identifier::Entity::find();
    QueryTrait::query(&mut q).join_as(
        JoinType::InnerJoin,
        Alias::new(tables::PERSON),
        Alias::new(PE),
        scope::col(PE, "id").equals((Alias::new(tables::IDENTIFIER), Alias::new("person_id"))),
    );
    q.filter(scope::person_scope(p, PE))
        .filter(super::id_in(
            backend,
            scope::col(tables::IDENTIFIER, "person_id"),
            ids,
        ))
        .expr_as(scope::facts_expr(scope::person_facts(p, PE)), FACTS_COLUMN)
        .order_by(identifier::Column::Id, Order::Asc)
        .build(backend)
}

/// The identifiers of these persons, for persons the caller may see (facts are the person's).
pub(crate) async fn identifiers_of_persons(
    db: &impl ConnectionTrait,
    p: &Principal,
    person_ids: &[Uuid],
) -> ApiResult<Vec<IdentifierView>> {
    let backend = db.get_database_backend();
    let mut rows: Vec<IdentifierView> =
        rendered::load(db, "person::identifiers_of_persons", p, person_ids, |ids| {
            identifiers_sql(backend, p, ids)
        })
        .await?;
    attach_shared_fields(db, p, &mut rows, |m| m.person_id).await?;
    Ok(rows)
}

/// Values of a new person.
#[derive(Clone, Debug, Default)]
pub(crate) struct NewPerson {
    pub(crate) full_name: String,
    pub(crate) name_folded: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) date_of_birth: Option<NaiveDate>,
    pub(crate) sex: Option<String>,
    pub(crate) ethnicity: Option<String>,
    pub(crate) nationality: Option<String>,
    pub(crate) national_id: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) phone: Option<String>,
}

/// Inserts a person recorded by the caller.
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    p: &Principal,
    new: NewPerson,
) -> ApiResult<Uuid> {
    let mut writes = super::Writes::default();
    let id = insert_into(&mut writes, p, new);
    writes.run(db).await?;
    Ok(id)
}

/// Adds the insert of a person recorded by the caller to `writes` and returns its id.
pub(crate) fn insert_into(writes: &mut super::Writes, p: &Principal, new: NewPerson) -> Uuid {
    let now = super::now();
    let id = super::new_id();
    let model = person::ActiveModel {
        id: Set(id),
        full_name: Set(new.full_name),
        name_folded: Set(new.name_folded),
        aliases: Set(super::json_list(&new.aliases)),
        date_of_birth: Set(new.date_of_birth),
        sex: Set(new.sex),
        ethnicity: Set(new.ethnicity),
        nationality: Set(new.nationality),
        national_id: Set(new.national_id),
        address: Set(new.address),
        phone: Set(new.phone),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    };
    writes.insert(person::Entity::insert(model).into_query(), None);
    id
}

/// Values of a new party.
#[derive(Clone, Debug, Default)]
pub(crate) struct NewParty {
    pub(crate) case_id: Uuid,
    pub(crate) person_id: Uuid,
    pub(crate) role: String,
    pub(crate) suspect_role: Option<String>,
    pub(crate) arrest_status: Option<String>,
    pub(crate) identification: Option<String>,
    pub(crate) received_at: Option<DateTime<Utc>>,
    pub(crate) age_at_exploitation: Option<i32>,
    pub(crate) exploitation_details: Option<String>,
    pub(crate) health_notes: Option<String>,
    pub(crate) current_location: Option<String>,
    pub(crate) consent_to_share: bool,
    pub(crate) protection_measures: Vec<String>,
}

/// Whether a person was under 18 at exploitation: the recorded age if any, else the date of
/// birth against the case's opening date.
pub(crate) fn minor_at(age: Option<i32>, dob: Option<NaiveDate>, opened_at: DateTime<Utc>) -> bool {
    if let Some(age) = age {
        return age < 18;
    }
    let Some(dob) = dob else { return false };
    let opened = opened_at.date_naive();
    let mut years = opened.year() - dob.year();
    if (opened.month(), opened.day()) < (dob.month(), dob.day()) {
        years -= 1;
    }
    years < 18
}

/// Adds the insert of a party to `writes` and returns its id; the same person in the same role
/// twice is a `CONFLICT`.
pub(crate) fn insert_party_into(
    writes: &mut super::Writes,
    p: &Principal,
    new: NewParty,
    is_minor: bool,
) -> Uuid {
    let now = super::now();
    let id = super::new_id();
    let model = case_party::ActiveModel {
        id: Set(id),
        case_id: Set(new.case_id),
        person_id: Set(new.person_id),
        role: Set(new.role),
        suspect_role: Set(new.suspect_role),
        arrest_status: Set(new.arrest_status),
        identification: Set(new.identification),
        received_at: Set(new.received_at),
        age_at_exploitation: Set(new.age_at_exploitation),
        exploitation_details: Set(new.exploitation_details),
        health_notes: Set(new.health_notes),
        current_location: Set(new.current_location),
        consent_to_share: Set(new.consent_to_share),
        protection_measures: Set(super::json_list(&new.protection_measures)),
        is_minor: Set(is_minor),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    };
    writes.insert(
        case_party::Entity::insert(model).into_query(),
        Some("this person already has this role in the case".to_string()),
    );
    id
}

/// Values of a new identifier.
pub(crate) struct NewIdentifier {
    pub(crate) person_id: Uuid,
    pub(crate) kind: String,
    pub(crate) value: String,
    pub(crate) normalized: String,
    pub(crate) platform: Option<String>,
    pub(crate) verified: bool,
}

/// Adds the insert of an identifier to `writes` and returns its id.
pub(crate) fn insert_identifier_into(
    writes: &mut super::Writes,
    p: &Principal,
    new: NewIdentifier,
) -> Uuid {
    let now = super::now();
    let id = super::new_id();
    let model = identifier::ActiveModel {
        id: Set(id),
        person_id: Set(new.person_id),
        kind: Set(new.kind),
        value: Set(new.value),
        normalized: Set(new.normalized),
        platform: Set(new.platform),
        verified: Set(new.verified),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    };
    writes.insert(identifier::Entity::insert(model).into_query(), None);
    id
}

/// Adds a bump of a person's version to `writes`; see [`super::bump_version`].
pub(crate) fn bump_version_into(writes: &mut super::Writes, id: Uuid, expected: Option<i32>) {
    super::bump_version_into(writes, tables::PERSON, "person", id, expected);
}

/// Loads one party through the caller's scope.
pub(crate) async fn party_by_id(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
) -> ApiResult<Option<PartyView>> {
    let backend = db.get_database_backend();
    let mut rows: Vec<PartyView> = rendered::load(db, "person::parties_by_ids", p, &[id], |ids| {
        parties_sql(backend, p, "id", ids)
    })
    .await?;
    attach_shared_fields(db, p, &mut rows, |m| m.person_id).await?;
    Ok(rows.into_iter().next())
}

/// Victim parties whose identification is still open and was received before `before`, in the
/// caller's scope, oldest first.
pub(crate) async fn overdue_identifications(
    db: &impl ConnectionTrait,
    p: &Principal,
    before: DateTime<Utc>,
    limit: u64,
) -> ApiResult<Vec<PartyView>> {
    let mut rows = scoped_parties(p)
        .filter(case_party::Column::Identification.is_in(["RECEIVED", "VERIFYING"]))
        .filter(case_party::Column::ReceivedAt.lt(before))
        .order_by(case_party::Column::ReceivedAt, Order::Asc)
        .limit(limit)
        .into_model::<PartyView>()
        .all(db)
        .await?;
    attach_shared_fields(db, p, &mut rows, |m| m.person_id).await?;
    Ok(rows)
}

/// Where parties keep their identification status.
const IDENTIFICATION: StatusColumn = StatusColumn {
    table: tables::PARTY,
    column: "identification",
    entity_type: "CaseParty",
    conflict: "the party was changed by someone else (your version is stale); reload it",
};

/// Moves a party's identification from `from` to `to` (the caller checked the lifecycle),
/// bumping its version (checked against `expected`) and recording the move.
pub(crate) async fn set_identification(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    expected: i32,
    from: &str,
    to: &str,
    reason: Option<String>,
) -> ApiResult<()> {
    let change = StatusMove {
        id,
        expected: Some(expected),
        from,
        to,
        at: super::now(),
        also: Vec::new(),
        reason,
    };
    super::move_status(db, p, &IDENTIFICATION, change).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn recorded_age_decides_minority() {
        assert!(minor_at(Some(17), None, at(2026, 1, 1)));
        assert!(!minor_at(
            Some(18),
            NaiveDate::from_ymd_opt(2015, 1, 1),
            at(2026, 1, 1)
        ));
    }

    #[test]
    fn date_of_birth_decides_when_age_is_unknown() {
        let dob = NaiveDate::from_ymd_opt(2008, 6, 15);
        assert!(
            minor_at(None, dob, at(2026, 6, 14)),
            "one day before the 18th birthday"
        );
        assert!(
            !minor_at(None, dob, at(2026, 6, 15)),
            "on the 18th birthday"
        );
        assert!(!minor_at(None, None, at(2026, 1, 1)), "unknown stays adult");
    }
}
