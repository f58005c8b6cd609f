#!/usr/bin/env bash
# make test-browser: Debian's chromium with its virtual authenticator against
# nginx with the module, all on loopback.  Starts its own redis-server and
# nginx (prefix build/browser) on free ports, installs playwright-core into
# build/browser/node_modules (npm, once per pinned version; never a browser
# download), runs t/browser/e2e.mjs (which runs demo.mjs on the demo page
# of conf/demo, served with conf/webauthn.conf's own lines for it) and stops
# everything it started.
#
# environment: NGINX (/usr/sbin/nginx), MODULE (build/ngx_http_webauthn_module.so),
#              CHROMIUM (/usr/bin/chromium), E2E_TIMEOUT (120 seconds: the
#              whole browser run stays under 2 minutes)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/t/browser
dir=$top/build/browser
prefix=$dir/nginx
nginx=${NGINX:-/usr/sbin/nginx}
module=${MODULE:-$top/build/ngx_http_webauthn_module.so}
chromium_bin=${CHROMIUM:-/usr/bin/chromium}

log() { echo "test-browser: $*" >&2; }

for f in "$nginx" "$module" "$chromium_bin"; do
    [ -e "$f" ] || { log "missing $f"; exit 1; }
done

pids=()            # processes this script started
profile=""

cleanup() {
    local pid i
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # a browser left behind by a killed driver: found by its own profile
    if [ -n "$profile" ]; then
        for i in /proc/[0-9]*; do
            { tr '\0' ' ' < "$i/cmdline"; } 2>/dev/null \
                | grep -qF -- "--user-data-dir=$profile" \
                && kill -KILL "${i#/proc/}" 2>/dev/null || true
        done
        rm -rf "$profile"
    fi
    for pid in "${pids[@]}"; do
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -- playwright-core, pinned, into build/browser ---------------------------------

mkdir -p "$dir"
cp "$src/package.json" "$dir/package.json"
want=$(node -p 'require(process.argv[1]).dependencies["playwright-core"]' "$src/package.json")
have=$(node -p 'try { require(process.argv[1]).version } catch { "" }' \
           "$dir/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
    log "npm install playwright-core@$want into $dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 \
        npm install --no-audit --no-fund --loglevel=error >"$dir/npm.log" 2>&1) \
        || { log "npm install failed:"; cat "$dir/npm.log" >&2; exit 1; }
fi

# -- free loopback ports -----------------------------------------------------------

read -r port echo_port redis_port < <(node -e '
    const net = require("node:net");
    const servers = [0, 1, 2].map(() => net.createServer());
    Promise.all(servers.map(s => new Promise(ok => s.listen(0, "127.0.0.1", ok))))
        .then(() => {
            console.log(servers.map(s => s.address().port).join(" "));
            servers.forEach(s => s.close());
        });')

# -- redis ---------------------------------------------------------------------------

rm -rf "$prefix"
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp" "$prefix/redis"

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$prefix/redis" --logfile "$prefix/logs/redis.log" --daemonize no &
pids+=($!)
for i in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break
    [ "$i" = 50 ] && { log "redis did not start: $prefix/logs/redis.log"; exit 1; }
    sleep 0.1
done

# -- nginx ---------------------------------------------------------------------------

# the demo page, as conf/webauthn.conf serves it: its lines, between its
# markers, with "demo" (make run's build/run/demo) replaced by conf/demo
demo_locations=$(sed -n '/# -- the demo page/,/# -- end of the demo page/p' \
                     "$top/conf/webauthn.conf" \
                 | sed -e "s#^\( *root  *\)demo;#\1$top/conf/demo;#" \
                       -e "s#^\( *alias  *\)demo/;#\1$top/conf/demo/;#")
if [ "$(grep -cF "$top/conf/demo" <<<"$demo_locations")" != 2 ]; then
    log "conf/webauthn.conf: no demo page locations (root demo; alias demo/;) between its markers"
    exit 1
fi
(umask 077; head -c 32 /dev/urandom > "$prefix/conf/session.key")

user=""
[ "$(id -u)" = 0 ] && user="user root;"

cat > "$prefix/conf/nginx.conf" <<CONF
load_module  $module;
$user
daemon            off;
master_process    on;
worker_processes  2;
error_log         logs/error.log info;
pid               logs/nginx.pid;

events { worker_connections 256; }

http {
    client_body_temp_path  tmp/body;
    proxy_temp_path        tmp/proxy;
    fastcgi_temp_path      tmp/fastcgi;
    uwsgi_temp_path        tmp/uwsgi;
    scgi_temp_path         tmp/scgi;

    log_format  webauthn  '\$remote_addr "\$request" \$status '
                          'user="\$webauthn_user" roles="\$webauthn_roles" '
                          'credential="\$webauthn_credential_id" '
                          'uv=\$webauthn_user_verified count=\$webauthn_sign_count '
                          'error="\$webauthn_error"';
    access_log  logs/access.log  webauthn;

    webauthn_redis       127.0.0.1:$redis_port timeout=1s;
    webauthn_rp_id       localhost;
    webauthn_origin      http://localhost:$port;
    webauthn_key_cache   zone=webauthn_keys:1m valid=10m;
    webauthn_rp_name     "ngx_http_webauthn_module e2e";
    webauthn_session_key $prefix/conf/session.key id=e2e;
    webauthn_session_ttl 15m;

    server {
        listen       127.0.0.1:$port;
        server_name  localhost;

        location = /page.html {
            root  $src;
            add_header  Cache-Control no-store;
        }

        location = /enroll.html {
            root  $src;
            add_header  Cache-Control no-store;
        }

        location = /webauthn/challenge { webauthn_challenge; }

        # a session token for an assertion (demo.mjs), as in conf/webauthn.conf
        location = /webauthn/session { webauthn_session; }

$demo_locations

        # enrollment (enroll.html): attestation "none" here, as asked by
        # default; "any" under /any/, where the options ask for "direct"
        location = /webauthn/register/options { webauthn_register_options; }
        location = /webauthn/register { webauthn_register; }

        location /any/ {
            webauthn_attestation  any;
            location = /any/register/options { webauthn_register_options; }
            location = /any/register { webauthn_register; }
        }

        # the admin API: e2e.mjs calls it from node, at 127.0.0.1
        location /webauthn/admin/ {
            allow  127.0.0.1;
            deny   all;
            webauthn_admin;
        }

        location /api/ {
            auth_webauthn  "api";
            proxy_set_header  X-WebAuthn-User        \$webauthn_user;
            proxy_set_header  X-WebAuthn-Roles       \$webauthn_roles;
            proxy_set_header  X-WebAuthn-Credential  \$webauthn_credential_id;
            proxy_set_header  X-WebAuthn-UV          \$webauthn_user_verified;
            proxy_set_header  X-WebAuthn-Count       \$webauthn_sign_count;
            proxy_pass  http://127.0.0.1:$echo_port;
        }

        location = /uv/challenge {
            auth_webauthn_user_verification  required;
            webauthn_challenge;
        }

        location /uv/api/ {
            auth_webauthn  "uv";
            auth_webauthn_user_verification  required;
            proxy_set_header  X-WebAuthn-User        \$webauthn_user;
            proxy_set_header  X-WebAuthn-Roles       \$webauthn_roles;
            proxy_set_header  X-WebAuthn-Credential  \$webauthn_credential_id;
            proxy_set_header  X-WebAuthn-UV          \$webauthn_user_verified;
            proxy_set_header  X-WebAuthn-Count       \$webauthn_sign_count;
            proxy_pass  http://127.0.0.1:$echo_port;
        }

        location / { return 404; }
    }

    # the echo upstream: what the protected API saw
    server {
        listen  127.0.0.1:$echo_port;

        location / {
            default_type  application/json;
            return 200 '{"user":"\$http_x_webauthn_user","roles":"\$http_x_webauthn_roles","credential":"\$http_x_webauthn_credential","uv":"\$http_x_webauthn_uv","count":"\$http_x_webauthn_count","authorization":"\$http_authorization","uri":"\$uri"}\n';
        }
    }
}
CONF

"$nginx" -p "$prefix/" -c conf/nginx.conf -t -q
"$nginx" -p "$prefix/" -c conf/nginx.conf &
pids+=($!)
for i in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    [ "$i" = 50 ] && { log "nginx did not start: $prefix/logs/error.log"; exit 1; }
    sleep 0.1
done

# -- the browser -----------------------------------------------------------------------

profile=$(mktemp -d "$dir/profile-XXXXXX")
log "nginx on http://localhost:$port (upstream $echo_port), redis on 127.0.0.1:$redis_port"
start=$(date +%s%N)
# the driver's summary line is held back and printed last, after the
# timing, so that it closes the output
summary='^[0-9]+ passed, [0-9]+ failed$'
rc=0
E2E_BASE_URL="http://localhost:$port" E2E_REDIS_PORT=$redis_port \
E2E_ADMIN_URL="http://127.0.0.1:$port/webauthn/admin" \
E2E_BROWSER_DIR=$dir E2E_PROFILE=$profile E2E_CHROMIUM=$chromium_bin \
    timeout "${E2E_TIMEOUT:-120}" node "$src/e2e.mjs" | tee "$dir/e2e.out" \
    | { grep --line-buffered -vE "$summary" || true; } \
    || rc=${PIPESTATUS[0]}
ms=$(( ($(date +%s%N) - start) / 1000000 ))
log "browser part: $((ms / 1000)).$((ms % 1000 / 100)) s; logs in $prefix/logs"
[ "$rc" = 124 ] && log "timed out after ${E2E_TIMEOUT:-120} s"
if tail -n 1 "$dir/e2e.out" | grep -qE "$summary"; then
    tail -n 1 "$dir/e2e.out"
else
    # the driver killed before its summary: one from its lines, plus the
    # failure
    [ "$rc" = 0 ] && rc=1
    echo "not ok - the driver ended without a summary (exit $rc)"
    echo "$(grep -c '^ok' "$dir/e2e.out") passed, $(( $(grep -c '^not ok' "$dir/e2e.out") + 1 )) failed"
fi
exit "$rc"
