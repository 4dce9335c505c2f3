#!/usr/bin/env bash
# The test command (README): installs the tools the tests start (once per
# machine), then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-deps.sh
# The Lambda bootstrap the README's recipe builds; a test runs it under the
# Runtime API emulator (cargo-lambda and zig come from scripts/test-deps.sh).
cargo-lambda lambda build --profile lambda --x86-64 --quiet
cargo test --workspace "$@"
