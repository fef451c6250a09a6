//! Aggregates for `statistics` and the periodic report, computed in SQL (GROUP BY), and the
//! campaigns (named reporting periods) of the steering committee.
//!
//! For one measure, one calendar year and one caller, [`load`] runs one `GROUP BY` that returns
//! the finest-grain table: how many units fall in every combination of the measure's
//! dimensions and month. Rows never leave the database, only counts. The rows counted are the
//! caller's scope for the measure's class (`scope::aggregate`): national for an agency that sees
//! aggregates only (the steering committee), its own row scope for any other agency.
//!
//! Every figure is then derived from those tables by [`Tables::answer`], through the small-cell and
//! complementary suppression of [`suppression`]: the same tables and the same blocks whatever
//! the grouping, filter or period asked, so no combination of questions recovers a suppressed
//! figure (`docs/statistics.md`).
//!
//! This module never decides access (the policy does: the GraphQL module checks the measure and
//! its dimensions before asking), never formats SQL from caller input, and never logs values.

pub(crate) mod suppression;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use entities::campaign;
use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, Func, JoinType, Query, SelectStatement,
};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Set};
use uuid::Uuid;

use self::suppression::{Cell, Level, Val, Year};
use crate::auth::Principal;
use crate::domain::{DomainEnum, ExploitationForm, Sex, TipChannel};
use crate::error::{ApiError, ApiResult};
use crate::policy::Class;
use crate::policy::scope::{self, col, tables};

// ---------------------------------------------------------------------------------------------
// Vocabulary

/// What a figure counts (DESIGN §8). Persons are counted once each, at their first qualifying
/// record in the caller's scope; cases, rings, tips and referrals as records.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::EnumIter,
    strum::AsRefStr,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Measure {
    /// Cases opened (by `openedAt`).
    CasesOpened,
    /// Rings dismantled (by `dismantledAt`).
    RingsDismantled,
    /// Persons first received as victims or persons under identification (by `receivedAt`).
    VictimsReceived,
    /// Persons first identified as victims (by the move to `IDENTIFIED`).
    VictimsIdentified,
    /// Persons whose first support service started (by `startedAt`).
    VictimsSupported,
    /// Persons first received as victims while under 18 at exploitation.
    ChildVictims,
    /// Persons first recorded as suspects in a case.
    Suspects,
    /// Tips received, every channel (by `receivedAt`).
    TipsReceived,
    /// Tips resolved: case opened, unfounded or forwarded (by `resolvedAt`).
    TipsResolved,
    /// Calls to the national hotline 111 (tips of that channel, by `receivedAt`).
    HotlineCalls,
    /// Referrals sent (by creation).
    Referrals,
    /// Defendants first indicted (by `filedAt`).
    Prosecutions,
    /// Defendants first convicted (by `decidedAt`).
    Convictions,
}

/// What a figure can be grouped or filtered by.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::EnumIter,
    strum::AsRefStr,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Dimension {
    /// The province of the case (or of the tip).
    Province,
    /// The person's recorded sex.
    Sex,
    /// The victim's age at exploitation, in bands.
    AgeBand,
    /// Kinh or an ethnic minority.
    EthnicityGroup,
    /// The case's forms of exploitation (a case with several counts under each).
    ExploitationForm,
    /// The countries of the case's route and destination, other than Viet Nam (each counts).
    DestinationCountry,
    /// How a tip came in.
    Channel,
    /// The calendar month (`YYYY-MM`).
    Month,
}

/// Age at exploitation, in bands (Penal Code article 151 protects children under 16).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::EnumIter,
    strum::AsRefStr,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumMessage,
)]
pub(crate) enum AgeBand {
    /// Under 16.
    #[strum(serialize = "UNDER_16")]
    Under16,
    /// 16 or 17.
    #[strum(serialize = "AGE_16_17")]
    Age16To17,
    /// 18 to 29.
    #[strum(serialize = "AGE_18_29")]
    Age18To29,
    /// 30 to 44.
    #[strum(serialize = "AGE_30_44")]
    Age30To44,
    /// 45 or older.
    #[strum(serialize = "AGE_45_PLUS")]
    Age45Plus,
    /// Not recorded.
    #[strum(serialize = "UNKNOWN")]
    Unknown,
}

impl DomainEnum for AgeBand {
    const NAME: &'static str = "AgeBand";
    const DESCRIPTION: &'static str = "Age at exploitation, in bands.";
}

/// Ethnicity, as the steering committee reports it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::EnumIter,
    strum::AsRefStr,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumMessage,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum EthnicityGroup {
    /// Kinh, the majority.
    Kinh,
    /// Any of the other 53 recognised ethnic groups.
    Minority,
    /// Not recorded.
    Unknown,
}

impl DomainEnum for EthnicityGroup {
    const NAME: &'static str = "EthnicityGroup";
    const DESCRIPTION: &'static str = "Kinh or an ethnic minority.";
}

/// The value of a dimension that was not recorded.
pub(crate) const UNKNOWN: &str = "UNKNOWN";

/// Roles counted as victims received (the person under identification is received too).
const VICTIM_ROLES: [&str; 2] = ["VICTIM", "PERSON_UNDER_IDENTIFICATION"];

impl Measure {
    /// The class of data the measure counts: its rule and row scope come from this class.
    pub(crate) const fn class(self) -> Class {
        match self {
            Measure::CasesOpened => Class::CaseCore,
            Measure::RingsDismantled => Class::NetworksLinks,
            Measure::VictimsReceived | Measure::VictimsIdentified | Measure::ChildVictims => {
                Class::VictimIdentity
            }
            Measure::VictimsSupported => Class::Support,
            Measure::Suspects => Class::SuspectIdentity,
            Measure::TipsReceived | Measure::TipsResolved | Measure::HotlineCalls => Class::Tips,
            Measure::Referrals => Class::Referrals,
            Measure::Prosecutions => Class::Indictments,
            Measure::Convictions => Class::VerdictOutcome,
        }
    }

    /// The dimensions the measure can be grouped by (besides `MONTH`), in the priority order of
    /// its suppression tree: the earlier a dimension, the likelier its split survives.
    pub(crate) fn dimensions(self) -> &'static [Dimension] {
        use Dimension as D;
        match self {
            Measure::CasesOpened => &[D::ExploitationForm, D::DestinationCountry, D::Province],
            Measure::RingsDismantled => &[D::DestinationCountry],
            Measure::VictimsReceived | Measure::VictimsIdentified | Measure::ChildVictims => &[
                D::Sex,
                D::EthnicityGroup,
                D::AgeBand,
                D::ExploitationForm,
                D::DestinationCountry,
                D::Province,
            ],
            Measure::VictimsSupported => &[D::Sex, D::EthnicityGroup, D::AgeBand],
            Measure::Suspects | Measure::Prosecutions | Measure::Convictions => &[
                D::Sex,
                D::EthnicityGroup,
                D::ExploitationForm,
                D::DestinationCountry,
                D::Province,
            ],
            Measure::TipsReceived | Measure::TipsResolved => &[D::Channel, D::Province],
            Measure::HotlineCalls => &[D::Province],
            Measure::Referrals => &[],
        }
    }

    /// Whether `dim` applies to the measure.
    pub(crate) fn has(self, dim: Dimension) -> bool {
        dim == Dimension::Month || self.dimensions().contains(&dim)
    }

    /// Whether months split before the other dimensions in the suppression tree: for the
    /// dense, monthly-reported measures (tips, hotline calls, referrals). For the others the
    /// quarter's splits by sex, ethnicity ... come first and months last.
    const fn months_first(self) -> bool {
        matches!(
            self,
            Measure::TipsReceived
                | Measure::TipsResolved
                | Measure::HotlineCalls
                | Measure::Referrals
        )
    }

    /// The levels of the suppression tree of one calendar year.
    fn levels(self) -> Vec<Level> {
        let mut levels = vec![Level::Quarter];
        if self.months_first() {
            levels.push(Level::Month);
        }
        levels.extend((0..self.dimensions().len()).map(Level::Dim));
        if !self.months_first() {
            levels.push(Level::Month);
        }
        levels
    }

    /// The field whose reading dates the measure's units (`Type`, `field`): an agency that
    /// counts over its own scope must read it on every row of that scope.
    pub(crate) const fn dated_by(self) -> (&'static str, &'static str) {
        match self {
            Measure::CasesOpened => ("Case", "openedAt"),
            Measure::RingsDismantled => ("Network", "dismantledAt"),
            Measure::VictimsReceived | Measure::ChildVictims => ("CaseParty", "receivedAt"),
            Measure::VictimsIdentified => ("CaseParty", "identification"),
            Measure::VictimsSupported => ("SupportService", "startedAt"),
            Measure::Suspects => ("CaseParty", "role"),
            Measure::TipsReceived | Measure::HotlineCalls => ("Tip", "receivedAt"),
            Measure::TipsResolved => ("Tip", "resolvedAt"),
            Measure::Referrals => ("Referral", "createdAt"),
            Measure::Prosecutions => ("Indictment", "filedAt"),
            Measure::Convictions => ("Verdict", "decidedAt"),
        }
    }

    /// The field a dimension of this measure reads (`Type`, `field`), for the same check.
    pub(crate) fn reads(self, dim: Dimension) -> (&'static str, &'static str) {
        match dim {
            Dimension::Month => self.dated_by(),
            Dimension::Province => match self {
                Measure::TipsReceived | Measure::TipsResolved | Measure::HotlineCalls => {
                    ("Tip", "province")
                }
                _ => ("Case", "province"),
            },
            Dimension::Sex => ("Person", "sex"),
            Dimension::EthnicityGroup => ("Person", "ethnicity"),
            Dimension::AgeBand => ("CaseParty", "ageAtExploitation"),
            Dimension::ExploitationForm => ("Case", "exploitationForms"),
            Dimension::DestinationCountry => match self {
                Measure::RingsDismantled => ("Network", "countries"),
                _ => ("Case", "countries"),
            },
            Dimension::Channel => ("Tip", "channel"),
        }
    }
}

impl Dimension {
    /// Whether a unit can fall under several values (then groups overlap and do not add up).
    pub(crate) const fn is_set(self) -> bool {
        matches!(
            self,
            Dimension::ExploitationForm | Dimension::DestinationCountry
        )
    }

    /// Every value of the dimension (the months of `period` for `MONTH`), in display order.
    pub(crate) fn domain(self, period: &Period) -> Vec<String> {
        fn names<E: DomainEnum>() -> Vec<String> {
            E::iter().map(|v| v.name().to_string()).collect()
        }
        match self {
            Dimension::Province => migration::seed::PROVINCES
                .iter()
                .map(|(code, _, _)| (*code).to_string())
                .chain([UNKNOWN.to_string()])
                .collect(),
            Dimension::Sex => names::<Sex>(),
            Dimension::AgeBand => names::<AgeBand>(),
            Dimension::EthnicityGroup => names::<EthnicityGroup>(),
            Dimension::ExploitationForm => names::<ExploitationForm>(),
            Dimension::DestinationCountry => {
                static COUNTRIES: std::sync::LazyLock<Vec<String>> =
                    std::sync::LazyLock::new(|| {
                        (b'A'..=b'Z')
                            .flat_map(|a| {
                                (b'A'..=b'Z').map(move |b| format!("{}{}", a as char, b as char))
                            })
                            .filter(|c| crate::domain::countries::is_alpha2(c) && c != "VN")
                            .collect()
                    });
                COUNTRIES.clone()
            }
            Dimension::Channel => names::<TipChannel>(),
            Dimension::Month => period.months().map(|(y, m)| month_label(y, m)).collect(),
        }
    }
}

/// `YYYY-MM`.
pub(crate) fn month_label(year: i32, month: u32) -> String {
    format!("{year:04}-{month:02}")
}

// ---------------------------------------------------------------------------------------------
// Periods

/// The longest period a question may cover, in months.
pub(crate) const MAX_MONTHS: u32 = 60;

/// A reporting period: whole calendar months, `first` to `last` inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    /// The first month (year, month).
    first: (i32, u32),
    /// The last month (year, month), inclusive.
    last: (i32, u32),
}

impl Period {
    /// The period from the day `from` to the day `to` (inclusive), which must cover whole
    /// calendar months; `fields` names the two arguments in errors.
    pub(crate) fn of_days(
        from: NaiveDate,
        to: NaiveDate,
        fields: (&str, &str),
    ) -> ApiResult<Period> {
        if from.day() != 1 {
            return Err(ApiError::bad_input(
                fields.0,
                "must be the first day of a month: statistics cover whole calendar months",
            ));
        }
        if to.succ_opt().is_none_or(|next| next.day() != 1) {
            return Err(ApiError::bad_input(
                fields.1,
                "must be the last day of a month: statistics cover whole calendar months",
            ));
        }
        if to < from {
            return Err(ApiError::bad_input(
                fields.1,
                format!("must not be before {}", fields.0),
            ));
        }
        let period = Period {
            first: (from.year(), from.month()),
            last: (to.year(), to.month()),
        };
        if period.len() > MAX_MONTHS {
            return Err(ApiError::bad_input(
                fields.1,
                format!("a period covers at most {MAX_MONTHS} months"),
            ));
        }
        if !(2000..=2100).contains(&from.year()) || !(2000..=2100).contains(&to.year()) {
            return Err(ApiError::bad_input(
                fields.0,
                "must be a date between the years 2000 and 2100",
            ));
        }
        Ok(period)
    }

    /// Number of months.
    pub(crate) fn len(&self) -> u32 {
        let months = |(y, m): (i32, u32)| y * 12 + m as i32;
        u32::try_from(months(self.last) - months(self.first) + 1).unwrap_or(0)
    }

    /// The months, in order.
    pub(crate) fn months(&self) -> impl Iterator<Item = (i32, u32)> + use<> {
        let (y, m) = self.first;
        (0..self.len()).map(move |i| {
            let n = y * 12 + (m as i32 - 1) + i as i32;
            (n.div_euclid(12), n.rem_euclid(12) as u32 + 1)
        })
    }

    /// Whether `month` of `year` is in the period.
    pub(crate) fn contains(&self, year: i32, month: u32) -> bool {
        (year, month) >= self.first && (year, month) <= self.last
    }

    /// The calendar years the period touches.
    pub(crate) fn years(&self) -> std::ops::RangeInclusive<i32> {
        self.first.0..=self.last.0
    }

    /// The first day.
    pub(crate) fn from(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.first.0, self.first.1, 1).unwrap_or_default()
    }

    /// The last day.
    pub(crate) fn to(&self) -> NaiveDate {
        let (y, m) = self.last;
        let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        NaiveDate::from_ymd_opt(next.0, next.1, 1)
            .and_then(|d| d.pred_opt())
            .unwrap_or_default()
    }
}

/// Midnight UTC at the start of `month` of `year` (month 13 is January of the next year).
fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    let (y, m) = if month > 12 {
        (year + 1, 1)
    } else {
        (year, month)
    };
    Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Where each measure's units come from

/// The units of a measure for one caller: `FROM` ... `WHERE` (membership and scope), the instant
/// that dates each unit, and one expression per dimension (in [`Measure::dimensions`] order).
struct Source {
    select: SelectStatement,
    date: Expr,
    dims: Vec<Expr>,
}

fn alias(s: &str) -> Alias {
    Alias::new(s)
}

/// `value`, or `UNKNOWN` when it is null.
fn or_unknown(value: Expr) -> Expr {
    Func::coalesce([value, Expr::val(UNKNOWN)]).into()
}

/// The ethnicity group of the person aliased `pe`.
fn ethnicity_group(pe: &str) -> Expr {
    let folded: Expr = Func::lower(Func::cust("TRIM").arg(col(pe, "ethnicity"))).into();
    Expr::case(col(pe, "ethnicity").is_null(), Expr::val(UNKNOWN))
        .case(folded.clone().eq(""), Expr::val(UNKNOWN))
        .case(folded.eq("kinh"), Expr::val("KINH"))
        .finally(Expr::val("MINORITY"))
        .into()
}

/// The age band of an age in years.
fn age_band(age: Expr) -> Expr {
    Expr::case(age.clone().is_null(), Expr::val(UNKNOWN))
        .case(age.clone().lt(16), Expr::val("UNDER_16"))
        .case(age.clone().lt(18), Expr::val("AGE_16_17"))
        .case(age.clone().lt(30), Expr::val("AGE_18_29"))
        .case(age.lt(45), Expr::val("AGE_30_44"))
        .finally(Expr::val("AGE_45_PLUS"))
        .into()
}

/// The person dimensions: sex, ethnicity group (and age band when `age` is given).
fn person_dims(pe: &str, age: Option<Expr>) -> Vec<Expr> {
    let mut dims = vec![or_unknown(col(pe, "sex")), ethnicity_group(pe)];
    dims.extend(age.map(age_band));
    dims
}

/// The case dimensions: exploitation forms, countries, province.
fn case_dims(c: &str) -> Vec<Expr> {
    vec![
        col(c, "exploitation_forms"),
        col(c, "countries"),
        col(c, "province"),
    ]
}

/// `a < b`, ties broken by id: the order in which a person's records count.
fn earlier(date_a: Expr, id_a: Expr, date_b: Expr, id_b: Expr) -> Condition {
    Condition::any()
        .add(date_a.clone().lt(date_b.clone()))
        .add(Condition::all().add(date_a.eq(date_b)).add(id_a.lt(id_b)))
}

/// How a kind of record counts a person once: its table, the column naming the person, and the
/// column naming its case (joined as the case alias) when it has one.
struct PersonRecords {
    table: &'static str,
    person: &'static str,
    case: Option<&'static str>,
}

impl PersonRecords {
    /// `FROM table u [JOIN case_record c ON c.id = u.<case>] WHERE cond(u, c)`.
    fn base(&self, u: &str, c: &str, cond: &dyn Fn(&str, &str) -> Condition) -> SelectStatement {
        let mut q = Query::select();
        q.from_as(alias(self.table), alias(u));
        if let Some(case) = self.case {
            q.join_as(
                JoinType::InnerJoin,
                alias(tables::CASE),
                alias(c),
                col(c, "id").equals((alias(u), alias(case))),
            );
        }
        q.cond_where(cond(u, c));
        q
    }

    /// The records of persons (joined as `pe`) that are each person's first one satisfying
    /// `cond` in the caller's scope (by `date`, then id): one unit per person.
    fn first_per_person(
        &self,
        cond: &dyn Fn(&str, &str) -> Condition,
        date: &dyn Fn(&str) -> Expr,
    ) -> SelectStatement {
        let mut q = self.base("u", "c", cond);
        q.join_as(
            JoinType::InnerJoin,
            alias(tables::PERSON),
            alias("pe"),
            col("pe", "id").equals((alias("u"), alias(self.person))),
        );
        let mut before = self.base("u2", "c2", cond);
        before
            .expr(Expr::val(1))
            .and_where(col("u2", self.person).equals((alias("u"), alias(self.person))))
            .cond_where(earlier(
                date("u2"),
                col("u2", "id"),
                date("u"),
                col("u", "id"),
            ));
        q.and_where(Expr::not_exists(before));
        q
    }
}

/// The units of `measure` the caller counts.
fn source(p: &Principal, measure: Measure) -> Source {
    let class = measure.class();
    let parties = PersonRecords {
        table: tables::PARTY,
        person: "person_id",
        case: Some("case_id"),
    };
    let received =
        |u: &str| -> Expr { Func::coalesce([col(u, "received_at"), col(u, "created_at")]).into() };
    let party_scope = move |c: &str| scope::aggregate(p, class, scope::party_scope(p, c, "pe"));
    match measure {
        Measure::CasesOpened => {
            let mut q = Query::select();
            q.from_as(alias(tables::CASE), alias("c"))
                .cond_where(scope::aggregate(p, class, scope::case_scope(p, "c")));
            Source {
                select: q,
                date: col("c", "opened_at"),
                dims: case_dims("c"),
            }
        }
        Measure::RingsDismantled => {
            let mut q = Query::select();
            q.from_as(alias("network"), alias("n"))
                .and_where(col("n", "dismantled_at").is_not_null())
                .cond_where(scope::aggregate(p, class, scope::networks(p, "n").scope));
            Source {
                select: q,
                date: col("n", "dismantled_at"),
                dims: vec![col("n", "countries")],
            }
        }
        Measure::VictimsReceived | Measure::ChildVictims => {
            let child = measure == Measure::ChildVictims;
            let cond = move |u: &str, c: &str| {
                let mut cond = Condition::all()
                    .add(col(u, "role").is_in(VICTIM_ROLES))
                    .add(party_scope(c));
                if child {
                    cond = cond.add(col(u, "is_minor").eq(true));
                }
                cond
            };
            let mut dims = person_dims("pe", Some(col("u", "age_at_exploitation")));
            dims.extend(case_dims("c"));
            Source {
                select: parties.first_per_person(&cond, &received),
                date: received("u"),
                dims,
            }
        }
        Measure::VictimsIdentified => {
            let identified = move |u: &str| -> Expr {
                let mut moved = Query::select();
                moved
                    .expr(Func::min(col("h", "at")))
                    .from_as(alias("status_history"), alias("h"))
                    .and_where(col("h", "entity_type").eq("CaseParty"))
                    .and_where(col("h", "entity_id").equals((alias(u), alias("id"))))
                    .and_where(col("h", "to_status").eq("IDENTIFIED"));
                Func::coalesce([Expr::from(moved), received(u)]).into()
            };
            let cond = move |u: &str, c: &str| {
                Condition::all()
                    .add(col(u, "role").is_in(VICTIM_ROLES))
                    .add(col(u, "identification").eq("IDENTIFIED"))
                    .add(party_scope(c))
            };
            let mut dims = person_dims("pe", Some(col("u", "age_at_exploitation")));
            dims.extend(case_dims("c"));
            Source {
                select: parties.first_per_person(&cond, &identified),
                date: identified("u"),
                dims,
            }
        }
        Measure::Suspects => {
            let cond = move |u: &str, c: &str| {
                Condition::all()
                    .add(col(u, "role").eq("SUSPECT"))
                    .add(party_scope(c))
            };
            let created = |u: &str| col(u, "created_at");
            let mut dims = person_dims("pe", None);
            dims.extend(case_dims("c"));
            Source {
                select: parties.first_per_person(&cond, &created),
                date: created("u"),
                dims,
            }
        }
        Measure::VictimsSupported => {
            let services = PersonRecords {
                table: "support_service",
                person: "person_id",
                case: None,
            };
            let cond = move |u: &str, _: &str| {
                scope::aggregate(p, class, scope::support(p, u, "pe").scope)
            };
            let started = |u: &str| col(u, "started_at");
            // Age at exploitation from the person's victim records the caller may count.
            let mut age = Query::select();
            age.expr(Func::min(col("va", "age_at_exploitation")))
                .from_as(alias(tables::PARTY), alias("va"))
                .join_as(
                    JoinType::InnerJoin,
                    alias(tables::CASE),
                    alias("ca"),
                    col("ca", "id").equals((alias("va"), alias("case_id"))),
                )
                .and_where(col("va", "person_id").equals((alias("pe"), alias("id"))))
                .and_where(col("va", "role").is_in(VICTIM_ROLES))
                .cond_where(scope::aggregate(
                    p,
                    Class::VictimIdentity,
                    scope::party_scope(p, "ca", "pe"),
                ));
            Source {
                select: services.first_per_person(&cond, &started),
                date: started("u"),
                dims: person_dims("pe", Some(Expr::from(age))),
            }
        }
        Measure::TipsReceived | Measure::TipsResolved | Measure::HotlineCalls => {
            let mut q = Query::select();
            q.from_as(alias(tables::TIP), alias("t"))
                .cond_where(scope::aggregate(p, class, scope::tips(p, "t").scope));
            let date = match measure {
                Measure::TipsResolved => {
                    q.and_where(col("t", "resolved_at").is_not_null());
                    col("t", "resolved_at")
                }
                _ => col("t", "received_at"),
            };
            let mut dims = Vec::new();
            if measure == Measure::HotlineCalls {
                q.and_where(col("t", "channel").eq(TipChannel::Hotline111.name()));
            } else {
                dims.push(col("t", "channel"));
            }
            dims.push(or_unknown(col("t", "province")));
            Source {
                select: q,
                date,
                dims,
            }
        }
        Measure::Referrals => {
            let mut q = Query::select();
            q.from_as(alias(tables::REFERRAL), alias("r"))
                .cond_where(scope::aggregate(p, class, scope::referrals(p, "r").scope));
            Source {
                select: q,
                date: col("r", "created_at"),
                dims: Vec::new(),
            }
        }
        Measure::Prosecutions | Measure::Convictions => {
            let (table, ty, date_col) = if measure == Measure::Prosecutions {
                (tables::INDICTMENT, "Indictment", "filed_at")
            } else {
                ("verdict", "Verdict", "decided_at")
            };
            let records = PersonRecords {
                table,
                person: "defendant_id",
                case: Some("case_id"),
            };
            let convictions = measure == Measure::Convictions;
            let cond = move |u: &str, c: &str| {
                let mut cond = Condition::all().add(scope::aggregate(
                    p,
                    class,
                    scope::case_child(p, ty, c).scope,
                ));
                if convictions {
                    cond = cond.add(col(u, "convicted").eq(true));
                }
                cond
            };
            let date = move |u: &str| col(u, date_col);
            let mut dims = person_dims("pe", None);
            dims.extend(case_dims("c"));
            Source {
                select: records.first_per_person(&cond, &date),
                date: date("u"),
                dims,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The finest-grain tables

/// The finest-grain table of `measure` for calendar `year` in the caller's scope: one `GROUP BY`
/// over the measure's dimensions and month, returning one count per combination that occurs.
async fn year_table(
    db: &impl ConnectionTrait,
    p: &Principal,
    measure: Measure,
    year: i32,
) -> ApiResult<Vec<Cell>> {
    let Source {
        mut select,
        date,
        dims,
    } = source(p, measure);
    let mut month = Expr::case(date.clone().lt(month_start(year, 2)), Expr::val(1));
    for m in 2..12 {
        month = month.case(
            date.clone().lt(month_start(year, m + 1)),
            Expr::val(m as i32),
        );
    }
    let month: Expr = month.finally(Expr::val(12)).into();
    for (i, dim) in dims.iter().enumerate() {
        select.expr_as(dim.clone(), alias(&format!("d{i}")));
    }
    select
        .expr_as(month, alias("m"))
        .and_where(date.clone().gte(month_start(year, 1)))
        .and_where(date.lt(month_start(year, 13)));
    let mut outer = Query::select();
    for i in 0..dims.len() {
        outer.column(alias(&format!("d{i}")));
    }
    outer
        .column(alias("m"))
        .expr_as(Func::count(Expr::val(1)), alias("n"))
        .from_subquery(select, alias("units"));
    for i in 0..dims.len() {
        outer.group_by_col(alias(&format!("d{i}")));
    }
    outer.group_by_col(alias("m"));
    let stmt = db.get_database_backend().build(&outer);
    let kinds = measure.dimensions();
    let mut cells = Vec::new();
    for row in db.query_all_raw(stmt).await? {
        let month: i32 = row.try_get("", "m")?;
        let count: i64 = row.try_get("", "n")?;
        let mut values = Vec::with_capacity(kinds.len());
        for (i, kind) in kinds.iter().enumerate() {
            let text: Option<String> = row.try_get("", &format!("d{i}"))?;
            let text = text.unwrap_or_else(|| UNKNOWN.to_string());
            values.push(if kind.is_set() {
                let mut members = crate::store::parse_list(&text);
                if *kind == Dimension::DestinationCountry {
                    members.retain(|c| c != "VN");
                }
                Val::set(members)
            } else {
                Val::One(text)
            });
        }
        cells.push(Cell {
            month: month.clamp(1, 12) as u32,
            values,
            count: u64::try_from(count).unwrap_or(0),
        });
    }
    Ok(merge_equal(cells))
}

/// Adds up cells whose values are equal once sets are normalised (two cases listing the same
/// forms in another order are the same combination).
fn merge_equal(cells: Vec<Cell>) -> Vec<Cell> {
    let mut merged: BTreeMap<(u32, Vec<Val>), u64> = BTreeMap::new();
    for c in cells {
        *merged.entry((c.month, c.values)).or_default() += c.count;
    }
    merged
        .into_iter()
        .map(|((month, values), count)| Cell {
            month,
            values,
            count,
        })
        .collect()
}

/// The tables of `measure` for every year of `period`, each split into protected blocks with
/// threshold `k`.
pub(crate) async fn load(
    db: &impl ConnectionTrait,
    p: &Principal,
    measure: Measure,
    period: &Period,
    k: u64,
) -> ApiResult<Tables> {
    let mut years = Vec::new();
    for year in period.years() {
        let cells = year_table(db, p, measure, year).await?;
        years.push(Year::partition(year, cells, &measure.levels(), k));
    }
    Ok(Tables { measure, years, k })
}

/// The protected tables of one measure over the years of a period.
pub(crate) struct Tables {
    measure: Measure,
    years: Vec<Year>,
    k: u64,
}

// ---------------------------------------------------------------------------------------------
// Questions and answers

/// Values allowed per dimension; a unit passes when each filtered dimension has an allowed
/// value (for set dimensions: any member allowed).
pub(crate) type Filter = BTreeMap<Dimension, BTreeSet<String>>;

/// The largest number of cells one answer may have.
pub(crate) const MAX_CELLS: usize = 5_000;

/// One figure of an answer: the group's values (one per grouped dimension) and the count, or
/// `None` when suppressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Figure {
    /// The values of the grouped dimensions, in the order asked.
    pub(crate) key: Vec<String>,
    /// The count; `None` when suppressed.
    pub(crate) value: Option<u64>,
}

/// The groups an answer lists: every combination of the grouped dimensions' values (within
/// the filter), so a group with no unit looks like any other suppressed group.
pub(crate) fn groups(
    group_by: &[Dimension],
    filter: &Filter,
    period: &Period,
) -> ApiResult<Vec<Vec<String>>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for dim in group_by {
        let values: Vec<String> = dim
            .domain(period)
            .into_iter()
            .filter(|v| filter.get(dim).is_none_or(|allowed| allowed.contains(v)))
            .collect();
        if out.len().saturating_mul(values.len()) > MAX_CELLS {
            return Err(ApiError::bad_input(
                "groupBy",
                format!(
                    "this grouping has more than {MAX_CELLS} cells: filter it or group by fewer dimensions"
                ),
            ));
        }
        out = out
            .into_iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut key = prefix.clone();
                    key.push(v.clone());
                    key
                })
            })
            .collect();
    }
    Ok(out)
}

impl Tables {
    /// The figures of `period`, grouped by `group_by` and filtered by `filter` (which the
    /// caller checked apply to the measure): one per group of [`groups`], in that order.
    pub(crate) fn answer(
        &self,
        period: &Period,
        group_by: &[Dimension],
        filter: &Filter,
    ) -> ApiResult<Vec<Figure>> {
        let listed = groups(group_by, filter, period)?;
        let dims = self.measure.dimensions();
        let index = |d: Dimension| dims.iter().position(|x| *x == d);
        let member = |year: i32, cell: &Cell| {
            period.contains(year, cell.month)
                && filter.iter().all(|(dim, allowed)| {
                    index(*dim)
                        .and_then(|i| cell.values.get(i))
                        .is_some_and(|v| v.passes(allowed))
                })
        };
        // A cell is counted under one key per combination of the grouped values it has
        // (several for set dimensions); months are labelled with their year.
        let keys = |year: i32, cell: &Cell| -> Vec<Vec<String>> {
            let mut keys: Vec<Vec<String>> = vec![Vec::new()];
            for dim in group_by {
                let members: Vec<String> = match index(*dim) {
                    Some(i) => cell
                        .values
                        .get(i)
                        .map(|v| v.members().to_vec())
                        .unwrap_or_default(),
                    None => vec![month_label(year, cell.month)],
                };
                keys = keys
                    .into_iter()
                    .flat_map(|prefix| {
                        members.iter().map(move |m| {
                            let mut key = prefix.clone();
                            key.push(m.clone());
                            key
                        })
                    })
                    .collect();
            }
            keys
        };
        let published = suppression::figures(&self.years, self.k, member, keys);
        Ok(listed
            .into_iter()
            .map(|key| {
                let value = published.get(&key).copied();
                Figure { key, value }
            })
            .collect())
    }
}

// ---------------------------------------------------------------------------------------------
// Campaigns

/// Every campaign, newest first.
pub(crate) async fn campaigns(db: &impl ConnectionTrait) -> ApiResult<Vec<campaign::Model>> {
    Ok(campaign::Entity::find()
        .order_by_desc(campaign::Column::StartsOn)
        .order_by_asc(campaign::Column::Name)
        .all(db)
        .await?)
}

/// Campaigns by id.
pub(crate) async fn campaign(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> ApiResult<Option<campaign::Model>> {
    Ok(campaign::Entity::find_by_id(id).one(db).await?)
}

/// Values of a new campaign.
pub(crate) struct NewCampaign {
    pub(crate) name: String,
    pub(crate) period: Period,
    pub(crate) description: Option<String>,
}

/// Inserts a campaign; a duplicate name is a `CONFLICT`.
pub(crate) async fn insert_campaign(
    db: &impl ConnectionTrait,
    p: &Principal,
    n: NewCampaign,
) -> ApiResult<Uuid> {
    let now = super::now();
    let id = super::new_id();
    campaign::Entity::insert(campaign::ActiveModel {
        id: Set(id),
        name: Set(n.name),
        starts_on: Set(n.period.from()),
        ends_on: Set(n.period.to()),
        description: Set(n.description),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        created_by_agency: Set(p.agency.code().to_string()),
        created_by_subject: Set(p.subject.clone()),
    })
    .exec_without_returning(db)
    .await
    .map_err(super::conflict_if_duplicate(
        "a campaign with this name exists already",
    ))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn periods_are_whole_months() {
        let fields = ("from", "to");
        let summer = Period::of_days(day("2026-07-01"), day("2026-09-30"), fields);
        let summer = summer.ok().unwrap_or(Period {
            first: (0, 1),
            last: (0, 1),
        });
        assert_eq!(summer.len(), 3);
        assert_eq!(
            summer.months().collect::<Vec<_>>(),
            vec![(2026, 7), (2026, 8), (2026, 9)]
        );
        assert_eq!(
            (summer.from(), summer.to()),
            (day("2026-07-01"), day("2026-09-30"))
        );
        for (from, to, field) in [
            ("2026-07-02", "2026-09-30", "from"),
            ("2026-07-01", "2026-09-29", "to"),
            ("2026-07-01", "2026-06-30", "to"),
            ("2020-01-01", "2026-01-31", "to"),
        ] {
            match Period::of_days(day(from), day(to), fields) {
                Err(ApiError::BadInput { field: f, .. }) => assert_eq!(f, field, "{from}..{to}"),
                other => panic!("{from}..{to}: {other:?}"),
            }
        }
        let winter = Period::of_days(day("2025-12-01"), day("2026-02-28"), fields);
        let winter = winter.ok().map(|p| p.months().collect::<Vec<_>>());
        assert_eq!(winter, Some(vec![(2025, 12), (2026, 1), (2026, 2)]));
    }

    #[test]
    fn every_measure_splits_by_quarter_first_and_by_month_somewhere() {
        use strum::IntoEnumIterator;
        for m in Measure::iter() {
            let levels = m.levels();
            assert_eq!(levels.first(), Some(&Level::Quarter), "{m:?}");
            assert_eq!(levels.iter().filter(|l| **l == Level::Month).count(), 1);
            assert_eq!(levels.len(), m.dimensions().len() + 2);
        }
    }

    #[test]
    fn dimension_domains_list_every_value() {
        let period = Period {
            first: (2026, 11),
            last: (2027, 1),
        };
        assert_eq!(
            Dimension::Sex.domain(&period),
            vec!["MALE", "FEMALE", "UNKNOWN"]
        );
        assert_eq!(
            Dimension::Month.domain(&period),
            vec!["2026-11", "2026-12", "2027-01"]
        );
        assert_eq!(Dimension::Province.domain(&period).len(), 64);
        let countries = Dimension::DestinationCountry.domain(&period);
        assert!(countries.contains(&"KH".to_string()) && !countries.contains(&"VN".to_string()));
        assert_eq!(
            Dimension::AgeBand.domain(&period),
            vec![
                "UNDER_16",
                "AGE_16_17",
                "AGE_18_29",
                "AGE_30_44",
                "AGE_45_PLUS",
                "UNKNOWN"
            ]
        );
    }
}
