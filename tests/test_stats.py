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


def test_sequential_stages_double_up_to_n_max():
    from sksmooth._stats import sequential_stage_ends

    for n_max in (1, 63, 64, 127, 128, 1000, 10_000, 123_457):
        ends = sequential_stage_ends(n_max)
        assert ends[-1] == n_max and np.all(np.diff(ends) > 0)
        assert ends[0] >= min(64, n_max)
        np.testing.assert_array_equal(ends[:-1], [ends[-1] // 2 ** j for j in
                                                  range(len(ends) - 1, 0, -1)])


@pytest.mark.parametrize("n_stages", [1, 2, 8])
def test_sequential_levels_sum_to_alpha(n_stages):
    from sksmooth._stats import sequential_stage_alphas

    levels = sequential_stage_alphas(0.01, n_stages)
    assert levels.shape == (n_stages,) and np.all(levels > 0)
    assert levels.sum() == pytest.approx(0.01, rel=1e-12)
    assert levels[-1] == pytest.approx(0.01 if n_stages == 1 else 0.005)


def test_sequential_step_matches_clopper_pearson_decisions():
    from sksmooth._stats import sequential_binomial_step

    k = np.arange(0, 201)
    reject, give_up = sequential_binomial_step(k, 200, 0.7, 0.01)
    # Independent check of both rules: exact binomial tails at the boundary p = 0.7.
    # Reject iff P[Bin(200, 0.7) >= k] < 0.01 (the lower bound exceeds 0.7) ...
    np.testing.assert_array_equal(reject, stats.binom.sf(k - 1, 200, 0.7) < 0.01)
    # ... give up iff P[Bin(200, 0.7) <= k] <= 0.01 (the upper bound is at most 0.7).
    np.testing.assert_array_equal(give_up, stats.binom.cdf(k, 200, 0.7) <= 0.01)
    assert not np.any(reject & give_up)
