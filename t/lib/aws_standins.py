#!/usr/bin/python3
#
# Copyright (C) ngx_http_webauthn_module authors
#
# Stand-ins for the AWS services the SigV4 stage talks to, for the t/*.t
# suite (t/lib/AwsStandins.pm starts and stops it).  One process, one
# loopback port per service, every port also answering the control
# endpoints:
#
#   apigw   a private API Gateway with IAM authorization: verifies the
#           SigV4 signature of exactly what it received, recomputed by
#           botocore (Debian's python3-botocore), and echoes the request
#   sts     AssumeRole (signed, service "sts") and AssumeRoleWithWebIdentity
#           (unsigned), validated as STS validates them, answered in STS's
#           documented XML
#   imds    EC2 instance metadata, IMDSv2 only (PUT /latest/api/token)
#   ecs     container credentials (ECS, EKS Pod Identity): one path, an
#           optional authorization token
#
#   GET  /__stats    {"service", "calls": {endpoint or action: n},
#                     "requests": [the last N, newest last]}
#                    (?all=1: every service's, by name)
#   POST /__config   JSON: "mode" ("ok" | "500" | "hang" | "garbage" |
#                    "close" | "junk"), "delay" (seconds before answering),
#                    "lifetime" (seconds of credentials issued from now on;
#                    null: STS's DurationSeconds, 3600 elsewhere), and per
#                    service: "region" (apigw, sts), "web_identity_token",
#                    "max_session_duration" (sts), "role_name" (imds),
#                    "token", "path" (ecs); answers the resulting config
#   POST /__reset    stats and config back to how the process started
#                    (credentials already issued stay valid until they
#                    expire, as with AWS)
#
# Usage:
#   aws_standins.py --config FILE.json --ports-file PORTS.json
#   aws_standins.py --selftest
#
# FILE.json: {"region": "us-east-1", "account": "111122223333",
#   "base": [{"access_key_id", "secret_access_key", "session_token"
#             (optional), "arn"}],
#   "web_identity_token": "...", "imds_role": "...",
#   "ecs_path": "/v2/credentials/...", "ecs_token": "..." (optional),
#   "lifetime": null, "history": 50,
#   "ports": {"apigw": 0, "sts": 0, "imds": 0, "ecs": 0}}   (0: any free)
# PORTS.json is written once every port listens: {"apigw": p, ...}.
#
# How the canonical request is built (what a correct signer must send):
#
#   - path: botocore's SigV4Auth (every service but S3) takes the path of
#     the URL as it is, i.e. the request target as received on the wire
#     (still percent-encoded), removes "." and ".." segments and collapses
#     "//" (botocore.utils.remove_dot_segments, so "/a//./b/../c" is
#     "/a/c"; a trailing "/" is kept), then quotes the result once more
#     with urllib.parse.quote(safe="/~"): every "%" becomes "%25" ("%20"
#     is signed as "%2520", "%2F" as "%252F"), and any character that is
#     not unreserved and not "/" is encoded once ("=" as "%3D").  That is
#     AWS's double encoding for non-S3 services: the signer encodes the
#     path it sends, after normalizing it, once more.
#   - query: the received query is split on "&" (empty pieces dropped),
#     each piece at its first "=" (a key without "=" has the empty value),
#     name and value are percent-DECODED ("+" stays a "+": it is not a
#     space in SigV4) and handed to botocore as parameters, which
#     re-encodes them with quote(safe="-_.~") and sorts by encoded name,
#     then encoded value.  So "a+b", "a%2Bb" and "a%2bb" sign the same
#     ("a%2Bb"), "~" and "%7E" the same ("~"), and raw UTF-8 the same as
#     its percent-encoding.  (botocore, given the query inside the URL,
#     would sort the raw pieces without re-encoding them: not what AWS
#     does.)  A percent-escape that is not UTF-8 is passed on undecoded.
#   - headers: the ones named in SignedHeaders, with every value received
#     (repeated headers joined with ","), trimmed with inner whitespace
#     runs collapsed by botocore.  Beyond AWS's own rules this stand-in
#     insists, as issue 8 does, that host, x-amz-date, x-amz-security-token
#     (when sent), content-type (when sent) and every x-amz-* and x-apigw-*
#     header received are signed.  botocore never signs user-agent, expect
#     or x-amzn-trace-id: a signer that signs them fails here.
#   - payload: SHA-256 of the body received (no X-Amz-Content-Sha256
#     header is expected; "UNSIGNED-PAYLOAD" is refused).
#   - time: the X-Amz-Date received, within 5 minutes of this clock.

import argparse
import base64
import calendar
import collections
import hashlib
import hmac
import http.client
import http.server
import json
import os
import random
import re
import socket
import socketserver
import string
import sys
import threading
import time
import unicodedata
import urllib.parse
import uuid

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.utils

STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/'
SKEW = 300
SERVICES = ('apigw', 'sts', 'imds', 'ecs')
MISMATCH = ('The request signature we calculated does not match the '
            'signature you provided. Check your AWS Secret Access Key and '
            'signing method. Consult the service documentation for '
            'details.')
INVALID_TOKEN = 'The security token included in the request is invalid.'
EXPIRED_TOKEN = 'The security token included in the request is expired'
STS_NAME_RE = re.compile(r'^[\w+=,.@-]{2,64}$', re.ASCII)


# -- time -------------------------------------------------------------------

def amz_date(t):
    return time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(t))


def iso8601(t):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))


def parse_amz_date(s):
    try:
        return calendar.timegm(time.strptime(s, '%Y%m%dT%H%M%SZ'))
    except (ValueError, TypeError):
        return None


# -- errors -----------------------------------------------------------------

class AwsError(Exception):
    """a refusal: HTTP status, AWS error code, message"""

    def __init__(self, status, code, message, sender=True):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.sender = sender


# -- credentials and shared state -------------------------------------------

class Cred:
    def __init__(self, akid, secret, token, expires, identity):
        self.akid = akid
        self.secret = secret
        self.token = token
        self.expires = expires          # epoch seconds or None
        self.identity = identity        # dict, shown in the echo


def random_id(prefix, n):
    alphabet = string.ascii_uppercase + string.digits
    return prefix + ''.join(random.choice(alphabet) for _ in range(n))


def random_secret():
    alphabet = string.ascii_letters + string.digits + '+/'
    return ''.join(random.choice(alphabet) for _ in range(40))


def random_token():
    # like STS's: base64 with "/", "+" and "=" in it
    raw = os.urandom(randint(180, 300))
    return 'IQoJb3JpZ2luX2Vj' + base64.b64encode(raw).decode()


def randint(a, b):
    return random.randint(a, b)


class Service:
    def __init__(self, name, defaults, history):
        self.name = name
        self.defaults = dict(defaults)
        self.config = dict(defaults)
        self.calls = collections.Counter()
        self.requests = collections.deque(maxlen=history)
        self.wake = threading.Event()   # ends "hang" on reset or config

    def reset(self):
        self.config = dict(self.defaults)
        self.calls.clear()
        self.requests.clear()
        self.wake.set()
        self.wake = threading.Event()


class State:
    def __init__(self, conf):
        self.lock = threading.Lock()
        self.conf = conf
        self.account = conf.get('account', '111122223333')
        self.creds = {}
        self.imds_tokens = {}           # token -> expiry
        history = int(conf.get('history', 50))
        region = conf.get('region', 'us-east-1')
        common = {'mode': 'ok', 'delay': 0, 'lifetime': conf.get('lifetime')}
        self.services = {
            'apigw': Service('apigw', dict(common, region=region), history),
            'sts': Service('sts', dict(
                common, region=conf.get('sts_region', region),
                web_identity_token=conf.get('web_identity_token'),
                max_session_duration=int(
                    conf.get('max_session_duration', 43200))), history),
            'imds': Service('imds', dict(
                common, role_name=conf.get('imds_role',
                                           'GatewayInstanceRole')), history),
            'ecs': Service('ecs', dict(
                common, path=conf.get('ecs_path',
                                      '/v2/credentials/gateway'),
                token=conf.get('ecs_token')), history),
        }
        for b in conf.get('base', []):
            arn = b.get('arn') or ('arn:aws:iam::%s:user/gateway'
                                   % self.account)
            self.add(Cred(b['access_key_id'], b['secret_access_key'],
                          b.get('session_token'), None,
                          {'type': 'base', 'arn': arn}))

    def add(self, cred):
        with self.lock:
            self.creds[cred.akid] = cred
        return cred

    def find(self, akid):
        with self.lock:
            return self.creds.get(akid)

    def issue(self, service, identity, lifetime):
        svc = self.services[service]
        life = svc.config.get('lifetime')
        if life is None:
            life = lifetime
        akid = random_id('ASIA', 16)
        cred = Cred(akid, random_secret(), random_token(),
                    int(time.time()) + int(life), dict(identity, issuer=service))
        return self.add(cred)


# -- SigV4, verified with botocore -------------------------------------------

def split_target(target):
    path, sep, query = target.partition('?')
    return path, query if sep else None


def decode_component(s):
    """percent-decoding only ("+" is not a space in SigV4)"""
    raw = urllib.parse.unquote_to_bytes(s)
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        return s


def query_params(query):
    pairs = []
    if not query:
        return pairs
    for piece in query.split('&'):
        if piece == '':
            continue
        key, _, value = piece.partition('=')
        pairs.append((decode_component(key), decode_component(value)))
    return pairs


def wire_str(s):
    """a header or target str that http.server decoded as latin-1, as the
    text it is (UTF-8 on the wire) where that decodes"""
    try:
        return s.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return s


AUTH_RE = re.compile(r'^AWS4-HMAC-SHA256\s+(.*)$', re.S)


def parse_authorization(value):
    m = AUTH_RE.match(value.strip())
    if not m:
        raise AwsError(403, 'IncompleteSignatureException',
                       "Authorization header requires 'Credential' "
                       "parameter. Authorization header requires "
                       "'Signature' parameter. Authorization header "
                       "requires 'SignedHeaders' parameter. Authorization="
                       + value.split(' ')[0])
    parts = {}
    for item in re.split(r'\s*,\s*', m.group(1).strip()):
        k, _, v = item.partition('=')
        parts[k.strip()] = v.strip()
    missing = [k for k in ('Credential', 'SignedHeaders', 'Signature')
               if not parts.get(k)]
    if missing:
        raise AwsError(403, 'IncompleteSignatureException',
                       ' '.join("Authorization header requires '%s' "
                                "parameter." % k for k in missing))
    return parts


def verify_sigv4(state, service, region, method, target, headers, body,
                 now=None, check_time=True, extra_signed=('x-amz-',)):
    """headers: [(name, value)] as received.  Returns (cred, details) or
    raises AwsError."""
    now = time.time() if now is None else now
    lower = collections.defaultdict(list)
    for k, v in headers:
        lower[k.lower()].append(v)

    auths = lower.get('authorization', [])
    if not auths:
        raise AwsError(403, 'MissingAuthenticationTokenException',
                       'Missing Authentication Token')
    if len(auths) > 1:
        raise AwsError(403, 'IncompleteSignatureException',
                       'more than one Authorization header')
    parts = parse_authorization(auths[0])

    scope = parts['Credential'].split('/')
    if len(scope) != 5 or scope[4] != 'aws4_request':
        raise AwsError(403, 'IncompleteSignatureException',
                       "Credential should have at least 5 slash-separated "
                       "parts: <key>/<date>/<region>/<service>/aws4_request "
                       "(got %r)" % parts['Credential'])
    akid, sdate, sregion, sservice, _ = scope

    dates = lower.get('x-amz-date', [])
    if len(dates) != 1:
        raise AwsError(403, 'IncompleteSignatureException',
                       "Authorization header requires existence of either "
                       "a 'X-Amz-Date' or a 'Date' header (exactly one "
                       "X-Amz-Date here).")
    xdate = dates[0].strip()
    t = parse_amz_date(xdate)
    if t is None:
        raise AwsError(403, 'IncompleteSignatureException',
                       "X-Amz-Date %r is not YYYYMMDD'T'HHMMSS'Z'" % xdate)
    if check_time and t < now - SKEW:
        raise AwsError(403, 'InvalidSignatureException',
                       'Signature expired: %s is now earlier than %s '
                       '(%s - 5 min.)' % (xdate, amz_date(now - SKEW),
                                          amz_date(now)))
    if check_time and t > now + SKEW:
        raise AwsError(403, 'InvalidSignatureException',
                       'Signature not yet current: %s is still later than '
                       '%s (%s + 5 min.)' % (xdate, amz_date(now + SKEW),
                                             amz_date(now)))
    if sdate != xdate[:8]:
        raise AwsError(403, 'InvalidSignatureException',
                       "Date in Credential scope does not match YYYYMMDD "
                       "from ISO-8601 version of date from HTTP: '%s' != "
                       "'%s', from '%s'." % (sdate, xdate[:8], xdate))
    if sregion != region:
        raise AwsError(403, 'InvalidSignatureException',
                       "Credential should be scoped to a valid region, not "
                       "'%s'. (expected '%s')" % (sregion, region))
    if sservice != service:
        raise AwsError(403, 'InvalidSignatureException',
                       "Credential should be scoped to correct service: "
                       "'%s'. " % service)

    cred = state.find(akid)
    if cred is None:
        raise AwsError(403, 'UnrecognizedClientException', INVALID_TOKEN)
    if cred.expires is not None and cred.expires <= now:
        raise AwsError(403, 'ExpiredTokenException', EXPIRED_TOKEN)
    tokens = lower.get('x-amz-security-token', [])
    if cred.token is None:
        if tokens:
            raise AwsError(403, 'UnrecognizedClientException', INVALID_TOKEN)
    elif (len(tokens) != 1
          or not hmac.compare_digest(tokens[0].strip().encode(),
                                     cred.token.encode())):
        raise AwsError(403, 'UnrecognizedClientException', INVALID_TOKEN)

    signed = parts['SignedHeaders'].split(';')
    if (signed != sorted(set(signed))
            or any(h != h.lower() or h == '' for h in signed)):
        raise AwsError(403, 'InvalidSignatureException',
                       MISMATCH + ' (SignedHeaders %r: not lowercase, '
                       'sorted and unique)' % parts['SignedHeaders'])
    if 'host' not in signed:
        raise AwsError(403, 'IncompleteSignatureException',
                       "'Host' or ':authority' must be a 'SignedHeader' in "
                       "the AWS Authorization.")
    for name in sorted(lower):
        must = (name in ('host', 'x-amz-date', 'x-amz-security-token',
                         'content-type')
                or any(name.startswith(p) for p in extra_signed))
        if must and name not in signed:
            raise AwsError(403, 'InvalidSignatureException',
                           MISMATCH + ' (header %r was sent but not signed)'
                           % name)
    for name in signed:
        if name not in lower:
            raise AwsError(403, 'InvalidSignatureException',
                           MISMATCH + ' (signed header %r was not received)'
                           % name)
        if name == 'authorization':
            raise AwsError(403, 'InvalidSignatureException',
                           MISMATCH + ' (authorization cannot be signed)')
    for name in lower:
        if name == 'x-amz-content-sha256':
            v = lower[name][0].strip()
            if v != hashlib.sha256(body).hexdigest():
                raise AwsError(403, 'InvalidSignatureException',
                               MISMATCH + ' (x-amz-content-sha256 %r is not '
                               'the SHA-256 of the body)' % v)

    # the request botocore signs: what was received, nothing else
    path, query = split_target(wire_str(target))
    host = lower['host'][0].strip()
    hh = botocore.awsrequest.HTTPHeaders()
    for k, v in headers:
        if k.lower() in signed:
            hh[k] = wire_str(v)
    req = botocore.awsrequest.AWSRequest(
        method=method, url='http://' + host + path, headers=hh,
        data=body, params=query_params(query))
    req.context['timestamp'] = xdate
    creds = botocore.credentials.Credentials(cred.akid, cred.secret,
                                             cred.token)
    auth = botocore.auth.SigV4Auth(creds, service, region)
    creq = auth.canonical_request(req)
    sts = auth.string_to_sign(req, creq)
    expected = auth.signature(sts, req)
    if auth.signed_headers(auth.headers_to_sign(req)) \
            != parts['SignedHeaders']:
        raise AwsError(403, 'InvalidSignatureException',
                       MISMATCH + ' (botocore signs %r, not %r)'
                       % (auth.signed_headers(auth.headers_to_sign(req)),
                          parts['SignedHeaders']))
    if not hmac.compare_digest(expected.encode(),
                               parts['Signature'].encode()):
        raise AwsError(403, 'InvalidSignatureException',
                       MISMATCH + "\n\nThe Canonical String for this request "
                       "should have been\n'" + creq + "'\n\nThe "
                       "String-to-Sign should have been\n'" + sts + "'\n")
    return cred, {'canonical_request': creq, 'string_to_sign': sts,
                  'signed_headers': parts['SignedHeaders']}


# -- STS --------------------------------------------------------------------

def tag_ok(s, allow_empty):
    if s == '' and not allow_empty:
        return False
    for ch in s:
        if ch in '_.:/=+-@':
            continue
        cat = unicodedata.category(ch)
        if cat[0] in 'LNZ':
            continue
        return False
    return True


def xml_escape(s):
    return (str(s).replace('&', '&amp;').replace('<', '&lt;')
            .replace('>', '&gt;').replace('"', '&quot;'))


def sts_error(e):
    kind = 'Sender' if e.sender else 'Receiver'
    return ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n'
            '    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n'
            '  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
            % (STS_NS, kind, xml_escape(e.code), xml_escape(e.message),
               uuid.uuid4()))


def validation(msg):
    return AwsError(400, 'ValidationError', msg)


def check_name(field, value, required):
    if value is None:
        if required:
            raise AwsError(400, 'MissingParameter',
                           'The request must contain the parameter %s'
                           % field)
        return
    if not STS_NAME_RE.match(value):
        raise validation(
            "1 validation error detected: Value '%s' at '%s' failed to "
            "satisfy constraint: Member must have length between 2 and 64 "
            "and satisfy regular expression pattern: [\\w+=,.@-]*"
            % (value, field[0].lower() + field[1:]))


ROLE_ARN_RE = re.compile(r'^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*'
                         r'([\w+=,.@-]{1,64})$', re.ASCII)


def role_of(arn):
    m = ROLE_ARN_RE.match(arn or '')
    if not m or len(arn) < 20 or len(arn) > 2048:
        raise validation("1 validation error detected: Value '%s' at "
                         "'roleArn' failed to satisfy constraint: Member "
                         "must be a role ARN" % (arn,))
    return m.group(1), m.group(2)


def parse_tags(form):
    tags = []
    n = 1
    while 'Tags.member.%d.Key' % n in form or 'Tags.member.%d.Value' % n \
            in form:
        key = form.get('Tags.member.%d.Key' % n)
        value = form.get('Tags.member.%d.Value' % n)
        if key is None or value is None:
            raise validation('Tags.member.%d needs both Key and Value' % n)
        if not 1 <= len(key) <= 128 or not tag_ok(key, False):
            raise validation("1 validation error detected: Value '%s' at "
                             "'tags.%d.member.key' failed to satisfy "
                             "constraint: Member must have length between 1 "
                             "and 128 and satisfy regular expression "
                             "pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
                             % (key, n))
        if len(value) > 256 or not tag_ok(value, True):
            raise validation("1 validation error detected: Value '%s' at "
                             "'tags.%d.member.value' failed to satisfy "
                             "constraint: Member must have length less than "
                             "or equal to 256 and satisfy regular expression "
                             "pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
                             % (value, n))
        if key.lower().startswith('aws:'):
            raise AwsError(400, 'InvalidParameterValue',
                           'Tag keys cannot start with aws:')
        tags.append((key, value))
        n += 1
    if len(tags) > 50:
        raise validation('at most 50 session tags')
    seen = set()
    for k, _ in tags:
        if k.lower() in seen:
            raise AwsError(400, 'InvalidParameterValue',
                           'Duplicate tag keys found. Please note that Tag '
                           'keys are case insensitive.')
        seen.add(k.lower())
    # STS checks more params in form order; the count is what matters here
    extra = [k for k in form if k.startswith('Tags.member.')
             and not re.match(r'^Tags\.member\.(\d+)\.(Key|Value)$', k)]
    if extra:
        raise validation('unknown tag parameter %s' % extra[0])
    numbers = {int(m.group(1)) for m in (re.match(r'^Tags\.member\.(\d+)\.',
                                                  k) for k in form) if m}
    if numbers and numbers != set(range(1, len(tags) + 1)):
        raise validation('Tags.member.N must be numbered from 1 without gaps')
    return tags


def credentials_xml(cred):
    return ('      <Credentials>\n'
            '        <AccessKeyId>%s</AccessKeyId>\n'
            '        <SecretAccessKey>%s</SecretAccessKey>\n'
            '        <SessionToken>%s</SessionToken>\n'
            '        <Expiration>%s</Expiration>\n'
            '      </Credentials>\n'
            % (cred.akid, xml_escape(cred.secret), xml_escape(cred.token),
               iso8601(cred.expires)))


def assumed_user_xml(account, role, session):
    return ('      <AssumedRoleUser>\n'
            '        <AssumedRoleId>%s:%s</AssumedRoleId>\n'
            '        <Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>\n'
            '      </AssumedRoleUser>\n'
            % (random_id('AROA', 17), xml_escape(session), account,
               xml_escape(role), xml_escape(session)))


def sts_assume_role(state, svc, caller, form):
    if form.get('Version') != '2011-06-15':
        raise AwsError(400, 'InvalidAction',
                       'Could not find operation AssumeRole for version %s'
                       % form.get('Version'))
    arn = form.get('RoleArn')
    if arn is None:
        raise AwsError(400, 'MissingParameter',
                       'The request must contain the parameter RoleArn')
    account, role = role_of(arn)
    session = form.get('RoleSessionName')
    check_name('RoleSessionName', session, True)
    source = form.get('SourceIdentity')
    check_name('SourceIdentity', source, False)
    if source is not None and source.lower().startswith('aws:'):
        raise validation('SourceIdentity cannot start with aws:')
    duration = form.get('DurationSeconds', '3600')
    if not re.match(r'^\d{1,6}$', duration) \
            or not 900 <= int(duration) <= 43200:
        raise validation("1 validation error detected: Value '%s' at "
                         "'durationSeconds' failed to satisfy constraint: "
                         "Member must have value between 900 and 43200"
                         % duration)
    duration = int(duration)
    chained = ':assumed-role/' in caller.identity.get('arn', '')
    if chained and duration > 3600:
        raise validation('The requested DurationSeconds exceeds the 1 hour '
                         'session limit for roles assumed by role chaining.')
    if duration > svc.config['max_session_duration']:
        raise validation('The requested DurationSeconds exceeds the '
                         'MaxSessionDuration set for this role.')
    tags = parse_tags(form)
    known = {'Action', 'Version', 'RoleArn', 'RoleSessionName',
             'SourceIdentity', 'DurationSeconds', 'Policy', 'ExternalId',
             'SerialNumber', 'TokenCode'}
    for k in form:
        if k not in known and not k.startswith('Tags.member.') \
                and not k.startswith('TransitiveTagKeys.member.') \
                and not k.startswith('PolicyArns.member.'):
            raise AwsError(400, 'InvalidParameterValue',
                           'unknown parameter %s' % k)
    assumed = 'arn:aws:sts::%s:assumed-role/%s/%s' % (account, role, session)
    cred = state.issue('sts', {
        'type': 'assumed-role', 'arn': assumed, 'role_arn': arn,
        'role_session_name': session, 'source_identity': source,
        'tags': dict(tags), 'duration_seconds': duration,
        'caller': caller.akid, 'chained': chained}, duration)
    xml = ('<AssumeRoleResponse xmlns="%s">\n  <AssumeRoleResult>\n'
           % STS_NS)
    if source is not None:
        xml += '    <SourceIdentity>%s</SourceIdentity>\n' % xml_escape(source)
    xml += assumed_user_xml(account, role, session).replace('      ', '    ')
    xml += credentials_xml(cred).replace('      ', '    ')
    if tags:
        xml += '    <PackedPolicySize>%d</PackedPolicySize>\n' \
               % min(100, 3 * len(tags))
    xml += ('  </AssumeRoleResult>\n  <ResponseMetadata>\n'
            '    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n'
            '</AssumeRoleResponse>\n' % uuid.uuid4())
    return cred, xml


def sts_web_identity(state, svc, form):
    if form.get('Version') != '2011-06-15':
        raise AwsError(400, 'InvalidAction',
                       'Could not find operation AssumeRoleWithWebIdentity '
                       'for version %s' % form.get('Version'))
    arn = form.get('RoleArn')
    if arn is None:
        raise AwsError(400, 'MissingParameter',
                       'The request must contain the parameter RoleArn')
    account, role = role_of(arn)
    session = form.get('RoleSessionName')
    check_name('RoleSessionName', session, True)
    token = form.get('WebIdentityToken')
    if token is None:
        raise AwsError(400, 'MissingParameter', 'The request must contain '
                       'the parameter WebIdentityToken')
    want = svc.config.get('web_identity_token')
    if want is None or not hmac.compare_digest(token.encode(), want.encode()):
        raise AwsError(400, 'InvalidIdentityToken',
                       'The web identity token that was passed could not be '
                       'validated by AWS. Get a new identity token from the '
                       'identity provider and then retry the request.')
    duration = form.get('DurationSeconds', '3600')
    if not re.match(r'^\d{1,6}$', duration) \
            or not 900 <= int(duration) <= 43200:
        raise validation("Value '%s' at 'durationSeconds' failed to satisfy "
                         "constraint: Member must have value between 900 "
                         "and 43200" % duration)
    assumed = 'arn:aws:sts::%s:assumed-role/%s/%s' % (account, role, session)
    cred = state.issue('sts', {
        'type': 'web-identity', 'arn': assumed, 'role_arn': arn,
        'role_session_name': session}, int(duration))
    xml = ('<AssumeRoleWithWebIdentityResponse xmlns="%s">\n'
           '  <AssumeRoleWithWebIdentityResult>\n'
           '    <SubjectFromWebIdentityToken>system:serviceaccount:gateway:'
           'nginx</SubjectFromWebIdentityToken>\n'
           '    <Audience>sts.amazonaws.com</Audience>\n' % STS_NS)
    xml += assumed_user_xml(account, role, session).replace('      ', '    ')
    xml += credentials_xml(cred).replace('      ', '    ')
    xml += ('    <Provider>arn:aws:iam::%s:oidc-provider/oidc.eks.us-east-1.'
            'amazonaws.com/id/EXAMPLE</Provider>\n'
            '  </AssumeRoleWithWebIdentityResult>\n  <ResponseMetadata>\n'
            '    <RequestId>%s</RequestId>\n  </ResponseMetadata>\n'
            '</AssumeRoleWithWebIdentityResponse>\n' % (account, uuid.uuid4()))
    return cred, xml


# -- the HTTP side -----------------------------------------------------------

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, state, service):
        self.state = state
        self.service = service
        super().__init__(addr, handler)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'aws-standin'
    sys_version = ''

    def log_message(self, fmt, *args):
        if os.environ.get('AWS_STANDINS_VERBOSE'):
            sys.stderr.write('%s %s\n' % (self.server.service, fmt % args))

    def do_any(self):
        self.state = self.server.state
        self.svc = self.state.services[self.server.service]
        self.body = self.read_body()
        if self.body is None:
            return
        self.hdrs = list(self.headers.items())
        path = self.path.partition('?')[0]
        if path in ('/__stats', '/__config', '/__reset'):
            return self.control(path)

        cfg = dict(self.svc.config)
        self.record = {
            'time': time.time(), 'method': self.command,
            'target': self.path, 'headers': self.hdrs,
            'body_length': len(self.body),
        }
        if cfg['delay']:
            time.sleep(float(cfg['delay']))
        mode = cfg['mode']
        if mode != 'ok':
            return self.fail(mode)
        getattr(self, 'serve_' + self.server.service)()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_any
    do_HEAD = do_OPTIONS = do_any

    def read_body(self):
        te = self.headers.get('Transfer-Encoding', '')
        if 'chunked' in te.lower():
            out = b''
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b'\r\n', b'\n',
                                                             b''):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline(3)
        n = self.headers.get('Content-Length')
        if n is None:
            return b''
        try:
            return self.rfile.read(int(n))
        except ValueError:
            self.send_error(400)
            return None

    def note(self, endpoint, status, **extra):
        self.record.update(extra, endpoint=endpoint, status=status)
        with self.state.lock:
            self.svc.calls[endpoint] += 1
            self.svc.requests.append(self.record)

    def answer(self, status, body, ctype='application/json', headers=()):
        if isinstance(body, str):
            body = body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('x-amzn-RequestId', str(uuid.uuid4()))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        self.wfile.flush()

    def fail(self, mode):
        self.note('failure:' + mode, None)
        if mode == 'hang':
            self.svc.wake.wait(3600)
            self.close_connection = True
            return
        if mode == 'close':
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if mode == 'junk':
            self.wfile.write(b'\x00\xffnot http at all\r\n\r\n')
            self.close_connection = True
            return
        if mode == 'garbage':
            # a well-formed HTTP answer whose body is not what was asked
            if self.server.service == 'sts':
                body = ('<AssumeRoleResponse xmlns="%s"><AssumeRoleResult>'
                        '<Credentials><AccessKeyId>ASIA\x01' % STS_NS)
                return self.answer(200, body, 'text/xml')
            if self.server.service == 'imds' \
                    and self.command == 'PUT':
                return self.answer(200, '\x00\x01', 'text/plain')
            return self.answer(200, '{"AccessKeyId": "ASIA", "Secret',
                               'application/json')
        if self.server.service == 'sts':
            return self.answer(500, sts_error(AwsError(
                500, 'InternalFailure', 'The request processing has failed '
                'because of an unknown error, exception or failure.',
                sender=False)), 'text/xml')
        return self.answer(500, '{"message":"Internal server error"}')

    # -- control --

    def control(self, path):
        st = self.state
        if path == '/__stats' and self.command == 'GET':
            q = urllib.parse.parse_qs(self.path.partition('?')[2])
            with st.lock:
                names = SERVICES if q.get('all') else (self.svc.name,)
                out = {n: {'service': n,
                           'calls': dict(st.services[n].calls),
                           'requests': list(st.services[n].requests),
                           'config': st.services[n].config} for n in names}
            out = out if q.get('all') else out[self.svc.name]
            return self.answer(200, json.dumps(out, sort_keys=True,
                                               separators=(',', ':')))
        if path == '/__config' and self.command == 'POST':
            try:
                cfg = json.loads(self.body or b'{}')
            except ValueError:
                return self.answer(400, '{"message":"not JSON"}')
            if cfg.get('mode', 'ok') not in ('ok', '500', 'hang', 'garbage',
                                             'close', 'junk'):
                return self.answer(400, '{"message":"unknown mode"}')
            with st.lock:
                self.svc.config.update(cfg)
                self.svc.wake.set()
                self.svc.wake = threading.Event()
                out = dict(self.svc.config)
            return self.answer(200, json.dumps(out))
        if path == '/__reset' and self.command == 'POST':
            with st.lock:
                self.svc.reset()
            return self.answer(200, '{"reset":true}')
        return self.answer(405, '{"message":"control: GET /__stats, POST '
                                '/__config, POST /__reset"}')

    # -- API Gateway --

    def serve_apigw(self):
        try:
            cred, details = verify_sigv4(
                self.state, 'execute-api', self.svc.config['region'],
                self.command, self.path, self.hdrs, self.body,
                extra_signed=('x-amz-', 'x-apigw-'))
        except AwsError as e:
            self.note('request', e.status, error=e.code, message=e.message)
            return self.answer(e.status, json.dumps({'message': e.message}),
                               headers=[('x-amzn-ErrorType', e.code)])
        echo = {
            'method': self.command, 'target': self.path,
            'headers': self.hdrs, 'body_length': len(self.body),
            'body_sha256': hashlib.sha256(self.body).hexdigest(),
            'access_key_id': cred.akid, 'identity': cred.identity,
            'signed_headers': details['signed_headers'],
            'canonical_request': details['canonical_request'],
        }
        self.note('request', 200, access_key_id=cred.akid,
                  identity=cred.identity)
        return self.answer(200, json.dumps(echo, sort_keys=True,
                                           separators=(',', ':')))

    # -- STS --

    def serve_sts(self):
        form = {}
        action = None
        try:
            path, query = split_target(self.path)
            if self.command != 'POST' or path != '/':
                raise AwsError(400, 'InvalidAction', 'STS here: POST / only')
            ctype = self.headers.get('Content-Type', '')
            if not ctype.lower().startswith(
                    'application/x-www-form-urlencoded'):
                raise AwsError(400, 'InvalidParameterValue',
                               'Content-Type must be application/'
                               'x-www-form-urlencoded, not %r' % ctype)
            try:
                pairs = urllib.parse.parse_qsl(self.body.decode('utf-8'),
                                               keep_blank_values=True,
                                               strict_parsing=bool(self.body))
            except (ValueError, UnicodeDecodeError):
                raise AwsError(400, 'MalformedQueryString',
                               'the form body is not form-encoded UTF-8')
            for k, v in pairs:
                if k in form:
                    raise AwsError(400, 'InvalidParameterValue',
                                   'parameter %s given twice' % k)
                form[k] = v
            action = form.get('Action')
            self.record['params'] = form
            self.record['action'] = action
            if action == 'AssumeRole':
                caller, _ = verify_sigv4(
                    self.state, 'sts', self.svc.config['region'],
                    self.command, self.path, self.hdrs, self.body)
                self.record['caller'] = caller.akid
                cred, xml = sts_assume_role(self.state, self.svc, caller,
                                            form)
            elif action == 'AssumeRoleWithWebIdentity':
                cred, xml = sts_web_identity(self.state, self.svc, form)
            elif action is None:
                raise AwsError(400, 'MissingAction',
                               'The request must contain the parameter '
                               'Action')
            else:
                raise AwsError(400, 'InvalidAction',
                               'Could not find operation %s for version %s'
                               % (action, form.get('Version')))
        except AwsError as e:
            if e.code == 'MissingAuthenticationTokenException':
                e = AwsError(403, 'MissingAuthenticationToken',
                             'Request is missing Authentication Token')
            elif e.code in ('InvalidSignatureException',
                            'IncompleteSignatureException'):
                e = AwsError(403, 'SignatureDoesNotMatch', e.message)
            elif e.code == 'UnrecognizedClientException':
                e = AwsError(403, 'InvalidClientTokenId', e.message)
            elif e.code == 'ExpiredTokenException':
                e = AwsError(400, 'ExpiredToken', e.message)
            self.note(action or 'unknown', e.status, error=e.code,
                      message=e.message)
            return self.answer(e.status, sts_error(e), 'text/xml')
        self.note(action, 200, issued=cred.akid, identity=cred.identity)
        return self.answer(200, xml, 'text/xml')

    # -- IMDSv2 --

    def serve_imds(self):
        path = self.path.partition('?')[0]
        st = self.state
        if path == '/latest/api/token':
            if self.command != 'PUT':
                self.note('token', 405)
                return self.answer(405, '', 'text/plain')
            if self.headers.get('X-Forwarded-For'):
                self.note('token', 403)
                return self.answer(403, '', 'text/plain')
            ttl = self.headers.get('X-aws-ec2-metadata-token-ttl-seconds')
            if ttl is None or not ttl.strip().isdigit() \
                    or not 1 <= int(ttl) <= 21600:
                self.note('token', 400, ttl=ttl)
                return self.answer(400, '', 'text/plain')
            token = base64.urlsafe_b64encode(os.urandom(42)).decode()
            with st.lock:
                st.imds_tokens[token] = time.time() + int(ttl)
            self.note('token', 200, ttl=int(ttl))
            return self.answer(200, token, 'text/plain', headers=[
                ('X-aws-ec2-metadata-token-ttl-seconds', ttl.strip())])

        base = '/latest/meta-data/iam/security-credentials/'
        endpoint = 'role' if path == base else 'credentials' \
            if path.startswith(base) else 'other'
        if self.command != 'GET':
            self.note(endpoint, 405)
            return self.answer(405, '', 'text/plain')
        token = self.headers.get('X-aws-ec2-metadata-token')
        with st.lock:
            exp = st.imds_tokens.get(token or '')
        if exp is None or exp < time.time():
            # no IMDSv1
            self.note(endpoint, 401, token=bool(token))
            return self.answer(401, '', 'text/plain')
        role = self.svc.config['role_name']
        if endpoint == 'role':
            self.note('role', 200)
            return self.answer(200, role, 'text/plain')
        if endpoint == 'credentials' and path[len(base):] == role:
            cred = st.issue('imds', {
                'type': 'instance-profile',
                'arn': 'arn:aws:sts::%s:assumed-role/%s/i-0123456789abcdef0'
                       % (st.account, role), 'role_name': role}, 3600)
            self.note('credentials', 200, issued=cred.akid)
            return self.answer(200, json.dumps({
                'Code': 'Success', 'LastUpdated': iso8601(time.time()),
                'Type': 'AWS-HMAC', 'AccessKeyId': cred.akid,
                'SecretAccessKey': cred.secret, 'Token': cred.token,
                'Expiration': iso8601(cred.expires)}, indent=2), 'text/plain')
        self.note(endpoint, 404)
        return self.answer(404, '<?xml version="1.0" encoding="iso-8859-1"?>'
                           '<title>404 - Not Found</title>', 'text/html')

    # -- container credentials --

    def serve_ecs(self):
        st = self.state
        cfg = self.svc.config
        path = self.path
        if self.command != 'GET' or path != cfg['path']:
            self.note('other', 404)
            return self.answer(404, '{"message":"not found"}')
        want = cfg.get('token')
        got = self.headers.get_all('Authorization') or []
        if want is not None and (
                len(got) != 1
                or not hmac.compare_digest(got[0].encode(), want.encode())):
            self.note('credentials', 401, authorization=bool(got))
            return self.answer(401, '{"message":"unauthorized"}')
        role_arn = 'arn:aws:iam::%s:role/GatewayTaskRole' % st.account
        cred = st.issue('ecs', {
            'type': 'container', 'role_arn': role_arn,
            'arn': 'arn:aws:sts::%s:assumed-role/GatewayTaskRole/task'
                   % st.account}, 3600)
        self.note('credentials', 200, issued=cred.akid)
        return self.answer(200, json.dumps({
            'AccessKeyId': cred.akid, 'SecretAccessKey': cred.secret,
            'Token': cred.token, 'Expiration': iso8601(cred.expires),
            'RoleArn': role_arn}))


def serve(state, ports):
    servers = {}
    for name in SERVICES:
        srv = Server(('127.0.0.1', int(ports.get(name, 0))), Handler, state,
                     name)
        servers[name] = srv
        threading.Thread(target=srv.serve_forever, daemon=True,
                         name=name).start()
    return servers


# -- self-test --------------------------------------------------------------

SELF_KEY = ('AKIDSELFTEST', 'c2VsZnRlc3Qgc2VjcmV0IGtleSBmb3IgdGhlIHN0YW5k')


class Selftest:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print('%s - %s' % ('ok' if ok else 'not ok', what))


def sign_request(method, host, target, headers, body, creds, service,
                 region, when=None):
    """headers signed by botocore for what will be sent: the URL's path as
    it will be sent, the query given to botocore decoded (as AWS does)"""
    path, query = split_target(target)
    hh = botocore.awsrequest.HTTPHeaders()
    hh['Host'] = host
    for k, v in headers:
        hh[k] = v
    req = botocore.awsrequest.AWSRequest(
        method=method, url='http://' + host + path, headers=hh, data=body,
        params=query_params(query))
    auth = botocore.auth.SigV4Auth(creds, service, region)
    if when is None:
        auth.add_auth(req)
    else:
        req.context['timestamp'] = amz_date(when)
        auth._modify_request_before_signing(req)
        auth._inject_signature_to_request(
            req, auth.signature(auth.string_to_sign(
                req, auth.canonical_request(req)), req))
    return list(req.headers.items())


def send_raw(port, method, target, headers, body):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    c.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    for k, v in headers:
        c.putheader(k, v.encode('utf-8'))
    if body or method in ('POST', 'PUT'):
        c.putheader('Content-Length', str(len(body)))
    c.endheaders(body or None)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def selftest_vectors(t, state):
    """the aws-c-auth suite's header-signed requests through the verifier:
    normalized, body unsigned, token signed (see its README)"""
    top = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    root = os.path.join(top, '..', 'shared', 'testdata', 'sigv4',
                        'aws-c-auth-v4')
    if not os.path.isdir(root):
        print('# no %s: vectors skipped' % root)
        return
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        if not os.path.isfile(os.path.join(d, 'context.json')):
            continue
        ctx = json.load(open(os.path.join(d, 'context.json')))
        raw = open(os.path.join(d, 'header-signed-request.txt'), 'rb').read()
        head, _, body = raw.replace(b'\r\n', b'\n').partition(b'\n\n')
        lines = head.decode('utf-8').split('\n')
        method, rest = lines[0].split(' ', 1)
        target = rest.rsplit(' ', 1)[0]
        headers = []
        for line in lines[1:]:
            if line[:1] in (' ', '\t') and headers:
                k, v = headers[-1]
                headers[-1] = (k, v + '\n' + line)
                continue
            k, _, v = line.partition(':')
            headers.append((k, v))
        # the target on the wire: percent-encoded UTF-8 (as http.server
        # would hand it over, latin-1 decoded)
        target = target.encode('utf-8').decode('latin-1')
        c = ctx['credentials']
        st = State({'base': [{'access_key_id': c['access_key_id'],
                              'secret_access_key': c['secret_access_key'],
                              'session_token': c.get('token')}]})
        hdrs = [(k, v.encode('utf-8').decode('latin-1')) for k, v in headers]
        # botocore always normalizes: an unnormalized case passes where
        # normalizing does not change its path; a token left out of
        # SignedHeaders is refused here (issue 8 wants it signed)
        path = target.split('?')[0]
        expect = ((ctx.get('normalize', True)
                   or botocore.utils.remove_dot_segments(path) == path)
                  and not ctx.get('omit_session_token'))
        try:
            verify_sigv4(st, ctx['service'], ctx['region'], method, target,
                         hdrs, body, check_time=False)
            ok = True
        except AwsError as e:
            ok = False
            why = e.message.split('\n')[0]
        t.check(ok == expect, 'vector %s: %s' % (
            case, 'passes' if expect else 'refused (' + (
                why if not ok else 'but passed') + ')'))


def selftest():
    t = Selftest()
    key, secret = SELF_KEY
    token = 'IQoJb3JpZ2luX2VjEPT//////////wEaCXVzLWVhc3QtMSJGMEQC+test=='
    conf = {'region': 'us-east-1', 'base': [
        {'access_key_id': key, 'secret_access_key': secret},
        {'access_key_id': 'ASIASELFTEST', 'secret_access_key': secret,
         'session_token': token,
         'arn': 'arn:aws:sts::111122223333:assumed-role/Base/base'}],
        'web_identity_token': 'eyJhbGciOi.selftest.jwt',
        'ecs_token': 'ecs-secret-token'}
    state = State(conf)
    servers = serve(state, {})
    port = {n: s.server_address[1] for n, s in servers.items()}
    creds = botocore.credentials.Credentials(key, secret)
    host = 'abc123.execute-api.us-east-1.amazonaws.com'

    paths = ['/', '/prod/items', '/prod/a%20b', '/prod/a%2Fb/c',
             '/prod//double//slash', '/prod/./dot/../seg/', '/prod/%C3%BC',
             '/prod/Zo%C3%AB%20O%27Brien', '/prod/~user/a-b_c.d',
             '/prod/%E2%82%AC/x=y', '/prod/trailing/']
    queries = ['a=1', 'b=2&a=1', 'k=v2&k=v1', 'k=v1&k=v2',
               'reserved=%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23',
               'plus=a+b', 'plus=a%2Bb', 'empty=', 'flag', 'flag&x=1&flag=',
               'sp=a%20b', 'utf=%C3%BC%E2%82%AC', 'tilde=~&t2=%7E',
               'Z=1&a=1&_=1', 'a=%7e']
    cases = [(p, None) for p in paths] + [('/prod/q', q) for q in queries]

    def call(method, target, extra=(), body=b'', sign_target=None,
             tamper=None, when=None, c=creds, svc_port=None):
        hdrs = sign_request(method, host, sign_target or target, list(extra),
                            body, c, 'execute-api', 'us-east-1', when=when)
        if tamper:
            hdrs, target, body = tamper(hdrs, target, body)
        return send_raw(svc_port or port['apigw'], method, target, hdrs, body)

    for p, q in cases:
        target = p + ('?' + q if q is not None else '')
        status, data = call('GET', target)
        echo = json.loads(data) if status == 200 else {}
        t.check(status == 200 and echo.get('target') == target,
                'GET %s: botocore-signed passes (%d)' % (target, status))

    # tampering: path, query, a signed header, body, date
    status, _ = call('GET', '/prod/a%2Fb', sign_target='/prod/a/b')
    t.check(status == 403, 'path %2F vs / refused')
    status, _ = call('GET', '/prod/a%20b', sign_target='/prod/a%2520b')
    t.check(status == 403, 'path signed encoded twice by the client refused')
    status, _ = call('GET', '/prod/x?k=v1&k=v2', sign_target='/prod/x?k=v1')
    t.check(status == 403, 'query with an extra value refused')
    status, _ = call('GET', '/prod/x?a=b+c', sign_target='/prod/x?a=b%20c')
    t.check(status == 403, 'query + signed as a space refused')
    status, data = call('GET', '/prod/x?a=b+c', sign_target='/prod/x?a=b%2Bc')
    t.check(status == 200, 'query + and %2B sign the same')

    def set_header(name, value):
        def f(hdrs, target, body):
            return ([(k, value if k.lower() == name else v)
                     for k, v in hdrs], target, body)
        return f

    extra = [('Content-Type', 'application/json'),
             ('x-apigw-api-id', 'abc123')]
    status, _ = call('POST', '/prod/p', extra, b'{"a":1}')
    t.check(status == 200, 'POST with content-type, x-apigw-api-id passes')
    status, _ = call('POST', '/prod/p', extra, b'{"a":1}',
                     tamper=set_header('x-apigw-api-id', 'other'))
    t.check(status == 403, 'a signed header changed refused')
    status, _ = call('POST', '/prod/p', extra, b'{"a":1}',
                     tamper=lambda h, tg, b: (h, tg, b'{"a":2}'))
    t.check(status == 403, 'body changed refused')
    status, _ = call('POST', '/prod/p', extra, b'{"a":1}',
                     tamper=lambda h, tg, b: (h + [('X-Amz-Target', 'x')],
                                              tg, b))
    t.check(status == 403, 'an unsigned x-amz-* header refused')
    status, _ = call('PUT', '/prod/big', (), os.urandom(3 << 20))
    t.check(status == 200, 'PUT 3 MB passes')
    status, _ = call('GET', '/prod/x',
                     tamper=set_header('x-amz-date', amz_date(time.time()
                                                              + 1)))
    t.check(status == 403, 'X-Amz-Date changed refused')
    status, data = call('GET', '/prod/x', when=time.time() - 600)
    t.check(status == 403 and b'Signature expired' in data,
            'signed 10 minutes ago refused')
    status, data = call('GET', '/prod/x', when=time.time() - 200)
    t.check(status == 200, 'signed 200 seconds ago passes')
    status, data = send_raw(port['apigw'], 'GET', '/prod/x',
                            [('Host', host)], b'')
    t.check(status == 403 and json.loads(data) == {
        'message': 'Missing Authentication Token'}, 'no Authorization: 403')
    status, data = call('GET', '/prod/x', c=botocore.credentials.Credentials(
        'AKIDUNKNOWN', secret))
    t.check(status == 403 and json.loads(data)['message'] == INVALID_TOKEN,
            'unknown key: invalid token')
    status, data = call('GET', '/prod/x', c=botocore.credentials.Credentials(
        key, secret + 'x'))
    t.check(status == 403 and json.loads(data)['message']
            .startswith('The request signature we calculated'),
            'wrong secret: signature mismatch')
    sess = botocore.credentials.Credentials('ASIASELFTEST', secret, token)
    status, data = call('GET', '/prod/x', c=sess)
    t.check(status == 200, 'session credentials with their token pass')
    status, data = call('GET', '/prod/x', c=botocore.credentials.Credentials(
        'ASIASELFTEST', secret, token + 'x'))
    t.check(status == 403 and json.loads(data)['message'] == INVALID_TOKEN,
            'wrong session token: invalid token')
    status, data = call('GET', '/prod/x', c=botocore.credentials.Credentials(
        'ASIASELFTEST', secret))
    t.check(status == 403, 'session key without its token refused')

    # STS
    def sts(form, c=creds, signed=True):
        body = urllib.parse.urlencode(form).encode()
        h = [('Content-Type',
              'application/x-www-form-urlencoded; charset=utf-8')]
        if signed:
            h = sign_request('POST', 'sts.us-east-1.amazonaws.com', '/', h,
                             body, c, 'sts', 'us-east-1')
        else:
            h.append(('Host', 'sts.us-east-1.amazonaws.com'))
        return send_raw(port['sts'], 'POST', '/', h, body)

    role = 'arn:aws:iam::111122223333:role/ApiReader'
    form = {'Action': 'AssumeRole', 'Version': '2011-06-15', 'RoleArn': role,
            'RoleSessionName': 'zoe-o-brien-1a2b', 'SourceIdentity':
            'zoe-o-brien-1a2b', 'DurationSeconds': '900',
            'Tags.member.1.Key': 'webauthn_user',
            'Tags.member.1.Value': 'Zoë O Brien',
            'Tags.member.2.Key': 'webauthn_credential',
            'Tags.member.2.Value': 'abc-_123'}
    status, data = sts(form)
    m = re.search(rb'<AccessKeyId>(\w+)</AccessKeyId>.*<SecretAccessKey>'
                  rb'([^<]+)</SecretAccessKey>.*<SessionToken>([^<]+)<', data,
                  re.S)
    t.check(status == 200 and m and b'<Expiration>' in data,
            'AssumeRole signed for sts: credentials')
    if m:
        ak, sk, tk = (x.decode() for x in m.groups())
        status, data = call('GET', '/prod/x', c=botocore.credentials
                            .Credentials(ak, sk, tk.replace('&amp;', '&')))
        echo = json.loads(data) if status == 200 else {}
        t.check(status == 200 and echo['identity'].get('tags', {})
                .get('webauthn_user') == 'Zoë O Brien',
                'assumed credentials sign for API Gateway, identity echoed')
        status, data = sts(dict(form, DurationSeconds='7200'),
                           c=botocore.credentials.Credentials(ak, sk, tk))
        t.check(status == 400 and b'role chaining' in data,
                'role chaining over an hour refused')
    for bad, what in [({'RoleSessionName': "Zoë O'Brien"}, 'session name'),
                      ({'RoleSessionName': 'x'}, 'a 1-character session'),
                      ({'SourceIdentity': 'a' * 65}, 'source identity'),
                      ({'DurationSeconds': '899'}, 'duration 899'),
                      ({'DurationSeconds': '43201'}, 'duration 43201'),
                      ({'Tags.member.1.Value': 'a' * 257}, 'tag value 257'),
                      ({'Tags.member.2.Key': 'Webauthn_User'},
                       'duplicate tag key'),
                      ({'Tags.member.1.Value': 'a;b'}, 'tag value with ;')]:
        status, data = sts(dict(form, **bad))
        t.check(status == 400 and b'<ErrorResponse' in data,
                'AssumeRole with a bad %s: 400' % what)
    status, data = sts(form, c=botocore.credentials.Credentials(key,
                                                                secret + 'x'))
    t.check(status == 403 and b'SignatureDoesNotMatch' in data,
            'AssumeRole badly signed: SignatureDoesNotMatch')
    status, data = sts(form, signed=False)
    t.check(status == 403, 'AssumeRole unsigned: 403')
    wi = {'Action': 'AssumeRoleWithWebIdentity', 'Version': '2011-06-15',
          'RoleArn': role, 'RoleSessionName': 'gateway',
          'WebIdentityToken': conf['web_identity_token']}
    status, data = sts(wi, signed=False)
    t.check(status == 200 and b'AssumeRoleWithWebIdentityResult' in data,
            'AssumeRoleWithWebIdentity with the token')
    status, data = sts(dict(wi, WebIdentityToken='other'), signed=False)
    t.check(status == 400 and b'InvalidIdentityToken' in data,
            'AssumeRoleWithWebIdentity with another token: 400')

    # IMDSv2
    status, _ = send_raw(port['imds'], 'GET',
                         '/latest/meta-data/iam/security-credentials/', [],
                         b'')
    t.check(status == 401, 'IMDS without a token (IMDSv1): 401')
    status, tok = send_raw(port['imds'], 'PUT', '/latest/api/token',
                           [('X-aws-ec2-metadata-token-ttl-seconds', '60')],
                           b'')
    tok = tok.decode()
    status, role_name = send_raw(
        port['imds'], 'GET', '/latest/meta-data/iam/security-credentials/',
        [('X-aws-ec2-metadata-token', tok)], b'')
    status, data = send_raw(
        port['imds'], 'GET', '/latest/meta-data/iam/security-credentials/'
        + role_name.decode(), [('X-aws-ec2-metadata-token', tok)], b'')
    j = json.loads(data) if status == 200 else {}
    t.check(j.get('Code') == 'Success' and j.get('Token'),
            'IMDSv2: token, role, credentials')

    # container
    status, _ = send_raw(port['ecs'], 'GET', '/v2/credentials/gateway', [],
                         b'')
    t.check(status == 401, 'container credentials without the token: 401')
    status, data = send_raw(port['ecs'], 'GET', '/v2/credentials/gateway',
                            [('Authorization', 'ecs-secret-token')], b'')
    t.check(status == 200 and 'RoleArn' in json.loads(data),
            'container credentials with the token')

    # control
    status, data = send_raw(port['sts'], 'POST', '/__config', [],
                            b'{"mode":"500"}')
    status, _ = sts(form)
    t.check(status == 500, 'STS in mode 500')
    send_raw(port['sts'], 'POST', '/__config', [], b'{"mode":"close"}')
    try:
        status, _ = sts(form)
        ok = False
    except (http.client.HTTPException, OSError):
        ok = True
    t.check(ok, 'STS in mode close')
    send_raw(port['sts'], 'POST', '/__reset', [], b'')
    status, data = send_raw(port['sts'], 'GET', '/__stats', [], b'')
    t.check(status == 200 and json.loads(data)['calls'] == {},
            'reset clears the stats')
    status, _ = sts(form)
    status, data = send_raw(port['sts'], 'GET', '/__stats', [], b'')
    s = json.loads(data)
    t.check(s['calls'] == {'AssumeRole': 1}
            and s['requests'][-1]['params']['RoleSessionName']
            == 'zoe-o-brien-1a2b', 'stats count AssumeRole, keep params')

    selftest_vectors(t, state)

    for s in servers.values():
        s.shutdown()
    print('# %d passed, %d failed' % (t.passed, t.failed))
    return 0 if t.failed == 0 else 1


def main():
    ap = argparse.ArgumentParser(description='AWS stand-ins for the tests')
    ap.add_argument('--config', help='JSON file (see the comment on top)')
    ap.add_argument('--ports-file', help='written once every port listens')
    ap.add_argument('--selftest', action='store_true')
    a = ap.parse_args()
    if a.selftest:
        return selftest()
    conf = {}
    if a.config:
        with open(a.config) as f:
            conf = json.load(f)
    state = State(conf)
    servers = serve(state, conf.get('ports', {}))
    ports = {n: s.server_address[1] for n, s in servers.items()}
    out = json.dumps(ports)
    if a.ports_file:
        tmp = a.ports_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write(out)
        os.rename(tmp, a.ports_file)
    else:
        print(out, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


if __name__ == '__main__':
    sys.exit(main())
