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


def sequential_stage_ends(n_max, n_min=64):
    """Cumulative draws at the end of each stage of a sequential test: doublings up to ``n_max``.

    The last stage ends at ``n_max``; each earlier one at half the next, down
    to the first, which has at least ``n_min`` draws (a single stage when
    ``n_max < 2 * n_min``).

    Examples
    --------
    >>> from sksmooth._stats import sequential_stage_ends
    >>> sequential_stage_ends(1000).tolist()
    [125, 250, 500, 1000]
    >>> sequential_stage_ends(100).tolist()
    [100]
    """
    ends = [int(n_max)]
    while ends[-1] // 2 >= n_min:
        ends.append(ends[-1] // 2)
    return np.array(ends[::-1], dtype=np.int64)


def sequential_stage_alphas(alpha, n_stages):
    """Levels of the stages of a sequential test, summing to ``alpha`` (union bound).

    Half of ``alpha`` goes to the last stage, so that an input that needs all
    the draws is tested almost as tightly as by a single test; the other half
    is split evenly over the earlier stages (Horváth et al., ICLR 2022, adaptive
    sampling with a Bonferroni split of alpha).

    Examples
    --------
    >>> from sksmooth._stats import sequential_stage_alphas
    >>> sequential_stage_alphas(0.001, 3).tolist()
    [0.00025, 0.00025, 0.0005]
    >>> sequential_stage_alphas(0.001, 1).tolist()
    [0.001]
    """
    if n_stages == 1:
        return np.array([float(alpha)])
    early = np.full(n_stages - 1, alpha / (2.0 * (n_stages - 1)))
    return np.r_[early, alpha / 2.0]


def sequential_binomial_step(k, n, p_null, alpha):
    """One stage of the sequential test of ``H0: p <= p_null`` on ``k`` successes in ``n``.

    Rejects ``H0`` (the input is certified) where the one-sided
    Clopper–Pearson lower bound at level ``alpha`` exceeds ``p_null``; gives up
    (the input cannot be certified) where the upper bound at level ``alpha``
    is at most ``p_null``. Either way the input needs no more draws. Over
    stages with levels summing to ``alpha``, ``H0`` is wrongly rejected with
    probability at most ``alpha`` (union bound); giving up never rejects, so it
    costs no error, only power (at most ``alpha`` per stage for ``p > p_null``).

    Parameters
    ----------
    k : array-like of int
        Successes (votes for the selected class) after this stage.
    n : int
        Draws after this stage.
    p_null : float
        The probability to beat (``noise.p_required(radius)``).
    alpha : float
        This stage's level.

    Returns
    -------
    reject, give_up : ndarray of bool

    Examples
    --------
    >>> from sksmooth._stats import sequential_binomial_step
    >>> reject, give_up = sequential_binomial_step([100, 50, 80], 100, 0.8, 0.001)
    >>> reject.tolist(), give_up.tolist()
    ([True, False, False], [False, True, False])
    """
    lower = clopper_pearson_lower(k, n, alpha)
    upper = clopper_pearson_upper(k, n, alpha)
    return lower > p_null, upper <= p_null
