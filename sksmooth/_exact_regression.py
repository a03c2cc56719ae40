"""Closed-form median smoothing of regressors: no sampling where the answer is known exactly.

A closed form answers three questions for :class:`~sksmooth.SmoothedRegressor`
(the protocol every exact path implements; each may answer None, meaning
"sample instead" for that question):

* ``percentile(X, p)`` — the smoothed ``p``-th percentile of ``f(x + eps)``;
* ``certify(X, p, radius)`` — the percentile and sound bounds on it over
  ``||delta|| < radius``;
* ``certified_radius(X, p, tolerance)`` — the largest such radius with the
  bounds within ``tolerance`` of the percentile.

Linear models are here (:class:`ExactLinearRegression`); a decision tree
regressor under product noise (exact leaf-box probabilities, a discrete output
law) is :class:`sksmooth._trees.ExactTreeRegression`, the second branch of
:func:`exact_regression`. Each has a ``kind`` (``"exact-linear"``,
``"exact-tree"``), reported by ``SmoothedRegressor.certification_``.
"""

import numpy as np
from scipy.stats import norm as _normal

from ._trees import exact_tree_regression
from .linear import _affine_or_reason, _linear_regression_scores

#: Relative rounding allowance of a length-d dot product and its dual norm
#: (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5), per feature.
_EPS = np.finfo(np.float64).eps


def exact_regression(estimator, noise, X_probe, predict_probe):
    """The exact smoothed regressor for ``(estimator, noise)``, or ``(None, reason)``.

    Parameters
    ----------
    estimator : fitted regressor
    noise : BaseNoise
    X_probe : ndarray of shape (n_probe, n_features)
        A few inputs on which to check the extracted affine map.
    predict_probe : callable
        Returns the estimator's own ``predict`` on ``X_probe``.

    Returns
    -------
    exact : ExactLinearRegression, ExactTreeRegression or None
    reason : str or None
        Why there is no closed form (the linear path's reason; the tree path's).
    """
    exact, reason = _exact_linear(estimator, noise, X_probe, predict_probe)
    if exact is not None:
        return exact, None
    tree, tree_reason = exact_tree_regression(estimator, noise, X_probe, predict_probe)
    if tree is not None:
        return tree, None
    return None, f"{reason}; {tree_reason}"


def _exact_linear(estimator, noise, X_probe, predict_probe):
    out = _affine_or_reason(estimator, _linear_regression_scores)
    if isinstance(out, str):
        return None, out
    W, b, _ = out
    if X_probe.shape[1] != W.shape[1]:
        return None, "the affine prediction does not act on the input features"
    ours = X_probe @ W[0] + b[0]
    theirs = np.asarray(predict_probe(), dtype=np.float64).reshape(ours.shape)
    scale = np.abs(X_probe) @ np.abs(W[0]) + abs(b[0])
    if not np.all(np.abs(ours - theirs) <= 1e-7 * (scale + 1.0)):
        return None, "the composed affine map does not reproduce predict"
    dual = noise.dual_norm(W[0])
    if dual is None:
        return None, f"{type(noise).__name__} gives no closed form for linear models"
    return ExactLinearRegression(W[0], float(b[0]), noise), None


class ExactLinearRegression:
    """Median smoothing of ``f(x) = w.x + b`` in closed form.

    Under additive, centrally symmetric noise ``f(x + eps) = w.x + b + w.eps``
    and ``w.eps`` is symmetric about 0, so the smoothed median is ``w.x + b``;
    under Gaussian noise every percentile is known,
    ``w.x + b + sqrt(w Sigma w^T) Phi^-1(p)``. At ``x + delta`` the percentile
    moves by ``w.delta``, and ``|w.delta| <= ||w||_dual ||delta||`` (Hoelder's
    inequality, attained as ``delta`` approaches the dual direction), so the
    bounds ``q -/+ radius ||w||_dual`` are exact. Bounds move outward by the
    rounding error of the dot products.

    Parameters
    ----------
    coef : ndarray of shape (n_features,)
    intercept : float
    noise : BaseNoise
        With :meth:`~sksmooth.BaseNoise.dual_norm`.
    """

    kind = "exact-linear"

    def __init__(self, coef, intercept, noise):
        self.coef = coef
        self.intercept = intercept
        self.noise = noise

    def _dual(self):
        return float(np.asarray(self.noise.dual_norm(self.coef)))

    def _shift(self, p):
        """``Q_{w.eps}(p)``: 0 for the median, the Gaussian quantile, or None (unknown)."""
        if p == 0.5:
            return 0.0
        cov = self.noise.gaussian_covariance(self.coef[None, :])
        if cov is None:
            return None
        return float(np.sqrt(float(np.asarray(cov).ravel()[0])) * _normal.ppf(p))

    def _rounding(self, X, extra):
        d = X.shape[1]
        return 4 * (d + 2) * _EPS * (np.abs(X) @ np.abs(self.coef) + abs(self.intercept) + extra)

    def percentile(self, X, p):
        """The smoothed ``p``-th percentile, or None where only sampling knows it."""
        shift = self._shift(p)
        if shift is None:
            return None
        return X @ self.coef + self.intercept + shift

    def certify(self, X, p, radius):
        """``(q, q - radius ||w||_dual, q + radius ||w||_dual)``, widened by rounding; or None."""
        q = self.percentile(X, p)
        if q is None:
            return None
        half = radius * self._dual()
        tol = self._rounding(X, half + abs(self._shift(p))) + 4 * (X.shape[1] + 2) * _EPS * half
        return q, q - half - tol, q + half + tol

    def certified_radius(self, X, p, tolerance):
        """``(tolerance - rounding) / ||w||_dual`` (inf for a zero dual norm); or None."""
        shift = self._shift(p)
        if shift is None:
            return None
        dual = self._dual()
        tol = self._rounding(X, tolerance + abs(shift)) * 2
        room = np.maximum(tolerance - tol, 0.0)
        shrink = 1.0 - 8 * (X.shape[1] + 2) * _EPS
        with np.errstate(divide="ignore", invalid="ignore"):
            radius = np.where(room > 0, room / dual * shrink, 0.0) if dual > 0 else np.where(
                room > 0, np.inf, 0.0)
        return radius
