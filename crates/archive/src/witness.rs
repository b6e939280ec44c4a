//! Witnesses: the archive's side of the C2SP witness protocol. A witness (an independent
//! service that keeps, per log, the largest checkpoint it has verified) cosigns a
//! checkpoint only when it is consistent with every checkpoint it saw before, so a
//! cosigned checkpoint shows that the archive showed the same history to the witness as to
//! whoever holds the checkpoint. certify never talks to a witness: it writes the request
//! body ([`WitnessRequest`], C2SP `tlog-witness` `add-checkpoint`), someone POSTs it, and
//! the cosignature lines the witness answers with are appended to a kept checkpoint;
//! `archive verify --witness-key` then requires them ([`WitnessKey::cosigned`]).
//!
//! ```text
//! old 3                                           the size the witness holds (0: none yet)
//! <base64 hash>                                   the consistency proof from 3 to 5 lines,
//! <base64 hash>                                   one hash per line (none when old is 0)
//!                                                 blank line
//! certify-archive e7f8d383f34b173b0090b9c0764a38e1  the current checkpoint, as stored
//! 5
//! <base64 root>
//!
//! — certify-archive <base64 signature>
//! ```
//!
//! A cosignature (C2SP `tlog-cosignature`, Ed25519 `cosignature/v1`) is a note signature
//! line `— <witness name> base64(key id || timestamp || signature)`: the key id is the first
//! 4 bytes of SHA-256(name || "\n" || 0x04 || public key), the timestamp 8 bytes big-endian
//! (POSIX seconds), and the Ed25519 signature is over `cosignature/v1\ntime <timestamp>\n`
//! followed by the checkpoint's body.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use certify_evidence::attest::{PublicKey, SigningKey};
use sha2::{Digest as _, Sha256};

use crate::{
    checkpoint::{SIG_PREFIX, SignedCheckpoint, raw_public},
    merkle::Hash,
};

/// The most consistency proof lines a witness accepts (C2SP tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

/// The verifier key type of an Ed25519 note signature (Go's `note` package).
const ALG_ED25519: u8 = 0x01;

/// The verifier key type of an Ed25519 `cosignature/v1` (C2SP tlog-cosignature).
const ALG_COSIGNATURE_V1: u8 = 0x04;

/// The body of a C2SP tlog-witness `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessRequest {
    /// The tree size the witness last cosigned (0 when it never did).
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The checkpoint's signed note, as stored.
    pub note: String,
}

impl WitnessRequest {
    /// The request body: `old N`, the proof's hashes in base64, a blank line, the note.
    pub fn to_body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for h in &self.proof {
            body.push_str(&STANDARD.encode(h));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.note);
        body
    }

    /// Reads a request body as a witness does; says what is wrong and on which line. The
    /// note is only split off: [`SignedCheckpoint::parse`] reads it.
    pub fn parse(text: &str) -> Result<WitnessRequest, String> {
        let (head, note) =
            text.split_once("\n\n").ok_or("no blank line between the old size and proof and the checkpoint")?;
        let mut lines = head.split('\n');
        let first = lines.next().unwrap_or_default();
        let size_text =
            first.strip_prefix("old ").ok_or_else(|| format!("line 1: expected `old <size>`, found {first:?}"))?;
        let size_ok = !size_text.is_empty()
            && size_text.bytes().all(|b| b.is_ascii_digit())
            && (size_text == "0" || !size_text.starts_with('0'));
        let old_size =
            size_text.parse().ok().filter(|_| size_ok).ok_or_else(|| {
                format!("line 1: old size {size_text:?} is not a decimal number without leading zeroes")
            })?;
        let mut proof = Vec::new();
        for (i, line) in lines.enumerate() {
            let hash: Hash = STANDARD
                .decode(line)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("line {}: {line:?} is not a 32-byte hash in standard base64", i + 2))?;
            proof.push(hash);
        }
        if proof.len() > MAX_PROOF_LINES {
            return Err(format!("{} proof lines: a witness accepts at most {MAX_PROOF_LINES}", proof.len()));
        }
        Ok(WitnessRequest { old_size, proof, note: note.to_owned() })
    }
}

/// A witness's public key, from its verifier key (`name+<hex key id>+base64(type || key)`,
/// as witnesses publish them): type 0x04 (Ed25519 cosignature/v1), or 0x01 (a plain
/// Ed25519 note key, read as the cosignature/v1 key it also is, as transparency-dev's
/// `NewVerifierForCosignatureV1` does).
#[derive(Debug, Clone)]
pub struct WitnessKey {
    pub name: String,
    key: PublicKey,
    /// The cosignature/v1 key id.
    key_id: [u8; 4],
}

/// A cosignature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// The witness's name.
    pub name: String,
    /// When the witness cosigned, POSIX seconds.
    pub timestamp: u64,
}

impl WitnessKey {
    /// Parses a verifier key; says what is wrong with it.
    pub fn parse(vkey: &str) -> Result<WitnessKey, String> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (name, id_hex, key_b64) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(i), Some(k)) => (n, i, k),
            _ => return Err("expected a verifier key `name+<8 hex digits>+<base64 key>`".to_owned()),
        };
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("the name {name:?} is not a key name (non-empty, no spaces, no `+`)"));
        }
        let id = (id_hex.len() == 8)
            .then(|| u32::from_str_radix(id_hex, 16).ok())
            .flatten()
            .filter(|_| id_hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("the key id {id_hex:?} is not 8 hex digits"))?
            .to_be_bytes();
        let bytes = STANDARD.decode(key_b64).map_err(|_| format!("the key {key_b64:?} is not standard base64"))?;
        let (alg, raw) = match bytes.split_first() {
            Some((&a, raw)) if raw.len() == 32 && (a == ALG_ED25519 || a == ALG_COSIGNATURE_V1) => (a, raw),
            Some((&a, raw)) => {
                return Err(format!(
                    "the key is of type 0x{a:02x} with {} bytes: expected an Ed25519 key (type 0x04 for a \
                     cosignature/v1 witness key, or 0x01) of 32 bytes",
                    raw.len()
                ));
            }
            None => return Err("the key is empty".to_owned()),
        };
        if id != note_key_id(name, alg, raw) {
            return Err(format!(
                "the key id {id_hex} is not the one of this name and key ({}): the verifier key was altered",
                hex4(note_key_id(name, alg, raw))
            ));
        }
        let key = public_from_raw(raw).map_err(|e| format!("not an Ed25519 public key: {e}"))?;
        Ok(WitnessKey { name: name.to_owned(), key_id: note_key_id(name, ALG_COSIGNATURE_V1, raw), key })
    }

    /// The cosignature/v1 verifier key: `name+<hex key id>+base64(0x04 || key)`.
    pub fn vkey(&self) -> String {
        let mut blob = vec![ALG_COSIGNATURE_V1];
        blob.extend(raw_public(&self.key));
        format!("{}+{}+{}", self.name, hex4(self.key_id), STANDARD.encode(blob))
    }

    /// The key's cosignature/v1 verifier key under `name`.
    pub fn of(name: &str, key: &PublicKey) -> WitnessKey {
        WitnessKey {
            name: name.to_owned(),
            key_id: note_key_id(name, ALG_COSIGNATURE_V1, &raw_public(key)),
            key: key.clone(),
        }
    }

    /// The cosignature of this witness on `checkpoint` that verifies, if there is one
    /// (lines of other names or key ids are ignored, as the signed-note format says).
    pub fn cosigned(&self, checkpoint: &SignedCheckpoint) -> Option<Cosignature> {
        checkpoint.signatures.iter().filter(|s| s.name == self.name && s.key_id == self.key_id).find_map(|s| {
            let (time, sig) = s.signature.split_first_chunk::<8>()?;
            let timestamp = u64::from_be_bytes(*time);
            let signed = timestamp <= i64::MAX as u64
                && self.key.verify(cosigned_message(timestamp, &checkpoint.body).as_bytes(), sig);
            signed.then(|| Cosignature { name: self.name.clone(), timestamp })
        })
    }
}

/// What an Ed25519 cosignature/v1 signs: `cosignature/v1`, `time <timestamp>`, the body.
pub fn cosigned_message(timestamp: u64, body: &str) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

/// A witness's cosignature line over `body` at `timestamp`, as a witness answers
/// `add-checkpoint`: `— NAME base64(key id || timestamp || signature)\n`.
pub fn cosignature_line(name: &str, key: &SigningKey, timestamp: u64, body: &str) -> String {
    let mut blob = note_key_id(name, ALG_COSIGNATURE_V1, &raw_public(&key.public())).to_vec();
    blob.extend_from_slice(&timestamp.to_be_bytes());
    blob.extend_from_slice(&key.sign(cosigned_message(timestamp, body).as_bytes()));
    format!("{SIG_PREFIX}{name} {}\n", STANDARD.encode(blob))
}

/// A signed-note key id: the first 4 bytes of SHA-256(name || "\n" || type || key).
fn note_key_id(name: &str, alg: u8, raw: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', alg]);
    h.update(raw);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn hex4(id: [u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// An Ed25519 public key from its 32 bytes, through its fixed SPKI encoding.
fn public_from_raw(raw: &[u8]) -> Result<PublicKey, String> {
    const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    let der = [&SPKI_PREFIX[..], raw].concat();
    let pem = format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", STANDARD.encode(der));
    PublicKey::from_spki_pem(&pem).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Checkpoint;

    /// The cosigned checkpoint of the C2SP tlog-cosignature and tlog-witness specifications.
    /// The specifications do not publish the witness's key, so what can be checked is that
    /// the note parses with its cosignature, the key id, and the timestamp the spec's
    /// signed-message example shows.
    const SPEC_NOTE: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\
        \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
        \u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";

    /// The request body example of C2SP tlog-witness.
    const SPEC_REQUEST: &str = "old 20852014\n\
        PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\
        jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n\
        5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n\
        /6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n\
        \n\
        example.com/behind-the-sofa\n\
        20852163\n\
        CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\
        \n\
        \u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\
        \u{2014} example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n";

    #[test]
    fn the_specifications_cosigned_checkpoint_parses_with_its_cosignature() {
        let c = SignedCheckpoint::parse(SPEC_NOTE).unwrap();
        assert_eq!((c.checkpoint.origin.as_str(), c.checkpoint.size), ("example.com/behind-the-sofa", 20852163));
        let w = &c.signatures[1];
        assert_eq!(w.name, "witness.example.com/w1");
        assert_eq!(w.key_id, [0x8d, 0x66, 0xcf, 0x3f]);
        assert_eq!(w.signature.len(), 8 + 64, "timestamp and Ed25519 signature");
        assert_eq!(u64::from_be_bytes(w.signature[..8].try_into().unwrap()), 1679315147);
        assert_eq!(
            cosigned_message(1679315147, &c.body),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn the_specifications_request_parses_and_is_written_back_byte_for_byte() {
        let r = WitnessRequest::parse(SPEC_REQUEST).unwrap();
        assert_eq!((r.old_size, r.proof.len()), (20852014, 4));
        assert_eq!(STANDARD.encode(r.proof[0]), "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=");
        assert_eq!(SignedCheckpoint::parse(&r.note).unwrap().checkpoint.size, 20852163);
        assert_eq!(r.to_body(), SPEC_REQUEST);
        let empty = WitnessRequest { old_size: 0, proof: vec![], note: "o\n1\nAAAA\n\n".to_owned() };
        assert_eq!(empty.to_body(), "old 0\n\no\n1\nAAAA\n\n");
        assert_eq!(WitnessRequest::parse(&empty.to_body()).unwrap(), empty);
    }

    #[test]
    fn malformed_requests_are_errors_that_say_where() {
        for (text, want) in [
            ("", "no blank line"),
            ("old 1\n", "no blank line"),
            ("new 1\n\nx", "line 1: expected `old <size>`"),
            ("old 01\n\nx", "old size \"01\""),
            ("old -1\n\nx", "old size \"-1\""),
            ("old 1\nAAAA\n\nx", "line 2: \"AAAA\" is not a 32-byte hash"),
        ] {
            let err = WitnessRequest::parse(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let many = format!("old 1\n{}\nx", format!("{}\n", STANDARD.encode([0u8; 32])).repeat(64));
        assert!(WitnessRequest::parse(&many).unwrap_err().contains("at most 63"));
    }

    /// Every truncation and single-character change of a request, a verifier key and a
    /// cosigned note is parsed (and the cosignature checked) or refused, never a panic.
    #[test]
    fn parsing_and_checking_never_panic() {
        let w = SigningKey::generate();
        let key = WitnessKey::of("w.example/1", &w.public());
        let body = checkpoint().body();
        let note = format!("{}{}", checkpoint().to_note(&[]), cosignature_line("w.example/1", &w, 7, &body));
        for text in [SPEC_REQUEST.to_owned(), key.vkey(), note] {
            let chars: Vec<char> = text.chars().collect();
            let mut variants: Vec<String> = (0..chars.len()).map(|cut| chars[..cut].iter().collect()).collect();
            for i in 0..chars.len() {
                for c in ['\n', ' ', '+', '\u{2014}'] {
                    let mut m = chars.clone();
                    m[i] = c;
                    variants.push(m.iter().collect());
                }
            }
            for v in variants {
                let _ = WitnessRequest::parse(&v);
                let _ = WitnessKey::parse(&v);
                if let Ok(c) = SignedCheckpoint::parse(&v) {
                    let _ = key.cosigned(&c);
                }
            }
        }
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint { origin: Checkpoint::origin_of("0123abcd"), size: 7, root: crate::merkle::leaf_hash(b"x") }
    }

    #[test]
    fn a_cosignature_verifies_with_the_witness_key_only_and_over_this_body_only() {
        let (log, witness, other) = (SigningKey::generate(), SigningKey::generate(), SigningKey::generate());
        let body = checkpoint().body();
        let signed = checkpoint().to_note(&[&log]);
        let line = cosignature_line("witness.example/w1", &witness, 1_700_000_000, &body);
        let cosigned = format!("{signed}{line}");
        let c = SignedCheckpoint::parse(&cosigned).unwrap();
        // Still the archive's checkpoint: its own signature verifies as before.
        assert_eq!(c.verified_by(&[log.public()]).len(), 1);
        let key = WitnessKey::parse(&WitnessKey::of("witness.example/w1", &witness.public()).vkey()).unwrap();
        assert_eq!(
            key.cosigned(&c),
            Some(Cosignature { name: "witness.example/w1".to_owned(), timestamp: 1_700_000_000 })
        );
        // Another key, another name, the log's key, or the unsigned checkpoint: no cosignature.
        for k in [
            WitnessKey::of("witness.example/w1", &other.public()),
            WitnessKey::of("witness.example/w2", &witness.public()),
            WitnessKey::of("certify-archive", &log.public()),
        ] {
            assert_eq!(k.cosigned(&c), None, "{}", k.vkey());
        }
        assert_eq!(key.cosigned(&SignedCheckpoint::parse(&signed).unwrap()), None);
        // A changed timestamp, a cosignature moved to another checkpoint, a flipped byte.
        let blob = STANDARD.decode(line.trim_end().rsplit(' ').next().unwrap()).unwrap();
        let mut later = blob.clone();
        later[11] ^= 1;
        let mut flipped = blob.clone();
        flipped[40] ^= 1;
        for forged in [later, flipped] {
            let note = format!("{signed}\u{2014} witness.example/w1 {}\n", STANDARD.encode(forged));
            assert_eq!(key.cosigned(&SignedCheckpoint::parse(&note).unwrap()), None);
        }
        let moved = format!("{}{line}", Checkpoint { size: 8, ..checkpoint() }.to_note(&[&log]));
        assert_eq!(key.cosigned(&SignedCheckpoint::parse(&moved).unwrap()), None);
        // A plain note signature by the witness key is not a cosignature.
        let plain =
            format!("{signed}{}", crate::checkpoint::signature_line("witness.example/w1", &witness, body.as_bytes()));
        assert_eq!(key.cosigned(&SignedCheckpoint::parse(&plain).unwrap()), None);
    }

    #[test]
    fn verifier_keys_of_type_0x04_and_0x01_are_read_and_bad_ones_named() {
        let w = SigningKey::generate();
        let vkey = WitnessKey::of("w.example/1", &w.public()).vkey();
        assert!(vkey.starts_with("w.example/1+"), "{vkey}");
        assert_eq!(STANDARD.decode(vkey.splitn(3, '+').nth(2).unwrap()).unwrap()[0], 0x04);
        // The same key as a plain note verifier key (type 0x01) is the same witness.
        let note_vkey = crate::checkpoint::verifier_key("w.example/1", &w.public());
        let from_note = WitnessKey::parse(&note_vkey).unwrap();
        assert_eq!(from_note.vkey(), vkey);

        let raw = STANDARD.encode([&[0x04u8][..], &raw_public(&w.public())].concat());
        for (text, want) in [
            ("w.example/1", "expected a verifier key"),
            ("w.example/1+abc", "expected a verifier key"),
            (&format!("+00000000+{raw}"), "is not a key name"),
            (&format!("w.example/1+0000000g+{raw}"), "not 8 hex digits"),
            (&format!("w.example/1+00000000+{raw}"), "the verifier key was altered"),
            ("w.example/1+00000000+!!", "not standard base64"),
            ("w.example/1+00000000+AwEB", "type 0x03"),
            ("w.example/1+00000000+", "is empty"),
        ] {
            let err = WitnessKey::parse(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let other_name = vkey.replacen("w.example/1", "w.example/2", 1);
        assert!(WitnessKey::parse(&other_name).unwrap_err().contains("altered"));
    }
}
