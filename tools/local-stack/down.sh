#!/usr/bin/env bash
# Stops what up.sh started (and only that: processes are found by the PID files up.sh wrote, so a Docker
# engine or registry someone else runs is never touched; binfmt_misc is put back as up.sh found it). --purge also deletes the stacks' data; the
# cached root filesystem stays, so the next up.sh does not need debootstrap.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$LOCAL_STACK_DIR/emulation.sh"

purge=false
case ${1:-} in
  --purge) purge=true ;;
  '') ;;
  *) die "usage: down.sh [--purge]" ;;
esac

# Signals a group of recorded processes together and waits for all of them (up to 30 s, then SIGKILL).
stop() {
  local name pid
  local -A pids=()
  for name in "$@"; do
    pid=$(recorded_pid "$name")
    if [[ -n $pid ]]; then
      say "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids[$name]=$pid
    fi
  done
  # dockerd stops its containers first, which can take a while.
  local deadline=$((SECONDS + 30))
  for name in "${!pids[@]}"; do
    while kill -0 "${pids[$name]}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "${pids[$name]}" 2>/dev/null; then
      say "$name did not stop after SIGTERM; killing it"
      kill -KILL "${pids[$name]}" 2>/dev/null || true
    fi
  done
  for name in "$@"; do rm -f "$PID_DIR/$name.pid"; done
}

# Clients before what they talk to; the engine last.
stop teams-sink ecr-stand-in mcr-proxy
stop ecr-registry "ecr-registry-$OTHER_ACCOUNT" mcr-registry
stop dockerd
# Emulation last: no container of another architecture runs once the engine is down.
undo_emulation

if $purge; then
  left=$(find "$PID_DIR" -name '*.pid' 2>/dev/null | head -n 1)
  [[ -z $left ]] || die "not purging: $left is still recorded"
  say "deleting $STATE_DIR (the root filesystem cache in $CACHE_DIR stays)"
  rm -rf "$STATE_DIR"
fi
say "down"
