//! Development keys and tokens, for `ctex keys init`, `ctex serve --dev` and `ctex token`
//! (DESIGN §3.1).
//!
//! [`init`] makes one Ed25519 key pair per agency under `<dir>/keys/` and a trust file that
//! trusts them (issuer `ctex-dev:<agency>`, kid `<agency>-dev-1`); [`mint`] signs a token with
//! one of those keys. [`mint_with_key`] signs arbitrary claims with any key and algorithm, so
//! tests can shape and forge tokens.
//!
//! Dev keys are plain files on the developer's machine: they must never be trusted in
//! production, and this module must never overwrite an existing key (a lost private key means
//! every token minted with it stops verifying) or print a private key.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use crate::domain::Agency;

use super::AUDIENCE;

/// The signing algorithms [`mint_with_key`] takes, re-exported so callers need not depend on
/// `jsonwebtoken` themselves.
pub use jsonwebtoken::Algorithm;

/// Prefix of the development issuers' `iss` (`ctex-dev:police`).
pub const DEV_ISSUER_PREFIX: &str = "ctex-dev:";

/// Token lifetime `ctex token` uses when `--ttl` is not given, in seconds.
pub const DEFAULT_TTL_SECS: u64 = 3600;

/// The development issuer of an agency (`ctex-dev:police`).
pub fn dev_issuer(agency: Agency) -> String {
    format!("{DEV_ISSUER_PREFIX}{}", agency.code())
}

/// The key id of an agency's development key (`police-dev-1`).
pub fn dev_kid(agency: Agency) -> String {
    format!("{}-dev-1", agency.code())
}

/// Where an agency's development private key lives (`<dir>/keys/police.key.pem`).
pub fn private_key_path(dir: &Path, agency: Agency) -> PathBuf {
    dir.join("keys").join(format!("{}.key.pem", agency.code()))
}

/// Where an agency's development public key lives (`<dir>/keys/police.pub.pem`).
pub fn public_key_path(dir: &Path, agency: Agency) -> PathBuf {
    dir.join("keys").join(format!("{}.pub.pem", agency.code()))
}

/// Where the development trust file lives (`<dir>/trust.toml`).
pub fn trust_file_path(dir: &Path) -> PathBuf {
    dir.join("trust.toml")
}

/// What [`init`] did, for the CLI to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitReport {
    /// Agencies whose key pair was generated now.
    pub created: Vec<Agency>,
    /// Agencies whose existing private key was kept (never overwritten).
    pub kept: Vec<Agency>,
    /// Agencies among `kept` whose missing public key was rewritten from the private key.
    pub public_keys_restored: Vec<Agency>,
    /// The trust file.
    pub trust_file: PathBuf,
    /// Whether the trust file was written now (it was missing); `false` means an existing one
    /// was kept as is.
    pub trust_file_written: bool,
}

impl fmt::Display for InitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |agencies: &[Agency]| {
            if agencies.is_empty() {
                "none".to_owned()
            } else {
                agencies
                    .iter()
                    .map(|a| a.code())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        writeln!(f, "dev keys created: {}", list(&self.created))?;
        writeln!(f, "dev keys kept: {}", list(&self.kept))?;
        if !self.public_keys_restored.is_empty() {
            writeln!(
                f,
                "public keys restored: {}",
                list(&self.public_keys_restored)
            )?;
        }
        let action = if self.trust_file_written {
            "written"
        } else {
            "kept"
        };
        write!(f, "trust file {action}: {}", self.trust_file.display())
    }
}

/// Creates the development key pairs and trust file under `dir` (`.ctex` by default).
///
/// For each agency: `keys/<agency>.key.pem` (PKCS#8 Ed25519 private key, mode 0600 on unix)
/// and `keys/<agency>.pub.pem`. Existing private keys are kept, never overwritten; a missing
/// public key is rewritten from its private key; a public key without its private key is an
/// error (it cannot be matched, and must not be overwritten). A missing `trust.toml` is
/// written for the keys present; an existing one is left alone.
pub fn init(dir: &Path) -> anyhow::Result<InitReport> {
    let keys_dir = dir.join("keys");
    create_private_dir(&keys_dir)?;

    let mut report = InitReport {
        created: Vec::new(),
        kept: Vec::new(),
        public_keys_restored: Vec::new(),
        trust_file: trust_file_path(dir),
        trust_file_written: false,
    };
    for agency in Agency::ALL {
        let private_path = private_key_path(dir, agency);
        let public_path = public_key_path(dir, agency);
        if private_path.exists() {
            warn_if_readable_by_others(&private_path, agency);
            if !public_path.exists() {
                let pem = fs::read_to_string(&private_path)
                    .with_context(|| format!("cannot read {}", private_path.display()))?;
                let key = SigningKey::from_pkcs8_pem(&pem).with_context(|| {
                    format!(
                        "{} is not a PKCS#8 Ed25519 private key",
                        private_path.display()
                    )
                })?;
                write_new(&public_path, public_pem(&key)?.as_bytes(), false)?;
                report.public_keys_restored.push(agency);
            }
            report.kept.push(agency);
        } else {
            if public_path.exists() {
                bail!(
                    "{} exists without its private key {}; remove it and run `ctex keys init` \
                     again",
                    public_path.display(),
                    private_path.display()
                );
            }
            let key = SigningKey::generate(&mut rand::rngs::OsRng);
            let private_pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .context("cannot encode the private key")?;
            write_new(&private_path, private_pem.as_bytes(), true)?;
            write_new(&public_path, public_pem(&key)?.as_bytes(), false)?;
            report.created.push(agency);
        }
    }

    if !report.trust_file.exists() {
        let present: Vec<Agency> = Agency::ALL
            .into_iter()
            .filter(|a| public_key_path(dir, *a).exists())
            .collect();
        write_new(
            &report.trust_file,
            dev_trust_file(&present).as_bytes(),
            false,
        )?;
        report.trust_file_written = true;
    }
    tracing::info!(
        created = report.created.len(),
        kept = report.kept.len(),
        trust_file_written = report.trust_file_written,
        "development keys ready"
    );
    Ok(report)
}

/// The development trust file for the given agencies.
fn dev_trust_file(agencies: &[Agency]) -> String {
    let mut text = String::from(
        "# ctex trust file: DEVELOPMENT KEYS ONLY.\n\
         # Written by `ctex keys init`. The matching private keys are plain files in keys/:\n\
         # anyone who can read them can act as any agency. Never use this file in production.\n\
         #\n\
         # One [[issuer]] per trusted token issuer: `iss` is the token's issuer, `agency` the one\n\
         # agency it may speak for, `algorithms` any of EdDSA, ES256, RS256 (never none or HS*),\n\
         # `keys` its public keys by kid (paths relative to this file's folder), or instead\n\
         # `jwks = \"keys/<name>.jwks.json\"`.\n",
    );
    for agency in agencies {
        let code = agency.code();
        text.push_str(&format!(
            "\n[[issuer]]\n\
             iss = \"{iss}\"\n\
             agency = \"{code}\"\n\
             algorithms = [\"EdDSA\"]\n\
             keys = [ {{ kid = \"{kid}\", pem = \"keys/{code}.pub.pem\" }} ]\n",
            iss = dev_issuer(*agency),
            kid = dev_kid(*agency),
        ));
    }
    text.push_str(
        "\n# Revoked token ids (`jti`), refused even before they expire:\n\
         # [revoked]\n\
         # jti = [\"0192...\"]\n",
    );
    text
}

/// The SPKI PEM of a signing key's public half.
fn public_pem(key: &SigningKey) -> anyhow::Result<String> {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .context("cannot encode the public key")
}

/// Creates a file that must not exist yet (so nothing is ever overwritten); private files get
/// mode 0600 on unix.
fn write_new(path: &Path, contents: &[u8], private: bool) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Creates the keys folder (mode 0700 on unix when it is created here).
fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(path)
        .with_context(|| format!("cannot create {}", path.display()))
}

/// Warns when an existing private key file can be read by group or others.
fn warn_if_readable_by_others(path: &Path, agency: Agency) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                agency = agency.code(),
                "dev private key is readable by other users"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, agency);
}

/// What `ctex token` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSpec {
    /// The agency whose dev key signs, and the token's `agency` claim.
    pub agency: Agency,
    /// The `sub` claim.
    pub subject: String,
    /// The optional `unit` claim.
    pub unit: Option<String>,
    /// The optional `jurisdiction` claim (two-digit province codes).
    pub jurisdiction: Option<Vec<String>>,
    /// The optional space-separated `scope` claim.
    pub scope: Option<String>,
    /// The optional `purpose` claim.
    pub purpose: Option<String>,
    /// Seconds from now until `exp`.
    pub ttl_secs: u64,
}

impl TokenSpec {
    /// A spec with only the required parts and [`DEFAULT_TTL_SECS`].
    pub fn new(agency: Agency, subject: impl Into<String>) -> TokenSpec {
        TokenSpec {
            agency,
            subject: subject.into(),
            unit: None,
            jurisdiction: None,
            scope: None,
            purpose: None,
            ttl_secs: DEFAULT_TTL_SECS,
        }
    }
}

/// Signs a token with the agency's development key under `dir` (made by [`init`]).
///
/// Header: `alg` EdDSA, `kid` `<agency>-dev-1`. Claims: `iss` `ctex-dev:<agency>`, `aud`
/// `ctex`, `iat` now, `exp` now + ttl, `jti` a new UUIDv7, `sub`, `agency`, and the optional
/// claims that are set. The spec is not validated here: [`TrustStore::verify`] decides.
///
/// [`TrustStore::verify`]: super::TrustStore::verify
pub fn mint(dir: &Path, spec: &TokenSpec) -> anyhow::Result<String> {
    let key_path = private_key_path(dir, spec.agency);
    let pem = fs::read(&key_path).with_context(|| {
        format!(
            "no dev key for agency {} at {}; run `ctex keys init --dir {}`",
            spec.agency.code(),
            key_path.display(),
            dir.display()
        )
    })?;
    let now = chrono::Utc::now().timestamp();
    let exp = i64::try_from(spec.ttl_secs)
        .ok()
        .and_then(|ttl| now.checked_add(ttl))
        .context("the token lifetime is too large")?;
    let mut claims = json!({
        "iss": dev_issuer(spec.agency),
        "sub": spec.subject,
        "aud": AUDIENCE,
        "iat": now,
        "exp": exp,
        "jti": uuid::Uuid::now_v7().to_string(),
        "agency": spec.agency.code(),
    });
    let optional = [
        ("unit", spec.unit.as_ref().map(|u| json!(u))),
        ("jurisdiction", spec.jurisdiction.as_ref().map(|j| json!(j))),
        ("scope", spec.scope.as_ref().map(|s| json!(s))),
        ("purpose", spec.purpose.as_ref().map(|p| json!(p))),
    ];
    if let Value::Object(map) = &mut claims {
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.to_owned(), value);
            }
        }
    }
    mint_with_key(&pem, Algorithm::EdDSA, Some(&dev_kid(spec.agency)), &claims)
}

/// Signs `claims` as a compact JWS with any key and algorithm: the low-level helper tests use
/// to shape or forge tokens.
///
/// `pem` is a PKCS#8 private key (PKCS#1 also accepted for RSA) for EdDSA, ES256/384,
/// RS*/PS*; for HS256/384/512 the bytes themselves are the HMAC secret, which is how tests
/// forge the classic "public key as HMAC secret" token (the trust store refuses it). The
/// header is `{"typ":"JWT","alg":alg}` plus `kid` when given.
pub fn mint_with_key(
    pem: &[u8],
    alg: Algorithm,
    kid: Option<&str>,
    claims: &Value,
) -> anyhow::Result<String> {
    let key = match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => EncodingKey::from_secret(pem),
        Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem)?,
        Algorithm::EdDSA => EncodingKey::from_ed_pem(pem)?,
        Algorithm::RS256
        | Algorithm::RS384
        | Algorithm::RS512
        | Algorithm::PS256
        | Algorithm::PS384
        | Algorithm::PS512 => EncodingKey::from_rsa_pem(pem)?,
        _ => bail!("unsupported algorithm {alg:?}"),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?)
    );
    let signer = (DEFAULT_PROVIDER.signer_factory)(&alg, &key)?;
    let signature = signer.try_sign(signing_input.as_bytes())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::*;

    #[test]
    fn init_creates_a_key_pair_per_agency_and_a_dev_trust_file() {
        let dir = TempDir::new().expect("tmp");

        let report = init(dir.path()).expect("init");

        assert_eq!(report.created, Agency::ALL.to_vec());
        assert!(report.kept.is_empty());
        assert!(report.trust_file_written);
        for agency in Agency::ALL {
            let private = fs::read_to_string(private_key_path(dir.path(), agency)).expect("key");
            let public = fs::read_to_string(public_key_path(dir.path(), agency)).expect("pub");
            assert!(
                private.starts_with("-----BEGIN PRIVATE KEY-----"),
                "{agency}"
            );
            assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{agency}");
        }
        let trust = fs::read_to_string(trust_file_path(dir.path())).expect("trust");
        assert!(trust.starts_with("# ctex trust file: DEVELOPMENT KEYS ONLY."));
        assert!(trust.contains(r#"iss = "ctex-dev:border_guard""#));
        assert!(
            trust.contains(r#"{ kid = "border_guard-dev-1", pem = "keys/border_guard.pub.pem" }"#)
        );
        assert_eq!(trust.matches("\n[[issuer]]\n").count(), 8);
    }

    #[cfg(unix)]
    #[test]
    fn private_keys_are_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = TempDir::new().expect("tmp");

        init(dir.path()).expect("init");

        for agency in Agency::ALL {
            let mode = fs::metadata(private_key_path(dir.path(), agency))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{agency}");
        }
    }

    #[test]
    fn init_is_idempotent_and_never_overwrites_keys() {
        let dir = TempDir::new().expect("tmp");
        init(dir.path()).expect("first init");
        let before: Vec<Vec<u8>> = Agency::ALL
            .iter()
            .map(|a| fs::read(private_key_path(dir.path(), *a)).expect("key"))
            .collect();
        let trust_before = fs::read(trust_file_path(dir.path())).expect("trust");

        let again = init(dir.path()).expect("second init");

        assert!(again.created.is_empty());
        assert_eq!(again.kept, Agency::ALL.to_vec());
        assert!(!again.trust_file_written);
        let after: Vec<Vec<u8>> = Agency::ALL
            .iter()
            .map(|a| fs::read(private_key_path(dir.path(), *a)).expect("key"))
            .collect();
        assert_eq!(before, after);
        assert_eq!(
            trust_before,
            fs::read(trust_file_path(dir.path())).expect("trust")
        );
    }

    #[test]
    fn a_missing_trust_file_and_public_key_are_rewritten_from_the_keys() {
        let dir = TempDir::new().expect("tmp");
        init(dir.path()).expect("init");
        let court_pub = fs::read(public_key_path(dir.path(), Agency::Court)).expect("pub");
        fs::remove_file(trust_file_path(dir.path())).expect("rm trust");
        fs::remove_file(public_key_path(dir.path(), Agency::Court)).expect("rm pub");

        let report = init(dir.path()).expect("init again");

        assert!(report.trust_file_written);
        assert_eq!(report.public_keys_restored, vec![Agency::Court]);
        assert_eq!(
            court_pub,
            fs::read(public_key_path(dir.path(), Agency::Court)).expect("pub")
        );
        let token = mint(dir.path(), &TokenSpec::new(Agency::Court, "judge-1")).expect("mint");
        let store = crate::auth::TrustStore::load(&report.trust_file).expect("load");
        assert_eq!(
            store.verify(&token).expect("verifies").agency,
            Agency::Court
        );
    }

    #[test]
    fn a_public_key_without_its_private_key_is_an_error_not_an_overwrite() {
        let dir = TempDir::new().expect("tmp");
        init(dir.path()).expect("init");
        let path = public_key_path(dir.path(), Agency::Steering);
        let public = fs::read(&path).expect("pub");
        fs::remove_file(private_key_path(dir.path(), Agency::Steering)).expect("rm");

        let err = init(dir.path()).expect_err("orphan public key");

        assert!(err.to_string().contains("steering.pub.pem"), "{err}");
        assert_eq!(
            public,
            fs::read(&path).expect("pub"),
            "the public key is untouched"
        );
    }

    #[test]
    fn mint_sets_the_documented_header_and_claims() {
        let dir = TempDir::new().expect("tmp");
        init(dir.path()).expect("init");
        let spec = TokenSpec {
            unit: Some("hotline-111".into()),
            jurisdiction: Some(vec!["01".into()]),
            scope: Some("ctex:read".into()),
            purpose: Some("tip triage".into()),
            ttl_secs: 120,
            ..TokenSpec::new(Agency::SocialServices, "operator-4")
        };

        let token = mint(dir.path(), &spec).expect("mint");

        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["kid"], "social_services-dev-1");
        assert_eq!(claims["iss"], "ctex-dev:social_services");
        assert_eq!(claims["aud"], "ctex");
        assert_eq!(claims["agency"], "social_services");
        assert_eq!(claims["sub"], "operator-4");
        assert_eq!(claims["unit"], "hotline-111");
        assert_eq!(claims["jurisdiction"], json!(["01"]));
        assert_eq!(claims["scope"], "ctex:read");
        assert_eq!(claims["purpose"], "tip triage");
        let (iat, exp) = (
            claims["iat"].as_i64().expect("iat"),
            claims["exp"].as_i64().expect("exp"),
        );
        assert_eq!(exp - iat, 120);
        assert!((iat - chrono::Utc::now().timestamp()).abs() < 5);
        assert!(uuid::Uuid::parse_str(claims["jti"].as_str().expect("jti")).is_ok());
        let minimal = mint(dir.path(), &TokenSpec::new(Agency::Police, "p")).expect("mint");
        let minimal: Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(minimal.split('.').nth(1).expect("payload"))
                .expect("b64"),
        )
        .expect("json");
        assert!(minimal.get("unit").is_none() && minimal.get("purpose").is_none());
    }

    #[test]
    fn mint_without_keys_says_how_to_make_them() {
        let dir = TempDir::new().expect("tmp");

        let err = mint(dir.path(), &TokenSpec::new(Agency::Police, "p")).expect_err("no keys");

        assert!(format!("{err:#}").contains("ctex keys init"), "{err:#}");
    }

    #[test]
    fn mint_rejects_an_absurd_ttl() {
        let dir = TempDir::new().expect("tmp");
        init(dir.path()).expect("init");
        let spec = TokenSpec {
            ttl_secs: u64::MAX,
            ..TokenSpec::new(Agency::Police, "p")
        };

        assert!(mint(dir.path(), &spec).is_err());
    }
}
