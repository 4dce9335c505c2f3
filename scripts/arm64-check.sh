#!/usr/bin/env bash
# The SAM template deploys arm64 by default: cross-build the bootstrap the
# README's way (cargo lambda build --profile lambda --arm64) and run it under
# qemu-user on a fixture from the project's own generator (scopegate-lab
# fixture), expecting every decision right, so the aarch64 crypto backend
# is exercised, not only compiled.
#   scripts/arm64-check.sh [EVENTS]     (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-deps.sh
EVENTS="${1:-300}"
_sudo=""; [ "$(id -u)" = 0 ] || _sudo="sudo"
if ! command -v qemu-aarch64-static >/dev/null 2>&1 || [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
  echo "# installing qemu-user-static and the arm64 C library (Debian multiarch)" >&2
  $_sudo dpkg --add-architecture arm64
  $_sudo apt-get update -q >/dev/null
  $_sudo apt-get install -y -q --no-install-recommends qemu-user-static libc6:arm64 libgcc-s1:arm64 >/dev/null
fi
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
# Its own lambda dir: the x86-64 bootstrap the tests run stays where it is.
cargo-lambda lambda build --profile lambda --arm64 --quiet --lambda-dir "$TARGET/lambda-arm64"
BIN="$TARGET/lambda-arm64/scopegate/bootstrap"
# ELF e_machine 0xB7 is AArch64.
"$SCOPEGATE_TEST_PYTHON" -c 'import sys
h = open(sys.argv[1], "rb").read(20)
sys.exit(0 if h[:4] == b"\x7fELF" and int.from_bytes(h[18:20], "little") == 0xB7 else "not an aarch64 ELF: " + sys.argv[1])' "$BIN"
FIXTURE="$(mktemp -d)"
trap 'rm -rf "$FIXTURE"' EXIT
cargo run --quiet -p scopegate-lab -- fixture "$FIXTURE/unique" --mode unique --events "$EVENTS" >/dev/null
SUMMARY="$(qemu-aarch64-static "$BIN" replay --peer --impl scopegate-arm64 --warmup 0 --fixture "$FIXTURE/unique")"
echo "arm64 (qemu-user): $SUMMARY"
"$SCOPEGATE_TEST_PYTHON" -c 'import json, sys
s = json.loads(sys.argv[1]); n = int(sys.argv[2])
assert s["events"] == n and s["mismatches"] == 0, s' "$SUMMARY" "$EVENTS"
