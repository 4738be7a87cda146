#!/usr/bin/env bash
# routesim on one machine or over ssh with GNU parallel: N shards, then merge.
# Usage: docs/examples/parallel-shards.sh SCENARIO OUT [N]
# (add `-S host1,host2` to parallel to spread the shards over machines that
# share the OUT folder).
set -euo pipefail
SCENARIO=${1:?usage: parallel-shards.sh SCENARIO OUT [N]}
OUT=${2:?usage: parallel-shards.sh SCENARIO OUT [N]}
N=${3:-4}

# The one-liner: exit code 1 of a shard (a threshold failed on its
# replications alone) still wrote its results; the merge gives the verdict.
parallel --halt now,fail=1 "routesim run '$SCENARIO' --shard {}/$N --threads 1 -o '$OUT/shards/{}' --quiet || [ \$? -eq 1 ]" ::: $(seq 0 $((N - 1))) \
  && routesim merge "$OUT"/shards/* -o "$OUT/merged"
