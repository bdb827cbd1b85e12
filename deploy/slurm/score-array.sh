#!/bin/bash
# Batch scoring as a Slurm job array: task K of N runs `onnxtransfer score --shard K/N` into one shared folder.
#   sbatch deploy/slurm/score-array.sh                          (N = the array size below)
#   SCORE_MODEL=... SCORE_INPUT=... SCORE_OUT=... sbatch --array=0-7 deploy/slurm/score-array.sh
# Before the time limit Slurm sends SIGTERM (--signal): the shard finishes its part and exits 130, and the task is
# requeued; the rerun keeps the committed parts. Exit 2 (bad model/inputs/output) and 3 (too many bad inputs) are final.
#SBATCH --job-name=onnxtransfer-score
#SBATCH --array=0-3
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=04:00:00
#SBATCH --signal=TERM@180
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=onnxtransfer-score-%A_%a.log
set -uo pipefail

MODEL=${SCORE_MODEL:-/shared/models/fused.onnx}
INPUT=${SCORE_INPUT:-/shared/incoming}
# One folder per array job: every task (and every requeue of it) writes there.
OUT=${SCORE_OUT:-/shared/scores/${SLURM_ARRAY_JOB_ID}}
SHARDS=${SLURM_ARRAY_TASK_COUNT:?run this script with sbatch --array=0-(N-1)}
SHARD=${SLURM_ARRAY_TASK_ID}
# The CLI from deploy/Dockerfile on PATH, or e.g. ONNXTRANSFER="apptainer exec onnxtransfer.sif onnxtransfer".
ONNXTRANSFER=${ONNXTRANSFER:-onnxtransfer}

srun $ONNXTRANSFER score --model "$MODEL" --input "$INPUT" --out "$OUT" --shard "$SHARD/$SHARDS" \
  --max-errors 1% --threads "${SLURM_CPUS_PER_TASK:-1}" --decode-threads "${SLURM_CPUS_PER_TASK:-1}"
status=$?
case $status in
  0) echo "shard $SHARD/$SHARDS done: $OUT/_SUCCESS.shard-$SHARD-of-$SHARDS" ;;
  130) echo "shard $SHARD/$SHARDS interrupted; requeueing to continue"; scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}" ;;
  3) echo "shard $SHARD/$SHARDS: more bad inputs than --max-errors; the rows are in $OUT, error column says why" >&2 ;;
  *) echo "shard $SHARD/$SHARDS failed with exit code $status" >&2 ;;
esac
exit $status
