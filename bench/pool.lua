-- wrk script: every request carries a fresh, single-use WebAuthn assertion
-- from a pool made by bench/genpool.py (one file per wrk thread).
--
-- environment:
--   BENCH_POOL     pool prefix: thread i reads "$BENCH_POOL.i"; unset: no
--                  Authorization header at all (the ceiling)
--   BENCH_SYNC     a directory for the start barrier (threads wait until
--                  every thread has loaded its pool)
--   BENCH_RESULT   file done() writes its figures to (key=value lines)
--   BENCH_BODY     body bytes: when set (> 0), every request is a POST
--                  with a body of that many bytes (one fixed buffer, made
--                  once per thread); unset: GET without a body
--
-- When a thread has used its whole pool it stops (wrk.thread:stop()); the
-- rate is then computed over the real window, not wrk's -d.  The one
-- request sent at that moment goes to /__bench_drain and is never read.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
int poll(void *fds, unsigned long n, int timeout);
]]

local function now()
    local ts = ffi.new("bench_timespec")
    ffi.C.clock_gettime(1, ts)          -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}
local counter = 0

function setup(thread)
    thread:set("id", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

local pool, n, i, calls, started, nthreads, sync, drain, head
local prefix = os.getenv("BENCH_POOL")
local host = "Host: bench.example\r\n"
local body_len = tonumber(os.getenv("BENCH_BODY") or "0") or 0
local body = ""

function init(args)
    nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
    sync = os.getenv("BENCH_SYNC")
    pool, n, i, calls = {}, 0, 0, 0
    if prefix then
        for line in io.lines(prefix .. "." .. id) do
            n = n + 1
            pool[n] = line
        end
    end
    if body_len > 0 then
        body = string.rep("b", body_len)
        head = "POST / HTTP/1.1\r\n" .. host ..
               "Content-Type: application/octet-stream\r\n" ..
               "Content-Length: " .. body_len .. "\r\n"
    else
        head = "GET / HTTP/1.1\r\n" .. host
    end
    drain = "GET /__bench_drain HTTP/1.1\r\n" .. host .. "\r\n"
    if sync then
        local f = io.open(sync .. "/ready." .. id, "w")
        f:write("1")
        f:close()
    end
    exhausted = 0
    t_first = 0
    t_end = 0
    loaded = n
end

local function barrier()
    if not sync then
        return
    end
    for _ = 1, 12000 do                 -- at most 120 s
        local all = true
        for t = 0, nthreads - 1 do
            local f = io.open(sync .. "/ready." .. t, "r")
            if f == nil then
                all = false
                break
            end
            f:close()
        end
        if all then
            return
        end
        ffi.C.poll(nil, 0, 10)
    end
end

function request()
    calls = calls + 1
    if id == 0 and calls == 1 then
        -- wrk's own check of the script (main thread, never sent)
        return drain
    end
    if not started then
        barrier()
        started = true
        t_first = now()
    end
    if not prefix then
        return head .. "\r\n" .. body
    end
    if i >= n then
        if exhausted == 0 then
            exhausted = 1
            t_end = now()
            wrk.thread:stop()
            if sync then
                -- tells bench/run.sh, which then ends wrk (SIGINT)
                local f = io.open(sync .. "/exhausted." .. id, "w")
                f:write("1")
                f:close()
            end
        end
        return drain
    end
    i = i + 1
    return head .. "Authorization: " .. pool[i] .. "\r\n\r\n" .. body
end

function done(summary, latency, requests)
    local t_done = now()
    local first, last, exh, used, loaded_all = nil, 0, 0, 0, 0
    for _, t in ipairs(threads) do
        local tf = t:get("t_first")
        if tf and tf > 0 and (first == nil or tf < first) then
            first = tf
        end
        if t:get("exhausted") == 1 then
            exh = exh + 1
            if t:get("t_end") > last then
                last = t:get("t_end")
            end
        end
        loaded_all = loaded_all + (t:get("loaded") or 0)
    end
    -- all threads out of assertions: the window ends with the last of them
    if exh < #threads or last == 0 then
        last = t_done
    end
    local window = (first and last - first) or (summary.duration / 1e6)
    local e = summary.errors
    local out = io.open(os.getenv("BENCH_RESULT") or "/dev/stdout", "w")
    out:write(string.format(
        "requests=%d\nwindow=%.3f\nwrk_duration=%.3f\nrps=%.1f\n" ..
        "non2xx=%d\nsock_errors=%d\ntimeouts=%d\np50_us=%d\np99_us=%d\n" ..
        "max_us=%d\nexhausted_threads=%d\npool=%d\n",
        summary.requests, window, summary.duration / 1e6,
        summary.requests / window, e.status,
        e.connect + e.read + e.write, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max,
        exh, loaded_all))
    out:close()
end
