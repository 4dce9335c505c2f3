#!/usr/bin/env bash
# Runs the rival authorizers in ../shared/peers and scopegate side by side,
# in one run_all.sh invocation (same fixtures, same machine, same minutes):
# scopegate with its verified-token memo, and without it (what the peers do).
# The peers folder is copied to a scratch directory so its dependencies
# (npm, a venv) are installed there, not in the shared checkout.
#
#   scripts/bench-peers.sh [WORKDIR]     (default /tmp/scopegate-peers)
#   EVENTS, REPEATS, COLD_RUNS: passed to run_all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS_SRC="${SCOPEGATE_TEST_PEERS_DIR:-../shared/peers}"
if [ ! -x "$PEERS_SRC/run_all.sh" ]; then
  echo "bench-peers: the rival implementations are not here ($PEERS_SRC/run_all.sh is missing)." >&2
  echo "  This comparison needs the peers folder beside the repository (../shared/peers)" >&2
  echo "  or SCOPEGATE_TEST_PEERS_DIR pointing at one; nothing else in the project does." >&2
  exit 2
fi
WORK="${1:-/tmp/scopegate-peers}"
mkdir -p "$WORK"
rm -rf "$WORK/peers" && cp -r "$PEERS_SRC" "$WORK/peers" && chmod -R u+w "$WORK/peers"
cargo build --release --quiet --bin scopegate
BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/scopegate"
EXTRA_PEERS="scopegate=$BIN replay --peer --impl scopegate --fixture;scopegate-nomemo=$BIN replay --peer --memo-entries 0 --impl scopegate-nomemo --fixture" \
COLDSTART_EXTRA="scopegate=$BIN replay --coldstart --impl scopegate --fixture" \
  "$WORK/peers/run_all.sh" "$WORK/fixtures"
echo "peak RSS (KiB, /usr/bin/time -v, unique fixture):"
for peer in "scopegate:$BIN replay --peer --impl scopegate --fixture" \
            "node-aws-jwt-verify:node $WORK/peers/node/replay.js --impl aws"; do
  name="${peer%%:*}"; cmd="${peer#*:}"
  # shellcheck disable=SC2086
  rss=$( { /usr/bin/time -v $cmd "$WORK/fixtures/unique" >/dev/null; } 2>&1 | sed -n 's/.*Maximum resident set size (kbytes): //p')
  echo "  $name: $rss"
done
