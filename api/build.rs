//! Build script: fetches the offline GraphiQL browser assets for the dev-mode `GET /graphql` page.
//!
//! It copies `web/graphiql/package.json` and `package-lock.json` into `$OUT_DIR/graphiql/`, runs
//! `npm ci --ignore-scripts` there (only when the lock changed since the last successful run),
//! copies the few browser files the page needs into `$OUT_DIR/graphiql-assets/` and writes
//! `$OUT_DIR/graphiql_assets.rs`, which `src/http/graphiql.rs` includes.
//!
//! It must never fail the build because of npm: when npm is missing, offline, fails, hangs for
//! more than five minutes, or `CTEX_SKIP_GRAPHIQL_ASSETS=1` is set, it writes an empty asset list
//! and a cargo warning, and the page explains how to get the assets. It must never reach any
//! network other than the npm registry (through `npm ci`), never run package install scripts, and
//! never write outside `$OUT_DIR`.

use std::env;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Environment variable that, when set to anything but empty or `0`, skips npm entirely.
const SKIP_ENV: &str = "CTEX_SKIP_GRAPHIQL_ASSETS";

/// How long `npm ci` may run before it is killed and the assets are given up on.
const NPM_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// Bumped whenever the asset list or the generated file's shape changes, so that a cached
/// install from an older build script is not trusted.
const STAMP_FORMAT: &str = "ctex-graphiql-assets v1";

/// The browser files the page loads: (name served under `/graphql/assets/`, path inside
/// `node_modules`).
const ASSETS: &[(&str, &str)] = &[
    (
        "react.production.min.js",
        "react/umd/react.production.min.js",
    ),
    (
        "react-dom.production.min.js",
        "react-dom/umd/react-dom.production.min.js",
    ),
    ("graphiql.min.js", "graphiql/graphiql.min.js"),
    ("graphiql.min.css", "graphiql/graphiql.min.css"),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let web_dir = manifest_dir.join("..").join("web").join("graphiql");
    let package_json = web_dir.join("package.json");
    let package_lock = web_dir.join("package-lock.json");

    cargo(&format!("rerun-if-changed={}", package_json.display()));
    cargo(&format!("rerun-if-changed={}", package_lock.display()));
    cargo(&format!("rerun-if-env-changed={SKIP_ENV}"));

    let Some(out_dir) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        // Cargo always sets OUT_DIR for build scripts; without it there is nowhere to write the
        // generated file, and the include! in the crate reports that clearly.
        cargo("warning=OUT_DIR is not set; cannot prepare GraphiQL assets");
        return;
    };
    let generated = out_dir.join("graphiql_assets.rs");

    let outcome = if skip_requested() {
        Err(Missing::Skipped)
    } else {
        prepare(&package_json, &package_lock, &out_dir)
    };

    let source = match outcome {
        Ok(prepared) => generated_source(&prepared.version, &prepared.assets, ""),
        Err(missing) => {
            cargo(&format!(
                "warning=GraphiQL assets not embedded ({}); GET /graphql will explain how to \
                 get them, POST /graphql is unaffected",
                missing.detail()
            ));
            generated_source("", &[], missing.reason())
        }
    };
    if let Err(err) = fs::write(&generated, source) {
        cargo(&format!(
            "warning=cannot write {}: {err}",
            generated.display()
        ));
    }
}

/// Why the assets are not embedded.
enum Missing {
    /// `CTEX_SKIP_GRAPHIQL_ASSETS` asked for it.
    Skipped,
    /// `web/graphiql/package.json` or `package-lock.json` could not be read.
    NoManifest(String),
    /// No `npm` executable on `PATH`.
    NoNpm,
    /// `npm ci` exited unsuccessfully (usually: offline); the log stays in `$OUT_DIR`.
    NpmFailed(ExitStatus, PathBuf),
    /// `npm ci` ran longer than [`NPM_TIMEOUT`] and was killed.
    NpmTimedOut(PathBuf),
    /// `npm ci` succeeded but an expected file is not where it should be (a version bump that
    /// moved files), or copying failed.
    Files(String),
}

impl Missing {
    /// A short, fixed sentence for the page; never contains tool output or URLs.
    fn reason(&self) -> &'static str {
        match self {
            Missing::Skipped => "the build ran with CTEX_SKIP_GRAPHIQL_ASSETS set",
            Missing::NoManifest(_) => {
                "web/graphiql/package.json or package-lock.json was not found"
            }
            Missing::NoNpm => "npm was not found on PATH when the crate was built",
            Missing::NpmFailed(..) => {
                "npm ci failed when the crate was built (often: no network access to the npm \
                 registry)"
            }
            Missing::NpmTimedOut(_) => "npm ci took more than 5 minutes and was stopped",
            Missing::Files(_) => "npm ci succeeded but an expected asset file was missing",
        }
    }

    /// The full explanation for the cargo warning.
    fn detail(&self) -> String {
        match self {
            Missing::Skipped => format!("{SKIP_ENV} is set"),
            Missing::NoManifest(err) => format!("cannot read web/graphiql: {err}"),
            Missing::NoNpm => "npm not found on PATH".to_owned(),
            Missing::NpmFailed(status, log) => {
                format!("npm ci failed ({status}), log: {}", log.display())
            }
            Missing::NpmTimedOut(log) => format!(
                "npm ci timed out after {} s, log: {}",
                NPM_TIMEOUT.as_secs(),
                log.display()
            ),
            Missing::Files(err) => err.clone(),
        }
    }
}

/// Whether `CTEX_SKIP_GRAPHIQL_ASSETS` is set to something other than empty or `0`.
fn skip_requested() -> bool {
    env::var_os(SKIP_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Assets ready to embed.
struct Prepared {
    /// Cache-busting version for the asset URLs (a prefix of the manifests' hash).
    version: String,
    /// (name served under `/graphql/assets/`, absolute path of the copy in `$OUT_DIR`).
    assets: Vec<(&'static str, PathBuf)>,
}

/// Installs (or reuses) the npm packages and copies the assets into `$OUT_DIR`.
fn prepare(package_json: &Path, package_lock: &Path, out_dir: &Path) -> Result<Prepared, Missing> {
    let manifest = fs::read(package_json).map_err(|e| Missing::NoManifest(e.to_string()))?;
    let lock = fs::read(package_lock).map_err(|e| Missing::NoManifest(e.to_string()))?;
    let hash = format!(
        "{:016x}",
        fnv1a(&[STAMP_FORMAT.as_bytes(), &manifest, &lock])
    );

    let npm_dir = out_dir.join("graphiql");
    let node_modules = npm_dir.join("node_modules");
    let stamp = npm_dir.join(".ctex-lock-hash");
    let sources_present = ASSETS
        .iter()
        .all(|(_, rel)| node_modules.join(rel).is_file());
    let cached = sources_present && fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == hash);

    if !cached {
        install(&npm_dir, &manifest, &lock, &stamp)?;
    }

    let asset_dir = out_dir.join("graphiql-assets");
    fs::create_dir_all(&asset_dir).map_err(|e| Missing::Files(format!("{e}")))?;
    let mut assets = Vec::with_capacity(ASSETS.len());
    for (name, rel) in ASSETS {
        let from = node_modules.join(rel);
        let to = asset_dir.join(name);
        copy_if_changed(&from, &to)
            .map_err(|e| Missing::Files(format!("cannot copy {}: {e}", from.display())))?;
        assets.push((*name, to));
    }
    if !cached {
        // Only now is the install known to be good enough to skip next time.
        fs::write(&stamp, &hash).map_err(|e| Missing::Files(format!("{e}")))?;
    }
    Ok(Prepared {
        version: hash[..12].to_owned(),
        assets,
    })
}

/// Runs `npm ci` in a fresh copy of the two manifest files under `npm_dir`.
fn install(npm_dir: &Path, manifest: &[u8], lock: &[u8], stamp: &Path) -> Result<(), Missing> {
    let setup = || -> io::Result<()> {
        fs::create_dir_all(npm_dir)?;
        // A stale stamp must not survive a failed or interrupted install.
        match fs::remove_file(stamp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        fs::write(npm_dir.join("package.json"), manifest)?;
        fs::write(npm_dir.join("package-lock.json"), lock)?;
        Ok(())
    };
    setup().map_err(|e| Missing::Files(format!("cannot prepare {}: {e}", npm_dir.display())))?;

    let log_path = npm_dir.join("npm-ci.log");
    let log = File::create(&log_path)
        .map_err(|e| Missing::Files(format!("cannot create {}: {e}", log_path.display())))?;
    let log_err = log
        .try_clone()
        .map_err(|e| Missing::Files(format!("{e}")))?;

    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let spawned = Command::new(npm)
        .args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            // Reuse the user's npm cache without revalidating: the lock pins integrity hashes,
            // so a cached tarball is exactly the one the registry would send.
            "--prefer-offline",
            // Offline, npm's default back-off retries for over a minute before giving up; two
            // quick retries still ride out a flaky connection.
            "--fetch-retries=2",
            "--fetch-retry-mintimeout=2000",
            "--fetch-retry-maxtimeout=8000",
            "--no-update-notifier",
            "--loglevel=warn",
        ])
        .current_dir(npm_dir)
        .env("npm_config_progress", "false")
        .stdin(Stdio::null())
        // npm's output must not reach the build script's stdout, where cargo would parse it.
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Missing::NoNpm),
        Err(e) => return Err(Missing::Files(format!("cannot start npm: {e}"))),
    };

    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(Missing::NpmFailed(status, log_path)),
            Ok(None) if started.elapsed() > NPM_TIMEOUT => {
                // Best effort: the process may have exited between the two calls.
                let _ = child.kill();
                let _ = child.wait();
                return Err(Missing::NpmTimedOut(log_path));
            }
            Ok(None) => thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(Missing::Files(format!("cannot wait for npm: {e}"))),
        }
    }
}

/// Copies `from` to `to` unless `to` already holds the same bytes, so the embedded files keep
/// their modification time (and cargo does not recompile for nothing).
fn copy_if_changed(from: &Path, to: &Path) -> io::Result<()> {
    let bytes = fs::read(from)?;
    if fs::read(to).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    fs::write(to, bytes)
}

/// The Rust source included by `src/http/graphiql.rs`.
fn generated_source(version: &str, assets: &[(&str, PathBuf)], missing_reason: &str) -> String {
    let mut src = String::from("// @generated by api/build.rs; do not edit.\n\n");
    let _ = writeln!(
        src,
        "/// Cache-busting version of the embedded assets (a hash of web/graphiql's lock); empty \
         when none are embedded.\nconst ASSETS_VERSION: &str = {version:?};\n"
    );
    let _ = writeln!(
        src,
        "/// Why no assets are embedded; empty when they are.\nconst ASSETS_MISSING_REASON: &str \
         = {missing_reason:?};\n"
    );
    src.push_str(
        "/// The embedded GraphiQL browser assets, served under `/graphql/assets/`.\nstatic \
         ASSETS: &[Asset] = &[\n",
    );
    for (name, path) in assets {
        let path = path.to_string_lossy();
        let _ = writeln!(
            src,
            "    Asset {{ name: {name:?}, bytes: include_bytes!({path:?}) }},"
        );
    }
    src.push_str("];\n");
    src
}

/// 64-bit FNV-1a over the concatenation of `parts`: a stable, dependency-free content hash for
/// the install cache (not for security).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.iter() {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separate the parts so that moving bytes between them changes the hash.
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Writes one `cargo:` instruction to stdout, where cargo reads them (one line each, so any
/// newline in a message is flattened).
fn cargo(instruction: &str) {
    let line = instruction.replace(['\r', '\n'], " ");
    let mut out = io::stdout().lock();
    // If stdout is gone there is no one to tell.
    let _ = writeln!(out, "cargo:{line}");
}
