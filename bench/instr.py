#!/usr/bin/python3
"""Instructions per request, counted by callgrind (bench/run.sh, BENCH_INSTR).

A count of instructions, unlike a time, is the same on a quiet and on a
busy machine, so it shows what the code does per request whatever else
runs; it leaves out what the kernel does for the process and what cache
misses cost.  nginx runs as one process (master_process off) under
valgrind --tool=callgrind twice per row, for a few and for more
requests; the difference over the difference in requests is the cost of
one request, start-up, shutdown and the key cache's first misses
cancelled.

  instr.py client PORT POOL_FILE OFFSET N [--no-auth]
      N sequential requests on one keepalive connection, line OFFSET on of
      the pool file ("WebAuthn <token>" lines) as Authorization; every
      answer must be a 200 (exit 1 otherwise)

  instr.py report KIND N_SMALL OUT_SMALL N_BIG OUT_BIG [KIND ...]
      key=value lines: per request, each KIND's instructions in all
      (instr_KIND_total), by class (instr_KIND_<class>) and inside
      EVP_PKEY_verify() (instr_KIND_verify)
"""

import re
import socket
import subprocess
import sys

# libc's allocator functions, as the perf profile classes them
from report import MALLOC

CLASSES = ("crypto", "jansson", "libc_malloc", "libc_other", "module",
           "nginx", "hiredis", "other")


def client(port, pool, offset, n, auth):
    with open(pool) as f:
        lines = [line.rstrip("\r\n") for line in f]
    if auth and offset + n > len(lines):
        sys.exit("instr: the pool has %d lines, %d wanted"
                 % (len(lines), offset + n))
    s = socket.create_connection(("127.0.0.1", port))
    for i in range(n):
        hdr = "Authorization: %s\r\n" % lines[offset + i] if auth else ""
        s.sendall(("GET / HTTP/1.1\r\nHost: bench\r\n%s\r\n" % hdr).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            more = s.recv(65536)
            if not more:
                sys.exit("instr: the connection closed at request %d" % i)
            buf += more
        head, _, body = buf.partition(b"\r\n\r\n")
        length = 0
        for h in head.split(b"\r\n")[1:]:
            name, _, value = h.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += s.recv(65536)
        if not head.startswith(b"HTTP/1.1 200"):
            sys.exit("instr: request %d: %s %s"
                     % (i, head.split(b"\r\n")[0].decode(), body[:200]))
    s.close()


def cls(obj, fn):
    if obj.startswith("libcrypto"):
        return "crypto"
    if obj.startswith("libjansson"):
        return "jansson"
    if obj.startswith("libc.so"):
        return "libc_malloc" if fn in MALLOC else "libc_other"
    if obj.startswith("ngx_http_webauthn"):
        return "module"
    if obj == "nginx":
        return "nginx"
    if obj.startswith("libhiredis"):
        return "hiredis"
    return "other"


LINE = re.compile(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)\s+\[(.*?)\]\s*$")


def annotate(path, inclusive):
    out = subprocess.run(["callgrind_annotate", "--threshold=100",
                          "--inclusive=%s" % ("yes" if inclusive else "no"),
                          path], capture_output=True, text=True,
                         check=True).stdout
    total = 0
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(?.*PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = LINE.match(line)
        if m:
            obj = m.group(3).rsplit("/", 1)[-1]
            fn = m.group(2).rsplit(":", 1)[-1]
            rows.append((int(m.group(1).replace(",", "")), obj, fn))
    return total, rows


def figures(path):
    total, rows = annotate(path, False)
    by = dict.fromkeys(CLASSES, 0)
    for v, obj, fn in rows:
        by[cls(obj, fn)] += v
    # the rest: ld.so, the vDSO, lines callgrind names no object for
    by["other"] = total - sum(by[k] for k in CLASSES if k != "other")
    _, inc = annotate(path, True)
    verify = max([v for v, obj, fn in inc
                  if fn == "EVP_PKEY_verify" and obj.startswith("libcrypto")]
                 or [0])
    by["total"] = total
    by["verify"] = verify
    return by


def report(args):
    while args:
        kind, n0, f0, n1, f1 = args[:5]
        args = args[5:]
        a, b = figures(f0), figures(f1)
        n = int(n1) - int(n0)
        print("instr_%s_requests=%d" % (kind, n))
        for k in a:
            print("instr_%s_%s=%.0f" % (kind, k, (b[k] - a[k]) / n))


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "client":
        client(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
               int(sys.argv[5]), "--no-auth" not in sys.argv[6:])
    elif len(sys.argv) >= 7 and sys.argv[1] == "report" \
            and (len(sys.argv) - 2) % 5 == 0:
        report(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
