import numpy as np
import pytest
from scipy import optimize, stats

from sksmooth._stats import binom_test_half, clopper_pearson_lower, clopper_pearson_upper


@pytest.mark.parametrize("n", [1, 10, 100, 10_000, 10**7])
@pytest.mark.parametrize("alpha", [0.5, 0.05, 0.001, 1e-10])
def test_lower_bound_unanimous_is_alpha_root(n, alpha):
    # Independent oracle: P[Bin(n, p) >= n] = p**n = alpha  <=>  p = alpha**(1/n).
    # (rel=1e-8: the bound is rounded down by _stats._ROUNDING_MARGIN on purpose.)
    assert clopper_pearson_lower(n, n, alpha) == pytest.approx(alpha ** (1 / n), rel=1e-8)


def test_lower_bound_zero_successes_is_zero():
    assert clopper_pearson_lower(0, 50, 0.01) == 0.0


@pytest.mark.parametrize("k, n", [(1, 10), (7, 10), (55, 100), (9_000, 10_000), (123, 9_999)])
@pytest.mark.parametrize("alpha", [0.05, 0.001])
def test_bounds_solve_the_binomial_tail_equations(k, n, alpha):
    # The lower bound p solves P[Bin(n, p) >= k] = alpha; the upper solves P[Bin(n, p) <= k] = alpha.
    lower = optimize.brentq(lambda p: stats.binom.sf(k - 1, n, p) - alpha, 1e-15, 1 - 1e-15,
                            xtol=1e-15)
    upper = optimize.brentq(lambda p: stats.binom.cdf(k, n, p) - alpha, 1e-15, 1 - 1e-15,
                            xtol=1e-15)
    assert clopper_pearson_lower(k, n, alpha) == pytest.approx(lower, rel=1e-8)
    assert clopper_pearson_upper(k, n, alpha) == pytest.approx(upper, rel=1e-8)


def test_bounds_vectorised_and_ordered():
    k = np.array([0, 3, 50, 99, 100])
    lo = clopper_pearson_lower(k, 100, 0.01)
    hi = clopper_pearson_upper(k, 100, 0.01)
    assert lo.shape == hi.shape == (5,)
    assert np.all(lo <= k / 100) and np.all(k / 100 <= hi)
    assert np.all(np.diff(lo) > 0) and hi[-1] == 1.0


def test_binom_test_half_matches_scipy_binomtest():
    rng = np.random.default_rng(0)
    n_a = rng.integers(0, 300, size=200)
    n_b = rng.integers(0, 300, size=200)
    expected = [stats.binomtest(a, a + b, 0.5).pvalue if a + b else 1.0 for a, b in zip(n_a, n_b)]
    np.testing.assert_allclose(binom_test_half(n_a, n_b), expected, rtol=1e-10)
    assert binom_test_half(5, 5) == 1.0
