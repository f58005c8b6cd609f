# ngx_http_webauthn_module: the WebAuthn gateway as a container image.
#
#   podman build --format docker -t ngx-webauthn .    (or: docker build -t ngx-webauthn .)
#
# Debian 12's nginx 1.22.1 with the module loaded, conf/gateway.conf as
# /etc/nginx/nginx.conf (a template: its ${WEBAUTHN_*} come from the
# environment), listening on 8080, running as www-data. See README.md,
# "Container". ("--format docker" keeps the HEALTHCHECK: the OCI format has
# none.) "make test-container" builds, runs and checks it.

# -- build: the module, against Debian's nginx-dev configure tree ----------

FROM docker.io/library/debian:bookworm AS build

WORKDIR /src

# the build dependencies first (their own layer, kept while sources change):
# "make deps-build" installs the Debian packages the Makefile lists
COPY Makefile ./
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make \
 && make deps-build \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

COPY config ./
COPY src/ src/
RUN make module

# names this stage's (untagged) image, so that it can be pruned alone:
#   podman image prune -f --filter label=ngx-webauthn.stage=build
LABEL ngx-webauthn.stage=build


# -- runtime ----------------------------------------------------------------

FROM docker.io/library/debian:bookworm

# All of nginx runs as www-data (USER below: uid 33, group 33), or as any
# uid in group 0 (OpenShift, runAsUser): the directories of the pid, the
# rendered configuration and the temporary files are theirs. With --user 0
# the master runs as root and the workers as www-data (gateway.conf's
# "user").
#
# "nginx" is the package with Debian's nginx binary; "nginx-core" is only
# nginx plus six optional modules (GeoIP, image filter, XSLT, mail, stream)
# and their libraries, which this gateway does not load.
# ca-certificates: to verify the upstream's certificate. The caches are
# cleaned here, whatever the base image's apt settings (Docker's Debian
# images have docker-clean; a debootstrap base has not).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        nginx libcbor0.8 libjansson4 libhiredis0.14 libxml2 libssl3 \
        ca-certificates \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
        /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/* \
        /var/log/apt/* /var/log/dpkg.log /var/cache/debconf/*-old \
 && mkdir -p /run/nginx \
 && chown www-data:root /run/nginx /var/lib/nginx \
 && chmod 0770 /run/nginx /var/lib/nginx \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log

COPY --from=build /src/build/ngx_http_webauthn_module.so /usr/lib/nginx/modules/
COPY conf/gateway.conf /etc/nginx/nginx.conf
COPY conf/webauthn_audit.conf /etc/nginx/webauthn_audit.conf

# The entrypoint: renders /etc/nginx/nginx.conf's ${WEBAUTHN_NAME}
# placeholders from the environment into /run/nginx/nginx.conf (an unset one
# is an error; "user" is dropped when not root), then runs the command,
# with "-c /run/nginx/nginx.conf" added to an nginx without -c.
RUN printf '%s\n' > /usr/local/bin/webauthn-entrypoint \
        '#!/bin/bash' \
        'set -eu' \
        'src=${WEBAUTHN_CONF:-/etc/nginx/nginx.conf} out=/run/nginx/nginx.conf' \
        ': "${WEBAUTHN_AWS_REGION:=${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}}"' \
        'if [ -z "${WEBAUTHN_RESOLVER:-}" ]; then' \
        '    while read -r k v _; do' \
        '        if [ "$k" = nameserver ]; then' \
        '            case $v in *:*) v="[$v]";; esac; WEBAUTHN_RESOLVER=$v; break' \
        '        fi' \
        '    done < /etc/resolv.conf' \
        '    : "${WEBAUTHN_RESOLVER:=127.0.0.1}"' \
        'fi' \
        'WEBAUTHN_AWS_ROLE_LINES=' \
        'IFS=, read -ra pairs <<< "${WEBAUTHN_AWS_ROLES:-}"' \
        'for p in "${pairs[@]}"; do' \
        '    read -r r a x <<< "$p" || true' \
        '    [ -n "$r" ] || continue' \
        '    if [ -z "${a:-}" ] || [ -n "${x:-}" ]; then' \
        '        echo "webauthn-entrypoint: WEBAUTHN_AWS_ROLES: not \"role arn\": $p" >&2; exit 1' \
        '    fi' \
        '    [ -z "$WEBAUTHN_AWS_ROLE_LINES" ] || WEBAUTHN_AWS_ROLE_LINES+=$(printf "\n%12s" "")' \
        '    WEBAUTHN_AWS_ROLE_LINES+="webauthn_aws_role           $r $a;"' \
        'done' \
        'conf= uid=$(id -u)' \
        'while IFS= read -r line || [ -n "$line" ]; do' \
        '    if [ "$uid" != 0 ] && [[ $line =~ ^user[[:space:]] ]]; then continue; fi' \
        '    done_=' \
        '    while [[ $line =~ \$\{(WEBAUTHN_[A-Z0-9_]+)\} ]]; do' \
        '        m=${BASH_REMATCH[0]} n=${BASH_REMATCH[1]}' \
        '        if [ -z "${!n+set}" ]; then' \
        '            echo "webauthn-entrypoint: $src: $n is not set" >&2; exit 1' \
        '        fi' \
        '        done_+=${line%%"$m"*}${!n}; line=${line#*"$m"}' \
        '    done' \
        '    conf+=$done_$line$'"'"'\n'"'" \
        'done < "$src"' \
        'printf "%s" "$conf" > "$out.tmp" && mv -f "$out.tmp" "$out"' \
        'if [ "${1:-}" = nginx ] && [[ " $* " != *" -c "* ]]; then' \
        '    shift; set -- nginx -c "$out" "$@"' \
        'fi' \
        'exec "$@"' \
 && chmod 0755 /usr/local/bin/webauthn-entrypoint \
 && bash -n /usr/local/bin/webauthn-entrypoint

# fail the build, not the first start, when the module cannot load here
# (an nginx of another version, a runtime library missing)
RUN printf 'load_module /usr/lib/nginx/modules/ngx_http_webauthn_module.so;\nevents {}\n' \
        > /tmp/load.conf \
 && nginx -e stderr -t -q -c /tmp/load.conf \
 && rm /tmp/load.conf

# the defaults of the template's placeholders (conf/gateway.conf's top)
ENV WEBAUTHN_LISTEN=8080 \
    WEBAUTHN_WORKERS=2 \
    WEBAUTHN_REDIS=redis:6379 \
    WEBAUTHN_RP_ID=example.com \
    WEBAUTHN_ORIGINS=https://app.example.com \
    WEBAUTHN_UPSTREAM=192.0.2.10:443 \
    WEBAUTHN_UPSTREAM_SCHEME=https \
    WEBAUTHN_API_HOST=api.example.internal \
    WEBAUTHN_AWS_SIGN=off \
    WEBAUTHN_AWS_ROLES=

EXPOSE 8080

# unprivileged by default: the challenge key (and any session key) must be
# readable by uid 33 (README.md, "Container")
USER www-data

# The challenge endpoint: proves nginx and the module answer, without
# Redis (an outage of Redis is a 503 per request, not a reason to restart
# the gateway). bash's /dev/tcp instead of curl keeps curl and its
# libraries out of the image.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${WEBAUTHN_LISTEN:-8080} && printf 'GET /webauthn/challenge HTTP/1.0\\r\\nHost: localhost\\r\\nUser-Agent: healthcheck\\r\\n\\r\\n' >&3 && grep -q '\"challenge\"' <&3"]

STOPSIGNAL SIGQUIT

ENTRYPOINT ["/usr/local/bin/webauthn-entrypoint"]
CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]
