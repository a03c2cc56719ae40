"""Noise families for randomized smoothing, one module per family."""

from ._base import BaseNoise
from ._gaussian import GaussianNoise

__all__ = ["BaseNoise", "GaussianNoise"]
