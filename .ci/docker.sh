#!/usr/bin/env bash
# Give the Docker tests an engine and the sandbox image, as root, idempotently:
# install the engine if it is missing, start it if nothing answers, build the
# image if it is not there yet. Safe to run again at any time.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image="${SAASLENS_SANDBOX_IMAGE:-saaslens-sandbox:latest}"
log="${DOCKERD_LOG:-/var/log/dockerd.log}"

if ! command -v dockerd >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
fi

if ! docker info >/dev/null 2>&1; then
    # No init system starts services here, so the engine runs detached from
    # this shell and outlives it; its output goes to a log for post-mortems.
    setsid nohup dockerd >"$log" 2>&1 </dev/null &
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        echo "dockerd did not answer within 60 s; its log:" >&2
        tail -n 50 "$log" >&2
        exit 1
    fi
fi

if ! docker image inspect "$image" >/dev/null 2>&1; then
    "$here/images/sandbox/build.sh" "$image"
fi
