#!/usr/bin/env bash
# Simulates Microsoft rebuilding a base image in the MCR stand-in and prints the tag's new digest (the only
# line on stdout; each rebuilt platform image's new digest goes to stderr).
#   bash tools/local-stack/bump-base.sh dotnet/runtime:6.0-bullseye-slim                       # every platform
#   bash tools/local-stack/bump-base.sh dotnet/aspnet:10.0-noble --platform linux/arm/v7      # that one only
# Every tag is a manifest list over linux/amd64, linux/arm64/v8 and linux/arm/v7 (mcr-index.ts). Without
# --platform every platform's image gets a new layer, as when Microsoft rebuilds a tag; with it only that
# platform's does, and the list is pushed again with the other entries byte for byte as they were: the tag's
# digest moves all the same. The new layer is a copied stamp file: nothing runs, so no emulation is needed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage="usage: bump-base.sh REPO:TAG [--platform linux/amd64|linux/arm64|linux/arm/v7] (e.g. dotnet/runtime:6.0-bullseye-slim)"
platform=
args=()
while (($#)); do
  case $1 in
    --platform)
      (($# >= 2)) || die "$usage"
      platform=$2
      shift 2
      ;;
    --platform=*)
      platform=${1#--platform=}
      shift
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done
[[ ${#args[@]} -eq 1 && ${args[0]} =~ ^([a-z0-9][a-z0-9._/-]*):([A-Za-z0-9_][A-Za-z0-9_.-]*)$ ]] || die "$usage"
repo=${BASH_REMATCH[1]}
tag=${BASH_REMATCH[2]}
case $platform in
  '' | linux/amd64 | linux/arm64 | linux/arm64/v8 | linux/arm/v7) ;;
  *) die "--platform $platform: the MCR stand-in has linux/amd64, linux/arm64 (v8) and linux/arm/v7" ;;
esac

before=$(manifest_digest "$MCR_PORT" "$repo" "$tag")
[[ -n $before ]] || die "$repo:$tag is not in the MCR stand-in (http://localhost:$MCR_PORT); run up.sh first"

after=$(cd "$REPO_ROOT" && node -r @swc-node/register tools/local-stack/mcr-index.ts bump "$MCR_PORT" "$repo" "$tag" ${platform:+"$platform"})
[[ $after =~ ^sha256:[0-9a-f]{64}$ && $after != "$before" ]] || die "the digest of $repo:$tag did not change ($before → ${after:-nothing})"

# The engine's copy of the tag is the amd64 image (what a pull on this machine gives): refresh it when that moved.
if [[ -z $platform || $platform == linux/amd64 ]] && docker info >/dev/null 2>&1; then
  ref="localhost:$MCR_PORT/$repo:$tag"
  previous=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
  if docker pull -q "$ref" >/dev/null 2>&1; then
    [[ -z $previous ]] || docker rmi "$previous" >/dev/null 2>&1 || true
  fi
fi
echo "$after"
