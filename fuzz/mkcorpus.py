#!/usr/bin/python3
#
# Copyright (C) ngx_http_webauthn_module authors
#
# The committed seed corpus of every fuzz target: fuzz/corpus/<target>/,
# a few small files each in the target's input format (its header
# comment), made here with our own tools only: tools/webauthn-softkey
# (keys, COSE, CBOR, signatures, registrations, challenges) and
# t/unit/mktrust.py (test CAs, MDS BLOBs), both on python3-cryptography.
# Nothing comes from ../shared (the recorded vectors stay there; "make
# fuzz-long" adds them as extra seeds under build/ at run time).
#
# usage: fuzz/mkcorpus.py [TARGET ...]     (default: every target here)
#
# Keys are fresh on every run, so the files change; commit what a run
# wrote.  The fixed secrets below are the targets' own (fuzz_*.c).

import base64
import hashlib
import hmac
import importlib.machinery
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature)
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)


def load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


sk = load("webauthn_softkey", os.path.join(TOP, "tools", "webauthn-softkey"))
mt = load("mktrust", os.path.join(TOP, "t", "unit", "mktrust.py"))

# the targets' fixed keys (fuzz_challenge.c, fuzz_token.c)
CHALLENGE_KEY = b"fuzz challenge key, forty bytes long...."
SESSION_SECRET = b"fuzz session secret of forty bytes......"
# fuzz_cose.c's message: 37 bytes, the C string and its NUL
COSE_AUTH_DATA = b"fuzz authenticator data, 37 bytes...\0"
RP_ID = "example.org"
ORIGIN = "https://example.org"
NOW_S = 1748736000               # 2025-06-01, fuzz_pki.h's FUZZ_PKI_NOW
ALGS = ("es256", "es384", "es512", "eddsa", "rs256", "ps256")

cbor = sk.cbor_encode
b64url = sk.b64url


def be64(v):
    return struct.pack(">Q", v)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def client_data(kind="webauthn.get", challenge=b"fuzz challenge", **extra):
    cd = {"type": kind, "challenge": b64url(challenge), "origin": ORIGIN}
    cd.update(extra)
    return json.dumps(cd, separators=(",", ":")).encode()


def auth_data(flags, count=0, attested=None):
    ad = hashlib.sha256(RP_ID.encode()).digest() + bytes([flags]) \
        + struct.pack(">I", count)
    if attested is not None:
        aaguid, cred_id, cose = attested
        ad += aaguid + struct.pack(">H", len(cred_id)) + cred_id + cbor(cose)
    return ad


# -- the targets -------------------------------------------------------------

def seeds_assertion():
    for alg in ALGS:
        key = sk.generate_key(alg)
        cose = sk.cose_key(alg, key.public_key())
        cred_id = os.urandom(16)
        cdj = client_data()
        ad = auth_data(sk.FLAG_UP | sk.FLAG_UV, 7)
        sig = sk.sign(alg, key, ad + hashlib.sha256(cdj).digest())
        env = {"id": b64url(cred_id), "rawId": b64url(cred_id),
               "type": "public-key",
               "response": {"clientDataJSON": b64url(cdj),
                            "authenticatorData": b64url(ad),
                            "signature": b64url(sig),
                            "userHandle": b64url(b"user")}}
        yield alg, json.dumps(env).encode() + b"\0" + cbor(cose)


def registrations(tmp):
    """softkey register: (name, cred JSON) for each attestation it makes"""

    sk.write_ca(tmp, "fuzz")
    options = os.path.join(tmp, "options.json")
    with open(options, "w") as f:
        json.dump({"challenge": b64url(b"fuzz challenge"),
                   "rp": {"id": "localhost", "name": "fuzz"},
                   "user": {"id": b64url(b"user"), "name": "alice"},
                   "pubKeyCredParams": [{"type": "public-key", "alg": a}
                                        for a in (-7, -8, -35, -36, -37,
                                                  -257)]},
                  f)
    ca = ["--ca-key", os.path.join(tmp, "fuzz-root.key"),
          "--ca-cert", os.path.join(tmp, "fuzz-root.pem")]
    runs = [("none", "es256", []), ("none", "eddsa", []),
            ("packed-self", "es256", []), ("packed-self", "rs256", []),
            ("packed", "es256", ca), ("fido-u2f", "es256", ca)]
    for att, alg, extra in runs:
        args = sk.build_parser().parse_args(
            ["register", "--options", options, "--origin",
             "http://localhost", "--key", os.path.join(tmp, "k.json"),
             "--attestation", att, "--alg", alg] + extra)
        cred, _ = sk.make_registration(args, sk.read_options(options))
        yield "%s-%s" % (att, alg), cred


def seeds_registration(tmp):
    for name, cred in registrations(tmp):
        yield name, json.dumps(cred).encode()
        ao = sk.b64url_decode(cred["response"]["attestationObject"])
        yield "ao-" + name, (b"\0" + hashlib.sha256(b"localhost").digest()
                             + ao)


def seeds_attestation(tmp):
    # softkey's statements: none, packed (self, x5c), fido-u2f
    fmts = {"none": 0, "packed": 1, "fido-u2f": 2}
    for name, cred in registrations(tmp):
        ao, _ = sk.cbor_decode(sk.b64url_decode(
            cred["response"]["attestationObject"]))
        cdh = hashlib.sha256(sk.b64url_decode(
            cred["response"]["clientDataJSON"])).digest()
        sel = fmts[ao["fmt"]]
        yield name, (bytes([sel]) + cdh + cbor(ao["attStmt"])
                     + ao["authData"])
    # the others, made here as 8.3 to 8.8 describe them
    for name, sel, stmt, ad, cdh in other_statements():
        yield name, bytes([sel]) + cdh + cbor(stmt) + ad


# -- statements softkey does not make ----------------------------------------

def der_tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body


def der_int(v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return der_tlv(0x02, b)


def der_seq(*items):
    return der_tlv(0x30, b"".join(items))


def der_explicit(num, body):
    """[num] EXPLICIT, high tag numbers (Android's 702) included"""
    if num < 31:
        tag = bytes([0xa0 | num])
    else:
        digits = []
        while True:
            digits.insert(0, num & 0x7f)
            num >>= 7
            if not num:
                break
        tag = bytes([0xbf]) + bytes([d | 0x80 for d in digits[:-1]]
                                    + [digits[-1]])
    n = len(body)
    return tag + (bytes([n]) if n < 0x80 else bytes([0x81, n])) + body


def leaf(key, cn, exts, issuer_key=None, subject=None):
    if subject is None:
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                    "fuzz CA")]))
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(mt.day("2020-01-01"))
         .not_valid_after(mt.day("2040-01-01")))
    for ext, critical in exts:
        b = b.add_extension(ext, critical=critical)
    signer = issuer_key or ec.generate_private_key(ec.SECP256R1())
    return b.sign(signer, hashes.SHA256())


def other_statements():
    key = ec.generate_private_key(ec.SECP256R1())
    cose = sk.cose_key("es256", key.public_key())
    cdh = hashlib.sha256(client_data("webauthn.create")).digest()
    ad = auth_data(sk.FLAG_UP | sk.FLAG_AT, 0,
                   (bytes(16), b"fuzzcred", cose))
    nonce = hashlib.sha256(ad + cdh).digest()
    bc = (x509.BasicConstraints(ca=False, path_length=None), True)

    # apple (8.8): the nonce extension, the credential key in the leaf
    ext = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.2.840.113635.100.8.2"),
        der_seq(der_explicit(1, der_tlv(0x04, nonce))))
    cert = leaf(key, "apple", [(ext, False)])
    yield "apple", 6, {"x5c": [der(cert)]}, ad, cdh

    # android-key (8.4): the key description, origin generated, sign
    auth = (der_explicit(1, der_tlv(0x31, der_int(2)))
            + der_explicit(702, der_int(0)))
    desc = der_seq(der_int(3), der_tlv(0x0a, b"\x01"), der_int(4),
                   der_tlv(0x0a, b"\x01"), der_tlv(0x04, cdh),
                   der_tlv(0x04, b""), der_seq(), der_seq(auth))
    ext = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17"), desc)
    cert = leaf(key, "android key", [(ext, False), bc])
    att_key = ec.generate_private_key(ec.SECP256R1())
    sig = key.sign(ad + cdh, ec.ECDSA(hashes.SHA256()))
    yield "android-key", 4, {"alg": -7, "sig": sig, "x5c": [der(cert)]}, \
        ad, cdh

    # android-safetynet (8.5): a JWS by attest.android.com
    jkey = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jcert = leaf(jkey, "attest.android.com", [bc])
    header = {"alg": "RS256",
              "x5c": [base64.b64encode(der(jcert)).decode()]}
    payload = {"nonce": base64.b64encode(nonce).decode(),
               "timestampMs": NOW_S * 1000 - 1000, "ctsProfileMatch": True,
               "basicIntegrity": True, "apkPackageName": "com.google"}
    si = (b64url(json.dumps(header).encode()) + "."
          + b64url(json.dumps(payload).encode()))
    jsig = jkey.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256())
    yield "android-safetynet", 5 | 0x30, \
        {"ver": "14366018", "response": (si + "." + b64url(jsig)).encode()}, \
        ad, cdh

    # tpm (8.3): pubArea (TPMT_PUBLIC, ECC P-256), certInfo
    # (TPMS_ATTEST, certify), an AIK certificate, an ES256 signature
    nums = key.public_key().public_numbers()
    pub_area = (struct.pack(">HHI", 0x0023, 0x000b, 0x00060472)
                + struct.pack(">H", 0)
                + struct.pack(">HHHH", 0x0010, 0x0010, 0x0003, 0x0010)
                + struct.pack(">H", 32) + nums.x.to_bytes(32, "big")
                + struct.pack(">H", 32) + nums.y.to_bytes(32, "big"))
    name = struct.pack(">H", 0x000b) + hashlib.sha256(pub_area).digest()
    extra = hashlib.sha256(ad + cdh).digest()
    cert_info = (struct.pack(">IH", 0xff544347, 0x8017)
                 + struct.pack(">H", 4) + b"\x00\x0b\x00\x00"
                 + struct.pack(">H", len(extra)) + extra
                 + bytes(17) + bytes(8)
                 + struct.pack(">H", len(name)) + name
                 + struct.pack(">H", 0))
    aik = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DirectoryName(x509.Name([
        x509.NameAttribute(x509.ObjectIdentifier("2.23.133.2.1"),
                           "id:414D4400"),
        x509.NameAttribute(x509.ObjectIdentifier("2.23.133.2.2"), "fuzz"),
        x509.NameAttribute(x509.ObjectIdentifier("2.23.133.2.3"),
                           "id:0001")]))])
    eku = x509.ExtendedKeyUsage([x509.ObjectIdentifier("2.23.133.8.3")])
    cert = leaf(aik, "", [(san, True), (eku, False), bc],
                subject=x509.Name([]))
    sig = aik.sign(cert_info, ec.ECDSA(hashes.SHA256()))
    yield "tpm", 3, {"ver": "2.0", "alg": -7, "sig": sig,
                     "x5c": [der(cert)], "certInfo": cert_info,
                     "pubArea": pub_area}, ad, cdh
    del att_key


def seeds_sigv4():
    yield "get", (b"GET /?Param2=value2&Param1=value1 HTTP/1.1\n"
                  b"Host:example.amazonaws.com\n"
                  b"X-Amz-Date:20150830T123600Z\n\n")
    yield "post", (b"POST /a/./b/../c//d HTTP/1.1\n"
                   b"Host:example.amazonaws.com\n"
                   b"Content-Type:application/x-www-form-urlencoded\n"
                   b"My-Header1:  a   b   c  \n"
                   b" continued\n"
                   b"X-Amz-Date:20150830T123600Z\n\nParam1=value1")
    yield "utf8", ("GET /\u1234/%E1%88%B4?\u1234=%20&a=b+c HTTP/1.1\n"
                   "Host:example.amazonaws.com\n\n").encode()
    yield "fields", (b"\0GET\0/path?x=1&x=0\0host\0example.org"
                     b"\0x-amz-date\020150830T123600Z\0X-Dup\0a\0x-dup\0b")


def seeds_clientdata():
    ch = os.urandom(32)
    yield "get", b"\0" + client_data(challenge=ch)
    yield "create", b"\x01" + client_data("webauthn.create", ch,
                                          crossOrigin=False)
    yield "cross", b"\x02" + client_data(challenge=ch, crossOrigin=True,
                                         topOrigin=ORIGIN)
    yield "top-port", b"\x02" + client_data(
        challenge=ch, topOrigin="https://login.example.org:8443")
    yield "tokenbinding", b"\x01" + client_data(
        "webauthn.create", ch, tokenBinding={"status": "present",
                                             "id": "AAAA"})
    yield "padded", (b"\0" + b'{"type":"webauthn.get","challenge":"'
                     + base64.b64encode(ch) + b'","origin":"' + ORIGIN.encode()
                     + b'","other":[1,2,{"x":null}]}')
    yield "refused", b"\x04" + client_data(challenge=ch)


def seeds_cose():
    msg = COSE_AUTH_DATA + hashlib.sha256(b"fuzz client data").digest()
    for alg in ALGS:
        key = sk.generate_key(alg)
        cose = sk.cose_key(alg, key.public_key())
        yield alg, b"\0" + cbor(cose) + sk.sign(alg, key, msg)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cose = sk.cose_key("rs256", key.public_key(), -65535)
    yield "rs1", b"\x01" + cbor(cose) + key.sign(msg, padding.PKCS1v15(),
                                                 hashes.SHA1())
    ed = ed25519.Ed25519PrivateKey.generate()
    cose = sk.cose_key("eddsa", ed.public_key(), -19)
    yield "ed25519", b"\0" + cbor(cose) + ed.sign(msg)


def challenge(version, issued, expires, binding=None):
    body = bytes([version]) + be64(issued) + be64(expires) + os.urandom(16)
    msg = body + RP_ID.encode() + (binding or b"")
    return body + hmac.new(CHALLENGE_KEY, msg, hashlib.sha256).digest()


def seeds_challenge():
    now = NOW_S * 1000
    bind = hashlib.sha256(b"invitation").digest()
    minted = sk.b64url_decode(sk.mint_challenge(CHALLENGE_KEY, RP_ID))
    yield "softkey", b"\0" + be64(sk.now_ms()) + be64(300000) + minted
    yield "valid", b"\0" + be64(now) + be64(300000) + challenge(
        2, now - 1000, now + 60000)
    yield "expired", b"\0" + be64(now) + be64(300000) + challenge(
        2, now - 90000, now - 1)
    yield "old", b"\0" + be64(now) + be64(10) + challenge(
        2, now - 1000, now + 60000)
    yield "register", b"\0" + be64(now) + be64(300000) + challenge(
        3, now - 1000, now + 60000, bind)
    yield "seal", b"\x01" + be64(now) + be64(2 ** 64 - 1) + challenge(
        2, 2 ** 64 - 2, 2 ** 64 - 1)
    yield "seal-other", b"\x07" + be64(now) + be64(0) + challenge(
        3, 0, now)


def pki():
    root = mt.make(mt.name("fuzz seed root"))
    inter = mt.make(mt.name("fuzz seed intermediate"), issuer=root)
    ext = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4"),
        b"\x04\x10" + bytes(range(16)))
    key = ec.generate_private_key(ec.SECP256R1())
    att = leaf(key, "fuzz attestation", [
        (ext, False), (x509.BasicConstraints(ca=False, path_length=None),
                       True)], issuer_key=inter.key,
        subject=x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fuzz"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,
                               "Authenticator Attestation"),
            x509.NameAttribute(NameOID.COMMON_NAME, "fuzz")]))
    return root, inter, att


def seeds_x509():
    root, inter, att = pki()
    rsa_root = mt.make(mt.name("fuzz rsa root"),
                       key=rsa.generate_private_key(public_exponent=65537,
                                                    key_size=2048))
    yield "der-leaf", b"\0" + der(att)
    yield "der-chain", b"\0" + der(att) + inter.der() + root.der()
    yield "der-resign", b"\x04" + der(att) + inter.der()
    yield "der-rsa", b"\x04" + rsa_root.der()
    yield "x5c", b"\x01" + cbor({"alg": -7, "sig": b"\x30\x00",
                                 "x5c": [der(att), inter.der()]})
    yield "pem", b"\x02" + root.pem() + b"junk\n" + inter.pem()
    yield "b64", b"\x03" + base64.b64encode(der(att))


def seeds_mds():
    root, inter, att = pki()
    signer = mt.make(mt.name("fuzz MDS signer"), issuer=root, ca=False)
    kid = mt.key_id(mt.Cert(att, None))
    entries = [
        {"aaguid": "00010203-0405-0607-0809-0a0b0c0d0e0f",
         "metadataStatement": {"attestationRootCertificates": [root.b64()]},
         "statusReports": [{"status": "FIDO_CERTIFIED_L1",
                            "effectiveDate": "2022-01-01"}],
         "timeOfLastStatusChange": "2022-01-01"},
        {"aaguid": "10010203-0405-0607-0809-0a0b0c0d0e0f",
         "metadataStatement": {"attestationRootCertificates": [root.b64()]},
         "statusReports": [{"status": "FIDO_CERTIFIED",
                            "effectiveDate": "2020-01-01"},
                           {"status": "REVOKED",
                            "effectiveDate": "2023-01-01"}]},
        {"attestationCertificateKeyIdentifiers": [kid, "00" * 20],
         "metadataStatement": {"attestationRootCertificates": [
             inter.b64()]},
         "statusReports": [{"status": "USER_VERIFICATION_BYPASS"}]},
    ]
    payload = {"legalHeader": "fuzz", "no": 3, "nextUpdate": "2025-07-01",
               "entries": entries}
    aaguid = bytes(range(16))
    body = json.dumps(payload).encode()
    yield "blob", b"\0" + aaguid + mt.jws("ES256", [signer], payload,
                                          signer.key).encode()
    yield "payload", b"\x01" + aaguid + body
    yield "payload-kid", b"\x03" + bytes(16) + body
    yield "payload-revoked", b"\x01" + bytes([0x10]) + aaguid[1:] + body
    header = {"alg": "ES256", "x5c": [signer.b64(), root.b64()]}
    yield "header", (b"\x02" + aaguid + json.dumps(header).encode() + b"\0"
                     + body)


def token(header, claims):
    si = (b64url(json.dumps(header).encode()) + "."
          + b64url(json.dumps(claims).encode()))
    sig = hmac.new(SESSION_SECRET, si.encode(), hashlib.sha256).digest()
    return (si + "." + b64url(sig)).encode()


def seeds_token():
    now = NOW_S
    claims = {"sub": "alice", "cid": b64url(os.urandom(16)),
              "roles": ["admin", "ops"], "uv": True, "iat": now,
              "exp": now + 600, "auth_time": now - 5,
              "iss": ORIGIN, "aud": RP_ID}
    hs = {"alg": "HS256", "kid": "hs", "typ": "JWT"}
    ed = {"alg": "EdDSA", "kid": "ed", "typ": "JWT"}
    sep = b"\0"
    yield "hs256", b"\x14" + be64(now) + token(hs, claims)
    yield "hs256-expired", b"\0" + be64(now + 900) + token(hs, claims)
    yield "signed-hs", (b"\x01" + be64(now) + json.dumps(hs).encode() + sep
                        + json.dumps(claims).encode())
    yield "signed-ed", (b"\x02" + be64(now) + json.dumps(ed).encode() + sep
                        + json.dumps(claims).encode())
    yield "signed-none", (b"\x01" + be64(now)
                          + json.dumps({"alg": "none", "kid": "hs"})
                          .encode() + sep + json.dumps(claims).encode())
    edkey = ed25519.Ed25519PrivateKey.generate()
    yield "key-ed25519", b"\x03" + be64(now) + edkey.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    yield "key-secret", b"\x03" + be64(now) + os.urandom(48)
    yield "key-public", b"\x03" + be64(now) + edkey.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)


TARGETS = {
    "assertion": seeds_assertion,
    "registration": seeds_registration,
    "attestation": seeds_attestation,
    "sigv4": seeds_sigv4,
    "clientdata": seeds_clientdata,
    "cose": seeds_cose,
    "challenge": seeds_challenge,
    "x509": seeds_x509,
    "mds": seeds_mds,
    "token": seeds_token,
}


def main(argv):
    names = argv or sorted(TARGETS)
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            gen = TARGETS[name]
            out = os.path.join(HERE, "corpus", name)
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            n = 0
            args = [tmp] if gen.__code__.co_argcount else []
            for seed, data in gen(*args):
                with open(os.path.join(out, seed), "wb") as f:
                    f.write(data)
                n += 1
            print("fuzz/corpus/%s: %d seeds" % (name, n))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
