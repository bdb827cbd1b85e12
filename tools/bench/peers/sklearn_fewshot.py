#!/usr/bin/python3
"""Peer for the fewshot suite: scikit-learn's NearestCentroid and KNeighborsClassifier on the very rows our few-shot
curve drew (the --draws file `onnxtransfer-bench fewshot` writes: the training ids of every (shots, draw) fit), scored
on the whole evaluation split, accuracy averaged over the draws as ours is.

What each peer gets: every embedding scaled to unit L2 length first (so Euclidean distances are cosine distances,
as in our heads), then
  - NearestCentroid() (defaults: Euclidean distance to the per-class mean of the unit rows; that mean is NOT rescaled
    to unit length, unlike our centroid head);
  - KNeighborsClassifier(n_neighbors=min(k, training rows), metric="cosine") with weights="uniform" (the default:
    majority vote, ties to the first class) and with weights="distance" (1/distance). scikit-learn refuses more
    neighbours than rows, our head lets all rows vote then: min() is the same neighbour set.

pyarrow is not installed on these machines, so the cache is read through `onnxtransfer parquet cat` (as sklearn_logreg.py).

  /usr/bin/python3 tools/bench/peers/sklearn_fewshot.py --cache CACHE --draws DRAWS.json [--label hymenoptera] [--cli ...]
"""
import argparse
import json
import os
import shlex
import subprocess
from collections import defaultdict

import numpy as np
import sklearn
from sklearn.neighbors import KNeighborsClassifier, NearestCentroid

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def read_cache(cli, cache):
    command = shlex.split(cli) + ["parquet", "cat", cache, "--columns", "id,label,split,embedding"]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO).stdout
    rows = [json.loads(line) for line in output.splitlines() if line.strip()]
    ids = [r["id"] for r in rows]
    labels = np.array([r["label"] for r in rows], dtype=object)
    splits = np.array([r["split"] for r in rows], dtype=object)
    x = np.asarray([r["embedding"] for r in rows], dtype=np.float64)
    return ids, labels, splits, x


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--draws", required=True)
    parser.add_argument("--label", default="hymenoptera")
    parser.add_argument("--cli", default="dotnet src/OnnxTransfer.Cli/bin/Release/net10.0/onnxtransfer.dll")
    a = parser.parse_args()
    with open(a.draws) as f:
        draws = json.load(f)
    ids, labels, splits, x = read_cache(a.cli, a.cache)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    row_of = {id_: i for i, id_ in enumerate(ids)}
    evaluation = np.flatnonzero(splits == draws["eval_split"])
    k = draws["k"]

    peers = {
        "centroid": [("scikit-learn NearestCentroid", lambda n: NearestCentroid())],
        "knn": [("scikit-learn KNeighbors uniform", lambda n: KNeighborsClassifier(n_neighbors=min(k, n), metric="cosine")),
                ("scikit-learn KNeighbors distance", lambda n: KNeighborsClassifier(n_neighbors=min(k, n), metric="cosine", weights="distance"))],
    }
    accuracies = defaultdict(list)
    for fit in draws["fits"]:
        rows = np.array([row_of[i] for i in fit["ids"]])
        if np.intersect1d(rows, evaluation).size:
            raise SystemExit("a drawn training row is in the evaluation split")
        for head, models in peers.items():
            for impl, make in models:
                model = make(len(rows)).fit(x[rows], labels[rows])
                accuracies[(head, impl, fit["shots"])].append(float((model.predict(x[evaluation]) == labels[evaluation]).mean()))
    for (head, impl, shots), values in accuracies.items():
        print(json.dumps({"suite": "fewshot", "case": f"{a.label} {head}, {shots} per class", "impl": impl,
                          "metric": f"{draws['eval_split']} accuracy (mean of {len(values)} draws)", "value": round(float(np.mean(values)), 6),
                          "lower_is_better": False,
                          "details": {"sd": f"{np.std(values, ddof=1):.4f}" if len(values) > 1 else "-",
                                      "per_draw": " ".join(f"{v:.4f}" for v in values), "sklearn": sklearn.__version__}}))


if __name__ == "__main__":
    main()
