#!/usr/bin/env python3
"""Independent generator of sfumato_kat.json (known answers for the
symmetric module's own constructions).

This script re-implements, from their documentation and with the Python
`cryptography` package (OpenSSL) rather than the Rust crates, the three
constructions sfumato-crypto defines on top of standard primitives:

* the PRF (symmetric/prf.rs): ChaCha20 (RFC 8439) keystream under the key,
  nonce LE64(counter) || LE32(domain), block counter from 0, read as
  little-endian 64-bit words; uniform = (w >> 11) * 2^-53; below(m) =
  first w >= 2^64 mod m, reduced mod m;
* pairwise keys (symmetric/keys.rs): HKDF-SHA256(salt none, IKM = X25519
  shared secret, info = LABEL || min(pk) || max(pk) || context);
* DREAM masks (symmetric/mask.rs): selection uniform(PRF(K, (DRse, t))) < p,
  dummy key +-PRF(K, (DRdk, t)) by id order, aggregator key
  PRF(K', (DRks, t)).

The Rust tests (tests/symmetric_vectors.rs) check the crate against the
JSON this writes, so agreement means two implementations agree. Run once:

    python3 generate_kat.py > sfumato_kat.json

(needs `cryptography`; tested with 48.0.0). The output is deterministic.
"""
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASK64 = (1 << 64) - 1


def tag(s: bytes) -> int:
    return struct.unpack("<I", s)[0]


SELECTION = tag(b"DRse")
DUMMY = tag(b"DRdk")
KEYSTREAM = tag(b"DRks")


def nonce(domain: int, counter: int) -> bytes:
    return struct.pack("<QI", counter, domain)


def keystream(key: bytes, nonce12: bytes, nbytes: int) -> bytes:
    # cryptography's ChaCha20 takes a 16-byte nonce: LE32 block counter || 96-bit nonce.
    enc = Cipher(algorithms.ChaCha20(key, b"\x00\x00\x00\x00" + nonce12), mode=None).encryptor()
    return enc.update(b"\x00" * nbytes)


def words(key, n12, n):
    ks = keystream(key, n12, 8 * n)
    return [struct.unpack("<Q", ks[8 * i : 8 * i + 8])[0] for i in range(n)]


def uniform(key, n12):
    return (words(key, n12, 1)[0] >> 11) * 2.0**-53


def below(key, n12, m):
    threshold = ((1 << 64) - m) % m
    i = 0
    while True:
        i += 1
        ws = words(key, n12, i)
        if ws[-1] >= threshold:
            return ws[-1] % m, i - 1


def sha(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def prf_section():
    keys = {
        "zero": bytes(32),
        "counting": bytes(range(32)),
        "sha256(sfumato prf kat)": sha("sfumato prf kat"),
    }
    nonces = [
        ("u64 0", nonce(0, 0)),
        ("u64 1", nonce(0, 1)),
        ("u64 2^64-1", nonce(0, MASK64)),
        ("domain DRdk, counter 17", nonce(DUMMY, 17)),
        ("raw 000000090000004a00000000", bytes.fromhex("000000090000004a00000000")),
    ]
    ms = [1, 2, 3, 10, 1000003, (1 << 63) + 1, MASK64]
    cases = []
    rejected = 0
    for kname, key in keys.items():
        for nname, n12 in nonces:
            bel = []
            for m in ms:
                v, r = below(key, n12, m)
                rejected += r
                bel.append({"m": str(m), "value": str(v), "rejected_words": r})
            cases.append(
                {
                    "key_name": kname,
                    "key": key.hex(),
                    "nonce_name": nname,
                    "nonce": n12.hex(),
                    "words": [str(w) for w in words(key, n12, 10)],
                    "uniform": repr(uniform(key, n12)),
                    "below": bel,
                }
            )
    assert rejected > 0, "no case exercises rejection in below()"
    return cases


LABEL = b"sfumato/pairwise-key/x25519-hkdf-sha256/v1"


def raw_public(sk: X25519PrivateKey) -> bytes:
    return sk.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def pairwise(sk_bytes: bytes, their_pk: bytes, context: bytes) -> bytes:
    sk = X25519PrivateKey.from_private_bytes(sk_bytes)
    mine = raw_public(sk)
    shared = sk.exchange(X25519PublicKey.from_public_bytes(their_pk))
    lo, hi = sorted([mine, their_pk])
    return HKDF(hashes.SHA256(), 32, None, LABEL + lo + hi + context).derive(shared)


def pairwise_section():
    # RFC 7748 §6.1 key pairs.
    alice = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    bob = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
    a_pk = raw_public(X25519PrivateKey.from_private_bytes(alice))
    b_pk = raw_public(X25519PrivateKey.from_private_bytes(bob))
    out = []
    for ctx in [b"", b"dream/dummy-keys", b"tremel/aead"]:
        k_ab = pairwise(alice, b_pk, ctx)
        assert k_ab == pairwise(bob, a_pk, ctx)
        out.append(
            {
                "secret_a": alice.hex(),
                "secret_b": bob.hex(),
                "public_a": a_pk.hex(),
                "public_b": b_pk.hex(),
                "context_hex": ctx.hex(),
                "key": k_ab.hex(),
            }
        )
    return out


def dummy(me, peer, key, slot):
    k = words(key, nonce(DUMMY, slot), 1)[0]
    return k if me > peer else (-k) & MASK64


def pair_key(i, j):
    lo, hi = min(i, j), max(i, j)
    return hashlib.sha256(b"sfumato mask kat" + struct.pack("<QQ", lo, hi)).digest()


def agg_key(i):
    return hashlib.sha256(b"sfumato mask kat aggregator" + struct.pack("<Q", i)).digest()


def mask_section():
    ids = [3, 7, 10, 42, 1000]
    out = []
    for p in [1.0, 0.5]:
        for slot in [0, 1, 12345, MASK64]:
            meters = []
            total = 0
            for i in ids:
                parts = [j for j in ids if j != i and uniform(pair_key(i, j), nonce(SELECTION, slot)) < p]
                sk = 0
                for j in parts:
                    sk = (sk + dummy(i, j, pair_key(i, j), slot)) & MASK64
                total = (total + sk) & MASK64
                meters.append(
                    {
                        "id": i,
                        "participants": parts,
                        "slot_key": str(sk),
                        "aggregator_key": str(words(agg_key(i), nonce(KEYSTREAM, slot), 1)[0]),
                    }
                )
            assert total == 0
            out.append({"selection_probability": p, "slot": str(slot), "meters": meters})
    return out


def main():
    doc = {
        "description": "Known answers for sfumato-crypto's symmetric constructions (PRF, pairwise-key derivation, DREAM masks).",
        "produced_by": "tests/vectors/symmetric/generate_kat.py: an independent Python re-implementation on the `cryptography` package (OpenSSL ChaCha20, X25519, HKDF), run once as `python3 generate_kat.py > sfumato_kat.json`; not produced by the Rust code under test.",
        "conventions": {
            "u64 values": "decimal strings",
            "bytes": "lower-case hex",
            "pair keys of the mask section": "SHA-256('sfumato mask kat' || LE64(min id) || LE64(max id))",
            "aggregator keys of the mask section": "SHA-256('sfumato mask kat aggregator' || LE64(id))",
        },
        "prf": prf_section(),
        "pairwise": pairwise_section(),
        "mask": mask_section(),
    }
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
