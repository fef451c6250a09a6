//! Black-box tests of ctex: the real router on an ephemeral port, real databases (SQLite, and
//! PostgreSQL when `CTEX_TEST_DATABASE_URL` is set), HTTP and WebSocket only.

mod access;
mod allowlist;
mod audit;
mod contracts;
mod demo;
mod federation;
mod flat;
mod foundation;
mod injection;
mod investigate;
mod limits;
mod logs;
mod pool;
mod ratelimits;
mod replica;
mod security;
mod shutdown;
mod statements;
mod statistics;
mod stories;
mod subscriptions;
mod synthetic;
mod tokens;
