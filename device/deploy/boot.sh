#!/bin/sh
# The kiosk unit's command (device/deploy/settle-kiosk.service; installed as
# /opt/settle-terminal/boot.sh beside boot.js and boot-snapshot.js):
#   sh boot.sh NODE [NODE-FLAGS...] SCRIPT [ARGS...]
# runs `NODE NODE-FLAGS SCRIPT ARGS` from the startup snapshot
# $STATE_DIRECTORY/boot.blob when there is one (src/boot-snapshot.ts: Node.js's
# built-in modules a boot needs, already loaded), else as it is; and, with no
# snapshot, makes one in the background for the next boot.
# - Exit 14 from a run on the snapshot means it was refused before anything
#   ran (by Node.js: another version or V8 flags; or by its own check: not
#   the blob sealed, made from another boot-snapshot.js): the blob is
#   removed and the same command runs without it, at once.
# - Death on a signal other than SIGHUP, SIGINT or SIGTERM (a damaged blob
#   can crash V8's deserializer) removes the blob too; the status is
#   returned, and the unit's restart boots without it.
# - The snapshot is built SETTLE_SNAPSHOT_DELAY_S seconds (10 unless set)
#   after a boot without one, by the same node with the same flags, into a
#   temporary file, sealed (BLOB.crc32), then renamed into place; the
#   builder's output goes to $STATE_DIRECTORY/boot-snapshot.log. A build that
#   fails leaves no blob: boots stay as fast as without one, no slower.
# Without $STATE_DIRECTORY no snapshot is used or made.
node=$1
shift
state=${STATE_DIRECTORY:-}
state=${state%%:*}
if [ -z "$state" ]; then
  exec "$node" "$@"
fi
blob=$state/boot.blob
if [ -f "$blob" ]; then
  "$node" --snapshot-blob "$blob" "$@"
  status=$?
  case $status in
    14) rm -f "$blob" "$blob.crc32" ;;
    129 | 130 | 143) exit "$status" ;;
    *)
      if [ "$status" -gt 128 ]; then rm -f "$blob" "$blob.crc32"; fi
      exit "$status"
      ;;
  esac
fi
flags=
for word in "$@"; do
  case $word in
    -*) flags="$flags $word" ;;
    *) break ;;
  esac
done
case $0 in
  */*) builder=${0%/*}/boot-snapshot.js ;;
  *) builder=./boot-snapshot.js ;;
esac
(
  sleep "${SETTLE_SNAPSHOT_DELAY_S:-10}"
  tmp=$blob.$$.tmp
  # shellcheck disable=SC2086 # the flags are words without spaces, as in the unit's ExecStart
  if "$node" $flags --snapshot-blob "$tmp" --build-snapshot "$builder" && "$node" "$builder" seal "$tmp" && mv -f "$tmp.crc32" "$blob.crc32" && mv -f "$tmp" "$blob"; then
    echo "boot snapshot $blob made"
  else
    echo "boot snapshot $blob not made"
  fi
  rm -f "$tmp" "$tmp.crc32"
) </dev/null >"$state/boot-snapshot.log" 2>&1 &
exec "$node" "$@"
