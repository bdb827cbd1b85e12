#!/usr/bin/env bash
# Installs OnnxTransfer's native dependencies on Debian/Ubuntu. Unattended and safe to rerun: every step checks
# first and does nothing when its result is already in place.
#
#   tools/setup.sh              OpenBLAS and libturbojpeg0 (apt; both optional: a managed fallback multiplies without
#                               OpenBLAS, libvips decodes JPEGs without TurboJPEG, slower, same pixels). ONNX Runtime and libvips
#                               need nothing: both are NuGet packages of the build (Microsoft.ML.OnnxRuntime,
#                               NetVips.Native.linux-x64 — one self-contained libvips.so.42 beside the app).
#   tools/setup.sh --oracles    also the test oracles: npm (DuckDB, Hugging Face tokenizers, onnxruntime-node),
#                               Debian's python3-torch (the export scripts' tests compare an exported BERT with PyTorch)
#                               and Debian's libvips42 (the tests of ONNXTRANSFER_LIBVIPS=system)
#   tools/setup.sh --bench      also the benchmark peers (Debian's python3-torch, torchvision, scikit-learn)
#   tools/setup.sh --browser    also Debian's chromium (renders the HTML report in tests)
#   tools/setup.sh --slurm      also Debian's slurm-wlm and munge (the deploy/slurm test starts a one-node cluster of its own)
#
set -euo pipefail

ONNXTRANSFER_HOME=${ONNXTRANSFER_HOME:-$HOME/.local/share/onnxtransfer}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

want_oracles=0 want_bench=0 want_browser=0 want_slurm=0
for arg in "$@"; do
  case $arg in
    --oracles) want_oracles=1 ;;
    --bench) want_bench=1; want_oracles=1 ;;
    --browser) want_browser=1 ;;
    --slurm) want_slurm=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 1 ;;
  esac
done

say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "setup.sh: '$*' needs root; run it as root or install sudo" >&2; exit 1; fi; }

apt_updated=0
apt_install() { # installs the Debian packages given that are not installed yet
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated = 0 ]; then say "apt-get update"; as_root apt-get update -qq; apt_updated=1; fi
  say "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

install_oracles() {
  local dir=$REPO/tools/node stamp
  stamp=$dir/node_modules/.onnxtransfer-lock-sha256
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(sha_of "$dir/package-lock.json")" ]; then say "npm oracles present"; return; fi
  say "npm install in tools/node (DuckDB, Hugging Face tokenizers, onnxruntime-node), versions from package-lock.json"
  # 'npm ci' rejects this lock (npm 11 leaves DuckDB's other-platform optional packages out of it); 'install --no-save'
  # follows the lock without rewriting it. onnxruntime-node's postinstall would fetch CUDA binaries from NuGet: skipped,
  # the CPU library it bundles is all the oracles use.
  local log; log=$(mktemp)
  if ! (cd "$dir" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --no-audit --no-fund --loglevel=error >"$log" 2>&1); then
    tail -20 "$log" >&2; rm -f "$log"; echo "setup.sh: npm install in tools/node failed" >&2; exit 1
  fi
  rm -f "$log"
  sha_of "$dir/package-lock.json" > "$stamp"
}

# libturbojpeg0: the libjpeg-turbo API, for plain JPEGs (OnnxTransfer.Imaging decodes them directly, faster than libvips).
apt_install libturbojpeg0 libopenblas0-pthread libzstd1 ca-certificates
[ $want_oracles = 1 ] && install_oracles
[ $want_oracles = 1 ] && apt_install python3 python3-torch libvips42
[ $want_bench = 1 ] && apt_install python3 python3-torch python3-torchvision python3-sklearn python3-numpy
[ $want_browser = 1 ] && apt_install chromium
# The packages only: their services are not started (policy-rc.d-free containers never start them; on a full system
# stop them if unwanted). The test runs its own munged and slurmctld/slurmd with a generated config in a temp folder.
[ $want_slurm = 1 ] && apt_install slurm-wlm munge
say "done"
