//! The demo dataset (`ctex seed --demo`, `ctex serve --demo`): a small, realistic picture of
//! trafficking cases in Vietnamese, drawn from the patterns of the national plans: "light work,
//! high pay" (việc nhẹ lương cao) offers on Facebook and Zalo that end in online-scam compounds
//! in Cambodia, marriage brokerage to China, illegal exit and seasonal labour across the northern
//! border, hotline 111 calls, children, embassy flags, indictments and verdicts.
//!
//! Everything is loaded THROUGH the GraphQL API, in-process, as the agency that would do it in
//! life (police open cases, the procuracy indicts, the court tries, missions flag, social
//! services answer the hotline ...), so the demo goes through the real policy, lifecycles and
//! audit trail: every write is an audit event of its agency, and a step the API refuses stops the
//! load with an error naming the step.
//!
//! Content is fixed (no randomness). Dates are relative to the day of loading, so the demo always
//! looks current: tips over the last eleven months, a referral two days overdue, victims waiting
//! for identification past the 3-day deadline. Every name, number and handle is invented.
//!
//! # Layout
//! [`demo_if_empty`] / [`demo_into_empty`] guard [`demo`], which runs the story in chapters:
//! cases (parties, identifiers, events, identification), embassy flags, justice (indictments,
//! trials, verdicts), rings and links, tips, care (referrals, support), hit/no-hit.
//!
//! This module never logs personal data (it logs counts and the elapsed time only) and never
//! writes to the database except through the API: its only SQL of its own counts cases and, on
//! PostgreSQL, takes an advisory lock so concurrent starts load the demo once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_graphql::{Request, Variables};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, Statement,
    TransactionTrait,
};
use serde_json::{Value, json};

use crate::audit::AuditWriter;
use crate::auth::Principal;
use crate::domain::Agency;
use crate::graphql::{Audience, Limits, RequestCtx};

/// The access purpose recorded with every event of the load.
pub const PURPOSE: &str = "dữ liệu mẫu (demo)";

/// The token subject of every demo request.
pub const SUBJECT: &str = "demo-seed";

/// What the demo loaded.
#[derive(Clone, Debug, Default)]
pub struct DemoReport {
    /// Cases opened.
    pub cases: usize,
    /// Persons recorded (parties and flagged persons).
    pub persons: usize,
    /// Tips recorded.
    pub tips: usize,
    /// Embassy flags raised.
    pub flags: usize,
    /// Referrals sent.
    pub referrals: usize,
    /// GraphQL operations executed.
    pub operations: usize,
    /// How long the load took.
    pub elapsed: Duration,
}

impl std::fmt::Display for DemoReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "demo loaded: {} cases, {} persons, {} tips, {} embassy flags, {} referrals ({} operations in {:.2} s)",
            self.cases,
            self.persons,
            self.tips,
            self.flags,
            self.referrals,
            self.operations,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Loads the demo only when the database holds no case yet (so `serve --demo` can restart
/// safely); returns whether it loaded. The database must be migrated.
pub async fn demo_if_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Ok(demo_into_empty(db).await?.is_some())
}

/// [`demo_if_empty`], returning what was loaded (`None` when the database already held a case).
///
/// On PostgreSQL the check and the load run under an advisory lock, so several `serve --demo`
/// processes starting together on one database load the demo once.
pub async fn demo_into_empty(db: &DatabaseConnection) -> anyhow::Result<Option<DemoReport>> {
    let lock = match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({DEMO_LOCK})"),
            ))
            .await
            .context("locking the demo load")?;
            Some(txn)
        }
        _ => None,
    };
    let cases = entities::case::Entity::find()
        .count(db)
        .await
        .context("counting cases")?;
    if cases > 0 {
        tracing::info!(cases, "database already holds cases: demo not loaded");
        return Ok(None);
    }
    let report = demo(db).await?;
    tracing::info!(
        cases = report.cases,
        persons = report.persons,
        tips = report.tips,
        operations = report.operations,
        elapsed_ms = report.elapsed.as_millis() as u64,
        "demo dataset loaded"
    );
    if let Some(txn) = lock {
        txn.commit().await?;
    }
    Ok(Some(report))
}

/// The PostgreSQL advisory lock key of the demo load.
const DEMO_LOCK: i64 = 7_414_213_563;

/// Loads the demo dataset into a migrated database, as each agency, through the API. Fails
/// naming the step when the API refuses one.
pub async fn demo(db: &DatabaseConnection) -> anyhow::Result<DemoReport> {
    let started = Instant::now();
    let schema = crate::graphql::build(Audience::Full, Limits::default())?;
    let mut seeder = Seeder {
        schema,
        db: db.clone(),
        audit: AuditWriter::spawn(db.clone()),
        today: Utc::now().date_naive(),
        report: DemoReport::default(),
    };
    seeder.load().await?;
    // The demo's write events are sealed into the chain before the load reports done.
    crate::audit::seal(db).await?;
    let mut report = seeder.report;
    report.elapsed = started.elapsed();
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Who acts

/// The agency units acting in the demo.
struct Agents {
    police_na: Arc<Principal>,
    police_ht: Arc<Principal>,
    police_lc: Arc<Principal>,
    police_hn: Arc<Principal>,
    bg_qb: Arc<Principal>,
    bg_lc: Arc<Principal>,
    bg_tn: Arc<Principal>,
    procuracy_na: Arc<Principal>,
    procuracy_ht: Arc<Principal>,
    court_na: Arc<Principal>,
    court_ht: Arc<Principal>,
    mission_pp: Arc<Principal>,
    mission_km: Arc<Principal>,
    mission_kl: Arc<Principal>,
    mission_vt: Arc<Principal>,
    social: Arc<Principal>,
    social_na: Arc<Principal>,
}

fn agent(agency: Agency, unit: &str) -> Arc<Principal> {
    Arc::new(Principal {
        agency,
        subject: SUBJECT.to_string(),
        unit: Some(unit.to_string()),
        jurisdiction: None,
        scopes: Vec::new(),
        purpose: Some(PURPOSE.to_string()),
        token_id: SUBJECT.to_string(),
        issuer: "ctex-demo".to_string(),
        expires_at: i64::MAX,
    })
}

impl Agents {
    fn new() -> Agents {
        Agents {
            police_na: agent(Agency::Police, "pc02-nghe-an"),
            police_ht: agent(Agency::Police, "pc02-ha-tinh"),
            police_lc: agent(Agency::Police, "pc02-lao-cai"),
            police_hn: agent(Agency::Police, "pc02-ha-noi"),
            bg_qb: agent(Agency::BorderGuard, "bdbp-quang-binh"),
            bg_lc: agent(Agency::BorderGuard, "bdbp-lao-cai"),
            bg_tn: agent(Agency::BorderGuard, "bdbp-tay-ninh"),
            procuracy_na: agent(Agency::Procuracy, "vks-nghe-an"),
            procuracy_ht: agent(Agency::Procuracy, "vks-ha-tinh"),
            court_na: agent(Agency::Court, "tand-nghe-an"),
            court_ht: agent(Agency::Court, "tand-ha-tinh"),
            mission_pp: agent(Agency::ForeignAffairs, "dsq-phnom-penh"),
            mission_km: agent(Agency::ForeignAffairs, "tlsq-con-minh"),
            mission_kl: agent(Agency::ForeignAffairs, "dsq-kuala-lumpur"),
            mission_vt: agent(Agency::ForeignAffairs, "dsq-vientiane"),
            social: agent(Agency::SocialServices, "tong-dai-111"),
            social_na: agent(Agency::SocialServices, "ctxh-nghe-an"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The seeder: GraphQL in-process, as a principal

struct Seeder {
    schema: async_graphql::dynamic::Schema,
    db: DatabaseConnection,
    audit: AuditWriter,
    /// The day of loading; every date of the demo is relative to it.
    today: NaiveDate,
    report: DemoReport,
}

/// A party the demo added: its id, its person and the version of its identification.
struct Party {
    id: String,
    person: String,
    version: i64,
}

/// One identifier: kind, value as recorded, platform, verified.
type Ident<'a> = (&'a str, &'a str, Option<&'a str>, bool);

/// One case event: kind, days ago, place, country, description.
type Event<'a> = (&'a str, i64, &'a str, &'a str, &'a str);

impl Seeder {
    /// Runs one operation as `who`, writes its read events like the HTTP layer does, and fails
    /// naming `step` if the response carries any error.
    async fn gql(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        self.report.operations += 1;
        let ctx = Arc::new(RequestCtx::new(
            who.clone(),
            format!("demo-seed-{:04}", self.report.operations),
            "demoSeed".to_string(),
            self.db.clone(),
            self.db.clone(),
        ));
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(ctx.clone());
        let response = self.schema.execute(request).await;
        crate::audit::flush_reads(&self.audit, &ctx)
            .await
            .with_context(|| format!("demo step `{step}`: writing its audit events"))?;
        if !response.errors.is_empty() {
            let errors: Vec<String> = response
                .errors
                .iter()
                .map(|e| {
                    let code = e
                        .extensions
                        .as_ref()
                        .and_then(|x| x.get("code"))
                        .map(|c| c.to_string())
                        .unwrap_or_default();
                    format!("{code} {}", e.message)
                })
                .collect();
            anyhow::bail!(
                "demo step `{step}` ({}) refused: {}",
                who.agency.code(),
                errors.join("; ")
            );
        }
        response
            .data
            .into_json()
            .with_context(|| format!("demo step `{step}`: reading the response"))
    }

    // --- dates ------------------------------------------------------------------------------

    /// `days` days before the day of loading, at `hour`:00 UTC, as RFC 3339.
    fn at(&self, days: i64, hour: u32) -> String {
        let day = self.today - chrono::Duration::days(days);
        let time = day.and_hms_opt(hour.min(23), 0, 0).unwrap_or_default();
        let at: DateTime<Utc> = Utc.from_utc_datetime(&time);
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// `days` days before the day of loading, as `YYYY-MM-DD`.
    fn day(&self, days: i64) -> String {
        (self.today - chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    }

    /// The year `days` days before the day of loading (for case numbers).
    fn year(&self, days: i64) -> i32 {
        (self.today - chrono::Duration::days(days)).year()
    }

    /// The birth date of someone `age` years old on the day of loading, born on `month`/`day`.
    fn born(&self, age: i32, month: u32, day: u32) -> String {
        let mut year = self.today.year() - age;
        if (month, day) > (self.today.month(), self.today.day()) {
            year -= 1;
        }
        NaiveDate::from_ymd_opt(year, month, day)
            .or_else(|| NaiveDate::from_ymd_opt(year, month, 28))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }

    /// A 12-digit citizen identity card number: province code, sex and century digit, year of
    /// birth, serial.
    fn cccd(&self, province: &str, female: bool, age: i32, serial: u32) -> String {
        let year = self.today.year() - age;
        let century = if year >= 2000 { 2 } else { 0 } + u32::from(female);
        format!("{province}{century}{:02}{serial:06}", year % 100)
    }

    // --- writes -------------------------------------------------------------------------------

    async fn open_case(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        input: Value,
    ) -> anyhow::Result<String> {
        let data = self
            .gql(
                who,
                step,
                "mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await?;
        self.report.cases += 1;
        string(&data["openCase"]["id"], step)
    }

    async fn party(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        input: Value,
    ) -> anyhow::Result<Party> {
        let new_person = input.get("person").is_some();
        let data = self
            .gql(
                who,
                step,
                "mutation($i: AddPartyInput!) { addParty(input: $i) { id version person { id } } }",
                json!({ "i": input }),
            )
            .await?;
        if new_person {
            self.report.persons += 1;
        }
        let p = &data["addParty"];
        Ok(Party {
            id: string(&p["id"], step)?,
            person: string(&p["person"]["id"], step)?,
            version: p["version"].as_i64().unwrap_or(1),
        })
    }

    async fn identifiers(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        person: &str,
        idents: &[Ident<'_>],
    ) -> anyhow::Result<()> {
        for (kind, value, platform, verified) in idents {
            self.gql(
                who,
                step,
                "mutation($i: AddIdentifierInput!) { addIdentifier(input: $i) { id } }",
                json!({ "i": { "personId": person, "kind": kind, "value": value,
                    "platform": platform, "verified": verified } }),
            )
            .await?;
        }
        Ok(())
    }

    async fn events(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        case: &str,
        events: &[Event<'_>],
    ) -> anyhow::Result<()> {
        for (kind, days, place, country, description) in events {
            let occurred = self.day(*days);
            self.gql(
                who,
                step,
                "mutation($i: AddCaseEventInput!) { addCaseEvent(input: $i) { id } }",
                json!({ "i": { "caseId": case, "kind": kind, "place": place, "country": country,
                    "occurredOn": occurred, "description": description } }),
            )
            .await?;
        }
        Ok(())
    }

    /// Moves a victim's identification through `to` (each a move from the previous state).
    async fn identify(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        party: &mut Party,
        moves: &[(&str, &str)],
    ) -> anyhow::Result<()> {
        for (to, reason) in moves {
            let data = self
                .gql(
                    who,
                    step,
                    "mutation($i: MoveIdentificationInput!) { moveIdentification(input: $i) { version } }",
                    json!({ "i": { "partyId": party.id, "version": party.version, "to": to, "reason": reason } }),
                )
                .await?;
            party.version = data["moveIdentification"]["version"]
                .as_i64()
                .unwrap_or(party.version + 1);
        }
        Ok(())
    }

    async fn move_case(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        case: &str,
        to: &str,
        reason: &str,
    ) -> anyhow::Result<()> {
        let data = self
            .gql(
                who,
                step,
                "query($id: ID!) { case(id: $id) { version } }",
                json!({ "id": case }),
            )
            .await?;
        let version = data["case"]["version"].as_i64().unwrap_or(1);
        self.gql(
            who,
            step,
            "mutation($i: MoveCaseInput!) { moveCase(input: $i) { version } }",
            json!({ "i": { "id": case, "version": version, "to": to, "reason": reason } }),
        )
        .await?;
        Ok(())
    }

    async fn indict(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        input: Value,
    ) -> anyhow::Result<()> {
        self.gql(
            who,
            step,
            "mutation($i: FileIndictmentInput!) { fileIndictment(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await?;
        Ok(())
    }

    async fn verdict(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        input: Value,
    ) -> anyhow::Result<()> {
        self.gql(
            who,
            step,
            "mutation($i: RecordVerdictInput!) { recordVerdict(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await?;
        Ok(())
    }

    /// Creates a ring; returns its id and version.
    async fn network(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        input: Value,
        members: &[(&str, &str)],
    ) -> anyhow::Result<(String, i64)> {
        let data = self
            .gql(
                who,
                step,
                "mutation($i: CreateNetworkInput!) { createNetwork(input: $i) { id version } }",
                json!({ "i": input }),
            )
            .await?;
        let id = string(&data["createNetwork"]["id"], step)?;
        let mut version = data["createNetwork"]["version"].as_i64().unwrap_or(1);
        for (person, role) in members {
            let data = self
                .gql(
                    who,
                    step,
                    "mutation($i: AddNetworkMemberInput!) { addNetworkMember(input: $i) { version } }",
                    json!({ "i": { "networkId": id, "personId": person, "role": role } }),
                )
                .await?;
            version = data["addNetworkMember"]["version"]
                .as_i64()
                .unwrap_or(version);
        }
        Ok((id, version))
    }

    async fn link(&mut self, who: &Arc<Principal>, step: &str, input: Value) -> anyhow::Result<()> {
        self.gql(
            who,
            step,
            "mutation($i: LinkCasesInput!) { linkCases(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await?;
        Ok(())
    }

    /// Raises an embassy flag; returns its id, version and person.
    async fn flag(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        input: Value,
    ) -> anyhow::Result<(String, i64, String)> {
        let data = self
            .gql(
                who,
                step,
                "mutation($i: FlagSuspectedVictimInput!) { flagSuspectedVictim(input: $i) { id version person { id } } }",
                json!({ "i": input }),
            )
            .await?;
        self.report.flags += 1;
        self.report.persons += 1;
        let f = &data["flagSuspectedVictim"];
        Ok((
            string(&f["id"], step)?,
            f["version"].as_i64().unwrap_or(1),
            string(&f["person"]["id"], step)?,
        ))
    }

    /// One flag operation (`requestIdentityVerification`, `recordIdentityVerification`,
    /// `moveFlag`); returns the new version.
    async fn flag_op(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        operation: &str,
        input: Value,
    ) -> anyhow::Result<i64> {
        let ty = match operation {
            "requestIdentityVerification" => "FlagRefInput",
            "recordIdentityVerification" => "RecordIdentityVerificationInput",
            _ => "MoveFlagInput",
        };
        let query = format!("mutation($i: {ty}!) {{ {operation}(input: $i) {{ version }} }}");
        let data = self.gql(who, step, &query, json!({ "i": input })).await?;
        data[operation]["version"]
            .as_i64()
            .with_context(|| format!("demo step `{step}`: no version in the answer"))
    }

    /// Sends a referral; returns its id and version.
    async fn refer(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        input: Value,
    ) -> anyhow::Result<(String, i64)> {
        let data = self
            .gql(
                who,
                step,
                "mutation($i: SendReferralInput!) { sendReferral(input: $i) { id version } }",
                json!({ "i": input }),
            )
            .await?;
        self.report.referrals += 1;
        Ok((
            string(&data["sendReferral"]["id"], step)?,
            data["sendReferral"]["version"].as_i64().unwrap_or(1),
        ))
    }

    /// Answers a referral (`acceptReferral`, `declineReferral`, `completeReferral`); returns the
    /// new version.
    async fn answer(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        operation: &str,
        id: &str,
        version: i64,
        reason: Option<&str>,
    ) -> anyhow::Result<i64> {
        let query = format!(
            "mutation($i: AnswerReferralInput!) {{ {operation}(input: $i) {{ version }} }}"
        );
        let data = self
            .gql(
                who,
                step,
                &query,
                json!({ "i": { "id": id, "version": version, "reason": reason } }),
            )
            .await?;
        data[operation]["version"]
            .as_i64()
            .with_context(|| format!("demo step `{step}`: no version in the answer"))
    }

    async fn support(
        &mut self,
        who: &Arc<Principal>,
        step: &str,
        input: Value,
    ) -> anyhow::Result<()> {
        self.gql(
            who,
            step,
            "mutation($i: AddSupportServiceInput!) { addSupportService(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await?;
        Ok(())
    }

    // --- the story ----------------------------------------------------------------------------

    async fn load(&mut self) -> anyhow::Result<()> {
        let a = Agents::new();
        let cases = self.cases(&a).await?;
        let flags = self.flags(&a, &cases).await?;
        self.justice(&a, &cases).await?;
        self.rings(&a, &cases).await?;
        self.tips(&a, &cases).await?;
        self.care(&a, &cases, &flags).await?;
        self.hits(&a).await?;
        Ok(())
    }
}

/// The ids the later chapters of the story need.
struct Cases {
    /// NA: "light work, high pay" ring to Sihanoukville (closed after verdicts).
    c1: String,
    /// HT: Hà Tĩnh youths sold to a Bavet compound (on trial).
    c2: String,
    /// NA: a Thái girl under 16 sold as a bride in Yunnan (prosecution).
    c3: String,
    /// HT: marriage brokerage to Hebei (adjudicated, one appeal).
    c4: String,
    /// QB, border guard: illegal exit through Cha Lo to Thai fishing boats.
    c5: String,
    /// LC, border guard: H'Mông and Dao women led across the border at Bát Xát.
    c6: String,
    /// LC: seasonal labour wage dispute (dismissed).
    c7: String,
    /// HN: a woman forced into prostitution in Kuala Lumpur (just reported).
    c8: String,
    /// NA: a 16-year-old in a Sihanoukville compound (H1, under investigation).
    c9: String,
    // Persons.
    manh: String,
    anh: String,
    dung_hue: String,
    thang: String,
    xuan: String,
    thu: String,
    hang: String,
    truong_vi: String,
    dinh: String,
    chu: String,
    oanh: String,
    hoai: String,
    mai: String,
    my: String,
    may: String,
    ngoc: String,
}

impl Seeder {
    // =========================================================================================
    // Chapter 1: cases, parties, identifiers, events, identification
    // =========================================================================================

    async fn cases(&mut self, a: &Agents) -> anyhow::Result<Cases> {
        let na = a.police_na.clone();
        let ht = a.police_ht.clone();

        // --- C1 Nghệ An: "việc nhẹ lương cao" to Sihanoukville ---------------------------------
        let step = "C1 Nghệ An: mở vụ án";
        let c1 = self
            .open_case(&na, step, json!({
                "caseNumber": format!("NA-{}-014", self.year(320)),
                "title": "Đường dây tuyển lao động \"việc nhẹ lương cao\" qua Facebook, bán người sang Sihanoukville (Campuchia)",
                "province": "40",
                "openedAt": self.at(320, 9),
                "legalBasis": "ART_150",
                "transnational": true,
                "organizedGroup": true,
                "exploitationForms": ["FORCED_LABOUR"],
                "recruitmentMethods": ["ONLINE_JOB_OFFER", "ILLEGAL_EXIT"],
                "recruitmentPlatforms": ["Facebook", "Zalo", "Telegram"],
                "countries": ["KH"],
                "summary": "Nhóm đối tượng do Trần Đức Mạnh (Mạnh Cam) cầm đầu đăng tin tuyển \"nhân viên chăm sóc khách hàng, lương 1.500 USD/tháng, bao ăn ở, không cần kinh nghiệm\" trên các trang Facebook, trao đổi qua Zalo và Telegram. Người ứng tuyển được hẹn tại bến xe Vinh, đưa vào TP. Hồ Chí Minh rồi vượt biên trái phép qua đường mòn ở Tây Ninh, bán cho một khu lừa đảo trực tuyến ở Sihanoukville với giá 1.000–1.500 USD/người. Nạn nhân bị thu hộ chiếu, ép làm việc 14–16 giờ/ngày, bị đánh khi không đạt chỉ tiêu; gia đình bị đòi 3.000 USD tiền chuộc. Số điện thoại môi giới 0912.555.086 (Zalo) xuất hiện cả trong vụ ở Hà Tĩnh.",
                "sourceReliability": "A",
                "informationAccuracy": 1,
                "idempotencyKey": "demo-c1"
            }))
            .await?;
        let step = "C1: nạn nhân và đối tượng";
        let mut hoai = self
            .party(&na, step, json!({
                "caseId": c1, "role": "VICTIM", "ageAtExploitation": 22, "consentToShare": true,
                "receivedAt": self.at(300, 10),
                "protectionMeasures": ["Giữ bí mật thông tin cá nhân của nạn nhân"],
                "person": { "fullName": "Nguyễn Thị Hoài", "dateOfBirth": self.born(23, 3, 14), "sex": "FEMALE",
                    "ethnicity": "Kinh", "nationality": "VN", "nationalId": self.cccd("040", true, 23, 214759),
                    "address": "xã Diễn Hồng, huyện Diễn Châu, Nghệ An", "phone": "0386 214 759" }
            }))
            .await?;
        let mut tai = self
            .party(&na, step, json!({
                "caseId": c1, "role": "VICTIM", "ageAtExploitation": 25, "consentToShare": true,
                "receivedAt": self.at(300, 14),
                "person": { "fullName": "Phan Văn Tài", "dateOfBirth": self.born(26, 8, 2), "sex": "MALE",
                    "ethnicity": "Kinh", "nationality": "VN", "nationalId": self.cccd("040", false, 26, 803112),
                    "address": "xã Công Thành, huyện Yên Thành, Nghệ An", "phone": "+84 977 803 112" }
            }))
            .await?;
        let mut quan = self
            .party(&na, step, json!({
                "caseId": c1, "role": "VICTIM", "ageAtExploitation": 19, "consentToShare": true,
                "receivedAt": self.at(298, 9),
                "person": { "fullName": "Lữ Văn Quân", "dateOfBirth": self.born(20, 11, 30), "sex": "MALE",
                    "ethnicity": "Thái", "nationality": "VN",
                    "address": "xã Châu Hạnh, huyện Quỳ Châu, Nghệ An", "phone": "0354-617-920" }
            }))
            .await?;
        let manh = self
            .party(&na, step, json!({
                "caseId": c1, "role": "SUSPECT", "suspectRole": "ORGANIZER", "arrestStatus": "DETAINED",
                "person": { "fullName": "Trần Đức Mạnh", "aliases": ["Mạnh Cam"], "dateOfBirth": self.born(38, 6, 19),
                    "sex": "MALE", "ethnicity": "Kinh", "nationality": "VN", "nationalId": self.cccd("040", false, 38, 339215),
                    "address": "phường Hưng Dũng, TP. Vinh, Nghệ An", "phone": "0868 339 215" }
            }))
            .await?;
        let anh = self
            .party(&na, step, json!({
                "caseId": c1, "role": "SUSPECT", "suspectRole": "RECRUITER", "arrestStatus": "ARRESTED",
                "person": { "fullName": "Hồ Thị Ngọc Ánh", "dateOfBirth": self.born(31, 1, 7), "sex": "FEMALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Nghi Phú, TP. Vinh, Nghệ An",
                    "phone": "0935 118 604" }
            }))
            .await?;
        let dung_na = self
            .party(&na, step, json!({
                "caseId": c1, "role": "SUSPECT", "suspectRole": "BROKER", "arrestStatus": "WANTED",
                "person": { "fullName": "Dũng", "aliases": ["Dũng Zalo"], "sex": "MALE", "nationality": "VN",
                    "phone": "0912.555.086" }
            }))
            .await?;
        let step = "C1: định danh";
        self.identifiers(
            &na,
            step,
            &manh.person,
            &[
                ("PHONE", "0868 339 215", None, true),
                ("BANK_ACCOUNT", "1903 6628 4410 17", None, true),
            ],
        )
        .await?;
        self.identifiers(
            &na,
            step,
            &anh.person,
            &[
                ("PHONE", "0935 118 604", None, true),
                (
                    "SOCIAL_MEDIA",
                    "https://www.facebook.com/tuyendung.cskh.luongcao",
                    None,
                    true,
                ),
            ],
        )
        .await?;
        self.identifiers(
            &na,
            step,
            &dung_na.person,
            &[
                ("PHONE", "0912.555.086", None, false),
                ("SOCIAL_MEDIA", "0912555086", Some("Zalo"), false),
            ],
        )
        .await?;
        self.identifiers(
            &na,
            step,
            &hoai.person,
            &[("PHONE", "0386 214 759", None, true)],
        )
        .await?;
        let step = "C1: diễn biến";
        self.events(&na, step, &c1, &[
            ("RECRUITMENT", 340, "Bến xe Vinh, Nghệ An", "VN", "Nạn nhân ứng tuyển qua trang Facebook \"Tuyển dụng CSKH lương cao\", được hẹn gặp tại bến xe và mua vé đi TP. Hồ Chí Minh."),
            ("TRANSIT", 337, "Đường mòn khu vực Mộc Bài, Tây Ninh", "VN", "Vượt biên trái phép bằng xe máy vào ban đêm, có người dẫn đường."),
            ("EXPLOITATION", 335, "Sihanoukville, tỉnh Preah Sihanouk", "KH", "Bị thu hộ chiếu, ép lừa đảo đầu tư tiền ảo qua mạng, bị đánh khi không đạt chỉ tiêu."),
        ])
        .await?;
        let step = "C1: xác định nạn nhân";
        for party in [&mut hoai, &mut tai, &mut quan] {
            self.identify(
                &na,
                step,
                party,
                &[
                    ("VERIFYING", "Lấy lời khai, đối chiếu giấy tờ"),
                    (
                        "IDENTIFIED",
                        "Xác định là nạn nhân theo Luật Phòng, chống mua bán người 2024",
                    ),
                ],
            )
            .await?;
        }

        // --- C2 Hà Tĩnh: Bavet compound, the same broker ---------------------------------------
        let step = "C2 Hà Tĩnh: mở vụ án";
        let c2 = self
            .open_case(&ht, step, json!({
                "caseNumber": format!("HT-{}-031", self.year(250)),
                "title": "Lừa đưa thanh niên Hà Tĩnh sang Bavet, bán vào khu lừa đảo trực tuyến",
                "province": "42",
                "openedAt": self.at(250, 8),
                "legalBasis": "ART_150",
                "transnational": true,
                "organizedGroup": true,
                "exploitationForms": ["FORCED_LABOUR"],
                "recruitmentMethods": ["ONLINE_JOB_OFFER", "FAMILY_OR_ACQUAINTANCE"],
                "recruitmentPlatforms": ["Zalo", "Facebook"],
                "countries": ["KH"],
                "summary": "Lê Quang Dũng (Dũng Zalo) rủ thanh niên trong vùng đi làm \"nhân viên nhập liệu\" ở Campuchia, lương 20–25 triệu đồng/tháng, bao vé xe. Nguyễn Văn Thắng chở người bằng ô tô 38A-215.67 vào Tây Ninh rồi giao cho người dẫn đường qua biên giới. Các nạn nhân bị bán cho một công ty cờ bạc trực tuyến ở Bavet, bị giữ hộ chiếu, ép làm việc và đòi 2.500 USD \"tiền bồi thường hợp đồng\". Số 0912 555 086 trùng với số môi giới trong vụ ở Nghệ An.",
                "sourceReliability": "B",
                "informationAccuracy": 2,
                "idempotencyKey": "demo-c2"
            }))
            .await?;
        let step = "C2: nạn nhân và đối tượng";
        let dung = self
            .party(&ht, step, json!({
                "caseId": c2, "role": "SUSPECT", "suspectRole": "BROKER", "arrestStatus": "ARRESTED",
                "person": { "fullName": "Lê Quang Dũng", "aliases": ["Dũng Zalo"], "dateOfBirth": self.born(36, 9, 23),
                    "sex": "MALE", "ethnicity": "Kinh", "nationality": "VN", "nationalId": self.cccd("042", false, 36, 555086),
                    "address": "xã Phúc Trạch, huyện Hương Khê, Hà Tĩnh", "phone": "+84 912 555 086" }
            }))
            .await?;
        let thang = self
            .party(&ht, step, json!({
                "caseId": c2, "role": "SUSPECT", "suspectRole": "TRANSPORTER", "arrestStatus": "ARRESTED",
                "person": { "fullName": "Nguyễn Văn Thắng", "dateOfBirth": self.born(38, 4, 11), "sex": "MALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Kỳ Tân, huyện Kỳ Anh, Hà Tĩnh",
                    "phone": "0916 204 733" }
            }))
            .await?;
        let mut hau = self
            .party(&ht, step, json!({
                "caseId": c2, "role": "VICTIM", "ageAtExploitation": 17, "consentToShare": true,
                "receivedAt": self.at(240, 15),
                "protectionMeasures": ["Giữ bí mật danh tính", "Có người đại diện hợp pháp tham gia tố tụng"],
                "person": { "fullName": "Trần Văn Hậu", "dateOfBirth": self.born(17, 12, 5), "sex": "MALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Hương Trạch, huyện Hương Khê, Hà Tĩnh",
                    "phone": "0971 330 852" }
            }))
            .await?;
        let mut mai = self
            .party(&ht, step, json!({
                "caseId": c2, "role": "VICTIM", "ageAtExploitation": 21, "consentToShare": true,
                "receivedAt": self.at(238, 9),
                "person": { "fullName": "Đậu Thị Mai", "dateOfBirth": self.born(22, 5, 27), "sex": "FEMALE",
                    "ethnicity": "Kinh", "nationality": "VN", "nationalId": self.cccd("042", true, 22, 118306),
                    "address": "phường Sông Trí, thị xã Kỳ Anh, Hà Tĩnh", "phone": "0399 118 306" }
            }))
            .await?;
        let step = "C2: định danh";
        self.identifiers(
            &ht,
            step,
            &dung.person,
            &[
                ("PHONE", "+84 912 555 086", None, true),
                ("SOCIAL_MEDIA", "0912555086", Some("Zalo"), true),
                (
                    "NATIONAL_ID",
                    &self.cccd("042", false, 36, 555086),
                    None,
                    true,
                ),
            ],
        )
        .await?;
        self.identifiers(
            &ht,
            step,
            &thang.person,
            &[
                ("VEHICLE_PLATE", "38A-215.67", None, true),
                ("PHONE", "0916 204 733", None, true),
            ],
        )
        .await?;
        let step = "C2: diễn biến";
        self.events(&ht, step, &c2, &[
            ("RECRUITMENT", 270, "Huyện Hương Khê, Hà Tĩnh", "VN", "Đối tượng là người quen, nhắn tin Zalo mời đi làm nhập liệu ở Campuchia, hứa bao vé xe."),
            ("TRANSIT", 266, "Huyện Bến Cầu, Tây Ninh", "VN", "Được chở bằng ô tô đến gần biên giới, giao cho người dẫn đường."),
            ("EXPLOITATION", 264, "Bavet, tỉnh Svay Rieng", "KH", "Bị bán cho công ty cờ bạc trực tuyến, giữ hộ chiếu, đòi 2.500 USD để được về."),
        ])
        .await?;
        let step = "C2: xác định nạn nhân";
        for party in [&mut hau, &mut mai] {
            self.identify(
                &ht,
                step,
                party,
                &[
                    ("VERIFYING", "Tiếp nhận từ Đồn Biên phòng cửa khẩu"),
                    ("IDENTIFIED", "Xác định là nạn nhân"),
                ],
            )
            .await?;
        }

        // --- C3 Nghệ An: a girl under 16 sold as a bride (the flag comes later) ----------------
        let step = "C3 Nghệ An: mở vụ án";
        let c3 = self
            .open_case(&na, step, json!({
                "caseNumber": format!("NA-{}-022", self.year(200)),
                "title": "Mua bán người dưới 16 tuổi: học sinh người Thái ở Kỳ Sơn bị đưa sang Trung Quốc làm vợ",
                "province": "40",
                "openedAt": self.at(200, 10),
                "legalBasis": "ART_151",
                "transnational": true,
                "organizedGroup": false,
                "exploitationForms": ["FORCED_MARRIAGE"],
                "recruitmentMethods": ["FAMILY_OR_ACQUAINTANCE", "ILLEGAL_EXIT"],
                "recruitmentPlatforms": ["TikTok", "Facebook"],
                "countries": ["CN"],
                "summary": "Lô Thị Xuân, người cùng bản, làm quen với em học sinh lớp 9 qua TikTok, rủ đi \"làm thuê ở Móng Cái lương 8 triệu/tháng\", đưa lên Lào Cai bằng xe khách rồi qua sông ở khu vực Bát Xát sang Hà Khẩu, bán cho một người đàn ông ở Vân Nam làm vợ với giá 60.000 NDT. Tổng Lãnh sự quán tại Côn Minh phối hợp với công an sở tại giải cứu nạn nhân.",
                "sourceReliability": "A",
                "informationAccuracy": 2,
                "idempotencyKey": "demo-c3"
            }))
            .await?;
        let xuan = self
            .party(&na, "C3: đối tượng", json!({
                "caseId": c3, "role": "SUSPECT", "suspectRole": "RECRUITER", "arrestStatus": "DETAINED",
                "person": { "fullName": "Lô Thị Xuân", "dateOfBirth": self.born(45, 2, 16), "sex": "FEMALE",
                    "ethnicity": "Thái", "nationality": "VN", "address": "xã Mường Lống, huyện Kỳ Sơn, Nghệ An",
                    "phone": "0327 845 961" }
            }))
            .await?;
        self.identifiers(
            &na,
            "C3: định danh",
            &xuan.person,
            &[
                ("PHONE", "0327 845 961", None, true),
                ("SOCIAL_MEDIA", "@xuan.lo.kyson", Some("TikTok"), false),
            ],
        )
        .await?;
        self.events(
            &na,
            "C3: diễn biến",
            &c3,
            &[
                (
                    "RECRUITMENT",
                    215,
                    "Xã Mường Lống, huyện Kỳ Sơn, Nghệ An",
                    "VN",
                    "Làm quen qua TikTok, hứa việc làm ở Móng Cái.",
                ),
                (
                    "TRANSIT",
                    212,
                    "Huyện Bát Xát, Lào Cai",
                    "VN",
                    "Qua sông Hồng bằng thuyền vào ban đêm sang Hà Khẩu.",
                ),
                (
                    "EXPLOITATION",
                    210,
                    "Châu Văn Sơn, tỉnh Vân Nam",
                    "CN",
                    "Bị bán làm vợ, bị giữ trong nhà, không được liên lạc với gia đình.",
                ),
            ],
        )
        .await?;

        // --- C4 Hà Tĩnh: marriage brokerage to Hebei -----------------------------------------
        let step = "C4 Hà Tĩnh: mở vụ án";
        let c4 = self
            .open_case(&ht, step, json!({
                "caseNumber": format!("HT-{}-019", self.year(300)),
                "title": "Môi giới kết hôn trái phép, bán phụ nữ sang Hà Bắc (Trung Quốc)",
                "province": "42",
                "openedAt": self.at(300, 9),
                "legalBasis": "ART_150",
                "transnational": true,
                "organizedGroup": true,
                "exploitationForms": ["FORCED_MARRIAGE"],
                "recruitmentMethods": ["MARRIAGE_BROKERAGE", "ONLINE_JOB_OFFER"],
                "recruitmentPlatforms": ["Facebook", "Zalo"],
                "countries": ["CN"],
                "summary": "Đặng Thị Thu (Thu Tàu), lấy chồng Trung Quốc từ năm 2010, về quê lập nhóm Facebook \"Lấy chồng Hán – đổi đời\" giới thiệu phụ nữ nghèo sang Hà Bắc kết hôn, hứa gia đình nhận 50–80 triệu đồng. Võ Thị Hằng tìm người ở các xã ven biển. Nạn nhân được đưa qua cửa khẩu Móng Cái bằng giấy thông hành du lịch, giao cho Trương Vĩ nhận 120.000–150.000 NDT/người từ các gia đình ở Hàm Đan.",
                "sourceReliability": "A",
                "informationAccuracy": 1,
                "idempotencyKey": "demo-c4"
            }))
            .await?;
        let step = "C4: nạn nhân và đối tượng";
        let thu = self
            .party(&ht, step, json!({
                "caseId": c4, "role": "SUSPECT", "suspectRole": "BROKER", "arrestStatus": "DETAINED",
                "person": { "fullName": "Đặng Thị Thu", "aliases": ["Thu Tàu"], "dateOfBirth": self.born(44, 10, 3),
                    "sex": "FEMALE", "ethnicity": "Kinh", "nationality": "VN",
                    "address": "xã Cẩm Bình, huyện Cẩm Xuyên, Hà Tĩnh", "phone": "0869 442 137" }
            }))
            .await?;
        let hang = self
            .party(&ht, step, json!({
                "caseId": c4, "role": "SUSPECT", "suspectRole": "RECRUITER", "arrestStatus": "ARRESTED",
                "person": { "fullName": "Võ Thị Hằng", "dateOfBirth": self.born(34, 7, 21), "sex": "FEMALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Thạch Kim, huyện Lộc Hà, Hà Tĩnh" }
            }))
            .await?;
        let truong_vi = self
            .party(&ht, step, json!({
                "caseId": c4, "role": "SUSPECT", "suspectRole": "ORGANIZER", "arrestStatus": "WANTED",
                "person": { "fullName": "Trương Vĩ", "dateOfBirth": self.born(47, 1, 25), "sex": "MALE",
                    "ethnicity": "Hán", "nationality": "CN", "address": "Hàm Đan, tỉnh Hà Bắc, Trung Quốc" }
            }))
            .await?;
        let mut thao = self
            .party(&ht, step, json!({
                "caseId": c4, "role": "VICTIM", "ageAtExploitation": 20, "consentToShare": true,
                "receivedAt": self.at(280, 10),
                "person": { "fullName": "Nguyễn Thị Thảo", "dateOfBirth": self.born(21, 4, 4), "sex": "FEMALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Cẩm Quang, huyện Cẩm Xuyên, Hà Tĩnh" }
            }))
            .await?;
        let mut huong = self
            .party(&ht, step, json!({
                "caseId": c4, "role": "VICTIM", "ageAtExploitation": 23, "consentToShare": true,
                "receivedAt": self.at(279, 14),
                "person": { "fullName": "Lê Thị Hương", "dateOfBirth": self.born(24, 9, 9), "sex": "FEMALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Thạch Hải, huyện Thạch Hà, Hà Tĩnh" }
            }))
            .await?;
        self.identifiers(
            &ht,
            "C4: định danh",
            &thu.person,
            &[
                ("PHONE", "0869 442 137", None, true),
                (
                    "SOCIAL_MEDIA",
                    "facebook.com/laychonghan.doidoi",
                    None,
                    true,
                ),
            ],
        )
        .await?;
        self.events(
            &ht,
            "C4: diễn biến",
            &c4,
            &[
                (
                    "RECRUITMENT",
                    330,
                    "Xã Cẩm Quang, huyện Cẩm Xuyên, Hà Tĩnh",
                    "VN",
                    "Gia đình được hứa 60 triệu đồng tiền \"sính lễ\".",
                ),
                (
                    "TRANSIT",
                    325,
                    "Cửa khẩu quốc tế Móng Cái, Quảng Ninh",
                    "VN",
                    "Xuất cảnh bằng giấy thông hành du lịch.",
                ),
                (
                    "EXPLOITATION",
                    320,
                    "Hàm Đan, tỉnh Hà Bắc",
                    "CN",
                    "Bị ép kết hôn, bị giữ giấy tờ.",
                ),
            ],
        )
        .await?;
        for party in [&mut thao, &mut huong] {
            self.identify(
                &ht,
                "C4: xác định nạn nhân",
                party,
                &[
                    ("VERIFYING", "Tiếp nhận sau khi được trao trả"),
                    ("IDENTIFIED", "Xác định là nạn nhân"),
                ],
            )
            .await?;
        }

        // --- C5 Quảng Bình, border guard: Cha Lo and Thai fishing boats ------------------------
        let bg = a.bg_qb.clone();
        let step = "C5 Quảng Bình (biên phòng): mở vụ án";
        let c5 = self
            .open_case(&bg, step, json!({
                "caseNumber": format!("BP-QB-{}-007", self.year(120)),
                "title": "Tổ chức cho ngư dân xuất cảnh trái phép qua cửa khẩu Cha Lo, cưỡng bức lao động trên tàu cá Thái Lan",
                "province": "44",
                "openedAt": self.at(120, 7),
                "legalBasis": "ART_150",
                "transnational": true,
                "organizedGroup": true,
                "exploitationForms": ["FORCED_LABOUR"],
                "recruitmentMethods": ["ILLEGAL_EXIT", "SEASONAL_LABOUR", "ONLINE_JOB_OFFER"],
                "recruitmentPlatforms": ["Zalo"],
                "countries": ["LA", "TH"],
                "summary": "Hoàng Văn Lực rủ ngư dân và thanh niên dân tộc thiểu số ở Minh Hóa, Bố Trạch đi \"làm tàu cá Thái Lan, 12 triệu/tháng, đi theo mùa\", liên lạc với một người tên Dũng qua Zalo 0912 555 086. Nhóm được đưa qua cửa khẩu Cha Lo sang Lào, vượt sông Mê Kông sang Nakhon Phanom rồi giao cho chủ tàu ở Songkhla; bị giữ giấy tờ, làm việc không lương, không được lên bờ.",
                "sourceReliability": "B",
                "informationAccuracy": 2,
                "idempotencyKey": "demo-c5"
            }))
            .await?;
        let step = "C5: nạn nhân và đối tượng";
        let luc = self
            .party(&bg, step, json!({
                "caseId": c5, "role": "SUSPECT", "suspectRole": "RECRUITER", "arrestStatus": "DETAINED",
                "person": { "fullName": "Hoàng Văn Lực", "dateOfBirth": self.born(40, 3, 3), "sex": "MALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Hóa Tiến, huyện Minh Hóa, Quảng Bình",
                    "phone": "0814 229 675" }
            }))
            .await?;
        let dung_qb = self
            .party(&bg, step, json!({
                "caseId": c5, "role": "SUSPECT", "suspectRole": "BROKER", "arrestStatus": "AT_LARGE",
                "person": { "fullName": "Dũng", "aliases": ["anh Dũng tuyển tàu"], "sex": "MALE", "phone": "(+84) 912-555-086" }
            }))
            .await?;
        let mut thiet = self
            .party(&bg, step, json!({
                "caseId": c5, "role": "VICTIM", "ageAtExploitation": 28, "consentToShare": true,
                "receivedAt": self.at(110, 16),
                "person": { "fullName": "Hồ Văn Thiết", "dateOfBirth": self.born(29, 6, 1), "sex": "MALE",
                    "ethnicity": "Bru-Vân Kiều", "nationality": "VN", "address": "xã Trường Sơn, huyện Quảng Ninh, Quảng Bình" }
            }))
            .await?;
        let mut binh = self
            .party(&bg, step, json!({
                "caseId": c5, "role": "VICTIM", "ageAtExploitation": 33, "consentToShare": true,
                "receivedAt": self.at(110, 17),
                "person": { "fullName": "Cao Xuân Bình", "dateOfBirth": self.born(33, 2, 8), "sex": "MALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Hải Trạch, huyện Bố Trạch, Quảng Bình",
                    "phone": "0944 670 318" }
            }))
            .await?;
        let mut hoa = self
            .party(&bg, step, json!({
                "caseId": c5, "role": "VICTIM", "ageAtExploitation": 24, "consentToShare": true,
                "receivedAt": self.at(9, 8),
                "person": { "fullName": "Đinh Văn Hòa", "dateOfBirth": self.born(25, 10, 14), "sex": "MALE",
                    "ethnicity": "Chứt", "nationality": "VN", "address": "xã Dân Hóa, huyện Minh Hóa, Quảng Bình" }
            }))
            .await?;
        let step = "C5: định danh";
        self.identifiers(
            &bg,
            step,
            &luc.person,
            &[("PHONE", "0814 229 675", None, true)],
        )
        .await?;
        self.identifiers(
            &bg,
            step,
            &dung_qb.person,
            &[
                ("PHONE", "(+84) 912-555-086", None, false),
                ("SOCIAL_MEDIA", "+84 912 555 086", Some("zalo"), false),
            ],
        )
        .await?;
        self.events(
            &bg,
            "C5: diễn biến",
            &c5,
            &[
                (
                    "RECRUITMENT",
                    150,
                    "Xã Hóa Tiến, huyện Minh Hóa, Quảng Bình",
                    "VN",
                    "Rủ đi làm tàu cá theo mùa, liên lạc qua Zalo.",
                ),
                (
                    "TRANSIT",
                    146,
                    "Cửa khẩu quốc tế Cha Lo, Quảng Bình",
                    "VN",
                    "Xuất cảnh sang Lào bằng giấy thông hành, không khai mục đích lao động.",
                ),
                (
                    "TRANSIT",
                    144,
                    "Nakhon Phanom",
                    "TH",
                    "Vượt sông Mê Kông bằng thuyền, không qua cửa khẩu.",
                ),
                (
                    "EXPLOITATION",
                    140,
                    "Cảng cá Songkhla",
                    "TH",
                    "Bị giữ giấy tờ, làm việc không lương trên tàu cá.",
                ),
            ],
        )
        .await?;
        let step = "C5: xác định nạn nhân";
        for party in [&mut thiet, &mut binh] {
            self.identify(
                &bg,
                step,
                party,
                &[
                    (
                        "VERIFYING",
                        "Tiếp nhận tại Đồn Biên phòng cửa khẩu quốc tế Cha Lo",
                    ),
                    ("IDENTIFIED", "Xác định là nạn nhân"),
                ],
            )
            .await?;
        }
        self.identify(
            &bg,
            step,
            &mut hoa,
            &[("VERIFYING", "Đang xác minh với gia đình tại Dân Hóa")],
        )
        .await?;
        self.move_case(
            &bg,
            "C5: khởi tố, điều tra",
            &c5,
            "UNDER_INVESTIGATION",
            "Quyết định khởi tố vụ án",
        )
        .await?;

        // --- C6 Lào Cai, border guard: women led across at Bát Xát ----------------------------
        let bg = a.bg_lc.clone();
        let step = "C6 Lào Cai (biên phòng): mở vụ án";
        let c6 = self
            .open_case(&bg, step, json!({
                "caseNumber": format!("BP-LC-{}-012", self.year(60)),
                "title": "Giải cứu phụ nữ H'Mông, Dao bị dẫn qua đường mòn Bát Xát sang Trung Quốc",
                "province": "10",
                "openedAt": self.at(60, 6),
                "legalBasis": "ART_150",
                "transnational": true,
                "organizedGroup": true,
                "exploitationForms": ["FORCED_MARRIAGE", "SEXUAL_EXPLOITATION"],
                "recruitmentMethods": ["SEASONAL_LABOUR", "ILLEGAL_EXIT", "FAMILY_OR_ACQUAINTANCE"],
                "recruitmentPlatforms": ["Facebook", "Zalo"],
                "countries": ["CN"],
                "summary": "Tổ công tác Đồn Biên phòng Y Tý phát hiện Giàng A Dính dẫn ba phụ nữ đi đường mòn gần biên giới lúc 2 giờ sáng. Các nạn nhân được Vàng Seo Chứ hứa đưa sang Trung Quốc \"bóc chuối, chặt mía theo mùa, 300 tệ/ngày\"; theo lời khai, người nhận bên kia biên giới sẽ bán họ làm vợ hoặc vào quán karaoke.",
                "sourceReliability": "A",
                "informationAccuracy": 1,
                "idempotencyKey": "demo-c6"
            }))
            .await?;
        let step = "C6: nạn nhân và đối tượng";
        let dinh = self
            .party(&bg, step, json!({
                "caseId": c6, "role": "SUSPECT", "suspectRole": "TRANSPORTER", "arrestStatus": "ARRESTED",
                "person": { "fullName": "Giàng A Dính", "dateOfBirth": self.born(33, 5, 5), "sex": "MALE",
                    "ethnicity": "H'Mông", "nationality": "VN", "address": "xã Y Tý, huyện Bát Xát, Lào Cai",
                    "phone": "0397 552 018" }
            }))
            .await?;
        let chu = self
            .party(&bg, step, json!({
                "caseId": c6, "role": "SUSPECT", "suspectRole": "RECRUITER", "arrestStatus": "AT_LARGE",
                "person": { "fullName": "Vàng Seo Chứ", "dateOfBirth": self.born(41, 12, 12), "sex": "MALE",
                    "ethnicity": "H'Mông", "nationality": "VN", "address": "xã Sán Chải, huyện Si Ma Cai, Lào Cai" }
            }))
            .await?;
        let mut my = self
            .party(&bg, step, json!({
                "caseId": c6, "role": "VICTIM", "ageAtExploitation": 19, "consentToShare": true,
                "receivedAt": self.at(59, 3),
                "person": { "fullName": "Thào Thị Mỷ", "dateOfBirth": self.born(20, 2, 20), "sex": "FEMALE",
                    "ethnicity": "H'Mông", "nationality": "VN", "address": "xã A Mú Sung, huyện Bát Xát, Lào Cai",
                    "phone": "0365 207 441" }
            }))
            .await?;
        let mut may = self
            .party(&bg, step, json!({
                "caseId": c6, "role": "VICTIM", "ageAtExploitation": 17, "consentToShare": true,
                "receivedAt": self.at(59, 3),
                "person": { "fullName": "Triệu Thị Mẩy", "dateOfBirth": self.born(17, 8, 8), "sex": "FEMALE",
                    "ethnicity": "Dao", "nationality": "VN", "address": "xã Tả Phìn, thị xã Sa Pa, Lào Cai" }
            }))
            .await?;
        let mut do_ = self
            .party(&bg, step, json!({
                "caseId": c6, "role": "VICTIM", "ageAtExploitation": 21, "consentToShare": true,
                "receivedAt": self.at(5, 9),
                "person": { "fullName": "Sùng Thị Dợ", "dateOfBirth": self.born(21, 11, 2), "sex": "FEMALE",
                    "ethnicity": "H'Mông", "nationality": "VN", "address": "xã Bản Mế, huyện Si Ma Cai, Lào Cai" }
            }))
            .await?;
        self.identifiers(
            &bg,
            "C6: định danh",
            &dinh.person,
            &[
                ("PHONE", "0397 552 018", None, true),
                ("SOCIAL_MEDIA", "0397552018", Some("Zalo"), true),
            ],
        )
        .await?;
        self.events(
            &bg,
            "C6: diễn biến",
            &c6,
            &[
                (
                    "RECRUITMENT",
                    63,
                    "Chợ phiên Bắc Hà, Lào Cai",
                    "VN",
                    "Được hứa việc làm thời vụ bên kia biên giới, 300 tệ/ngày.",
                ),
                (
                    "TRANSIT",
                    60,
                    "Đường mòn gần cột mốc biên giới, xã Y Tý, huyện Bát Xát",
                    "VN",
                    "Bị phát hiện và giải cứu khi đang được dẫn qua biên giới.",
                ),
            ],
        )
        .await?;
        self.identify(
            &bg,
            "C6: xác định nạn nhân",
            &mut my,
            &[
                ("VERIFYING", "Tiếp nhận tại Đồn Biên phòng Y Tý"),
                ("IDENTIFIED", "Xác định là nạn nhân"),
            ],
        )
        .await?;
        // A child's identity is beyond the border guard (DESIGN §5.3): police identify her.
        self.identify(
            &a.police_lc,
            "C6: công an xác định nạn nhân là trẻ em",
            &mut may,
            &[
                ("VERIFYING", "Tiếp nhận tại Đồn Biên phòng Y Tý"),
                (
                    "IDENTIFIED",
                    "Xác định là nạn nhân; là trẻ em, đã thông báo cơ quan bảo vệ trẻ em",
                ),
            ],
        )
        .await?;
        self.identify(
            &bg,
            "C6: xác định nạn nhân",
            &mut do_,
            &[("VERIFYING", "Đang xác minh với chính quyền xã Bản Mế")],
        )
        .await?;
        self.move_case(
            &bg,
            "C6: khởi tố, điều tra",
            &c6,
            "UNDER_INVESTIGATION",
            "Quyết định khởi tố vụ án",
        )
        .await?;

        // --- C7 Lào Cai: seasonal labour, not trafficking (dismissed) ---------------------------
        let lc = a.police_lc.clone();
        let c7 = self
            .open_case(&lc, "C7 Lào Cai: tiếp nhận tin báo", json!({
                "caseNumber": format!("LC-{}-045", self.year(140)),
                "title": "Tin báo lao động thời vụ bị giữ lương tại vườn mía ở Hà Khẩu",
                "province": "10",
                "openedAt": self.at(140, 10),
                "legalBasis": "ART_150",
                "transnational": true,
                "exploitationForms": ["FORCED_LABOUR"],
                "recruitmentMethods": ["SEASONAL_LABOUR"],
                "countries": ["CN"],
                "summary": "Thanh niên H'Mông ở Mường Khương gọi về báo bị chủ vườn mía giữ lương ba tháng. Xác minh: tự nguyện đi làm thuê, đi lại tự do, không bị khống chế; tranh chấp tiền công.",
                "sourceReliability": "C",
                "informationAccuracy": 3,
                "idempotencyKey": "demo-c7"
            }))
            .await?;
        let mut sung = self
            .party(&lc, "C7: người cần xác minh", json!({
                "caseId": c7, "role": "PERSON_UNDER_IDENTIFICATION", "ageAtExploitation": 28, "consentToShare": true,
                "receivedAt": self.at(138, 9),
                "person": { "fullName": "Vàng A Sùng", "dateOfBirth": self.born(29, 4, 17), "sex": "MALE",
                    "ethnicity": "H'Mông", "nationality": "VN", "address": "xã Pha Long, huyện Mường Khương, Lào Cai" }
            }))
            .await?;
        self.identify(
            &lc,
            "C7: xác minh",
            &mut sung,
            &[
                ("VERIFYING", "Lấy lời khai sau khi về nước"),
                (
                    "NOT_A_VICTIM",
                    "Tự nguyện đi làm thuê, không bị khống chế; tranh chấp tiền công",
                ),
            ],
        )
        .await?;
        self.move_case(&lc, "C7: không khởi tố", &c7, "DISMISSED",
            "Không có dấu hiệu tội phạm mua bán người; chuyển Sở Lao động – Thương binh và Xã hội giải quyết tranh chấp tiền công")
            .await?;

        // --- C8 Hà Nội: Kuala Lumpur, just reported ------------------------------------------
        let hn = a.police_hn.clone();
        let c8 = self
            .open_case(&hn, "C8 Hà Nội: tiếp nhận tin báo", json!({
                "caseNumber": format!("HN-{}-088", self.year(9)),
                "title": "Phụ nữ bị lừa sang Malaysia làm phục vụ nhà hàng, bị ép bán dâm",
                "province": "01",
                "openedAt": self.at(9, 15),
                "legalBasis": "ART_150",
                "transnational": true,
                "exploitationForms": ["SEXUAL_EXPLOITATION"],
                "recruitmentMethods": ["ONLINE_JOB_OFFER"],
                "recruitmentPlatforms": ["Facebook", "Telegram"],
                "countries": ["MY"],
                "summary": "Gia đình trình báo: con gái được Đỗ Mạnh Cường tuyển qua Facebook đi làm phục vụ nhà hàng ở Kuala Lumpur, lương 25 triệu đồng/tháng; sang đến nơi bị giữ hộ chiếu, ép bán dâm để trả \"nợ\" 4.000 USD.",
                "sourceReliability": "B",
                "informationAccuracy": 3,
                "idempotencyKey": "demo-c8"
            }))
            .await?;
        let ngoc = self
            .party(&hn, "C8: nạn nhân", json!({
                "caseId": c8, "role": "VICTIM", "ageAtExploitation": 27, "consentToShare": true,
                "receivedAt": self.at(6, 10),
                "person": { "fullName": "Bùi Thị Ngọc", "dateOfBirth": self.born(27, 6, 30), "sex": "FEMALE",
                    "ethnicity": "Mường", "nationality": "VN", "address": "phường Phú Lãm, quận Hà Đông, Hà Nội",
                    "phone": "0989 461 207" }
            }))
            .await?;
        let cuong = self
            .party(&hn, "C8: đối tượng", json!({
                "caseId": c8, "role": "SUSPECT", "suspectRole": "BROKER", "arrestStatus": "AT_LARGE",
                "person": { "fullName": "Đỗ Mạnh Cường", "dateOfBirth": self.born(35, 3, 29), "sex": "MALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "phường Định Công, quận Hoàng Mai, Hà Nội" }
            }))
            .await?;
        self.identifiers(
            &hn,
            "C8: định danh",
            &cuong.person,
            &[
                ("EMAIL", "cuong.vieclam.my@gmail.com", None, false),
                (
                    "SOCIAL_MEDIA",
                    "@vieclam_malay_luongcao",
                    Some("Telegram"),
                    false,
                ),
            ],
        )
        .await?;

        // --- C9 Nghệ An: a 16-year-old in Sihanoukville (H1; the flag comes later) -------------
        let c9 = self
            .open_case(&na, "C9 Nghệ An: mở vụ án", json!({
                "caseNumber": format!("NA-{}-057", self.year(45)),
                "title": "Thiếu niên người Thái ở Quế Phong bị lừa sang Campuchia làm \"game thủ\"",
                "province": "40",
                "openedAt": self.at(45, 9),
                "legalBasis": "ART_150",
                "transnational": true,
                "organizedGroup": true,
                "exploitationForms": ["FORCED_LABOUR"],
                "recruitmentMethods": ["ONLINE_JOB_OFFER"],
                "recruitmentPlatforms": ["TikTok", "Facebook"],
                "countries": ["LA", "KH"],
                "handlingCode": "H1",
                "summary": "Bà ngoại gọi Tổng đài 111 báo cháu 16 tuổi theo bạn đi \"làm game thủ, lương 15 triệu\" do một tài khoản TikTok tên Oanh Campuchia tuyển, nay bị đòi 40 triệu đồng tiền chuộc. Tuyến đi: cửa khẩu Nậm Cắn sang Lào, rồi vào Campuchia. Thông tin từ Đại sứ quán tại Campuchia, chưa dùng cho tố tụng khi chưa được đơn vị chủ quản đồng ý (H1).",
                "sourceReliability": "B",
                "informationAccuracy": 2,
                "idempotencyKey": "demo-c9"
            }))
            .await?;
        let oanh = self
            .party(&na, "C9: đối tượng", json!({
                "caseId": c9, "role": "SUSPECT", "suspectRole": "RECRUITER", "arrestStatus": "WANTED",
                "person": { "fullName": "Nguyễn Thị Kim Oanh", "aliases": ["Oanh Campuchia"], "dateOfBirth": self.born(29, 11, 11),
                    "sex": "FEMALE", "ethnicity": "Kinh", "nationality": "VN", "address": "phường Quán Bàu, TP. Vinh, Nghệ An" }
            }))
            .await?;
        self.identifiers(
            &na,
            "C9: định danh",
            &oanh.person,
            &[
                ("SOCIAL_MEDIA", "@oanh.vieclam.kh", Some("TikTok"), false),
                ("PHONE", "+855 97 612 4408", None, false),
            ],
        )
        .await?;
        let mut tuan = self
            .party(&na, "C9: nạn nhân", json!({
                "caseId": c9, "role": "VICTIM", "ageAtExploitation": 20, "consentToShare": true,
                "receivedAt": self.at(20, 11),
                "person": { "fullName": "Kha Văn Tuấn", "dateOfBirth": self.born(21, 7, 7), "sex": "MALE",
                    "ethnicity": "Thái", "nationality": "VN", "address": "xã Tiền Phong, huyện Quế Phong, Nghệ An" }
            }))
            .await?;
        self.identify(
            &na,
            "C9: xác định nạn nhân",
            &mut tuan,
            &[
                ("VERIFYING", "Tiếp nhận khi hồi hương"),
                ("IDENTIFIED", "Xác định là nạn nhân"),
            ],
        )
        .await?;
        self.events(
            &na,
            "C9: diễn biến",
            &c9,
            &[
                (
                    "RECRUITMENT",
                    60,
                    "Huyện Quế Phong, Nghệ An",
                    "VN",
                    "Tuyển qua TikTok \"làm game thủ, lương 15 triệu\".",
                ),
                (
                    "TRANSIT",
                    57,
                    "Cửa khẩu quốc tế Nậm Cắn, Nghệ An",
                    "VN",
                    "Xuất cảnh sang Lào bằng giấy thông hành.",
                ),
                (
                    "EXPLOITATION",
                    52,
                    "Sihanoukville, tỉnh Preah Sihanouk",
                    "KH",
                    "Ép lừa đảo qua mạng, bị đánh khi không đạt chỉ tiêu.",
                ),
            ],
        )
        .await?;
        self.move_case(
            &na,
            "C9: khởi tố, điều tra",
            &c9,
            "UNDER_INVESTIGATION",
            "Quyết định khởi tố vụ án",
        )
        .await?;

        // --- C10 Hà Nội: "models" to Thailand and Myawaddy (suspended, H3) ---------------------
        let c10 = self
            .open_case(&hn, "C10 Hà Nội: mở vụ án", json!({
                "caseNumber": format!("HN-{}-061", self.year(180)),
                "title": "Tuyển \"người mẫu, hướng dẫn viên du lịch\" sang Thái Lan rồi đưa qua Myawaddy (Myanmar)",
                "province": "01",
                "openedAt": self.at(180, 14),
                "legalBasis": "ART_150",
                "transnational": true,
                "organizedGroup": true,
                "exploitationForms": ["SEXUAL_EXPLOITATION", "FORCED_LABOUR"],
                "recruitmentMethods": ["ONLINE_JOB_OFFER"],
                "recruitmentPlatforms": ["Telegram", "TikTok"],
                "countries": ["TH", "MM"],
                "handlingCode": "H3",
                "handlingRestriction": "Chỉ dùng cho công tác phòng ngừa; trao đổi với Cục Cảnh sát hình sự trước khi đưa vào hồ sơ tố tụng.",
                "summary": "Vũ Hoàng Long điều hành kênh Telegram tuyển \"người mẫu ảnh, hướng dẫn viên du lịch Thái Lan, 2.000 USD/tháng\". Nạn nhân bay sang Bangkok, được đưa đến Mae Sot rồi qua sông Moei sang Myawaddy, bị ép lừa đảo và tiếp khách.",
                "sourceReliability": "C",
                "informationAccuracy": 3,
                "idempotencyKey": "demo-c10"
            }))
            .await?;
        let long = self
            .party(&hn, "C10: đối tượng", json!({
                "caseId": c10, "role": "SUSPECT", "suspectRole": "ORGANIZER", "arrestStatus": "WANTED",
                "person": { "fullName": "Vũ Hoàng Long", "dateOfBirth": self.born(35, 8, 18), "sex": "MALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "phường Dịch Vọng, quận Cầu Giấy, Hà Nội" }
            }))
            .await?;
        self.identifiers(
            &hn,
            "C10: định danh",
            &long.person,
            &[
                ("PASSPORT", "C7284619", None, true),
                ("SOCIAL_MEDIA", "https://t.me/mau_anh_thailan", None, false),
            ],
        )
        .await?;
        let mut quynh = self
            .party(&hn, "C10: nạn nhân", json!({
                "caseId": c10, "role": "VICTIM", "ageAtExploitation": 23, "consentToShare": true,
                "receivedAt": self.at(175, 10),
                "person": { "fullName": "Phạm Thị Quỳnh", "dateOfBirth": self.born(24, 1, 31), "sex": "FEMALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "phường Quang Trung, TP. Thanh Hóa, Thanh Hóa" }
            }))
            .await?;
        self.identify(
            &hn,
            "C10: xác định nạn nhân",
            &mut quynh,
            &[
                ("VERIFYING", "Lấy lời khai"),
                ("IDENTIFIED", "Xác định là nạn nhân"),
            ],
        )
        .await?;
        self.move_case(
            &hn,
            "C10: khởi tố, điều tra",
            &c10,
            "UNDER_INVESTIGATION",
            "Quyết định khởi tố vụ án",
        )
        .await?;
        self.move_case(
            &hn,
            "C10: tạm đình chỉ",
            &c10,
            "SUSPENDED",
            "Bị can bỏ trốn ra nước ngoài; đã ra quyết định truy nã",
        )
        .await?;

        Ok(Cases {
            c1,
            c2,
            c3,
            c4,
            c5,
            c6,
            c7,
            c8,
            c9,
            manh: manh.person,
            anh: anh.person,
            dung_hue: dung.person,
            thang: thang.person,
            xuan: xuan.person,
            thu: thu.person,
            hang: hang.person,
            truong_vi: truong_vi.person,
            dinh: dinh.person,
            chu: chu.person,
            oanh: oanh.person,
            hoai: hoai.person,
            mai: mai.person,
            my: my.person,
            may: may.person,
            ngoc: ngoc.person,
        })
    }
}

/// A string out of a response, or an error naming the step.
fn string(value: &Value, step: &str) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("demo step `{step}`: no id in the answer"))
}

/// The flags the care chapter closes, and the persons they brought in.
struct Flags {
    /// Côn Minh's flag of the girl of C3 (handed over; social services close it).
    con_minh: (String, i64),
    /// The girl of C3.
    lan: String,
    /// The boy of C9, flagged by Phnom Penh.
    khanh: String,
}

/// One tip: days ago, hour, channel, province, urgency, potential victims, summary, what
/// became of it.
type TipRow<'a> = (
    i64,
    u32,
    &'a str,
    &'a str,
    &'a str,
    i64,
    &'a str,
    Outcome<'a>,
);

/// What became of a tip.
#[derive(Clone, Copy)]
enum Outcome<'a> {
    /// Still open, as received.
    Received,
    /// Being verified.
    Verifying,
    /// Forwarded to an agency.
    Forwarded(&'a str),
    /// Verified, then a case was opened.
    CaseOpened(&'a str),
    /// Forwarded to an agency, which opened a case.
    ForwardedThenCase(&'a str, &'a str),
    /// Unfounded, with the reason.
    Unfounded(&'a str),
}

impl Seeder {
    // =========================================================================================
    // Chapter 2: embassy flags, identity verification, rescue, repatriation, handover
    // =========================================================================================

    async fn flags(&mut self, a: &Agents, c: &Cases) -> anyhow::Result<Flags> {
        // --- Côn Minh: the girl of C3 -----------------------------------------------------------
        let step = "Cờ Côn Minh: báo trẻ em nghi bị mua bán";
        let (f3, mut v3, lan) = self
            .flag(&a.mission_km, step, json!({
                "mission": "Tổng Lãnh sự quán Việt Nam tại Côn Minh",
                "hostCountry": "CN",
                "location": "Trung tâm cứu trợ châu Văn Sơn, tỉnh Vân Nam",
                "circumstances": "Bé gái khoảng 15 tuổi, nói tiếng Thái và tiếng Việt, bị bán làm vợ; công an sở tại phát hiện khi kiểm tra hộ khẩu. Không có giấy tờ tùy thân; em khai quê ở Kỳ Sơn, Nghệ An.",
                "urgency": "CRITICAL",
                "caseId": c.c3,
                "idempotencyKey": "demo-flag-con-minh",
                "person": { "fullName": "Vi Thị Lan", "dateOfBirth": self.born(15, 3, 1), "sex": "FEMALE",
                    "ethnicity": "Thái", "nationality": "VN", "address": "bản Huồi Giảng, xã Mường Lống, huyện Kỳ Sơn, Nghệ An" }
            }))
            .await?;
        v3 = self
            .flag_op(
                &a.mission_km,
                step,
                "requestIdentityVerification",
                json!({ "id": f3, "version": v3 }),
            )
            .await?;
        let step = "Cờ Côn Minh: công an xác minh nhân thân";
        v3 = self
            .flag_op(&a.police_na, step, "recordIdentityVerification", json!({ "id": f3, "version": v3, "confirmed": true,
                "result": "Khớp với trình báo mất tích của gia đình tại Công an xã Mường Lống và hồ sơ học sinh; đề nghị bảo hộ, đón về." }))
            .await?;
        let mut lan_party = self
            .party(&a.police_na, "C3: tiếp nhận nạn nhân từ cờ Côn Minh", json!({
                "caseId": c.c3, "personId": lan, "role": "VICTIM", "ageAtExploitation": 15, "consentToShare": false,
                "receivedAt": self.at(190, 10),
                "protectionMeasures": ["Xét xử kín", "Giữ bí mật danh tính, hình ảnh", "Bố trí nơi tạm lánh"]
            }))
            .await?;
        self.identify(
            &a.police_na,
            "C3: xác định nạn nhân",
            &mut lan_party,
            &[
                ("VERIFYING", "Tiếp nhận khi được trao trả tại cửa khẩu"),
                ("IDENTIFIED", "Xác định là nạn nhân dưới 16 tuổi"),
            ],
        )
        .await?;
        let step = "Cờ Côn Minh: giải cứu, hồi hương";
        v3 = self
            .flag_op(
                &a.mission_km,
                step,
                "moveFlag",
                json!({ "id": f3, "version": v3, "to": "RESCUED",
                "reason": "Tiếp nhận từ trung tâm cứu trợ, bố trí nơi ở tạm tại trụ sở" }),
            )
            .await?;
        v3 = self
            .flag_op(
                &a.mission_km,
                step,
                "moveFlag",
                json!({ "id": f3, "version": v3, "to": "REPATRIATED",
                "reason": "Cấp giấy thông hành, trao trả qua cửa khẩu Hà Khẩu – Lào Cai" }),
            )
            .await?;
        v3 = self
            .flag_op(&a.bg_lc, "Cờ Côn Minh: bàn giao tại cửa khẩu", "moveFlag", json!({ "id": f3, "version": v3,
                "to": "HANDED_OVER", "reason": "Tiếp nhận tại cửa khẩu quốc tế Lào Cai, bàn giao Công an tỉnh Nghệ An và cơ quan bảo trợ xã hội" }))
            .await?;

        // --- Phnom Penh: the boy of C9, through to handover ---------------------------------------
        let step = "Cờ Phnom Penh: báo thiếu niên trốn khỏi khu lừa đảo";
        let (f1, mut v1, khanh) = self
            .flag(&a.mission_pp, step, json!({
                "mission": "Đại sứ quán Việt Nam tại Campuchia",
                "hostCountry": "KH",
                "location": "Đồn cảnh sát thành phố Sihanoukville, tỉnh Preah Sihanouk",
                "circumstances": "Thiếu niên khoảng 16 tuổi trốn khỏi một khu lừa đảo trực tuyến, được người dân đưa đến đồn cảnh sát sở tại. Khai bị bán với giá 2.000 USD, bị đánh khi không đạt chỉ tiêu, bị thu điện thoại và giấy tờ.",
                "urgency": "CRITICAL",
                "caseId": c.c9,
                "idempotencyKey": "demo-flag-phnom-penh-1",
                "person": { "fullName": "Lương Văn Khánh", "dateOfBirth": self.born(16, 5, 19), "sex": "MALE",
                    "ethnicity": "Thái", "nationality": "VN", "address": "xã Châu Kim, huyện Quế Phong, Nghệ An" }
            }))
            .await?;
        v1 = self
            .flag_op(
                &a.mission_pp,
                step,
                "requestIdentityVerification",
                json!({ "id": f1, "version": v1 }),
            )
            .await?;
        v1 = self
            .flag_op(&a.police_na, "Cờ Phnom Penh: công an xác minh nhân thân", "recordIdentityVerification", json!({
                "id": f1, "version": v1, "confirmed": true,
                "result": "Khớp với thông tin bà ngoại trình báo qua Tổng đài 111 và dữ liệu dân cư; là người dưới 18 tuổi, đề nghị bảo hộ khẩn cấp." }))
            .await?;
        let mut khanh_party = self
            .party(&a.police_na, "C9: tiếp nhận nạn nhân từ cờ Phnom Penh", json!({
                "caseId": c.c9, "personId": khanh, "role": "VICTIM", "ageAtExploitation": 16, "consentToShare": true,
                "receivedAt": self.at(30, 15),
                "protectionMeasures": ["Giữ bí mật danh tính", "Có người đại diện hợp pháp tham gia tố tụng"]
            }))
            .await?;
        self.identify(
            &a.police_na,
            "C9: xác định nạn nhân",
            &mut khanh_party,
            &[
                ("VERIFYING", "Lấy lời khai khi về nước, có người giám hộ"),
                ("IDENTIFIED", "Xác định là nạn nhân, là trẻ em"),
            ],
        )
        .await?;
        let step = "Cờ Phnom Penh: giải cứu, hồi hương";
        v1 = self
            .flag_op(
                &a.mission_pp,
                step,
                "moveFlag",
                json!({ "id": f1, "version": v1, "to": "RESCUED",
                "reason": "Tiếp nhận từ cảnh sát sở tại, bố trí nơi ở tạm" }),
            )
            .await?;
        v1 = self
            .flag_op(
                &a.mission_pp,
                step,
                "moveFlag",
                json!({ "id": f1, "version": v1, "to": "REPATRIATED",
                "reason": "Cấp giấy thông hành, đưa về qua cửa khẩu quốc tế Mộc Bài" }),
            )
            .await?;
        self.flag_op(&a.bg_tn, "Cờ Phnom Penh: bàn giao tại cửa khẩu", "moveFlag", json!({ "id": f1, "version": v1,
            "to": "HANDED_OVER", "reason": "Tiếp nhận tại cửa khẩu quốc tế Mộc Bài, bàn giao đại diện Công an tỉnh Nghệ An và gia đình" }))
            .await?;

        // --- Phnom Penh: an adult in Bavet, waiting for police ----------------------------------
        let step = "Cờ Phnom Penh: người lao động bị giữ ở Bavet";
        let (f2, v2, _) = self
            .flag(&a.mission_pp, step, json!({
                "mission": "Đại sứ quán Việt Nam tại Campuchia",
                "hostCountry": "KH",
                "location": "Bavet, tỉnh Svay Rieng",
                "circumstances": "Gọi đường dây nóng bảo hộ công dân: bị giữ hộ chiếu tại một công ty cờ bạc trực tuyến, bị ép chuyển sang công ty khác nếu không nộp 3.000 USD. Cho biết quê ở Hà Tĩnh, đi theo lời rủ của người quen.",
                "urgency": "HIGH",
                "caseId": c.c2,
                "idempotencyKey": "demo-flag-phnom-penh-2",
                "person": { "fullName": "Nguyễn Văn Đức", "dateOfBirth": self.born(25, 2, 14), "sex": "MALE",
                    "ethnicity": "Kinh", "nationality": "VN", "address": "xã Kỳ Tây, huyện Kỳ Anh, Hà Tĩnh", "phone": "+855 88 403 1172" }
            }))
            .await?;
        self.flag_op(
            &a.mission_pp,
            step,
            "requestIdentityVerification",
            json!({ "id": f2, "version": v2 }),
        )
        .await?;

        // --- Kuala Lumpur: the woman of C8, just flagged --------------------------------------
        self.flag(&a.mission_kl, "Cờ Kuala Lumpur: phụ nữ bị ép bán dâm", json!({
            "mission": "Đại sứ quán Việt Nam tại Malaysia",
            "hostCountry": "MY",
            "location": "Khu Bukit Bintang, Kuala Lumpur",
            "circumstances": "Nhắn tin qua trang Facebook của Đại sứ quán: bị giữ hộ chiếu trong một căn hộ, bị ép tiếp khách để trả nợ 4.000 USD. Có thể bị chuyển đi nơi khác trong vài ngày.",
            "urgency": "HIGH",
            "caseId": c.c8,
            "idempotencyKey": "demo-flag-kuala-lumpur",
            "person": { "fullName": "Bùi Thị Ngọc", "dateOfBirth": self.born(27, 6, 30), "sex": "FEMALE", "nationality": "VN" }
        }))
        .await?;

        // --- Vientiane: unfounded --------------------------------------------------------------
        let step = "Cờ Viêng Chăn: mất liên lạc";
        let (f5, v5, _) = self
            .flag(&a.mission_vt, step, json!({
                "mission": "Đại sứ quán Việt Nam tại Lào",
                "hostCountry": "LA",
                "location": "Công trường thủy điện, tỉnh Bolikhamxay",
                "circumstances": "Gia đình báo mất liên lạc hai tháng với người thân đi làm thuê tại công trường.",
                "urgency": "MEDIUM",
                "idempotencyKey": "demo-flag-vientiane",
                "person": { "fullName": "Lò Văn Minh", "dateOfBirth": self.born(31, 9, 1), "sex": "MALE",
                    "ethnicity": "Thái", "nationality": "VN", "address": "xã Chiềng Khoi, huyện Yên Châu, Sơn La" }
            }))
            .await?;
        self.flag_op(&a.mission_vt, step, "moveFlag", json!({ "id": f5, "version": v5, "to": "UNFOUNDED",
            "reason": "Đã liên lạc được; tự nguyện làm việc, được trả lương, điện thoại bị hỏng. Không có dấu hiệu bị mua bán." }))
            .await?;

        Ok(Flags {
            con_minh: (f3, v3),
            lan,
            khanh,
        })
    }

    // =========================================================================================
    // Chapter 3: investigation, indictments, trials, verdicts
    // =========================================================================================

    async fn justice(&mut self, a: &Agents, c: &Cases) -> anyhow::Result<()> {
        let opened = "Quyết định khởi tố vụ án, khởi tố bị can";
        let to_trial = "Quyết định đưa vụ án ra xét xử sơ thẩm";
        for (who, case) in [
            (&a.police_na, &c.c1),
            (&a.police_ht, &c.c2),
            (&a.police_na, &c.c3),
            (&a.police_ht, &c.c4),
        ] {
            self.move_case(
                who,
                "Khởi tố, điều tra",
                case,
                "UNDER_INVESTIGATION",
                opened,
            )
            .await?;
        }

        // C1: indicted, tried, closed.
        let vks_na = "Viện kiểm sát nhân dân tỉnh Nghệ An";
        let tand_na = "Tòa án nhân dân tỉnh Nghệ An";
        self.indict(&a.procuracy_na, "C1: truy tố", json!({ "caseId": c.c1, "defendantId": c.manh, "office": vks_na,
            "filedAt": self.at(200, 9), "idempotencyKey": "demo-c1-indict-manh",
            "charges": [{ "article": "150", "clause": "2", "point": "a" }, { "article": "150", "clause": "2", "point": "d" }] }))
            .await?;
        self.indict(
            &a.procuracy_na,
            "C1: truy tố",
            json!({ "caseId": c.c1, "defendantId": c.anh, "office": vks_na,
            "filedAt": self.at(200, 9), "idempotencyKey": "demo-c1-indict-anh",
            "charges": [{ "article": "150", "clause": "2", "point": "d" }] }),
        )
        .await?;
        self.move_case(&a.court_na, "C1: đưa ra xét xử", &c.c1, "TRIAL", to_trial)
            .await?;
        self.verdict(&a.court_na, "C1: tuyên án", json!({ "caseId": c.c1, "defendantId": c.manh, "court": tand_na,
            "level": "FIRST_INSTANCE", "decidedAt": self.at(120, 10), "convicted": true, "articles": ["150"],
            "sentenceMonths": 144, "fine": 50_000_000, "appealStatus": "FINAL", "idempotencyKey": "demo-c1-verdict-manh" }))
            .await?;
        self.verdict(&a.court_na, "C1: tuyên án", json!({ "caseId": c.c1, "defendantId": c.anh, "court": tand_na,
            "level": "FIRST_INSTANCE", "decidedAt": self.at(120, 10), "convicted": true, "articles": ["150"],
            "sentenceMonths": 96, "fine": 30_000_000, "appealStatus": "FINAL", "idempotencyKey": "demo-c1-verdict-anh" }))
            .await?;
        self.move_case(
            &a.court_na,
            "C1: kết thúc",
            &c.c1,
            "CLOSED",
            "Bản án sơ thẩm có hiệu lực pháp luật, không có kháng cáo, kháng nghị",
        )
        .await?;

        // C4: indicted, tried; one defendant appealed.
        let vks_ht = "Viện kiểm sát nhân dân tỉnh Hà Tĩnh";
        let tand_ht = "Tòa án nhân dân tỉnh Hà Tĩnh";
        self.indict(&a.procuracy_ht, "C4: truy tố", json!({ "caseId": c.c4, "defendantId": c.thu, "office": vks_ht,
            "filedAt": self.at(170, 9), "idempotencyKey": "demo-c4-indict-thu",
            "charges": [{ "article": "150", "clause": "2", "point": "a" }, { "article": "150", "clause": "2", "point": "d" }] }))
            .await?;
        self.indict(
            &a.procuracy_ht,
            "C4: truy tố",
            json!({ "caseId": c.c4, "defendantId": c.hang, "office": vks_ht,
            "filedAt": self.at(170, 9), "idempotencyKey": "demo-c4-indict-hang",
            "charges": [{ "article": "150", "clause": "2", "point": "d" }] }),
        )
        .await?;
        self.move_case(&a.court_ht, "C4: đưa ra xét xử", &c.c4, "TRIAL", to_trial)
            .await?;
        self.verdict(&a.court_ht, "C4: tuyên án", json!({ "caseId": c.c4, "defendantId": c.thu, "court": tand_ht,
            "level": "FIRST_INSTANCE", "decidedAt": self.at(40, 10), "convicted": true, "articles": ["150"],
            "sentenceMonths": 156, "fine": 40_000_000, "appealStatus": "APPEALED", "idempotencyKey": "demo-c4-verdict-thu" }))
            .await?;
        self.verdict(&a.court_ht, "C4: tuyên án", json!({ "caseId": c.c4, "defendantId": c.hang, "court": tand_ht,
            "level": "FIRST_INSTANCE", "decidedAt": self.at(40, 10), "convicted": true, "articles": ["150"],
            "sentenceMonths": 90, "fine": 20_000_000, "appealStatus": "FINAL", "idempotencyKey": "demo-c4-verdict-hang" }))
            .await?;

        // C2: indicted, on trial.
        self.indict(&a.procuracy_ht, "C2: truy tố", json!({ "caseId": c.c2, "defendantId": c.dung_hue, "office": vks_ht,
            "filedAt": self.at(30, 9), "idempotencyKey": "demo-c2-indict-dung",
            "charges": [{ "article": "150", "clause": "2", "point": "a" }, { "article": "150", "clause": "2", "point": "d" }] }))
            .await?;
        self.indict(
            &a.procuracy_ht,
            "C2: truy tố",
            json!({ "caseId": c.c2, "defendantId": c.thang, "office": vks_ht,
            "filedAt": self.at(30, 9), "idempotencyKey": "demo-c2-indict-thang",
            "charges": [{ "article": "150", "clause": "2", "point": "d" }] }),
        )
        .await?;
        self.move_case(&a.court_ht, "C2: đưa ra xét xử", &c.c2, "TRIAL", to_trial)
            .await?;

        // C3: indicted, waiting for the court (a child victim: the trial will be closed).
        self.indict(
            &a.procuracy_na,
            "C3: truy tố",
            json!({ "caseId": c.c3, "defendantId": c.xuan, "office": vks_na,
            "filedAt": self.at(15, 9), "idempotencyKey": "demo-c3-indict-xuan",
            "charges": [{ "article": "151", "clause": "2" }] }),
        )
        .await?;
        Ok(())
    }

    // =========================================================================================
    // Chapter 4: rings and links
    // =========================================================================================

    async fn rings(&mut self, a: &Agents, c: &Cases) -> anyhow::Result<()> {
        self.network(
            &a.police_na,
            "Đường dây Vinh – Sihanoukville",
            json!({
                "name": "Đường dây \"việc nhẹ lương cao\" Vinh – Sihanoukville",
                "aliases": ["Nhóm Mạnh Cam", "Tuyển dụng CSKH lương cao"],
                "transnational": true,
                "countries": ["VN", "KH"],
                "caseIds": [c.c1, c.c2, c.c9],
                "idempotencyKey": "demo-ring-sihanoukville"
            }),
            &[
                (&c.manh, "ORGANIZER"),
                (&c.anh, "RECRUITER"),
                (&c.dung_hue, "BROKER"),
                (&c.thang, "TRANSPORTER"),
                (&c.oanh, "RECRUITER"),
            ],
        )
        .await?;
        let (ring, version) = self
            .network(
                &a.police_ht,
                "Đường dây môi giới hôn nhân",
                json!({
                    "name": "Đường dây môi giới hôn nhân Cẩm Xuyên – Hà Bắc",
                    "aliases": ["Nhóm Thu Tàu", "Lấy chồng Hán – đổi đời"],
                    "transnational": true,
                    "countries": ["VN", "CN"],
                    "caseIds": [c.c4],
                    "idempotencyKey": "demo-ring-ha-bac"
                }),
                &[
                    (&c.thu, "BROKER"),
                    (&c.hang, "RECRUITER"),
                    (&c.truong_vi, "ORGANIZER"),
                ],
            )
            .await?;
        self.gql(
            &a.police_ht,
            "Đường dây môi giới hôn nhân: triệt phá",
            "mutation($i: DismantleNetworkInput!) { dismantleNetwork(input: $i) { id } }",
            json!({ "i": { "id": ring, "version": version, "dismantledAt": self.at(40, 12) } }),
        )
        .await?;
        self.network(
            &a.bg_lc,
            "Nhóm dẫn đường Y Tý",
            json!({
                "name": "Nhóm dẫn đường qua biên giới Y Tý",
                "aliases": ["Nhóm Dính"],
                "transnational": true,
                "countries": ["VN", "CN"],
                "caseIds": [c.c6],
                "idempotencyKey": "demo-ring-y-ty"
            }),
            &[(&c.dinh, "TRANSPORTER"), (&c.chu, "RECRUITER")],
        )
        .await?;

        self.link(
            &a.police_na,
            "Liên kết C1 – C2",
            json!({ "from": c.c1, "to": c.c2,
            "reason": "Cùng số điện thoại và tài khoản Zalo của đối tượng môi giới \"Dũng Zalo\"",
            "evidence": ["PHONE +84912555086", "SOCIAL_MEDIA +84912555086"], "confidence": 90 }),
        )
        .await?;
        self.link(&a.police_na, "Liên kết C9 – C1", json!({ "from": c.c9, "to": c.c1,
            "reason": "Cùng phương thức tuyển dụng \"việc nhẹ lương cao\" và cùng khu lừa đảo ở Sihanoukville",
            "confidence": 60 }))
            .await?;
        self.link(
            &a.bg_qb,
            "Liên kết C5 – C2 (biên phòng)",
            json!({ "from": c.c5, "to": c.c2,
            "reason": "Đối tượng \"Dũng\" tuyển người qua cùng số điện thoại, Zalo",
            "evidence": ["PHONE +84912555086"], "confidence": 70 }),
        )
        .await?;
        Ok(())
    }
}

impl Seeder {
    // =========================================================================================
    // Chapter 5: hotline 111 and other tips (recorded by social services)
    // =========================================================================================

    async fn tips(&mut self, a: &Agents, c: &Cases) -> anyhow::Result<()> {
        use Outcome::*;
        #[rustfmt::skip]
        let rows: [TipRow<'_>; 30] = [
            (323, 20, "HOTLINE_111", "40", "HIGH", 1, "Mẹ gọi báo con gái 22 tuổi ở Diễn Châu đi làm \"chăm sóc khách hàng\" ở Campuchia theo lời mời trên Facebook, nay nhắn tin cầu cứu, bị đòi 3.000 USD tiền chuộc.", CaseOpened("c1")),
            (305, 9, "HOTLINE_111", "42", "HIGH", 2, "Gia đình báo con gái được môi giới lấy chồng Trung Quốc, gia đình nhận 60 triệu đồng; sang đến nơi bị nhốt, không cho liên lạc.", CaseOpened("c4")),
            (256, 21, "HOTLINE_111", "42", "HIGH", 2, "Người dân ở Hương Khê báo hai thanh niên trong xóm được một người tên Dũng hứa việc nhẹ lương cao qua Zalo, mất liên lạc sau khi sang Bavet.", ForwardedThenCase("POLICE", "c2")),
            (236, 10, "ONLINE", "01", "LOW", 0, "Phản ánh trang Facebook \"Tuyển CSKH lương 1.500 USD bao ăn ở\" đăng tuyển người đi Campuchia, không ghi tên công ty.", Forwarded("POLICE")),
            (203, 8, "COMMUNE", "40", "CRITICAL", 1, "UBND xã ở Kỳ Sơn báo một em học sinh lớp 9 người Thái bỏ học, theo một phụ nữ quen trên mạng đi về phía Lào Cai.", CaseOpened("c3")),
            (185, 14, "HOTLINE_111", "38", "LOW", 0, "Người gọi hỏi thủ tục đi làm việc ở Hàn Quốc qua một công ty quen; không có dấu hiệu mua bán người.", Unfounded("Tư vấn thủ tục đi làm việc ở nước ngoài theo hợp đồng")),
            (170, 19, "HOTLINE_111", "79", "MEDIUM", 1, "Sinh viên phản ánh tin nhắn Telegram tuyển \"người mẫu ảnh sang Thái Lan, 2.000 USD/tháng\", một bạn cùng phòng đã đi.", Forwarded("POLICE")),
            (145, 22, "HOTLINE_111", "10", "MEDIUM", 1, "Thanh niên H'Mông gọi từ Hà Khẩu báo bị chủ vườn mía giữ lương ba tháng, muốn về nước.", ForwardedThenCase("POLICE", "c7")),
            (126, 7, "HOTLINE_111", "44", "HIGH", 4, "Vợ một ngư dân ở Bố Trạch báo chồng và ba người cùng thôn được rủ qua cửa khẩu Cha Lo sang Thái Lan làm tàu cá, bị giữ giấy tờ.", ForwardedThenCase("BORDER_GUARD", "c5")),
            (112, 16, "HOTLINE_111", "02", "HIGH", 2, "Hai em gái H'Mông ở Mèo Vạc mất liên lạc sau khi đi chợ phiên cùng người lạ.", Forwarded("BORDER_GUARD")),
            (98, 11, "COMMUNE", "12", "MEDIUM", 1, "Trưởng bản ở Sìn Hồ báo một cô gái người Dao được hứa đưa sang Trung Quốc làm thuê thời vụ, đã ba tháng chưa về.", Forwarded("BORDER_GUARD")),
            (90, 15, "INTERNATIONAL", "42", "HIGH", 5, "Một tổ chức quốc tế chuyển thông tin năm lao động quê Hà Tĩnh được giải cứu ở Myawaddy, cần hỗ trợ hồi hương.", Forwarded("FOREIGN_AFFAIRS")),
            (75, 20, "HOTLINE_111", "44", "MEDIUM", 1, "Người gọi báo em gái 19 tuổi ở Minh Hóa được giới thiệu lấy chồng Trung Quốc, gia đình được hứa 30 triệu đồng.", Verifying),
            (66, 9, "POLICE_DESK", "01", "LOW", 1, "Công an phường chuyển đơn của người dân trình báo con trai bị lừa sang Campuchia, nay đã tự về nước.", Unfounded("Đã về nước an toàn, tự nguyện đi làm, không bị khống chế")),
            (61, 4, "BORDER_POST", "10", "HIGH", 3, "Đồn Biên phòng Y Tý thông báo phát hiện nhóm phụ nữ được dẫn qua đường mòn lúc rạng sáng, nghi bị đưa sang Trung Quốc.", CaseOpened("c6")),
            (54, 21, "HOTLINE_111", "40", "CRITICAL", 3, "Phụ huynh báo ba học sinh THPT ở Tương Dương được rủ đi làm thêm lương 20 triệu/tháng, đang trên xe vào TP. Hồ Chí Minh.", Forwarded("POLICE")),
            (47, 19, "HOTLINE_111", "40", "HIGH", 1, "Bà ngoại báo cháu trai 16 tuổi ở Quế Phong theo bạn đi làm \"game thủ\" ở Campuchia, nay bị đòi 40 triệu đồng tiền chuộc.", CaseOpened("c9")),
            (41, 10, "ONLINE", "40", "MEDIUM", 0, "Nhóm Zalo \"Việc làm Lào – Campuchia bao vé\" quảng cáo việc nhẹ lương cao, liên hệ số 0912 555 086.", Forwarded("POLICE")),
            (35, 13, "HOTLINE_111", "42", "LOW", 0, "Người gọi hỏi chế độ hỗ trợ cho người bị mua bán trở về địa phương.", Unfounded("Cung cấp thông tin chính sách hỗ trợ nạn nhân")),
            (28, 23, "HOTLINE_111", "10", "HIGH", 1, "Cô gái người Dao ở Sa Pa gọi từ Vân Nam, nói bị ép lấy chồng, không biết địa chỉ nơi ở.", Verifying),
            (24, 8, "BORDER_POST", "44", "MEDIUM", 2, "Đồn Biên phòng cửa khẩu Cha Lo phát hiện hai người không có giấy tờ định xuất cảnh trái phép sang Lào.", Forwarded("BORDER_GUARD")),
            (19, 22, "HOTLINE_111", "01", "MEDIUM", 2, "Người dân báo một nhà nghỉ ở Long Biên có nhiều cô gái trẻ bị quản lý chặt, nghi bị ép bán dâm.", Verifying),
            (14, 10, "COMMUNE", "42", "HIGH", 2, "UBND xã ở Kỳ Anh báo hai thanh niên sang Campuchia làm \"nhân viên IT\" nay gọi về xin tiền chuộc.", Forwarded("POLICE")),
            (12, 9, "MISSION_ABROAD", "01", "HIGH", 1, "Đại sứ quán tại Malaysia chuyển tin: một phụ nữ quê Hà Nội bị ép bán dâm ở Kuala Lumpur, đã gọi về gia đình.", Verifying),
            (11, 20, "HOTLINE_111", "40", "HIGH", 1, "Mẹ báo con gái 17 tuổi ở Nghĩa Đàn bỏ nhà theo người quen trên TikTok, định vị điện thoại lần cuối ở Móng Cái.", Verifying),
            (8, 17, "HOTLINE_111", "10", "MEDIUM", 1, "Lao động thời vụ ở Mường Khương báo bị cai thầu giữ giấy tờ tại Hà Khẩu.", Received),
            (6, 12, "MISSION_ABROAD", "42", "HIGH", 1, "Đại sứ quán tại Campuchia báo một lao động quê Hà Tĩnh trốn khỏi một khu ở Bavet, đang trú tạm ở chùa gần cửa khẩu.", Received),
            (4, 15, "HOTLINE_111", "44", "LOW", 0, "Người gọi phản ánh quảng cáo tuyển lao động đi Lào trên Facebook không ghi tên công ty, hứa lương 15 triệu.", Received),
            (2, 23, "HOTLINE_111", "40", "CRITICAL", 2, "Hai chị em ở Con Cuông nhắn tin cầu cứu từ Sihanoukville, bị đánh khi không đạt chỉ tiêu lừa đảo.", Received),
            (1, 10, "ONLINE", "01", "MEDIUM", 0, "Bài đăng TikTok tuyển \"hướng dẫn viên du lịch\" sang Myanmar, lương 2.000 USD, bao vé máy bay.", Received),
        ];
        let case = |key: &str| -> anyhow::Result<&String> {
            Ok(match key {
                "c1" => &c.c1,
                "c2" => &c.c2,
                "c3" => &c.c3,
                "c4" => &c.c4,
                "c5" => &c.c5,
                "c6" => &c.c6,
                "c7" => &c.c7,
                "c9" => &c.c9,
                other => anyhow::bail!("demo tips: unknown case {other}"),
            })
        };
        for (n, (days, hour, channel, province, urgency, victims, summary, outcome)) in
            rows.into_iter().enumerate()
        {
            let step = format!("Tin báo {}: {channel} {province}", n + 1);
            let data = self
                .gql(&a.social, &step,
                    "mutation($i: RecordTipInput!) { recordTip(input: $i) { id version } }",
                    json!({ "i": { "channel": channel, "receivedAt": self.at(days, hour), "summary": summary,
                        "urgency": urgency, "potentialVictimCount": victims, "province": province,
                        "idempotencyKey": format!("demo-tip-{:02}", n + 1) } }))
                .await?;
            self.report.tips += 1;
            let id = string(&data["recordTip"]["id"], &step)?;
            let mut version = data["recordTip"]["version"].as_i64().unwrap_or(1);
            let moves: Vec<Value> = match outcome {
                Received => vec![],
                Verifying => {
                    vec![json!({ "to": "VERIFYING", "reason": "Đang xác minh với địa phương" })]
                }
                Forwarded(to) => vec![
                    json!({ "to": "FORWARDED", "forwardedTo": to, "reason": "Chuyển cơ quan có thẩm quyền" }),
                ],
                CaseOpened(key) => vec![
                    json!({ "to": "VERIFYING", "reason": "Xác minh với gia đình và chính quyền địa phương" }),
                    json!({ "to": "CASE_OPENED", "caseId": case(key)?, "reason": "Cơ quan chức năng đã thụ lý" }),
                ],
                ForwardedThenCase(to, key) => vec![
                    json!({ "to": "FORWARDED", "forwardedTo": to, "reason": "Chuyển cơ quan có thẩm quyền" }),
                    json!({ "to": "CASE_OPENED", "caseId": case(key)?, "reason": "Cơ quan được chuyển tin đã thụ lý" }),
                ],
                Unfounded(reason) => vec![json!({ "to": "UNFOUNDED", "reason": reason })],
            };
            for mut mv in moves {
                mv["id"] = json!(id);
                mv["version"] = json!(version);
                let data = self
                    .gql(
                        &a.social,
                        &step,
                        "mutation($i: MoveTipInput!) { moveTip(input: $i) { version } }",
                        json!({ "i": mv }),
                    )
                    .await?;
                version = data["moveTip"]["version"].as_i64().unwrap_or(version + 1);
            }
        }
        Ok(())
    }

    // =========================================================================================
    // Chapter 6: referrals and support
    // =========================================================================================

    async fn care(&mut self, a: &Agents, c: &Cases, f: &Flags) -> anyhow::Result<()> {
        let ss = a.social_na.clone();
        let all_identity = [
            "FULL_NAME",
            "DATE_OF_BIRTH",
            "SEX",
            "ETHNICITY",
            "ADDRESS",
            "PHONE",
        ];

        // Hoài (C1): accepted, supported, completed.
        let mut shared: Vec<&str> = all_identity.to_vec();
        shared.extend([
            "HEALTH_NOTES",
            "CURRENT_LOCATION",
            "EXPLOITATION_DETAILS",
            "PROTECTION_MEASURES",
        ]);
        let (r, v) = self
            .refer(&a.police_na, "Chuyển gửi: Nguyễn Thị Hoài", json!({
                "toAgency": "SOCIAL_SERVICES", "personId": c.hoai, "caseId": c.c1,
                "purpose": "Tiếp nhận, hỗ trợ tái hòa nhập cộng đồng cho nạn nhân trở về",
                "services": ["SHELTER", "PSYCHOLOGICAL", "VOCATIONAL"], "consent": "GIVEN",
                "sharedFields": shared, "dueAt": self.at(295, 17), "idempotencyKey": "demo-ref-hoai"
            }))
            .await?;
        let v = self
            .answer(
                &ss,
                "Chuyển gửi: Nguyễn Thị Hoài",
                "acceptReferral",
                &r,
                v,
                None,
            )
            .await?;
        for (service, provider, start, end, notes) in [
            (
                "SHELTER",
                "Trung tâm Công tác xã hội tỉnh Nghệ An",
                296,
                Some(266),
                "Tạm trú 30 ngày, ổn định sức khỏe",
            ),
            (
                "PSYCHOLOGICAL",
                "Trung tâm Công tác xã hội tỉnh Nghệ An",
                295,
                Some(230),
                "Tư vấn tâm lý 8 buổi",
            ),
            (
                "VOCATIONAL",
                "Trường Cao đẳng nghề Kỹ thuật Việt – Đức Nghệ An",
                260,
                Some(170),
                "Học nghề may công nghiệp 3 tháng",
            ),
        ] {
            let started = self.at(start, 9);
            let ended = end.map(|d| self.at(d, 17));
            self.support(
                &ss,
                "Hỗ trợ: Nguyễn Thị Hoài",
                json!({ "personId": c.hoai, "service": service,
                "provider": provider, "startedAt": started, "endedAt": ended, "notes": notes }),
            )
            .await?;
        }
        self.answer(&ss, "Chuyển gửi: Nguyễn Thị Hoài", "completeReferral", &r, v,
            Some("Hoàn thành học nghề may, có việc làm tại khu công nghiệp Nam Cấm; tái hòa nhập ổn định"))
            .await?;

        // Lan (C3, under 16): consent overridden, accepted, supported; the Côn Minh flag closes.
        let mut shared: Vec<&str> =
            vec!["FULL_NAME", "DATE_OF_BIRTH", "SEX", "ETHNICITY", "ADDRESS"];
        shared.extend(["HEALTH_NOTES", "CURRENT_LOCATION", "PROTECTION_MEASURES"]);
        let (r, v) = self
            .refer(&a.police_na, "Chuyển gửi: trẻ em C3", json!({
                "toAgency": "SOCIAL_SERVICES", "personId": f.lan, "caseId": c.c3,
                "purpose": "Tiếp nhận khẩn cấp trẻ em bị mua bán trở về",
                "services": ["SHELTER", "MEDICAL", "PSYCHOLOGICAL", "LEGAL_AID"], "consent": "OVERRIDDEN",
                "consentReason": "Nạn nhân dưới 16 tuổi, chưa liên lạc được người giám hộ hợp pháp; cần bảo vệ khẩn cấp theo Luật Trẻ em",
                "sharedFields": shared, "dueAt": self.at(188, 17), "idempotencyKey": "demo-ref-lan"
            }))
            .await?;
        self.answer(&ss, "Chuyển gửi: trẻ em C3", "acceptReferral", &r, v, None)
            .await?;
        for (service, provider, start, notes) in [
            (
                "SHELTER",
                "Trung tâm Công tác xã hội tỉnh Nghệ An",
                189,
                "Bố trí phòng riêng, có cán bộ nữ theo dõi",
            ),
            (
                "MEDICAL",
                "Bệnh viện Sản Nhi Nghệ An",
                188,
                "Khám sức khỏe tổng quát",
            ),
            (
                "PSYCHOLOGICAL",
                "Trung tâm Công tác xã hội tỉnh Nghệ An",
                185,
                "Trị liệu tâm lý hằng tuần",
            ),
            (
                "LEGAL_AID",
                "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Nghệ An",
                30,
                "Trợ giúp viên pháp lý tham gia tố tụng cho bị hại",
            ),
        ] {
            let started = self.at(start, 9);
            self.support(
                &ss,
                "Hỗ trợ: trẻ em C3",
                json!({ "personId": f.lan, "service": service,
                "provider": provider, "startedAt": started, "notes": notes }),
            )
            .await?;
        }
        let (flag, version) = &f.con_minh;
        self.flag_op(
            &ss,
            "Cờ Côn Minh: kết thúc",
            "moveFlag",
            json!({ "id": flag, "version": version, "to": "CLOSED",
            "reason": "Đã tiếp nhận tại Trung tâm Công tác xã hội tỉnh Nghệ An" }),
        )
        .await?;

        // Mỷ and Mẩy (C6): handed over by the border guard.
        let bg = a.bg_lc.clone();
        for (person, name, shared, key) in [
            (&c.my, "Thào Thị Mỷ", all_identity.to_vec(), "demo-ref-my"),
            (
                &c.may,
                "Triệu Thị Mẩy",
                vec![
                    "FULL_NAME",
                    "DATE_OF_BIRTH",
                    "SEX",
                    "ETHNICITY",
                    "ADDRESS",
                    "PROTECTION_MEASURES",
                ],
                "demo-ref-may",
            ),
        ] {
            let step = format!("Chuyển gửi: {name}");
            self.support(&bg, &step, json!({ "personId": person, "service": "SHELTER",
                "provider": "Đồn Biên phòng Y Tý", "startedAt": self.at(59, 4), "endedAt": self.at(57, 10),
                "notes": "Tạm lánh, cấp đồ dùng thiết yếu trước khi bàn giao" })).await?;
            let (r, v) = self
                .refer(
                    &bg,
                    &step,
                    json!({
                        "toAgency": "SOCIAL_SERVICES", "personId": person, "caseId": c.c6,
                        "purpose": "Bàn giao nạn nhân sau giải cứu để hỗ trợ và đưa về địa phương",
                        "services": ["SHELTER", "MEDICAL", "REINTEGRATION"], "consent": "GIVEN",
                        "sharedFields": shared, "dueAt": self.at(55, 17), "idempotencyKey": key
                    }),
                )
                .await?;
            self.answer(&a.social, &step, "acceptReferral", &r, v, None)
                .await?;
            self.support(&a.social, &step, json!({ "personId": person, "service": "SHELTER",
                "provider": "Cơ sở bảo trợ xã hội tổng hợp tỉnh Lào Cai", "startedAt": self.at(57, 14),
                "notes": "Tiếp nhận, hỗ trợ ăn ở và chi phí đi lại về địa phương" })).await?;
        }

        // Khánh (C9): the mission refers him home.
        let step = "Chuyển gửi: thiếu niên C9";
        self.support(&a.mission_pp, step, json!({ "personId": f.khanh, "service": "REPATRIATION",
            "provider": "Đại sứ quán Việt Nam tại Campuchia", "startedAt": self.at(28, 9), "endedAt": self.at(26, 16),
            "notes": "Cấp giấy thông hành, hỗ trợ vé xe và người đi kèm đến cửa khẩu Mộc Bài" })).await?;
        let (r, v) = self
            .refer(&a.mission_pp, step, json!({
                "toAgency": "SOCIAL_SERVICES", "personId": f.khanh, "caseId": c.c9,
                "purpose": "Tiếp nhận công dân là trẻ em hồi hương, hỗ trợ tâm lý và đưa về gia đình",
                "services": ["REPATRIATION", "SHELTER", "PSYCHOLOGICAL"], "consent": "GIVEN",
                "sharedFields": ["FULL_NAME", "DATE_OF_BIRTH", "SEX", "ETHNICITY", "ADDRESS"],
                "dueAt": self.at(25, 17), "idempotencyKey": "demo-ref-khanh"
            }))
            .await?;
        self.answer(&ss, step, "acceptReferral", &r, v, None)
            .await?;
        self.support(
            &ss,
            step,
            json!({ "personId": f.khanh, "service": "PSYCHOLOGICAL",
            "provider": "Trung tâm Công tác xã hội tỉnh Nghệ An", "startedAt": self.at(25, 9),
            "notes": "Tư vấn tâm lý cùng gia đình; theo dõi việc đi học trở lại" }),
        )
        .await?;

        // Ngọc (C8): sent two days ago, unanswered past its due date.
        self.refer(&a.police_hn, "Chuyển gửi: Bùi Thị Ngọc", json!({
            "toAgency": "SOCIAL_SERVICES", "personId": c.ngoc, "caseId": c.c8,
            "purpose": "Hỗ trợ tâm lý và trợ giúp pháp lý cho gia đình nạn nhân trong khi chờ giải cứu",
            "services": ["PSYCHOLOGICAL", "LEGAL_AID"], "consent": "GIVEN",
            "sharedFields": all_identity, "dueAt": self.at(2, 8), "idempotencyKey": "demo-ref-ngoc"
        }))
        .await?;

        // Mai (C2): declined, she moved south.
        let step = "Chuyển gửi: Đậu Thị Mai";
        let (r, v) = self
            .refer(&a.police_ht, step, json!({
                "toAgency": "SOCIAL_SERVICES", "personId": c.mai, "caseId": c.c2,
                "purpose": "Hỗ trợ học nghề và vay vốn tạo sinh kế",
                "services": ["VOCATIONAL", "FINANCIAL"], "consent": "GIVEN",
                "sharedFields": all_identity, "dueAt": self.at(200, 17), "idempotencyKey": "demo-ref-mai"
            }))
            .await?;
        self.answer(&a.social, step, "declineReferral", &r, v,
            Some("Nạn nhân đã chuyển vào TP. Hồ Chí Minh sinh sống; đề nghị chuyển Trung tâm Công tác xã hội TP. Hồ Chí Minh"))
            .await?;
        Ok(())
    }

    // =========================================================================================
    // Chapter 7: hit/no-hit and a disclosure request
    // =========================================================================================

    async fn hits(&mut self, a: &Agents) -> anyhow::Result<()> {
        let step = "Tra cứu trùng khớp số điện thoại (biên phòng)";
        let data = self
            .gql(&a.bg_qb, step,
                "query { identifierHits(kind: PHONE, value: \"0912 555 086\") { reference holdingAgency } }",
                json!({}))
            .await?;
        let reference = data["identifierHits"]
            .as_array()
            .and_then(|hits| hits.iter().find(|h| h["holdingAgency"] == "POLICE"))
            .and_then(|h| h["reference"].as_str())
            .map(str::to_string)
            .with_context(|| format!("demo step `{step}`: no police hit"))?;
        self.gql(&a.bg_qb, "Đề nghị cung cấp thông tin (biên phòng → công an)",
            "mutation($i: RequestDisclosureInput!) { requestDisclosure(input: $i) { id } }",
            json!({ "i": { "reference": reference,
                "purpose": "Xác minh đối tượng \"Dũng\" trong vụ đưa người xuất cảnh trái phép qua cửa khẩu Cha Lo" } }))
            .await?;
        Ok(())
    }
}
