#!/bin/bash
# make test-container: the image, built and run as it ships.
#
# Builds the Dockerfile with podman (from a local debootstrap base, never a
# registry pull), prunes the build stage's untagged image, starts the image
# on the host network with a Redis and the AWS stand-ins
# (t/lib/aws_standins.py: API Gateway, STS, container credentials), then:
# one credential enrolled into that Redis (tools/webauthn-softkey enroll),
# one authenticated call (tools/webauthn-softkey call) that the gateway
# signs with a role assumed through STS from EKS Pod Identity-style base
# credentials, verified by the stand-in API Gateway (botocore); Redis
# stopped: 503; Redis back: 200 again; "podman healthcheck run". Prints the
# time of each step.
#
#   t/container/run.sh            (as root, or rootless podman)
#   KEEP=1 t/container/run.sh     leave the work directory
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
py=/usr/bin/python3
image=localhost/ngx-webauthn:latest
cdir=$top/build/container
mkdir -p "$cdir"

# podman's settings for this test only: runc, the ulimits this machine needs
export CONTAINERS_CONF=$cdir/containers.conf
cat > "$CONTAINERS_CONF.tmp" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
pull_policy = "never"
EOF
mv -f "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"

t0=$(date +%s.%N)
tstep=$t0
step() {        # step NAME: the time since the previous step
    local now
    now=$(date +%s.%N)
    awk -v n="$1" -v a="$now" -v b="$tstep" 'BEGIN { printf "  %-44s %6.1fs\n", n, a - b }'
    tstep=$now
}
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

work=$(mktemp -d "$cdir/run.XXXXXX")
name=ngx-webauthn-test-$$
redis_pid= standins_pid=
cleanup() {
    set +e
    podman rm -f -t 2 "$name" > /dev/null 2>&1
    [ -z "$redis_pid" ] || kill "$redis_pid" 2> /dev/null
    [ -z "$standins_pid" ] || kill "$standins_pid" 2> /dev/null
    wait 2> /dev/null
    if [ -n "${KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

echo "container test (podman $(podman version --format '{{.Client.Version}}'))"

# -- the image ---------------------------------------------------------------

t/container/base-image.sh "$cdir" > "$work/base.log" 2>&1 \
    || { cat "$work/base.log"; fail "base image"; }
step "base image ($(tail -1 "$work/base.log" | sed 's/.*(\(.*\))/\1/'))"

podman build --pull=never --network=host --format docker -t "$image" . \
    > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "podman build"; }
step "podman build"

# the build stage's image: untagged, labelled by the Dockerfile; its cached
# layers (podman images -a) stay for the next build
podman image prune -f --filter label=ngx-webauthn.stage=build > /dev/null
left=$(podman images -q --filter label=ngx-webauthn.stage=build)
[ -z "$left" ] || fail "build stage image not pruned: $left"
dangling=$(podman images -q --filter dangling=true | wc -l)
ok "build stage image pruned ($dangling other dangling images)"

size=$(podman image inspect --format '{{.Size}}' "$image")
user=$(podman image inspect --format '{{.Config.User}}' "$image")
hc=$(podman image inspect --format '{{.Config.Healthcheck}}' "$image")
[ "$user" = www-data ] || fail "image user is '$user', not www-data"
[ -n "$hc" ] && [ "$hc" != "<nil>" ] || fail "image has no HEALTHCHECK"
caches=$(podman run --rm --network=none --no-healthcheck "$image" bash -c \
    'shopt -s nullglob; echo /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb')
[ -z "$caches" ] || fail "apt caches left in the image: $caches"
ok "image $image: $((size / 1000000)) MB, USER $user, HEALTHCHECK, no apt caches"
step "image checks"

# -- Redis, the AWS stand-ins, one credential ---------------------------------

freeport() {
    $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
redis_port=$(freeport)
gw_port=$(freeport)
mkdir -p "$work/redis"
start_redis() {
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work/redis" \
        --appendonly yes --appendfsync always --save '' --daemonize no \
        > "$work/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$redis_port" ping 2> /dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    fail "redis did not start (see $work/redis.log)"
}
stop_redis() {
    redis-cli -p "$redis_port" shutdown > /dev/null 2>&1 || true
    wait "$redis_pid" 2> /dev/null || true
    redis_pid=
}
start_redis

ecs_path=/v2/credentials/7c1f0d3e-gateway
ecs_token=ecs-pod-identity-token-0123456789
account=111122223333
role=arn:aws:iam::$account:role/ApiReader
api_host=abc123.execute-api.us-east-1.amazonaws.com
cat > "$work/standins.json" <<EOF
{"region": "us-east-1", "account": "$account",
 "base": [{"access_key_id": "AKIDEXAMPLE",
           "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           "arn": "arn:aws:iam::$account:user/gateway"}],
 "web_identity_token": "unused", "imds_role": "GatewayInstanceRole",
 "ecs_path": "$ecs_path", "ecs_token": "$ecs_token",
 "lifetime": null, "history": 50,
 "ports": {"apigw": 0, "sts": 0, "imds": 0, "ecs": 0}}
EOF
$py t/lib/aws_standins.py --config "$work/standins.json" \
    --ports-file "$work/ports.json" > "$work/standins.log" 2>&1 &
standins_pid=$!
for _ in $(seq 250); do [ -s "$work/ports.json" ] && break; sleep 0.02; done
[ -s "$work/ports.json" ] || fail "aws_standins.py did not start (see $work/standins.log)"
port_of() { $py -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/ports.json" "$1"; }
apigw=$(port_of apigw) sts=$(port_of sts) ecs=$(port_of ecs)
stats() { curl -s "http://127.0.0.1:$1/__stats"; }

tools/webauthn-softkey enroll -q --redis "127.0.0.1:$redis_port" \
    --key "$work/demo.key" --alg es256 --user demo --roles reader \
    --rp-id example.com > /dev/null
ok "Redis on $redis_port, stand-ins (apigw $apigw, sts $sts, ecs $ecs), demo enrolled"
step "Redis, stand-ins, enroll"

# -- the gateway ----------------------------------------------------------------

# secrets as files readable by the image's uid (33, www-data), mode 0400
secrets=$work/secrets
mkdir -p "$secrets"
head -c 32 /dev/urandom > "$secrets/webauthn_challenge_key"
printf '%s' "$ecs_token" > "$secrets/eks-pod-identity-token"
chmod 0400 "$secrets"/*
if [ "$(id -u)" = 0 ]; then
    chown 33:33 "$secrets"/*
else
    podman unshare chown 33:33 "$secrets"/*
fi

podman run -d --name "$name" --network=host --pull=never \
    --health-interval=disable \
    -v "$secrets/webauthn_challenge_key:/run/secrets/webauthn_challenge_key:ro" \
    -v "$secrets/eks-pod-identity-token:/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token:ro" \
    -e WEBAUTHN_LISTEN="$gw_port" \
    -e WEBAUTHN_REDIS="127.0.0.1:$redis_port" \
    -e WEBAUTHN_RP_ID=example.com \
    -e WEBAUTHN_ORIGINS=https://app.example.com \
    -e WEBAUTHN_UPSTREAM="127.0.0.1:$apigw" \
    -e WEBAUTHN_UPSTREAM_SCHEME=http \
    -e WEBAUTHN_API_HOST="$api_host" \
    -e WEBAUTHN_AWS_SIGN=on \
    -e WEBAUTHN_AWS_ROLES="reader $role" \
    -e AWS_REGION=us-east-1 \
    -e AWS_ENDPOINT_URL_STS="http://127.0.0.1:$sts" \
    -e AWS_EC2_METADATA_DISABLED=true \
    -e AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$ecs$ecs_path" \
    -e AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token \
    "$image" > /dev/null 2> "$work/run.err" \
    || { cat "$work/run.err"; fail "podman run"; }

gw=http://127.0.0.1:$gw_port
up=
for _ in $(seq 100); do
    if curl -sf "$gw/webauthn/challenge" > /dev/null 2>&1; then up=1; break; fi
    sleep 0.1
done
[ -n "$up" ] || { podman logs "$name" 2>&1 | tail -20; fail "the gateway did not answer"; }
uid=$(podman exec "$name" id -u)
[ "$uid" = 33 ] || fail "nginx runs as uid $uid"
ps_users=$(podman top "$name" huser | tail -n +2 | sort -u | xargs)
ok "gateway up on $gw_port, as uid $uid (processes: $ps_users)"
step "gateway start"

call() {        # call: status and body in $work/call.out
    tools/webauthn-softkey call "$gw/api/hello?x=1" --key "$work/demo.key" \
        --origin https://app.example.com > "$work/call.out" 2>&1 || true
    head -1 "$work/call.out"
}

status=$(call)
[ "$status" = 200 ] || { cat "$work/call.out"; podman logs "$name" 2>&1 | tail -20; \
                        fail "signed call: $status"; }
$py - "$work/call.out" "$role" "$(stats "$apigw")" "$(stats "$sts")" \
    "$(stats "$ecs")" <<'EOF' || fail "signed call: not as expected"
import json, sys
out, role, apigw, sts, ecs = sys.argv[1:]
echo = json.loads(open(out).read().split('\n', 1)[1])
ident = echo['identity']
assert ident['type'] == 'assumed-role', ident
assert ident['role_arn'] == role, ident
assert ident['source_identity'] == 'demo', ident
hdrs = {k.lower(): v for k, v in echo['headers']}
assert hdrs['x-webauthn-user'] == 'demo', hdrs
assert 'authorization' in hdrs and 'x-amz-date' in hdrs, hdrs
last = json.loads(apigw)['requests'][-1]
assert last['status'] == 200, last        # botocore verified it
assert json.loads(sts)['calls'].get('AssumeRole') == 1, sts
assert sum(json.loads(ecs)['calls'].values()) >= 1, ecs
print('ok: signed call: 200, SigV4 verified by the stand-in API Gateway '
      '(%s, signed: %s), AssumeRole by STS, base credentials from the '
      'container credentials endpoint' % (ident['arn'], echo['signed_headers']))
EOF
step "enrolled, authenticated, signed call"

# -- Redis down, Redis back -------------------------------------------------

stop_redis
status=$(call)
[ "$status" = 503 ] || { cat "$work/call.out"; fail "Redis stopped: $status, not 503"; }
grep -q store_unavailable "$work/call.out" || { cat "$work/call.out"; fail "503 without store_unavailable"; }
ok "Redis stopped: 503 store_unavailable"
step "Redis down"

start_redis
status= tries=0
for tries in $(seq 1 20); do
    status=$(call)
    [ "$status" = 200 ] && break
    sleep 0.25
done
[ "$status" = 200 ] || { cat "$work/call.out"; fail "Redis back: $status"; }
ok "Redis back: 200 (after $tries call(s))"
step "Redis back"

# -- the health check -------------------------------------------------------

# (podman 4.3 prints nothing when healthy; without systemd it logs that it
# cannot set up the periodic timer, which --health-interval=disable spares)
podman healthcheck run "$name" > "$work/hc.out" 2>&1 \
    || { cat "$work/hc.out"; fail "podman healthcheck run"; }
hc_status=$(podman inspect --format '{{.State.Health.Status}}' "$name")
[ "$hc_status" = healthy ] || { cat "$work/hc.out"; fail "health: $hc_status"; }
ok "podman healthcheck run: exit 0, $hc_status"
step "healthcheck"

# -- conf/kubernetes/'s nginx.conf, in the image as the pod runs it ---------

# the ConfigMap's nginx.conf and the gateway container's environment, with
# a read-only root, tmpfs where the pod has emptyDirs, the keys where the
# Secret is mounted: rendered by the entrypoint and checked by nginx -t
$py - conf/kubernetes "$work" <<'EOF'
import os, sys, yaml
d, work = sys.argv[1:]
objs = [o for f in sorted(os.listdir(d)) if f.endswith('.yaml')
        and f != 'kustomization.yaml'
        for o in yaml.safe_load_all(open(os.path.join(d, f))) if o]
cm = [o for o in objs if o['kind'] == 'ConfigMap'][0]
open(os.path.join(work, 'k8s-nginx.conf'), 'w').write(cm['data']['nginx.conf'])
gw = [c for o in objs if o['kind'] == 'Deployment'
      for c in o['spec']['template']['spec']['containers']
      if c['name'] == 'gateway'][0]
with open(os.path.join(work, 'k8s.env'), 'w') as f:
    for e in gw['env']:
        f.write('%s=%s\n' % (e['name'], e['value']))
        if e['name'] == 'WEBAUTHN_UPSTREAM':
            open(os.path.join(work, 'k8s.upstream'), 'w').write(
                e['value'].rsplit(':', 1)[0])
EOF
mkdir -p "$work/k8s-keys"
head -c 32 /dev/urandom > "$work/k8s-keys/challenge.key"
head -c 32 /dev/urandom > "$work/k8s-keys/session.key"
chmod 0440 "$work/k8s-keys"/*
if [ "$(id -u)" = 0 ]; then
    chown 0:33 "$work/k8s-keys"/*
else
    podman unshare chown 0:33 "$work/k8s-keys"/*
fi
# (the emptyDirs, writable through fsGroup 33: directories of uid 33)
mkdir -p "$work/k8s-run-nginx" "$work/k8s-var-lib-nginx"
if [ "$(id -u)" = 0 ]; then
    chown 33:33 "$work/k8s-run-nginx" "$work/k8s-var-lib-nginx"
else
    podman unshare chown 33:33 "$work/k8s-run-nginx" "$work/k8s-var-lib-nginx"
fi
podman run --rm --network=host --pull=never --no-healthcheck \
    --user 33:33 --read-only \
    -v "$work/k8s-run-nginx:/run/nginx" \
    -v "$work/k8s-var-lib-nginx:/var/lib/nginx" \
    --add-host redis:127.0.0.1 \
    --add-host "$(cat "$work/k8s.upstream"):127.0.0.1" \
    --env-file "$work/k8s.env" \
    -v "$work/k8s-nginx.conf:/etc/nginx/nginx.conf:ro" \
    -v "$work/k8s-keys:/run/secrets/webauthn:ro" \
    "$image" nginx -t > "$work/k8s-t.out" 2>&1 \
    || { cat "$work/k8s-t.out"; fail "conf/kubernetes nginx.conf: nginx -t"; }
ok "conf/kubernetes/configmap.yaml's nginx.conf: nginx -t in the image (uid 33, read-only root)"
step "kubernetes nginx.conf in the image"

errors=$(podman logs "$name" 2>&1 | grep -c '\[emerg\]\|\[alert\]\|\[crit\]' || true)
[ "$errors" = 0 ] || { podman logs "$name" 2>&1 | grep '\[emerg\]\|\[alert\]\|\[crit\]'; fail "error log"; }

awk -v a="$(date +%s.%N)" -v b="$t0" -v s="$((size / 1000000))" \
    'BEGIN { printf "container test passed in %.1fs (image %d MB)\n", a - b, s }'
