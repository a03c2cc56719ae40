"""SmoothedRegressor's exact tree path: percentile and certified bounds from the leaf-box CDF.

Oracles: an mpmath computation of a 1-D tree's leaf probabilities (boundaries
from scikit-learn's float32 rule, derived here from float32 neighbours), the
Neyman-Pearson functions in mpmath, Monte Carlo on the same fitted model, and
the exact percentile at shifted points (soundness and, in 1-D, tightness).
"""

import warnings

import mpmath as mp
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, PolynomialFeatures, StandardScaler
from sklearn.tree import DecisionTreeRegressor, ExtraTreeRegressor

from sksmooth import GaussianNoise, LaplaceNoise, SmoothedRegressor, UniformNoise
from sksmooth._stats import dkw_epsilon
from sksmooth._trees import _W_REL, exact_tree_regression
from sksmooth.metrics import make_certified_regression_scorer

mp.mp.dps = 40

NOISES = [GaussianNoise(0.4), LaplaceNoise(0.3), UniformNoise(0.5)]
NOISE_IDS = ["gaussian", "laplace", "uniform"]


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ------------------------------------------------------------------ mpmath oracle
def mp_cdf(noise, t):
    """The noise's marginal CDF at ``t`` (feature 0), in mpmath."""
    t = mp.mpf(t)
    if isinstance(noise, GaussianNoise):
        return mp.ncdf(t / mp.mpf(noise.sigma))
    if isinstance(noise, LaplaceNoise):
        z = t / mp.mpf(noise.scale)
        return mp.exp(z) / 2 if z < 0 else 1 - mp.exp(-z) / 2
    lam = mp.mpf(noise.scale)
    return min(max((t + lam) / (2 * lam), mp.mpf(0)), mp.mpf(1))


def mp_worst(noise, p, r):
    """The family's Neyman-Pearson lower function W(p, r), in mpmath."""
    p, r = mp.mpf(p), mp.mpf(r)
    if isinstance(noise, GaussianNoise):
        if p <= 0 or p >= 1:
            return p
        return mp.ncdf(mp.sqrt(2) * mp.erfinv(2 * p - 1) - r / mp.mpf(noise.sigma))
    if isinstance(noise, LaplaceNoise):
        e = r / mp.mpf(noise.scale)
        return min(max(mp.exp(-e) * p, 1 - mp.exp(e) * (1 - p), mp.mpf(0)), mp.mpf(1))
    return max(p - r / (2 * mp.mpf(noise.scale)), mp.mpf(0))


def float32_boundary(t):
    """Real x where ``float32(x) <= t`` stops: midway between the float32 at or below t and
    the next one up."""
    low = np.float32(t)
    if float(low) > t:
        low = np.nextafter(low, np.float32(-np.inf))
    high = np.nextafter(low, np.float32(np.inf))
    return (mp.mpf(float(low)) + mp.mpf(float(high))) / 2


def leaf_intervals(tree):
    """``[(lo, hi, value)]``: the leaves of a 1-D regression tree as real intervals."""
    t = tree.tree_
    out = []

    def walk(node, lo, hi):
        if t.children_left[node] == -1:
            out.append((lo, hi, float(t.value[node, 0, 0])))
            return
        b = float32_boundary(float(t.threshold[node]))
        walk(t.children_left[node], lo, min(hi, b))
        walk(t.children_right[node], max(lo, b), hi)

    walk(0, mp.mpf("-inf"), mp.mpf("inf"))
    return out


def mp_law(noise, leaves, x):
    """Distinct leaf values and the exact CDF of f(x + eps) at them (mpmath)."""
    mass = {}
    for lo, hi, v in leaves:
        c_hi = mp.mpf(1) if hi == mp.inf else mp_cdf(noise, hi - mp.mpf(x))
        c_lo = mp.mpf(0) if lo == -mp.inf else mp_cdf(noise, lo - mp.mpf(x))
        mass[v] = mass.get(v, mp.mpf(0)) + (c_hi - c_lo)
    levels = sorted(mass)
    cdf, acc = [], mp.mpf(0)
    for v in levels:
        acc += mass[v]
        cdf.append(acc)
    return np.array(levels), cdf


def mp_percentile_and_bounds(noise, leaves, x, p, r):
    levels, cdf = mp_law(noise, leaves, x)
    p = mp.mpf(p)
    q = next(v for v, F in zip(levels, cdf) if F >= p)
    upper = next((v for v, F in zip(levels, cdf) if mp_worst(noise, F, r) >= p), levels[-1])
    lower = next((v for v, F in zip(levels, cdf) if 1 - mp_worst(noise, 1 - F, r) >= p),
                 levels[-1])
    return q, lower, upper, levels, cdf


@pytest.fixture(scope="module")
def tree_1d():
    """A depth-4 tree on one feature with non-monotone, partly tied leaf values."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 1))
    y = np.round(np.sin(2.5 * X[:, 0]) * 3) + 0.01 * (X[:, 0] > 1.2)  # ties across leaves
    return X, DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, y)


def _exact(model, noise, X):
    exact, reason = exact_tree_regression(model, noise, X[:20], lambda: model.predict(X[:20]))
    assert exact is not None, reason
    return exact


@pytest.mark.parametrize("noise", NOISES, ids=NOISE_IDS)
def test_cdf_bounds_bracket_mpmath_and_are_tight(tree_1d, noise):
    X, tree = tree_1d
    exact = _exact(tree, noise, X)
    leaves = leaf_intervals(tree)
    xs = np.linspace(-2.5, 2.5, 23)
    F_lo, F_hi = exact.cdf_bounds(xs[:, None])
    for i, x in enumerate(xs):
        levels, cdf = mp_law(noise, leaves, x)
        np.testing.assert_array_equal(levels, exact.levels)
        for k, F in enumerate(cdf):
            # mpmath's own rounding at 40 digits: 1e-30
            assert mp.mpf(F_lo[i, k]) - 1e-30 <= F <= mp.mpf(F_hi[i, k]) + 1e-30
        assert np.all(F_hi[i] - F_lo[i] <= 1e-11)


@pytest.mark.parametrize("noise", NOISES, ids=NOISE_IDS)
@pytest.mark.parametrize("p", [0.5, 0.2, 0.85])
def test_percentile_and_bounds_equal_mpmath_brute_force(tree_1d, noise, p):
    X, tree = tree_1d
    exact = _exact(tree, noise, X)
    leaves = leaf_intervals(tree)
    xs = np.random.default_rng(1).uniform(-2.3, 2.3, size=12)
    for r in (0.0, 0.1, 0.35, 0.9):
        q, lo, up = exact.certify(xs[:, None], p, r)
        for i, x in enumerate(xs):
            q_mp, lo_mp, up_mp, _, _ = mp_percentile_and_bounds(noise, leaves, x, p, r)
            assert (q[i], lo[i], up[i]) == (q_mp, lo_mp, up_mp), (x, r)


@pytest.mark.parametrize("noise", NOISES, ids=NOISE_IDS)
def test_levels_within_their_allowance_of_mpmath(noise):
    # The exact path evaluates W only at p and 1 - p (never at F near 1, where its float
    # error is amplified: e.g. 4e-12 for 1 - W(1 - 1e-9, 1) under GaussianNoise(0.4)).
    # _W_REL must cover W's relative error there, with a 100x margin.
    ps = np.concatenate([np.linspace(0.01, 0.99, 50), [1e-4, 1 - 1e-4]])
    for r in (0.0, 0.05, 0.3, 1.0, 3.0):
        w = noise.worst_case_probability(ps, r)
        rest = noise.worst_case_probability(1.0 - ps, r)
        for p, a, b in zip(ps, w, rest):
            for got, want in ((a, mp_worst(noise, p, r)), (b, mp_worst(noise, 1 - mp.mpf(p), r))):
                assert abs(mp.mpf(got) - want) <= _W_REL / 100 * want + mp.mpf(1e-300)


# ------------------------------------------------- tightness and soundness
def test_bounds_attained_by_shifts_for_a_monotone_1d_tree():
    # f non-decreasing in x: {f <= u} is a half-line, the Neyman-Pearson set of Gaussian
    # noise for a shift along the axis (and of uniform noise while r / (2 scale) <
    # min(p, 1 - p): beyond, its W = 0 is attained only by sets near x, not by a tree's
    # far half-lines), so the bounds are the percentiles at x -/+ r: the exact path is
    # no looser than the mathematics allows.
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(300, 1))
    tree = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, X[:, 0] ** 3)
    xs = rng.uniform(-1.5, 1.5, size=(40, 1))
    for noise in (GaussianNoise(0.3), UniformNoise(0.6)):
        exact = _exact(tree, noise, X)
        for p, r in ((0.5, 0.2), (0.3, 0.3), (0.7, 0.05)):
            _, lo, up = exact.certify(xs, p, r)
            np.testing.assert_array_equal(lo, exact.percentile(xs - r, p))
            np.testing.assert_array_equal(up, exact.percentile(xs + r, p))


def _shifts(rng, d, r, norm, n_random):
    """Worst-case axis shifts (+-r on each axis) and random directions, of norm exactly <= r."""
    axis = np.concatenate([np.eye(d), -np.eye(d)]) * r
    g = rng.normal(size=(n_random, d))
    if norm == "l1":
        g /= np.abs(g).sum(axis=1, keepdims=True)
    else:
        g /= np.linalg.norm(g, axis=1, keepdims=True)
    return np.concatenate([axis, g * r * rng.uniform(0, 1, size=(n_random, 1))]) * (1 - 1e-12)


@pytest.mark.parametrize("noise", [GaussianNoise(0.5), LaplaceNoise(0.4), UniformNoise(0.6),
                                   GaussianNoise(np.linspace(0.3, 0.8, 10))],
                         ids=NOISE_IDS + ["mahalanobis"])
@pytest.mark.parametrize("p", [0.5, 0.75])
def test_true_percentile_at_shifted_points_lies_in_bounds(diabetes, noise, p):
    X, y = diabetes
    reg = SmoothedRegressor(DecisionTreeRegressor(max_depth=5, random_state=0), noise,
                            percentile=p, random_state=0).fit(X, y)
    assert reg.certification_ == "exact-tree"
    rng = np.random.default_rng(3)
    r = 0.3
    X_test = X[:15]
    _, lower, upper = reg.certify(X_test, radius=r)
    assert np.all(lower <= upper)
    sigma = np.asarray(getattr(noise, "sigma", 1.0))
    moved = 0
    for i in range(X_test.shape[0]):
        deltas = _shifts(rng, X.shape[1], r, noise.norm, 30)
        if sigma.ndim:  # Mahalanobis: ||delta / sigma||_2 <= r
            deltas = deltas * sigma
        q = reg.predict(X_test[i] + deltas)
        assert np.all((lower[i] <= q) & (q <= upper[i])), i
        moved += np.any(q != reg.predict(X_test[i : i + 1]))
    assert moved > 0  # the shifts do move the percentile: the check can fail


# ------------------------------------------------------------- Monte Carlo
@pytest.mark.parametrize("noise", NOISES, ids=NOISE_IDS)
def test_exact_no_looser_than_monte_carlo_and_inside_its_confidence(diabetes, noise):
    # Monte Carlo's bounds hold with probability 1 - alpha per side and row, at the
    # percentiles W(p, r) and 1 - W(1 - p, r) of the exact law, which are exactly the
    # exact path's bounds (W's inverse is 1 - W(1 - ., r) for these families), so they
    # lie outside. False alarm rate: at most 2 x 20 x alpha = 4% per noise with alpha =
    # 1e-3, on a fixed seed.
    X, y = diabetes
    exact = SmoothedRegressor(DecisionTreeRegressor(max_depth=4, random_state=0), noise,
                              random_state=0).fit(X, y)
    mc = clone(exact).set_params(method="monte_carlo", n_samples=20_000).fit(X, y)
    assert mc.certification_ == "monte_carlo" and exact.certification_ == "exact-tree"
    X_test = X[:20]
    for r in (0.0, 0.1, 0.3):
        y_e, lo_e, up_e = exact.certify(X_test, radius=r)
        y_m, lo_m, up_m = mc.certify(X_test, radius=r)
        assert np.all(lo_m <= lo_e) and np.all(up_e <= up_m)
    # MC's percentile estimate within its (DKW) confidence band of the exact CDF.
    eps = dkw_epsilon(mc.n_samples, mc.alpha)
    ex = _exact(exact.estimator_, exact.noise_, X)
    F_lo, F_hi = ex.cdf_bounds(X_test)
    y_m = mc.predict(X_test)
    k = np.searchsorted(ex.levels, y_m)
    assert np.all(ex.levels[k] == y_m)
    rows = np.arange(X_test.shape[0])
    below = np.where(k > 0, F_lo[rows, np.maximum(k - 1, 0)], 0.0)
    assert np.all(F_hi[rows, k] >= 0.5 - eps) and np.all(below <= 0.5 + eps)


def test_forest_samples_with_a_reason_and_exact_refuses(diabetes):
    X, y = diabetes
    forest = RandomForestRegressor(4, max_depth=3, random_state=0)
    reg = SmoothedRegressor(forest, n_samples=200, random_state=0).fit(X, y)
    assert reg.certification_ == "monte_carlo"
    with pytest.raises(ValueError, match="method='exact' needs a closed form.*"
                                         "mixes leaves across trees"):
        clone(reg).set_params(method="exact").fit(X, y).certify(X[:2], radius=0.1)


# --------------------------------------------------------------- float32 splits
def test_float32_split_edge_is_the_real_boundary():
    # sklearn compares float32(x) <= threshold: x slightly above the threshold (below the
    # float32 midpoint b) still goes left. With noise far smaller than an ulp of float32,
    # the median follows b, not the threshold.
    X = np.array([[0.0], [0.2]])
    tree = DecisionTreeRegressor().fit(X, [0.0, 1.0])
    t = float(tree.tree_.threshold[0])
    b = float(float32_boundary(t))
    assert b > t
    xs = np.array([[t], [0.5 * (t + b)], [0.75 * t + 0.25 * b], [b + (b - t)],
                   [np.nextafter(b, -1.0)]])
    assert tree.predict(xs).tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]
    noise = GaussianNoise(sigma=(b - t) / 4)
    exact = _exact(tree, noise, X)
    np.testing.assert_array_equal(exact.clean_predict(xs), tree.predict(xs))
    leaves = leaf_intervals(tree)
    F_lo, F_hi = exact.cdf_bounds(xs)
    for i, x in enumerate(xs[:, 0]):
        _, cdf = mp_law(noise, leaves, x)
        assert mp.mpf(F_lo[i, 0]) <= cdf[0] <= mp.mpf(F_hi[i, 0])
    # x = (t + b) / 2 lies 2 sigma left of b: P[left] = Phi(2), the median is the left value;
    # at the threshold t itself (4 sigma left of b), too; 4 sigma right of b: the right one.
    np.testing.assert_array_equal(exact.percentile(xs[:4], 0.5), [0.0, 0.0, 0.0, 1.0])
    assert exact.percentile(xs[1:2], 0.99)[0] == 1.0  # Phi(2) < 0.99


def test_p_at_an_exact_cdf_step_and_ties_between_leaves():
    # x at the boundary of a two-leaf tree under symmetric noise: F(v_left) = 1/2 exactly,
    # so the median is the smaller value; certify's bounds hold both candidates.
    X = np.array([[0.0], [1.0]])
    for values in ([0.0, 1.0], [1.0, 0.0]):
        tree = DecisionTreeRegressor().fit(X, values)
        b = float(float32_boundary(float(tree.tree_.threshold[0])))
        for noise in NOISES:
            exact = _exact(tree, noise, X)
            q, lo, up = exact.certify(np.array([[b]]), 0.5, 0.0)
            assert (q[0], lo[0], up[0]) == (0.0, 0.0, 1.0)
    # Three leaves, the outer two of equal value: pooled into one level.
    X = np.array([[0.0], [1.0], [2.0]])
    tree = DecisionTreeRegressor().fit(X, [5.0, 1.0, 5.0])
    exact = _exact(tree, GaussianNoise(0.5), X)
    np.testing.assert_array_equal(exact.levels, [1.0, 5.0])
    # at x = 1: P[middle leaf] = Phi(1) - Phi(-1) = 0.683 > 1/2, so the median is 1.
    assert exact.percentile(np.array([[1.0]]), 0.5)[0] == 1.0
    assert exact.percentile(np.array([[1.0]]), 0.7)[0] == 5.0


def test_bounds_never_infinite_the_tree_range_caps_them():
    # At the largest leaf value F = 1 at every point, so even when W leaves no level
    # (uniform noise, radius beyond its cube) the bounds are the tree's range, no warning.
    X = np.linspace(-1, 1, 50)[:, None]
    y = np.round(3 * X[:, 0])
    reg = SmoothedRegressor(DecisionTreeRegressor(max_depth=3, random_state=0),
                            UniformNoise(0.2), noise_augment=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, lo, up = reg.certify(X[:5], radius=10.0)
    np.testing.assert_array_equal(lo, y.min())
    np.testing.assert_array_equal(up, y.max())


# --------------------------------------------------------------- certified radius
@pytest.mark.parametrize("noise", NOISES, ids=NOISE_IDS)
def test_certified_radius_is_the_largest_within_tolerance(diabetes, noise):
    X, y = diabetes
    reg = SmoothedRegressor(DecisionTreeRegressor(max_depth=4, random_state=0), noise,
                            random_state=0).fit(X, y)
    tol = 40.0
    X_test = X[:12]
    radius = reg.certified_radius(X_test, tolerance=tol)
    assert np.all(radius >= 0) and np.any((radius > 0) & np.isfinite(radius))
    for i in range(X_test.shape[0]):
        row = X_test[i : i + 1]
        if not np.isfinite(radius[i]):
            continue
        y_pred, lo, up = reg.certify(row, radius=float(radius[i]))
        assert lo[0] >= y_pred[0] - tol and up[0] <= y_pred[0] + tol
        bigger = float(radius[i]) * (1 + 1e-9) + 1e-12
        _, lo, up = reg.certify(row, radius=bigger)
        assert lo[0] < y_pred[0] - tol or up[0] > y_pred[0] + tol  # the largest (to 1e-9)
    assert np.all(reg.certified_radius(X_test, tolerance=2 * tol) >= radius)
    # a tolerance the whole range of the tree fits in: every radius
    span = np.ptp(reg.estimator_.tree_.value[:, 0, 0])
    np.testing.assert_array_equal(reg.certified_radius(X_test, tolerance=span + 1.0), np.inf)


# ------------------------------------------------------- pipelines, grid search
def test_pipeline_of_scalers_before_the_tree(diabetes):
    X, y = diabetes
    X_raw = X * 7.0 + 3.0
    base = make_pipeline(StandardScaler(), MinMaxScaler(), ExtraTreeRegressor(
        max_depth=5, random_state=0))
    reg = SmoothedRegressor(base, GaussianNoise(0.5), random_state=0).fit(X_raw, y)
    assert reg.certification_ == "exact-tree"
    mc = clone(reg).set_params(method="monte_carlo", n_samples=20_000).fit(X_raw, y)
    _, lo_e, up_e = reg.certify(X_raw[:15], radius=0.4)
    _, lo_m, up_m = mc.certify(X_raw[:15], radius=0.4)
    assert np.all(lo_m <= lo_e) and np.all(up_e <= up_m)  # false alarm <= 2 x 15 x 1e-3
    # A step that is not a per-feature increasing map: sampled, with the reason.
    poly = SmoothedRegressor(make_pipeline(PolynomialFeatures(2), DecisionTreeRegressor(
        max_depth=2)), n_samples=50, method="exact")
    with pytest.raises(ValueError, match="PolynomialFeatures is not a known per-feature"):
        poly.fit(X[:, :3], y).predict(X[:2, :3])


def test_smoothed_tree_in_pipeline_and_grid_search_is_exact(diabetes):
    X, y = diabetes
    pipe = make_pipeline(StandardScaler(), SmoothedRegressor(
        DecisionTreeRegressor(max_depth=3, random_state=0), random_state=0))
    y_pred, lo, up = pipe.fit(X, y)[-1].certify(pipe[0].transform(X[:5]), radius=0.25)
    assert np.all(lo <= y_pred) and np.all(y_pred <= up)
    search = GridSearchCV(
        pipe, {"smoothedregressor__noise__sigma": [0.25, 0.5]}, cv=2,
        scoring=make_certified_regression_scorer(radius=0.25, tolerance=50.0),
    ).fit(X, y)
    best = search.best_estimator_[-1]
    assert best.certification_ == "exact-tree"
    assert set(search.cv_results_["param_smoothedregressor__noise__sigma"]) == {0.25, 0.5}
    assert 0 <= search.best_score_ <= 1


def test_no_sampling_results_do_not_depend_on_random_state_or_n_samples(diabetes):
    X, y = diabetes
    a = SmoothedRegressor(DecisionTreeRegressor(max_depth=4, random_state=0),
                          noise_augment=0).fit(X, y)
    b = clone(a).set_params(random_state=5, n_samples=3, alpha=0.4).fit(X, y)
    for u, v in zip(a.certify(X[:10], radius=0.2), b.certify(X[:10], radius=0.2)):
        np.testing.assert_array_equal(u, v)
    np.testing.assert_array_equal(a.certified_radius(X[:10], tolerance=30.0),
                                  b.certified_radius(X[:10], tolerance=30.0))


def test_certification_reports_the_path(diabetes):
    X, y = diabetes
    assert SmoothedRegressor(random_state=0).fit(X, y).certification_ == "exact-linear"
    # the linear closed form knows only the median under Laplace noise: sampled
    lap = SmoothedRegressor(noise=LaplaceNoise(0.3), percentile=0.8, n_samples=50).fit(X, y)
    assert lap.certification_ == "monte_carlo"
    tree = SmoothedRegressor(DecisionTreeRegressor(max_depth=2), LaplaceNoise(0.3),
                             percentile=0.8).fit(X, y)
    assert tree.certification_ == "exact-tree"
    assert clone(tree).set_params(method="monte_carlo", n_samples=50).fit(
        X, y).certification_ == "monte_carlo"


@pytest.mark.parametrize("noise", [GaussianNoise(0.3), GaussianNoise(0.3, features=[0, 1]),
                                   LaplaceNoise(0.3, features=[1, 2])],
                         ids=["all", "features-0-1", "laplace-features-1-2"])
def test_missing_values_and_noised_features_agree_with_monte_carlo(noise):
    # NaN in feature 0 (routed by the tree's missing-value rule, unmoved by the noise) and
    # un-noised features (their clean values route): Monte Carlo on the same model holds
    # the exact interval. False alarm <= 2 x 30 x 1e-3 = 6% per case, fixed seed.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = 2 * X[:, 0] + np.sin(3 * X[:, 1]) + X[:, 2]
    X[rng.random(400) < 0.2, 0] = np.nan
    reg = SmoothedRegressor(DecisionTreeRegressor(max_depth=5, random_state=0), noise,
                            random_state=0).fit(X, y)
    assert reg.certification_ == "exact-tree"
    mc = clone(reg).set_params(method="monte_carlo", n_samples=20_000).fit(X, y)
    X_test = X[:30]
    assert np.isnan(X_test[:, 0]).sum() > 3
    _, lo_e, up_e = reg.certify(X_test, radius=0.2)
    _, lo_m, up_m = mc.certify(X_test, radius=0.2)
    assert np.all(lo_m <= lo_e) and np.all(up_e <= up_m)
    assert np.any(lo_e < up_e)  # not all degenerate
