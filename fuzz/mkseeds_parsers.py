#!/usr/bin/python3
#
# Writes the seed corpora of fuzz_resp, fuzz_sts and fuzz_awscred into
# fuzz/corpus/<target>/: small documents of the shapes the module reads
# (made up here, nothing copied from elsewhere).  Run again after a
# change: "fuzz/mkseeds_parsers.py"; the files are committed.

import json
import os
import sys

TOP = os.path.dirname(os.path.abspath(__file__))

AKID = 'ASIAFUZZSEED0123456'
SECRET = 'fuzzSeedSecretKey/+0123456789abcdefABCDEF'
TOKEN = 'IQoJb3JpZ2luX2VjEFUZZ+seed/token=='
EXP = '2030-01-01T00:00:00Z'
NS = 'https://sts.amazonaws.com/doc/2011-06-15/'


def bulk(s):
    b = s.encode() if isinstance(s, str) else s
    return b'$%d\r\n%s\r\n' % (len(b), b)


def array(*items):
    return b'*%d\r\n' % len(items) + b''.join(items)


def creds_xml(secret=SECRET, token=TOKEN, exp=EXP):
    return ('<Credentials><AccessKeyId>%s</AccessKeyId>'
            '<SecretAccessKey>%s</SecretAccessKey>'
            '<SessionToken>%s</SessionToken>'
            '<Expiration>%s</Expiration></Credentials>'
            % (AKID, secret, token, exp))


def resp_seeds():
    # the first byte of each seed chooses the cutting (fuzz_resp.c):
    # 0x10 whole, 0x00 byte by byte, 0x03 four bytes at a time
    return {
        'ok-status': b'\x10+OK\r\n',
        'auth-select-commit': b'\x00+OK\r\n+OK\r\n' + array(
            bulk('ok'), bulk('alice'), bulk('admin ops:read'),
            bulk('0123abcd-0000-4000-8000-00000000beef')),
        'commit-outcomes': b'\x03' + b''.join(
            array(bulk(w)) for w in ('unknown', 'revoked', 'stale', 'reset',
                                     'replayed', 'regressed')),
        'commit-bad-record': b'\x10' + array(bulk('bad_record'),
                                             bulk('sign_count')),
        'hmget-nil': b'\x01' + array(b'$-1\r\n', b'$-1\r\n', b'$-1\r\n'),
        'noscript': b'\x10-NOSCRIPT No matching script. Use EVAL.\r\n',
        'nested': b'\x02' + array(array(b':1\r\n', array(b':-7\r\n')),
                                  b'*0\r\n', b'*-1\r\n'),
        'zrange': b'\x10' + array(*(bulk('cred%02d' % i) for i in range(8))),
        'huge-header': b'\x10*2000000000\r\n',
        'deep': b'\x00' + b'*1\r\n' * 8 + b':1\r\n',
        'garbage': b'\x10HTTP/1.1 400 Bad Request\r\n\r\n',
        'partial': b'\x00' + array(bulk('ok'), bulk('al'))[:-3],
    }


def sts_seeds():
    ok = ('<AssumeRoleResponse xmlns="%s"><AssumeRoleResult>'
          '<SourceIdentity>alice</SourceIdentity>%s'
          '<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>'
          '<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>'
          '</AssumeRoleResponse>' % (NS, creds_xml()))
    return {
        'assume-role.xml': '<?xml version="1.0" encoding="UTF-8"?>\n' + ok,
        'web-identity.xml': (
            '<AssumeRoleWithWebIdentityResponse xmlns="%s">'
            '<AssumeRoleWithWebIdentityResult>%s'
            '</AssumeRoleWithWebIdentityResult>'
            '</AssumeRoleWithWebIdentityResponse>'
            % (NS, creds_xml('<![CDATA[%s]]>' % SECRET, 'a&amp;b',
                             '2030-01-01T00:00:00.359Z'))),
        'error.xml': ('<ErrorResponse xmlns="%s"><Error><Type>Sender</Type>'
                      '<Code>AccessDenied</Code><Message>not authorized'
                      '</Message></Error><RequestId>2</RequestId>'
                      '</ErrorResponse>' % NS),
        'doctype.xml': ('<!DOCTYPE r [<!ENTITY s "x">]>' + ok),
        'expired.xml': ok.replace(EXP, '2020-01-01T00:00:00+02:00'),
        'cut.xml': ok[:len(ok) // 2],
    }


def awscred_seeds():
    base = {'AccessKeyId': AKID, 'SecretAccessKey': SECRET,
            'Token': TOKEN, 'Expiration': EXP}
    imds = dict(base, Code='Success', Type='AWS-HMAC',
                LastUpdated='2026-12-01T19:30:00Z')
    return {
        'ecs.json': json.dumps(dict(base, RoleArn='arn:aws:iam::1:role/R')),
        'imds.json': json.dumps(imds, indent=2),
        'no-token.json': json.dumps(dict(base, Token='')),
        'offset.json': json.dumps(dict(base,
                                       Expiration='2030-01-01T02:00:00+02:00')),
        'missing.json': json.dumps({'AccessKeyId': AKID}),
        'time': '2026-12-01T19:30:00.359Z',
        'cut.json': json.dumps(base)[:40],
    }


def write(target, seeds):
    out = os.path.join(TOP, 'corpus', target)
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data if isinstance(data, bytes) else data.encode())


def main():
    write('resp', resp_seeds())
    write('sts', sts_seeds())
    write('awscred', awscred_seeds())
    return 0


if __name__ == '__main__':
    sys.exit(main())
