#!/usr/bin/env bash
# Licences, banned crates (ring, OpenSSL), duplicate versions and sources of
# every dependency (deny.toml), with cargo-deny installed once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SCOPEGATE_TEST_TOOLS_DIR="${SCOPEGATE_TEST_TOOLS_DIR:-$HOME/.cache/scopegate-tools}"
export PATH="$SCOPEGATE_TEST_TOOLS_DIR/cargo/bin:$PATH"
if ! command -v cargo-deny >/dev/null 2>&1; then
  echo "# installing cargo-deny into $SCOPEGATE_TEST_TOOLS_DIR/cargo" >&2
  cargo install cargo-deny --version 0.18.9 --locked --quiet --root "$SCOPEGATE_TEST_TOOLS_DIR/cargo"
fi
cargo deny --workspace check licenses bans sources
