//! Unit tests of the policy engine: the table's invariants and the row-dependent rules.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use strum::IntoEnumIterator;

use super::*;
use crate::auth::Principal;

fn principal(agency: Agency) -> Principal {
    Principal::for_test(agency, "t")
}

fn person(quals: Rows, f: impl FnOnce(&mut PersonFacts)) -> RowFacts {
    let mut p = PersonFacts::default();
    f(&mut p);
    RowFacts {
        quals,
        person: Some(p),
    }
}

fn reads(agency: Agency, ty: &str, field: &str, facts: &RowFacts) -> bool {
    let rule = rule(ty, field).unwrap_or(Rule::Structural);
    check(&principal(agency), rule, ty, field, facts).is_ok()
}

#[test]
fn every_class_has_exactly_one_row_and_writes_imply_reads() {
    let classes: Vec<Class> = table::MATRIX.iter().map(|(c, _)| *c).collect();
    let unique: HashSet<Class> = classes.iter().copied().collect();
    assert_eq!(classes.len(), unique.len(), "a class is listed twice");
    for class in Class::iter() {
        assert!(
            unique.contains(&class),
            "{class:?} has no row in the matrix"
        );
    }
    for (class, grants) in table::MATRIX {
        for g in grants {
            assert!(
                g.read.contains(g.write),
                "{class:?}: write rows outside read rows"
            );
        }
    }
}

#[test]
fn fields_are_listed_once() {
    let mut seen = HashSet::new();
    for (ty, field, _) in table::FIELDS {
        assert!(seen.insert((ty, field)), "{ty}.{field} is listed twice");
    }
}

#[test]
fn unknown_fields_have_no_rule() {
    assert_eq!(rule("Person", "bloodType"), None);
    assert_eq!(rule("Nope", "id"), None);
}

#[test]
fn steering_and_oversight_never_read_a_person() {
    let anyone = person(
        Rows::ALL | Rows::OWN | Rows::INDICTED | Rows::REFERRED,
        |p| p.victim = true,
    );
    for agency in [Agency::Steering, Agency::Oversight] {
        for field in ["fullName", "address", "phone", "dateOfBirth"] {
            assert!(
                !reads(agency, "Person", field, &anyone),
                "{agency:?} reads Person.{field}"
            );
        }
        assert!(scope_rows(agency, "Person").is_empty());
        assert!(scope_rows(agency, "Case").is_empty());
    }
}

#[test]
fn the_court_reads_defendants_and_victims_of_indicted_cases_only() {
    let defendant = person(Rows::DEFENDANT | Rows::INDICTED, |p| p.suspect = true);
    let other_suspect = person(Rows::INDICTED, |p| p.suspect = true);
    let victim = person(Rows::INDICTED, |p| p.victim = true);
    assert!(reads(Agency::Court, "Person", "fullName", &defendant));
    assert!(!reads(Agency::Court, "Person", "fullName", &other_suspect));
    assert!(reads(Agency::Court, "Person", "fullName", &victim));
    assert!(!reads(
        Agency::Court,
        "Person",
        "fullName",
        &person(Rows::NONE, |p| p.victim = true)
    ));
    assert!(!reads(
        Agency::Court,
        "Case",
        "summary",
        &RowFacts {
            quals: Rows::INDICTED,
            person: None
        }
    ));
}

#[test]
fn a_childs_identity_is_hidden_from_border_guard_and_other_missions() {
    let child_in_own_rescue = person(Rows::OWN, |p| {
        p.victim = true;
        p.minor = true;
    });
    assert!(!reads(
        Agency::BorderGuard,
        "Person",
        "fullName",
        &child_in_own_rescue
    ));
    let adult_in_own_rescue = person(Rows::OWN, |p| p.victim = true);
    assert!(reads(
        Agency::BorderGuard,
        "Person",
        "fullName",
        &adult_in_own_rescue
    ));
    let child_flagged_by_another_mission = person(Rows::OWN_FLAG, |p| {
        p.victim = true;
        p.minor = true;
    });
    assert!(!reads(
        Agency::ForeignAffairs,
        "Person",
        "fullName",
        &child_flagged_by_another_mission
    ));
    let child_flagged_here = person(Rows::OWN_FLAG, |p| {
        p.victim = true;
        p.minor = true;
        p.flagged_by_own_mission = true;
    });
    assert!(reads(
        Agency::ForeignAffairs,
        "Person",
        "fullName",
        &child_flagged_here
    ));
    assert!(reads(
        Agency::Police,
        "Person",
        "fullName",
        &person(Rows::NONE, |p| p.minor = true)
    ));
}

#[test]
fn withheld_consent_blocks_social_services_unless_overridden() {
    let mut withheld = person(Rows::OWN, |p| {
        p.victim = true;
        p.consent_withheld = true;
    });
    assert!(!reads(
        Agency::SocialServices,
        "Person",
        "fullName",
        &withheld
    ));
    if let Some(p) = withheld.person.as_mut() {
        p.consent_overridden = true;
    }
    assert!(reads(
        Agency::SocialServices,
        "Person",
        "fullName",
        &withheld
    ));
    let police_view = person(Rows::NONE, |p| p.consent_withheld = true);
    assert!(
        reads(Agency::Police, "Person", "fullName", &police_view),
        "consent binds social services only"
    );
}

#[test]
fn a_referral_shares_only_its_fields() {
    let shared: BTreeSet<String> = ["fullName", "dateOfBirth", "phone"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let referred = RowFacts {
        quals: Rows::REFERRED,
        person: Some(PersonFacts {
            victim: true,
            ..Default::default()
        }),
    }
    .with_shared_fields(Some(Arc::new(shared)));
    assert!(reads(
        Agency::SocialServices,
        "Person",
        "fullName",
        &referred
    ));
    assert!(reads(Agency::SocialServices, "Person", "phone", &referred));
    assert!(!reads(
        Agency::SocialServices,
        "Person",
        "address",
        &referred
    ));
    let own = RowFacts {
        quals: Rows::REFERRED | Rows::OWN,
        ..referred.clone()
    };
    assert!(
        reads(Agency::SocialServices, "Person", "address", &own),
        "its own record is not limited"
    );
}

#[test]
fn border_guard_reads_shared_cases_but_intelligence_only_on_its_own() {
    let shared = RowFacts {
        quals: Rows::SHARED,
        person: None,
    };
    let own = RowFacts {
        quals: Rows::OWN,
        person: None,
    };
    assert!(reads(Agency::BorderGuard, "Case", "title", &shared));
    assert!(!reads(Agency::BorderGuard, "Case", "summary", &shared));
    assert!(reads(Agency::BorderGuard, "Case", "summary", &own));
    assert!(reads_whole_scope(
        Agency::BorderGuard,
        "Case",
        Class::CaseCore
    ));
    assert!(!reads_whole_scope(
        Agency::BorderGuard,
        "Case",
        Class::CaseIntel
    ));
}

#[test]
fn foreign_affairs_sees_only_the_status_of_linked_cases() {
    let linked = RowFacts {
        quals: Rows::LINKED,
        person: None,
    };
    assert!(reads(Agency::ForeignAffairs, "Case", "status", &linked));
    assert!(!reads(Agency::ForeignAffairs, "Case", "title", &linked));
    assert!(!reads(
        Agency::ForeignAffairs,
        "Case",
        "status",
        &RowFacts::default()
    ));
}

#[test]
fn a_read_only_token_cannot_write() {
    let mut p = principal(Agency::Police);
    p.scopes = vec![crate::auth::READ_SCOPE.to_string()];
    let rule = rule("Mutation", "openCase").unwrap_or(Rule::Structural);
    assert_eq!(check_static(&p, rule, "Mutation"), Err(Denial::ReadOnly));
    assert!(check_static(&principal(Agency::Police), rule, "Mutation").is_ok());
}

#[test]
fn only_the_agencies_that_may_write_cases_see_open_case() {
    let rule = rule("Mutation", "openCase").unwrap_or(Rule::Structural);
    let writers: Vec<Agency> = Agency::ALL
        .into_iter()
        .filter(|a| may_ever_use(*a, rule, "Mutation"))
        .collect();
    assert_eq!(writers, vec![Agency::Police, Agency::BorderGuard]);
}

#[test]
fn facts_round_trip_through_their_bits() {
    use scope::fact_bits as b;
    let bits =
        i64::from((Rows::OWN | Rows::REFERRED).bits()) | b::SUSPECT | b::MINOR | b::OWN_MISSION;
    let facts = RowFacts::from_bits(bits);
    assert_eq!(facts.quals, Rows::OWN | Rows::REFERRED);
    let p = facts.person.unwrap_or_default();
    assert!(p.suspect && p.minor && p.flagged_by_own_mission && !p.victim && !p.consent_withheld);
    assert!(
        RowFacts::from_bits(i64::from(Rows::OWN.bits()))
            .person
            .is_none()
    );
}

#[test]
fn the_steering_committee_may_use_nothing_but_statistics_campaigns_and_reports() {
    let mut roots: Vec<String> = table::FIELDS
        .iter()
        .filter(|(ty, _, _)| matches!(*ty, "Query" | "Mutation" | "Subscription"))
        .filter(|(ty, _, rule)| may_ever_use(Agency::Steering, *rule, ty))
        .map(|(ty, field, _)| format!("{ty}.{field}"))
        .collect();
    roots.sort();
    assert_eq!(
        roots,
        [
            "Mutation.createCampaign",
            "Query.campaigns",
            "Query.me",
            "Query.report",
            "Query.statistics"
        ]
    );
    // It reads no field of any row type either: only the statistics' own structure.
    for (ty, field, rule) in table::FIELDS {
        if matches!(*rule, Rule::Structural) || ty.ends_with("Input") {
            continue;
        }
        let allowed = may_ever_use(Agency::Steering, *rule, ty);
        assert_eq!(
            allowed,
            matches!(*ty, "Query" | "Mutation" | "Campaign" | "StatisticsMeasure")
                && (!matches!(*ty, "Query" | "Mutation")
                    || ["statistics", "report", "campaigns", "createCampaign"].contains(field)),
            "{ty}.{field}"
        );
    }
}

#[test]
fn every_measure_counts_one_class_and_oversight_counts_none() {
    let measures: Vec<(&str, Rule)> = table::FIELDS
        .iter()
        .filter(|(ty, _, _)| *ty == "StatisticsMeasure")
        .map(|(_, m, r)| (*m, *r))
        .collect();
    assert_eq!(measures.len(), 13);
    for (measure, rule) in measures {
        let Rule::Aggregate(class) = rule else {
            panic!("{measure}: {rule:?}");
        };
        assert!(
            may_ever_use(Agency::Steering, rule, "StatisticsMeasure"),
            "{measure}"
        );
        assert!(
            !may_ever_use(Agency::Oversight, rule, "StatisticsMeasure"),
            "{measure}"
        );
        // Whoever may count it reads the class or sees its aggregates: the matrix says so.
        for agency in Agency::ALL {
            let g = grant(agency, class);
            assert_eq!(
                may_ever_use(agency, rule, "StatisticsMeasure"),
                !g.read.is_empty() || g.aggregate,
                "{agency:?} {measure}"
            );
        }
    }
    assert!(grant(Agency::Oversight, Class::Statistics).read.is_empty());
    assert!(!grant(Agency::Steering, Class::Statistics).write.is_empty());
}

#[test]
fn per_channel_tip_figures_are_for_agencies_that_read_tips() {
    let rule = rule("Query", "tipStatistics").unwrap_or(Rule::Structural);
    assert_eq!(rule, Rule::Read(Class::Tips));
    let users: Vec<Agency> = Agency::ALL
        .into_iter()
        .filter(|a| may_ever_use(*a, rule, "Query"))
        .collect();
    assert_eq!(
        users,
        [Agency::Police, Agency::BorderGuard, Agency::SocialServices]
    );
}
