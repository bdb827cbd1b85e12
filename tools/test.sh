#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing (tools/setup.sh --oracles --browser), builds in Release, runs every
# test project, names the skipped tests ("N skipped: ..."), and ends with one line "N passed, N failed". Extra arguments go to 'dotnet test' (e.g. --filter Name~Parquet).
# ONNXTRANSFER_SHARED overrides where the shared models and datasets are read from (default: ../shared).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
results=$REPO/artifacts/test-results
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

summary() { echo "$1 passed, $2 failed"; }

if ! tools/setup.sh --oracles --browser --slurm; then echo "set-up failed"; summary 0 1; exit 1; fi
if ! dotnet build OnnxTransfer.sln -c Release -nologo -clp:ErrorsOnly; then echo "build failed"; summary 0 1; exit 1; fi

rm -rf "$results"
dotnet test OnnxTransfer.sln -c Release --no-build -nologo --logger trx --results-directory "$results" "$@"
rc=$?

passed=0 failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters"); t=$(sed -n 's/.* timeout="\([0-9]*\)".*/\1/p' <<<"$counters")
  a=$(sed -n 's/.* aborted="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
done
# Skipped tests are named (only ones that need a GPU or a quiet machine may be), so a skip never hides.
skipped=$(cat "$results"/*.trx 2>/dev/null | grep -o '<UnitTestResult [^>]*outcome="NotExecuted"[^>]*>' | sed -n 's/.* testName="\([^"]*\)".*/\1/p' | sort)
echo "$(grep -c . <<<"$skipped") skipped${skipped:+: $(paste -sd, - <<<"$skipped" | sed 's/,/, /g')}"
# A crashed test host can leave no failure behind in any .trx; the exit code still tells.
if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then echo "dotnet test exited with $rc"; failed=1; fi
summary $passed $failed
[ $failed -eq 0 ]
