#!/usr/bin/python3
"""
Pre-makes a pool of single-use WebAuthn assertions for the benchmark.

Every line of the pool file is one ready "Authorization" header value,
"WebAuthn <base64url(JSON)>", carrying its own freshly minted sealed
challenge (design.md, "Challenges"):

  57 bytes = 0x01 || expiry ms since epoch (8 bytes BE) || nonce (16)
             || HMAC-SHA-256(key, 0x01 || expiry || nonce || rp_id)

key = the whole content of --secret-file.  Credentials are written as a
Redis protocol stream (for "redis-cli --pipe") following design.md's
schema: hash <prefix>cred:<b64url rawId> with public_key (COSE_Key,
base64url), user_handle, user_name, sign_count, roles.

Line j (of --count) goes to "<out>.<j % threads>", the --sample lines
after them to "<out>.sample".  Line j is signed by credential j % creds.
With --counter inc, its sign counter is j // creds + 1, so the counter of
every credential increases along the pool; with creds a multiple of the
thread count one credential is used by one wrk thread only, creds /
threads requests apart.  With --counter zero every
counter is 0 (synced passkeys: nothing to store).

--keys FILE keeps the credentials' private keys: read when it exists (the
same credentials again), written otherwise.  Signing is spread over --procs
processes (fork).  Uses only
python3-cryptography; run with /usr/bin/python3.
"""

import argparse
import base64
import hashlib
import hmac
import json
import multiprocessing
import os
import struct
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# minimal canonical CBOR (RFC 8949) for COSE_Key maps

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    return bytes([major << 5 | 26]) + struct.pack(">I", n)


def cbor(v):
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, list):          # list of (key, value): keeps order
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x)
                                                for k, x in v)
    raise TypeError(type(v))


def cose_of(alg, k):
    if alg == "es256":
        n = k.public_key().public_numbers()
        return cbor([(1, 2), (3, -7), (-1, 1),
                     (-2, n.x.to_bytes(32, "big")),
                     (-3, n.y.to_bytes(32, "big"))])
    if alg == "rs256":
        n = k.public_key().public_numbers()
        return cbor([(1, 3), (3, -257),
                     (-1, n.n.to_bytes(256, "big")),
                     (-2, n.e.to_bytes(3, "big"))])
    if alg == "eddsa":
        raw = k.public_key().public_bytes(serialization.Encoding.Raw,
                                          serialization.PublicFormat.Raw)
        return cbor([(1, 1), (3, -8), (-1, 6), (-2, raw)])
    raise ValueError(alg)


def make_key(alg):
    if alg == "es256":
        k = ec.generate_private_key(ec.SECP256R1())
    elif alg == "rs256":
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif alg == "eddsa":
        k = ed25519.Ed25519PrivateKey.generate()
    else:
        raise ValueError(alg)
    return k, cose_of(alg, k)


def sign(alg, k, msg):
    if alg == "es256":
        return k.sign(msg, ec.ECDSA(hashes.SHA256()))
    if alg == "rs256":
        return k.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    return k.sign(msg)


G = {}      # set before fork, read by the workers


def mint_challenge(key, rp_id, expiry_ms):
    body = b"\x01" + struct.pack(">Q", expiry_ms) + os.urandom(16)
    return body + hmac.new(key, body + rp_id, hashlib.sha256).digest()


def work(rng):
    a = G["args"]
    alg, creds, secret = a.alg, G["creds"], G["secret"]
    rp_hash = hashlib.sha256(a.rp_id.encode()).digest()
    rp_id = a.rp_id.encode()
    flags = 0x05 if a.uv else 0x01           # UP (| UV)
    out = []
    for j in range(*rng):
        cid, uh, k = creds[j % len(creds)]
        counter = 0 if a.counter == "zero" else j // len(creds) + 1
        chal = b64u(mint_challenge(secret, rp_id, G["expiry_ms"]))
        cdj = ('{"type":"webauthn.get","challenge":"%s","origin":"%s",'
               '"crossOrigin":false}' % (chal, a.origin)).encode()
        ad = rp_hash + bytes([flags]) + struct.pack(">I", counter)
        sig = sign(alg, k, ad + hashlib.sha256(cdj).digest())
        cred = {"id": b64u(cid), "rawId": b64u(cid), "type": "public-key",
                "response": {"clientDataJSON": b64u(cdj),
                             "authenticatorData": b64u(ad),
                             "signature": b64u(sig),
                             "userHandle": b64u(uh)},
                "clientExtensionResults": {}}
        out.append("WebAuthn " + b64u(json.dumps(
            cred, separators=(",", ":")).encode()))
    return "\n".join(out) + "\n" if out else ""


def resp(*args):
    s = "*%d\r\n" % len(args)
    for x in args:
        x = x.encode() if isinstance(x, str) else x
        s += "$%d\r\n" % len(x) + x.decode() + "\r\n"
    return s


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--alg", required=True, choices=["es256", "rs256", "eddsa"])
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--creds", type=int, default=256)
    p.add_argument("--counter", choices=["zero", "inc"], default="zero")
    p.add_argument("--secret-file", required=True)
    p.add_argument("--rp-id", default="bench.example")
    p.add_argument("--origin", default="https://bench.example")
    p.add_argument("--prefix", default="webauthn:")
    p.add_argument("--ttl", type=int, default=3600,
                   help="challenge lifetime, seconds")
    p.add_argument("--uv", type=int, default=1)
    p.add_argument("--keys", help="credential keys file: read when it "
                   "exists, else written (the same credentials across runs)")
    p.add_argument("--procs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--threads", type=int, default=1,
                   help="wrk threads: one pool file each")
    p.add_argument("--sample", type=int, default=0,
                   help="extra lines for the sample file")
    p.add_argument("--out", required=True,
                   help="pool file prefix, one header a line")
    p.add_argument("--redis-out", required=True,
                   help="credentials, Redis protocol for redis-cli --pipe")
    a = p.parse_args()

    t0 = time.time()
    with open(a.secret_file, "rb") as f:
        G["secret"] = f.read()
    G["args"] = a
    G["expiry_ms"] = int(time.time() * 1000) + a.ttl * 1000
    creds = []
    saved = []
    if a.keys and os.path.exists(a.keys):
        with open(a.keys) as f:
            for line in f:
                cid, uh, der = line.split()
                k = serialization.load_der_private_key(unb64u(der), None)
                creds.append((unb64u(cid), unb64u(uh), k))
    with open(a.redis_out, "w") as r:
        for i in range(a.creds):
            if i < len(creds):
                cid, uh, k = creds[i]
                cose = cose_of(a.alg, k)
            else:
                k, cose = make_key(a.alg)
                cid, uh = os.urandom(16), os.urandom(16)
                creds.append((cid, uh, k))
                saved.append("%s %s %s\n" % (b64u(cid), b64u(uh), b64u(
                    k.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))))
            r.write(resp("HSET", a.prefix + "cred:" + b64u(cid),
                         "public_key", b64u(cose), "user_handle", b64u(uh),
                         "user_name", "bench%d" % i, "sign_count", "0",
                         "roles", "bench"))
    creds = creds[:a.creds]
    if a.keys and saved:
        with open(a.keys, "a") as f:
            f.writelines(saved)
    G["creds"] = creds
    t1 = time.time()

    # line j goes to "<out>.<j % threads>" (one file per wrk thread); the
    # last --sample lines go to "<out>.sample" (the MONITOR sample run)
    total = a.count + a.sample
    chunk = 2000
    rngs = [(s, min(s + chunk, total)) for s in range(0, total, chunk)]
    files = [open("%s.%d" % (a.out, t), "w") for t in range(a.threads)]
    sample = open(a.out + ".sample", "w")
    j = 0

    def emit(block):
        nonlocal j
        for line in block.splitlines(True):
            (files[j % a.threads] if j < a.count else sample).write(line)
            j += 1

    if a.procs > 1 and len(rngs) > 1:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(a.procs) as pool:
            for s in pool.imap(work, rngs):         # keeps pool order
                emit(s)
    else:
        for rg in rngs:
            emit(work(rg))
    for f in files + [sample]:
        f.close()
    t2 = time.time()
    print("genpool: %s %d assertions (%d credentials, counter %s) in "
          "%.1fs (keys %.1fs), %d procs" % (a.alg, a.count, a.creds,
          a.counter, t2 - t0, t1 - t0, a.procs), file=sys.stderr)


if __name__ == "__main__":
    main()
