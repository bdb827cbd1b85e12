#!/usr/bin/env bash
# Packs what the GPU suite (tools/bench/gpu.sh) needs on a CUDA machine that has no .NET, no libvips and no internet —
# such as the lent GPU machines of ../shared/gpu/README.md, which take at most 64 MiB per call — as two archives:
#   KIT/provider/cuda-provider.tar.xz  ONNX Runtime's CUDA provider (272 MB) with the GPU code of one architecture kept
#                                      (GPU_ARCH, default 90: H100 and H200; ../shared/gpu/prune_fatbin.py), ≈ 50 MB
#   KIT/main/kit.tar.xz                the CLI and the bench tool as NativeAOT binaries built against the CUDA package
#                                      (-p:OnnxTransferGpu=true, AVX2) with ONNX Runtime's core, the bundled libvips,
#                                      libturbojpeg, the images (GPU_IMAGES, default the shared hymenoptera val set)
#                                      and the PyTorch peer
# On that machine, from a checkout of this repository, tools/bench/gpu-device.sh unpacks them and runs the suite:
#   tools/bench/gpu-device.sh KIT/provider     (first: unpacks the provider; the machine keeps it while it stays warm)
#   tools/bench/gpu-device.sh KIT/main         (then: unpacks the rest, checks CUDA against CPU, runs gpu.sh)
# Usage: tools/bench/gpu-kit.sh [KIT]   (default KIT: .gpukit in the repository, ignored by git; built again each time)
# A pruned provider only ever goes to a machine of that architecture: never ship it.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
SHARED=${ONNXTRANSFER_SHARED:-$REPO/../shared}
KIT=$(realpath -m "${1:-$REPO/.gpukit}")
ARCH=${GPU_ARCH:-90}
IMAGES=${GPU_IMAGES:-$SHARED/datasets/hymenoptera/val}
STAGE=$KIT/stage
say() { printf '[gpu-kit] %s\n' "$*" >&2; }

rm -rf "$KIT"
mkdir -p "$STAGE/app" "$STAGE/gpu" "$KIT/provider" "$KIT/main"

say "NativeAOT publish of the CLI and the bench tool with ONNX Runtime's CUDA package (a few minutes)"
for project in src/OnnxTransfer.Cli tools/bench/OnnxTransfer.Bench; do
  # AVX2 (x86-64-v3): every H100/H200 host has it, and the preprocessing's 256-bit paths need it in a NativeAOT build.
  dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -p:OnnxTransferGpu=true -p:IlcInstructionSet=x86-64-v3 \
    -o "$KIT/publish/$(basename "$project")" -nologo -clp:ErrorsOnly
done
cli=$KIT/publish/OnnxTransfer.Cli bench=$KIT/publish/OnnxTransfer.Bench
# One folder, as a publish lays it out: the bundled libvips is found beside the binary (GLib and GObject inside it), and
# ONNX Runtime loads its CUDA provider from beside libonnxruntime.so (gpu-device.sh unpacks the provider there).
cp "$cli/onnxtransfer" "$bench/onnxtransfer-bench" "$STAGE/app/"
for library in libonnxruntime.so libonnxruntime_providers_shared.so libvips.so.42; do
  [ -f "$cli/$library" ] || { echo "gpu-kit: the GPU publish has no $library" >&2; exit 1; }
  cp "$cli/$library" "$STAGE/app/"
done

# libturbojpeg decodes plain JPEGs directly (about 1.6× faster than libvips per image, and no libvips pipeline per image);
# a GPU machine has none, so it travels beside the binary, where the decoder looks first (doctor names the file).
# (awk reads to the end: leaving early would end ldconfig with SIGPIPE, which pipefail turns into this script's failure)
turbojpeg=$(ldconfig -p | awk '/libturbojpeg\.so\.0 .*x86-64/ && !found {print $NF; found = 1}')
[ -n "$turbojpeg" ] || { echo "gpu-kit: no libturbojpeg.so.0 here: run tools/setup.sh (apt-get install libturbojpeg0)" >&2; exit 1; }
cp -L "$turbojpeg" "$STAGE/app/libturbojpeg.so.0"

say "images from $IMAGES and the PyTorch peer"
cp -r "$IMAGES" "$STAGE/images"
cp "$SHARED/gpu/torch_peer.py" "$STAGE/gpu/"

say "CUDA provider pruned to sm_$ARCH"
provider=$cli/libonnxruntime_providers_cuda.so
[ -f "$provider" ] || { echo "gpu-kit: the GPU publish has no libonnxruntime_providers_cuda.so" >&2; exit 1; }
mkdir -p "$KIT/provider-stage"
python3 "$SHARED/gpu/prune_fatbin.py" "$provider" "$KIT/provider-stage/libonnxruntime_providers_cuda.so" "$ARCH" >&2
tar -C "$KIT/provider-stage" -cf - libonnxruntime_providers_cuda.so | xz -9 -T2 > "$KIT/provider/cuda-provider.tar.xz"
tar -C "$STAGE" -cf - . | xz -6 -T2 > "$KIT/main/kit.tar.xz"
rm -rf "$KIT/publish" "$KIT/provider-stage" "$STAGE"

mib() { echo $(( ($(stat -c %s "$1") + 1048575) / 1048576 )); }
say "KIT/provider: $(mib "$KIT/provider/cuda-provider.tar.xz") MiB, KIT/main: $(mib "$KIT/main/kit.tar.xz") MiB (in $KIT)"
for part in "$KIT/provider/cuda-provider.tar.xz" "$KIT/main/kit.tar.xz"; do
  [ "$(mib "$part")" -lt 60 ] || say "warning: $part is over 60 MiB: with the checkout it may not travel in one call"
done
