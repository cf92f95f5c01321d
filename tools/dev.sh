#!/usr/bin/env bash
# The plugin's dev loop: edit the plugin, then `npm run dev -- <nx arguments>` (e.g. `npm run dev -- run
# net8-runtime:publish`). Rebuilds the plugin when a source changed since its last build (incremental tsc,
# only what changed; see packages/nx-plugin/scripts/build.mjs), then runs nx with the arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
# Without the daemon each run loads the plugin just built; a running Nx daemon may keep the one it loaded earlier.
export NX_DAEMON="${NX_DAEMON:-false}"
exec npx nx "$@"
