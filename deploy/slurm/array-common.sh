# Sourced by extract-array.sh and score-array.sh: runs one shard of an onnxtransfer command in the background of the
# batch shell, forwards Slurm's warning signal to it and requeues the array task when it was interrupted.
#
# Why the batch shell: `#SBATCH --signal=B:TERM@LEAD` signals this shell only (not srun's steps), so the trap below
# always runs — the requeue happens even when the time limit arrives in the middle of a part. The first TERM asks the
# command to stop cleanly (extract commits the rows finished so far; score finishes the part in progress); if it has
# not exited after GRACE seconds a second TERM stops it at once (the part in progress is recomputed by the requeued
# task). Choose LEAD > GRACE + a minute, and --part-seconds / --rows-per-part so a part takes less than GRACE.

# N is fixed by SHARDS, not by the array's size: `sbatch --array=2 …` reruns shard 2 of the same N.
SHARDS=${SHARDS:?set SHARDS to the number of shards (the N of --array=0-(N-1))}
SHARD=${SLURM_ARRAY_TASK_ID:?run this script with sbatch --array=0-$((SHARDS - 1))}
GRACE=${GRACE:-120}
ONNXTRANSFER=${ONNXTRANSFER:-onnxtransfer}
TASK="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
if [ "$SHARD" -ge "$SHARDS" ]; then echo "array index $SHARD is outside SHARDS=$SHARDS" >&2; exit 1; fi

run_shard() { # run_shard ARGS... : the onnxtransfer command line for shard $SHARD/$SHARDS
  $ONNXTRANSFER "$@" &
  child=$!
  stopping=0
  on_term() {
    stopping=1
    echo "shard $SHARD/$SHARDS: SIGTERM from Slurm; asking onnxtransfer to stop (at once after ${GRACE}s)"
    kill -TERM "$child" 2>/dev/null
    ( sleep "$GRACE"; kill -TERM "$child" 2>/dev/null ) &
  }
  trap on_term TERM
  # `wait` returns early (status > 128) when the trap runs: wait again until the command itself has exited.
  while :; do
    wait "$child"; status=$?
    kill -0 "$child" 2>/dev/null || break
  done
  trap - TERM
  case $status in
    0) echo "shard $SHARD/$SHARDS done" ;;
    130|137|143)
      echo "shard $SHARD/$SHARDS interrupted (exit $status); requeueing $TASK to continue"
      scontrol requeue "$TASK" ;;
    3) echo "shard $SHARD/$SHARDS: more bad inputs than --max-errors; every row is written, the error column says why" >&2 ;;
    *) echo "shard $SHARD/$SHARDS failed with exit code $status (1 usage, 2 model/input/output: fix and resubmit)" >&2 ;;
  esac
  [ $stopping = 1 ] && [ "$status" = 130 ] && exit 0 # requeued: this attempt ends cleanly
  exit "$status"
}
