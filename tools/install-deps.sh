#!/usr/bin/env bash
# Installs the workspace's npm dependencies when they are missing. `npm ci` first; when it refuses because
# the registry in use serves no build of an optional platform package the lock file names (registries
# that mirror only linux builds do this), `npm install` installs the same versions without rewriting
# package.json or package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
install() {
  [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]] && return 0
  local log
  log=$(mktemp)
  if npm ci --no-audit --no-fund >"$log" 2>&1; then rm -f "$log"; return 0; fi
  echo "npm ci failed ($(grep -m1 'npm error' "$log" || tail -n1 "$log")); installing with npm install --no-save" >&2
  npm install --no-save --no-audit --no-fund >"$log" 2>&1 || { tail -n 30 "$log" >&2; rm -f "$log"; return 1; }
  rm -f "$log"
}
install
# The nx plugin compiled to JavaScript (packages/nx-plugin/dist), unless it is already newer than every
# source: each step's process then starts without a TypeScript compiler (see packages/nx-plugin/load.js).
if [[ ! -f packages/nx-plugin/dist/.built ]] || [[ -n "$(find packages/nx-plugin/src packages/nx-plugin/tsconfig.build.json -newer packages/nx-plugin/dist/.built -print -quit)" ]]; then
  npm run --silent build:plugin
fi
