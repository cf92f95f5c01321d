# Emulation of arm64 and arm/v7 for the stack's lifetime (sourced by up.sh and down.sh, after lib.sh).
# shellcheck shell=bash
#
# Debian's qemu-user-static registers its interpreters with binfmt_misc through binfmt-support
# (/usr/share/binfmts/qemu-aarch64: "fix_binary yes", "preserve yes"; the systemd form in
# /usr/lib/binfmt.d/qemu-aarch64.conf ends in the flags "OPF"). F (fix-binary) makes the kernel open the
# interpreter when the handler is registered, so it runs inside containers whose root filesystem has no qemu:
# what `docker run --platform linux/arm64` needs (kernel Documentation/admin-guide/binfmt-misc.rst).
# On a machine without systemd nothing mounts binfmt_misc or registers the handlers; up.sh does both and
# writes down what it did in $EMULATION_RECORD, so down.sh undoes that and nothing else.

EMULATION_RECORD="$STATE_DIR/emulation"
BINFMT_DIR=${BINFMT_DIR:-/proc/sys/fs/binfmt_misc}
# binfmt-support's names for the handlers (files in /usr/share/binfmts).
EMULATED_HANDLERS=(qemu-aarch64 qemu-arm)

# Flags of a registered handler ("flags: OCF" line of /proc/sys/fs/binfmt_misc/NAME), empty if none.
binfmt_flags() {
  awk '$1 == "flags:" { print $2 }' "$BINFMT_DIR/$1" 2>/dev/null || true
}
binfmt_enabled() { [[ $(head -n 1 "$BINFMT_DIR/$1" 2>/dev/null) == enabled ]]; }

ensure_emulation() {
  local handler flags
  if ! mountpoint -q "$BINFMT_DIR"; then
    mount -t binfmt_misc binfmt_misc "$BINFMT_DIR" || die "could not mount binfmt_misc on $BINFMT_DIR (needed to run arm64 and arm images)"
    echo mounted >>"$EMULATION_RECORD"
    say "mounted binfmt_misc on $BINFMT_DIR (down.sh unmounts it)"
  fi
  for handler in "${EMULATED_HANDLERS[@]}"; do
    [[ -f /usr/share/binfmts/$handler ]] || die "/usr/share/binfmts/$handler is missing: is qemu-user-static installed?"
    if [[ -e $BINFMT_DIR/$handler ]]; then
      flags=$(binfmt_flags "$handler")
      # Registered by someone else without F, it would fail in containers; it is not ours to replace.
      [[ $flags == *F* ]] || die "$handler is registered without the F flag (flags: ${flags:-none}); containers of that architecture would not start"
      if ! binfmt_enabled "$handler"; then
        echo 1 >"$BINFMT_DIR/$handler"
        echo "enabled $handler" >>"$EMULATION_RECORD"
      fi
      continue
    fi
    update-binfmts --enable "$handler" >>"$STATE_DIR/emulation.log" 2>&1 ||
      update-binfmts --import "$handler" >>"$STATE_DIR/emulation.log" 2>&1 ||
      die "could not register $handler with binfmt_misc (log: $STATE_DIR/emulation.log)"
    [[ -e $BINFMT_DIR/$handler ]] || die "update-binfmts did not register $handler (log: $STATE_DIR/emulation.log)"
    echo "registered $handler" >>"$EMULATION_RECORD"
    flags=$(binfmt_flags "$handler")
    [[ $flags == *F* ]] || die "$handler was registered without the F flag (flags: ${flags:-none})"
  done
}

# Undoes what ensure_emulation recorded, newest first.
undo_emulation() {
  [[ -f $EMULATION_RECORD ]] || return 0
  local line
  while read -r line; do
    case $line in
      "registered "* | "enabled "*)
        # Writing -1 removes a handler, 0 disables it (binfmt-misc.rst).
        if [[ -e $BINFMT_DIR/${line#* } ]]; then
          if [[ $line == registered* ]]; then echo -1 >"$BINFMT_DIR/${line#* }"; else echo 0 >"$BINFMT_DIR/${line#* }"; fi
          say "binfmt_misc: undid '$line'"
        fi
        ;;
      mounted)
        if mountpoint -q "$BINFMT_DIR"; then
          umount "$BINFMT_DIR" && say "unmounted binfmt_misc"
        fi
        ;;
    esac
  done < <(tac "$EMULATION_RECORD")
  rm -f "$EMULATION_RECORD"
}
