"""Confidence bounds and tests on vote counts (all vectorised, on scipy.stats).

Every function takes arrays of counts and returns arrays of the same shape.
Bounds are conservative for every ``alpha`` in (0, 1): scipy's quantile is a
first guess, accepted only where an upper bound on its binomial tail is at
most ``alpha`` (:mod:`sksmooth._tails`), and moved inward by bisection elsewhere.
"""

import warnings

import numpy as np
from scipy import special, stats

from . import _tails

_EPS = np.finfo(np.float64).eps

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


def _broadcast(k, n, alpha):
    k = np.asarray(k, dtype=np.float64)
    shape = np.broadcast_shapes(k.shape, np.shape(n), np.shape(alpha))
    return tuple(np.array(np.broadcast_to(np.asarray(a, dtype=np.float64), shape))
                 for a in (k, n, alpha))


def _log(x):
    with np.errstate(divide="ignore"):
        return np.log(x)


def _log1m(x):
    with np.errstate(divide="ignore"):
        return np.log1p(-x)


def _log_alpha(alpha):
    """``ln alpha`` rounded down (2 ulps), so that a check against it is never lenient."""
    log_alpha = np.log(alpha)
    return log_alpha - 2.0 * np.spacing(np.abs(log_alpha))


def _tail_at_most(alpha, betainc, log_tail):
    """Whether a tail is established to be ``<= alpha``: incomplete Beta or log-space bound.

    ``betainc()`` is trusted, raised by ``_tails.BETAINC_MARGIN``, for
    ``alpha >= _tails.BETAINC_MIN_ALPHA``; ``log_tail(mask)``, an upper bound on
    the logarithm of the tail of the elements ``mask``, decides where that fails.
    """
    with np.errstate(all="ignore"):
        ok = (alpha >= _tails.BETAINC_MIN_ALPHA) & (
            betainc() * (1.0 + _tails.BETAINC_MARGIN) <= alpha
        )
    if not ok.all():
        rest = ~ok
        ok[rest] = log_tail(rest) <= _log_alpha(alpha[rest])
    return ok


def _log_union_root(k, n, alpha):
    """``ln`` of a point just below ``(alpha / C(n, k)) ** (1 / k)``, where ``C(n, k) p^k <= alpha``."""
    gl = [special.gammaln(x) for x in (n + 1, k + 1, n - k + 1)]
    log_comb = np.where(k == n, 0.0, gl[0] - gl[1] - gl[2])
    slack = 32.0 * _EPS * (sum(np.abs(g) for g in gl) + np.abs(np.log(alpha))) + 1e-12
    return (np.log(alpha) - log_comb - slack) / k


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
    k, n, alpha = _broadcast(k, n, alpha)
    out = np.zeros(k.shape)
    pos = k > 0
    if not pos.any():
        return out
    k, n, alpha = k[pos], n[pos], alpha[pos]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # boost's root finder at tiny alpha
        p = _outward(stats.beta.ppf(alpha, k, n - k + 1), -1)
    p = np.where(np.isfinite(p), p, 1.0)

    def ok(x, i):  # P[Bin(n, x) >= k] <= alpha, established (_tails)
        kk, nn = k[i], n[i]
        return _tail_at_most(
            alpha[i], lambda: special.betainc(kk, nn - kk + 1, x),
            lambda m: _tails.log_tail_upper(kk[m], nn[m], _log(x[m]), _log1m(x[m])),
        )

    bad = np.flatnonzero(~ok(p, slice(None)))
    if bad.size:
        # P[X >= k] <= C(n, k) p^k: a bound that always holds, below the true one.
        good = np.exp(_log_union_root(k[bad], n[bad], alpha[bad]))
        good = np.where(ok(good, bad), good, 0.0)
        p[bad] = _tails.solve(lambda x, i: ok(x, bad[i]), good, p[bad])
    out[pos] = p
    return out


def clopper_pearson_upper(k, n, alpha):
    """One-sided upper Clopper–Pearson bound: ``Beta^-1(1 - alpha; k + 1, n - k)``, 1 where ``k == n``.

    Examples
    --------
    >>> from sksmooth._stats import clopper_pearson_upper
    >>> float(clopper_pearson_upper(0, 100, 0.001))  # == 1 - 0.001 ** (1 / 100), rounded up
    0.06674570
    """
    k, n, alpha = _broadcast(k, n, alpha)
    out = np.ones(k.shape)
    below = k < n
    if not below.any():
        return out
    k, n, alpha = k[below], n[below], alpha[below]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q = _outward(stats.beta.isf(alpha, k + 1, n - k), +1)
    q = np.where(np.isfinite(q), q, 0.0)

    def ok(x, i):  # P[Bin(n, x) <= k] = P[Bin(n, 1 - x) >= n - k] <= alpha, established
        kk, nn = k[i], n[i]
        return _tail_at_most(
            alpha[i], lambda: special.betaincc(kk + 1, nn - kk, x),
            lambda m: _tails.log_tail_upper(nn[m] - kk[m], nn[m], _log1m(x[m]), _log(x[m])),
        )

    bad = np.flatnonzero(~ok(q, slice(None)))
    if bad.size:
        # P[Bin(n, u) >= n - k] <= C(n, k) u^(n - k) with u = 1 - q.
        good = -np.expm1(_log_union_root(n[bad] - k[bad], n[bad], alpha[bad]))
        good = np.where(ok(good, bad), good, 1.0)
        q[bad] = _tails.solve(lambda x, i: ok(x, bad[i]), good, q[bad])
    out[below] = q
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
    low, total = np.broadcast_arrays(np.minimum(n_a, n_b), n_a + n_b)
    shape = low.shape
    low, total = low.ravel(), total.ravel()
    tail = stats.binom.cdf(low, total, 0.5)
    tail = tail * (1.0 + _PVALUE_MARGIN) + 2.0 * np.spacing(tail)
    # Below the range where the CDF was measured, the log-space upper bound of _tails
    # (P[X <= low] = P[X >= total - low] at p = 1/2).
    deep = (tail < _tails.BETAINC_MIN_ALPHA) & (total > low)
    if np.any(deep):
        half = np.log(0.5)
        log_tail = _tails.log_tail_upper(total[deep] - low[deep], total[deep], half, half)
        tail[deep] = np.exp(log_tail) * (1.0 + 4.0 * _EPS) + 2.0 * np.spacing(0.0)
    p = np.minimum(1.0, 2.0 * tail).reshape(shape)
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
    # -ln(alpha), not ln(1 / alpha), which overflows for subnormal alpha; the width is
    # rounded up (4 ulps) and the difference down (1 ulp), so rounding never raises the bound.
    width = np.sqrt(-np.log(alpha) / (2.0 * n)) * (1.0 + 4.0 * _EPS)
    return np.clip(np.nextafter(mean - width, -np.inf), 0.0, 1.0)


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


# ------------------------------------------------------------ order statistics
#: Order-statistic indices are chosen at level ``alpha * (1 - _ORDER_MARGIN)``: the binomial
#: CDF (scipy, about 1e-14 relative) and the probability levels fed to it (a few ulps, times n
#: in the CDF's slope) are not exact, so the level moves to the safe side by far more than both.
_ORDER_MARGIN = 1e-7


def order_statistic_lower_index(n, q, alpha):
    """Largest ``k`` in ``1..n`` with ``P[Binom(n, q) >= k] >= 1 - alpha``; 0 where none.

    The ``k``-th smallest of ``n`` i.i.d. draws is ``<= Q(q)``, the
    ``q``-quantile of their law, with probability ``P[Binom(n, F(Q(q))) >= k]
    >= P[Binom(n, q) >= k]`` (at least ``k`` draws fall at or below ``Q(q)``,
    each with probability ``F(Q(q)) >= q``): a lower confidence bound at level
    ``alpha`` (Chiang et al., NeurIPS 2020, median smoothing; David & Nagaraja,
    Order Statistics, section 7.1).

    Parameters
    ----------
    n : int
    q : array-like of float in [0, 1]
    alpha : float

    Returns
    -------
    k : ndarray of int
        1-based index; 0 means no order statistic is a lower bound (report -inf).

    Examples
    --------
    >>> from scipy.stats import binom
    >>> from sksmooth._stats import order_statistic_lower_index
    >>> k = int(order_statistic_lower_index(100, 0.5, 0.01))
    >>> k, bool(binom.sf(k - 1, 100, 0.5) >= 0.99), bool(binom.sf(k, 100, 0.5) >= 0.99)
    (38, True, False)
    """
    q = np.asarray(q, dtype=np.float64)
    level = alpha * (1.0 - _ORDER_MARGIN)

    def valid(k):  # P[Binom(n, q) <= k - 1] <= level; k = 0 is the "none" sentinel
        return (k <= 0) | (stats.binom.cdf(k - 1, n, q) <= level)

    k = np.nan_to_num(stats.binom.ppf(alpha, n, q), nan=0.0)
    k = np.clip(k, 0, n).astype(np.int64)
    for _ in range(n + 1):  # scipy's ppf is exact up to rounding: one step at most, in practice
        bad = ~valid(k)
        if not bad.any():
            break
        k = np.where(bad, k - 1, k)
    for _ in range(n + 1):
        up = (k < n) & valid(k + 1)
        if not up.any():
            break
        k = np.where(up, k + 1, k)
    return k


def order_statistic_upper_index(n, q, alpha):
    """Smallest ``k`` in ``1..n`` with ``P[Binom(n, q) >= k] <= alpha``; ``n + 1`` where none.

    The ``k``-th smallest draw is ``< Q(q)`` only if at least ``k`` draws fall
    below ``Q(q)``, each with probability ``P[Y < Q(q)] <= q``: so it is an upper
    confidence bound on ``Q(q)`` at level ``alpha`` (Chiang et al., NeurIPS 2020).

    Returns
    -------
    k : ndarray of int
        1-based index; ``n + 1`` means no order statistic is an upper bound (+inf).

    Examples
    --------
    >>> from scipy.stats import binom
    >>> from sksmooth._stats import order_statistic_upper_index
    >>> k = int(order_statistic_upper_index(100, 0.5, 0.01))
    >>> k, bool(binom.sf(k - 1, 100, 0.5) <= 0.01), bool(binom.sf(k - 2, 100, 0.5) <= 0.01)
    (63, True, False)
    """
    q = np.asarray(q, dtype=np.float64)
    level = alpha * (1.0 - _ORDER_MARGIN)

    def valid(k):  # P[Binom(n, q) >= k] <= level; k = n + 1 is the "none" sentinel
        return (k > n) | (stats.binom.sf(k - 1, n, q) <= level)

    k = np.nan_to_num(stats.binom.isf(alpha, n, q), nan=float(n)) + 1
    k = np.clip(k, 1, n + 1).astype(np.int64)
    for _ in range(n + 1):
        bad = ~valid(k)
        if not bad.any():
            break
        k = np.where(bad, k + 1, k)
    for _ in range(n + 1):
        down = (k > 1) & valid(k - 1)
        if not down.any():
            break
        k = np.where(down, k - 1, k)
    return k


def dkw_epsilon(n, alpha):
    """Half-width of the simultaneous confidence band on a CDF from ``n`` draws.

    ``P[sup_y |F_n(y) - F(y)| > eps] <= 2 exp(-2 n eps^2) = alpha`` (Dvoretzky-Kiefer-
    Wolfowitz inequality with Massart's constant, Ann. Probab. 1990).

    Examples
    --------
    >>> from sksmooth._stats import dkw_epsilon
    >>> round(dkw_epsilon(10_000, 0.001), 6)
    0.019495
    """
    return float(np.sqrt(np.log(2.0 / alpha) / (2.0 * n)))
