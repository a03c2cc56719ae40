"""Certification speed: sksmooth's certify vs the base model's bare predict vs IBM ART.

For each base model and each n it prints, measured side by side in one run:

* ``floor``  - the fitted base model's own ``predict`` on the same number of
  noisy rows certify evaluates (200 inputs x (n_select + n)), made beforehand
  and fed in chunks of the engine's smallest or largest batch, as float64 or
  pre-rounded to float32: the fastest of the four. Noise generation is not counted:
  this is the floor certify cannot beat.
* ``certify`` - ``SmoothedClassifier.certify`` on those 200 inputs (noise
  generation included, ``n_jobs=None``: one job, whose noise is made by a
  producer thread alongside the base model), and ``certify / floor``;
  ``cpu c/f`` the ratio of CPU seconds (all threads) of the two, which a
  machine shared with other jobs distorts less than wall-clock time;
  ``cert j2`` the same with ``n_jobs=2`` (two threads of jobs; results checked
  identical).
* ``ART`` - ``NumpyRandomizedSmoothing.certify`` of the Adversarial
  Robustness Toolbox on the same fitted model, same n, n0 = n_select
  (only when ``adversarial-robustness-toolbox`` is installed), and
  ``ART / certify`` with one job and with two.
* ``seq`` - ``predict_certified(X, radius=r, return_n_draws=True)`` (one job):
  its time, mean draws per input (selection included), ``saved`` =
  ``(n_select + n) / mean draws``, and the certified accuracy at r of the
  sequential test and of CERTIFY (``y_pred == y`` and ``radius >= r``).

Usage::

    python benchmarks/bench_certify.py            # n = 1,000, 10,000, 100,000
    python benchmarks/bench_certify.py --quick    # n = 1,000 and 10,000, no repeats
    python benchmarks/bench_certify.py --n 10000 --models forest boosting

Timings are the best of ``--repeat`` runs. See docs/user_guide/performance.rst.
"""

import argparse
import itertools
import os
import platform
import time

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth._engine import _BatchTuner

SIGMA, ALPHA, N_SELECT, N_INPUTS, RADIUS = 0.25, 0.001, 100, 200, 0.25

MODELS = {
    "logistic": lambda: LogisticRegression(max_iter=1000),
    "forest": lambda: RandomForestClassifier(n_estimators=50, random_state=0),
    "boosting": lambda: GradientBoostingClassifier(random_state=0),
}


CPU = {}  # CPU seconds (all threads) of the best run of the last best_of call


def best_of(fn, repeat):
    """Best wall-clock time of ``repeat`` runs, and the last output."""
    times, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    CPU["last"] = cpus[int(np.argmin(times))]
    return min(times), out


def floor_time(model, X, n_rows_per_input, batches, repeat, pool_rows=2_000_000):
    """Bare predict on n_rows_per_input noisy rows of each input: the fastest way.

    The fastest of float64 and float32 rows, each in chunks of every size in
    ``batches`` (small chunks suit models that read their input once, as a
    linear model does; large ones models with a per-call overhead, as forests).

    At most ``pool_rows`` noisy rows are held; beyond that the pool is reused
    (the base model's cost per row does not depend on which noisy rows it sees).
    """
    rng = np.random.default_rng(0)
    total = X.shape[0] * n_rows_per_input
    per_input = max(1, min(n_rows_per_input, pool_rows // X.shape[0]))
    pool = np.repeat(X, per_input, axis=0)
    pool += rng.standard_normal(pool.shape) * SIGMA
    best = np.inf
    for dtype, batch in itertools.product((np.float64, np.float32), batches):
        rows = pool.astype(dtype)

        def run():
            done = 0
            while done < total:
                for lo in range(0, rows.shape[0], batch):
                    take = min(batch, total - done, rows.shape[0] - lo)
                    model.predict(rows[lo : lo + take])
                    done += take
                    if done >= total:
                        break

        wall = best_of(run, repeat)[0]
        if wall < best:
            best, cpu = wall, CPU["last"]
    CPU["last"] = cpu
    return best


def art_time(model, X, n, repeat):
    try:
        from art.estimators.certification.randomized_smoothing import NumpyRandomizedSmoothing
        from art.estimators.classification import SklearnClassifier
    except ImportError:
        return None
    wrapped = SklearnClassifier(model=model)
    if not hasattr(wrapped, "channels_first"):
        # ART's sklearn wrappers lack the attribute its smoothing wrapper reads (ART 1.20).
        wrapped.channels_first = False
    art = NumpyRandomizedSmoothing(
        classifier=wrapped, sample_size=N_SELECT, scale=SIGMA, alpha=ALPHA
    )
    return best_of(lambda: art.certify(X.astype(np.float32), n=n, batch_size=n), repeat)[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=None, help="draws per input")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--quick", action="store_true", help="n = 1,000 and 10,000, one run")
    parser.add_argument("--repeat", type=int, default=None, help="best of this many runs")
    parser.add_argument("--no-art", action="store_true", help="skip ART even if installed")
    parser.add_argument("--no-sequential", action="store_true", help="skip the sequential test")
    args = parser.parse_args(argv)
    ns = args.n or ([1_000, 10_000] if args.quick else [1_000, 10_000, 100_000])
    repeat = args.repeat or (1 if args.quick else 3)

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_test, X_train, y_test, y_train = X[:N_INPUTS], X[N_INPUTS:], y[:N_INPUTS], y[N_INPUTS:]
    tuner = _BatchTuner(X.shape[1], None)
    batches = (tuner.first, tuner.cap)  # the floor's chunks: the engine's extreme batches
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.python_version()}, breast cancer: {N_INPUTS} inputs x {X.shape[1]} "
        f"features, sigma={SIGMA}, alpha={ALPHA}, n_select={N_SELECT}, floor chunks={batches}, "
        f"best of {repeat}, load average {os.getloadavg()[0]:.1f}"
    )
    header = (
        f"{'model':<9} {'n':>7} {'floor s':>8} {'certify s':>9} {'cert/floor':>10} "
        f"{'cpu c/f':>8} {'cert j2 s':>9} {'ART s':>7} {'ART/cert':>8} {'ART/j2':>6} "
        f"{'seq s':>6} {'seq draws':>9} {'saved':>6} {'acc@r seq':>9} {'acc@r cert':>10}"
    )
    print(header)
    for name in args.models:
        for n in ns:
            clf = SmoothedClassifier(
                MODELS[name](),
                noise=GaussianNoise(SIGMA),
                n_samples=n,
                n_select=N_SELECT,
                alpha=ALPHA,
                method="monte_carlo",
                random_state=0,
            ).fit(X_train, y_train)
            base = clf.estimator_
            floor = floor_time(base, X_test, N_SELECT + n, batches, repeat)
            cpu_floor = CPU["last"]
            t_cert, (y_pred, radius) = best_of(lambda: clf.certify(X_test), repeat)
            cpu_cert = CPU["last"]
            clf.set_params(n_jobs=2)
            t_j2, (y_j2, radius_j2) = best_of(lambda: clf.certify(X_test), repeat)
            clf.set_params(n_jobs=None)
            assert np.array_equal(y_j2, y_pred) and np.array_equal(radius_j2, radius)
            t_art = None if args.no_art else art_time(base, X_test, n, repeat)
            line = (
                f"{name:<9} {n:>7} {floor:>8.3f} {t_cert:>9.3f} {t_cert / floor:>10.2f} "
                f"{cpu_cert / cpu_floor:>8.2f} {t_j2:>9.3f} "
                + (
                    f"{t_art:>7.2f} {t_art / t_cert:>8.1f} {t_art / t_j2:>6.1f} "
                    if t_art
                    else f"{'-':>7} {'-':>8} {'-':>6} "
                )
            )
            if not args.no_sequential:
                t_seq, (y_seq, draws) = best_of(
                    lambda: clf.predict_certified(X_test, radius=RADIUS, return_n_draws=True),
                    repeat,
                )
                acc_seq = np.mean(y_seq == y_test)
                acc_cert = np.mean((y_pred == y_test) & (radius >= RADIUS))
                line += (
                    f"{t_seq:>6.2f} {draws.mean():>9.0f} {(N_SELECT + n) / draws.mean():>5.1f}x "
                    f"{acc_seq:>9.3f} {acc_cert:>10.3f}"
                )
            print(line, flush=True)

if __name__ == "__main__":
    main()
