#!/usr/bin/env bash
# Runs the GPU suite on a CUDA machine without .NET from the two archives tools/bench/gpu-kit.sh packs, in two steps
# (each part travels on its own where a call carries at most 64 MiB):
#   tools/bench/gpu-device.sh KIT/provider   unpacks the pruned CUDA provider into GPUKIT_HOME
#   tools/bench/gpu-device.sh KIT/main       unpacks the rest there, then: nvidia-smi and `onnxtransfer doctor`; a CUDA
#                                            extraction checked against a CPU one (`verify --device cuda` of a cache
#                                            made on CPU); tools/bench/gpu.sh with the kit's binaries. Everything it
#                                            prints also goes to GPU_LOGS/device.log, the table to GPU_LOGS/gpu.md.
# Environment: GPUKIT_HOME (default /tmp/onnxtransfer-gpukit), GPU_LOGS (default $OUT when set, else GPUKIT_HOME/logs),
# PYTHON (python3), GPU_DEVICE (cuda; cpu tries the second step on a machine without a GPU: no provider needed, one
# repeat of the images, and no figure of it is a GPU figure), and gpu.sh's GPU_* settings.
# CUDA's libraries come from the machine's Python packages (nvidia-*-cu13 wheels, as PyTorch installs them) or its
# system folders; they are given to OnnxTransfer's processes alone, never to python3.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PART=${1:?usage: tools/bench/gpu-device.sh KIT/provider | KIT/main}
HOME_DIR=${GPUKIT_HOME:-/tmp/onnxtransfer-gpukit}
LOGS=${GPU_LOGS:-${OUT:-$HOME_DIR/logs}}
DEVICE=${GPU_DEVICE:-cuda}
PY=${PYTHON:-python3}
mkdir -p "$HOME_DIR/app" "$LOGS"

if [ -f "$PART/cuda-provider.tar.xz" ]; then
  "$PY" -c "import lzma, sys, tarfile; tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall(sys.argv[2])" \
    "$PART/cuda-provider.tar.xz" "$HOME_DIR/app" || exit 1
  echo "gpu-device: CUDA provider unpacked into $HOME_DIR/app; now run: tools/bench/gpu-device.sh KIT/main"
  exit 0
fi
[ -f "$PART/kit.tar.xz" ] || { echo "gpu-device: $PART holds neither cuda-provider.tar.xz nor kit.tar.xz (tools/bench/gpu-kit.sh makes both)" >&2; exit 2; }

main() {
  "$PY" -c "import lzma, sys, tarfile; tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall(sys.argv[2])" "$PART/kit.tar.xz" "$HOME_DIR" || return 1
  if [ "$DEVICE" = cuda ] && [ ! -f "$HOME_DIR/app/libonnxruntime_providers_cuda.so" ]; then
    echo "gpu-device: no CUDA provider in $HOME_DIR/app: run tools/bench/gpu-device.sh KIT/provider first (on this machine, while it is warm)" >&2
    return 2
  fi

  # CUDA 13's libraries: the folders of the nvidia wheels in python's site-packages, then the system's.
  cuda_dirs=$("$PY" - <<'PY'
import glob, os, site
dirs = {os.path.dirname(p) for sp in site.getsitepackages() for p in glob.glob(os.path.join(sp, 'nvidia', '**', 'lib*.so*'), recursive=True)}
print(':'.join(sorted(dirs)))
PY
  )
  for binary in onnxtransfer onnxtransfer-bench; do # wrappers: the library path reaches our processes only
    printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$HOME_DIR/app${cuda_dirs:+:$cuda_dirs}" "$HOME_DIR/app/$binary" > "$HOME_DIR/run-$binary"
    chmod +x "$HOME_DIR/run-$binary"
  done
  CLI=$HOME_DIR/run-onnxtransfer
  step() { echo; echo "== $*"; }

  step "machine"
  nvidia-smi -L 2>&1 || echo "(no nvidia-smi)"
  echo "cores: $(nproc)"; lscpu 2>/dev/null | grep -E '^(Model name|Thread\(s\) per core|Core\(s\) per socket|Socket\(s\)|CPU max MHz):' || true
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" 2>&1 || true
  step "onnxtransfer doctor"
  "$CLI" doctor
  status=0

  step "CUDA against CPU: a cache and a head made on cpu, then verify --device $DEVICE (backbone; fused model; tf32; fp16)"
  check=$HOME_DIR/check spec=$HOME_DIR/check/mobilenet_v2.backbone.json
  rm -rf "$check" && mkdir -p "$check"
  { "$PY" "$REPO/tools/export_torchvision.py" --arch mobilenet_v2 --random --out "$check/mobilenet_v2.onnx" \
    && "$CLI" backbone init "$check/mobilenet_v2.onnx" --out "$spec" \
    && "$CLI" extract --backbone "$spec" --images "$HOME_DIR/images" --cache "$check/cache" --device cpu --quiet \
    && "$CLI" train --cache "$check/cache" --out "$check/head.onnx" > /dev/null \
    && "$CLI" compose --backbone "$spec" --head "$check/head.onnx" --out "$check/fused.onnx" > /dev/null \
    && "$CLI" verify --backbone "$spec" --cache "$check/cache" --device "$DEVICE" \
    && "$CLI" verify --model "$check/fused.onnx" --head "$check/head.onnx" --cache "$check/cache" --device "$DEVICE"; } || status=1
  # tf32 and fp16 trade bit-parity for speed: their figures are reported, not held to fp32's thresholds.
  [ "$DEVICE" = cuda ] && { "$CLI" verify --backbone "$spec" --cache "$check/cache" --device cuda --precision tf32 || true; }
  "$CLI" verify --backbone "$spec" --cache "$check/cache" --device "$DEVICE" --precision fp16 || true
  "$CLI" verify --model "$check/fused.onnx" --head "$check/head.onnx" --cache "$check/cache" --device "$DEVICE" --precision fp16 || true

  step "tools/bench/gpu.sh"
  ONNXTRANSFER_CLI=$CLI ONNXTRANSFER_BENCH_BIN=$HOME_DIR/run-onnxtransfer-bench ONNXTRANSFER_SHARED=$HOME_DIR \
    GPU_IMAGES=$HOME_DIR/images GPU_OUT=$LOGS/gpu.md ONNXTRANSFER_BENCH_WORK=$HOME_DIR/work GPU_DEVICE=$DEVICE \
    "$REPO/tools/bench/gpu.sh" || status=1
  cp "$HOME_DIR/work/gpu/raw.jsonl" "$LOGS/gpu-raw.jsonl" 2>/dev/null || true
  echo; echo "gpu-device: done (status $status); log and table in $LOGS"
  return $status
}

main 2>&1 | tee "$LOGS/device.log"
exit "${PIPESTATUS[0]}"
