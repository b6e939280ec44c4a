#!/usr/bin/env python3
"""A C2SP tlog-witness, written apart from certify, for the tests: it checks an
add-checkpoint request body as a witness does and answers with its cosignature.

Usage: witness.py STATE_DIR LOG_PUBLIC_KEY.pem WITNESS_NAME < REQUEST_BODY

STATE_DIR holds the witness's key (witness.key, made on first use) and, per
origin, the latest checkpoint it cosigned. The request is checked as
c2sp.org/tlog-witness says: the log's Ed25519 note signature (key name
certify-archive, key id SHA-256(name || "\\n" || 0x01 || key)[:4]), the old
size against the size held (409 and the held size otherwise), and the RFC 6962
consistency proof from the held root (RFC 9162 section 2.1.4.2; 422 when it
fails). On success prints the cosignature line (c2sp.org/tlog-cosignature,
Ed25519 cosignature/v1 at the time given by WITNESS_TIME or now) and exits 0;
otherwise prints the HTTP status it would answer and why, and exits 1.
`witness.py STATE_DIR --vkey WITNESS_NAME` prints the witness's verifier key.

Needs: pip install cryptography
"""
import base64
import hashlib
import os
import struct
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

LOG_KEY_NAME = "certify-archive"


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def consistent(old, new, old_root, new_root, proof):
    """RFC 9162 section 2.1.4.2, step by step."""
    if old > new:
        return False
    if old == 0:
        return not proof
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def raw(public_key):
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name, alg, key_bytes):
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + key_bytes).digest()[:4]


def witness_key(state):
    path = os.path.join(state, "witness.key")
    if not os.path.exists(path):
        os.makedirs(state, exist_ok=True)
        with open(path, "wb") as f:
            f.write(os.urandom(32))
    with open(path, "rb") as f:
        return Ed25519PrivateKey.from_private_bytes(f.read())


def refuse(status, why):
    print(f"{status}: {why}")
    sys.exit(1)


def main():
    state = sys.argv[1]
    key = witness_key(state)
    if sys.argv[2] == "--vkey":
        name, pub = sys.argv[3], raw(key.public_key())
        print(f"{name}+{key_id(name, 4, pub).hex()}+{base64.b64encode(bytes([4]) + pub).decode()}")
        return
    with open(sys.argv[2], "rb") as f:
        log_key = load_pem_public_key(f.read())
    name = sys.argv[3]
    body = sys.stdin.buffer.read().decode("utf-8")

    head, _, note = body.partition("\n\n")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        refuse(400, "no old size line")
    old = int(lines[0][4:])
    proof = [base64.b64decode(l, validate=True) for l in lines[1:]]
    if len(proof) > 63 or any(len(h) != 32 for h in proof):
        refuse(400, "bad proof lines")
    text, sep, sigs = note.rpartition("\n\n")
    text += "\n"
    origin, size, root = text.split("\n")[:3]
    size, root = int(size), base64.b64decode(root)

    want = key_id(LOG_KEY_NAME, 1, raw(log_key))
    signed = False
    for line in sigs.splitlines():
        sig_name, blob = line[2:].split(" ", 1)
        blob = base64.b64decode(blob)
        if sig_name == LOG_KEY_NAME and blob[:4] == want:
            try:
                log_key.verify(blob[4:], text.encode())
                signed = True
            except Exception:
                pass
    if not signed:
        refuse(403, "no signature of the log's key verifies")

    held = os.path.join(state, hashlib.sha256(origin.encode()).hexdigest())
    held_size, held_root = 0, b""
    if os.path.exists(held):
        with open(held, encoding="utf-8") as f:
            s, r = f.read().split()
            held_size, held_root = int(s), base64.b64decode(r)
    if old > size:
        refuse(400, "old size beyond the checkpoint")
    if old != held_size:
        refuse(409, str(held_size))
    if not consistent(old, size, held_root, root, proof):
        refuse(422, "the consistency proof does not verify")
    with open(held, "w", encoding="utf-8") as f:
        f.write(f"{size} {base64.b64encode(root).decode()}\n")

    ts = int(os.environ.get("WITNESS_TIME", time.time()))
    message = f"cosignature/v1\ntime {ts}\n".encode() + text.encode()
    cosig = key_id(name, 4, raw(key.public_key())) + struct.pack(">Q", ts) + key.sign(message)
    print(f"\u2014 {name} {base64.b64encode(cosig).decode()}")


if __name__ == "__main__":
    main()
