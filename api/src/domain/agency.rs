//! The eight agencies of DESIGN §1, as a closed enum.
//!
//! The code (`police`, `border_guard` ...) is what tokens carry in their `agency` claim and what
//! rows record as `created_by_agency`. Resolvers never compare agencies: the policy module does.

use serde::{Deserialize, Serialize};
use strum::{AsRefStr, Display, EnumIter, EnumString, IntoStaticStr};

/// An agency that may call ctex.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    Display,
    EnumString,
    EnumIter,
    AsRefStr,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Agency {
    /// Public Security investigation units; standing office of the steering committee.
    Police,
    /// Border Guard and Coast Guard.
    BorderGuard,
    /// People's Procuracy.
    Procuracy,
    /// People's Courts.
    Court,
    /// Ministry of Foreign Affairs, embassies and consulates.
    ForeignAffairs,
    /// Victim-support agency and facilities, national hotline 111.
    SocialServices,
    /// National steering committee analysts (aggregates only).
    Steering,
    /// Data-protection and inspection auditors (audit trail only).
    Oversight,
}

impl Agency {
    /// All agencies in the order of DESIGN §1.
    pub const ALL: [Agency; 8] = [
        Agency::Police,
        Agency::BorderGuard,
        Agency::Procuracy,
        Agency::Court,
        Agency::ForeignAffairs,
        Agency::SocialServices,
        Agency::Steering,
        Agency::Oversight,
    ];

    /// The code used in tokens and rows (`border_guard`).
    pub fn code(self) -> &'static str {
        self.into()
    }

    /// The GraphQL enum value (`BORDER_GUARD`).
    pub fn graphql_name(self) -> String {
        self.code().to_ascii_uppercase()
    }
}
