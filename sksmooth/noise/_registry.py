"""The registry of noise families: one entry per family, read by the CLI and the tests.

A new family is one module in :mod:`sksmooth.noise` plus one :class:`Family`
entry here; the ``sksmooth --noise`` choices, the family-wide tests
(``tests/test_noise_families.py``, the torch sampler and tree tests) and the
soundness suite's coverage check are built from :data:`FAMILIES`.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ._correlated_gaussian import CorrelatedGaussianNoise
from ._gaussian import GaussianNoise
from ._laplace import LaplaceNoise
from ._subspace import BernoulliMaskNoise, SubspaceNoise
from ._uniform import UniformNoise


@dataclass(frozen=True)
class Family:
    """One noise family.

    Attributes
    ----------
    name : str
        Short name (``sksmooth certify --noise NAME``).
    cls : type
        The :class:`~sksmooth.noise.BaseNoise` subclass.
    level : str
        The parameter that sets the noise level (``sigma``, ``scale``, ...).
    norm : str
        The norm of its radii at a scalar level.
    levels : tuple
        Two levels, a low and a high one, for tests on 4 features (grids).
    features : bool
        Whether the family takes ``features=`` (noise on chosen columns).
    cli : bool
        Offered by the command line's ``--noise``.
    build : callable, optional
        ``build(level, n_features, **kwargs)`` when the level is not the
        constructor's first argument (a covariance built from a scalar).
    """

    name: str
    cls: type
    level: str
    norm: str
    levels: tuple
    features: bool = True
    cli: bool = False
    build: Optional[Callable] = None

    def make(self, level, n_features=4, **kwargs):
        """An instance at ``level`` for inputs of ``n_features`` features."""
        if self.build is not None:
            return self.build(level, n_features, **kwargs)
        return self.cls(level, **kwargs)


def _banded_cov(level, n_features, **kwargs):
    """``level^2`` times a covariance with correlation 0.5 between neighbouring features."""
    cov = np.eye(n_features) + 0.5 * (np.eye(n_features, k=1) + np.eye(n_features, k=-1))
    return CorrelatedGaussianNoise(level**2 * cov, **kwargs)


#: Every noise family, by name (the CLI's ``--noise`` choices are those with ``cli``).
FAMILIES = {
    family.name: family
    for family in [
        Family("gaussian", GaussianNoise, "sigma", "l2", (0.1, 0.5), cli=True),
        Family("laplace", LaplaceNoise, "scale", "l1", (0.1, 0.5), cli=True),
        Family("uniform", UniformNoise, "scale", "l1", (0.2, 0.8), cli=True),
        Family("subspace", SubspaceNoise, "n_keep", "l0", (1, 3), features=False, cli=True),
        Family("bernoulli", BernoulliMaskNoise, "keep_prob", "l0", (0.3, 0.7), features=False),
        Family("correlated-gaussian", CorrelatedGaussianNoise, "cov", "mahalanobis",
               (0.3, 0.6), build=_banded_cov),
    ]
}
