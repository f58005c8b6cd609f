#!/bin/bash
# The Dockerfile's base image, made locally: debootstrap (Debian 12, from
# the mirror this machine's apt uses), cached as build/container/base.tar,
# and "podman import"ed under the name the Dockerfile's FROM lines use, so
# that no build ever pulls from a registry.
#
#   t/container/base-image.sh [BUILD_DIR]
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$top/build/container}
image=$(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' \
            "$top/Dockerfile" | sort -u)
[ "$(wc -l <<<"$image")" = 1 ] || { echo "FROM: not one image: $image" >&2; exit 1; }
tar=$dir/base.tar
mkdir -p "$dir"

if podman image exists "$image"; then
    echo "base image: $image (present)"
    exit 0
fi

if [ ! -s "$tar" ]; then
    # the mirror of this machine's apt sources (deb822 or one-line)
    mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/*$/\1/p' \
                 /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
    [ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\/debian\)\/* bookworm .*/\1/p' \
                 /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
    mirror=${mirror:-http://deb.debian.org/debian}
    root=$dir/rootfs
    rm -rf "$root"
    echo "debootstrap bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$root" "$mirror" \
        > "$dir/debootstrap.log" 2>&1 \
        || { tail -20 "$dir/debootstrap.log" >&2; exit 1; }
    # the same apt sources as this machine (updates, security)
    if ls /etc/apt/sources.list.d/*.sources > /dev/null 2>&1; then
        rm -f "$root/etc/apt/sources.list"
        for f in /etc/apt/sources.list.d/*.sources; do
            cp "$f" "$root/etc/apt/sources.list.d/"
        done
    fi
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
           "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" --numeric-owner -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    rm -rf "$root"
fi

podman import --change 'CMD ["bash"]' "$tar" "$image" > /dev/null
echo "base image: $image (imported from $tar)"
