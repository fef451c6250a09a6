//! Database rows of ctex as sea-orm entities.
//!
//! These types mirror the tables created by the `migration` crate, column for column. They carry
//! no GraphQL derives and no access rules: the API layer (`ctex::graphql`) maps them into GraphQL
//! objects field by field, through the policy, so that no column becomes API by accident.
//!
//! # Layout
//! One module per table. Enumerated values (statuses, roles, kinds) are stored as their
//! SCREAMING_SNAKE text; lists (countries, exploitation forms ...) as JSON array text, which reads
//! the same on PostgreSQL and SQLite.

pub mod agency;
pub mod audit_event;
pub mod audit_stage;
pub mod campaign;
pub mod case;
pub mod case_event;
pub mod case_link;
pub mod case_party;
pub mod disclosure_request;
pub mod hit_reference;
pub mod idempotency;
pub mod identifier;
pub mod indictment;
pub mod network;
pub mod network_case;
pub mod network_member;
pub mod person;
pub mod province;
pub mod referral;
pub mod status_history;
pub mod support_service;
pub mod tip;
pub mod verdict;
pub mod victim_flag;
