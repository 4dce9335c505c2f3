#!/usr/bin/env bash
# INIT against a real IdP on loopback (npm oidc-provider, tests/idp/provider.mjs):
# `scopegate replay --coldstart` with keys by OIDC discovery and jwt+introspect
# (the introspection endpoint discovered too), so start-up and the first
# decision make three requests to the same host (discovery, JWKS,
# introspection). Prints, over RUNS runs, the TCP connections the process
# opened to the IdP (strace) and the median time from exec to the first
# decision. BENCHMARKS.md §19 records it.
#
#   scripts/init-connections.sh [BINARY] [RUNS]   (BINARY: target/release/scopegate)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/test-deps.sh >/dev/null
binary="${1:-target/release/scopegate}"
runs="${2:-21}"
command -v strace >/dev/null || { echo "init-connections.sh: needs strace (apt-get install strace)" >&2; exit 1; }
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
OIDC_PROVIDER_PATH="$OIDC_PROVIDER_PATH" node tests/idp/provider.mjs "$port" >"$work/idp.log" 2>&1 &
idp=$!
trap 'kill $idp 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q ready "$work/idp.log" 2>/dev/null && break; sleep 0.1; done
issuer="http://127.0.0.1:$port"
token="$(curl -s -u svc:svc-secret -d grant_type=client_credentials -d scope=pets.read "$issuer/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
arn="arn:aws:execute-api:us-east-1:123456789012:abcdef1234"
printf '{"type":"TOKEN","authorizationToken":"Bearer %s","methodArn":"%s/prod/GET/pets"}\n' "$token" "$arn" >"$work/events.jsonl"
printf '[{"arn":"%s","resource":"pets","stage":"prod","httpVerb":"GET","scope":"pets.read"}]' "$arn" >"$work/permissions.json"
args=(replay --coldstart --issuer "$issuer" --audience api://scopegate --discover
  --permissions "$work/permissions.json"
  --set SCOPEGATE_MODE=jwt+introspect --set SCOPEGATE_INTROSPECTION_CLIENT_ID=svc
  --set SCOPEGATE_INTROSPECTION_CLIENT_SECRET=svc-secret --set SCOPEGATE_CLIENT_IDS=svc
  "$work/events.jsonl")
strace -f -qq -e trace=connect -o "$work/trace" "$binary" "${args[@]}" >"$work/first" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
connections="$(grep -c "sin_port=htons($port)" "$work/trace" || true)"
times=()
for _ in $(seq "$runs"); do
  start="$(date +%s%N)"
  first="$("$binary" "${args[@]}" 2>/dev/null | sed -n 's/.*first_decision_epoch_ns[":= ]*\([0-9]*\).*/\1/p')"
  times+=("$(( (first - start) / 1000 ))")
done
median="$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")"
echo "binary: $binary"
echo "requests to the IdP: discovery, JWKS, introspection; TCP connections opened: $connections"
echo "exec to first decision, median of $runs: $median us"
