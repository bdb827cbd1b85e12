#!/usr/bin/env python3
"""Peer for the text suite's extraction benchmark: PyTorch running the same BERT architecture (BERT-base sizes, random
weights, post-LN, exact GELU; the plain-torch model of tools/export_text_encoder.py) on the same batches OnnxTransfer
ran — the token ids its extraction planned, dumped by `onnxtransfer-bench text-extract --dump DIR` as ids.npy, mask.npy
and batches.npy — with the same thread count, then mean pooling over the mask and L2, as the extraction does.
Reports sentences/s over all batches (median of --runs passes after one warm-up pass). Tokenisation and writing are
not included (the ids come ready); OnnxTransfer's figure includes both.

    /usr/bin/python3 tools/bench/peers/torch_bert_extract.py --batches DIR --threads 2 --label "bert-base random"
Run it with and without MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4G (glibc keeps freed activations instead of
returning them to the kernel every batch); --impl-name says which in the result.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from export_text_encoder import plain_bert_class  # noqa: E402  (tools/export_text_encoder.py: one BERT definition)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", required=True, help="folder with ids.npy, mask.npy, batches.npy")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--label", default="bert-base random")
    parser.add_argument("--batch", type=int, default=32, help="only for the case name (must match the dump)")
    parser.add_argument("--impl-name", default="pytorch")
    args = parser.parse_args()

    import numpy
    import torch
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    ids = numpy.load(os.path.join(args.batches, "ids.npy"))
    mask = numpy.load(os.path.join(args.batches, "mask.npy"))
    shapes = numpy.load(os.path.join(args.batches, "batches.npy"))
    batches, at = [], 0
    for rows, length in shapes:
        n = int(rows) * int(length)
        batches.append((torch.from_numpy(ids[at:at + n].reshape(rows, length).copy()),
                        torch.from_numpy(mask[at:at + n].reshape(rows, length).copy())))
        at += n
    sentences = int(shapes[:, 0].sum())

    torch.manual_seed(0)
    model = plain_bert_class()(30522, 768, 12, 12, 3072, 512).eval()

    def one_pass():
        with torch.inference_mode():
            for input_ids, attention_mask in batches:
                hidden, _ = model(input_ids, attention_mask, torch.zeros_like(input_ids))
                m = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                torch.nn.functional.normalize(pooled, dim=1)

    one_pass()  # warm-up
    seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        one_pass()
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(json.dumps({
        "suite": "text", "case": f"{args.label} extract {sentences} SST-2 sentences batch {args.batch}", "impl": args.impl_name,
        "metric": "sentences/s", "value": round(sentences / median, 6), "lower_is_better": False,
        "details": {"threads": str(torch.get_num_threads()), "torch": torch.__version__,
                    "includes": "encoder, mean pooling + L2 (ids given)"},
    }))


if __name__ == "__main__":
    main()
