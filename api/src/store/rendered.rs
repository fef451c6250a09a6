//! Rendered statements of the scoped loads by id, kept per principal shape (PostgreSQL only).
//!
//! A scoped load's SQL depends on the caller only through its agency and
//! [`scope::principal_shape`] (the unit, for foreign affairs; the jurisdiction, for
//! jurisdiction-limited agencies), and on the request only through the ids, which
//! PostgreSQL receives as one array parameter ([`super::id_in`]), and the disclosure
//! qualifier's current time. Building that statement through sea-query for every batch
//! (trees of conditions, cloned and rendered, then dropped) was about a quarter of a
//! `case(id)` request's instructions. So each (load, agency, shape) renders its
//! statement once, with stand-ins for the ids and the time, and every later load only copies
//! the text and its parameters and puts the real ids and time in their places.
//!
//! SQLite writes ids as `IN (...)` lists, whose text changes with their number, so it always
//! builds. A statement whose stand-ins cannot be found exactly once (ids) is never kept: the
//! load then builds as before.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use uuid::Uuid;

use crate::auth::Principal;
use crate::domain::Agency;
use crate::error::ApiResult;
use crate::policy::scope;

/// The time that stands in for "now" while a statement is rendered: no real clock reads it.
const NOW_STAND_IN: DateTime<Utc> = DateTime::<Utc>::MIN_UTC;

/// The most principal shapes kept per (load, agency); beyond it, loads build their statements.
const SHAPES_PER_AGENCY: usize = 256;

thread_local! {
    static RENDERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The time a scope condition compares expiry with: now, or the stand-in while a statement is
/// being rendered for reuse (each run then binds the time of that run).
pub(crate) fn scope_now() -> DateTime<Utc> {
    if RENDERING.get() {
        NOW_STAND_IN
    } else {
        super::now()
    }
}

/// One rendered statement and where its per-run parameters go.
struct Template {
    unit: Option<String>,
    jurisdiction: Option<Vec<String>>,
    sql: String,
    values: Vec<Value>,
    ids_at: usize,
    now_at: Vec<usize>,
}

impl Template {
    fn fits(&self, p: &Principal) -> bool {
        let (unit, jurisdiction) = scope::principal_shape(p);
        self.unit.as_deref() == unit && self.jurisdiction.as_deref() == jurisdiction
    }

    fn statement(&self, ids: &[Uuid]) -> Statement {
        let mut values = self.values.clone();
        values[self.ids_at] = Value::from(super::uuid_array(ids));
        if !self.now_at.is_empty() {
            let now = super::now();
            for at in &self.now_at {
                values[*at] = Value::from(now);
            }
        }
        Statement::from_sql_and_values(DbBackend::Postgres, self.sql.as_str(), values)
    }
}

type Templates = HashMap<(&'static str, Agency), Vec<Arc<Template>>>;

static TEMPLATES: LazyLock<RwLock<Templates>> = LazyLock::new(Default::default);

fn cached(kind: &'static str, p: &Principal) -> Option<Arc<Template>> {
    let templates = TEMPLATES.read().unwrap_or_else(|e| e.into_inner());
    templates
        .get(&(kind, p.agency))?
        .iter()
        .find(|t| t.fits(p))
        .cloned()
}

/// Renders `build`'s statement with the stand-ins and keeps it, if its parameters can be told
/// apart; returns it either way it was kept.
fn render(
    kind: &'static str,
    p: &Principal,
    build: &impl Fn(&[Uuid]) -> Statement,
) -> Option<Arc<Template>> {
    /// Clears the rendering flag however `build` returns.
    struct Rendering;
    impl Drop for Rendering {
        fn drop(&mut self) {
            RENDERING.set(false);
        }
    }
    let marker = [Uuid::max()];
    let stmt = {
        RENDERING.set(true);
        let _rendering = Rendering;
        build(&marker)
    };
    let values = stmt.values.map(|v| v.0).unwrap_or_default();
    let ids = Value::from(super::uuid_array(&marker));
    let now = Value::from(NOW_STAND_IN);
    let mut ids_at = values.iter().enumerate().filter(|(_, v)| **v == ids);
    let (Some((ids_at, _)), None) = (ids_at.next(), ids_at.next()) else {
        tracing::debug!(
            kind,
            "statement kept out of the cache: no single id parameter"
        );
        return None;
    };
    let now_at = values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v == now)
        .map(|(i, _)| i)
        .collect();
    let (unit, jurisdiction) = scope::principal_shape(p);
    let template = Arc::new(Template {
        unit: unit.map(str::to_owned),
        jurisdiction: jurisdiction.map(<[String]>::to_vec),
        sql: stmt.sql,
        values,
        ids_at,
        now_at,
    });
    let mut templates = TEMPLATES.write().unwrap_or_else(|e| e.into_inner());
    let shapes = templates.entry((kind, p.agency)).or_default();
    if let Some(kept) = shapes.iter().find(|t| t.fits(p)) {
        return Some(kept.clone());
    }
    if shapes.len() < SHAPES_PER_AGENCY {
        shapes.push(template.clone());
    }
    Some(template)
}

/// The statement of load `kind` for these ids: the kept rendering on PostgreSQL (rendered on
/// first use), else `build(ids)`.
///
/// `build` must depend on the caller only through `p`'s agency and
/// [`scope::principal_shape`], and on
/// the ids only through [`super::id_in`]; `kind` names one call site.
pub(crate) fn statement(
    backend: DbBackend,
    kind: &'static str,
    p: &Principal,
    ids: &[Uuid],
    build: impl Fn(&[Uuid]) -> Statement,
) -> Statement {
    if backend != DbBackend::Postgres {
        return build(ids);
    }
    match cached(kind, p).or_else(|| render(kind, p, &build)) {
        Some(template) => template.statement(ids),
        None => build(ids),
    }
}

/// Runs load `kind` (see [`statement`]) and decodes its rows; no query when `ids` is empty.
pub(crate) async fn load<M: FromQueryResult>(
    db: &impl ConnectionTrait,
    kind: &'static str,
    p: &Principal,
    ids: &[Uuid],
    build: impl Fn(&[Uuid]) -> Statement,
) -> ApiResult<Vec<M>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = statement(db.get_database_backend(), kind, p, ids, build);
    let rows = db.query_all_raw(stmt).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(M::from_query_result(row, "")?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;
    use crate::store::{case, person};

    type Build = fn(DbBackend, &Principal, &[Uuid]) -> Statement;

    /// Every load that keeps its statement, under a kind name of its own (the cache is shared
    /// by the whole process).
    const LOADS: [(&str, Build); 6] = [
        ("test:case::by_ids", case::by_ids_sql),
        ("test:person::by_ids", person::by_ids_sql),
        ("test:person::parties_by_ids", |b, p, ids| {
            person::parties_sql(b, p, "id", ids)
        }),
        ("test:person::parties_of_cases", |b, p, ids| {
            person::parties_sql(b, p, "case_id", ids)
        }),
        ("test:person::parties_of_persons", |b, p, ids| {
            person::parties_sql(b, p, "person_id", ids)
        }),
        (
            "test:person::identifiers_of_persons",
            person::identifiers_sql,
        ),
    ];

    fn principal(agency: Agency, subject: &str) -> Principal {
        Principal {
            token_id: format!("jti-{subject}"),
            ..Principal::for_test(agency, subject)
        }
    }

    /// The shapes a principal can take: national, limited to provinces, with a unit.
    fn shapes(agency: Agency) -> Vec<Principal> {
        let national = principal(agency, "a");
        let mut limited = principal(agency, "b");
        limited.jurisdiction = Some(vec!["HN".into(), "LC".into()]);
        let mut other = principal(agency, "c");
        other.jurisdiction = Some(vec!["QN".into()]);
        let mut unit = principal(agency, "d");
        unit.unit = Some("mission-kr".into());
        vec![national, limited, other, unit]
    }

    /// The statement's text and parameters, with the times it binds set aside (they are the
    /// time of each build), and those times.
    fn parts(stmt: Statement) -> (String, Vec<Value>, Vec<DateTime<Utc>>) {
        let mut times = Vec::new();
        let values = stmt
            .values
            .map(|v| v.0)
            .unwrap_or_default()
            .into_iter()
            .map(|v| match v {
                Value::ChronoDateTimeUtc(Some(t)) => {
                    times.push(t);
                    Value::ChronoDateTimeUtc(None)
                }
                v => v,
            })
            .collect();
        (stmt.sql, values, times)
    }

    #[test]
    fn a_kept_statement_is_the_statement_the_load_builds() {
        let ids = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
        for agency in Agency::iter() {
            for p in shapes(agency) {
                for (kind, build) in LOADS {
                    // The first call renders and keeps, the later ones reuse; all must match.
                    for ids in [&ids[..1], &ids[..], &ids[1..2]] {
                        let before = crate::store::now();
                        let kept = statement(DbBackend::Postgres, kind, &p, ids, |ids| {
                            build(DbBackend::Postgres, &p, ids)
                        });
                        let built = build(DbBackend::Postgres, &p, ids);
                        let (kept_sql, kept_values, kept_times) = parts(kept);
                        let (sql, values, times) = parts(built);
                        assert_eq!(kept_sql, sql, "{agency} {kind}");
                        assert_eq!(kept_values, values, "{agency} {kind}");
                        assert_eq!(kept_times.len(), times.len(), "{agency} {kind}");
                        assert!(
                            kept_times.iter().all(|t| *t >= before),
                            "{agency} {kind}: a kept statement binds the time of its run"
                        );
                    }
                    assert!(
                        cached(kind, &p).is_some(),
                        "{agency} {kind}: the statement was kept"
                    );
                }
            }
        }
    }

    #[test]
    fn statements_depend_on_the_principal_only_through_its_shape() {
        let ids = [Uuid::now_v7()];
        for agency in Agency::iter() {
            let mut principals = shapes(agency);
            for p in shapes(agency) {
                let mut twin = p.clone();
                twin.subject = "someone else".into();
                twin.scopes = vec!["ctex:read".into()];
                twin.purpose = None;
                twin.token_id = "another token".into();
                twin.issuer = "another issuer".into();
                twin.expires_at = i64::MAX;
                principals.push(twin);
            }
            let mut both = principal(agency, "e");
            both.unit = Some("station-7".into());
            both.jurisdiction = Some(vec!["HN".into()]);
            principals.push(both);
            // Any two principals of the same shape get the same statement.
            for p in &principals {
                for q in &principals {
                    if scope::principal_shape(p) != scope::principal_shape(q) {
                        continue;
                    }
                    for (kind, build) in LOADS {
                        let (sql, values, _) = parts(build(DbBackend::Postgres, p, &ids));
                        let (q_sql, q_values, _) = parts(build(DbBackend::Postgres, q, &ids));
                        assert_eq!(sql, q_sql, "{agency} {kind}");
                        assert_eq!(values, q_values, "{agency} {kind}");
                    }
                }
            }
        }
        // ... and the shape does matter: a jurisdiction limits a police officer's cases.
        let [national, limited, ..] = &shapes(Agency::Police)[..] else {
            unreachable!("four shapes")
        };
        assert_ne!(
            case::by_ids_sql(DbBackend::Postgres, national, &ids).sql,
            case::by_ids_sql(DbBackend::Postgres, limited, &ids).sql
        );
    }

    #[test]
    fn sqlite_always_builds() {
        let p = principal(Agency::Police, "a");
        let ids = [Uuid::now_v7(), Uuid::now_v7()];
        let stmt = statement(DbBackend::Sqlite, "test:sqlite", &p, &ids, |ids| {
            case::by_ids_sql(DbBackend::Sqlite, &p, ids)
        });
        assert_eq!(
            stmt.sql,
            case::by_ids_sql(DbBackend::Sqlite, &p, &ids).sql,
            "SQLite lists the ids in the text"
        );
        assert!(cached("test:sqlite", &p).is_none());
    }

    /// Prepared on PostgreSQL, every load's statement settles on the generic plan instead of
    /// being planned anew for each call (PostgreSQL plans the first five calls for their values
    /// and then keeps the generic plan unless those looked cheaper; with the ids' array in plain
    /// sight, or a branch written `$1 = $2`, they did, and planning cost more than running).
    /// Runs when `CTEX_TEST_DATABASE_URL` names a PostgreSQL server.
    #[tokio::test]
    async fn the_loads_keep_their_generic_plan_on_postgres() {
        // One connection, so that every call finds the statement it prepared before.
        let Some(scratch) = crate::db::ScratchPostgres::create("ctex_plans", 1).await else {
            return;
        };
        let db = &scratch.db;
        let mut custom = Vec::new();
        for agency in Agency::iter() {
            for p in shapes(agency) {
                for (kind, build) in LOADS {
                    let mut sql = String::new();
                    for n in 1..=8 {
                        let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
                        let stmt = build(DbBackend::Postgres, &p, &ids);
                        sql.clone_from(&stmt.sql);
                        db.query_all_raw(stmt).await.expect("load");
                    }
                    let plans = db
                        .query_one_raw(Statement::from_sql_and_values(
                            DbBackend::Postgres,
                            "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
                             WHERE statement = $1",
                            [sql.into()],
                        ))
                        .await
                        .expect("plans")
                        .expect("the statement was prepared");
                    let generic: i64 = plans.try_get("", "generic_plans").expect("generic");
                    let calls: i64 = plans.try_get("", "custom_plans").expect("custom");
                    if generic == 0 {
                        custom.push(format!(
                            "{agency} {kind} {:?}: {calls} custom plans",
                            p.jurisdiction
                        ));
                    }
                }
            }
        }
        scratch.remove().await;
        assert!(custom.is_empty(), "planned for every call: {custom:#?}");
    }
}
