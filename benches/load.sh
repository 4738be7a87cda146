#!/usr/bin/env bash
# Load-tester benchmark: the saturation search (`--find-max`) on
# benches/load.toml with one tenant and with two, then a fixed-rate confirmation at the 50k decisions/s
# target. Results go to results/bench-load/ (ignored by git); copy the
# figures into results/BENCHMARKS.md under "## Load tester".
#
# Latency tails depend on the machine being otherwise idle: on a shared
# 2-core box other processes' compilations show up as multi-ms timer lag.
# The script waits (up to 2 min) for one second of >= 90 % idle CPU before
# each measurement and prints the load average with every result.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
BIN=./target/release/routesim
OUT=results/bench-load
SCALE=${SCALE:-10}

wait_quiet() {
  for _ in $(seq 120); do
    read -r -a a < /proc/stat; sleep 1; read -r -a b < /proc/stat
    local tot=0
    for k in 1 2 3 4 5 6 7 8; do tot=$((tot + b[k] - a[k])); done
    [ $(((b[4] - a[4]) * 100 / tot)) -ge 90 ] && return 0
  done
  echo "warning: the machine stayed busy; figures include other processes' load" >&2
}

echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
wait_quiet
for n in 1 2; do
  wait_quiet
  echo "== saturation search: $BIN load benches/load.toml --time-scale $SCALE --find-max --tenants $n -o $OUT/find-max-$n"
  $BIN load benches/load.toml --time-scale "$SCALE" --find-max --tenants "$n" -o "$OUT/find-max-$n"
  echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done

# 200/s x 12.5 x 10 = 25,000 arrivals per wall second = ~50,000 decisions/s.
for rs in 12.5 15; do
  wait_quiet
  echo "== fixed rate: $BIN load benches/load.toml --time-scale $SCALE --rate-scale $rs --duration 10s --no-sessions -o $OUT/rate-$rs -q"
  $BIN load benches/load.toml --time-scale "$SCALE" --rate-scale "$rs" --duration 10s --no-sessions -o "$OUT/rate-$rs" -q
  grep -E '^\*,(offered|decisions_per_s|events_per_s|decision_p50_us|decision_p99_us|decision_max_us|timer_lag_p99_ms|late_arrivals|dropped_arrivals),' "$OUT/rate-$rs/summary.csv" | cut -d, -f2,3
  echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
