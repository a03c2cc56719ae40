"""Noise families for randomized smoothing, one module per family."""

from ._additive import AdditiveNoise
from ._base import BaseNoise
from ._correlated_gaussian import CorrelatedGaussianNoise, lowpass_covariance
from ._gaussian import GaussianNoise
from ._laplace import LaplaceNoise
from ._subspace import BernoulliMaskNoise, SubspaceNoise
from ._uniform import UniformNoise

__all__ = [
    "BaseNoise",
    "AdditiveNoise",
    "GaussianNoise",
    "LaplaceNoise",
    "UniformNoise",
    "CorrelatedGaussianNoise",
    "lowpass_covariance",
    "SubspaceNoise",
    "BernoulliMaskNoise",
]
