//! Row qualifiers: the "own", "shared", "indicted" ... of DESIGN §5.2, as a small bit set.
//!
//! A grant in the policy table says on which rows an agency may read or write a class of fields
//! ([`Rows`]); a loaded row carries the qualifiers it satisfies for the caller (computed in SQL by
//! [`super::scope`]). A field is readable when the two intersect.

use std::fmt;

/// A set of row qualifiers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rows(u16);

impl Rows {
    /// No rows.
    pub const NONE: Rows = Rows(0);
    /// Every row in the caller's scope (after jurisdiction and handling codes).
    pub const ALL: Rows = Rows(1);
    /// Records the caller's agency created or leads (persons: created, or party to an own case).
    pub const OWN: Rows = Rows(1 << 1);
    /// Cases shared with border guards: those handled in land-border provinces.
    pub const SHARED: Rows = Rows(1 << 2);
    /// Cases with an indictment, and persons party to them.
    pub const INDICTED: Rows = Rows(1 << 3);
    /// Persons who are defendants of an indictment.
    pub const DEFENDANT: Rows = Rows(1 << 4);
    /// Cases linked to the caller's flags, referrals or tips.
    pub const LINKED: Rows = Rows(1 << 5);
    /// Persons flagged by the caller's agency (foreign affairs).
    pub const OWN_FLAG: Rows = Rows(1 << 6);
    /// Persons in an accepted referral addressed to the caller's agency (limited to its shared
    /// fields).
    pub const REFERRED: Rows = Rows(1 << 7);
    /// Records located in a land-border province.
    pub const BORDER: Rows = Rows(1 << 8);
    /// Records addressed to the caller's agency (referrals received, disclosure requests).
    pub const ADDRESSED: Rows = Rows(1 << 9);
    /// Records their holder disclosed to the caller's agency (a granted, unexpired disclosure
    /// request after a hit/no-hit).
    pub const DISCLOSED: Rows = Rows(1 << 10);

    /// The qualifiers with their labels, in table order.
    pub const LABELS: [(Rows, &'static str); 11] = [
        (Rows::ALL, "all"),
        (Rows::OWN, "own"),
        (Rows::SHARED, "shared"),
        (Rows::INDICTED, "indicted"),
        (Rows::DEFENDANT, "defendants"),
        (Rows::LINKED, "linked"),
        (Rows::OWN_FLAG, "own flags"),
        (Rows::REFERRED, "referred"),
        (Rows::BORDER, "border provinces"),
        (Rows::ADDRESSED, "addressed"),
        (Rows::DISCLOSED, "disclosed"),
    ];

    /// The raw bits (the `facts` column of a scoped query carries them).
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// A set from raw bits; unknown bits are dropped.
    pub const fn from_bits(bits: u16) -> Rows {
        Rows(bits & ((1 << Rows::LABELS.len()) - 1))
    }

    /// The union of two sets.
    pub const fn or(self, other: Rows) -> Rows {
        Rows(self.0 | other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every qualifier of `other` is in `self`.
    pub const fn contains(self, other: Rows) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether a row carrying qualifiers `row` is covered by this grant.
    ///
    /// `ALL` covers every row in scope; otherwise the row must satisfy one of the qualifiers.
    pub const fn covers(self, row: Rows) -> bool {
        self.0 & Rows::ALL.0 != 0 || self.0 & row.0 != 0
    }

    /// The individual qualifiers of this set.
    pub fn iter(self) -> impl Iterator<Item = Rows> {
        Rows::LABELS
            .into_iter()
            .map(|(q, _)| q)
            .filter(move |q| self.contains(*q))
    }
}

impl std::ops::BitOr for Rows {
    type Output = Rows;
    fn bitor(self, rhs: Rows) -> Rows {
        self.or(rhs)
    }
}

impl std::ops::BitOrAssign for Rows {
    fn bitor_assign(&mut self, rhs: Rows) {
        *self = self.or(rhs);
    }
}

impl fmt::Debug for Rows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Rows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let labels: Vec<&str> = Rows::LABELS
            .iter()
            .filter(|(q, _)| self.contains(*q))
            .map(|(_, l)| *l)
            .collect();
        if labels.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&labels.join(" or "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_covers_any_row_in_scope() {
        assert!(Rows::ALL.covers(Rows::NONE));
        assert!(Rows::ALL.covers(Rows::OWN));
    }

    #[test]
    fn a_qualified_grant_needs_a_matching_row() {
        let grant = Rows::OWN | Rows::SHARED;
        assert!(grant.covers(Rows::SHARED | Rows::INDICTED));
        assert!(!grant.covers(Rows::INDICTED));
        assert!(!grant.covers(Rows::NONE));
    }

    #[test]
    fn display_lists_labels() {
        assert_eq!((Rows::OWN | Rows::SHARED).to_string(), "own or shared");
        assert_eq!(Rows::NONE.to_string(), "none");
    }
}
