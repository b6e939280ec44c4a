//! DSSE v1 envelopes (<https://github.com/secure-systems-lab/dsse>): the
//! pre-authentication encoding, signing a payload with Ed25519, and verifying an
//! envelope against a set of trusted public keys. The payload is kept as the
//! exact bytes that were signed; verification hands those bytes back rather
//! than anything re-serialized.
//!
//! An envelope file (`attestation.intoto.jsonl`, a decision record) is read
//! only as certify writes it ([`Envelope::to_jsonl`]): [`Envelope::from_jsonl`]
//! parses strictly (no unknown or duplicate field, exactly one signature,
//! standard padded base64) and then requires the file to be byte for byte the
//! re-encoding of what it parsed; [`verify_attestation`] adds the signature,
//! the keyid and the Statement. Every reader of an envelope goes through them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::keys::{PublicKey, SigningKey};
use super::statement::Statement;

/// The DSSE payload type of an in-toto Statement.
pub const PAYLOAD_TYPE_INTOTO: &str = "application/vnd.in-toto+json";

/// DSSE v1 pre-authentication encoding:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let header = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len());
    let mut out = Vec::with_capacity(header.len() + payload.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// A DSSE envelope as it appears in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The payload, standard padded base64.
    pub payload: String,
    /// What the payload is, e.g. [`PAYLOAD_TYPE_INTOTO`].
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// One or more signatures over `PAE(payloadType, payload)`.
    pub signatures: Vec<Signature>,
}

/// One signature of a DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// A hint to which key made the signature; not signed, never trusted, but
    /// certify writes the signer's [`PublicKey::keyid`] (the one
    /// securesystemslib computes) and accepts nothing but a keyid of the
    /// signer ([`PublicKey::is_keyid`]).
    pub keyid: String,
    /// The signature, standard padded base64.
    pub sig: String,
}

impl Signature {
    /// The fingerprint (lowercase hex SHA-256 of the SPKI DER) of the key this
    /// signature's keyid names, when the keyid has the form of a certify key
    /// hint ([`PublicKey::hint`]), as envelopes written before
    /// [`PublicKey::keyid`] carry it; `None` for today's keyid, a digest the
    /// fingerprint cannot be read from. A claim, never trusted: only a
    /// signature that verifies says who signed; this only names the key in a
    /// message.
    pub fn claimed_fingerprint(&self) -> Option<String> {
        let digest = STANDARD.decode(&self.keyid).ok().filter(|d| d.len() == 32)?;
        Some(super::hex(&digest))
    }
}

/// Why an envelope, a Statement or a Sigstore bundle did not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The text is not a JSON document of the expected shape.
    #[error("{what} is not valid: {source}")]
    Json {
        /// What was being read ("DSSE envelope", "Sigstore bundle", "in-toto Statement").
        what: &'static str,
        /// The JSON error, with its line and column.
        source: serde_json::Error,
    },
    /// A field that must be standard padded base64 is not.
    #[error("DSSE envelope field `{field}` is not standard padded base64: {source}")]
    Base64 {
        /// The field, e.g. `payload` or `signatures[1].sig`.
        field: String,
        /// The decoder's complaint.
        source: base64::DecodeError,
    },
    /// The envelope carries no signature at all.
    #[error("DSSE envelope has no signatures")]
    NoSignatures,
    /// Verification was asked for with an empty set of trusted keys.
    #[error("no trusted public keys were given to verify the DSSE envelope with")]
    NoTrustedKeys,
    /// No signature verifies with any trusted key.
    #[error(
        "no signature verifies: tried {signatures} signature(s) against {keys} trusted key(s); \
         the envelope was altered or signed by a key that is not trusted"
    )]
    BadSignature {
        /// How many signatures the envelope holds.
        signatures: usize,
        /// How many trusted keys were tried.
        keys: usize,
    },
    /// The payload type is not the one the caller expects.
    #[error("DSSE payloadType is `{found}`, expected `{expected}`")]
    WrongPayloadType {
        /// The expected payload type.
        expected: String,
        /// The envelope's payload type.
        found: String,
    },
    /// The payload is JSON but not an in-toto Statement v1.
    #[error("payload is not an in-toto Statement v1: {reason}")]
    InvalidStatement {
        /// What is wrong with it.
        reason: String,
    },
    /// The Statement's predicate is not the one asked for, or does not parse as it.
    #[error("Statement predicate is not a valid {expected} predicate: {reason}")]
    InvalidPredicate {
        /// The predicate type that was expected.
        expected: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A Sigstore bundle of an unsupported media type or content.
    #[error("not a supported Sigstore bundle: {reason}")]
    UnsupportedBundle {
        /// What is wrong with it.
        reason: String,
    },
    /// An envelope file holds more or less than one envelope line.
    #[error("{found} {what}, expected exactly 1 envelope on one line")]
    Lines {
        /// How many non-blank lines the file holds.
        found: usize,
        /// `envelopes` when every line is one, `lines` otherwise.
        what: &'static str,
    },
    /// An envelope with more or fewer signatures than the one certify makes.
    #[error("{found} signatures, expected exactly 1 (certify signs once)")]
    SignatureCount {
        /// How many signatures the envelope holds.
        found: usize,
    },
    /// The signature's keyid does not name the key whose signature verified.
    #[error("signature keyid is {found:?}, expected {expected:?} (the keyid of the key that signed)")]
    KeyId {
        /// The keyid found.
        found: String,
        /// The signer's [`PublicKey::keyid`].
        expected: String,
    },
    /// Parsed, but the bytes are not what certify writes for what was parsed.
    #[error("not byte-for-byte the {what} certify writes: {reason}")]
    NotAsWritten {
        /// What was read ("DSSE envelope", "Sigstore bundle", "in-toto Statement").
        what: &'static str,
        /// How it differs.
        reason: String,
    },
}

impl VerifyError {
    /// The error as a verifier reports it about an envelope file: says whether
    /// the file is no envelope, the signature failed, or the signed payload is
    /// no Statement.
    pub fn as_problem(&self) -> String {
        match self {
            VerifyError::Json { what: "DSSE envelope", .. } => format!("not a DSSE envelope: {self}"),
            VerifyError::BadSignature { .. }
            | VerifyError::Base64 { .. }
            | VerifyError::NoSignatures
            | VerifyError::NoTrustedKeys
            | VerifyError::KeyId { .. } => format!("signature check failed: {self}"),
            VerifyError::InvalidStatement { .. } | VerifyError::Json { .. } => {
                format!("the signed payload is not an in-toto Statement: {self}")
            }
            _ => self.to_string(),
        }
    }
}

impl Envelope {
    /// Signs `payload` as `payload_type` with `key`: the signature covers
    /// `PAE(payload_type, payload)`, and its keyid, an unsigned hint, is the
    /// key's [`PublicKey::keyid`], so that securesystemslib's
    /// `Envelope.verify` finds the key it is given.
    pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
        let sig = key.sign(&pae(payload_type, payload));
        Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: vec![Signature { keyid: key.public().keyid(), sig: STANDARD.encode(sig) }],
        }
    }

    /// The envelope as one line of compact JSON, no trailing newline.
    pub fn to_json_line(&self) -> String {
        // Strings and a list of string pairs always serialize.
        serde_json::to_string(self).expect("a DSSE envelope always serializes")
    }

    /// The exact bytes of an envelope file (`attestation.intoto.jsonl`, a
    /// decision record): [`Envelope::to_json_line`] and one newline.
    pub fn to_jsonl(&self) -> String {
        let mut line = self.to_json_line();
        line.push('\n');
        line
    }

    /// Reads an envelope file, accepting it only exactly as
    /// [`Envelope::to_jsonl`] writes it: one envelope on one line ending in one
    /// newline, no unknown or duplicate field, exactly one signature, standard
    /// padded base64, compact JSON in certify's key order. Says what differs;
    /// never panics, whatever the bytes.
    pub fn from_jsonl(bytes: &[u8]) -> Result<Envelope, VerifyError> {
        const WHAT: &str = "DSSE envelope";
        let not_as_written = |reason: &str| VerifyError::NotAsWritten { what: WHAT, reason: reason.to_owned() };
        let text = std::str::from_utf8(bytes).map_err(|_| not_as_written("the file is not UTF-8 text"))?;
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.len() != 1 {
            let all_envelopes =
                !lines.is_empty() && lines.iter().all(|l| serde_json::from_str::<Envelope>(l.trim()).is_ok());
            let what = if all_envelopes { "envelopes" } else { "lines" };
            return Err(VerifyError::Lines { found: lines.len(), what });
        }
        let envelope: Envelope =
            serde_json::from_str(lines[0]).map_err(|source| VerifyError::Json { what: WHAT, source })?;
        if envelope.signatures.len() != 1 {
            return Err(VerifyError::SignatureCount { found: envelope.signatures.len() });
        }
        for (field, text) in [("payload", &envelope.payload), ("signatures[0].sig", &envelope.signatures[0].sig)] {
            if STANDARD.encode(decode(field, text)?) != *text {
                return Err(not_as_written(&format!("`{field}` is not canonical standard base64")));
            }
        }
        let canonical = envelope.to_jsonl();
        if canonical != text {
            let reason = if !text.ends_with('\n') {
                "it does not end in a newline"
            } else if text.starts_with(canonical.trim_end()) {
                "bytes follow the envelope's JSON"
            } else if text.trim() == canonical.trim() {
                "whitespace before the envelope"
            } else {
                "its JSON is not certify's compact form (whitespace, key order or string escapes differ)"
            };
            return Err(not_as_written(reason));
        }
        Ok(envelope)
    }

    /// The decoded payload.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, VerifyError> {
        decode("payload", &self.payload)
    }

    /// Checks that at least one signature verifies over
    /// `PAE(payloadType, payload)` with one of `keys`, and returns the payload
    /// exactly as signed together with the key that matched.
    pub fn verify<'k>(&self, keys: &'k [PublicKey]) -> Result<(Vec<u8>, &'k PublicKey), VerifyError> {
        let payload = self.payload_bytes()?;
        if self.signatures.is_empty() {
            return Err(VerifyError::NoSignatures);
        }
        if keys.is_empty() {
            return Err(VerifyError::NoTrustedKeys);
        }
        let sigs = self
            .signatures
            .iter()
            .enumerate()
            .map(|(i, s)| decode(&format!("signatures[{i}].sig"), &s.sig))
            .collect::<Result<Vec<_>, _>>()?;
        let message = pae(&self.payload_type, &payload);
        for sig in &sigs {
            if let Some(key) = keys.iter().find(|key| key.verify(&message, sig)) {
                return Ok((payload, key));
            }
        }
        Err(VerifyError::BadSignature { signatures: sigs.len(), keys: keys.len() })
    }

    /// Fails unless the envelope's payload type is `expected`.
    pub fn expect_payload_type(&self, expected: &str) -> Result<(), VerifyError> {
        if self.payload_type == expected {
            Ok(())
        } else {
            Err(VerifyError::WrongPayloadType { expected: expected.to_owned(), found: self.payload_type.clone() })
        }
    }

    /// Verifies the envelope with `keys` (see [`Envelope::verify`]), checks that
    /// it holds an in-toto payload, and parses it as a Statement v1. Returns the
    /// Statement, the signed payload bytes and the key that matched.
    pub fn verify_statement<'k>(
        &self,
        keys: &'k [PublicKey],
    ) -> Result<(Statement, Vec<u8>, &'k PublicKey), VerifyError> {
        let (payload, key) = self.verify(keys)?;
        self.expect_payload_type(PAYLOAD_TYPE_INTOTO)?;
        let statement = Statement::from_bytes(&payload)?;
        Ok((statement, payload, key))
    }
}

/// An envelope file that verified: the envelope, the Statement it signs, the
/// payload exactly as signed, and the key that signed it.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The envelope as read.
    pub envelope: Envelope,
    /// The signed Statement.
    pub statement: Statement,
    /// The payload exactly as signed.
    pub payload: Vec<u8>,
    /// The trusted key whose signature verified.
    pub signer: PublicKey,
}

/// Reads and verifies an envelope file of an in-toto Statement exactly as
/// certify writes it: [`Envelope::from_jsonl`], the in-toto payload type, the
/// one signature verified by one of `keys`, its keyid the signer's
/// [`PublicKey::hint`], and a payload that is byte for byte certify's
/// serialization of the Statement it holds ([`Statement::from_bytes`]). The one
/// reader of bundle attestations and decision records.
pub fn verify_attestation(bytes: &[u8], keys: &[PublicKey]) -> Result<Attestation, VerifyError> {
    let envelope = Envelope::from_jsonl(bytes)?;
    let (statement, payload, signer) = envelope.verify_statement(keys)?;
    let signer = signer.clone();
    let keyid = &envelope.signatures[0].keyid;
    if !signer.is_keyid(keyid) {
        return Err(VerifyError::KeyId { found: keyid.clone(), expected: signer.keyid() });
    }
    Ok(Attestation { envelope, statement, payload, signer })
}

fn decode(field: &str, text: &str) -> Result<Vec<u8>, VerifyError> {
    STANDARD.decode(text).map_err(|source| VerifyError::Base64 { field: field.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed() -> (SigningKey, Envelope) {
        let key = SigningKey::generate();
        let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, br#"{"hello":"world"}"#, &key);
        (key, env)
    }

    #[test]
    fn pae_matches_the_dsse_spec_test_vector() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
        // Lengths are in bytes, not characters.
        assert_eq!(pae("t", "é".as_bytes()), "DSSEv1 1 t 2 é".as_bytes());
    }

    #[test]
    fn sign_then_verify_returns_the_exact_payload_and_the_key() {
        let (key, env) = signed();
        let other = SigningKey::generate().public();
        let keys = [other, key.public()];
        let (payload, matched) = env.verify(&keys).unwrap();
        assert_eq!(payload, br#"{"hello":"world"}"#);
        assert_eq!(*matched, key.public());
        assert_eq!(env.signatures[0].keyid, key.public().keyid());
    }

    #[test]
    fn the_signature_is_over_the_pae() {
        let (key, env) = signed();
        let sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
        assert_eq!(sig.len(), 64);
        let message = pae(PAYLOAD_TYPE_INTOTO, br#"{"hello":"world"}"#);
        assert!(key.public().verify(&message, &sig));
        assert!(!key.public().verify(br#"{"hello":"world"}"#, &sig));
    }

    #[test]
    fn json_line_is_compact_and_parses_back() {
        let (key, env) = signed();
        let line = env.to_json_line();
        assert!(!line.contains('\n'));
        assert!(line.starts_with(r#"{"payload":""#), "{line}");
        assert!(line.contains(r#""payloadType":"application/vnd.in-toto+json""#), "{line}");
        assert_eq!(env.to_jsonl(), format!("{line}\n"));
        let back = Envelope::from_jsonl(env.to_jsonl().as_bytes()).unwrap();
        assert_eq!(back, env);
        assert!(back.verify(&[key.public()]).is_ok());
    }

    #[test]
    fn a_flipped_payload_byte_fails() {
        let (key, mut env) = signed();
        let mut payload = env.payload_bytes().unwrap();
        payload[3] ^= 0x01;
        env.payload = STANDARD.encode(&payload);
        let err = env.verify(&[key.public()]).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature { signatures: 1, keys: 1 }), "{err:?}");
    }

    #[test]
    fn a_flipped_signature_byte_fails() {
        let (key, env) = signed();
        for i in [0, 31, 32, 63] {
            let mut env = env.clone();
            let mut sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
            sig[i] ^= 0x80;
            env.signatures[0].sig = STANDARD.encode(&sig);
            let err = env.verify(&[key.public()]).unwrap_err();
            assert!(matches!(err, VerifyError::BadSignature { .. }), "byte {i}: {err:?}");
        }
    }

    #[test]
    fn another_key_fails_and_says_how_many_keys_were_tried() {
        let (_, env) = signed();
        let keys = [SigningKey::generate().public(), SigningKey::generate().public(), SigningKey::generate().public()];
        let err = env.verify(&keys).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature { signatures: 1, keys: 3 }), "{err:?}");
        assert!(err.to_string().contains("3 trusted key(s)"), "{err}");
    }

    #[test]
    fn a_changed_payload_type_fails_the_signature() {
        let (key, mut env) = signed();
        env.payload_type = "application/json".to_owned();
        let err = env.verify(&[key.public()]).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature { .. }), "{err:?}");
    }

    #[test]
    fn a_payload_type_other_than_expected_is_refused() {
        let key = SigningKey::generate();
        let env = Envelope::sign("application/json", b"{}", &key);
        assert!(env.verify(&[key.public()]).is_ok());
        let err = env.expect_payload_type(PAYLOAD_TYPE_INTOTO).unwrap_err();
        assert!(matches!(err, VerifyError::WrongPayloadType { .. }), "{err:?}");
        assert!(err.to_string().contains("`application/json`"), "{err}");
        let err = env.verify_statement(&[key.public()]).unwrap_err();
        assert!(matches!(err, VerifyError::WrongPayloadType { .. }), "{err:?}");
        assert!(env.expect_payload_type("application/json").is_ok());
    }

    #[test]
    fn malformed_base64_is_an_error_naming_the_field() {
        let (key, env) = signed();
        let mut bad_payload = env.clone();
        bad_payload.payload.insert(0, '*');
        let err = bad_payload.verify(&[key.public()]).unwrap_err();
        assert!(matches!(&err, VerifyError::Base64 { field, .. } if field == "payload"), "{err:?}");

        let mut unpadded = env.clone();
        unpadded.signatures[0].sig = unpadded.signatures[0].sig.trim_end_matches('=').to_owned();
        let err = unpadded.verify(&[key.public()]).unwrap_err();
        assert!(err.to_string().contains("signatures[0].sig"), "{err}");

        let mut url_safe = env.clone();
        url_safe.signatures[0].sig = "-_-_".to_owned();
        assert!(matches!(url_safe.verify(&[key.public()]), Err(VerifyError::Base64 { .. })));
    }

    #[test]
    fn a_short_signature_does_not_verify() {
        let (key, mut env) = signed();
        env.signatures[0].sig = STANDARD.encode([0u8; 10]);
        assert!(matches!(env.verify(&[key.public()]), Err(VerifyError::BadSignature { .. })));
    }

    #[test]
    fn one_good_signature_among_others_is_enough() {
        let (key, mut env) = signed();
        let other = SigningKey::generate();
        let foreign = Envelope::sign(PAYLOAD_TYPE_INTOTO, br#"{"hello":"world"}"#, &other);
        env.signatures.insert(0, foreign.signatures[0].clone());
        let keys = [key.public()];
        let (_, matched) = env.verify(&keys).unwrap();
        assert_eq!(*matched, key.public());
        let err = env.verify(&[SigningKey::generate().public()]).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature { signatures: 2, keys: 1 }), "{err:?}");
    }

    #[test]
    fn empty_signatures_and_empty_key_sets_fail() {
        let (key, mut env) = signed();
        assert!(matches!(env.verify(&[]), Err(VerifyError::NoTrustedKeys)));
        env.signatures.clear();
        assert!(matches!(env.verify(&[key.public()]), Err(VerifyError::NoSignatures)));
        let err =
            Envelope::from_jsonl(b"{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[]}\n").unwrap_err();
        assert!(matches!(err, VerifyError::SignatureCount { found: 0 }), "{err:?}");
    }

    #[test]
    fn truncated_or_malformed_json_is_an_error() {
        let (_, env) = signed();
        let file = env.to_jsonl();
        for cut in [1, 10, file.len() / 2, file.len() - 2] {
            let err = Envelope::from_jsonl(&file.as_bytes()[..cut]).unwrap_err();
            assert!(matches!(err, VerifyError::Json { .. }), "cut at {cut}: {err:?}");
        }
        for text in [
            "null\n",
            "[]\n",
            "{\"payload\":\"e30=\",\"payloadType\":\"x\"}\n",
            "{\"payload\":1,\"payloadType\":\"x\",\"signatures\":[]}\n",
            "{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[{\"keyid\":\"k\"}]}\n",
        ] {
            assert!(matches!(Envelope::from_jsonl(text.as_bytes()), Err(VerifyError::Json { .. })), "{text}");
        }
        for empty in ["", "\n", "  \n\n"] {
            let err = Envelope::from_jsonl(empty.as_bytes()).unwrap_err();
            assert_eq!(err.to_string(), "0 lines, expected exactly 1 envelope on one line", "{empty:?}");
        }
        let err = Envelope::from_jsonl(b"\xff\xfe\n").unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    /// Every way an envelope file can differ from what certify writes, each refused with its reason.
    #[test]
    fn an_envelope_file_is_accepted_only_as_certify_writes_it() {
        let (_, env) = signed();
        let file = env.to_jsonl();
        let line = env.to_json_line();
        let other = SigningKey::generate();
        let mut two = env.clone();
        two.signatures.push(Envelope::sign(PAYLOAD_TYPE_INTOTO, br#"{"hello":"world"}"#, &other).signatures[0].clone());
        let value = serde_json::to_value(&env).unwrap();
        let with = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = value.clone();
            edit(&mut v);
            format!("{}\n", serde_json::to_string(&v).unwrap())
        };
        let unpadded = env.payload.trim_end_matches('=').to_owned();
        assert_ne!(unpadded, env.payload, "the test payload needs padding");
        let cases: Vec<(&str, String, &str)> = vec![
            ("appended envelope", format!("{file}{}", signed().1.to_jsonl()), "2 envelopes, expected exactly 1"),
            ("duplicated line", format!("{file}{file}"), "2 envelopes, expected exactly 1"),
            ("appended garbage line", format!("{file}garbage\n"), "2 lines, expected exactly 1"),
            ("second signature", two.to_jsonl(), "2 signatures, expected exactly 1"),
            ("extra top-level field", with(&|v| v["x"] = 1.into()), "unknown field `x`"),
            ("extra signature field", with(&|v| v["signatures"][0]["x"] = 1.into()), "unknown field `x`"),
            (
                "duplicate field",
                line.replacen("{", "{\"payloadType\":\"x\",", 1) + "\n",
                "duplicate field `payloadType`",
            ),
            (
                "missing keyid",
                with(&|v| {
                    v["signatures"][0].as_object_mut().unwrap().remove("keyid");
                }),
                "missing field `keyid`",
            ),
            (
                "unpadded payload",
                with(&|v| v["payload"] = unpadded.clone().into()),
                "`payload` is not standard padded base64",
            ),
            (
                "url-safe payload",
                {
                    let binary = Envelope::sign(PAYLOAD_TYPE_INTOTO, &[0xfb, 0xff, 0xbf], &other);
                    assert_eq!(binary.payload, "+/+/");
                    binary.to_jsonl().replace("+/+/", "-_-_")
                },
                "`payload` is not standard padded base64",
            ),
            (
                "reordered keys",
                format!(
                    "{{\"payloadType\":{:?},\"payload\":{:?},\"signatures\":{}}}\n",
                    env.payload_type,
                    env.payload,
                    serde_json::to_string(&env.signatures).unwrap()
                ),
                "key order",
            ),
            ("pretty-printed", serde_json::to_string_pretty(&env).unwrap() + "\n", "lines, expected exactly 1"),
            ("space inside", line.replacen(",", ", ", 1) + "\n", "compact form"),
            ("no newline", line.clone(), "does not end in a newline"),
            ("trailing newline", format!("{file}\n"), "bytes follow"),
            ("trailing space", format!("{line} \n"), "bytes follow"),
            ("crlf", format!("{line}\r\n"), "bytes follow"),
            ("leading space", format!(" {file}"), "whitespace"),
            ("truncated", file[..file.len() - 5].to_owned(), "EOF"),
        ];
        for (name, text, expect) in cases {
            let err = Envelope::from_jsonl(text.as_bytes()).expect_err(name);
            assert!(err.to_string().contains(expect), "{name}: {err}");
        }
    }

    #[test]
    fn an_attestation_verifies_only_with_the_signers_keyid_and_a_canonical_statement() {
        use crate::attest::statement::ResourceDescriptor;
        let key = SigningKey::generate();
        let statement = Statement::new(
            vec![ResourceDescriptor::file("a", "00")],
            "https://example.invalid/p",
            serde_json::json!({"k": 1}),
        );
        let payload = statement.to_bytes();
        let good = Envelope::sign(PAYLOAD_TYPE_INTOTO, &payload, &key);
        let verified = verify_attestation(good.to_jsonl().as_bytes(), &[key.public()]).unwrap();
        assert_eq!(verified.statement, statement);
        assert_eq!(verified.payload, payload);
        assert_eq!(verified.signer, key.public());

        assert_eq!(good.signatures[0].keyid, key.public().keyid());
        // The keyid envelopes carried before (the key's hint) still names the signer.
        let mut legacy = good.clone();
        legacy.signatures[0].keyid = key.public().hint();
        let verified = verify_attestation(legacy.to_jsonl().as_bytes(), &[key.public()]).unwrap();
        assert_eq!(verified.signer, key.public());
        // Anything else does not: another key's keyid or hint, empty, another form of the same digest.
        let stranger = SigningKey::generate().public();
        for other in [stranger.keyid(), stranger.hint(), String::new(), key.public().fingerprint()] {
            let mut keyid = good.clone();
            keyid.signatures[0].keyid = other.clone();
            let err = verify_attestation(keyid.to_jsonl().as_bytes(), &[key.public()]).unwrap_err();
            assert!(matches!(err, VerifyError::KeyId { .. }), "{other:?}: {err:?}");
            assert!(err.to_string().contains(&key.public().keyid()), "{err}");
        }

        // Validly signed, but not certify's serialization of the statement it holds.
        let mut value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        let reformatted = serde_json::to_vec_pretty(&value).unwrap();
        value["extra"] = 1.into();
        let extra = serde_json::to_vec(&value).unwrap();
        for (name, bytes, expect) in
            [("pretty", reformatted, "not byte-for-byte"), ("extra field", extra, "unknown field `extra`")]
        {
            let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, &bytes, &key);
            let err = verify_attestation(env.to_jsonl().as_bytes(), &[key.public()]).unwrap_err();
            assert!(err.to_string().contains(expect), "{name}: {err}");
        }
        let foreign = verify_attestation(good.to_jsonl().as_bytes(), &[SigningKey::generate().public()]).unwrap_err();
        assert!(matches!(foreign, VerifyError::BadSignature { .. }), "{foreign:?}");
    }

    #[test]
    fn the_keyid_names_a_fingerprint_only_when_it_is_a_key_hint() {
        let (key, mut env) = signed();
        assert_eq!(env.signatures[0].claimed_fingerprint(), None, "today's keyid is a digest of the key");
        env.signatures[0].keyid = key.public().hint();
        assert_eq!(env.signatures[0].claimed_fingerprint(), Some(key.public().fingerprint()));
        for keyid in ["", "not base64!", "AAAA", "pinned"] {
            let sig = Signature { keyid: keyid.to_owned(), sig: String::new() };
            assert_eq!(sig.claimed_fingerprint(), None, "{keyid:?}");
        }
    }
}
