#!/usr/bin/python3
"""Peer for the train suite's default-head cases: scikit-learn's LogisticRegressionCV (lbfgs, which also walks its C path
warm-started) on the rows of X.npy / y.npy, with C chosen by stratified k-fold cross-validation (the same number of
folds as `onnxtransfer train`, 5) over a log grid 1e-6..1e5, features standardised with the training rows' statistics
(StandardScaler), refit on all training rows, accuracy on Xval.npy / yval.npy. Wall time covers scaling, the CV path and
the refit (not reading the .npy files). n_jobs defaults to the CPU count, as our train uses every core. With folds.npy
beside the data (written by `onnxtransfer-bench train-data`) the folds are exactly the ones `onnxtransfer train` cuts
(PredefinedSplit); CPU seconds are this process's and its joblib workers' (reaped before measuring).

  /usr/bin/python3 tools/bench/peers/sklearn_logregcv.py --data DIR --label CASE [--points 45] [--folds 5] [--jobs N]
"""
import argparse
import json
import os
import resource
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import PredefinedSplit, StratifiedKFold
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

    folds_file = f"{a.data}/folds.npy"
    same_folds = os.path.exists(folds_file)
    cv = PredefinedSplit(np.load(folds_file)) if same_folds else StratifiedKFold(a.folds, shuffle=True, random_state=0)

    cpu_started = cpu_seconds()
    load = os.getloadavg()[0]
    started = time.perf_counter()
    scaler = StandardScaler().fit(x)
    model = LogisticRegressionCV(Cs=np.logspace(-6, 5, a.points), cv=cv,
                                 solver="lbfgs", scoring="accuracy", max_iter=1000, n_jobs=a.jobs)
    model.fit(scaler.transform(x), y)
    seconds = time.perf_counter() - started
    reap_workers()
    cpu = cpu_seconds() - cpu_started
    correct = int((model.predict(scaler.transform(xv)) == yv).sum())
    details = {"C": f"{float(np.ravel(model.C_)[0]):.4g}", "eval_rows": int(len(yv)), "eval_correct": correct,
               "grid": f"{a.points} C values 1e-6..1e5, " + ("onnxtransfer's 5 folds (folds.npy)" if same_folds else f"stratified {a.folds}-fold CV"),
               "jobs": a.jobs, "sklearn": sklearn.__version__}
    timing = {"load_average": f"{load:.2f} → {os.getloadavg()[0]:.2f}", "cores": os.cpu_count()}
    case = {"suite": "train", "case": a.label, "impl": "scikit-learn LogisticRegressionCV"}
    print(json.dumps({**case, "metric": "val accuracy", "value": round(correct / len(yv), 6), "lower_is_better": False, "details": details}))
    print(json.dumps({**case, "metric": "default train wall seconds", "value": round(seconds, 3), "lower_is_better": True, "details": timing}))
    print(json.dumps({**case, "metric": "default train CPU seconds", "value": round(cpu, 3), "lower_is_better": True, "details": timing}))


def cpu_seconds():
    """User + system seconds of this process and of its reaped children (joblib's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def reap_workers():
    """Stops joblib's reusable worker processes, so their CPU time is counted in RUSAGE_CHILDREN."""
    try:
        from joblib.externals.loky import get_reusable_executor
        get_reusable_executor().shutdown(wait=True)
    except ImportError:
        pass


if __name__ == "__main__":
    main()
