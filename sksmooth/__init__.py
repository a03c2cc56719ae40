"""sksmooth: provable robustness certificates for scikit-learn classifiers by randomized smoothing."""

from ._classifier import SmoothedClassifier
from ._warnings import SmoothingWarning
from .noise import BaseNoise, GaussianNoise

__version__ = "0.1.0"

__all__ = ["SmoothedClassifier", "GaussianNoise", "BaseNoise", "SmoothingWarning", "__version__"]
