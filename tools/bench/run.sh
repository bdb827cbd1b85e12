#!/usr/bin/env bash
# The benchmark suite: every benchmark of the project and its peers, one process per measurement, run one after the
# other on this machine, then a Markdown table and a JSON file with the ratios in tools/bench/results/.
#   tools/bench/run.sh              everything
#   tools/bench/run.sh runtime      only the named suites (runtime parquet extract train inference score text)
# The machine should be otherwise idle: every process here competes for the same cores.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
SHARED=${ONNXTRANSFER_SHARED:-$REPO/../shared}
WORK=${ONNXTRANSFER_BENCH_WORK:-/tmp/onnxtransfer-bench}
RESULTS=$REPO/tools/bench/results
mkdir -p "$WORK" "$RESULTS"
suites=${*:-runtime parquet}

tools/setup.sh --bench
dotnet build tools/bench/OnnxTransfer.Bench -c Release -nologo -clp:ErrorsOnly -v quiet
BENCH="dotnet $REPO/tools/bench/OnnxTransfer.Bench/bin/Release/net10.0/onnxtransfer-bench.dll"
PY=/usr/bin/python3
RAW=$WORK/raw.jsonl
: > "$RAW"
record() { "$@" | tee -a "$RAW"; }

# A head trained on the shared MobileNetV2's hymenoptera embeddings and the fused model composed from it, made once
# with the CLI (extract, train, compose), for the inference and score suites.
SPEC=$REPO/onnx-models/mobilenetv2-int8.backbone.json
HEAD=$WORK/inference/head.onnx
FUSED=$WORK/inference/fused.onnx
prepare_head() {
  [ -f "$FUSED" ] && return
  export ONNXTRANSFER_SHARED=$SHARED
  dotnet build src/OnnxTransfer.Cli -c Release -nologo -clp:ErrorsOnly -v quiet
  local cli="dotnet $REPO/src/OnnxTransfer.Cli/bin/Release/net10.0/onnxtransfer.dll"
  mkdir -p "$WORK/inference"
  $cli extract --backbone "$SPEC" --images "$SHARED/datasets/hymenoptera" --cache "$WORK/inference/cache" --quiet >&2
  $cli train --cache "$WORK/inference/cache" --l2 0.01 --out "$HEAD" >&2
  $cli compose --backbone "$SPEC" --head "$HEAD" --out "$FUSED" >&2
}

for suite in $suites; do
  echo "== $suite" >&2
  case $suite in
    runtime)
      model=$SHARED/models/mobilenetv2-int8/model.onnx
      for batch in 1 32; do
        iterations=$([ $batch = 1 ] && echo 300 || echo 40)
        record $BENCH runtime --model "$model" --batch $batch --iterations $iterations --warmup 20 --label mobilenetv2-int8
        record node tools/bench/peers/ort_node.mjs --model "$model" --batch $batch --iterations $iterations --warmup 20 --label mobilenetv2-int8
      done ;;
    parquet)
      record $BENCH parquet-write --out "$WORK/parquet" --rows 100000 --features "$SHARED/reference/tensors"
      for codec in uncompressed zstd; do
        file=$WORK/parquet/embeddings-$codec.parquet
        record $BENCH parquet-read --file "$file" --iterations 5 --label "100000 x 1280 $codec"
        record node tools/bench/peers/duckdb_read.mjs --file "$file" --iterations 5 --label "100000 x 1280 $codec"
      done ;;
    inference)
      prepare_head
      for batch in 1 32; do
        for impl in backbone fused chained; do
          record $BENCH inference --impl $impl --backbone "$SPEC" --head "$HEAD" --fused "$FUSED" \
            --images "$SHARED/datasets/hymenoptera/val" --batch $batch --label mobilenetv2-int8
        done
      done ;;
    score)
      prepare_head
      for impl in extract score; do
        record $BENCH score --impl $impl --backbone "$SPEC" --fused "$FUSED" --images "$SHARED/datasets/hymenoptera" \
          --work "$WORK/score" --batch 32 --runs 3 --label hymenoptera
      done ;;
    *) echo "unknown suite '$suite'" >&2; exit 1 ;;
  esac
done

node tools/bench/report.mjs "$RAW" "$RESULTS" > /dev/null
echo "results: $RESULTS/latest.md" >&2
