#!/usr/bin/python3
#
# Copyright (C) ngx_http_webauthn_module authors
#
# session_check.py: an independent checker and forger of the module's
# session tokens (compact JWS, RFC 7515 and 7519), for t/017-session.t.
# It shares no code with the module: python3 and python3-cryptography
# only.
#
# A key file is read as the module reads it: a PEM Ed25519 private key
# (openssl genpkey -algorithm ed25519) is an EdDSA key; any other content
# is an HS256 secret, used byte for byte (a trailing newline included).
#
#   session_check.py verify TOKEN KEYFILE
#       verifies the signature (EdDSA: cryptography's Ed25519PublicKey of
#       the private key's public half; HS256: hmac.compare_digest) and that
#       the header's alg is the key's; prints
#       {"header": {...}, "claims": {...}, "alg": "...", "signature_ok": b}
#       exit 0 if it verifies, 1 if not, 2 if the token is not a compact
#       JWS of base64url (no padding) JSON objects.
#
#   session_check.py decode TOKEN
#       the same JSON, signature not checked (lenient base64).
#
#   session_check.py forge [TOKEN] [options]
#       prints a token made from TOKEN (or from --claims/--header):
#         --claims JSON | --header JSON   start from these instead
#         --set NAME=JSON                  set a claim (repeatable)
#         --set-now NAME=SECONDS           set a claim to now + SECONDS
#         --unset NAME                     remove a claim
#         --hset NAME=JSON                 set a header member
#         --alg ALG | --kid KID            set the header's alg / kid
#         --key FILE                       sign with this key file (the
#                                          header's alg becomes the key's
#                                          unless --alg is given)
#         --hs256-raw-pub FILE             HS256, the secret being the raw
#                                          32-byte public key of FILE's
#                                          Ed25519 key (alg confusion)
#         --hs256-pem-pub FILE             HS256, the secret being that
#                                          public key's PEM text
#         --none                           an empty signature (alg "none"
#                                          unless --alg is given)
#         --keep-signature                 keep TOKEN's signature (a claim
#                                          changed without re-signing)
#         --b64 url|std|padded|stdpadded   how the parts are encoded (the
#                                          signing input is what is sent);
#                                          std makes sure a + or / occurs
#                                          (moving iat back a second at a
#                                          time), padded that a = does
#         --pad-to N                       add a claim "pad" so the token
#                                          is at least N bytes
#         --truncate N                     cut N characters off the end
#
# Without a signing option, forge re-signs with nothing: it needs one of
# --key, --hs256-raw-pub, --hs256-pem-pub, --none, --keep-signature.

import argparse
import base64
import hashlib
import hmac
import json
import re
import sys
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)
from cryptography.exceptions import InvalidSignature

B64URL = re.compile(r'^[A-Za-z0-9_-]*$')


class Malformed(Exception):
    pass


# -- encodings ----------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def encode(data, how):
    if how == 'url':
        return b64url(data)
    if how == 'std':
        return base64.b64encode(data).rstrip(b'=').decode('ascii')
    if how == 'padded':
        return base64.urlsafe_b64encode(data).decode('ascii')
    if how == 'stdpadded':
        return base64.b64encode(data).decode('ascii')
    raise ValueError(how)


def b64url_strict(part):
    if not B64URL.match(part) or len(part) % 4 == 1:
        raise Malformed('not base64url: %r' % part[:40])
    return base64.urlsafe_b64decode(part + '=' * (-len(part) % 4))


def b64_lenient(part):
    part = part.rstrip('=').replace('+', '-').replace('/', '_')
    return base64.urlsafe_b64decode(part + '=' * (-len(part) % 4))


def json_text(obj):
    return json.dumps(obj, separators=(',', ':')).encode('utf-8')


def split(token, strict):
    parts = token.split('.')
    if len(parts) != 3:
        raise Malformed('%d parts, not 3' % len(parts))
    dec = b64url_strict if strict else b64_lenient
    try:
        header = json.loads(dec(parts[0]))
        claims = json.loads(dec(parts[1]))
        sig = dec(parts[2])
    except (ValueError, UnicodeDecodeError) as e:
        raise Malformed(str(e))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Malformed('header or claims not a JSON object')
    return parts, header, claims, sig


# -- keys ---------------------------------------------------------------------

def read_key(path):
    """('EdDSA', Ed25519PrivateKey) or ('HS256', secret bytes)"""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        k = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        k = None
    if isinstance(k, Ed25519PrivateKey):
        return 'EdDSA', k
    return 'HS256', data


def ed_public(path):
    alg, k = read_key(path)
    if alg != 'EdDSA':
        sys.exit('%s: not an Ed25519 key' % path)
    return k.public_key()


def sign(alg, key, data):
    if alg == 'EdDSA':
        return key.sign(data)
    return hmac.new(key, data, hashlib.sha256).digest()


def verify_sig(alg, key, data, sig):
    if alg == 'EdDSA':
        pub = key.public_key()
        if not isinstance(pub, Ed25519PublicKey):
            return False
        try:
            pub.verify(sig, data)
            return True
        except InvalidSignature:
            return False
    return hmac.compare_digest(hmac.new(key, data, hashlib.sha256).digest(),
                               sig)


# -- commands -----------------------------------------------------------------

def cmd_verify(args):
    try:
        parts, header, claims, sig = split(args.token, strict=True)
    except Malformed as e:
        print(json.dumps({'error': str(e)}))
        return 2
    alg, key = read_key(args.keyfile)
    data = (parts[0] + '.' + parts[1]).encode('ascii')
    ok = header.get('alg') == alg and verify_sig(alg, key, data, sig)
    print(json.dumps({'header': header, 'claims': claims, 'alg': alg,
                      'signature_ok': ok}, sort_keys=True))
    return 0 if ok else 1


def cmd_decode(args):
    try:
        parts, header, claims, sig = split(args.token, strict=False)
    except Malformed as e:
        print(json.dumps({'error': str(e)}))
        return 2
    print(json.dumps({'header': header, 'claims': claims,
                      'signature_len': len(sig)}, sort_keys=True))
    return 0


def kv(text):
    name, sep, value = text.partition('=')
    if not sep:
        raise argparse.ArgumentTypeError('NAME=VALUE expected: %r' % text)
    return name, value


def cmd_forge(args):
    if args.token:
        parts, header, claims, sig = split(args.token, strict=False)
    else:
        parts, sig = None, b''
        header = {'typ': 'JWT'}
        claims = {}
    if args.header:
        header = json.loads(args.header)
    if args.claims:
        claims = json.loads(args.claims)

    now = int(time.time())
    for name, value in args.set:
        claims[name] = json.loads(value)
    for name, value in args.set_now:
        claims[name] = now + int(value)
    for name in args.unset:
        claims.pop(name, None)
    for name, value in args.hset:
        header[name] = json.loads(value)

    signer = None
    if args.key:
        alg, key = read_key(args.key)
        signer = (alg, key)
    elif args.hs256_raw_pub:
        signer = ('HS256', ed_public(args.hs256_raw_pub).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    elif args.hs256_pem_pub:
        signer = ('HS256', ed_public(args.hs256_pem_pub).public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))
    elif args.none:
        signer = ('none', None)
    elif not args.keep_signature:
        sys.exit('forge: give --key, --hs256-raw-pub, --hs256-pem-pub, '
                 '--none or --keep-signature')

    if signer:
        header['alg'] = signer[0]
    if args.alg:
        header['alg'] = args.alg
    if args.kid is not None:
        header['kid'] = args.kid

    def build():
        h = encode(json_text(header), args.b64)
        if args.keep_signature and parts and not args.header \
                and not args.hset and args.alg is None and args.kid is None \
                and args.b64 == 'url':
            h = parts[0]            # the header exactly as it was signed
        p = encode(json_text(claims), args.b64)
        data = (h + '.' + p).encode('ascii')
        if args.keep_signature:
            s = sig
        elif signer[0] == 'none':
            s = b''
        else:
            s = sign(signer[0], signer[1], data)
        return h + '.' + p + '.' + (encode(s, args.b64) if s else '')

    if args.pad_to:
        claims['pad'] = ''
        t = build()
        if len(t) < args.pad_to:
            # 4 characters of base64 for 3 bytes of JSON
            claims['pad'] = 'x' * ((args.pad_to - len(t)) * 3 // 4 + 3)
    token = build()

    if args.b64 in ('std', 'stdpadded'):
        tries = 0
        while not re.search(r'[+/]', token):
            tries += 1
            if tries > 500 or 'iat' not in claims:
                sys.exit('forge: no + or / after %d tries' % tries)
            claims['iat'] -= 1
            token = build()
    if args.b64 in ('padded', 'stdpadded') and '=' not in token:
        sys.exit('forge: no part needs padding')

    if args.truncate:
        token = token[:-args.truncate]
    print(token)
    return 0


def main():
    ap = argparse.ArgumentParser(description='session token checker')
    sub = ap.add_subparsers(dest='cmd', required=True)

    v = sub.add_parser('verify')
    v.add_argument('token')
    v.add_argument('keyfile')
    v.set_defaults(func=cmd_verify)

    d = sub.add_parser('decode')
    d.add_argument('token')
    d.set_defaults(func=cmd_decode)

    f = sub.add_parser('forge')
    f.add_argument('token', nargs='?')
    f.add_argument('--claims')
    f.add_argument('--header')
    f.add_argument('--set', type=kv, action='append', default=[])
    f.add_argument('--set-now', type=kv, action='append', default=[])
    f.add_argument('--unset', action='append', default=[])
    f.add_argument('--hset', type=kv, action='append', default=[])
    f.add_argument('--alg')
    f.add_argument('--kid')
    f.add_argument('--key')
    f.add_argument('--hs256-raw-pub')
    f.add_argument('--hs256-pem-pub')
    f.add_argument('--none', action='store_true')
    f.add_argument('--keep-signature', action='store_true')
    f.add_argument('--b64', default='url',
                   choices=['url', 'std', 'padded', 'stdpadded'])
    f.add_argument('--pad-to', type=int)
    f.add_argument('--truncate', type=int)
    f.set_defaults(func=cmd_forge)

    args = ap.parse_args()
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
