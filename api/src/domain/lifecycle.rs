//! The lifecycles of DESIGN §4.1 as explicit state machines: every legal move, and which agency
//! may make it. A move not listed is `INVALID_TRANSITION`, naming the moves the caller may make
//! from the current state.
//!
//! Each machine is a table of `(from, to, agencies)`. The policy decides whether an agency may
//! write a record at all; a machine decides which moves of that record are legal, and by whom
//! (the procuracy moves a case to `PROSECUTION`, the court to `TRIAL` and `ADJUDICATED` ...).
//! Moves are recorded (who, when, why) by the store in `status_history`.

use crate::domain::Agency;
use crate::error::ApiError;

use Agency::{
    BorderGuard as BG, Court, ForeignAffairs as FA, Police, Procuracy, SocialServices as SS,
};

/// One legal move.
#[derive(Clone, Copy, Debug)]
pub struct Move {
    /// State before.
    pub from: &'static str,
    /// State after.
    pub to: &'static str,
    /// Agencies that may make it.
    pub by: &'static [Agency],
}

/// A lifecycle.
#[derive(Clone, Copy, Debug)]
pub struct Machine {
    /// What moves (for messages): `case`, `identification` ...
    pub name: &'static str,
    /// Its legal moves.
    pub moves: &'static [Move],
}

const fn m(from: &'static str, to: &'static str, by: &'static [Agency]) -> Move {
    Move { from, to, by }
}

const INVESTIGATORS: &[Agency] = &[Police, BG];

/// Case: `REPORTED → UNDER_INVESTIGATION → PROSECUTION → TRIAL → ADJUDICATED → CLOSED`, with
/// `SUSPENDED` and `DISMISSED` side exits. Police and border guard own investigation moves, the
/// procuracy `PROSECUTION`, the court `TRIAL` and `ADJUDICATED`.
pub const CASE: Machine = Machine {
    name: "case",
    moves: &[
        m("REPORTED", "UNDER_INVESTIGATION", INVESTIGATORS),
        m("REPORTED", "DISMISSED", INVESTIGATORS),
        m("UNDER_INVESTIGATION", "SUSPENDED", INVESTIGATORS),
        m("SUSPENDED", "UNDER_INVESTIGATION", INVESTIGATORS),
        m("UNDER_INVESTIGATION", "DISMISSED", INVESTIGATORS),
        m("SUSPENDED", "DISMISSED", INVESTIGATORS),
        m("UNDER_INVESTIGATION", "PROSECUTION", &[Procuracy]),
        m("PROSECUTION", "DISMISSED", &[Procuracy]),
        m("PROSECUTION", "UNDER_INVESTIGATION", &[Procuracy]),
        m("PROSECUTION", "TRIAL", &[Court]),
        m("TRIAL", "ADJUDICATED", &[Court]),
        m("TRIAL", "PROSECUTION", &[Court]),
        m("ADJUDICATED", "CLOSED", &[Court]),
    ],
};

/// Victim identification (Law 53/2024): `RECEIVED → VERIFYING → IDENTIFIED | NOT_A_VICTIM`;
/// verification is due 3 days after receipt.
pub const IDENTIFICATION: Machine = Machine {
    name: "identification",
    moves: &[
        m("RECEIVED", "VERIFYING", &[Police, BG, SS]),
        m("VERIFYING", "IDENTIFIED", &[Police, BG, SS]),
        m("VERIFYING", "NOT_A_VICTIM", &[Police, BG, SS]),
    ],
};

/// Tip: `RECEIVED → VERIFYING → CASE_OPENED | UNFOUNDED | FORWARDED` (also straight from
/// `RECEIVED`), recorded by social services (hotline 111).
pub const TIP: Machine = Machine {
    name: "tip",
    moves: &[
        m("RECEIVED", "VERIFYING", &[SS]),
        m("RECEIVED", "FORWARDED", &[SS]),
        m("RECEIVED", "UNFOUNDED", &[SS]),
        m("VERIFYING", "CASE_OPENED", &[SS]),
        m("VERIFYING", "UNFOUNDED", &[SS]),
        m("VERIFYING", "FORWARDED", &[SS]),
        m("FORWARDED", "CASE_OPENED", &[SS]),
    ],
};

/// Embassy flag: `FLAGGED → VERIFYING → CONFIRMED → RESCUED → REPATRIATED → HANDED_OVER →
/// CLOSED`, or `UNFOUNDED`. Foreign affairs runs it, police confirms the identity, the border
/// guard records the handover, social services closes after reception.
pub const FLAG: Machine = Machine {
    name: "flag",
    moves: &[
        m("FLAGGED", "VERIFYING", &[FA]),
        m("VERIFYING", "CONFIRMED", &[Police]),
        m("VERIFYING", "UNFOUNDED", &[Police, FA]),
        m("FLAGGED", "UNFOUNDED", &[FA]),
        m("CONFIRMED", "RESCUED", &[FA]),
        m("RESCUED", "REPATRIATED", &[FA]),
        m("REPATRIATED", "HANDED_OVER", &[BG]),
        m("HANDED_OVER", "CLOSED", &[SS, FA]),
    ],
};

/// Referral: `SENT → ACCEPTED | DECLINED | REVOKED`, `ACCEPTED → COMPLETED | REVOKED`. The
/// receiver accepts, declines and completes; the sender revokes.
pub const REFERRAL: Machine = Machine {
    name: "referral",
    moves: &[
        m("SENT", "ACCEPTED", &[Police, BG, Procuracy, Court, FA, SS]),
        m("SENT", "DECLINED", &[Police, BG, Procuracy, Court, FA, SS]),
        m("SENT", "REVOKED", &[Police, BG, Procuracy, Court, FA, SS]),
        m(
            "ACCEPTED",
            "COMPLETED",
            &[Police, BG, Procuracy, Court, FA, SS],
        ),
        m(
            "ACCEPTED",
            "REVOKED",
            &[Police, BG, Procuracy, Court, FA, SS],
        ),
    ],
};

impl Machine {
    /// The moves `agency` may make from `from`.
    pub fn allowed(&self, agency: Agency, from: &str) -> Vec<&'static str> {
        self.moves
            .iter()
            .filter(|mv| mv.from == from && mv.by.contains(&agency))
            .map(|mv| mv.to)
            .collect()
    }

    /// Checks that `agency` may move from `from` to `to`.
    pub fn check(&self, agency: Agency, from: &str, to: &str) -> Result<(), ApiError> {
        if self
            .moves
            .iter()
            .any(|mv| mv.from == from && mv.to == to && mv.by.contains(&agency))
        {
            return Ok(());
        }
        let allowed = self.allowed(agency, from);
        let exists = self.moves.iter().any(|mv| mv.from == from && mv.to == to);
        let message = if exists {
            format!(
                "{} {from} → {to} is not a move your agency makes; yours from {from}: {}",
                self.name,
                list(&allowed)
            )
        } else {
            format!(
                "{} cannot move {from} → {to}; your moves from {from}: {}",
                self.name,
                list(&allowed)
            )
        };
        Err(ApiError::InvalidTransition {
            message,
            allowed: allowed.into_iter().map(str::to_string).collect(),
        })
    }
}

fn list(moves: &[&str]) -> String {
    if moves.is_empty() {
        "none".to_string()
    } else {
        moves.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agency_owns_its_case_moves() {
        assert!(
            CASE.check(Police, "REPORTED", "UNDER_INVESTIGATION")
                .is_ok()
        );
        assert!(
            CASE.check(Procuracy, "UNDER_INVESTIGATION", "PROSECUTION")
                .is_ok()
        );
        assert!(CASE.check(Court, "PROSECUTION", "TRIAL").is_ok());
        assert!(
            CASE.check(Police, "UNDER_INVESTIGATION", "PROSECUTION")
                .is_err()
        );
        assert!(CASE.check(Procuracy, "PROSECUTION", "TRIAL").is_err());
    }

    #[test]
    fn an_illegal_move_names_the_allowed_ones() {
        match CASE.check(Police, "REPORTED", "ADJUDICATED") {
            Err(ApiError::InvalidTransition { allowed, message }) => {
                assert_eq!(allowed, vec!["UNDER_INVESTIGATION", "DISMISSED"]);
                assert!(message.contains("UNDER_INVESTIGATION"));
            }
            other => panic!("expected INVALID_TRANSITION, got {other:?}"),
        }
    }

    #[test]
    fn every_move_starts_from_a_state_that_can_be_reached() {
        for (machine, initial) in [
            (CASE, "REPORTED"),
            (IDENTIFICATION, "RECEIVED"),
            (TIP, "RECEIVED"),
            (FLAG, "FLAGGED"),
            (REFERRAL, "SENT"),
        ] {
            for mv in machine.moves {
                let reachable = mv.from == initial || machine.moves.iter().any(|o| o.to == mv.from);
                assert!(
                    reachable,
                    "{} move from unreachable {}",
                    machine.name, mv.from
                );
            }
        }
    }

    #[test]
    fn identification_cannot_skip_verification() {
        assert!(
            IDENTIFICATION
                .check(Police, "RECEIVED", "IDENTIFIED")
                .is_err()
        );
        assert!(
            IDENTIFICATION
                .check(Court, "RECEIVED", "VERIFYING")
                .is_err()
        );
    }
}

/// Which side of a referral makes a move: the receiver accepts, declines and completes; the
/// sender revokes.
pub fn referral_side(to: &str, receiver: bool, sender: bool) -> Result<(), ApiError> {
    let ok = match to {
        "ACCEPTED" | "DECLINED" | "COMPLETED" => receiver,
        "REVOKED" => sender,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let who = if matches!(to, "REVOKED") {
        "the sending agency"
    } else {
        "the receiving agency"
    };
    Err(ApiError::forbidden(format!(
        "only {who} may move a referral to {to}"
    )))
}

/// Only the agency holding a record decides on its disclosure.
pub fn holder_decides(is_holder: bool) -> Result<(), ApiError> {
    if is_holder {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only the agency holding the record decides on its disclosure",
        ))
    }
}

#[cfg(test)]
mod side_tests {
    use super::*;

    #[test]
    fn the_receiver_answers_and_the_sender_revokes() {
        assert!(referral_side("ACCEPTED", true, false).is_ok());
        assert!(referral_side("ACCEPTED", false, true).is_err());
        assert!(referral_side("REVOKED", false, true).is_ok());
        assert!(referral_side("REVOKED", true, false).is_err());
    }
}
