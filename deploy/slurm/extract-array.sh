#!/bin/bash
# Embedding extraction as a Slurm job array: task K of N runs `onnxtransfer extract --shard K/N` into one cache
# folder; the cache is complete when all N shards finished (`onnxtransfer cache info` / the _SUCCESS.shard-* files).
#   SHARDS=8 EXTRACT_SPEC=... EXTRACT_IMAGES=... EXTRACT_CACHE=... sbatch --array=0-7 deploy/slurm/extract-array.sh
#   SHARDS=8 ... sbatch --array=2 deploy/slurm/extract-array.sh        (rerun shard 2 of 8 only)
# --cpus-per-task: the model's threads and the decoders share them. On CPU give 4–8 per task and pass them on as
# --threads/--decode-threads (below); more tasks of 4 CPUs beat fewer of 32. With a GPU (--device cuda), 4–8 CPUs
# feed one GPU's decoding.
#SBATCH --job-name=onnxtransfer-extract
#SBATCH --array=0-3
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --signal=B:TERM@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=onnxtransfer-extract-%A_%a.log
set -uo pipefail
SHARDS=${SHARDS:-4}
source "$(dirname "$(scontrol show job "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/^ *Command=\(.*\)$/\1/p' | head -1)")/array-common.sh" 2>/dev/null \
  || source "${ONNXTRANSFER_DEPLOY:-$PWD/deploy/slurm}/array-common.sh"

SPEC=${EXTRACT_SPEC:-/shared/models/mobilenetv2-int8.backbone.json}
IMAGES=${EXTRACT_IMAGES:-/shared/images}
CACHE=${EXTRACT_CACHE:-/shared/caches/${SLURM_ARRAY_JOB_ID}}
CPUS=${SLURM_CPUS_PER_TASK:-1}

# --part-seconds commits at least every PART_SECONDS, well inside the signal lead time: a hard kill loses less.
run_shard extract --backbone "$SPEC" --images "$IMAGES" --cache "$CACHE" --shard "$SHARD/$SHARDS" \
  --part-seconds "${PART_SECONDS:-120}" --threads "$CPUS" --decode-threads "$CPUS" --quiet ${EXTRACT_OPTIONS:-}
