#!/usr/bin/env bash
# routesim on a Slurm cluster: one array task per shard, then one merge job.
#
# Submit from the folder that holds the scenario (paths are relative to it):
#
#   N=8
#   jid=$(sbatch --parsable --array=0-$((N-1)) \
#           --export=ALL,SCENARIO=scenarios/mmc.toml,OUT=results/mmc-shards \
#           docs/examples/slurm-shards.sh)
#   sbatch --dependency=afterok:$jid --job-name=routesim-merge \
#          --wrap "routesim merge results/mmc-shards/shard-* -o results/mmc"
#
# The array size is the shard count: task I runs the replications r with
# r % N == I. Each replication's seed depends on (seed, r) only, so the merge
# is byte-identical to one unsharded `routesim run`, whatever N is.
#
#SBATCH --job-name=routesim-shard
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
#SBATCH --output=routesim-%A_%a.out
set -euo pipefail

: "${SCENARIO:?set SCENARIO to the scenario file}"
: "${OUT:?set OUT to the folder for the shard results}"
I=${SLURM_ARRAY_TASK_ID:?run this as a job array (sbatch --array=0-N)}
N=${SLURM_ARRAY_TASK_COUNT:?run this as a job array (sbatch --array=0-N)}

# Exit code 1 means a threshold failed on this shard's replications alone;
# the results are written and the verdict that counts is the merge's.
routesim run "$SCENARIO" --shard "$I/$N" --threads "${SLURM_CPUS_PER_TASK:-1}" \
  -o "$OUT/shard-$I" --quiet || [ $? -eq 1 ]
