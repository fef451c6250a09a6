//! Authorization: the one policy of ctex (DESIGN §5).
//!
//! Deny by default. [`table`] holds the rules as data; this module evaluates them:
//! - [`check`]: may this principal use this field on this row? (the generic guard calls it for
//!   every field of every object, root fields and input fields included);
//! - [`may_ever_use`]: may this agency use this field on some row? (drives the per-agency contract
//!   schema, `@requiresScopes` and the README matrix);
//! - [`scope`]: row scopes as SQL conditions, so out-of-scope rows never leave the database, and
//!   the row qualifiers ([`Rows`]) a loaded row satisfies for the caller.
//!
//! Nothing outside this module compares agencies or decides access. This module never touches
//! the database itself: [`scope`] only builds conditions.

pub mod matrix;
pub mod rows;
pub mod scope;
pub mod table;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock};

pub use rows::Rows;
pub use table::{Class, Grant, Rule};

use crate::auth::Principal;
use crate::domain::Agency;
use crate::error::ApiError;

/// The grant of `agency` on `class`.
///
/// A flat array indexed by the two enums' positions: the guard asks this several times per
/// field, so a lookup is two multiplications, not a hash of the key.
pub fn grant(agency: Agency, class: Class) -> Grant {
    static INDEX: LazyLock<Vec<Grant>> = LazyLock::new(|| {
        let agencies = Agency::ALL.len();
        let mut index =
            vec![Grant::NONE; <Class as strum::IntoEnumIterator>::iter().count() * agencies];
        for (class, grants) in table::MATRIX {
            for (agency, grant) in Agency::ALL.iter().zip(grants) {
                index[*class as usize * agencies + *agency as usize] = *grant;
            }
        }
        index
    });
    INDEX
        .get(class as usize * Agency::ALL.len() + agency as usize)
        .copied()
        .unwrap_or(Grant::NONE)
}

/// The rule of a GraphQL field; `None` when the table has none (nobody may use it).
pub fn rule(ty: &str, field: &str) -> Option<Rule> {
    static INDEX: LazyLock<HashMap<(&'static str, &'static str), Rule>> = LazyLock::new(|| {
        table::FIELDS
            .iter()
            .map(|(t, f, r)| ((*t, *f), *r))
            .collect()
    });
    INDEX.get(&(ty, field)).copied()
}

/// The classes whose fields live on `ty` (from the field table).
pub fn classes_of(ty: &str) -> &'static BTreeSet<Class> {
    static INDEX: LazyLock<HashMap<&'static str, BTreeSet<Class>>> = LazyLock::new(|| {
        let mut index: HashMap<&'static str, BTreeSet<Class>> = HashMap::new();
        for (t, _, rule) in table::FIELDS {
            let entry = index.entry(*t).or_default();
            match rule {
                Rule::Read(class) => {
                    entry.insert(*class);
                }
                Rule::PersonIdentity => {
                    entry.insert(Class::SuspectIdentity);
                    entry.insert(Class::VictimIdentity);
                }
                _ => {}
            }
        }
        index
    });
    static EMPTY: BTreeSet<Class> = BTreeSet::new();
    INDEX.get(ty).unwrap_or(&EMPTY)
}

/// The rows of `ty` an agency may see at all: the union of its read grants over the classes
/// of that type. Empty means the type is invisible to the agency.
pub fn scope_rows(agency: Agency, ty: &str) -> Rows {
    classes_of(ty)
        .iter()
        .fold(Rows::NONE, |acc, class| acc | grant(agency, *class).read)
}

/// Whether `agency` reads `class` on every row of its scope of `ty` (so filtering or sorting on
/// it reveals nothing).
pub fn reads_whole_scope(agency: Agency, ty: &str, class: Class) -> bool {
    let read = grant(agency, class).read;
    !read.is_empty() && (read.contains(Rows::ALL) || read.contains(scope_rows(agency, ty)))
}

/// Whether `agency` may filter on person identity: it reads both identity classes on every
/// person of its scope, and no row-dependent rule (minors, consent, referral shared fields)
/// narrows that reading, so a filter cannot reveal what it may not read.
pub fn filters_identity(agency: Agency) -> bool {
    let whole = [Class::SuspectIdentity, Class::VictimIdentity]
        .iter()
        .all(|c| {
            reads_whole_scope(agency, "Person", *c)
                && !grant(agency, *c).read.contains(Rows::REFERRED)
        });
    whole && table::MINOR_IDENTITY.contains(&agency) && !table::CONSENT_BOUND.contains(&agency)
}

/// Whether `agency` may run hit/no-hit searches: it reads or gets references to some identity.
pub fn hits(agency: Agency) -> bool {
    [Class::SuspectIdentity, Class::VictimIdentity]
        .iter()
        .any(|c| {
            let g = grant(agency, *c);
            g.reference || !g.read.is_empty()
        })
}

/// Facts about a person that the identity rules need, computed for the caller.
#[derive(Clone, Debug, Default)]
pub struct PersonFacts {
    /// Party as a suspect in some case.
    pub suspect: bool,
    /// Party in some case in a protected role (victim, witness ...), or flagged.
    pub victim: bool,
    /// Under 18 at exploitation in some case.
    pub minor: bool,
    /// A victim record says `consentToShare = false`.
    pub consent_withheld: bool,
    /// A referral accepted by the caller's agency records an overridden consent.
    pub consent_overridden: bool,
    /// Flagged by the caller's own mission (same agency and unit).
    pub flagged_by_own_mission: bool,
    /// Fields shared with the caller by accepted referrals (when the row is `REFERRED`).
    pub shared_fields: Option<Arc<BTreeSet<String>>>,
}

/// What the policy knows about one loaded row, for the current caller.
#[derive(Clone, Debug, Default)]
pub struct RowFacts {
    /// The qualifiers the row satisfies (`ALL` is implied: the row is in scope).
    pub quals: Rows,
    /// For persons and person-level rows (parties, identifiers).
    pub person: Option<PersonFacts>,
}

impl RowFacts {
    /// Facts of a row the caller has just created: its own, in its scope.
    pub fn created() -> RowFacts {
        RowFacts {
            quals: Rows::OWN,
            person: None,
        }
    }

    /// Decodes the `facts` column of a scoped query ([`scope::FACTS_COLUMN`]).
    pub fn from_bits(bits: i64) -> RowFacts {
        use scope::fact_bits as b;
        let quals = Rows::from_bits((bits & 0xFFFF) as u16);
        let person = (bits >> 16 != 0).then_some(PersonFacts {
            suspect: bits & b::SUSPECT != 0,
            victim: bits & b::VICTIM != 0,
            minor: bits & b::MINOR != 0,
            consent_withheld: bits & b::CONSENT_WITHHELD != 0,
            consent_overridden: bits & b::CONSENT_OVERRIDDEN != 0,
            flagged_by_own_mission: bits & b::OWN_MISSION != 0,
            shared_fields: None,
        });
        RowFacts { quals, person }
    }

    /// The same facts with the fields shared by referrals attached.
    pub fn with_shared_fields(mut self, fields: Option<Arc<BTreeSet<String>>>) -> RowFacts {
        if fields.is_some() {
            self.person
                .get_or_insert_with(PersonFacts::default)
                .shared_fields = fields;
        }
        self
    }
}

/// Whether a field is used for reading or writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Read,
    Write,
}

fn covered(agency: Agency, class: Class, mode: Mode, field: &str, facts: &RowFacts) -> bool {
    let grant = grant(agency, class);
    let rows = match mode {
        Mode::Read => grant.read,
        Mode::Write => grant.write,
    };
    if !rows.covers(facts.quals) {
        return false;
    }
    if rows.contains(Rows::ALL) {
        return true;
    }
    // Covered only because the person was referred: limited to the referral's shared fields,
    // for reading and for writing (a receiver writes only what it may read). A root mutation
    // names no field of the person: it is covered by the referral, its input fields are not.
    if field.is_empty() {
        return true;
    }
    let via = rows
        .iter()
        .filter(|q| facts.quals.contains(*q))
        .fold(Rows::NONE, |a, q| a | q);
    if via == Rows::REFERRED && class.is_person_level() {
        let shared = facts.person.as_ref().and_then(|p| p.shared_fields.as_ref());
        return shared.is_some_and(|s| s.contains(field));
    }
    true
}

fn identity_classes(facts: &RowFacts) -> impl Iterator<Item = Class> {
    let (suspect, victim) = match &facts.person {
        Some(p) => (p.suspect, p.victim || !p.suspect),
        None => (false, true),
    };
    [
        (suspect, Class::SuspectIdentity),
        (victim, Class::VictimIdentity),
    ]
    .into_iter()
    .filter(|(applies, _)| *applies)
    .map(|(_, class)| class)
}

fn identity_allowed(agency: Agency, mode: Mode, field: &str, facts: &RowFacts) -> bool {
    if !identity_classes(facts).all(|class| covered(agency, class, mode, field, facts)) {
        return false;
    }
    let Some(person) = &facts.person else {
        return true;
    };
    if person.minor
        && !table::MINOR_IDENTITY.contains(&agency)
        && !(agency == Agency::ForeignAffairs && person.flagged_by_own_mission)
    {
        return false;
    }
    if person.consent_withheld
        && !person.consent_overridden
        && table::CONSENT_BOUND.contains(&agency)
    {
        return false;
    }
    true
}

/// Why a field was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The agency may not use the field here.
    Forbidden,
    /// A read-only token (`ctex:read`) tried to write.
    ReadOnly,
}

/// May `principal` use `field` of `ty`, governed by `rule`, on a row with `facts`?
///
/// Root fields and structural fields are checked without facts (`RowFacts::default()`).
pub fn check(
    principal: &Principal,
    rule: Rule,
    ty: &str,
    field: &str,
    facts: &RowFacts,
) -> Result<(), Denial> {
    let agency = principal.agency;
    let field = table::SHARED_AS
        .iter()
        .find(|(t, _)| *t == ty)
        .map(|(_, f)| *f)
        .unwrap_or(field);
    // A root mutation is an operation, not a field of the row: no referral's shared fields name
    // it (see `covered`).
    let field = if ty == "Mutation" { "" } else { field };
    let allowed = match rule {
        Rule::Structural => true,
        Rule::Key => !scope_rows(agency, ty).is_empty(),
        Rule::Entry(target) => !scope_rows(agency, target).is_empty(),
        Rule::Read(class) => covered(agency, class, Mode::Read, field, facts),
        Rule::PersonIdentity => identity_allowed(agency, Mode::Read, field, facts),
        Rule::Filter(target, class) => reads_whole_scope(agency, target, class),
        Rule::FilterIdentity => filters_identity(agency),
        Rule::Hits => hits(agency),
        Rule::Aggregate(class) => {
            let g = grant(agency, class);
            !g.read.is_empty() || g.aggregate
        }
        Rule::Write(_) | Rule::WriteIdentity if principal.read_only() => {
            return Err(Denial::ReadOnly);
        }
        Rule::Write(class) => covered(agency, class, Mode::Write, field, facts),
        Rule::WriteIdentity => identity_allowed(agency, Mode::Write, field, facts),
    };
    if allowed {
        Ok(())
    } else {
        Err(Denial::Forbidden)
    }
}

/// May `principal` use a root field (or a filter, sort key or input field) governed by `rule`
/// at all? Row-level checks follow on the rows the operation touches.
pub fn check_static(principal: &Principal, rule: Rule, ty: &str) -> Result<(), Denial> {
    if matches!(rule, Rule::Write(_) | Rule::WriteIdentity) && principal.read_only() {
        return Err(Denial::ReadOnly);
    }
    if may_ever_use(principal.agency, rule, ty) {
        Ok(())
    } else {
        Err(Denial::Forbidden)
    }
}

/// Whether `agency` may use a field governed by `rule` on at least some row: the field is part
/// of the agency's contract schema.
pub fn may_ever_use(agency: Agency, rule: Rule, ty: &str) -> bool {
    match rule {
        Rule::Structural => true,
        Rule::Key => !scope_rows(agency, ty).is_empty(),
        Rule::Entry(target) => !scope_rows(agency, target).is_empty(),
        Rule::Read(class) => !grant(agency, class).read.is_empty(),
        Rule::PersonIdentity => [Class::SuspectIdentity, Class::VictimIdentity]
            .iter()
            .any(|c| !grant(agency, *c).read.is_empty()),
        Rule::Filter(target, class) => reads_whole_scope(agency, target, class),
        Rule::FilterIdentity => filters_identity(agency),
        Rule::Hits => hits(agency),
        Rule::Aggregate(class) => {
            let g = grant(agency, class);
            !g.read.is_empty() || g.aggregate
        }
        Rule::Write(class) => !grant(agency, class).write.is_empty(),
        Rule::WriteIdentity => [Class::SuspectIdentity, Class::VictimIdentity]
            .iter()
            .any(|c| !grant(agency, *c).write.is_empty()),
    }
}

/// The class whose reading makes a field person-level (needs a purpose, is audited), if any.
pub fn person_level(rule: Rule) -> bool {
    match rule {
        Rule::PersonIdentity | Rule::WriteIdentity => true,
        Rule::Read(class) | Rule::Write(class) => class.is_person_level(),
        _ => false,
    }
}

impl Denial {
    /// The API error for this denial at `ty.field`.
    pub fn into_error(self, ty: &str, field: &str) -> ApiError {
        match self {
            Denial::Forbidden => {
                ApiError::forbidden(format!("your agency may not access {ty}.{field} here"))
            }
            Denial::ReadOnly => ApiError::forbidden(format!(
                "a read-only token (ctex:read) may not use {ty}.{field}"
            )),
        }
    }
}

#[cfg(test)]
mod tests;
