#!/usr/bin/python3
#
# Copyright (C) ngx_http_webauthn_module authors
#
# Fixtures for t/unit/test_trust.c, written into DIR with
# python3-cryptography only (nothing is shared with the module):
#
#   a test CA (root, intermediate) and attestation chains, one per case,
#   cases.json saying which chain passes with which anchors at which time;
#   a FIDO MDS root, BLOB signing certificates and MDS3 BLOBs (JWS compact
#   serialization, RFC 7515, 7.1) good and bad, blobs.json saying which
#   loads with which root at which time;
#   meta.json with the AAGUIDs, key identifiers, times and the subjects
#   and dates wa_trust_item() must report.
#
# usage: mktrust.py DIR
#        mktrust.py blob DIR AAGUID=ROOT.pem[:STATUS] ...
#
# The second form, for the nginx tests (t/lib/EnrollTest.pm), writes a
# FIDO root (DIR/mds-root.pem) and a BLOB signed under it (DIR/mds.jwt,
# valid now, nextUpdate in 60 days) with one entry per argument: the
# AAGUID, the PEM file of its attestation root, and its latest status
# (FIDO_CERTIFIED by default).

import base64
import calendar
import datetime
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature)
from cryptography.x509.oid import NameOID


UTC = datetime.timezone.utc


def day(s):
    return datetime.datetime.strptime(s, "%Y-%m-%d").replace(tzinfo=UTC)


def epoch(d):
    return calendar.timegm(d.utctimetuple())


# the clocks the checks run at
NOW = day("2025-06-01")
EARLY = day("2020-06-01")
LATE = day("2032-01-01")

SERIAL = [1000]


def name(cn, o="Example Test CA"):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, o),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def eckey():
    return ec.generate_private_key(ec.SECP256R1())


class Cert:
    def __init__(self, cert, key):
        self.cert = cert
        self.key = key

    def der(self):
        return self.cert.public_bytes(serialization.Encoding.DER)

    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def b64(self):
        return base64.b64encode(self.der()).decode()


def make(subject, key=None, issuer=None, nb="2018-01-01", na="2045-01-01",
         ca=True, bc=True, pathlen=None):
    """issuer None: self-signed; bc False: no basicConstraints at all"""

    SERIAL[0] += 1
    key = key or eckey()
    pub = key.public_key()
    b = x509.CertificateBuilder()
    b = b.subject_name(subject)
    b = b.issuer_name(issuer.cert.subject if issuer else subject)
    b = b.public_key(pub)
    b = b.serial_number(SERIAL[0])
    b = b.not_valid_before(day(nb))
    b = b.not_valid_after(day(na))
    if bc:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen
                                                  if ca else None),
                            critical=True)
    if ca and bc:
        b = b.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False,
            key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(pub),
                        critical=False)
    if issuer:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.key.public_key()), critical=False)
    signer = issuer.key if issuer else key
    return Cert(b.sign(signer, hashes.SHA256()), key)


def key_id(c):
    # FIDO MDS: SHA-1 of the subjectPublicKey BIT STRING's contents
    return x509.SubjectKeyIdentifier.from_public_key(
        c.cert.public_key()).digest.hex()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jws(alg, x5c, payload, key):
    header = {"alg": alg, "typ": "JWT", "x5c": [c.b64() for c in x5c]}
    h = b64url(json.dumps(header).encode())
    p = b64url(payload if isinstance(payload, bytes)
               else json.dumps(payload).encode())
    signing_input = (h + "." + p).encode()
    if alg == "ES256":
        der = key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif alg == "RS256":
        sig = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError(alg)
    return h + "." + p + "." + b64url(sig)


def blob_cmd(out, specs):
    os.makedirs(out, exist_ok=True)
    today = datetime.datetime.now(UTC)
    root = make(name("Test FIDO MDS Root", "Test FIDO"))
    signer = make(name("Test MDS BLOB Signer", "Test FIDO"), issuer=root,
                  ca=False)
    entries = []
    for spec in specs:
        aaguid, rest = spec.split("=", 1)
        pem, _, status = rest.partition(":")
        with open(pem, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        der = cert.public_bytes(serialization.Encoding.DER)
        entries.append({
            "aaguid": aaguid,
            "metadataStatement": {
                "legalHeader": "test", "description": "test model " + aaguid,
                "schema": 3, "attestationTypes": ["basic_full"],
                "attestationRootCertificates": [
                    base64.b64encode(der).decode()]},
            "statusReports": [{
                "status": status or "FIDO_CERTIFIED",
                "effectiveDate": today.strftime("%Y-%m-%d")}],
            "timeOfLastStatusChange": today.strftime("%Y-%m-%d")})
    payload = {"legalHeader": "test", "no": 7,
               "nextUpdate": (today + datetime.timedelta(days=60))
               .strftime("%Y-%m-%d"),
               "entries": entries}
    with open(os.path.join(out, "mds.jwt"), "w") as f:
        f.write(jws("ES256", [signer], payload, signer.key))
    with open(os.path.join(out, "mds-root.pem"), "wb") as f:
        f.write(root.pem())


def main():
    if sys.argv[1] == "blob":
        return blob_cmd(sys.argv[2], sys.argv[3:])

    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    def write(fn, data):
        with open(os.path.join(out, fn), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def chain(fn, *certs):
        write(fn, b"".join(c.pem() for c in certs))
        return fn

    # -- the test CA and attestation chains ----------------------------------

    root = make(name("Test Attestation Root"))
    inter = make(name("Test Attestation Intermediate"), issuer=root,
                 pathlen=0)
    other = make(name("Unrelated Root", "Other CA"))

    leaf = make(name("Test Authenticator", "Example Maker"), issuer=inter,
                nb="2024-01-01", na="2034-01-01", ca=False)
    expired = make(name("Expired Authenticator", "Example Maker"),
                   issuer=inter, nb="2019-01-01", na="2022-01-01", ca=False)
    future = make(name("Future Authenticator", "Example Maker"),
                  issuer=inter, nb="2031-01-01", na="2036-01-01", ca=False)

    noca = make(name("Intermediate CA FALSE"), issuer=root, ca=False)
    noca_leaf = make(name("Below CA FALSE", "Example Maker"), issuer=noca,
                     nb="2024-01-01", na="2034-01-01", ca=False)
    nobc = make(name("Intermediate without basicConstraints"), issuer=root,
                bc=False, ca=False)
    nobc_leaf = make(name("Below no basicConstraints", "Example Maker"),
                     issuer=nobc, nb="2024-01-01", na="2034-01-01",
                     ca=False)

    # a root the client sends inside x5c; a twin has the configured
    # root's very name, with another key
    evil = make(name("Evil Root", "Evil"))
    evil_leaf = make(name("Evil Authenticator", "Evil"), issuer=evil,
                     nb="2024-01-01", na="2034-01-01", ca=False)
    twin = make(name("Test Attestation Root"))
    twin_int = make(name("Test Attestation Intermediate"), issuer=twin,
                    pathlen=0)
    twin_leaf = make(name("Twin Authenticator", "Evil"), issuer=twin_int,
                     nb="2024-01-01", na="2034-01-01", ca=False)
    self_leaf = make(name("Self-signed Authenticator", "Evil"),
                     nb="2024-01-01", na="2034-01-01", ca=False)

    write("ca_root.pem", root.pem())
    write("ca_int.pem", inter.pem())
    write("other_root.pem", other.pem())
    write("evil_root.pem", evil.pem())
    write("bundle.pem", b"# a comment line outside the blocks\n"
          + root.pem() + b"\n" + inter.pem())
    write("bad.pem", root.pem().replace(b"MI", b"M!", 1))
    write("empty.pem", b"no PEM block here\n")

    chain("chain_ok.pem", leaf, inter)
    chain("chain_ok_with_root.pem", leaf, inter, root)
    chain("chain_leaf_only.pem", leaf)
    chain("chain_expired.pem", expired, inter)
    chain("chain_future.pem", future, inter)
    chain("chain_noca.pem", noca_leaf, noca)
    chain("chain_nobc.pem", nobc_leaf, nobc)
    chain("chain_evil.pem", evil_leaf, evil)
    chain("chain_twin.pem", twin_leaf, twin_int, twin)
    chain("chain_self.pem", self_leaf)

    lead = "attestation chain does not lead to a configured trust anchor"
    validity = "attestation certificate has expired or is not yet valid"
    notca = "attestation chain has an intermediate that is not a CA"

    cases = [
        ["chain to the configured root through x5c's intermediate passes",
         "chain_ok.pem", ["ca_root.pem"], "now", "ok"],
        ["the configured root also sent inside x5c passes",
         "chain_ok_with_root.pem", ["ca_root.pem"], "now", "ok"],
        ["a wrong anchor is refused",
         "chain_ok.pem", ["other_root.pem"], "now", lead],
        ["no anchor at all is refused",
         "chain_ok.pem", [], "now", lead],
        ["a missing intermediate is refused",
         "chain_leaf_only.pem", ["ca_root.pem"], "now", lead],
        ["a root inside x5c is not trusted by itself",
         "chain_evil.pem", ["ca_root.pem"], "now", lead],
        ["the same chain passes once its root is configured",
         "chain_evil.pem", ["evil_root.pem"], "now", "ok"],
        ["a root inside x5c named as the configured one is not trusted",
         "chain_twin.pem", ["ca_root.pem"], "now", lead],
        ["a self-signed attestation certificate is not trusted",
         "chain_self.pem", ["ca_root.pem"], "now", lead],
        ["an expired leaf is refused at now",
         "chain_expired.pem", ["ca_root.pem"], "now", validity],
        ["the expired leaf passes at an earlier now_s",
         "chain_expired.pem", ["ca_root.pem"], "early", "ok"],
        ["a leaf not yet valid is refused at now",
         "chain_future.pem", ["ca_root.pem"], "now", validity],
        ["the leaf not yet valid passes at a later now_s",
         "chain_future.pem", ["ca_root.pem"], "late", "ok"],
        ["the valid leaf is refused before its notBefore",
         "chain_ok.pem", ["ca_root.pem"], "early", validity],
        ["an intermediate with CA:FALSE is refused",
         "chain_noca.pem", ["ca_root.pem"], "now", notca],
        ["an intermediate without basicConstraints is refused",
         "chain_nobc.pem", ["ca_root.pem"], "now", notca],
        ["PARTIAL_CHAIN: an intermediate as the only anchor passes",
         "chain_ok.pem", ["ca_int.pem"], "now", "ok"],
        ["PARTIAL_CHAIN: the leaf alone with the intermediate as anchor",
         "chain_leaf_only.pem", ["ca_int.pem"], "now", "ok"],
        ["a bundle of root and intermediate passes",
         "chain_ok.pem", ["bundle.pem"], "now", "ok"],
    ]

    write("cases.json", json.dumps([
        {"name": c[0], "chain": c[1], "anchors": c[2], "now": c[3],
         "expect": c[4]} for c in cases], indent=1))

    # -- FIDO MDS: root, signers ---------------------------------------------

    mds_root = make(name("Test FIDO MDS Root", "Test FIDO Alliance"),
                    nb="2016-01-01")
    mds_int = make(name("Test FIDO MDS CA-1", "Test FIDO Alliance"),
                   issuer=mds_root, nb="2017-01-01")
    signer = make(name("Test MDS BLOB Signer", "Test FIDO Alliance"),
                  issuer=mds_int, nb="2020-01-01", na="2040-01-01",
                  ca=False)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_signer = make(name("Test MDS BLOB RSA Signer", "Test FIDO Alliance"),
                      key=rsa_key, issuer=mds_root, nb="2020-01-01",
                      na="2040-01-01", ca=False)
    old_signer = make(name("Test MDS BLOB Old Signer", "Test FIDO Alliance"),
                      issuer=mds_int, nb="2019-01-01", na="2022-01-01",
                      ca=False)
    evil_mds = make(name("Test FIDO MDS Root", "Test FIDO Alliance"))
    evil_signer = make(name("Test MDS BLOB Signer", "Test FIDO Alliance"),
                       issuer=evil_mds, nb="2020-01-01", na="2040-01-01",
                       ca=False)

    write("mds_root.pem", mds_root.pem())
    write("mds_int.pem", mds_int.pem())
    write("mds_evil_root.pem", evil_mds.pem())

    # -- authenticator vendors' roots and attestation chains -----------------

    vend = make(name("Vendor A Root", "Vendor A"))
    vend_int = make(name("Vendor A Batch CA", "Vendor A"), issuer=vend)
    vend_leaf = make(name("Vendor A Authenticator", "Vendor A"),
                     issuer=vend_int, nb="2024-01-01", na="2034-01-01",
                     ca=False)
    chain("chain_vendor.pem", vend_leaf, vend_int)

    u2f_root = make(name("Vendor U Root", "Vendor U"))
    u2f_leaf = make(name("Vendor U Key", "Vendor U"), issuer=u2f_root,
                    nb="2024-01-01", na="2034-01-01", ca=False)
    u2f_other = make(name("Vendor U Unlisted Key", "Vendor U"),
                     issuer=u2f_root, nb="2024-01-01", na="2034-01-01",
                     ca=False)
    u2f_bad = make(name("Vendor U Compromised Key", "Vendor U"),
                   issuer=u2f_root, nb="2024-01-01", na="2034-01-01",
                   ca=False)
    chain("chain_u2f.pem", u2f_leaf)
    chain("chain_u2f_unlisted.pem", u2f_other)
    chain("chain_u2f_compromised.pem", u2f_bad)

    p_root = make(name("Vendor P Root", "Vendor P"))
    p_int = make(name("Vendor P Batch CA", "Vendor P"), issuer=p_root)
    p_leaf = make(name("Vendor P Authenticator", "Vendor P"), issuer=p_int,
                  nb="2024-01-01", na="2034-01-01", ca=False)
    chain("chain_vendor_p.pem", p_leaf)

    aaguids = {
        "good": "a1b2c3d4-0001-4000-8000-00000000000a",
        "revoked": "a1b2c3d4-0002-4000-8000-00000000000b",
        "fixed": "a1b2c3d4-0003-4000-8000-00000000000c",
        "unordered": "A1B2C3D4-0004-4000-8000-00000000000D",
        "compromised": "a1b2c3d4-0005-4000-8000-00000000000e",
        "undated": "a1b2c3d4-0006-4000-8000-00000000000f",
        "partial": "a1b2c3d4-0007-4000-8000-000000000010",
        "badroot": "a1b2c3d4-0008-4000-8000-000000000011",
        "nostatus": "a1b2c3d4-0009-4000-8000-000000000012",
        "notcert": "a1b2c3d4-000a-4000-8000-000000000013",
        "unknown": "a1b2c3d4-00ff-4000-8000-0000000000ff",
    }

    def statement(roots, desc):
        return {"legalHeader": "test", "description": desc,
                "schema": 3, "attestationTypes": ["basic_full"],
                "attestationRootCertificates": roots}

    def entry(aaguid=None, kids=None, roots=None, reports=None, desc=""):
        e = {}
        if aaguid is not None:
            e["aaguid"] = aaguid
        if kids is not None:
            e["attestationCertificateKeyIdentifiers"] = kids
        if roots is not None:
            e["metadataStatement"] = statement(roots, desc)
        if reports is not None:
            e["statusReports"] = reports
        e["timeOfLastStatusChange"] = "2023-05-01"
        return e

    def rep(status, date=None):
        r = {"status": status}
        if date:
            r["effectiveDate"] = date
        return r

    va = [vend.b64()]
    entries = [
        entry(aaguids["good"], roots=va, desc="good",
              reports=[rep("FIDO_CERTIFIED_L1", "2022-01-01")]),
        entry(aaguids["revoked"], roots=va, desc="revoked last",
              reports=[rep("FIDO_CERTIFIED_L1", "2020-01-01"),
                       rep("REVOKED", "2023-05-01")]),
        entry(aaguids["fixed"], roots=va, desc="bypass, then an update",
              reports=[rep("USER_VERIFICATION_BYPASS", "2021-01-01"),
                       rep("UPDATE_AVAILABLE", "2022-02-01")]),
        entry(aaguids["unordered"], roots=va,
              desc="revoked, listed before an older certification",
              reports=[rep("REVOKED", "2023-01-01"),
                       rep("FIDO_CERTIFIED", "2019-01-01")]),
        entry(aaguids["compromised"], roots=va, desc="key compromise",
              reports=[rep("FIDO_CERTIFIED_L1", "2020-01-01"),
                       rep("ATTESTATION_KEY_COMPROMISE", "2023-03-01")]),
        entry(aaguids["undated"], roots=va, desc="undated compromise",
              reports=[rep("FIDO_CERTIFIED_L1", "2024-01-01"),
                       rep("USER_KEY_PHYSICAL_COMPROMISE")]),
        entry(kids=[key_id(u2f_leaf), "00" * 20], roots=[u2f_root.b64()],
              desc="U2F", reports=[rep("FIDO_CERTIFIED", "2019-01-01")]),
        entry(kids=[key_id(u2f_bad).upper()], roots=[u2f_root.b64()],
              desc="U2F compromised",
              reports=[rep("USER_KEY_REMOTE_COMPROMISE", "2023-01-01")]),
        entry(aaguids["partial"], roots=[p_int.b64()],
              desc="an intermediate as the root",
              reports=[rep("FIDO_CERTIFIED_L2", "2022-01-01")]),
        # unusable: skipped, not fatal
        entry("not-an-aaguid", roots=va, reports=[]),
        entry(aaguids["badroot"], roots=["%%% not base64 %%%"], reports=[]),
        {"aaid": "1234#5678", "metadataStatement": statement(va, "UAF"),
         "statusReports": []},
        entry(aaguids["nostatus"], roots=va),
        7,
        entry(aaguids["notcert"], roots=[base64.b64encode(b"x" * 40)
                                         .decode()], reports=[]),
        entry(kids=["abc"], roots=va, reports=[]),
    ]
    loaded = 9

    def payload(no, extra=()):
        return {"legalHeader": "Retrieval and use of this BLOB indicates "
                "acceptance of the appropriate agreement",
                "no": no, "nextUpdate": "2025-07-01",
                "entries": entries + list(extra)}

    good = jws("ES256", [signer, mds_int], payload(42), signer.key)
    write("blob_es256.jwt", good)
    write("blob_es256_nl.jwt", good + "\n")
    write("blob_rs256.jwt", jws("RS256", [rsa_signer], payload(43), rsa_key))

    h, p, s = good.split(".")
    sig = bytearray(base64.urlsafe_b64decode(s + "=="))
    sig[10] ^= 0x01
    write("blob_badsig.jwt", h + "." + p + "." + b64url(bytes(sig)))
    other_p = b64url(json.dumps(payload(99)).encode())
    write("blob_badpayload.jwt", h + "." + other_p + "." + s)
    write("blob_wrongroot.jwt",
          jws("ES256", [evil_signer], payload(44), evil_signer.key))
    write("blob_expired.jwt",
          jws("ES256", [old_signer, mds_int], payload(45), old_signer.key))
    write("blob_garbage.jwt", "this is not a JWS at all")
    write("blob_garbage_parts.jwt", "!!!.###.$$$")
    write("blob_four_parts.jwt", good + ".AAAA")
    hn = b64url(json.dumps({"alg": "none", "x5c": [signer.b64()]}).encode())
    write("blob_alg_none.jwt", hn + "." + p + "." + s)
    hr = b64url(json.dumps({"alg": "RS256", "x5c": [signer.b64(),
                                                    mds_int.b64()]})
                .encode())
    write("blob_alg_mismatch.jwt", hr + "." + p + "." + s)
    write("blob_notjson.jwt", jws("ES256", [signer, mds_int],
                                  b"{not json", signer.key))
    write("blob_noentries.jwt", jws("ES256", [signer, mds_int],
                                    {"no": 1, "nextUpdate": "2025-07-01"},
                                    signer.key))

    # a BLOB the size of FIDO's (some 3000 entries, 6 MB): loading must
    # stay linear
    big = [entry("b16b16b1-%04x-4000-8000-%012x" % (i, i), roots=va,
                 desc="x" * 1200, reports=[rep("FIDO_CERTIFIED_L1",
                                               "2022-01-01")])
           for i in range(3000)]
    write("blob_big.jwt", jws("ES256", [signer, mds_int],
                              payload(46, big), signer.key))

    blobs = [
        ["an ES256 BLOB chaining through an intermediate loads",
         "blob_es256.jwt", "mds_root.pem", "now", "ok"],
        ["a BLOB file ending with a newline loads",
         "blob_es256_nl.jwt", "mds_root.pem", "now", "ok"],
        ["an RS256 BLOB signed under the root loads",
         "blob_rs256.jwt", "mds_root.pem", "now", "ok"],
        ["a bad signature does not load",
         "blob_badsig.jwt", "mds_root.pem", "now",
         "MDS BLOB signature does not verify"],
        ["a payload not the signed one does not load",
         "blob_badpayload.jwt", "mds_root.pem", "now",
         "MDS BLOB signature does not verify"],
        ["a signer not chaining to the MDS root does not load",
         "blob_wrongroot.jwt", "mds_root.pem", "now",
         "MDS BLOB signing certificate does not chain to the MDS root"],
        ["that BLOB loads with its own root configured",
         "blob_wrongroot.jwt", "mds_evil_root.pem", "now", "ok"],
        ["the good BLOB does not load with another root",
         "blob_es256.jwt", "mds_evil_root.pem", "now",
         "MDS BLOB signing certificate does not chain to the MDS root"],
        ["the MDS intermediate configured as the root is no anchor",
         "blob_es256.jwt", "mds_int.pem", "now",
         "MDS BLOB signing certificate does not chain to the MDS root"],
        ["an expired signer does not load",
         "blob_expired.jwt", "mds_root.pem", "now",
         "MDS BLOB signing chain has a certificate that has expired or is "
         "not yet valid"],
        ["the expired signer's BLOB loads at an earlier now_s",
         "blob_expired.jwt", "mds_root.pem", "early", "ok"],
        ["garbage does not load",
         "blob_garbage.jwt", "mds_root.pem", "now",
         "MDS BLOB is not a JWS compact serialization"],
        ["three parts of garbage do not load",
         "blob_garbage_parts.jwt", "mds_root.pem", "now",
         "MDS BLOB header is not base64url JSON"],
        ["four parts do not load",
         "blob_four_parts.jwt", "mds_root.pem", "now",
         "MDS BLOB is not a JWS compact serialization"],
        ["alg none does not load",
         "blob_alg_none.jwt", "mds_root.pem", "now",
         "MDS BLOB header has an unsupported \"alg\""],
        ["an alg not of the signer's key does not load",
         "blob_alg_mismatch.jwt", "mds_root.pem", "now",
         "MDS BLOB signing key does not match the header's \"alg\""],
        ["a signed payload that is not JSON does not load",
         "blob_notjson.jwt", "mds_root.pem", "now",
         "MDS BLOB payload is not JSON"],
        ["a payload without entries does not load",
         "blob_noentries.jwt", "mds_root.pem", "now",
         "MDS BLOB payload lacks \"no\", \"nextUpdate\" or \"entries\""],
        ["a BLOB with a garbage root PEM does not load",
         "blob_es256.jwt", "empty.pem", "now",
         "no certificate in the MDS root PEM"],
    ]

    write("blobs.json", json.dumps([
        {"name": c[0], "blob": c[1], "root": c[2], "now": c[3],
         "expect": c[4]} for c in blobs], indent=1))

    # -- trust checks through the BLOB ---------------------------------------

    refused = "authenticator model is refused by the metadata service: "
    mds_checks = [
        ["MDS roots of the AAGUID's entry anchor its chain",
         "chain_vendor.pem", "good", [], "ok"],
        ["an AAGUID without an entry gets no MDS roots",
         "chain_vendor.pem", "unknown", [], lead],
        ["a REVOKED latest status refuses",
         "chain_vendor.pem", "revoked", [], refused + "REVOKED"],
        ["an UPDATE_AVAILABLE after a bypass does not refuse",
         "chain_vendor.pem", "fixed", [], "ok"],
        ["the latest by effectiveDate decides, not the array order",
         "chain_vendor.pem", "unordered", [], refused + "REVOKED"],
        ["an ATTESTATION_KEY_COMPROMISE refuses",
         "chain_vendor.pem", "compromised", [],
         refused + "ATTESTATION_KEY_COMPROMISE"],
        ["an undated compromise report is current and refuses",
         "chain_vendor.pem", "undated", [],
         refused + "USER_KEY_PHYSICAL_COMPROMISE"],
        ["a zero AAGUID finds the entry by key identifier",
         "chain_u2f.pem", "zero", [], "ok"],
        ["a zero AAGUID with an unlisted key gets no MDS roots",
         "chain_u2f_unlisted.pem", "zero", [], lead],
        ["a key identifier entry's status refuses",
         "chain_u2f_compromised.pem", "zero", [],
         refused + "USER_KEY_REMOTE_COMPROMISE"],
        ["an MDS intermediate is an anchor (PARTIAL_CHAIN)",
         "chain_vendor_p.pem", "partial", [], "ok"],
        ["an entry with a bad root was skipped",
         "chain_vendor.pem", "badroot", [], lead],
        ["union: the PEM bundle anchors a model with an MDS entry",
         "chain_ok.pem", "good", ["ca_root.pem"], "ok"],
        ["union: the MDS entry anchors with a PEM bundle too",
         "chain_vendor.pem", "good", ["ca_root.pem"], "ok"],
        ["union: the entry's roots are only the entry's AAGUID's",
         "chain_vendor.pem", "unknown", ["ca_root.pem"], lead],
        ["a refusing status refuses a chain to the PEM bundle too",
         "chain_ok.pem", "revoked", ["ca_root.pem"], refused + "REVOKED"],
        ["a root inside x5c is not trusted with a BLOB either",
         "chain_evil.pem", "good", ["ca_root.pem"], lead],
        ["a BLOB root duplicated in the PEM bundle is fine",
         "chain_vendor.pem", "good", ["vendor_root.pem"], "ok"],
    ]
    write("vendor_root.pem", vend.pem())

    write("mds_checks.json", json.dumps([
        {"name": c[0], "chain": c[1], "aaguid": c[2], "anchors": c[3],
         "expect": c[4]} for c in mds_checks], indent=1))

    # -- what wa_trust_item() reports ----------------------------------------

    def item(c):
        return {"subject": c.cert.subject.rfc4514_string(),
                "not_before": epoch(c.cert.not_valid_before),
                "not_after": epoch(c.cert.not_valid_after)}

    meta = {
        "now": epoch(NOW), "early": epoch(EARLY), "late": epoch(LATE),
        "aaguids": dict(aaguids, zero="00000000-0000-0000-0000-"
                        "000000000000"),
        "u2f_key_id": key_id(u2f_leaf),
        "vendor_root_subject": vend.cert.subject.rfc4514_string(),
        "u2f_root_subject": u2f_root.cert.subject.rfc4514_string(),
        "anchors": [item(root), item(inter)],
        "blob": {"subject": "FIDO MDS BLOB 42",
                 "not_after": epoch(day("2025-07-01")),
                 "entries": loaded},
        "signer": item(signer),
        "big_entries": loaded + 3000,
        "big_last": "b16b16b1-%04x-4000-8000-%012x" % (2999, 2999),
    }
    write("meta.json", json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
