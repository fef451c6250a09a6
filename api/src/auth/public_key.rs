//! Public keys from the trust file: PEM and JWKS parsing, each key pinned to one algorithm.
//!
//! Every key is parsed and checked here once, when the trust file is loaded, so verifying a
//! token never meets a malformed key. This module must never accept private or symmetric key
//! material (a trust file holds public keys only), never let a key verify more than the one
//! algorithm its type implies, and never put key bytes into an error.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::{Decode as _, Document, pem as der_pem};
use ed25519_dalek::pkcs8::spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};
use jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

/// Smallest and largest RSA modulus accepted, in bits.
const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

/// `id-Ed25519` (RFC 8410).
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// `id-ecPublicKey` (RFC 5480).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1`, a.k.a. P-256 (RFC 5480).
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `rsaEncryption` (RFC 8017).
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The algorithms ctex accepts; each key is pinned to exactly one of them by its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyAlg {
    /// Ed25519 signatures.
    EdDsa,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl KeyAlg {
    /// The JOSE name, matched exactly (JOSE names are case-sensitive).
    pub(super) fn parse(name: &str) -> Option<KeyAlg> {
        match name {
            "EdDSA" => Some(KeyAlg::EdDsa),
            "ES256" => Some(KeyAlg::Es256),
            "RS256" => Some(KeyAlg::Rs256),
            _ => None,
        }
    }

    /// The JOSE name.
    pub(super) fn name(self) -> &'static str {
        match self {
            KeyAlg::EdDsa => "EdDSA",
            KeyAlg::Es256 => "ES256",
            KeyAlg::Rs256 => "RS256",
        }
    }

    /// The `jsonwebtoken` algorithm used to build a verifier.
    fn jwt(self) -> Algorithm {
        match self {
            KeyAlg::EdDsa => Algorithm::EdDSA,
            KeyAlg::Es256 => Algorithm::ES256,
            KeyAlg::Rs256 => Algorithm::RS256,
        }
    }
}

/// A public key, parsed once, pinned to one algorithm.
#[derive(Clone, Debug)]
pub(super) struct TrustedKey {
    /// The key id tokens select it by.
    pub(super) kid: String,
    /// The only algorithm this key verifies.
    pub(super) alg: KeyAlg,
    /// The parsed key.
    key: DecodingKey,
}

impl TrustedKey {
    /// A key from a PEM public key file's text.
    pub(super) fn from_pem(kid: String, text: &str) -> Result<TrustedKey, String> {
        let (alg, key) = parse_public_pem(text)?;
        Ok(TrustedKey { kid, alg, key })
    }

    /// Whether `signature_b64` is this key's signature of `signing_input` under its pinned
    /// algorithm. Uses the RustCrypto provider explicitly, so no process-wide provider state
    /// can change how tokens are verified.
    pub(super) fn verifies(&self, signing_input: &[u8], signature_b64: &str) -> bool {
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature_b64) else {
            return false;
        };
        match (DEFAULT_PROVIDER.verifier_factory)(&self.alg.jwt(), &self.key) {
            Ok(verifier) => verifier.verify(signing_input, &signature).is_ok(),
            Err(_) => false,
        }
    }
}

/// Parses a PEM public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`).
fn parse_public_pem(text: &str) -> Result<(KeyAlg, DecodingKey), String> {
    let label = der_pem::decode_label(text.as_bytes())
        .map_err(|_| "the file is not a PEM document".to_owned())?;
    match label {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
        l if l.contains("PRIVATE KEY") => {
            return Err("this is a private key; the trust file takes public keys only".into());
        }
        "CERTIFICATE" => {
            return Err("certificates are not supported; give the public key \
                        (`openssl x509 -pubkey -noout`)"
                .into());
        }
        other => return Err(format!("unsupported PEM type `{other}`")),
    }
    let (_, document) =
        Document::from_pem(text).map_err(|_| "the PEM document is not valid DER".to_owned())?;
    if label == "RSA PUBLIC KEY" {
        return rsa_from_pkcs1(document.as_bytes());
    }
    let spki = SubjectPublicKeyInfoRef::from_der(document.as_bytes())
        .map_err(|_| "the key is not a valid SubjectPublicKeyInfo".to_owned())?;
    let (oid, parameters) = spki
        .algorithm
        .oids()
        .map_err(|_| "the key's algorithm parameters are invalid".to_owned())?;
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| "the key's bit string is not whole bytes".to_owned())?;
    match (oid, parameters) {
        (OID_ED25519, None) => ed25519_key(bits),
        (OID_EC_PUBLIC_KEY, Some(OID_P256)) => p256_key(bits),
        (OID_EC_PUBLIC_KEY, _) => Err("only P-256 elliptic-curve keys are supported".into()),
        (OID_RSA, _) => rsa_from_pkcs1(bits),
        _ => Err("unsupported key type (use Ed25519, P-256 or RSA)".into()),
    }
}

/// An Ed25519 public key from its 32 raw bytes, refusing invalid and weak (small-order) keys.
fn ed25519_key(bytes: &[u8]) -> Result<(KeyAlg, DecodingKey), String> {
    let raw: &[u8; 32] = bytes
        .try_into()
        .map_err(|_| "an Ed25519 public key must be 32 bytes".to_owned())?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(raw)
        .map_err(|_| "not a valid Ed25519 public key".to_owned())?;
    if key.is_weak() {
        return Err("weak (small-order) Ed25519 public key".into());
    }
    Ok((KeyAlg::EdDsa, DecodingKey::from_ed_der(raw)))
}

/// A P-256 public key from its uncompressed SEC1 point, checked to lie on the curve.
fn p256_key(point: &[u8]) -> Result<(KeyAlg, DecodingKey), String> {
    if point.len() != 65 || point[0] != 0x04 {
        return Err("a P-256 public key must be an uncompressed 65-byte point".into());
    }
    let key = DecodingKey::from_ec_der(point);
    // Building a verifier parses the point and checks it is on the curve.
    (DEFAULT_PROVIDER.verifier_factory)(&Algorithm::ES256, &key)
        .map_err(|_| "not a valid P-256 public key".to_owned())?;
    Ok((KeyAlg::Es256, key))
}

/// An RSA public key from a PKCS#1 `RSAPublicKey` DER structure.
fn rsa_from_pkcs1(der: &[u8]) -> Result<(KeyAlg, DecodingKey), String> {
    let (n, e) = (DEFAULT_PROVIDER
        .key_utils
        .rsa_pub_components_from_public_key)(der)
    .map_err(|_| "not a valid RSA public key".to_owned())?;
    rsa_key(&n, &e)
}

/// An RSA public key from its big-endian modulus and exponent, checked for a sane size.
fn rsa_key(n: &[u8], e: &[u8]) -> Result<(KeyAlg, DecodingKey), String> {
    let n = strip_leading_zeros(n);
    let e = strip_leading_zeros(e);
    let bits = match n.first() {
        Some(first) => (n.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    };
    if !RSA_BITS.contains(&bits) {
        return Err(format!(
            "RSA modulus of {bits} bits (2048 to 4096 required)"
        ));
    }
    let exponent = if e.len() <= 8 {
        e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    } else {
        u64::MAX
    };
    if exponent < 3 || exponent % 2 == 0 || exponent >= (1 << 33) {
        return Err("RSA public exponent must be odd, at least 3 and below 2^33".into());
    }
    Ok((KeyAlg::Rs256, DecodingKey::from_rsa_raw_components(n, e)))
}

/// `bytes` without leading zero bytes.
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Why a JWKS file could not be used.
#[derive(Debug)]
pub(super) enum JwksProblem {
    /// The file is not a JWK Set, or a key has no `kid`.
    Invalid(String),
    /// One key (named by its `kid`) is unusable.
    BadKey {
        /// The key id.
        kid: String,
        /// What is wrong.
        problem: String,
    },
}

/// Parses every key of a JWKS document.
pub(super) fn parse_jwks(text: &str) -> Result<Vec<TrustedKey>, JwksProblem> {
    let set: RawJwks =
        serde_json::from_str(text).map_err(|e| JwksProblem::Invalid(e.to_string()))?;
    let mut keys = Vec::with_capacity(set.keys.len());
    for (index, jwk) in set.keys.into_iter().enumerate() {
        let Some(kid) = jwk.kid.clone() else {
            return Err(JwksProblem::Invalid(format!(
                "key number {} has no `kid`",
                index + 1
            )));
        };
        let (alg, key) = jwk.parse().map_err(|problem| JwksProblem::BadKey {
            kid: kid.clone(),
            problem,
        })?;
        keys.push(TrustedKey { kid, alg, key });
    }
    Ok(keys)
}

impl RawJwk {
    /// Turns one JWK into a pinned key, refusing private and symmetric keys.
    fn parse(&self) -> Result<(KeyAlg, DecodingKey), String> {
        if self.d.is_some() || self.k.is_some() {
            return Err("the JWK holds secret key material; give public keys only".into());
        }
        if self.public_key_use.as_deref().is_some_and(|u| u != "sig") {
            return Err("the JWK's `use` is not `sig`".into());
        }
        if self
            .key_ops
            .as_ref()
            .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
        {
            return Err("the JWK's `key_ops` do not include `verify`".into());
        }
        let b64 = |field: &'static str, value: &Option<String>| -> Result<Vec<u8>, String> {
            let value = value
                .as_deref()
                .ok_or_else(|| format!("the JWK has no `{field}`"))?;
            URL_SAFE_NO_PAD
                .decode(value)
                .map_err(|_| format!("the JWK's `{field}` is not base64url"))
        };
        let (alg, key) = match (self.kty.as_str(), self.crv.as_deref()) {
            ("OKP", Some("Ed25519")) => ed25519_key(&b64("x", &self.x)?)?,
            ("EC", Some("P-256")) => {
                let (x, y) = (b64("x", &self.x)?, b64("y", &self.y)?);
                if x.len() != 32 || y.len() != 32 {
                    return Err("P-256 coordinates must be 32 bytes each".into());
                }
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                p256_key(&point)?
            }
            ("RSA", _) => rsa_key(&b64("n", &self.n)?, &b64("e", &self.e)?)?,
            ("oct", _) => return Err("symmetric (`oct`) keys are forbidden".into()),
            ("OKP" | "EC", _) => return Err("unsupported curve (use Ed25519 or P-256)".into()),
            _ => return Err("unsupported key type (use OKP Ed25519, EC P-256 or RSA)".into()),
        };
        if let Some(declared) = self.alg.as_deref()
            && declared != alg.name()
        {
            return Err(format!(
                "the JWK declares `alg` {declared} but is a {} key",
                alg.name()
            ));
        }
        Ok((alg, key))
    }
}

/// A JWKS file.
#[derive(Deserialize)]
struct RawJwks {
    /// The keys.
    keys: Vec<RawJwk>,
}

/// One JWK, with the members ctex reads (others, such as `x5c`, are ignored).
#[derive(Deserialize)]
struct RawJwk {
    /// Key type: `OKP`, `EC`, `RSA` (`oct` is refused).
    kty: String,
    /// Key id.
    kid: Option<String>,
    /// Declared algorithm; must agree with the key type when present.
    alg: Option<String>,
    /// Declared use; must be `sig` when present.
    #[serde(rename = "use")]
    public_key_use: Option<String>,
    /// Declared operations; must include `verify` when present.
    key_ops: Option<Vec<String>>,
    /// Curve for OKP and EC keys.
    crv: Option<String>,
    /// Public x coordinate (EC) or key (OKP).
    x: Option<String>,
    /// Public y coordinate (EC).
    y: Option<String>,
    /// RSA modulus.
    n: Option<String>,
    /// RSA exponent.
    e: Option<String>,
    /// Private key material: its presence is an error.
    d: Option<String>,
    /// Symmetric key material: its presence is an error.
    k: Option<String>,
}
