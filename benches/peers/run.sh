#!/usr/bin/env bash
# Peers side by side: SimPy and Ciw (pinned, installed into benches/peers/.venv
# on first use) and routesim on the identical M/M/20 model at 90 % load, without
# and with exponential patience (M/M/20+M), one thread each, the same warm-up,
# length and replications. Prints chats simulated per second and routesim's
# ratio to each peer, and P(wait), mean wait and P(abandon) as mean ± 95 %
# confidence half-width over the replications, so the three can be seen to agree.
#
# Usage: bash benches/peers/run.sh [HOURS] [REPLICATIONS]   (default 50 h, 5)
# routesim also runs 20x the hours (its speed is measured over a longer run; its
# statistics are reported from the same-length run as the peers').
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
hours=${1:-50}
reps=${2:-5}
SIMPY=4.1.2
CIW=3.2.7
venv=$here/.venv
if ! "$venv/bin/python" -c "import simpy, ciw; assert simpy.__version__ == '$SIMPY' and ciw.__version__ == '$CIW'" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "simpy==$SIMPY" "ciw==$CIW"
fi
cargo build --release --locked -q
bin=target/release/routesim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# routesim: benches/mmc20.toml with the peers' warm-up, length and seeds.
scenario() { # $1 = patience seconds or "none"
  sed -e 's|^duration = .*|duration = "1h"\nwarmup = "1h"|' benches/mmc20.toml >"$tmp/m.toml"
  if [ "$1" != none ]; then
    sed -i "s|^handle_time = .*|&\npatience = { dist = \"exponential\", mean = \"${1}s\" }|" "$tmp/m.toml"
  fi
}
routesim_json() { # $1 = hours: one JSON line like peers.py's
  local s e
  s=$(date +%s.%N)
  "$bin" run "$tmp/m.toml" -o "$tmp/out" --threads 1 --quiet --no-sessions \
    --set "simulation.duration=${1}h" --replications "$reps"
  e=$(date +%s.%N)
  awk -F, -v s="$s" -v e="$e" '
    $1 == "*" { v[$2] = $3; h[$2] = $4 }
    END { printf "{\"engine\": \"routesim\", \"chats\": %d, \"seconds\": %.3f, \"p_wait\": [%s, %s], \"mean_wait_s\": [%s, %s], \"p_abandon\": [%s, %s]}\n",
            v["queued"] * '"$reps"', e - s, v["p_wait"], h["p_wait"], v["mean_wait_s"], h["mean_wait_s"],
            v["p_abandon"] == "" ? 0 : v["p_abandon"], h["p_abandon"] == "" ? 0 : h["p_abandon"] }' \
    "$tmp/out/summary.csv"
}

printf 'load average %s; %s h (after a 1 h warm-up) x %s replications per engine\n' \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$hours" "$reps"
for pat in none 120; do
  scenario "$pat"
  {
    "$venv/bin/python" "$here/peers.py" simpy "$hours" "$reps" ${pat/none/}
    "$venv/bin/python" "$here/peers.py" ciw "$hours" "$reps" ${pat/none/}
    routesim_json "$hours"
    routesim_json "$((hours * 20))" | sed 's/"routesim"/"routesim-long"/'
  } >"$tmp/res.jsonl"
  "$venv/bin/python" - "$tmp/res.jsonl" "$pat" <<'PY'
import json, sys
rows = {r["engine"]: r for r in map(json.loads, open(sys.argv[1]))}
speed = {k: r["chats"] / r["seconds"] for k, r in rows.items()}
fast = speed["routesim-long"]
model = "M/M/20" if sys.argv[2] == "none" else f"M/M/20+M (patience {sys.argv[2]} s)"
print(f"\n{model}")
print(f"{'engine':10} {'chats/s':>12} {'routesim x':>11}  {'P(wait)':>18} {'mean wait s':>18} {'P(abandon)':>18}")
for k in ("simpy", "ciw", "routesim"):
    r = rows[k]
    ratio = fast / speed[k] if k != "routesim" else 1.0
    cells = "".join(f" {r[m][0]:>9.4f} ±{r[m][1]:>7.4f}" for m in ("p_wait", "mean_wait_s", "p_abandon"))
    chats = fast if k == "routesim" else speed[k]
    print(f"{k:10} {chats:>12,.0f} {ratio:>11.1f} {cells}")
PY
done
