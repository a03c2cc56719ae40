"""Soft smoothing (vote="soft"): averaged predict_proba, Hoeffding bound, Gaussian radius."""

import math
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import LinearSVC

from sksmooth import (
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    SubspaceNoise,
)
from sksmooth._engine import count_votes
from sksmooth._random import row_seeds
from sksmooth._stats import hoeffding_lower

from ._models import HiddenLinearRule
from ._soundness import allowed_overclaims, overclaims


class ConstantProba(ClassifierMixin, BaseEstimator):
    """``predict_proba`` is ``proba`` on every row (classes as seen in fit)."""

    def __init__(self, proba=(0.2, 0.8)):
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.tile(np.asarray(self.proba, float), (np.asarray(X).shape[0], 1))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class ProbitRule(HiddenLinearRule):
    """Scores ``P[1] = Phi((w.x + b) / s)``; its Gaussian-smoothed score is known exactly.

    Under ``N(0, sigma^2 I)``, ``E Phi((w.(x + e) + b) / s) = Phi((w.x + b) / sqrt(s^2 +
    sigma^2 ||w||^2))``, so the soft-smoothed class is the rule's, and the radius with
    the exact mean score is ``sigma * Phi^-1(that)``.
    """

    def __init__(self, w=None, b=0.0, s=1.0):
        super().__init__(w=w, b=b)
        self.s = s

    def predict_proba(self, X):
        p1 = stats.norm.cdf(self.score_(X) / self.s)
        return np.column_stack([1 - p1, p1])


def test_hoeffding_lower_formula_and_coverage():
    np.testing.assert_allclose(hoeffding_lower([0.9, 0.01], 100, 0.05),
                               [0.9 - math.sqrt(math.log(20) / 200), 0.0])
    # Coverage: fails w.p. <= alpha = 0.1 per trial, 2000 seeded trials of Uniform[0,1]
    # draws with mean 1/2; fails beyond binom.isf(1e-4, 2000, 0.1): false alarm < 1e-4.
    draws = np.random.default_rng(0).random((2000, 50))
    lower = hoeffding_lower(draws.mean(axis=1), 50, 0.1)
    assert (lower > 0.5).sum() <= stats.binom.isf(1e-4, 2000, 0.1)


def test_count_votes_sums_scores_per_input():
    X = np.random.default_rng(0).normal(size=(5, 3))
    noise = GaussianNoise(0.1)

    def scores(rows):
        s = 1 / (1 + np.exp(-rows[:, 0]))
        return np.column_stack([1 - s, s])

    seeds = row_seeds(np.arange(20, dtype=np.uint32).reshape(5, 4), 0, 1)
    total = count_votes(scores, X, noise, 37, seeds, 2, batch_size=16)
    assert total.dtype == np.float64
    expected = []
    for x, seed in zip(X, seeds):
        draws = noise.sample(37, 3, np.random.Generator(np.random.PCG64(seed)))
        expected.append(scores(noise.perturb(x[None], draws)).sum(axis=0))
    np.testing.assert_allclose(total, expected, rtol=1e-12)


@pytest.mark.parametrize("n_samples, alpha, sigma", [(1000, 0.001, 0.25), (300, 0.05, 1.0)])
def test_constant_scores_oracle(n_samples, alpha, sigma):
    X = np.random.default_rng(0).normal(size=(6, 2))
    clf = SmoothedClassifier(ConstantProba((0.2, 0.8)), GaussianNoise(sigma), vote="soft",
                             n_samples=n_samples, n_select=10, alpha=alpha, random_state=0)
    clf.fit(X, ["a", "b"] * 3)
    np.testing.assert_allclose(clf.predict_proba(X), [[0.2, 0.8]] * 6)
    y_pred, radius = clf.certify(X)
    lower = 0.8 - math.sqrt(math.log(1 / alpha) / (2 * n_samples))
    np.testing.assert_allclose(radius, sigma * NormalDist().inv_cdf(lower), rtol=1e-9)
    assert list(y_pred) == ["b"] * 6
    # PREDICT: the Hoeffding bound at alpha / 2 classes must exceed 1/2.
    answered = 0.8 - math.sqrt(math.log(2 / alpha) / (2 * n_samples)) > 0.5
    np.testing.assert_array_equal(clf.predict_certified(X), ["b" if answered else -1] * 6)


def test_soft_scores_follow_the_classes_of_the_base_model():
    class Reversed(ConstantProba):
        def fit(self, X, y):
            self.classes_ = np.unique(y)[::-1]  # columns of predict_proba: 3, 2, 1
            return self

    X = np.zeros((6, 2))
    clf = SmoothedClassifier(Reversed((0.1, 0.2, 0.7)), GaussianNoise(0.5), vote="soft",
                             n_samples=50, random_state=0).fit(X, [3, 1, 2] * 2)
    np.testing.assert_allclose(clf.predict_proba(X[:1]), [[0.7, 0.2, 0.1]])
    assert clf.predict(X[:1])[0] == 1


def test_mahalanobis_radius_with_correlated_noise():
    X = np.zeros((4, 2))
    noise = CorrelatedGaussianNoise([[1, 0.5], [0.5, 1]])
    clf = SmoothedClassifier(ConstantProba((0.1, 0.9)), noise, vote="soft", n_samples=400,
                             alpha=0.01, random_state=0).fit(X, [0, 1] * 2)
    _, radius = clf.certify(X)
    lower = 0.9 - math.sqrt(math.log(100) / 800)
    np.testing.assert_allclose(radius, NormalDist().inv_cdf(lower), rtol=1e-9)


@pytest.mark.parametrize("noise", [LaplaceNoise(0.5), SubspaceNoise(1)])
def test_soft_vote_refuses_unproven_noises(noise):
    with pytest.raises(ValueError, match="proven for Gaussian noise only"):
        SmoothedClassifier(ConstantProba(), noise, vote="soft").fit(np.zeros((4, 2)), [0, 1] * 2)


def test_soft_vote_needs_predict_proba():
    with pytest.raises(ValueError, match="LinearSVC does not have"):
        SmoothedClassifier(LinearSVC(), vote="soft").fit(np.zeros((4, 2)), [0, 1] * 2)
    with pytest.raises(ValueError, match="vote"):
        SmoothedClassifier(vote="mean").fit(np.zeros((4, 2)), [0, 1] * 2)


@pytest.mark.slow
def test_soft_soundness_on_probit_rule():
    """Soft certificates against the exact soft radius and the rule's geometric margin.

    Each certificate exceeds sigma * Phi^-1(exact mean score) (or has the wrong class)
    with probability <= alpha = 0.05, independently over 300 inputs; the test fails
    beyond binom.isf(1e-4, 300, 0.05): false-alarm rate < 1e-4 (seeded).
    """
    rng = np.random.default_rng(9)
    sigma, s, m = 0.5, 0.3, 300
    rule = ProbitRule(w=rng.normal(size=3), b=0.1, s=s)
    X = rng.normal(size=(m, 3)) * 0.6
    score = rule.score_(X)
    mean_top = stats.norm.cdf(np.abs(score) / math.sqrt(s**2 + sigma**2 * rule.w @ rule.w))
    exact = sigma * stats.norm.ppf(mean_top)
    clf = SmoothedClassifier(rule, GaussianNoise(sigma), vote="soft", n_samples=2000,
                             n_select=50, alpha=0.05, noise_augment=0, random_state=1)
    y_pred, radius = clf.fit(X, np.arange(m) % 2).certify(X)
    truth = rule.predict(X)
    assert overclaims(y_pred, radius, truth, exact).sum() <= allowed_overclaims(m, 0.05)
    assert overclaims(y_pred, radius, truth, rule.margin(X)).sum() <= allowed_overclaims(m, 0.05)
    band = exact > 0.2
    assert band.sum() > 50 and np.mean(radius[band] >= 0.7 * exact[band]) > 0.9
