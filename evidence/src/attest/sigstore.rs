//! The Sigstore bundle v0.3 form of a DSSE envelope
//! (<https://github.com/sigstore/protobuf-specs>): the same payload and
//! signature, with the public key named only by a hint and no transparency log
//! entry, so that cosign and sigstore-js verify it offline with the public key.
//! The hint is [`PublicKey::hint`], base64 of the SHA-256 of the SPKI DER, the
//! form sigstore-go and cosign write for a key (sigstore-js looks the key up by
//! whatever hint its caller maps it to). The DSSE `keyid` is left empty inside
//! the bundle, as Sigstore's own bundles have it.
//!
//! A bundle is read only as certify writes it: [`check_sigstore_bundle`]
//! parses strictly (no unknown or duplicate field), then requires the same
//! envelope as the `.intoto.jsonl` file, the signer's hint, and the file's
//! bytes to be exactly [`to_sigstore_bundle`] of that envelope and key.

use serde::{Deserialize, Serialize};

use super::dsse::{Envelope, Signature, VerifyError};
use super::keys::PublicKey;

/// The media type of a Sigstore bundle v0.3.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bundle {
    #[serde(rename = "mediaType")]
    media_type: String,
    #[serde(rename = "verificationMaterial", default)]
    verification_material: Option<VerificationMaterial>,
    #[serde(rename = "dsseEnvelope", default)]
    dsse_envelope: Option<Envelope>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerificationMaterial {
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    public_key: Option<PublicKeyIdentifier>,
    #[serde(rename = "tlogEntries", default)]
    tlog_entries: Vec<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeyIdentifier {
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

/// The DSSE envelope inside a Sigstore bundle, and the bundle's public key
/// hint if it has one, parsed strictly: no unknown or duplicate field, the v0.3
/// media type, a `dsseEnvelope` (not a message signature). This only reads;
/// [`check_sigstore_bundle`] is what verification uses.
pub fn envelope_from_sigstore_bundle(text: &str) -> Result<(Envelope, Option<String>), VerifyError> {
    let bundle: Bundle =
        serde_json::from_str(text).map_err(|source| VerifyError::Json { what: "Sigstore bundle", source })?;
    if bundle.media_type != BUNDLE_MEDIA_TYPE {
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

/// Checks that `bytes` are exactly the Sigstore bundle certify writes for
/// `envelope` (the one of `attestation.intoto.jsonl`, already verified) signed
/// by `signer`: it parses strictly, carries the same payload, payload type and
/// one signature with an empty keyid, names the signer by its hint, and is byte
/// for byte [`to_sigstore_bundle`]`(envelope, signer)`. Says what differs.
pub fn check_sigstore_bundle(bytes: &[u8], envelope: &Envelope, signer: &PublicKey) -> Result<(), VerifyError> {
    const WHAT: &str = "Sigstore bundle";
    let not_as_written = |reason: String| VerifyError::NotAsWritten { what: WHAT, reason };
    let text = std::str::from_utf8(bytes).map_err(|_| not_as_written("the file is not UTF-8 text".to_owned()))?;
    let (inner, hint) = envelope_from_sigstore_bundle(text)?;
    if inner.signatures.len() != 1 {
        return Err(VerifyError::SignatureCount { found: inner.signatures.len() });
    }
    if inner.payload != envelope.payload
        || inner.payload_type != envelope.payload_type
        || inner.signatures.iter().map(|s| &s.sig).ne(envelope.signatures.iter().map(|s| &s.sig))
    {
        return Err(not_as_written("it carries another envelope than attestation.intoto.jsonl".to_owned()));
    }
    if !inner.signatures[0].keyid.is_empty() {
        return Err(not_as_written(format!("its signature keyid is {:?}, expected \"\"", inner.signatures[0].keyid)));
    }
    if hint.as_deref() != Some(signer.hint().as_str()) {
        return Err(not_as_written(format!(
            "its publicKey hint is {:?}, expected {:?} (the hint of the key that signed)",
            hint.unwrap_or_default(),
            signer.hint()
        )));
    }
    let canonical = to_sigstore_bundle(envelope, signer);
    if canonical != text {
        let reason = if text.trim_end() == canonical.trim_end() {
            "whitespace after its closing brace differs".to_owned()
        } else {
            "its JSON is formatted otherwise (indentation, key order, escapes or tlogEntries differ)".to_owned()
        };
        return Err(not_as_written(reason));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attest::dsse::PAYLOAD_TYPE_INTOTO;
    use crate::attest::keys::SigningKey;
    use serde_json::json;

    fn signed() -> (SigningKey, Envelope) {
        let key = SigningKey::generate();
        let env = Envelope::sign(PAYLOAD_TYPE_INTOTO, b"{}", &key);
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
        assert!(err.to_string().contains("unknown field `messageSignature`"), "{err}");
        let err = envelope_from_sigstore_bundle(&json!({"mediaType": BUNDLE_MEDIA_TYPE}).to_string()).unwrap_err();
        assert!(err.to_string().contains("no dsseEnvelope"), "{err}");
    }

    #[test]
    fn a_legacy_media_type_is_refused() {
        let (_, env) = signed();
        let text = json!({
            "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
            "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
            "dsseEnvelope": serde_json::to_value(&env).unwrap(),
        })
        .to_string();
        let err = envelope_from_sigstore_bundle(&text).unwrap_err();
        assert!(err.to_string().contains("version=0.2"), "{err}");
    }

    /// Every way a bundle can differ from what certify writes, each refused with its reason.
    #[test]
    fn a_bundle_is_accepted_only_as_certify_writes_it() {
        let (key, env) = signed();
        let text = to_sigstore_bundle(&env, &key.public());
        check_sigstore_bundle(text.as_bytes(), &env, &key.public()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v = value.clone();
            f(&mut v);
            serde_json::to_string_pretty(&v).unwrap() + "\n"
        };
        let other = SigningKey::generate();
        let second = Envelope::sign(PAYLOAD_TYPE_INTOTO, b"{}", &other).signatures[0].sig.clone();
        let (_, foreign) = signed();
        let cases: Vec<(&str, String, &str)> = vec![
            ("extra top-level field", edit(&|v| v["x"] = 1.into()), "unknown field `x`"),
            (
                "extra verificationMaterial field",
                edit(&|v| v["verificationMaterial"]["x"] = 1.into()),
                "unknown field `x`",
            ),
            (
                "extra publicKey field",
                edit(&|v| v["verificationMaterial"]["publicKey"]["x"] = 1.into()),
                "unknown field `x`",
            ),
            ("extra dsseEnvelope field", edit(&|v| v["dsseEnvelope"]["x"] = 1.into()), "unknown field `x`"),
            (
                "extra signature field",
                edit(&|v| v["dsseEnvelope"]["signatures"][0]["x"] = 1.into()),
                "unknown field `x`",
            ),
            (
                "second signature",
                edit(&|v| {
                    let sigs = v["dsseEnvelope"]["signatures"].as_array_mut().unwrap();
                    sigs.push(json!({"keyid": "", "sig": second}));
                }),
                "2 signatures, expected exactly 1",
            ),
            ("keyid set", edit(&|v| v["dsseEnvelope"]["signatures"][0]["keyid"] = key.public().hint().into()), "keyid"),
            (
                "keyid of the signer",
                edit(&|v| v["dsseEnvelope"]["signatures"][0]["keyid"] = key.public().keyid().into()),
                "keyid",
            ),
            (
                "another hint",
                edit(&|v| v["verificationMaterial"]["publicKey"]["hint"] = other.public().hint().into()),
                "publicKey hint",
            ),
            (
                "no publicKey",
                edit(&|v| {
                    v["verificationMaterial"].as_object_mut().unwrap().shift_remove("publicKey");
                }),
                "publicKey hint",
            ),
            ("a tlog entry", edit(&|v| v["verificationMaterial"]["tlogEntries"] = json!([{}])), "formatted otherwise"),
            ("another envelope", to_sigstore_bundle(&foreign, &key.public()), "another envelope"),
            ("unpadded payload", edit(&|v| v["dsseEnvelope"]["payload"] = "e30".into()), "another envelope"),
            ("compact", serde_json::to_string(&value).unwrap() + "\n", "formatted otherwise"),
            (
                "reordered",
                {
                    let mut v = value.clone();
                    let o = v.as_object_mut().unwrap();
                    let m = o.shift_remove("mediaType").unwrap();
                    o.insert("mediaType".to_owned(), m);
                    serde_json::to_string_pretty(&v).unwrap() + "\n"
                },
                "formatted otherwise",
            ),
            ("four-space indent", text.replace("  ", "    "), "formatted otherwise"),
            ("trailing newline", format!("{text}\n"), "whitespace after"),
            ("no newline", text.trim_end().to_owned(), "whitespace after"),
            ("appended envelope", format!("{text}{}", env.to_jsonl()), "trailing characters"),
            (
                "duplicated line",
                text.replacen("\"mediaType\"", "\"mediaType\": \"x\",\n  \"mediaType\"", 1),
                "duplicate field `mediaType`",
            ),
            ("truncated", text[..text.len() / 2].to_owned(), "EOF"),
            ("not UTF-8", "\u{fffd}".to_owned() + &text, "expected value"),
        ];
        for (name, bad, expect) in cases {
            let err = check_sigstore_bundle(bad.as_bytes(), &env, &key.public()).expect_err(name);
            assert!(err.to_string().contains(expect), "{name}: {err}");
        }
        let err = check_sigstore_bundle(b"\xff{}", &env, &key.public()).unwrap_err();
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }
}
