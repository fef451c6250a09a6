//! The `ctex` command line (DESIGN §3.1). Every flag has an environment fallback and is
//! documented in `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::auth::keys::{self, TokenSpec};
use crate::config::Config;
use crate::domain::Agency;
use crate::graphql::{Audience, Limits};
use crate::ratelimit::{Rate, RateConfig};
use crate::telemetry::{self, LogFormat};

/// ctex, the counter-trafficking exchange: one GraphQL API where Vietnam's agencies share cases,
/// networks, victims and referrals, each seeing only what its mandate permits.
#[derive(Debug, Parser)]
#[command(name = "ctex", version, about, long_about = None)]
pub struct Cli {
    /// Log filter (tracing `EnvFilter` syntax, e.g. `info,ctex=debug`).
    #[arg(long, env = "CTEX_LOG", default_value = "info", global = true)]
    log: String,
    /// Log line format.
    #[arg(
        long,
        env = "CTEX_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Load a dataset into the database (migrations apply first).
    Seed(SeedArgs),
    /// Manage development signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print a JWT signed with an agency's development key (dev keys only).
    Token(TokenArgs),
    /// Verify or export the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write the periodic statistics report of a period (suppressed like the `report` query).
    Report(ReportArgs),
    /// Print the full federated SDL, or one agency's contract SDL.
    Schema {
        /// Print this agency's contract schema instead of the full one.
        #[arg(long, value_parser = parse_agency)]
        agency: Option<Agency>,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create one Ed25519 key pair per agency and the trust file listing them (keeps existing keys).
    Init {
        /// Folder for the keys and the trust file.
        #[arg(long, env = "CTEX_KEYS_DIR", default_value = ".ctex")]
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Seal staged write events, then recompute the hash chain; exit 1 naming the first bad
    /// event if it is broken.
    Verify(VerifyArgs),
    /// Seal staged write events, then write the events of a period as JSON lines (for
    /// archiving).
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// From this instant (RFC 3339, inclusive).
        #[arg(long)]
        from: Option<String>,
        /// To this instant (RFC 3339, exclusive).
        #[arg(long)]
        to: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct VerifyArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Do not seal staged write events first (verify a database without writing to it); the
    /// staged events are counted and reported instead.
    #[arg(long)]
    no_seal: bool,
}

#[derive(Debug, Args)]
struct DbArgs {
    /// Database URL: `sqlite://ctex.db?mode=rwc` or `postgres://user@host/db`.
    #[arg(
        long,
        env = "CTEX_DATABASE_URL",
        default_value = "sqlite://ctex.db?mode=rwc"
    )]
    database_url: String,
}

#[derive(Debug, Args)]
struct SeedArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Load the demo dataset: cases, rings, victims, hotline 111 tips, embassy flags, referrals,
    /// indictments and verdicts in Vietnamese, written through the API as each agency. Nothing
    /// is loaded when the database already holds a case.
    #[arg(long, conflicts_with = "synthetic")]
    demo: bool,
    /// Generate a large deterministic dataset with set-based inserts (PostgreSQL; for
    /// benchmarks): `--cases` cases and persons, identifiers, networks, tips, flags, referrals,
    /// indictments and verdicts in proportion.
    #[arg(long)]
    synthetic: bool,
    /// Number of cases for `--synthetic`.
    #[arg(long, default_value_t = 200_000, requires = "synthetic")]
    cases: u64,
    /// Random seed for `--synthetic` (the same seed gives the same data).
    #[arg(long, default_value_t = 1, requires = "synthetic")]
    seed: u64,
}

/// Arguments of `ctex report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// First day of the period (YYYY-MM-DD, inclusive).
    #[arg(long)]
    pub(crate) from: String,
    /// Last day of the period (YYYY-MM-DD, inclusive).
    #[arg(long)]
    pub(crate) to: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub(crate) format: crate::report::Format,
    /// Heading language.
    #[arg(long, value_enum, default_value = "vi")]
    pub(crate) lang: crate::report::Lang,
    /// Suppression threshold: cells counting fewer are suppressed.
    #[arg(long, env = "CTEX_MIN_CELL", default_value_t = Limits::default().min_cell)]
    pub(crate) min_cell: u32,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CTEX_BIND", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// Read-replica database URL for queries (default: the primary).
    #[arg(long, env = "CTEX_READ_DATABASE_URL")]
    read_database_url: Option<String>,
    /// Trust file listing token issuers and their keys.
    #[arg(long, env = "CTEX_TRUST", default_value = ".ctex/trust.toml")]
    trust: PathBuf,
    /// Dev mode: create dev keys and trust file under the trust file's folder if missing, serve
    /// GraphiQL at GET /graphql, give field suggestions in errors.
    #[arg(long, env = "CTEX_DEV")]
    dev: bool,
    /// Load the demo dataset at start when the database holds no case yet (as `ctex seed
    /// --demo`), so a restart keeps the data.
    #[arg(long, env = "CTEX_DEMO")]
    demo: bool,
    /// Largest request body, in bytes (larger: HTTP 413, `BAD_USER_INPUT`).
    #[arg(long, env = "CTEX_BODY_LIMIT", default_value_t = 2 * 1024 * 1024)]
    body_limit: usize,
    /// Request timeout, in seconds (a GraphQL request taking longer is abandoned: HTTP 503,
    /// `QUERY_TOO_COMPLEX`).
    #[arg(long, env = "CTEX_REQUEST_TIMEOUT", default_value_t = 30)]
    request_timeout: u64,
    /// Requests served at once (more wait).
    #[arg(long, env = "CTEX_MAX_CONCURRENCY", default_value_t = 512)]
    max_concurrency: usize,
    /// GraphQL requests one agency may have in flight at once; one more is refused at once
    /// (`RATE_LIMITED`), so one agency cannot take every place (0: no per-agency share).
    #[arg(long, env = "CTEX_AGENCY_CONCURRENCY", default_value_t = 128)]
    agency_concurrency: usize,
    /// Operations allowed in one batched request (more: `QUERY_TOO_COMPLEX`).
    #[arg(long, env = "CTEX_MAX_BATCH", default_value_t = 5)]
    max_batch: usize,
    /// Maximum query depth (fields nested, through fragments).
    #[arg(long, env = "CTEX_MAX_DEPTH", default_value_t = Limits::default().depth)]
    max_depth: usize,
    /// Maximum query cost: each field 1, plus its selection's cost times its list size (the
    /// `first` asked, 10 for lists without `first`).
    #[arg(long, env = "CTEX_MAX_COMPLEXITY", default_value_t = Limits::default().complexity)]
    max_complexity: usize,
    /// Maximum aliases in one document.
    #[arg(long, env = "CTEX_MAX_ALIASES", default_value_t = Limits::default().aliases)]
    max_aliases: usize,
    /// Maximum directives in one document.
    #[arg(long, env = "CTEX_MAX_DIRECTIVES", default_value_t = Limits::default().directives)]
    max_directives: usize,
    /// Maximum lexical tokens in one document (comments, commas and white space do not count).
    #[arg(long, env = "CTEX_MAX_TOKENS", default_value_t = Limits::default().tokens)]
    max_tokens: usize,
    /// Maximum length of one document, in bytes (send values as variables).
    #[arg(long, env = "CTEX_MAX_QUERY_LENGTH", default_value_t = Limits::default().query_bytes)]
    max_query_length: usize,
    /// How many times one selection set may select the same field (response key).
    #[arg(long, env = "CTEX_MAX_FIELD_REPEATS", default_value_t = Limits::default().field_repeats)]
    max_field_repeats: usize,
    /// Maximum nesting of braces, brackets and parentheses in a document (bounds the parser's
    /// and fragments' recursion).
    #[arg(long, env = "CTEX_MAX_RECURSION", default_value_t = Limits::default().recursive_depth)]
    max_recursion: usize,
    /// Operations per subject: COUNT/PERIOD[,burst=N] with PERIOD s, m or h, or `off`.
    #[arg(long, env = "CTEX_RATE_SUBJECT", default_value_t = RateConfig::default().subject)]
    rate_subject: Rate,
    /// Operations per agency: COUNT/PERIOD[,burst=N], or `off`.
    #[arg(long, env = "CTEX_RATE_AGENCY", default_value_t = RateConfig::default().agency)]
    rate_agency: Rate,
    /// Hit/no-hit searches (`identifierHits`, `personHits`) per subject: COUNT/PERIOD[,burst=N],
    /// or `off`.
    #[arg(long, env = "CTEX_RATE_HITS", default_value_t = RateConfig::default().hits)]
    rate_hits: Rate,
    /// Origins allowed to call from a browser, comma-separated (`https://portal.example.gov.vn`);
    /// none: no CORS headers, so browsers keep other origins out.
    #[arg(long, env = "CTEX_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Persisted-operation allow-list (JSON: operation id → document, or an Apollo persisted
    /// query manifest); when set, only the operations it lists run (others: `FORBIDDEN`).
    #[arg(long, env = "CTEX_ALLOWLIST")]
    allowlist: Option<PathBuf>,
    /// Database connections per pool.
    #[arg(long, env = "CTEX_DB_POOL", default_value_t = 16)]
    db_pool: u32,
    /// A pooled connection idle this many milliseconds is pinged before use (0: on every
    /// checkout).
    #[arg(long, env = "CTEX_DB_PING_IDLE_MS", default_value_t = 1000)]
    db_ping_idle_ms: u64,
    /// Statistics suppression threshold: cells counting fewer are suppressed.
    #[arg(long, env = "CTEX_MIN_CELL", default_value_t = Limits::default().min_cell)]
    min_cell: u32,
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// Agency the token speaks for.
    #[arg(long, value_parser = parse_agency)]
    agency: Agency,
    /// Subject (user or system id).
    #[arg(long)]
    sub: String,
    /// Unit (e.g. a provincial department or a mission).
    #[arg(long)]
    unit: Option<String>,
    /// Province codes the token is limited to, comma-separated (absent: national).
    #[arg(long, value_delimiter = ',')]
    jurisdiction: Option<Vec<String>>,
    /// Space-separated scopes (`ctex:read` makes the token read-only).
    #[arg(long)]
    scope: Option<String>,
    /// Access purpose recorded in the audit trail.
    #[arg(long)]
    purpose: Option<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = keys::DEFAULT_TTL_SECS)]
    ttl: u64,
    /// Folder holding the dev keys.
    #[arg(long, env = "CTEX_KEYS_DIR", default_value = ".ctex")]
    dir: PathBuf,
}

fn parse_agency(s: &str) -> Result<Agency, String> {
    s.parse::<Agency>().map_err(|_| {
        let all: Vec<&str> = Agency::ALL.iter().map(|a| a.code()).collect();
        format!("unknown agency `{s}`; one of {}", all.join(", "))
    })
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init_logging(&cli.log, cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ctex: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ctex: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let mut config = Config::new(args.db.database_url);
            config.bind = args.bind;
            config.read_database_url = args.read_database_url;
            config.trust_path = args.trust;
            config.dev = args.dev;
            config.demo = args.demo;
            config.body_limit = args.body_limit;
            config.request_timeout = Duration::from_secs(args.request_timeout.max(1));
            config.max_concurrency = args.max_concurrency;
            config.agency_concurrency = args.agency_concurrency;
            config.max_batch = args.max_batch;
            config.limits.depth = args.max_depth;
            config.limits.complexity = args.max_complexity;
            config.limits.aliases = args.max_aliases;
            config.limits.directives = args.max_directives;
            config.limits.tokens = args.max_tokens;
            config.limits.query_bytes = args.max_query_length;
            config.limits.field_repeats = args.max_field_repeats;
            config.limits.recursive_depth = args.max_recursion;
            config.rates = RateConfig {
                subject: args.rate_subject,
                agency: args.rate_agency,
                hits: args.rate_hits,
            };
            config.cors_origins = args
                .cors_origins
                .into_iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
            config.allowlist = args.allowlist;
            config.db_pool = args.db_pool;
            config.db_ping_idle = Duration::from_millis(args.db_ping_idle_ms);
            config.limits.min_cell = args.min_cell;
            crate::app::App::build(config).await?.run().await?;
        }
        Command::Migrate(args) => {
            let db = crate::db::connect(&args.database_url, 2).await?;
            crate::db::migrate(&db).await?;
            println_out("migrations applied");
        }
        Command::Seed(args) if args.synthetic => {
            let db = crate::db::connect(&args.db.database_url, 4).await?;
            crate::db::migrate(&db).await?;
            let report = crate::synthetic::seed(&db, args.cases, args.seed).await?;
            println_out(&report.to_string());
        }
        Command::Report(args) => {
            let db = crate::db::connect(&args.db.database_url, 2).await?;
            crate::db::migrate(&db).await?;
            crate::report::run(&db, &args).await?;
        }
        Command::Seed(args) => {
            if !args.demo {
                anyhow::bail!("say which dataset to load: --demo or --synthetic");
            }
            let db = crate::db::connect(&args.db.database_url, 4).await?;
            crate::db::migrate(&db).await?;
            match crate::seed::demo_into_empty(&db).await? {
                Some(report) => println_out(&report.to_string()),
                None => println_out("the database already holds cases: demo not loaded"),
            }
        }
        Command::Keys {
            command: KeysCommand::Init { dir },
        } => {
            let report = keys::init(&dir)?;
            println_out(&report.to_string());
        }
        Command::Token(args) => {
            let mut spec = TokenSpec::new(args.agency, args.sub);
            spec.unit = args.unit;
            spec.jurisdiction = args.jurisdiction;
            spec.scope = args.scope;
            spec.purpose = args.purpose;
            spec.ttl_secs = args.ttl;
            println_out(&keys::mint(&args.dir, &spec)?);
        }
        Command::Audit {
            command: AuditCommand::Verify(args),
        } => {
            let db = crate::db::connect(&args.db.database_url, 2).await?;
            if args.no_seal {
                let staged = crate::audit::staged(&db).await?;
                if staged > 0 {
                    eprintln!("{staged} staged write events are not sealed into the chain yet");
                }
            } else {
                let sealed = crate::audit::seal(&db).await?;
                if sealed > 0 {
                    eprintln!("sealed {sealed} staged write events into the chain first");
                }
            }
            let report = crate::audit::verify(&db).await?;
            match report.first_bad {
                None => println_out(&format!("audit chain verifies: {} events", report.events)),
                Some((seq, what)) => {
                    eprintln!(
                        "audit chain BROKEN at event {seq}: {what} ({} events verified before it)",
                        report.events
                    );
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Audit {
            command: AuditCommand::Export { db, from, to, out },
        } => {
            let parse = |s: Option<String>,
                         name: &str|
             -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
                s.map(|s| {
                    chrono::DateTime::parse_from_rfc3339(&s)
                        .map(|d| d.with_timezone(&chrono::Utc))
                        .map_err(|_| {
                            anyhow::anyhow!(
                                "--{name} must be an RFC 3339 instant, e.g. 2026-07-01T00:00:00Z"
                            )
                        })
                })
                .transpose()
            };
            let (from, to) = (parse(from, "from")?, parse(to, "to")?);
            let conn = crate::db::connect(&db.database_url, 2).await?;
            crate::audit::seal(&conn).await?;
            let written = match out {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
                    crate::audit::export(&conn, from, to, &mut file).await?
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut lock = std::io::BufWriter::new(stdout.lock());
                    crate::audit::export(&conn, from, to, &mut lock).await?
                }
            };
            eprintln!("{written} events exported");
        }
        Command::Schema { agency } => {
            let audience = agency.map(Audience::Agency).unwrap_or(Audience::Full);
            print_raw(&crate::graphql::sdl(audience)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::print_stdout)]
fn println_out(s: &str) {
    println!("{s}");
}

#[allow(clippy::print_stdout)]
fn print_raw(s: &str) {
    print!("{s}");
}
