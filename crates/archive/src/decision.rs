//! Gate decision records: a DSSE envelope of an in-toto Statement whose predicate is a SLSA
//! Verification Summary. The archive stores the record's bytes as given and indexes the
//! [`DecisionMeta`] the gate passes with it; both when appending and when verifying, the two
//! must agree: `promote` with `verificationResult`, `policy_sha256` with `policy.digest`,
//! `inputs` with the `inputAttestations` digests (each `uri` naming the bundle of its digest,
//! see [`input_uri`]), and stage, candidate and revision with `resourceUri`
//! (`certify:platform@VERSION?stage=STAGE[&rev=REV]`).

use std::collections::BTreeSet;

use certify_evidence::attest::{
    Envelope, PAYLOAD_TYPE_INTOTO, PublicKey, STATEMENT_TYPE, Statement, VSA_PREDICATE, verify_attestation,
};
use serde_json::Value;

use crate::{
    index::{DecisionMeta, IndexEntry},
    store::decode,
};

/// The statement a decision record carries, read without checking its signature. The record
/// is read as certify writes it ([`Envelope::from_jsonl`]); a record given without its final
/// newline is read as if it had it (it is stored with it).
pub(crate) fn read(bytes: &[u8]) -> Result<(Envelope, Statement), String> {
    if bytes.strip_suffix(b"\n").unwrap_or(bytes).contains(&b'\n') {
        return Err("the record is more than one line: a decision record is one DSSE envelope".to_owned());
    }
    let mut file = bytes.to_vec();
    if !file.ends_with(b"\n") {
        file.push(b'\n');
    }
    let envelope = Envelope::from_jsonl(&file).map_err(|e| e.to_string())?;
    if envelope.payload_type != PAYLOAD_TYPE_INTOTO {
        return Err(format!("payloadType is {:?}, expected {PAYLOAD_TYPE_INTOTO:?}", envelope.payload_type));
    }
    let payload = envelope.payload_bytes().map_err(|e| e.to_string())?;
    let statement = Statement::from_bytes(&payload).map_err(|e| e.to_string())?;
    check_statement(&statement)?;
    Ok((envelope, statement))
}

/// Verifies the stored record, exactly as certify writes it, against `keys`
/// ([`verify_attestation`]) and returns the signed statement.
pub(crate) fn verify(bytes: &[u8], keys: &[PublicKey]) -> Result<Statement, String> {
    let statement = verify_attestation(bytes, keys).map_err(|e| e.as_problem())?.statement;
    check_statement(&statement)?;
    Ok(statement)
}

fn check_statement(statement: &Statement) -> Result<(), String> {
    if statement.type_ != STATEMENT_TYPE {
        return Err(format!("statement _type is {:?}, expected {STATEMENT_TYPE:?}", statement.type_));
    }
    if statement.predicate_type != VSA_PREDICATE {
        return Err(format!("predicateType is {:?}, expected {VSA_PREDICATE:?}", statement.predicate_type));
    }
    Ok(())
}

/// Where the index's fields and the signed predicate disagree, one sentence each.
pub(crate) fn disagreements(meta: &DecisionMeta, statement: &Statement) -> Vec<String> {
    let p = &statement.predicate;
    let mut out = Vec::new();
    let result = p["verificationResult"].as_str().unwrap_or("");
    let expected = if meta.promote { "PASSED" } else { "FAILED" };
    if result != expected {
        out.push(format!(
            "promote is {}, but the record's verificationResult is {result:?} (expected {expected:?})",
            meta.promote
        ));
    }
    let policy = p["policy"]["digest"]["sha256"].as_str().unwrap_or("");
    if policy != meta.policy_sha256 {
        out.push(format!("policy_sha256 is {}, the record's policy digest is {policy:?}", meta.policy_sha256));
    }
    let inputs: BTreeSet<&str> = match &p["inputAttestations"] {
        Value::Array(list) => list.iter().filter_map(|i| i["digest"]["sha256"].as_str()).collect(),
        _ => BTreeSet::new(),
    };
    if let Value::Array(list) = &p["inputAttestations"] {
        for (i, input) in list.iter().enumerate() {
            if let Some(problem) = misnamed_input(input) {
                out.push(format!("the record's inputAttestations[{i}] {problem}"));
            }
        }
    }
    let listed: BTreeSet<&str> = meta.inputs.iter().map(String::as_str).collect();
    if inputs != listed {
        out.push(format!(
            "inputs are [{}], the record's inputAttestations are [{}]",
            listed.into_iter().collect::<Vec<_>>().join(", "),
            inputs.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let uri = p["resourceUri"].as_str().unwrap_or("");
    match parse_resource_uri(uri) {
        None => out.push(format!("the record's resourceUri {uri:?} is not certify:platform@VERSION?stage=STAGE")),
        Some((candidate, stage, rev)) => {
            if candidate != meta.candidate {
                out.push(format!("candidate is {:?}, the record is about version {candidate:?}", meta.candidate));
            }
            if stage != meta.stage {
                out.push(format!("stage is {:?}, the record is about stage {stage:?}", meta.stage));
            }
            if rev != meta.rev {
                out.push(format!("rev is {:?}, the record's revision is {rev:?}", meta.rev));
            }
        }
    }
    out
}

/// Why an `inputAttestations` entry's `uri` does not name the bundle its digest is (see
/// [`input_uri`]): it must end with `bundles/<digest>/attestation.intoto.jsonl` (or
/// `bundle.json`). Records written before URIs were relative to the archive's root had the
/// archive's location in front; they still name their bundle.
fn misnamed_input(input: &Value) -> Option<String> {
    let digest = input["digest"]["sha256"].as_str()?;
    let uri = input["uri"].as_str().unwrap_or("");
    let named = [true, false].iter().any(|&signed| {
        let wanted = format!("bundles/{digest}/{}", crate::bundle::id_file(signed));
        uri == wanted || uri.strip_suffix(&wanted).is_some_and(|location| location.ends_with('/'))
    });
    (!named).then(|| {
        format!(
            "has uri {uri:?}, which does not name bundle {digest} (expected \"bundles/{digest}/{}\")",
            crate::bundle::id_file(true)
        )
    })
}

/// `certify:platform@VERSION?stage=STAGE[&rev=REV]` into (version, stage, rev).
fn parse_resource_uri(uri: &str) -> Option<(String, String, Option<String>)> {
    let rest = uri.strip_prefix("certify:platform@")?;
    let (version, query) = rest.split_once('?')?;
    let mut stage = None;
    let mut rev = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("stage", v)) => stage = Some(decode(v)),
            Some(("rev", v)) => rev = Some(decode(v)),
            _ => {}
        }
    }
    Some((version.to_owned(), stage?, rev))
}

/// How a decision record names a bundle it relied on (`inputAttestations[].uri`): the file its
/// id is the sha256 of, relative to the archive's root, so that the record says the same
/// wherever the archive is kept (a directory on any machine, or S3):
/// `bundles/<id>/attestation.intoto.jsonl`, or `bundles/<id>/bundle.json` for a bundle archived
/// unsigned. `None` for an entry that is not a bundle.
pub fn input_uri(entry: &IndexEntry) -> Option<String> {
    let meta = entry.bundle()?;
    Some(format!("bundles/{}/{}", entry.id, crate::bundle::id_file(meta.signed)))
}

/// The field of the decision record's predicate that holds the checkpoint (the signed note's
/// text) of the archive the gate decided on.
pub const CHECKPOINT_FIELD: &str = "archiveCheckpoint";

/// Puts the checkpoint `note` the decision was made on into the record's predicate.
pub fn embed_checkpoint(predicate: &mut Value, note: &str) {
    if let Value::Object(map) = predicate {
        map.insert(CHECKPOINT_FIELD.to_owned(), Value::String(note.to_owned()));
    }
}

/// The checkpoint note a decision record carries, if any.
pub(crate) fn embedded_checkpoint(statement: &Statement) -> Option<&str> {
    statement.predicate.get(CHECKPOINT_FIELD).and_then(Value::as_str)
}

/// Whether `s` is a sha256 in lowercase hex.
pub(crate) fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uris_parse() {
        assert_eq!(
            parse_resource_uri("certify:platform@2.0.0?stage=prod%20eu%26x&rev=abc1234"),
            Some(("2.0.0".into(), "prod eu&x".into(), Some("abc1234".into())))
        );
        assert_eq!(
            parse_resource_uri("certify:platform@2.0.0?stage=production"),
            Some(("2.0.0".into(), "production".into(), None))
        );
        assert_eq!(parse_resource_uri("certify:platform@2.0.0"), None);
        assert_eq!(parse_resource_uri("other:x@1?stage=a"), None);
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(decode("%41%"), "A%");
    }

    #[test]
    fn an_input_uri_names_its_bundle() {
        let d = "d".repeat(64);
        let input = |uri: &str| serde_json::json!({ "uri": uri, "digest": { "sha256": d } });
        for good in [
            format!("bundles/{d}/attestation.intoto.jsonl"),
            format!("bundles/{d}/bundle.json"),
            format!("/srv/evidence/bundles/{d}/attestation.intoto.jsonl"),
            format!("s3://b/p/bundles/{d}/attestation.intoto.jsonl"),
        ] {
            assert_eq!(misnamed_input(&input(&good)), None, "{good}");
        }
        for bad in [
            format!("bundles/{}/attestation.intoto.jsonl", "e".repeat(64)),
            format!("xbundles/{d}/attestation.intoto.jsonl"),
            format!("bundles/{d}/junit.xml"),
            "bundles/".to_owned(),
            String::new(),
        ] {
            let problem = misnamed_input(&input(&bad)).expect(&bad);
            assert!(problem.contains(&format!("does not name bundle {d}")), "{problem}");
        }
    }

    #[test]
    fn sha256_shape() {
        assert!(is_sha256(&"a".repeat(64)));
        assert!(!is_sha256(&"A".repeat(64)));
        assert!(!is_sha256("../../etc"));
        assert!(!is_sha256(&"a".repeat(63)));
    }
}
