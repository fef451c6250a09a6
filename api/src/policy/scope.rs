//! Row scopes as SQL: which rows a principal may see, and which qualifiers ([`Rows`]) each row
//! satisfies, built as sea-query conditions from the grants in [`super::table`].
//!
//! Every list, lookup, count, cursor and nested load adds [`case_scope`], [`person_scope`] ...
//! to its `WHERE`, so rows out of scope never leave the database. The same qualifier conditions
//! become `CASE WHEN … THEN 1 ELSE 0 END AS q_…` columns ([`case_facts`] ...), so the field
//! guard knows, per row, which grants cover it. One definition per (type, qualifier), used both
//! ways.
//!
//! Conditions take a table alias so they can be nested (a person's scope looks at the cases it
//! is party to). This module builds conditions only; it never runs a query.

use sea_orm::sea_query::{
    Alias, Condition, Expr, ExprTrait, IntoCondition, JoinType, Query, SelectStatement,
};

use super::{Rows, grant, scope_rows, table};
use crate::auth::Principal;
use crate::domain::Agency;

/// Table names, as sea-query sees them.
pub mod tables {
    /// Cases.
    pub const CASE: &str = "case_record";
    /// Persons.
    pub const PERSON: &str = "person";
    /// Case parties.
    pub const PARTY: &str = "case_party";
    /// Identifiers.
    pub const IDENTIFIER: &str = "identifier";
    /// Indictments.
    pub const INDICTMENT: &str = "indictment";
    /// Embassy flags.
    pub const FLAG: &str = "victim_flag";
    /// Referrals.
    pub const REFERRAL: &str = "referral";
    /// Tips.
    pub const TIP: &str = "tip";
    /// Provinces.
    pub const PROVINCE: &str = "province";
    /// Disclosure requests.
    pub const DISCLOSURE: &str = "disclosure_request";
    /// Case links.
    pub const CASE_LINK: &str = "case_link";
}

use tables::*;

/// Referral statuses under which the receiver may read the person.
pub const REFERRAL_ACTIVE: [&str; 2] = ["ACCEPTED", "COMPLETED"];

/// `alias.column`.
pub fn col(alias: &str, column: &str) -> Expr {
    Expr::col((Alias::new(alias), Alias::new(column)))
}

fn exists(from: &str, alias: &str, cond: Condition) -> Condition {
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from_as(Alias::new(from), Alias::new(alias))
        .cond_where(cond);
    Expr::exists(sub).into_condition()
}

/// No row. Written as a literal (not `$1 = $2`), so that PostgreSQL prunes the branch in the
/// generic plan it keeps for a prepared statement as it would in a plan for one call (with
/// bound values, only a one-call plan can fold it, and PostgreSQL then plans every call anew).
fn never() -> Condition {
    Expr::cust("1 = 0").into_condition()
}

fn always() -> Condition {
    Condition::all()
}

fn agency_code(p: &Principal) -> &'static str {
    p.agency.code()
}

// ---------------------------------------------------------------------------------------------
// Cases

/// The case (alias `t`) is led or was created by the caller's agency.
fn case_owned(p: &Principal, t: &str) -> Condition {
    Condition::any()
        .add(col(t, "lead_agency").eq(agency_code(p)))
        .add(col(t, "created_by_agency").eq(agency_code(p)))
}

/// Jurisdiction and handling-code restrictions that apply to every case the caller sees.
pub fn case_restrictions(p: &Principal, t: &str) -> Condition {
    let mut cond = Condition::all();
    if table::JURISDICTION_LIMITED.contains(&p.agency)
        && let Some(provinces) = &p.jurisdiction
    {
        cond = cond.add(col(t, "province").is_in(provinces.iter().map(String::as_str)));
    }
    // H2: only the owning agency.
    cond = cond.add(
        Condition::any()
            .add(col(t, "handling_code").ne("H2"))
            .add(case_owned(p, t)),
    );
    if table::H1_EXCLUDED.contains(&p.agency) {
        cond = cond.add(col(t, "handling_code").ne("H1"));
    }
    cond
}

/// The case (alias `t`) satisfies qualifier `q` for the caller.
fn case_qualifier(p: &Principal, q: Rows, t: &str) -> Condition {
    match q {
        Rows::ALL => always(),
        Rows::OWN => case_owned(p, t),
        Rows::SHARED => {
            let mut border = Query::select();
            border
                .column(Alias::new("code"))
                .from(Alias::new(PROVINCE))
                .and_where(Expr::col(Alias::new("border")).eq(true));
            col(t, "province").in_subquery(border).into_condition()
        }
        Rows::INDICTED => exists(
            INDICTMENT,
            "qi",
            col("qi", "case_id")
                .equals((Alias::new(t), Alias::new("id")))
                .into_condition(),
        ),
        Rows::LINKED => Condition::any()
            .add(exists(
                FLAG,
                "qf",
                Condition::all()
                    .add(col("qf", "case_id").equals((Alias::new(t), Alias::new("id"))))
                    .add(col("qf", "created_by_agency").eq(agency_code(p))),
            ))
            .add(exists(
                REFERRAL,
                "qr",
                Condition::all()
                    .add(col("qr", "case_id").equals((Alias::new(t), Alias::new("id"))))
                    .add(
                        Condition::any()
                            .add(col("qr", "to_agency").eq(agency_code(p)))
                            .add(col("qr", "from_agency").eq(agency_code(p))),
                    ),
            ))
            .add(exists(
                TIP,
                "qt",
                Condition::all()
                    .add(col("qt", "case_id").equals((Alias::new(t), Alias::new("id"))))
                    .add(col("qt", "created_by_agency").eq(agency_code(p))),
            )),
        Rows::DISCLOSED => disclosed(p, "Case", t),
        _ => never(),
    }
}

/// The row (alias `t`) of `entity_type` was disclosed to the caller's agency by a granted,
/// unexpired disclosure request.
fn disclosed(p: &Principal, entity_type: &str, t: &str) -> Condition {
    exists(
        DISCLOSURE,
        "qd",
        Condition::all()
            .add(col("qd", "entity_type").eq(entity_type))
            .add(col("qd", "entity_id").equals((Alias::new(t), Alias::new("id"))))
            .add(col("qd", "requester_agency").eq(agency_code(p)))
            .add(col("qd", "status").eq("GRANTED"))
            .add(col("qd", "expires_at").gt(crate::store::rendered::scope_now())),
    )
}

fn qualified_scope(
    p: &Principal,
    ty: &str,
    t: &str,
    qualifier: fn(&Principal, Rows, &str) -> Condition,
) -> Condition {
    let rows = scope_rows(p.agency, ty);
    if rows.is_empty() {
        return never();
    }
    // "All" is itself a qualifier: every row for most types, but for persons only those
    // reachable through the caller's cases (see `person_qualifier`).
    rows.iter()
        .fold(Condition::any(), |any, q| any.add(qualifier(p, q, t)))
}

/// The cases (alias `t`) the caller may see.
pub fn case_scope(p: &Principal, t: &str) -> Condition {
    if scope_rows(p.agency, "Case").is_empty() {
        return never();
    }
    Condition::all()
        .add(case_restrictions(p, t))
        .add(qualified_scope(p, "Case", t, case_qualifier))
}

/// The qualifiers worth computing per row of `ty` for this agency: those its grants name,
/// except `ALL`.
pub fn fact_rows(agency: Agency, ty: &str) -> Rows {
    let mut rows = Rows::NONE;
    for class in super::classes_of(ty) {
        let g = grant(agency, *class);
        rows |= g.read | g.write;
    }
    Rows::LABELS
        .iter()
        .map(|(q, _)| *q)
        .filter(|q| *q != Rows::ALL && rows.contains(*q))
        .fold(Rows::NONE, |a, q| a | q)
}

/// Bits of the `facts` column beyond the row qualifiers (which use the low 16 bits).
pub mod fact_bits {
    /// Party as a suspect somewhere.
    pub const SUSPECT: i64 = 1 << 16;
    /// Party in a protected role somewhere, or flagged.
    pub const VICTIM: i64 = 1 << 17;
    /// A minor at exploitation somewhere.
    pub const MINOR: i64 = 1 << 18;
    /// A victim record withholds consent to share.
    pub const CONSENT_WITHHELD: i64 = 1 << 19;
    /// An accepted referral to the caller overrides consent.
    pub const CONSENT_OVERRIDDEN: i64 = 1 << 20;
    /// Flagged by the caller's own mission.
    pub const OWN_MISSION: i64 = 1 << 21;
}

/// The alias of the facts column every scoped query selects.
pub const FACTS_COLUMN: &str = "ctex_facts";

/// Folds `(bit, condition)` pairs into one integer expression:
/// `CASE WHEN c1 THEN b1 ELSE 0 END + CASE WHEN c2 THEN b2 ELSE 0 END ...` (0 when empty).
pub fn facts_expr(facts: Vec<(i64, Condition)>) -> Expr {
    facts
        .into_iter()
        .map(|(bit, cond)| -> Expr {
            Expr::case(cond, Expr::val(bit))
                .finally(Expr::val(0))
                .into()
        })
        .reduce(|a, b| a.add(b))
        .unwrap_or_else(|| Expr::val(0i64))
}

/// The case qualifier facts of the caller for the case aliased `t`.
pub fn case_facts(p: &Principal, t: &str) -> Vec<(i64, Condition)> {
    fact_rows(p.agency, "Case")
        .iter()
        .map(|q| (i64::from(q.bits()), case_qualifier(p, q, t)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Persons

fn party_in_cases(person: &str, case_cond: impl Fn(&str) -> Condition) -> Condition {
    let mut sub = Query::select();
    sub.expr(Expr::val(1))
        .from_as(Alias::new(PARTY), Alias::new("sp"))
        .join_as(
            JoinType::InnerJoin,
            Alias::new(CASE),
            Alias::new("sc"),
            col("sc", "id").equals((Alias::new("sp"), Alias::new("case_id"))),
        )
        .and_where(col("sp", "person_id").equals((Alias::new(person), Alias::new("id"))))
        .cond_where(case_cond("sc"));
    Expr::exists(sub).into_condition()
}

fn has_no_party(person: &str) -> Condition {
    exists(
        PARTY,
        "np",
        col("np", "person_id")
            .equals((Alias::new(person), Alias::new("id")))
            .into_condition(),
    )
    .not()
}

/// The person (alias `t`) satisfies qualifier `q` for the caller.
fn person_qualifier(p: &Principal, q: Rows, t: &str) -> Condition {
    let created_by_me = col(t, "created_by_agency").eq(agency_code(p));
    match q {
        // Persons are visible through the records the caller may see: the cases they are party
        // to, the embassy flags and the referrals about them; and the persons its agency
        // recorded that are in no case yet.
        Rows::ALL => Condition::any()
            .add(party_in_cases(t, |c| case_scope(p, c)))
            .add(exists(
                FLAG,
                "af",
                Condition::all()
                    .add(col("af", "person_id").equals((Alias::new(t), Alias::new("id"))))
                    .add(flags(p, "af").scope),
            ))
            .add(exists(
                REFERRAL,
                "ar",
                Condition::all()
                    .add(col("ar", "person_id").equals((Alias::new(t), Alias::new("id"))))
                    .add(referrals(p, "ar").scope),
            ))
            .add(Condition::all().add(created_by_me).add(has_no_party(t))),
        Rows::OWN => Condition::any()
            .add(created_by_me)
            .add(party_in_cases(t, |c| {
                Condition::all()
                    .add(case_restrictions(p, c))
                    .add(case_owned(p, c))
            })),
        Rows::INDICTED => party_in_cases(t, |c| {
            Condition::all()
                .add(case_scope(p, c))
                .add(case_qualifier(p, Rows::INDICTED, c))
        }),
        Rows::DEFENDANT => {
            let mut sub = Query::select();
            sub.expr(Expr::val(1))
                .from_as(Alias::new(INDICTMENT), Alias::new("di"))
                .join_as(
                    JoinType::InnerJoin,
                    Alias::new(CASE),
                    Alias::new("dc"),
                    col("dc", "id").equals((Alias::new("di"), Alias::new("case_id"))),
                )
                .and_where(col("di", "defendant_id").equals((Alias::new(t), Alias::new("id"))))
                .cond_where(case_scope(p, "dc"));
            Expr::exists(sub).into_condition()
        }
        Rows::OWN_FLAG => exists(
            FLAG,
            "pf",
            Condition::all()
                .add(col("pf", "person_id").equals((Alias::new(t), Alias::new("id"))))
                .add(col("pf", "created_by_agency").eq(agency_code(p))),
        ),
        Rows::REFERRED => exists(
            REFERRAL,
            "pr",
            Condition::all()
                .add(col("pr", "person_id").equals((Alias::new(t), Alias::new("id"))))
                .add(col("pr", "to_agency").eq(agency_code(p)))
                .add(col("pr", "status").is_in(REFERRAL_ACTIVE)),
        ),
        Rows::DISCLOSED => disclosed(p, "Person", t),
        _ => never(),
    }
}

/// The persons (alias `t`) the caller may see.
pub fn person_scope(p: &Principal, t: &str) -> Condition {
    qualified_scope(p, "Person", t, person_qualifier)
}

/// The person facts of the caller for the person aliased `t`: its qualifiers, plus the facts
/// its identity rules need ([`fact_bits`]).
pub fn person_facts(p: &Principal, t: &str) -> Vec<(i64, Condition)> {
    let mut out: Vec<(i64, Condition)> = fact_rows(p.agency, "Person")
        .iter()
        .map(|q| (i64::from(q.bits()), person_qualifier(p, q, t)))
        .collect();
    let me = || (Alias::new(t), Alias::new("id"));
    let party = |extra: Condition| {
        exists(
            PARTY,
            "fp",
            Condition::all()
                .add(col("fp", "person_id").equals(me()))
                .add(extra),
        )
    };
    let needs = identity_facts_needed(p.agency);
    if needs.roles {
        out.push((
            fact_bits::SUSPECT,
            party(col("fp", "role").eq("SUSPECT").into_condition()),
        ));
        out.push((
            fact_bits::VICTIM,
            Condition::any()
                .add(party(col("fp", "role").ne("SUSPECT").into_condition()))
                .add(exists(
                    FLAG,
                    "ff",
                    col("ff", "person_id").equals(me()).into_condition(),
                )),
        ));
    }
    // Always computed: `Person.isMinor` reads it, and the minor rule needs it.
    out.push((
        fact_bits::MINOR,
        party(col("fp", "is_minor").eq(true).into_condition()),
    ));
    if needs.consent {
        out.push((
            fact_bits::CONSENT_WITHHELD,
            party(
                Condition::all()
                    .add(col("fp", "role").ne("SUSPECT"))
                    .add(col("fp", "consent_to_share").eq(false)),
            ),
        ));
        out.push((
            fact_bits::CONSENT_OVERRIDDEN,
            exists(
                REFERRAL,
                "fr",
                Condition::all()
                    .add(col("fr", "person_id").equals(me()))
                    .add(active_referrals_to(p, "fr"))
                    .add(col("fr", "consent").eq("OVERRIDDEN")),
            ),
        ));
    }
    if needs.own_mission {
        let unit = p.unit.clone().unwrap_or_default();
        out.push((
            fact_bits::OWN_MISSION,
            exists(
                FLAG,
                "fm",
                Condition::all()
                    .add(col("fm", "person_id").equals(me()))
                    .add(col("fm", "created_by_agency").eq(agency_code(p)))
                    .add(col("fm", "mission_unit").eq(unit)),
            ),
        ));
    }
    out
}

/// What the conditions of this module read of the principal besides its agency: its unit
/// (foreign affairs' own-mission fact only) and its jurisdiction (jurisdiction-limited agencies
/// only). Statements are rendered once and reused per agency and these
/// (`store::rendered`), so a condition that reads more of the principal must add it
/// here; a unit test compares statements of principals with the same shape.
pub fn principal_shape(p: &Principal) -> (Option<&str>, Option<&[String]>) {
    let unit = if identity_facts_needed(p.agency).own_mission {
        p.unit.as_deref()
    } else {
        None
    };
    let jurisdiction = if table::JURISDICTION_LIMITED.contains(&p.agency) {
        p.jurisdiction.as_deref()
    } else {
        None
    };
    (unit, jurisdiction)
}

/// Which person facts an agency's identity rules depend on.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityFactsNeeded {
    /// Suspect and victim grants differ: the roles matter.
    pub roles: bool,
    /// The minor rule restricts this agency.
    pub minor: bool,
    /// The consent rule binds this agency.
    pub consent: bool,
    /// The agency may read a minor's identity for its own mission's flags.
    pub own_mission: bool,
    /// The agency may read persons through referrals (shared fields matter).
    pub shared_fields: bool,
}

/// The person facts worth computing for `agency`.
pub fn identity_facts_needed(agency: Agency) -> IdentityFactsNeeded {
    use super::Class;
    let suspect = grant(agency, Class::SuspectIdentity);
    let victim = grant(agency, Class::VictimIdentity);
    let reads_identity = !suspect.read.is_empty() || !victim.read.is_empty();
    IdentityFactsNeeded {
        roles: suspect != victim,
        minor: reads_identity && !table::MINOR_IDENTITY.contains(&agency),
        consent: reads_identity && table::CONSENT_BOUND.contains(&agency),
        own_mission: agency == Agency::ForeignAffairs,
        shared_fields: fact_rows(agency, "Person").contains(Rows::REFERRED)
            || fact_rows(agency, "CaseParty").contains(Rows::REFERRED),
    }
}

/// Referrals (alias `r`) that share their person with the caller: accepted and addressed to its
/// agency. Used to load `sharedFields`.
pub fn active_referrals_to(p: &Principal, r: &str) -> Condition {
    Condition::all()
        .add(col(r, "to_agency").eq(agency_code(p)))
        .add(col(r, "status").is_in(REFERRAL_ACTIVE))
}

// ---------------------------------------------------------------------------------------------
// Parties and identifiers

/// The parties (alias `t`, joined with their case as `c` and person as `pe`) the caller may
/// see: those of visible cases, and those of persons it may see without the case (referred,
/// flagged, own).
pub fn party_scope(p: &Principal, c: &str, pe: &str) -> Condition {
    Condition::any()
        .add(case_scope(p, c))
        .add(person_scope(p, pe))
}

/// Facts of a party row: the qualifiers its case (alias `c`) or its person (alias `pe`)
/// satisfies, and the person facts.
pub fn party_facts(p: &Principal, c: &str, pe: &str) -> Vec<(i64, Condition)> {
    let rows = fact_rows(p.agency, "CaseParty")
        | fact_rows(p.agency, "Case")
        | fact_rows(p.agency, "Person");
    let mut out: Vec<(i64, Condition)> = rows
        .iter()
        .map(|q| {
            let cond = Condition::any()
                .add(case_qualifier(p, q, c))
                .add(person_qualifier(p, q, pe));
            (i64::from(q.bits()), cond)
        })
        .collect();
    out.extend(
        person_facts(p, pe)
            .into_iter()
            .filter(|(bit, _)| *bit >= fact_bits::SUSPECT),
    );
    out
}

/// The audit events (alias `t`) the caller may see: oversight all, every other agency its own.
pub fn audit_scope(p: &Principal, t: &str) -> Condition {
    qualified_scope(p, "AuditEvent", t, |p, q, t| match q {
        Rows::ALL => always(),
        Rows::OWN => col(t, "agency").eq(agency_code(p)).into_condition(),
        _ => never(),
    })
}

// ---------------------------------------------------------------------------------------------
// Other record types

/// The scope and facts of one record type: its visible rows and, per row, the qualifiers it
/// satisfies for the caller.
pub struct Scoped {
    /// `WHERE` condition: the rows the caller may see.
    pub scope: Condition,
    /// `(bit, condition)` facts, for [`facts_expr`].
    pub facts: Vec<(i64, Condition)>,
}

fn scoped(
    p: &Principal,
    ty: &str,
    t: &str,
    qualifier: fn(&Principal, Rows, &str) -> Condition,
    restriction: Condition,
) -> Scoped {
    let scope = if scope_rows(p.agency, ty).is_empty() {
        never()
    } else {
        Condition::all()
            .add(restriction)
            .add(qualified_scope(p, ty, t, qualifier))
    };
    let facts = fact_rows(p.agency, ty)
        .iter()
        .map(|q| (i64::from(q.bits()), qualifier(p, q, t)))
        .collect();
    Scoped { scope, facts }
}

fn created_by_me(p: &Principal, t: &str) -> Condition {
    col(t, "created_by_agency")
        .eq(agency_code(p))
        .into_condition()
}

/// Rows of `ty` that hang off a case (indictments, verdicts, case events), joined to their case
/// as `c`: the case is visible and satisfies one of the type's qualifiers.
pub fn case_child(p: &Principal, ty: &str, c: &str) -> Scoped {
    scoped(p, ty, c, case_qualifier, case_restrictions(p, c))
}

/// Tips (alias `t`).
pub fn tips(p: &Principal, t: &str) -> Scoped {
    let mut restriction = Condition::all();
    if table::JURISDICTION_LIMITED.contains(&p.agency)
        && let Some(provinces) = &p.jurisdiction
    {
        restriction =
            restriction.add(col(t, "province").is_in(provinces.iter().map(String::as_str)));
    }
    scoped(
        p,
        "Tip",
        t,
        |p, q, t| match q {
            Rows::ALL => always(),
            Rows::OWN => created_by_me(p, t),
            Rows::BORDER => case_qualifier(p, Rows::SHARED, t),
            _ => never(),
        },
        restriction,
    )
}

/// Networks (alias `t`).
pub fn networks(p: &Principal, t: &str) -> Scoped {
    scoped(
        p,
        "Network",
        t,
        |p, q, t| match q {
            Rows::ALL => always(),
            Rows::OWN => created_by_me(p, t),
            _ => never(),
        },
        Condition::all(),
    )
}

/// Embassy flags (alias `t`).
pub fn flags(p: &Principal, t: &str) -> Scoped {
    scoped(
        p,
        "VictimFlag",
        t,
        |p, q, t| match q {
            Rows::ALL => always(),
            Rows::OWN => created_by_me(p, t),
            _ => never(),
        },
        Condition::all(),
    )
}

/// Referrals (alias `t`).
pub fn referrals(p: &Principal, t: &str) -> Scoped {
    scoped(
        p,
        "Referral",
        t,
        |p, q, t| match q {
            Rows::ALL => always(),
            Rows::OWN => col(t, "from_agency").eq(agency_code(p)).into_condition(),
            Rows::ADDRESSED => col(t, "to_agency").eq(agency_code(p)).into_condition(),
            _ => never(),
        },
        Condition::all(),
    )
}

/// Support services (alias `t`), of persons the caller may see (alias `pe` joined).
pub fn support(p: &Principal, t: &str, pe: &str) -> Scoped {
    scoped(
        p,
        "SupportService",
        t,
        |p, q, t| match q {
            Rows::ALL => always(),
            Rows::OWN => created_by_me(p, t),
            _ => never(),
        },
        person_scope(p, pe),
    )
}

/// The rows an aggregate over `class` counts: the caller's scope when it may read the class, all
/// rows when it may see aggregates only (the steering committee's national figures), none
/// otherwise.
pub fn aggregate(p: &Principal, class: super::Class, scoped: Condition) -> Condition {
    let g = grant(p.agency, class);
    if !g.read.is_empty() {
        scoped
    } else if g.aggregate {
        always()
    } else {
        never()
    }
}

/// Disclosure requests (alias `t`): those the caller's agency asked (own) or must answer
/// (addressed); oversight sees all.
pub fn disclosures(p: &Principal, t: &str) -> Scoped {
    scoped(
        p,
        "DisclosureRequest",
        t,
        |p, q, t| match q {
            Rows::ALL => always(),
            Rows::OWN => col(t, "requester_agency")
                .eq(agency_code(p))
                .into_condition(),
            Rows::ADDRESSED => col(t, "holder_agency").eq(agency_code(p)).into_condition(),
            _ => never(),
        },
        Condition::all(),
    )
}

/// Case links (alias `t`): links the caller may read whose two cases it may see.
pub fn case_links(p: &Principal, t: &str) -> Scoped {
    let both_visible = Condition::all()
        .add(col(t, "from_case").in_subquery(visible_case_ids(p)))
        .add(col(t, "to_case").in_subquery(visible_case_ids(p)));
    scoped(
        p,
        "CaseLink",
        t,
        |p, q, t| match q {
            Rows::ALL => always(),
            Rows::OWN => created_by_me(p, t),
            _ => never(),
        },
        both_visible,
    )
}

/// A sub-select of the ids of cases the caller may see (for `IN (...)` conditions).
pub fn visible_case_ids(p: &Principal) -> SelectStatement {
    let mut sub = Query::select();
    sub.column((Alias::new("vc"), Alias::new("id")))
        .from_as(Alias::new(CASE), Alias::new("vc"))
        .cond_where(case_scope(p, "vc"));
    sub
}
