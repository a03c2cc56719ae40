"""The bad-input matrix: every public entry point, every kind of bad input.

Each case either works or raises an error whose message says what to fix; after
every failure the fitted estimator still gives exactly its earlier answers.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.tree import DecisionTreeClassifier

from sksmooth import (
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    SubspaceNoise,
)
from sksmooth.metrics import average_certified_radius, certified_accuracy

METHODS = ["predict", "predict_proba", "predict_certified", "certify"]

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
y = np.arange(40) % 2
DF = pd.DataFrame(X, columns=["a", "b", "c"])


def make(**params):
    base = dict(estimator=DecisionTreeClassifier(max_depth=2), n_samples=60, n_select=10,
                random_state=0)
    base.update(params)
    return SmoothedClassifier(**base)


@pytest.fixture
def fitted():
    clf = make().fit(X, y)
    return clf, _answers(clf, X[:5])


@pytest.fixture
def fitted_df():
    clf = make().fit(DF, y)
    return clf, _answers(clf, DF.iloc[:5])


def _answers(clf, Xq):
    return [clf.predict(Xq), clf.predict_proba(Xq), clf.predict_certified(Xq), *clf.certify(Xq)]


def _unchanged(clf, before, Xq):
    after = _answers(clf, Xq)
    assert len(after) == len(before)
    for a, b in zip(after, before):
        np.testing.assert_array_equal(a, b)


class NoPredict(BaseEstimator):
    def fit(self, X, y):
        return self


# (name, inputs for the method, expected exception, words the message must contain)
PREDICT_BAD = [
    ("sparse", sp.csr_matrix(X[:3]), TypeError, "toarray"),
    ("object strings", np.array([["a", "b", "c"]], dtype=object), ValueError, "encode"),
    ("empty", np.empty((0, 3)), ValueError, "0 sample"),
    ("1-D row", X[0], ValueError, "reshape"),
    ("wrong width", X[:3, :2], ValueError, "3 features"),
    ("NaN for a base that rejects it", np.array([[np.nan, 0.0, 0.0]]), ValueError, "NaN"),
    ("inf", np.array([[np.inf, 0.0, 0.0]]), ValueError, "infinity"),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, Xq, exc, words", PREDICT_BAD, ids=[c[0] for c in PREDICT_BAD])
def test_predict_entry_points_reject_bad_inputs_and_stay_usable(method, name, Xq, exc, words):
    clf = make(estimator=_NoNan()).fit(X, y)
    before = _answers(clf, X[:5])
    with pytest.raises(exc, match=words):
        getattr(clf, method)(Xq)
    _unchanged(clf, before, X[:5])


class _NoNan(ClassifierMixin, BaseEstimator):
    """A base that cannot take NaN (the default tags), predicting by the first feature's sign."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[(np.asarray(X)[:, 0] > 0).astype(int)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("Xq", [X[:1], X[:2].tolist(), X[:3].astype(object),
                                X[:3].astype(np.float32)], ids=["one row", "list", "object numbers", "float32"])
def test_predict_entry_points_accept_odd_but_valid_inputs(fitted, method, Xq):
    clf, _ = fitted
    out = getattr(clf, method)(Xq)
    ref = getattr(clf, method)(np.asarray(Xq, dtype=np.float64))
    out, ref = (out, ref) if method == "certify" else ((out,), (ref,))
    for a, b in zip(out, ref, strict=True):
        np.testing.assert_array_equal(a, b)


# Refits on a fitted estimator that must fail cleanly: (name, X, y, params, exc, words).
FIT_BAD = [
    ("sparse", sp.csr_matrix(X), y, {}, TypeError, "toarray"),
    ("object strings", np.full((4, 3), "x", dtype=object), [0, 1, 0, 1], {}, ValueError, "encode"),
    ("empty", np.empty((0, 3)), [], {}, ValueError, "0 sample"),
    ("single row", X[:1], y[:1], {}, ValueError, "two classes"),
    ("one class", X, np.zeros(40), {}, ValueError, "two classes"),
    ("continuous y", X, np.linspace(0, 1, 40), {}, ValueError, "continuous"),
    ("2-D y", X, np.c_[y, y], {}, ValueError, "1d array"),
    ("y of other length", X, y[:-1], {}, ValueError, "inconsistent"),
    ("abstain label is a class", X, y - 1, {"abstain_label": -1}, ValueError, "abstain_label"),
    ("base without predict", X, y, {"estimator": NoPredict()}, ValueError, "predict"),
    ("noise is a number", X, y, {"noise": 0.25}, ValueError, "BaseNoise"),
    ("noise of wrong length", X, y, {"noise": GaussianNoise(sigma=[1.0, 1.0])}, ValueError,
     "one sigma per noised feature"),
    ("covariance of wrong shape", X, y, {"noise": CorrelatedGaussianNoise(np.eye(2))},
     ValueError, "covariance"),
    ("features out of range", X, y, {"noise": LaplaceNoise(0.1, features=[99])}, ValueError,
     "features"),
    ("n_keep above n_features", X, y, {"noise": SubspaceNoise(n_keep=99)}, ValueError,
     "n_keep"),
    ("batch_size 0", X, y, {"batch_size": 0}, ValueError, "batch_size"),
    ("batch_size float", X, y, {"batch_size": 2.5}, ValueError, "batch_size"),
    ("n_samples 0", X, y, {"n_samples": 0}, ValueError, "n_samples"),
    ("n_select -1", X, y, {"n_select": -1}, ValueError, "n_select"),
    ("alpha 1", X, y, {"alpha": 1.0}, ValueError, "alpha"),
    ("alpha 0", X, y, {"alpha": 0.0}, ValueError, "alpha"),
    ("n_jobs 0", X, y, {"n_jobs": 0}, ValueError, "n_jobs"),
    ("method typo", X, y, {"method": "exakt"}, ValueError, "method"),
]


@pytest.mark.parametrize("name, Xf, yf, params, exc, words", FIT_BAD, ids=[c[0] for c in FIT_BAD])
def test_failed_refit_says_what_to_fix_and_keeps_the_fitted_model(fitted, name, Xf, yf, params,
                                                                  exc, words):
    clf, before = fitted
    clf.set_params(**params)
    with pytest.raises(exc, match=words):
        clf.fit(Xf, yf)
    clf.set_params(**{k: make().get_params()[k] for k in params})
    _unchanged(clf, before, X[:5])


@pytest.mark.parametrize("name, Xf, yf, params, exc, words", FIT_BAD, ids=[c[0] for c in FIT_BAD])
def test_failed_first_fit_leaves_the_estimator_unfitted(name, Xf, yf, params, exc, words):
    clf = make(**params)
    with pytest.raises(exc, match=words):
        clf.fit(Xf, yf)
    with pytest.raises(NotFittedError):
        clf.certify(X[:2])
    assert not hasattr(clf, "n_features_in_")


# Parameters changed with set_params AFTER fit (issue 11, item 7): every public method
# must refuse them as fit would. Before the fix batch_size=0 made every input abstain,
# abstain_label=0 made abstentions look like class 0, vote="soft" with Laplace noise
# certified what fit refuses, and n_samples=0 gave NaN probabilities. (name, params, words)
SET_AFTER_FIT = [
    ("batch_size 0", {"batch_size": 0}, "batch_size"),
    ("n_samples 0", {"n_samples": 0}, "n_samples"),
    ("n_select 0", {"n_select": 0}, "n_select"),
    ("alpha 0", {"alpha": 0.0}, "alpha"),
    ("method typo", {"method": "exakt"}, "method"),
    ("vote typo", {"vote": "smooth"}, "vote"),
    ("n_jobs 0", {"n_jobs": 0}, "n_jobs"),
    ("abstain label is a class", {"abstain_label": 0}, "abstain_label"),
    ("abstain label changed", {"abstain_label": -7}, "changed after fit"),
    ("abstain label not scalar", {"abstain_label": [-1]}, "one scalar label"),
]
PUBLIC = METHODS + ["score", "predict_certified_at"]


def _call(clf, method, Xq):
    if method == "score":
        return clf.score(Xq, y[: len(Xq)])
    if method == "predict_certified_at":
        return clf.predict_certified(Xq, radius=0.1)
    return getattr(clf, method)(Xq)


@pytest.mark.parametrize("method", PUBLIC)
@pytest.mark.parametrize("name, params, words", SET_AFTER_FIT, ids=[c[0] for c in SET_AFTER_FIT])
def test_parameters_set_after_fit_are_validated_by_every_public_method(fitted, name, params,
                                                                      words, method):
    clf, before = fitted
    old = {k: clf.get_params()[k] for k in params}
    clf.set_params(**params)
    with pytest.raises(ValueError, match=words):
        _call(clf, method, X[:5])
    clf.set_params(**old)
    _unchanged(clf, before, X[:5])


@pytest.mark.parametrize("method", PUBLIC)
def test_soft_vote_set_after_fit_with_a_noise_it_is_not_proven_for(method):
    clf = make(noise=LaplaceNoise(0.2)).fit(X, y)
    with pytest.raises(ValueError, match="vote='soft' is proven for Gaussian noise only"):
        make(noise=LaplaceNoise(0.2), vote="soft").fit(X, y)
    clf.set_params(vote="soft")
    with pytest.raises(ValueError, match="vote='soft' is proven for Gaussian noise only"):
        _call(clf, method, X[:5])


def test_regressor_as_base_estimator_is_rejected_at_fit():
    # Before the fix: accepted at fit, then "predicted 0.488..., not one of the classes".
    from sklearn.linear_model import LinearRegression
    from sklearn.tree import DecisionTreeRegressor

    for base in (LinearRegression(), DecisionTreeRegressor()):
        with pytest.raises(ValueError, match=f"{type(base).__name__} is not a classifier"):
            make(estimator=base).fit(X, y)


class _WrongShapes(ClassifierMixin, BaseEstimator):
    def __init__(self, what="rows"):
        self.what = what

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        n = np.asarray(X).shape[0]
        return np.zeros(n + 1, int) if self.what == "rows" else np.zeros((n, 2), int)

    def predict_proba(self, X):
        n = np.asarray(X).shape[0]
        if self.what == "rows":
            return np.full((n - 1, 2), 0.5)
        return np.full((n, 3), 1 / 3)


@pytest.mark.parametrize("what, vote, words", [
    ("rows", "hard", r"_WrongShapes.predict returned an array of shape \(\d+,\) for \d+ rows; "
                     r"expected \(\d+,\)"),
    ("cols", "hard", r"_WrongShapes.predict returned an array of shape \(\d+, 2\)"),
    ("rows", "soft", r"_WrongShapes.predict_proba returned an array of shape .* expected "
                     r"\(\d+, 2\)"),
    ("cols", "soft", r"_WrongShapes.predict_proba returned an array of shape \(\d+, 3\).*"
                     r"expected \(\d+, 2\)"),
])
def test_base_returning_the_wrong_shape_gets_an_error_naming_it(what, vote, words):
    # Before the fix: "operands could not be broadcast" or a silent miscount.
    clf = make(estimator=_WrongShapes(what), vote=vote).fit(X, y)
    for method in METHODS:
        with pytest.raises(ValueError, match=words):
            getattr(clf, method)(X[:3])


@pytest.mark.parametrize("frame, words", [
    (DF.rename(columns={"a": "z"}), "unseen at fit time"),
    (DF[["c", "b", "a"]], "same order"),
    (DF.assign(d=1.0), "unseen at fit time"),
    (DF.assign(a="x"), "encode"),
], ids=["renamed", "reordered", "extra column", "string column"])
@pytest.mark.parametrize("method", METHODS)
def test_dataframe_with_other_columns_at_certify_time(fitted_df, frame, words, method):
    clf, before = fitted_df
    with pytest.raises(ValueError, match=words):
        getattr(clf, method)(frame)
    _unchanged(clf, before, DF.iloc[:5])


def test_unfitted_entry_points_say_fit_first():
    for method in METHODS:
        with pytest.raises(NotFittedError, match="fit"):
            getattr(make(), method)(X)


@pytest.mark.parametrize("params", [{"n_select": 1000}, {"batch_size": 1},
                                    {"batch_size": 10**30}, {"n_samples": 1, "alpha": 0.5}],
                         ids=["n_select > n_samples", "batch_size 1", "batch_size 1e30",
                              "n_samples 1"])
def test_extreme_but_valid_parameters_work(params):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # n_samples=1 warns that it can never certify
        clf = make(**params).fit(X, y)
        y_pred, radius = clf.certify(X[:4])
        ref_pred, ref_radius = make(n_select=params.get("n_select", 10),
                                    n_samples=params.get("n_samples", 60),
                                    alpha=params.get("alpha", 0.001)).fit(X, y).certify(X[:4])
    np.testing.assert_array_equal(y_pred, ref_pred)  # batch_size never changes results
    np.testing.assert_array_equal(radius, ref_radius)
    assert np.all(radius >= 0) and np.all(np.isfinite(radius))


def test_unknown_labels_from_the_base_and_unknown_labels_in_metrics(fitted):
    class Liar(_NoNan):
        def predict(self, X):
            return np.full(np.asarray(X).shape[0], 7)

    clf = make(estimator=Liar()).fit(X, y)
    with pytest.raises(ValueError, match="Liar predicted .*7.*, which is not one of the labels"):
        clf.certify(X[:2])
    # Metrics: a label that is not the true one is simply wrong (abstentions are such labels).
    assert certified_accuracy(["a", "b"], ["a", "zzz"], [0.5, 0.5], at=0.1) == 0.5


METRIC_BAD = [
    ("lengths differ", ([0, 1], [0], [0.1]), {}, "inconsistent"),
    ("negative radius", ([0, 1], [0, 1], [0.1, -1]), {}, "non-negative"),
    ("NaN radius", ([0], [0], [np.nan]), {}, "non-negative"),
    ("empty", ([], [], []), {}, "at least one"),
    ("2-D labels", ([[0, 1]], [[0, 1]], [[0.1, 0.2]]), {}, "1d array"),
    ("string radius", ([0], [0], ["a"]), {}, "could not convert"),
    ("NaN at", ([0], [0], [0.1]), {"at": np.nan}, "at must"),
]


METRIC_CASES = [(m, *case) for case in METRIC_BAD
                for m in (certified_accuracy, average_certified_radius)
                if not (case[2] and m is average_certified_radius)]  # it has no 'at'


@pytest.mark.parametrize("metric, name, args, kw, words", METRIC_CASES,
                         ids=[f"{c[0].__name__}-{c[1]}" for c in METRIC_CASES])
def test_metrics_reject_bad_inputs(metric, name, args, kw, words):
    with pytest.raises(ValueError, match=words):
        metric(*args, **kw)


#: Bad or extreme inputs tried by this module, one per parametrized case (the totals quoted
#: in docs/user_guide/soundness.rst): predict-side bad and odd inputs, failed refits and first
#: fits, DataFrame columns, unfitted calls, extreme parameters, unknown labels, metrics.
BAD_INPUTS_TRIED = (len(METHODS) * (len(PREDICT_BAD) + 4 + 4 + 1) + 2 * len(FIT_BAD) + 4 + 2
                    + len(METRIC_CASES) + len(PUBLIC) * (len(SET_AFTER_FIT) + 1) + 2 + 4)
