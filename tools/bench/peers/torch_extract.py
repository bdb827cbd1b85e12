#!/usr/bin/python3
"""Peer for the extract suite: what a PyTorch user writes to extract features from an image folder — torchvision's
ImageFolder + DataLoader (worker processes decode with PIL and apply Resize(256) → CenterCrop(224) → ToTensor →
Normalize, the recipe OnnxTransfer reproduces exactly) feeding the same architecture in eager mode, classifier replaced
by Identity so it returns the pooled features, under torch.inference_mode(). Random weights: only speed is measured.

  /usr/bin/python3 tools/bench/peers/torch_extract.py --arch mobilenet_v2|resnet50 --images DIR --label CASE
      [--batch 32] [--workers N] [--threads N] [--runs 3] [--impl pytorch]

Run it plain and with MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4G (glibc otherwise returns and refaults the big
activation buffers on every batch, a page-fault storm that slows it several-fold on some VMs): run.sh does both.
"""
import argparse
import json
import os
import resource
import time

import torch
import torchvision
from torchvision import transforms
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--impl", default="pytorch")
    a = parser.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = getattr(torchvision.models, a.arch)(weights=None)
    if hasattr(model, "fc"):
        model.fc = torch.nn.Identity()
    else:
        model.classifier = torch.nn.Identity()
    model.eval()

    recipe = transforms.Compose([
        transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])])
    # The stock extensions leave out GIF; OnnxTransfer embeds the dataset's one GIF too, so the peer reads it as well.
    dataset = ImageFolder(a.images, transform=recipe, is_valid_file=lambda p: p.lower().endswith(IMG_EXTENSIONS + (".gif",)))
    loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch, num_workers=a.workers, shuffle=False)

    seconds = []
    with torch.inference_mode():
        for run in range(a.runs + 1):
            started = time.perf_counter()
            count = 0
            for images, _ in loader:
                features = model(images)
                count += features.shape[0]
            if run > 0:  # run 0 warms up
                seconds.append(time.perf_counter() - started)
    seconds.sort()
    median = seconds[len(seconds) // 2]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"suite": "extract", "case": a.label, "impl": a.impl, "metric": "images/s",
                      "value": round(count / median, 6), "lower_is_better": False,
                      "details": {"images": str(count), "batch": str(a.batch), "workers": str(a.workers), "threads": str(a.threads),
                                  "runs_seconds": " ".join(f"{s:.2f}" for s in seconds),
                                  "peak_rss_mib": f"{peak_mib:.0f} (+ workers up to {children_mib:.0f} each)",
                                  "torch": torch.__version__}}))


if __name__ == "__main__":
    main()
