"""sksmooth: provable robustness certificates for scikit-learn classifiers and regressors by randomized smoothing."""

from ._classifier import SmoothedClassifier
from ._pipeline import certify
from ._regressor import SmoothedRegressor
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

__all__ = ["SmoothedClassifier", "SmoothedRegressor", "GaussianNoise", "BaseNoise", "SmoothingWarning", "__version__"]
__all__ += ["InconsistentVersionWarning", "certify"]
__all__ += [
    "LaplaceNoise",
    "UniformNoise",
    "CorrelatedGaussianNoise",
    "SubspaceNoise",
    "BernoulliMaskNoise",
]
