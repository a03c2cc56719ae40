"""Laplace noise, certified in the l1 norm (Teng, Lee & Yuan, ICLR 2020)."""

from numbers import Real

import numpy as np
from scipy.stats import laplace as _laplace
from sklearn.utils._param_validation import Interval

from ._additive import AdditiveNoise
from ._features import FEATURES_CONSTRAINT


class LaplaceNoise(AdditiveNoise):
    """Laplace noise, density proportional to ``exp(-||z||_1 / scale)``; certificates in the l1 norm.

    Each noised feature gets an independent Laplace offset of scale ``scale``
    (standard deviation ``sqrt(2) * scale``). The smoothed classifier keeps its
    prediction for every perturbation ``delta`` of the noised features with
    ``||delta||_1 < max(scale / 2 * ln(pA / pB), -scale * ln(1 - pA + pB))``
    (Teng, Lee & Yuan, ICLR 2020, Theorem 1); with ``pB = 1 - pA`` this is
    ``-scale * ln(2 * (1 - pA))``.

    Parameters
    ----------
    scale : float, default=0.25
        Scale ``lambda`` of the Laplace noise, in the units of the features.
    features : array-like of int, bool or str, default=None
        The features the noise applies to: indices, a boolean mask, or column
        names when the estimator is fitted on a DataFrame. None noises every
        feature. Other columns pass through unchanged, and the certificate
        covers perturbations of the noised features only.

    Attributes
    ----------
    norm : str
        ``"l1"``: the radius :meth:`radius` returns bounds ``||delta||_1``.

    See Also
    --------
    UniformNoise : The other l1 noise.

    Examples
    --------
    >>> from sksmooth import LaplaceNoise
    >>> noise = LaplaceNoise(scale=0.5)
    >>> noise
    LaplaceNoise(scale=0.5)
    >>> float(noise.radius(0.9, 0.1))  # -0.5 * ln(2 * 0.1)
    0.804719
    """

    norm = "l1"

    _parameter_constraints = {
        "scale": [Interval(Real, 0, None, closed="neither")],
        "features": FEATURES_CONSTRAINT,
    }

    def __init__(self, scale=0.25, *, features=None):
        self.scale = scale
        self.features = features

    def _sample(self, n_draws, n_noised, rng):
        return rng.laplace(0.0, self.scale, size=(n_draws, n_noised))

    def _sample_torch(self, n_draws, n_noised, generator, device, dtype):
        """Laplace offsets on ``device``: ``scale * (E1 - E2)`` with E1, E2 ~ Exp(1)."""
        import torch

        e = torch.empty((2, n_draws, n_noised), device=device, dtype=dtype)
        e.exponential_(generator=generator)
        return (e[0] - e[1]).mul_(self.scale)

    def _dual_norm(self, w):
        """``||w||_inf``, dual to the l1 radius (Hoelder; exact radius of a halfspace)."""
        return np.max(np.abs(w), axis=-1)

    def radius(self, p_lower, p_upper):
        """``max(scale/2 ln(pA/pB), -scale ln(1 - pA + pB))`` (Teng et al. 2020, Theorem 1)."""
        p_lower = np.asarray(p_lower, dtype=np.float64)
        p_upper = np.asarray(p_upper, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = 0.5 * self.scale * np.log(p_lower / p_upper)
            # 1 - pA + pB: ``1 - pA`` is exact for pA >= 1/2 (Sterbenz), so a tiny pB is
            # kept; log1p(pB - pA) would drop it near pA = 1 (pB below an ulp of pA).
            gap = np.where(p_lower >= 0.5, (1.0 - p_lower) + p_upper, np.nan)
            total = np.where(p_lower >= 0.5, -np.log(gap), -np.log1p(p_upper - p_lower))
            total = self.scale * total
        radius = np.fmax(ratio, total)
        # Positive radii rounded down by 4 ulps (log, product, sum: each within an ulp).
        shrink = (radius > 0) & np.isfinite(radius)  # an infinite radius (pB = 0, pA = 1) stays
        return np.where(shrink, radius - 4.0 * np.spacing(np.where(shrink, radius, 0.0)), radius)

    #: Independent coordinates, each Laplace of scale ``scale`` (tree closed forms).
    independent_coordinates = True

    def marginal_cdf(self, t, coordinate):
        """Laplace CDF and survival function at ``t / scale`` (scipy's ``laplace.cdf``, ``.sf``).

        See :meth:`BaseNoise.marginal_cdf`.

        Examples
        --------
        >>> import numpy as np
        >>> from sksmooth import LaplaceNoise
        >>> cdf, sf = LaplaceNoise(scale=1.0).marginal_cdf(np.array([-1.0, 1.0]), 0)
        >>> cdf.round(4), sf.round(4)  # 0.5 e^-1 and 1 - 0.5 e^-1
        (array([0.1839, 0.8161]), array([0.8161, 0.1839]))
        """
        z = np.asarray(t, dtype=np.float64) / self.scale
        return _laplace.cdf(z), _laplace.sf(z)

    def worst_case_probability(self, p, radius):
        """``max(exp(-r / scale) p, 1 - exp(r / scale) (1 - p))``: a sound lower bound for l1 shifts.

        The density ratio of Laplace noise at ``x`` and ``x + delta`` lies in
        ``[exp(-||delta||_1 / scale), exp(||delta||_1 / scale)]`` (Lecuyer et al.
        2019; Teng et al. 2020), which gives both terms for every set. It equals
        the exact worst case of a shift along one axis, ``F(F^-1(p) - r / scale)``
        with ``F`` the standard Laplace CDF (the Neyman-Pearson set is a
        half-line; Teng et al. 2020, Yang et al. 2020), wherever ``p <= 1/2``
        or the result is ``>= 1/2``, and is below it (conservative) elsewhere.
        So ``worst_case_probability(pA, r) > 1/2`` exactly when
        ``r < -scale ln(2 (1 - pA))``, the binary radius.

        Examples
        --------
        >>> import numpy as np
        >>> from sksmooth import LaplaceNoise
        >>> round(float(LaplaceNoise(scale=0.5).worst_case_probability(0.5, 0.5)), 6)  # e^-1 / 2
        0.18394
        """
        p = np.asarray(p, dtype=np.float64)
        eps = np.asarray(radius, dtype=np.float64) / self.scale
        with np.errstate(over="ignore", invalid="ignore"):
            shrink = np.exp(-eps) * p
            tail = 1.0 - np.exp(eps) * (1.0 - p)
            tail = np.where(p >= 1.0, 1.0, tail)
        return np.clip(np.fmax(shrink, tail), 0.0, 1.0)
