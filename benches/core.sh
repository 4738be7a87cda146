#!/usr/bin/env bash
# Engine benchmark: M/M/200 at 90 % load (benches/mmc200.toml) and the full
# distribution algorithm (benches/full500.toml: 500 agents, 3 services,
# shifts, skills, RONA, ACW), one replication on one thread. Prints median
# simulated tasks/s and events/s over 5 runs, with and without sessions.csv,
# and peak RSS of a 10 h and a 100 h M/M/200 run (memory must not grow with
# run length: output is streamed).
# Usage: bash benches/core.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/common.sh
cargo build --release --quiet
bin=$BIN
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # $1 = scenario, $2 = label, rest = extra flags
  local scn=$1 label=$2; shift 2
  local tps=() eps=()
  for i in 1 2 3 4 5; do
    line=$($bin run "$scn" -o "$out/$label" --threads 1 "$@" | head -1)
    # "<name>: 1 replication, seed 1, T tasks, E events in S s"
    tasks=$(sed -E 's/.* ([0-9]+) tasks.*/\1/' <<<"$line")
    events=$(sed -E 's/.* ([0-9]+) events.*/\1/' <<<"$line")
    secs=$(sed -E 's/.* in ([0-9.]+)s$/\1/' <<<"$line")
    tps+=("$(awk -v t="$tasks" -v s="$secs" 'BEGIN{printf "%.0f", t/s}')")
    eps+=("$(awk -v t="$events" -v s="$secs" 'BEGIN{printf "%.0f", t/s}')")
  done
  printf '%-22s tasks/s median %10s   events/s median %10s   (tasks per run %s)\n' \
    "$label" "$(printf '%s\n' "${tps[@]}" | median)" "$(printf '%s\n' "${eps[@]}" | median)" "$tasks"
}

measure benches/mmc200.toml mmc200-no-sessions --no-sessions
measure benches/mmc200.toml mmc200-sessions
measure benches/full500.toml full500-no-sessions --no-sessions
measure benches/full500.toml full500-sessions

rss() { /usr/bin/time -f %M "$bin" run benches/mmc200.toml -o "$out/mem" --threads 1 --quiet --set "simulation.duration=$1" 2>&1 >/dev/null | tail -1; }
short=$(rss 10h); long=$(rss 100h)
printf 'peak RSS: 10h run %s KiB, 100h run %s KiB, ratio %.2f\n' "$short" "$long" "$(awk -v a="$long" -v b="$short" 'BEGIN{print a/b}')"
