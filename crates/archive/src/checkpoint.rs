//! Checkpoints: the archive's signed tree heads, in the transparency-dev checkpoint format
//! (C2SP `tlog-checkpoint`) inside a C2SP `signed-note`, the format of Go's checksum
//! database, Sigstore and the witness network, so existing witnesses can cosign them.
//!
//! ```text
//! certify-archive <archive id>          origin: fixed when the archive was created
//! 42                                    tree size: the number of index lines covered
//! <base64 RFC 6962 root hash>           of the first 42 lines (see [`crate::merkle`])
//!                                       blank line
//! — certify-archive <base64(key id || Ed25519 signature)>     one line per signer
//! ```
//!
//! Every signature is over the body (the three lines, with their newlines). The key id is
//! the first 4 bytes of SHA-256(key name || "\n" || 0x01 || the 32-byte public key). certify
//! signs under the key name [`KEY_NAME`]; a signature verifies when its key id and signature
//! match a trusted key under the name it carries; other signature lines (a witness's
//! cosignatures, see [`crate::witness`]) are kept and otherwise ignored. A checkpoint without
//! signatures is written
//! when the appender has no signing key: it still fixes the root, but proves nothing against
//! someone who can rewrite the archive.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use certify_evidence::attest::{PublicKey, SigningKey};
use sha2::{Digest as _, Sha256};

use crate::merkle::Hash;

/// The key name certify signs checkpoints under.
pub const KEY_NAME: &str = "certify-archive";

/// The first word of a certify archive's origin line.
pub const ORIGIN_PREFIX: &str = "certify-archive ";

/// The em dash and space that start a signature line.
pub(crate) const SIG_PREFIX: &str = "\u{2014} ";

/// A tree head: which log, how many lines, what root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// `certify-archive <archive id>`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: [u8; 4],
    pub signature: Vec<u8>,
}

/// A checkpoint as read from its signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    /// The signed body's bytes, as found.
    pub body: String,
    pub signatures: Vec<NoteSignature>,
}

impl Checkpoint {
    /// The origin line of the archive `id`.
    pub fn origin_of(archive_id: &str) -> String {
        format!("{ORIGIN_PREFIX}{archive_id}")
    }

    /// The note body: origin, size and base64 root, each with its newline.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root))
    }

    /// The signed note: the body, a blank line and one signature line per key (none when
    /// `keys` is empty).
    pub fn to_note(&self, keys: &[&SigningKey]) -> String {
        let body = self.body();
        let mut note = format!("{body}\n");
        for key in keys {
            note.push_str(&signature_line(KEY_NAME, key, body.as_bytes()));
        }
        note
    }

    /// The root as standard base64, as the note writes it.
    pub fn root_base64(&self) -> String {
        STANDARD.encode(self.root)
    }
}

impl SignedCheckpoint {
    /// Parses a signed note carrying a checkpoint. Says what is wrong, and on which line.
    pub fn parse(text: &str) -> Result<SignedCheckpoint, String> {
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err("contains control characters: a signed note is plain text lines".to_owned());
        }
        let Some(split) = text.rfind("\n\n") else {
            return Err("no blank line between the checkpoint and its signatures: not a signed note".to_owned());
        };
        let (body, sigs) = (&text[..split + 1], &text[split + 2..]);
        if !sigs.is_empty() && !sigs.ends_with('\n') {
            return Err("the last signature line has no newline: the note was cut short".to_owned());
        }
        let mut lines = body.lines();
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err("line 1: the origin is empty".to_owned());
        }
        let size_text = lines.next().ok_or("line 2: no tree size")?;
        let size_ok = !size_text.is_empty()
            && size_text.bytes().all(|b| b.is_ascii_digit())
            && (size_text == "0" || !size_text.starts_with('0'));
        let size: u64 = size_text
            .parse()
            .ok()
            .filter(|_| size_ok)
            .ok_or_else(|| format!("line 2: tree size {size_text:?} is not a decimal number"))?;
        let root_text = lines.next().ok_or("line 3: no root hash")?;
        let root: Hash = STANDARD
            .decode(root_text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("line 3: root hash {root_text:?} is not 32 bytes in standard base64"))?;
        let mut signatures = Vec::new();
        for (i, line) in sigs.lines().enumerate() {
            let n = body.lines().count() + 2 + i;
            let rest = line
                .strip_prefix(SIG_PREFIX)
                .ok_or_else(|| format!("line {n}: a signature line starts with \"\u{2014} \""))?;
            let (name, blob) = rest.split_once(' ').ok_or_else(|| format!("line {n}: expected `— NAME SIGNATURE`"))?;
            let bytes = STANDARD.decode(blob).ok().filter(|b| b.len() > 4).ok_or_else(|| {
                format!("line {n}: the signature of {name:?} is not base64 of a key id and a signature")
            })?;
            let mut key_id = [0u8; 4];
            key_id.copy_from_slice(&bytes[..4]);
            signatures.push(NoteSignature { name: name.to_owned(), key_id, signature: bytes[4..].to_vec() });
        }
        Ok(SignedCheckpoint {
            checkpoint: Checkpoint { origin: origin.to_owned(), size, root },
            body: body.to_owned(),
            signatures,
        })
    }

    /// The fingerprints (`SHA256:<hex>`) of the `keys` whose signature on the note verifies.
    pub fn verified_by(&self, keys: &[PublicKey]) -> Vec<String> {
        keys.iter()
            .filter(|k| {
                self.signatures
                    .iter()
                    .any(|s| s.key_id == key_id(&s.name, k) && k.verify(self.body.as_bytes(), &s.signature))
            })
            .map(|k| format!("SHA256:{}", k.fingerprint()))
            .collect()
    }

    /// The archive id its origin names, when it is a certify archive's.
    pub fn archive_id(&self) -> Option<&str> {
        self.checkpoint.origin.strip_prefix(ORIGIN_PREFIX)
    }
}

/// The raw 32 bytes of an Ed25519 public key (the end of its SPKI encoding).
pub(crate) fn raw_public(key: &PublicKey) -> Vec<u8> {
    let der = key.spki_der();
    der[der.len().saturating_sub(32)..].to_vec()
}

/// A note key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n\x01");
    h.update(raw_public(key));
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// One signature line over `body`: `— NAME base64(key id || signature)\n`.
pub fn signature_line(name: &str, key: &SigningKey, body: &[u8]) -> String {
    let mut blob = key_id(name, &key.public()).to_vec();
    blob.extend_from_slice(&key.sign(body));
    format!("{SIG_PREFIX}{name} {}\n", STANDARD.encode(blob))
}

/// The verifier key of `key` under `name`, as Go's `note` package and witnesses write it:
/// `NAME+<hex key id>+base64(0x01 || public key)`.
pub fn verifier_key(name: &str, key: &PublicKey) -> String {
    let id = key_id(name, key);
    let mut blob = vec![1u8];
    blob.extend(raw_public(key));
    format!("{name}+{}+{}", id.iter().map(|b| format!("{b:02x}")).collect::<String>(), STANDARD.encode(blob))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of Go's `golang.org/x/mod/sumdb/note` package (its doc and tests): the
    /// signer key `PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz`
    /// (base64 of 0x01 || the Ed25519 seed), its verifier key, a text and the exact note.
    const GO_SEED: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_TEXT: &str =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const GO_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    /// The seed as a PKCS#8 PEM, the form certify's keys are read from.
    fn go_key() -> SigningKey {
        let raw = STANDARD.decode(GO_SEED).unwrap();
        assert_eq!(raw[0], 1, "algorithm byte: Ed25519");
        let mut der =
            vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        der.extend_from_slice(&raw[1..]);
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(der));
        SigningKey::from_pkcs8_pem(&pem).unwrap()
    }

    #[test]
    fn signatures_key_ids_and_verifier_keys_match_gos_note_package() {
        let key = go_key();
        assert_eq!(verifier_key("PeterNeumann", &key.public()), GO_VKEY);
        assert_eq!(signature_line("PeterNeumann", &key, GO_TEXT.as_bytes()), GO_SIG);
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint { origin: Checkpoint::origin_of("0123abcd"), size: 7, root: crate::merkle::leaf_hash(b"x") }
    }

    #[test]
    fn a_signed_checkpoint_parses_back_and_verifies_with_its_key_only() {
        let (key, other) = (SigningKey::generate(), SigningKey::generate());
        let note = checkpoint().to_note(&[&key]);
        assert!(note.starts_with("certify-archive 0123abcd\n7\n"), "{note}");
        assert!(note.contains("\n\n\u{2014} certify-archive "), "{note}");
        let parsed = SignedCheckpoint::parse(&note).unwrap();
        assert_eq!(parsed.checkpoint, checkpoint());
        assert_eq!(parsed.archive_id(), Some("0123abcd"));
        assert_eq!(parsed.verified_by(&[key.public()]), [format!("SHA256:{}", key.public().fingerprint())]);
        assert!(parsed.verified_by(&[other.public()]).is_empty());

        // Any change of the body, or of the signature, and it no longer verifies.
        for forged in [note.replacen("\n7\n", "\n8\n", 1), note.replacen("0123abcd", "0123abce", 1)] {
            let p = SignedCheckpoint::parse(&forged).unwrap();
            assert!(p.verified_by(&[key.public()]).is_empty(), "{forged}");
        }
        let unsigned = SignedCheckpoint::parse(&checkpoint().to_note(&[])).unwrap();
        assert!(unsigned.signatures.is_empty() && unsigned.verified_by(&[key.public()]).is_empty());
    }

    /// Every truncation and single-character change of a signed note parses or is an error,
    /// never a panic.
    #[test]
    fn parse_never_panics() {
        let note = checkpoint().to_note(&[&SigningKey::generate()]);
        let chars: Vec<char> = note.chars().collect();
        for cut in 0..chars.len() {
            let _ = SignedCheckpoint::parse(&chars[..cut].iter().collect::<String>());
        }
        for i in 0..chars.len() {
            for c in ['\n', ' ', '\u{2014}', '=', 'A', '\u{0}', '\u{e9}'] {
                let mut m = chars.clone();
                m[i] = c;
                let _ = SignedCheckpoint::parse(&m.iter().collect::<String>());
            }
        }
    }

    #[test]
    fn malformed_notes_are_errors_that_say_what_is_wrong() {
        let good = checkpoint().to_note(&[&SigningKey::generate()]);
        for (text, want) in [
            ("", "no blank line"),
            ("certify-archive x\n7\n", "no blank line"),
            ("\n\n", "origin is empty"),
            ("o\n\n", "no tree size"),
            ("o\n07\nAAAA\n\n", "tree size \"07\""),
            ("o\n-1\nAAAA\n\n", "tree size \"-1\""),
            ("o\n99999999999999999999999\nAAAA\n\n", "not a decimal"),
            ("o\n1\n\n", "no root hash"),
            ("o\n1\nAAAA\n\n", "not 32 bytes"),
            ("o\n1\nAAAA\r\n\n", "control characters"),
        ] {
            let err = SignedCheckpoint::parse(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let cut = &good[..good.len() - 3];
        assert!(SignedCheckpoint::parse(cut).unwrap_err().contains("cut short"));
        let bad_sig = good.replacen("\u{2014} certify-archive ", "- certify-archive ", 1);
        assert!(SignedCheckpoint::parse(&bad_sig).unwrap_err().contains("line 5: a signature line"), "{bad_sig}");
        let short = format!("{}\n\u{2014} k AAAA\n", checkpoint().body());
        assert!(SignedCheckpoint::parse(&short).unwrap_err().contains("not base64 of a key id"));
    }
}
