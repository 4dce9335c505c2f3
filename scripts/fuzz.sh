#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (default 45 s each; pass
# more for a longer local campaign: scripts/fuzz.sh 3600) and prints the
# executions per target. Seeds are fuzz/seeds/<target>/ (committed, read
# only); the growing corpus lives under $SCOPEGATE_TEST_TOOLS_DIR/fuzz-corpus. A crash
# stops the run, leaves the input in fuzz/artifacts/<target>/, and fails.
#
# cargo-fuzz needs nightly-only flags (sanitizers); this machine has one
# stable toolchain, so RUSTC_BOOTSTRAP=1 unlocks them.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-45}"
SCOPEGATE_TEST_TOOLS_DIR="${SCOPEGATE_TEST_TOOLS_DIR:-$HOME/.cache/scopegate-tools}"
export PATH="$SCOPEGATE_TEST_TOOLS_DIR/cargo/bin:$PATH"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "# installing cargo-fuzz into $SCOPEGATE_TEST_TOOLS_DIR/cargo" >&2
  cargo install cargo-fuzz --version 0.13.2 --locked --quiet --root "$SCOPEGATE_TEST_TOOLS_DIR/cargo"
fi
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list --fuzz-dir fuzz)
cargo fuzz build --fuzz-dir fuzz --release >/dev/null
for t in $targets; do
  corpus="$SCOPEGATE_TEST_TOOLS_DIR/fuzz-corpus/$t"
  mkdir -p "$corpus"
  log=$(mktemp)
  if ! cargo fuzz run --fuzz-dir fuzz --release "$t" "$corpus" "fuzz/seeds/$t" -- \
      -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: target $t FAILED (input saved under fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  printf 'fuzz: %-18s %10s executions in %ss, %s\n' "$t" "${runs:-?}" "$SECONDS_EACH" "${cov:-}"
  rm -f "$log"
done
