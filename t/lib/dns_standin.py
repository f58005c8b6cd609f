#!/usr/bin/python3
# Copyright (C) ngx_http_webauthn_module authors
#
# A DNS stand-in for the tests (t/021-redis-resolver.t): a UDP server on
# 127.0.0.1 that answers A queries from a records file read at every
# query, so a test changes an answer by rewriting the file.
#
#   dns_standin.py PORTFILE RECORDS LOG
#
# RECORDS has lines "NAME ADDRESS [TTL]" (TTL 1 s by default); a name not
# there gets NXDOMAIN, another type of a known name an empty answer.  Each
# query is logged as "query NAME TYPE ADDRESS|-".  The port is written to
# PORTFILE once it listens.

import os
import socket
import struct
import sys


def records(path):
    table = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2:
                    ttl = int(parts[2]) if len(parts) > 2 else 1
                    table[parts[0].lower()] = (parts[1], ttl)
    except OSError:
        pass
    return table


def main():
    portfile, recfile, logfile = sys.argv[1:4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    tmp = portfile + '.tmp'
    with open(tmp, 'w') as f:
        f.write(str(s.getsockname()[1]))
    os.rename(tmp, portfile)

    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 17:
            continue
        qid = struct.unpack('!H', q[:2])[0]
        i, labels = 12, []
        while i < len(q) and q[i] != 0:
            labels.append(q[i + 1:i + 1 + q[i]].decode('ascii', 'replace'))
            i += 1 + q[i]
        if i + 5 > len(q):
            continue
        qtype = struct.unpack('!H', q[i + 1:i + 3])[0]
        question = q[12:i + 5]
        name = '.'.join(labels).lower()
        rec = records(recfile).get(name)

        with open(logfile, 'a') as f:
            f.write('query %s %d %s\n' % (name, qtype, rec[0] if rec else '-'))

        if rec is None:
            hdr = struct.pack('!HHHHHH', qid, 0x8183, 1, 0, 0, 0)
            s.sendto(hdr + question, peer)
        elif qtype != 1:
            hdr = struct.pack('!HHHHHH', qid, 0x8180, 1, 0, 0, 0)
            s.sendto(hdr + question, peer)
        else:
            hdr = struct.pack('!HHHHHH', qid, 0x8180, 1, 1, 0, 0)
            rr = struct.pack('!HHHIH', 0xc00c, 1, 1, rec[1], 4) \
                + socket.inet_aton(rec[0])
            s.sendto(hdr + question + rr, peer)


if __name__ == '__main__':
    main()
