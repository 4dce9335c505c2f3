#!/usr/bin/env bash
# scopegate and the rival authorizers under the official AWS Lambda Runtime
# Interface Emulator, each with its official runtime client: awslambdaric
# (PyPI) for the PyJWT handler, aws-lambda-ric (npm; its native part needs
# autoconf, automake, libtool, cmake and g++) for the aws-jwt-verify
# handler. Same fixture, alternating rounds (scripts/bench-runtime.py):
# round trip p50/p99, INIT, peak RSS; then again with 7.2 % of a core (what
# Lambda gives 128 MB) when the machine lets us make a cgroup.
#   scripts/bench-rivals-runtime.sh [INVOCATIONS] [ROUNDS]
# Reads the rivals from ../shared/peers; without it, it says so and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS="$(cd .. && pwd)/shared/peers"
if [ ! -d "$PEERS/node" ] || [ ! -d "$PEERS/python" ]; then
  echo "bench-rivals-runtime: $PEERS is missing (the rival handlers live there); nothing to compare" >&2
  exit 0
fi
INVOCATIONS="${1:-1000}"
ROUNDS="${2:-5}"
source scripts/test-deps.sh
T="$SCOPEGATE_TEST_TOOLS_DIR/rivals"
mkdir -p "$T"
if [ ! -f "$T/node/node_modules/aws-lambda-ric/bin/index.mjs" ]; then
  command -v autoreconf >/dev/null && command -v cmake >/dev/null && command -v g++ >/dev/null || {
    _sudo=""; [ "$(id -u)" = 0 ] || _sudo=sudo
    $_sudo apt-get install -y -q --no-install-recommends autoconf automake libtool cmake make g++ >/dev/null
  }
  rm -rf "$T/node" && cp -r "$PEERS/node" "$T/node"
  npm install --prefix "$T/node" --no-audit --no-fund --loglevel=error aws-lambda-ric@3.3.0 >&2
fi
if [ ! -x "$T/py/bin/python" ]; then
  python3 -m venv "$T/py"
  "$T/py/bin/pip" install -q --disable-pip-version-check awslambdaric==3.1.1 PyJWT==2.15.1 cryptography==50.0.2 >&2
fi
rm -rf "$T/python" && cp -r "$PEERS/python" "$T/python"
NODE="$(command -v node)"
cat > "$T/bootstrap-node" <<SH
#!/bin/sh
export LAMBDA_TASK_ROOT="$T/node"
cd "$T/node"
exec "$NODE" "$T/node/node_modules/aws-lambda-ric/bin/index.mjs" handler-aws.handler
SH
cat > "$T/bootstrap-python" <<SH
#!/bin/sh
export LAMBDA_TASK_ROOT="$T/python" PYTHONPATH="$T/python"
cd "$T/python"
exec "$T/py/bin/python" -m awslambdaric handler.handler
SH
chmod +x "$T/bootstrap-node" "$T/bootstrap-python"
# The bootstrap as deployed (the README's recipe).
cargo-lambda lambda build --profile lambda --x86-64 --quiet
TARGET="${CARGO_TARGET_DIR:-target}"
FIXTURE="$(mktemp -d)"
trap 'rm -rf "$FIXTURE"' EXIT
cargo run --quiet -p scopegate-lab -- fixture "$FIXTURE" --mode zipf --events 2000 --now wall >/dev/null
run() {
  python3 scripts/bench-runtime.py --fixture "$FIXTURE" --configs emf \
    --bootstrap scopegate="$TARGET/lambda/scopegate/bootstrap" \
    --bootstrap aws-jwt-verify="$T/bootstrap-node" \
    --bootstrap pyjwt="$T/bootstrap-python" \
    --invocations "$INVOCATIONS" --rounds "$ROUNDS" "$@"
}
echo "## full core"
run
if [ -w /sys/fs/cgroup/cpu ]; then
  echo "## 7.2 % of a core (128 MB)"
  run --cpu-percent 7.2 --invocations $(( INVOCATIONS / 5 ))
else
  echo "## 7.2 % of a core: no writable cgroup v1 cpu controller here; skipped" >&2
fi
