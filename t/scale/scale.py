#!/usr/bin/python3
"""
make test-scale: several gateways on one store (issue 12, "Faults, tested").

Three nginx instances (master process on, two workers each, reuseport so
the kernel spreads connections over both workers) share one Redis
topology, one challenge secret and one RP.  Three parts, in this order:

  replay   50 assertions, each sent 30 times at once over the three
           gateways (five assertions, 150 connections, at a time): exactly
           one 200 per assertion, every other copy 401 challenge_invalid;
           each accepted nonce is in Redis.
  counter  4 credentials with counters, rounds of 8 assertions each
           (counters of a round above the last round's, in shuffled order,
           some repeated), 32 requests at once over the gateways.  Redis
           MONITOR gives the order the commits ran in: the counters stored
           for a credential strictly increase, the counters stored are
           those of the accepted requests (access logs, $webauthn_*), and
           every refusal is sign_count_regressed.
  load     wrk on loopback (bench/pool.lua through t/scale/load.lua, a
           bench/genpool.py pool: each request a fresh assertion, every
           50th a replay of one sent earlier) against all three gateways,
           paced; under it every gateway gets "nginx -s reload" five
           times, then the topology's outage: single, Redis stopped and
           started again with the same data (appendonly yes, appendfsync
           always); sentinel, a SENTINEL failover.  Figures printed;
           checks: no assertion accepted twice, no fresh assertion refused
           outside the outage (see classify_load()), every accepted nonce
           still in Redis after the restart, two workers per gateway at
           the end, no crash or [alert] in any error log.

The Redis topology is pluggable: --topology NAME picks one of TOPOLOGIES
(single, sentinel and cluster are implemented: a class with the methods
of SingleRedis, and check_load() for checks of its own; a schema change,
such as a hash tag in the keys, is KEY_* and bench/genpool.py's
--prefix).  sentinel: a master, a replica and three sentinels, a SENTINEL
failover as the load's outage (SentinelRedis); cluster: three masters,
one of them restarted as the load's outage (ClusterRedis).
Pass/fail counts wrong answers only, never speed; every speed-like figure
is printed.

Exit status 0 when every check passes, 1 otherwise, 2 for a harness fault.
"""

import argparse
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import random
import re
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

TOP = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", ".."))
PY = "/usr/bin/python3"
RP_ID = "bench.example"
ORIGIN = "https://bench.example"
WORKERS = 2


def load_softkey():
    path = os.path.join(TOP, "tools", "webauthn-softkey")
    loader = importlib.machinery.SourceFileLoader("webauthn_softkey", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


softkey = load_softkey()
b64u = softkey.b64url


def log(msg):
    print("scale: " + msg, file=sys.stderr, flush=True)


class HarnessError(Exception):
    pass


# -- checks -------------------------------------------------------------------

class Checks:

    def __init__(self):
        self.n = 0
        self.failed = []

    def check(self, ok, name, detail=""):
        self.n += 1
        print("%s %d - %s%s" % ("ok" if ok else "not ok", self.n, name,
                                ("" if ok or not detail
                                 else "\n#   " + detail.replace(
                                     "\n", "\n#   "))), flush=True)
        if not ok:
            self.failed.append(name)
        return ok


def figure(name, value):
    print("# %-58s %s" % (name + ":", value), flush=True)


# -- processes ----------------------------------------------------------------

def die_with_parent():
    """preexec_fn: the child gets a TERM when this driver dies"""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PDEATHSIG


def wait_port(port, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise HarnessError("nothing listens on 127.0.0.1:%d" % port)


def children(pid):
    """pids whose parent is pid"""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces
        if int(st[st.rindex(")") + 2:].split()[1]) == pid:
            out.append(int(d))
    return sorted(out)


def status_kb(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# -- Redis --------------------------------------------------------------------

# the keys this test reads and writes (README, "Redis schema"): here only
KEY_CRED = "webauthn:cred:{%s}"         # a credential id, base64url
KEY_USED = "webauthn:used:*"            # every used nonce
KEY_EPOCH = "webauthn:epoch:{%s}"       # the credential's store epoch


def resp_commands(path):
    """the commands of a RESP stream (genpool.py's --redis-out)"""
    with open(path, "rb") as f:
        data = f.read()
    pos, out = 0, []
    while pos < len(data):
        end = data.index(b"\r\n", pos)
        n = int(data[pos + 1:end])
        pos = end + 2
        args = []
        for _ in range(n):
            end = data.index(b"\r\n", pos)
            ln = int(data[pos + 1:end])
            pos = end + 2
            args.append(data[pos:pos + ln])
            pos += ln + 2
        out.append(args)
    return out


class Monitor:
    """MONITOR on one Redis node, read by a thread until stop()"""

    LINE = re.compile(rb'^\+(\d+\.\d+) \[\d+ ([^\]]+)\] (.*)$')
    ARG = re.compile(rb'"((?:[^"\\]|\\.)*)"')

    def __init__(self, client):
        self.sock = client.sock
        self.sock.sendall(b"*1\r\n$7\r\nMONITOR\r\n")
        self.buf = client.buf
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        if not self.buf.startswith(b"+OK\r\n"):
            raise HarnessError("MONITOR: %r" % self.buf[:60])
        self.buf = self.buf[5:]
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            self.buf += chunk

    def stop(self):
        """[(source, [args])] in the order Redis ran them; source is the
        client address or "lua" (run inside a script)"""
        time.sleep(0.3)
        self.running = False
        self.thread.join()
        self.sock.close()
        out = []
        for line in self.buf.split(b"\r\n"):
            m = self.LINE.match(line)
            if not m:
                continue
            args = [a.decode("unicode_escape") for a in
                    self.ARG.findall(m.group(3))]
            out.append((m.group(2).decode(), args))
        return out


class SingleRedis:
    """One redis-server on loopback, persistence on (appendonly yes,
    appendfsync always: README, "Redis persistence and restarts"), with a
    password and a database other than 0 (AUTH and SELECT go ahead of the
    first command of every new connection, after the restart too).

    The interface every topology offers to the driver:
      start(), stop()            the whole topology
      directive()                the webauthn_redis line of the gateways
      call(*args)                one command, on the node owning args[1]
      masters()                  a client (softkey.Redis, AUTH and
                                 SELECT done) to every master: MONITOR,
                                 key scans
      outage(down_s)             the fault of the load part: Redis gone for
                                 down_s seconds, back with the same data;
                                 returns (t_start, t_end), the window in
                                 which refusals are expected (t_end: the
                                 topology answers again)
      window(lines, t0, t1)      optional: the window of refusals from
                                 the access logs, given outage()'s
      describe()                 one line for the report
    """

    name = "single"

    def __init__(self, port, workdir):
        self.port = port
        self.dir = os.path.join(workdir, "redis")
        self.proc = None
        self.conn = None
        self.password = b64u(os.urandom(12))
        self.db = 3
        os.makedirs(self.dir, exist_ok=True)

    def describe(self):
        return ("one redis-server 127.0.0.1:%d, appendonly yes, "
                "appendfsync always, requirepass, db %d"
                % (self.port, self.db))

    def _client(self, timeout):
        return softkey.Redis("127.0.0.1:%d" % self.port, self.password,
                             self.db, timeout)

    def _spawn(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--dir", self.dir, "--appendonly", "yes",
             "--appendfsync", "always", "--save", "",
             "--maxmemory-policy", "noeviction", "--daemonize", "no",
             "--requirepass", self.password,
             "--pidfile", os.path.join(self.dir, "redis.pid"),
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent)
        end = time.time() + 30
        while time.time() < end:
            if self.proc.poll() is not None:
                raise HarnessError("redis-server exited: %s/redis.log"
                                   % self.dir)
            try:
                r = self._client(2)
                ok = r.call("PING") == "PONG"
                r.close()
                if ok:
                    return
            except (OSError, softkey.RedisError):
                pass
            time.sleep(0.01)
        raise HarnessError("redis-server did not answer on %d" % self.port)

    def start(self):
        self._spawn()

    def _kill(self):
        if self.conn:
            self.conn.close()
            self.conn = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()       # SHUTDOWN: the AOF is flushed
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        self._kill()

    def directive(self):
        return ("webauthn_redis 127.0.0.1:%d password=%s db=%d "
                "keepalive=16 timeout=1s connect_timeout=1s;"
                % (self.port, self.password, self.db))

    def call(self, *args):
        if self.conn is None:
            self.conn = self._client(10)
        return self.conn.call(*args)

    def masters(self):
        return [self._client(30)]

    def outage(self, down_s):
        t0 = time.time()
        self._kill()
        time.sleep(down_s)
        self._spawn()
        return t0, time.time()


class SentinelRedis:
    """A master and a replica on loopback (appendonly yes, appendfsync
    always, the same password and database as SingleRedis; masterauth on
    every node, since they swap; repl-diskless-sync-delay 0, so that a
    resync starts at once), three redis-sentinel (quorum 2,
    down-after-milliseconds 1000, failover-timeout 5000) monitoring
    "mymaster"; the gateways find the master through the sentinels
    (webauthn_redis sentinel=mymaster ... wait=1).  SCALE_SENTINEL_REPLICAS
    (1 to 6) runs more replicas, with wait= that many (README: wait= as
    many as there are replicas); SCALE_SENTINEL_WAIT sets another wait=
    (0: none), to see what the checks say of it.

    outage() is a SENTINEL failover sent under the load: a replica is
    promoted, the former master becomes its replica.  Its window runs from
    the command to the first 200 of a request that started after the
    promotion (window(): the access logs tell), so the refusals of the
    workers that still talk to the former master, or ask a sentinel that
    has not heard of the new one yet, are in it; any refusal after it is
    outside.  With one replica, wait=1 has nothing to pass on until the
    former master is back as the new one's replica: Sentinel demotes a
    former master that is still up some 10 s after the failover, so the
    window is that long.

    wait=1: Redis replicates asynchronously.  Without WAIT, a nonce
    acknowledged by the former master a moment before the promotion may
    never reach the replica; the promoted replica then takes that
    assertion again when it is replayed, and this test would (rightly)
    report an assertion accepted twice.  With wait=1 an assertion passes
    only once the replica has its nonce, and after the promotion the
    former master has no replica left to acknowledge one.  With more
    replicas than wait=, the former master keeps taking commits that a
    replica not yet pointed at the new master acknowledges, and loses them
    (so does that replica) when it resyncs: SCALE_SENTINEL_REPLICAS=2
    SCALE_SENTINEL_WAIT=1 shows assertions accepted twice."""

    name = "sentinel"
    MASTER = "mymaster"
    QUORUM = 2
    DOWN_AFTER_MS = 1000
    FAILOVER_TIMEOUT_MS = 5000

    def __init__(self, port, workdir):
        n = int(os.environ.get("SCALE_SENTINEL_REPLICAS", "1"))
        if not 1 <= n <= 6:
            raise HarnessError("SCALE_SENTINEL_REPLICAS: 1 to 6, not %d" % n)
        self.wait = int(os.environ.get("SCALE_SENTINEL_WAIT", str(n)))
        self.nodes = ["redis"] + ["replica%s" % ("" if i == 0 else i + 1)
                                  for i in range(n)]
        self.ports = {name: port + i for i, name in enumerate(self.nodes)}
        self.sentinels = [port + len(self.nodes) + i for i in range(3)]
        self.dir = workdir
        self.procs = {}
        self.conn = None
        self.conn_port = None
        self.master = "redis"       # the node that is master now
        self.password = b64u(os.urandom(12))
        self.db = 3
        self.events = {}
        for name in self.nodes + ["sentinel%d" % i for i in range(3)]:
            os.makedirs(os.path.join(workdir, name), exist_ok=True)

    def describe(self):
        return ("a master 127.0.0.1:%d and %d replica(s) :%s (appendonly "
                "yes, appendfsync always, requirepass, db %d), three "
                "redis-sentinel :%s (quorum %d, down-after %d ms, "
                "failover-timeout %d ms); the gateways: sentinel=%s, "
                "wait=%d (%s)"
                % (self.ports["redis"], len(self.nodes) - 1,
                   ",".join(str(self.ports[n]) for n in self.nodes[1:]),
                   self.db, ",".join(str(p) for p in self.sentinels),
                   self.QUORUM, self.DOWN_AFTER_MS,
                   self.FAILOVER_TIMEOUT_MS, self.MASTER, self.wait,
                   "as many as the replicas: without it a nonce "
                   "acknowledged by the old master alone could be lost in "
                   "the failover and its assertion accepted again"
                   if self.wait == len(self.nodes) - 1 else
                   "NOT as many as the replicas: acknowledged nonces can "
                   "be lost in the failover"))

    def _client(self, port, timeout, auth=True):
        return softkey.Redis("127.0.0.1:%d" % port,
                             self.password if auth else None,
                             self.db if auth else 0, timeout)

    def _ask(self, port, *args, auth=True, timeout=2):
        r = self._client(port, timeout, auth)
        try:
            return r.call(*args)
        finally:
            r.close()

    def _wait(self, what, cond, timeout=30.0):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            try:
                if cond():
                    return time.time()
            except (OSError, softkey.RedisError) as e:
                last = e
            time.sleep(0.01)
        raise HarnessError("sentinel topology: %s after %.0f s (%s; logs "
                           "in %s)" % (what, timeout, last, self.dir))

    def _spawn(self, name, argv):
        d = os.path.join(self.dir, name)
        with open(os.path.join(d, "stderr.log"), "w") as err:
            self.procs[name] = subprocess.Popen(
                argv, cwd=d, stdout=subprocess.DEVNULL, stderr=err,
                preexec_fn=die_with_parent)

    def _redis(self, name, replicaof=None):
        d = os.path.join(self.dir, name)
        argv = ["redis-server", "--bind", "127.0.0.1",
                "--port", str(self.ports[name]), "--dir", d,
                "--appendonly", "yes", "--appendfsync", "always",
                "--save", "", "--maxmemory-policy", "noeviction",
                "--repl-diskless-sync-delay", "0",
                "--daemonize", "no", "--requirepass", self.password,
                "--masterauth", self.password,
                "--pidfile", os.path.join(d, "redis.pid"),
                "--logfile", os.path.join(d, "redis.log")]
        if replicaof:
            argv += ["--replicaof", "127.0.0.1", str(replicaof)]
        self._spawn(name, argv)
        self._wait("%s does not answer PING" % name,
                   lambda: self._ask(self.ports[name], "PING") == "PONG")

    def _sentinel(self, i):
        name = "sentinel%d" % i
        d = os.path.join(self.dir, name)
        conf = os.path.join(d, "sentinel.conf")
        with open(conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
                    "logfile %s\npidfile %s\n"
                    "sentinel monitor %s 127.0.0.1 %d %d\n"
                    "sentinel auth-pass %s %s\n"
                    "sentinel down-after-milliseconds %s %d\n"
                    "sentinel failover-timeout %s %d\n"
                    "sentinel parallel-syncs %s 1\n"
                    % (self.sentinels[i], d, os.path.join(d, "sentinel.log"),
                       os.path.join(d, "sentinel.pid"),
                       self.MASTER, self.ports["redis"], self.QUORUM,
                       self.MASTER, self.password,
                       self.MASTER, self.DOWN_AFTER_MS,
                       self.MASTER, self.FAILOVER_TIMEOUT_MS,
                       self.MASTER))
        self._spawn(name, ["redis-sentinel", conf])
        self._wait("%s does not answer PING" % name,
                   lambda: self._ask(self.sentinels[i], "PING",
                                     auth=False) == "PONG")

    def _role(self, name):
        return self._ask(self.ports[name], "ROLE")[0].decode()

    def _link_up(self, name):
        info = self._ask(self.ports[name], "INFO", "replication").decode()
        return "master_link_status:up" in info

    def _sentinel_master(self, port):
        r = self._ask(port, "SENTINEL", "get-master-addr-by-name",
                      self.MASTER, auth=False)
        return int(r[1]) if r else None

    def _settled(self):
        """the sentinels agree on the master, know its replicas (link up)
        and each other"""
        replicas = [n for n in self.nodes if n != self.master]
        want = {str(self.ports[n]).encode() for n in replicas}
        for s in self.sentinels:
            if self._sentinel_master(s) != self.ports[self.master]:
                return False
            seen = set()
            for r in self._ask(s, "SENTINEL", "replicas", self.MASTER,
                               auth=False):
                kv = dict(zip(r[0::2], r[1::2]))
                if (kv.get(b"flags") == b"slave"
                        and kv.get(b"master-link-status") == b"ok"):
                    seen.add(kv.get(b"port"))
            if seen != want:
                return False
            if len(self._ask(s, "SENTINEL", "sentinels", self.MASTER,
                             auth=False)) != len(self.sentinels) - 1:
                return False
        return (self._role(self.master) == "master"
                and all(self._role(n) == "slave" and self._link_up(n)
                        for n in replicas))

    def start(self):
        # no redis-sentinel: a loud harness failure, never a quiet pass
        for prog in ("redis-server", "redis-sentinel"):
            if shutil.which(prog) is None:
                raise HarnessError("topology sentinel needs %s (Debian's "
                                   "redis-sentinel package, in the "
                                   "Makefile's DEB_TEST): not found" % prog)
        self._redis("redis")
        for name in self.nodes[1:]:
            self._redis(name, replicaof=self.ports["redis"])
            self._wait("%s's link to the master is not up" % name,
                       lambda: self._link_up(name))
        for i in range(len(self.sentinels)):
            self._sentinel(i)
        t = time.time()
        self._wait("the sentinels do not agree on the master, its "
                   "replicas and each other", self._settled, 60)
        self.events["settled"] = time.time() - t

    def stop(self):
        if self.conn:
            self.conn.close()
            self.conn = None
        for name in sorted(self.procs, reverse=True):   # sentinels first
            p = self.procs[name]
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = {}

    def directive(self):
        return ("webauthn_redis sentinel=%s %s password=%s db=%d "
                "keepalive=16 timeout=1s connect_timeout=1s%s;"
                % (self.MASTER, " ".join("127.0.0.1:%d" % p
                                         for p in self.sentinels),
                   self.password, self.db,
                   " wait=%d wait_timeout=1s" % self.wait if self.wait
                   else ""))

    def call(self, *args):
        port = self.ports[self.master]
        if self.conn is None or self.conn_port != port:
            if self.conn:
                self.conn.close()
            self.conn = self._client(port, 10)
            self.conn_port = port
        return self.conn.call(*args)

    def masters(self):
        """the master the sentinels name (after the failover: a former
        replica)"""
        port = self._sentinel_master(self.sentinels[0])
        if port != self.ports[self.master]:
            raise HarnessError("sentinel topology: the sentinels name "
                               "127.0.0.1:%s as the master, not %s (:%d)"
                               % (port, self.master,
                                  self.ports[self.master]))
        return [self._client(port, 30)]

    def outage(self, down_s):
        """SENTINEL failover; returns (the command, the promotion: a
        replica's ROLE is master); window() ends the window at the first
        200 on the new master"""
        old = self.master
        ev = self.events
        end = time.time() + 30
        while True:
            t0 = time.time()
            try:
                r = self._ask(self.sentinels[0], "SENTINEL", "failover",
                              self.MASTER, auth=False)
                if r == "OK":
                    break
            except softkey.RedisError as e:
                # NOGOODSLAVE: the sentinel has not seen a replica lately
                if time.time() > end:
                    raise HarnessError("SENTINEL failover: %s" % e)
                time.sleep(0.1)
        ev["failover"] = t0
        new = []

        def promoted():
            new[:] = [n for n in self.nodes
                      if n != old and self._role(n) == "master"]
            return new
        ev["promoted"] = self._wait("no replica is promoted", promoted)
        self.master = new[0]
        ev["agreed"] = self._wait(
            "the sentinels do not name the new master",
            lambda: all(self._sentinel_master(s) == self.ports[self.master]
                        for s in self.sentinels))
        ev["demoted"] = self._wait("the former master is not a replica",
                                   lambda: self._role(old) == "slave")
        ev["synced"] = self._wait("the former master does not sync",
                                  lambda: self._link_up(old))
        return t0, ev["promoted"]

    def window(self, lines, t_down, t_up):
        """(t_down, the end of the failover window): the first 200 of a
        request that started after the promotion, so committed on the new
        master (with wait= as many as the replicas, the former one has too
        few replicas then to acknowledge a WAIT, and is read-only once
        demoted)"""
        ev = self.events
        first = min((float(d["msec"]) for d in lines
                     if d["status"] == "200" and float(d["msec"])
                     - float(d["request_time"]) > t_up), default=None)
        end = first if first is not None else t_up
        n503 = sum(1 for d in lines if d["status"] == "503"
                   and float(d["msec"]) >= t_down
                   and float(d["msec"]) - float(d["request_time"]) <= end)
        t0 = ev["failover"]
        figure("failover: a replica promoted", "%s, %.2f s after SENTINEL "
               "failover" % (self.master, ev["promoted"] - t0))
        figure("failover: all sentinels name the new master",
               "%.2f s after it" % (ev["agreed"] - t0))
        figure("failover: the former master a replica (synced)",
               "%.2f s (%.2f s) after it" % (ev["demoted"] - t0,
                                             ev["synced"] - t0))
        figure("failover: window (command to the first 200 on the new "
               "master)", "%.2f s, %d answers 503 in it"
               % (end - t_down, n503) if first is not None else
               "no 200 after the promotion")
        return t_down, end


def crc16(data):
    """CRC16 XMODEM (poly 0x1021, init 0): the Cluster specification's"""
    crc = 0
    for c in data:
        crc ^= c << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xffff
    return crc


def key_slot(key):
    """the hash slot of a key: its hash tag's (the first {...} with
    something in it) when it has one"""
    if isinstance(key, str):
        key = key.encode()
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    return crc16(key) % 16384


class ClusterRedis:
    """Three Redis Cluster masters on loopback (redis-server
    --cluster-enabled yes, appendonly yes, appendfsync always, a password,
    cluster-require-full-coverage no: a master down leaves the other two
    serving their slots), joined by redis-cli --cluster create
    --cluster-replicas 0.  The cluster bus ports are set (cluster-port) to
    stay among the topology's ports.  call() routes a command by the slot
    of args[1] (CRC16 of the hash tag, CLUSTER SLOTS), following -MOVED;
    masters() are the three nodes.  outage(): one master (the one holding
    the most credentials) is stopped (SIGTERM: the AOF flushed) and
    started again on the same files; it is back when it says
    cluster_state:ok and serves a key of its slots (a restarted master
    refuses with -CLUSTERDOWN for a while, -LOADING while reading its AOF).
    check_load() adds the checks of this topology to the load part: the
    credentials on every master, the 503s on the restarted one's only."""

    name = "cluster"
    N = 3

    def __init__(self, port, workdir):
        self.ports = [port + i for i in range(self.N)]
        self.bus = [port + self.N + i for i in range(self.N)]
        self.dirs = [os.path.join(workdir, "redis-c%d" % i)
                     for i in range(self.N)]
        self.procs = [None] * self.N
        self.conns = {}
        self.slot_node = None       # slot -> node index
        self.ranges = []
        self.creds = {}             # credential id (base64url) -> name
        self.victim = None
        self.password = b64u(os.urandom(12))
        self.node_timeout = 2000
        for d in self.dirs:
            os.makedirs(d, exist_ok=True)

    def describe(self):
        return ("three masters 127.0.0.1:%s (cluster bus %s), "
                "appendonly yes, appendfsync always, requirepass, "
                "cluster-require-full-coverage no, node timeout %d ms; "
                "slots %s"
                % (",".join(str(p) for p in self.ports),
                   ",".join(str(p) for p in self.bus), self.node_timeout,
                   " ".join("%d-%d:%d" % r for r in self.ranges)))

    def _client(self, i, timeout):
        return softkey.Redis("127.0.0.1:%d" % self.ports[i], self.password,
                             0, timeout)

    def _spawn(self, i):
        d = self.dirs[i]
        self.procs[i] = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1",
             "--port", str(self.ports[i]),
             "--cluster-enabled", "yes",
             "--cluster-port", str(self.bus[i]),
             "--cluster-config-file", os.path.join(d, "nodes.conf"),
             "--cluster-node-timeout", str(self.node_timeout),
             "--cluster-require-full-coverage", "no",
             "--dir", d, "--appendonly", "yes",
             "--appendfsync", "always", "--save", "",
             "--maxmemory-policy", "noeviction", "--daemonize", "no",
             "--requirepass", self.password,
             "--masterauth", self.password,
             "--pidfile", os.path.join(d, "redis.pid"),
             "--logfile", os.path.join(d, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent)

    def _wait(self, i, test, what, timeout=30.0):
        end = time.time() + timeout
        while time.time() < end:
            if self.procs[i].poll() is not None:
                raise HarnessError("redis-server exited: %s/redis.log"
                                   % self.dirs[i])
            try:
                r = self._client(i, 2)
                try:
                    if test(r):
                        return
                finally:
                    r.close()
            except (OSError, softkey.RedisError):
                pass
            time.sleep(0.01)
        raise HarnessError("cluster node %d (%d): %s" % (i, self.ports[i],
                                                        what))

    def _state_ok(self, r):
        return "cluster_state:ok" in r.call("CLUSTER", "INFO").decode()

    def _load_slots(self, i):
        """the slot map as node i tells it: [(start, end, node)]"""
        r = self._client(i, 10)
        try:
            slots = r.call("CLUSTER", "SLOTS")
        finally:
            r.close()
        ranges = []
        for s in slots:
            ranges.append((s[0], s[1], self.ports.index(s[2][1])))
        return sorted(ranges)

    def start(self):
        for i in range(self.N):
            self._spawn(i)
        for i in range(self.N):
            self._wait(i, lambda r: r.call("PING") == "PONG", "no PONG")
        with open(os.path.join(self.dirs[0], "..", "cluster-create.log"),
                  "w") as out:
            rc = subprocess.call(
                ["redis-cli", "-a", self.password, "--no-auth-warning",
                 "--cluster", "create"]
                + ["127.0.0.1:%d" % p for p in self.ports]
                + ["--cluster-replicas", "0", "--cluster-yes"],
                stdout=out, stderr=subprocess.STDOUT)
        if rc != 0:
            raise HarnessError("redis-cli --cluster create failed: "
                               "cluster-create.log")
        for i in range(self.N):
            self._wait(i, self._state_ok, "cluster_state not ok")
        # every node knows every slot's owner
        end = time.time() + 30
        while True:
            maps = [self._load_slots(i) for i in range(self.N)]
            if (all(m == maps[0] for m in maps) and len(maps[0]) == self.N
                    and sum(e - s + 1 for s, e, _ in maps[0]) == 16384):
                break
            if time.time() > end:
                raise HarnessError("the cluster's slot maps disagree: %s"
                                   % maps)
            time.sleep(0.1)
        self._set_map(maps[0])

    def _set_map(self, ranges):
        self.ranges = ranges
        self.slot_node = [None] * 16384
        for s, e, n in ranges:
            for k in range(s, e + 1):
                self.slot_node[k] = n

    def _kill(self, i):
        c = self.conns.pop(i, None)
        if c:
            c.close()
        p = self.procs[i]
        if p and p.poll() is None:
            p.terminate()               # SHUTDOWN: the AOF is flushed
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs[i] = None

    def stop(self):
        for i in range(self.N):
            self._kill(i)

    def directive(self):
        return ("webauthn_redis cluster %s password=%s "
                "keepalive=16 timeout=1s connect_timeout=1s;"
                % (" ".join("127.0.0.1:%d" % p for p in self.ports),
                   self.password))

    def node_of(self, key):
        return self.slot_node[key_slot(key)]

    def call(self, *args):
        a = [x.decode() if isinstance(x, bytes) else str(x) for x in args]
        # the credentials stored, and their names (per_node())
        if (a[0].upper() == "HSET" and a[1].startswith(
                KEY_CRED.split("{")[0]) and "user_name" in a):
            self.creds[a[1][a[1].index("{") + 1:a[1].rindex("}")]] = \
                a[a.index("user_name") + 1]
        i = self.node_of(args[1])
        for _ in range(2):
            if i not in self.conns:
                self.conns[i] = self._client(i, 10)
            try:
                return self.conns[i].call(*args)
            except softkey.RedisError as e:
                if not str(e).startswith("MOVED "):
                    raise
                port = int(str(e).rsplit(":", 1)[1])
                i = self.ports.index(port)
                self._set_map(self._load_slots(i))
        raise HarnessError("%s: MOVED twice" % args[1])

    def masters(self):
        return [self._client(i, 30) for i in range(self.N)]

    def per_node(self, names=None):
        """{node: count} of the credentials stored (whose user_name starts
        with one of names, when given)"""
        out = dict((i, 0) for i in range(self.N))
        for cid, name in self.creds.items():
            if names is None or name.rstrip("0123456789") in names:
                out[self.node_of(KEY_CRED % cid)] += 1
        return out

    def outage(self, down_s):
        counts = self.per_node()
        self.victim = max(range(self.N), key=lambda i: (counts[i], -i))
        i = self.victim
        probe = [cid for cid in self.creds
                 if self.node_of(KEY_CRED % cid) == i][0]
        t0 = time.time()
        self._kill(i)
        time.sleep(down_s)
        self._spawn(i)
        # back: it says the cluster is ok, and serves its slots (no
        # -LOADING, no -CLUSTERDOWN)
        self._wait(i, lambda r: self._state_ok(r) and r.call(
            "EXISTS", KEY_EPOCH % probe) == 1, "not back after the restart",
            60)
        return t0, time.time()

    def check_load(self, checks, lines, t_down, t_up):
        """the load part's checks of a Cluster: its credentials on every
        master; during the outage of one, 503s for that one's only, and the
        others served theirs; replays across the restart of the restarted
        master's credentials refused"""
        for part, names in (("replay", ("replay",)),
                            ("counter", ("counter",)),
                            ("load", ("bench",))):
            c = self.per_node(names)
            figure("cluster: %s credentials per master" % part,
                   " ".join("%d:%d" % (self.ports[i], c[i])
                            for i in sorted(c)))
        c = self.per_node(("bench",))
        checks.check(all(c[i] > 0 for i in c),
                     "cluster: the load's credentials are on all %d "
                     "masters" % self.N, str(c))
        v = self.victim
        n503 = dict((i, 0) for i in range(self.N))
        ok_in = dict((i, 0) for i in range(self.N))
        first_ok = {}
        across = [0, 0]
        rt = {True: [], False: []}  # the others' 200s: in the outage, not
        for d in lines:
            if not d["cred"]:
                continue
            i = self.node_of(KEY_CRED % d["cred"])
            t_end = float(d["msec"])
            t_start = t_end - float(d["request_time"])
            if d["status"] == "503":
                n503[i] += 1
            if (d["status"] == "200" and t_start >= t_down
                    and t_end <= t_up):
                ok_in[i] += 1
            if d["status"] == "200" and i != v:
                rt[t_end >= t_down and t_start <= t_up].append(
                    float(d["request_time"]))
            if i == v and d["auth_tail"] in first_ok and t_start > t_up \
                    and first_ok[d["auth_tail"]] < t_down:
                across[0] += 1
                if (d["status"], d["error"]) == ("401",
                                                 "challenge_invalid"):
                    across[1] += 1
            if d["status"] == "200":
                first_ok.setdefault(d["auth_tail"], t_end)
        figure("cluster: master restarted", "127.0.0.1:%d, down %.2f s "
               "(stop to serving its slots again)" % (self.ports[v],
                                                      t_up - t_down))
        figure("cluster: 503 per master (the load part)",
               " ".join("%d:%d" % (self.ports[i], n503[i])
                        for i in sorted(n503)))
        others = sum(n503[i] for i in n503 if i != v)
        figure("cluster: 503 for credentials of the other masters "
               "(must be 0)", others)
        figure("cluster: accepted inside the outage per master (the "
               "restarted one's: while its SHUTDOWN ran, or served before "
               "the probe saw it back)",
               " ".join("%d:%d" % (self.ports[i], ok_in[i])
                        for i in sorted(ok_in)))
        figure("cluster: request time of the other masters' accepted "
               "requests, in the outage / outside (mean, max)",
               " / ".join("%.1f ms, %.0f ms" % (
                   1000.0 * sum(x) / max(len(x), 1), 1000.0 * max(x or [0]))
                   for x in (rt[True], rt[False])))
        figure("cluster: replays across the restart of the restarted "
               "master's credentials (refused)", "%d (%d)" % tuple(across))
        unnamed = sum(1 for d in lines if d["status"] == "503"
                      and not d["cred"])
        checks.check(others == 0 and unnamed == 0 and n503[v] > 0,
                     "cluster: the 503s were for the restarted master's "
                     "credentials only",
                     "503 per node %s, without a credential %d"
                     % (n503, unnamed))
        checks.check(all(ok_in[i] > 0 for i in ok_in if i != v),
                     "cluster: the other masters served their credentials "
                     "during the outage", str(ok_in))
        checks.check(across[0] > 0 and across[1] == across[0],
                     "cluster: replays across the restart of the restarted "
                     "master's credentials refused",
                     "%d, refused %d" % tuple(across))


TOPOLOGIES = {
    "single": SingleRedis,
    "sentinel": SentinelRedis,
    "cluster": ClusterRedis,
}


def used_nonces(topo):
    n = 0
    for r in topo.masters():
        cur = "0"
        while True:
            cur, keys = r.call("SCAN", cur, "MATCH", KEY_USED,
                               "COUNT", "5000")
            n += len(keys)
            cur = cur.decode()
            if cur == "0":
                break
        r.close()
    return n


# -- credentials and assertions -----------------------------------------------

class Cred:

    def __init__(self, name):
        self.key = softkey.generate_key("es256")
        self.id = os.urandom(16)
        self.handle = os.urandom(16)
        self.name = name
        self.b64 = b64u(self.id)

    def store(self, topo):
        cose = softkey.cbor_encode(softkey.cose_key("es256",
                                                    self.key.public_key()))
        topo.call("HSET", KEY_CRED % self.b64,
                  "public_key", b64u(cose), "user_handle", b64u(self.handle),
                  "user_name", self.name, "sign_count", "0",
                  "roles", "scale")
        # the store epoch of the credential, before any of its challenges
        topo.call("SET", KEY_EPOCH % self.b64,
                  str(softkey.now_ms() - 1000), "NX")

    def assertion(self, secret, counter):
        chal = softkey.mint_challenge(secret, RP_ID, ttl=3600)
        cdj = ('{"type":"webauthn.get","challenge":"%s","origin":"%s",'
               '"crossOrigin":false}' % (chal, ORIGIN)).encode()
        ad = (hashlib.sha256(RP_ID.encode()).digest() + b"\x05"
              + struct.pack(">I", counter))
        sig = softkey.sign("es256", self.key,
                           ad + hashlib.sha256(cdj).digest())
        cred = {"id": self.b64, "rawId": self.b64, "type": "public-key",
                "response": {"clientDataJSON": b64u(cdj),
                             "authenticatorData": b64u(ad),
                             "signature": b64u(sig),
                             "userHandle": b64u(self.handle)}}
        return "WebAuthn " + b64u(json.dumps(
            cred, separators=(",", ":")).encode())


# -- gateways -----------------------------------------------------------------

# one line per request of the protected location, tab separated; scale_tag
# is the end of the Authorization header (taken in the rewrite phase,
# before the module removes it): it tells assertions of a wrk pool apart
LOG_FIELDS = ["msec", "request_time", "pid", "status", "error", "cred",
              "sign_count", "tag", "auth_tail"]
LOG_FORMAT = ("$msec\\t$request_time\\t$pid\\t$status\\t$webauthn_error\\t"
              "$webauthn_credential_id\\t$webauthn_sign_count\\t"
              "$http_x_scale_tag\\t$scale_tag")
TAIL = 160          # characters of the Authorization header kept


class Gateway:

    def __init__(self, idx, port, workdir, module, nginx, topo, secret_file):
        self.idx = idx
        self.port = port
        self.dir = os.path.join(workdir, "gw%d" % idx)
        self.module = module
        self.nginx = nginx
        self.topo = topo
        self.secret_file = secret_file
        self.conf = os.path.join(self.dir, "nginx.conf")
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)

    def write_conf(self):
        with open(self.conf, "w") as f:
            f.write("""load_module %(module)s;
worker_processes %(workers)d;
master_process on;
daemon on;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log info;
working_directory %(dir)s;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    log_format scale "%(fmt)s";
    %(redis)s
    webauthn_challenge_secret %(secret)s;
    webauthn_challenge_timeout 1h;
    webauthn_key_cache zone=scale_gw%(idx)d:4m valid=10m;
    map $scale_auth $scale_tag {
        "~(?<t>.{%(tail)d})$" $t;
        default "";
    }
    server {
        listen 127.0.0.1:%(port)d reuseport backlog=4096;
        keepalive_requests 1000000;
        set $scale_auth $http_authorization;
        location = /__bench_drain { return 204; }
        location / {
            access_log %(dir)s/access.log scale;
            webauthn_rp_id %(rp)s;
            webauthn_origin %(origin)s;
            auth_webauthn "scale";
            empty_gif;
        }
    }
}
""" % {"module": self.module, "workers": WORKERS, "dir": self.dir,
       "fmt": LOG_FORMAT, "redis": self.topo.directive(),
       "secret": self.secret_file, "idx": self.idx, "tail": TAIL,
       "port": self.port, "rp": RP_ID, "origin": ORIGIN})

    def _nginx(self, *extra):
        r = subprocess.run([self.nginx, "-p", self.dir, "-c", self.conf,
                            "-e", os.path.join(self.dir, "error.log")]
                           + list(extra), capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError("nginx %s (gateway %d): %s"
                               % (" ".join(extra), self.idx, r.stderr))

    def start(self):
        self.write_conf()
        self._nginx()
        wait_port(self.port)
        self.wait_workers(set())

    def master(self):
        with open(os.path.join(self.dir, "nginx.pid")) as f:
            return int(f.read())

    def workers(self):
        """the workers of the current generation (not shutting down)"""
        return [p for p in children(self.master())
                if "shutting down" not in cmdline(p)]

    def all_children(self):
        return children(self.master())

    def wait_workers(self, old, timeout=30.0):
        """until WORKERS workers run that are not in old"""
        end = time.time() + timeout
        while time.time() < end:
            new = [p for p in self.workers() if p not in old]
            if len(new) >= WORKERS:
                return new
            time.sleep(0.05)
        raise HarnessError("gateway %d: no %d new workers after %.0f s"
                           % (self.idx, WORKERS, timeout))

    def reload(self):
        old = set(self.all_children())
        self._nginx("-s", "reload")
        return self.wait_workers(old)

    def stop(self):
        try:
            pid = self.master()
        except OSError:
            return
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return
        end = time.time() + 30
        while time.time() < end:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def log_lines(self):
        out = []
        try:
            with open(os.path.join(self.dir, "access.log")) as f:
                for line in f:
                    v = line.rstrip("\n").split("\t")
                    if len(v) != len(LOG_FIELDS):
                        raise HarnessError("gateway %d: access log line %r"
                                           % (self.idx, line[:80]))
                    d = dict(zip(LOG_FIELDS, v))
                    d["gw"] = self.idx
                    out.append(d)
        except FileNotFoundError:
            pass
        return out

    def truncate_log(self):
        # nginx appends (O_APPEND): truncating is safe while it runs
        open(os.path.join(self.dir, "access.log"), "w").close()

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log"),
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def bad_error_lines(gateways):
    """[alert], [emerg], crashes: never, whatever the load"""
    bad = []
    pat = re.compile(r"\[(alert|emerg)\]|exited on signal|core dumped"
                     r"|segfault|double free|heap", re.I)
    for g in gateways:
        for line in g.error_log().splitlines():
            if pat.search(line):
                bad.append("gw%d: %s" % (g.idx, line[:300]))
    return bad


# -- concurrent requests ------------------------------------------------------

def blast(requests, timeout=60.0):
    """requests: [(port, tag, authorization)], all connected first, then
    all written in one loop, then read: [(tag, status, code)]"""
    socks = []
    for port, tag, authz in requests:
        s = socket.create_connection(("127.0.0.1", port), 10)
        s.setblocking(False)
        data = ("GET /t HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
                "X-Scale-Tag: %s\r\nConnection: close\r\n\r\n"
                % (RP_ID, authz, tag)).encode()
        socks.append([s, tag, data, b""])
    for item in socks:
        s, data = item[0], item[2]
        sent = 0
        while sent < len(data):     # a few hundred bytes: one send
            try:
                sent += s.send(data[sent:])
            except BlockingIOError:
                time.sleep(0.001)
    sel = selectors.DefaultSelector()
    for item in socks:
        sel.register(item[0], selectors.EVENT_READ, item)
    left = len(socks)
    end = time.time() + timeout
    while left and time.time() < end:
        for key, _ in sel.select(1.0):
            item = key.data
            try:
                chunk = item[0].recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionError:
                chunk = b""
            if chunk:
                item[3] += chunk
            else:
                sel.unregister(item[0])
                item[0].close()
                left -= 1
    out = []
    for s, tag, _, raw in socks:
        if left:
            try:
                s.close()
            except OSError:
                pass
        status, code = 0, ""
        m = re.match(rb"HTTP/1\.1 (\d{3})", raw)
        if m:
            status = int(m.group(1))
            m = re.search(rb'"code"\s*:\s*"([a-z_]+)"', raw)
            code = m.group(1).decode() if m else ""
        out.append((tag, status, code))
    return out


# -- part 1: replays ----------------------------------------------------------

def part_replay(checks, gateways, topo, secret, args):
    n_assert, copies, batch = args.replay_assertions, args.replay_copies, 5
    creds = [Cred("replay%d" % i) for i in range(5)]
    for c in creds:
        c.store(topo)
    used0 = used_nonces(topo)
    for g in gateways:
        g.truncate_log()
    results = []
    t0 = time.time()
    for b in range(0, n_assert, batch):
        reqs = []
        for a in range(b, min(b + batch, n_assert)):
            authz = creds[a % len(creds)].assertion(secret, 0)
            for k in range(copies):
                g = gateways[k % len(gateways)]
                reqs.append((g.port, "r%d-%d" % (a, k), authz))
        random.shuffle(reqs)
        results += blast(reqs)
    elapsed = time.time() - t0
    lines = [d for g in gateways for d in g.log_lines()]

    per = {}
    for tag, status, code in results:
        per.setdefault(tag.split("-")[0], []).append((status, code))
    wrong_count = [a for a, v in per.items()
                   if sum(1 for s, _ in v if s == 200) != 1]
    wrong_refusal = [(a, s, c) for a, v in per.items() for s, c in v
                     if s != 200 and (s, c) != (401, "challenge_invalid")]
    checks.check(len(per) == n_assert
                 and all(len(v) == copies for v in per.values()),
                 "replay: every copy answered (%d assertions x %d)"
                 % (n_assert, copies))
    checks.check(not wrong_count,
                 "replay: exactly one 200 per assertion",
                 "assertions with another count of 200: %s" % wrong_count[:10])
    checks.check(not wrong_refusal,
                 "replay: every other copy 401 challenge_invalid",
                 "other answers: %s" % wrong_refusal[:10])

    # the access logs say the same, and where the requests went
    by_tag = {d["tag"]: d for d in lines}
    mism = [t for t, s, _ in results
            if t not in by_tag or int(by_tag[t]["status"]) != s]
    checks.check(not mism, "replay: the access logs agree with the answers",
                 "tags: %s" % mism[:10])
    errs = [d for d in lines if d["status"] == "401"
            and d["error"] != "challenge_invalid"]
    checks.check(not errs, "replay: $webauthn_error of every 401 is "
                 "challenge_invalid", str(errs[:3]))
    workers = {}
    winners = {}
    for d in lines:
        workers.setdefault((d["gw"], d["pid"]), 0)
        workers[(d["gw"], d["pid"])] += 1
        if d["status"] == "200":
            winners[(d["gw"], d["pid"])] = winners.get(
                (d["gw"], d["pid"]), 0) + 1
    checks.check(len(workers) == WORKERS * len(gateways),
                 "replay: the copies reached all %d workers of the %d "
                 "gateways" % (WORKERS * len(gateways), len(gateways)),
                 "workers seen: %s" % sorted(workers))
    used = used_nonces(topo) - used0
    checks.check(used == n_assert, "replay: Redis holds one used nonce per "
                 "accepted assertion (%d)" % n_assert, "found %d" % used)
    figure("replay: requests", "%d in %.1f s (%d at once)"
           % (len(results), elapsed, batch * copies))
    figure("replay: requests per worker (gateway/pid)",
           " ".join("gw%d/%s=%d" % (k[0], k[1], v)
                    for k, v in sorted(workers.items())))
    figure("replay: the accepted copy's worker",
           " ".join("gw%d/%s=%d" % (k[0], k[1], v)
                    for k, v in sorted(winners.items())))


# -- part 2: counters ---------------------------------------------------------

def part_counter(checks, gateways, topo, secret, args):
    creds = [Cred("counter%d" % i) for i in range(4)]
    for c in creds:
        c.store(topo)
    per_round, rounds = 8, args.counter_rounds
    sent = {}          # tag -> (cred index, counter)
    for g in gateways:
        g.truncate_log()
    mons = [Monitor(a) for a in topo.masters()]
    results = []
    rng = random.Random(12)
    for r in range(rounds):
        reqs = []
        for ci, c in enumerate(creds):
            # counters of this round above every one of earlier rounds, in
            # an order that is not increasing, with repeats: whatever the
            # timing, some must be refused
            ctrs = [r * 10 + 1 + rng.randrange(6) for _ in range(per_round)]
            ctrs.sort(reverse=True)
            ctrs[0], ctrs[-1] = ctrs[-1], ctrs[0]
            for k, ctr in enumerate(ctrs):
                tag = "c%d-%d-%d" % (ci, r, k)
                sent[tag] = (ci, ctr)
                g = gateways[(ci + k) % len(gateways)]
                reqs.append((g.port, tag, c.assertion(secret, ctr)))
        rng.shuffle(reqs)
        results += blast(reqs)
    ops = []
    for m in mons:
        ops += m.stop()
    lines = [d for g in gateways for d in g.log_lines()]

    accepted = {i: [] for i in range(len(creds))}
    bad = []
    regressed = 0
    for tag, status, code in results:
        ci, ctr = sent[tag]
        if status == 200:
            accepted[ci].append(ctr)
        elif (status, code) == (401, "sign_count_regressed"):
            regressed += 1
        else:
            bad.append((tag, ctr, status, code))
    checks.check(len(results) == len(sent) and not bad,
                 "counter: every answer 200 or 401 sign_count_regressed",
                 str(bad[:10]))
    checks.check(regressed > 0 and all(accepted.values()),
                 "counter: the rounds both accepted and refused for each "
                 "credential (the rule was exercised)",
                 "regressed %d, accepted %s" % (regressed, accepted))

    # the commits in the order Redis ran them (MONITOR): the counters
    # stored per credential, and the answers of the logs
    stored = {i: [] for i in range(len(creds))}
    ids = {KEY_CRED % c.b64: i for i, c in enumerate(creds)}
    for src, a in ops:
        if (src == "lua" and len(a) >= 4 and a[0].upper() == "HSET"
                and a[1] in ids and a[2] == "sign_count"):
            stored[ids[a[1]]].append(int(a[3]))
    mono = {i: s for i, s in stored.items()
            if any(y <= x for x, y in zip(s, s[1:]))}
    checks.check(not mono, "counter: the stored counter of each credential "
                 "only grows, in the order Redis ran the commits",
                 "sequences: %s" % mono)
    same = {i: (sorted(stored[i]), sorted(accepted[i]))
            for i in stored if sorted(stored[i]) != sorted(accepted[i])}
    checks.check(not same, "counter: the counters stored are those of the "
                 "accepted requests (none accepted with a counter <= one "
                 "stored before it)", str(same))
    final = {i: int(topo.call("HGET", KEY_CRED % c.b64,
                              "sign_count") or 0)
             for i, c in enumerate(creds)}
    checks.check(all(final[i] == max(accepted[i] or [0]) for i in final),
                 "counter: Redis ends at each credential's highest "
                 "accepted counter", "final %s" % final)
    logged = [d for d in lines if d["status"] == "200"
              and int(d["sign_count"] or -1) != sent[d["tag"]][1]]
    checks.check(len(lines) == len(results) and not logged,
                 "counter: $webauthn_sign_count in the access logs is the "
                 "counter each accepted request carried", str(logged[:3]))
    gws = {}
    for d in lines:
        if d["status"] == "200":
            key = (creds[sent[d["tag"]][0]].b64[:6], d["gw"])
            gws[key] = gws.get(key, 0) + 1
    figure("counter: requests", "%d (%d credentials x %d rounds x %d), "
           "%d accepted, %d sign_count_regressed"
           % (len(results), len(creds), rounds, per_round,
              sum(len(v) for v in accepted.values()), regressed))
    figure("counter: accepted per credential and gateway",
           " ".join("%s/gw%d=%d" % (k[0], k[1], v)
                    for k, v in sorted(gws.items())))


# -- part 3: load -------------------------------------------------------------

def make_pool(args, workdir, secret_file, gateways, topo):
    """a genpool.py pool, one file per gateway, every REPLAY_EVERY-th line
    followed by a copy of an earlier line of the same file"""
    rate = args.load_conns * 1000.0 / args.load_delay_ms   # per gateway
    per = int(rate * args.load_pool_seconds)
    pool = os.path.join(workdir, "pool")
    os.makedirs(pool, exist_ok=True)
    t0 = time.time()
    r = subprocess.run(
        [PY, os.path.join(TOP, "bench", "genpool.py"), "--alg", "es256",
         "--counter", "zero", "--count", str(per * len(gateways)),
         "--creds", "64", "--threads", str(len(gateways)),
         "--secret-file", secret_file, "--rp-id", RP_ID,
         "--origin", ORIGIN, "--ttl", "3600",
         "--out", os.path.join(pool, "load"),
         "--redis-out", os.path.join(pool, "load.redis")],
        capture_output=True, text=True)
    if r.returncode != 0:
        raise HarnessError("genpool.py: " + r.stderr)
    for cmd in resp_commands(os.path.join(pool, "load.redis")):
        topo.call(*cmd)
    replays = set()
    fresh = {}
    back = [300, 1500, 4000]
    for g in gateways:
        with open(os.path.join(pool, "load.%d" % g.idx)) as f:
            src = f.read().splitlines()
        out = []
        fresh[g.idx] = [line[-TAIL:] for line in src]
        for k, line in enumerate(src):
            out.append(line)
            if k >= back[0] and k % args.replay_every == 0:
                d = back[(k // args.replay_every) % len(back)]
                d = d if d <= k else max(b for b in back if b <= k)
                copy = src[k - d]
                out.append(copy)
                replays.add(copy[-TAIL:])
        os.makedirs(os.path.join(pool, "gw%d" % g.idx), exist_ok=True)
        with open(os.path.join(pool, "gw%d" % g.idx, "p.0"), "w") as f:
            f.write("\n".join(out) + "\n")
        os.unlink(os.path.join(pool, "load.%d" % g.idx))
    figure("load: pool", "%d fresh ES256 assertions per gateway (64 "
           "credentials, counters 0), %d replays mixed in, made in %.1f s"
           % (per, len(replays), time.time() - t0))
    return replays, fresh


def unanswered(fresh, lines):
    """fresh assertions of a gateway's pool, before the last one that
    reached it, that never did: the request was written on a connection
    an old worker closed at a reload (or was in flight when wrk stopped)"""
    n = 0
    for gw, tails in fresh.items():
        got = {d["auth_tail"] for d in lines if d["gw"] == gw}
        last = max((k for k, t in enumerate(tails) if t in got), default=-1)
        n += sum(1 for t in tails[:last] if t not in got)
    return n


def worker_figures(gateways):
    out = {}
    for g in gateways:
        ws = g.all_children()
        out[g.idx] = (len(ws), sum(status_kb(p, "VmRSS") for p in ws),
                      sum(status_kb(p, "RssAnon") for p in ws),
                      status_kb(g.master(), "VmRSS"))
    return out


def classify_load(lines, replays, t_down, t_up, edge):
    """The load's answers, per assertion (the end of its Authorization
    header): the first time an assertion comes is fresh, later ones are
    replays (a replay line of the pool whose original was lost with a
    connection closed by an old worker at a reload comes first: then it is
    fresh, as it is).

    A request's interval is [$msec - $request_time, $msec], in nginx's
    cached clock, which is updated when a worker returns from epoll_wait():
    it can lag the real clock by as long as a busy or descheduled worker
    spends between two updates, never run ahead of it.  A refusal of a
    fresh assertion is
      - "in the outage" when its interval meets [t_down, t_up] (the Redis
        stop was sent at t_down; at t_up Redis had answered PING again);
        it must be a 503;
      - "at the edge" when it ended less than `edge` seconds before t_down:
        counted among the refusals outside the outage (goal 0), but not a
        failure when it is a 503, as the lag of the cached clock explains
        it (a worker that read the time, was descheduled, and went to
        Redis after the stop);
      - "outside" otherwise, a failure whatever its code.  There is no
        edge after t_up: a request whose (lagging) start is after t_up
        started after Redis answered again, so nothing but the module can
        refuse it.
    """
    seen = {}
    f = {"requests": 0, "accepted": 0, "fresh": 0, "replays": 0,
         "replay_refused": 0, "replay_503": 0, "replay_after_503": 0,
         "twice": 0, "outage_503": 0, "outage_other": [],
         "edge_503": 0, "edge_other": [], "outside": [],
         "accepted_after_outage": 0, "across": 0, "across_refused": 0}
    first_ok = {}
    for d in lines:
        f["requests"] += 1
        t_end = float(d["msec"])
        t_start = t_end - float(d["request_time"])
        status = int(d["status"])
        prev = seen.setdefault(d["auth_tail"], [])
        if status == 200:
            f["accepted"] += 1
            if t_start > t_up:
                f["accepted_after_outage"] += 1
        in_outage = t_end >= t_down and t_start <= t_up
        near = t_end >= t_down - edge and t_start <= t_up
        if prev:
            f["replays"] += 1
            if first_ok.get(d["auth_tail"], t_up) < t_down and t_start > t_up:
                # accepted before Redis went, replayed after it came back
                f["across"] += 1
                if (status, d["error"]) == (401, "challenge_invalid"):
                    f["across_refused"] += 1
            if status == 200:
                if any(s == 200 for s in prev):
                    f["twice"] += 1
                else:
                    f["replay_after_503"] += 1
            elif (status, d["error"]) == (401, "challenge_invalid"):
                f["replay_refused"] += 1
            elif status == 503 and near:
                f["replay_503"] += 1
            else:
                f["outside"].append(d)
        else:
            f["fresh"] += 1
            if status != 200:
                if in_outage:
                    if status == 503:
                        f["outage_503"] += 1
                    else:
                        f["outage_other"].append(d)
                elif near:
                    if status == 503:
                        f["edge_503"] += 1
                    else:
                        f["edge_other"].append(d)
                else:
                    f["outside"].append(d)
        prev.append(status)
        if status == 200 and d["auth_tail"] not in first_ok:
            first_ok[d["auth_tail"]] = t_end
    f["not_in_pool_replays"] = sum(1 for t in seen if len(seen[t]) > 1
                                   and t not in replays)
    return f


def part_load(checks, gateways, topo, secret_file, args, workdir):
    replays, fresh = make_pool(args, workdir, secret_file, gateways, topo)
    for g in gateways:
        g.truncate_log()
    before = worker_figures(gateways)
    used0 = used_nonces(topo)

    wrks = []
    for g in gateways:
        env = dict(os.environ,
                   BENCH_POOL=os.path.join(workdir, "pool", "gw%d" % g.idx,
                                           "p"),
                   BENCH_THREADS="1",
                   BENCH_RESULT=os.path.join(workdir, "wrk%d.res" % g.idx),
                   SCALE_POOL_LUA=os.path.join(TOP, "bench", "pool.lua"),
                   SCALE_DELAY_MS=str(args.load_delay_ms))
        env.pop("BENCH_SYNC", None)
        out = open(os.path.join(workdir, "wrk%d.log" % g.idx), "w")
        wrks.append(subprocess.Popen(
            ["wrk", "-t1", "-c%d" % args.load_conns, "-d300s",
             "--timeout", "10s", "-s",
             os.path.join(TOP, "t", "scale", "load.lua"),
             "http://127.0.0.1:%d/" % g.port],
            env=env, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent))
    t_load = time.time()
    events = []
    lingering = []
    try:
        time.sleep(args.load_warmup)
        for k in range(args.reloads):
            for g in gateways:
                t = time.time()
                g.reload()
                events.append("reload %d gw%d %.2f s" % (k + 1, g.idx,
                                                        time.time() - t))
            time.sleep(args.load_interval)
            lingering.append(sum(len(g.all_children()) - len(g.workers())
                                 for g in gateways))
        t_down, t_up = topo.outage(args.outage)
        events.append("outage %.2f s" % (t_up - t_down))
        time.sleep(args.load_tail)
        # enough requests after the outage on every gateway (a slow machine
        # gets a longer tail), for the replays of assertions accepted
        # before it: at most a minute more
        t = time.time()
        while time.time() < t + 60 and any(
                sum(1 for d in g.log_lines() if float(d["msec"]) > t_up)
                < args.load_after for g in gateways):
            time.sleep(0.5)
        if time.time() - t > 0.1:
            events.append("tail %.1f s longer" % (time.time() - t))
    finally:
        for w in wrks:
            w.send_signal(signal.SIGINT)
        for w in wrks:
            try:
                w.wait(60)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
    t_done = time.time()

    # the old workers finish and exit by themselves
    end = time.time() + 60
    while time.time() < end:
        if all(len(g.all_children()) == WORKERS for g in gateways):
            break
        time.sleep(0.2)
    t_gone = time.time() - t_done
    time.sleep(0.5)
    after = worker_figures(gateways)

    res = []
    for g in gateways:
        kv = {}
        try:
            with open(os.path.join(workdir, "wrk%d.res" % g.idx)) as f:
                for line in f:
                    k, _, v = line.strip().partition("=")
                    kv[k] = v
        except FileNotFoundError:
            raise HarnessError("wrk (gateway %d) wrote no result: %s"
                               % (g.idx, os.path.join(workdir, "wrk%d.log"
                                                      % g.idx)))
        res.append(kv)
    lines = [d for g in gateways for d in g.log_lines()]
    if hasattr(topo, "window"):
        # the topology ends its window itself (sentinel: the first 200 on
        # the new master)
        t_down, t_up = topo.window(lines, t_down, t_up)
    f = classify_load(lines, replays, t_down, t_up, args.edge)
    used = used_nonces(topo) - used0

    sent = sum(int(r.get("requests", 0)) for r in res)
    sockerr = sum(int(r.get("sock_errors", 0)) for r in res)
    exhausted = sum(int(r.get("exhausted_threads", 0)) for r in res)
    outside = len(f["outside"]) + len(f["edge_other"]) + f["edge_503"]
    figure("load: window", "%.1f s, %d connections per gateway, %d ms "
           "between requests" % (t_done - t_load, args.load_conns,
                                 args.load_delay_ms))
    figure("load: events", "; ".join(events))
    lost = unanswered(fresh, lines)
    figure("load: requests sent", "%d: %d answered (access logs), %d "
           "reached no gateway (written on a keepalive connection as an "
           "old worker closed it at a reload, or in flight at the end)"
           % (f["requests"] + lost, f["requests"], lost))
    figure("load: wrk", "%d answers, %d socket errors (keepalive "
           "connections the old workers closed at the reloads)"
           % (sent, sockerr))
    figure("load: accepted (200)", "%d (%d after the outage)"
           % (f["accepted"], f["accepted_after_outage"]))
    figure("load: refused outside the Redis outage (goal 0)",
           "%d (%d of them 503 within %.1f s before it)"
           % (outside, f["edge_503"], args.edge))
    figure("load: accepted that should not have been (must be 0)",
           f["twice"])
    figure("load: 503 during the outage", f["outage_503"])
    figure("load: replays (refused / 503 / passed after a 503 original)",
           "%d (%d / %d / %d)" % (f["replays"], f["replay_refused"],
                                  f["replay_503"], f["replay_after_503"]))
    figure("load: assertions seen twice that are no replay of the pool",
           "%d (wrk sending one again after a socket error)"
           % f["not_in_pool_replays"])
    figure("load: replays of an assertion accepted before the outage, "
           "sent after it (refused)", "%d (%d)" % (f["across"],
                                                  f["across_refused"]))
    figure("load: used nonces in Redis after the restart",
           "%d (accepted %d)" % (used, f["accepted"]))
    for g in gateways:
        b, a = before[g.idx], after[g.idx]
        figure("load: gw%d workers, RSS kB (anon), master RSS kB" % g.idx,
               "before %d, %d (%d), %d; after %d, %d (%d), %d"
               % (b + a))
    figure("load: old workers still running %.0f s after each reload"
           % args.load_interval, " ".join(str(n) for n in lingering))
    figure("load: all old workers gone", "%.1f s after the load ended"
           % t_gone)
    rps = f["requests"] / max(t_done - t_load, 0.001)
    figure("load: rate", "%.0f req/s (all gateways)" % rps)

    checks.check(exhausted == 0, "load: the pools lasted the whole window",
                 "%d wrk threads ran out: raise --load-pool-seconds"
                 % exhausted)
    checks.check(f["requests"] >= sent, "load: every answer wrk got is in "
                 "the access logs", "%d logged, %d answered"
                 % (f["requests"], sent))
    checks.check(f["twice"] == 0, "load: no assertion accepted twice")
    checks.check(f["replay_refused"] > 0 and f["across"] > 0
                 and f["across_refused"] == f["across"],
                 "load: the replays mixed in were refused, those of "
                 "assertions accepted before the restart too",
                 "replays %d, refused %d, across the restart %d, refused %d"
                 % (f["replays"], f["replay_refused"], f["across"],
                    f["across_refused"]))
    checks.check(not f["outside"],
                 "load: no fresh assertion refused outside the outage",
                 "\n".join(str(d) for d in f["outside"][:10]))
    checks.check(not f["edge_other"] and not f["outage_other"],
                 "load: refusals at and in the outage are 503",
                 "\n".join(str(d) for d in (f["edge_other"]
                                            + f["outage_other"])[:10]))
    checks.check(f["outage_503"] > 0 and f["accepted_after_outage"] > 0,
                 "load: the outage refused (503) and service came back by "
                 "itself", "503 %d, accepted after %d"
                 % (f["outage_503"], f["accepted_after_outage"]))
    # every accepted nonce survived the restart; a 503 whose commit Redis
    # ran before it went may have left one more
    checks.check(f["accepted"] <= used <= f["accepted"] + f["outage_503"]
                 + f["edge_503"] + f["replay_503"],
                 "load: every accepted nonce is in Redis after the restart",
                 "used %d, accepted %d" % (used, f["accepted"]))
    checks.check(all(after[g.idx][0] == WORKERS for g in gateways),
                 "load: %d workers per gateway after the reloads (the old "
                 "ones exited)" % WORKERS,
                 str({g.idx: g.all_children() for g in gateways}))
    if hasattr(topo, "check_load"):     # a topology's own checks
        topo.check_load(checks, lines, t_down, t_up)


def stop_leftovers(wd):
    """what an earlier run in this directory started and could not stop
    (it was killed): its nginx masters and redis-server, by their pid
    files, when the process is still the one named there"""
    for sub, name, sig in (("gw0", "nginx", signal.SIGQUIT),
                           ("gw1", "nginx", signal.SIGQUIT),
                           ("gw2", "nginx", signal.SIGQUIT),
                           ("redis", "redis-server", signal.SIGTERM),
                           ("replica", "redis-server", signal.SIGTERM),
                           ("replica2", "redis-server", signal.SIGTERM),
                           ("sentinel0", "redis-sentinel", signal.SIGTERM),
                           ("sentinel1", "redis-sentinel", signal.SIGTERM),
                           ("sentinel2", "redis-sentinel", signal.SIGTERM)):
        path = os.path.join(wd, sub, {"nginx": "nginx.pid",
                                      "redis-sentinel": "sentinel.pid"}
                            .get(name, "redis.pid"))
        try:
            with open(path) as f:
                pid = int(f.read())
        except (OSError, ValueError):
            continue
        cl = cmdline(pid)
        if name in cl and (name != "nginx" or wd in cl):
            log("stopping %s %d left by an earlier run" % (name, pid))
            os.kill(pid, sig)
            end = time.time() + 30
            while time.time() < end and cmdline(pid):
                time.sleep(0.1)


# -- main ---------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--topology", choices=sorted(TOPOLOGIES),
                   default=os.environ.get("SCALE_TOPOLOGY", "single"))
    p.add_argument("--port-base", type=int,
                   default=int(os.environ.get("SCALE_PORT_BASE", "6900")),
                   help="Redis on it (a topology takes up to 10 ports), "
                   "gateways from +10")
    p.add_argument("--module", default=os.path.join(
        TOP, "build", "ngx_http_webauthn_module.so"))
    p.add_argument("--nginx", default="/usr/sbin/nginx")
    p.add_argument("--workdir", help="default build/scale (single), "
                   "build/scale-TOPOLOGY (the others)")
    p.add_argument("--parts", default="replay,counter,load")
    p.add_argument("--replay-assertions", type=int, default=50)
    p.add_argument("--replay-copies", type=int, default=30)
    p.add_argument("--counter-rounds", type=int, default=10)
    p.add_argument("--load-conns", type=int, default=8)
    p.add_argument("--load-delay-ms", type=int, default=25)
    p.add_argument("--load-pool-seconds", type=float, default=40)
    p.add_argument("--load-warmup", type=float, default=2)
    p.add_argument("--load-interval", type=float, default=2)
    p.add_argument("--load-tail", type=float, default=3)
    p.add_argument("--load-after", type=int, default=600,
                   help="requests per gateway after the outage, at least")
    p.add_argument("--reloads", type=int, default=5)
    p.add_argument("--outage", type=float, default=2,
                   help="seconds Redis stays down")
    p.add_argument("--replay-every", type=int, default=50)
    p.add_argument("--edge", type=float, default=1.0,
                   help="seconds before the outage where a 503 is the "
                   "clock's noise (classify_load())")
    args = p.parse_args()
    parts = args.parts.split(",")
    # a TERM (make interrupted, a timeout) stops what was started, too
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))

    wd = args.workdir or os.path.join(TOP, "build", "scale" + (
        "" if args.topology == "single" else "-" + args.topology))
    stop_leftovers(wd)
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(wd)
    # a copy of the module: a rebuild during the run would crash workers
    module = os.path.join(wd, "ngx_http_webauthn_module.so")
    shutil.copy(args.module, module)
    secret_file = os.path.join(wd, "secret")
    secret = os.urandom(32)
    with open(secret_file, "wb") as f:
        f.write(secret)

    checks = Checks()
    gateways = []
    topo = None
    t0 = time.time()
    try:
        topo = TOPOLOGIES[args.topology](args.port_base, wd)
        topo.start()
        for i in range(3):
            gateways.append(Gateway(i, args.port_base + 10 + i, wd, module,
                                    args.nginx, topo, secret_file))
        for g in gateways:
            g.start()
        figure("topology", topo.describe())
        figure("gateways", "3 nginx, %d workers each, ports %s" % (
            WORKERS, " ".join(str(g.port) for g in gateways)))
        if "replay" in parts:
            part_replay(checks, gateways, topo, secret, args)
        if "counter" in parts:
            part_counter(checks, gateways, topo, secret, args)
        if "load" in parts:
            part_load(checks, gateways, topo, secret_file, args, wd)
        bad = bad_error_lines(gateways)
        checks.check(not bad, "no crash, [alert] or [emerg] in the error "
                     "logs", "\n".join(bad[:10]))
    except HarnessError as e:
        log("harness: %s" % e)
        return 2
    finally:
        for g in gateways:
            g.stop()
        if topo:
            topo.stop()
    figure("run time", "%.0f s" % (time.time() - t0))
    print("1..%d" % checks.n)
    if checks.failed:
        log("FAILED: %s (logs: %s)" % ("; ".join(checks.failed), wd))
        return 1
    log("all %d checks passed" % checks.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
