"""Certified metrics against hand computation, and make_certified_scorer."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth.metrics import average_certified_radius, certified_accuracy, make_certified_scorer


def test_certified_accuracy_by_hand_with_abstentions_and_strings():
    y_true = ["a", "b", "b", "a", "c"]
    y_pred = np.array(["a", "b", -1, "c", "c"], dtype=object)
    radius = [0.4, 0.1, 0.0, 0.7, 0.25]
    assert certified_accuracy(y_true, y_pred, radius) == 3 / 5
    assert certified_accuracy(y_true, y_pred, radius, at=0.2) == 2 / 5
    assert certified_accuracy(y_true, y_pred, radius, at=0.25) == 2 / 5
    assert certified_accuracy(y_true, y_pred, radius, at=0.3) == 1 / 5
    np.testing.assert_allclose(certified_accuracy(y_true, y_pred, radius, at=[0, 0.3, 1.0]),
                               [3 / 5, 1 / 5, 0.0])


def test_average_certified_radius_by_hand():
    assert average_certified_radius([1, 1, 0, 0], [1, 0, -1, 0], [0.5, 0.9, 0.0, 0.3]) == 0.2


def test_bad_inputs():
    with pytest.raises(ValueError, match="inconsistent"):
        certified_accuracy([0, 1], [0], [0.1])
    with pytest.raises(ValueError, match="non-negative"):
        average_certified_radius([0], [0], [-0.1])
    with pytest.raises(ValueError, match="at least one"):
        certified_accuracy([], [], [])


# ------------------------------------------------------------------- by hand, more
def test_curve_over_radii_by_hand_with_int_labels_and_abstentions():
    # Rows: correct r=0.3, correct r=0.0 (certified only at 0), abstained (-1), wrong r=2.
    y_true = [1, 0, 1, 0]
    y_pred = [1, 0, -1, 1]
    radius = [0.3, 0.0, 0.0, 2.0]
    np.testing.assert_array_equal(
        certified_accuracy(y_true, y_pred, radius, at=np.array([0.0, 1e-9, 0.3, 0.31, 5.0])),
        [2 / 4, 1 / 4, 1 / 4, 0.0, 0.0],
    )
    assert average_certified_radius(y_true, y_pred, radius) == 0.3 / 4


def test_string_labels_with_string_abstain_label_and_acr():
    y_true = np.array(["cat", "dog", "dog"])
    y_pred = np.array(["cat", "abstain", "dog"])
    radius = np.array([1.5, 0.0, 0.25])
    assert average_certified_radius(y_true, y_pred, radius) == (1.5 + 0.25) / 3
    assert certified_accuracy(y_true, y_pred, radius, at=1.0) == 1 / 3


def test_inputs_are_not_mutated():
    y_pred = np.array([0, 1, 1])
    radius = np.array([0.1, 0.2, 0.3])
    before = radius.copy(), y_pred.copy()
    certified_accuracy([0, 1, 0], y_pred, radius, at=[0.0, 0.2])
    average_certified_radius([0, 1, 0], y_pred, radius)
    np.testing.assert_array_equal(radius, before[0])
    np.testing.assert_array_equal(y_pred, before[1])


# ------------------------------------------------------------------------ scorers
CALLS = {"certify": 0}


class CountingSmoothed(SmoothedClassifier):
    """SmoothedClassifier that counts its certify calls (a test probe)."""

    def certify(self, X):
        CALLS["certify"] += 1
        return super().certify(X)


def _data():
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0,
                               random_state=0)
    return X * 3.0 + 5.0, np.where(y == 1, "yes", "no")


def _pipe(cls=SmoothedClassifier, sigma=0.25):
    return make_pipeline(StandardScaler(), cls(DecisionTreeClassifier(max_depth=3),
                                               noise=GaussianNoise(sigma), n_samples=200,
                                               n_select=20, method="monte_carlo",
                                               random_state=0))


def test_scorer_on_pipeline_equals_metrics_of_certify_on_transformed_inputs():
    X, y = _data()
    pipe = _pipe().fit(X[:80], y[:80])
    y_pred, radius = pipe[-1].certify(pipe[0].transform(X[80:]))
    for at in (0.0, 0.1, 0.3):
        scorer = make_certified_scorer(at=at, sequential=False)
        assert scorer(pipe, X[80:], y[80:]) == certified_accuracy(y[80:], y_pred, radius, at=at)
    acr = make_certified_scorer(metric="average_certified_radius")(pipe, X[80:], y[80:])
    assert acr == average_certified_radius(y[80:], y_pred, radius) > 0
    # A bare SmoothedClassifier works the same way.
    bare = pipe[-1]
    Xt = pipe[0].transform(X[80:])
    scorer = make_certified_scorer(at=0.1, sequential=False)
    assert scorer(bare, Xt, y[80:]) == certified_accuracy(y[80:], y_pred, radius, at=0.1)


def test_callable_metric_gets_certificates():
    X, y = _data()
    pipe = _pipe().fit(X[:80], y[:80])
    _, radius = pipe[-1].certify(pipe[0].transform(X[80:]))
    abstain_rate = make_certified_scorer(metric=lambda yt, yp, r: -float(np.mean(r == 0)))
    assert abstain_rate(pipe, X[80:], y[80:]) == -np.mean(radius == 0)
    seen = {}

    def metric(y_true, y_pred, radius, at):
        seen["at"] = at
        return 1.0

    assert make_certified_scorer(at=0.7, metric=metric)(pipe, X[80:], y[80:]) == 1.0
    assert seen["at"] == 0.7


def test_grid_search_over_noise_sigma_on_a_pipeline():
    X, y = _data()
    grid = {"smoothedclassifier__noise__sigma": [0.05, 0.5]}
    search = GridSearchCV(_pipe(), grid, cv=KFold(2),
                          scoring=make_certified_scorer(at=0.3, sequential=False))
    search.fit(X, y)
    # sigma=0.05 cannot certify 0.3 with n=200 (max radius 0.05 * Phi^-1(0.001**(1/200))).
    assert search.cv_results_["mean_test_score"][0] == 0.0
    assert search.cv_results_["mean_test_score"][1] > 0.2
    assert search.best_params_ == {"smoothedclassifier__noise__sigma": 0.5}
    # The recorded fold score is the metric of that fold's certificates.
    train, test = next(KFold(2).split(X))
    pipe = _pipe(sigma=0.5).fit(X[train], y[train])
    y_pred, radius = pipe[-1].certify(pipe[0].transform(X[test]))
    assert search.cv_results_["split0_test_score"][1] == certified_accuracy(
        y[test], y_pred, radius, at=0.3)


def test_several_certified_scorers_certify_once_per_fold():
    X, y = _data()
    scoring = {
        "ca0": make_certified_scorer(sequential=False),
        "ca0.2": make_certified_scorer(at=0.2, sequential=False),
        "acr": make_certified_scorer(metric="average_certified_radius"),
        "accuracy": "accuracy",
    }
    for estimator, Xs in ((_pipe(CountingSmoothed), X),
                          (_pipe(CountingSmoothed)[-1], StandardScaler().fit_transform(X))):
        CALLS["certify"] = 0
        result = cross_validate(estimator, Xs, y, cv=3, scoring=scoring)
        assert CALLS["certify"] == 3
        assert np.all(result["test_ca0"] >= result["test_ca0.2"])
        assert np.all(result["test_acr"] > 0)
    # Alone, one scorer certifies once per call too (nothing to share).
    CALLS["certify"] = 0
    cross_validate(_pipe(CountingSmoothed), X, y, cv=3,
                   scoring=make_certified_scorer(sequential=False))
    assert CALLS["certify"] == 3


def test_default_certified_accuracy_scorer_uses_the_sequential_test():
    X, y = _data()
    pipe = make_pipeline(StandardScaler(), SmoothedClassifier(
        DecisionTreeClassifier(max_depth=3), noise=GaussianNoise(0.5), n_samples=2000,
        n_select=20, random_state=0)).fit(X[:80], y[:80])
    Xt = pipe[0].transform(X[80:])
    y_pred, n_draws = pipe[-1].predict_certified(Xt, radius=0.3, return_n_draws=True)
    score = make_certified_scorer(at=0.3)(pipe, X[80:], y[80:])
    assert score == np.mean(y_pred == y[80:]) > 0
    assert n_draws.mean() < 0.5 * (2000 + 20)  # stopped early on most inputs
    # Sound either way: certified at 0.3 by the sequential test, or by certify.
    assert abs(score - make_certified_scorer(at=0.3, sequential=False)(pipe, X[80:], y[80:])) < 0.2


def test_scorer_errors_say_what_to_fix():
    with pytest.raises(ValueError, match="one non-negative radius"):
        make_certified_scorer(at=[0.1, 0.2])
    with pytest.raises(ValueError, match="one non-negative radius"):
        make_certified_scorer(at=-1)
    with pytest.raises(ValueError, match="not known"):
        make_certified_scorer(metric="accuracy")
    with pytest.raises(ValueError, match="does not apply"):
        make_certified_scorer(at=0.5, metric="average_certified_radius")
    with pytest.raises(TypeError, match="name or a callable"):
        make_certified_scorer(metric=3)
    X, y = _data()
    tree = make_pipeline(StandardScaler(), DecisionTreeClassifier()).fit(X, y)
    with pytest.raises(TypeError, match="no certify method"):
        make_certified_scorer()(tree, X, y)


def test_repr():
    assert repr(make_certified_scorer(at=0.5)) == (
        "make_certified_scorer(metric='certified_accuracy', at=0.5)")
    assert repr(make_certified_scorer(at=0.5, sequential=False)) == (
        "make_certified_scorer(metric='certified_accuracy', at=0.5, sequential=False)")
    assert repr(make_certified_scorer(metric="average_certified_radius")) == (
        "make_certified_scorer(metric='average_certified_radius')")


def test_sequential_scorer_with_soft_votes_falls_back_to_certify_in_a_grid_search():
    # Before the fix every fold scored NaN: the sequential test refused score votes.
    X, y = _data()
    pipe = make_pipeline(StandardScaler(), SmoothedClassifier(
        DecisionTreeClassifier(max_depth=3), noise=GaussianNoise(0.5), vote="soft",
        n_samples=300, n_select=20, random_state=0))
    grid = {"smoothedclassifier__noise__sigma": [0.05, 0.5]}
    search = GridSearchCV(pipe, grid, cv=KFold(2), scoring=make_certified_scorer(at=0.1),
                          error_score="raise").fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and scores[1] > 0.2
    # Each fold's score is certify's certified accuracy at 0.1 on that fold.
    train, test = next(KFold(2).split(X))
    fold = pipe.set_params(smoothedclassifier__noise__sigma=0.5).fit(X[train], y[train])
    y_pred, radius = fold[-1].certify(fold[0].transform(X[test]))
    assert search.cv_results_["split0_test_score"][1] == certified_accuracy(
        y[test], y_pred, radius, at=0.1)
