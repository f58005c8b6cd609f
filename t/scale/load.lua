-- wrk script of make test-scale (t/scale/scale.py): bench/pool.lua, every
-- request a fresh assertion of a bench/genpool.py pool (its environment:
-- BENCH_POOL, BENCH_THREADS, BENCH_RESULT), paced: each connection waits
-- SCALE_DELAY_MS after an answer before its next request, so the rate is
-- at most connections * 1000 / SCALE_DELAY_MS a second, whatever the
-- machine, and a pool sized for that never runs out.

dofile(os.getenv("SCALE_POOL_LUA"))

local pause = tonumber(os.getenv("SCALE_DELAY_MS") or "0") or 0

function delay()
    return pause
end
