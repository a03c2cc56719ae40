"""Isotropic Gaussian noise, certified in the l2 norm."""

from numbers import Real

import numpy as np
from scipy.stats import norm as _normal
from sklearn.utils._param_validation import Interval

from ._base import BaseNoise


class GaussianNoise(BaseNoise):
    """Isotropic Gaussian noise ``N(0, sigma^2 I)``; certificates in the l2 norm.

    The smoothed classifier keeps its prediction for every perturbation ``delta``
    with ``||delta||_2 < sigma / 2 * (Phi^-1(pA) - Phi^-1(pB))``
    (Cohen, Rosenfeld & Kolter, ICML 2019, Theorem 1); with ``pB = 1 - pA`` this
    is ``sigma * Phi^-1(pA)``.

    Parameters
    ----------
    sigma : float, default=0.25
        Standard deviation of the noise on every feature, in the units of the
        input features (standardize the features first if their scales differ).

    Attributes
    ----------
    norm : str
        ``"l2"``: the radius :meth:`radius` returns is a Euclidean distance.

    Examples
    --------
    >>> from sksmooth import GaussianNoise
    >>> noise = GaussianNoise(sigma=0.5)
    >>> noise
    GaussianNoise(sigma=0.5)
    >>> float(noise.radius(0.9, 0.1))  # 0.5 * Phi^-1(0.9)
    0.640776
    """

    norm = "l2"

    _parameter_constraints = {"sigma": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, sigma=0.25):
        self.sigma = sigma

    def sample(self, n_draws, n_features, rng, out=None):
        """Draw ``(n_draws, n_features)`` offsets, i.i.d. ``N(0, sigma^2)``.

        ``out``, a float64 array of that shape, receives the same draws without
        a new allocation (the counting engine's fast path).
        """
        if out is None:
            return rng.standard_normal((n_draws, n_features)) * self.sigma
        rng.standard_normal(out=out)
        out *= self.sigma
        return out

    def radius(self, p_lower, p_upper):
        """``sigma / 2 * (Phi^-1(p_lower) - Phi^-1(p_upper))`` (Cohen et al. 2019, Thm 1)."""
        p_lower = np.asarray(p_lower, dtype=np.float64)
        p_upper = np.asarray(p_upper, dtype=np.float64)
        return 0.5 * self.sigma * (_normal.ppf(p_lower) - _normal.ppf(p_upper))

    def p_required(self, radius):
        """``Phi(radius / sigma)``: the pA at which ``sigma * Phi^-1(pA)`` reaches ``radius``.

        Inverts the binary form of Cohen et al. (2019), Theorem 1.

        Examples
        --------
        >>> from sksmooth import GaussianNoise
        >>> round(float(GaussianNoise(sigma=0.5).p_required(0.5)), 6)  # Phi(1)
        0.841345
        """
        return float(_normal.cdf(radius / self.sigma))
