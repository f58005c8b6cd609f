#!/bin/bash
#
# make bench: throughput, latency and cost per request of the WebAuthn
# module against plain nginx (the ceiling) and a peer (nginx auth_request
# to a Node.js verifier on @simplewebauthn/server), on loopback, with wrk.
# Prints tables; sets no pass/fail (exit status 0 unless the harness itself
# breaks).  See bench/README.md.
#
# environment (defaults in brackets):
#   BENCH_DURATION=10     seconds per measured run (wrk -d)
#   BENCH_WORKERS=2       nginx worker_processes, and the peer's Node workers
#   BENCH_THREADS=2       wrk threads
#   BENCH_CONNECTIONS=32  wrk connections
#   BENCH_RATE=10000      expected top rate (req/s) used to size the pools:
#                         pool = rate * duration * 1.2 (+ for the peer: its
#                         own BENCH_PEER_RATE=4000); a run that uses up its
#                         pool stops early and the table shows its shorter
#                         window (never a reused assertion)
#   BENCH_MODES="ceiling ceiling-static es256 es256-nopipe es256-static
#                es256-counter es256-nocache rs256 eddsa session peer-es256
#                peer-rs256 peer-eddsa sigv4-off-1k sigv4-on-1k sigv4-off-1m
#                sigv4-on-1m"
#                (session: every request a Bearer session token, HS256)
#                (es256-nopipe: es256 with "webauthn_redis ... pipeline=1",
#                the pool of es256; n/a when nginx -t refuses pipeline=)
#                (-static: the location answers with empty_gif instead of
#                proxying, to isolate the module's own cost; sigv4-*: POST
#                with a 1 KB / 1 MB body, ES256, key cache on, with and
#                without webauthn_aws_sign)
#   BENCH_SIGV4_DURATION=5     seconds per sigv4-* run
#   BENCH_SIGV4_RATE_1K=12000  rates sizing the sigv4 pools (one pool per
#   BENCH_SIGV4_RATE_1M=1500   body size, used by its "off" and "on" rows)
#   BENCH_SPEED_SECONDS=2 openssl speed -seconds
#   BENCH_NGX_LOG_LEVEL=error  error_log level of the nginx under test (warn
#                         shows "a client request body is buffered to a
#                         temporary file" for every 1 MB body; logs/)
#   BENCH_MICRO=1         build and run bench/microbench.c (the core's steps
#                         timed alone, per algorithm)
#   BENCH_PERF=auto       perf record the workers during BENCH_PERF_MODES
#                         ("ceiling ceiling-static es256 es256-nopipe
#                         es256-static"):
#                         on when perf can record (0 turns it off); the
#                         table's profile summary, reports in logs/
#   BENCH_PIPELINE_AB=1   the es256-nopipe row in the default modes (and
#                         in BENCH_PERF_MODES) and its A/B line; 0: left out
#   BENCH_SYSCALLS=auto   syscalls per request on each side (nginx workers,
#                         verifier, Redis), counted in a separate window of
#                         BENCH_SYSCALLS_SECONDS (2) + 1 s after each row:
#                         perf (syscall tracepoints) when it can count them,
#                         else strace; perf|strace force one, 0 turns it off
#   BENCH_INSTR=auto      instructions per request (callgrind: nginx as
#                         one process, BENCH_INSTR_SMALL (100) and
#                         BENCH_INSTR_BIG (600) requests per row) of
#                         ceiling-static, es256-static, ceiling, es256:
#                         the module's own cost in a figure that no load
#                         on the machine changes (on when valgrind is
#                         there; 0 turns it off)
#   BENCH_SOAK=1          the soak: BENCH_SOAK_REQUESTS (1000000) requests
#                         (BENCH_SOAK_ALG, es256) against one nginx, in
#                         BENCH_SOAK_STEPS (10) steps, worker RSS after each

set -u -o pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$TOP/bench
RUN=$TOP/build/bench
[ "${BENCH_SOAK:-0}" = 1 ] && RUN=$TOP/build/bench-soak
MODULE=${MODULE:-$TOP/build/ngx_http_webauthn_module.so}
NGINX=${NGINX:-/usr/sbin/nginx}
PY=/usr/bin/python3

D=${BENCH_DURATION:-10}
WORKERS=${BENCH_WORKERS:-2}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
RATE=${BENCH_RATE:-10000}
PEER_RATE=${BENCH_PEER_RATE:-4000}
SPEED_S=${BENCH_SPEED_SECONDS:-2}
PIPELINE_AB=${BENCH_PIPELINE_AB:-1}
AB_MODE=es256-nopipe
[ "$PIPELINE_AB" = 1 ] || AB_MODE=""
MODES=${BENCH_MODES:-ceiling ceiling-static es256 $AB_MODE es256-static \
es256-counter es256-nocache rs256 eddsa session peer-es256 peer-rs256 \
peer-eddsa sigv4-off-1k sigv4-on-1k sigv4-off-1m sigv4-on-1m}
SIGV4_D=${BENCH_SIGV4_DURATION:-5}
SIGV4_RATE_1K=${BENCH_SIGV4_RATE_1K:-12000}
SIGV4_RATE_1M=${BENCH_SIGV4_RATE_1M:-1500}
# the SigV4 rows' base credentials (AWS's documentation example, not a real
# key: the upstream checks no signature), given to nginx in its environment
AWS_BENCH_AKID=AKIDEXAMPLE
AWS_BENCH_SECRET=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
SOAK=${BENCH_SOAK:-0}
# perf record of the workers: on when perf is there and may record
PERF=${BENCH_PERF:-auto}
if [ "$PERF" = auto ]; then
    PERF=0
    command -v perf >/dev/null 2>&1 \
        && perf record -q -o /dev/null -- true >/dev/null 2>&1 && PERF=1
fi
PERF_MODES=${BENCH_PERF_MODES:-ceiling ceiling-static es256 $AB_MODE \
es256-static}
SOAK_N=${BENCH_SOAK_REQUESTS:-1000000}
# syscalls per request, counted in a separate window after each row's
# timed one (the tracer's overhead stays out of the row's figures): perf's
# syscall tracepoints when perf can count them, else strace -c -f
SYS=${BENCH_SYSCALLS:-auto}
SYS_D=${BENCH_SYSCALLS_SECONDS:-2}
# the syscalls counted one by one (the rest shows as "other": all syscalls,
# raw_syscalls:sys_enter, minus these); those this kernel lacks are left out
SYS_NAMES="read write readv writev pread64 pwrite64 recvfrom sendto recvmsg
sendmsg sendfile64 epoll_wait epoll_pwait epoll_ctl io_uring_enter accept4
connect close shutdown setsockopt getsockopt getsockname getpeername futex
openat newfstatat fstat statx lseek ioctl mmap munmap madvise brk mprotect
rt_sigprocmask getpid gettid unlink unlinkat fcntl ftruncate fadvise64
getrandom eventfd2 nanosleep clock_nanosleep sched_yield"
SYS_EVENTS=""
if [ "$SYS" = auto ] || [ "$SYS" = perf ]; then
    tp=$(perf list tracepoint 2>/dev/null)
    # (here-strings: with pipefail, "echo | grep -q" can fail on SIGPIPE)
    if grep -q 'raw_syscalls:sys_enter ' <<< "$tp" \
       && perf stat -x, -e raw_syscalls:sys_enter -o /dev/null -- true \
              >/dev/null 2>&1; then
        SYS=perf
        SYS_EVENTS=raw_syscalls:sys_enter
        for n in $SYS_NAMES; do
            grep -q "syscalls:sys_enter_$n " <<< "$tp" \
                && SYS_EVENTS="$SYS_EVENTS,syscalls:sys_enter_$n"
        done
    elif [ "$SYS" = perf ]; then
        SYS=0
    fi
fi
if [ "$SYS" = auto ] || [ "$SYS" = strace ]; then
    SYS=0
    command -v strace >/dev/null 2>&1 && SYS=strace
fi
[ "$SYS" = 1 ] && SYS=0     # 1 alone names no method: see above

P_NGX=18080         # nginx under test
P_UP=18081          # the upstream (a second nginx, 1 worker)
P_PEER=18090        # the Node peer
P_REDIS=18379
SAMPLE=300          # requests of the MONITOR sample
RP_ID=bench.example
ORIGIN=https://bench.example

PIDS_STARTED=()     # processes this script started (stopped on exit)
WRK_PID=""          # the wrk running now
MON_PID=""          # the redis-cli MONITOR running now
MD=$D               # this row's duration (wrk -d)
BODY=0              # this row's request body, bytes (0: GET)
MODE=""             # the row running now (X-Bench-Row of the SigV4 rows)

log() { echo "bench: $*" >&2; }

# -- process bookkeeping ------------------------------------------------------

stop_pid() {        # pid [signal]
    local pid=$1 sig=${2:-TERM} i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -"$sig" "$pid" 2>/dev/null
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
}

stop_nginx() {      # prefix dir
    local pidf=$1/nginx.pid
    [ -f "$pidf" ] || return 0
    stop_pid "$(cat "$pidf")" QUIT
    rm -f "$pidf"
}

cleanup() {
    local p
    [ -n "$WRK_PID" ] && stop_pid "$WRK_PID"
    [ -n "$MON_PID" ] && stop_pid "$MON_PID"
    stop_nginx "$RUN/ngx"
    stop_nginx "$RUN/up"
    # the last started first: the peer before the Redis it uses
    for ((p = ${#PIDS_STARTED[@]} - 1; p >= 0; p--)); do
        stop_pid "${PIDS_STARTED[$p]}"
    done
    PIDS_STARTED=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {       # port
    local i
    for i in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    log "nothing listens on 127.0.0.1:$1"
    return 1
}

workers_of() {      # master pid -> worker pids
    pgrep -P "$1" 2>/dev/null | tr '\n' ' '
}

cpu_ns() {          # pids... -> on-CPU ns summed (schedstat)
    local p s=0 v
    for p in "$@"; do
        v=$(cut -d' ' -f1 "/proc/$p/schedstat" 2>/dev/null) || continue
        s=$((s + v))
    done
    echo $s
}

threads_cpu_ns() {  # pids... -> on-CPU ns of all their threads
    local p t s=0 v
    for p in "$@"; do
        for t in /proc/"$p"/task/*/schedstat; do
            v=$(cut -d' ' -f1 "$t" 2>/dev/null) || continue
            s=$((s + v))
        done
    done
    echo $s
}

rss_kb() {          # pids... -> VmRSS (or RSS_FIELD) summed, kB
    local p s=0 v
    for p in "$@"; do
        v=$(awk -v f="${RSS_FIELD:-VmRSS}:" '$1==f{print $2}' \
            "/proc/$p/status" 2>/dev/null)
        s=$((s + ${v:-0}))
    done
    echo $s
}

rcli() { redis-cli -p $P_REDIS "$@"; }

redis_syscr() { awk '/^syscr/{print $2}' "/proc/$REDIS_PID/io"; }

# -- syscalls per request -----------------------------------------------------

# the tids of pids (all their threads)
tids_of() {
    local p
    for p in "$@"; do
        ls "/proc/$p/task" 2>/dev/null
    done | tr '\n' ' '
}

# sum a tracer's "name count" lines into "name:count,..." (most first)
sys_fold() {
    awk '{ n[$1] += $2 } END { for (k in n) if (n[k] > 0) print n[k], k }' \
        | sort -rn | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }'
}

# syscall_sample mode pool_prefix|"" verifier_pids: one more short load
# (wrk as in the row, SYS_D + 1 s) and, from 0.5 s in, SYS_D s of syscall
# counting on the nginx workers, Redis (all threads) and the verifier,
# divided later by the requests nginx counted in that same window
syscall_sample() {
    local mode=$1 pool=$2 vpids=$3 out=$RUN/logs/$1.syscalls
    local ngx_t redis_t ver_t side t n0 n1
    log "syscalls ($SYS): $mode"
    ngx_t=" $(tids_of $NGX_WORKERS) "
    redis_t=" $(tids_of $REDIS_PID) "
    ver_t=" $(tids_of $vpids) "
    (
        sleep 0.5
        case $SYS in
        perf)
            # one perf for every side: the stub_status queries run inside
            # its workload, so the requests and the counts share a window
            perf stat --per-thread -x, -e "$SYS_EVENTS" \
                -p "$(echo $NGX_WORKERS $REDIS_PID $vpids | tr ' ' ',')" \
                -o "$out.raw" -- bash -c "
                    curl -s http://127.0.0.1:$P_NGX/__bench_status \
                        | awk 'NR==3{print \$3}' > '$out.n0'
                    sleep $SYS_D
                    curl -s http://127.0.0.1:$P_NGX/__bench_status \
                        | awk 'NR==3{print \$3}' > '$out.n1'" \
                >/dev/null 2>&1 ;;
        strace)
            # one strace per side; the first stub_status query once every
            # process is attached ("Process N attached", one per -p), the
            # second before they detach: the counts cover a little more
            # than the requests' window (the detach; see bench/README.md)
            local spids=() a p np=0 i
            for side in ngx redis ver; do
                case $side in
                ngx) a=$NGX_WORKERS ;; redis) a=$REDIS_PID ;; ver) a=$vpids ;;
                esac
                [ -n "$a" ] || continue
                set --
                for p in $a; do set -- "$@" -p "$p"; np=$((np + 1)); done
                strace -c -f -o "$out.$side.raw" "$@" \
                    >/dev/null 2>"$out.$side.err" &
                spids+=($!)
            done
            for i in $(seq 100); do
                [ "$(cat "$out".*.err 2>/dev/null | grep -c attached)" \
                    -ge "$np" ] && break
                sleep 0.02
            done
            ngx_requests > "$out.n0"
            sleep "$SYS_D"
            ngx_requests > "$out.n1"
            for p in "${spids[@]}"; do kill -INT "$p" 2>/dev/null; done
            for p in "${spids[@]}"; do wait "$p" 2>/dev/null; done ;;
        esac
    ) &
    local tpid=$!
    wrk_run "$RUN/$mode.sys.res" "$pool" "$THREADS" "$CONNS" $((SYS_D + 1)) \
        || log "syscall-window wrk exited non-zero ($mode)"
    wait "$tpid"
    n0=$(cat "$out.n0" 2>/dev/null); n1=$(cat "$out.n1" 2>/dev/null)
    {
        echo "sys_method=$SYS"
        echo "sys_seconds=$SYS_D"
        echo "sys_requests=$(( ${n1:-0} - ${n0:-0} - 1 ))"
        echo "sys_wrk_non2xx=$(kv "$RUN/$mode.sys.res" non2xx)"
        echo "sys_wrk_requests=$(kv "$RUN/$mode.sys.res" requests)"
        for side in ngx redis ver; do
            case $SYS in
            perf)
                case $side in
                ngx) t=$ngx_t ;; redis) t=$redis_t ;; ver) t=$ver_t ;;
                esac
                # comm-tid,count,,syscalls:sys_enter_NAME,...; the total
                # (raw_syscalls) as "all"
                echo "sys_$side=$(awk -F, -v t="$t" '
                    $2 ~ /^[0-9]+$/ {
                        tid = $1; sub(/.*-/, "", tid)
                        if (index(t, " " tid " ") == 0) next
                        ev = $4
                        if (ev == "raw_syscalls:sys_enter") ev = "all"
                        else sub(/^syscalls:sys_enter_/, "", ev)
                        print ev, $2
                    }' "$out.raw" 2>/dev/null | sys_fold)" ;;
            strace)
                # % time, seconds, usecs/call, calls, [errors,] syscall
                echo "sys_$side=$(awk '
                    $4 ~ /^[0-9]+$/ && $NF ~ /^[a-z_0-9]+$/ {
                        if ($NF == "total") print "all", $4
                        else print $NF, $4
                    }' "$out.$side.raw" 2>/dev/null | sys_fold)" ;;
            esac
        done
    } > "$RUN/$mode.sys"
}

# the lines of a pool's syscall window (0 when it is off): rate req/s
sys_lines() {
    [ "$SYS" = 0 ] && echo 0 || echo $(($1 * (SYS_D + 1) * 12 / 10))
}

# move the last lines (n in all, split over the threads) of each thread's
# pool file to <name>.y.<thread>, the syscall window's pool: the main
# window uses the first lines, so with growing counters the order holds
split_sys_pool() {  # name n
    local name=$1 k t f
    [ "$2" -gt 0 ] || return 0
    k=$(($2 / THREADS + 1))
    for ((t = 0; t < THREADS; t++)); do
        f=$RUN/pool/$name.$t
        tail -n "$k" "$f" > "$RUN/pool/$name.y.$t"
        head -n "-$k" "$f" > "$f.tmp" && mv "$f.tmp" "$f"
    done
}

# -- setup --------------------------------------------------------------------

rm -rf "$RUN" && mkdir -p "$RUN"/{ngx,up,pool,logs} || exit 1
head -c 32 /dev/urandom > "$RUN/secret"

have_module=0
if [ -f "$MODULE" ]; then
    have_module=1
    # a copy: a rebuild during the run ("make module" copies over the .so
    # in place) would crash the running workers
    cp "$MODULE" "$RUN/ngx_http_webauthn_module.so" || exit 1
    MODULE=$RUN/ngx_http_webauthn_module.so
    echo "module=$(git -C "$TOP" log -1 --format=%h 2>/dev/null)$(git -C "$TOP" \
        status --porcelain -- '*.c' '*.h' config 2>/dev/null | grep -q . \
        && echo +changes) $(sha256sum "$MODULE" | cut -c1-12)" \
        > "$RUN/module.kv"
else
    log "no $MODULE: module rows print as n/a"
fi

start_redis() {
    redis-server --bind 127.0.0.1 --port $P_REDIS --save "" \
        --appendonly no --daemonize no --logfile "$RUN/logs/redis.log" \
        --dir "$RUN" &
    REDIS_PID=$!
    PIDS_STARTED+=("$REDIS_PID")
    wait_port $P_REDIS
}

start_upstream() {
    cat > "$RUN/up/nginx.conf" <<EOF
worker_processes 1;
pid $RUN/up/nginx.pid;
error_log $RUN/up/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    # the SigV4 rows: one line per signed request received (the row's name,
    # from X-Bench-Row), so the report can tell that the "on" rows signed
    map \$http_authorization \$bench_signed {
        "~^AWS4-HMAC-SHA256 Credential=$AWS_BENCH_AKID/" 1;
        default 0;
    }
    log_format bench_signed \$http_x_bench_row;
    server {
        listen 127.0.0.1:$P_UP reuseport backlog=4096;
        access_log $RUN/up/signed.log bench_signed buffer=256k flush=5s
            if=\$bench_signed;
        keepalive_requests 1000000;
        location / { return 200 "ok\n"; }
    }
}
EOF
    mkdir -p "$RUN/up/logs"
    "$NGINX" -p "$RUN/up" -c "$RUN/up/nginx.conf" -e "$RUN/up/error.log" \
        || return 1
    wait_port $P_UP
    UP_PID=$(cat "$RUN/up/nginx.pid")
}

start_peer() {
    local dir=$TOP/build/bench-peer
    mkdir -p "$dir"
    cp "$BENCH/peer/package.json" "$BENCH/peer/server.js" "$dir/"
    if [ ! -d "$dir/node_modules/@simplewebauthn/server" ] \
       || [ "$BENCH/peer/package.json" -nt "$dir/node_modules" ]; then
        log "npm install (peer) into $dir"
        (cd "$dir" && timeout 300 npm install --no-audit --no-fund \
            --loglevel=error >"$RUN/logs/npm.log" 2>&1) \
            || { log "npm install failed: $RUN/logs/npm.log"; return 1; }
    fi
    PEER_PORT=$P_PEER PEER_WORKERS=$WORKERS REDIS_PORT=$P_REDIS \
    SECRET_FILE="$RUN/secret" RP_ID=$RP_ID ORIGIN=$ORIGIN \
        node "$dir/server.js" >"$RUN/logs/peer.log" 2>&1 &
    PEER_PID=$!
    PIDS_STARTED+=("$PEER_PID")
    wait_port $P_PEER
}

# nginx under test: kind = ceiling | module | module-nocache | peer
write_nginx_conf() {
    local kind=$1 loc extra="" load=""
    case $kind in
    ceiling)
        loc="proxy_pass http://backend;" ;;
    ceiling-static)
        loc="empty_gif;" ;;
    module|module-nocache|module-static|module-session|module-nopipe|\
    sigv4-on|sigv4-off)
        load="load_module $MODULE;"
        # pipeline=1: one operation at a time per Redis connection (the
        # module before pipelining); else the module's default
        local rparams="keepalive=64"
        [ "$kind" = module-nopipe ] && rparams="$rparams pipeline=1"
        local cache="webauthn_key_cache zone=webauthn_bench:16m valid=10m;"
        [ "$kind" = module-nocache ] && cache="webauthn_key_cache off;"
        [ "$kind" = module-session ] \
            && cache="$cache
    webauthn_session_key $RUN/session.key id=bench;"
        extra="
    webauthn_redis 127.0.0.1:$P_REDIS $rparams;
    webauthn_challenge_secret $RUN/secret;
    webauthn_challenge_timeout 2h;
    $cache"
        loc="webauthn_rp_id $RP_ID;
            webauthn_origin $ORIGIN;
            auth_webauthn \"bench\";
            proxy_pass http://backend;"
        [ "$kind" = module-static ] && loc=${loc/proxy_pass http:\/\/backend;/empty_gif;}
        case $kind in sigv4-*)
            # the base credentials from the environment (no STS); bodies
            # up to 2 MB, client_body_buffer_size left at its default (16k
            # here): a 1 MB body goes to a temporary file, in both rows
            # (the credentials' zone, required where signing is on, in
            # both rows: they differ only by the location's two lines)
            load="$load
env AWS_ACCESS_KEY_ID;
env AWS_SECRET_ACCESS_KEY;"
            extra="$extra
    webauthn_aws_credentials zone=aws_bench:1m;"
            loc="$loc
            client_max_body_size 2m;
            proxy_set_header X-Bench-Row $MODE;
            proxy_set_header Connection \"\";"
            [ "$kind" = sigv4-on ] && loc="$loc
            webauthn_aws_sign on;
            webauthn_aws_region us-east-1;"
        esac
        ;;
    peer)
        extra="
    upstream peer { server 127.0.0.1:$P_PEER; keepalive 64; }"
        loc="auth_request /_auth;
            proxy_set_header Authorization \"\";
            proxy_set_header Connection \"\";
            proxy_pass http://backend;"
        ;;
    esac
    cat > "$RUN/ngx/nginx.conf" <<EOF
$load
worker_processes $WORKERS;
worker_rlimit_core 1g;
working_directory $RUN/ngx;
pid $RUN/ngx/nginx.pid;
error_log $RUN/ngx/error.log ${BENCH_NGX_LOG_LEVEL:-error};
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $RUN/ngx/client_body_temp;
    proxy_temp_path $RUN/ngx/proxy_temp;
    upstream backend { server 127.0.0.1:$P_UP; keepalive 64; }
    $extra
    server {
        listen 127.0.0.1:$P_NGX backlog=4096;
        keepalive_requests 1000000;
        # keepalive to the upstreams: HTTP/1.1 and no "Connection: close";
        # a location with a proxy_set_header of its own inherits none of
        # these, so each such location repeats the Connection line
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location = /__bench_drain { return 204; }
        location = /__bench_status { stub_status; }
        location = /_auth {
            internal;
            proxy_pass http://peer;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Connection "";
        }
        location / {
            $loc
        }
    }
}
EOF
    [ "$kind" = peer ] || sed -i '/location = \/_auth/,/^        }/d' \
        "$RUN/ngx/nginx.conf"
}

conf_ok() {         # kind: nginx -t of its configuration
    write_nginx_conf "$1"
    mkdir -p "$RUN/ngx/logs"
    "$NGINX" -t -q -p "$RUN/ngx" -c "$RUN/ngx/nginx.conf" \
        -e "$RUN/ngx/error.log" >"$RUN/logs/nginx-t.log" 2>&1
}

start_nginx() {     # kind
    write_nginx_conf "$1"
    mkdir -p "$RUN/ngx/logs"
    AWS_ACCESS_KEY_ID=$AWS_BENCH_AKID AWS_SECRET_ACCESS_KEY=$AWS_BENCH_SECRET \
    "$NGINX" -p "$RUN/ngx" -c "$RUN/ngx/nginx.conf" -e "$RUN/ngx/error.log" \
        2>"$RUN/logs/nginx-start.log" \
        || { log "nginx ($1) did not start:"; cat "$RUN/logs/nginx-start.log" >&2;
             return 1; }
    wait_port $P_NGX || return 1
    NGX_PID=$(cat "$RUN/ngx/nginx.pid")
    local i
    for i in $(seq 50); do
        NGX_WORKERS=$(workers_of "$NGX_PID")
        [ "$(echo $NGX_WORKERS | wc -w)" -ge "$WORKERS" ] && break
        sleep 0.1
    done
}

ngx_requests() {    # stub_status "requests" (this query included)
    curl -s "http://127.0.0.1:$P_NGX/__bench_status" | awk 'NR==3{print $3}'
}

# -- the pools ----------------------------------------------------------------

# make_pool name alg counter count creds [keys file]
make_pool() {
    local name=$1 alg=$2 counter=$3 count=$4 creds=$5
    $PY "$BENCH/genpool.py" ${6:+--keys "$6"} --alg "$alg" \
        --counter "$counter" \
        --count "$count" --creds "$creds" --threads "$THREADS" \
        --sample $SAMPLE --secret-file "$RUN/secret" --rp-id $RP_ID \
        --origin $ORIGIN --ttl 7200 --out "$RUN/pool/$name" \
        --redis-out "$RUN/pool/$name.redis" 2>>"$RUN/logs/genpool.log" \
        || { log "genpool $name failed: $RUN/logs/genpool.log"; return 1; }
    mv "$RUN/pool/$name.sample" "$RUN/pool/$name.s.0"
    tail -1 "$RUN/logs/genpool.log" | sed 's/^/bench: /' >&2
}

load_creds() {      # pool name
    rcli FLUSHALL >/dev/null
    rcli --pipe < "$RUN/pool/$1.redis" >"$RUN/logs/redis-pipe.log" 2>&1 \
        || { log "loading credentials failed"; return 1; }
}

# -- one measured run -----------------------------------------------------------

# wrk_run result_file pool_prefix|"" threads conns duration
wrk_run() {
    local res=$1 pool=$2 t=$3 c=$4 d=$5 sync wpid rc i
    sync=$(mktemp -d "$RUN/sync.XXXX")
    (
        [ -n "$pool" ] && export BENCH_POOL=$pool
        export BENCH_BODY=$BODY
        export BENCH_THREADS=$t BENCH_SYNC=$sync BENCH_RESULT=$res
        exec timeout $((d + 180)) wrk -t "$t" -c "$c" -d "${d}s" \
            --timeout 5s -s "$BENCH/pool.lua" "http://127.0.0.1:$P_NGX/"
    ) >>"$RUN/logs/wrk.log" 2>&1 &
    wpid=$!
    WRK_PID=$wpid
    # every thread out of assertions: end wrk now rather than after -d
    # (SIGINT: wrk stops and reports as at the end of -d)
    for i in $(seq $(((d + 180) * 5))); do
        kill -0 "$wpid" 2>/dev/null || break
        local done_files=("$sync"/exhausted.*)
        if [ -e "${done_files[0]}" ] && [ "${#done_files[@]}" -ge "$t" ]; then
            kill -INT "$wpid" 2>/dev/null
            break
        fi
        sleep 0.2
    done
    wait "$wpid"
    rc=$?
    WRK_PID=""
    rm -rf "$sync"
    return $rc
}

kv() { awk -F= -v k="$2" '$1==k{print $2}' "$1"; }

# measure mode kind pool_name
measure() {
    local mode=$1 kind=$2 pool=$3 res=$RUN/$1.res out=$RUN/$1.row
    local verifier_pids="" rss0 rss1 c_ngx0 c_ngx1 c_r0 c_r1 c_v0 c_v1
    local c_up0 c_up1 n0 n1 io0 io1 cmds anon0 anon1
    log "run: $mode"
    MODE=$mode
    if [ -n "$pool" ]; then
        load_creds "$pool" || return 1
    fi
    start_nginx "$kind" || return 1
    [ "$kind" = peer ] && verifier_pids=$(workers_of "$PEER_PID")
    rcli CONFIG RESETSTAT >/dev/null
    sleep 0.5
    rss0=$(rss_kb $NGX_WORKERS)
    anon0=$(RSS_FIELD=RssAnon rss_kb $NGX_WORKERS)
    n0=$(ngx_requests)
    c_ngx0=$(cpu_ns $NGX_WORKERS); c_r0=$(threads_cpu_ns $REDIS_PID)
    c_v0=$(threads_cpu_ns $verifier_pids); c_up0=$(cpu_ns $(workers_of $UP_PID))
    io0=$(redis_syscr)

    local perf_pid=""
    if [ "$PERF" = 1 ] && [[ " $PERF_MODES " == *" $mode "* ]]; then
        # where the workers' CPU goes (perf's overhead shows in this row;
        # no call graphs: libcrypto has no frame pointers, and they cost)
        perf record -q -F 999 -o "$RUN/logs/$mode.perf.data" \
            -p "$(echo $NGX_WORKERS | tr ' ' ',')" -- sleep "$MD" \
            >/dev/null 2>&1 &
        perf_pid=$!
    fi

    wrk_run "$res" "${pool:+$RUN/pool/$pool}" "$THREADS" "$CONNS" "$MD" \
        || log "wrk exited non-zero ($mode): $RUN/logs/wrk.log"

    if [ -n "$perf_pid" ]; then
        wait "$perf_pid" 2>/dev/null
        perf report -i "$RUN/logs/$mode.perf.data" --stdio \
            --sort dso > "$RUN/logs/$mode.perf-dso.txt" 2>/dev/null
        perf report -i "$RUN/logs/$mode.perf.data" --stdio \
            --sort dso,symbol > "$RUN/logs/$mode.perf-sym.txt" 2>/dev/null
        log "perf: $RUN/logs/$mode.perf-{dso,sym}.txt"
    fi

    io1=$(redis_syscr)
    c_ngx1=$(cpu_ns $NGX_WORKERS); c_r1=$(threads_cpu_ns $REDIS_PID)
    c_v1=$(threads_cpu_ns $verifier_pids); c_up1=$(cpu_ns $(workers_of $UP_PID))
    n1=$(ngx_requests)
    rss1=$(rss_kb $NGX_WORKERS)
    anon1=$(RSS_FIELD=RssAnon rss_kb $NGX_WORKERS)
    cmds=$(rcli INFO commandstats | tr -d '\r' \
        | sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\).*/\1=\2/p' \
        | grep -v -E '^(info|config\|resetstat|flushall|monitor)=' \
        | tr '\n' ' ')
    # the commit script's own time per call (Redis's clock, scripted
    # commands included): what pipelining cannot take away
    evalsha_us=$(rcli INFO commandstats | tr -d '\r' \
        | sed -n 's/^cmdstat_evalsha:.*usec_per_call=\([0-9.]*\).*/\1/p')

    # syscalls per request: its own window, after the timed one
    rm -f "$RUN/$mode.sys"
    if [ "$SYS" != 0 ]; then
        if [ -z "$pool" ]; then
            syscall_sample "$mode" "" "$verifier_pids"
        elif [ -f "$RUN/pool/$pool.y.0" ]; then
            syscall_sample "$mode" "$RUN/pool/$pool.y" "$verifier_pids"
        fi
    fi

    # MONITOR sample: which commands are sent by the client (one round
    # trip each unless pipelined) and which run inside the script
    local mon="" top=0 nested=0 sreq=0
    if [ -n "$pool" ]; then
        mon=$RUN/logs/$mode.monitor
        timeout 60 redis-cli -p $P_REDIS MONITOR > "$mon" 2>/dev/null &
        local mpid=$!
        MON_PID=$mpid
        sleep 0.3
        local sio0 sio1
        sio0=$(redis_syscr)
        wrk_run "$RUN/$mode.sample.res" "$RUN/pool/$pool.s" 1 1 2 \
            || log "sample wrk exited non-zero ($mode)"
        sio1=$(redis_syscr)
        sleep 0.3
        kill "$mpid" 2>/dev/null; wait "$mpid" 2>/dev/null
        MON_PID=""
        top=$(grep -c -E '^[0-9.]+ \[[0-9]+ [0-9]' "$mon")
        nested=$(grep -c -E '^[0-9.]+ \[[0-9]+ lua\]' "$mon")
        sreq=$(kv "$RUN/$mode.sample.res" requests)
        echo "sample_requests=$sreq sample_top=$top sample_nested=$nested" \
             "sample_syscr=$((sio1 - sio0))" >> "$res"
    fi
    stop_nginx "$RUN/ngx"

    {
        cat "$res"
        [ -f "$RUN/$mode.sys" ] && cat "$RUN/$mode.sys"
        echo "mode=$mode"
        echo "kind=$kind"
        echo "server_requests=$((n1 - n0 - 1))"
        echo "cpu_nginx_ns=$((c_ngx1 - c_ngx0))"
        echo "cpu_redis_ns=$((c_r1 - c_r0))"
        echo "cpu_verifier_ns=$((c_v1 - c_v0))"
        echo "cpu_upstream_ns=$((c_up1 - c_up0))"
        echo "redis_reads=$((io1 - io0))"
        echo "redis_cmds=$cmds"
        echo "redis_evalsha_us=${evalsha_us:-0}"
        echo "rss0_kb=$rss0"
        echo "rss1_kb=$rss1"
        echo "anon0_kb=$anon0"
        echo "anon1_kb=$anon1"
        echo "workers=$WORKERS"
        echo "duration=$MD"
        echo "body=$BODY"
    } > "$out"
    grep -q . "$RUN/ngx/error.log" 2>/dev/null \
        && cp "$RUN/ngx/error.log" "$RUN/logs/$mode.error.log"
    : > "$RUN/ngx/error.log"
}

na_row() {          # mode why
    printf 'mode=%s\nna=%s\n' "$1" "$2" > "$RUN/$1.row"
}

# -- openssl speed ---------------------------------------------------------

speed() {
    log "openssl speed (-seconds $SPEED_S, one core)"
    openssl speed -seconds "$SPEED_S" ecdsap256 ed25519 rsa2048 \
        > "$RUN/logs/speed.txt" 2>/dev/null
    SPEED_P256=$(awk '/ecdsa \(nistp256\)/{print $NF}' "$RUN/logs/speed.txt")
    SPEED_P256_SIGN=$(awk '/ecdsa \(nistp256\)/{print $(NF-1)}' \
        "$RUN/logs/speed.txt")
    SPEED_ED=$(awk '/EdDSA \(Ed25519\)/{print $NF}' "$RUN/logs/speed.txt")
    SPEED_RSA=$(awk '/^rsa 2048 bits/{print $NF}' "$RUN/logs/speed.txt")
    # SHA-256 over 16 KB blocks (the module hashes a body file in 16 KB
    # reads): what hashing a 1 MB body costs by itself
    openssl speed -seconds 1 -bytes 16384 sha256 \
        > "$RUN/logs/speed-sha256.txt" 2>/dev/null
    SPEED_SHA=$(awk '$1=="sha256"{sub(/k$/, "", $2); print $2 * 1000}' \
        "$RUN/logs/speed-sha256.txt")
    {
        echo "speed_p256_verify=$SPEED_P256"
        echo "speed_p256_sign=$SPEED_P256_SIGN"
        echo "speed_ed25519_verify=$SPEED_ED"
        echo "speed_rsa2048_verify=$SPEED_RSA"
        echo "speed_sha256_bytes=$SPEED_SHA"
    } > "$RUN/speed.kv"
}

# -- the core alone ------------------------------------------------------------

micro() {           # pool name alg
    [ "${BENCH_MICRO:-1}" = 1 ] || return 0
    local bin=$TOP/build/bench-micro/microbench cose
    if [ ! -x "$bin" ] || [ "$BENCH/microbench.c" -nt "$bin" ] \
       || [ -n "$(find "$TOP/src/core" -newer "$bin")" ]; then
        mkdir -p "$(dirname "$bin")"
        cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -g \
            -I"$TOP/src/core" $(xml2-config --cflags) \
            -o "$bin" "$BENCH/microbench.c" \
            $(grep -v '^#' "$TOP/src/core/SOURCES" \
              | sed "s|^|$TOP/src/core/|") \
            -lcbor -ljansson -lcrypto -lxml2 -lhiredis \
            2>"$RUN/logs/microbench-cc.log" \
            || { log "microbench does not build: $RUN/logs/microbench-cc.log";
                 return 0; }
    fi
    # the first credential's COSE key signed line 0 of the pool
    cose=$(head -c 4096 "$RUN/pool/$1.redis" | tr '\r\n' '  ' \
        | awk '{for (i = 1; i <= NF; i++) if ($i == "public_key") {
                    print $(i + 2); exit }}')
    "$bin" "$cose" "$RUN/pool/$1.0" $RP_ID $ORIGIN 1 \
        > "$RUN/micro-$2.txt" 2>&1 \
        || log "microbench $2 failed: $RUN/micro-$2.txt"
}

# -- instructions per request (callgrind) -------------------------------------

# one nginx process under callgrind per kind and count: BENCH_INSTR_SMALL,
# then BENCH_INSTR_BIG requests, one keepalive connection, 16 credentials
# (cached after the first requests of either run; the difference cancels
# them with start-up and shutdown); bench/instr.py counts and reports
instr() {
    case ${BENCH_INSTR:-auto} in 0) return 0 ;; esac
    if ! command -v valgrind >/dev/null \
       || ! command -v callgrind_annotate >/dev/null; then
        log "instr: no valgrind (callgrind): BENCH_INSTR skipped"
        return 0
    fi
    [ $have_module = 1 ] || { log "instr: no module"; return 0; }
    local n0=${BENCH_INSTR_SMALL:-100} n1=${BENCH_INSTR_BIG:-600}
    local kind n off=0 out pid i args="" auth
    THREADS=1 make_pool instr es256 zero $((2 * (n0 + n1))) 16 || return 0
    load_creds instr || return 0
    stop_nginx "$RUN/ngx"
    log "instr: callgrind, ${n0} and ${n1} requests per row"
    for kind in ceiling-static module-static ceiling module; do
        write_nginx_conf "$kind"
        sed -i -e 's/^worker_processes .*/worker_processes 1;/' \
            -e '1i master_process off;' -e '1i daemon off;' \
            "$RUN/ngx/nginx.conf"
        auth=""
        case $kind in ceiling*) auth=--no-auth ;; esac
        for n in $n0 $n1; do
            out=$RUN/logs/instr-$kind-$n.callgrind
            valgrind --tool=callgrind --callgrind-out-file="$out" \
                "$NGINX" -p "$RUN/ngx" -c "$RUN/ngx/nginx.conf" \
                -e "$RUN/ngx/error.log" >/dev/null \
                2>"$RUN/logs/instr-$kind-$n.valgrind" &
            pid=$!
            for i in $(seq 600); do
                curl -s -o /dev/null "http://127.0.0.1:$P_NGX/__bench_drain" \
                    && break
                sleep 0.1
            done
            "$PY" "$BENCH/instr.py" client $P_NGX "$RUN/pool/instr.0" \
                "$off" "$n" $auth 2>>"$RUN/logs/instr.log" \
                || { log "instr: $kind: logs/instr.log"; kill -QUIT $pid;
                     wait $pid; return 0; }
            [ -z "$auth" ] && off=$((off + n))
            # a graceful exit, however long valgrind takes: callgrind
            # writes its counts at the end
            kill -QUIT $pid
            wait $pid
        done
        args="$args $kind $n0 $RUN/logs/instr-$kind-$n0.callgrind"
        args="$args $n1 $RUN/logs/instr-$kind-$n1.callgrind"
    done
    rm -f "$RUN"/pool/instr.*
    "$PY" "$BENCH/instr.py" report $args > "$RUN/instr.kv" \
        2>>"$RUN/logs/instr.log" || log "instr: report failed: logs/instr.log"
}

# -- soak ---------------------------------------------------------------------

soak() {
    [ $have_module = 1 ] || { log "soak needs the module"; return 1; }
    local steps=${BENCH_SOAK_STEPS:-10} per i res n
    per=$((SOAK_N / steps))
    local alg=${BENCH_SOAK_ALG:-es256} creds=256
    [ "$alg" = rs256 ] && creds=16
    log "soak: $SOAK_N $alg requests in $steps steps of $per"
    start_nginx module || return 1
    rcli FLUSHALL >/dev/null
    local fmt='%-6s %-10s %-10s %-10s %-9s %-8s\n'
    printf "$fmt" step requests rss_kb anon_kb rps non2xx \
        | tee "$RUN/soak.txt"
    printf "$fmt" 0 0 "$(rss_kb $NGX_WORKERS)" \
        "$(RSS_FIELD=RssAnon rss_kb $NGX_WORKERS)" - - | tee -a "$RUN/soak.txt"
    n=0
    for i in $(seq "$steps"); do
        # a fresh pool per step (steps keep the files small), the same
        # credentials throughout: once their keys are cached, the workers'
        # memory has no reason to grow
        make_pool soak "$alg" zero "$per" "$creds" "$RUN/soak.keys" \
            || return 1
        rcli --pipe < "$RUN/pool/soak.redis" >/dev/null 2>&1
        res=$RUN/soak.$i.res
        wrk_run "$res" "$RUN/pool/soak" "$THREADS" "$CONNS" 600 \
            || log "wrk exited non-zero (soak step $i)"
        n=$((n + $(kv "$res" requests)))
        printf "$fmt" "$i" "$n" "$(rss_kb $NGX_WORKERS)" \
            "$(RSS_FIELD=RssAnon rss_kb $NGX_WORKERS)" "$(kv "$res" rps)" \
            "$(kv "$res" non2xx)" | tee -a "$RUN/soak.txt"
    done
    stop_nginx "$RUN/ngx"
}

# -- main -------------------------------------------------------------------

start_redis || exit 1
start_upstream || exit 1

if [ "$SOAK" = 1 ]; then
    soak
    exit 0
fi

echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)" > "$RUN/load.kv"
speed

ngx_count=$((RATE * D * 12 / 10))
peer_count=$((PEER_RATE * D * 12 / 10))
peer_started=0

for mode in $MODES; do
    case $mode in
    ceiling|ceiling-static)
        measure "$mode" "$mode" "" ;;
    es256|es256-nopipe|rs256|eddsa|es256-counter|es256-nocache|es256-static)
        if [ $have_module = 0 ]; then
            na_row "$mode" "module not built"
            continue
        fi
        alg=${mode%%-*}; counter=zero; kind=module; creds=256; pool=$mode
        [ "$mode" = es256-counter ] && { counter=inc; creds=1024; }
        [ "$mode" = es256-nocache ] && kind=module-nocache
        [ "$mode" = es256-static ] && kind=module-static
        [ "$alg" = rs256 ] && creds=16      # RSA key generation is slow
        if [ "$mode" = es256-nopipe ]; then
            if [ "$PIPELINE_AB" != 1 ]; then
                na_row "$mode" "BENCH_PIPELINE_AB=0"
                continue
            fi
            kind=module-nopipe
            if ! conf_ok "$kind"; then
                if grep -q pipeline "$RUN/logs/nginx-t.log"; then
                    na_row "$mode" "module without pipeline="
                else
                    na_row "$mode" "nginx -t failed: logs/nginx-t.log"
                fi
                log "$mode: $(grep emerg "$RUN/logs/nginx-t.log" | head -1)"
                continue
            fi
        fi
        # the pipelining A/B pair (es256, es256-nopipe) shares one pool,
        # made by whichever runs first and kept to the end of the run
        [ "$mode" = es256-nopipe ] && pool=es256
        if [ ! -f "$RUN/pool/$pool.0" ]; then
            n_sys=$(sys_lines "$RATE")
            make_pool "$pool" "$alg" "$counter" $((ngx_count + n_sys)) \
                "$creds" || continue
            split_sys_pool "$pool" "$n_sys"
        fi
        [ "$mode" = "$alg" ] && micro "$mode" "$alg"
        measure "$mode" "$kind" "$pool" ;;
    session)
        if [ $have_module = 0 ]; then
            na_row "$mode" "module not built"
            continue
        fi
        # one HS256 token (signed here with Python's hmac, as the module
        # signs: a compact JWS) sent by every request: the module checks
        # it in the worker, without Redis
        head -c 32 /dev/urandom > "$RUN/session.key"
        # (no signature per request: a few times the assertion rows' rate)
        "$PY" - "$RUN/session.key" "$RP_ID" "$THREADS" $((ngx_count * 5)) \
            "$RUN/pool/session" <<'PYEOF' || { na_row "$mode" "no token"; continue; }
import base64, hashlib, hmac, json, sys, time
key = open(sys.argv[1], "rb").read()
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
now = int(time.time())
h = b(json.dumps({"alg": "HS256", "kid": "bench", "typ": "JWT"}).encode())
p = b(json.dumps({"sub": "bench", "cid": "YmVuY2g", "roles": ["reader"],
                  "uv": True, "iat": now, "exp": now + 7200,
                  "auth_time": now, "iss": sys.argv[2],
                  "aud": sys.argv[2]}).encode())
sig = b(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
n = int(sys.argv[4]) // int(sys.argv[3]) + 1
line = "Bearer %s.%s.%s\n" % (h, p, sig)
for t in range(int(sys.argv[3])):
    with open("%s.%d" % (sys.argv[5], t), "w") as f:
        f.write(line * n)
with open(sys.argv[5] + ".s.0", "w") as f:    # the MONITOR sample's
    f.write(line * 2000)
open(sys.argv[5] + ".redis", "w").close()     # no credentials to load
PYEOF
        # the syscall window sends the same token
        for ((t = 0; t < THREADS; t++)); do
            ln -sf "session.$t" "$RUN/pool/session.y.$t"
        done
        measure "$mode" module-session session ;;
    peer-*)
        alg=${mode#peer-}
        if [ $peer_started = 0 ]; then
            start_peer || { na_row "$mode" "peer did not start"; continue; }
            peer_started=1
        fi
        creds=256; [ "$alg" = rs256 ] && creds=16
        n_sys=$(sys_lines "$PEER_RATE")
        make_pool "$mode" "$alg" zero $((peer_count + n_sys)) "$creds" \
            && split_sys_pool "$mode" "$n_sys" \
            && measure "$mode" peer "$mode" ;;
    sigv4-on-1k|sigv4-off-1k|sigv4-on-1m|sigv4-off-1m)
        if [ $have_module = 0 ]; then
            na_row "$mode" "module not built"
            continue
        fi
        size=${mode##*-}
        if [ "$size" = 1k ]; then BODY=1024; rate=$SIGV4_RATE_1K
        else BODY=1048576; rate=$SIGV4_RATE_1M; fi
        # one pool per body size, for its "off" and its "on" row: every
        # row starts from a FLUSHALL (no nonce recorded) and a new nginx
        # (empty key caches), so within a row no assertion is used twice;
        # 32 credentials: the few hundred requests of a 1 MB row are not
        # dominated by the key caches' first misses
        if [ ! -f "$RUN/pool/sigv4-$size.0" ]; then
            n_sys=$(sys_lines "$rate")
            make_pool "sigv4-$size" es256 zero \
                $((rate * SIGV4_D * 12 / 10 + n_sys)) 32 \
                || { BODY=0; continue; }
            split_sys_pool "sigv4-$size" "$n_sys"
        fi
        MD=$SIGV4_D
        measure "$mode" "${mode%-*}" "sigv4-$size"
        MD=$D; BODY=0 ;;
    *)
        log "unknown mode $mode" ;;
    esac
    case $mode in es256|es256-nopipe) ;; *) rm -f "$RUN/pool/$mode".* ;; esac
done
rm -f "$RUN"/pool/sigv4-* "$RUN"/pool/es256.*
instr

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RUN/load.kv"
cleanup

# the signed requests the upstream received per SigV4 row (its log is
# complete once it has stopped)
for mode in $MODES; do
    case $mode in sigv4-*)
        [ -f "$RUN/$mode.row" ] && echo "upstream_signed=$(grep -c -x -- \
            "$mode" "$RUN/up/signed.log" 2>/dev/null)" >> "$RUN/$mode.row"
    esac
done
{
    echo "sigv4_duration=$SIGV4_D"
    echo "sigv4_rate_1k=$SIGV4_RATE_1K"
    echo "sigv4_rate_1m=$SIGV4_RATE_1M"
} > "$RUN/sigv4.kv"

# "session tokens" do not exist yet: printed as n/a
$PY "$BENCH/report.py" "$RUN" $MODES | tee "$RUN/table.md"
log "table: $RUN/table.md, logs: $RUN/logs"
