#!/usr/bin/env bash
# Simulates Microsoft rebuilding a base image: pushes a new image under the same tag in the MCR stand-in,
# so its digest changes, and prints the new digest (the only line on stdout).
#   bash tools/local-stack/bump-base.sh dotnet/runtime:6.0-bullseye-slim
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 && $1 =~ ^([a-z0-9][a-z0-9._/-]*):([A-Za-z0-9_][A-Za-z0-9_.-]*)$ ]] || die "usage: bump-base.sh REPO:TAG (e.g. dotnet/runtime:6.0-bullseye-slim)"
repo=${BASH_REMATCH[1]}
tag=${BASH_REMATCH[2]}
ref="localhost:$MCR_PORT/$repo:$tag"

before=$(manifest_digest "$MCR_PORT" "$repo" "$tag")
[[ -n $before ]] || die "$repo:$tag is not in the MCR stand-in (http://localhost:$MCR_PORT); run up.sh first"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/bump.log"
mkdir "$work/context"
cat >"$work/context/Dockerfile" <<EOF
FROM $ref
RUN date +%s%N > /etc/stand-in-rebuild
EOF

previous=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
# Pull first: the engine may hold an older image under this tag, and the rebuild must sit on the current one.
# The legacy builder needs no network and no frontend image; --no-cache so the RUN really runs again.
if ! { docker pull "$ref" && DOCKER_BUILDKIT=0 docker build --no-cache -t "$ref" "$work/context" && docker push "$ref"; } >"$log" 2>&1; then
  cat "$log" >&2
  die "could not rebuild $ref"
fi

# The replaced image stays behind untagged unless the new one was built on it; drop it if nothing uses it.
[[ -z $previous ]] || docker rmi "$previous" >/dev/null 2>&1 || true

after=$(manifest_digest "$MCR_PORT" "$repo" "$tag")
[[ -n $after && $after != "$before" ]] || die "the digest of $repo:$tag did not change ($before → ${after:-nothing})"
echo "$after"
