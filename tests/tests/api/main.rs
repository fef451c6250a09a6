//! Black-box tests of ctex: the real router on an ephemeral port, real databases (SQLite, and
//! PostgreSQL when `CTEX_TEST_DATABASE_URL` is set), HTTP and WebSocket only.

mod audit;
mod contracts;
mod foundation;
mod logs;
mod shutdown;
mod stories;
mod tokens;
