"""Exact smoothed tree models (sksmooth/_trees.py) against independent computations.

Statistical checks (marked slow) use Hoeffding's inequality, which holds for any
sample size: each comparison fails on a correct implementation with probability
<= 1e-6, and there are fewer than 400 of them (inputs x classes), so the file's
false-alarm rate is below 4e-4 (seeds are fixed, so outcomes are deterministic).
"""

import mpmath as mp
import numpy as np
import pytest
from scipy.stats import norm
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

from sksmooth import (
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    SubspaceNoise,
    UniformNoise,
)
from sksmooth._trees import ExactAdditiveSmoothing, _goes_left, split_boundary
from sksmooth.noise._registry import FAMILIES as REGISTRY

#: Per-comparison false-alarm rate of the Monte Carlo checks (Hoeffding).
DELTA = 1e-6

#: The registered families with independent coordinates, then variants.
PRODUCT_NOISES = {
    **{name: (lambda family=family: family.make(family.levels[1], 4))
       for name, family in REGISTRY.items() if family.cls.independent_coordinates},
    "gaussian-per-feature": lambda: GaussianNoise([0.3, 0.6, 0.4, 0.5]),
    "gaussian-features": lambda: GaussianNoise(0.5, features=[0, 2]),
    "laplace-features": lambda: LaplaceNoise(0.4, features=[1, 2, 3]),
}

MODELS = {
    "tree": (lambda: DecisionTreeClassifier(max_depth=4, random_state=0), "hard"),
    "extra-tree": (lambda: ExtraTreeClassifier(max_depth=5, random_state=0), "hard"),
    "soft tree": (lambda: DecisionTreeClassifier(max_depth=4, random_state=0), "soft"),
    "soft forest": (lambda: RandomForestClassifier(8, max_depth=4, random_state=0), "soft"),
    "soft extra-trees": (lambda: ExtraTreesClassifier(8, max_depth=4, random_state=0), "soft"),
    "stumps": (lambda: GradientBoostingClassifier(n_estimators=40, max_depth=1,
                                                  random_state=0), "hard"),
    "hist no-interactions": (lambda: HistGradientBoostingClassifier(
        max_iter=15, interaction_cst="no_interactions", random_state=0), "hard"),
}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(300, 4, n_informative=3, n_redundant=0, random_state=3)
    return X, y


def _fit(model, noise, X, y, **params):
    make, vote = MODELS[model]
    return SmoothedClassifier(make(), noise, vote=vote, noise_augment=1, random_state=0,
                              **params).fit(X, y)


def _monte_carlo(clf, X, n, seed):
    """Mean over n noisy copies of the base model's one-hot vote (or predict_proba)."""
    rng = np.random.default_rng(seed)
    out = []
    for x in X:
        noisy = clf.noise_.perturb(x[None, :], clf.noise_.sample(n, X.shape[1], rng))
        if clf.vote == "soft":
            out.append(clf.estimator_.predict_proba(noisy).mean(axis=0))
        else:
            votes = np.searchsorted(clf.classes_, clf.estimator_.predict(noisy))
            out.append(np.bincount(votes, minlength=len(clf.classes_)) / n)
    return np.array(out)


@pytest.mark.slow
@pytest.mark.parametrize("noise", list(PRODUCT_NOISES))
@pytest.mark.parametrize("model", list(MODELS))
def test_exact_probabilities_match_monte_carlo(data, model, noise):
    """Exact smoothed probabilities within Hoeffding's bound of 40,000 draws (delta = 1e-6)."""
    X, y = data
    if MODELS[model][1] == "soft" and not getattr(PRODUCT_NOISES[noise](), "soft_vote", False):
        pytest.skip("soft voting is proven for Gaussian noise only")
    clf = _fit(model, PRODUCT_NOISES[noise](), X, y)
    assert clf.certification_.startswith("exact"), clf._exact_reason
    X_test = X[::60]
    n = 40_000
    exact = clf.predict_proba(X_test)
    mc = _monte_carlo(clf, X_test, n, seed=1)
    tol = np.sqrt(np.log(2 / DELTA) / (2 * n))
    assert np.all(np.abs(exact - mc) <= tol), np.abs(exact - mc).max()
    lower, upper = clf._exact.bounds(X_test)
    assert np.all(lower <= exact + 1e-12) and np.all(exact <= upper + 1e-12)
    # the bounds are tight: leaf boxes to ~1e-11, the additive grid to a few 1e-3
    assert np.max(upper - lower) < (1e-2 if "stump" in model or "hist" in model else 1e-9)


def test_soft_random_forest_is_exact_by_default(data):
    """The issue's criterion: SmoothedClassifier(RandomForestClassifier(), vote="soft")."""
    X, y = data
    clf = SmoothedClassifier(RandomForestClassifier(n_estimators=10, random_state=0),
                             vote="soft").fit(X, y)
    assert clf.certification_ == "exact-soft-forest"
    y_pred, radius = clf.certify(X[:20])
    assert np.all(radius[y_pred != -1] > 0)
    assert SmoothedClassifier().fit(X, y).certification_ == "exact-linear"
    mc = SmoothedClassifier(RandomForestClassifier(n_estimators=5), method="monte_carlo",
                            vote="soft").fit(X, y)
    assert mc.certification_ == "monte_carlo"


@pytest.mark.parametrize("make,noise,why", [
    (lambda: RandomForestClassifier(5), GaussianNoise(0.5), "vote='soft'"),
    (lambda: DecisionTreeClassifier(), CorrelatedGaussianNoise(np.eye(4) * 0.25),
     "independent coordinates"),
    (lambda: DecisionTreeClassifier(), SubspaceNoise(2), "independent coordinates"),
    (lambda: GradientBoostingClassifier(n_estimators=5, max_depth=2), GaussianNoise(0.5),
     "max_depth=1"),
    (lambda: HistGradientBoostingClassifier(max_iter=5), GaussianNoise(0.5),
     "no_interactions"),
])
def test_no_closed_form_samples_and_exact_says_why(data, make, noise, why):
    X, y = data
    clf = SmoothedClassifier(make(), noise, n_samples=50, random_state=0).fit(X, y)
    assert clf.certification_ == "monte_carlo"
    clf.certify(X[:2])  # auto samples
    with pytest.raises(ValueError, match=why.replace("(", r"\(")):
        clf.set_params(method="exact").certify(X[:2])


def test_multiclass_boosting_samples():
    X, y = make_classification(200, 4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)
    clf = SmoothedClassifier(GradientBoostingClassifier(n_estimators=5, max_depth=1),
                             GaussianNoise(0.5), n_samples=50, random_state=0).fit(X, y)
    assert clf.certification_ == "monte_carlo" and "multiclass" in clf._exact_reason
    # It really samples: vote frequencies are counts out of n_samples, and auto gives
    # exactly what method="monte_carlo" gives with the same random_state.
    proba = clf.predict_proba(X[:20])
    np.testing.assert_allclose(proba * 50, np.round(proba * 50), rtol=0, atol=1e-9)
    assert np.any((proba > 0) & (proba < 1))  # some votes split: not a 0/1 closed form
    y_auto, r_auto = clf.certify(X[:20])
    y_mc, r_mc = clf.set_params(method="monte_carlo").certify(X[:20])
    np.testing.assert_array_equal(y_auto, y_mc)
    np.testing.assert_array_equal(r_auto, r_mc)


# ------------------------------------------------------------ float32 splits
def test_split_boundary_reproduces_float32_comparison():
    """``float32(x) <= t`` iff ``x < b`` or (``x == b`` and closed), at b and its neighbours."""
    rng = np.random.default_rng(0)
    f32 = rng.normal(size=3000).astype(np.float32) * np.float32(10.0) ** rng.integers(-30, 30, 3000)
    t = np.concatenate([
        f32.astype(np.float64),  # thresholds that are float32 values
        (f32.astype(np.float64) + np.nextafter(f32, np.float32(np.inf))) / 2,  # sklearn midpoints
        rng.normal(size=3000) * 1e3,
        [0.0, -0.0, 1e-45, 3.4e38, -3.4e38, 3.5e38, -3.5e38, np.inf, -np.inf],
    ])
    b, closed = split_boundary(t)
    for x in (b, np.nextafter(b, -np.inf), np.nextafter(b, np.inf),
              np.nextafter(np.nextafter(b, np.inf), np.inf)):
        with np.errstate(over="ignore"):
            truth = x.astype(np.float32) <= t
        np.testing.assert_array_equal(_goes_left(x, b, closed), truth)
    # ties go both ways: midpoints of float32 neighbours with even and odd last bits
    assert closed.any() and (~closed).any()


@pytest.mark.parametrize("noise", [GaussianNoise(0.5, features=[1]), LaplaceNoise(0.4, features=[1])])
def test_clean_feature_within_an_ulp_of_a_split(noise):
    """A split on an un-noised feature routes inputs one ulp around it as predict does."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0.1).astype(int)
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=1), noise, noise_augment=0,
                             random_state=0).fit(X, y)
    t = clf.estimator_.tree_.threshold[0]
    b, _ = split_boundary([t])
    x0 = np.concatenate([np.nextafter(b, -np.inf), b, np.nextafter(b, np.inf), [t],
                         np.nextafter([t], np.inf), np.nextafter([t], -np.inf)])
    X_test = np.column_stack([x0, np.zeros_like(x0)])
    proba = clf.predict_proba(X_test)
    expected = clf.estimator_.predict(X_test)
    np.testing.assert_array_equal(proba.argmax(axis=1), expected)
    np.testing.assert_allclose(proba.max(axis=1), 1.0, rtol=0, atol=1e-9)
    # both sides occur among these inputs: the split really lies within an ulp
    assert len(set(expected.tolist())) == 2


# ------------------------------------------------------------- oracles
@pytest.mark.parametrize("noise,dist", [
    (GaussianNoise(0.5), lambda d: d),
    (GaussianNoise([0.5, 2.0]), lambda d: d / 0.5),  # Mahalanobis: |delta_0| / sigma_0
    (LaplaceNoise(0.5), lambda d: d),
    (UniformNoise(0.8), lambda d: np.minimum(d, 0.8)),  # 2 scale (pA - 1/2) caps at scale
])
def test_stump_radius_is_the_distance_to_its_split(noise, dist):
    """A depth-1 tree is a halfspace on one axis: g = f and the exact radius is |x_0 - b|.

    Gaussian (Cohen et al.), Laplace (Teng et al.) and uniform (Yang et al.) radii
    from the exact pA all equal that distance (uniform: up to its cap ``scale``);
    ours must never exceed it and be within 1e-6 of it where pA < 1 - 1e-9.
    """
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] > 0.2).astype(int)
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=1), noise, noise_augment=0,
                             random_state=0).fit(X, y)
    b, _ = split_boundary(clf.estimator_.tree_.threshold[:1])
    y_pred, radius = clf.certify(X)
    d = np.abs(X[:, 0] - b[0])
    oracle = dist(d)
    assert np.all(y_pred == clf.estimator_.predict(X))
    assert np.all(radius <= oracle * (1 + 1e-12) + 1e-15)
    scale = getattr(noise, "sigma", getattr(noise, "scale", None))
    near = d < 5 * np.min(scale)
    np.testing.assert_allclose(radius[near], oracle[near], rtol=1e-6, atol=1e-9)


def _mp_interval(lo, hi, x, noise):
    """P[lo < x + eps < hi] with 40 significant digits (mpmath), from the near tail."""
    def cdf(t):  # P[eps <= t]
        if t == -mp.inf:
            return mp.mpf(0)
        if t == mp.inf:
            return mp.mpf(1)
        if isinstance(noise, GaussianNoise):
            return mp.ncdf(t / noise.sigma)
        z = t / noise.scale
        return mp.mpf(0.5) * mp.e**z if z < 0 else 1 - mp.mpf(0.5) * mp.e**(-z)

    def sf(t):  # P[eps > t], by symmetry
        return cdf(-t)

    a = -mp.inf if lo == -np.inf else mp.mpf(float(lo)) - mp.mpf(float(x))
    c = mp.inf if hi == np.inf else mp.mpf(float(hi)) - mp.mpf(float(x))
    return sf(a) - sf(c) if a >= 0 else cdf(c) - cdf(a)


@pytest.mark.parametrize("noise", [GaussianNoise(0.3), LaplaceNoise(0.3)])
def test_one_dimensional_tree_against_mpmath(noise):
    """1-D tree: class probabilities by 40-digit integration over its leaf intervals.

    The bounds contain the mpmath value, also deep in the tails (inputs up to
    30 noise scales from every split), and are relatively tight there.
    """
    mp.mp.dps = 40
    rng = np.random.default_rng(2)
    X = rng.uniform(-3, 3, size=(400, 1))
    y = (np.sin(2 * X[:, 0]) > 0).astype(int)
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=4), noise, noise_augment=0,
                             random_state=0).fit(X, y)
    t = clf.estimator_.tree_
    leaves = np.flatnonzero(t.children_left == -1)
    edges = np.sort(split_boundary(t.threshold[t.children_left != -1])[0])
    X_test = np.concatenate([np.linspace(-3, 3, 13), [-12.0, 12.0]])[:, None]
    lower, upper = clf._exact._tight_bounds(X_test)
    cuts = np.concatenate([[-np.inf], edges, [np.inf]])
    reps = np.concatenate([[edges[0] - 1], (edges[:-1] + edges[1:]) / 2, [edges[-1] + 1]])
    leaf_of = clf.estimator_.apply(reps[:, None])
    cls = np.argmax(t.value[leaf_of, 0], axis=1)
    assert set(leaf_of) == set(leaves)
    for i, x in enumerate(X_test[:, 0]):
        p = [mp.mpf(0), mp.mpf(0)]
        for k in range(len(cuts) - 1):
            p[cls[k]] += _mp_interval(cuts[k], cuts[k + 1], x, noise)
        for c in (0, 1):
            assert lower[i, c] <= p[c] <= upper[i, c], (x, c, lower[i, c], p[c], upper[i, c])
            if p[c] > 1e-300:
                assert upper[i, c] <= p[c] * (1 + 1e-10) + 1e-300


def test_marginal_cdf_tails_against_mpmath():
    """scipy's normal tails within 5e-13 relative of mpmath (the allowance _REL is 1e-12)."""
    mp.mp.dps = 40
    z = np.linspace(-37, 37, 741)
    cdf, sf = GaussianNoise(1.0).marginal_cdf(z, 0)
    for v, c, s in zip(z, cdf, sf):
        assert abs(c - mp.ncdf(v)) <= 5e-13 * mp.ncdf(v)
        assert abs(s - mp.ncdf(-v)) <= 5e-13 * mp.ncdf(-v)
    lcdf, lsf = LaplaceNoise(1.0).marginal_cdf(np.array([-700.0, 700.0]), 0)
    assert lcdf[0] > 0 and lsf[1] > 0 and lcdf[0] == lsf[1]
    ucdf, usf = UniformNoise(1.0).marginal_cdf(np.array([-1 + 1e-12, 1 - 1e-12]), 0)
    np.testing.assert_allclose([ucdf[0], usf[1]], 5e-13, rtol=1e-3)


# ------------------------------------------------------------ additive ensembles
def _brute_force_additive(exact, x):
    """P[F > 0] by enumerating every combination of cells (float64, exact class of each)."""
    import itertools

    noised = set(exact.noised.tolist())
    feats = list(exact.cells)
    const = exact.constant
    per = []
    for f in feats:
        vals = exact.cells[f]
        start = exact.table.start[f]
        bounds = exact.table.bound[start:exact.table.start[f + 1]]
        if f in noised:
            sigma = exact.noise.sigma
            probs = np.diff(norm.cdf((bounds - x[f]) / sigma))
            per.append(list(zip(vals, probs)))
        else:
            cell = np.searchsorted(bounds[1:-1], x[f], side="left")
            const += vals[cell]
    total = 0.0
    for combo in itertools.product(*per):
        score = const + sum(v for v, _ in combo)
        if score > 0:
            total += np.prod([p for _, p in combo])
    return total


@pytest.mark.parametrize("model", ["stumps", "hist no-interactions"])
def test_additive_bounds_contain_brute_force(model):
    """Both ways of bounding P[F > 0] contain a brute-force enumeration over all cells.

    Enumeration (the default for few cells) is exact to 1e-9; the grid dynamic
    program (forced here) is within 5e-2 on these inputs.
    """
    X, y = make_classification(300, 3, n_informative=3, n_redundant=0, random_state=5)
    make, _ = MODELS[model]
    est = make().set_params(**({"n_estimators": 12} if model == "stumps" else {"max_iter": 4,
                                                                                "max_leaf_nodes": 4}))
    clf = SmoothedClassifier(est, GaussianNoise(0.4, features=[0, 1]), noise_augment=0,
                             random_state=0).fit(X, y)
    assert clf.certification_ == "exact-additive"
    e = clf._exact
    assert e.enumerate  # few cells: every combination is summed
    grid = ExactAdditiveSmoothing(e.noise, e.n_features, e.table, e.constant, e.cells,
                                  e.missing, max_combinations=0)  # the dynamic program
    for exact, gap in ((e, 1e-9), (grid, 5e-2)):
        lower, upper = exact.bounds(X[:8])
        for i, x in enumerate(X[:8]):
            p1 = _brute_force_additive(exact, x)
            assert lower[i, 1] - 1e-12 <= p1 <= upper[i, 1] + 1e-12
            assert lower[i, 0] - 1e-12 <= 1 - p1 <= upper[i, 0] + 1e-12
        assert np.max(upper - lower) < gap


def test_additive_reproduces_decision_function_sign(data):
    """Noise on one feature only: the other features' steps are fixed, and the clean
    decision of every input is recovered (P = 1 where F(x) is away from 0 on that feature)."""
    X, y = data
    clf = _fit("stumps", GaussianNoise(1e-9, features=[0]), X, y)
    proba = clf.predict_proba(X)
    expected = clf.estimator_.predict(X)
    agree = proba.argmax(axis=1) == np.searchsorted(clf.classes_, expected)
    assert agree.mean() > 0.98


# ------------------------------------------------------------- missing values
def test_missing_values_follow_the_tree(data):
    """A NaN on the noised feature stays NaN: the tree's missing-value routing decides."""
    X, y = data
    X = X.copy()
    X[::7, 1] = np.nan
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=4, random_state=0),
                             GaussianNoise(0.5, features=[1]), noise_augment=0,
                             random_state=0).fit(X, y)
    X_test = X[::7][:10]
    proba = clf.predict_proba(X_test)
    np.testing.assert_array_equal(proba.argmax(axis=1),
                                  np.searchsorted(clf.classes_, clf.estimator_.predict(X_test)))
    np.testing.assert_allclose(proba.max(axis=1), 1.0, atol=1e-9)


def test_inputs_not_mutated_and_predict_certified(data):
    X, y = data
    clf = _fit("tree", GaussianNoise(0.5), X, y)
    X_test = X[:30].copy()
    before = X_test.copy()
    y_pred, radius = clf.certify(X_test)
    np.testing.assert_array_equal(X_test, before)
    answer, n_draws = clf.predict_certified(X_test, return_n_draws=True)
    np.testing.assert_array_equal(answer, y_pred)
    assert np.all(n_draws == 0)
    at = clf.predict_certified(X_test, radius=0.3)
    np.testing.assert_array_equal(at == -1, ~(radius >= 0.3) | (y_pred == -1))
    # Past the Monte Carlo cap sigma * Phi^-1(alpha^(1/n)) ~ 3.1 sigma at n=10,000, alpha=1e-3
    cap = 0.5 * norm.ppf(0.001 ** (1 / 10_000))
    far = np.array([[50.0, 50.0, 50.0, 50.0]])
    assert clf.certify(far)[1][0] > 2 * cap


def test_linear_models_keep_the_linear_closed_form(data):
    """The linear closed form still takes precedence for linear models."""
    X, y = data
    clf = SmoothedClassifier(LogisticRegression(), GaussianNoise(0.5)).fit(X, y)
    assert clf.certification_ == "exact-linear"
    # The closed form's values, by hand from the fitted weights: the radius is the distance
    # to the hyperplane and P[class 1] = Phi(score / (||w|| sigma)) (no sampling error).
    w, b = clf.estimator_.coef_[0], clf.estimator_.intercept_[0]
    score = X[:30] @ w + b
    y_pred, radius = clf.certify(X[:30])
    np.testing.assert_array_equal(y_pred, (score > 0).astype(int))
    np.testing.assert_allclose(radius, np.abs(score) / np.linalg.norm(w), rtol=1e-9)
    np.testing.assert_allclose(clf.predict_proba(X[:30])[:, 1],
                               norm.cdf(score / (np.linalg.norm(w) * 0.5)), rtol=1e-9)


# ------------------------------------------------------------- pipelines
def _scaled(make):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    return make_pipeline(StandardScaler(), MinMaxScaler(), make())


@pytest.mark.slow
@pytest.mark.parametrize("model", ["tree", "soft forest", "stumps", "hist no-interactions"])
def test_pipeline_of_scalers_is_exact_and_matches_monte_carlo(data, model):
    """Splits after per-feature scalers are pulled back to input units (Hoeffding, 1e-6)."""
    X, y = data
    X = X * [1.0, 10.0, 100.0, 0.1] + [0.0, 5.0, -50.0, 1.0]
    make, vote = MODELS[model]
    clf = SmoothedClassifier(_scaled(make), GaussianNoise([0.3, 3.0, 30.0, 0.03]), vote=vote,
                             random_state=0).fit(X, y)
    assert clf.certification_.startswith("exact"), clf._exact_reason
    n = 40_000
    X_test = X[::75]
    exact = clf.predict_proba(X_test)
    mc = _monte_carlo(clf, X_test, n, seed=2)
    assert np.all(np.abs(exact - mc) <= np.sqrt(np.log(2 / DELTA) / (2 * n)))


def test_pipeline_boundary_within_an_ulp(data):
    """The pulled-back split is the last float64 input the pipeline sends left."""
    from sksmooth._trees import _PulledBounds

    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2)) * [3.0, 1.0] + [7.0, 0.0]
    y = (X[:, 0] > 7.3).astype(int)
    pipe = _scaled(lambda: DecisionTreeClassifier(max_depth=1))
    clf = SmoothedClassifier(pipe, GaussianNoise(0.5, features=[1]), noise_augment=0,
                             random_state=0).fit(X, y)
    assert clf.certification_ == "exact-tree"
    tree = clf.estimator_[-1].tree_
    steps = [step for _, step in clf.estimator_.steps[:-1]]
    b, _ = _PulledBounds(steps, 2)(tree.threshold[:1], tree.feature[:1], True)
    x0 = np.array([np.nextafter(b[0], -np.inf), b[0], np.nextafter(b[0], np.inf)])
    X_test = np.column_stack([x0, np.zeros(3)])
    routed = clf.estimator_.predict(X_test)
    assert routed[0] == routed[1] != routed[2]  # b goes left, the next float right
    proba = clf.predict_proba(X_test)
    np.testing.assert_array_equal(proba.argmax(axis=1), np.searchsorted(clf.classes_, routed))
    np.testing.assert_allclose(proba.max(axis=1), 1.0, atol=1e-9)


def test_pipeline_with_a_nonmonotone_step_samples(data):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    X, y = data
    pipe = make_pipeline(PolynomialFeatures(2), DecisionTreeClassifier(max_depth=3))
    clf = SmoothedClassifier(pipe, GaussianNoise(0.5), n_samples=50).fit(X, y)
    assert clf.certification_ == "monte_carlo"
    assert "PolynomialFeatures is not a known per-feature increasing map" in clf._exact_reason


def test_closed_form_certifies_the_vote_it_was_fitted_for():
    # A closed form certifies one smoothed classifier; vote changed after fit must not
    # silently reuse it (issue 11, item 3): auto samples, "exact" says why.
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = SmoothedClassifier(RandomForestClassifier(n_estimators=5, random_state=0),
                             GaussianNoise(0.5), vote="soft", n_samples=200,
                             random_state=0).fit(X, y)
    assert clf.certification_ == "exact-soft-forest"
    clf.set_params(vote="hard")
    assert clf.certification_ == "monte_carlo"
    clf.set_params(method="exact")
    with pytest.raises(ValueError, match="certifies the soft-vote smoothed classifier"):
        clf.certify(X[:2])
    tree = SmoothedClassifier(DecisionTreeClassifier(max_depth=3, random_state=0),
                              GaussianNoise(0.5), n_samples=200, random_state=0).fit(X, y)
    assert tree.certification_ == "exact-tree"
    tree.set_params(vote="soft")
    assert tree.certification_ == "monte_carlo"
