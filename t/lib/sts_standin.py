#!/usr/bin/env python3
# Copyright (C) ngx_http_webauthn_module authors
#
# Stand-ins for t/010-tls.t.
#
#   sts_standin.py sts PORTFILE LOG [--cert C --key K] [--close]
#       an STS that answers every POST with a fixed AssumeRole response
#       (the XML ngx_http_webauthn_sts.c reads), over TLS when --cert is
#       given; one line per request in LOG: "request host=... tls=0|1
#       reused=0|1 port=CLIENT-PORT action=True"; --close answers with
#       "Connection: close"
#   sts_standin.py dns PORTFILE LOG
#       a UDP DNS server: A 127.0.0.1 for "localhost", no records for
#       AAAA, NXDOMAIN for any other name; one line per query in LOG
#
# The port it listens on (127.0.0.1, chosen by the kernel) is written to
# PORTFILE once it is ready.

import http.server
import socket
import ssl
import struct
import sys

EXPIRES = '2099-01-01T00:00:00Z'

ANSWER = ('<AssumeRoleResponse '
          'xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
          '<AssumeRoleResult><Credentials>'
          '<AccessKeyId>ASIATLSSTANDIN</AccessKeyId>'
          '<SecretAccessKey>tls-secret</SecretAccessKey>'
          '<SessionToken>tls-session-token</SessionToken>'
          '<Expiration>' + EXPIRES + '</Expiration>'
          '</Credentials></AssumeRoleResult>'
          '<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>'
          '</AssumeRoleResponse>').encode()


def ready(portfile, port):
    with open(portfile + '.tmp', 'w') as f:
        f.write(str(port))
    import os
    os.rename(portfile + '.tmp', portfile)


def log(path, line):
    with open(path, 'a') as f:
        f.write(line + '\n')


def sts(args):
    portfile, logfile = args[0], args[1]
    cert = key = None
    close = '--close' in args
    if '--cert' in args:
        cert = args[args.index('--cert') + 1]
        key = args[args.index('--key') + 1]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def do_POST(self):
            n = int(self.headers.get('Content-Length', 0))
            body = self.rfile.read(n)
            tls = isinstance(self.connection, ssl.SSLSocket)
            reused = int(tls and self.connection.session_reused)
            log(logfile, 'request host=%s tls=%d reused=%d port=%d action=%s'
                % (self.headers.get('Host'), int(tls), reused,
                   self.client_address[1], b'Action=AssumeRole' in body))
            self.send_response(200)
            self.send_header('Content-Type', 'text/xml')
            self.send_header('Content-Length', str(len(ANSWER)))
            if close:
                self.send_header('Connection', 'close')
                self.close_connection = True
            self.end_headers()
            self.wfile.write(ANSWER)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    ready(portfile, srv.server_address[1])
    srv.serve_forever()


def dns(args):
    portfile, logfile = args[0], args[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    ready(portfile, s.getsockname()[1])

    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 12:
            continue
        qid, flags, qd = struct.unpack('!HHH', q[:6])
        # the question: labels, then type and class
        i, labels = 12, []
        while i < len(q) and q[i] != 0:
            labels.append(q[i + 1:i + 1 + q[i]].decode('ascii', 'replace'))
            i += 1 + q[i]
        qend = i + 5
        qtype = struct.unpack('!H', q[i + 1:i + 3])[0]
        name = '.'.join(labels).lower()
        log(logfile, 'query %s %d' % (name, qtype))

        question = q[12:qend]
        if name != 'localhost':
            hdr = struct.pack('!HHHHHH', qid, 0x8183, 1, 0, 0, 0)
            s.sendto(hdr + question, peer)
            continue
        if qtype != 1:
            hdr = struct.pack('!HHHHHH', qid, 0x8180, 1, 0, 0, 0)
            s.sendto(hdr + question, peer)
            continue
        hdr = struct.pack('!HHHHHH', qid, 0x8180, 1, 1, 0, 0)
        rr = struct.pack('!HHHIH', 0xc00c, 1, 1, 60, 4) \
            + socket.inet_aton('127.0.0.1')
        s.sendto(hdr + question + rr, peer)


if __name__ == '__main__':
    {'sts': sts, 'dns': dns}[sys.argv[1]](sys.argv[2:])
