"""Certified regression, side by side in one run: engine overhead and the exact linear path.

Diabetes data, standardized; Gaussian noise sigma = 0.25; 100 test inputs; n = 10,000,
alpha = 0.001. Prints, measured in this run:

* a 50-tree forest: ``certify`` (the ``"outputs"`` reduction, then a sort) against the
  forest's bare ``predict`` on the same 1,000,000 noisy rows (the floor), and against
  the classifier engine's counting reduction on the same rows;
* a ridge regression: the exact path against Monte Carlo on the same fitted model;
* a depth-8 decision tree: the exact tree path (leaf-box CDF) against Monte Carlo on
  the same fitted model, and the Monte Carlo bounds' width relative to the exact ones.

Run: python benchmarks/bench_regression.py [--repeat 2]
"""

import argparse

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from bench_certify import best_of
from sksmooth import GaussianNoise, SmoothedRegressor
from sksmooth._engine import count_votes
from sksmooth._random import ESTIMATE, RowSeeds, row_keys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--n-samples", type=int, default=10_000)
    args = parser.parse_args()
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_test, n = X[:100], args.n_samples
    noise = GaussianNoise(0.25)

    forest = SmoothedRegressor(RandomForestRegressor(50, max_depth=8, random_state=0), noise,
                               n_samples=n, random_state=0).fit(X[100:], y[100:])
    t_cert, _ = best_of(lambda: forest.certify(X_test, radius=0.1), args.repeat)
    rows = np.repeat(X_test, n, axis=0) + np.random.default_rng(0).normal(
        scale=0.25, size=(X_test.shape[0] * n, X.shape[1]))
    rows32 = rows.astype(np.float32)
    t_floor, _ = best_of(lambda: forest.estimator_.predict(rows32), args.repeat)
    seeds = RowSeeds(row_keys(X_test), 0, (ESTIMATE,))
    t_count, _ = best_of(lambda: count_votes(
        lambda Z: (forest.estimator_.predict(Z) > 150).astype(np.intp), X_test, noise, n, seeds,
        2, dtype=np.float32), args.repeat)
    print(f"forest, {X_test.shape[0]} inputs x {n} draws:")
    print(f"  certify (outputs + sort)  {t_cert:7.3f} s")
    print(f"  count_votes (counts)      {t_count:7.3f} s   certify / counts = {t_cert / t_count:.2f}")
    print(f"  bare predict (floor)      {t_floor:7.3f} s   certify / floor  = {t_cert / t_floor:.2f}")

    ridge = SmoothedRegressor(Ridge(), noise, n_samples=n, random_state=0).fit(X[100:], y[100:])
    mc = SmoothedRegressor(Ridge(), noise, n_samples=n, method="monte_carlo",
                           random_state=0).fit(X[100:], y[100:])
    t_exact, (_, lo_e, up_e) = best_of(lambda: ridge.certify(X_test, radius=0.1), args.repeat)
    t_mc, (_, lo_m, up_m) = best_of(lambda: mc.certify(X_test, radius=0.1), args.repeat)
    print(f"ridge: exact {t_exact * 1e3:.2f} ms, Monte Carlo {t_mc:.3f} s, "
          f"exact is {t_mc / t_exact:,.0f}x faster; Monte Carlo half-width / exact = "
          f"{np.median((up_m - lo_m) / (up_e - lo_e)):.3f} (median)")

    tree = SmoothedRegressor(DecisionTreeRegressor(max_depth=8, random_state=0), noise,
                             n_samples=n, random_state=0).fit(X[100:], y[100:])
    tree_mc = SmoothedRegressor(DecisionTreeRegressor(max_depth=8, random_state=0), noise,
                                n_samples=n, method="monte_carlo",
                                random_state=0).fit(X[100:], y[100:])
    assert tree.certification_ == "exact-tree" and tree_mc.certification_ == "monte_carlo"
    t_exact, (_, lo_e, up_e) = best_of(lambda: tree.certify(X_test, radius=0.1), args.repeat)
    t_mc, (_, lo_m, up_m) = best_of(lambda: tree_mc.certify(X_test, radius=0.1), args.repeat)
    wider = np.mean((up_m - lo_m) >= (up_e - lo_e))
    looser = np.mean((lo_m <= lo_e) & (up_m >= up_e))
    leaves = tree.estimator_.get_n_leaves()
    print(f"tree (depth 8, {leaves} leaves): exact {t_exact * 1e3:.1f} ms, "
          f"Monte Carlo {t_mc:.3f} s, exact is {t_mc / t_exact:,.0f}x faster; Monte Carlo "
          f"interval contains the exact one on {looser:.0%} of inputs, is at least as wide on "
          f"{wider:.0%}")


if __name__ == "__main__":
    main()
