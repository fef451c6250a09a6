//! ctex, the counter-trafficking exchange: a GraphQL service (and Federation v2 subgraph) where
//! the agencies that fight human trafficking share cases, networks, victims, tips, embassy flags
//! and referrals, each agency seeing only what its mandate permits, every access to a person
//! audited. See `../shared/DESIGN.md` for the product spec.
//!
//! # Layout
//! - [`cli`]: the `ctex` command line; [`config`]: the server configuration value;
//!   [`app`]: build and run the server; [`http`]: routes and middleware.
//! - [`auth`]: tokens, trust file, principal. [`policy`]: the one access policy (table, scopes).
//! - [`graphql`]: the schema model and resolvers; `store`: database access; [`audit`]: the
//!   audit trail.
//! - [`domain`]: the vocabulary (statuses, roles ...); [`normalize`]: identifier and name
//!   normalization; [`db`]: connections and migrations; [`error`]: the API error type;
//!   [`telemetry`]: logs and metrics.
//! - [`seed`]: the demo dataset, loaded through the API as each agency.
//! - [`ratelimit`]: token buckets per subject, per agency and for hit/no-hit searches, and each
//!   agency's concurrency share.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod normalize;
pub mod policy;
pub mod ratelimit;
pub mod report;
pub mod seed;
pub(crate) mod store;
pub mod synthetic;
pub mod telemetry;
