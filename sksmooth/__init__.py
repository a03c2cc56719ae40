"""sksmooth: provable robustness certificates for scikit-learn classifiers by randomized smoothing."""

from ._classifier import SmoothedClassifier
from ._warnings import InconsistentVersionWarning, SmoothingWarning
from .noise import BaseNoise, GaussianNoise
from .noise import (
    BernoulliMaskNoise,
    CorrelatedGaussianNoise,
    LaplaceNoise,
    SubspaceNoise,
    UniformNoise,
)

__version__ = "0.1.0"

__all__ = ["SmoothedClassifier", "GaussianNoise", "BaseNoise", "SmoothingWarning", "__version__"]
__all__ += ["InconsistentVersionWarning"]
__all__ += [
    "LaplaceNoise",
    "UniformNoise",
    "CorrelatedGaussianNoise",
    "SubspaceNoise",
    "BernoulliMaskNoise",
]
