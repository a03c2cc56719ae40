"""Two jobs vs one vs IBM ART: does the noise generation scale with the cores n_jobs gives?

For a logistic regression (forced ``method="monte_carlo"``: bound by the
Gaussian draws) and a 50-tree forest (bound by its ``predict``), 200
breast-cancer inputs, ``n = 10,000``, it prints the best of ``--repeat``
runs, taken alternately in one process, of certify with ``n_jobs=None``
(``j1``), ``n_jobs=2`` (``j2``), ``n_jobs=2`` without the engine's per-job
BLAS/OpenMP thread limits (``j2 no limits``: the previous engine) and ART
1.20.1's ``NumpyRandomizedSmoothing.certify`` (when installed), in wall
seconds and process CPU seconds, and the ratios ART / each.

Usage::

    python benchmarks/bench_jobs.py [--models logistic forest] [--repeat 3]
"""

import argparse
import contextlib
import os
import time
import warnings

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import sksmooth._engine as engine
from bench_certify import CPU, art_time
from sksmooth import GaussianNoise, SmoothedClassifier

MODELS = {
    "logistic": lambda: LogisticRegression(max_iter=1000),
    "forest": lambda: RandomForestClassifier(n_estimators=50, random_state=0),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_test = X[:200]
    print(f"# {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, n={args.n}, "
          f"best of {args.repeat}")
    limits = engine.threadpool_limits
    for name in args.models:
        clf = SmoothedClassifier(MODELS[name](), noise=GaussianNoise(0.25), n_samples=args.n,
                                 n_select=100, method="monte_carlo", random_state=0)
        clf.fit(X[200:], y[200:])
        wall, cpu = {}, {}
        for _ in range(args.repeat):
            for key in ("j1", "j2", "j2 no limits", "ART"):
                if key == "ART":
                    w = art_time(clf.estimator_, X_test, args.n, 1)
                    if w is None:
                        continue
                    c = CPU["last"]
                else:
                    unlimited = key == "j2 no limits"
                    engine.threadpool_limits = (
                        (lambda *a, **k: contextlib.nullcontext()) if unlimited else limits
                    )  # benchmark only: the previous engine, for the side-by-side ratio
                    clf.set_params(n_jobs=None if key == "j1" else 2)
                    t0, c0 = time.perf_counter(), time.process_time()
                    clf.certify(X_test)
                    w, c = time.perf_counter() - t0, time.process_time() - c0
                    engine.threadpool_limits = limits
                wall[key] = min(wall.get(key, float("inf")), w)
                cpu[key] = min(cpu.get(key, float("inf")), c)
        print(name, "  ".join(f"{k}: {wall[k]:.3f} s ({cpu[k]:.3f} cpu)" for k in wall))
        if "ART" in wall:
            print("   ", "  ".join(f"ART/{k} {wall['ART'] / wall[k]:.2f}"
                                   for k in wall if k != "ART"), flush=True)


if __name__ == "__main__":
    main()
