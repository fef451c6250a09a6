//! A mutation's writes, collected before they are sent, so that on PostgreSQL they and the
//! write's audit event go to the database as one statement.
//!
//! A mutation whose writes need nothing read back inside the transaction (new rows get their ids
//! here, version checks only count rows) builds [`Writes`] and hands it to
//! `graphql::write::apply`. On PostgreSQL the steps and the audit stage insert become the
//! data-modifying CTEs of one statement ([`Writes::combined`]): a single statement is its own
//! transaction, so nothing is written unless everything is, and the write costs one round trip
//! instead of `BEGIN`, one per step, the stage insert and `COMMIT`. A step that must change
//! exactly one row (a version check) is guarded in the same statement by a division by its row
//! count, so a stale version aborts the whole statement. A combined statement that PostgreSQL
//! refused (`super::answered_with_error`) rolled back entirely and is answered by running the
//! same steps again in a transaction ([`Writes::run`]), which checks each step in turn and
//! reports the exact error (`CONFLICT` naming the stale row or the taken value). One that got no
//! answer may have committed, and a retry would fail on the ids it wrote, so it is not retried
//! (`graphql::write::apply`). SQLite, which has no data-modifying CTEs, always takes the
//! transaction.
//!
//! A write with no checked step may also answer with a query over the rows it wrote (an insert
//! marked [`Writes::returned`]), so that `openCase` gets its new case as the caller sees it, scope
//! and facts included, from the same statement instead of loading it again afterwards.

use sea_orm::sea_query::{
    Alias, CommonTableExpression, Expr, InsertStatement, Query, SelectStatement, SubQueryStatement,
    UpdateStatement, WithClause, WithQuery,
};
use sea_orm::{ConnectionTrait, DbBackend};

use crate::error::{ApiError, ApiResult};

/// Writes of one mutation, in order.
#[derive(Default)]
pub(crate) struct Writes {
    steps: Vec<Step>,
}

/// An insert or an update.
#[derive(Clone)]
enum Statement {
    Insert(InsertStatement),
    Update(UpdateStatement),
}

/// One write.
struct Step {
    /// The insert or update.
    statement: Statement,
    /// When set, the step must change exactly one row; otherwise it is a `CONFLICT` saying this.
    conflict: Option<String>,
    /// When set, a unique violation of the step is a `CONFLICT` saying this.
    duplicate: Option<String>,
    /// Whether the step's CTE returns its rows (every column) to the main query.
    returned: bool,
}

impl Writes {
    /// Adds an insert; a unique violation is a `CONFLICT` saying `duplicate` when given.
    pub(crate) fn insert(&mut self, statement: InsertStatement, duplicate: Option<String>) {
        self.steps.push(Step {
            statement: Statement::Insert(statement),
            conflict: None,
            duplicate,
            returned: false,
        });
    }

    /// Makes the step added last return every column of its rows to the main query of
    /// [`Writes::combined`], and returns the name its rows go by there.
    pub(crate) fn returned(&mut self) -> String {
        let at = self.steps.len().saturating_sub(1);
        if let Some(step) = self.steps.last_mut() {
            step.returned = true;
        }
        format!("w{at}")
    }

    /// Adds an update that must change exactly one row, else it is a `CONFLICT` saying
    /// `conflict`.
    pub(crate) fn update_one(&mut self, statement: UpdateStatement, conflict: String) {
        self.steps.push(Step {
            statement: Statement::Update(statement),
            conflict: Some(conflict),
            duplicate: None,
            returned: false,
        });
    }

    /// Runs the steps in order through `db` (a transaction), checking each.
    pub(crate) async fn run(&self, db: &impl ConnectionTrait) -> ApiResult<()> {
        for step in &self.steps {
            let done = match &step.statement {
                Statement::Insert(s) => db.execute(s).await,
                Statement::Update(s) => db.execute(s).await,
            }
            .map_err(|err| match &step.duplicate {
                Some(message) if super::is_unique_violation(&err) => {
                    ApiError::Conflict(message.clone())
                }
                _ => err.into(),
            })?;
            if let Some(message) = &step.conflict
                && done.rows_affected() != 1
            {
                return Err(ApiError::Conflict(message.clone()));
            }
        }
        Ok(())
    }

    /// On PostgreSQL: the steps and then `last` (the audit stage insert) as one statement, each a
    /// data-modifying CTE; the main query divides by the row count of each checked step, so a
    /// checked step that changed no row aborts the statement (`division by zero`). When `main`
    /// is given and no step is checked, the main query is `main` instead: a query over the rows
    /// of a [`Writes::returned`] step (the written row as the caller sees it, so the write needs
    /// no second round trip to load it). The second value says whether the statement answers
    /// `main`'s rows. A checked step keeps the guard as the main query: a query over the
    /// written rows would skip the guard whenever it selects nothing.
    pub(crate) fn combined(
        &self,
        last: InsertStatement,
        main: Option<SelectStatement>,
    ) -> (WithQuery, bool) {
        let (with, guard) = self.ctes(last);
        match main {
            Some(main) if !self.steps.iter().any(|s| s.conflict.is_some()) => {
                (main.with(with), true)
            }
            _ => {
                let main: SelectStatement = Query::select().expr(Expr::cust(guard)).to_owned();
                (main.with(with), false)
            }
        }
    }

    /// The steps and `last` as data-modifying CTEs (`w0`, `w1`, ..., `stage`), and the guard
    /// expression over the checked steps' row counts.
    fn ctes(&self, last: InsertStatement) -> (WithClause, String) {
        let mut with = WithClause::new();
        let mut guard = String::from("1");
        for (i, step) in self.steps.iter().enumerate() {
            let name = format!("w{i}");
            let statement: SubQueryStatement = match &step.statement {
                Statement::Insert(s) if step.returned => {
                    s.clone().returning_all().to_owned().into()
                }
                Statement::Insert(s) => s.clone().into(),
                Statement::Update(s) if step.conflict.is_some() => {
                    guard.push_str(&format!(" / (SELECT count(*) FROM \"{name}\")"));
                    let mut s = s.clone();
                    s.returning(Query::returning().expr(Expr::val(1)));
                    s.into()
                }
                Statement::Update(s) if step.returned => {
                    s.clone().returning_all().to_owned().into()
                }
                Statement::Update(s) => s.clone().into(),
            };
            with.cte(
                CommonTableExpression::new()
                    .query(statement)
                    .table_name(Alias::new(name))
                    .to_owned(),
            );
        }
        with.cte(
            CommonTableExpression::new()
                .query(last)
                .table_name(Alias::new("stage"))
                .to_owned(),
        );
        (with, guard)
    }

    /// Whether the backend can take [`Writes::combined`].
    pub(crate) fn combinable(backend: DbBackend) -> bool {
        backend == DbBackend::Postgres
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

    use super::*;
    use crate::audit::{Actor, AuditBuffer, AuditEntity};
    use crate::auth::Principal;
    use crate::domain::Agency;

    fn principal() -> Principal {
        Principal::for_test(Agency::Police, "officer")
    }

    fn new_case(number: &str) -> crate::store::case::NewCase {
        crate::store::case::NewCase {
            case_number: number.into(),
            title: "Tuyển lao động".into(),
            status: "REPORTED".into(),
            province: "40".into(),
            opened_at: crate::store::now(),
            legal_basis: "ART_150".into(),
            transnational: false,
            organized_group: false,
            exploitation_forms: Vec::new(),
            recruitment_methods: Vec::new(),
            recruitment_platforms: Vec::new(),
            countries: Vec::new(),
            handling_code: "H0".into(),
            handling_restriction: None,
            summary: None,
            source_reliability: None,
            information_accuracy: None,
        }
    }

    /// The staging insert of one write event of `id`.
    fn stage(operation: &'static str, ty: &'static str, id: uuid::Uuid) -> InsertStatement {
        let buffer = AuditBuffer::default();
        let entity = AuditEntity {
            ty,
            id,
            person: None,
        };
        buffer.written(operation, entity, vec!["title".into()]);
        let actor = Actor::for_test();
        crate::audit::chain::stage_statement(&actor, buffer.take_writes()).expect("an event")
    }

    /// Runs `writes` with the staging insert `last` as one statement ([`Writes::combined`]).
    async fn one_statement(
        db: &impl ConnectionTrait,
        writes: &Writes,
        last: InsertStatement,
    ) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        db.execute(&writes.combined(last, None).0).await
    }

    async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
        db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("count")
            .expect("a row")
            .try_get_by_index(0)
            .expect("a count")
    }

    /// The writes of `openCase`, `addParty`, `updateCase` and `updateParty` go as one statement
    /// each on PostgreSQL (so a mistake in the combination cannot hide behind the step-by-step
    /// retry), a stale version aborts the whole statement, and step by step the same writes are
    /// a `CONFLICT`. Runs when `CTEX_TEST_DATABASE_URL` names a PostgreSQL server.
    #[tokio::test]
    async fn writes_go_as_one_statement_and_a_stale_version_writes_nothing_on_postgres() {
        let Some(scratch) = crate::db::ScratchPostgres::create("ctex_writes", 2).await else {
            return;
        };
        let db = &scratch.db;
        let p = principal();

        let mut open = Writes::default();
        let case = crate::store::case::insert_into(&mut open, &p, new_case("W-1"));
        one_statement(db, &open, stage("openCase", "Case", case))
            .await
            .expect("openCase's writes as one statement");

        let add = |expected: Option<i32>, name: &str| {
            let mut writes = Writes::default();
            crate::store::case::bump_version_into(&mut writes, case, expected);
            let person = crate::store::person::insert_into(
                &mut writes,
                &p,
                crate::store::person::NewPerson {
                    full_name: name.into(),
                    name_folded: name.to_lowercase(),
                    ..Default::default()
                },
            );
            let party = crate::store::person::insert_party_into(
                &mut writes,
                &p,
                crate::store::person::NewParty {
                    case_id: case,
                    person_id: person,
                    role: "VICTIM".into(),
                    ..Default::default()
                },
                false,
            );
            (writes, party)
        };
        let (writes, first) = add(Some(1), "Lò Thị Mai");
        one_statement(db, &writes, stage("addParty", "CaseParty", first))
            .await
            .expect("addParty's writes as one statement");
        let version = "SELECT version::bigint FROM case_record";
        assert_eq!(count(db, version).await, 2);
        assert_eq!(count(db, "SELECT count(*) FROM person").await, 1);
        assert_eq!(count(db, "SELECT count(*) FROM case_party").await, 1);
        assert_eq!(count(db, "SELECT count(*) FROM audit_stage").await, 2);

        // At a stale version: nothing at all, neither the person nor the party nor the event.
        let (stale, party) = add(Some(1), "Vàng A Sử");
        let refused = one_statement(db, &stale, stage("addParty", "CaseParty", party)).await;
        match &refused {
            Err(err) => assert!(super::super::answered_with_error(err), "{err:?}"),
            Ok(done) => panic!("a stale version was written: {done:?}"),
        }
        // Without an answer (nothing listens there) it is not a refusal: the outcome is unknown.
        let mut nowhere = sea_orm::ConnectOptions::new("postgres://postgres@127.0.0.1:1/none");
        nowhere
            .connect_lazy(true)
            .acquire_timeout(std::time::Duration::from_secs(2));
        let nowhere = sea_orm::Database::connect(nowhere)
            .await
            .expect("a lazy pool");
        let lost = one_statement(&nowhere, &stale, stage("addParty", "CaseParty", party))
            .await
            .expect_err("nothing answers");
        assert!(!super::super::answered_with_error(&lost), "{lost:?}");
        assert_eq!(count(db, version).await, 2);
        assert_eq!(count(db, "SELECT count(*) FROM person").await, 1);
        assert_eq!(count(db, "SELECT count(*) FROM case_party").await, 1);
        assert_eq!(count(db, "SELECT count(*) FROM audit_stage").await, 2);

        // Step by step, the same writes say why.
        let txn = db.begin().await.expect("begin");
        match stale.run(&txn).await {
            Err(ApiError::Conflict(message)) => assert!(message.contains("stale"), "{message}"),
            other => panic!("expected CONFLICT, got {other:?}"),
        }
        txn.rollback().await.expect("rollback");
        // A taken case number, step by step: the insert's own CONFLICT.
        let mut again = Writes::default();
        crate::store::case::insert_into(&mut again, &p, new_case("W-1"));
        match again.run(db).await {
            Err(ApiError::Conflict(message)) => {
                assert_eq!(message, "your agency already has a case numbered W-1");
            }
            other => panic!("expected CONFLICT, got {other:?}"),
        }

        // `openCase` answers with the new case as the caller sees it, from the same statement.
        let mut open = Writes::default();
        let other = crate::store::case::insert_into(&mut open, &p, new_case("W-2"));
        let view = crate::store::case::scoped_over(&p, &open.returned());
        let (statement, answers) = open.combined(stage("openCase", "Case", other), Some(view));
        assert!(answers, "no step is checked");
        let rows = db
            .query_all(&statement)
            .await
            .expect("openCase with its row");
        let row = crate::store::case::written_row(&rows)
            .expect("decodes")
            .expect("the police see their own case");
        assert_eq!((row.row.id, row.row.case_number.as_str()), (other, "W-2"));
        assert_eq!(
            (row.row.version, row.row.lead_agency.as_str()),
            (1, "police")
        );
        assert_eq!(count(db, "SELECT count(*) FROM case_record").await, 2);
        assert_eq!(count(db, "SELECT count(*) FROM audit_stage").await, 3);
        // Out of the caller's scope, the write still happens and answers no row: a border
        // guard limited to another province does not see a case of province 40.
        let mut guard = Principal::for_test(Agency::BorderGuard, "guard");
        guard.jurisdiction = Some(vec!["01".into()]);
        let mut open = Writes::default();
        let unseen = crate::store::case::insert_into(&mut open, &guard, new_case("W-3"));
        let view = crate::store::case::scoped_over(&guard, &open.returned());
        let (statement, _) = open.combined(stage("openCase", "Case", unseen), Some(view));
        let rows = db
            .query_all(&statement)
            .await
            .expect("openCase out of scope");
        assert!(
            crate::store::case::written_row(&rows)
                .expect("decodes")
                .is_none()
        );
        assert_eq!(count(db, "SELECT count(*) FROM case_record").await, 3);
        // With a checked step the guard stays the main query.
        let mut checked = Writes::default();
        crate::store::case::bump_version_into(&mut checked, case, Some(2));
        let view = crate::store::case::scoped_over(&p, "w0");
        let (_, answers) = checked.combined(stage("addParty", "CaseParty", case), Some(view));
        assert!(!answers, "a checked step keeps its guard");

        // `updateCase` and `updateParty` go as one statement too.
        let mut update = Writes::default();
        let title = entities::case::ActiveModel {
            title: sea_orm::Set("Đổi tên".into()),
            ..Default::default()
        };
        crate::store::case::update_into(&mut update, case, 2, title);
        one_statement(db, &update, stage("updateCase", "Case", case))
            .await
            .expect("updateCase's writes as one statement");
        let version = format!("SELECT version::bigint FROM case_record WHERE id = '{case}'");
        assert_eq!(count(db, &version).await, 3);
        let mut update = Writes::default();
        let notes = vec![("health_notes", "ổn định".into())];
        crate::store::update_versioned_into(&mut update, "case_party", "party", first, 1, notes);
        one_statement(db, &update, stage("updateParty", "CaseParty", first))
            .await
            .expect("updateParty's writes as one statement");
        let party_version = "SELECT version::bigint FROM case_party";
        assert_eq!(count(db, party_version).await, 2);
        scratch.remove().await;
    }
}
