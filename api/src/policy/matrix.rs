//! The access matrix as Markdown, generated from the policy table for the README (a test keeps
//! the README in sync, so the documentation cannot drift from what is enforced).

use std::collections::BTreeMap;

use super::Rows;
use super::table::{Class, FIELDS, Grant, MATRIX, Rule};
use crate::domain::Agency;

fn rows_label(rows: Rows) -> String {
    if rows.contains(Rows::ALL) {
        String::new()
    } else {
        format!(" {rows}")
    }
}

/// One cell: `W`, `R`, `W own / R shared`, `Ref`, `Agg`, `—`.
pub fn cell(grant: Grant) -> String {
    let mut parts = Vec::new();
    if !grant.write.is_empty() {
        parts.push(format!("W{}", rows_label(grant.write)));
    }
    let read_only = Rows::from_bits(grant.read.bits() & !grant.write.bits());
    if !read_only.is_empty() && !grant.write.contains(Rows::ALL) {
        parts.push(format!("R{}", rows_label(read_only)));
    }
    if grant.reference {
        parts.push("Ref".into());
    }
    if grant.aggregate && parts.is_empty() {
        parts.push("Agg".into());
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(" / ")
    }
}

/// The fields of each class, from the field table (`Type.field`, output types only).
fn fields_by_class() -> BTreeMap<Class, Vec<String>> {
    let mut map: BTreeMap<Class, Vec<String>> = BTreeMap::new();
    for (ty, field, rule) in FIELDS {
        if matches!(*ty, "Query" | "Mutation" | "Subscription")
            || ty.ends_with("Input")
            || ty.ends_with("Filter")
        {
            continue;
        }
        let classes: &[Class] = match rule {
            Rule::Read(c) => std::slice::from_ref(c),
            Rule::PersonIdentity => &[Class::SuspectIdentity, Class::VictimIdentity],
            _ => &[],
        };
        for c in classes {
            map.entry(*c).or_default().push(format!("`{ty}.{field}`"));
        }
    }
    map
}

/// The matrix of DESIGN §5.2 as enforced, with the fields of each class.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("| data | ");
    out.push_str(
        &Agency::ALL
            .iter()
            .map(|a| a.code())
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push_str(" |\n|---|");
    out.push_str(&"---|".repeat(Agency::ALL.len()));
    out.push('\n');
    for (class, grants) in MATRIX {
        out.push_str(&format!("| {} | ", class.label()));
        out.push_str(
            &grants
                .iter()
                .map(|g| cell(*g))
                .collect::<Vec<_>>()
                .join(" | "),
        );
        out.push_str(" |\n");
    }
    out.push_str("\nRows: *own* = records the agency created or leads (persons: recorded by it, or party to its case); ");
    out.push_str("*shared* = cases in land-border provinces; *indicted* = cases with an indictment and their parties; ");
    out.push_str("*defendants* = persons indicted; *linked* = cases linked to the agency's flags, referrals or tips; ");
    out.push_str("*own flags* = persons its missions flagged; *referred* = persons in referrals to it that it accepted, ");
    out.push_str("limited to the referral's `sharedFields`; *addressed* = records sent to it; *border provinces* = land-border provinces.\n");
    out.push_str("\nAlso enforced: `jurisdiction` narrows police, border guard and procuracy to their provinces; ");
    out.push_str("a child's identity only to police, procuracy, court, social services and the flagging mission; ");
    out.push_str("`consentToShare = false` blocks identity to social services unless a referral overrides consent; ");
    out.push_str(
        "`H1` records are hidden from the court, `H2` records from everyone but the owner.\n",
    );
    out.push_str("\n| class | fields |\n|---|---|\n");
    for (class, fields) in fields_by_class() {
        out.push_str(&format!("| {} | {} |\n", class.label(), fields.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_like_the_design() {
        assert_eq!(cell(Grant::w(Rows::ALL)), "W");
        assert_eq!(cell(Grant::r(Rows::ALL)), "R");
        assert_eq!(cell(Grant::rw(Rows::SHARED, Rows::OWN)), "W own / R shared");
        assert_eq!(cell(Grant::w(Rows::OWN).with_ref()), "W own / Ref");
        assert_eq!(cell(Grant::AGG), "Agg");
        assert_eq!(cell(Grant::NONE), "—");
        assert_eq!(cell(Grant::r(Rows::INDICTED)), "R indicted");
    }
}
