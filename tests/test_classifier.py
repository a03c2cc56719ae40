import warnings
from statistics import NormalDist

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sksmooth import GaussianNoise, SmoothedClassifier, SmoothingWarning

from ._models import ConstantClassifier, HiddenLinearRule


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0,
                               random_state=0)
    return StandardScaler().fit_transform(X), y


# ------------------------------------------------------------------ oracles
@pytest.mark.parametrize("labels", [[0, 1], [0, 1, 2], ["cat", "dog"], ["a", "b", "c"]])
@pytest.mark.parametrize("n_samples, alpha, sigma", [(1000, 0.001, 0.25), (137, 0.05, 1.3)])
def test_constant_classifier_radius_is_sigma_phi_inv_alpha_root(labels, n_samples, alpha, sigma):
    X = np.random.default_rng(0).normal(size=(2 * len(labels) * 3, 3))
    y = np.array(labels * 6)
    clf = SmoothedClassifier(ConstantClassifier(), GaussianNoise(sigma), n_samples=n_samples,
                             n_select=10, alpha=alpha, random_state=0).fit(X, y)
    y_pred, radius = clf.certify(X[:5])
    # Every vote goes to the constant class: pA_lower = alpha ** (1/n) exactly.
    expected = sigma * NormalDist().inv_cdf(alpha ** (1 / n_samples))
    np.testing.assert_allclose(radius, expected, rtol=0, atol=1e-9)
    assert list(y_pred) == [sorted(labels)[0]] * 5


def test_constant_classifier_probabilities_and_predictions():
    X = np.zeros((4, 2))
    y = np.array(["no", "yes", "no", "yes"])
    # The base is trained on encoded labels (indices into classes_): "yes" is 1.
    clf = SmoothedClassifier(ConstantClassifier(label=1), n_samples=50, alpha=0.01,
                             random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), [[0.0, 1.0]] * 4)
    np.testing.assert_array_equal(clf.predict(X), ["yes"] * 4)
    np.testing.assert_array_equal(clf.predict_certified(X), ["yes"] * 4)


@pytest.mark.slow
def test_soundness_on_hidden_linear_rule():
    """Certificates against the exact radius of a linear rule (the geometric margin).

    Each non-abstained certificate is wrong (wrong label, or radius above the
    margin) with probability <= alpha = 0.05, independently across the 300
    inputs. The test fails when more than binom.isf(1e-4, 300, 0.05) are wrong:
    false-alarm rate < 1e-4 (seeded, so deterministic).
    """
    rng = np.random.default_rng(7)
    d, sigma, alpha, m = 5, 0.5, 0.05, 300
    w = rng.normal(size=d)
    rule = HiddenLinearRule(w=w, b=0.3)
    X = rng.normal(size=(m, d)) * 0.6
    clf = SmoothedClassifier(rule, GaussianNoise(sigma), n_samples=2000, n_select=50,
                             alpha=alpha, noise_augment=0, random_state=3).fit(X, np.arange(m) % 2)
    y_pred, radius = clf.certify(X)
    margin = rule.margin(X)
    certified = y_pred != -1
    wrong = certified & ((y_pred != rule.predict(X)) | (radius > margin))
    allowed = stats.binom.isf(1e-4, m, alpha)
    assert wrong.sum() <= allowed
    # Power: inputs with margin in [0.3 sigma, 1.5 sigma] are certified at >= half their margin.
    band = (margin > 0.3 * sigma) & (margin < 1.5 * sigma)
    assert band.sum() > 50
    assert np.mean(certified[band] & (radius[band] >= 0.5 * margin[band])) > 0.9


@pytest.mark.slow
def test_predict_certified_soundness_on_hidden_linear_rule():
    """PREDICT returns the wrong class w.p. <= alpha per input; false-alarm rate < 1e-4."""
    rng = np.random.default_rng(11)
    d, alpha, m = 4, 0.05, 300
    rule = HiddenLinearRule(w=rng.normal(size=d), b=-0.1)
    X = rng.normal(size=(m, d)) * 0.3
    clf = SmoothedClassifier(rule, GaussianNoise(0.5), n_samples=500, alpha=alpha,
                             noise_augment=0, random_state=0).fit(X, np.arange(m) % 2)
    y_pred = clf.predict_certified(X)
    answered = y_pred != -1
    assert (y_pred[answered] != rule.predict(X)[answered]).sum() <= stats.binom.isf(1e-4, m, alpha)
    assert answered.mean() > 0.5


# ---------------------------------------------------------------- behaviour
def test_fit_attributes_and_methods(data):
    X, y = data
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=3), n_samples=200,
                             random_state=0).fit(X, y)
    assert clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    proba = clf.predict_proba(X[:10])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X[:10]), clf.classes_[proba.argmax(axis=1)])
    certified = clf.predict_certified(X[:10])
    agree = certified != -1
    np.testing.assert_array_equal(certified[agree], clf.predict(X[:10])[agree])
    assert clf.score(X, y) > 0.7
    assert clf.noise_ is not clf.noise and isinstance(clf.noise_, GaussianNoise)


def test_defaults_estimator_and_noise(data):
    X, y = data
    clf = SmoothedClassifier(n_samples=100, random_state=0).fit(X, y)
    assert isinstance(clf.estimator_, LogisticRegression)
    assert clf.noise_.get_params() == {"sigma": 0.25, "features": None}


def test_noise_augment_trains_on_noisy_copies(data):
    X, y = data

    class Recorder(DecisionTreeClassifier):
        def fit(self, X, y, **kw):
            self.seen_ = np.array(X)
            return super().fit(X, y, **kw)

    clean = SmoothedClassifier(Recorder(), noise_augment=0, n_samples=10).fit(X, y)
    np.testing.assert_array_equal(clean.estimator_.seen_, X)
    noisy = SmoothedClassifier(Recorder(), GaussianNoise(0.5), noise_augment=3, n_samples=10,
                               random_state=0).fit(X, y)
    seen = noisy.estimator_.seen_
    assert seen.shape == (3 * len(X), 4)
    np.testing.assert_allclose((seen - np.tile(X, (3, 1))).std(), 0.5, rtol=0.1)


def test_fit_params_are_repeated_for_noisy_copies(data):
    X, y = data
    weight = np.where(y == 1, 5.0, 1.0)

    class Recorder(DecisionTreeClassifier):
        def fit(self, X, y, sample_weight=None):
            self.weight_ = sample_weight
            return super().fit(X, y, sample_weight=sample_weight)

    clf = SmoothedClassifier(Recorder(), noise_augment=2, n_samples=10, random_state=0)
    clf.fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(clf.estimator_.weight_, np.tile(weight, 2))


def test_fit_params_through_metadata_routing(data):
    import sklearn

    X, y = data
    weight = np.where(y == 1, 5.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        base = LogisticRegression().set_fit_request(sample_weight=True)
        clf = SmoothedClassifier(base, noise_augment=0, n_samples=10).fit(X, y, sample_weight=weight)
        expected = LogisticRegression().fit(X, y, sample_weight=weight)
        np.testing.assert_allclose(clf.estimator_.coef_, expected.coef_)


@pytest.mark.parametrize("labels", [np.array(["x", "y", "z"]), np.array([3, 7, 9])])
def test_labels_and_abstention_dtype(labels):
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = labels[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0)]
    clf = SmoothedClassifier(DecisionTreeClassifier(), GaussianNoise(3.0), n_samples=50,
                             alpha=0.01, method="monte_carlo", random_state=0).fit(X, y)
    y_pred, radius = clf.certify(X)
    abstained = radius == 0
    assert abstained.any() and (~abstained).any()
    # abstain_label="auto": a free value of the classes' own kind, and the classes' dtype kind.
    assert clf.abstain_label_ == ("abstain" if labels.dtype.kind == "U" else -1)
    assert y_pred.dtype.kind == labels.dtype.kind
    assert all(v == clf.abstain_label_ for v in y_pred[abstained])
    assert set(y_pred[~abstained]) <= set(labels)
    assert set(clf.predict(X)) <= set(labels)


def test_pandas_input_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"age": [20.0, 30, 40, 50] * 5, "income": [1.0, 2, 3, 4] * 5})
    y = pd.Series(["lo", "lo", "hi", "hi"] * 5)
    base = make_pipeline(StandardScaler(), DecisionTreeClassifier(random_state=0))
    clf = SmoothedClassifier(base, n_samples=100, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["age", "income"])
    np.testing.assert_array_equal(clf.estimator_.feature_names_in_, ["age", "income"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y_pred, _ = clf.certify(X)
    assert set(y_pred) <= {"lo", "hi", -1}


def test_grid_search_over_sigma_with_default_noise(data):
    """The grid must pick the level that works: sigma=20 drowns standardized features."""
    X, y = data
    grid = GridSearchCV(SmoothedClassifier(DecisionTreeClassifier(max_depth=3), n_samples=50,
                                           random_state=0),
                        {"noise__sigma": [20.0, 0.1]}, cv=3)
    grid.fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    assert scores[1] > scores[0] + 0.2  # 0.1 is far better than noise 20 sd wide
    assert grid.best_params_["noise__sigma"] == 0.1
    assert grid.best_estimator_.noise_.sigma == 0.1
    grid = GridSearchCV(SmoothedClassifier(n_samples=50, random_state=0),
                        {"noise": [GaussianNoise(20.0), GaussianNoise(0.1)]}, cv=3).fit(X, y)
    assert grid.best_estimator_.noise_.sigma == 0.1


def test_set_params_materialises_default_noise():
    clf = SmoothedClassifier().set_params(noise__sigma=0.5)
    assert clf.noise.sigma == 0.5
    # The default is never shared between instances.
    assert SmoothedClassifier().noise is None


def test_inside_a_pipeline(data):
    """The pipeline's predict is the smoothed step's on the transformed inputs (same draws)."""
    X, y = data
    pipe = make_pipeline(StandardScaler(),
                         SmoothedClassifier(DecisionTreeClassifier(), n_samples=100, random_state=0))
    pipe.fit(X * 10, y)
    inner = pipe[:-1].transform(X[:20] * 10)
    np.testing.assert_array_equal(pipe.predict(X[:20] * 10), pipe[-1].predict(inner))
    assert np.mean(pipe.predict(X[:20] * 10) == y[:20]) > 0.7
    y_pred, radius = pipe[-1].certify(inner)
    certified = y_pred != -1
    np.testing.assert_array_equal(y_pred[certified], pipe[-1].predict(inner)[certified])
    assert np.all(radius[~certified] == 0) and np.all(radius[certified] > 0)


# ----------------------------------------------------------- reproducibility
def test_same_random_state_same_results_across_calls_orders_batches_and_jobs(data):
    X, y = data
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=4), GaussianNoise(0.5),
                             n_samples=300, n_select=30, random_state=5).fit(X, y)
    y_pred, radius = clf.certify(X[:30])
    y2, r2 = clf.certify(X[:30])
    np.testing.assert_array_equal(y_pred, y2)
    np.testing.assert_array_equal(radius, r2)
    order = np.random.default_rng(0).permutation(30)
    y3, r3 = clf.certify(X[:30][order])
    np.testing.assert_array_equal(r3, radius[order])
    for params in [{"batch_size": 17}, {"batch_size": 1}, {"n_jobs": 2}, {"n_jobs": 2, "batch_size": 100}]:
        y4, r4 = clf.set_params(**params).certify(X[:30])
        np.testing.assert_array_equal(y4, y_pred)
        np.testing.assert_array_equal(r4, radius)
    np.testing.assert_array_equal(clf.predict_proba(X[:30]), clf.predict_proba(X[:30]))
    other = SmoothedClassifier(DecisionTreeClassifier(max_depth=4), GaussianNoise(0.5),
                               n_samples=300, n_select=30, random_state=6).fit(X, y)
    assert not np.array_equal(other.certify(X[:30])[1], radius)


def test_random_state_none_varies_between_calls(data):
    X, y = data
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=2, random_state=0), GaussianNoise(1.0),
                             n_samples=200, method="monte_carlo").fit(X, y)
    assert not np.array_equal(clf.predict_proba(X[:20]), clf.predict_proba(X[:20]))


def test_verbose_shows_progress(data, capsys):
    X, y = data
    clf = SmoothedClassifier(n_samples=100, verbose=1, method="monte_carlo", random_state=0).fit(X, y)
    clf.certify(X[:3])
    assert "sksmooth" in capsys.readouterr().err


# ------------------------------------------------------------------ bad input
def test_caller_arrays_are_not_modified(data):
    X, y = data
    X0, y0 = X.copy(), y.copy()
    clf = SmoothedClassifier(n_samples=50, noise_augment=2, random_state=0).fit(X, y)
    clf.certify(X)
    clf.predict_proba(X)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.0}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"n_samples": 0}, "n_samples"),
        ({"n_select": 0}, "n_select"),
        ({"noise": "gaussian"}, "noise"),
        ({"noise": GaussianNoise(sigma=0)}, "sigma"),
        ({"noise": GaussianNoise(sigma=-1)}, "sigma"),
        ({"method": "magic"}, "method"),
        ({"batch_size": 0}, "batch_size"),
        ({"estimator": object()}, "estimator"),
    ],
)
def test_bad_parameters(data, params, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        SmoothedClassifier(**params).fit(X, y)


def test_nan_and_inf_rejected_when_base_cannot_take_them(data):
    X, y = data
    Xnan = X.copy()
    Xnan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SmoothedClassifier(LogisticRegression()).fit(Xnan, y)
    clf = SmoothedClassifier(LogisticRegression(), n_samples=20).fit(X, y)
    Xinf = X[:3].copy()
    Xinf[1, 1] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.certify(Xinf)


def test_nan_accepted_when_base_takes_it(data):
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = data
    Xnan = X.copy()
    Xnan[::5, 0] = np.nan
    clf = SmoothedClassifier(HistGradientBoostingClassifier(max_iter=10), n_samples=50,
                             random_state=0).fit(Xnan, y)
    y_pred = clf.predict(Xnan)
    # Rows with NaN are classified (0.79 here, the base alone 0.86), well above chance.
    assert np.mean(y_pred == y) > 0.7 and np.mean(y_pred[::5] == y[::5]) > 0.65


def test_wrong_number_of_features_and_1d_input(data):
    X, y = data
    clf = SmoothedClassifier(n_samples=20).fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        clf.certify(X[:, :3])
    with pytest.raises(ValueError, match="2D array"):
        clf.predict(X[0])
    with pytest.raises(ValueError, match="2D array"):
        SmoothedClassifier().fit(X[:, 0], y)


def test_unfitted_use_raises():
    X = np.zeros((2, 2))
    for method in ("predict", "predict_proba", "predict_certified", "certify"):
        with pytest.raises(NotFittedError):
            getattr(SmoothedClassifier(), method)(X)


def test_single_class_rejected():
    with pytest.raises(ValueError, match="only one class"):
        SmoothedClassifier().fit(np.zeros((5, 2)), np.ones(5))


def test_abstain_label_colliding_with_a_class():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="abstain_label=-1 is also a class"):
        SmoothedClassifier(abstain_label=-1).fit(X, [-1, 1, -1, 1])
    with pytest.raises(ValueError, match="abstain_label='none'"):
        SmoothedClassifier(abstain_label="none").fit(X, ["none", "a", "a", "none"])
    # A non-colliding label works, with an output dtype that holds it.
    clf = SmoothedClassifier(ConstantClassifier(), abstain_label=0, n_samples=20).fit(X, [-1, 1] * 2)
    assert clf.certify(X)[0].dtype.kind == "i"


def test_warns_when_n_samples_can_never_certify(data):
    X, y = data
    with pytest.warns(SmoothingWarning, match="n_samples >= 10"):
        SmoothedClassifier(n_samples=9, alpha=0.001).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SmoothedClassifier(n_samples=10, alpha=0.001).fit(X, y)


def test_base_estimator_predicting_unknown_label(data):
    X, y = data
    clf = SmoothedClassifier(ConstantClassifier(label=5), n_samples=10).fit(X, y)
    with pytest.raises(ValueError, match="ConstantClassifier predicted .*5.*, which is not one of"):
        clf.predict(X[:2])


def test_method_exact_without_closed_form(data):
    X, y = data
    from sklearn.neighbors import KNeighborsClassifier

    clf = SmoothedClassifier(KNeighborsClassifier(), method="exact", n_samples=10).fit(X, y)
    with pytest.raises(ValueError, match="closed-form"):
        clf.certify(X[:2])


# ------------------------------------------------------------------ labels (issues 11.12, 13)
@pytest.mark.parametrize("labels, expected", [
    (np.array([0, 1]), -1),
    (np.array([-1, 1]), -2),  # the common {-1, 1}: -1 is a class, so one below the smallest
    (np.array([-5, -1, 3]), -6),
    (np.array([1.0, 2.0]), -1.0),
    (np.array(["benign", "malignant"]), "abstain"),
    (np.array(["abstain", "keep"]), "abstain_"),
    (np.array([False, True]), None),  # no bool is free
])
def test_abstain_label_auto_is_a_free_value_of_the_classes_kind(labels, expected):
    # Before the fix the default -1 made {-1, 1} fail at fit and string classes give
    # mixed-type outputs that accuracy_score and confusion_matrix reject.
    from sklearn.metrics import accuracy_score, confusion_matrix

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = labels[(X[:, 0] > 0).astype(int) if labels.size == 2 else np.arange(60) % labels.size]
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=2), GaussianNoise(2.0),
                             n_samples=40, n_select=10, method="monte_carlo",
                             random_state=0).fit(X, y)
    assert clf.abstain_label == "auto"
    assert type(clf.abstain_label_) is type(expected) and clf.abstain_label_ == expected
    y_pred, radius = clf.certify(X)
    assert (radius == 0).any(), "the case must abstain somewhere"
    assert all(p == expected for p in y_pred[radius == 0])
    if labels.dtype.kind != "b":
        assert y_pred.dtype.kind == labels.dtype.kind  # one dtype, the classes' kind
        accuracy_score(y, y_pred)
        confusion_matrix(y, y_pred, labels=[*labels, expected])
    assert set(clf.predict(X).tolist()) <= set(labels.tolist())


def test_bool_labels_keep_their_values_in_every_output():
    # Before the fix predict returned bool and certify int64 (True became 1).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] > 0
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=2), GaussianNoise(2.0),
                             n_samples=40, n_select=10, random_state=0).fit(X, y)
    assert clf.predict(X).dtype == bool
    for out in (clf.certify(X)[0], clf.predict_certified(X), clf.predict_certified(X, radius=0.1)):
        assert out.dtype == object
        assert {type(v) for v in out.tolist()} <= {bool, type(None)}
    explicit = clone(clf).set_params(abstain_label=-1).fit(X, y)
    y_pred = explicit.certify(X)[0]
    assert {type(v) for v in y_pred.tolist()} <= {bool, int} and True in y_pred.tolist()


@pytest.mark.parametrize("label", [[-1], (-1, -2), np.array([-1]), {"a": 1}])
def test_non_scalar_abstain_label_is_rejected(label):
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="abstain_label must be one scalar label"):
        SmoothedClassifier(abstain_label=label, n_samples=20).fit(X, [0, 1, 0, 1])


def test_every_base_is_trained_on_encoded_labels_and_outputs_stay_in_the_users():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = np.where(X[:, 0] > 0, "malignant", "benign")
    seen = {}

    class Spy(DecisionTreeClassifier):
        def fit(self, X, y, **kw):
            seen["y"] = np.unique(y)
            return super().fit(X, y, **kw)

    clf = SmoothedClassifier(Spy(max_depth=2), GaussianNoise(0.3), n_samples=50, n_select=10,
                             random_state=0).fit(X, y)
    np.testing.assert_array_equal(seen["y"], [0, 1])
    np.testing.assert_array_equal(clf.classes_, ["benign", "malignant"])
    for out in (clf.predict(X), clf.certify(X)[0], clf.predict_certified(X)):
        assert set(out.tolist()) <= {"benign", "malignant", "abstain"}
    assert (clf.predict(X) == y).mean() > 0.9


@pytest.mark.parametrize("module, make_base", [
    ("xgboost", lambda m: m.XGBClassifier(n_estimators=10, max_depth=2, n_jobs=1)),
    ("lightgbm", lambda m: m.LGBMClassifier(n_estimators=10, num_leaves=4, verbose=-1,
                                            n_jobs=1)),
])
@pytest.mark.parametrize("labels", [["benign", "malignant"], [3, 7, 9]])
def test_boosting_libraries_get_encoded_labels(module, make_base, labels):
    # Before the fix XGBClassifier raised "Invalid classes inferred from unique values of
    # y. Expected: [0 1], got ['benign' 'malignant']" (and [3 7 9] likewise).
    lib = pytest.importorskip(module)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2))
    labels = np.asarray(labels)
    y = labels[np.digitize(X[:, 0], [-0.4, 0.4][: labels.size - 1])]
    clf = SmoothedClassifier(make_base(lib), GaussianNoise(0.2), n_samples=60, n_select=10,
                             random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, labels)
    assert clf.predict(X).dtype.kind == labels.dtype.kind
    assert (clf.predict(X) == y).mean() > 0.8
    y_pred, radius = clf.certify(X[:20])
    assert set(y_pred.tolist()) <= set(labels.tolist()) | {clf.abstain_label_}
    soft = clone(clf).set_params(vote="soft").fit(X, y)
    assert (soft.predict(X) == y).mean() > 0.8


def test_a_frozen_base_keeps_its_own_labels():
    from sklearn.frozen import FrozenEstimator

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = np.where(X[:, 0] > 0, "b", "a")
    tree = DecisionTreeClassifier(max_depth=2).fit(X, y)
    clf = SmoothedClassifier(FrozenEstimator(tree), GaussianNoise(0.3), n_samples=50,
                             n_select=10, random_state=0).fit(X, y)
    assert (clf.predict(X) == y).mean() > 0.9
    with pytest.raises(ValueError, match="frozen base estimator's classes_"):
        SmoothedClassifier(FrozenEstimator(tree), n_samples=50).fit(X, np.where(y == "a", 0, 1))
