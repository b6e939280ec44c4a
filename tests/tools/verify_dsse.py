#!/usr/bin/env python3
"""Verify certify's DSSE envelopes with securesystemslib, an implementation that is not certify's.

Usage: verify_dsse.py PUBLIC_KEY.pem ENVELOPE [BUNDLE_DIR]

ENVELOPE is an attestation.intoto.jsonl or a decision record (one envelope on
one line). Stock securesystemslib checks it, as any of its users would:
Envelope.from_dict, then Envelope.verify([SSlibKey.from_crypto(key)], 1),
which needs the signature's keyid to be the one securesystemslib computes
for the key (certify writes exactly that) and the Ed25519 signature over the
DSSE pre-authentication encoding to verify. The Sigstore bundle form
(attestation.sigstore.json) leaves the keyid empty, as Sigstore does: verify
it with tests/tools/verify_sigstore.mjs. This script then checks the payload type, that
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
    if '"dsseEnvelope"' in text:
        raise ValueError(f"{path} is a Sigstore bundle (keyid empty): verify it with tests/tools/verify_sigstore.mjs")
    lines = text.splitlines()
    if len(lines) != 1:
        raise ValueError(f"{path}: {len(lines)} lines, expected one envelope on one line")
    return json.loads(lines[0])


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
    with open(key_path, "rb") as f:
        key = SSlibKey.from_crypto(load_pem_public_key(f.read()))
    parsed = Envelope.from_dict(read_envelope(envelope_path))
    parsed.verify([key], 1)  # raises unless the key's signature, under its keyid, verifies
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
