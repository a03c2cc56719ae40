"""Exact versus Monte Carlo certification of a linear model, side by side in one run.

Breast-cancer data (2 classes) and wine data (3 classes), standardized; logistic
regression; Gaussian noise sigma = 0.25; up to 200 test inputs; Monte Carlo with
n = 10,000 (n0 = 100), alpha = 0.001. Prints both wall times and how many times
faster the exact path is.

Run: python benchmarks/bench_linear.py [--repeat 3]
"""

import argparse

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from bench_certify import best_of
from sksmooth import GaussianNoise, SmoothedClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-inputs", type=int, default=200)
    args = parser.parse_args()

    for name, loader in [("breast cancer", load_breast_cancer), ("wine", load_wine)]:
        run(name, *loader(return_X_y=True), args)


def run(name, X, y, args):
    X = StandardScaler().fit_transform(X)
    X_test = X[: args.n_inputs]
    clf = SmoothedClassifier(LogisticRegression(), GaussianNoise(0.25), n_samples=10_000,
                             n_select=100, alpha=0.001, random_state=0).fit(X, y)

    t_exact, (y_exact, r_exact) = best_of(
        lambda: clf.set_params(method="exact").certify(X_test), args.repeat)
    t_mc, (y_mc, r_mc) = best_of(
        lambda: clf.set_params(method="monte_carlo").certify(X_test), args.repeat)

    certified = y_mc != -1
    print(f"{name}: {len(X_test)} inputs, {X.shape[1]} features, {len(clf.classes_)} classes, "
          f"n = 10,000 (best of {args.repeat})")
    print(f"  exact       : {t_exact * 1e3:9.2f} ms")
    print(f"  monte carlo : {t_mc * 1e3:9.2f} ms")
    print(f"  exact path is {t_mc / t_exact:,.0f} times faster")
    print(f"  mean radius: exact {r_exact.mean():.4f}, monte carlo {r_mc.mean():.4f}; "
          f"MC radius above exact on {np.sum(certified & (r_mc > r_exact))} of "
          f"{certified.sum()} certified inputs")


if __name__ == "__main__":
    main()
