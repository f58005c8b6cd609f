#!/usr/bin/python3
"""
Prints bench/run.sh's results as markdown tables.

usage: report.py RUN_DIR MODE...   (reads RUN_DIR/MODE.row, speed.kv)
"""

import os
import platform
import subprocess
import sys

LABEL = {
    "ceiling": "plain nginx proxy (ceiling)",
    "ceiling-static": "plain nginx, empty_gif, no proxy",
    "es256-static": "module, ES256, empty_gif, no proxy",
    "es256": "module, ES256",
    "es256-nopipe": "module, ES256, pipeline=1",
    "es256-counter": "module, ES256, counter stored",
    "es256-nocache": "module, ES256, key cache off",
    "rs256": "module, RS256",
    "eddsa": "module, EdDSA",
    "session": "module, session token (HS256)",
    "peer-es256": "peer (auth_request + Node), ES256",
    "peer-rs256": "peer (auth_request + Node), RS256",
    "peer-eddsa": "peer (auth_request + Node), EdDSA",
    "sigv4-off-1k": "module, ES256, POST 1 KB body, SigV4 off",
    "sigv4-on-1k": "module, ES256, POST 1 KB body, SigV4 on",
    "sigv4-off-1m": "module, ES256, POST 1 MB body, SigV4 off",
    "sigv4-on-1m": "module, ES256, POST 1 MB body, SigV4 on",
}

NOT_YET = []

SIZES = [("1k", "1 KB", 1024), ("1m", "1 MB", 1048576)]


def read_kv(path):
    kv = {}
    if not os.path.exists(path):
        return kv
    with open(path) as f:
        for line in f:
            for part in line.split():
                if "=" in part:
                    k, v = part.split("=", 1)
                    kv.setdefault(k, v)
            if line.startswith("na="):
                kv["na"] = line.strip().split("=", 1)[1]
            if line.startswith("redis_cmds="):
                kv["redis_cmds"] = line.strip().split("=", 1)[1]
    return kv


def num(kv, k, default=0.0):
    try:
        return float(kv.get(k, default))
    except ValueError:
        return default


def cmds(kv):
    out = {}
    for part in kv.get("redis_cmds", "").split():
        k, _, v = part.rpartition("=")
        if k:
            out[k] = int(v)
    return out


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except Exception:
        return "?"


def cpu_us(r):
    """nginx worker CPU per request, µs"""
    return num(r, "cpu_nginx_ns") / max(num(r, "server_requests"), 1) / 1000


def errors(r):
    return int(num(r, "non2xx") + num(r, "sock_errors") + num(r, "timeouts"))


def verified(r):
    """requests nginx counted in the window, less wrk's failures"""
    return max(num(r, "server_requests") - errors(r), 0)


def redis_us(r):
    """Redis CPU per verified request, µs"""
    return num(r, "cpu_redis_ns") / max(verified(r), 1) / 1000


def all_cpu_rate(r):
    """verified requests per CPU-second of nginx workers, verifier, Redis"""
    ns = (num(r, "cpu_nginx_ns") + num(r, "cpu_verifier_ns")
          + num(r, "cpu_redis_ns"))
    return verified(r) / (ns / 1e9) if ns > 0 else 0


SIDES = [("ngx", "nginx workers"), ("ver", "verifier (Node)"),
         ("redis", "Redis")]


def syscalls(r, side):
    """{name: count} of a side in the syscall window, "all" the total"""
    out = {}
    for part in r.get("sys_" + side, "").split(","):
        k, _, v = part.partition(":")
        if k and v.isdigit():
            out[k] = int(v)
    return out


def sys_per_req(r, side):
    n = num(r, "sys_requests")
    c = syscalls(r, side)
    if n <= 0 or "all" not in c:
        return None, []
    top = [(k, v / n) for k, v in sorted(c.items(), key=lambda x: -x[1])
           if k != "all"]
    return c["all"] / n, top


def sys_cell(r, side, top_n=6):
    total, top = sys_per_req(r, side)
    if total is None:
        return "-"
    shown = [(k, v) for k, v in top if v >= 0.005][:top_n]
    other = total - sum(v for _, v in shown)
    parts = ["%s %.2f" % (k, v) for k, v in shown]
    if other >= 0.005:
        parts.append("other %.2f" % other)
    if not parts:
        return "**%.2f**" % total
    return "**%.2f** (%s)" % (total, ", ".join(parts))


# the module's row and the plain nginx row it is compared with
PAIRS = [("es256-static", "ceiling-static", "empty_gif"),
         ("es256", "ceiling", "proxied")]


def own_cost(rows, p256):
    """ES256, key cached: worker CPU beyond plain nginx against a verify"""
    pairs = [(m, c, n) for m, c, n in PAIRS
             if num(rows.get(m, {}), "rps") and num(rows.get(c, {}), "rps")]
    if not pairs or not p256:
        return
    verify = 1e6 / p256
    print("### The module's own cost (ES256, key cached)\n")
    print("Worker CPU per request of the module's row minus that of the "
          "plain nginx row answering the same way, next to one ECDSA P-256 "
          "verify (`openssl speed`, one core, this run).\n")
    print("| pair | module µs/req | plain nginx µs/req | module's own "
          "µs/req | one P-256 verify µs | own ÷ verify (goal ≤ 1.3) |")
    print("|---|---:|---:|---:|---:|---:|")
    for m, c, name in pairs:
        a, b = cpu_us(rows[m]), cpu_us(rows[c])
        print("| %s: `%s` − `%s` | %.1f | %.1f | %.1f | %.1f | %.2f |" % (
            name, m, c, a, b, a - b, verify, (a - b) / verify))
    print()


# bench/instr.py's rows (callgrind) and its classes, as the profile's
INSTR_PAIRS = [("module-static", "ceiling-static", "empty_gif"),
               ("module", "ceiling", "proxied")]
INSTR_CLASSES = [("crypto", "crypto (libcrypto) outside the verify"),
                 ("jansson", "jansson"),
                 ("libc_malloc", "libc: malloc/free"),
                 ("libc_other", "libc: other"),
                 ("module", "module (ngx_http_webauthn_*, wa_*)"),
                 ("nginx", "nginx"), ("hiredis", "hiredis"),
                 ("other", "other (ld.so, ...)")]


def instr_cost(run):
    """ES256, key cached: instructions beyond plain nginx (callgrind)"""
    kv = read_kv(os.path.join(run, "instr.kv"))
    pairs = [(m, c, n) for m, c, n in INSTR_PAIRS
             if num(kv, "instr_%s_total" % m) and num(kv, "instr_%s_total" % c)]
    if not pairs:
        return
    print("### The module's own instructions (callgrind, ES256, key cached)\n")
    print("Instructions per request (`valgrind --tool=callgrind`, nginx as "
          "one process, %d requests on one keepalive connection: two runs' "
          "difference, so that start-up and the key cache's first misses "
          "cancel; bench/instr.py). A count, not a time: no load on the "
          "machine changes it, and it leaves out the kernel's work for "
          "the process and what cache misses cost, which the table above "
          "includes. The verify is `EVP_PKEY_verify()` with all it calls."
          "\n" % num(kv, "instr_%s_requests" % pairs[0][0]))
    print("| pair | module instr/req | plain nginx instr/req | module's own "
          "| of it, the verify | own beyond the verify | own ÷ verify |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for m, c, name in pairs:
        a = num(kv, "instr_%s_total" % m)
        b = num(kv, "instr_%s_total" % c)
        v = num(kv, "instr_%s_verify" % m)
        print("| %s: `%s` − `%s` | %.0f | %.0f | %.0f | %.0f | %.0f | %s |" % (
            name, m, c, a, b, a - b, v, a - b - v,
            "%.3f" % ((a - b) / v) if v else "-"))
    print()
    print("| class, module − plain nginx, instr/req | %s |" % " | ".join(
        name for _, _, name in pairs))
    print("|---|%s" % ("---:|" * len(pairs)))
    for k, label in INSTR_CLASSES:
        cells = []
        for m, c, _ in pairs:
            d = num(kv, "instr_%s_%s" % (m, k)) - num(kv, "instr_%s_%s" % (c, k))
            if k == "crypto":
                d -= num(kv, "instr_%s_verify" % m)
            cells.append("%.0f" % d)
        print("| %s | %s |" % (label, " | ".join(cells)))
    print()


# perf's DSOs and symbols, in the classes of the profile table
MALLOC = ("malloc", "free", "cfree", "calloc", "realloc", "_int_malloc",
          "_int_free", "_int_realloc", "malloc_consolidate", "tcache",
          "__libc_malloc", "__libc_free", "__libc_calloc", "__libc_realloc",
          "unlink_chunk", "sysmalloc", "malloc_trim")
CLASSES = ["crypto (libcrypto)", "kernel", "nginx",
           "module (ngx_http_webauthn_*, wa_*)", "jansson", "libcbor",
           "libc: malloc/free", "libc: other", "other (hiredis, ...)"]


def perf_class(dso, sym):
    if dso.startswith("libcrypto"):
        return "crypto (libcrypto)"
    if dso.startswith("[kernel") or sym.startswith("[k]"):
        return "kernel"
    if dso == "nginx":
        return "nginx"
    if dso.startswith("ngx_http_webauthn"):
        return "module (ngx_http_webauthn_*, wa_*)"
    if dso.startswith("libjansson"):
        return "jansson"
    if dso.startswith("libcbor"):
        return "libcbor"
    if dso.startswith("libc.so") or dso.startswith("libc-"):
        name = sym.split()[-1] if sym else ""
        name = name.split("@")[0]
        if name in MALLOC or name.startswith(("_int_", "malloc", "tcache")):
            return "libc: malloc/free"
        return "libc: other"
    return "other (hiredis, ...)"


def perf_shares(path):
    """{class: share %}, samples from perf report --sort dso,sym"""
    shares, samples = {}, "?"
    if not os.path.exists(path):
        return None, "?"
    with open(path) as f:
        for line in f:
            if line.startswith("# Samples:"):
                samples = line.split()[2]          # perf's "2K"
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split()
            if not parts[0].endswith("%"):
                continue
            try:
                pct = float(parts[0].rstrip("%"))
            except ValueError:
                continue
            dso = parts[1]
            sym = " ".join(parts[2:4]) if len(parts) > 3 else ""
            c = perf_class(dso, sym)
            shares[c] = shares.get(c, 0.0) + pct
    return shares, samples


def profile(run, rows, modes):
    """the perf record summary of the rows that ran under perf"""
    prof = {}
    for m in modes:
        sh_, n = perf_shares(os.path.join(run, "logs", m + ".perf-sym.txt"))
        if sh_ and num(rows.get(m, {}), "rps"):
            prof[m] = (sh_, n)
    if not prof:
        return
    order = [m for m in modes if m in prof]
    pairs = [(m, c, n) for m, c, n in PAIRS if m in prof and c in prof]
    print("### Where the worker CPU goes (perf record of the workers)\n")
    print("Share of the workers' samples by library (`perf record -F 999`, "
          "the row's whole window; its overhead is in these rows' figures), "
          "and ≈ µs/req: the share times the row's worker CPU per request. "
          "The last columns are the module row's µs/req minus the plain "
          "nginx row's, class by class.\n")
    head = "| class |"
    rule = "|---|"
    for m in order:
        head += " `%s` share | µs/req |" % m
        rule += "---:|---:|"
    for m, c, name in pairs:
        head += " module − plain, %s, µs/req |" % name
        rule += "---:|"
    print(head)
    print(rule)
    for cl in CLASSES:
        if not any(prof[m][0].get(cl) for m in order):
            continue
        line = "| %s |" % cl
        for m in order:
            pct = prof[m][0].get(cl, 0.0)
            line += " %.1f%% | %.1f |" % (pct, pct / 100 * cpu_us(rows[m]))
        for m, c, name in pairs:
            line += " %.1f |" % (
                prof[m][0].get(cl, 0.0) / 100 * cpu_us(rows[m])
                - prof[c][0].get(cl, 0.0) / 100 * cpu_us(rows[c]))
        print(line)
    line = "| all (samples; worker CPU µs/req) |"
    for m in order:
        line += " %s | %.1f |" % (prof[m][1], cpu_us(rows[m]))
    for m, c, name in pairs:
        line += " %.1f |" % (cpu_us(rows[m]) - cpu_us(rows[c]))
    print(line)
    p256 = num(read_kv(os.path.join(run, "speed.kv")), "speed_p256_verify")
    for m, c, name in pairs:
        crypto = prof[m][0].get(CLASSES[0], 0.0) / 100 * cpu_us(rows[m])
        if p256:
            print("\n`%s`: libcrypto %.1f µs/req, of which one P-256 verify "
                  "(openssl speed) %.1f: %.1f µs/req of other crypto "
                  "(hashes, the challenge's HMAC, the verify's own "
                  "cache misses)" % (m, crypto, 1e6 / p256,
                                     crypto - 1e6 / p256))
    print()


def sys_table(rows, modes):
    """syscalls per request, each side, from the rows' syscall windows"""
    have = [m for m in modes if num(rows[m], "sys_requests") > 0]
    if not have:
        return
    method = rows[have[0]].get("sys_method", "?")
    if method == "perf":
        how = ("`perf stat --per-thread -e raw_syscalls:sys_enter,"
               "syscalls:sys_enter_<name>,...` (the total, and the usual "
               "syscalls by name, run.sh's SYS_NAMES: the rest shows as "
               "\"other\")")
    else:
        how = ("`strace -c -f` (one per side, attached 0.3 s before the "
               "requests' window opens and detached after it closes: the "
               "counts include a little more than that window)")
    print("### Syscalls per request (a separate window)\n")
    print("After each row's timed window, the same load again for %s s "
          "and, from 0.5 s in, %s s of syscall counting with %s on the "
          "nginx workers, the verifier and Redis (all threads), divided "
          "by the requests nginx counted in that window; the tracer's "
          "overhead stays out of the rows above. Total per request in "
          "bold, then the most frequent.\n" % (
              int(num(rows[have[0]], "sys_seconds")) + 1,
              rows[have[0]].get("sys_seconds", "?"), how))
    print("| setup | requests in the window | nginx workers, syscalls/req "
          "| verifier, syscalls/req | Redis, syscalls/req |")
    print("|---|---:|---|---|---|")
    for m in modes:
        r = rows[m]
        label = LABEL.get(m, m)
        if num(r, "sys_requests") <= 0:
            print("| %s | n/a ||||" % label)
            continue
        bad = num(r, "sys_wrk_non2xx")
        print("| %s | %d%s | %s | %s | %s |" % (
            label, num(r, "sys_requests"),
            " (**%d non-2xx**)" % bad if bad else "",
            sys_cell(r, "ngx"),
            sys_cell(r, "ver") if r.get("kind") == "peer" else "-",
            sys_cell(r, "redis")))
    print()


def ratio(a, b):
    return a / b if b else 0


def pipeline_ab(rows, modes):
    """es256 (the default pipeline=) against es256-nopipe (pipeline=1)"""
    if "es256-nopipe" not in modes:
        return
    a, b = rows.get("es256", {}), rows.get("es256-nopipe", {})
    head = "Pipelining A/B (ES256, wrk -c%s, same pool): " % \
        os.environ.get("BENCH_CONNECTIONS", "32")
    if "na" in b or not num(b, "rps"):
        print("%sn/a (%s)\n" % (head, b.get("na", "no es256-nopipe row")))
        return
    if not num(a, "rps"):
        print("%sn/a (no es256 row)\n" % head)
        return
    ra, rb = redis_us(a), redis_us(b)
    wa, wb = cpu_us(a), cpu_us(b)
    sa = max(verified(a), 1)
    sb = max(verified(b), 1)
    line = ("%sRedis CPU per verified request %.1f / %.1f µs = %.2f "
            "(goal ≤ 0.33: %s); gateway worker CPU per request %.1f / %.1f "
            "µs = %.2f (goal ≤ 1.00: %s); Redis reads per request under "
            "load %.2f / %.2f; req/s %.0f / %.0f" % (
                head, ra, rb, ratio(ra, rb),
                "met" if ratio(ra, rb) <= 1 / 3 else "missed",
                wa, wb, ratio(wa, wb),
                "met" if ratio(wa, wb) <= 1.0 else "missed",
                num(a, "redis_reads") / sa, num(b, "redis_reads") / sb,
                num(a, "rps"), num(b, "rps")))
    for side, name in (("ngx", "nginx workers"), ("redis", "Redis")):
        ta, _ = sys_per_req(a, side)
        tb, _ = sys_per_req(b, side)
        if ta is not None and tb is not None:
            line += "; syscalls per request, %s %.2f / %.2f" % (name, ta, tb)
    print(line + " (pipelined / pipeline=1)\n")


def main():
    run, modes = sys.argv[1], sys.argv[2:]
    speed = read_kv(os.path.join(run, "speed.kv"))
    p256 = num(speed, "speed_p256_verify")
    algspeed = {"es256": p256, "eddsa": num(speed, "speed_ed25519_verify"),
                "rs256": num(speed, "speed_rsa2048_verify")}
    rows = {m: read_kv(os.path.join(run, m + ".row")) for m in modes}

    cpu = sh("lscpu | sed -n 's/^Model name: *//p' | head -1")
    print("### Setup\n")
    print("- machine: %s, %s cores, %s; %s" % (
        cpu, os.cpu_count(), sh("uname -r"), sh("nginx -v 2>&1")))
    mod = read_kv(os.path.join(run, "module.kv")).get("module")
    if os.path.exists(os.path.join(run, "module.kv")):
        with open(os.path.join(run, "module.kv")) as f:
            mod = f.read().strip().partition("=")[2]
    print("- module: commit %s (sha256 of the .so)" % (mod or "n/a"))
    anyrow = next((r for r in rows.values() if "workers" in r), {})
    print("- nginx under test: worker_processes %s; upstream: a second "
          "nginx (1 worker, `return 200`), keepalive 64; Redis 127.0.0.1 "
          "(%s)" % (anyrow.get("workers", os.environ.get("BENCH_WORKERS",
                                                          "2")),
                    sh("redis-server --version | cut -d' ' -f3")))
    print("- load: wrk -t%s -c%s -d%ss, each request a fresh assertion "
          "from a pre-made pool; everything (wrk, nginx, upstream, Redis, "
          "Node) shares the %s cores" % (
              os.environ.get("BENCH_THREADS", "2"),
              os.environ.get("BENCH_CONNECTIONS", "32"),
              os.environ.get("BENCH_DURATION", "10"), os.cpu_count()))
    sig = read_kv(os.path.join(run, "sigv4.kv"))
    if any(m.startswith("sigv4-") for m in modes):
        print("- SigV4 rows: POST with a fixed 1 KB / 1 MB body, ES256, key "
              "cache on (32 credentials), -d%ss, one pool per body size (sized for %s / %s "
              "req/s) used by its off and on rows (Redis flushed and nginx "
              "restarted between rows); `webauthn_aws_sign on` with base "
              "credentials from the environment (no STS), "
              "client_max_body_size 2m, client_body_buffer_size default "
              "(16k): a 1 MB body goes to a temporary file in both rows "
              "(the proxy buffers it when not signing)" % (
                  sig.get("sigv4_duration", "?"),
                  sig.get("sigv4_rate_1k", "?"),
                  sig.get("sigv4_rate_1m", "?")))
    print("- openssl speed (%s), one core: ECDSA P-256 verify %.0f/s "
          "(sign %.0f/s), Ed25519 verify %.0f/s, RSA-2048 verify %.0f/s"
          % (sh("openssl version | cut -d' ' -f1,2"), p256,
             num(speed, "speed_p256_sign"), algspeed["eddsa"],
             algspeed["rs256"]))
    load = {}
    if os.path.exists(os.path.join(run, "load.kv")):
        with open(os.path.join(run, "load.kv")) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                load[k] = v
    print("- load average (1, 5, 15 min) before: %s, after: %s%s" % (
        load.get("load_before", "?"), load.get("load_after", "?"),
        "  **(the machine was busy before the run: figures are contended)**"
        if float((load.get("load_before", "0").split() or ["0"])[0]) > 0.5
        else ""))
    print()

    print("### Throughput, latency, CPU\n")
    print("| setup | req/s | verified req per CPU-s, all processes "
          "| p50 ms | p99 ms | non-2xx / errors | window s "
          "| nginx CPU µs/req | verifier CPU µs/req | Redis CPU µs/req "
          "| req/s per worker ÷ P-256 verify/s | req per worker-CPU-s "
          "| of P-256 verify/core | of own alg verify/core |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
          "---:|---:|")
    for m in modes:
        r = rows[m]
        label = LABEL.get(m, m)
        if "na" in r or "requests" not in r:
            print("| %s | n/a (%s) |||||||||||||" % (
                label, r.get("na", "no result")))
            continue
        req = num(r, "requests")
        sreq = max(num(r, "server_requests"), 1)
        errs = errors(r)
        ngx_us = num(r, "cpu_nginx_ns") / sreq / 1000
        ver_us = num(r, "cpu_verifier_ns") / sreq / 1000
        red_us = num(r, "cpu_redis_ns") / sreq / 1000
        # requests per second of worker CPU (nginx workers, plus the Node
        # workers for the peer): the per-core rate, independent of what
        # else shares the cores
        per_core = 1e6 / (ngx_us + ver_us) if ngx_us + ver_us > 0 else 0
        alg = m.replace("peer-", "").split("-")[0]
        frac = "-"
        own = "-"
        per_worker = "-"
        if not m.startswith(("ceiling", "sigv4-")) and p256:
            per_worker = "%.0f%%" % (100 * num(r, "rps")
                                     / max(num(r, "workers"), 1) / p256)
            frac = "%.0f%%" % (100 * per_core / p256)
            if algspeed.get(alg):
                own = "%.0f%%" % (100 * per_core / algspeed[alg])
        err = "%d" % errs
        if num(r, "exhausted_threads"):
            err += " (pool used up: window shortened)"
        if errs:
            err = "**%s**" % err
        print("| %s | %.0f | %.0f | %.2f | %.2f | %s | %.1f | %.1f | %s "
              "| %.1f | %s | %.0f | %s | %s |" % (
                  label, num(r, "rps"), all_cpu_rate(r),
                  num(r, "p50_us") / 1000,
                  num(r, "p99_us") / 1000, err, num(r, "window"), ngx_us,
                  "%.1f" % ver_us if r.get("kind") == "peer" else "-",
                  red_us, per_worker, per_core, frac, own))
    for n in NOT_YET:
        print("| %s | n/a (not implemented) |||||||||||||" % n)
    print()
    print("Verified req per CPU-s, all processes: the requests that passed "
          "(nginx's count less wrk's failures) over the CPU time of the "
          "nginx workers, the verifier and Redis in the window (the "
          "upstream, the same for every row, left out); for the plain "
          "nginx rows the requests served, nothing verified.\n")

    print("### Redis and memory\n")
    print("Round trips per request are counted at Redis: its read() calls "
          "(/proc/PID/io syscr) during a %s-request sample at one "
          "connection, where nothing else is in flight; commands the client "
          "sent come from MONITOR in that sample (those run inside a script "
          "are shown apart). Under load, concurrent requests' commands share "
          "reads when they go over one connection (the Node peer), so the "
          "reads per request under load can be lower.\n" %
          os.environ.get("BENCH_SAMPLE", "300"))
    print("One Redis core: Redis runs commands on one thread, so 10⁶ / "
          "(its CPU µs per verified request) is how many verified requests "
          "per second one Redis can carry, whatever the number of gateways "
          "in front of it.\n")
    print("| setup | Redis CPU µs per verified req | verified req/s one "
          "Redis core can carry | Redis commands/req under load (INFO "
          "commandstats, scripted ones included) | EVALSHA µs per call | "
          "round trips/req | client "
          "commands per round trip | Redis reads/req under load | worker "
          "RSS before → after, MB, all workers (private: RssAnon) |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---|")
    for m in modes:
        r = rows[m]
        label = LABEL.get(m, m)
        if "na" in r or "requests" not in r:
            print("| %s | n/a |||||||||" % label)
            continue
        sreq = max(num(r, "server_requests"), 1)
        c = cmds(r)
        total = sum(c.values())
        detail = ", ".join("%s %.2f" % (k, v / sreq) for k, v in
                           sorted(c.items(), key=lambda x: -x[1]))
        cmd_s = "%.2f (%s)" % (total / sreq, detail) if total else "0"
        reads = "%.2f" % (num(r, "redis_reads") / sreq) if total else "0"
        s_req = num(r, "sample_requests")
        s_top = num(r, "sample_top")
        s_rt = num(r, "sample_syscr")
        rt = ppl = "-"
        if s_req and s_rt:
            rt = "%.2f" % (s_rt / s_req)
            ppl = "%.2f (sends %.2f, scripts run %.2f cmds/req)" % (
                s_top / s_rt, s_top / s_req, num(r, "sample_nested") / s_req)
        elif not total:
            rt = "0"
        rus = redis_us(r)
        # (rows without a Redis command per request: nothing to carry)
        cap = "%.0f" % (1e6 / rus) if total >= sreq / 2 and rus > 0 \
            else "-"
        ev = num(r, "redis_evalsha_us")
        ev_s = "%.2f" % ev if ev else "-"
        print("| %s | %.1f | %s | %s | %s | %s | %s | %s | %.1f → %.1f "
              "(%.1f → %.1f) |" % (
            label, rus, cap, cmd_s, ev_s, rt, ppl, reads,
            num(r, "rss0_kb") / 1024, num(r, "rss1_kb") / 1024,
            num(r, "anon0_kb") / 1024, num(r, "anon1_kb") / 1024))
    print()

    sys_table(rows, modes)

    micro = [a for a in ("es256", "rs256", "eddsa")
             if os.path.exists(os.path.join(run, "micro-%s.txt" % a))]
    if micro:
        print("### The verification core alone (bench/microbench.c, one "
              "core, CPU time)\n")
        print("```")
        for a in micro:
            with open(os.path.join(run, "micro-%s.txt" % a)) as f:
                print(f.read().rstrip())
        print("```\n")

    es, peer = rows.get("es256", {}), rows.get("peer-es256", {})
    if num(es, "rps") and num(peer, "rps"):
        print("ES256: module %.0f req/s vs peer %.0f req/s: %.1fx; "
              "verified req per CPU-s of all processes (nginx workers, "
              "verifier, Redis): module %.0f vs peer %.0f: %.1fx" % (
                  num(es, "rps"), num(peer, "rps"),
                  num(es, "rps") / num(peer, "rps"),
                  all_cpu_rate(es), all_cpu_rate(peer),
                  ratio(all_cpu_rate(es), all_cpu_rate(peer))))
        print()
    pipeline_ab(rows, modes)
    ceil = rows.get("ceiling", {})
    own_cost(rows, p256)
    instr_cost(run)
    profile(run, rows, modes)

    ses = rows.get("session", {})
    if num(ses, "rps") and num(ceil, "rps"):
        pct = 100 * num(ses, "rps") / num(ceil, "rps")
        print("Session tokens: %.0f req/s, %.0f%% of plain proxying "
              "(%.0f req/s; goal ≥ 85%%: %s); worker CPU per request %.1f "
              "against %.1f µs" % (
                  num(ses, "rps"), pct, num(ceil, "rps"),
                  "met" if pct >= 85 else "missed", cpu_us(ses),
                  cpu_us(ceil)))

    sha = num(speed, "speed_sha256_bytes")
    for key, name, size in SIZES:
        off, on = rows.get("sigv4-off-" + key, {}), rows.get("sigv4-on-" + key,
                                                             {})
        if not (num(off, "rps") and num(on, "rps")):
            continue
        cpu_off = num(off, "cpu_nginx_ns") / max(num(off, "server_requests"),
                                                 1) / 1000
        cpu_on = num(on, "cpu_nginx_ns") / max(num(on, "server_requests"),
                                               1) / 1000
        signed = on.get("upstream_signed", "")
        total = (num(on, "server_requests") + num(on, "sample_requests")
                 + num(on, "sys_wrk_requests"))
        goal = ""
        if key == "1k":
            goal = "; goal ≥ 0.90: %s" % (
                "met" if num(on, "rps") / num(off, "rps") >= 0.9
                else "missed")
        print("\nSigV4, %s body: on/off req/s %.2f (%.0f / %.0f%s), worker "
              "CPU per request %.2f (%.1f / %.1f µs); signing adds %.1f µs "
              "of worker CPU per request%s; signed requests the upstream "
              "received: %s in the on row (nginx counted %d requests, the "
              "samples included), %s in the off row" % (
                  name, num(on, "rps") / num(off, "rps"), num(on, "rps"),
                  num(off, "rps"), goal, cpu_on / cpu_off if cpu_off else 0,
                  cpu_on, cpu_off, cpu_on - cpu_off,
                  " (SHA-256 of the body alone: %.1f µs, openssl speed)"
                  % (size / sha * 1e6) if sha else "",
                  signed or "?", total, off.get("upstream_signed") or "?"))


if __name__ == "__main__":
    main()
