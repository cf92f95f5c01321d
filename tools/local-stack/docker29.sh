#!/usr/bin/env bash
# A Docker CLI that pushes the way Docker Engine 29 does on a fresh install (an OCI image index: the image
# and its provenance attestation manifest), for the engine here, which pushes a single manifest. Every
# other command goes to the real CLI unchanged. Point a run at it with the `docker.command` setting.
# How the push is emulated, and the references it follows: docker29.ts, attestation.ts.
#   DOCKER29_REAL_CLI  the real Docker CLI (default: docker on PATH)
set -euo pipefail
real=${DOCKER29_REAL_CLI:-docker}
# The command is the first argument that is not a global option (`--config DIR`, `-H HOST`, …).
command=
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --config | --context | -c | --host | -H | --log-level | -l | --tlscacert | --tlscert | --tlskey) ((i += 1)) ;;
    -*) ;;
    *) command=${args[i]}; break ;;
  esac
done
if [[ $command != push ]]; then exec "$real" "$@"; fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export SWC_NODE_PROJECT="$root/tsconfig.json"
exec node -r "$root/node_modules/@swc-node/register" "$here/docker29.ts" "$@"
