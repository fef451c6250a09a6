//! The `ctex` CLI, built inside the tests package so process-level tests (signals, several
//! servers on one database) can start it via `CARGO_BIN_EXE_ctex-under-test`. It is exactly
//! `api/src/main.rs`: all behaviour lives in the library.

fn main() -> std::process::ExitCode {
    ctex::cli::main()
}
