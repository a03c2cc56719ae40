"""Two jobs vs one vs IBM ART: does the noise generation scale with the cores n_jobs gives?

For a logistic regression (forced ``method="monte_carlo"``: bound by the
Gaussian draws) and a 50-tree forest (bound by its ``predict``), 200
breast-cancer inputs, ``n = 10,000``, it prints the best of ``--repeat``
runs, taken alternately in one process, of certify with ``n_jobs=None``
(``j1``), ``n_jobs=2`` (``j2``), ``n_jobs=2`` without the engine's per-job
BLAS/OpenMP thread limits (``j2 no limits``: the previous engine) and ART
1.20.1's ``NumpyRandomizedSmoothing.certify`` (when installed), in wall
seconds and process CPU seconds, and the ratios ART / each.

With ``--draws`` it first prints the floor under the logistic regression: the
seconds numpy takes for the 60.6 million Gaussians of that workload with
sksmooth's generator (PCG64) on one thread and split over two threads at once,
with ``SFC64``, and with the legacy generator ART uses. With ``--bit-generator
SFC64`` the certify runs draw from that generator instead (benchmark only: it
changes every certificate, which the release does not).

Usage::

    python benchmarks/bench_jobs.py [--models logistic forest] [--repeat 3] [--draws]
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
import numpy as np

import sksmooth._random as streams
from bench_certify import CPU, art_time
from sksmooth import GaussianNoise, SmoothedClassifier

MODELS = {
    "logistic": lambda: LogisticRegression(max_iter=1000),
    "forest": lambda: RandomForestClassifier(n_estimators=50, random_state=0),
}


def time_draws(n_draws, repeat, chunk=32_768):
    """Best-of-``repeat`` seconds of ``n_draws`` standard normals per generator setup."""
    from concurrent.futures import ThreadPoolExecutor

    def draw(make, total):
        rng, out = make(), np.empty(chunk)
        for _ in range(total // chunk):
            if isinstance(rng, np.random.RandomState):
                rng.standard_normal(chunk)
            else:
                rng.standard_normal(out=out)

    pcg = lambda: np.random.Generator(np.random.PCG64(0))  # noqa: E731
    sfc = lambda: np.random.Generator(np.random.SFC64(0))  # noqa: E731
    legacy = lambda: np.random.RandomState(0)  # noqa: E731
    pool = ThreadPoolExecutor(2)
    runs = {
        "PCG64, 1 thread": lambda: draw(pcg, n_draws),
        "PCG64, 2 threads": lambda: list(pool.map(lambda _: draw(pcg, n_draws // 2), range(2))),
        "SFC64, 1 thread": lambda: draw(sfc, n_draws),
        "legacy (ART), 1 thread": lambda: draw(legacy, n_draws),
    }
    best = {key: float("inf") for key in runs}
    for _ in range(repeat):
        for key, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            best[key] = min(best[key], time.perf_counter() - t0)
    pool.shutdown()
    timed = "  ".join(f"{k} {v:.3f} s" for k, v in best.items())
    print(f"{n_draws / 1e6:.1f} M Gaussians: {timed}")
    scale = best["PCG64, 1 thread"] / best["PCG64, 2 threads"]
    print(f"    two threads scale by {scale:.2f}; legacy / PCG64 "
          f"{best['legacy (ART), 1 thread'] / best['PCG64, 1 thread']:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--draws", action="store_true", help="time the generators first")
    parser.add_argument("--bit-generator", default="PCG64", choices=["PCG64", "SFC64"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.bit_generator != "PCG64":  # benchmark only: other streams, other certificates
        bit_generator = getattr(np.random, args.bit_generator)
        streams.generator = lambda seed: np.random.Generator(bit_generator(seed))
        engine.generator = streams.generator
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_test = X[:200]
    print(f"# {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, n={args.n}, "
          f"best of {args.repeat}, bit generator {args.bit_generator}")
    if args.draws:
        time_draws(len(X_test) * (args.n + 100) * X.shape[1], args.repeat)
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
