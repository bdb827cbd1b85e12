#!/usr/bin/env python3
"""Export a torchvision image classifier (ResNet-18/50, MobileNetV2, ...) to ONNX for OnnxTransfer.

    python3 tools/export_torchvision.py --arch resnet50 --weights DEFAULT --out ~/.local/share/onnxtransfer/models/resnet50-torchvision.onnx
    python3 tools/export_torchvision.py --arch resnet50 --random --out /tmp/resnet50-random.onnx      # no download

--weights DEFAULT downloads torchvision's pretrained ImageNet weights (needs internet once; torch caches them).
--random keeps torchvision's own random initialisation (seeded): the same architecture, operators and cost, for speed
and shape tests on machines without internet. Its outputs mean nothing; never report accuracy with it.

The graph has input "input" float32 [batch, 3, H, W] (batch dynamic) and output "logits" [batch, 1000]; the pooled
features feeding the classifier are "/Flatten_output_0". The script prints the file's sha256 (put it in the backbone
spec's model.sha256, or let `onnxtransfer backbone init` write the spec).

Tested with Debian's python3-torch 1.13 / python3-torchvision 0.14 (/usr/bin/python3). Without them the script says
what to install in one line and exits 1.
"""
import argparse
import hashlib
import importlib
import inspect
import os
import sys


def require(module):
    """Imports PyTorch or torchvision, or ends the run with one line saying how to install them (never a traceback)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        sys.exit(f"export_torchvision: {error.name or module} is not installed for {sys.executable}: apt-get install "
                 "python3-torch python3-torchvision (Debian/Ubuntu; tools/setup.sh --bench does it) or pip install torch torchvision")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build(arch, weights, random_init, seed):
    torch, torchvision = require("torch"), require("torchvision")

    if not hasattr(torchvision.models, arch):
        sys.exit(f"export_torchvision: torchvision has no model '{arch}' (try resnet18, resnet50, mobilenet_v2)")
    if random_init:
        torch.manual_seed(seed)
        return getattr(torchvision.models, arch)(weights=None)
    try:
        return getattr(torchvision.models, arch)(weights=weights)
    except Exception as error:  # no internet, unknown weights name, ...
        sys.exit(f"export_torchvision: cannot load weights '{weights}' for {arch}: {error}\n"
                 "Without internet, use --random for an architecture-faithful model with random weights.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="resnet50", help="torchvision model name (default resnet50)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", help="torchvision weights name, e.g. DEFAULT or IMAGENET1K_V2 (downloads once)")
    source.add_argument("--random", action="store_true", help="random weights (seeded), no download")
    parser.add_argument("--seed", type=int, default=0, help="seed for --random (default 0)")
    parser.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    parser.add_argument("--out", required=True, help="where to write the .onnx file")
    args = parser.parse_args()
    torch = require("torch")
    require("torchvision")

    model = build(args.arch, args.weights, args.random, args.seed).eval()
    example = torch.zeros(1, 3, args.size, args.size)
    out = os.path.abspath(os.path.expanduser(args.out))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    temporary = out + ".partial"
    settings = dict(opset_version=args.opset, input_names=["input"], output_names=["logits"],
                    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        # The TorchScript exporter, which torch 2.9+ no longer picks by default: its graph keeps the opset asked for and
        # the layer names backbone init looks for. (Older torch has only that exporter, and no such switch.)
        settings["dynamo"] = False
    with torch.no_grad():
        torch.onnx.export(model, example, temporary, **settings)
    os.replace(temporary, out)  # never a half-written model under the final name
    kind = f"random weights (seed {args.seed})" if args.random else f"weights {args.weights}"
    print(f"{out}: torchvision {args.arch}, {kind}, opset {args.opset}, {os.path.getsize(out)} bytes")
    print(f"sha256 {sha256_of(out)}")
    print(f"next: onnxtransfer backbone init {out} --out {os.path.splitext(out)[0]}.backbone.json")


if __name__ == "__main__":
    main()
