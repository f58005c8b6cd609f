#!/usr/bin/python3
#
# Copyright (C) ngx_http_webauthn_module authors
#
# A fault-injecting TCP proxy between the module and Redis, for the tests
# (t/018-faults.t, through t/lib/FaultProxy.pm).  One process, asyncio.
#
#   faultproxy.py --upstream 127.0.0.1:6379 [--listen 127.0.0.1:0]
#                 [--control 127.0.0.1:0]
#
# prints "PROXY_PORT CONTROL_PORT" on one line once both listen, then
# serves until killed (or "quit").  A connection to the proxy gets a
# connection of its own to the upstream Redis, opened at its first command.
# The proxy reads the client's RESP commands one by one, and each command's
# reply is the upstream's, read whole, unless a fault says otherwise.
#
# Control: connect to CONTROL_PORT, send one line, read one line of JSON
# back (several lines may be sent on one connection):
#
#   mode pass                  pass-through (the start)
#   mode delay MS              every reply MS milliseconds late
#   mode drip MS               every reply one byte at a time, MS
#                              milliseconds apart
#   mode stall                 the command is read, never forwarded nor
#                              answered; the connection stays open
#   mode cut K                 the first K bytes of the real reply, then the
#                              connection is closed (K 0: closed before any
#                              byte; the command did reach Redis)
#   mode partial K             the first K bytes of the real reply, then
#                              nothing more, the connection held open
#   mode garbage               bytes that are not RESP instead of the reply
#   mode bulk MB               a bulk string of MB megabytes declared
#                              ("$<MB*2^20>\r\n"), then its bytes streamed
#                              until the client closes (at most 64 MB sent)
#   mode array N               an array of N elements declared ("*N\r\n"),
#                              then ":0\r\n" elements streamed likewise
#   mode deep N                N nested arrays ("*1\r\n" N times), streamed
#   mode blackhole             connections accepted and never read again
#                              (the open ones too); a hang-up is noticed
#                              without reading (poll POLLRDHUP)
#   mode drop                  SYNs dropped: the listening socket's accept
#                              queue is filled and nothing accepted, so a
#                              connect() never completes; open connections
#                              are black-holed as above
#   mode refuse                every connection closed at once when
#                              accepted (the open ones are closed too)
#
#   A mode line may end with selectors: "cmd=NAME" (only replies to that
#   command, e.g. cmd=EVALSHA, the commit), "every=N" (only every Nth unit
#   that matches, counted from this line: the Nth, 2Nth...), "count=N" (at
#   most N faults, then pass-through).  The unit is a command for the
#   reply modes, an accepted connection for blackhole and refuse.
#
#   stats                      {"open", "accepted", "closed", "commands",
#                               "faults", "dropped", "upstream_open",
#                               "mode"}
#   history                    {"history": [[n, "COMMAND", faulted, conn,
#                              "KEY"], ...]} (the last 200 commands; conn
#                              numbers the connections from 1 in the
#                              order accepted; KEY, the first argument,
#                              of EVAL and EVALSHA the first key)
#   conns                      {"conns": [{"id", "open", "commands":
#                              [["COMMAND", "KEY", fate, recv], ...]},
#                              ...]}: the last 100 connections, each with
#                              its last 200 commands; recv numbers the
#                              reads from the client from 0, the one that
#                              brought the command's first byte (commands
#                              of one read were written at once, or close
#                              together; of two reads, in two writes);
#                              fate "ok" (answered),
#                              "fault", or "dropped": read from the
#                              client and never forwarded, the proxy
#                              having closed the connection ("cut"): with
#                              pipelining, the commands sent behind the
#                              faulted one
#   wait N SECONDS             waits until at most N client connections are
#                              open, or SECONDS pass: the stats, with "ok"
#   reset                      counters (not "open"), history and conns
#                              to 0
#   quit                       exits
#
# The proxy reads a connection's commands in order and answers each
# before it forwards the next (a pipelined stream is served in order, one
# command at a time): a reply held back holds back those behind it, as
# Redis's own would.
#
# "open" counts the module's connections that are open (accepted and not
# yet closed by either side): a test checks with it that no connection
# leaks.  Connections the proxy makes to itself in "drop" mode are not
# counted.

import argparse
import asyncio
import bisect
import json
import select
import socket
import sys


GARBAGE = b"\x00\xffHTTP/1.1 200 OK\r\n?garbage\r\n\x7f\x80not resp\r\n"
STREAM_LIMIT = 64 * 1024 * 1024
CHUNK = 64 * 1024

REPLY_MODES = ("delay", "drip", "stall", "cut", "partial", "garbage", "bulk",
               "array", "deep")
CONN_MODES = ("blackhole", "drop", "refuse")


class Fault:
    def __init__(self, name="pass", arg=0, cmd=None, every=1, count=None):
        self.name = name
        self.arg = arg
        self.cmd = cmd
        self.every = every
        self.count = count
        self.seen = 0
        self.hits = 0

    def select(self, cmd=None):
        """does this unit (a command, or a connection) get the fault?"""
        if self.name == "pass":
            return False
        if self.cmd is not None and (cmd or "").upper() != self.cmd:
            return False
        self.seen += 1
        if self.seen % self.every:
            return False
        if self.count is not None and self.hits >= self.count:
            return False
        self.hits += 1
        return True

    def describe(self):
        d = {"name": self.name, "arg": self.arg, "every": self.every}
        if self.cmd:
            d["cmd"] = self.cmd
        if self.count is not None:
            d["count"] = self.count
        return d


class CountingProtocol(asyncio.StreamReaderProtocol):
    """a stream that notes where each read from the socket ends"""

    def __init__(self, reader, ends):
        super().__init__(reader)
        self.ends = ends

    def data_received(self, data):
        self.ends.append((self.ends[-1] if self.ends else 0) + len(data))
        super().data_received(data)


async def open_counted(sock):
    """asyncio.open_connection(sock=) whose reads are counted: (reader,
    writer, ENDS: the byte count after each read)"""
    loop = asyncio.get_running_loop()
    ends = []
    reader = asyncio.StreamReader(limit=2 ** 16, loop=loop)
    protocol = CountingProtocol(reader, ends)
    transport, _ = await loop.connect_accepted_socket(lambda: protocol,
                                                      sock=sock)
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer, ends


class Conn:
    def __init__(self, proxy, reader, writer, ends=None):
        self.proxy = proxy
        self.ends = ends if ends is not None else []
        self.reader = reader
        self.writer = writer
        self.up_reader = None
        self.up_writer = None
        self.task = None
        self.held = False       # black-holed: not read any more
        self.closed = False
        proxy.conn_seq += 1
        self.id = proxy.conn_seq
        self.commands = []      # [NAME, KEY, fate]
        proxy.conns.append(self)
        del proxy.conns[:-100]
        sock = writer.get_extra_info("socket")
        self.fd = sock.fileno() if sock else -1

    def unread(self):
        """the offset in the client's stream of the first unread byte"""
        received = self.ends[-1] if self.ends else 0
        return received - len(getattr(self.reader, "_buffer", b""))

    def recv_of(self, offset):
        """the number of the read that brought byte OFFSET"""
        return bisect.bisect_right(self.ends, offset)

    def note(self, name, key, fate, offset):
        self.commands.append([name, key, fate, self.recv_of(offset)])
        del self.commands[:-200]

    def drop_pending(self):
        """the whole commands read from the client and left unanswered"""
        start = self.unread()
        buf = bytes(getattr(self.reader, "_buffer", b""))
        for name, key, pos in parse_commands(buf):
            self.note(name, key, "dropped", start + pos)
            self.proxy.stats["dropped"] += 1

    def describe(self):
        return {"id": self.id, "open": not self.closed,
                "commands": self.commands}

    def close(self):
        if self.closed:
            return
        self.closed = True
        if not self.held:
            self.drop_pending()
        self.proxy.open.discard(self)
        self.proxy.stats["closed"] += 1
        try:
            if self.held:
                self.writer.transport.abort()
            else:
                self.writer.close()
        except Exception:
            pass
        if self.up_writer:
            self.proxy.stats["upstream_open"] -= 1
            try:
                self.up_writer.close()
            except Exception:
                pass
            self.up_writer = None

    async def send(self, data):
        self.writer.write(data)
        await self.writer.drain()

    def hold(self):
        """stop reading; the hang-up watcher closes it when the peer does"""
        if self.held or self.closed:
            return
        self.held = True
        try:
            self.writer.transport.pause_reading()
        except Exception:
            pass
        if self.task and self.task is not asyncio.current_task():
            self.task.cancel()


class Proxy:
    def __init__(self, upstream):
        self.upstream = upstream
        self.fault = Fault()
        self.open = set()
        self.fillers = []
        self.filler_ports = set()
        self.accepting = asyncio.Event()
        self.accepting.set()
        self.history = []
        self.conns = []
        self.conn_seq = 0
        self.stats = dict(accepted=0, closed=0, commands=0, faults=0,
                          dropped=0, upstream_open=0)

    def snapshot(self):
        d = dict(self.stats)
        d["open"] = len(self.open)
        d["mode"] = self.fault.describe()
        return d

    # -- accepting ----------------------------------------------------------

    async def serve(self, lsock):
        self.lsock = lsock
        loop = asyncio.get_running_loop()
        while True:
            await self.accepting.wait()
            try:
                s, peer = await loop.sock_accept(lsock)
            except asyncio.CancelledError:
                raise
            except OSError:
                await asyncio.sleep(0.01)
                continue
            if peer[1] in self.filler_ports:
                self.filler_ports.discard(peer[1])
                s.close()
                continue
            s.setblocking(False)
            reader, writer, ends = await open_counted(s)
            c = Conn(self, reader, writer, ends)
            self.open.add(c)
            self.stats["accepted"] += 1
            f = self.fault
            if f.name in CONN_MODES and f.select():
                self.stats["faults"] += 1
                if f.name == "refuse":
                    c.close()
                    continue
                c.hold()
                continue
            c.task = asyncio.ensure_future(self.run(c))

    async def watch(self):
        """held connections: closed once the peer hangs up"""
        while True:
            await asyncio.sleep(0.05)
            held = [c for c in self.open if c.held]
            if not held:
                continue
            p = select.poll()
            for c in held:
                p.register(c.fd, select.POLLRDHUP | select.POLLHUP
                           | select.POLLERR)
            gone = {fd for fd, ev in p.poll(0)
                    if ev & (select.POLLRDHUP | select.POLLHUP
                             | select.POLLERR)}
            for c in held:
                if c.fd in gone:
                    c.close()

    # -- SYNs dropped -------------------------------------------------------

    async def fill_backlog(self):
        """fills the accept queue until a connect() stays pending"""
        loop = asyncio.get_running_loop()
        self.lsock.listen(0)
        addr = self.lsock.getsockname()
        for _ in range(16):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind(("127.0.0.1", 0))
            self.filler_ports.add(s.getsockname()[1])
            self.fillers.append(s)
            try:
                await asyncio.wait_for(loop.sock_connect(s, addr), 0.2)
            except (asyncio.TimeoutError, OSError):
                # pending: never queued, so never accepted
                self.filler_ports.discard(s.getsockname()[1])
                return

    def clear_backlog(self):
        for s in self.fillers:
            s.close()
        self.fillers = []
        self.lsock.listen(128)

    # -- modes --------------------------------------------------------------

    async def set_mode(self, f):
        old = self.fault
        self.fault = f
        if old.name == "drop" and f.name != "drop":
            self.clear_backlog()
            self.accepting.set()
        if f.name in ("blackhole", "drop") and f.cmd is None:
            for c in list(self.open):
                c.hold()
        if f.name == "refuse" and f.cmd is None:
            for c in list(self.open):
                c.close()
        if f.name == "drop" and old.name != "drop":
            self.accepting.clear()
            await self.fill_backlog()

    # -- one client connection ----------------------------------------------

    async def run(self, c):
        try:
            while True:
                start = c.unread()
                raw, name, key = await read_command(c.reader)
                if raw is None:
                    break
                self.stats["commands"] += 1
                f = self.fault
                faulted = f.name in REPLY_MODES and f.select(name)
                if faulted:
                    self.stats["faults"] += 1
                self.history.append([self.stats["commands"], name, faulted,
                                     c.id, key])
                del self.history[:-200]
                c.note(name, key, "fault" if faulted else "ok", start)
                if not faulted:
                    await c.send(await self.forward(c, raw))
                    continue
                if not await self.apply(c, f, raw):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, OSError,
                ValueError):
            pass
        except asyncio.CancelledError:
            if c.held:
                return
            raise
        if not c.held:
            c.close()

    async def forward(self, c, raw):
        if c.up_writer is None:
            c.up_reader, c.up_writer = await asyncio.open_connection(
                *self.upstream)
            self.stats["upstream_open"] += 1
        c.up_writer.write(raw)
        await c.up_writer.drain()
        return await read_reply(c.up_reader)

    async def apply(self, c, f, raw):
        """the fault on one command's reply; False: the connection is done"""
        w = c.writer
        if f.name == "delay":
            reply = await self.forward(c, raw)
            await asyncio.sleep(f.arg / 1000.0)
            await c.send(reply)
            return True
        if f.name == "drip":
            reply = await self.forward(c, raw)
            for i in range(len(reply)):
                await asyncio.sleep(f.arg / 1000.0)
                await c.send(reply[i:i + 1])
            return True
        if f.name == "cut":
            reply = await self.forward(c, raw)
            await c.send(reply[:f.arg])
            return False
        if f.name == "partial":
            reply = await self.forward(c, raw)
            await c.send(reply[:f.arg])
            await drain_until_eof(c.reader)
            return False
        if f.name == "stall":
            await drain_until_eof(c.reader)
            return False
        if f.name == "garbage":
            await c.send(GARBAGE)
            return True
        if f.name == "bulk":
            head = b"$%d\r\n" % (f.arg * 1024 * 1024)
            await stream(c, head, b"x" * CHUNK)
            return False
        if f.name == "array":
            await stream(c, b"*%d\r\n" % f.arg, b":0\r\n" * (CHUNK // 4))
            return False
        if f.name == "deep":
            n = f.arg
            while n > 0:
                k = min(n, CHUNK // 4)
                w.write(b"*1\r\n" * k)
                await w.drain()
                n -= k
            await drain_until_eof(c.reader)
            return False
        return True


async def stream(c, head, chunk):
    c.writer.write(head)
    sent = 0
    while sent < STREAM_LIMIT:
        await c.send(chunk)
        sent += len(chunk)
    # the limit: left declared and unfinished
    await drain_until_eof(c.reader)


async def drain_until_eof(reader):
    while True:
        data = await reader.read(CHUNK)
        if not data:
            return


async def read_command(r):
    """one RESP command (an array of bulk strings): (raw bytes, NAME,
    KEY, as command_key() says)"""
    line = await r.readline()
    if not line:
        return None, None, None
    if not line.startswith(b"*") or not line.endswith(b"\r\n"):
        raise ValueError("not a RESP command")
    raw = [line]
    args = []
    for _ in range(int(line[1:-2])):
        head = await r.readline()
        if not head.startswith(b"$"):
            raise ValueError("not a bulk string")
        data = await r.readexactly(int(head[1:-2]) + 2)
        raw += [head, data]
        if len(args) < 4:
            args.append(data[:-2].decode("latin-1"))
    name, key = command_key(args)
    return b"".join(raw), name, key


def command_key(args):
    """(NAME, KEY) of a command's first words: KEY is the first argument,
    or for EVAL and EVALSHA the first key (none: "")"""
    args = args + ["", "", "", ""]
    name = args[0].upper()
    if name in ("EVAL", "EVALSHA"):
        return name, args[3] if args[2] not in ("", "0") else ""
    return name, args[1]


def parse_commands(buf):
    """the whole RESP commands at the start of BUF: [(NAME, KEY, the
    offset of its first byte), ...]"""
    out = []
    pos = 0
    while True:
        args = []
        end = buf.find(b"\r\n", pos)
        if end < 0 or buf[pos:pos + 1] != b"*":
            return out
        try:
            n = int(buf[pos + 1:end])
            p = end + 2
            for _ in range(n):
                e = buf.find(b"\r\n", p)
                if e < 0 or buf[p:p + 1] != b"$":
                    return out
                k = int(buf[p + 1:e])
                if len(buf) < e + 2 + k + 2:
                    return out
                if len(args) < 4:
                    args.append(buf[e + 2:e + 2 + k].decode("latin-1"))
                p = e + 2 + k + 2
        except ValueError:
            return out
        out.append(command_key(args) + (pos,))
        pos = p


async def read_reply(r):
    """one whole RESP2 reply, raw"""
    line = await r.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("upstream closed")
    t = line[:1]
    if t in (b"+", b"-", b":"):
        return line
    n = int(line[1:-2])
    if t == b"$":
        return line if n < 0 else line + await r.readexactly(n + 2)
    if t == b"*":
        parts = [line]
        for _ in range(max(n, 0)):
            parts.append(await read_reply(r))
        return b"".join(parts)
    raise ValueError("unknown reply type %r" % t)


def parse_mode(words):
    name = words[0]
    arg = 0
    sel = {}
    for w in words[1:]:
        if "=" in w:
            k, v = w.split("=", 1)
            sel[k] = v
        else:
            arg = int(w)
    if name not in ("pass",) + REPLY_MODES + CONN_MODES:
        raise ValueError("unknown mode " + name)
    every = int(sel.get("every", 1))
    if every < 1:
        raise ValueError("every= must be at least 1")
    count = int(sel["count"]) if "count" in sel else None
    cmd = sel["cmd"].upper() if "cmd" in sel else None
    return Fault(name, arg, cmd, every, count)


async def control(proxy, reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            words = line.decode().split()
            if not words:
                continue
            try:
                out = await command(proxy, words)
            except (ValueError, IndexError) as e:
                out = {"ok": False, "error": str(e)}
            writer.write(json.dumps(out).encode() + b"\n")
            await writer.drain()
            if words[0] == "quit":
                asyncio.get_running_loop().stop()
    finally:
        writer.close()


async def command(proxy, words):
    op = words[0]
    if op == "mode":
        await proxy.set_mode(parse_mode(words[1:]))
        return dict(proxy.snapshot(), ok=True)
    if op == "stats":
        return dict(proxy.snapshot(), ok=True)
    if op == "history":
        return {"ok": True, "history": proxy.history}
    if op == "conns":
        return {"ok": True, "conns": [c.describe() for c in proxy.conns]}
    if op == "wait":
        n, secs = int(words[1]), float(words[2])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + secs
        while len(proxy.open) > n and loop.time() < deadline:
            await asyncio.sleep(0.02)
        return dict(proxy.snapshot(), ok=len(proxy.open) <= n)
    if op == "reset":
        for k in ("accepted", "closed", "commands", "faults", "dropped"):
            proxy.stats[k] = 0
        proxy.history = []
        proxy.conns = [c for c in proxy.conns if not c.closed]
        return dict(proxy.snapshot(), ok=True)
    if op == "quit":
        return {"ok": True}
    raise ValueError("unknown command " + op)


def hostport(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


async def main():
    ap = argparse.ArgumentParser(description="fault-injecting Redis proxy")
    ap.add_argument("--upstream", required=True, type=hostport)
    ap.add_argument("--listen", default="127.0.0.1:0", type=hostport)
    ap.add_argument("--control", default="127.0.0.1:0", type=hostport)
    a = ap.parse_args()

    proxy = Proxy(a.upstream)

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(a.listen)
    lsock.listen(128)
    lsock.setblocking(False)

    ctl = await asyncio.start_server(lambda r, w: control(proxy, r, w),
                                     *a.control)
    print(lsock.getsockname()[1], ctl.sockets[0].getsockname()[1],
          flush=True)

    asyncio.ensure_future(proxy.serve(lsock))
    asyncio.ensure_future(proxy.watch())
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (KeyboardInterrupt, RuntimeError):
        sys.exit(0)
