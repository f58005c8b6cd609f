# ngx_http_webauthn_module: the WebAuthn gateway as a container image.
#
#   podman build --format docker -t ngx-webauthn .    (or: docker build -t ngx-webauthn .)
#
# Debian 12's nginx 1.22.1 with the module loaded, conf/gateway.conf as
# /etc/nginx/nginx.conf, listening on 8080. See README.md, "Container".
# ("--format docker" keeps the HEALTHCHECK: the OCI format has none.)

# -- build: the module, against Debian's nginx-dev configure tree ----------

FROM docker.io/library/debian:bookworm AS build

WORKDIR /src

# the build dependencies first (their own layer, kept while sources change):
# "make deps-build" installs the Debian packages the Makefile lists
COPY Makefile ./
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make \
 && make deps-build \
 && rm -rf /var/lib/apt/lists/*

COPY config ./
COPY src/ src/
RUN make module


# -- runtime ----------------------------------------------------------------

FROM docker.io/library/debian:bookworm

# The master runs as root and the workers as www-data (gateway.conf's
# "user"); the whole of nginx may also run unprivileged (--user www-data, or
# any uid in group 0): the pid and temporary file directories are theirs.
#
# "nginx" is the package with Debian's nginx binary; "nginx-core" is only
# nginx plus six optional modules (GeoIP, image filter, XSLT, mail, stream)
# and their libraries, which this gateway does not load.
# ca-certificates: to verify the upstream's certificate.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        nginx libcbor0.8 libjansson4 libhiredis0.14 libxml2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/nginx \
 && chown www-data:root /run/nginx /var/lib/nginx \
 && chmod 0770 /run/nginx /var/lib/nginx \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log

COPY --from=build /src/build/ngx_http_webauthn_module.so /usr/lib/nginx/modules/
COPY conf/gateway.conf /etc/nginx/nginx.conf
COPY conf/webauthn_audit.conf /etc/nginx/webauthn_audit.conf

# fail the build, not the first start, when the module cannot load here
# (an nginx of another version, a runtime library missing)
RUN printf 'load_module /usr/lib/nginx/modules/ngx_http_webauthn_module.so;\nevents {}\n' \
        > /tmp/load.conf \
 && nginx -e stderr -t -q -c /tmp/load.conf \
 && rm /tmp/load.conf

EXPOSE 8080

# The challenge endpoint: proves nginx and the module answer, without
# Redis (an outage of Redis is a 503 per request, not a reason to restart
# the gateway). bash's /dev/tcp instead of curl keeps curl and its
# libraries out of the image.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /webauthn/challenge HTTP/1.0\\r\\nHost: localhost\\r\\nUser-Agent: healthcheck\\r\\n\\r\\n' >&3 && grep -q '\"challenge\"' <&3"]

STOPSIGNAL SIGQUIT

CMD ["nginx", "-e", "stderr", "-g", "daemon off;"]
