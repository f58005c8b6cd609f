"""Assertions: the core (wa_assertion_parse(), wa_assertion_check(),
wa_pkey_from_cose(), wa_assertion_verify(), wa_sign_count_check(), in the
order ngx_http_webauthn_access.c calls them) against python-fido2's
Fido2Server.authenticate_complete() (python3-fido2 0.9.1), on one fixed
policy: RP ID example.com, two allowed origins, the challenge matched,
user verification and cross-origin use as the case says.

Credentials are fresh for each run, from the seeded PRNG: a P-256 scalar,
an Ed25519 seed, RSA primes of 1024 bits (a 2048 bit modulus, for RS256
and PS256) and of 512 bits (a 1024 bit one, which the core must refuse).
ECDSA signatures take their nonce from the PRNG too (the point k*G from
python-cryptography), PSS its salt (32 bytes, or the longest); RSA
PKCS#1 v1.5 and Ed25519 are deterministic: a seed gives the same bytes
every run.

Both must accept or refuse alike.  Where they differ by a rule one of
them has and the other has not, compare() names the rule (a WebAuthn L3
step, an RFC) and checks from the case's bytes that the rule is what
applies; any other difference is a disagreement.
"""

import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

from fido2 import cbor as fido2_cbor
from fido2.client import ClientData
from fido2.ctap2 import AttestedCredentialData, AuthenticatorData
from fido2.server import Fido2Server
from fido2.utils import websafe_encode


NAME = "assert"

RP_ID = "example.com"
ORIGINS = ["https://example.com", "https://app.example.com:8443"]
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ED25519_L = (1 << 252) + 27742317777372353535851937790883648493


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# -- CBOR, enough for COSE keys and extensions (RFC 8949) ------------------

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | ai]) + struct.pack(fmt, n)
    raise ValueError(n)


def cbor(v):
    """v: int, bytes, str, bool, None, list, or ("map", [(k, v), ...])"""
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if v is None:
        return b"\xf6"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, tuple) and v[0] == "map":
        return cbor_head(5, len(v[1])) + b"".join(cbor(a) + cbor(b)
                                                  for a, b in v[1])
    raise ValueError(v)


def cbor_item_len(b, pos=0, subset=None):
    """the length of one well-formed item at pos (RFC 8949, 5.3.1 and
    appendix C), or None; subset (a list), when given, gets what of the
    item python-fido2's reader does not take: indefinite lengths, tags,
    floats and simple values other than false, true and null"""
    if pos >= len(b):
        return None
    ib = b[pos]
    major, ai = ib >> 5, ib & 31
    p = pos + 1
    if ai < 24:
        n = ai
    elif ai <= 27:
        size = 1 << (ai - 24)
        if p + size > len(b):
            return None
        n = int.from_bytes(b[p:p + size], "big")
        p += size
    elif ai == 31 and major in (2, 3, 4, 5):
        if subset is not None:
            subset.append("indefinite-length")
        while True:
            if p >= len(b):
                return None
            if b[p] == 0xFF:
                return p + 1 - pos
            if major in (2, 3) and b[p] >> 5 != major:
                return None         # chunks: definite, of the same type
            for _ in range(2 if major == 5 else 1):
                used = cbor_item_len(b, p, subset)
                if used is None:
                    return None
                p += used
            if major in (2, 3) and b[p - used] & 31 == 31:
                return None
    else:
        return None                 # reserved values, a lone break
    if major in (0, 1):
        return p - pos
    if major in (2, 3):
        if p + n > len(b):
            return None
        if major == 3:
            try:
                b[p:p + n].decode("utf-8")
            except UnicodeDecodeError:
                return None
        return p + n - pos
    if major in (4, 5):
        for _ in range(n * (2 if major == 5 else 1)):
            used = cbor_item_len(b, p, subset)
            if used is None:
                return None
            p += used
        return p - pos
    if major == 6:
        if subset is not None:
            subset.append("tag")
        used = cbor_item_len(b, p, subset)
        return None if used is None else p + used - pos
    if ai == 24 and n < 32:
        return None
    if subset is not None and not 20 <= ai <= 22:
        subset.append("float-or-simple")
    return p - pos


# -- keys ------------------------------------------------------------------

def _is_probable_prime(n, rng):
    if n < 2:
        return False
    for p in SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(24):
        a = rng.randrange(2, n - 1)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


SMALL_PRIMES = [p for p in range(3, 2000)
                if all(p % q for q in range(2, int(p ** 0.5) + 1))]


def _prime(rng, bits):
    while True:
        n = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if n % 65537 != 1 and _is_probable_prime(n, rng):
            return n


def rsa_key(rng, bits):
    e = 65537
    while True:
        p, q = _prime(rng, bits // 2), _prime(rng, bits // 2)
        if p != q:
            break
    d = pow(e, -1, (p - 1) * (q - 1))
    pub = rsa.RSAPublicNumbers(e, p * q)
    return rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1),
                                 pow(q, -1, p), pub).private_key()


def setup(rng):
    keys = {
        "es256": ec.derive_private_key(rng.randrange(1, P256_N),
                                       ec.SECP256R1()),
        "eddsa": ed25519.Ed25519PrivateKey.from_private_bytes(
            bytes(rng.randrange(256) for _ in range(32))),
        "rs256": rsa_key(rng, 2048),
        "rs256-1024": rsa_key(rng, 1024),
    }
    keys["ps256"] = keys["ps256-max-salt"] = keys["rs256"]
    return keys


def _mgf1(seed, n):
    out = b""
    for i in range((n + 31) // 32):
        out += hashlib.sha256(seed + struct.pack(">I", i)).digest()
    return out[:n]


def pss_sign(key, msg, salt):
    """RSASSA-PSS (RFC 8017, 8.1.1 and 9.1.1), SHA-256 and MGF1-SHA-256,
    with the salt given: python-cryptography takes its salt from the OS"""
    priv = key.private_numbers()
    n = priv.public_numbers.n
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    mhash = hashlib.sha256(msg).digest()
    h = hashlib.sha256(b"\x00" * 8 + mhash + salt).digest()
    db = b"\x00" * (em_len - len(salt) - 34) + b"\x01" + salt
    masked = bytes(a ^ b for a, b in zip(db, _mgf1(h, em_len - 33)))
    masked = bytes([masked[0] & (0xFF >> (8 * em_len - em_bits))]) + \
        masked[1:]
    em = int.from_bytes(masked + h + b"\xbc", "big")
    # RSASP1 with the CRT (RFC 8017, 5.2.1)
    m1 = pow(em, priv.dmp1, priv.p)
    m2 = pow(em, priv.dmq1, priv.q)
    m = m2 + priv.q * (priv.iqmp * (m1 - m2) % priv.p)
    return m.to_bytes((n.bit_length() + 7) // 8, "big")


def pss_salt_len(n, e, sig):
    """the salt length of a PSS signature that is well formed (RFC 8017,
    9.1.2), else None"""
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    m = pow(int.from_bytes(sig, "big"), e, n)
    if m.bit_length() > em_bits:
        return None
    em = m.to_bytes(em_len, "big")
    if em[-1] != 0xBC:
        return None
    h = em[-33:-1]
    db = bytes(a ^ b for a, b in zip(em[:-33], _mgf1(h, em_len - 33)))
    db = bytes([db[0] & (0xFF >> (8 * em_len - em_bits))]) + db[1:]
    i = 0
    while i < len(db) and db[i] == 0:
        i += 1
    if i == len(db) or db[i] != 1:
        return None
    return len(db) - i - 1


def cose_map(kind, key):
    """the COSE_Key of a credential as (label, value) pairs"""
    if kind == "es256":
        pn = key.public_key().public_numbers()
        return [(1, 2), (3, -7), (-1, 1), (-2, pn.x.to_bytes(32, "big")),
                (-3, pn.y.to_bytes(32, "big"))]
    if kind == "eddsa":
        from cryptography.hazmat.primitives import serialization
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        return [(1, 1), (3, -8), (-1, 6), (-2, raw)]
    pn = key.public_key().public_numbers()
    n = pn.n.to_bytes((pn.n.bit_length() + 7) // 8, "big")
    return [(1, 3), (3, -37 if kind.startswith("ps256") else -257),
            (-1, n), (-2, pn.e.to_bytes(3, "big"))]


def sign(kind, key, msg, rng):
    if kind == "es256":
        # ECDSA (FIPS 186-4, 6.4) with k from the PRNG: r from k*G
        z = int.from_bytes(hashlib.sha256(msg).digest(), "big")
        d = key.private_numbers().private_value
        while True:
            k = rng.randrange(1, P256_N)
            r = ec.derive_private_key(k, ec.SECP256R1()).public_key() \
                .public_numbers().x % P256_N
            s = pow(k, -1, P256_N) * (z + r * d) % P256_N
            if r and s:
                return encode_dss_signature(r, s)
    if kind == "eddsa":
        return key.sign(msg)
    if kind == "ps256":
        # RFC 8230, 2: the salt is as long as the hash
        return pss_sign(key, msg, bytes(rng.randrange(256)
                                        for _ in range(32)))
    if kind == "ps256-max-salt":
        n = (key.key_size + 7) // 8
        return pss_sign(key, msg, bytes(rng.randrange(256)
                                        for _ in range(n - 34)))
    return key.sign(msg, padding.PKCS1v15(), hashes.SHA256())


# -- generation ------------------------------------------------------------

def _pick(rng, seq):
    return seq[rng.randrange(len(seq))]


def _json_str(s, rng):
    """a JSON string, sometimes with escapes a browser would not write"""
    out = json.dumps(s, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.1:
        out = out.replace("/", "\\/")
    if rng.random() < 0.05 and len(s) > 0 and s[0].isascii():
        out = '"\\u%04x' % ord(s[0]) + out[2:]
    return out


def _set(members, key, value):
    for i, (k, _) in enumerate(members):
        if k == key:
            members[i] = (key, value)
            return
    members.append((key, value))


def client_data(rng, challenge, m):
    """clientDataJSON: the members, then the mutations named in m"""
    members = [("type", '"webauthn.get"'),
               ("challenge", '"%s"' % b64u(challenge)),
               ("origin", None)]
    origin = _pick(rng, ORIGINS)
    members[2] = ("origin", _json_str(origin, rng))
    if rng.random() < 0.5:
        members.append(("crossOrigin", "false"))

    muts = []
    if "cd" in m:
        for _ in range(rng.randrange(1, 3)):
            muts.append(_pick(rng, CD_MUTATIONS))

    for mut in muts:
        if mut == "type":
            _set(members, "type", _pick(rng, (
                '"webauthn.create"', '"webauthn.get "', '"WEBAUTHN.GET"',
                '"webauthn.get\\u0000"', '1', 'null', '["webauthn.get"]',
                '"webauthn.ge"', '"webauthn\\u002eget"',
                '"payment.get"')))
        elif mut == "type-missing":
            members = [x for x in members if x[0] != "type"]
        elif mut == "challenge":
            c = b64u(challenge)
            members = [(k, v) for k, v in members if k != "challenge"]
            members.insert(1, ("challenge", _pick(rng, (
                '"%s="' % c, '"%s=="' % c,
                '"%s"' % c.replace("-", "+").replace("_", "/"),
                '"%s"' % b64u(challenge[:-1]), '"%s"' % b64u(challenge[1:]),
                '"%s"' % b64u(bytes([challenge[0] ^ 1]) + challenge[1:]),
                '"%s!"' % c, '"%s %s"' % (c[:8], c[8:]), '"%s\\n"' % c,
                '"%s"' % (c[:-1] + chr(ord(c[-1]) ^ 1)), '""', '1', 'null',
                '"%s"' % base64.b64encode(challenge).decode(),
                '"%s"' % c[:-1], '"%s."' % c))))
        elif mut == "challenge-missing":
            members = [x for x in members if x[0] != "challenge"]
        elif mut == "origin":
            _set(members, "origin", _pick(rng, (
                '"https://example.com/"', '"https://EXAMPLE.com"',
                '"http://example.com"', '"https://example.com:443"',
                '"https://evil.example.com"', '"https://example.co"',
                '"https://app.example.com"', '"https://example.com."',
                '"https://example.com\\u0000"', '1', 'null', '""',
                '"android:apk-key-hash:abc"', '"HTTPS://example.com"',
                _json_str(_pick(rng, ORIGINS), rng))))
        elif mut == "origin-missing":
            members = [x for x in members if x[0] != "origin"]
        elif mut == "cross":
            members = [x for x in members if x[0] != "crossOrigin"]
            members.append(("crossOrigin", _pick(rng, (
                "true", "false", '"true"', "1", "0", "null", '"false"'))))
        elif mut == "top":
            members.append(("topOrigin", _pick(rng, (
                _json_str(ORIGINS[0], rng), _json_str(ORIGINS[1], rng),
                '"https://evil.example"', "1", "null", '""'))))
        elif mut == "extra":
            r = rng.random()
            if r < 0.05:
                # nesting: python's json stops near 1000 levels,
                # jansson at 2048 (JSON_PARSER_MAX_DEPTH)
                d = _pick(rng, (50, 999, 1200, 2046, 2047, 2048, 2100))
                value = "[" * d + "]" * d
            elif r < 0.1:
                # size: the module takes 16384 bytes of assertion JSON
                value = '"%s"' % ("x" * _pick(rng, (1000, 8000, 11000,
                                                    11800, 13000)))
            else:
                value = _pick(rng, EXTRA_VALUES)
            members.append((_pick(rng, ("other_keys_can_be_added_here",
                                        "x", "androidPackageName", "é",
                                        "tokenBinding")), value))
        elif mut == "token-binding":
            members.append(("tokenBinding", _pick(rng, (
                '{"status":"present","id":"AAA"}', '{"status":"supported"}',
                '{"status":"not-supported"}', '{"status":"present "}',
                '{}', '"present"', 'null', '{"status":1}'))))
        elif mut == "duplicate":
            k, v = _pick(rng, members)
            alt = {"type": '"webauthn.create"',
                   "challenge": '"%s"' % b64u(b"other challenge bytes!!"),
                   "origin": '"https://evil.example"'}.get(k, v)
            i = rng.randrange(len(members) + 1)
            members.insert(i, (k, _pick(rng, (v, alt))))
        elif mut == "order":
            rng.shuffle(members)

    sep = _pick(rng, (",", ",", ", ", ",\n  ", " ,"))
    colon = _pick(rng, (":", ":", ": ", " : "))
    body = "{" + sep.join('"%s"%s%s' % (k, colon, v)
                          for k, v in members) + "}"
    data = body.encode()

    if "cd-bytes" in m:
        r = rng.randrange(9)
        if r == 0:
            data = b"\xef\xbb\xbf" + data
        elif r == 1:
            data = data + b" "
        elif r == 2:
            data = data + b"x"
        elif r == 3:
            data = data.replace(b"example", b"ex\xffample", 1)
        elif r == 4:
            data = data.replace(b"example", b"ex\xc3\x28ample", 1)
        elif r == 5:
            data = b"[" + data + b"]"
        elif r == 6:
            data = b" \n" + data + b"\n"
        elif r == 7:
            data = data[:-1]
        else:
            data = data.replace(b'"origin"', b'"orig\\u0069n"', 1)
    return data


CD_MUTATIONS = ("type", "type-missing", "challenge", "challenge",
                "challenge-missing", "origin", "origin", "origin-missing",
                "cross", "cross", "top", "top", "extra", "extra",
                "token-binding", "duplicate", "duplicate", "order")

EXTRA_VALUES = ('"x"', "1", "true", "null", "[]", '{"a":{"b":[1,2]}}',
                "NaN", "Infinity", "-Infinity", "1e400", "-0",
                "123456789012345678901234567890", "1.5e-10",
                '"\\ud800"', '"\\udc00x"', '"\\ud83d\\ude00"', '"\\u0000"',
                '"é"', '"\\u00e9"')


def auth_data(rng, m, stored):
    rp = hashlib.sha256(RP_ID.encode()).digest()
    if "rp" in m:
        rp = _pick(rng, (
            hashlib.sha256(b"evil.example").digest(),
            hashlib.sha256(b"EXAMPLE.COM").digest(),
            hashlib.sha256(b"app.example.com").digest(),
            bytes([rp[0] ^ 0x80]) + rp[1:], rp[:31] + bytes([rp[31] ^ 1])))
    flags = 0x01 | (0x04 if rng.random() < 0.6 else 0)
    if rng.random() < 0.3:
        flags |= 0x08 | (0x10 if rng.random() < 0.5 else 0)
    if "flags" in m:
        flags ^= 1 << _pick(rng, (0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 7))
    if "count" in m:
        count = _pick(rng, (0, stored, stored + 1, max(stored - 1, 0),
                            0xFFFFFFFF, rng.randrange(1 << 32)))
    else:
        count = 0 if stored == 0 and rng.random() < 0.5 else \
            stored + 1 + rng.randrange(1000)
    att = b""
    if "at" in m:
        # attested credential data (6.5.1), which an assertion may carry
        flags |= 0x40
        cid = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        key = cbor(("map", [(1, 2), (3, -7), (-1, 1), (-2, b"\x01" * 32),
                            (-3, b"\x02" * 32)]))
        att = b"\x00" * 16 + struct.pack(">H", len(cid)) + cid + key
        r = rng.randrange(4)
        if r == 1:
            att = att[:-1]                          # key cut short
        elif r == 2:
            att = att[:18] + att[18 + len(cid):]    # no credential id
    ext = b""
    if "ext" in m:
        r = rng.randrange(9)
        cbor_ext = cbor(("map", [("credProtect", 2)]))
        if r == 0:
            flags |= 0x80
            ext = cbor_ext
        elif r == 1:
            flags |= 0x80                           # ED, nothing after
        elif r == 2:
            ext = cbor_ext                          # no ED flag
        elif r == 3:
            flags |= 0x80
            ext = cbor([1, 2])                      # not a map
        elif r == 4:
            flags |= 0x80
            ext = cbor_ext[:-1]                     # cut short
        elif r == 5:
            flags |= 0x80
            ext = cbor_ext + b"\x00"                # trailing byte
        elif r == 6:
            flags |= 0x80
            ext = b"\xa1\x6bcredProtect\x5f\x41\x02\xff"   # indefinite
        elif r == 7:
            flags |= 0x80
            ext = cbor(("map", [("hmac-secret", b"\x01" * 32),
                                ("credProtect", 1)]))
        else:
            flags |= 0x80
            ext = b"\xa1\x6bcredProtect\xf9\x3c\x00"       # a float16
    return rp + bytes([flags]) + struct.pack(">I", count) + att + ext


def der_mutate(sig, rng):
    r, s = decode_dss_signature(sig)
    k = rng.randrange(11)
    if k == 0:
        return encode_dss_signature(r, P256_N - s), "high-s"
    if k == 1:
        return sig + b"\x00", "trailing-byte"
    if k == 2:
        return sig[:1] + bytes([sig[1] + 1]) + sig[2:], "outer-length"
    if k == 3:
        return sig[:3] + bytes([sig[3] + 1]) + sig[4:], "inner-length"
    if k == 4:
        rb = b"\x00" + r.to_bytes((r.bit_length() + 8) // 8, "big")
        sb = s.to_bytes((s.bit_length() + 8) // 8, "big")
        body = b"\x02" + bytes([len(rb)]) + rb + b"\x02" + \
            bytes([len(sb)]) + sb
        return b"\x30" + bytes([len(body)]) + body, "non-minimal-r"
    if k == 5:
        return r.to_bytes(32, "big") + s.to_bytes(32, "big"), "raw-r-s"
    if k == 6:
        return sig[:-1], "truncated"
    if k == 7:
        return b"\x30\x81" + bytes([sig[1]]) + sig[2:], "long-form-length"
    if k == 8:
        return encode_dss_signature(r, s + P256_N), "s-plus-n"
    if k == 9:
        return encode_dss_signature(_pick(rng, (0, r)),
                                    _pick(rng, (0, P256_N))), "zero-or-n"
    return encode_dss_signature(s, r), "r-s-swapped"


def cose_mutate(pairs, kind, rng):
    pairs = list(pairs)
    is_rsa = kind.startswith(("rs", "ps"))
    k = rng.randrange(15)
    if k == 0:
        pairs = [p for p in pairs if p[0] != 3]                 # no alg
    elif k == 1:
        pairs = [(a, _pick(rng, (-7, -8, -37, -257, -35, -65535, 0, 1))
                  if a == 3 else b) for a, b in pairs]          # wrong alg
    elif k == 2:
        pairs = [(a, (3 if b != 3 else 2) if a == 1 else b)
                 for a, b in pairs]                             # wrong kty
    elif k == 3:
        pairs = [(a, b[1:] if a == -2 else b) for a, b in pairs]  # short x
    elif k == 4:
        pairs.append((-4, b"\x00" * 32))                        # extra
    elif k == 5:
        pairs.append(pairs[1])                                  # dup alg
    elif k == 6:
        rng.shuffle(pairs)                                      # order
    elif k == 7:
        pairs = [(a, -19 if a == 3 and kind == "eddsa" else
                  (-9 if a == 3 and kind == "es256" else b))
                 for a, b in pairs]                 # fully specified
    elif k == 8:
        pairs = [(a, 2 if a == -1 and not is_rsa else b)
                 for a, b in pairs]                             # crv
    elif k == 9:
        pairs = [(a, b"\x00" + b if a == -2 else b) for a, b in pairs]
    elif k == 10:
        pairs = [(a, str(b) if a == 3 else b) for a, b in pairs]
    elif k == 11:
        pairs.append(("label", "text"))
    elif k == 12:
        pairs = [(a, (b[:-1] + bytes([b[-1] ^ 1])) if a == -2 else b)
                 for a, b in pairs]                       # another key
    elif k == 13:
        pairs = [(a, _pick(rng, (True, "EC2", "OKP", "RSA"))
                  if a == _pick(rng, (-3, 1)) else b)
                 for a, b in pairs]                 # compressed, text
    else:
        return cbor(("map", pairs)) + b"\x00"             # trailing byte
    return cbor(("map", pairs))


MUTATIONS = ("cd", "cd", "cd", "cd-bytes", "rp", "flags", "flags", "count",
             "count", "ext", "sig", "sig", "tamper", "cose", "cose", "uh",
             "uv", "at", "weak-key")


def generate(rng, index, keys):
    kind = _pick(rng, ("es256", "es256", "es256", "es256", "eddsa",
                       "eddsa", "eddsa", "rs256", "rs256", "rs256",
                       "rs256-1024" if rng.random() < 0.1 else "rs256",
                       "ps256-max-salt" if rng.random() < 0.1 else "ps256"))
    key = keys[kind]
    cred_id = bytes(rng.randrange(256) for _ in range(rng.randrange(16, 65)))
    challenge = bytes(rng.randrange(256) for _ in range(32))
    stored = _pick(rng, (0, 0, 5, 1000, rng.randrange(1 << 31)))

    m = set()
    if rng.random() < 0.8:
        for _ in range(rng.randrange(1, 3)):
            m.add(_pick(rng, MUTATIONS))

    cd = client_data(rng, challenge, m)
    ad = auth_data(rng, m, stored)
    sig = sign(kind, key, ad + hashlib.sha256(cd).digest(), rng)
    sig_mut = None
    if "sig" in m:
        if kind == "es256":
            sig, sig_mut = der_mutate(sig, rng)
        elif kind == "eddsa" and rng.random() < 0.3:
            # RFC 8032, 5.1.7: S must be below L (no malleability)
            s_int = int.from_bytes(sig[32:], "little") + ED25519_L
            sig, sig_mut = sig[:32] + (s_int % (1 << 256)).to_bytes(
                32, "little"), "s-plus-l"
        else:
            i = rng.randrange(len(sig))
            sig, sig_mut = _pick(rng, (
                (sig[:i] + bytes([sig[i] ^ (1 << rng.randrange(8))])
                 + sig[i + 1:], "bit-flip"),
                (sig[:-1], "truncated"), (sig + b"\x00", "trailing-byte"),
                (b"\x00" + sig, "leading-zero")))
    if "tamper" in m:
        # a bit of the signed bytes flipped after signing
        i = rng.randrange(len(ad))
        ad = ad[:i] + bytes([ad[i] ^ (1 << rng.randrange(8))]) + ad[i + 1:]

    pairs = cose_map(kind, key)
    cose = cose_mutate(pairs, kind, rng) if "cose" in m \
        else cbor(("map", pairs))

    if "weak-key" in m and kind.startswith(("rs", "ps")):
        # RFC 8017, 3.1: 3 <= e < n, odd; with e = 1 the signature is
        # the encoded message itself
        e = _pick(rng, (1, 2, 3, 65536, 65537))
        pn = key.public_key().public_numbers()
        nb = (pn.n.bit_length() + 7) // 8
        if e == 1:
            msg = ad + hashlib.sha256(cd).digest()
            di = bytes.fromhex("3031300d060960864801650304020105000420") \
                + hashlib.sha256(msg).digest()
            sig = b"\x00\x01" + b"\xff" * (nb - len(di) - 3) + b"\x00" + di
        cose = cbor(("map", [(1, 3), (3, -257 if kind.startswith("rs")
                                       else -37),
                             (-1, pn.n.to_bytes(nb, "big")),
                             (-2, e.to_bytes(4 if e == 65537 else 3,
                                             "big"))]))
    elif "weak-key" in m and kind == "eddsa":
        # a small-order public key (the identity) with R the identity
        # and S = 0: "valid" for every message unless refused
        cose = cbor(("map", [(1, 1), (3, -8), (-1, 6),
                             (-2, b"\x01" + b"\x00" * 31)]))
        sig = b"\x01" + b"\x00" * 63
    elif "weak-key" in m and kind == "es256":
        # a point not on the curve, and the point at infinity's x, y
        cose = cbor(("map", [(1, 2), (3, -7), (-1, 1),
                             (-2, _pick(rng, (b"\x00" * 32, b"\xff" * 32))),
                             (-3, _pick(rng, (b"\x00" * 32, b"\x01" * 32)))]))

    uh = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 65)))
    sent_uh = None
    stored_uh = uh if rng.random() < 0.7 else None
    if rng.random() < 0.5:
        sent_uh = uh
    if "uh" in m:
        sent_uh = _pick(rng, (uh[:-1] + bytes([uh[-1] ^ 1]), b"", uh + b"x"))

    uv = _pick(rng, ("required", "preferred", "discouraged"))
    if "uv" in m:
        uv = "required"

    return {
        "kind": kind, "mutations": sorted(m), "sig_mutation": sig_mut,
        "cred_id": cred_id.hex(), "client_data": cd.hex(),
        "auth_data": ad.hex(), "signature": sig.hex(), "cose": cose.hex(),
        "user_handle": None if sent_uh is None else sent_uh.hex(),
        "stored_user_handle": None if stored_uh is None else stored_uh.hex(),
        "stored_count": stored, "challenge": challenge.hex(),
        "uv": uv, "allow_cross_origin": rng.random() < 0.3,
    }


def envelope(case):
    """PublicKeyCredential.toJSON() of the assertion, as a browser sends
    it, in the Authorization header's base64url"""
    return b64u(json.dumps(_envelope_json(case)).encode())


def _envelope_json(case):
    cid = b64u(bytes.fromhex(case["cred_id"]))
    resp = {"clientDataJSON": b64u(bytes.fromhex(case["client_data"])),
            "authenticatorData": b64u(bytes.fromhex(case["auth_data"])),
            "signature": b64u(bytes.fromhex(case["signature"]))}
    if case["user_handle"] is not None:
        resp["userHandle"] = b64u(bytes.fromhex(case["user_handle"]))
    return {"id": cid, "rawId": cid, "type": "public-key", "response": resp}


def core_input(case):
    return {
        "suite": NAME, "token": envelope(case).encode().hex(),
        "cose": case["cose"], "user_handle": case["stored_user_handle"],
        "stored_count": case["stored_count"], "rp_id": RP_ID,
        "origins": ORIGINS, "allow_cross_origin": case["allow_cross_origin"],
        "uv": case["uv"], "challenge": case["challenge"],
    }


def reference(case):
    """python-fido2's verdict: None (accepted) or the exception's text"""
    cd = bytes.fromhex(case["client_data"])
    ad = bytes.fromhex(case["auth_data"])
    cred_id = bytes.fromhex(case["cred_id"])
    cose = bytes.fromhex(case["cose"])
    server = Fido2Server({"id": RP_ID, "name": "diff"},
                         verify_origin=lambda o: o in ORIGINS)
    state = {"challenge": websafe_encode(bytes.fromhex(case["challenge"])),
             "user_verification": case["uv"]}
    try:
        cred = AttestedCredentialData(b"\x00" * 16 + struct.pack(
            ">H", len(cred_id)) + cred_id + cose)
        server.authenticate_complete(state, [cred], cred_id, ClientData(cd),
                                     AuthenticatorData(ad),
                                     bytes.fromhex(case["signature"]))
    except Exception as e:      # any refusal: a ValueError, a KeyError ...
        return "%s: %s" % (type(e).__name__, e)
    return None


# -- documented differences ------------------------------------------------

def _loads_strict(cd):
    """what RFC 8259 JSON without duplicates is, per member: None when the
    bytes are such JSON, else the reason python's json takes them anyway"""
    reasons = []

    def pairs(ps):
        keys = [k for k, _ in ps]
        if len(set(keys)) != len(keys):
            reasons.append("duplicate-member")
        return dict(ps)

    def const(c):
        reasons.append("non-json-number-" + c)
        return 0

    def big_int(s):
        if not -(1 << 63) <= int(s) < 1 << 63:
            reasons.append("integer-beyond-64-bits")
        return int(s)

    def real(s):
        if float(s) in (float("inf"), float("-inf")):
            reasons.append("real-overflow")
        return float(s)

    try:
        doc = json.loads(cd.decode("utf-8"), object_pairs_hook=pairs,
                         parse_constant=const, parse_int=big_int,
                         parse_float=real)
    except (ValueError, UnicodeDecodeError):
        return None, ["python-refuses"]

    def walk(v):
        if isinstance(v, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
                reasons.append("lone-surrogate")
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(doc)
    return doc, reasons


def _b64_strict(s):
    """RFC 4648, 5, as the core reads it (either alphabet, optional "="
    padding): the bytes, or None"""
    t = s.rstrip("=")
    if len(s) - len(t) > 2 or (len(s) != len(t) and len(s) % 4):
        return None
    alpha = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
             "0123456789")
    if any(c not in alpha + "-_+/" for c in t) or len(t) % 4 == 1:
        return None
    raw = base64.b64decode(t.replace("-", "+").replace("_", "/")
                           + "=" * (-len(t) % 4))
    if b64u(raw) != t.replace("+", "-").replace("/", "_"):
        return None                 # non-zero trailing bits
    return raw


def _ext_offset(ad):
    """where the extensions of authenticator data start: after the
    attested credential data when AT is set (6.5.1, read strictly), or
    None when that is not well formed"""
    if len(ad) < 37:
        return None
    if not ad[32] & 0x40:
        return 37
    if len(ad) < 55:
        return None
    n = int.from_bytes(ad[53:55], "big")
    used = cbor_item_len(ad, 55 + n)
    return None if used is None else 55 + n + used


_P25519 = 2 ** 255 - 19
_D25519 = -121665 * pow(121666, _P25519 - 2, _P25519) % _P25519


def _ed25519_small_order(x):
    """x (32 bytes) decodes (RFC 8032, 5.1.3, y reduced mod p) to a point
    P with 8P the identity: worked out here, not looked up in a list"""
    p, d = _P25519, _D25519
    if len(x) != 32:
        return False
    y = (int.from_bytes(x, "little") & ((1 << 255) - 1)) % p
    u = (y * y - 1) * pow(d * y * y + 1, p - 2, p) % p
    v = pow(u, (p + 3) // 8, p)
    if (v * v - u) % p:
        v = v * pow(2, (p - 1) // 4, p) % p
    if (v * v - u) % p:
        return False
    pt = (v, y)
    for _ in range(3):
        (x1, y1) = pt
        t = d * x1 * x1 * y1 * y1 % p
        pt = (2 * x1 * y1 * pow(1 + t, p - 2, p) % p,
              (y1 * y1 + x1 * x1) * pow(1 - t, p - 2, p) % p)
    return pt == (0, 1)


def policy_reason(case, core, fido_err):
    """the documented rule that explains the difference, or None"""

    cd = bytes.fromhex(case["client_data"])
    ad = bytes.fromhex(case["auth_data"])
    code, stage, detail = core.get("code"), core.get("stage"), \
        core.get("detail", "")

    if not core["ok"] and fido_err is None:
        # the core refuses what python-fido2 accepts

        if code == "credential_malformed" and \
                detail == "credential is too long" and \
                len(json.dumps(_envelope_json(case))) > 16384:
            # the module's own bound (WA_ASSERTION_MAX): 16384 bytes of
            # assertion JSON in the Authorization header; fido2 has none
            return "core-assertion-size-limit"

        if code == "credential_malformed" and "small order" in detail:
            key = fido2_cbor.decode(bytes.fromhex(case["cose"]))
            if key.get(1) == 1 and key.get(-1) == 6 and \
                    _ed25519_small_order(key.get(-2, b"")):
                # RFC 8032 decodes points of small order, and OpenSSL's
                # cofactorless check verifies R = that point, S = 0 for
                # any message: the core refuses such a key (wa_pkey_okp,
                # as libsodium does); python-fido2 takes it
                return "core-refuses-small-order-eddsa-key"

        try:
            doc, lax = _loads_strict(cd)
        except RecursionError:
            doc, lax = None, []

        if code == "client_data_invalid" and lax:
            # WebAuthn L3, 7.2, step 9 (parse as JSON): the core parses
            # RFC 8259 JSON (jansson) and refuses a member given twice;
            # python's json takes NaN/Infinity, numbers past 64 bits,
            # lone surrogates and duplicates (the last one wins)
            return "+".join("fido2-lax-json-" + r for r in sorted(set(lax)))

        if code == "client_data_invalid" and isinstance(doc, dict) and (
                ("crossOrigin" in doc
                 and not isinstance(doc["crossOrigin"], bool))
                or ("topOrigin" in doc
                    and not isinstance(doc["topOrigin"], str))):
            # WebAuthn L3, 5.8.1: crossOrigin is a boolean, topOrigin a
            # string; python-fido2 0.9.1 reads neither
            return "fido2-ignores-crossorigin-topOrigin-types"

        if code == "client_data_invalid" and isinstance(doc, dict) and \
                "tokenBinding" in doc:
            tb = doc["tokenBinding"]
            if not (isinstance(tb, dict) and tb.get("status") in
                    ("present", "supported")):
                # WebAuthn L2, 7.2, step 14 (L3, 5.8.1.1 keeps the
                # member): status "present" or "supported"
                return "fido2-ignores-token-binding"

        if code == "origin_not_allowed" and isinstance(doc, dict) and (
                doc.get("crossOrigin") is True or "topOrigin" in doc) \
                and doc.get("origin") in ORIGINS:
            # WebAuthn L3, 7.2, steps 13-14: crossOrigin and topOrigin;
            # python-fido2 0.9.1 predates them
            return "fido2-predates-l3-cross-origin-steps"

        if code == "challenge_invalid" and isinstance(doc, dict) and \
                isinstance(doc.get("challenge"), str) and \
                _b64_strict(doc["challenge"]) is None:
            # RFC 4648, 3.3 and 3.5: characters outside the alphabet and
            # non-zero pad bits are refused; python's b64decode (under
            # fido2's websafe_decode) drops the first and ignores the
            # second
            return "fido2-lax-base64"

        if code == "credential_malformed" and len(ad) >= 37 and \
                ad[32] & 0x10 and not ad[32] & 0x08:
            # WebAuthn L3, 7.2, step 18 (6.1: BS only with BE); fido2
            # 0.9.1 knows neither flag
            return "fido2-ignores-be-bs"

        if code == "credential_malformed" and "attested credential " \
                "public key is not well-formed CBOR" in detail and \
                len(ad) >= 55:
            n = int.from_bytes(ad[53:55], "big")
            if cbor_item_len(ad, 55 + n) is None:
                # RFC 8949, 5.3.1 (well-formed), for 6.5.1's
                # credentialPublicKey: fido2's CBOR reader takes a byte
                # string cut short (load_bytes() slices past the end)
                return "fido2-lax-cbor-attested-key"

        off = _ext_offset(ad)
        if code == "credential_malformed" and off is not None and \
                len(ad) > off and ad[32] & 0x80:
            used = cbor_item_len(ad, off)
            if used is None or used != len(ad) - off:
                # RFC 8949, 5.3.1 (well-formed), for 6.1's extensions:
                # fido2's CBOR reader takes strings cut short and reads
                # every major type 7 item as a boolean
                return "fido2-lax-cbor-extensions"
            if ad[off] >> 5 != 5:
                # WebAuthn L3, 6.1: extensions are a CBOR map
                return "fido2-extensions-not-a-map"

        if stage == "key":
            reason = _cose_reason(bytes.fromhex(case["cose"]), detail)
            if reason:
                return reason

        if code == "credential_malformed" and case["user_handle"] and \
                len(bytes.fromhex(case["user_handle"])) > 64:
            # WebAuthn L3, 4, "User Handle": at most 64 bytes; the core
            # refuses a longer one; authenticate_complete() takes no
            # userHandle
            return "fido2-takes-no-user-handle:longer-than-64"

        cose = bytes.fromhex(case["cose"])
        n, e = _cose_label(cose, -1), _cose_label(cose, -2)
        if code == "signature_invalid" and _cose_label(cose, 3) == -37 \
                and isinstance(n, bytes) and isinstance(e, bytes):
            salt = pss_salt_len(int.from_bytes(n, "big"),
                                int.from_bytes(e, "big"),
                                bytes.fromhex(case["signature"]))
            if salt is not None and salt != 32:
                # RFC 8230, 2: the salt MUST be 32 bytes; python-fido2
                # takes the longest one (and only it)
                return "fido2-ps256-wrong-salt-length:salt-%d" % salt

        if code == "user_handle_mismatch":
            # WebAuthn L3, 7.2, step 6: authenticate_complete() takes no
            # userHandle
            return "fido2-takes-no-user-handle"

        if code == "sign_count_regressed":
            # WebAuthn L3, 7.2, step 22: authenticate_complete() leaves
            # the signature counter to its caller
            stored, got = case["stored_count"], \
                struct.unpack(">I", ad[33:37])[0]
            if (stored or got) and got <= stored:
                return "fido2-no-sign-count-check"

    if core["ok"] and fido_err is not None:
        # python-fido2 refuses what the core accepts

        if fido_err.startswith("RecursionError"):
            # WebAuthn L3, 7.2, step 9 (parse as JSON): jansson nests to
            # 2048 levels, python's json stops near 1000 (its recursion
            # limit); a limit of the reference
            return "fido2-json-recursion-limit"

        subset = []
        off = _ext_offset(ad)
        if off is not None and len(ad) > off and ad[32] & 0x80 and \
                cbor_item_len(ad, off, subset) == len(ad) - off and subset:
            # 6.1's extensions, one well-formed CBOR map (RFC 8949,
            # 5.3.1): what the core checks of them, since it reads none;
            # python-fido2's own CBOR reader has no indefinite lengths,
            # tags or floats (it reads every major type 7 item as a
            # boolean)
            return "fido2-cbor-subset:" + ",".join(sorted(set(subset)))

        cose = bytes.fromhex(case["cose"])
        if cbor_item_len(cose) == len(cose) and cose[0] >> 5 == 5:
            alg = _cose_label(cose, 3)
            n, e = _cose_label(cose, -1), _cose_label(cose, -2)
            if alg == -37 and isinstance(n, bytes) and \
                    isinstance(e, bytes) and pss_salt_len(
                        int.from_bytes(n, "big"), int.from_bytes(e, "big"),
                        bytes.fromhex(case["signature"])) == 32:
                # RFC 8230, 2: PS256's salt is 32 bytes; python-fido2
                # 0.9.1 verifies with the longest salt instead
                # (padding.PSS.MAX_LENGTH), so it refuses every
                # conforming PS256 signature: a bug of the reference
                return "fido2-ps256-wrong-salt-length"
            if alg in (-9, -19) and "NotImplementedError" in fido_err:
                # RFC 9864's fully-specified algorithms (ESP256 -9,
                # Ed25519 -19), newer than python-fido2 0.9.1, which
                # has no key class for them
                return "fido2-predates-rfc9864-algorithms"

    return None


def cbor_decode(b, pos=0):
    """(value, next position) of a well-formed definite-length item:
    ints, byte and text strings, arrays, maps as lists of pairs, and
    anything else as ("other", bytes)"""
    used = cbor_item_len(b, pos)
    major, ai = b[pos] >> 5, b[pos] & 31
    p = pos + 1
    n = ai
    if 24 <= ai <= 27:
        size = 1 << (ai - 24)
        n = int.from_bytes(b[p:p + size], "big")
        p += size
    if ai == 31 or major in (6, 7):
        return ("other", b[pos:pos + used]), pos + used
    if major == 0:
        return n, p
    if major == 1:
        return -1 - n, p
    if major == 2:
        return bytes(b[p:p + n]), p + n
    if major == 3:
        return b[p:p + n].decode("utf-8"), p + n
    out = []
    for _ in range(n):
        k, p = cbor_decode(b, p)
        if major == 5:
            v, p = cbor_decode(b, p)
            out.append((k, v))
        else:
            out.append(k)
    return out, p


def _cose_label(cose, label):
    """the value of a label of a well-formed COSE map (the last one), or
    None"""
    if cbor_item_len(cose) is None or cose[0] >> 5 != 5:
        return None
    pairs, _ = cbor_decode(cose)
    value = None
    for k, v in pairs:
        if k == label and type(k) is type(label):
            value = v
    return value


def _cose_reason(cose, detail):
    """the stored key the core refuses and python-fido2 builds"""
    if cbor_item_len(cose) is None:
        # RFC 8949, 5.3.1: one well-formed item; fido2's reader takes a
        # string cut short (a trailing byte it does refuse:
        # AttestedCredentialData checks that nothing is left)
        return "fido2-lax-cbor-cose"
    if "duplicate label" in detail:
        # RFC 8949, 5.6 (and RFC 9052, 7: labels unique); fido2 keeps the
        # last
        return "fido2-cose-duplicate-label"
    kty, alg, crv = _cose_label(cose, 1), _cose_label(cose, 3), \
        _cose_label(cose, -1)
    want = {-7: 2, -9: 2, -8: 1, -19: 1, -257: 3, -37: 3}
    if alg in want and kty != want[alg]:
        # RFC 9053, 2.1 and 2.2, RFC 8230, 2: "kty" MUST be the key
        # type of the algorithm (EC2, OKP, RSA); fido2 0.9.1 reads alg
        # alone
        return "fido2-ignores-kty"
    if "shorter than 2048" in detail:
        # RFC 8812, 2: RS256 keys of 2048 bits or more (the core asks
        # the same of PS256)
        return "fido2-takes-short-rsa-modulus"
    if kty == 2 and crv == 1 and "coordinates have a wrong length" in detail:
        # RFC 9053, 7.1.1: x and y of the curve's size, leading zero
        # octets kept; fido2 takes any length (bytes2int)
        x, y = _cose_label(cose, -2), _cose_label(cose, -3)
        if isinstance(x, bytes) and isinstance(y, bytes) and \
                (len(x) != 32 or len(y) != 32):
            return "fido2-any-length-ec-coordinate"
    return None


def compare(case, core):
    fido_err = reference(case)
    if core["ok"] == (fido_err is None):
        return "agree"
    reason = policy_reason(case, core, fido_err)
    if reason:
        return ("policy", reason)
    return ("disagree", "core: %s; fido2: %s; mutations %s %s"
            % ("accepted" if core["ok"] else "%s %s (%s)" % (
                core["stage"], core["code"], core["detail"]),
               "accepted" if fido_err is None else fido_err,
               case["mutations"], case["sig_mutation"] or ""))
