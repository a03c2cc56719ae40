"""Gaussian-smoothed objectives: Monte Carlo value and gradient, graduated minimization.

For a black-box ``f: R^d -> R`` and ``sigma > 0`` the Gaussian smoothing of ``f`` is

    g(x) = E f(x + sigma u),   u ~ N(0, I_d).

``g`` is differentiable even where ``f`` is not, convex when ``f`` is, never
steeper than ``f`` (``||grad g|| <= Lip(f)``), and ``g - f ~ sigma^2 / 2 f''``
for smooth ``f`` (Nesterov & Spokoiny, Found. Comput. Math. 2017, section 2).
:class:`GaussianSmoothing` estimates ``g`` and its gradient by sampling ``u``;
:func:`minimize` descends ``g`` while ``sigma`` shrinks towards 0 (graduated
optimization), which carries a jagged objective's minimizer past the local
minima that trap a local method.
"""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy.optimize import OptimizeResult
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._random import ESTIMATE, base_entropy, generator, row_keys, row_seeds

__all__ = ["GaussianSmoothing", "SmoothingEstimate", "minimize"]

#: Floats of the perturbed rows per call of ``f`` when ``batch_size`` is None (8 MiB).
_AUTO_BATCH_FLOATS = 2**20


class SmoothingEstimate(NamedTuple):
    """A Monte Carlo estimate with its standard error.

    Attributes
    ----------
    estimate : float or ndarray of shape (d,)
        The sample mean: the smoothed value, or the smoothed gradient.
    stderr : float or ndarray of shape (d,)
        Its standard error, ``s / sqrt(n)`` with ``s`` the sample standard
        deviation of the ``n`` independent per-direction terms (per coordinate
        for a gradient).
    n_evaluations : int
        The number of points at which ``f`` was evaluated.
    """

    estimate: object
    stderr: object
    n_evaluations: int


class _Moments:
    """Running count, mean and sum of squared deviations, merged chunk by chunk.

    Chan, Golub & LeVeque, "Updating formulae and a pairwise algorithm for
    computing sample variances" (1979), the pairwise update.
    """

    def __init__(self):
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, terms):
        n_b = terms.shape[0]
        mean_b = terms.mean(axis=0)
        m2_b = ((terms - mean_b) ** 2).sum(axis=0)
        n = self.n + n_b
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (n_b / n)
        self.m2 = self.m2 + m2_b + delta**2 * (self.n * n_b / n)
        self.n = n

    def result(self, n_evaluations):
        stderr = np.sqrt(self.m2 / (self.n - 1) / self.n)
        if np.ndim(self.mean) == 0:
            return SmoothingEstimate(float(self.mean), float(stderr), n_evaluations)
        return SmoothingEstimate(self.mean, stderr, n_evaluations)


def _check_x(x):
    """``x`` as a fresh float64 array of shape (d,), or a ValueError saying what to fix."""
    x = np.array(x, dtype=np.float64)  # a copy: the caller's array is never touched
    if x.ndim != 1 or x.shape[0] == 0:
        raise ValueError(
            f"x must be a 1-D array of shape (d,) with d >= 1 (one point of R^d); got shape "
            f"{x.shape}. For a function of one variable pass [x]; evaluate several points "
            "one at a time."
        )
    if not np.all(np.isfinite(x)):
        raise ValueError("x must hold finite values; it contains NaN or infinity.")
    return x


def _batch_rows(batch_size, d):
    return max(1, _AUTO_BATCH_FLOATS // d) if batch_size is None else batch_size


def _evaluate(f, rows, batch_rows):
    """``f`` on ``rows`` (m, d) in slices of at most ``batch_rows`` rows, checked: (m,) floats."""
    out = np.empty(rows.shape[0], dtype=np.float64)
    for start in range(0, rows.shape[0], batch_rows):
        chunk = rows[start:start + batch_rows]
        values = np.asarray(f(chunk))
        if values.shape != (chunk.shape[0],):
            raise ValueError(
                "f must be vectorised: called on an array of shape (m, d) it must return one "
                f"value per row, an array of shape (m,); called on shape {chunk.shape} it "
                f"returned shape {values.shape}."
            )
        if not np.all(np.isfinite(values)):
            raise ValueError("f returned NaN or infinity; the smoothed estimate needs finite "
                             "values of f near x.")
        out[start:start + chunk.shape[0]] = values
    return out


def _directions(rng, n_samples, d, batch_rows, per_direction):
    """Blocks of standard normal directions; each block needs ``per_direction`` rows each.

    The blocks concatenate to ``rng.standard_normal((n_samples, d))`` whatever the
    block size, so estimates do not depend on ``batch_size``.
    """
    block = max(1, batch_rows // per_direction)
    for start in range(0, n_samples, block):
        yield rng.standard_normal((min(block, n_samples - start), d))


def _smoothed_value(f, x, sigma, n_samples, antithetic, batch_rows, rng):
    moments, n_eval = _Moments(), 0
    for u in _directions(rng, n_samples, x.shape[0], batch_rows, 2 if antithetic else 1):
        if antithetic:
            # E f(x + sigma u) = E (f(x + sigma u) + f(x - sigma u)) / 2, since -u ~ u.
            both = _evaluate(f, np.vstack([x + sigma * u, x - sigma * u]), batch_rows)
            terms = 0.5 * (both[:len(u)] + both[len(u):])
            n_eval += 2 * len(u)
        else:
            terms = _evaluate(f, x + sigma * u, batch_rows)
            n_eval += len(u)
        moments.add(terms)
    return moments.result(n_eval)


def _smoothed_gradient(f, x, sigma, n_samples, antithetic, batch_rows, rng):
    moments, n_eval = _Moments(), 0
    f_x = None
    for u in _directions(rng, n_samples, x.shape[0], batch_rows, 2 if antithetic else 1):
        if antithetic:
            # grad g(x) = E[(f(x + sigma u) - f(x - sigma u)) u] / (2 sigma)
            # (Nesterov & Spokoiny 2017, symmetric form).
            both = _evaluate(f, np.vstack([x + sigma * u, x - sigma * u]), batch_rows)
            coef = (both[:len(u)] - both[len(u):]) / (2.0 * sigma)
            n_eval += 2 * len(u)
        else:
            # grad g(x) = E[(f(x + sigma u) - f(x)) u] / sigma (Nesterov & Spokoiny 2017).
            if f_x is None:
                f_x = _evaluate(f, x[None, :], 1)[0]
                n_eval += 1
            coef = (_evaluate(f, x + sigma * u, batch_rows) - f_x) / sigma
            n_eval += len(u)
        moments.add(coef[:, None] * u)
    return moments.result(n_eval)


class GaussianSmoothing(BaseEstimator):
    """Monte Carlo value and gradient of the Gaussian smoothing ``g(x) = E f(x + sigma u)``.

    ``u ~ N(0, I_d)``. :meth:`value` averages ``f`` over ``n_samples`` directions
    ``u``; :meth:`gradient` averages the zeroth-order estimator
    ``(f(x + sigma u) - f(x - sigma u)) u / (2 sigma)``, unbiased for
    ``grad g(x)`` (Nesterov & Spokoiny, Found. Comput. Math. 2017). Neither needs
    derivatives of ``f``, which may be non-differentiable or discontinuous.

    What the smoothing does (Nesterov & Spokoiny 2017, section 2): ``g`` is
    convex when ``f`` is; ``g`` is ``Lip(f)``-Lipschitz, and its gradient is
    Lipschitz with constant at most ``sqrt(d) Lip(f) / sigma`` even when ``f`` has
    kinks; for twice-differentiable ``f``, ``g(x) - f(x) = sigma^2 / 2 tr f''(x)
    + o(sigma^2)``, and ``g - f`` is exactly ``sigma^2 / 2 tr A`` for a quadratic
    ``f(x) = x^T A x / 2 + b^T x``.

    Parameters
    ----------
    f : callable
        The objective, vectorised: ``f(X)`` with ``X`` of shape ``(m, d)``
        returns the ``m`` values, shape ``(m,)``. It must return finite values.
    sigma : float
        Standard deviation of the smoothing noise, ``> 0``, in the units of ``x``.
    n_samples : int, default=1000
        Number of Gaussian directions ``u`` per estimate (at least 2, for the
        standard error). With ``antithetic=True`` each direction is evaluated at
        ``x + sigma u`` and ``x - sigma u``: ``2 n_samples`` evaluations of ``f``.
    antithetic : bool, default=True
        Pair every ``u`` with ``-u``. The value then averages
        ``(f(x + sigma u) + f(x - sigma u)) / 2``, which cancels the odd part of
        ``f`` around ``x`` (its variance is at most that of one evaluation); the
        gradient uses the symmetric difference above, which cancels the even
        part (the curvature term that dominates near a minimum). With False the
        value averages ``f(x + sigma u)`` and the gradient uses the forward
        difference ``(f(x + sigma u) - f(x)) u / sigma`` (``n_samples + 1``
        evaluations). Both are unbiased. At equal evaluations the antithetic
        value has the smaller variance when ``f(x + sigma u)`` and
        ``f(x - sigma u)`` are negatively correlated (a trend across ``x``; exact
        for linear ``f``) and twice the variance when ``f`` is even around ``x``;
        the forward-difference gradient can win where the gradient is large
        against ``sigma`` times the curvature. The standard error is itself an
        estimate: it cannot see an event rarer than about ``1 / n_samples`` (a
        far-off kink or spike of ``f``).
    batch_size : int, default=None
        Most rows per call of ``f`` (bounds memory: directions are drawn and
        evaluated in blocks). None: about 8 MiB of perturbed rows per call. The
        estimates do not depend on it.
    random_state : int, RandomState instance or None, default=None
        An int gives the same draws on every call. The draws at ``x`` come from
        a stream keyed by ``random_state`` and the bytes of ``x`` (as for the
        package's certificates), so distinct points get independent draws and
        :meth:`value` and :meth:`gradient` at one point share theirs.

    See Also
    --------
    minimize : graduated optimization on these estimates.

    Examples
    --------
    ``f(x) = sum x_j^4`` has ``g(x) = sum (x_j^4 + 6 sigma^2 x_j^2 + 3 sigma^4)``
    and ``grad g(x) = 4 x^3 + 12 sigma^2 x``:

    >>> import numpy as np
    >>> from sksmooth.optimize import GaussianSmoothing
    >>> def quartic(X):
    ...     return (X ** 4).sum(axis=1)
    >>> smooth = GaussianSmoothing(quartic, sigma=0.5, n_samples=20_000, random_state=0)
    >>> value, stderr, n_evaluations = smooth.value([1.0, 0.0])
    >>> exact = 1 + 6 * 0.25 * 1 + 2 * 3 * 0.5 ** 4
    >>> n_evaluations, bool(abs(value - exact) < 4 * stderr)
    (40000, True)
    >>> grad = smooth.gradient([1.0, 0.0])
    >>> bool(np.all(np.abs(grad.estimate - [4 + 12 * 0.25, 0.0]) < 4 * grad.stderr))
    True
    """

    _parameter_constraints = {
        "f": [callable],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "antithetic": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, f, sigma, *, n_samples=1000, antithetic=True, batch_size=None,
                 random_state=None):
        self.f = f
        self.sigma = sigma
        self.n_samples = n_samples
        self.antithetic = antithetic
        self.batch_size = batch_size
        self.random_state = random_state

    def _rng(self, x):
        entropy = base_entropy(self.random_state)
        return generator(row_seeds(row_keys(x[None, :]), entropy, ESTIMATE)[0])

    def value(self, x):
        """Monte Carlo estimate of ``g(x) = E f(x + sigma u)`` and its standard error.

        Parameters
        ----------
        x : array-like of shape (d,)
            The point.

        Returns
        -------
        result : SmoothingEstimate
            ``(estimate, stderr, n_evaluations)``: floats and the number of
            evaluations of ``f``; unpacks as a tuple.
        """
        self._validate_params()
        x = _check_x(x)
        return _smoothed_value(self.f, x, float(self.sigma), self.n_samples, self.antithetic,
                               _batch_rows(self.batch_size, x.shape[0]), self._rng(x))

    def gradient(self, x):
        """Monte Carlo estimate of ``grad g(x)`` and its per-coordinate standard error.

        Parameters
        ----------
        x : array-like of shape (d,)
            The point.

        Returns
        -------
        result : SmoothingEstimate
            ``(estimate, stderr, n_evaluations)`` with ``estimate`` and
            ``stderr`` arrays of shape ``(d,)``.
        """
        self._validate_params()
        x = _check_x(x)
        return _smoothed_gradient(self.f, x, float(self.sigma), self.n_samples, self.antithetic,
                                  _batch_rows(self.batch_size, x.shape[0]), self._rng(x))


@validate_params(
    {
        "f": [callable],
        "x0": "no_validation",  # _check_x says what to fix
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "sigma_final": [Interval(Real, 0, None, closed="neither"), None],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "method": [StrOptions({"adam", "gd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "antithetic": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "callback": [callable, None],
    },
    prefer_skip_nested_validation=True,
)
def minimize(f, x0, sigma=1.0, *, sigma_final=None, n_iter=300, n_samples=50, method="adam",
             learning_rate=0.1, antithetic=True, batch_size=None, random_state=None,
             callback=None):
    """Minimize ``f`` by descending its Gaussian smoothing while ``sigma`` shrinks (graduated).

    Iteration ``k = 0, ..., n_iter - 1`` uses the smoothing level
    ``sigma_k = sigma * (sigma_final / sigma) ** (k / (n_iter - 1))`` (geometric,
    from ``sigma`` down to ``sigma_final``), estimates ``grad g_{sigma_k}(x_k)``
    with the zeroth-order estimator of :class:`GaussianSmoothing` on fresh
    draws, and takes an Adam (Kingma & Ba, ICLR 2015, Algorithm 1) or plain
    gradient step. Early, large-``sigma`` iterations see a smooth, nearly convex
    version of ``f`` and travel to its basin; later ones refine the minimizer of
    the less and less smoothed objective (graduated optimization: Blake &
    Zisserman 1987; Hazan, Levy & Shalev-Shwartz, ICML 2016). Only values of
    ``f`` are used. There is no convergence guarantee for non-convex ``f``: the
    outcome depends on ``sigma`` being large against the scale of the ripples
    to smooth away.

    Parameters
    ----------
    f : callable
        The objective, vectorised: ``f(X)`` with ``X`` of shape ``(m, d)``
        returns shape ``(m,)`` (finite values).
    x0 : array-like of shape (d,)
        The starting point (not modified).
    sigma : float, default=1.0
        The first smoothing level, ``> 0``, in the units of ``x``: large enough
        to wash out the local minima to escape.
    sigma_final : float, default=None
        The last smoothing level, ``0 < sigma_final <= sigma``; None: ``sigma / 100``.
    n_iter : int, default=300
        Number of gradient steps (the schedule spans them all; no early stop).
    n_samples : int, default=50
        Gaussian directions per gradient estimate (``2 n_samples`` evaluations
        of ``f`` with ``antithetic=True``).
    method : {"adam", "gd"}, default="adam"
        ``"adam"``: Adam with ``beta1 = 0.9``, ``beta2 = 0.999``,
        ``eps = 1e-8``, whose steps are about ``learning_rate`` per coordinate
        whatever the gradient's scale; ``"gd"``: ``x <- x - learning_rate * grad``.
    learning_rate : float, default=0.1
        The step size.
    antithetic : bool, default=True
        Symmetric (``True``) or forward-difference (``False``) gradient
        estimator, as in :class:`GaussianSmoothing`.
    batch_size : int, default=None
        Most rows per call of ``f``; None: about 8 MiB of rows.
    random_state : int, RandomState instance or None, default=None
        An int makes the run reproducible; iteration ``k`` draws from its own
        independent stream.
    callback : callable, default=None
        Called after every step as ``callback(intermediate_result)`` with an
        ``OptimizeResult`` holding ``x`` (a copy), ``nit``, ``sigma`` (the level
        used) and ``jac`` (the gradient estimate used); raising
        ``StopIteration`` ends the run (scipy's convention).

    Returns
    -------
    result : scipy.optimize.OptimizeResult
        ``x`` the last iterate, ``fun`` the unsmoothed ``f(x)``, ``nit``
        steps taken, ``nfev`` evaluations of ``f``, ``sigma`` the last
        smoothing level, ``jac`` and ``jac_stderr`` the last smoothed-gradient
        estimate and its standard error, ``success`` (False only if a callback
        stopped the run) and ``message``.

    See Also
    --------
    GaussianSmoothing : the value and gradient estimators.

    Examples
    --------
    The 2-D Rastrigin function has a local minimum near every integer point;
    from ``(3.3, 3.3)`` BFGS stops in one of them, the smoothed descent reaches
    the global minimum at 0:

    >>> import numpy as np
    >>> from scipy.optimize import minimize as scipy_minimize
    >>> from sksmooth.optimize import minimize
    >>> def rastrigin(X):
    ...     X = np.atleast_2d(X)
    ...     return 10 * X.shape[1] + (X ** 2 - 10 * np.cos(2 * np.pi * X)).sum(axis=1)
    >>> bfgs = scipy_minimize(lambda x: rastrigin(x)[0], [3.3, 3.3], method="BFGS")
    >>> bfgs.x.round(2), round(float(bfgs.fun), 1)
    (array([2.98, 2.98]), 17.9)
    >>> result = minimize(rastrigin, [3.3, 3.3], sigma=1.0, random_state=0)
    >>> bool(np.all(np.abs(result.x) < 0.5)), bool(result.fun < 1)
    (True, True)
    """
    x = _check_x(x0)
    sigma = float(sigma)
    sigma_final = sigma / 100 if sigma_final is None else float(sigma_final)
    if sigma_final > sigma:
        raise ValueError(f"sigma_final ({sigma_final}) must not exceed sigma ({sigma}): the "
                         "schedule shrinks the smoothing from sigma down to sigma_final.")
    batch_rows = _batch_rows(batch_size, x.shape[0])
    streams = np.random.SeedSequence(base_entropy(random_state)).spawn(n_iter)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    nfev, nit, success, message = 0, 0, True, "completed the sigma schedule"
    grad = None
    for k in range(n_iter):
        sigma_k = sigma * (sigma_final / sigma) ** (k / max(n_iter - 1, 1))
        grad = _smoothed_gradient(f, x, sigma_k, n_samples, antithetic, batch_rows,
                                  generator(streams[k]))
        nfev += grad.n_evaluations
        if method == "adam":
            # Kingma & Ba, ICLR 2015, Algorithm 1.
            m = beta1 * m + (1 - beta1) * grad.estimate
            v = beta2 * v + (1 - beta2) * grad.estimate**2
            m_hat = m / (1 - beta1 ** (k + 1))
            v_hat = v / (1 - beta2 ** (k + 1))
            x = x - learning_rate * m_hat / (np.sqrt(v_hat) + eps)
        else:
            x = x - learning_rate * grad.estimate
        nit = k + 1
        if not np.all(np.isfinite(x)):
            success, message = False, ("the iterate became non-finite; lower learning_rate "
                                       "(method='gd' steps scale with the gradient)")
            break
        if callback is not None:
            try:
                callback(OptimizeResult(x=x.copy(), nit=nit, sigma=sigma_k, jac=grad.estimate))
            except StopIteration:
                success, message = False, "stopped by the callback"
                break
    fun = _evaluate(f, x[None, :], 1)[0] if np.all(np.isfinite(x)) else np.nan
    nfev += 1 if np.isfinite(fun) else 0
    return OptimizeResult(x=x, fun=float(fun), nit=nit, nfev=nfev, sigma=sigma_k,
                          jac=grad.estimate, jac_stderr=grad.stderr, success=success,
                          message=message)
