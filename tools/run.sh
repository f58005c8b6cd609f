#!/usr/bin/env bash
# "make run" / "make stop": Redis and nginx with conf/webauthn.conf, in
# build/run, on http://localhost:8080.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
run=$top/build/run
redis_port=6390
nginx=${NGINX:-/usr/sbin/nginx}

stop() {
    if [ -f "$run/logs/nginx.pid" ]; then
        "$nginx" -p "$run" -c conf/nginx.conf -s quit 2>/dev/null || true
        rm -f "$run/logs/nginx.pid"
    fi
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}

start() {
    stop
    mkdir -p "$run/conf" "$run/logs" "$run/modules" "$run/tmp" "$run/redis"
    cp "$top/conf/webauthn.conf" "$run/conf/nginx.conf"
    cp "$top/conf/webauthn_audit.conf" "$run/conf/webauthn_audit.conf"
    ln -sf "$top/build/ngx_http_webauthn_module.so" "$run/modules/"
    # the demo page (conf/webauthn.conf: "location = /", "/demo/"), readable
    # by the workers whatever user they run as
    rm -rf "$run/demo"
    cp -r "$top/conf/demo" "$run/demo"
    chmod -R a+rX "$run/demo"
    if [ ! -s "$run/conf/challenge.key" ]; then
        (umask 077; head -c 32 /dev/urandom > "$run/conf/challenge.key")
    fi
    if [ ! -s "$run/conf/session.key" ]; then
        (umask 077; head -c 32 /dev/urandom > "$run/conf/session.key")
    fi

    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
        --appendonly no --dir "$run/redis" --daemonize yes \
        --logfile "$run/logs/redis.log" --pidfile "$run/redis/redis.pid"
    for _ in $(seq 50); do
        redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done

    "$nginx" -p "$run" -c conf/nginx.conf

    # a demo credential, so the gateway can be tried at once
    "$top/tools/webauthn-softkey" enroll --key "$run/demo.key" --alg es256 \
        --user demo --roles "reader" --rp-id localhost \
        --redis "127.0.0.1:$redis_port" >/dev/null

    # an invitation for the demo page (the admin API answers loopback only)
    local answer token expires invitation
    answer=$(curl -s --max-time 5 -X POST \
                 http://127.0.0.1:8080/webauthn/admin/invitations \
                 -d '{"user_name":"you","display_name":"You","roles":["reader"]}') || true
    token=$(sed -n 's/.*"token":"\([A-Za-z0-9_-]*\)".*/\1/p' <<<"$answer")
    expires=$(sed -n 's/.*"expires":\([0-9]*\).*/\1/p' <<<"$answer")
    if [ -n "$token" ]; then
        invitation="Open it with this invitation for user \"you\" (role reader), good until
  $(date -d "@$expires" '+%Y-%m-%d %H:%M'), in Chrome, Edge, Firefox or Safari:
      http://localhost:8080/#invitation=$token
  (or paste the token, $token)."
    else
        invitation="No invitation could be made ($answer): the page's
  \"Demo mode\" makes one."
    fi

    cat <<MSG

  The WebAuthn gateway is running on http://localhost:8080
  (nginx prefix and logs in build/run, Redis on 127.0.0.1:$redis_port).

  The demo page, http://localhost:8080/: enroll a passkey, call the API
  with it, get a session, and see every answer of the gateway.
  $invitation

  A challenge:
      curl -s http://localhost:8080/webauthn/challenge

  No credential, the answer says why (401, application/problem+json):
      curl -si http://localhost:8080/api/hello

  Call the API with the demo software passkey (ES256, user "demo"):
      tools/webauthn-softkey call http://localhost:8080/api/hello --key build/run/demo.key

  Enroll a passkey with an invitation (the registration ceremony):
      curl -s -X POST localhost:8080/webauthn/admin/invitations \\
          -d '{"user_name":"me","roles":["admin"]}'          # its "token"
      curl -s -X POST -H "Authorization: Invitation TOKEN" \\
          localhost:8080/webauthn/register/options > build/run/opts.json
      tools/webauthn-softkey register --options build/run/opts.json \\
          --key build/run/me.key --origin http://localhost:8080 > build/run/me.json
      curl -s -X POST -H "Authorization: Invitation TOKEN" \\
          --data-binary @build/run/me.json localhost:8080/webauthn/register
      tools/webauthn-softkey call http://localhost:8080/api/hello --key build/run/me.key

  A session token for one assertion, then calls with it (no touch each time):
      tools/webauthn-softkey call -X POST http://localhost:8080/webauthn/session \\
          --key build/run/demo.key                                # its "token"
      curl -s -H "Authorization: Bearer TOKEN" localhost:8080/api/hello

  Or store one directly (es256, es384, es512, rs256, ps256, eddsa):
      tools/webauthn-softkey enroll --key build/run/me.key --alg eddsa \\
          --user me --roles "admin" --rp-id localhost --redis 127.0.0.1:$redis_port

  Every decision: build/run/logs/access.log and build/run/logs/error.log
  Stop:           make stop

MSG
}

case "${1:-start}" in
    start) start ;;
    stop)  stop ;;
    *)     echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
