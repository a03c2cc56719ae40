"""Binomial tails bounded from above in floating point, to check and repair confidence bounds.

scipy's Beta quantiles (behind the Clopper-Pearson bounds) are root finders that
can be far off at small levels: at ``alpha = 1e-300``, ``k = 2``, ``n = 10`` the
lower bound came out 1e99 times too large (its tail 1e239 times ``alpha``). Its
regularized incomplete Beta function, the tail itself, is a direct evaluation:
measured within 2.5e-13 relative of 40-digit values for tails down to 1e-30
(``tests/test_tails.py``), but 2e-10 off near 1e-300. So a bound is accepted
when one of two upper bounds on its tail is at most ``alpha``: the incomplete
Beta function raised by :data:`BETAINC_MARGIN`, for ``alpha >= 1e-30``; or, for
every ``alpha``, :func:`log_tail_upper`, the tail's first terms summed in log
space with an explicit rounding allowance. A bound that fails is moved inward
by bisection until it passes (:func:`solve`).
"""

import numpy as np
from scipy import special

_EPS = np.finfo(np.float64).eps

#: Relative allowance on scipy's incomplete Beta function: 400 times the largest error
#: measured against 40-digit values for tails in [1e-30, 1] (2.5e-13).
BETAINC_MARGIN = 1e-10
#: Smallest level at which the incomplete Beta function is trusted (measured down to it).
BETAINC_MIN_ALPHA = 1e-30
#: Terms of the tail summed before its rest is bounded by a geometric series.
_MAX_TERMS = 4096
_CHUNK = 128


def log_tail_upper(k, n, log_p, log_q):
    """An upper bound on ``ln P[Bin(n, p) >= k]`` (``1 <= k <= n``) from ``ln p`` and ``ln(1 - p)``.

    ``P[X >= k] = pmf(k) * sum_m prod_{i<m} r_{k+i}`` with the term ratios
    ``r_j = pmf(j + 1) / pmf(j) = (n - j) / (j + 1) * p / (1 - p)``, which
    decrease in ``j`` (Feller, Vol. I, VI.3); the first terms are summed and
    the rest bounded by the geometric series of the next ratio. Also
    ``P[X >= k] <= C(n, k) p^k`` (union over the k-subsets of trials). The
    smaller of the two is returned, raised by a bound on its rounding error
    (8 ulps of every logarithm summed, ``4 m`` ulps relative on a sum of ``m``
    products). Passing ``ln p`` and ``ln(1 - p)`` separately keeps both
    accurate near 0 and near 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._tails import log_tail_upper
    >>> exact = np.log(1 - 0.9**10)  # P[Bin(10, 0.1) >= 1]
    >>> upper = float(log_tail_upper(1, 10, np.log(0.1), np.log(0.9)))
    >>> bool(exact <= upper <= exact + 1e-12)
    True
    """
    k, n, log_p, log_q = (np.asarray(a, dtype=np.float64) for a in (k, n, log_p, log_q))
    k, n, log_p, log_q = np.broadcast_arrays(k, n, log_p, log_q)
    shape = k.shape
    k, n, log_p, log_q = (a.ravel() for a in (k, n, log_p, log_q))
    log_comb, comb_err = _log_binomial(n, k)
    with np.errstate(invalid="ignore", over="ignore"):
        head = k * log_p
        rest = np.where(n == k, 0.0, (n - k) * log_q)
        err = 8.0 * _EPS * (np.abs(head) + np.abs(rest)) + comb_err + 1e-14
        union = log_comb + head
        log_sum = _log_series_upper(k, n, np.exp(log_p - log_q))
        out = np.fmin(log_comb + head + rest + log_sum, union) + err
    out = np.where(log_q == -np.inf, 0.0, out)  # p = 1: the tail is 1
    return np.minimum(out, 0.0).reshape(shape)


def _log_binomial(n, k, short=256):
    """``ln C(n, k)`` and a bound on its rounding error.

    As ``sum_{i<=m} log1p((n - m) / i)``, ``m = min(k, n - k)``, where
    ``m <= short`` (each term within 3 ulps, the sum within ``m`` more);
    else from ``gammaln``, allowing 8 ulps of each of the three (they cancel).
    """
    m = np.minimum(k, n - k)
    gl = [special.gammaln(x) for x in (n + 1, k + 1, n - k + 1)]
    log_comb = gl[0] - gl[1] - gl[2]
    err = 8.0 * _EPS * (np.abs(gl[0]) + np.abs(gl[1]) + np.abs(gl[2]))
    few = m <= short
    if few.any():
        mm, base = m[few], (n - m)[few]
        i = np.arange(1, int(mm.max()) + 1, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(i <= mm[:, None], np.log1p(base[:, None] / i), 0.0)
        exact = terms.sum(axis=1)
        log_comb[few] = exact
        err[few] = (mm + 3.0) * _EPS * exact
    return log_comb, err


def _log_series_upper(k, n, odds):
    """``ln`` of an upper bound on ``sum_m prod_{i<m} r_{k+i}`` (see :func:`log_tail_upper`)."""
    total = np.ones_like(k)
    term = np.ones_like(k)
    rest = np.zeros_like(k)
    todo = (n > k) & np.isfinite(odds)
    rest[(n > k) & ~np.isfinite(odds)] = np.inf
    used = 0
    for start in range(0, _MAX_TERMS, _CHUNK):
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        j = k[idx, None] + start + np.arange(_CHUNK)
        ratios = np.clip(n[idx, None] - j, 0.0, None) / (j + 1.0) * odds[idx, None]
        prods = term[idx, None] * np.cumprod(ratios, axis=1)
        total[idx] += prods.sum(axis=1)
        term[idx] = prods[:, -1]
        used = start + _CHUNK
        j_next = k[idx] + used
        r_next = np.clip(n[idx] - j_next, 0.0, None) / (j_next + 1.0) * odds[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.where(r_next < 1.0, term[idx] * r_next / (1.0 - r_next), np.inf)
        tail = np.where(term[idx] == 0.0, 0.0, tail)
        rest[idx] = tail
        todo[idx] = ~(tail <= 1e-17 * total[idx])
    with np.errstate(divide="ignore"):
        return np.log((total + rest) * (1.0 + 4.0 * (used + 2) * _EPS))


def solve(ok, good, bad, iterations=200):
    """Bisect, per element, between ``good`` (``ok`` holds) and ``bad``; return the last good.

    ``ok(x, index)`` says for the elements ``index`` whether ``x`` is
    acceptable; it should be monotone between the two ends, but the answer is
    always a point where it held (or ``good`` itself). Midpoints are taken in
    logit space, which resolves both ends of (0, 1), and arithmetically where
    that stalls.
    """
    good = np.array(good, dtype=np.float64)
    bad = np.array(bad, dtype=np.float64)
    for _ in range(iterations):
        live = np.flatnonzero(good != bad)
        if live.size == 0:
            break
        g, b = good[live], bad[live]
        with np.errstate(divide="ignore", invalid="ignore"):
            mid = special.expit(0.5 * (special.logit(g) + special.logit(b)))
        # An end at 0 or 1 (logit infinite): approach it 32 binary orders at a time.
        mid = np.where((g == 0) & (b > 0), b * 2.0**-32, mid)
        mid = np.where((g > 0) & (b == 0), g * 2.0**-32, mid)
        mid = np.where((b == 1) & (g < 1) & (g > 0), 1 - (1 - g) * 2.0**-32, mid)
        mid = np.where((g == 1) & (b < 1) & (b > 0), 1 - (1 - b) * 2.0**-32, mid)
        stalled = (mid == g) | (mid == b) | ~np.isfinite(mid)
        mid = np.where(stalled, g + 0.5 * (b - g), mid)
        stalled = (mid == g) | (mid == b)
        bad[live[stalled]] = g[stalled]  # adjacent floats: done
        test, mid = live[~stalled], mid[~stalled]
        passed = np.asarray(ok(mid, test), dtype=bool)
        good[test[passed]] = mid[passed]
        bad[test[~passed]] = mid[~passed]
    return good
