"""A complete noise family: uniform noise on a cube, certified in the l-infinity norm.

Included in docs/user_guide/write_your_noise.rst and run by
tests/test_docs_write_your_noise.py.
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from sksmooth.noise import AdditiveNoise, BaseNoise
from sksmooth.noise._features import FEATURES_CONSTRAINT


class CubeLinfNoise(AdditiveNoise):
    """Uniform noise on ``[-scale, scale]^k`` on ``k`` noised features; l-inf radii.

    Shifting the cube by ``delta`` leaves the overlap ``prod_i (1 - |delta_i| / (2 scale))``,
    so for every set A the probability moves by at most the total variation
    ``TV <= 1 - (1 - ||delta||_inf / (2 scale))^k``; the prediction holds while
    ``TV < (pA - pB) / 2``, i.e. for
    ``||delta||_inf < 2 scale (1 - (1 - (pA - pB) / 2)^(1 / k))``
    (the total-variation argument of Yang et al., ICML 2020, for uniform noise).
    """

    norm = "linf"

    _parameter_constraints = {
        "scale": [Interval(Real, 0, None, closed="neither")],
        "features": FEATURES_CONSTRAINT,
    }

    def __init__(self, scale=0.25, *, features=None):
        self.scale = scale
        self.features = features

    def validate(self, n_features, feature_names=None):
        super().validate(n_features, feature_names)
        self.n_noised_ = int(self.feature_indices(n_features).shape[0])  # k in the radius
        return self

    def _sample(self, n_draws, n_noised, rng):
        # The one sampling hook: offsets for the noised features only.
        return rng.uniform(-self.scale, self.scale, size=(n_draws, n_noised))

    def radius(self, p_lower, p_upper):
        gap = 0.5 * (np.asarray(p_lower, float) - np.asarray(p_upper, float))
        with np.errstate(invalid="ignore"):
            # 1 - (1 - gap)^(1/k) without cancellation, rounded down a little (safe side).
            r = -2.0 * self.scale * np.expm1(np.log1p(-gap) / self.n_noised_)
        return np.where(gap > 0, r * (1.0 - 1e-12), 0.0)


class MinimalCubeNoise(BaseNoise):
    """The minimal form: parameters, ``norm``, ``sample`` and ``radius`` (l1 radius).

    Uniform noise on ``[-scale, scale]^d`` certifies ``||delta||_1 < scale (pA - pB)``
    (Yang et al., ICML 2020, Table 1). Everything else (validation, the
    sequential test's ``p_required``, grid search over ``scale``) comes from
    :class:`~sksmooth.BaseNoise`.
    """

    norm = "l1"

    def __init__(self, scale=0.25):
        self.scale = scale

    def sample(self, n_draws, n_features, rng):
        return rng.uniform(-self.scale, self.scale, size=(n_draws, n_features))

    def radius(self, p_lower, p_upper):
        return self.scale * (np.asarray(p_lower, float) - np.asarray(p_upper, float))
