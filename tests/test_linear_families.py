"""Exact linear certificates under every additive noise family, checked by direct computation."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from sksmooth import (
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    UniformNoise,
)

RNG = np.random.default_rng(0)
COV = (lambda A: A @ A.T + 0.2 * np.eye(4))(RNG.normal(size=(4, 4)) * 0.3)
SIG = np.array([0.1, 0.5, 0.3, 1.0])


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=200, n_features=4, n_informative=3, n_redundant=0,
                               random_state=0)
    base = LogisticRegression().fit(X, y)
    return X, y, base.coef_[0], base.intercept_[0]


# (noise, dual norm of w computed here by hand, from the definition of each certificate's norm)
CASES = [
    (LaplaceNoise(0.5), lambda w: np.max(np.abs(w))),
    (UniformNoise(0.5), lambda w: np.max(np.abs(w))),
    (GaussianNoise(SIG), lambda w: np.sqrt(np.sum((SIG * w) ** 2))),
    (CorrelatedGaussianNoise(COV), lambda w: np.sqrt(w @ COV @ w)),
    (LaplaceNoise(0.5, features=[0, 2]), lambda w: np.max(np.abs(w[[0, 2]]))),
    (GaussianNoise(0.3, features=[1, 2, 3]), lambda w: np.linalg.norm(w[[1, 2, 3]])),
]


@pytest.mark.parametrize("noise, dual", CASES, ids=lambda c: repr(c) if hasattr(c, "fit") else "")
def test_binary_radius_is_the_margin_in_the_dual_norm(binary, noise, dual):
    X, y, _, _ = binary
    clf = SmoothedClassifier(LogisticRegression(), noise, noise_augment=0).fit(X, y)
    w, b = clf.estimator_.coef_[0], clf.estimator_.intercept_[0]
    y_pred, radius = clf.certify(X)
    score = X @ w + b
    np.testing.assert_allclose(radius, np.abs(score) / dual(w), rtol=1e-9)
    np.testing.assert_array_equal(y_pred, clf.estimator_.predict(X))


def test_anisotropic_gaussian_probabilities_are_exact(binary):
    X, y, _, _ = binary
    clf = SmoothedClassifier(LogisticRegression(), GaussianNoise(SIG), noise_augment=0).fit(X, y)
    w, b = clf.estimator_.coef_[0], clf.estimator_.intercept_[0]
    p1 = norm.cdf((X @ w + b) / np.sqrt(np.sum((SIG * w) ** 2)))
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], p1, rtol=1e-9)


def test_multiclass_l1_noise_has_no_closed_form():
    X, y = make_classification(n_samples=150, n_features=4, n_informative=3, n_redundant=0,
                               n_classes=3, random_state=0)
    clf = SmoothedClassifier(LogisticRegression(), LaplaceNoise(0.3), method="exact",
                             n_samples=50).fit(X, y)
    with pytest.raises(ValueError, match="closed-form"):
        clf.certify(X[:2])
    auto = SmoothedClassifier(LogisticRegression(), LaplaceNoise(0.3), n_samples=50,
                              random_state=0).fit(X, y)
    assert auto.certification_ == "monte_carlo"  # method="auto" falls back to sampling
    y_pred, radius = auto.certify(X[:5])
    np.testing.assert_array_equal(radius[y_pred == -1], 0)
    assert np.all(radius[y_pred != -1] > 0)
