#!/usr/bin/python3
"""
Pre-makes a pool of single-use WebAuthn assertions for the benchmark.

Every line of the pool file is one ready "Authorization" header value,
"WebAuthn <base64url(JSON)>", carrying its own freshly minted sealed
challenge (README, "Challenges"), minted by tools/webauthn-softkey:

  65 bytes = 0x02 || issued ms since epoch (8 bytes BE) || expires ms (8)
             || nonce (16) || HMAC-SHA-256(key, 0x02 || issued || expires
             || nonce || rp_id)

key = the whole content of --secret-file; every challenge of a pool has
the same issue time, taken before the pool is minted.  Credentials are
written as a Redis protocol stream (for "redis-cli --pipe") following the
README's schema: "SET <prefix>epoch:{<id>} <that time> NX" (the store epoch:
the module refuses challenges issued before it), then the hash
<prefix>cred:{<b64url rawId>} with public_key (COSE_Key, base64url),
user_handle, user_name, sign_count, roles and aaguid (a security key's,
as a real record has one: the commit script checks its format).

Line j (of --count) goes to "<out>.<j % threads>", the --sample lines
after them to "<out>.sample".  Line j is signed by credential j % creds.
With --counter inc, its sign counter is j // creds + 1, so the counter of
every credential increases along the pool; with creds a multiple of the
thread count one credential is used by one wrk thread only, creds /
threads requests apart.  With --counter zero every
counter is 0 (synced passkeys: nothing to store).

--keys FILE keeps the credentials' private keys: read when it exists (the
same credentials again), written otherwise.  Signing is spread over --procs
processes (fork).  The challenge minting, CBOR, COSE keys and signing are
tools/webauthn-softkey's, imported; uses only python3-cryptography; run
with /usr/bin/python3.
"""

import argparse
import hashlib
import importlib.machinery
import importlib.util
import json
import multiprocessing
import os
import struct
import sys
import time

from cryptography.hazmat.primitives import serialization

# every bench record's aaguid: a YubiKey 5's (FIDO MDS), as an enrolled
# security key's record has one
AAGUID = "cb69481e-8ff7-4039-93ec-0a2729a154a8"


def load_softkey():
    """tools/webauthn-softkey has no .py extension: load it by path."""

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "tools", "webauthn-softkey")
    loader = importlib.machinery.SourceFileLoader("webauthn_softkey",
                                                  os.path.normpath(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


softkey = load_softkey()
b64u = softkey.b64url
unb64u = softkey.b64url_decode

ALGS = ["es256", "rs256", "eddsa"]


def cose_of(alg, k):
    return softkey.cbor_encode(softkey.cose_key(alg, k.public_key()))


def make_key(alg):
    k = softkey.generate_key(alg)
    return k, cose_of(alg, k)


G = {}      # set before fork, read by the workers


def work(rng):
    a = G["args"]
    alg, creds, secret = a.alg, G["creds"], G["secret"]
    rp_hash = hashlib.sha256(a.rp_id.encode()).digest()
    flags = 0x05 if a.uv else 0x01           # UP (| UV)
    out = []
    for j in range(*rng):
        cid, uh, k = creds[j % len(creds)]
        counter = 0 if a.counter == "zero" else j // len(creds) + 1
        chal = softkey.mint_challenge(secret, a.rp_id, ttl=a.ttl,
                                      issued_ms=G["issued_ms"])
        cdj = ('{"type":"webauthn.get","challenge":"%s","origin":"%s",'
               '"crossOrigin":false}' % (chal, a.origin)).encode()
        ad = rp_hash + bytes([flags]) + struct.pack(">I", counter)
        sig = softkey.sign(alg, k, ad + hashlib.sha256(cdj).digest())
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
    p.add_argument("--alg", required=True, choices=ALGS)
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
    # the pool's issue time and the store epoch: taken before minting, so
    # that no challenge of the pool is issued before the epoch
    G["issued_ms"] = softkey.now_ms()
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
            r.write(resp("SET", a.prefix + "epoch:{%s}" % b64u(cid),
                         str(G["issued_ms"]), "NX"))
            r.write(resp("HSET", a.prefix + "cred:{%s}" % b64u(cid),
                         "public_key", b64u(cose), "user_handle", b64u(uh),
                         "user_name", "bench%d" % i,
                         "sign_count", "0", "roles", "bench",
                         "aaguid", AAGUID))
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
