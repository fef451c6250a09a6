//! The `ctex` binary: parses the command line and hands over to the library.

/// The allocator of the server process: jemalloc, cheaper per allocation than glibc's malloc
/// for a server that allocates per request from several threads, at a similar resident size
/// (BENCHMARKS.md, run `s22`).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    ctex::cli::main()
}
