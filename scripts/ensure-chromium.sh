#!/bin/sh
# Makes Debian's headless-capable Chromium available for the HTML report's browser test.
# Idempotent and quiet: prints the browser's path on stdout and nothing else when it is there or
# was installed; exits non-zero with the reason on stderr when it cannot be had (not root,
# no apt, no package source reachable), so the test can skip with that reason.
set -eu

BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: $BIN is missing and installing it needs root (apt-get install chromium)" >&2
  exit 2
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $BIN is missing and this is not a Debian-like system (no apt-get)" >&2
  exit 2
fi

LOG="$(mktemp "${TMPDIR:-/tmp}/ensure-chromium.XXXXXX.log")"
install_chromium() {
  # Recommends are left out: the sandbox helper and extra fonts are not needed for --headless
  # --no-sandbox, and they double the download.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >>"$LOG" 2>&1
}
run() {
  # Retry once after refreshing the package lists: a fresh container's lists are often missing
  # or stale ("Unable to locate package", 404 on an old version).
  install_chromium || { DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$LOG" 2>&1 && install_chromium; }
}
# Two test workers may get here at once; dpkg's own lock would make the second one fail.
if command -v flock >/dev/null 2>&1; then
  status=0
  (
    flock 9
    [ -x "$BIN" ] || run
  ) 9>/tmp/ensure-chromium.lock || status=$?
else
  status=0
  run || status=$?
fi

if [ "$status" != 0 ]; then
  echo "ensure-chromium: apt-get install chromium failed (exit $status); last lines of $LOG:" >&2
  tail -n 5 "$LOG" >&2
  exit 3
fi
if [ ! -x "$BIN" ]; then
  echo "ensure-chromium: the chromium package is installed but $BIN is not there (set CHROMIUM_BIN to the browser's path)" >&2
  rm -f "$LOG"
  exit 3
fi
rm -f "$LOG"
echo "$BIN"
