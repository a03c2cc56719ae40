"""The log-space binomial tail bound of sksmooth._tails against 40-digit sums (deterministic)."""

import mpmath
import numpy as np
import pytest

from sksmooth._tails import log_tail_upper, solve


def _log_tail(k, n, p):
    with mpmath.workdps(40):
        p = mpmath.mpf(p)
        term = mpmath.binomial(n, k) * p**k * (1 - p) ** (n - k)
        total = term
        for j in range(k, n):
            term *= (n - j) * p / ((1 - p) * (j + 1))
            total += term
            if term < total * mpmath.mpf(10) ** -45:
                break
        return mpmath.log(total)


@pytest.mark.parametrize("k, n, p", [
    (1, 10, 0.1), (2, 10, 1e-151), (10, 10, 0.5), (5, 10, 0.3), (25, 50, 2.7e-13),
    (1995, 2000, 0.6977), (1000, 2000, 0.3), (1, 10**7, 1e-307), (9_999_950, 10**7, 0.99999),
    (150, 300, 0.49), (3, 10**5, 1e-20),
])
def test_log_tail_upper_is_an_upper_bound_and_tight(k, n, p):
    exact = _log_tail(k, n, p)
    got = float(log_tail_upper(k, n, np.log(p), np.log1p(-p)))
    assert mpmath.mpf(got) >= exact
    assert got <= float(exact) + 1e-6 * max(1.0, abs(float(exact)))


def test_log_tail_upper_edge_cases():
    assert log_tail_upper(3, 3, 0.0, -np.inf) == 0.0  # p = 1
    assert log_tail_upper(3, 3, np.log(0.5), np.log(0.5)) == pytest.approx(3 * np.log(0.5))


def test_solve_returns_a_point_where_the_check_held():
    target = np.array([1e-200, 0.3, 1 - 1e-12])
    got = solve(lambda x, i: x <= target[i], np.zeros(3), np.ones(3))
    assert np.all(got <= target) and np.all(got >= target * (1 - 1e-12))
