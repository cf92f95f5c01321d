# Shared by the local-stack scripts (sourced, not run); the settings are used by the scripts that source it.
# shellcheck shell=bash disable=SC2034

LOCAL_STACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LOCAL_STACK_DIR/../.." && pwd)
STATE_DIR="$LOCAL_STACK_DIR/.state"
PID_DIR="$STATE_DIR/pids"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/platform-images-local-stack"
# What the stand-in bases' root filesystem holds on top of debootstrap's minbase: what Microsoft's
# runtime-deps images install for .NET (ca-certificates libc6 libgcc-s1 libicu72 libssl3 libstdc++6 tzdata
# zlib1g; github.com/dotnet/dotnet-docker src/runtime-deps/8.0/bookworm-slim/amd64/Dockerfile), passwd
# (groupadd/useradd, which platform Dockerfiles use) and busybox (httpd and wget for the busybox test apps).
ROOTFS_PACKAGES=ca-certificates,libc6,libgcc-s1,libicu72,libssl3,libstdc++6,tzdata,zlib1g,passwd,busybox
# Named by its package list, so changing the list builds a new one.
ROOTFS_TAR="$CACHE_DIR/rootfs-bookworm-$(printf '%s' "$ROOTFS_PACKAGES" | sha256sum | cut -c1-12).tar"
# The same for arm64, bootstrapped under emulation (qemu-user-static): a working system, so .NET runs on it.
ROOTFS_TAR_ARM64="$CACHE_DIR/rootfs-bookworm-arm64-$(printf '%s' "$ROOTFS_PACKAGES" | sha256sum | cut -c1-12).tar"
# armhf (linux/arm/v7): debootstrap's first stage only, which unpacks the required packages (coreutils, dash,
# libc6, ...) without configuring them and needs no emulation. Real arm binaries, but no working system: the
# arm/v7 images need not run anything.
ROOTFS_TAR_ARMHF="$CACHE_DIR/rootfs-bookworm-armhf-foreign.tar"

MCR_PORT=5001
ECR_PROXY_PORT=5002
ECR_API_PORT=5003
TEAMS_PORT=5004
MCR_PROXY_PORT=5005
STS_PORT=5006
# A second AWS account whose repositories the caller may use: its own registry host, its own storage.
OTHER_ACCOUNT=111111111111
OTHER_ECR_PROXY_PORT=5007
ECR_BACKEND_PORT=5012
OTHER_ECR_BACKEND_PORT=5013
# ECR API model for the Debian awscli, extended with the fields its release predates (up.sh writes it).
AWS_MODELS_DIR="$STATE_DIR/aws-models"

# Without an Accept header registry 2.8 down-converts to schema1, whose digest differs from the pushed one.
MANIFEST_ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

# What each recorded process must look like, so a recycled PID never gets signalled.
declare -A PROCESS_SIGNATURE=(
  [dockerd]=dockerd
  [mcr-registry]=mcr-registry.yml
  [mcr-proxy]=mcr-proxy.ts
  [ecr-registry]=ecr-registry.yml
  [ecr-registry-$OTHER_ACCOUNT]=ecr-registry-$OTHER_ACCOUNT.yml
  [ecr-stand-in]=ecr-stand-in.ts
  [teams-sink]=teams-sink.ts
)

say() { printf '[local-stack] %s\n' "$*"; }
die() { printf '[local-stack] error: %s\n' "$*" >&2; exit 1; }

# HTTP status of a GET (000 when nothing answers).
http_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" 2>/dev/null || true
}

# PID recorded for NAME if that process is still the one we started; empty otherwise.
recorded_pid() {
  local name=$1 file="$PID_DIR/$1.pid" pid
  [[ -f $file ]] || return 0
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  [[ -r /proc/$pid/cmdline ]] || return 0
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "${PROCESS_SIGNATURE[$name]}"; then
    echo "$pid"
  fi
}

# Digest a registry gives for REPO:TAG at http://127.0.0.1:PORT, empty when the tag is not there.
manifest_digest() {
  local port=$1 repo=$2 tag=$3
  curl -sf -I --max-time 10 -H "Accept: $MANIFEST_ACCEPT" "http://127.0.0.1:$port/v2/$repo/manifests/$tag" 2>/dev/null |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }' || true
}
