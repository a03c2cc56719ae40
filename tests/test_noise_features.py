"""Additive noise on chosen features: the other columns pass through untouched."""

import numpy as np
import pytest
from sklearn.tree import DecisionTreeClassifier

from sksmooth import (
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    UniformNoise,
)
from sksmooth.noise._features import resolve_features

from ._models import ConstantClassifier, HiddenLinearRule
from ._soundness import allowed_overclaims, certify_rule, overclaims

ADDITIVE = [
    lambda f: GaussianNoise(0.5, features=f),
    lambda f: GaussianNoise([0.5, 1.0], features=f),
    lambda f: CorrelatedGaussianNoise([[1.0, 0.3], [0.3, 0.5]], features=f),
    lambda f: LaplaceNoise(0.5, features=f),
    lambda f: UniformNoise(0.5, features=f),
]
IDS = ["gauss", "gauss-diag", "gauss-cov", "laplace", "uniform"]


@pytest.mark.parametrize("make", ADDITIVE, ids=IDS)
@pytest.mark.parametrize("features", [[1, 3], [False, True, False, True, False], [-4, -2]])
def test_other_columns_never_move(make, features):
    noise = make(features).validate(5)
    X = np.arange(5.0).reshape(1, 5)
    out = noise.perturb(X, noise.sample(1000, 5, np.random.default_rng(0)))
    np.testing.assert_array_equal(out[:, [0, 2, 4]], np.tile(X[:, [0, 2, 4]], (1000, 1)))
    assert np.all(out[:, [1, 3]].std(axis=0) > 0.1)


def test_resolution_of_indices_masks_and_names():
    assert resolve_features(None, 3) is None
    np.testing.assert_array_equal(resolve_features(np.array([2, 0]), 3), [0, 2])
    np.testing.assert_array_equal(resolve_features(-1, 3), [2])
    np.testing.assert_array_equal(resolve_features("b", 3, ["a", "b", "c"]), [1])


@pytest.mark.parametrize("features, names, match", [
    ([5], None, "outside"),
    ([0, 0], None, "twice"),
    ([True, False], None, "boolean mask of length 2"),
    ([False, False, False], None, "no True"),
    (["age"], None, "no column names"),
    (["age", "zip"], ["age", "income", "x"], r"\['zip'\] are not columns"),
    ([], None, "non-empty"),
    ([0.5], None, "dtype"),
])
def test_bad_features_are_rejected(features, names, match):
    with pytest.raises(ValueError, match=match):
        LaplaceNoise(features=features).validate(3, feature_names=names)


def test_sigma_vector_matches_the_noised_features():
    GaussianNoise([0.1, 0.2], features=[0, 2]).validate(3)
    with pytest.raises(ValueError, match="applies to 2 features"):
        GaussianNoise([0.1, 0.2, 0.3], features=[0, 2]).validate(3)


def test_column_names_through_the_classifier():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.normal(size=60), "zip": rng.integers(0, 5, 60).astype(float),
                      "income": rng.normal(size=60)})
    y = (X["age"] + X["income"] > 0).astype(int)

    class Recorder(DecisionTreeClassifier):
        def predict(self, X):
            self.seen_ = np.asarray(X).copy()
            return super().predict(X)

    clf = SmoothedClassifier(Recorder(max_depth=3), LaplaceNoise(0.3, features=["age", "income"]),
                             n_samples=50, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.noise_.feature_indices(3), [0, 2])
    row = X.iloc[[3]]
    clf.predict(row)
    seen = clf.estimator_.seen_
    assert seen.shape == (50, 3)
    np.testing.assert_array_equal(seen[:, 1], row["zip"].iloc[0])  # untouched column
    assert seen[:, 0].std() > 0.1 and seen[:, 2].std() > 0.1
    # Names without a DataFrame are a clear error.
    with pytest.raises(ValueError, match="no column names"):
        SmoothedClassifier(ConstantClassifier(), LaplaceNoise(features=["age"])).fit(
            X.to_numpy(), y)


@pytest.mark.slow
def test_certificate_covers_the_noised_features():
    """A rule on all features, noise on a subset: exact radius for perturbations of that subset.

    With noise on features F only, g(x) = P[w_F.eps_F < w.x + b] and the exact l1
    radius against perturbations of F is |w.x + b| / ||w_F||_inf. Over-claims are
    Binomial with p <= alpha = 0.05 over 300 inputs; fails beyond
    binom.isf(1e-4, 300, 0.05): false-alarm rate < 1e-4 (seeded).
    """
    rng = np.random.default_rng(8)
    w = np.array([0.2, 1.0, 3.0, 0.05])  # the unnoised feature 2 weighs most
    rule = HiddenLinearRule(w=w, b=0.1)
    X = rng.normal(size=(300, 4)) * 0.3
    F = [0, 1, 3]
    exact = np.abs(rule.score_(X)) / np.abs(w[F]).max()
    y_pred, radius = certify_rule(rule, LaplaceNoise(0.5, features=F), X, alpha=0.05)
    assert overclaims(y_pred, radius, rule.predict(X), exact).sum() <= allowed_overclaims(300, 0.05)
    assert np.mean(radius > 0) > 0.8


def test_a_single_index_or_name_is_accepted():
    noise = UniformNoise(0.5, features=2).validate(3)
    np.testing.assert_array_equal(noise.feature_indices(3), [2])
    noise = UniformNoise(0.5, features="b").validate(3, feature_names=["a", "b", "c"])
    np.testing.assert_array_equal(noise.feature_indices(3), [1])
