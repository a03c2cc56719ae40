"""Persistence: pickle, joblib and skops.io round-trips reproduce certificates exactly."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sksmooth import GaussianNoise, SmoothedClassifier

skops_io = pytest.importorskip("skops.io")

#: The package's types a skops file of a SmoothedClassifier holds; list them as trusted.
SKSMOOTH_TYPES = [
    "sksmooth._classifier.SmoothedClassifier",
    "sksmooth.noise._gaussian.GaussianNoise",
    "sksmooth.linear.ExactLinearSmoothing",  # the closed form kept for a linear base model
]


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    clf = SmoothedClassifier(LogisticRegression(), GaussianNoise(0.4),
                             n_samples=300, n_select=20, random_state=7).fit(X, y)
    return clf, X[:10]


def _same(a, b, X):
    ya, ra = a.certify(X)
    yb, rb = b.certify(X)
    np.testing.assert_array_equal(ya, yb)
    np.testing.assert_array_equal(ra, rb)  # bit for bit, not approximately
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.predict_certified(X), b.predict_certified(X))


def test_pickle_round_trip_reproduces_certify(fitted):
    clf, X = fitted
    _same(clf, pickle.loads(pickle.dumps(clf)), X)


def test_joblib_round_trip_reproduces_certify(fitted, tmp_path):
    clf, X = fitted
    joblib.dump(clf, tmp_path / "clf.joblib")
    _same(clf, joblib.load(tmp_path / "clf.joblib"), X)


def test_skops_round_trip_with_the_package_types_trusted(fitted, tmp_path):
    clf, X = fitted
    path = tmp_path / "clf.skops"
    skops_io.dump(clf, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    # Only the package's own types need trusting (sklearn's and numpy's are known to skops).
    assert set(untrusted) <= set(SKSMOOTH_TYPES), untrusted
    assert "sksmooth._classifier.SmoothedClassifier" in untrusted
    _same(clf, skops_io.load(path, trusted=untrusted), X)


def test_skops_refuses_untrusted_types_by_default(fitted, tmp_path):
    clf, _ = fitted
    path = tmp_path / "clf.skops"
    skops_io.dump(clf, path)
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        skops_io.load(path)


@pytest.mark.parametrize("labels", [np.array([0, 1]), np.array(["no", "yes"])])
def test_skops_round_trip_of_a_pipeline(fitted, tmp_path, labels):
    _, X = fitted
    pipe = make_pipeline(StandardScaler(), SmoothedClassifier(
        n_samples=200, random_state=1)).fit(X * 3 + 1, labels[np.arange(10) % 2])
    path = tmp_path / "pipe.skops"
    skops_io.dump(pipe, path)
    loaded = skops_io.load(path, trusted=SKSMOOTH_TYPES)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    for a, b in zip(loaded[-1].certify(loaded[0].transform(X)), pipe[-1].certify(pipe[0].transform(X))):
        np.testing.assert_array_equal(a, b)


def test_tree_bases_need_sklearn_tree_trusted_too(tmp_path):
    """skops does not trust sklearn's Tree by default (a crafted file can crash predict)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 2))
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=2), n_samples=50,
                             random_state=0).fit(X, X[:, 0] > 0)
    path = tmp_path / "tree.skops"
    skops_io.dump(clf, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    # the tree closed form (sksmooth/_trees.py) is kept with the model
    trees = {"sksmooth._trees.ExactTreeSmoothing", "sksmooth._trees._Leaves",
             "sksmooth._trees._Table"}
    assert set(untrusted) == set(SKSMOOTH_TYPES[:2]) | {"sklearn.tree._tree.Tree"} | trees
    _same(clf, skops_io.load(path, trusted=untrusted), X[:5])


# ----------------------------------------------------- versions and missing state (issue 11.10)
def test_the_pickled_state_carries_the_sksmooth_version(fitted):
    import sksmooth

    clf, _ = fitted
    assert clf.__getstate__()["_sksmooth_version"] == sksmooth.__version__
    assert "_sksmooth_version" not in vars(pickle.loads(pickle.dumps(clf)))


@pytest.mark.parametrize("saved", ["0.0.1", None])
def test_loading_a_state_of_another_version_warns(fitted, saved):
    # Before the fix the version was not stored, and nothing warned.
    from sksmooth import InconsistentVersionWarning, SmoothingWarning

    clf, X = fitted
    state = clf.__getstate__()
    if saved is None:
        del state["_sksmooth_version"]  # a state saved before versions were stored
    else:
        state["_sksmooth_version"] = saved
    loaded = SmoothedClassifier.__new__(SmoothedClassifier)
    with pytest.warns(InconsistentVersionWarning, match="saved by sksmooth") as record:
        loaded.__setstate__(state)
    assert issubclass(record[0].category, SmoothingWarning)
    expected = saved or "unknown (saved before versions were stored)"
    assert record[0].message.original_sksmooth_version == expected
    _same(clf, loaded, X)  # the state itself is intact


def test_the_same_version_loads_silently(fitted):
    import warnings

    import sksmooth

    clf, X = fitted
    state = clf.__getstate__()
    assert state["_sksmooth_version"] == sksmooth.__version__  # a version is compared
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pickle.loads(pickle.dumps(clf))
        explicit = SmoothedClassifier.__new__(SmoothedClassifier)
        explicit.__setstate__(state)
    # Silent, and the loaded model is the saved one.
    _same(clf, loaded, X)
    _same(clf, explicit, X)


@pytest.mark.parametrize("name", ["_exact", "_exact_reason", "_base_labels", "abstain_label_"])
def test_a_model_missing_fitted_state_refuses_instead_of_switching_method(fitted, name):
    # Before the fix a model without _exact (an older pickle) silently certified by Monte
    # Carlo instead of with its exact linear radii.
    import warnings

    clf, X = fitted
    assert clf._exact is not None  # a linear base: exact radii
    state = clf.__getstate__()
    del state[name]
    loaded = SmoothedClassifier.__new__(SmoothedClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.__setstate__(state)
    for method in ("certify", "predict", "predict_proba", "predict_certified"):
        with pytest.raises(AttributeError, match=rf"lacks \['{name}'\].*Refit"):
            getattr(loaded, method)(X)
