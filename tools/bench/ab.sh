#!/usr/bin/env bash
# Side-by-side check that a change did not slow the product down: builds the CLI at two commits and runs the same
# extract, train and score jobs with each, alternating A and B for N rounds (neither side always first), then prints
# each job's median wall and CPU (user+sys) seconds and the B/A ratios. CPU seconds are the steadier figure on a busy
# machine; wall seconds need an idle one.
#   tools/bench/ab.sh BASE [HEAD] [ROUNDS]      e.g. tools/bench/ab.sh e3e5178 HEAD 3
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SHARED=${ONNXTRANSFER_SHARED:-$REPO/../shared}
BASE=${1:?usage: tools/bench/ab.sh BASE [HEAD] [ROUNDS]}
HEAD=${2:-HEAD}
ROUNDS=${3:-3}
WORK=${ONNXTRANSFER_BENCH_WORK:-/tmp/onnxtransfer-ab}
IMAGES=$SHARED/datasets/hymenoptera
SPEC=$REPO/onnx-models/mobilenetv2-int8.backbone.json
rm -rf "$WORK" && mkdir -p "$WORK"

build() { # commit → folder with the built CLI
  local commit=$1 dir=$WORK/$2
  git -C "$REPO" worktree add -q --detach "$dir/src" "$commit"
  ln -s "$SHARED" "$dir/shared" 2>/dev/null || true
  dotnet build "$dir/src/src/OnnxTransfer.Cli" -c Release -nologo -clp:ErrorsOnly -v quiet >&2
}
cleanup() { git -C "$REPO" worktree remove --force "$WORK/a/src" 2>/dev/null || true; git -C "$REPO" worktree remove --force "$WORK/b/src" 2>/dev/null || true; }
trap cleanup EXIT
build "$BASE" a
build "$HEAD" b

timed() { # side job command… → appends "side job wall cpu" to the results
  local side=$1 job=$2; shift 2
  local TIMEFORMAT="%R %U %S" times
  times=$( { time "$@" >/dev/null 2>"$WORK/last.err"; } 2>&1 ) || { echo "$side $job failed:" >&2; cat "$WORK/last.err" >&2; exit 1; }
  echo "$times" | awk -v s="$side" -v j="$job" '{printf "%s %s %s %.2f\n", s, j, $1, $2+$3}' >> "$WORK/results.txt"
}
: > "$WORK/results.txt"
for round in $(seq "$ROUNDS"); do
  for side in $([ $((round % 2)) = 1 ] && echo "a b" || echo "b a"); do
    cli="dotnet $WORK/$side/src/src/OnnxTransfer.Cli/bin/Release/net10.0/onnxtransfer.dll"
    out=$WORK/$side/run$round
    timed $side extract $cli extract --backbone "$SPEC" --images "$IMAGES" --cache "$out/cache" --quiet
    timed $side train $cli train --cache "$out/cache" --l2 auto --out "$out/head.onnx"
    # Both sides score one fused model: a head's metadata holds its training time, so two heads are never the same bytes.
    [ -f "$WORK/fused.onnx" ] || $cli compose --backbone "$SPEC" --head "$out/head.onnx" --out "$WORK/fused.onnx" >/dev/null
    timed $side score $cli score --model "$WORK/fused.onnx" --input "$IMAGES" --out "$out/scores"
  done
done
# Same work, same bytes: the caches and scores of both sides must be identical, or the timing compares different jobs.
same() { cmp -s <(cd "$WORK/a/run1/$1" && find . -name '*.parquet' | sort | xargs sha256sum) <(cd "$WORK/b/run1/$1" && find . -name '*.parquet' | sort | xargs sha256sum); }
for output in cache scores; do
  if same $output; then echo "$output: identical parts (A vs B)"; else echo "$output: PARTS DIFFER between A and B" >&2; exit 1; fi
done
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(l => l.split(" "));
const median = xs => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log("job      A wall  B wall  B/A    A cpu   B cpu   B/A");
for (const job of ["extract", "train", "score"]) {
  const pick = (side, i) => lines.filter(l => l[0] === side && l[1] === job).map(l => +l[i]);
  const [aw, bw, ac, bc] = [median(pick("a", 2)), median(pick("b", 2)), median(pick("a", 3)), median(pick("b", 3))];
  console.log(`${job.padEnd(8)} ${aw.toFixed(1).padStart(6)} ${bw.toFixed(1).padStart(7)} ${(bw / aw).toFixed(2).padStart(5)}  ${ac.toFixed(1).padStart(6)} ${bc.toFixed(1).padStart(7)} ${(bc / ac).toFixed(2).padStart(5)}`);
}' "$WORK/results.txt"
