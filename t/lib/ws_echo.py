#!/usr/bin/python3
#
# Copyright (C) ngx_http_webauthn_module authors
#
# ws_echo.py: a tiny RFC 6455 WebSocket echo server and client for
# t/017-session.t (python3 standard library only).
#
#   ws_echo.py server [--port N] [--port-file FILE]
#       listens on 127.0.0.1:N (0: any free port, written to FILE).  An
#       upgrade request (GET, Upgrade: websocket, Connection: upgrade,
#       Sec-WebSocket-Key, Sec-WebSocket-Version: 13) gets 101 with
#       Sec-WebSocket-Accept; every text frame is echoed back, the first
#       as JSON {"echo": TEXT, "method", "path", "headers": [[name, value],
#       ...]} (the request headers as received, in order, repeats kept),
#       the following ones as the text itself.  Ping gets pong, close gets
#       close.  Any other request gets 200 application/json {"method",
#       "path", "headers", "body"}: a plain echo of what the upstream got.
#
#   ws_echo.py client URL ['Name: value' ...] [--message TEXT]
#       upgrades (ws:// or http:// URL), sends TEXT twice, prints JSON
#       {"status", "accept_ok", "headers", "body", "first", "second",
#       "server_masked"}: "first" the decoded first echo, "second" the
#       second echo's text, "body" a refusal's body.  Exit 0 when the
#       exchange could be made (whatever the status), 2 on a socket error.

import argparse
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import urllib.parse

GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


def accept_of(key):
    return base64.b64encode(
        hashlib.sha1((key + GUID).encode('ascii')).digest()).decode('ascii')


def read_head(sock, buf=b''):
    while b'\r\n\r\n' not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError('connection closed in the head')
        buf += chunk
        if len(buf) > 1 << 20:
            raise ValueError('head too long')
    head, rest = buf.split(b'\r\n\r\n', 1)
    lines = head.decode('latin-1').split('\r\n')
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers.append([name.strip(), value.strip()])
    return lines[0], headers, rest


def header(headers, name):
    for n, v in headers:
        if n.lower() == name.lower():
            return v
    return None


class Reader:
    def __init__(self, sock, buf=b''):
        self.sock = sock
        self.buf = buf

    def take(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError('connection closed')
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        """(fin, opcode, masked, payload)"""
        b0, b1 = self.take(2)
        fin, opcode = b0 >> 7, b0 & 0x0f
        masked, n = b1 >> 7, b1 & 0x7f
        if n == 126:
            n = struct.unpack('>H', self.take(2))[0]
        elif n == 127:
            n = struct.unpack('>Q', self.take(8))[0]
        mask = self.take(4) if masked else None
        data = self.take(n)
        if mask:
            data = bytes(c ^ mask[i % 4] for i, c in enumerate(data))
        return fin, opcode, masked, data


def frame(opcode, data, mask):
    out = bytes([0x80 | opcode])
    n = len(data)
    m = 0x80 if mask else 0
    if n < 126:
        out += bytes([m | n])
    elif n < 65536:
        out += bytes([m | 126]) + struct.pack('>H', n)
    else:
        out += bytes([m | 127]) + struct.pack('>Q', n)
    if mask:
        key = os.urandom(4)
        out += key + bytes(c ^ key[i % 4] for i, c in enumerate(data))
    else:
        out += data
    return out


# -- server -------------------------------------------------------------------

def serve_one(conn):
    conn.settimeout(30)
    try:
        line, headers, rest = read_head(conn)
        parts = line.split(' ')
        method, path = parts[0], parts[1] if len(parts) > 1 else ''
        upgrade = (header(headers, 'Upgrade') or '').lower() == 'websocket'
        connection = [t.strip().lower() for t in
                      (header(headers, 'Connection') or '').split(',')]
        key = header(headers, 'Sec-WebSocket-Key')
        if (method == 'GET' and upgrade and 'upgrade' in connection
                and key and header(headers, 'Sec-WebSocket-Version') == '13'):
            conn.sendall(('HTTP/1.1 101 Switching Protocols\r\n'
                          'Upgrade: websocket\r\nConnection: Upgrade\r\n'
                          'Sec-WebSocket-Accept: %s\r\n\r\n'
                          % accept_of(key)).encode('ascii'))
            r = Reader(conn, rest)
            first = True
            while True:
                fin, opcode, masked, data = r.frame()
                if not masked:          # RFC 6455, 5.1: close the connection
                    conn.sendall(frame(8, struct.pack('>H', 1002), False))
                    return
                if opcode == 1:
                    text = data.decode('utf-8')
                    if first:
                        text = json.dumps({'echo': text, 'method': method,
                                           'path': path, 'headers': headers})
                        first = False
                    conn.sendall(frame(1, text.encode('utf-8'), False))
                elif opcode == 9:
                    conn.sendall(frame(10, data, False))
                elif opcode == 8:
                    conn.sendall(frame(8, data[:2], False))
                    return
            return
        n = int(header(headers, 'Content-Length') or 0)
        body = rest
        while len(body) < n:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        out = json.dumps({'method': method, 'path': path, 'headers': headers,
                          'body': body[:n].decode('latin-1')}).encode('utf-8')
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n'
                     b'Connection: close\r\nContent-Length: %d\r\n\r\n'
                     % len(out) + out)
    except (OSError, EOFError, ValueError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def server(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', args.port))
    s.listen(64)
    port = s.getsockname()[1]
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % port)
        os.rename(tmp, args.port_file)
    else:
        print(port, flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve_one, args=(conn,), daemon=True).start()


# -- client -------------------------------------------------------------------

def client(args):
    u = urllib.parse.urlsplit(args.url)
    host = u.hostname or '127.0.0.1'
    port = u.port or 80
    path = (u.path or '/') + ('?' + u.query if u.query else '')
    key = base64.b64encode(os.urandom(16)).decode('ascii')
    req = ('GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n'
           'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
           'Sec-WebSocket-Version: 13\r\n' % (path, u.netloc, key))
    for h in args.headers:
        req += h + '\r\n'
    req += '\r\n'

    out = {'status': 0, 'accept_ok': None, 'headers': [], 'body': None,
           'first': None, 'second': None, 'server_masked': None}
    try:
        sock = socket.create_connection((host, port), timeout=args.timeout)
        sock.sendall(req.encode('latin-1'))
        line, headers, rest = read_head(sock)
        out['status'] = int(line.split(' ')[1])
        out['headers'] = headers
        if out['status'] != 101:
            n = header(headers, 'Content-Length')
            body = rest
            try:
                while n is None or len(body) < int(n):
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    body += chunk
            except socket.timeout:
                pass
            if n is not None:
                body = body[:int(n)]
            out['body'] = body.decode('utf-8', 'replace')
        else:
            out['accept_ok'] = header(headers, 'Sec-WebSocket-Accept') \
                == accept_of(key)
            r = Reader(sock, rest)
            for which in ('first', 'second'):
                sock.sendall(frame(1, args.message.encode('utf-8'), True))
                fin, opcode, masked, data = r.frame()
                out['server_masked'] = bool(out['server_masked'] or masked)
                text = data.decode('utf-8')
                if which == 'first':
                    try:
                        text = json.loads(text)
                    except ValueError:
                        pass
                out[which] = text
            sock.sendall(frame(8, struct.pack('>H', 1000), True))
        sock.close()
    except (OSError, EOFError, ValueError) as e:
        out['error'] = str(e)
        print(json.dumps(out))
        return 2
    print(json.dumps(out))
    return 0


def main():
    ap = argparse.ArgumentParser(description='WebSocket echo')
    sub = ap.add_subparsers(dest='cmd', required=True)
    s = sub.add_parser('server')
    s.add_argument('--port', type=int, default=0)
    s.add_argument('--port-file')
    s.set_defaults(func=server)
    c = sub.add_parser('client')
    c.add_argument('url')
    c.add_argument('headers', nargs='*')
    c.add_argument('--message', default='hello over the gateway')
    c.add_argument('--timeout', type=float, default=10)
    c.set_defaults(func=client)
    args = ap.parse_args()
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
