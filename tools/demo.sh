#!/usr/bin/env bash
# The main job, end to end, on the shared hymenoptera images (ants vs bees) with the shared MobileNetV2-int8:
# extract embeddings once into a Parquet cache → train a softmax and an MLP head on it → evaluate them → compose
# backbone + head into one ONNX model → predict a few images → score the val split in 2 shards, as a scheduler would.
# Installs what it needs (tools/setup.sh), builds the CLI into artifacts/onnxtransfer/, and is safe to rerun: the
# cache is continued (nothing is extracted twice), everything else is rewritten.
#   ONNXTRANSFER_SHARED     where the shared models/datasets are (default: ../shared beside the repository)
#   ONNXTRANSFER_DEMO_DIR   where the demo writes (default: artifacts/demo)
# Without a shared folder (ONNXTRANSFER_SHARED unset and no ../shared) the demo fetches the model and the images once
# with `onnxtransfer fetch-demo-data` (about 50 MB from GitHub and download.pytorch.org, sha256-verified, resumable):
#   ONNXTRANSFER_DEMO_DATA  where they go (default: $ONNXTRANSFER_HOME, else ~/.local/share/onnxtransfer)
#   ONNXTRANSFER_DATA_MIRROR  a base URL or folder holding mobilenetv2_int8_static.onnx and hymenoptera_data.zip instead
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${ONNXTRANSFER_DEMO_DIR:-$REPO/artifacts/demo}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ -n "${ONNXTRANSFER_SHARED:-}" ] && [ ! -d "$ONNXTRANSFER_SHARED" ]; then
  echo "demo.sh: ONNXTRANSFER_SHARED=$ONNXTRANSFER_SHARED is not a folder; point it at the shared folder, or unset it to fetch the demo data" >&2
  exit 1
fi

"$REPO/tools/setup.sh"
echo "[demo] building the onnxtransfer CLI into artifacts/onnxtransfer/"
dotnet publish "$REPO/src/OnnxTransfer.Cli" -c Release -o "$REPO/artifacts/onnxtransfer" -nologo -v quiet -clp:ErrorsOnly
onnxtransfer() { "$REPO/artifacts/onnxtransfer/onnxtransfer" "$@"; }

if [ -n "${ONNXTRANSFER_SHARED:-}" ]; then SHARED=$(cd "$ONNXTRANSFER_SHARED" && pwd)
elif [ -d "$REPO/../shared" ]; then SHARED=$(cd "$REPO/../shared" && pwd)
else
  echo "[demo] no shared folder (ONNXTRANSFER_SHARED is unset and there is no ../shared): the demo needs the MobileNetV2-int8"
  echo "[demo] model and the hymenoptera images; fetching them (once, verified) with onnxtransfer fetch-demo-data${ONNXTRANSFER_DATA_MIRROR:+ from $ONNXTRANSFER_DATA_MIRROR}"
  SHARED=$(onnxtransfer fetch-demo-data ${ONNXTRANSFER_DEMO_DATA:+--to "$ONNXTRANSFER_DEMO_DATA"})
fi
export ONNXTRANSFER_SHARED=$SHARED   # the backbone spec's model path reads it
json() { node -e "const j=JSON.parse(require('fs').readFileSync(0,'utf8')); const v=($1); console.log(typeof v==='number'?+v.toFixed(4):v)"; }

mkdir -p "$WORK"
cd "$WORK"
SPEC=$REPO/onnx-models/mobilenetv2-int8.backbone.json
IMAGES=$SHARED/datasets/hymenoptera

echo "[demo] 1/6 extract: $IMAGES → cache/"
onnxtransfer extract --backbone "$SPEC" --images "$IMAGES" --cache cache --json --quiet > extract.json
onnxtransfer cache info cache

echo "[demo] 2/6 train: softmax (C by 5-fold cross-validation on train) and MLP, evaluated on val"
onnxtransfer train --cache cache --head softmax --out head-softmax.onnx --report report/softmax.html --json > train-softmax.json
onnxtransfer train --cache cache --head mlp --hidden 256 --out head-mlp.onnx --report report/mlp.html --json > train-mlp.json

echo "[demo] 3/6 evaluate both heads on val"
onnxtransfer evaluate --cache cache --head head-softmax.onnx --split val --json > eval-softmax.json
onnxtransfer evaluate --cache cache --head head-mlp.onnx --split val --json > eval-mlp.json

echo "[demo] 4/6 compose backbone + softmax head into fused.onnx"
onnxtransfer compose --backbone "$SPEC" --head head-softmax.onnx --out fused.onnx

echo "[demo] 5/6 predict three val images"
onnxtransfer predict --model fused.onnx "$IMAGES/val/ants/10308379_1b6c72e180.jpg" \
  "$IMAGES/val/bees/10870992_eebeeb3a12.jpg" "$IMAGES/val/bees/1181173278_23c36fac71.jpg"

echo "[demo] 6/6 score the val split in 2 shards (as 2 workers of a Kubernetes Indexed Job or Slurm array would)"
rm -rf scores
for shard in 0/2 1/2; do onnxtransfer score --model fused.onnx --input "$IMAGES/val" --out scores --shard $shard 2> "score-${shard%/*}.log"; done
onnxtransfer parquet cat scores --columns label,true_label,error > scores.jsonl

accuracy() { json "j.metrics.find(m => m.split === 'val').accuracy"; }
fit_seconds() { json "j.seconds"; }
scored=$(wc -l < scores.jsonl)
score_accuracy=$(node -e "const rows=require('fs').readFileSync('scores.jsonl','utf8').trim().split('\n').map(JSON.parse);
  const ok=rows.filter(r=>!r.error); console.log((ok.filter(r=>r.label===r.true_label).length/ok.length).toFixed(4))")

extracted=$(json "j.embedded + ' new embeddings, ' + j.already_cached + ' already cached, ' + j.failed + ' failed (dim ' + j.dim + ')'" < extract.json)
speed=$(json "j.embedded > 0 ? j.images_per_second.toFixed(1) + ' images/s' : 'nothing left to extract: the cache was reused'" < extract.json)

cat <<SUMMARY

== OnnxTransfer demo: hymenoptera (ants vs bees), MobileNetV2-int8 backbone ==
extract   $extracted; $speed
train     softmax: val accuracy $(accuracy < train-softmax.json), $(fit_seconds < train-softmax.json) s including the 45-value C search
train     mlp [256]: val accuracy $(accuracy < train-mlp.json), $(fit_seconds < train-mlp.json) s
evaluate  softmax head on val: $(accuracy < eval-softmax.json); mlp head on val: $(accuracy < eval-mlp.json)
score     $scored val images in 2 shards, accuracy against the folder labels $score_accuracy
artifacts $WORK/cache (Parquet embedding cache), head-softmax.onnx, head-mlp.onnx, fused.onnx, scores/
report    $WORK/report/softmax.html and $WORK/report/mlp.html (open in a browser; no network needed)
SUMMARY
