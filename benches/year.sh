#!/usr/bin/env bash
# Issue 13 item 3: a year of benches/year.toml (a 100 k chats/day tenant with
# full workflows), one thread, --no-sessions, each run beside the minimal
# M/M/20 loop (benches/reference-mmc) so the machine's state hits both alike.
# The target is a ratio: the year within 37x the reference's 10 M-chat time
# (and within 60 s absolute). Prints each round, the medians and the year's
# peak RSS (from /usr/bin/time, when installed). A round takes ~40 s.
#
# Usage: bash benches/year.sh [ROUNDS]            (default 3; from anywhere)
#        bash benches/year.sh 3 OTHER_BINARY      (alternate with another
#                                                  routesim build: A/B)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
other=${2:-}
source benches/common.sh
build_with_reference
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bins=("$BIN")
[ -n "$other" ] && bins+=("$other")
declare -A t
refs=""
printf '%-6s %12s' round "reference s"
for b in "${bins[@]}"; do printf ' %26s' "$(basename "$b") s (x ref)"; done
echo
for i in $(seq "$rounds"); do
  r=$(reference_times | sed -n 1p)
  refs+="$r "
  printf '%-6s %12s' "$i" "$r"
  for b in "${bins[@]}"; do
    y=$(wall "$b" run benches/year.toml -o "$tmp/out" --threads 1 --quiet --no-sessions)
    t[$b]+="$y "
    printf ' %26s' "$y ($(awk -v y="$y" -v r="$r" 'BEGIN { printf "%.1f", y / r }')x)"
  done
  echo
done
r=$(tr ' ' '\n' <<<"$refs" | grep . | median)
printf 'median %12s' "$r"
for b in "${bins[@]}"; do
  y=$(tr ' ' '\n' <<<"${t[$b]}" | grep . | median)
  printf ' %26s' "$y ($(awk -v y="$y" -v r="$r" 'BEGIN { printf "%.1f", y / r }')x)"
done
echo
echo "target: <= 37x the reference (here $(awk -v r="$r" 'BEGIN { printf "%.1f", 37 * r }') s) and <= 60 s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f "peak RSS of one more year: %M KB" \
    "$BIN" run benches/year.toml -o "$tmp/out" --threads 1 --quiet --no-sessions
fi
