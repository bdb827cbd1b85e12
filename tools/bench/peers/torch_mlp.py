#!/usr/bin/python3
"""Peer for the train suite's MLP case: the dense head a PyTorch user trains on cached embeddings —
Linear(D, 1024) → ReLU → Linear(1024, C), Adam (lr 1e-3), cross-entropy, batch 256, shuffled, 20 epochs — on the rows of
X.npy / y.npy that OnnxTransfer's bench trains on, with the same thread count. Prints seconds per epoch.

  /usr/bin/python3 tools/bench/peers/torch_mlp.py --data DIR --label CASE [--epochs 20] [--threads N] [--impl pytorch]

With --eval the features are standardised with the training rows' statistics first (as onnxtransfer's MLP is) and the
accuracy on Xval.npy / yval.npy is printed too: the peer for the default MLP head's accuracy (same shape and epochs).
"""
import argparse
import json
import os
import time

import numpy as np
import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--impl", default="pytorch")
    parser.add_argument("--eval", action="store_true")
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.from_numpy(np.load(f"{a.data}/X.npy"))
    y = torch.from_numpy(np.load(f"{a.data}/y.npy"))
    classes = int(y.max()) + 1
    if a.eval:
        mean, std = x.mean(0), x.std(0).clamp_min(1e-12)
        x = (x - mean) / std
        xv = (torch.from_numpy(np.load(f"{a.data}/Xval.npy")) - mean) / std
        yv = torch.from_numpy(np.load(f"{a.data}/yval.npy"))
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 1024), torch.nn.ReLU(), torch.nn.Linear(1024, classes))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_function = torch.nn.CrossEntropyLoss()

    load = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    for _ in range(a.epochs):
        order = torch.randperm(len(y))
        for first in range(0, len(y), 256):
            rows = order[first:first + 256]
            optimiser.zero_grad(set_to_none=True)
            loss = loss_function(model(x[rows]), y[rows])
            loss.backward()
            optimiser.step()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # every thread of this process
    timing = {"load_average": f"{load:.2f} → {os.getloadavg()[0]:.2f}", "cores": os.cpu_count()}
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    if a.eval:
        with torch.no_grad():
            correct = int((model(xv).argmax(1) == yv).sum().item())
        print(json.dumps({"suite": "train", "case": a.label, "impl": a.impl, "metric": "val accuracy",
                          "value": round(correct / len(yv), 6), "lower_is_better": False,
                          "details": {"eval_rows": len(yv), "eval_correct": correct, "epochs": a.epochs,
                                      "model": "standardised, 1280→1024 ReLU→C, Adam lr 1e-3, batch 256"}}))
        print(json.dumps({"suite": "train", "case": a.label, "impl": a.impl, "metric": "default train wall seconds",
                          "value": round(seconds, 3), "lower_is_better": True, "details": timing}))
        print(json.dumps({"suite": "train", "case": a.label, "impl": a.impl, "metric": "default train CPU seconds",
                          "value": round(cpu, 3), "lower_is_better": True, "details": timing}))
        return
    print(json.dumps({"suite": "train", "case": a.label, "impl": a.impl,
                      "metric": "MLP epoch (1280→1024→C, Adam, batch 256), seconds", "value": round(seconds / a.epochs, 6),
                      "lower_is_better": True, "details": {"train_accuracy": f"{accuracy:.4f}", "threads": str(a.threads),
                                                           "torch": torch.__version__}}))


if __name__ == "__main__":
    main()
