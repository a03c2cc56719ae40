"""Uniform noise on a cube, certified in the l1 norm (Yang et al., ICML 2020)."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._additive import AdditiveNoise
from ._features import FEATURES_CONSTRAINT


class UniformNoise(AdditiveNoise):
    """Uniform noise on ``[-scale, scale]^d``; certificates in the l1 norm.

    Shifting the cube by ``delta`` moves at most ``||delta||_1 / (2 scale)`` of
    its probability mass, so the smoothed classifier keeps its prediction for
    every perturbation of the noised features with
    ``||delta||_1 < scale * (pA - pB)``; with ``pB = 1 - pA`` this is
    ``2 * scale * (pA - 1/2)`` (Yang et al., ICML 2020, Table 1).

    Parameters
    ----------
    scale : float, default=0.25
        Half-width ``lambda`` of the cube, in the units of the features
        (standard deviation ``scale / sqrt(3)``).
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
    LaplaceNoise : The other l1 noise.

    Examples
    --------
    >>> from sksmooth import UniformNoise
    >>> noise = UniformNoise(scale=0.5)
    >>> noise
    UniformNoise(scale=0.5)
    >>> float(noise.radius(0.9, 0.1))  # 0.5 * (0.9 - 0.1)
    0.4
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
        return rng.uniform(-self.scale, self.scale, size=(n_draws, n_noised))

    def _sample_torch(self, n_draws, n_noised, generator, device, dtype):
        """Offsets uniform on ``[-scale, scale]`` drawn on ``device``."""
        import torch

        u = torch.rand((n_draws, n_noised), generator=generator, device=device, dtype=dtype)
        return u.mul_(2.0).sub_(1.0).mul_(self.scale)

    def _dual_norm(self, w):
        """``||w||_inf``, dual to the l1 radius (Hoelder; exact radius of a halfspace)."""
        return np.max(np.abs(w), axis=-1)

    def radius(self, p_lower, p_upper):
        """``scale * (pA - pB)`` (Yang et al. 2020, Table 1; total-variation bound)."""
        p_lower = np.asarray(p_lower, dtype=np.float64)
        p_upper = np.asarray(p_upper, dtype=np.float64)
        return self.scale * (p_lower - p_upper)

    #: Independent coordinates, each uniform on ``[-scale, scale]`` (tree closed forms).
    independent_coordinates = True

    def marginal_cdf(self, t, coordinate):
        """``clip((t + scale) / (2 scale))`` and ``clip((scale - t) / (2 scale))``, both direct.

        Each side is one correctly rounded sum and one division, so both keep
        their relative precision near the edges of the support (scipy's
        ``uniform.sf`` is ``1 - cdf``). See :meth:`BaseNoise.marginal_cdf`.

        Examples
        --------
        >>> import numpy as np
        >>> from sksmooth import UniformNoise
        >>> UniformNoise(scale=1.0).marginal_cdf(np.array([-2.0, 0.5]), 0)
        (array([0.  , 0.75]), array([1.  , 0.25]))
        """
        t = np.asarray(t, dtype=np.float64)
        width = 2.0 * self.scale
        return (np.clip((t + self.scale) / width, 0.0, 1.0),
                np.clip((self.scale - t) / width, 0.0, 1.0))

    def worst_case_probability(self, p, radius):
        """``max(0, p - radius / (2 scale))`` (Yang et al. 2020: total variation of the shifted cube).

        Shifting the cube by ``delta`` moves at most ``||delta||_1 / (2 scale)``
        of its mass, and a shift along one axis moves exactly that much (for
        ``||delta||_1 <= 2 scale``), so the bound is the exact worst case.

        Examples
        --------
        >>> from sksmooth import UniformNoise
        >>> float(UniformNoise(scale=0.5).worst_case_probability(0.9, 0.4))
        0.5
        """
        p = np.asarray(p, dtype=np.float64)
        radius = np.asarray(radius, dtype=np.float64)
        return np.clip(p - radius / (2.0 * self.scale), 0.0, 1.0)
