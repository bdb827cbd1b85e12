#!/usr/bin/env bash
# The GPU suite (issue 14): on one CUDA machine, same images, same model, same batch, images/s of
#   ours            onnxtransfer extract --device cuda (fixed batch shapes, cuDNN exhaustive search, IOBinding with
#                   pinned host buffers: the CUDA defaults), and beside it the same run with --io-binding off
#   ours (score)    onnxtransfer score --device cuda of a fused model (the backbone + a softmax head trained on the
#                   measured cache) over the same images: the acceptance asks score ≥ 0.9 × extract
#   pytorch         ../shared/gpu/torch_peer.py: PIL + torchvision transforms, DataLoader (WORKERS workers, pinned memory)
#   backbone alone  PyTorch's model on random batches (torch_peer.py's second figure), and ONNX Runtime's python
#                   CUDA session on random batches when the onnxruntime-gpu module is there
#   decode alone    our decoder alone (onnxtransfer-bench extract --impl decode), when a bench binary is given
# for ResNet-50 and MobileNetV2 fp32 (torchvision, random weights, exported here), as a Markdown table with ratios.
#   tools/bench/gpu.sh                       prints "no CUDA: skipped" and exits 0 where no NVIDIA GPU is visible
# Environment: ONNXTRANSFER_CLI (default: the Release build through dotnet; on the device machine, which has no .NET,
# the NativeAOT GPU publish), ONNXTRANSFER_BENCH_BIN (optional, for decode alone), ONNXTRANSFER_SHARED, GPU_IMAGES
# (a folder; default the shared hymenoptera val set), GPU_REPEAT (default 40: 6,120 images), GPU_BATCH (64),
# GPU_WORKERS (default nproc), GPU_OUT (default tools/bench/results/gpu.md).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SHARED=${ONNXTRANSFER_SHARED:-$REPO/../shared}
if ! command -v nvidia-smi > /dev/null || ! nvidia-smi -L > /dev/null 2>&1; then
  echo "gpu: no CUDA: skipped (no NVIDIA GPU visible to nvidia-smi)" >&2
  exit 0
fi
CLI=${ONNXTRANSFER_CLI:-dotnet $REPO/src/OnnxTransfer.Cli/bin/Release/net10.0/onnxtransfer.dll}
PY=${PYTHON:-python3}
IMAGES=${GPU_IMAGES:-$SHARED/datasets/hymenoptera/val}
REPEAT=${GPU_REPEAT:-40}
BATCH=${GPU_BATCH:-64}
WORKERS=${GPU_WORKERS:-$(nproc)}
OUT=${GPU_OUT:-$REPO/tools/bench/results/gpu.md}
WORK=${ONNXTRANSFER_BENCH_WORK:-/tmp/onnxtransfer-bench}/gpu
mkdir -p "$WORK/models" "$(dirname "$OUT")"
RAW=$WORK/raw.jsonl
: > "$RAW"

# The same images for every row: a manifest of the folder's images repeated, each copy with its own id.
MANIFEST=$WORK/images.csv
"$PY" - "$IMAGES" "$REPEAT" "$MANIFEST" <<'PY'
import os, sys
root, repeat, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.lower().endswith(('.jpg', '.jpeg', '.png')))
with open(out, 'w') as w:
    w.write('path,id,label\n')
    for r in range(repeat):
        for i, f in enumerate(files): w.write(f'{f},{r}-{i},{os.path.basename(os.path.dirname(f))}\n')
PY
count=$(($(wc -l < "$MANIFEST") - 1))

seconds() { local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); "$PY" -c "print(round($t1 - $t0, 3))"; }
score_quietly() { $CLI score --model "$1" --input "$MANIFEST" --out "$2" --device cuda --batch "$BATCH" > /dev/null 2>&1; } # model, out
row() { echo "{\"arch\":\"$1\",\"impl\":\"$2\",\"images_per_second\":$3}" >> "$RAW"; echo "$1 $2 $3 img/s" >&2; }

for arch in resnet50 mobilenet_v2; do
  model=$WORK/models/$arch.onnx spec=$WORK/models/$arch.backbone.json
  [ -f "$model" ] || "$PY" "$REPO/tools/export_torchvision.py" --arch "$arch" --random --out "$model" >&2
  [ -f "$spec" ] || $CLI backbone init "$model" --out "$spec" >&2
  # One warm-up run (CUDA context, cuDNN search), then the measured run into a fresh cache.
  $CLI extract --backbone "$spec" --images "$MANIFEST" --cache "$WORK/warm-$arch" --new-cache --device cuda --batch "$BATCH" --limit "$BATCH" --quiet
  s=$(seconds $CLI extract --backbone "$spec" --images "$MANIFEST" --cache "$WORK/cache-$arch" --new-cache --device cuda --batch "$BATCH" --quiet)
  row "$arch" ours "$("$PY" -c "print(round($count / $s, 1))")"
  s=$(seconds $CLI extract --backbone "$spec" --images "$MANIFEST" --cache "$WORK/cache-unbound-$arch" --new-cache --device cuda --batch "$BATCH" --io-binding off --quiet)
  row "$arch" "ours (--io-binding off)" "$("$PY" -c "print(round($count / $s, 1))")"
  $CLI train --cache "$WORK/cache-$arch" --eval-split none --out "$WORK/models/$arch-head.onnx" > /dev/null
  $CLI compose --backbone "$spec" --head "$WORK/models/$arch-head.onnx" --out "$WORK/models/$arch-fused.onnx" > /dev/null
  rm -rf "$WORK/scores-$arch"
  s=$(seconds score_quietly "$WORK/models/$arch-fused.onnx" "$WORK/scores-$arch")
  row "$arch" "ours (score)" "$("$PY" -c "print(round($count / $s, 1))")"
  peer=$("$PY" "$SHARED/gpu/torch_peer.py" "$MANIFEST" "$arch" "$BATCH" "$WORKERS")
  row "$arch" pytorch "$("$PY" -c "import json,sys; print(json.loads(sys.argv[1])['images_per_second'])" "$peer")"
  row "$arch" "backbone alone (pytorch)" "$("$PY" -c "import json,sys; print(json.loads(sys.argv[1])['backbone_alone_images_per_second'])" "$peer")"
  ort=$("$PY" - "$model" "$BATCH" <<'PY' || true
import sys, time
try:
    import numpy as np, onnxruntime as ort
except ImportError:
    sys.exit(1)
if 'CUDAExecutionProvider' not in ort.get_available_providers(): sys.exit(1)
s = ort.InferenceSession(sys.argv[1], providers=[('CUDAExecutionProvider', {'cudnn_conv_algo_search': 'EXHAUSTIVE', 'use_tf32': '0'})])
batch = int(sys.argv[2]); x = np.random.rand(batch, 3, 224, 224).astype(np.float32); name = s.get_inputs()[0].name
for _ in range(3): s.run(None, {name: x})
t = time.perf_counter(); reps = 20
for _ in range(reps): s.run(None, {name: x})
print(round(reps * batch / (time.perf_counter() - t), 1))
PY
)
  [ -n "$ort" ] && row "$arch" "backbone alone (onnx runtime)" "$ort"
  if [ -n "${ONNXTRANSFER_BENCH_BIN:-}" ]; then
    decode=$($ONNXTRANSFER_BENCH_BIN extract --impl decode --backbone "$spec" --images "$IMAGES" --batch "$BATCH" --runs 3 \
      --work "$WORK/decode" --label "$arch" | "$PY" -c "import json,sys; print(json.loads(sys.stdin.readline())['value'])" || true)
    [ -n "$decode" ] && row "$arch" "decode alone (ours)" "$decode"
  fi
done

"$PY" - "$RAW" "$OUT" "$count" "$BATCH" "$WORKERS" <<'PY'
import json, sys
raw, out, count, batch, workers = sys.argv[1:]
rows = [json.loads(l) for l in open(raw)]
lines = [f"# GPU suite: {count} images, batch {batch}, {workers} workers/decoders", "",
         "| backbone | impl | images/s | ours ÷ impl |", "|---|---|---|---|"]
for arch in dict.fromkeys(r['arch'] for r in rows):
    mine = {r['impl']: r['images_per_second'] for r in rows if r['arch'] == arch}
    for impl, v in mine.items():
        lines.append(f"| {arch} fp32 | {impl} | {v:,.1f} | {mine['ours'] / v:.2f} |")
    ceilings = [v for k, v in mine.items() if k.startswith(('decode alone', 'backbone alone (onnx'))]
    if ceilings: lines.append(f"| {arch} fp32 | ours ÷ min(decode alone, backbone alone) | | {mine['ours'] / min(ceilings):.2f} |")
open(out, 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
PY
echo "gpu: table in $OUT" >&2
