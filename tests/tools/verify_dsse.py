#!/usr/bin/env python3
"""Verify certify's DSSE envelopes with securesystemslib, an implementation that is not certify's.

Usage: verify_dsse.py PUBLIC_KEY.pem ENVELOPE [BUNDLE_DIR]

ENVELOPE is an attestation.intoto.jsonl (one envelope per line; the first is
checked), an attestation.sigstore.json (its dsseEnvelope is checked) or a
decision record. securesystemslib checks the Ed25519 signature over the DSSE
pre-authentication encoding; this script then checks the payload type, that
the payload is an in-toto Statement v1 and, with BUNDLE_DIR, that every named
subject has the sha256 the statement gives it. Prints the predicate type and
result; exits 0 when everything holds and 1 otherwise.

Needs: pip install securesystemslib cryptography
"""
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"


def read_envelope(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".jsonl"):
        doc = json.loads(text.splitlines()[0])
    else:
        doc = json.loads(text)
    return doc.get("dsseEnvelope", doc)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    key_path, envelope_path = argv[1], argv[2]
    envelope = read_envelope(envelope_path)
    # The keyid is a hint; the key to trust is the one named on the command line.
    for signature in envelope.get("signatures", []):
        signature["keyid"] = "trusted"
    with open(key_path, "rb") as f:
        key = SSlibKey.from_crypto(load_pem_public_key(f.read()), keyid="trusted")
    parsed = Envelope.from_dict(envelope)
    parsed.verify([key], 1)  # raises when no signature verifies
    if parsed.payload_type != PAYLOAD_TYPE:
        print(f"payloadType is {parsed.payload_type!r}, expected {PAYLOAD_TYPE!r}")
        return 1
    statement = json.loads(parsed.payload)
    if statement.get("_type") != STATEMENT_TYPE:
        print(f"not an in-toto Statement v1: _type is {statement.get('_type')!r}")
        return 1
    if len(argv) > 3:
        root = argv[3]
        for subject in statement.get("subject", []):
            name, want = subject.get("name"), subject.get("digest", {}).get("sha256")
            if not name or not want:
                continue
            got = sha256_file(os.path.join(root, name))
            if got != want:
                print(f"{name}: sha256 is {got}, the statement says {want}")
                return 1
    predicate = statement.get("predicate", {})
    print(statement.get("predicateType"), predicate.get("result", predicate.get("verificationResult")))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as error:  # a failed verification is an answer, not a crash
        print(f"verification failed: {type(error).__name__}: {error}")
        sys.exit(1)
