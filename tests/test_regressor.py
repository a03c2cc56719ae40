"""SmoothedRegressor: order statistics, worst-case probabilities, exact linear path, API."""

import pickle
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.ensemble import RandomForestRegressor
from sklearn.tree import DecisionTreeRegressor

from sksmooth import (
    BaseNoise,
    BernoulliMaskNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedRegressor,
    SmoothingWarning,
    SubspaceNoise,
    UniformNoise,
)
from sksmooth import _montecarlo
from sksmooth._engine import collect_outputs
from sksmooth._random import ESTIMATE, RowSeeds, row_keys
from sksmooth._stats import (
    dkw_epsilon,
    order_statistic_lower_index,
    order_statistic_upper_index,
)
from sksmooth.linear import affine_regression

from .test_noise_families import D, FAMILIES, IDS


class HiddenLinear(RegressorMixin, BaseEstimator):
    """``w.x + b`` with no ``coef_``: the Monte Carlo path runs on it."""

    def __init__(self, w=(1.0, -2.0, 0.5), b=0.3):
        self.w = w
        self.b = b

    def fit(self, X, y):
        self.is_fitted_ = True
        return self

    def predict(self, X):
        return np.asarray(X, dtype=np.float64) @ np.asarray(self.w, dtype=np.float64) + self.b


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ----------------------------------------------------------- order statistics
def _brute_lower(n, q, alpha):
    """Largest k with P[Binom(n, q) >= k] >= 1 - alpha, by scanning every k."""
    k = np.arange(1, n + 1)
    ok = stats.binom.sf(k - 1, n, q) >= 1 - alpha
    return int(k[ok].max()) if ok.any() else 0


def _brute_upper(n, q, alpha):
    """Smallest k with P[Binom(n, q) >= k] <= alpha, by scanning every k."""
    k = np.arange(1, n + 1)
    ok = stats.binom.sf(k - 1, n, q) <= alpha
    return int(k[ok].min()) if ok.any() else n + 1


def test_order_statistic_indices_match_brute_force_binomial():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 3000))
        q = float(rng.choice([rng.random(), rng.random() ** 8, 1 - rng.random() ** 8]))
        alpha = float(10 ** rng.uniform(-5, -0.5))
        assert order_statistic_lower_index(n, q, alpha) == _brute_lower(n, q, alpha), (n, q, alpha)
        assert order_statistic_upper_index(n, q, alpha) == _brute_upper(n, q, alpha), (n, q, alpha)


def test_order_statistic_indices_edges_and_vectorised():
    assert order_statistic_lower_index(10, 0.0, 0.01) == 0
    assert order_statistic_lower_index(10, 1.0, 0.01) == 10
    assert order_statistic_upper_index(10, 1.0, 0.01) == 11
    assert order_statistic_upper_index(10, 0.0, 0.01) == 1
    # Too few draws for the 0.5 quantile at alpha = 0.001: P[Binom(5, .5) >= 1] = 31/32 < 0.999.
    assert order_statistic_lower_index(5, 0.5, 0.001) == 0
    q = np.array([0.1, 0.5, 0.9])
    np.testing.assert_array_equal(order_statistic_lower_index(500, q, 0.01),
                                  [_brute_lower(500, v, 0.01) for v in q])


def test_order_statistic_bounds_cover_at_their_level():
    """Exact coverage from the Beta law of uniform order statistics (U_(k) ~ Beta(k, n-k+1))."""
    n, alpha = 400, 0.01
    for q in [0.05, 0.3, 0.5, 0.77]:
        k = int(order_statistic_lower_index(n, q, alpha))
        assert stats.beta.cdf(q, k, n - k + 1) >= 1 - alpha  # P[U_(k) <= q]
        assert stats.beta.cdf(q, k + 1, n - k) < 1 - alpha  # k is the largest such
        k = int(order_statistic_upper_index(n, q, alpha))
        assert stats.beta.sf(q, k, n - k + 1) >= 1 - alpha  # P[U_(k) >= q]
        assert stats.beta.sf(q, k - 1, n - k + 2) < 1 - alpha


def test_dkw_epsilon_solves_massart():
    eps = dkw_epsilon(1000, 0.01)
    assert 2 * np.exp(-2 * 1000 * eps**2) == pytest.approx(0.01, rel=1e-12)


# --------------------------------------------------- worst-case probabilities
#: The one registry of noise families (tests/test_noise_families.py).
NOISES = [case[0] for case in FAMILIES]


@pytest.mark.parametrize("noise", NOISES, ids=IDS)
def test_worst_case_probability_ties_to_the_binary_radius(noise):
    """W(pA, r) > 1/2 exactly for r below the family's binary radius(pA, 1 - pA)."""
    noise = clone(noise).validate(D)
    for pA in [0.55, 0.7, 0.9, 0.99, 0.999]:
        R = float(noise.radius(pA, 1 - pA))
        if noise.norm == "l0":  # integer radii: rho <= R certified, R + 1 not
            assert noise.worst_case_probability(pA, R) > 0.5
            assert noise.worst_case_probability(pA, R + 1) <= 0.5
            assert noise.worst_case_probability(pA, R + 0.99) > 0.5  # floor(r) features
            continue
        assert R > 0
        assert noise.worst_case_probability(pA, R * (1 - 1e-6)) > 0.5
        assert noise.worst_case_probability(pA, R * (1 + 1e-6)) < 0.5


@pytest.mark.parametrize("noise", NOISES, ids=IDS)
def test_worst_case_probability_is_monotone_and_in_unit_interval(noise):
    noise = clone(noise).validate(D)
    p = np.linspace(0, 1, 41)[:, None]
    r = np.linspace(0, 5, 51)[None, :]
    W = noise.worst_case_probability(p, r)
    assert W.shape == (41, 51)
    assert np.all((W >= 0) & (W <= 1))
    assert np.all(np.diff(W, axis=0) >= -1e-15)  # non-decreasing in p
    assert np.all(np.diff(W, axis=1) <= 1e-15)  # non-increasing in r
    assert np.all(W[:, 0] <= p[:, 0] + 1e-15)  # no shift, no loss beyond rounding


@pytest.mark.parametrize("noise", NOISES, ids=IDS)
def test_every_family_certifies_a_regression(noise):
    X = np.random.default_rng(8).normal(size=(40, D))
    reg = SmoothedRegressor(HiddenLinear(w=(1.0, -1.0, 0.5, 0.2)), noise, n_samples=400,
                            method="monte_carlo", random_state=0).fit(X, X[:, 0])
    # l0: one changed feature already moves half the mass of SubspaceNoise(2) on 4 features.
    y_pred, lower, upper = reg.certify(X[:5], radius=0 if reg.noise_.norm == "l0" else 0.05)
    assert np.all(lower <= y_pred) and np.all(y_pred <= upper)
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))
    radii = reg.certified_radius(X[:5], tolerance=5.0)
    assert radii.shape == (5,) and np.all(radii > 0)
    for i, r in enumerate(radii):  # certify at the returned radius stays within the tolerance
        y_i, lo_i, up_i = reg.certify(X[i : i + 1], radius=float(min(r, 1e6)))
        assert up_i[0] - y_i[0] <= 5.0 and y_i[0] - lo_i[0] <= 5.0, (i, r, y_i, lo_i, up_i)


def test_worst_case_probability_against_attained_axis_shifts():
    """Each value is <= the probability a half-space attains under one shift (soundness), and
    equal to it where the half-space is the Neyman-Pearson worst case."""
    p = np.linspace(0.01, 0.99, 99)
    for r in [0.1, 0.5, 1.3]:
        # Gaussian: the half-space {z_1 <= t}, P_x = p, shifted by r along e_1.
        sigma = 0.5
        attained = stats.norm.cdf(stats.norm.ppf(p, scale=sigma) - r, scale=sigma)
        np.testing.assert_allclose(GaussianNoise(sigma).worst_case_probability(p, r), attained,
                                   rtol=1e-12, atol=1e-15)
        # Per-feature sigma: the shift r * sigma_j e_j has Mahalanobis norm r.
        attained = stats.norm.cdf(stats.norm.ppf(p, scale=2.0) - 2.0 * r, scale=2.0)
        np.testing.assert_allclose(GaussianNoise([1.0, 2.0]).worst_case_probability(p, r),
                                   attained, rtol=1e-12, atol=1e-15)
        # Laplace, shift along e_1: the left half-line is the NP set (1-D), attained value.
        lam = 0.7
        attained = stats.laplace.cdf(stats.laplace.ppf(p, scale=lam) - r, scale=lam)
        ours = LaplaceNoise(lam).worst_case_probability(p, r)
        assert np.all(ours <= attained + 1e-15)
        agree = (p <= 0.5) | (attained >= 0.5)
        np.testing.assert_allclose(ours[agree], attained[agree], rtol=1e-12, atol=1e-15)
        # Uniform, shift along e_1 (r <= 2 lambda): the left slab loses exactly r / (2 lambda).
        lam = 0.6
        attained = np.clip(stats.uniform.cdf(stats.uniform.ppf(p, -lam, 2 * lam) - r,
                                             -lam, 2 * lam), 0, 1)
        np.testing.assert_allclose(UniformNoise(lam).worst_case_probability(p, r), attained,
                                   atol=1e-12)


def test_worst_case_probability_masks_from_combinatorics():
    from scipy.special import comb

    d, k = 6, 2
    noise = SubspaceNoise(n_keep=k).validate(d)
    for rho in range(d + 2):
        delta = 1 - comb(d - rho, k) / comb(d, k) if rho <= d - k else 1.0
        assert noise.worst_case_probability(0.9, rho) == pytest.approx(max(0, 0.9 - delta),
                                                                       abs=1e-11)
    noise = BernoulliMaskNoise(keep_prob=0.3).validate(d)
    assert noise.worst_case_probability(0.9, 2) == pytest.approx(0.9 - (1 - 0.7**2), abs=1e-11)


def test_base_noise_without_worst_case_probability_says_what_to_do():
    class Plain(BaseNoise):
        norm = "l2"
        _parameter_constraints = {}

        def sample(self, n_draws, n_features, rng):
            return rng.standard_normal((n_draws, n_features)) * 0.1

        def radius(self, p_lower, p_upper):
            return 0.0

    X = np.random.default_rng(0).normal(size=(30, 3))
    reg = SmoothedRegressor(HiddenLinear(), Plain(), n_samples=100, random_state=0).fit(X, X[:, 0])
    assert reg.predict(X[:2]).shape == (2,)  # sampling works without it
    with pytest.raises(ValueError, match="worst_case_probability"):
        reg.certify(X[:2], radius=0.1)


# ------------------------------------------------------------------- engine
def test_collect_outputs_in_draw_order_whatever_the_batching():
    X = np.random.default_rng(1).normal(size=(7, 3))
    seeds = RowSeeds(row_keys(X), 3, (ESTIMATE,))
    noise = GaussianNoise(0.3)
    ref = collect_outputs(lambda Z: Z.sum(axis=1), X, noise, 50, seeds, batch_size=1000)
    for batch, jobs in [(7, None), (50, 2), (33, 3)]:
        out = collect_outputs(lambda Z: Z.sum(axis=1), X, noise, 50, seeds, batch_size=batch,
                              n_jobs=jobs)
        np.testing.assert_array_equal(out, ref)
    # Row i's outputs are f(x_i + eps) on row i's own stream, in order.
    from sksmooth._random import generator

    manual = (X[2] + noise.sample(50, 3, generator(seeds[2]))).sum(axis=1)
    np.testing.assert_allclose(ref[2], manual, rtol=0, atol=1e-12)
    assert collect_outputs(lambda Z: Z[:, 0], X[:0], noise, 5, seeds[:0]).shape == (0, 5)


def test_collect_outputs_rejects_multi_output():
    X = np.zeros((2, 3))
    seeds = RowSeeds(row_keys(X), 0, (ESTIMATE,))
    with pytest.raises(ValueError, match="one number per row"):
        collect_outputs(lambda Z: Z, X, GaussianNoise(), 5, seeds)


# ---------------------------------------------------------- Monte Carlo path
def test_certify_bounds_are_the_order_statistics_scipy_picks():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    n, alpha, r = 800, 0.01, 0.3
    reg = SmoothedRegressor(HiddenLinear(), GaussianNoise(0.5), n_samples=n, alpha=alpha,
                            random_state=5).fit(X, X[:, 0])
    y_pred, lower, upper = reg.certify(X[:4], radius=r)
    seeds = RowSeeds(row_keys(X[:4]), 5, (ESTIMATE,))
    S = np.sort(collect_outputs(reg.estimator_.predict, X[:4], reg.noise_, n, seeds), axis=1)
    p_low = stats.norm.cdf(stats.norm.ppf(0.5) - r / 0.5)
    p_up = stats.norm.cdf(stats.norm.ppf(0.5) + r / 0.5)
    np.testing.assert_array_equal(lower, S[:, _brute_lower(n, p_low, alpha / 2) - 1])
    np.testing.assert_array_equal(upper, S[:, _brute_upper(n, p_up, alpha / 2) - 1])
    np.testing.assert_array_equal(y_pred, S[:, n // 2 - 1])  # ceil(0.5 n)-th smallest
    np.testing.assert_array_equal(reg.predict(X[:4]), y_pred)


def test_too_large_radius_gives_infinite_bounds_and_a_warning():
    X = np.random.default_rng(3).normal(size=(20, 3))
    reg = SmoothedRegressor(HiddenLinear(), GaussianNoise(0.25), n_samples=200,
                            random_state=0).fit(X, X[:, 0])
    with pytest.warns(SmoothingWarning, match="lower = -inf and upper = \\+inf"):
        _, lower, upper = reg.certify(X[:3], radius=2.0)
    assert np.all(lower == -np.inf) and np.all(upper == np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, lower, upper = reg.certify(X[:3], radius=0.05)
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))


def test_too_few_samples_warn_at_fit():
    X = np.random.default_rng(3).normal(size=(20, 3))
    with pytest.warns(SmoothingWarning, match="even at radius 0"):
        SmoothedRegressor(HiddenLinear(), n_samples=5, random_state=0).fit(X, X[:, 0])


def test_bounds_widen_with_radius_and_contain_the_prediction():
    X = np.random.default_rng(4).normal(size=(30, 3))
    reg = SmoothedRegressor(HiddenLinear(), LaplaceNoise(0.5), n_samples=2000,
                            random_state=1).fit(X, X[:, 0])
    prev_lo, prev_up = None, None
    for r in [0.0, 0.1, 0.3, 0.6]:
        y_pred, lo, up = reg.certify(X[:5], radius=r)
        assert np.all(lo <= y_pred) and np.all(y_pred <= up)
        if prev_lo is not None:
            assert np.all(lo <= prev_lo) and np.all(up >= prev_up)
        prev_lo, prev_up = lo, up


@pytest.mark.parametrize("noise", [GaussianNoise(0.5), UniformNoise(0.8),
                                   SubspaceNoise(n_keep=1)], ids=lambda n: type(n).__name__)
def test_certified_radius_is_consistent_with_certify(noise):
    X = np.random.default_rng(5).normal(size=(30, 10))
    reg = SmoothedRegressor(HiddenLinear(w=(0.1,) * 10), noise, n_samples=3000,
                            random_state=2).fit(X, X[:, 0])
    tol = 0.5
    radius = reg.certified_radius(X[:6], tolerance=tol)
    assert np.all(radius >= 0) and np.any(radius > 0)
    if noise.norm == "l0":
        np.testing.assert_array_equal(radius, np.floor(radius))
    for i in range(6):
        y_pred, lo, up = reg.certify(X[i : i + 1], radius=float(radius[i]))
        assert lo[0] >= y_pred[0] - tol and up[0] <= y_pred[0] + tol
    assert np.all(reg.certified_radius(X[:6], tolerance=2 * tol) >= radius)


def test_certified_radius_zero_when_nothing_is_within_tolerance():
    X = np.random.default_rng(5).normal(size=(30, 3))
    reg = SmoothedRegressor(HiddenLinear(), GaussianNoise(1.0), n_samples=500,
                            random_state=2).fit(X, X[:, 0])
    np.testing.assert_array_equal(reg.certified_radius(X[:3], tolerance=1e-6), 0.0)


def test_results_do_not_depend_on_row_order_or_jobs():
    X = np.random.default_rng(6).normal(size=(12, 3))
    reg = SmoothedRegressor(DecisionTreeRegressor(max_depth=3, random_state=0),
                            GaussianNoise(0.3), n_samples=300, random_state=7).fit(X, X[:, 0])
    ref = reg.certify(X, radius=0.1)
    perm = np.random.default_rng(0).permutation(12)
    out = reg.set_params(n_jobs=2, batch_size=100).certify(X[perm], radius=0.1)
    for a, b in zip(ref, out):
        np.testing.assert_array_equal(a[perm], b)


def test_non_gaussian_other_percentile_samples(diabetes):
    X, y = diabetes
    reg = SmoothedRegressor(noise=LaplaceNoise(0.3), percentile=0.8, n_samples=500,
                            random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="percentile=0.8 has no closed form"):
        clone(reg).set_params(method="exact").fit(X, y).predict(X[:2])
    y_pred, lo, up = reg.certify(X[:5], radius=0.1)  # auto: Monte Carlo
    w, b = affine_regression(reg.estimator_)
    assert np.all(y_pred > X[:5] @ w + b)  # the 0.8 percentile is above the median


# -------------------------------------------------------------- exact path
@pytest.mark.parametrize(
    "noise,dual",
    [
        (GaussianNoise(0.5), lambda w: np.linalg.norm(w)),
        (GaussianNoise(np.linspace(0.2, 1.0, 10)), lambda w: np.linalg.norm(
            w * np.linspace(0.2, 1.0, 10))),
        (LaplaceNoise(0.4), lambda w: np.abs(w).max()),
        (UniformNoise(0.4), lambda w: np.abs(w).max()),
        (GaussianNoise(0.5, features=[0, 3]), lambda w: np.linalg.norm(w[[0, 3]])),
    ],
    ids=["l2", "mahalanobis", "laplace-l1", "uniform-l1", "features"],
)
def test_exact_linear_path_equals_closed_form(diabetes, noise, dual):
    X, y = diabetes
    for base in [LinearRegression(), make_pipeline(StandardScaler(), Ridge(alpha=3.0))]:
        reg = SmoothedRegressor(base, noise, random_state=0).fit(X, y)
        w, b = affine_regression(reg.estimator_)
        s = X[:50] @ w + b
        np.testing.assert_allclose(s, reg.estimator_.predict(X[:50]), rtol=1e-12)
        r = 0.37
        y_pred, lo, up = reg.certify(X[:50], radius=r)
        np.testing.assert_allclose(y_pred, s, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(lo, s - r * dual(w), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(up, s + r * dual(w), rtol=1e-9, atol=1e-9)
        assert np.all(lo <= s - r * dual(w)) and np.all(up >= s + r * dual(w))  # outward
        np.testing.assert_allclose(reg.predict(X[:50]), s, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(reg.certified_radius(X[:50], tolerance=10.0),
                                   10.0 / dual(w), rtol=1e-9)


def test_exact_gaussian_percentile(diabetes):
    X, y = diabetes
    reg = SmoothedRegressor(noise=GaussianNoise(0.5), percentile=0.9, random_state=0).fit(X, y)
    w, b = affine_regression(reg.estimator_)
    q = X[:20] @ w + b + 0.5 * np.linalg.norm(w) * stats.norm.ppf(0.9)
    np.testing.assert_allclose(reg.predict(X[:20]), q, rtol=1e-9)
    _, lo, up = reg.certify(X[:20], radius=0.2)
    np.testing.assert_allclose(lo, q - 0.2 * np.linalg.norm(w), rtol=1e-9)
    # Chiang et al.'s levels under the exact law give the same bounds.
    sd = 0.5 * np.linalg.norm(w)
    p_low = stats.norm.cdf(stats.norm.ppf(0.9) - 0.2 / 0.5)
    np.testing.assert_allclose(lo, X[:20] @ w + b + sd * stats.norm.ppf(p_low), rtol=1e-9)


def test_exact_agrees_with_monte_carlo(diabetes):
    X, y = diabetes
    exact = SmoothedRegressor(noise=GaussianNoise(0.5), random_state=0).fit(X, y)
    mc = clone(exact).set_params(method="monte_carlo", n_samples=4000).fit(X, y)
    _, lo_e, up_e = exact.certify(X[:20], radius=0.3)
    y_mc, lo_m, up_m = mc.certify(X[:20], radius=0.3)
    np.testing.assert_allclose(y_mc, exact.predict(X[:20]), atol=0.05 * (up_e - lo_e).max())
    half = (up_e - lo_e) / 2
    assert np.all((up_m - lo_m) / 2 >= 0.9 * half) and np.all((up_m - lo_m) / 2 <= 1.5 * half)


def test_method_exact_raises_for_forests(diabetes):
    X, y = diabetes
    reg = SmoothedRegressor(RandomForestRegressor(3, max_depth=2, random_state=0),
                            method="exact", n_samples=100)
    with pytest.raises(ValueError, match="method='exact' needs a closed form.*not a linear.*"
                                         "mixes leaves across trees"):
        reg.fit(X, y).predict(X[:2])


def test_affine_regression_refuses_non_linear():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="not a linear regressor"):
        affine_regression(DecisionTreeRegressor().fit(X, X[:, 0]))
    with pytest.raises(ValueError, match="not a linear regressor"):
        affine_regression(LogisticRegression().fit(X, X[:, 0] > 0))


# ------------------------------------------------------ sklearn integration
def test_tree_in_pipeline_and_grid_search(diabetes):
    X, y = diabetes
    from sksmooth.metrics import make_certified_regression_scorer

    pipe = make_pipeline(StandardScaler(), SmoothedRegressor(
        DecisionTreeRegressor(max_depth=3, random_state=0), n_samples=500, random_state=0))
    y_pred, lo, up = pipe.fit(X, y)[-1].certify(pipe[0].transform(X[:5]), radius=0.25)
    assert np.all(lo <= y_pred) and np.all(y_pred <= up)
    search = GridSearchCV(
        pipe, {"smoothedregressor__noise__sigma": [0.25, 0.5]}, cv=2,
        scoring={"cov": make_certified_regression_scorer(radius=0.25, tolerance=50.0),
                 "hw": make_certified_regression_scorer(radius=0.25,
                                                        metric="mean_certified_half_width")},
        refit="cov",
    ).fit(X, y)
    assert set(search.cv_results_["param_smoothedregressor__noise__sigma"]) == {0.25, 0.5}
    assert np.all(np.isfinite(search.cv_results_["mean_test_hw"]))
    assert np.all(search.cv_results_["mean_test_hw"] <= 0)
    assert 0 <= search.best_score_ <= 1


def test_sample_weight_routed_and_repeated(diabetes):
    X, y = diabetes
    w = np.ones(len(y))
    w[:100] = 5.0
    a = SmoothedRegressor(LinearRegression(), noise_augment=2, random_state=0).fit(
        X, y, sample_weight=w)
    b = SmoothedRegressor(LinearRegression(), noise_augment=2, random_state=0).fit(X, y)
    assert not np.allclose(a.predict(X[:5]), b.predict(X[:5]))
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        base = LinearRegression().set_fit_request(sample_weight=True)
        c = SmoothedRegressor(base, noise_augment=2, random_state=0).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(c.predict(X[:5]), a.predict(X[:5]))


def test_pickle_round_trip(diabetes):
    X, y = diabetes
    reg = SmoothedRegressor(DecisionTreeRegressor(max_depth=3, random_state=0), n_samples=100,
                            random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(reg))
    for a, b in zip(reg.certify(X[:4], radius=0.1), again.certify(X[:4], radius=0.1)):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- bad input
def test_bad_input_errors(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="needs a regressor.*SmoothedClassifier"):
        SmoothedRegressor(LogisticRegression()).fit(X, y > 150)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SmoothedRegressor().fit(Xn, y)
    yn = y.astype(float).copy()
    yn[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SmoothedRegressor().fit(X, yn)
    for p in [0.0, 1.0, 1.5, -0.1]:
        with pytest.raises(ValueError, match="percentile"):
            SmoothedRegressor(percentile=p).fit(X, y)
    reg = SmoothedRegressor(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        reg.predict(Xn[:2])
    for r in [-0.1, np.nan, "1", True]:
        with pytest.raises(ValueError, match="radius must be a non-negative number"):
            reg.certify(X[:2], radius=r)
    for t in [0.0, -1.0, np.inf, None]:
        with pytest.raises(ValueError, match="tolerance must be a positive finite number"):
            reg.certified_radius(X[:2], tolerance=t)
    reg.percentile = 2.0  # set after fit: every public method re-validates
    with pytest.raises(ValueError, match="percentile"):
        reg.predict(X[:2])
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SmoothedRegressor().certify(X[:2], radius=0.1)
    with pytest.raises(ValueError, match="could not convert.*encode non-numeric"):
        SmoothedRegressor().fit([["a", 1.0], ["b", 2.0]], [1.0, 2.0])


def test_caller_arrays_are_not_mutated(diabetes):
    X, y = diabetes
    X0, y0 = X.copy(), y.copy()
    reg = SmoothedRegressor(HiddenLinear(w=tuple(range(10))), n_samples=100,
                            random_state=0).fit(X, y)
    reg.certify(X[:5], radius=0.1)
    reg.certified_radius(X[:5], tolerance=5.0)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_skorch_regressor_through_the_numpy_engine(monkeypatch):
    """A NeuralNetRegressor gets float32 rows and a column y; the numpy engine's host noise.

    ``engine="auto"`` collects its outputs on the net's device
    (tests/test_regressor_torch.py); the numpy engine must work for it too.
    """
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    torch.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(200, 3))
    y = X @ np.array([1.0, -1.0, 0.5])
    net = skorch.NeuralNetRegressor(
        torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)),
        max_epochs=20, lr=0.05, verbose=0, train_split=None)
    reg = SmoothedRegressor(net, GaussianNoise(0.2), n_samples=300, random_state=0).fit(X, y)
    monkeypatch.setattr(_montecarlo, "_FORCE_ENGINE", "numpy")
    y_pred, lower, upper = reg.certify(X[:5], radius=0.1)
    assert np.all(lower <= y_pred) and np.all(y_pred <= upper)
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))
    np.testing.assert_allclose(y_pred, X[:5] @ np.array([1.0, -1.0, 0.5]), atol=1.0)


def test_certify_takes_several_radii_on_one_set_of_draws():
    # The CLI's table used to re-sample for every radius; a list of radii is bounded on
    # one set of draws, and each column equals certify at that radius alone.
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=80)
    radii = [0.0, 0.1, 0.5]
    for base in (KNeighborsRegressor(), DecisionTreeRegressor(max_depth=4, random_state=0)):
        reg = SmoothedRegressor(base, GaussianNoise(0.3), n_samples=400,
                                random_state=0).fit(X, y)
        y_pred, lower, upper = reg.certify(X[:6], radii)
        assert lower.shape == upper.shape == (6, 3)
        assert np.all(np.diff(lower, axis=1) <= 0) and np.all(np.diff(upper, axis=1) >= 0)
        for j, r in enumerate(radii):
            single = reg.certify(X[:6], r)
            np.testing.assert_array_equal(single[0], y_pred)
            np.testing.assert_array_equal(single[1], lower[:, j])
            np.testing.assert_array_equal(single[2], upper[:, j])
    with pytest.raises(ValueError, match="non-negative"):
        reg.certify(X[:2], [0.1, -1.0])
    with pytest.raises(ValueError, match="1-D list"):
        reg.certify(X[:2], [[0.1]])
