//! Ed25519 signing and public keys: PKCS#8 private keys (RFC 8410, the
//! `-----BEGIN PRIVATE KEY-----` form openssl writes and reads) and SPKI public
//! keys, loading them from PEM text or files, and generating a key pair on disk
//! with a private file only its owner can read. No error and no `Debug` output
//! ever contains private key material: errors name the file or the setting the
//! key came from.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::spki::{self, der::pem::LineEnding};
use ed25519_dalek::pkcs8::{self, DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, KeypairBytes};
use getrandom::SysRng;
use getrandom::rand_core::UnwrapErr;
use sha2::{Digest, Sha256};

/// Key files larger than this are not PEM keys; they are not read further.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// The PEM label of a PKCS#8 private key.
const PRIVATE_LABEL: &str = "PRIVATE KEY";
/// The PEM label of an SPKI public key.
const PUBLIC_LABEL: &str = "PUBLIC KEY";

/// An Ed25519 private key. Its `Debug` output shows only the public key's
/// fingerprint; the private key is wiped from memory when dropped.
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
}

/// An Ed25519 public key, as found in an SPKI (`-----BEGIN PUBLIC KEY-----`) PEM.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    inner: ed25519_dalek::VerifyingKey,
}

/// Why a key could not be loaded, parsed or written. Messages say which file or
/// setting is at fault and what is wrong, and never quote key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be opened or read.
    #[error("cannot read {what}: {source}")]
    Read {
        /// The file (and the setting that named it).
        what: String,
        /// The underlying IO error.
        source: io::Error,
    },
    /// The key setting is empty.
    #[error("no signing key: {origin} is empty")]
    Empty {
        /// The setting that should hold a PEM key or a key file path.
        origin: String,
    },
    /// The key file is not a regular file, or too large to be a PEM key.
    #[error("{what} is not a PEM key file: {reason}")]
    NotAKeyFile {
        /// The file (and the setting that named it).
        what: String,
        /// What was found instead.
        reason: String,
    },
    /// A private key file that group or others can read.
    #[error(
        "signing key file {path} can be read by other users (mode {mode:03o}); \
         restrict it with `chmod 600 {path}`",
        path = path.display()
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The text holds no PEM block of the expected kind.
    #[error("{what}: expected a PEM block `-----BEGIN {expected}-----`, found {found}{hint}")]
    WrongPem {
        /// Where the text came from.
        what: String,
        /// The PEM label that was expected.
        expected: &'static str,
        /// What was found instead (a PEM label, or "no PEM block").
        found: String,
        /// Advice for the common mix-ups, or empty.
        hint: &'static str,
    },
    /// A PEM block of the right kind whose content is not a usable Ed25519 key.
    #[error("{what}: not a valid Ed25519 {kind}: {reason}")]
    Invalid {
        /// Where the text came from.
        what: String,
        /// "PKCS#8 private key" or "SPKI public key".
        kind: &'static str,
        /// What the decoder rejected.
        reason: String,
    },
    /// A file that `keygen` would have to overwrite.
    #[error("{} already exists; refusing to overwrite it", .path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// A key file could not be created or written.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying IO error.
        source: io::Error,
    },
}

impl SigningKey {
    /// Generates a new key from the operating system's random number generator.
    ///
    /// # Panics
    ///
    /// If the operating system cannot provide random bytes at all.
    pub fn generate() -> SigningKey {
        SigningKey { inner: ed25519_dalek::SigningKey::generate(&mut UnwrapErr(SysRng)) }
    }

    /// Parses a PKCS#8 (RFC 8410) PEM private key, `-----BEGIN PRIVATE KEY-----`.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SigningKey, KeyError> {
        parse_private(pem, "signing key PEM")
    }

    /// The key as PKCS#8 v1 PEM (RFC 8410, `-----BEGIN PRIVATE KEY-----`),
    /// byte for byte what `openssl genpkey -algorithm ed25519` writes.
    pub fn to_pkcs8_pem(&self) -> String {
        let bytes = KeypairBytes { secret_key: self.inner.to_bytes(), public_key: None };
        // Encoding a 32-byte seed into its fixed DER structure cannot fail.
        let pem = bytes.to_pkcs8_pem(LineEnding::LF).expect("an Ed25519 seed always encodes as PKCS#8");
        pem.as_str().to_owned()
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey { inner: self.inner.verifying_key() }
    }

    /// Signs `msg` with pure Ed25519 (RFC 8032, no pre-hashing).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.inner.sign(msg).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &format_args!("SHA256:{}", self.public().fingerprint()))
            .finish_non_exhaustive()
    }
}

impl PublicKey {
    /// Parses an SPKI PEM public key, `-----BEGIN PUBLIC KEY-----`.
    pub fn from_spki_pem(pem: &str) -> Result<PublicKey, KeyError> {
        parse_public(pem, "public key PEM")
    }

    /// The key as SPKI PEM, `-----BEGIN PUBLIC KEY-----`, as `openssl pkey -pubout` writes it.
    pub fn to_spki_pem(&self) -> String {
        // A 32-byte Ed25519 point always encodes into its fixed SPKI structure.
        self.inner.to_public_key_pem(LineEnding::LF).expect("an Ed25519 public key always encodes as SPKI")
    }

    /// The DER encoding of the key's SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        self.inner.to_public_key_der().expect("an Ed25519 public key always encodes as SPKI").into_vec()
    }

    /// Lowercase hex SHA-256 of the SPKI DER: the fingerprint shown to people,
    /// written `SHA256:<hex>`.
    pub fn fingerprint(&self) -> String {
        super::sha256_hex(&self.spki_der())
    }

    /// Standard padded base64 of the SHA-256 of the SPKI DER: the `publicKey`
    /// hint of a Sigstore bundle, as cosign and sigstore-go write it. Envelopes
    /// written before [`PublicKey::keyid`] carried it as their DSSE `keyid`.
    pub fn hint(&self) -> String {
        STANDARD.encode(Sha256::digest(self.spki_der()))
    }

    /// The DSSE `keyid` of this key, the one securesystemslib computes for it
    /// (`SSlibKey.from_crypto(key).keyid`): lowercase hex SHA-256 of the
    /// canonical JSON `{"keytype":"ed25519","keyval":{"public":"<hex>"},"scheme":"ed25519"}`,
    /// `<hex>` being the 32-byte public key in lowercase hex. Canonical JSON
    /// sorts keys and has no whitespace; no value here needs escaping.
    pub fn keyid(&self) -> String {
        let raw = super::hex(self.inner.as_bytes());
        let canonical = format!(r#"{{"keytype":"ed25519","keyval":{{"public":"{raw}"}},"scheme":"ed25519"}}"#);
        super::sha256_hex(canonical.as_bytes())
    }

    /// Whether `keyid` names this key: its [`PublicKey::keyid`], or the
    /// [`PublicKey::hint`] that envelopes written before carried, so that
    /// bundles and archives signed then still verify. Nothing else is accepted.
    pub fn is_keyid(&self, keyid: &str) -> bool {
        keyid == self.keyid() || keyid == self.hint()
    }

    /// Whether `sig` is a valid Ed25519 signature of `msg` by this key. Uses
    /// strict verification: non-canonical signatures are rejected.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match ed25519_dalek::Signature::from_slice(sig) {
            Ok(sig) => self.inner.verify_strict(msg, &sig).is_ok(),
            Err(_) => false,
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey(SHA256:{})", self.fingerprint())
    }
}

/// Loads the signing key named by `spec`, a value from the environment: a
/// value starting with `-----BEGIN` is the PEM itself, anything else is the
/// path of a PEM file. `origin` names the variable the value came from
/// (`CERTIFY_SIGNING_KEY`) and appears in errors; the value itself never
/// does, unless it is the path of a file that exists. On Unix, a key file
/// that group or others can read is refused.
pub fn load_signing_key(spec: &str, origin: &str) -> Result<SigningKey, KeyError> {
    if spec.trim().is_empty() {
        return Err(KeyError::Empty { origin: origin.to_owned() });
    }
    if spec.trim_start().starts_with("-----BEGIN") {
        return parse_private(spec, &format!("signing key in {origin}"));
    }
    let path = Path::new(spec);
    let what = if looks_like_key_material(spec) {
        format!(
            "the signing key file named by {origin} (the value is not shown: it looks like key material, not a path)"
        )
    } else if fs::symlink_metadata(path).is_err() {
        format!(
            "the signing key file named by {origin} (the value is not shown: it names no file, and may be key \
             material; expected a PKCS#8 PEM beginning with a BEGIN PRIVATE KEY line, or the path of one)"
        )
    } else {
        format!("signing key file {} (from {origin})", path.display())
    };
    load_key_file(path, &what)
}

/// Loads the signing key in the PEM file `path`, named in errors with the
/// setting that gave it (`certify.toml [evidence] signing_key`). On Unix, a
/// key file that group or others can read is refused.
pub fn load_signing_key_file(path: &Path, origin: &str) -> Result<SigningKey, KeyError> {
    let shown = path.to_string_lossy();
    if looks_like_key_material(&shown) && fs::symlink_metadata(path).is_err() {
        return load_key_file(
            path,
            &format!(
                "the signing key file named by {origin} (the value is not shown: it looks like key material, \
                 which never goes in certify.toml, not a path)"
            ),
        );
    }
    load_key_file(path, &format!("signing key file {} (from {origin})", path.display()))
}

fn load_key_file(path: &Path, what: &str) -> Result<SigningKey, KeyError> {
    let what = what.to_owned();
    let (text, mode) = read_key_file(path, &what)?;
    // A public key or some other file given by mistake is named as such first;
    // a real private key that others can read is refused before it is used.
    check_label(&text, &what, PRIVATE_LABEL)?;
    if let Some(mode) = mode.filter(|mode| mode & 0o077 != 0) {
        return Err(KeyError::Permissions { path: path.to_owned(), mode });
    }
    parse_private(&text, &what)
}

/// Loads an SPKI PEM public key from a file.
pub fn load_public_key(path: &Path) -> Result<PublicKey, KeyError> {
    let what = format!("public key file {}", path.display());
    let (text, _) = read_key_file(path, &what)?;
    parse_public(&text, &what)
}

/// Generates a key pair and writes `PREFIX.key` (PKCS#8 PEM, created with mode
/// 0600) and `PREFIX.pub.pem` (SPKI PEM, mode 0644). Existing files are never
/// overwritten. Returns the paths of the private and the public key.
pub fn keygen(prefix: &Path) -> Result<(PathBuf, PathBuf), KeyError> {
    let key_path = with_suffix(prefix, ".key");
    let pub_path = with_suffix(prefix, ".pub.pem");
    for path in [&key_path, &pub_path] {
        if fs::symlink_metadata(path).is_ok() {
            return Err(KeyError::Exists { path: path.clone() });
        }
    }
    let key = SigningKey::generate();
    write_new(&key_path, key.to_pkcs8_pem().as_bytes(), 0o600)?;
    if let Err(err) = write_new(&pub_path, key.public().to_spki_pem().as_bytes(), 0o644) {
        // Best effort: a lone private key without its public half is useless.
        let _ = fs::remove_file(&key_path);
        return Err(err);
    }
    Ok((key_path, pub_path))
}

fn parse_private(pem: &str, what: &str) -> Result<SigningKey, KeyError> {
    check_label(pem, what, PRIVATE_LABEL)?;
    ed25519_dalek::SigningKey::from_pkcs8_pem(pem.trim()).map(|inner| SigningKey { inner }).map_err(|err| {
        KeyError::Invalid { what: what.to_owned(), kind: "PKCS#8 private key", reason: describe_pkcs8_error(&err) }
    })
}

/// What is wrong with a private key, in certify's words: the decoders'
/// own messages are never passed on, so nothing they might quote of the
/// input (offsets, bytes, labels) reaches an error.
fn describe_pkcs8_error(err: &pkcs8::Error) -> String {
    match err {
        pkcs8::Error::PublicKey(err) => describe_spki_error(err),
        pkcs8::Error::Asn1(err) => describe_der_error(err),
        pkcs8::Error::KeyMalformed(_) => "the key inside is not a 32-byte Ed25519 private key".to_owned(),
        pkcs8::Error::ParametersMalformed => "its algorithm parameters are malformed".to_owned(),
        _ => "it cannot be read as PKCS#8".to_owned(),
    }
}

fn describe_der_error(err: &spki::der::Error) -> String {
    match err.kind() {
        spki::der::ErrorKind::Pem(_) => "the text between the BEGIN and END lines is not a base64 PEM body \
             (are its line breaks intact, and is the END line there?)"
            .to_owned(),
        _ => "the DER structure inside the PEM is malformed or truncated".to_owned(),
    }
}

fn parse_public(pem: &str, what: &str) -> Result<PublicKey, KeyError> {
    check_label(pem, what, PUBLIC_LABEL)?;
    let inner = ed25519_dalek::VerifyingKey::from_public_key_pem(pem.trim()).map_err(|err| KeyError::Invalid {
        what: what.to_owned(),
        kind: "SPKI public key",
        reason: describe_spki_error(&err),
    })?;
    if inner.is_weak() {
        return Err(KeyError::Invalid {
            what: what.to_owned(),
            kind: "SPKI public key",
            reason: "the key is a small-order point that any signature would match".to_owned(),
        });
    }
    Ok(PublicKey { inner })
}

/// Names the algorithm of a key that is not Ed25519, or passes the decoder's
/// complaint on.
fn describe_spki_error(err: &spki::Error) -> String {
    match err {
        spki::Error::OidUnknown { oid } => {
            let name = match oid.to_string().as_str() {
                "1.2.840.10045.2.1" => "an EC (ECDSA) key",
                "1.2.840.113549.1.1.1" => "an RSA key",
                "1.3.101.110" => "an X25519 key",
                "1.3.101.111" => "an X448 key",
                "1.3.101.113" => "an Ed448 key",
                _ => "a key of another algorithm",
            };
            format!(
                "it is {name} (algorithm OID {oid}); only Ed25519 keys are supported \
                 (create one with `certify keygen` or `openssl genpkey -algorithm ed25519`)"
            )
        }
        spki::Error::Asn1(err) => describe_der_error(err),
        spki::Error::KeyMalformed => "the key bytes are malformed".to_owned(),
        spki::Error::AlgorithmParametersMissing => "its algorithm parameters are missing".to_owned(),
        _ => "it cannot be read as a SubjectPublicKeyInfo".to_owned(),
    }
}

/// Checks that the first PEM block of `text` carries `expected` as its label,
/// with advice for the usual mix-ups.
/// Only a well-formed label (`-----BEGIN LABEL-----` alone on its line) is
/// ever quoted back: anything else on that line may be key material.
fn check_label(text: &str, what: &str, expected: &'static str) -> Result<(), KeyError> {
    let begin = text.lines().map(str::trim).find_map(|line| line.strip_prefix("-----BEGIN "));
    let label = begin.map(|rest| match rest.split_once("-----") {
        Some((label, "")) if is_pem_label(label) => Ok(label),
        Some((_, _)) => Err(
            "a BEGIN line with more after it: the PEM's line breaks were lost (replaced by spaces or a literal \\n, \
             as some CI secret stores do); restore them, or give the path of the key file",
        ),
        None => Err("a BEGIN line that is not a PEM label"),
    });
    if let Some(Err(found)) = label {
        return Err(KeyError::WrongPem { what: what.to_owned(), expected, found: found.to_owned(), hint: "" });
    }
    match label.map(|l| l.unwrap_or_default()) {
        Some(label) if label == expected => Ok(()),
        found => {
            let hint = match (expected, found) {
                (PRIVATE_LABEL, Some(PUBLIC_LABEL)) => " (this is a public key; signing needs the private `.key` file)",
                (PUBLIC_LABEL, Some(PRIVATE_LABEL)) => {
                    " (this is a private key; give the `.pub.pem` file, and keep the private key secret)"
                }
                (_, Some("ENCRYPTED PRIVATE KEY")) => {
                    " (encrypted keys are not supported; decrypt it with `openssl pkey -in KEY -out PLAIN.key`)"
                }
                (_, Some("OPENSSH PRIVATE KEY")) => {
                    " (OpenSSH keys are not supported; create a key with `certify keygen`)"
                }
                _ => "",
            };
            Err(KeyError::WrongPem {
                what: what.to_owned(),
                expected,
                found: match found {
                    Some(label) => format!("`-----BEGIN {label}-----`"),
                    None => "no PEM block".to_owned(),
                },
                hint,
            })
        }
    }
}

/// Whether `label` is what RFC 7468 allows as a label (and short): only then
/// is it shown.
fn is_pem_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 40
        && label.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || matches!(b, b' ' | b'-'))
}

/// Reads a small PEM file, returning its text and, on Unix, its permission bits.
fn read_key_file(path: &Path, what: &str) -> Result<(String, Option<u32>), KeyError> {
    let read_err = |source| KeyError::Read { what: what.to_owned(), source };
    let file = File::open(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if !meta.is_file() {
        return Err(KeyError::NotAKeyFile { what: what.to_owned(), reason: "it is not a regular file".to_owned() });
    }
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt as _;
        Some(meta.permissions().mode() & 0o777)
    };
    #[cfg(not(unix))]
    let mode = None;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(read_err)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(KeyError::NotAKeyFile {
            what: what.to_owned(),
            reason: format!("it is larger than {} KiB", MAX_KEY_FILE_BYTES / 1024),
        });
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| KeyError::NotAKeyFile { what: what.to_owned(), reason: "it is not text".to_owned() })?;
    Ok((text, mode))
}

/// Whether a value meant as a path looks like key material pasted without its
/// PEM armour (several lines, or a long run of base64), so that it must not be
/// echoed in an error.
fn looks_like_key_material(spec: &str) -> bool {
    let base64ish = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=');
    spec.contains(['\n', '\r'])
        || spec.contains("-----BEGIN")
        || spec.contains("-----END")
        || spec.contains("PRIVATE KEY")
        || (spec.len() >= 40 && !spec.starts_with(['/', '.', '~']) && spec.chars().all(base64ish))
}

/// `prefix` with `suffix` appended to its last component (`release` →
/// `release.key`, `release.v1` → `release.v1.key`).
fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates `path` (which must not exist) with permission bits `mode` from the
/// start, writes `contents` and flushes it to disk.
fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), KeyError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            KeyError::Exists { path: path.to_owned() }
        } else {
            KeyError::Write { path: path.to_owned(), source }
        }
    })?;
    let written = file.write_all(contents).and_then(|()| file.sync_all());
    if let Err(source) = written {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(KeyError::Write { path: path.to_owned(), source });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt as _;

    fn mode_of(path: &Path) -> u32 {
        #[cfg(unix)]
        {
            fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
        }
        #[cfg(not(unix))]
        {
            let _ = path;
            0o600
        }
    }

    #[test]
    fn private_pem_round_trips_and_keeps_the_public_key() {
        let key = SigningKey::generate();
        let pem = key.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{pem}");
        let back = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(back.public(), key.public());
        assert_eq!(back.to_pkcs8_pem(), pem);
        assert_eq!(back.sign(b"m"), key.sign(b"m"));
    }

    #[test]
    fn public_pem_round_trips() {
        let public = SigningKey::generate().public();
        let pem = public.to_spki_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        assert_eq!(PublicKey::from_spki_pem(&pem).unwrap(), public);
        // SPKI for Ed25519 is a fixed 12-byte header and the 32-byte point.
        let der = public.spki_der();
        assert_eq!(der.len(), 44);
        assert_eq!(&der[..12], b"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00");
    }

    #[test]
    fn rfc8410_example_key_parses_and_gives_its_public_key() {
        // RFC 8410 section 10.3 private key and its public key (section 10.1).
        let private = "-----BEGIN PRIVATE KEY-----\n\
            MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
            -----END PRIVATE KEY-----\n";
        let public = "-----BEGIN PUBLIC KEY-----\n\
            MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n\
            -----END PUBLIC KEY-----\n";
        let key = SigningKey::from_pkcs8_pem(private).unwrap();
        assert_eq!(key.public(), PublicKey::from_spki_pem(public).unwrap());
        assert_eq!(key.to_pkcs8_pem(), private);
        assert_eq!(key.public().to_spki_pem(), public);
    }

    #[test]
    fn fingerprint_and_hint_are_sha256_of_the_spki_der() {
        let public = SigningKey::generate().public();
        let digest = Sha256::digest(public.spki_der());
        assert_eq!(public.fingerprint(), crate::attest::hex(&digest));
        assert_eq!(public.fingerprint().len(), 64);
        assert_eq!(STANDARD.decode(public.hint()).unwrap(), digest.to_vec());
        assert!(public.hint().ends_with('='), "padded base64: {}", public.hint());
    }

    #[test]
    fn the_keyid_is_the_one_securesystemslib_computes() {
        // RFC 8410 section 10.1's public key; the keyid is what
        // `SSlibKey.from_crypto(key).keyid` gives (securesystemslib 1.6).
        let public = PublicKey::from_spki_pem(
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        assert_eq!(public.keyid(), "946bbfb4fd58b1aeac3ddb00f68fd8c8dea7e9a84e6c149b1c10b36b707c38fd");
        assert!(public.is_keyid(&public.keyid()));
        assert!(public.is_keyid(&public.hint()), "the keyid envelopes carried before is still the signer's");
        let other = SigningKey::generate().public();
        for keyid in [other.keyid(), other.hint(), String::new(), public.fingerprint(), public.keyid().to_uppercase()] {
            assert!(!public.is_keyid(&keyid), "{keyid:?}");
        }
    }

    #[test]
    fn sign_and_verify() {
        let key = SigningKey::generate();
        let sig = key.sign(b"message");
        assert!(key.public().verify(b"message", &sig));
        assert!(!key.public().verify(b"messagE", &sig));
        assert!(!key.public().verify(b"message", &sig[..63]));
        assert!(!SigningKey::generate().public().verify(b"message", &sig));
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 section 7.1, TEST 1 (empty message), wrapped as PKCS#8.
        let seed = [
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49,
            0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
        ];
        let mut der = b"\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20".to_vec();
        der.extend_from_slice(&seed);
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(&der));
        let key = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(
            crate::attest::hex(&key.sign(b"")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn debug_output_shows_no_private_key() {
        let key = SigningKey::generate();
        let debug = format!("{key:?}");
        let pem = key.to_pkcs8_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!debug.contains(&body), "{debug}");
        assert!(!debug.contains(&crate::attest::hex(&key.inner.to_bytes())), "{debug}");
        assert!(debug.contains(&key.public().fingerprint()), "{debug}");
    }

    #[test]
    fn wrong_pem_kinds_are_named() {
        let key = SigningKey::generate();
        let err = SigningKey::from_pkcs8_pem(&key.public().to_spki_pem()).unwrap_err();
        assert!(matches!(err, KeyError::WrongPem { .. }), "{err:?}");
        assert!(err.to_string().contains("this is a public key"), "{err}");

        let err = PublicKey::from_spki_pem(&key.to_pkcs8_pem()).unwrap_err();
        assert!(err.to_string().contains("this is a private key"), "{err}");
        // The private key must not be echoed back in the error.
        let body = key.to_pkcs8_pem().lines().nth(1).unwrap_or_default().to_owned();
        assert!(!err.to_string().contains(&body), "{err}");

        let err = SigningKey::from_pkcs8_pem("hello").unwrap_err();
        assert!(err.to_string().contains("no PEM block"), "{err}");

        let err = SigningKey::from_pkcs8_pem(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("OpenSSH keys are not supported"), "{err}");
    }

    #[test]
    fn corrupt_and_foreign_keys_are_invalid_not_a_panic() {
        let cases = [
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n",
            // An X25519 key: valid PKCS#8, wrong algorithm.
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n",
        ];
        for pem in cases {
            let err = SigningKey::from_pkcs8_pem(pem).unwrap_err();
            assert!(matches!(err, KeyError::Invalid { .. }), "{pem}: {err:?}");
        }
        let err =
            PublicKey::from_spki_pem("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9E\n-----END PUBLIC KEY-----\n")
                .unwrap_err();
        assert!(matches!(err, KeyError::Invalid { .. }), "{err:?}");
    }

    #[test]
    fn small_order_public_keys_are_refused() {
        // The identity point (y = 1): every signature with R = identity, S = 0 would verify.
        let mut der = b"\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00".to_vec();
        let mut point = [0u8; 32];
        point[0] = 1;
        der.extend_from_slice(&point);
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(&der));
        let err = PublicKey::from_spki_pem(&pem).unwrap_err();
        assert!(err.to_string().contains("small-order"), "{err}");
    }

    #[test]
    fn keygen_writes_a_private_file_with_mode_0600_and_a_public_file() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("release.v1");
        let (key_path, pub_path) = keygen(&prefix).unwrap();
        assert_eq!(key_path, dir.path().join("release.v1.key"));
        assert_eq!(pub_path, dir.path().join("release.v1.pub.pem"));
        assert_eq!(mode_of(&key_path), 0o600);
        let key = load_signing_key(key_path.to_str().unwrap(), "test").unwrap();
        let public = load_public_key(&pub_path).unwrap();
        assert_eq!(key.public(), public);
    }

    #[test]
    fn keygen_refuses_to_overwrite_either_file() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("k");
        keygen(&prefix).unwrap();
        let before = fs::read(dir.path().join("k.key")).unwrap();
        let err = keygen(&prefix).unwrap_err();
        assert!(matches!(err, KeyError::Exists { .. }), "{err:?}");
        assert!(err.to_string().contains("k.key"), "{err}");
        assert_eq!(fs::read(dir.path().join("k.key")).unwrap(), before);

        // Only the public file is in the way: nothing is written at all.
        let prefix = dir.path().join("p");
        fs::write(dir.path().join("p.pub.pem"), "mine").unwrap();
        let err = keygen(&prefix).unwrap_err();
        assert!(err.to_string().contains("p.pub.pem"), "{err}");
        assert!(!dir.path().join("p.key").exists());
        assert_eq!(fs::read_to_string(dir.path().join("p.pub.pem")).unwrap(), "mine");
    }

    #[test]
    fn keygen_into_a_missing_directory_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = keygen(&dir.path().join("missing/k")).unwrap_err();
        assert!(matches!(err, KeyError::Write { .. }), "{err:?}");
        assert!(err.to_string().contains("missing/k.key"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_readable_by_others_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let (key_path, _) = keygen(&dir.path().join("k")).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660] {
            fs::set_permissions(&key_path, fs::Permissions::from_mode(mode)).unwrap();
            let err = load_signing_key(key_path.to_str().unwrap(), "CERTIFY_SIGNING_KEY").unwrap_err();
            assert!(matches!(err, KeyError::Permissions { .. }), "{err:?}");
            let msg = err.to_string();
            assert!(msg.contains(&format!("chmod 600 {}", key_path.display())), "{msg}");
            assert!(msg.contains(&format!("{mode:o}")), "{msg}");
        }
        fs::set_permissions(&key_path, fs::Permissions::from_mode(0o400)).unwrap();
        assert!(load_signing_key(key_path.to_str().unwrap(), "x").is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_public_key_file_given_as_the_signing_key_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let (_, pub_path) = keygen(&dir.path().join("k")).unwrap();
        fs::set_permissions(&pub_path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_signing_key(pub_path.to_str().unwrap(), "CERTIFY_SIGNING_KEY").unwrap_err();
        assert!(matches!(err, KeyError::WrongPem { .. }), "{err:?}");
        assert!(err.to_string().contains("this is a public key"), "{err}");
    }

    #[test]
    fn a_signing_key_can_be_given_as_pem_text() {
        let key = SigningKey::generate();
        let pem = key.to_pkcs8_pem();
        let loaded = load_signing_key(&pem, "CERTIFY_SIGNING_KEY").unwrap();
        assert_eq!(loaded.public(), key.public());
        // Surrounding whitespace, as from an environment variable, is fine.
        let loaded = load_signing_key(&format!("\n  {pem}\n"), "CERTIFY_SIGNING_KEY").unwrap();
        assert_eq!(loaded.public(), key.public());
    }

    #[test]
    fn load_errors_name_the_origin_and_never_the_key() {
        let err = load_signing_key("", "CERTIFY_SIGNING_KEY").unwrap_err();
        assert!(err.to_string().contains("CERTIFY_SIGNING_KEY is empty"), "{err}");

        // A path from certify.toml is named; a value from the environment
        // that names no file may be key material, and is not.
        let missing = Path::new("/nonexistent/release.key");
        let err = load_signing_key_file(missing, "certify.toml [evidence] signing_key").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/release.key"), "{msg}");
        assert!(msg.contains("certify.toml [evidence] signing_key"), "{msg}");
        let err = load_signing_key("/nonexistent/release.key", "CERTIFY_SIGNING_KEY").unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains("release.key"), "{msg}");
        assert!(msg.contains("CERTIFY_SIGNING_KEY") && msg.contains("names no file"), "{msg}");

        // A PEM body without its armour is not echoed as a "path".
        let key = SigningKey::generate();
        let pem = key.to_pkcs8_pem();
        let body = pem.lines().nth(1).unwrap_or_default();
        let err = load_signing_key(body, "CERTIFY_SIGNING_KEY").unwrap_err();
        let msg = err.to_string();
        assert!(!msg.contains(body), "{msg}");
        assert!(msg.contains("CERTIFY_SIGNING_KEY"), "{msg}");

        // A corrupted PEM in the variable: the error names the variable only.
        let broken = pem.replacen("MC4C", "MC4D", 1);
        let err = load_signing_key(&broken, "CERTIFY_SIGNING_KEY").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("signing key in CERTIFY_SIGNING_KEY"), "{msg}");
        assert!(!msg.contains(&body[4..]), "{msg}");
    }

    /// Fails unless `msg` holds no 8-byte piece of `input` beyond the PEM
    /// armour (which errors name on purpose).
    fn assert_quotes_nothing(input: &str, msg: &str) {
        const ARMOUR: [&str; 4] = [
            "-----BEGIN PRIVATE KEY-----",
            "-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----",
            "-----END PUBLIC KEY-----",
        ];
        for window in input.as_bytes().windows(8) {
            let piece = String::from_utf8_lossy(window);
            if ARMOUR.iter().any(|a| a.contains(piece.as_ref())) {
                continue;
            }
            assert!(!msg.contains(piece.as_ref()), "the error quotes {piece:?} of its input:\n{msg}");
        }
    }

    #[test]
    fn no_load_error_quotes_what_it_read() {
        let key = SigningKey::generate();
        let pem = key.to_pkcs8_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let blob = STANDARD.encode(Sha256::digest(b"not a key at all, just bytes"));
        let inputs = [
            // The PEM as some CI secret stores flatten it.
            pem.replace('\n', " "),
            pem.replace('\n', "\\n"),
            pem.trim_end().replace('\n', " ").replacen("-----BEGIN", "  -----BEGIN", 1),
            // Cut short, corrupted, without its END line.
            pem[..pem.len() / 2].to_owned(),
            pem.replacen(&body[20..28], "!!!!!!!!", 1),
            pem.lines().take(2).collect::<Vec<_>>().join("\n"),
            // The public half, a bare base64 blob, the seed in hex, the body alone.
            key.public().to_spki_pem(),
            blob.clone(),
            crate::attest::hex(&key.inner.to_bytes()),
            body.clone(),
            format!("{}x", &body[..20]),
        ];
        for input in &inputs {
            let err = load_signing_key(input, "CERTIFY_SIGNING_KEY").unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("CERTIFY_SIGNING_KEY"), "the error names the variable: {msg}");
            assert_quotes_nothing(input, &msg);
        }
        // A flattened PEM is recognised as such.
        let err = load_signing_key(&pem.replace('\n', " "), "CERTIFY_SIGNING_KEY").unwrap_err();
        assert!(err.to_string().contains("line breaks were lost"), "{err}");

        // Key material where certify.toml names the key file.
        for input in &inputs[..3] {
            let err = load_signing_key_file(Path::new(input), "certify.toml [evidence] signing_key").unwrap_err();
            assert_quotes_nothing(input, &err.to_string());
        }

        // The same inputs in a key file named by certify.toml.
        let dir = tempfile::tempdir().unwrap();
        for (i, input) in inputs.iter().enumerate() {
            let path = dir.path().join(format!("k{i}.key"));
            fs::write(&path, input).unwrap();
            #[cfg(unix)]
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            let err = load_signing_key_file(&path, "certify.toml [evidence] signing_key").unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&path.display().to_string()), "the error names the file: {msg}");
            assert_quotes_nothing(input, &msg);
        }
    }

    #[test]
    fn a_directory_or_a_huge_file_is_not_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_public_key(dir.path()).unwrap_err();
        assert!(matches!(err, KeyError::NotAKeyFile { .. } | KeyError::Read { .. }), "{err:?}");
        let big = dir.path().join("big.pem");
        fs::write(&big, vec![b'A'; 100_000]).unwrap();
        let err = load_public_key(&big).unwrap_err();
        assert!(err.to_string().contains("larger than 64 KiB"), "{err}");
    }
}
