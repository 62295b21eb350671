#!/usr/bin/env python3
"""Checks firmware/doc.go's test vector with Python's tarfile and the
cryptography package, independently of the Go code:
    python3 firmware/testdata/vector_check.py firmware/testdata/vector.fw"""
import base64, hashlib, json, sys, tarfile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SEED = b"evalpad firmware test vendor!!!!"
SIG = bytes.fromhex(
    "73e1a18b899535663df4cfbf78bdadd4cd1f75144d793d94fd309360903f710c"
    "ffb575dd618f00172e4f5326aaa40e51a939ad8622fa0d640547acf2f2e7730b")

key = Ed25519PrivateKey.from_private_bytes(SEED)
pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
key_id = "SHA256:" + base64.b64encode(hashlib.sha256(pub).digest()).decode().rstrip("=")
with open(sys.argv[1].replace("vector.fw", "vendor.pub")) as f:
    assert base64.b64decode(f.read().strip()) == pub, "vendor.pub is not the seed's key"

with tarfile.open(sys.argv[1], "r:") as tf:
    members = tf.getmembers()
    assert [m.name for m in members] == ["manifest.json", "manifest.sig", "payload"], members
    assert all(m.isreg() for m in members)
    manifest, sig, payload = (tf.extractfile(m).read() for m in members)

assert sig == SIG, sig.hex()
# Deterministic ed25519: signing again gives the same bytes.
assert key.sign(b"evalpad-firmware-v1\n" + manifest) == SIG
Ed25519PublicKey.from_public_bytes(pub).verify(sig, b"evalpad-firmware-v1\n" + manifest)
m = json.loads(manifest)
assert m["key_id"] == key_id, (m["key_id"], key_id)
assert m["size"] == len(payload) and m["sha256"] == hashlib.sha256(payload).hexdigest()
print("vector ok:", key_id, manifest.decode())
