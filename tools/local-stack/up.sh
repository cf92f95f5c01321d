#!/usr/bin/env bash
# Brings up the local stand-ins for mcr.microsoft.com, AWS ECR (+ STS) and Microsoft Teams, installing and
# starting whatever is missing. Safe to run again: anything already answering is left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$LOCAL_STACK_DIR/emulation.sh"

# The MCR tags the platform images build on: .NET 6 on Debian 11, .NET 8 on Debian 12, .NET 10 on
# Ubuntu 24.04 (Microsoft ships no Debian images for .NET 10). All are Debian bookworm root filesystems here;
# each tag is multi-platform (linux/amd64, linux/arm64/v8, linux/arm/v7) with architecture tags beside it,
# and which of them carry real .NET is told in dotnet-stand-ins.ts.
BASE_IMAGES=()
for tag in 6.0-bullseye-slim 8.0-bookworm-slim 10.0-noble; do
  [[ $tag == 6.0-* ]] || BASE_IMAGES+=("dotnet/runtime-deps:$tag")
  for repo in dotnet/runtime dotnet/aspnet dotnet/sdk; do BASE_IMAGES+=("$repo:$tag"); done
done
ROOTFS_PATH_ENV='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

mkdir -p "$PID_DIR"
# Two bring-ups at once would start everything twice; the second waits for the first instead.
exec 9>"$STATE_DIR/.up.lock"
flock 9

ensure_packages() {
  # command → Debian package; /usr/bin/aws on purpose: another `aws` (e.g. a pyenv v1) may come first on PATH.
  local -A wanted=(
    [docker]=docker.io [dockerd]=docker.io [docker-registry]=docker-registry [skopeo]=skopeo
    [/usr/bin/aws]=awscli [debootstrap]=debootstrap [busybox]=busybox-static [curl]=curl [jq]=jq
    # Emulation of the arm64 and arm/v7 bases, and the compiler of the arm64 images' `dotnet` (dotnet-muxer.c).
    [qemu-aarch64-static]=qemu-user-static [qemu-arm-static]=qemu-user-static [update-binfmts]=binfmt-support
    [aarch64-linux-gnu-gcc]=gcc-aarch64-linux-gnu
  )
  local cmd missing=()
  for cmd in "${!wanted[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
  done
  ((${#missing[@]})) || return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  say "installing ${missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}"; } >"$STATE_DIR/apt.log" 2>&1; then
    tail -n 30 "$STATE_DIR/apt.log" >&2
    die "apt-get install failed (full log: $STATE_DIR/apt.log)"
  fi
}

# Starts NAME in its own session so it outlives this script; the PID file is written by the process itself
# (before it execs), so it is right whether or not setsid had to fork.
start_service() {
  local name=$1 dir=$2
  shift 2
  rm -f "$PID_DIR/$name.pid"
  printf '\n==== %s starting %s\n' "$(date -Is)" "$name" >>"$STATE_DIR/$name.log"
  (
    cd "$dir"
    # shellcheck disable=SC2016 # $$ and $0 belong to the inner shell
    # No lock descriptor may live on in a service: 9 is this script's, 8 the one a caller may hold (a service
    # keeping a flock'd descriptor open holds that lock for as long as it runs).
    exec setsid bash -c 'echo $$ >"$0"; exec nohup "$@"' "$PID_DIR/$name.pid" "$@" >>"$STATE_DIR/$name.log" 2>&1 </dev/null 8>&- 9>&-
  ) &
}

# Waits until CHECK (a command) succeeds; gives up after SECONDS or as soon as NAME's process has died.
wait_until() {
  local name=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  sleep 0.1
  until "$@"; do
    if ((SECONDS >= deadline)); then
      tail -n 20 "$STATE_DIR/$name.log" >&2 || true
      die "$name did not come up within ${seconds}s (log: $STATE_DIR/$name.log)"
    fi
    if [[ -f $PID_DIR/$name.pid && -z $(recorded_pid "$name") ]]; then
      tail -n 20 "$STATE_DIR/$name.log" >&2 || true
      die "$name exited while starting (log: $STATE_DIR/$name.log)"
    fi
    sleep 0.2
  done
}

docker_answers() { docker info >/dev/null 2>&1; }

ensure_docker() {
  docker_answers && return 0
  if [[ -z $(recorded_pid dockerd) ]]; then
    say "starting dockerd (log: $STATE_DIR/dockerd.log)"
    start_service dockerd / dockerd
  else
    say "waiting for the dockerd started earlier"
  fi
  wait_until dockerd 60 docker_answers
}

write_registry_config() {
  local name=$1 port=$2 data=$3
  mkdir -p "$data"
  # No blob descriptor cache: the ECR stand-in removes tags and repositories on disk, which a cache would miss.
  cat >"$STATE_DIR/$name.yml" <<EOF
version: 0.1
log:
  level: info
  fields:
    service: $name
storage:
  filesystem:
    rootdirectory: $data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  headers:
    X-Content-Type-Options: [nosniff]
EOF
}

registry_answers() { [[ $(http_status "http://127.0.0.1:$1/v2/") == 200 ]]; }

ensure_registry() {
  local name=$1 port=$2 data=$3 status
  status=$(http_status "http://127.0.0.1:$port/v2/")
  [[ $status == 200 ]] && return 0
  [[ $status == 000 ]] || die "port $port answers HTTP $status but is not a plain registry; free it for $name"
  write_registry_config "$name" "$port" "$data"
  say "starting $name on 127.0.0.1:$port"
  start_service "$name" "$STATE_DIR" docker-registry serve "$STATE_DIR/$name.yml"
  wait_until "$name" 30 registry_answers "$port"
}

ensure_node_modules() {
  command -v node >/dev/null 2>&1 || die "node is not installed (Node >= 20.19 is needed for the ECR and Teams stand-ins)"
  [[ -f $REPO_ROOT/node_modules/@swc-node/register/package.json ]] && return 0
  say "node_modules missing: installing npm dependencies"
  bash "$REPO_ROOT/tools/install-deps.sh"
}

ecr_answers() {
  local port
  for port in "$ECR_API_PORT" "$STS_PORT" "$ECR_PROXY_PORT" "$OTHER_ECR_PROXY_PORT"; do
    [[ $(http_status "http://127.0.0.1:$port/health") == 200 ]] || return 1
  done
}
teams_answers() { [[ $(http_status "http://127.0.0.1:$TEAMS_PORT/health") == 200 ]]; }
mcr_proxy_answers() { [[ $(http_status "http://127.0.0.1:$MCR_PROXY_PORT/health") == 200 ]]; }

ensure_node_service() {
  local name=$1 check=$2 ports=$3 status
  "$check" && return 0
  for port in $ports; do
    status=$(http_status "http://127.0.0.1:$port/health")
    [[ $status == 000 || $status == 200 ]] || die "port $port is taken by something else (HTTP $status); free it for $name"
  done
  ensure_node_modules
  say "starting $name"
  start_service "$name" "$REPO_ROOT" env LOCAL_STACK_STATE="$STATE_DIR" \
    ECR_STAND_IN_OTHER_ACCOUNTS="$OTHER_ACCOUNT=$OTHER_ECR_PROXY_PORT:$OTHER_ECR_BACKEND_PORT" \
    node -r @swc-node/register "tools/local-stack/$name.ts"
  wait_until "$name" 60 "$check"
}

# Debian's awscli (2.9) predates ECR's tag mutability exclusion filters: it would refuse
# --image-tag-mutability-exclusion-filters and drop the field from answers. Its own ECR model, extended with
# those shapes, goes where AWS_DATA_PATH (set by env.sh) points, which botocore prefers to its built-in copy.
ensure_awscli_model() {
  local builtin=/usr/lib/python3/dist-packages/awscli/botocore/data/ecr/2015-09-21/service-2.json
  local out="$AWS_MODELS_DIR/ecr/2015-09-21/service-2.json"
  [[ -f $builtin ]] || return 0
  if jq -e '.shapes.ImageTagMutability.enum | index("IMMUTABLE_WITH_EXCLUSION")' "$builtin" >/dev/null; then
    rm -f "$out"
    return 0
  fi
  [[ -f $out && $out -nt $builtin ]] && return 0
  mkdir -p "$(dirname "$out")"
  jq '
    .shapes.ImageTagMutability.enum += ["IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"]
    | .shapes.ImageTagMutabilityExclusionFilterType = { type: "string", enum: ["WILDCARD"] }
    | .shapes.ImageTagMutabilityExclusionFilterValue = { type: "string", min: 1, max: 128, pattern: "^[0-9a-zA-Z._*-]{1,128}$" }
    | .shapes.ImageTagMutabilityExclusionFilter = { type: "structure", required: ["filterType", "filter"],
        members: { filterType: { shape: "ImageTagMutabilityExclusionFilterType" }, filter: { shape: "ImageTagMutabilityExclusionFilterValue" } } }
    | .shapes.ImageTagMutabilityExclusionFilters = { type: "list", member: { shape: "ImageTagMutabilityExclusionFilter" }, min: 1, max: 5 }
    | reduce ("CreateRepositoryRequest", "Repository", "PutImageTagMutabilityRequest", "PutImageTagMutabilityResponse") as $s
        (.; .shapes[$s].members.imageTagMutabilityExclusionFilters = { shape: "ImageTagMutabilityExclusionFilters" })
  ' "$builtin" >"$out.tmp" && mv "$out.tmp" "$out"
}

# The Debian mirror apt already uses (deb822 .sources first, then one-line .list entries).
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    BEGIN { RS = "" }
    {
      uri = ""; ok = 0; n = split($0, line, "\n")
      for (i = 1; i <= n; i++) {
        if (line[i] ~ /^URIs:/) { split(line[i], f, /[ \t]+/); uri = f[2] }
        if (line[i] ~ /^Suites:/) { m = split(line[i], s, /[ \t]+/); for (j = 2; j <= m; j++) if (s[j] == "bookworm") ok = 1 }
        if (line[i] ~ /^Enabled:[ \t]*no/) ok = 0
      }
      if (ok && uri != "") { print uri; exit }
    }')
  if [[ -z $uri ]]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '
      $1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /^[a-z]+:\/\// && $(i + 1) == "bookworm") { print $i; exit } }')
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# One architecture's root filesystem as a tar in the per-machine cache:
#   ensure_rootfs DEBIAN_ARCH TAR PACKAGES full|foreign
# full: a complete debootstrap (for arm64 its second stage runs under qemu-user-static: a few minutes, once
# per machine); foreign: the first stage only (`debootstrap --foreign`: packages unpacked, not configured),
# which needs no emulation and gives real binaries of that architecture, but no working system.
ensure_rootfs() {
  local arch=$1 tar=$2 packages=$3 mode=$4
  [[ -s $tar ]] && return 0
  mkdir -p "$CACHE_DIR"
  local work mirror args=(--variant=minbase "--arch=$arch")
  [[ -z $packages ]] || args+=("--include=$packages")
  [[ $mode == foreign ]] && args+=(--foreign)
  work=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  mirror=$(debian_mirror)
  say "building the $arch stand-in root filesystem with debootstrap$([[ $mode == foreign ]] && echo ' (first stage)') from $mirror (once per machine)"
  if ! debootstrap "${args[@]}" bookworm "$work/rootfs" "$mirror" >"$STATE_DIR/debootstrap-$arch.log" 2>&1; then
    tail -n 20 "$STATE_DIR/debootstrap-$arch.log" >&2
    rm -rf "$work"
    die "debootstrap ($arch) failed (log: $STATE_DIR/debootstrap-$arch.log)"
  fi
  local r="$work/rootfs"
  [[ $mode == foreign || -x $r/bin/busybox ]] || die "debootstrap left no /bin/busybox in the $arch root filesystem"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin "$r"/var/lib/apt/lists/* \
    "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* \
    "$r"/var/log/*.log "$r"/var/cache/debconf/*-old "$r"/tmp/* "$r"/etc/hostname
  # Device nodes are Docker's to provide; numeric owners keep uid/gid 0 whatever names the host gives them.
  tar --numeric-owner --exclude='./dev/*' -C "$r" -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$tar"
  rm -rf "$work"
  # A root filesystem of this architecture with another package list is not used again.
  local stem
  stem=$(basename "$tar" | sed 's/-[0-9a-f]\{12\}\.tar$//')
  find "$CACHE_DIR" -maxdepth 1 -regex ".*/$stem-[0-9a-f]+\.tar" ! -path "$tar" -delete
  [[ $mode != foreign ]] || find "$CACHE_DIR" -maxdepth 1 -name "rootfs-bookworm-$arch-foreign-*.tar" -delete
}

# A cached root filesystem as an image in the engine, loaded again only when the tar changed: loading takes
# several seconds, deriving the bases from it well under one.
#   ensure_rootfs_image TAR IMAGE PLATFORM
# Not `docker import --platform`: engine 20.10 records the engine's own architecture whatever the flag says.
# `docker load` takes the image config as given, so the image is written in the format `docker save` writes
# (manifest.json naming the config and the layer; moby image/tarexport), with the platform in the config
# (OCI image spec config.md: architecture, os, variant) and the tar itself as the one layer (its diff_id is
# the tar's sha256).
ensure_rootfs_image() {
  local tar=$1 image=$2 platform=$3 id os arch variant work diff config
  id=$(stat -c '%s-%Y' "$tar")
  [[ $(docker image inspect -f '{{index .Config.Labels "local-stack.rootfs"}}' "$image" 2>/dev/null) == "$id" ]] && return 0
  IFS=/ read -r os arch variant <<<"$platform"
  work=$(mktemp -d "$CACHE_DIR/load.XXXXXX")
  ln "$tar" "$work/layer.tar" 2>/dev/null || cp "$tar" "$work/layer.tar"
  diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  jq -n --arg os "$os" --arg arch "$arch" --arg variant "${variant:-}" --arg diff "sha256:$diff" --arg id "$id" \
    --arg path "$ROOTFS_PATH_ENV" --arg created "$(date -u -r "$tar" +%Y-%m-%dT%H:%M:%SZ)" '
    { architecture: $arch, os: $os, created: $created,
      config: { Env: [$path], Cmd: ["bash"], Labels: { "local-stack.rootfs": $id } },
      rootfs: { type: "layers", diff_ids: [$diff] },
      history: [{ created: $created, created_by: "debootstrap --variant=minbase bookworm" }] }
    + (if $variant == "" then {} else { variant: $variant } end)' >"$work/config.json"
  config=$(sha256sum "$work/config.json" | cut -d' ' -f1).json
  mv "$work/config.json" "$work/$config"
  jq -n --arg config "$config" --arg image "$image" '[{ Config: $config, RepoTags: [$image], Layers: ["layer.tar"] }]' >"$work/manifest.json"
  local rc=0
  tar -C "$work" -cf - manifest.json "$config" layer.tar | docker load || rc=$?
  rm -rf "$work"
  return $rc
}

# The root filesystem image of each platform the bases are built for.
ROOTFS_IMAGES=(
  linux/amd64=local-stack/rootfs-bookworm:amd64
  linux/arm64/v8=local-stack/rootfs-bookworm:arm64v8
  linux/arm/v7=local-stack/rootfs-bookworm:arm32v7
)

# What the seeded images are made of: the seeder, the root filesystems and this machine's .NET. When it
# changes (a new SDK installed, the seeder changed), every base is seeded again: "Microsoft rebuilt them".
seed_id() {
  {
    cat "$LOCAL_STACK_DIR/dotnet-stand-ins.ts" "$LOCAL_STACK_DIR/mcr-index.ts" "$LOCAL_STACK_DIR/dotnet-muxer.c"
    echo "$ROOTFS_TAR $ROOTFS_TAR_ARM64 $ROOTFS_TAR_ARMHF"
    command -v dotnet >/dev/null 2>&1 && (cd / && dotnet --list-sdks && dotnet --list-runtimes)
  } 2>/dev/null | sha256sum | cut -c1-16
}

# Every tag of an image: the multi-platform tag and the architecture tags under it.
seeded_tags_present() {
  local image=$1 suffix
  for suffix in '' -amd64 -arm64v8 -arm32v7; do
    [[ -n $(manifest_digest "$MCR_PORT" "${image%%:*}" "${image#*:}$suffix") ]] || return 1
  done
}

seed_base_images() {
  local image missing=() id started_seed=$SECONDS
  id=$(seed_id)
  if [[ $(cat "$STATE_DIR/mcr-seed-id" 2>/dev/null) != "$id" ]]; then
    missing=("${BASE_IMAGES[@]}")
  else
    for image in "${BASE_IMAGES[@]}"; do
      seeded_tags_present "$image" || missing+=("$image")
    done
  fi
  ((${#missing[@]})) || return 0
  # The three at once: the emulated arm64 one takes longest (about 5 minutes), the others fit beside it.
  local pids=() pid failed=0
  ensure_rootfs amd64 "$ROOTFS_TAR" "$ROOTFS_PACKAGES" full &
  pids+=($!)
  ensure_rootfs arm64 "$ROOTFS_TAR_ARM64" "$ROOTFS_PACKAGES" full &
  pids+=($!)
  ensure_rootfs armhf "$ROOTFS_TAR_ARMHF" '' foreign &
  pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || die "a root filesystem could not be built"
  {
    ensure_rootfs_image "$ROOTFS_TAR" local-stack/rootfs-bookworm:amd64 linux/amd64 &&
      ensure_rootfs_image "$ROOTFS_TAR_ARM64" local-stack/rootfs-bookworm:arm64v8 linux/arm64/v8 &&
      ensure_rootfs_image "$ROOTFS_TAR_ARMHF" local-stack/rootfs-bookworm:arm32v7 linux/arm/v7
  } >>"$STATE_DIR/seed.log" 2>&1 || {
    tail -n 20 "$STATE_DIR/seed.log" >&2
    die "docker import of a root filesystem failed (log: $STATE_DIR/seed.log)"
  }
  ensure_node_modules
  (cd "$REPO_ROOT" && node -r @swc-node/register tools/local-stack/dotnet-stand-ins.ts \
    "localhost:$MCR_PORT" "$(
      IFS=,
      echo "${ROOTFS_IMAGES[*]}"
    )" "$CACHE_DIR" "$STATE_DIR/seed.log" "${missing[@]}") ||
    die "could not seed the MCR stand-in (log: $STATE_DIR/seed.log)"
  echo "$id" >"$STATE_DIR/mcr-seed-id"
  say "seeded ${#missing[@]} multi-platform tags in $((SECONDS - started_seed))s"
}

started=$SECONDS
ensure_packages
ensure_docker
ensure_awscli_model
ensure_emulation
ensure_registry mcr-registry "$MCR_PORT" "$STATE_DIR/mcr-data"
ensure_registry ecr-registry "$ECR_BACKEND_PORT" "$STATE_DIR/ecr-data"
ensure_registry "ecr-registry-$OTHER_ACCOUNT" "$OTHER_ECR_BACKEND_PORT" "$STATE_DIR/ecr-data-$OTHER_ACCOUNT"
ensure_node_service mcr-proxy mcr_proxy_answers "$MCR_PROXY_PORT"
ensure_node_service ecr-stand-in ecr_answers "$ECR_API_PORT $STS_PORT $ECR_PROXY_PORT $OTHER_ECR_PROXY_PORT"
ensure_node_service teams-sink teams_answers "$TEAMS_PORT"
seed_base_images

cat <<EOF
[local-stack] up in $((SECONDS - started))s
  mcr.microsoft.com stand-in  http://localhost:$MCR_PORT         anonymous; ${#BASE_IMAGES[@]} multi-platform dotnet tags (amd64, arm64v8, arm32v7)
  MCR through fault proxy     http://localhost:$MCR_PROXY_PORT         same images; /__faults, /__stats
  ECR registry (proxy)        http://localhost:$ECR_PROXY_PORT         Basic auth AWS:<GetAuthorizationToken password>; account 000000000000 (the caller's)
  ECR registry, other account http://localhost:$OTHER_ECR_PROXY_PORT         the same token; account $OTHER_ACCOUNT (registryId)
  ECR API                     http://localhost:$ECR_API_PORT         every account's repositories
  STS                         http://localhost:$STS_PORT         GetCallerIdentity, AssumeRole; POST /__credentials
  Teams webhook sink          http://localhost:$TEAMS_PORT         GET /cards, DELETE /cards
  every node service also answers /__faults and /__stats; tag history: http://localhost:$ECR_API_PORT/__history
  ECR backing registries      http://127.0.0.1:$ECR_BACKEND_PORT, :$OTHER_ECR_BACKEND_PORT  (internal, no auth)
  environment: eval "\$(bash tools/local-stack/env.sh)"   state: $STATE_DIR
EOF
