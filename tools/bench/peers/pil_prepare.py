"""PIL's side of the PyTorch pipeline, per image and per worker, on 1 worker process and on N: `decode` is
Image.open(path).convert('RGB'); `decode+preprocess` adds torchvision's eval transforms (Resize(256), CenterCrop(224),
ToTensor, Normalize), which is what a DataLoader worker does per image.

The same measure as `onnxtransfer-bench preprocess` (wall time × workers ÷ images, images handed out one at a time, at
least 64 per worker, median of --runs after one warm-up run), so its ratio of N workers to 1 is the machine's own
scaling for a peer that decodes in processes: the yardstick for ours in threads (tools/bench/gpu.sh prints both).
One JSON line per result, in the shape of tools/bench/OnnxTransfer.Bench/ResultWriter.cs.
"""
import argparse
import json
import multiprocessing
import os
import statistics
import time

from PIL import Image
from torchvision import transforms

TRANSFORM = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def decode(path):
    Image.open(path).convert("RGB")


def decode_preprocess(path):
    TRANSFORM(Image.open(path).convert("RGB"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", required=True, help="a folder of .jpg files (searched recursively)")
    parser.add_argument("--processes", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--label", default=None)
    args = parser.parse_args()
    distinct = sorted(os.path.join(root, name) for root, _, names in os.walk(args.images) for name in names if name.endswith(".jpg"))
    if not distinct:
        raise SystemExit(f"--images {args.images}: no .jpg files")
    label = args.label or os.path.basename(os.path.normpath(args.images))

    for workers in dict.fromkeys([1, args.processes]):
        repeat = max(1, -(-64 * workers // len(distinct)))
        paths = distinct * repeat
        with multiprocessing.Pool(workers) as pool:
            for name, stage in (("decode", decode), ("decode+preprocess", decode_preprocess)):
                seconds = []
                for run in range(args.runs + 1):  # run 0 warms up (imports, page cache)
                    start = time.perf_counter()
                    for _ in pool.imap_unordered(stage, paths, chunksize=1):
                        pass
                    if run > 0:
                        seconds.append(time.perf_counter() - start)
                median = statistics.median(seconds)
                print(json.dumps({
                    "suite": "preprocess", "case": f"{label} {len(distinct)} images ×{repeat}, {workers} thread(s)",
                    "impl": f"PIL {name} (processes)", "metric": "ms per image per thread",
                    "value": round(median * 1000 * workers / len(paths), 6), "lower_is_better": True,
                    "details": {"images_per_second": f"{len(paths) / median:.1f}", "processes": str(workers),
                                "runs_seconds": " ".join(f"{s:.3f}" for s in seconds)},
                }), flush=True)


if __name__ == "__main__":
    main()
