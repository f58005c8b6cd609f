"""SigV4: the core (wa_sigv4_sign(), as ngx_http_webauthn_aws.c calls it)
against botocore's SigV4Auth, service execute-api.

A case is the request the proxy module builds for the upstream: the
configured header lines (proxy_set_header: Host first, then the others),
then the client's lines that no configured name overrides, as
ngx_http_proxy_create_request() orders them.  The module's header rule
(ngx_http_webauthn_aws_signs()) picks the lines it signs; both signers get
exactly those, and each adds X-Amz-Date and X-Amz-Security-Token itself.
Both must give the same canonical request, string to sign and
Authorization header.
"""

import hashlib

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials


NAME = "sigv4"

# ngx_http_webauthn_aws_signs(): always, never, prefixes
ALWAYS = ("host", "content-type")
NEVER = ("connection", "keep-alive", "te", "trailer", "transfer-encoding",
         "upgrade", "proxy-connection", "expect", "user-agent",
         "content-length")
PREFIXES = ("x-amz-", "x-apigw-")

# whitespace of C's isspace() ("C" locale): the core's Trimall()
C_SPACE = b" \t\n\v\f\r"

REGIONS = ("us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1",
           "cn-north-1", "eu-south-2", "il-central-1", "me-central-1")

METHODS = ("GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD",
           "OPTIONS", "PROPFIND", "MKCOL", "CUSTOM_METHOD", "X-PURGE")

SEGMENTS = ("a", "b", "api", "v1", "users", "%2F", "%2f", "%20", "%41",
            "%7E", "%7e", "%25", "%E2%82%AC", "%C3%A9", "%ff", "%00",
            "%", "%G1", "%4", ".", "..", "...", ".a", "a.", "..b", "~",
            "a-b_c.d~e", "!$&'()*+,;=", ":", "@", "a:b@c", "é", "日本",
            "\U0001f600", "\u00a0", "a%2Fb", "+", "a+b", "\"", "<>", "\\",
            "^", "`", "{}", "|", "[x]", "*", "'", "%2E", "%2E%2E", "")

QCHARS = ("a", "b", "key", "K", "x", "1", "~", "-", "_", ".", "%20", "+",
          "%2B", "%2b", "%3D", "=", "%26", "%25", "%", "%zz", "%4", "é",
          "%C3%A9", "%E6%97%A5", "\U0001f600", "/", "?", ":", "@", "!",
          "*", "'", "(", ")", ",", ";", "$", "%7E", "%7e", "%41", "[", "]",
          "|", "^", "\"", "{", "`", "\\", "%0A", "%00", "%FF%FE")

VALUE_PARTS = ("a", "b", "text", "1", "application/json", "charset=utf-8",
               " ", "  ", "   ", "\t", " \t ", "\t\t", "é", "日本", ",",
               ";", "\"q\"", "=", "x y", "a  b", "~", "%20", "\U0001f600",
               ":", "@", "\\", "\x7f", "\x0b", "\x0c")

# whitespace to str.split() and not to isspace(), or to neither
VALUE_EXOTIC = ("\u00a0", "\u2003", "\u3000", "\x1c", "\x1f", "\x85",
                "\u200b", "\ufeff")


def _pick(rng, seq):
    return seq[rng.randrange(len(seq))]


def _path(rng):
    n = rng.randrange(0, 7)
    segs = [_pick(rng, SEGMENTS) for _ in range(n)]
    path = "/" + "/".join(segs)
    if rng.random() < 0.2:
        path += "/"
    if rng.random() < 0.1:
        path = "/" + path
    return path


def _qpart(rng, n):
    return "".join(_pick(rng, QCHARS) for _ in range(rng.randrange(0, n)))


def _query(rng):
    r = rng.random()
    if r < 0.2:
        return None
    if r < 0.25:
        return ""
    params = []
    names = []
    for _ in range(rng.randrange(1, 7)):
        if names and rng.random() < 0.3:
            name = _pick(rng, names)          # a repeated key
        else:
            name = _qpart(rng, 4)
            names.append(name)
        k = rng.random()
        if k < 0.15:
            params.append(name)               # no "="
        elif k < 0.3:
            params.append(name + "=")         # an empty value
        else:
            params.append(name + "=" + _qpart(rng, 5))
    if rng.random() < 0.1:
        params.insert(rng.randrange(len(params) + 1), "")   # "&&"
    return "&".join(params)


def _value(rng, client):
    v = "".join(_pick(rng, VALUE_EXOTIC if rng.random() < 0.02
                      else VALUE_PARTS) for _ in range(rng.randrange(1, 6)))
    if client:
        # nginx's parser strips the client's leading and trailing
        # whitespace (ngx_http_parse_header_line())
        v = v.strip(" \t")
        if rng.random() < 0.05:
            v = ""                  # "X-Foo:" is sent on as it is
    return v


def _case_name(rng, name):
    r = rng.random()
    if r < 0.3:
        return name.lower()
    if r < 0.5:
        return name.upper()
    if r < 0.7:
        return "".join(c.upper() if rng.random() < 0.5 else c for c in name)
    return name


CONFIG_NAMES = ("X-Apigw-Api-Id", "X-Apigw-Stage", "X-Forwarded-For",
                "X-Real-IP", "X-Custom", "Content-Type", "X-Amz-Meta-Tag",
                "X-Amz-Target", "X-Request-Id", "Accept",
                "Forwarded", "X-Multi", "X-Apigw-Multi", "Te", "Expect",
                "X!#$%&'*+.^_`|~0")

# names with a documented difference, picked less often
CONFIG_RARE = ("X-Amzn-Trace-Id", "X-Amz-Content-Sha256")

CLIENT_NAMES = ("Accept", "Accept-Encoding", "Accept-Language", "User-Agent",
                "Content-Type", "Content-Length", "X-Foo", "X-Multi",
                "X-Apigw-Multi", "X-Apigw-Client", "Cookie", "Origin",
                "Cache-Control", "If-None-Match", "Te",
                "Transfer-Encoding", "Keep-Alive")


def generate(rng, index):
    """one request, as the module would have it to sign"""

    method = _pick(rng, METHODS)
    path = _path(rng)
    query = _query(rng)
    target = path if query is None else path + "?" + query

    if rng.random() < 0.5:
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
    elif rng.random() < 0.5:
        body = "".join(_pick(rng, VALUE_PARTS)
                       for _ in range(rng.randrange(0, 20))).encode()
    else:
        body = b""

    host = _pick(rng, ("abc123.execute-api.us-east-1.amazonaws.com",
                       "api.example.com", "Api.Example.COM",
                       "h.example:8443", "127.0.0.1:8081", "[::1]:9000"))

    config = [["Host", host]]
    if rng.random() < 0.7:
        config.append(["Connection", "close"])
    for _ in range(rng.randrange(0, 5)):
        name = _case_name(rng, _pick(rng, CONFIG_RARE if rng.random() < 0.03
                                     else CONFIG_NAMES))
        if name.lower() == "x-amz-content-sha256":
            value = hashlib.sha256(body).hexdigest()
            if rng.random() < 0.3:
                value = "UNSIGNED-PAYLOAD"
        else:
            value = _value(rng, False)
        if value == "":
            continue                # nginx sends no empty configured line
        config.append([name, value])

    client = []
    for _ in range(rng.randrange(0, 6)):
        name = _case_name(rng, _pick(rng, CLIENT_NAMES))
        client.append([name, _value(rng, True)])

    # the client's X-Amz-* are removed before the proxy copies headers
    # (ngx_http_webauthn_aws_remove_amz())
    client = [h for h in client if not h[0].lower().startswith("x-amz-")
              or len(h[0]) <= 6]

    # a configured name replaces the client's headers of that name
    cnames = {h[0].lower() for h in config}
    sent = config + [h for h in client if h[0].lower() not in cnames]

    # a configured line that equals one of the client's is taken as the
    # client's (passed through, not signed), as the module does
    if client and rng.random() < 0.1:
        sent.insert(1, list(client[0]))

    token = ""
    if rng.random() < 0.5:
        token = "".join(_pick(rng, "ABCDEFabcdef0123456789+/=")
                        for _ in range(rng.randrange(16, 200)))

    day = 1 + rng.randrange(28)
    date = "20%02d%02d%02dT%02d%02d%02dZ" % (
        15 + rng.randrange(20), 1 + rng.randrange(12), day,
        rng.randrange(24), rng.randrange(60), rng.randrange(60))

    return {
        "method": method,
        "target": target,
        "sent": sent,
        "client": client,
        "body": body.hex(),
        "date": date,
        "token": token,
        "region": _pick(rng, REGIONS),
        "service": "execute-api",
        "access_key": "AKIA" + "".join(_pick(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "234567") for _ in range(16)),
        "secret": "".join(_pick(rng, "abcdefghijklmnopqrstuvwxyzABCDEF"
                                "0123456789+/") for _ in range(40)),
    }


def signs(name, value, client):
    """ngx_http_webauthn_aws_signs(), on the line's name and value"""

    lname = name.lower()
    if lname in ALWAYS:
        return True
    for p in PREFIXES:
        if len(lname) > len(p) and lname.startswith(p):
            return True
    if lname in NEVER:
        return False
    for cname, cvalue in client:
        if cname.lower() == lname and cvalue == value:
            return False            # the client's, passed through
    return True


def signed_headers(case):
    out = []
    for name, value in case["sent"]:
        # the line "Name: value": the module's value starts after the
        # colon and any SP or HT
        value = value.lstrip(" \t")
        if signs(name, value, case["client"]):
            out.append([name, value])
    return out


def core_input(case):
    return {
        "suite": NAME,
        "method": case["method"].encode().hex(),
        "target": case["target"].encode().hex(),
        "headers": [[n.encode().hex(), v.encode().hex()]
                    for n, v in signed_headers(case)],
        "body": case["body"],
        "date": case["date"],
        "token": case["token"],
        "region": case["region"],
        "service": case["service"],
        "access_key": case["access_key"],
        "secret": case["secret"],
    }


def decode_param(s):
    """a query name or value as a server reads it: %XX decoded, "+" and a
    "%" without two hex digits literal (the core's rule, wa_sigv4.c)"""

    raw = s.encode()
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if (c == 0x25 and len(raw) - i > 2
                and all(chr(x) in "0123456789abcdefABCDEF"
                        for x in raw[i + 1:i + 3])):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
            continue
        out.append(c)
        i += 1
    return bytes(out)


UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 b"0123456789-_.~")


def canonical_form(query):
    """True when every name and value is already UriEncode()d: botocore's
    URL mode (which splits and sorts but encodes nothing) then applies"""

    if any(p.count("=") > 1 for p in query.split("&")):
        return False                # a raw "=" in a value
    i = 0
    raw = query.encode()
    while i < len(raw):
        c = raw[i]
        if c in UNRESERVED or c in b"&=":
            i += 1
            continue
        if c == 0x25 and len(raw) - i > 2:
            h = raw[i + 1:i + 3].decode("ascii", "replace")
            if (all(x in "0123456789ABCDEF" for x in h)
                    and int(h, 16) not in UNRESERVED):
                i += 3
                continue
        return False
    return True


def reference(case, mode):
    """botocore's canonical request, string to sign and Authorization;
    mode "params" gives it the query as decoded (name, value) pairs, as
    botocore's own serializers do; "url" the query in the URL as sent"""

    target = case["target"]
    path, sep, query = target.partition("?")
    params = None
    url = "https://h.example" + path
    if sep and mode == "url":
        url += "?" + query
    elif sep and query:
        params = []
        for p in query.split("&"):
            if p == "":
                continue
            k, _, v = p.partition("=")
            try:
                # botocore quotes a name as it is (bytes will do) and
                # str(value): a value must be text
                params.append((decode_param(k),
                               decode_param(v).decode("utf-8")))
            except UnicodeDecodeError:
                return None

    req = AWSRequest(method=case["method"], url=url,
                     data=bytes.fromhex(case["body"]), params=params or {})
    req.headers = HTTPHeaders()
    for name, value in signed_headers(case):
        req.headers[name] = value
    req.context["timestamp"] = case["date"]

    creds = Credentials(case["access_key"], case["secret"],
                        case["token"] or None)
    auth = SigV4Auth(creds, case["service"], case["region"])

    # SigV4Auth.add_auth() with the case's date in place of utcnow()
    auth._modify_request_before_signing(req)
    cr = auth.canonical_request(req)
    sts = auth.string_to_sign(req, cr)
    sig = auth.signature(sts, req)
    auth._inject_signature_to_request(req, sig)

    return {"canonical": cr, "string_to_sign": sts,
            "authorization": req.headers["Authorization"]}


# -- documented differences -------------------------------------------------

def _py_space_only(value):
    """characters str.split() takes for whitespace that C's isspace()
    does not"""
    return [c for c in value if c.isspace() and c.encode() not in
            [bytes([b]) for b in C_SPACE]]


def _trim_c(v):
    """Trimall() as the core does it, on C's whitespace"""
    ws = C_SPACE.decode()
    out, space = [], False
    for c in v.strip(ws):
        if c in ws:
            space = True
            continue
        if space:
            out.append(" ")
            space = False
        out.append(c)
    return "".join(out)


def compare(case, core):
    """'agree', ('policy', reason) or ('disagree', why)"""

    core = {k: bytes.fromhex(v).decode("utf-8", "surrogateescape")
            for k, v in core.items()}
    query = case["target"].partition("?")[2]
    modes = ["params"]
    if "?" in case["target"] and canonical_form(query):
        modes.append("url")

    if reference(case, "params") is None:
        # botocore quotes str(value): a query value that decodes to no
        # UTF-8 text has no botocore form but in canonical form already
        # (URL mode).  Else compared without the query line, in URL mode
        # (where botocore signs the query as it is sent).
        modes = ["url"] if "url" in modes else ["url-but-query"]

    policies = []
    for mode in modes:
        ref = reference(case, "url" if mode == "url-but-query" else mode)
        if ref == core:
            continue

        cr, rcr = core["canonical"], ref["canonical"]
        signed = signed_headers(case)
        a, b = cr.split("\n"), rcr.split("\n")
        reasons = []

        # botocore never signs X-Amzn-Trace-Id (SIGNED_HEADERS_BLACKLIST:
        # tracing rewrites it); the module signs one its configuration
        # adds.  The rest must agree: the core's canonical request without
        # that header is botocore's.
        if any(n.lower() == "x-amzn-trace-id" for n, _ in signed):
            a = [x for x in a if not x.startswith("x-amzn-trace-id:")]
            a[-2] = ";".join(n for n in a[-2].split(";")
                             if n != "x-amzn-trace-id")
            reasons.append("botocore-never-signs-x-amzn-trace-id")

        # botocore takes X-Amz-Content-SHA256 for the payload hash, S3's
        # rule (UNSIGNED-PAYLOAD); for other services SigV4 hashes the
        # payload (IAM User Guide, canonical request, HashedPayload), as
        # the core does: the last line, and only it, differs.
        if any(n.lower() == "x-amz-content-sha256"
               and v == "UNSIGNED-PAYLOAD" for n, v in signed):
            if a[-1] == hashlib.sha256(bytes.fromhex(case["body"])) \
                    .hexdigest() and b[-1] == "UNSIGNED-PAYLOAD":
                a[-1] = b[-1]
                reasons.append("botocore-content-sha256-is-payload-hash")

        # botocore's URL mode keeps an empty parameter ("a&&b", a "&" at
        # either end) and signs it as "="; the core drops it (wa_sigv4.c,
        # wa_sigv4_query()): the query line differs by those alone.
        empty = query.split("&").count("")
        if mode == "url" and empty:
            params = b[2].split("&")
            for _ in range(empty):
                if "=" in params:
                    params.remove("=")
            b[2] = "&".join(params)
            reasons.append("botocore-url-keeps-empty-parameter")

        # Trimall(): the core trims and collapses C's whitespace (SP, HT,
        # LF, VT, FF, CR) as aws-c-auth does; botocore's str.split() also
        # takes Unicode whitespace (U+001C-U+001F, U+0085, U+00A0,
        # U+2000-U+200A, U+3000, ...).  A header line with such a
        # character must be the core's rule on the core's side and
        # botocore's on botocore's.
        for lname in sorted({n.lower() for n, v in signed
                             if _py_space_only(v)}):
            vals = [v for n, v in signed if n.lower() == lname]
            want_a = lname + ":" + ",".join(_trim_c(v) for v in vals)
            want_b = lname + ":" + ",".join(" ".join(v.split())
                                            for v in vals)
            if want_a in a and want_b in b:
                a[a.index(want_a)] = want_b
                reasons.append("botocore-trims-unicode-whitespace")

        if mode == "url-but-query" and len(a) > 2 and len(b) > 2:
            b[2] = a[2]
            reasons.append("botocore-cannot-express-non-utf8-query-value")

        if a == b and reasons:
            policies.extend(reasons)
            continue

        return ("disagree", "mode %s:\ncore:\n%s\n\nbotocore:\n%s"
                % (mode, cr, rcr))

    if policies:
        return ("policy", "+".join(sorted(set(policies))))
    return "agree"
