"""Confidence bounds and tests on vote counts (all vectorised, all on scipy.stats).

Every function takes arrays of counts and returns arrays of the same shape.
"""

import numpy as np
from scipy import stats

#: Outward rounding of computed bounds: scipy's Beta quantiles are not correctly rounded;
#: measured on the optimistic side by up to 65 ulps (k=16, n=50) and by 1.1e-10 relative
#: (upper bound, k=1, n=10**7) against 60-digit tails (tests/soundness/test_numerical.py).
#: Bounds move outward by this fraction of their distance to 0 or 1 (the nearer) plus 2 ulps;
#: the effect on a radius is below 1e-9 relative.
_ROUNDING_MARGIN = 1e-9
#: The binomial CDF behind the p-values was measured 3.2e-14 relative below the exact value.
_PVALUE_MARGIN = 2.0**-40


def _outward(p, direction):
    """Move bounds ``p`` by the rounding margin towards 0 (``direction=-1``) or 1 (``+1``)."""
    step = _ROUNDING_MARGIN * np.minimum(p, 1.0 - p) + 2.0 * np.spacing(p)
    return np.clip(p + direction * step, 0.0, 1.0)


def clopper_pearson_lower(k, n, alpha):
    """One-sided lower Clopper–Pearson bound on a binomial proportion.

    Clopper & Pearson (1934): ``Beta^-1(alpha; k, n - k + 1)``, and 0 where
    ``k == 0``. With ``k == n`` it is exactly ``alpha ** (1 / n)``.

    Parameters
    ----------
    k : array-like of int
        Successes.
    n : int or array-like of int
        Trials.
    alpha : float
        The bound fails with probability at most ``alpha``.

    Returns
    -------
    lower : ndarray of float
        The lower bounds, in [0, 1].

    Examples
    --------
    >>> from sksmooth._stats import clopper_pearson_lower
    >>> float(clopper_pearson_lower(100, 100, 0.001))  # == 0.001 ** (1 / 100), rounded down
    0.93325430
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.broadcast_to(np.asarray(n, dtype=np.float64), k.shape)
    out = np.zeros(k.shape)
    pos = k > 0
    out[pos] = _outward(stats.beta.ppf(alpha, k[pos], n[pos] - k[pos] + 1), -1)
    return out


def clopper_pearson_upper(k, n, alpha):
    """One-sided upper Clopper–Pearson bound: ``Beta^-1(1 - alpha; k + 1, n - k)``, 1 where ``k == n``.

    Examples
    --------
    >>> from sksmooth._stats import clopper_pearson_upper
    >>> float(clopper_pearson_upper(0, 100, 0.001))  # == 1 - 0.001 ** (1 / 100), rounded up
    0.06674570
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.broadcast_to(np.asarray(n, dtype=np.float64), k.shape)
    out = np.ones(k.shape)
    below = k < n
    out[below] = _outward(stats.beta.isf(alpha, k[below] + 1, n[below] - k[below]), +1)
    return out


def binom_test_half(n_a, n_b):
    """Two-sided p-value of the binomial test of ``n_a`` successes in ``n_a + n_b`` at 1/2.

    The null distribution is symmetric, so the two-sided p-value of
    ``scipy.stats.binomtest`` equals ``min(1, 2 * P[X <= min(n_a, n_b)])``;
    this is its vectorised form (Cohen et al. 2019, PREDICT).

    Examples
    --------
    >>> from sksmooth._stats import binom_test_half
    >>> from scipy.stats import binomtest
    >>> p = binomtest(60, 100, 0.5).pvalue
    >>> bool(p <= binom_test_half(60, 40) <= p * (1 + 1e-10))  # rounded up
    True
    """
    n_a = np.asarray(n_a, dtype=np.float64)
    n_b = np.asarray(n_b, dtype=np.float64)
    tail = stats.binom.cdf(np.minimum(n_a, n_b), n_a + n_b, 0.5)
    p = np.minimum(1.0, 2.0 * tail * (1.0 + _PVALUE_MARGIN) + 2.0 * np.spacing(tail))
    return np.where(n_a == n_b, 1.0, p)


def hoeffding_lower(mean, n, alpha):
    """One-sided Hoeffding lower bound on the mean of ``n`` i.i.d. draws in [0, 1].

    Hoeffding (1963), Theorem 1: ``P[mean - E >= t] <= exp(-2 n t^2)``, so
    ``mean - sqrt(ln(1 / alpha) / (2 n))`` (clipped to [0, 1]) is below the
    expectation with probability at least ``1 - alpha``.

    Parameters
    ----------
    mean : array-like of float
        Sample means, in [0, 1].
    n : int or array-like of int
        Draws behind each mean.
    alpha : float
        The bound fails with probability at most ``alpha``.

    Returns
    -------
    lower : ndarray of float

    Examples
    --------
    >>> from sksmooth._stats import hoeffding_lower
    >>> float(hoeffding_lower(0.9, 1000, 0.001))  # 0.9 - sqrt(ln(1000) / 2000)
    0.841230...
    """
    mean = np.asarray(mean, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return np.clip(mean - np.sqrt(np.log(1.0 / alpha) / (2.0 * n)), 0.0, 1.0)
