"""Soft voting at its edges: what the soft certificate assumes, and which classifier it is about.

Regression tests for issue 11, items 2 and 3. Deterministic (quadrature oracles and
fixed seeds; where Monte Carlo is run, only exact-path facts or errors are asserted):
no false-alarm rate applies.
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from sksmooth import GaussianNoise, SmoothedClassifier

pytestmark = pytest.mark.soundness


class _Scores(ClassifierMixin, BaseEstimator):
    """``predict_proba`` = ``rows(s)`` with ``s = x_0``: any score map, for the simplex check."""

    def __init__(self, kind="sigmoid"):
        self.kind = kind

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        s = np.asarray(X)[:, 0]
        p1 = 1.0 / (1.0 + np.exp(-4.0 * s))
        if self.kind == "sigmoid":  # one sigmoid per class: rows sum to 1 only at s = 0
            return np.column_stack([1.0 / (1.0 + np.exp(4.0 * s - 2.0)), p1])
        if self.kind == "over":  # entries in [0, 1.5]: Hoeffding sees a mean > 1
            return np.column_stack([1.5 - p1, p1])
        if self.kind == "rounded":  # a probability, off the simplex by float32-like rounding
            return np.column_stack([1.0 - p1 + 3e-7, p1])
        raise ValueError(self.kind)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _fit(base, **kw):
    X = np.linspace(-2, 2, 40).reshape(-1, 1)
    return SmoothedClassifier(base, GaussianNoise(0.5), vote="soft", n_samples=500, n_select=20,
                              noise_augment=0, random_state=0, **kw).fit(X, (X[:, 0] > 0) * 1)


@pytest.mark.parametrize("kind", ["sigmoid", "over"])
def test_soft_vote_refuses_scores_that_are_not_probability_vectors(kind):
    # Before the fix: "over" certified x = -3 (mean score of class 0 about 1.5) with an
    # infinite radius, and "sigmoid" certified radii past the flip point.
    clf = _fit(_Scores(kind))
    X = np.array([[-3.0], [0.3]])
    for method in ("certify", "predict_proba", "predict", "predict_certified"):
        with pytest.raises(ValueError, match=r"_Scores.predict_proba gave a row .*probability"):
            getattr(clf, method)(X)


def test_soft_vote_accepts_rows_within_the_stated_tolerance_and_renormalises_them():
    clf = _fit(_Scores("rounded"))
    proba = clf.predict_proba(np.array([[-3.0], [0.3]]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    y_pred, radius = clf.certify(np.array([[-3.0]]))
    assert y_pred[0] == 0 and np.isfinite(radius[0])


def _wedge_model():
    """LogisticRegression(C=1e-4) on 3 classes, class 0 the lower-left quadrant (issue 11.3).

    Near a wedge-shaped class, Gaussian smoothing of the argmax (the hard vote, whose
    orthant closed form sksmooth has) and the argmax of the mean predict_proba (the
    soft vote) are different classifiers.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2)) * 2
    y = np.where((X[:, 0] < 0) & (X[:, 1] < 0), 0, np.where(X[:, 0] > 0.5 * X[:, 1], 1, 2))
    return X, y


def _soft_mean(base, x, sigma, nodes):
    """E[predict_proba(x + eps)], eps ~ N(0, sigma^2 I_2), by Gauss-Hermite quadrature."""
    t, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    E = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2) * sigma
    return np.outer(w, w).ravel() @ base.predict_proba(x + E)


def test_soft_vote_on_a_multiclass_linear_model_does_not_use_the_hard_vote_closed_form():
    X, y = _wedge_model()
    x = np.array([[-1.8, -1.2]])
    hard = SmoothedClassifier(LogisticRegression(C=1e-4), GaussianNoise(1.0), noise_augment=0,
                              random_state=0).fit(X, y)
    soft = SmoothedClassifier(LogisticRegression(C=1e-4), GaussianNoise(1.0), vote="soft",
                              noise_augment=0, n_samples=2000, random_state=0).fit(X, y)
    mean = _soft_mean(soft.estimator_, x, 1.0, 40)
    np.testing.assert_allclose(mean, _soft_mean(soft.estimator_, x, 1.0, 80), atol=1e-12)
    soft_class = int(np.argmax(mean))
    assert soft_class == 0 and mean[0] - np.sort(mean)[-2] > 1e-6  # the soft argmax is 0
    # The hard-vote closed form certifies class 1 there (correct for vote="hard") ...
    y_hard, r_hard = hard.certify(x)
    assert y_hard[0] == 1 and r_hard[0] > 0
    # ... which is not the soft classifier's class: before the fix, vote="soft" with
    # method="auto" returned exactly that certificate (class 1, radius 0.07).
    # Now it samples: the soft mean of the top class is 0.336 < 1/2, so it abstains.
    y_soft, r_soft = soft.certify(x)
    assert y_soft[0] == soft.abstain_label_ and r_soft[0] == 0.0
    mc = soft.set_params(method="monte_carlo").certify(x)
    np.testing.assert_array_equal(mc[0], y_soft)
    np.testing.assert_array_equal(mc[1], r_soft)
    soft.set_params(method="exact")
    with pytest.raises(ValueError, match="vote='soft'.*hard-vote smoothed classifier"):
        soft.certify(x)
    with pytest.raises(ValueError, match="vote='soft'"):
        soft.predict_proba(x)
