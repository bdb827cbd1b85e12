#!/usr/bin/python3
"""Peer for the train suite: scikit-learn's LogisticRegression (lbfgs) on an embedding cache, with C chosen as
`onnxtransfer train` chooses it: the same 45 C values log-spaced over 1e-6..1e5, stratified 5-fold cross-validation on
the training split only, features standardised inside each fold (StandardScaler in the pipeline), best mean accuracy
(ties to the smaller C), refit on the whole training split, accuracy on the evaluation split.

pyarrow is not installed on these machines, so the cache is read through `onnxtransfer parquet cat` (JSON lines; its
floats print so that they read back to the same float32), which keeps this script free of a Parquet reader of its own.
Reading is not timed; the selection (CV over the grid) and the final fit are, separately.

  /usr/bin/python3 tools/bench/peers/sklearn_logreg.py --cache CACHE [--train-split train] [--eval-split val]
      [--folds 5] [--points 45] [--cli "dotnet src/OnnxTransfer.Cli/bin/Release/net10.0/onnxtransfer.dll"] [--label NAME]

Prints JSON lines in the shape of the other peers: {"suite", "case", "impl", "metric", "value", "lower_is_better", "details"}.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def read_cache(cli, cache):
    """(labels, splits, embeddings) of every row, via `onnxtransfer parquet cat`."""
    command = shlex.split(cli) + ["parquet", "cat", cache, "--columns", "label,split,embedding"]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO).stdout
    labels, splits, rows = [], [], []
    for line in output.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        labels.append(row["label"])
        splits.append(row["split"])
        rows.append(row["embedding"])
    return np.array(labels, dtype=object), np.array(splits, dtype=object), np.asarray(rows, dtype=np.float32)


def result(case, metric, value, lower_is_better, details=None):
    line = {"suite": "train", "case": case, "impl": "scikit-learn", "metric": metric,
            "value": round(float(value), 6), "lower_is_better": lower_is_better}
    if details:
        line["details"] = details
    print(json.dumps(line))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--train-split", default="train")
    parser.add_argument("--eval-split", default="val")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--points", type=int, default=45)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cli", default="dotnet src/OnnxTransfer.Cli/bin/Release/net10.0/onnxtransfer.dll")
    parser.add_argument("--label", default=None)
    a = parser.parse_args()
    case = a.label or os.path.basename(os.path.normpath(a.cache)) + " softmax"

    labels, splits, x = read_cache(a.cli, a.cache)
    train, evaluation = splits == a.train_split, splits == a.eval_split
    if not train.any():
        sys.exit(f"no rows in split '{a.train_split}'")
    grid = np.logspace(-6, 5, a.points)
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("logreg", LogisticRegression(solver="lbfgs", max_iter=10000, tol=1e-6))]),
        {"logreg__C": grid},
        cv=StratifiedKFold(a.folds, shuffle=True, random_state=a.seed),
        scoring="accuracy", refit=False, n_jobs=1)
    started = time.perf_counter()
    search.fit(x[train], labels[train])
    select_seconds = time.perf_counter() - started
    # Ties go to the smaller C, as in onnxtransfer (GridSearchCV would also pick the first of equal ranks).
    means = search.cv_results_["mean_test_score"]
    best = int(np.flatnonzero(means == means.max())[0])
    c = float(grid[best])

    final = Pipeline([("scale", StandardScaler()), ("logreg", LogisticRegression(solver="lbfgs", C=c, max_iter=10000, tol=1e-6))])
    started = time.perf_counter()
    final.fit(x[train], labels[train])
    fit_seconds = time.perf_counter() - started

    details = {"C": c, "cv_accuracy": round(float(means[best]), 6), "cv_std": round(float(search.cv_results_["std_test_score"][best]), 6),
               "train_rows": int(train.sum()), "dimension": int(x.shape[1]), "sklearn": sklearn.__version__,
               "grid": f"{a.points} C values 1e-6..1e5, stratified {a.folds}-fold CV, standardised"}
    if evaluation.any():
        predicted = final.predict(x[evaluation])
        correct = int((predicted == labels[evaluation]).sum())
        details.update({"eval_rows": int(evaluation.sum()), "eval_correct": correct})
        result(case, f"{a.eval_split} accuracy", correct / evaluation.sum(), False, details)
    result(case, "selection seconds", select_seconds, True, {"candidates": a.points, "folds": a.folds})
    result(case, "fit seconds", fit_seconds, True)


if __name__ == "__main__":
    main()
