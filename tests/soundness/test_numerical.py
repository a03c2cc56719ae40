"""Numerical soundness: bounds and radii at extreme counts, against high-precision oracles.

Deterministic tests (no sampling except the float32/float64 comparison, which
uses fixed seeds): no false-alarm rate applies.
"""

import mpmath
import numpy as np
import pytest
from scipy.stats import norm

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth._stats import binom_test_half, clopper_pearson_lower, clopper_pearson_upper

from .._models import ConstantClassifier, HiddenLinearRule

pytestmark = pytest.mark.soundness
mpmath.mp.dps = 60


def _tail_ge(k, n, p):
    """P[Bin(n, p) >= k] in 60-digit arithmetic, summing whichever tail has fewer terms."""
    p = mpmath.mpf(p)
    term = lambda j: mpmath.binomial(n, j) * p**j * (1 - p) ** (n - j)  # noqa: E731
    if n - k < k:
        return mpmath.fsum(term(j) for j in range(k, n + 1))
    return 1 - mpmath.fsum(term(j) for j in range(k))


# (k, n) pairs whose tails have at most a few hundred terms, up to n = 10**7.
EXTREME = [(n, n) for n in (1, 10, 100, 10**4, 10**7)] + [
    (n - j, n) for n in (10**5, 10**7) for j in (1, 7, 50)
] + [(k, n) for n in (10, 50, 300, 2000) for k in (1, 2, n // 3, n // 2, n - 5)] + [(1, 10**7)]


@pytest.mark.parametrize("alpha", [0.5, 0.05, 1e-3, 1e-6, 1e-10])
def test_clopper_pearson_is_conservative_against_60_digit_tails(alpha):
    # Lower bound p: P[Bin(n, p) >= k] <= alpha; upper bound q: P[Bin(n, q) <= k] <= alpha.
    # Before the outward rounding in _stats, scipy's Beta quantile was up to 65 ulps on the
    # optimistic side here (e.g. k=16, n=50, alpha=1e-10), and the upper bound 1.1e-10
    # relative (k=1, n=10**7).
    for k, n in EXTREME:
        lo = float(clopper_pearson_lower(k, n, alpha))
        tail = _tail_ge(k, n, lo)
        assert tail <= alpha, (k, n, alpha, lo)
        assert tail >= alpha * (1 - 1e-6), (k, n, alpha)  # and not needlessly loose
        up = float(clopper_pearson_upper(k, n, alpha))
        if k < n:
            assert 1 - _tail_ge(k + 1, n, up) <= alpha, (k, n, alpha, up)


def test_unanimous_bound_is_alpha_root_rounded_down():
    # Closed form with k = n: lower = alpha ** (1 / n) (Clopper & Pearson 1934).
    for n in (1, 10, 10**4, 10**7):
        for alpha in (0.5, 1e-3, 1e-10, 1 - 1e-12):
            lo = float(clopper_pearson_lower(n, n, alpha))
            exact = mpmath.power(mpmath.mpf(alpha), mpmath.mpf(1) / n)
            assert mpmath.mpf(lo) <= exact
            assert 0 < lo < 1  # never rounded up to 1, which would give an infinite radius


def test_binomial_test_p_value_is_never_underestimated():
    for n_a, n_b in [(60, 40), (530, 470), (5100, 4900), (700, 300), (90, 10), (20, 0),
                     (1000, 0), (5030, 4970), (10, 3)]:
        n = n_a + n_b
        exact = min(1, 2 * _tail_ge(n - min(n_a, n_b), n, 0.5))
        assert mpmath.mpf(float(binom_test_half(n_a, n_b))) >= exact


@pytest.mark.parametrize("n", [100, 10**4, 10**7])
@pytest.mark.parametrize("alpha", [0.5, 1e-3, 1e-10])
def test_radius_at_extreme_counts_is_finite_and_below_the_exact_radius(n, alpha):
    noise = GaussianNoise(sigma=0.7)
    lo = clopper_pearson_lower(n, n, alpha)
    r = float(noise.radius(lo, 1 - lo))
    assert np.isfinite(r)
    # Exact radius sigma * Phi^-1(alpha^(1/n)), with Phi^-1 in 60 digits.
    p = mpmath.power(mpmath.mpf(alpha), mpmath.mpf(1) / n)
    exact = 0.7 * mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1)
    assert mpmath.mpf(r) <= exact
    assert r >= float(exact) * (1 - 1e-9)


def test_zero_and_alpha_near_one_give_abstain_or_finite_radius():
    assert clopper_pearson_lower(0, 10**7, 1e-10) == 0.0
    assert clopper_pearson_upper(10**7, 10**7, 1e-10) == 1.0
    X = np.zeros((2, 2))
    # All votes against the selected class is impossible with one class voting, so use a
    # constant base and alpha so close to 1 that the raw bound would round to 1.
    clf = SmoothedClassifier(ConstantClassifier(), GaussianNoise(1.0), n_samples=10**6,
                             n_select=1, alpha=1 - 1e-12, random_state=0).fit(X, [0, 1])
    _, radius = clf.certify(X[:1])
    assert np.isfinite(radius).all() and radius[0] > 5


def test_bounds_and_radius_monotone_in_k_and_alpha():
    noise = GaussianNoise(1.0)
    for n in (1000, 10**7):
        k = np.unique(np.r_[np.arange(0, min(n, 3000)), np.arange(n - 3000, n + 1),
                            np.linspace(0, n, 2001).astype(int)])
        k = k[(k >= 0) & (k <= n)]
        for alpha in (0.05, 1e-10):
            lo = clopper_pearson_lower(k, n, alpha)
            up = clopper_pearson_upper(k, n, alpha)
            assert np.all(np.diff(lo) >= 0) and np.all(np.diff(up) >= 0)
            assert np.all(lo <= k / n) and np.all(k / n <= up)
            with np.errstate(divide="ignore"):
                r = noise.radius(lo, 1 - lo)
            # Finite wherever it certifies (lo > 1/2); -inf below (abstain, reported as 0.0).
            assert np.all(np.isfinite(r[lo > 0.5])) and np.all(r[lo <= 0.5] <= 0)
            assert np.all(r[1:] >= r[:-1])
        alphas = np.logspace(-10, -0.31, 200)
        lo_a = np.array([clopper_pearson_lower(n - 3, n, a) for a in alphas])
        assert np.all(np.diff(lo_a) >= 0)  # a larger alpha never gives a smaller bound
        r_a = noise.radius(lo_a, 1 - lo_a)
        assert np.all(np.diff(r_a) >= 0)


def test_float32_counts_and_alpha_give_the_float64_radius():
    rng = np.random.default_rng(0)
    n = 10**7  # counts up to 10**7 are exact in float32 (< 2**24)
    k = rng.integers(n // 2, n + 1, size=500)
    alpha32 = np.float32(1e-3)
    ref = clopper_pearson_lower(k.astype(np.int64), n, float(alpha32))
    for kk in (k.astype(np.float32), k.astype(np.int32)):
        got = clopper_pearson_lower(kk, np.float32(n), alpha32)
        assert got.dtype == np.float64
        assert np.all(got <= ref)
    noise = GaussianNoise(np.float32(0.3))
    assert np.all(noise.radius(ref.astype(np.float64), 1 - ref) <=
                  GaussianNoise(float(np.float32(0.3))).radius(ref, 1 - ref))


def test_float32_inputs_certify_as_their_float64_values_and_base_sees_float64():
    seen = []

    class Spy(HiddenLinearRule):
        def predict(self, X):
            seen.append(np.asarray(X).dtype)
            return super().predict(X)

    X = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    clf = SmoothedClassifier(Spy(w=[1.0, -1.0, 0.5]), GaussianNoise(0.5), n_samples=500,
                             noise_augment=0, random_state=0).fit(X, np.arange(20) % 2)
    y32, r32 = clf.certify(X)
    y64, r64 = clf.certify(X.astype(np.float64))
    np.testing.assert_array_equal(y32, y64)
    np.testing.assert_array_equal(r32, r64)
    # Noise is sampled and added in float64 (module docs: floating-point sampling).
    assert seen and all(dt == np.float64 for dt in seen)


def test_phi_inverse_tails_match_60_digits():
    # norm.ppf (scipy's ndtri) near 0 and 1, where radii are computed, to 1e-12 relative.
    for p in (1e-300, 1e-30, 1e-10, 0.3, 0.5 + 1e-12, 1 - 1e-10, 1 - 2**-52):
        exact = mpmath.sqrt(2) * mpmath.erfinv(2 * mpmath.mpf(p) - 1)
        got = norm.ppf(p)
        assert abs(got - float(exact)) <= 1e-12 * max(1.0, abs(float(exact))), p
