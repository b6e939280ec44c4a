//! The Sigstore bundle v0.3 form of a DSSE envelope
//! (<https://github.com/sigstore/protobuf-specs>): the same payload and
//! signature, with the public key named only by a hint and no transparency log
//! entry, so that cosign and sigstore-js verify it offline with the public key.
//! The DSSE `keyid` is left empty inside the bundle.

use serde::{Deserialize, Serialize};

use super::dsse::{Envelope, Signature, VerifyError};
use super::keys::PublicKey;

/// The media type of a Sigstore bundle v0.3.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// Older spellings of the bundle media type whose DSSE content is the same.
const LEGACY_MEDIA_TYPES: [&str; 3] = [
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3",
];

#[derive(Serialize, Deserialize)]
struct Bundle {
    #[serde(rename = "mediaType")]
    media_type: String,
    #[serde(rename = "verificationMaterial", default)]
    verification_material: Option<VerificationMaterial>,
    #[serde(rename = "dsseEnvelope", default)]
    dsse_envelope: Option<Envelope>,
}

#[derive(Serialize, Deserialize)]
struct VerificationMaterial {
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    public_key: Option<PublicKeyIdentifier>,
    #[serde(rename = "tlogEntries", default)]
    tlog_entries: Vec<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct PublicKeyIdentifier {
    #[serde(default)]
    hint: String,
}

/// The Sigstore bundle v0.3 holding `env`, naming `key` by its
/// [`PublicKey::hint`]: pretty-printed JSON ending in a newline.
pub fn to_sigstore_bundle(env: &Envelope, key: &PublicKey) -> String {
    let bundle = Bundle {
        media_type: BUNDLE_MEDIA_TYPE.to_owned(),
        verification_material: Some(VerificationMaterial {
            public_key: Some(PublicKeyIdentifier { hint: key.hint() }),
            tlog_entries: Vec::new(),
        }),
        dsse_envelope: Some(Envelope {
            payload: env.payload.clone(),
            payload_type: env.payload_type.clone(),
            signatures: env.signatures.iter().map(|s| Signature { keyid: String::new(), sig: s.sig.clone() }).collect(),
        }),
    };
    // Strings and lists of strings always serialize.
    let mut text = serde_json::to_string_pretty(&bundle).expect("a Sigstore bundle always serializes");
    text.push('\n');
    text
}

/// The DSSE envelope inside a Sigstore bundle, and the bundle's public key hint
/// if it has one. Bundles holding a message signature instead of an envelope,
/// and other media types, are refused.
pub fn envelope_from_sigstore_bundle(text: &str) -> Result<(Envelope, Option<String>), VerifyError> {
    let bundle: Bundle =
        serde_json::from_str(text).map_err(|source| VerifyError::Json { what: "Sigstore bundle", source })?;
    if bundle.media_type != BUNDLE_MEDIA_TYPE && !LEGACY_MEDIA_TYPES.contains(&bundle.media_type.as_str()) {
        return Err(VerifyError::UnsupportedBundle {
            reason: format!("mediaType is `{}`, expected `{BUNDLE_MEDIA_TYPE}`", bundle.media_type),
        });
    }
    let envelope = bundle
        .dsse_envelope
        .ok_or_else(|| VerifyError::UnsupportedBundle { reason: "it holds no dsseEnvelope".to_owned() })?;
    let hint = bundle.verification_material.and_then(|m| m.public_key).map(|k| k.hint).filter(|h| !h.is_empty());
    Ok((envelope, hint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::dsse::PAYLOAD_TYPE_INTOTO;
    use crate::attest::keys::SigningKey;
    use serde_json::json;

    fn signed() -> (SigningKey, Envelope) {
        let key = SigningKey::generate();
        let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, b"{}", &key, &key.public().hint());
        (key, env)
    }

    #[test]
    fn has_the_v03_shape_with_an_empty_keyid() {
        let (key, env) = signed();
        let text = to_sigstore_bundle(&env, &key.public());
        assert!(text.ends_with("}\n"));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({
                "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                "verificationMaterial": {"publicKey": {"hint": key.public().hint()}, "tlogEntries": []},
                "dsseEnvelope": {
                    "payload": "e30=",
                    "payloadType": "application/vnd.in-toto+json",
                    "signatures": [{"keyid": "", "sig": env.signatures[0].sig}],
                },
            })
        );
    }

    #[test]
    fn round_trips_and_still_verifies() {
        let (key, env) = signed();
        let text = to_sigstore_bundle(&env, &key.public());
        let (back, hint) = envelope_from_sigstore_bundle(&text).unwrap();
        assert_eq!(hint, Some(key.public().hint()));
        assert_eq!(back.payload, env.payload);
        assert_eq!(back.signatures[0].keyid, "");
        let (payload, _) = back.verify(&[key.public()]).unwrap();
        assert_eq!(payload, b"{}");
    }

    #[test]
    fn foreign_and_broken_bundles_are_errors() {
        let (key, env) = signed();
        let text = to_sigstore_bundle(&env, &key.public());
        for cut in [0, 5, text.len() / 2, text.len() - 3] {
            let err = envelope_from_sigstore_bundle(&text[..cut]).unwrap_err();
            assert!(matches!(err, VerifyError::Json { .. }), "{err:?}");
        }
        let err = envelope_from_sigstore_bundle(&text.replace("v0.3", "v9.9")).unwrap_err();
        assert!(err.to_string().contains("v9.9"), "{err}");

        let message_signature = json!({
            "mediaType": BUNDLE_MEDIA_TYPE,
            "verificationMaterial": {"publicKey": {"hint": "x"}, "tlogEntries": []},
            "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": "AA=="}, "signature": "AA=="},
        });
        let err = envelope_from_sigstore_bundle(&message_signature.to_string()).unwrap_err();
        assert!(err.to_string().contains("no dsseEnvelope"), "{err}");
    }

    #[test]
    fn a_legacy_media_type_without_a_hint_is_read() {
        let (key, env) = signed();
        let text = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
            "verificationMaterial": {"x509CertificateChain": {"certificates": []}, "tlogEntries": []},
            "dsseEnvelope": serde_json::to_value(&env).unwrap(),
        })
        .to_string();
        let (back, hint) = envelope_from_sigstore_bundle(&text).unwrap();
        assert_eq!(hint, None);
        assert!(back.verify(&[key.public()]).is_ok());
    }
}
