#!/usr/bin/python3
"""Peer for the train suite's speed cases: scikit-learn's LogisticRegression (lbfgs, its defaults) on the rows of X.npy /
y.npy that OnnxTransfer's bench trains on, standardised (StandardScaler in a Pipeline, as users do):
  --what fit    one fit at C = 1
  --what sweep  GridSearchCV over 10 C values log-spaced 1e-4..1e4, stratified 5-fold, refit on all rows

  /usr/bin/python3 tools/bench/peers/sklearn_speed.py --data DIR --what fit|sweep --label CASE
"""
import argparse
import json
import time

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--what", required=True, choices=["fit", "sweep"])
    parser.add_argument("--label", required=True)
    a = parser.parse_args()
    x = np.load(f"{a.data}/X.npy")
    y = np.load(f"{a.data}/y.npy")

    def model(c=1.0):
        return Pipeline([("scale", StandardScaler()), ("logreg", LogisticRegression(solver="lbfgs", C=c))])

    details = {"rows": str(len(y)), "sklearn": sklearn.__version__}
    started = time.perf_counter()
    if a.what == "fit":
        fitted = model().fit(x, y)
        seconds = time.perf_counter() - started
        details["train_accuracy"] = f"{fitted.score(x, y):.4f}"
        details["iterations"] = str(int(fitted.named_steps['logreg'].n_iter_[0]))
        metric = "one softmax fit, seconds"
    else:
        search = GridSearchCV(model(), {"logreg__C": np.logspace(-4, 4, 10)},
                              cv=StratifiedKFold(5, shuffle=True, random_state=0), scoring="accuracy", refit=True)
        search.fit(x, y)
        seconds = time.perf_counter() - started
        details["best_C"] = f"{search.best_params_['logreg__C']:.4g}"
        metric = "10-point C sweep × 5-fold CV + refit, seconds"
    print(json.dumps({"suite": "train", "case": a.label, "impl": "scikit-learn", "metric": metric,
                      "value": round(seconds, 6), "lower_is_better": True, "details": details}))


if __name__ == "__main__":
    main()
