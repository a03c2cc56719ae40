"""Exact versus Monte Carlo certification of tree models, side by side in one run.

Synthetic binary data (make_classification, 10 features, standardized), Gaussian
noise sigma = 0.5 (the models are trained on noisy copies, noise_augment=1).
Three base models: a decision tree (max_depth=8, hard vote), a 50-tree random
forest (max_depth=8, vote="soft"), and 100 gradient-boosted stumps (max_depth=1).
The exact path (method="exact") certifies all 500 test inputs, Monte Carlo
(n = 10,000, n0 = 100, alpha = 0.001) the first --n-mc of them (kept few so the
run takes well under a minute); the script prints both wall times per input,
their ratio, the width of the exact bounds, and certified
accuracy at several radii for both, including radii past the Monte Carlo cap
sigma * Phi^-1(alpha^(1/n)) (no Monte Carlo certificate can reach it).

Run: python benchmarks/bench_trees.py [--n-mc 40] [--repeat 3]
"""

import argparse

import numpy as np
from scipy.stats import norm
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from bench_certify import best_of
from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth.metrics import certified_accuracy

SIGMA, N, ALPHA = 0.5, 10_000, 0.001


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-mc", type=int, default=40,
                        help="test inputs certified by Monte Carlo too")
    parser.add_argument("--repeat", type=int, default=3, help="best of (exact path only)")
    args = parser.parse_args()

    X, y = make_classification(n_samples=1500, n_features=10, n_informative=6,
                               n_redundant=0, class_sep=1.5, random_state=0)
    X = StandardScaler().fit_transform(X)
    X_train, y_train = X[:1000], y[:1000]
    X_test, y_test = X[1000:], y[1000:]
    X_mc, y_mc_true = X_test[:args.n_mc], y_test[:args.n_mc]
    cap = SIGMA * norm.ppf(ALPHA ** (1 / N))
    radii = [0.0, 0.25, 0.5, 1.0, round(cap, 2), 2.0, 3.0, 4.0]
    print(f"{len(X_test)} test inputs (Monte Carlo: the first {len(X_mc)}), 10 features, Gaussian sigma={SIGMA}; Monte Carlo "
          f"n={N:,}, n0=100, alpha={ALPHA} (radius cap {cap:.2f})\n")

    models = [
        ("decision tree (depth 8)", DecisionTreeClassifier(max_depth=8, random_state=0), "hard"),
        ("random forest, 50 trees, soft", RandomForestClassifier(50, max_depth=8,
                                                                 random_state=0), "soft"),
        ("gradient-boosted stumps (100)", GradientBoostingClassifier(
            n_estimators=100, max_depth=1, random_state=0), "hard"),
    ]
    for name, base, vote in models:
        clf = SmoothedClassifier(base, GaussianNoise(SIGMA), n_samples=N, n_select=100,
                                 alpha=ALPHA, vote=vote, random_state=0).fit(X_train, y_train)
        t_exact, (y_ex, r_ex) = best_of(
            lambda: clf.set_params(method="exact").certify(X_test), args.repeat)
        lower, upper = clf._exact.bounds(X_test)
        t_mc, (y_mc, r_mc) = best_of(
            lambda: clf.set_params(method="monte_carlo").certify(X_mc), 1)
        clf.set_params(method="auto")
        per_exact, per_mc = t_exact / len(X_test), t_mc / len(X_mc)
        print(f"{name}  [{clf.certification_}]")
        print(f"  exact       : {per_exact * 1e3:9.3f} ms per input")
        print(f"  monte carlo : {per_mc * 1e3:9.3f} ms per input")
        print(f"  exact path is {per_mc / per_exact:,.0f} times faster per input; largest gap "
              f"between the exact bounds {np.max(upper - lower):.1e}")
        cells = []
        for r in radii:
            a_all = certified_accuracy(y_test, y_ex, r_ex, at=r)
            a_ex = certified_accuracy(y_mc_true, y_ex[:len(X_mc)], r_ex[:len(X_mc)], at=r)
            a_mc = certified_accuracy(y_mc_true, y_mc, r_mc, at=r)
            cells.append(f"  r={r:<5g} {a_all:6.3f} {a_ex:6.3f} {a_mc:6.3f}")
        print("  certified accuracy: exact (all), exact and MC (first inputs)")
        print("\n".join(cells))
        r_ex = r_ex[:len(X_mc)]
        y_ex = y_ex[:len(X_mc)]
        over = np.sum((y_mc != -1) & (y_mc == y_ex) & (r_mc > r_ex + 1e-9))
        print(f"  MC radius above the exact one on {over} of {np.sum(y_mc != -1)} inputs; "
              f"mean radius exact {r_ex.mean():.3f}, MC {r_mc.mean():.3f}\n")


if __name__ == "__main__":
    main()
