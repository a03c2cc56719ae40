"""Soundness of certified regression: bounds against smoothed percentiles known in closed form.

The base models hide a linear score ``s(x) = w.x + b`` (no ``coef_``, so the
Monte Carlo path runs) behind a non-decreasing map ``g``: the identity, a
strictly increasing cubic, or a step (discrete outputs with ties). Under
additive noise ``f(x + eps) = g(s(x) + w.eps)``, so the smoothed
``p``-percentile is ``g(s(x) + Q_{w.eps}(p))``: ``Q = sigma ||w||_2 Phi^-1(p)``
for Gaussian noise, 0 for the median under any symmetric noise. It is
monotone in ``w.x``, so over ``||delta|| < r`` it is extreme at
``delta = -/+ r u`` with ``u`` the dual direction (``w / ||w||_2`` for l2, the
largest-``|w_j|`` axis for l1): the probes. (For the step map this holds
except where ``s(x) + Q`` sits exactly on a step, an event of probability 0.)
For ablation noise the smoothed percentile is computed by enumerating the
kept subsets, and the probes change one feature to an extreme value.

Each input's bounds fail (a probe's true percentile outside ``[lower, upper]``)
with probability at most ``alpha``, independently across inputs (each input has
its own noise stream), so failures are stochastically below
Binomial(m, alpha). Each check fails when the count exceeds that binomial's
(1 - 1e-4) quantile: false-alarm rate <= 1e-4 per check; the seeds are fixed,
so the outcome is deterministic. ``alpha = 0.05`` makes the checks sensitive:
for Gaussian noise the bounds are tight (the worst-case set is a half-space),
so each side fails at nearly ``alpha / 2``.
"""

import zlib
from itertools import combinations

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin

from sksmooth import GaussianNoise, LaplaceNoise, SmoothedRegressor, SubspaceNoise, UniformNoise

from .._soundness import allowed_overclaims

pytestmark = [pytest.mark.soundness, pytest.mark.slow]

M, N, ALPHA = 1000, 1000, 0.05
W = np.array([0.8, -0.5, 0.3])
B = 0.1

MAPS = {
    "identity": lambda s: s,
    "cubic": lambda s: s**3 + s,
    "step": lambda s: np.floor(4.0 * s) / 4.0,
}


class HiddenMonotone(RegressorMixin, BaseEstimator):
    """``g(w.x + b)`` for a named non-decreasing ``g``; no ``coef_``."""

    def __init__(self, kind="identity"):
        self.kind = kind

    def fit(self, X, y):
        self.is_fitted_ = True
        return self

    def predict(self, X):
        return MAPS[self.kind](np.asarray(X, dtype=np.float64) @ W + B)


def _inputs(seed):
    return np.random.default_rng(seed).normal(scale=1.0, size=(M, W.size))


CASES = [
    # (name, noise, percentile, shift Q_{w.eps}(p), dual direction, radius)
    ("gaussian-median", GaussianNoise(0.5), 0.5, 0.0, W / np.linalg.norm(W), 0.3),
    ("gaussian-p0.8", GaussianNoise(0.5), 0.8,
     0.5 * np.linalg.norm(W) * stats.norm.ppf(0.8), W / np.linalg.norm(W), 0.3),
    ("laplace-median", LaplaceNoise(0.4), 0.5, 0.0, np.array([1.0, 0.0, 0.0]), 0.2),
    ("uniform-median", UniformNoise(0.6), 0.5, 0.0, np.array([1.0, 0.0, 0.0]), 0.3),
]


@pytest.mark.parametrize("kind", sorted(MAPS))
@pytest.mark.parametrize("name,noise,p,shift,u,r", CASES, ids=[c[0] for c in CASES])
def test_certify_bounds_contain_true_percentile(kind, name, noise, p, shift, u, r):
    """Failures <= binom.isf(1e-4, 1000, 0.05) = 77, and per side <= binom.isf(1e-4, 1000,
    0.025) (measured, Gaussian: about 20 per side); false-alarm rate <= 1e-4 per check."""
    X = _inputs(zlib.crc32(f"{name}-{kind}".encode()))
    g = MAPS[kind]
    reg = SmoothedRegressor(HiddenMonotone(kind), noise, n_samples=N, alpha=ALPHA,
                            percentile=p, noise_augment=0, random_state=11).fit(X, X[:, 0])
    y_pred, lower, upper = reg.certify(X, radius=r)
    s = X @ W + B
    step = r * (1 - 1e-9) * abs(W @ u)  # the largest |w.delta| over the ball, just inside
    true_low, true_high = g(s + shift - step), g(s + shift + step)
    failures = (true_low < lower) | (true_high > upper)
    assert failures.sum() <= allowed_overclaims(M, ALPHA), failures.sum()
    # Each side at alpha / 2 (the split of alpha): one more check per side, same rate.
    assert (true_low < lower).sum() <= allowed_overclaims(M, ALPHA / 2)
    assert (true_high > upper).sum() <= allowed_overclaims(M, ALPHA / 2)
    # Random probes inside the ball never beat the dual-direction ones.
    rng = np.random.default_rng(0)
    for _ in range(3):
        d = rng.normal(size=X.shape)
        if noise.norm == "l1":
            d /= np.abs(d).sum(axis=1, keepdims=True)
        else:
            d /= np.linalg.norm(d, axis=1, keepdims=True)
        probe = g(s + shift + (d * r * rng.random((M, 1))) @ W)
        assert np.all(probe >= true_low - 1e-12) and np.all(probe <= true_high + 1e-12)
    # Power: the bounds are not vacuous, and near the exact band for the identity map
    # (Gaussian: tight up to sampling; l1 families: their worst case is one coordinate's,
    # looser for w.eps summed over three coordinates).
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))
    if kind == "identity":
        ratio = np.median((upper - lower) / (true_high - true_low))
        assert ratio < (1.4 if noise.norm == "l2" else 2.5), ratio


@pytest.mark.parametrize("name,noise,p,shift,u,r", CASES[:1] + CASES[2:3],
                         ids=["gaussian-median", "laplace-median"])
def test_certified_radius_keeps_true_percentile_within_tolerance(name, noise, p, shift, u, r):
    """At the returned radius the true percentile stays within tolerance of the prediction.

    Failures <= binom.isf(1e-4, 1000, 0.05); false-alarm rate <= 1e-4.
    """
    X = _inputs(7)
    reg = SmoothedRegressor(HiddenMonotone("cubic"), noise, n_samples=N, alpha=ALPHA,
                            percentile=p, noise_augment=0, random_state=3).fit(X, X[:, 0])
    tol = 0.5
    y_pred = reg.predict(X)
    radius = reg.certified_radius(X, tolerance=tol)
    assert np.mean(radius > 0) > 0.5
    s = X @ W + B
    step = radius * (1 - 1e-9) * abs(W @ u)
    low, high = MAPS["cubic"](s + shift - step), MAPS["cubic"](s + shift + step)
    failures = (low < y_pred - tol) | (high > y_pred + tol)
    assert failures.sum() <= allowed_overclaims(M, ALPHA), failures.sum()


class KeptLinear(RegressorMixin, BaseEstimator):
    """``w.x + b`` on ablated rows (fill 0); no ``coef_``."""

    def __init__(self, w=(1.0, -2.0, 0.5, 1.5, -0.7, 0.2)):
        self.w = w

    def fit(self, X, y):
        self.is_fitted_ = True
        return self

    def predict(self, X):
        return np.asarray(X, dtype=np.float64) @ np.asarray(self.w) + B


def _ablated_percentile(x, w, k, p):
    """Exact smoothed p-percentile (lower quantile) over the C(d, k) equally likely subsets."""
    values = np.sort([x[list(c)] @ w[list(c)] + B for c in combinations(range(x.size), k)])
    return values[int(np.ceil(p * values.size)) - 1]


def test_ablation_bounds_contain_true_percentile_after_changing_a_feature():
    """Changing any one feature to +/-1e3 (radius 1 in l0): failures <= binom.isf(1e-4, 500, 0.05)."""
    m, k = 500, 2
    w = np.array(KeptLinear().w)
    X = np.random.default_rng(5).normal(size=(m, w.size))
    reg = SmoothedRegressor(KeptLinear(), SubspaceNoise(n_keep=k), n_samples=N, alpha=ALPHA,
                            noise_augment=0, random_state=2).fit(X, X[:, 0])
    _, lower, upper = reg.certify(X, radius=1)
    failures = 0
    for i in range(m):
        truths = [_ablated_percentile(X[i], w, k, 0.5)]
        for j in range(w.size):
            for v in (-1e3, 1e3):
                x = X[i].copy()
                x[j] = v
                truths.append(_ablated_percentile(x, w, k, 0.5))
        failures += (min(truths) < lower[i]) or (max(truths) > upper[i])
    assert failures <= allowed_overclaims(m, ALPHA), failures
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))
