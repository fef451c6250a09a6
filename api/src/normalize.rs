//! Matching keys for identifiers and names (DESIGN §4 `Identifier.normalized`, §5.5 hit/no-hit).
//!
//! Agencies record the same broker's phone as `0912 345 678` in one case and `+84 912-345-678`
//! in another, the same Facebook account as a profile URL and as `@Some.Name`, the same person as
//! `Nguyễn Văn An` and `NGUYEN VAN AN`. This module turns each recorded value into one canonical
//! key, so that equal keys reveal the link. It is pure: no I/O, no global state of its own.
//!
//! # Rules
//! | kind | key |
//! |---|---|
//! | `PHONE` | E.164 (`+84912345678`), validated against libphonenumber metadata; see [`normalize_phone`] |
//! | `PASSPORT`, `BANK_ACCOUNT`, `VEHICLE_PLATE` | upper-case ASCII letters and digits; separators (whitespace, `-`, `.`, `/`) removed, Latin accents stripped |
//! | `NATIONAL_ID` | as above, and exactly 9 (CMND) or 12 (CCCD) digits |
//! | `SOCIAL_MEDIA` | lower-case handle without `@`, accents stripped, with a lower-case platform; profile URLs are reduced to their handle; phone-number handles (Zalo, WhatsApp, Viber, Signal, or any handle written with `+`) become E.164 |
//! | `EMAIL` | trimmed and lower-cased, exactly one `@` |
//!
//! Person names get a key of their own, [`fold_name`]: diacritics stripped, lower-case,
//! punctuation dropped, words sorted.
//!
//! # What it must never do
//! - Log, print or echo a value: error messages say what is wrong, never what was written.
//! - Panic, whatever the input (the phone parser is additionally fenced, see [`normalize_phone`]).
//! - Process more than [`MAX_INPUT_BYTES`] of input, or return more than that.
//! - Decide identity: an equal key is a lead for an investigator, not proof of the same person.

use std::panic::{self, AssertUnwindSafe};
use std::str::FromStr;

use phonenumber::Mode;
use phonenumber::country::Id as Region;
use phonenumber::metadata::DATABASE;
use strum::{AsRefStr, Display, EnumIter, EnumString};

/// Largest input (and largest normalized output) accepted, in bytes. Anything longer is rejected
/// before any processing, so no caller can make this module do unbounded work.
pub const MAX_INPUT_BYTES: usize = 512;

/// Region used for phone numbers written without a country code: ctex's agencies are Vietnamese.
pub const DEFAULT_PHONE_REGION: &str = "VN";

/// The kinds of identifier an agency can record (DESIGN §4, `Identifier.kind`).
///
/// Its strings are the GraphQL enum values (`PHONE`, `NATIONAL_ID`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Display, EnumString, AsRefStr, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum IdentifierKind {
    /// A telephone number; normalized to E.164.
    Phone,
    /// A passport number, of any issuing country.
    Passport,
    /// A Vietnamese identity card number: CMND (9 digits) or CCCD (12 digits).
    NationalId,
    /// An account on a social network or messenger; needs a platform.
    SocialMedia,
    /// A bank account number (domestic or IBAN).
    BankAccount,
    /// A vehicle registration plate.
    VehiclePlate,
    /// An e-mail address.
    Email,
}

/// A normalized identifier: the key stored in `Identifier.normalized` and compared for links.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Normalized {
    /// The canonical value; equal values of the same kind (and platform) are the same identifier.
    pub value: String,
    /// The lower-case platform of a `SOCIAL_MEDIA` handle (`facebook`, `zalo`, ...), because the
    /// same handle on two platforms is two accounts; `None` for every other kind.
    pub platform: Option<String>,
}

/// Why a value could not be normalized. Messages name the problem, never the value, so they can
/// be returned to a caller (as `BAD_USER_INPUT`) and logged without leaking personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// The value is longer than [`MAX_INPUT_BYTES`] (or would normalize to something longer).
    #[error("value is longer than {max} bytes")]
    TooLong {
        /// The limit, [`MAX_INPUT_BYTES`].
        max: usize,
    },
    /// The value is empty or only whitespace and separators.
    #[error("value is empty")]
    Empty,
    /// The value contains control characters (other than whitespace).
    #[error("value contains control characters")]
    ControlCharacter,
    /// The value has characters a phone number cannot have (letters, a `+` not at the start).
    #[error("phone number may contain only digits, separators and one leading +")]
    PhoneSyntax,
    /// The digits are not a valid number: wrong length or an unallocated prefix for the country.
    #[error(
        "not a valid phone number: wrong length or unknown prefix \
         (foreign numbers need + or 00 and the country code)"
    )]
    PhoneInvalid,
    /// The default region is not an ISO 3166 alpha-2 code known to the phone metadata.
    #[error("default phone region must be an ISO 3166 alpha-2 code such as VN")]
    UnknownRegion,
    /// A document number contains something other than letters, digits and separators.
    #[error("{kind} may contain only letters, digits, spaces and the separators - . /")]
    InvalidCharacters {
        /// The kind being normalized.
        kind: IdentifierKind,
    },
    /// A national ID is not 9 (CMND) or 12 (CCCD) digits.
    #[error(
        "NATIONAL_ID must be 9 digits (CMND) or 12 digits (CCCD), \
         found {len} letters or digits"
    )]
    NationalIdShape {
        /// How many letters and digits remained after removing separators.
        len: usize,
    },
    /// A `SOCIAL_MEDIA` identifier came without a platform, and none could be inferred.
    #[error("SOCIAL_MEDIA needs a platform (for example facebook or zalo)")]
    PlatformRequired,
    /// The platform is longer than [`MAX_INPUT_BYTES`].
    #[error("platform is longer than {max} bytes")]
    PlatformTooLong {
        /// The limit, [`MAX_INPUT_BYTES`].
        max: usize,
    },
    /// The platform contains control characters.
    #[error("platform contains control characters")]
    PlatformControlCharacter,
    /// The platform given disagrees with the site of the profile URL.
    #[error("platform does not match the profile URL, which is a {inferred} URL")]
    PlatformMismatch {
        /// The platform the URL belongs to.
        inferred: &'static str,
    },
    /// A URL that is not a profile on a recognised platform (unknown site, group, post, invite).
    #[error(
        "URL is not a profile on a recognised platform: record the handle and platform instead"
    )]
    UnsupportedProfileUrl,
    /// An e-mail address without exactly one `@` between non-empty parts, or with spaces.
    #[error("e-mail address needs exactly one @ with text on both sides and no spaces")]
    InvalidEmail,
}

impl NormalizeError {
    /// Whether the error is about the platform argument rather than the value, so a caller can
    /// report it at the right input field (`BAD_USER_INPUT` with `extensions.field`).
    pub fn concerns_platform(&self) -> bool {
        matches!(
            self,
            Self::PlatformRequired
                | Self::PlatformTooLong { .. }
                | Self::PlatformControlCharacter
                | Self::PlatformMismatch { .. }
        )
    }
}

/// Normalizes one identifier of the given kind (DESIGN §4 `Identifier.normalized`).
///
/// `platform` is used by [`IdentifierKind::SocialMedia`] only (required there unless the value is
/// a profile URL it can be inferred from) and ignored for other kinds. Phones without a country
/// code are read as Vietnamese ([`DEFAULT_PHONE_REGION`]).
///
/// Normalizing a normalized value (with its platform) returns it unchanged.
pub fn normalize_identifier(
    kind: IdentifierKind,
    value: &str,
    platform: Option<&str>,
) -> Result<Normalized, NormalizeError> {
    let (value, platform) = match kind {
        IdentifierKind::Phone => (normalize_phone(value, DEFAULT_PHONE_REGION)?, None),
        IdentifierKind::Passport | IdentifierKind::BankAccount | IdentifierKind::VehiclePlate => {
            (normalize_document(kind, value)?, None)
        }
        IdentifierKind::NationalId => (normalize_national_id(value)?, None),
        IdentifierKind::SocialMedia => {
            let (handle, platform) = normalize_social(value, platform)?;
            (handle, Some(platform))
        }
        IdentifierKind::Email => (normalize_email(value)?, None),
    };
    check_output(&value)?;
    Ok(Normalized { value, platform })
}

/// Normalizes a phone number to E.164 (`+84912345678`), reading numbers without a country code
/// as numbers of `default_region` (ISO 3166 alpha-2, normally `"VN"`).
///
/// Accepted: digits, one leading `+` (also `(+84)`), a leading `tel:`, whitespace and the
/// separators `- . ( ) /` (and Unicode dashes), full-width digits. Letters (`ext. 12`) are not.
///
/// Without `+`, the digits are read in this order, and the first valid reading wins:
/// 1. as a number of the region: national format with the trunk `0` (`0912 345 678`), the
///    region's international prefix (`0084912345678`), or a national number whose `0` was lost,
///    as spreadsheets do (`912345678`; `845123456` → `+84845123456`, `084` being a mobile prefix);
/// 2. only if that is not a valid number and the digits start with the region's country code,
///    as that code followed by a national number: `84912345678` → `+84912345678`.
///
/// For Vietnam this is exact: no national number has more than 10 digits, so `84` followed by
/// 9 or 10 more digits is never a valid national reading and is read as the country code, while
/// 9 or 10 digits starting `84` are a `084…` mobile (which also wins over the rare 7-digit
/// `+84 69…` government numbers). Foreign numbers need `+` or `00` and their country code.
///
/// Pre-2018 Vietnamese 11-digit mobile numbers (`0168 123 4567`) are rewritten to the 10-digit
/// numbers the operators moved them to (`+84381234567`), so old and new case records match.
///
/// Validity is libphonenumber's (length and allocated prefixes), so a number from a range
/// allocated after the bundled metadata is rejected until the `phonenumber` crate is updated.
pub fn normalize_phone(value: &str, default_region: &str) -> Result<String, NormalizeError> {
    let value = prepare(value)?;
    let region = RegionInfo::lookup(default_region)?;
    let dialled = Dialled::parse(&value)?;

    let digits = dialled.digits.as_str();
    let number = if dialled.plus {
        e164(None, &format!("+{digits}"))
    } else {
        // With the trunk prefix restored, the parser reads the digits as national (it would
        // otherwise apply its own country-code guess to `84…`).
        let national = match &region.national_prefix {
            Some(prefix) if !digits.starts_with(prefix.as_str()) => {
                e164(Some(region.id), &format!("{prefix}{digits}"))
            }
            _ => e164(Some(region.id), digits),
        };
        national.or_else(|| {
            digits
                .starts_with(&region.country_code)
                .then(|| e164(None, &format!("+{digits}")))
                .flatten()
        })
    };
    number.ok_or(NormalizeError::PhoneInvalid)
}

/// Folds a person's name into a matching key: Vietnamese (and other Latin) diacritics stripped,
/// `đ`/`Đ` → `d`, other scripts transliterated (`王伟` → `wang wei`), lower-case, apostrophes
/// dropped (`H'Hen` → `hhen`), other punctuation treated as a space, whitespace collapsed, and the
/// words sorted, so `Nguyễn Văn An`, `NGUYEN VAN AN` and `An Nguyễn Văn` share the key
/// `an nguyen van` (family-name-first and given-name-first records then match).
///
/// A name longer than [`MAX_INPUT_BYTES`] (or folding to something longer) has no key: the result
/// is empty, and [`names_match`] never matches an empty key.
pub fn fold_name(name: &str) -> String {
    if name.len() > MAX_INPUT_BYTES {
        return String::new();
    }
    let mut flat = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            flat.push(c.to_ascii_lowercase());
        } else if c.is_whitespace() {
            flat.push(' ');
        } else if is_apostrophe(c) || is_invisible(c) {
            // Joined: `H'Hen` and `HHen` are one word.
        } else if c.is_alphanumeric() {
            push_transliterated(&mut flat, c);
        } else if deunicode::deunicode_char(c) == Some("") {
            // Combining marks (decomposed `e` + `\u{302}`) are part of the letter before them;
            // control characters are noise.
        } else {
            flat.push(' ');
        }
    }
    let mut words: Vec<&str> = flat.split_ascii_whitespace().collect();
    words.sort_unstable();
    let key = words.join(" ");
    if key.len() > MAX_INPUT_BYTES {
        return String::new();
    }
    key
}

/// Whether two names have the same non-empty [`fold_name`] key.
///
/// Names with no key (empty, punctuation only, too long) match nothing, not even each other.
pub fn names_match(a: &str, b: &str) -> bool {
    let key = fold_name(a);
    !key.is_empty() && key == fold_name(b)
}

// ---------------------------------------------------------------------------------------------
// Shared input hygiene
// ---------------------------------------------------------------------------------------------

/// Length check, invisible characters removed, control characters rejected, trimmed, non-empty.
fn prepare(value: &str) -> Result<String, NormalizeError> {
    if value.len() > MAX_INPUT_BYTES {
        return Err(NormalizeError::TooLong {
            max: MAX_INPUT_BYTES,
        });
    }
    if value.chars().any(is_forbidden_control) {
        return Err(NormalizeError::ControlCharacter);
    }
    let visible: String = value.chars().filter(|c| !is_invisible(*c)).collect();
    let trimmed = visible.trim();
    if trimmed.is_empty() {
        return Err(NormalizeError::Empty);
    }
    Ok(trimmed.to_owned())
}

/// Rejects a normalized value that grew past the limit (transliteration can lengthen text), so
/// that every normalized value can be normalized again.
fn check_output(value: &str) -> Result<(), NormalizeError> {
    if value.len() > MAX_INPUT_BYTES {
        return Err(NormalizeError::TooLong {
            max: MAX_INPUT_BYTES,
        });
    }
    Ok(())
}

/// Control characters that are not whitespace (`\t`, `\n`, `\r` are whitespace and allowed).
fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !c.is_whitespace()
}

/// Zero-width and direction marks, byte-order marks and soft hyphens that copy-paste from web
/// pages and messengers carries along; invisible to the person who recorded the value.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
    )
}

/// Apostrophe-like characters, dropped inside names (`H'Hen`, `O’Brien`).
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`' | '\u{00B4}' | '\u{2018}' | '\u{2019}' | '\u{02BB}' | '\u{02BC}'
    )
}

/// Separators tolerated (and removed) in document numbers and phone numbers.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// Appends the lower-case ASCII transliteration of a non-ASCII letter or digit; anything in the
/// transliteration that is not a letter or digit becomes a space (a word break).
fn push_transliterated(out: &mut String, c: char) {
    match deunicode::deunicode_char(c) {
        Some(ascii) => {
            for t in ascii.chars() {
                if t.is_ascii_alphanumeric() {
                    out.push(t.to_ascii_lowercase());
                } else {
                    out.push(' ');
                }
            }
        }
        None => out.push(' '),
    }
}

// ---------------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------------

/// What was dialled: the digits, and whether a `+` came first.
struct Dialled {
    /// `true` when the number started with `+` (so the digits start with a country code).
    plus: bool,
    /// ASCII digits only, separators removed.
    digits: String,
}

impl Dialled {
    /// Most digits any dialled form of an E.164 number can have: `00` + 15.
    const MAX_DIGITS: usize = 17;

    /// Keeps digits and a leading `+`; skips separators; rejects anything else.
    fn parse(value: &str) -> Result<Self, NormalizeError> {
        let value = strip_prefix_ignore_case(value, "tel:").unwrap_or(value);
        let mut plus = false;
        let mut digits = String::with_capacity(value.len());
        for c in value.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '\u{FF10}'..='\u{FF19}' => {
                    if let Some(d) = char::from_digit(u32::from(c) - 0xFF10, 10) {
                        digits.push(d);
                    }
                }
                '+' | '\u{FF0B}' if !plus && digits.is_empty() => plus = true,
                '(' | ')' => {}
                c if is_separator(c) => {}
                _ => return Err(NormalizeError::PhoneSyntax),
            }
        }
        if digits.is_empty() {
            return Err(NormalizeError::PhoneSyntax);
        }
        if digits.len() > Self::MAX_DIGITS {
            return Err(NormalizeError::PhoneInvalid);
        }
        Ok(Self { plus, digits })
    }
}

/// The default region, with what the readings of [`normalize_phone`] need from its metadata.
struct RegionInfo {
    /// The region.
    id: Region,
    /// Its country calling code as digits (`84`).
    country_code: String,
    /// Its trunk prefix (`0`), if it has one.
    national_prefix: Option<String>,
}

impl RegionInfo {
    /// Looks a region up by ISO 3166 alpha-2 code, case-insensitively.
    fn lookup(code: &str) -> Result<Self, NormalizeError> {
        let code = code.trim();
        if code.len() != 2 {
            return Err(NormalizeError::UnknownRegion);
        }
        let id = Region::from_str(&code.to_ascii_uppercase())
            .map_err(|_| NormalizeError::UnknownRegion)?;
        let meta = DATABASE
            .by_id(id.as_ref())
            .ok_or(NormalizeError::UnknownRegion)?;
        Ok(Self {
            id,
            country_code: meta.country_code().to_string(),
            national_prefix: meta.national_prefix().map(str::to_owned),
        })
    }
}

/// Parses `text` (only `+` and digits) and returns its E.164 form if it is a valid number.
///
/// The `phonenumber` crate has panicked on malformed input before (rust-phonenumber issues #32,
/// #43); input here is already reduced to `+` and digits, and any panic that still escapes it is
/// caught and treated as "not a number" rather than taking a request down.
fn e164(region: Option<Region>, text: &str) -> Option<String> {
    panic::catch_unwind(AssertUnwindSafe(|| {
        let number = phonenumber::parse(region, text).ok()?;
        let formatted = number.format().mode(Mode::E164).to_string();
        // Before validation: the crate's metadata matching is loose enough to call some old
        // numbers (`+841201234567`) valid toll-free numbers.
        let number = match renumber_vietnamese_mobile(&formatted) {
            Some(renumbered) => phonenumber::parse(None, &renumbered).ok()?,
            None => number,
        };
        number
            .is_valid()
            .then(|| number.format().mode(Mode::E164).to_string())
    }))
    .ok()
    .flatten()
}

/// Rewrites a pre-2018 Vietnamese 11-digit mobile number (`+84` + `1xx` + 7 digits) to the
/// 10-digit number its operator moved it to in 2018 (Ministry of Information and Communications
/// renumbering, 15 Sep 2018 – 30 Jun 2019): `+841681234567` → `+84381234567`.
///
/// The old numbers stopped working in 2018 and each maps to exactly one new number, so this can
/// link an old case record to a new one but never merge two different phones. No current
/// 10-digit number starts with these prefixes (`1800`/`1900` service numbers do not).
fn renumber_vietnamese_mobile(e164: &str) -> Option<String> {
    /// Old three-digit mobile prefix (after `+84`) → new two-digit prefix.
    const RENUMBERED: [(&str, &str); 21] = [
        // MobiFone
        ("120", "70"),
        ("121", "79"),
        ("122", "77"),
        ("126", "76"),
        ("128", "78"),
        // VinaPhone
        ("123", "83"),
        ("124", "84"),
        ("125", "85"),
        ("127", "81"),
        ("129", "82"),
        // Viettel
        ("162", "32"),
        ("163", "33"),
        ("164", "34"),
        ("165", "35"),
        ("166", "36"),
        ("167", "37"),
        ("168", "38"),
        ("169", "39"),
        // Vietnamobile
        ("186", "56"),
        ("188", "58"),
        // Gmobile
        ("199", "59"),
    ];
    let national = e164.strip_prefix("+84")?;
    if national.len() != 10 || !national.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (old, subscriber) = national.split_at(3);
    RENUMBERED
        .iter()
        .find(|(from, _)| *from == old)
        .map(|(_, to)| format!("+84{to}{subscriber}"))
}

// ---------------------------------------------------------------------------------------------
// Documents: passport, national ID, bank account, vehicle plate
// ---------------------------------------------------------------------------------------------

/// Upper-case ASCII letters and digits; separators removed; Latin accents stripped.
fn normalize_document(kind: IdentifierKind, value: &str) -> Result<String, NormalizeError> {
    let value = prepare(value)?;
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if is_separator(c) || is_combining_diacritic(c) {
            // Removed.
        } else if is_latin_or_fullwidth(c) && c.is_alphanumeric() {
            let ascii = deunicode::deunicode_char(c).unwrap_or_default();
            if ascii.is_empty() || !ascii.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(NormalizeError::InvalidCharacters { kind });
            }
            out.push_str(&ascii.to_ascii_uppercase());
        } else {
            return Err(NormalizeError::InvalidCharacters { kind });
        }
    }
    if out.is_empty() {
        return Err(NormalizeError::Empty);
    }
    Ok(out)
}

/// A document key that is 9 (CMND) or 12 (CCCD) digits.
fn normalize_national_id(value: &str) -> Result<String, NormalizeError> {
    let id = normalize_document(IdentifierKind::NationalId, value)?;
    let len = id.chars().count();
    if !(len == 9 || len == 12) || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NormalizeError::NationalIdShape { len });
    }
    Ok(id)
}

/// Latin letters with diacritics (Latin-1 Supplement, Extended-A/B, Latin Extended Additional,
/// where Vietnamese lives) and full-width ASCII forms: the characters whose accent-stripped form
/// is the same letter. Other scripts in a document number are rejected, not transliterated.
fn is_latin_or_fullwidth(c: char) -> bool {
    matches!(
        c,
        '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' | '\u{FF10}'..='\u{FF19}'
            | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}'
    )
}

/// Combining diacritical marks, as in decomposed (NFD) Vietnamese text.
fn is_combining_diacritic(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

// ---------------------------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------------------------

/// Trimmed, lower-cased, `mailto:` removed, exactly one `@` between non-empty parts, no spaces.
///
/// Nothing provider-specific (Gmail dots, `+tags`) is removed: that would merge mailboxes that
/// may belong to different people.
fn normalize_email(value: &str) -> Result<String, NormalizeError> {
    let value = prepare(value)?;
    let mut address = value.as_str();
    while let Some(rest) = strip_prefix_ignore_case(address, "mailto:") {
        address = rest;
    }
    if address.chars().any(char::is_whitespace) {
        return Err(NormalizeError::InvalidEmail);
    }
    let address = address.to_lowercase();
    match address.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(address)
        }
        _ => Err(NormalizeError::InvalidEmail),
    }
}

// ---------------------------------------------------------------------------------------------
// Social media
// ---------------------------------------------------------------------------------------------

/// Platforms whose account identifier is usually the owner's phone number: a handle that is a
/// valid phone number (read as Vietnamese when it has no country code) is stored as E.164.
const PHONE_HANDLE_PLATFORMS: [&str; 4] = ["zalo", "whatsapp", "viber", "signal"];

/// Short names agencies write for a platform → the platform's key.
const PLATFORM_ALIASES: [(&str, &str); 6] = [
    ("fb", "facebook"),
    ("ig", "instagram"),
    ("tg", "telegram"),
    ("wa", "whatsapp"),
    ("twitter", "x"),
    ("weixin", "wechat"),
];

/// Web hosts of profile URLs → platform. A host matches itself and its subdomains
/// (`m.facebook.com`, `www.tiktok.com`).
const PLATFORM_HOSTS: [(&str, &str); 15] = [
    ("facebook.com", "facebook"),
    ("fb.com", "facebook"),
    ("m.me", "facebook"),
    ("zalo.me", "zalo"),
    ("tiktok.com", "tiktok"),
    ("t.me", "telegram"),
    ("telegram.me", "telegram"),
    ("telegram.dog", "telegram"),
    ("instagram.com", "instagram"),
    ("instagr.am", "instagram"),
    ("x.com", "x"),
    ("twitter.com", "x"),
    ("line.me", "line"),
    ("wa.me", "whatsapp"),
    ("whatsapp.com", "whatsapp"),
];

/// Returns (handle, platform) for a `SOCIAL_MEDIA` value.
fn normalize_social(
    value: &str,
    platform: Option<&str>,
) -> Result<(String, String), NormalizeError> {
    let value = prepare(value)?;
    let given = platform.map(normalize_platform).transpose()?;
    // Fold first, so that URL detection sees what a second normalization would see
    // (`ｆacebook.com/x` must not be a handle now and a URL later).
    let value = fold_handle(&value);

    if let Some(url) = ProfileUrl::split(&value)? {
        let inferred = url.platform;
        if given.as_deref().is_some_and(|g| g != inferred) {
            return Err(NormalizeError::PlatformMismatch { inferred });
        }
        let raw = url.handle()?;
        let handle = normalize_handle(inferred, &raw)?;
        return Ok((handle, inferred.to_owned()));
    }

    let platform = given.ok_or(NormalizeError::PlatformRequired)?;
    let handle = normalize_handle(&platform, &value)?;
    Ok((handle, platform))
}

/// Lower-case ASCII, whitespace removed (`Tik Tok` → `tiktok`), common short names expanded.
fn normalize_platform(platform: &str) -> Result<String, NormalizeError> {
    if platform.len() > MAX_INPUT_BYTES {
        return Err(NormalizeError::PlatformTooLong {
            max: MAX_INPUT_BYTES,
        });
    }
    if platform.chars().any(is_forbidden_control) {
        return Err(NormalizeError::PlatformControlCharacter);
    }
    let folded: String = fold_handle(platform)
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let folded = PLATFORM_ALIASES
        .iter()
        .find(|(alias, _)| *alias == folded)
        .map_or(folded, |(_, name)| (*name).to_owned());
    if folded.is_empty() {
        return Err(NormalizeError::PlatformRequired);
    }
    check_output(&folded).map_err(|_| NormalizeError::PlatformTooLong {
        max: MAX_INPUT_BYTES,
    })?;
    Ok(folded)
}

/// The handle key: a phone number in E.164 where the handle is one (see
/// [`PHONE_HANDLE_PLATFORMS`]; on any platform when written with `+`), otherwise [`fold_handle`].
fn normalize_handle(platform: &str, raw: &str) -> Result<String, NormalizeError> {
    let raw = raw.trim().trim_start_matches('@').trim();
    let phone_platform = PHONE_HANDLE_PLATFORMS.contains(&platform);
    if (phone_platform || raw.starts_with('+'))
        && let Ok(phone) = normalize_phone(raw, DEFAULT_PHONE_REGION)
    {
        return Ok(phone);
    }
    let handle = fold_handle(raw);
    if handle.is_empty() {
        return Err(NormalizeError::Empty);
    }
    Ok(handle)
}

/// Lower-case ASCII handle: accents stripped and other scripts transliterated, emoji and other
/// symbols outside ASCII dropped, whitespace collapsed to single spaces, leading `@` removed.
fn fold_handle(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii() {
            out.push(if c.is_ascii_whitespace() {
                ' '
            } else {
                c.to_ascii_lowercase()
            });
        } else if c.is_whitespace() {
            out.push(' ');
        } else if c.is_alphanumeric() {
            push_transliterated(&mut out, c);
        }
    }
    let collapsed = out.split_ascii_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.trim_start_matches(['@', ' ']).to_owned()
}

/// A profile URL on a recognised platform, split into the parts handle extraction needs.
struct ProfileUrl<'a> {
    /// The platform its host belongs to.
    platform: &'static str,
    /// The host, lower-case (`www.facebook.com`).
    host: String,
    /// Non-empty path segments (of the folded, lower-case value).
    segments: Vec<&'a str>,
    /// The query string without `?`, or empty.
    query: &'a str,
}

impl<'a> ProfileUrl<'a> {
    /// Recognises a URL: anything starting `http://` or `https://`, or `host/path` where the host
    /// is a known platform (`facebook.com/some.name`). `Ok(None)` means "a handle, not a URL";
    /// a URL on an unknown site is an error.
    fn split(value: &'a str) -> Result<Option<Self>, NormalizeError> {
        let (rest, had_scheme) = match strip_prefix_ignore_case(value, "https://")
            .or_else(|| strip_prefix_ignore_case(value, "http://"))
        {
            Some(rest) => (rest, true),
            None => (value, false),
        };
        let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, after) = rest.split_at(host_end);
        let host_port = authority.rsplit('@').next().unwrap_or_default();
        let host = host_port
            .split(':')
            .next()
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let platform = platform_for_host(&host);
        let platform = match (platform, had_scheme) {
            (Some(platform), true) => platform,
            (Some(platform), false) if after.starts_with('/') => platform,
            (None, true) => return Err(NormalizeError::UnsupportedProfileUrl),
            _ => return Ok(None),
        };
        let before_fragment = after.split('#').next().unwrap_or_default();
        let (path, query) = before_fragment
            .split_once('?')
            .unwrap_or((before_fragment, ""));
        let segments = path.split('/').filter(|s| !s.is_empty()).collect();
        Ok(Some(Self {
            platform,
            host,
            segments,
            query,
        }))
    }

    /// The handle the URL points at (E.164 for phone links); errors for pages that are not a
    /// profile: groups, posts, invites, share links, unknown shapes.
    fn handle(&self) -> Result<String, NormalizeError> {
        const NOT_PROFILE: NormalizeError = NormalizeError::UnsupportedProfileUrl;
        let segment = |i: usize| self.segments.get(i).copied().ok_or(NOT_PROFILE);
        let first = segment(0)?;
        let first_lower = first.to_ascii_lowercase();
        let handle: &str = match self.platform {
            "facebook" => match first_lower.as_str() {
                "profile.php" => self.query_param("id").ok_or(NOT_PROFILE)?,
                "people" => segment(2)?,
                "groups" | "pages" | "pg" | "events" | "watch" | "share" | "sharer"
                | "sharer.php" | "story.php" | "permalink.php" | "photo" | "photo.php"
                | "photos" | "reel" | "videos" | "marketplace" | "messages" | "login"
                | "login.php" | "hashtag" | "home.php" | "search" | "gaming" | "stories" => {
                    return Err(NOT_PROFILE);
                }
                _ => first,
            },
            "zalo" => match first_lower.as_str() {
                "g" | "s" => return Err(NOT_PROFILE),
                _ => first,
            },
            "tiktok" => first.strip_prefix('@').ok_or(NOT_PROFILE)?,
            "telegram" => match first_lower.as_str() {
                "s" => segment(1)?,
                "joinchat" | "addstickers" | "addemoji" | "share" | "c" | "proxy" => {
                    return Err(NOT_PROFILE);
                }
                // `t.me/+84…` is a phone link; `t.me/+AbC…` a group invite.
                _ if first.starts_with('+') => {
                    return normalize_phone(first, DEFAULT_PHONE_REGION).map_err(|_| NOT_PROFILE);
                }
                _ => first,
            },
            "instagram" => match first_lower.as_str() {
                "stories" => segment(1)?,
                "p" | "reel" | "reels" | "explore" | "tv" | "accounts" | "direct" => {
                    return Err(NOT_PROFILE);
                }
                _ => first,
            },
            "x" => match first_lower.as_str() {
                "i" | "home" | "search" | "intent" | "share" | "hashtag" | "explore"
                | "settings" | "messages" | "notifications" => return Err(NOT_PROFILE),
                _ => first,
            },
            "line" => {
                let p = self
                    .segments
                    .iter()
                    .position(|s| s.eq_ignore_ascii_case("p"))
                    .ok_or(NOT_PROFILE)?;
                segment(p + 1)?.trim_start_matches('~')
            }
            "whatsapp" => {
                // wa.me/<international number>, api.whatsapp.com/send?phone=<international number>
                let number = if self.host == "wa.me" || self.host.ends_with(".wa.me") {
                    first
                } else if first_lower == "send" {
                    self.query_param("phone").ok_or(NOT_PROFILE)?
                } else {
                    return Err(NOT_PROFILE);
                };
                let number = format!("+{}", number.trim_start_matches('+'));
                return normalize_phone(&number, DEFAULT_PHONE_REGION).map_err(|_| NOT_PROFILE);
            }
            _ => first,
        };
        // A handle never contains `/` (a query value might), so it can never read as a URL.
        if handle.trim_start_matches('@').is_empty() || handle.contains('/') {
            return Err(NOT_PROFILE);
        }
        Ok(handle.to_owned())
    }

    /// The value of a query parameter, if present and non-empty.
    fn query_param(&self, key: &str) -> Option<&'a str> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty())
    }
}

/// The platform a host belongs to, if it is a recognised one (or a subdomain of one).
fn platform_for_host(host: &str) -> Option<&'static str> {
    PLATFORM_HOSTS.iter().find_map(|(domain, platform)| {
        let sub = host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.is_empty() || prefix.ends_with('.'));
        sub.then_some(*platform)
    })
}

/// `value` without `prefix`, compared ASCII-case-insensitively.
fn strip_prefix_ignore_case<'v>(value: &'v str, prefix: &str) -> Option<&'v str> {
    let head = value.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        value.get(prefix.len()..)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use strum::IntoEnumIterator;

    fn phone(value: &str) -> Result<String, NormalizeError> {
        normalize_phone(value, "VN")
    }

    fn ok(value: &str) -> Result<String, NormalizeError> {
        Ok(value.to_owned())
    }

    fn social(value: &str, platform: Option<&str>) -> Result<Normalized, NormalizeError> {
        normalize_identifier(IdentifierKind::SocialMedia, value, platform)
    }

    fn handle(value: &str, platform: &str) -> Result<Normalized, NormalizeError> {
        Ok(Normalized {
            value: value.to_owned(),
            platform: Some(platform.to_owned()),
        })
    }

    fn plain(value: &str) -> Result<Normalized, NormalizeError> {
        Ok(Normalized {
            value: value.to_owned(),
            platform: None,
        })
    }

    // --- kinds -----------------------------------------------------------------------------

    #[test]
    fn identifier_kinds_use_graphql_enum_strings() {
        let names: Vec<String> = IdentifierKind::iter().map(|k| k.to_string()).collect();
        assert_eq!(
            names,
            [
                "PHONE",
                "PASSPORT",
                "NATIONAL_ID",
                "SOCIAL_MEDIA",
                "BANK_ACCOUNT",
                "VEHICLE_PLATE",
                "EMAIL"
            ]
        );
        assert_eq!(
            IdentifierKind::from_str("VEHICLE_PLATE"),
            Ok(IdentifierKind::VehiclePlate)
        );
        assert_eq!(IdentifierKind::NationalId.as_ref(), "NATIONAL_ID");
        assert!(IdentifierKind::from_str("phone").is_err());
    }

    // --- phones ----------------------------------------------------------------------------

    #[test]
    fn vietnamese_phone_in_every_usual_format_is_the_same_e164() {
        for written in [
            "0912 345 678",
            "0912.345.678",
            "0912-345-678",
            "(091) 234-5678",
            "+84 912-345-678",
            "+84 (0) 912 345 678",
            "(+84) 912 345 678",
            "84912345678",
            "84 912 345 678",
            "0084912345678",
            "00 84 912 345 678",
            "912345678",
            "  0912345678\t",
            "tel:+84-912-345-678",
            "０９１２３４５６７８",
            "\u{200B}0912\u{00A0}345\u{2013}678",
        ] {
            assert_eq!(phone(written), ok("+84912345678"), "{written}");
        }
    }

    #[test]
    fn foreign_phones_with_plus_keep_their_country() {
        for (written, expected) in [
            ("+86 138 0013 8000", "+8613800138000"),  // China
            ("+66 81 234 5678", "+66812345678"),      // Thailand
            ("+855 12 345 678", "+85512345678"),      // Cambodia
            ("+855 (0)12 345 678", "+85512345678"),   // Cambodia, trunk 0 written
            ("+60 12-345 6789", "+60123456789"),      // Malaysia
            ("+82 10-1234-5678", "+821012345678"),    // Korea
            ("+81 90-1234-5678", "+819012345678"),    // Japan
            ("+886 912 345 678", "+886912345678"),    // Taiwan
            ("0086 138 0013 8000", "+8613800138000"), // China, via the 00 prefix
        ] {
            assert_eq!(phone(written), ok(expected), "{written}");
        }
    }

    #[test]
    fn foreign_region_reads_national_numbers_of_that_region() {
        assert_eq!(normalize_phone("081 234 5678", "TH"), ok("+66812345678"));
        assert_eq!(normalize_phone("010-1234-5678", "kr"), ok("+821012345678"));
    }

    #[test]
    fn leading_84_is_the_country_code_only_when_the_rest_is_a_full_number() {
        // 84 + 9-digit mobile, 84 + 10-digit landline: country code.
        assert_eq!(phone("84912345678"), ok("+84912345678"));
        assert_eq!(phone("842438251234"), ok("+842438251234"));
        // 9 digits starting 84: a 084 VinaPhone mobile whose leading 0 was lost, even where
        // `+84 6900000` would also be a (government) number.
        assert_eq!(phone("845123456"), ok("+84845123456"));
        assert_eq!(phone("0845123456"), ok("+84845123456"));
        assert_eq!(phone("846900000"), ok("+84846900000"));
        // 10 digits starting 84: neither reading is a number.
        assert_eq!(phone("8491234567"), Err(NormalizeError::PhoneInvalid));
        // 0 + 84 + mobile: malformed.
        assert_eq!(phone("084912345678"), Err(NormalizeError::PhoneInvalid));
    }

    #[test]
    fn landlines_and_service_numbers_normalize() {
        assert_eq!(phone("(024) 3825 1234"), ok("+842438251234"));
        assert_eq!(phone("028 3829 1234"), ok("+842838291234"));
        assert_eq!(phone("1800 1234 56"), ok("+841800123456"));
    }

    #[test]
    fn pre_2018_eleven_digit_mobiles_become_their_new_numbers() {
        for (written, expected) in [
            ("0168 123 4567", "+84381234567"),    // Viettel 0168 → 038
            ("01201234567", "+84701234567"),      // MobiFone 0120 → 070
            ("0123.123.4567", "+84831234567"),    // VinaPhone 0123 → 083
            ("+84 188 123 4567", "+84581234567"), // Vietnamobile 0188 → 058
            ("841991234567", "+84591234567"),     // Gmobile 0199 → 059
            ("1691234567", "+84391234567"),       // leading 0 lost
        ] {
            assert_eq!(phone(written), ok(expected), "{written}");
        }
    }

    #[test]
    fn implausible_phones_are_rejected_without_echoing_them() {
        assert_eq!(phone("0891 234 567"), Err(NormalizeError::PhoneInvalid)); // unallocated
        assert_eq!(phone("091234567"), Err(NormalizeError::PhoneInvalid)); // a digit short
        assert_eq!(phone("113"), Err(NormalizeError::PhoneInvalid));
        assert_eq!(phone("0000000000"), Err(NormalizeError::PhoneInvalid));
        assert_eq!(phone("8613800138000"), Err(NormalizeError::PhoneInvalid)); // needs +
        assert_eq!(phone("+0912345678"), Err(NormalizeError::PhoneInvalid));
        assert_eq!(
            phone("0912 345 678 ext 12"),
            Err(NormalizeError::PhoneSyntax)
        );
        assert_eq!(phone("09123+45678"), Err(NormalizeError::PhoneSyntax));
        assert_eq!(phone("++84912345678"), Err(NormalizeError::PhoneSyntax));
        assert_eq!(phone("---"), Err(NormalizeError::PhoneSyntax));
        assert_eq!(phone("   "), Err(NormalizeError::Empty));
        assert_eq!(
            phone("0912\u{0}345678"),
            Err(NormalizeError::ControlCharacter)
        );
        assert_eq!(
            phone(&"0".repeat(MAX_INPUT_BYTES + 1)),
            Err(NormalizeError::TooLong {
                max: MAX_INPUT_BYTES
            })
        );
        assert_eq!(
            normalize_phone("0912345678", "Vietnam"),
            Err(NormalizeError::UnknownRegion)
        );
        assert_eq!(
            normalize_phone("0912345678", "ZZ"),
            Err(NormalizeError::UnknownRegion)
        );
        let message = phone("0912 345 678 ext 12")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!message.contains("0912"), "{message}");
    }

    #[test]
    fn phone_identifiers_go_through_the_vietnamese_default() {
        assert_eq!(
            normalize_identifier(IdentifierKind::Phone, "0912.345.678", Some("zalo")),
            plain("+84912345678")
        );
    }

    // --- documents -------------------------------------------------------------------------

    #[test]
    fn documents_are_upper_case_without_separators_or_accents() {
        use IdentifierKind::*;
        for (kind, written, expected) in [
            (Passport, " c1234567 ", "C1234567"),
            (Passport, "C 123-4567", "C1234567"),
            (Passport, "Ｃ１２３４５６７", "C1234567"),
            (VehiclePlate, "30A-123.45", "30A12345"),
            (VehiclePlate, "51F1 234.56", "51F123456"),
            (VehiclePlate, "29Đ-123.45", "29D12345"),
            (BankAccount, "0011 0012 3456 7", "0011001234567"),
            (BankAccount, "vn12 3456 7890", "VN1234567890"),
            (BankAccount, "1903/5678/901", "19035678901"),
        ] {
            assert_eq!(normalize_identifier(kind, written, None), plain(expected));
        }
        // Decomposed accents (NFD), and `D` + combining stroke for `Đ`, are stripped too.
        assert_eq!(
            normalize_identifier(VehiclePlate, "29D\u{0335}-123.45", None),
            plain("29D12345")
        );
        assert_eq!(
            normalize_identifier(Passport, "Ce\u{0301}1234567", None),
            plain("CE1234567")
        );
    }

    #[test]
    fn documents_with_other_characters_are_rejected() {
        use IdentifierKind::*;
        assert_eq!(
            normalize_identifier(Passport, "C123#4567", None),
            Err(NormalizeError::InvalidCharacters { kind: Passport })
        );
        assert_eq!(
            normalize_identifier(Passport, "王1234567", None),
            Err(NormalizeError::InvalidCharacters { kind: Passport })
        );
        assert_eq!(
            normalize_identifier(BankAccount, "1234🦄", None),
            Err(NormalizeError::InvalidCharacters { kind: BankAccount })
        );
        assert_eq!(
            normalize_identifier(VehiclePlate, " - . / ", None),
            Err(NormalizeError::Empty)
        );
    }

    #[test]
    fn national_ids_are_cmnd_or_cccd_shaped() {
        use IdentifierKind::NationalId;
        assert_eq!(
            normalize_identifier(NationalId, "001 085 012 345", None),
            plain("001085012345")
        );
        assert_eq!(
            normalize_identifier(NationalId, "012.345.678", None),
            plain("012345678")
        );
        assert_eq!(
            normalize_identifier(NationalId, "0010850123", None),
            Err(NormalizeError::NationalIdShape { len: 10 })
        );
        assert_eq!(
            normalize_identifier(NationalId, "A01085012345", None),
            Err(NormalizeError::NationalIdShape { len: 12 })
        );
    }

    // --- e-mail ----------------------------------------------------------------------------

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        use IdentifierKind::Email;
        assert_eq!(
            normalize_identifier(Email, "  Nguyen.Van.An@Gmail.COM ", None),
            plain("nguyen.van.an@gmail.com")
        );
        assert_eq!(
            normalize_identifier(Email, "mailto:Broker@Example.vn", None),
            plain("broker@example.vn")
        );
        for bad in ["broker", "@example.vn", "broker@", "a@b@c", "a b@c.vn"] {
            assert_eq!(
                normalize_identifier(Email, bad, None),
                Err(NormalizeError::InvalidEmail),
                "{bad}"
            );
        }
    }

    // --- social media ----------------------------------------------------------------------

    #[test]
    fn handles_are_lower_case_without_at_and_platforms_are_lower_case() {
        assert_eq!(
            social("@Some.Name", Some("Facebook")),
            handle("some.name", "facebook")
        );
        assert_eq!(
            social("  HuongXinh99 ", Some(" TikTok ")),
            handle("huongxinh99", "tiktok")
        );
        assert_eq!(
            social("@broker_vn", Some("Tele gram")),
            handle("broker_vn", "telegram")
        );
        assert_eq!(
            social("wxid_abc123", Some("WeChat")),
            handle("wxid_abc123", "wechat")
        );
        assert_eq!(social("@hoa.lan", Some("LINE")), handle("hoa.lan", "line"));
        assert_eq!(social("hoa.lan", Some("fb")), handle("hoa.lan", "facebook"));
        assert_eq!(social("someone", Some("  VK ")), handle("someone", "vk"));
        assert_eq!(
            social("Hương Xinh 🌸", Some("zalo")),
            handle("huong xinh", "zalo")
        );
        assert_eq!(
            social("Đặng  Hồng", Some("wechat")),
            handle("dang hong", "wechat")
        );
    }

    #[test]
    fn social_media_needs_a_platform() {
        assert_eq!(
            social("some.name", None),
            Err(NormalizeError::PlatformRequired)
        );
        assert_eq!(
            social("some.name", Some("   ")),
            Err(NormalizeError::PlatformRequired)
        );
        assert_eq!(
            social("some.name", Some("face\u{7}book")),
            Err(NormalizeError::PlatformControlCharacter)
        );
        assert_eq!(social("@", Some("facebook")), Err(NormalizeError::Empty));
        assert!(NormalizeError::PlatformRequired.concerns_platform());
        assert!(!NormalizeError::Empty.concerns_platform());
    }

    #[test]
    fn zalo_and_whatsapp_phone_handles_are_stored_as_e164() {
        assert_eq!(
            social("0912 345 678", Some("Zalo")),
            handle("+84912345678", "zalo")
        );
        assert_eq!(
            social("84912345678", Some("whatsapp")),
            handle("+84912345678", "whatsapp")
        );
        assert_eq!(
            social("+86 138 0013 8000", Some("wechat")),
            handle("+8613800138000", "wechat")
        );
        // Not a phone: kept as a handle.
        assert_eq!(social("HoaLan", Some("zalo")), handle("hoalan", "zalo"));
        assert_eq!(social("1234", Some("zalo")), handle("1234", "zalo"));
    }

    #[test]
    fn profile_urls_become_handles_with_their_platform() {
        for (url, expected_handle, expected_platform) in [
            (
                "https://www.facebook.com/Some.Name",
                "some.name",
                "facebook",
            ),
            ("facebook.com/some.name?ref=x", "some.name", "facebook"),
            ("https://m.facebook.com/Some.Name/", "some.name", "facebook"),
            (
                "HTTPS://WEB.FACEBOOK.COM/Some.Name#about",
                "some.name",
                "facebook",
            ),
            (
                "https://www.facebook.com/profile.php?id=100012345678901&ref=x",
                "100012345678901",
                "facebook",
            ),
            (
                "https://www.facebook.com/people/Nguyen-Van-An/100012345678901/",
                "100012345678901",
                "facebook",
            ),
            ("https://m.me/some.name", "some.name", "facebook"),
            ("https://zalo.me/0912345678", "+84912345678", "zalo"),
            ("zalo.me/84912345678", "+84912345678", "zalo"),
            (
                "https://www.tiktok.com/@Huong.Xinh/video/123",
                "huong.xinh",
                "tiktok",
            ),
            ("https://t.me/Broker_VN", "broker_vn", "telegram"),
            ("https://t.me/s/broker_vn", "broker_vn", "telegram"),
            ("https://t.me/+84912345678", "+84912345678", "telegram"),
            ("https://www.instagram.com/hoa.lan/", "hoa.lan", "instagram"),
            ("https://twitter.com/HoaLan", "hoalan", "x"),
            ("https://line.me/ti/p/~hoa.lan", "hoa.lan", "line"),
            ("https://wa.me/84912345678", "+84912345678", "whatsapp"),
            ("https://wa.me/8613800138000", "+8613800138000", "whatsapp"),
            (
                "https://api.whatsapp.com/send?phone=66812345678",
                "+66812345678",
                "whatsapp",
            ),
        ] {
            assert_eq!(
                social(url, None),
                handle(expected_handle, expected_platform),
                "{url}"
            );
        }
        // A platform that agrees is fine, in any case.
        assert_eq!(
            social("https://www.facebook.com/Some.Name", Some("Facebook")),
            handle("some.name", "facebook")
        );
    }

    #[test]
    fn urls_that_are_not_profiles_are_rejected() {
        for url in [
            "https://www.facebook.com/groups/123456",
            "https://www.facebook.com/",
            "https://www.facebook.com/profile.php",
            "https://zalo.me/g/abcdef",
            "https://vm.tiktok.com/ZMabc123/",
            "https://t.me/joinchat/AAAA",
            "https://t.me/+AbCdEf123",
            "https://www.instagram.com/p/Cxyz/",
            "https://example.com/some.name",
            "http://evilfacebook.com/some.name",
            "https://www.facebook.com/profile.php?id=facebook.com/x",
            "https://wa.me/message/ABCDEF",
        ] {
            assert_eq!(
                social(url, None),
                Err(NormalizeError::UnsupportedProfileUrl),
                "{url}"
            );
        }
        assert_eq!(
            social("https://www.facebook.com/Some.Name", Some("zalo")),
            Err(NormalizeError::PlatformMismatch {
                inferred: "facebook"
            })
        );
    }

    #[test]
    fn handles_that_merely_look_like_hosts_stay_handles() {
        assert_eq!(
            social("some.name", Some("facebook")),
            handle("some.name", "facebook")
        );
        assert_eq!(
            social("facebook.com", Some("facebook")),
            handle("facebook.com", "facebook")
        );
        assert_eq!(
            social("example.com/x", Some("vk")),
            handle("example.com/x", "vk")
        );
    }

    // --- names -----------------------------------------------------------------------------

    #[test]
    fn deunicode_folds_vietnamese_d_with_stroke() {
        assert_eq!(deunicode::deunicode("đ Đ"), "d D");
        assert_eq!(fold_name("Đặng Thị Hồng"), "dang hong thi");
    }

    #[test]
    fn vietnamese_names_fold_to_one_key_whatever_the_writing() {
        let key = fold_name("Nguyễn Văn An");
        assert_eq!(key, "an nguyen van");
        for written in [
            "NGUYEN VAN AN",
            "An Nguyễn Văn",
            "nguyen  van   an",
            "  Nguyễn\tVăn\nAn ",
            "Nguye\u{0302}\u{0303}n Va\u{0306}n An", // decomposed (NFD)
            "NGUYỄN VĂN AN.",
            "Nguyễn-Văn-An",
        ] {
            assert_eq!(fold_name(written), key, "{written}");
            assert!(names_match(written, "Nguyễn Văn An"));
        }
    }

    #[test]
    fn ethnic_minority_names_fold() {
        assert_eq!(fold_name("Lò Văn Páo"), "lo pao van");
        assert_eq!(fold_name("Hờ A Dính"), "a dinh ho");
        assert!(names_match("Hờ A Dính", "HO A DINH"));
        assert!(names_match("Lò Văn Páo", "Páo Lò Văn"));
        assert!(names_match("H'Hen Niê", "HHen Nie"));
        assert!(!names_match("Lò Văn Páo", "Lò Văn Pá"));
    }

    #[test]
    fn other_scripts_are_transliterated() {
        assert_eq!(fold_name("王伟"), "wang wei");
        assert!(names_match("王伟", "Wei WANG"));
    }

    #[test]
    fn names_without_a_key_match_nothing() {
        assert_eq!(fold_name(""), "");
        assert_eq!(fold_name(" .,- "), "");
        assert!(!names_match("", ""));
        assert!(!names_match("...", "---"));
        let long = "a ".repeat(MAX_INPUT_BYTES);
        assert_eq!(fold_name(&long), "");
        assert!(!names_match(&long, &long));
    }

    // --- properties ------------------------------------------------------------------------

    /// Three-digit mobile prefixes (after the trunk 0) allocated in the bundled metadata.
    fn vn_mobile_prefixes() -> Vec<String> {
        let whole = [
            "30", "31", "32", "33", "34", "35", "36", "37", "38", "39", "51", "56", "58", "59",
            "70", "76", "77", "78", "79", "81", "82", "83", "84", "85", "86", "87", "88", "90",
            "91", "92", "93", "94", "95", "96", "97", "98",
        ];
        let mut prefixes: Vec<String> = whole
            .iter()
            .flat_map(|p| (0..10).map(move |d| format!("{p}{d}")))
            .collect();
        prefixes.extend(
            [
                "522", "523", "528", "559", "896", "897", "898", "899", "990", "991", "993", "994",
                "995", "996", "997", "998", "999",
            ]
            .map(str::to_owned),
        );
        prefixes
    }

    /// The national significant number (9 digits) of a valid Vietnamese mobile.
    fn vn_mobile() -> impl Strategy<Value = String> {
        (proptest::sample::select(vn_mobile_prefixes()), "[0-9]{6}")
            .prop_map(|(prefix, rest)| format!("{prefix}{rest}"))
    }

    #[test]
    fn generated_mobile_prefixes_are_valid() {
        for prefix in vn_mobile_prefixes() {
            let nsn = format!("{prefix}123456");
            assert_eq!(
                phone(&format!("0{nsn}")),
                Ok(format!("+84{nsn}")),
                "{prefix}"
            );
        }
    }

    /// Renders a national significant number the way people write it.
    fn render(nsn: &str, prefix: usize, cuts: &[usize], seps: &[&str], paren: bool) -> String {
        let prefix = [
            "0", "+84", "84", "0084", "+84 (0)", "(+84) ", "", "+84 0", "84 ",
        ][prefix];
        let mut cut_points: Vec<usize> = cuts.iter().map(|c| c % nsn.len()).collect();
        cut_points.sort_unstable();
        cut_points.dedup();
        let mut out = String::new();
        let mut start = 0;
        for (i, &cut) in cut_points
            .iter()
            .chain(std::iter::once(&nsn.len()))
            .enumerate()
        {
            if cut <= start {
                continue;
            }
            let group = &nsn[start..cut];
            if start == 0 && paren && prefix == "0" {
                out.push_str(&format!("(0{group})"));
            } else {
                if start == 0 {
                    out.push_str(prefix);
                }
                out.push_str(group);
            }
            out.push_str(seps[i % seps.len()]);
            start = cut;
        }
        out
    }

    fn separators() -> impl Strategy<Value = Vec<&'static str>> {
        proptest::collection::vec(
            proptest::sample::select(vec!["", " ", ".", "-", " - ", "  ", "/", "\u{00A0}"]),
            1..4,
        )
    }

    /// Vietnamese syllables, each with spellings that differ only in diacritics and case.
    const SYLLABLES: [&[&str]; 20] = [
        &["nguyen", "Nguyễn", "Nguyên", "NGUYỄN", "Nguyen"],
        &["van", "Văn", "Vân", "Vạn", "VĂN"],
        &["thi", "Thị", "Thi", "THỊ", "Thì"],
        &["hong", "Hồng", "Hông", "HỒNG", "Hong"],
        &["dang", "Đặng", "Đăng", "đang", "Dang", "ĐẶNG"],
        &["do", "Đỗ", "Đô", "Dò", "đỗ"],
        &["tran", "Trần", "Trân", "TRẦN"],
        &["le", "Lê", "Lệ", "Le", "LÊ"],
        &["pham", "Phạm", "PHẠM", "Pham"],
        &["hoang", "Hoàng", "Hoang", "HOÀNG"],
        &["huong", "Hương", "Hường", "Hướng", "HƯƠNG"],
        &["lo", "Lò", "Lô", "Lộ", "LÒ"],
        &["pao", "Páo", "Pao", "PÁO"],
        &["ho", "Hờ", "Hồ", "Hộ", "Hổ", "HỜ"],
        &["a", "A", "Á", "À", "Ả"],
        &["dinh", "Dính", "Đình", "Định", "DINH"],
        &["an", "An", "Ân", "Ấn", "ÂN"],
        &["thuy", "Thúy", "Thuỷ", "Thùy", "THỦY"],
        &["duc", "Đức", "Dục", "ĐỨC"],
        &["ngoc", "Ngọc", "Ngoc", "NGỌC"],
    ];

    /// A name of 2–4 syllables, as (syllable index, spelling index) pairs.
    fn name_parts() -> impl Strategy<Value = Vec<(usize, usize)>> {
        proptest::collection::vec((0..SYLLABLES.len(), 0usize..8), 2..5)
    }

    fn spell(parts: &[(usize, usize)], spaces: &[usize]) -> String {
        let mut out = String::new();
        for (i, (syllable, spelling)) in parts.iter().enumerate() {
            let spellings = SYLLABLES[*syllable];
            let gap = spaces.get(i).copied().unwrap_or(1);
            out.push_str(&" \t".repeat(gap % 3));
            out.push(' ');
            out.push_str(spellings[spelling % spellings.len()]);
        }
        out
    }

    /// Arbitrary text including control characters, invisible characters and odd scripts.
    fn nasty_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "\\PC{0,64}",
            "[\\x00-\\x1f\\u{200B}-\\u{200F}\\u{FEFF}+@/.:?#=&%0-9a-zA-Zđ -]{0,80}",
            "(https?://)?(www\\.|m\\.)?(facebook\\.com|zalo\\.me|t\\.me|wa\\.me|tiktok\\.com)/[@+~a-z0-9./?=&#-]{0,40}",
            proptest::collection::vec(any::<char>(), 0..700).prop_map(String::from_iter),
        ]
    }

    fn platforms() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            proptest::sample::select(vec![
                "Facebook", "zalo", "TikTok", "telegram", "wechat", "line", "whatsapp", "x", "vk",
            ])
            .prop_map(|p| Some(p.to_owned())),
            any::<String>().prop_map(Some),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_rendering_of_a_vn_mobile_is_one_e164(
            nsn in vn_mobile(),
            prefix in 0usize..9,
            cuts in proptest::collection::vec(0usize..9, 0..4),
            seps in separators(),
            paren in any::<bool>(),
            pad in "[ \t]{0,2}",
        ) {
            let written = format!("{pad}{}{pad}", render(&nsn, prefix, &cuts, &seps, paren));
            prop_assert_eq!(phone(&written), Ok(format!("+84{nsn}")), "written {:?}", written);
        }

        #[test]
        fn old_eleven_digit_mobiles_match_their_new_numbers(
            index in 0usize..21,
            subscriber in "[0-9]{7}",
            prefix in 0usize..9,
            cuts in proptest::collection::vec(0usize..10, 0..3),
            seps in separators(),
        ) {
            let old = ["120", "121", "122", "126", "128", "123", "124", "125", "127", "129",
                       "162", "163", "164", "165", "166", "167", "168", "169", "186", "188",
                       "199"][index];
            let old_nsn = format!("{old}{subscriber}");
            let new = phone(&format!("0{old_nsn}"));
            prop_assert!(new.is_ok());
            let written = render(&old_nsn, prefix, &cuts, &seps, false);
            prop_assert_eq!(phone(&written), new, "written {:?}", written);
        }

        #[test]
        fn normalization_is_idempotent(value in nasty_text(), platform in platforms()) {
            for kind in IdentifierKind::iter() {
                if let Ok(first) = normalize_identifier(kind, &value, platform.as_deref()) {
                    let again =
                        normalize_identifier(kind, &first.value, first.platform.as_deref());
                    prop_assert_eq!(again, Ok(first), "kind {}", kind);
                }
            }
        }

        #[test]
        fn phone_normalization_is_idempotent(nsn in vn_mobile(), seps in separators()) {
            let written = format!("0{}{}{}", &nsn[..2], seps[0], &nsn[2..]);
            let first = phone(&written);
            prop_assert!(first.is_ok());
            if let Ok(first) = first {
                prop_assert_eq!(phone(&first), Ok(first.clone()));
            }
        }

        #[test]
        fn realistic_documents_are_idempotent(
            value in "[A-Za-z0-9ĐđÂâĂăÊêÔôƠơƯư .\\-/]{1,30}",
        ) {
            for kind in IdentifierKind::iter() {
                if let Ok(first) = normalize_identifier(kind, &value, Some("zalo")) {
                    let again =
                        normalize_identifier(kind, &first.value, first.platform.as_deref());
                    prop_assert_eq!(again, Ok(first));
                }
            }
        }

        #[test]
        fn fold_name_ignores_order_case_spacing_and_diacritics(
            parts in name_parts(),
            spellings in proptest::collection::vec(0usize..8, 4),
            spaces in proptest::collection::vec(0usize..5, 4),
            order in proptest::collection::vec(any::<proptest::sample::Index>(), 4),
            upper in any::<bool>(),
        ) {
            let original = spell(&parts, &[]);
            // Same syllables, other spellings (diacritics added or removed), shuffled, respaced.
            let mut other: Vec<(usize, usize)> = parts
                .iter()
                .zip(spellings.iter().cycle())
                .map(|((syllable, _), spelling)| (*syllable, *spelling))
                .collect();
            for (i, index) in order.iter().enumerate().take(other.len()) {
                let j = index.index(other.len());
                other.swap(i, j);
            }
            let mut variant = spell(&other, &spaces);
            if upper {
                variant = variant.to_uppercase();
            }
            let plain: Vec<&str> = parts.iter().map(|(s, _)| SYLLABLES[*s][0]).collect();
            let mut sorted = plain.clone();
            sorted.sort_unstable();
            prop_assert_eq!(fold_name(&original), sorted.join(" "));
            prop_assert_eq!(fold_name(&variant), fold_name(&original), "{:?}", variant);
            prop_assert!(names_match(&variant, &original));
        }

        #[test]
        fn fold_name_is_idempotent(name in nasty_text()) {
            let key = fold_name(&name);
            prop_assert_eq!(fold_name(&key), key.clone());
            prop_assert!(key.len() <= MAX_INPUT_BYTES);
        }

        #[test]
        fn nothing_panics_on_arbitrary_input(
            value in nasty_text(),
            platform in platforms(),
            region in "\\PC{0,3}",
        ) {
            for kind in IdentifierKind::iter() {
                let _ = normalize_identifier(kind, &value, platform.as_deref());
                let _ = normalize_identifier(kind, &value, None);
            }
            let _ = normalize_phone(&value, "VN");
            let _ = normalize_phone(&value, &region);
            let _ = fold_name(&value);
            let _ = names_match(&value, &value);
        }

        #[test]
        fn phone_parser_survives_arbitrary_digit_strings(
            digits in "\\+?[0-9]{0,20}",
            region in proptest::sample::select(vec!["VN", "TH", "KH", "CN", "US", "CH", "NZ"]),
        ) {
            let _ = normalize_phone(&digits, region);
        }

        #[test]
        fn errors_never_echo_the_value(
            value in "[a-z@.:/]{2,20}[0-9][a-z0-9@.:/]{3,20}",
            platform in platforms(),
        ) {
            for kind in IdentifierKind::iter() {
                if let Err(error) = normalize_identifier(kind, &value, platform.as_deref()) {
                    prop_assert!(!error.to_string().contains(&value));
                }
            }
        }
    }
}
