//! DSSE v1 envelopes (<https://github.com/secure-systems-lab/dsse>): the
//! pre-authentication encoding, signing a payload with Ed25519, and verifying an
//! envelope against a set of trusted public keys. The payload is kept as the
//! exact bytes that were signed; verification hands those bytes back rather
//! than anything re-serialized.

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
pub struct Signature {
    /// A hint to which key made the signature; not signed, never trusted.
    #[serde(default)]
    pub keyid: String,
    /// The signature, standard padded base64.
    pub sig: String,
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
}

impl Envelope {
    /// Signs `payload` as `payload_type` with `key`: the signature covers
    /// `PAE(payload_type, payload)`. `keyid` is recorded as an unsigned hint.
    pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey, keyid: &str) -> Envelope {
        let sig = key.sign(&pae(payload_type, payload));
        Envelope {
            payload: STANDARD.encode(payload),
            payload_type: payload_type.to_owned(),
            signatures: vec![Signature { keyid: keyid.to_owned(), sig: STANDARD.encode(sig) }],
        }
    }

    /// The exact bytes to write as one line of `attestation.intoto.jsonl`:
    /// compact JSON, no trailing newline.
    pub fn to_json_line(&self) -> String {
        // Strings and a list of string pairs always serialize.
        serde_json::to_string(self).expect("a DSSE envelope always serializes")
    }

    /// Parses an envelope from JSON. Surrounding whitespace (a trailing newline)
    /// is allowed; anything truncated or malformed is an error.
    pub fn parse(text: &str) -> Result<Envelope, VerifyError> {
        serde_json::from_str(text).map_err(|source| VerifyError::Json { what: "DSSE envelope", source })
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

fn decode(field: &str, text: &str) -> Result<Vec<u8>, VerifyError> {
    STANDARD.decode(text).map_err(|source| VerifyError::Base64 { field: field.to_owned(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed() -> (SigningKey, Envelope) {
        let key = SigningKey::generate();
        let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, br#"{"hello":"world"}"#, &key, &key.public().hint());
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
        assert_eq!(env.signatures[0].keyid, key.public().hint());
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
        let back = Envelope::parse(&format!("{line}\n")).unwrap();
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
        let env = Envelope::sign("application/json", b"{}", &key, "");
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
        let foreign = Envelope::sign(PAYLOAD_TYPE_INTOTO, br#"{"hello":"world"}"#, &other, "o");
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
        let parsed = Envelope::parse(r#"{"payload":"e30=","payloadType":"x","signatures":[]}"#).unwrap();
        assert!(matches!(parsed.verify(&[key.public()]), Err(VerifyError::NoSignatures)));
    }

    #[test]
    fn truncated_or_malformed_json_is_an_error() {
        let (_, env) = signed();
        let line = env.to_json_line();
        for cut in [0, 1, 10, line.len() / 2, line.len() - 1] {
            let err = Envelope::parse(&line[..cut]).unwrap_err();
            assert!(matches!(err, VerifyError::Json { .. }), "cut at {cut}: {err:?}");
        }
        for text in [
            "null",
            "[]",
            r#"{"payload":"e30=","payloadType":"x"}"#,
            r#"{"payload":1,"payloadType":"x","signatures":[]}"#,
            r#"{"payload":"e30=","payloadType":"x","signatures":[{"keyid":"k"}]}"#,
            &format!("{line}\n{line}"),
        ] {
            assert!(Envelope::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn a_missing_keyid_is_accepted() {
        let (key, env) = signed();
        let text = format!(
            r#"{{"payload":"{}","payloadType":"{}","signatures":[{{"sig":"{}"}}]}}"#,
            env.payload, env.payload_type, env.signatures[0].sig
        );
        let parsed = Envelope::parse(&text).unwrap();
        assert_eq!(parsed.signatures[0].keyid, "");
        assert!(parsed.verify(&[key.public()]).is_ok());
    }
}
