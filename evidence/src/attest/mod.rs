//! Signing and attestation primitives for evidence bundles: Ed25519 keys in
//! PKCS#8/SPKI PEM ([`keys`]), DSSE envelopes with their pre-authentication
//! encoding ([`dsse`]), in-toto Statement v1 with the test-result predicate
//! ([`statement`]) and the Sigstore bundle v0.3 form of an envelope
//! ([`sigstore`]). Everything is bytes in, bytes out, except loading keys and
//! generating a key pair on disk. The encodings are the standard ones (pure
//! Ed25519, standard padded base64, the DSSE v1 PAE, securesystemslib's keyid
//! of the key) so that openssl, securesystemslib, sigstore-js and cosign verify
//! the output without certify. Reading is
//! strict: an envelope file, a Sigstore bundle and a Statement are accepted
//! only as exactly the bytes certify writes ([`verify_attestation`],
//! [`check_sigstore_bundle`]).

pub mod dsse;
pub mod keys;
pub mod sigstore;
pub mod statement;

pub use dsse::{Attestation, Envelope, PAYLOAD_TYPE_INTOTO, Signature, VerifyError, pae, verify_attestation};
pub use keys::{KeyError, PublicKey, SigningKey, keygen, load_public_key, load_signing_key, load_signing_key_file};
pub use sigstore::{BUNDLE_MEDIA_TYPE, check_sigstore_bundle, envelope_from_sigstore_bundle, to_sigstore_bundle};
pub use statement::{ResourceDescriptor, STATEMENT_TYPE, Statement, TEST_RESULT_PREDICATE, TestResult, VSA_PREDICATE};

use sha2::{Digest, Sha256};

/// Lowercase hex of the SHA-256 of `bytes`: the form of every `sha256` digest
/// in a Statement and of key fingerprints.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_the_known_digest_of_the_empty_string() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
