#!/usr/bin/env bash
# Side-by-side speed: routesim against a minimal hand-written M/M/c loop
# (benches/reference-mmc: one binary heap, no routing, no output), the
# practical limit of one core for this model. Both run the same M/M/20 at
# 90 % load (benches/mmc20.toml, ~10 M chats) in the same script run, one
# thread, alternating, so the machine's load hits both alike: compare the
# ratios, not the absolute times.
#
# Per model (M/M/20, and M/M/20+M with 120 s mean patience) it prints the
# median process wall time of routesim with --no-sessions, with sessions.csv
# and with sessions.csv.zst (--zstd), the reference loop's median time for the same model, and
# routesim's speed as a fraction of the reference (reference s / routesim s).
#
# Usage: bash benches/vs_reference.sh [ROUNDS]     (default 3; from anywhere)
#        SESSIONS=0 bash benches/vs_reference.sh   (skip the sessions.csv runs)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
source benches/common.sh
build_with_reference
ref=$REF
bin=$BIN
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cp benches/mmc20.toml "$tmp/mmc.toml"
sed 's|^handle_time = .*|&\npatience = { dist = "exponential", mean = "120s" }|' \
  benches/mmc20.toml >"$tmp/mmc-patience.toml"

declare -A t
for i in $(seq "$rounds"); do
  mapfile -t lines < <(reference_times)
  t[ref-mmc]+="${lines[0]} "
  t[ref-mmc-patience]+="${lines[1]} "
  for m in mmc mmc-patience; do
    t[$m-nosess]+="$(wall "$bin" run "$tmp/$m.toml" -o "$tmp/out" --threads 1 --quiet --no-sessions) "
    if [ "${SESSIONS:-1}" != 0 ]; then
      t[$m-sess]+="$(wall "$bin" run "$tmp/$m.toml" -o "$tmp/out" --threads 1 --quiet) "
      rm -rf "$tmp/out"
      t[$m-zstd]+="$(wall "$bin" run "$tmp/$m.toml" -o "$tmp/out" --threads 1 --quiet --zstd) "
      rm -rf "$tmp/out"
    fi
  done
done

chats=$(awk '/^duration/ { gsub(/[^0-9]/, "", $3); d = $3 } /^replications/ { r = $3 }
  END { printf "%.0f", d * 3600 * 0.3 * r }' benches/mmc20.toml)
printf 'M/M/20 at 90 %%, %s rounds, ~%s chats per run, one thread; load average %s\n' \
  "$rounds" "$chats" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %-22s %10s %12s %18s\n' model run "median s" "M chats/s" "x reference"
for m in mmc mmc-patience; do
  r=$(tr ' ' '\n' <<<"${t[ref-$m]}" | grep . | median)
  printf '%-14s %-22s %10s %12.2f %18s\n' "$m" "reference loop" "$r" \
    "$(awk -v r="$r" 'BEGIN { print 10 / r }')" "1"
  for k in nosess sess zstd; do
    [ -n "${t[$m-$k]:-}" ] || continue
    v=$(tr ' ' '\n' <<<"${t[$m-$k]}" | grep . | median)
    case $k in
      nosess) label="routesim --no-sessions" ;;
      sess) label="routesim sessions.csv" ;;
      zstd) label="routesim --zstd" ;;
    esac
    printf '%-14s %-22s %10s %12.2f %18.3f\n' "$m" "$label" "$v" \
      "$(awk -v c="$chats" -v v="$v" 'BEGIN { print c / v / 1e6 }')" \
      "$(awk -v r="$r" -v v="$v" 'BEGIN { print r / v }')"
  done
done
echo "all times (s): $(for k in "${!t[@]}"; do printf '%s=[%s] ' "$k" "${t[$k]% }"; done)"
