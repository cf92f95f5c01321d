#!/usr/bin/env bash
# Installs the workspace's npm dependencies exactly as package-lock.json records them (`npm ci`), unless
# node_modules already matches it. The lock file names every optional platform build (swc, the resolver
# bindings) for every OS, so `npm ci` installs on Linux, macOS and Windows alike; a failure is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log=$(mktemp)
  if ! npm ci --no-audit --no-fund >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    echo "npm ci failed: package-lock.json does not install as it is (repair it with: npm install --package-lock-only)" >&2
    exit 1
  fi
  rm -f "$log"
fi
# The nx plugin, built into packages/nx-plugin/dist (what Nx loads: package.json main, executors.json,
# generators.json) unless dist records the digest of the sources it was built from: Nx loads the plugin to
# build the project graph, so it is built before any nx command. By content, not file times: a checkout
# gives the files it writes the time of the checkout.
node packages/nx-plugin/scripts/build.mjs --if-stale
