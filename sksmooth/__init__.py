"""sksmooth: provable robustness certificates for scikit-learn classifiers by randomized smoothing."""

from ._classifier import SmoothedClassifier
from ._pipeline import certify
from ._warnings import SmoothingWarning
from .noise import BaseNoise, GaussianNoise
from .noise import (
    BernoulliMaskNoise,
    CorrelatedGaussianNoise,
    LaplaceNoise,
    SubspaceNoise,
    UniformNoise,
)

__version__ = "0.1.0"

__all__ = ["SmoothedClassifier", "certify", "GaussianNoise", "BaseNoise", "SmoothingWarning", "__version__"]
__all__ += [
    "LaplaceNoise",
    "UniformNoise",
    "CorrelatedGaussianNoise",
    "SubspaceNoise",
    "BernoulliMaskNoise",
]
