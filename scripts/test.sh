#!/usr/bin/env bash
# The test command (README): installs the tools the tests start (once per
# machine), then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-deps.sh
cargo test --workspace "$@"
