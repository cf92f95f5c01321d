#!/usr/bin/env bash
# Installs the workspace's npm dependencies when they are missing. `npm ci` first; when it refuses because
# the registry in use serves no build of an optional platform package the lock file names (registries
# that mirror only linux builds do this), `npm install` installs the same versions without rewriting
# package.json or package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]] && exit 0
log=$(mktemp)
if npm ci --no-audit --no-fund >"$log" 2>&1; then rm -f "$log"; exit 0; fi
echo "npm ci failed ($(grep -m1 'npm error' "$log" || tail -n1 "$log")); installing with npm install --no-save" >&2
npm install --no-save --no-audit --no-fund >"$log" 2>&1 || { tail -n 30 "$log" >&2; rm -f "$log"; exit 1; }
rm -f "$log"
