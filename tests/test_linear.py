"""Exact certificates for linear models (sksmooth.linear and its use by SmoothedClassifier).

Independent oracles: the base estimator's own ``decision_function`` and
``coef_``; finite differences of ``decision_function`` for pipelines; explicit
worst-case perturbations; Owen's T formula for bivariate normal probabilities;
direct Monte Carlo sampling of the noise.
"""

import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.special import owens_t
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA, IncrementalPCA, TruncatedSVD
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import (
    LogisticRegression,
    Perceptron,
    RidgeClassifier,
    SGDClassifier,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    PolynomialFeatures,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.ensemble import RandomForestClassifier

from sksmooth import BaseNoise, GaussianNoise, SmoothedClassifier
from sksmooth.linear import _CDF_SLACK, _lower_bounds, affine_decision, margin


# ------------------------------------------------- test-only noise families
class L1TestNoise(BaseNoise):
    """i.i.d. Laplace noise, l1 certificates: the hook a Laplace/uniform family needs."""

    norm = "l1"
    _parameter_constraints: dict = {}

    def __init__(self, scale=0.5):
        self.scale = scale

    def sample(self, n_draws, n_features, rng):
        return rng.laplace(scale=self.scale, size=(n_draws, n_features))

    def radius(self, p_lower, p_upper):
        # Teng, Lee & Yuan 2020 (binary form): -lambda ln(2 (1 - pA)).
        return -self.scale * np.log(2 * (1 - np.asarray(p_lower)))

    def dual_norm(self, w):
        return np.max(np.abs(w), axis=-1)


class DiagonalGaussianTestNoise(BaseNoise):
    """N(0, diag(sigmas^2)), Mahalanobis certificates: the hooks an anisotropic family needs."""

    norm = "mahalanobis"
    _parameter_constraints: dict = {}

    def __init__(self, sigmas=None):
        self.sigmas = sigmas

    def sample(self, n_draws, n_features, rng):
        return rng.standard_normal((n_draws, n_features)) * np.asarray(self.sigmas)

    def radius(self, p_lower, p_upper):
        return 0.5 * (stats.norm.ppf(p_lower) - stats.norm.ppf(p_upper))

    def dual_norm(self, w):
        return np.linalg.norm(np.asarray(w) * np.asarray(self.sigmas), axis=-1)

    def gaussian_covariance(self, A):
        A = np.asarray(A) * np.asarray(self.sigmas)
        return A @ A.T


D = 5
SIGMAS = np.array([0.2, 0.5, 1.0, 0.3, 0.8])
NOISES = {
    "gaussian": (GaussianNoise(0.4), lambda w: np.linalg.norm(w)),
    "anisotropic": (DiagonalGaussianTestNoise(SIGMAS), lambda w: np.linalg.norm(w * SIGMAS)),
    "laplace_l1": (L1TestNoise(0.5), lambda w: np.abs(w).max()),
}
ESTIMATORS = [
    LogisticRegression(),
    LinearSVC(),
    SGDClassifier(random_state=0),
    RidgeClassifier(),
    Perceptron(random_state=0),
    LinearDiscriminantAnalysis(),
]


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(n_samples=200, n_features=D, n_informative=3, n_redundant=0,
                               random_state=0)
    return X * np.array([1.0, 10.0, 0.1, 3.0, 1.0]) + 2.0, y


@pytest.fixture(scope="module")
def multi():
    X, y = make_classification(n_samples=300, n_features=D, n_informative=4, n_redundant=0,
                               n_classes=4, n_clusters_per_class=1, random_state=1)
    return X, y


def _dual(p):
    return np.inf if p == 1 else 1.0 if p == np.inf else p / (p - 1)


def _gradient(estimator, x):
    """Coefficients of an affine decision function by finite differences (independent)."""
    f0 = estimator.decision_function(x[None])[0]
    return np.array([estimator.decision_function((x + e)[None])[0] - f0 for e in np.eye(x.size)])


# ------------------------------------------------------------ binary: exact
@pytest.mark.parametrize("noise_name", sorted(NOISES))
@pytest.mark.parametrize("base", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_binary_radius_is_the_margin_for_every_linear_estimator(binary, base, noise_name):
    X, y = binary
    X = StandardScaler().fit_transform(X)
    noise, dual = NOISES[noise_name]
    clf = SmoothedClassifier(base, noise, noise_augment=0).fit(X, y)
    assert clf._exact is not None
    est = clf.estimator_
    score = est.decision_function(X)
    expected = np.abs(score) / dual(np.ravel(est.coef_))
    y_pred, radius = clf.certify(X)
    np.testing.assert_allclose(radius, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(y_pred, est.predict(X))
    np.testing.assert_array_equal(clf.predict(X), est.predict(X))
    np.testing.assert_array_equal(clf.predict_certified(X), est.predict(X))


PIPELINES = [
    make_pipeline(StandardScaler(), LogisticRegression()),
    make_pipeline(StandardScaler(with_mean=False), LinearSVC()),
    make_pipeline(PCA(n_components=4), LogisticRegression()),
    make_pipeline(StandardScaler(), PCA(whiten=True), RidgeClassifier()),
    make_pipeline(IncrementalPCA(n_components=4, whiten=True), LogisticRegression()),
    make_pipeline(RobustScaler(with_centering=False), StandardScaler(with_std=False),
                  LogisticRegression()),
    make_pipeline(MinMaxScaler(), SGDClassifier(random_state=0)),
    make_pipeline(MaxAbsScaler(), RobustScaler(), Perceptron(random_state=0)),
    make_pipeline(TruncatedSVD(n_components=3, random_state=0), FunctionTransformer(),
                  LinearDiscriminantAnalysis()),
    make_pipeline(make_pipeline(StandardScaler(), PCA(n_components=3)), "passthrough",
                  LogisticRegression()),
]


@pytest.mark.parametrize("noise_name", sorted(NOISES))
@pytest.mark.parametrize("pipe", PIPELINES, ids=lambda p: "+".join(p.named_steps))
def test_binary_radius_is_the_margin_through_affine_pipelines(binary, pipe, noise_name):
    X, y = binary
    noise, dual = NOISES[noise_name]
    clf = SmoothedClassifier(clone(pipe), noise, noise_augment=0).fit(X, y)
    est = clf.estimator_
    w = _gradient(est, X[0])
    expected = np.abs(est.decision_function(X)) / dual(w)
    y_pred, radius = clf.certify(X)
    np.testing.assert_allclose(radius, expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(y_pred, est.predict(X))


def test_default_logistic_regression_certifies_exact_margins_by_default(binary):
    X, y = binary
    X = StandardScaler().fit_transform(X)
    clf = SmoothedClassifier(LogisticRegression()).fit(X, y)  # noise_augment=1, random_state=None
    y_pred, radius = clf.certify(X)
    w, b = clf.estimator_.coef_[0], clf.estimator_.intercept_[0]
    np.testing.assert_allclose(radius, np.abs(X @ w + b) / np.linalg.norm(w), rtol=1e-9)
    np.testing.assert_array_equal(y_pred, clf.estimator_.predict(X))
    # Deterministic: no sampling, so a second call (fresh entropy) is identical.
    np.testing.assert_array_equal(clf.certify(X)[1], radius)


def test_binary_gaussian_probabilities_are_phi_margin_over_sigma(binary):
    X, y = binary
    X = StandardScaler().fit_transform(X)
    sigma = 0.7
    clf = SmoothedClassifier(LogisticRegression(), GaussianNoise(sigma), noise_augment=0).fit(X, y)
    signed = clf.estimator_.decision_function(X) / np.linalg.norm(clf.estimator_.coef_)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], stats.norm.cdf(signed / sigma), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Cohen's radius with the exact pA is the margin.
    top = proba.max(axis=1)
    np.testing.assert_allclose(sigma * stats.norm.ppf(top), np.abs(signed), rtol=1e-6, atol=1e-9)


def test_anisotropic_probabilities_use_the_mahalanobis_form(binary):
    X, y = binary
    X = StandardScaler().fit_transform(X)
    clf = SmoothedClassifier(LogisticRegression(), DiagonalGaussianTestNoise(SIGMAS),
                             noise_augment=0).fit(X, y)
    w = clf.estimator_.coef_[0]
    z = clf.estimator_.decision_function(X) / np.sqrt(np.sum(w**2 * SIGMAS**2))
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], stats.norm.cdf(z), rtol=1e-12)


def test_l1_noise_has_exact_certificates_but_sampled_probabilities(binary):
    X, y = binary
    X = StandardScaler().fit_transform(X)
    clf = SmoothedClassifier(LogisticRegression(), L1TestNoise(0.5), n_samples=64,
                             method="exact", random_state=0).fit(X, y)
    proba = clf.predict_proba(X[:10])
    # Sampled: vote frequencies out of n_samples draws.
    np.testing.assert_allclose(proba * 64, np.round(proba * 64), atol=1e-9)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_points_on_the_boundary_abstain():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = (X @ [1.0, -2.0, 0.5] > 0.3).astype(int)
    clf = SmoothedClassifier(LogisticRegression(), GaussianNoise(0.5), noise_augment=0).fit(X, y)
    w, b = clf.estimator_.coef_[0], clf.estimator_.intercept_[0]
    on = -b * w / (w @ w) + np.cross(w, [1.0, 0.0, 0.0]) * np.array([[0.0], [1.0], [-2.0]])
    y_pred, radius = clf.certify(on)
    np.testing.assert_array_equal(y_pred, [-1, -1, -1])
    np.testing.assert_array_equal(radius, 0.0)
    np.testing.assert_array_equal(clf.predict_certified(on), [-1, -1, -1])
    np.testing.assert_allclose(clf.predict_proba(on), 0.5, atol=1e-12)
    assert set(clf.predict(on)) <= {0, 1}
    # Just off the boundary: certified, with the (tiny) margin as radius.
    off = on + 1e-6 * w / np.linalg.norm(w)
    y_off, r_off = clf.certify(off)
    np.testing.assert_array_equal(y_off, [1, 1, 1])
    np.testing.assert_allclose(r_off, 1e-6, rtol=1e-6)


@pytest.mark.slow
def test_monte_carlo_never_exceeds_the_exact_radius_beyond_alpha(binary):
    """Monte Carlo certificates of the same fitted model against its exact radius.

    Each Monte Carlo certificate is wrong (label differs from the exact one, or
    radius above the exact radius) with probability <= alpha = 0.05,
    independently across the 200 inputs; the test fails above
    binom.isf(1e-4, 200, 0.05) wrong ones: false-alarm rate < 1e-4 (seeded).
    """
    X, y = binary
    X = StandardScaler().fit_transform(X)
    alpha, m = 0.05, X.shape[0]
    clf = SmoothedClassifier(LogisticRegression(C=0.05), GaussianNoise(0.5), n_samples=2000,
                             n_select=50, alpha=alpha, random_state=0).fit(X, y)
    y_exact, r_exact = clf.certify(X)
    assert clf.set_params(method="monte_carlo")._check_method() is None
    y_mc, r_mc = clf.certify(X)
    certified = y_mc != -1
    wrong = certified & ((y_mc != y_exact) | (r_mc > r_exact))
    assert wrong.sum() <= stats.binom.isf(1e-4, m, alpha)
    # Power: where the exact radius is within the sampler's reach, MC gets close to it.
    band = (r_exact > 0.2) & (r_exact < 1.0)
    assert band.sum() > 20
    assert np.median(r_mc[band] / r_exact[band]) > 0.8


# --------------------------------------------------------- margin helper
@pytest.mark.parametrize("p", [1, 1.5, 2, 3, np.inf])
def test_margin_binary_matches_direct_computation(binary, p):
    X, y = binary
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    w = _gradient(pipe, X[0])
    q = _dual(p)
    expected = np.abs(pipe.decision_function(X)) / np.linalg.norm(w, ord=q)
    np.testing.assert_allclose(margin(pipe, X, norm=p), expected, rtol=1e-9)


def _worst_direction(v, p):
    """Unit-lp-norm delta maximising v.delta (the equality case of Hoelder's inequality)."""
    if p == 1:
        d = np.zeros_like(v)
        i = np.argmax(np.abs(v))
        d[i] = np.sign(v[i])
        return d
    if p == np.inf:
        return np.sign(v)
    q = p / (p - 1)
    d = np.sign(v) * np.abs(v) ** (q - 1)
    return d / np.linalg.norm(d, ord=p)


@pytest.mark.parametrize("p", [1, 2, 3, np.inf])
def test_margin_multiclass_is_sound_and_tight(multi, p):
    X, y = multi
    clf = LogisticRegression().fit(X, y)
    m = margin(clf, X, norm=p)
    pred = clf.predict(X)
    rng = np.random.default_rng(0)
    W, b = clf.coef_, clf.intercept_
    for i in range(40):
        a = pred[i]
        # Tight: a perturbation of norm margin * (1 + 1e-6) towards the nearest face flips it.
        gaps = (W[a] - W) @ X[i] + b[a] - b
        q = _dual(p)
        dist = np.array([gaps[j] / np.linalg.norm(W[a] - W[j], ord=q) if j != a else np.inf
                         for j in range(len(b))])
        j = np.argmin(dist)
        delta = -_worst_direction(W[a] - W[j], p) * m[i] * (1 + 1e-6)
        assert clf.predict((X[i] + delta)[None])[0] != a
        # Sound: random perturbations of norm just below the margin never flip it.
        dirs = rng.normal(size=(200, X.shape[1]))
        dirs /= np.linalg.norm(dirs, ord=p, axis=1, keepdims=True)
        assert np.all(clf.predict(X[i] + dirs * m[i] * (1 - 1e-9)) == a)


def test_margin_rejects_bad_input(binary):
    X, y = binary
    clf = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="norm must be a number >= 1"):
        margin(clf, X, norm=0.5)
    with pytest.raises(ValueError, match="norm must be"):
        margin(clf, X, norm="l2")
    with pytest.raises(ValueError, match="4 features"):
        margin(clf, X[:, :4])
    with pytest.raises(ValueError, match="not a linear classifier"):
        margin(DecisionTreeClassifier().fit(X, y), X)


# ----------------------------------------------------- not linear -> no closed form
NONLINEAR = [
    RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0),  # hard vote: samples
    SVC(kernel="linear"),  # one-vs-one voting, not an argmax of affine scores
    make_pipeline(PolynomialFeatures(2), StandardScaler(), LogisticRegression()),
    make_pipeline(MinMaxScaler(clip=True), LogisticRegression()),
    make_pipeline(Normalizer(), LogisticRegression()),
    make_pipeline(QuantileTransformer(n_quantiles=50), LogisticRegression()),
    make_pipeline(FunctionTransformer(np.tanh), LogisticRegression()),
    make_pipeline(type("MyScaler", (StandardScaler,), {})(), LogisticRegression()),
]


@pytest.mark.parametrize("base", NONLINEAR, ids=lambda e: str(e)[:40])
def test_nonlinear_models_are_not_treated_as_linear(binary, base):
    X, y = binary
    with pytest.raises(ValueError, match="No affine decision"):
        affine_decision(clone(base).fit(X, y))
    clf = SmoothedClassifier(clone(base), n_samples=100, random_state=0).fit(X, y)
    assert clf._exact is None
    with pytest.raises(ValueError, match="closed-form"):
        clf.set_params(method="exact").certify(X[:2])
    y_auto, r_auto = clf.set_params(method="auto").certify(X[:5])
    y_mc, r_mc = clf.set_params(method="monte_carlo").certify(X[:5])
    np.testing.assert_array_equal(r_auto, r_mc)  # auto samples, with the same draws


def test_method_exact_error_on_a_tree_says_why(binary):
    X, y = binary
    clf = SmoothedClassifier(RandomForestClassifier(n_estimators=3), method="exact",
                             n_samples=10).fit(X, y)
    with pytest.raises(ValueError, match="needs a closed-form certificate.*not a linear.*"
                       "vote='soft'"):
        clf.predict(X[:2])


def test_a_linear_subclass_overriding_decision_function_is_not_trusted(binary):
    X, y = binary

    class Shifted(LogisticRegression):
        pass

    Shifted.__module__ = "user_code"
    Shifted.decision_function = lambda self, X: super(Shifted, self).decision_function(X) + 1

    with pytest.raises(ValueError, match="overrides predict or decision_function"):
        affine_decision(Shifted().fit(X, y))


def test_monte_carlo_method_samples_even_for_linear_models(binary):
    X, y = binary
    clf = SmoothedClassifier(LogisticRegression(), method="monte_carlo", n_samples=50,
                             random_state=0).fit(X, y)
    proba = clf.predict_proba(X[:5])
    np.testing.assert_allclose(proba * 50, np.round(proba * 50), atol=1e-9)


def test_no_closed_form_for_multiclass_under_non_gaussian_noise(multi):
    X, y = multi
    clf = SmoothedClassifier(LogisticRegression(), L1TestNoise(0.5), n_samples=50,
                             random_state=0).fit(X, y)
    assert clf._exact is None and "only Gaussian" in clf._exact_reason
    # It really samples: vote frequencies are counts out of n_samples, and auto gives
    # exactly what method="monte_carlo" gives with the same random_state.
    proba = clf.predict_proba(X[:20])
    np.testing.assert_allclose(proba * 50, np.round(proba * 50), rtol=0, atol=1e-9)
    y_auto, r_auto = clf.certify(X[:20])
    y_mc, r_mc = clf.set_params(method="monte_carlo").certify(X[:20])
    np.testing.assert_array_equal(y_auto, y_mc)
    np.testing.assert_array_equal(r_auto, r_mc)


class _BareNoise(BaseNoise):
    norm = "l2"

    def sample(self, n_draws, n_features, rng):
        return rng.standard_normal((n_draws, n_features))

    def radius(self, p_lower, p_upper):
        return np.asarray(p_lower) - np.asarray(p_upper)


def test_noise_hooks_default_to_no_closed_form():
    noise = _BareNoise()
    assert noise.dual_norm(np.ones(3)) is None
    assert noise.gaussian_covariance(np.eye(3)) is None
    g = GaussianNoise(0.5)
    np.testing.assert_allclose(g.dual_norm(np.array([[3.0, 4.0]])), [5.0])
    np.testing.assert_allclose(g.gaussian_covariance(np.array([[1.0, 2.0]])), [[1.25]])


def test_pandas_input_uses_the_exact_path():
    pd = pytest.importorskip("pandas")
    X, y = make_classification(n_samples=80, n_features=3, n_informative=2, n_redundant=0,
                               random_state=0)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    clf = SmoothedClassifier(make_pipeline(StandardScaler(), LogisticRegression())).fit(df, y)
    assert clf._exact is not None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, radius = clf.certify(df)
    np.testing.assert_allclose(radius, margin(clf.estimator_, X), rtol=1e-9)


def test_caller_arrays_are_not_modified(multi):
    X, y = multi
    X0 = X.copy()
    clf = SmoothedClassifier(LogisticRegression(), GaussianNoise(0.5)).fit(X, y)
    clf.certify(X[:10])
    clf.predict_proba(X[:10])
    margin(clf.estimator_, X)
    np.testing.assert_array_equal(X, X0)


# -------------------------------------------------------------- multiclass
def _owen_bvn(h, k, rho):
    """P[X <= h, Y <= k] for a standard bivariate normal (Owen 1956, via Owen's T)."""
    s = np.sqrt(1 - rho**2)
    a_h = (k - rho * h) / (h * s)
    a_k = (h - rho * k) / (k * s)
    beta = np.where((h * k > 0) | ((h * k == 0) & (h + k >= 0)), 0.0, 0.5)
    return (0.5 * stats.norm.cdf(h) + 0.5 * stats.norm.cdf(k) - owens_t(h, a_h)
            - owens_t(k, a_k) - beta)


def test_bivariate_probabilities_are_accurate_well_within_the_slack():
    rng = np.random.default_rng(0)
    h, k = rng.normal(scale=2, size=(2, 500))
    rho = rng.uniform(-0.999, 0.999, size=500)
    ours = np.array([stats.multivariate_normal.cdf([h[i], k[i]], cov=[[1, rho[i]], [rho[i], 1]])
                     for i in range(500)])
    assert np.max(np.abs(ours - _owen_bvn(h, k, rho))) < 1e-13 < _CDF_SLACK


def _mc_class_frequencies(est, X, noise, n, rng):
    counts = np.zeros((X.shape[0], len(est.classes_)))
    for i, x in enumerate(X):
        pred = est.predict(x + noise.sample(n, X.shape[1], rng))
        counts[i] = np.bincount(np.searchsorted(est.classes_, pred), minlength=counts.shape[1])
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("n_classes", [3, 4])
def test_multiclass_probabilities_match_a_large_monte_carlo(n_classes):
    """Exact class probabilities inside the Monte Carlo confidence intervals.

    40 inputs x n_classes probabilities, each checked with a two-sided
    Clopper-Pearson interval at level 1e-4 / (40 n_classes): false-alarm rate
    < 1e-4 (Bonferroni), seeded.
    """
    X, y = make_classification(n_samples=300, n_features=4, n_informative=4, n_redundant=0,
                               n_classes=n_classes, n_clusters_per_class=1, random_state=3)
    noise = GaussianNoise(1.0)
    clf = SmoothedClassifier(LogisticRegression(), noise, noise_augment=0).fit(X, y)
    X_test, n = X[:40], 20_000
    proba = clf.predict_proba(X_test)
    counts = _mc_class_frequencies(clf.estimator_, X_test, noise, n, np.random.default_rng(0))
    level = 1e-4 / (40 * n_classes)
    lo = np.where(counts > 0, stats.beta.ppf(level / 2, counts, n - counts + 1), 0.0)
    hi = np.where(counts < n, stats.beta.isf(level / 2, counts + 1, n - counts), 1.0)
    slack = 3e-5  # quasi-Monte Carlo integration error (about 1e-5) with four classes
    assert np.all((proba >= lo - slack) & (proba <= hi + slack))
    # The certificates' rigorous lower bounds (Hunter) sit below the sampled intervals too.
    exact = clf._exact
    lower = _lower_bounds(exact._scores(X_test), exact.coef, noise)
    assert np.all(lower <= hi)
    assert np.all(lower <= proba + 1e-9 + slack)
    # The inputs are not all trivial: some have two classes above 5%.
    assert np.sum(np.sort(proba, axis=1)[:, -2] > 0.05) >= 5


@pytest.mark.parametrize("n_classes", [3, 4, 5])
def test_multiclass_radius_is_cohens_radius_of_the_exact_probabilities(n_classes):
    X, y = make_classification(n_samples=300, n_features=6, n_informative=5, n_redundant=0,
                               n_classes=n_classes, n_clusters_per_class=1, random_state=2)
    sigma = 0.8
    clf = SmoothedClassifier(LogisticRegression(), GaussianNoise(sigma), noise_augment=0).fit(X, y)
    X_test = X[:30]
    proba = clf.predict_proba(X_test)
    top2 = np.sort(proba, axis=1)[:, ::-1][:, :2]
    cohen = sigma / 2 * (stats.norm.ppf(top2[:, 0]) - stats.norm.ppf(top2[:, 1]))
    y_pred, radius = clf.certify(X_test)
    certified = radius > 0
    assert certified.sum() >= 20
    np.testing.assert_array_equal(y_pred[certified], clf.classes_[proba[certified].argmax(1)])
    np.testing.assert_array_equal(clf.predict_certified(X_test), y_pred)
    # Never above the radius of the exact probabilities (up to integration error) ...
    assert np.all(radius <= np.where(certified, cohen, 0) + 1e-4)
    if n_classes == 3:
        # ... and equal to it for three classes, where both bounds are exact.
        np.testing.assert_allclose(radius[certified], cohen[certified], rtol=1e-6, atol=1e-8)
    else:
        # ... and close to it with more classes (Hunter's bound is tight for large pA).
        assert np.median(radius[certified] / cohen[certified]) > 0.95
    np.testing.assert_array_equal(clf.predict(X_test), clf.classes_[proba.argmax(1)])


def test_multiclass_with_string_labels_and_pipeline():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = SmoothedClassifier(make_pipeline(StandardScaler(), LogisticRegression()),
                             GaussianNoise(0.25)).fit(X, names)
    assert clf._exact is not None
    y_pred, radius = clf.certify(X)
    assert set(y_pred) <= set(names) | {-1}
    assert (radius > 0).mean() > 0.7
    ok = y_pred != -1
    np.testing.assert_array_equal(y_pred[ok], clf.predict(X)[ok])


def test_degenerate_multiclass_falls_back_to_monte_carlo():
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = np.arange(60) % 3
    clf = SmoothedClassifier(LogisticRegression(), n_samples=20).fit(X, y)
    clf.estimator_.coef_[2] = clf.estimator_.coef_[1]
    from sksmooth.linear import exact_smoothing

    exact, reason = exact_smoothing(clf.estimator_, clf.noise_, clf.classes_, X[:5],
                                    lambda: clf.estimator_.decision_function(X[:5]))
    assert exact is None and "equal coefficients" in reason


def test_binary_exact_radius_never_exceeds_the_margin_in_exact_arithmetic():
    """radius**2 * ||w||**2 <= (w.x + b)**2, checked in rational arithmetic (no rounding).

    Floats are exact rationals, so the margin's square is computed exactly with
    fractions; the package's radius (rounded down by the score's rounding bound)
    must not exceed it at any input, including inputs near the boundary.
    """
    from fractions import Fraction

    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(12)
    X = rng.normal(size=(300, 7)) * rng.uniform(0.1, 30, size=7)
    y = (X @ rng.normal(size=7) > 0).astype(int)
    lr = LogisticRegression(C=100.0, max_iter=5000).fit(X, y)
    w, b = lr.coef_[0], lr.intercept_[0]
    # Inputs moved to within a hair of the boundary, where rounding matters most.
    X_near = X - np.outer((X @ w + b) / (w @ w), w) * (1 - 1e-13)
    clf = SmoothedClassifier(lr, GaussianNoise(0.5), noise_augment=0).fit(X, y)
    for Z in (X, X_near):
        y_pred, radius = clf.certify(Z)
        w_sq = sum(Fraction(v) ** 2 for v in w)
        for z, r in zip(Z, radius):
            s = sum(Fraction(wi) * Fraction(zi) for wi, zi in zip(w, z)) + Fraction(b)
            assert Fraction(float(r)) ** 2 * w_sq <= s**2
    assert np.mean(radius > 0) > 0.5 and np.all(radius >= 0)
