#!/usr/bin/python3
"""Peer for the train suite's default-head cases: scikit-learn's LogisticRegressionCV (lbfgs, which also walks its C path
warm-started) on the rows of X.npy / y.npy, with C chosen by stratified k-fold cross-validation (the same number of
folds as `onnxtransfer train`, 5) over a log grid 1e-6..1e5, features standardised with the training rows' statistics
(StandardScaler), refit on all training rows, accuracy on Xval.npy / yval.npy. Wall time covers scaling, the CV path and
the refit (not reading the .npy files). n_jobs defaults to the CPU count, as our train uses every core.

  /usr/bin/python3 tools/bench/peers/sklearn_logregcv.py --data DIR --label CASE [--points 45] [--folds 5] [--jobs N]
"""
import argparse
import json
import os
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--points", type=int, default=45)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    a = parser.parse_args()
    x, y = np.load(f"{a.data}/X.npy"), np.load(f"{a.data}/y.npy")
    xv, yv = np.load(f"{a.data}/Xval.npy"), np.load(f"{a.data}/yval.npy")

    started = time.perf_counter()
    scaler = StandardScaler().fit(x)
    model = LogisticRegressionCV(Cs=np.logspace(-6, 5, a.points), cv=StratifiedKFold(a.folds, shuffle=True, random_state=0),
                                 solver="lbfgs", scoring="accuracy", max_iter=1000, n_jobs=a.jobs)
    model.fit(scaler.transform(x), y)
    seconds = time.perf_counter() - started
    correct = int((model.predict(scaler.transform(xv)) == yv).sum())
    details = {"C": f"{float(np.ravel(model.C_)[0]):.4g}", "eval_rows": int(len(yv)), "eval_correct": correct,
               "grid": f"{a.points} C values 1e-6..1e5, stratified {a.folds}-fold CV", "jobs": a.jobs, "sklearn": sklearn.__version__}
    case = {"suite": "train", "case": a.label, "impl": "scikit-learn LogisticRegressionCV"}
    print(json.dumps({**case, "metric": "val accuracy", "value": round(correct / len(yv), 6), "lower_is_better": False, "details": details}))
    print(json.dumps({**case, "metric": "default train wall seconds", "value": round(seconds, 3), "lower_is_better": True}))


if __name__ == "__main__":
    main()
