#!/usr/bin/env bash
# INIT of a bootstrap, offline: the median over RUNS runs of the time from
# exec to the first decision of `BINARY replay --coldstart ARGS…` (keys and
# permissions from files, one event). BENCHMARKS.md §20 records it.
#
#   scripts/init-median.sh BINARY RUNS REPLAY-ARGS…
set -euo pipefail
binary="$1"; runs="$2"; shift 2
times=()
for _ in $(seq "$runs"); do
  start="$(date +%s%N)"
  first="$("$binary" replay --coldstart "$@" 2>/dev/null | sed -n 's/.*first_decision_epoch_ns[":= ]*\([0-9]*\).*/\1/p')"
  [ -n "$first" ] || { echo "init-median.sh: no decision from $binary" >&2; exit 1; }
  times+=("$(( (first - start) / 1000 ))")
done
printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
