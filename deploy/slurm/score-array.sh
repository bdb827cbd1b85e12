#!/bin/bash
# Batch scoring as a Slurm job array: task K of N runs `onnxtransfer score --shard K/N` into one shared folder.
#   SHARDS=8 SCORE_MODEL=... SCORE_INPUT=... SCORE_OUT=... sbatch --array=0-7 deploy/slurm/score-array.sh
#   SHARDS=8 ... sbatch --array=2 deploy/slurm/score-array.sh          (rerun shard 2 of 8 only)
# Before the time limit Slurm signals the batch shell (--signal=B:TERM@LEAD): the shard finishes its part (or stops at
# once after GRACE seconds), exits 130 and the task is requeued; the rerun keeps the committed parts. Exit 2 (bad
# model/inputs/output) and 3 (too many bad inputs) are final. Size --rows-per-part so one part takes well under GRACE.
# --cpus-per-task: 4–8 per task on CPU (passed on as --threads/--decode-threads); more small tasks beat few big ones.
#SBATCH --job-name=onnxtransfer-score
#SBATCH --array=0-3
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --signal=B:TERM@300
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=onnxtransfer-score-%A_%a.log
set -uo pipefail
SHARDS=${SHARDS:-4}
source "$(dirname "$(scontrol show job "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/^ *Command=\(.*\)$/\1/p' | head -1)")/array-common.sh" 2>/dev/null \
  || source "${ONNXTRANSFER_DEPLOY:-$PWD/deploy/slurm}/array-common.sh"

MODEL=${SCORE_MODEL:-/shared/models/fused.onnx}
INPUT=${SCORE_INPUT:-/shared/incoming}
# One folder per array job: every task (and every requeue of it) writes there.
OUT=${SCORE_OUT:-/shared/scores/${SLURM_ARRAY_JOB_ID}}
CPUS=${SLURM_CPUS_PER_TASK:-1}

run_shard score --model "$MODEL" --input "$INPUT" --out "$OUT" --shard "$SHARD/$SHARDS" \
  --max-errors 1% --rows-per-part "${ROWS_PER_PART:-2048}" --threads "$CPUS" --decode-threads "$CPUS" ${SCORE_OPTIONS:-}
