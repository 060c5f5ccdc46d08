#!/usr/bin/env bash
# Build the sandbox image without any container registry: debootstrap a
# minimal Debian root file system holding Python 3 from Debian's packages,
# trim it, and `docker import` it. Usage: build.sh [IMAGE], as root.
set -euo pipefail

image="${1:-saaslens-sandbox:latest}"
# The id scripts run as; the Docker executor passes the same one.
sandbox_user=65534

if ! command -v debootstrap >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y debootstrap
fi

# The host's own release and package mirror, so the image needs nothing this
# machine's apt cannot already reach.
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
if [[ -z "$mirror" ]]; then
    mirror="$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
fi

root="$(mktemp -d /var/tmp/saaslens-sandbox.XXXXXX)"
trap 'rm -rf "$root"' EXIT

debootstrap --variant=minbase --include=python3 "$suite" "$root" ${mirror:+"$mirror"}

# Package tooling, caches and documentation are of no use to a script.
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* \
    "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/locale
install -d -o "$sandbox_user" -g "$sandbox_user" -m 0700 "$root/work"

tar --numeric-owner -C "$root" -c . | docker import \
    --change "USER $sandbox_user:$sandbox_user" \
    --change 'WORKDIR /work' \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$image"
docker run --rm --network none "$image" python3 -I -c 'import json, sys; print(sys.version)'
