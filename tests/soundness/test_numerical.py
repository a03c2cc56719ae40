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


def _terms(n, p, lo, hi):
    """Sum of P[Bin(n, p) = j] for lo <= j <= hi, each term from the last (ratio recursion)."""
    p = mpmath.mpf(p)
    if p in (0, 1):
        return mpmath.mpf(lo <= n * p <= hi)
    term = mpmath.binomial(n, lo) * p**lo * (1 - p) ** (n - lo)
    total, odds = term, p / (1 - p)
    for j in range(lo, hi):
        term *= (n - j) * odds / (j + 1)
        total += term
    return total


def _tail_ge_exact(k, n, p):
    """P[Bin(n, p) >= k] to 40 digits whatever its size: the shorter sum, never a cancellation."""
    if n - k < 3000:
        with mpmath.workdps(40):
            return _terms(n, p, k, n)
    with mpmath.workdps(440):  # 1 - (at most 3000 terms), with digits to spare below 1e-400
        return 1 - _terms(n, p, 0, k - 1)


def _tail_le_exact(k, n, p):
    """P[Bin(n, p) <= k], as :func:`_tail_ge_exact`."""
    if k < 3000:
        with mpmath.workdps(40):
            return _terms(n, p, 0, k)
    with mpmath.workdps(440):
        return 1 - _terms(n, p, k + 1, n)


@pytest.mark.parametrize("alpha", [1e-300, 1e-200, 1e-100, 1e-50, 1e-30, 1e-20])
def test_clopper_pearson_is_conservative_at_tiny_alpha(alpha):
    # Issue 11, item 4: scipy's Beta quantile is a root finder that fails at tiny alpha;
    # before the tail check of _stats/_tails the lower bound at alpha=1e-300, k=2, n=10 was
    # 2.4e-52 (tail 4e239 times alpha; exact 1.5e-151) and at alpha=1e-50, k=1, n=2000 its tail
    # was 3.6e-9 above alpha. Oracle: the tails summed in 40 digits, no cancellation.
    for k, n in EXTREME:
        lo = float(clopper_pearson_lower(k, n, alpha))
        tail = _tail_ge_exact(k, n, lo)
        assert tail <= alpha, (k, n, alpha, lo, float(tail / alpha))
        # Not loose: a step outward as large as _stats._outward's (2e-9 of the distance to 0
        # or 1, plus 8 ulps) crosses the exact bound.
        step = lambda b: 2e-9 * min(b, 1 - b) + 8 * np.spacing(b)  # noqa: E731
        assert _tail_ge_exact(k, n, lo + step(lo)) > alpha, (k, n, alpha, lo)
        if k < n:
            up = float(clopper_pearson_upper(k, n, alpha))
            tail = _tail_le_exact(k, n, up)
            assert tail <= alpha, (k, n, alpha, up, float(tail / alpha))
            assert up == 1.0 or _tail_le_exact(k, n, up - step(up)) > alpha, (k, n, alpha, up)


def test_clopper_pearson_is_conservative_at_subnormal_alpha():
    # The parameter allows any alpha in (0, 1), down to 5e-324; bounds stay conservative
    # there (they may be looser: a subnormal lower bound has few significant bits).
    for alpha in (1e-310, 1e-320):
        for k, n in [(1, 10), (2, 10), (5, 10), (10, 10), (25, 50), (150, 300), (1995, 2000)]:
            lo = float(clopper_pearson_lower(k, n, alpha))
            assert _tail_ge_exact(k, n, lo) <= alpha, (k, n, alpha)
            if k < n:
                up = float(clopper_pearson_upper(k, n, alpha))
                assert _tail_le_exact(k, n, up) <= alpha, (k, n, alpha)


def test_binomial_test_p_value_is_never_underestimated_deep_in_the_tail():
    # PREDICT at tiny alpha compares p-values of 1e-300 and below; scipy's CDF is measured
    # only down to 1e-30, beyond which the log-space bound of _tails is used.
    for n_a, n_b in [(2000, 3), (1500, 200), (3000, 900), (10**5, 95_000), (1100, 0),
                     (5000, 4000)]:
        n = n_a + n_b
        exact = min(1, 2 * _tail_le_exact(min(n_a, n_b), n, 0.5))
        got = float(binom_test_half(n_a, n_b))
        assert mpmath.mpf(got) >= exact, (n_a, n_b)
        assert mpmath.mpf(got) <= exact * (1 + 1e-6) + 1e-320, (n_a, n_b)  # and tight


def test_hoeffding_bound_at_subnormal_alpha_is_finite_and_below_the_mean():
    from sksmooth._stats import hoeffding_lower

    # ln(1 / alpha) overflowed to inf below alpha = 5.6e-309 (bound clipped to 0).
    lo = float(hoeffding_lower(1.0, 10**6, 1e-320))
    width = mpmath.sqrt(-mpmath.log(mpmath.mpf(1e-320)) / (2 * 10**6))
    assert 0 < lo and mpmath.mpf(lo) <= 1 - width
    for mean, n, alpha in [(0.9, 1000, 1e-3), (0.75, 10**4, 1e-10), (0.6, 10**7, 0.5)]:
        exact = mean - mpmath.sqrt(-mpmath.log(mpmath.mpf(alpha)) / (2 * n))
        assert mpmath.mpf(float(hoeffding_lower(mean, n, alpha))) <= exact


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
    # GaussianNoise.radius, sigma / 2 * (Phi^-1(pA) - Phi^-1(pB)), with Phi^-1 near 0 and 1
    # (where radii are computed) against 60-digit mpmath, to 1e-12 relative: each p against
    # pB = 1/2 (Phi^-1 = 0, isolating one term) and both ways round a far-tail partner.
    sigma = 0.7
    noise = GaussianNoise(sigma)
    ps = (1e-300, 1e-30, 1e-10, 0.3, 0.5 + 1e-12, 1 - 1e-10, 1 - 2**-52)

    def phi_inv(p):
        # Solved on the log of the smaller tail: sqrt(2) * erfinv(2p - 1) rounds 2p - 1 to -1
        # at p = 1e-300 (60 digits), giving -inf and a check that always passes.
        p = mpmath.mpf(p)
        q = min(p, 1 - p)  # exact: p is a double
        if q == 0.5:
            return mpmath.mpf(0)
        x = mpmath.findroot(lambda t: mpmath.log(mpmath.ncdf(t)) - mpmath.log(q),
                            norm.ppf(float(q)))
        assert mpmath.isfinite(x) and abs(mpmath.ncdf(x) / q - 1) < mpmath.mpf(10) ** -40
        return x if p < 0.5 else -x

    for p in ps:
        for pa, pb in ((p, 0.5), (0.5, p), (p, 1e-20), (1e-20, p)):
            exact = float(sigma / 2 * (phi_inv(pa) - phi_inv(pb)))
            got = float(noise.radius(pa, pb))
            assert abs(got - exact) <= 1e-12 * max(1.0, abs(exact)), (pa, pb)
    got = noise.radius(np.array(ps), np.full(len(ps), 0.5))  # the vectorised path
    np.testing.assert_allclose(got, [float(sigma / 2 * phi_inv(p)) for p in ps], rtol=1e-12)


def test_laplace_pairwise_radius_keeps_a_tiny_pb_near_pa_one():
    # Issue 11, item 4: -scale * log1p(pB - pA) lost pB below an ulp of pA; at pA = 1 - 1e-15,
    # pB = 1e-17 the radius came out 2.9e-4 (relative) above Teng et al.'s (2020) Theorem 1.
    from sksmooth import LaplaceNoise

    noise = LaplaceNoise(scale=0.7)
    for pa, pb in [(1 - 1e-12, 1e-20), (1 - 1e-15, 1e-17), (1 - 2**-52, 2**-60),
                   (1 - 1e-9, 1e-9), (0.9999, 1e-300), (0.75, 0.1), (0.6, 0.01), (0.3, 0.2)]:
        a, b = mpmath.mpf(pa), mpmath.mpf(pb)
        exact = max(mpmath.mpf(0.7) / 2 * mpmath.log(a / b), -mpmath.mpf(0.7) * mpmath.log(1 - a + b))
        r = float(noise.radius(pa, pb))
        assert mpmath.mpf(r) <= exact, (pa, pb)
        assert r >= float(exact) * (1 - 1e-14), (pa, pb)


def _near_singular_cov(d, cond, seed=0):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    cov = (q * np.logspace(0, -np.log10(cond), d)) @ q.T
    return (cov + cov.T) / 2


@pytest.mark.parametrize("d, cond", [(4, 1e8), (5, 1e12), (8, 1e14), (20, 1e15), (30, 1e16)])
def test_correlated_l2_radius_is_below_the_exact_ball_on_near_singular_covariances(d, cond):
    # Issue 11, item 4: radius * sqrt(eigvalsh(cov)[0]) was up to 5.7e-4 above the exact
    # ball (d=20, condition 1e15; the smallest eigenvalue of the float matrix in 60 digits).
    from sksmooth import CorrelatedGaussianNoise

    cov = _near_singular_cov(d, cond)
    with mpmath.workdps(60):
        lam = min(mpmath.eigsy(mpmath.matrix(cov.tolist()), eigvals_only=True))
        exact = 2.5 * mpmath.sqrt(lam)
    got = float(CorrelatedGaussianNoise(cov).l2_radius(2.5))
    assert 0 <= got and mpmath.mpf(got) <= exact
    if cond <= 1e12:
        assert got >= float(exact) * (1 - 1e-2)  # and not needlessly small


def test_rows_the_noise_cannot_move_warn_on_certify():
    # Issue 11, item 6: a row whose noised features are all NaN (NaN + eps = NaN) was
    # certified at the largest radius n_samples allows, with no word.
    import warnings

    from sklearn.ensemble import HistGradientBoostingClassifier

    from sksmooth._warnings import SmoothingWarning

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    clf = SmoothedClassifier(HistGradientBoostingClassifier(max_iter=5), GaussianNoise(0.5),
                             n_samples=200, random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    X_test = np.array([[np.nan, np.nan], [0.3, np.nan], [1.0, 1.0]])
    with pytest.warns(SmoothingWarning, match=r"1 input row\(s\) \(0\) have NaN in every"):
        clf.certify(X_test)
    with pytest.warns(SmoothingWarning, match="cannot move"):
        clf.predict_certified(X_test, radius=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmoothingWarning)
        clf.certify(X_test[1:])  # some NaN, but noise moves the other feature: no warning
    # Only the noised features count: noise on feature 1 alone, which is NaN in row 1.
    clf_f = SmoothedClassifier(HistGradientBoostingClassifier(max_iter=5),
                               GaussianNoise(0.5, features=[1]), n_samples=200,
                               random_state=0).fit(X, (X[:, 0] > 0).astype(int))
    with pytest.warns(SmoothingWarning, match=r"2 input row\(s\) \(0, 1\)"):
        clf_f.certify(X_test)
