"""Base models whose smoothed behaviour is known exactly, for oracle tests, and a minimal noise."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from sksmooth.noise import BaseNoise


class ConstantClassifier(ClassifierMixin, BaseEstimator):
    """Always predicts one class (``label``, default: the first class seen in fit)."""

    def __init__(self, label=None):
        self.label = label

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        label = self.classes_[0] if self.label is None else self.label
        return np.full(np.asarray(X).shape[0], label, dtype=self.classes_.dtype)


class HiddenLinearRule(ClassifierMixin, BaseEstimator):
    """``1 if w.x + b > 0 else 0``, with no ``coef_`` so that smoothing must sample.

    The rule ignores the training data: its smoothed version under any
    symmetric noise is itself, and its exact certified radius is the geometric
    margin ``|w.x + b| / ||w||_q`` in the norm dual to the noise's.
    """

    def __init__(self, w=None, b=0.0):
        self.w = w
        self.b = b

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def score_(self, X):
        return np.asarray(X, dtype=np.float64) @ np.asarray(self.w, dtype=np.float64) + self.b

    def predict(self, X):
        return (self.score_(X) > 0).astype(int)

    def margin(self, X, q=2):
        return np.abs(self.score_(X)) / np.linalg.norm(np.asarray(self.w, float), ord=q)


class CubeNoise(BaseNoise):
    """The minimal family: uniform on [-scale, scale]^d, radius scale * (pA - pB) in l1.

    Yang et al. (ICML 2020), Table 1 (total variation of the shifted cube).
    """

    norm = "l1"

    def __init__(self, scale=1.0):
        self.scale = scale

    def sample(self, n_draws, n_features, rng):
        return rng.uniform(-self.scale, self.scale, size=(n_draws, n_features))

    def radius(self, p_lower, p_upper):
        return self.scale * (np.asarray(p_lower) - np.asarray(p_upper))
