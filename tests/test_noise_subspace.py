import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier

from sksmooth import BernoulliMaskNoise, SmoothedClassifier, SubspaceNoise

from ._models import ConstantClassifier
from ._soundness import allowed_overclaims, overclaims


def brute_subspace_radius(p_lower, p_upper, d, k):
    """Largest rho with pA - Delta > pB + Delta, Delta = 1 - C(d-rho, k)/C(d, k), exactly."""
    pa, pb = Fraction(p_lower), Fraction(p_upper)
    best = -1
    for rho in range(d + 1):
        delta = 1 - Fraction(math.comb(d - rho, k), math.comb(d, k))
        if pa - delta > pb + delta:
            best = rho
    return max(best, 0)


def brute_bernoulli_radius(p_lower, p_upper, d, p):
    pa, pb, keep = Fraction(p_lower), Fraction(p_upper), Fraction(p)
    best = -1
    for rho in range(d + 1):
        delta = 1 - (1 - keep) ** rho
        if pa - delta > pb + delta:
            best = rho
    return max(best, 0)


# Values off the ties pA - 1/2 = Delta(rho) of the (d, k) below (at a tie the exact rule is
# decided by the last bit of 1 - p; the radius then errs low, see the test after next).
P_GRID = [0.5, 0.51, 0.61, 0.77, 0.91, 0.96, 0.991, 0.999, 0.99999, 1.0]


@pytest.mark.parametrize("d, k", [(5, 1), (10, 3), (30, 5), (100, 10), (64, 64), (784, 50)])
def test_subspace_radius_against_brute_force(d, k):
    noise = SubspaceNoise(n_keep=k).validate(d)
    for p in P_GRID:
        assert noise.radius(p, 1 - p) == brute_subspace_radius(p, 1 - p, d, k)
    for pa, pb in [(0.7, 0.11), (0.6, 0.39), (0.95, 0.0), (0.4, 0.3)]:
        assert noise.radius(pa, pb) == brute_subspace_radius(pa, pb, d, k)
    np.testing.assert_array_equal(
        noise.radius(np.array(P_GRID), 1 - np.array(P_GRID)),
        [brute_subspace_radius(p, 1 - p, d, k) for p in P_GRID],
    )


@pytest.mark.parametrize("d, p", [(5, 0.5), (20, 0.1), (100, 0.02), (30, 0.9)])
def test_bernoulli_radius_against_brute_force(d, p):
    noise = BernoulliMaskNoise(keep_prob=p).validate(d)
    for q in P_GRID:
        assert noise.radius(q, 1 - q) == brute_bernoulli_radius(q, 1 - q, d, p)
    assert noise.radius(0.8, 0.05) == brute_bernoulli_radius(0.8, 0.05, d, p)


def test_radius_is_never_above_the_exact_one_at_ties():
    """At pA exactly 1/2 + Delta(rho) the certificate is rho - 1 (strict inequality)."""
    d, k = 10, 2
    noise = SubspaceNoise(k).validate(d)
    exact = 0.5 + (1 - math.comb(d - 3, k) / math.comb(d, k))  # boundary of rho = 3
    assert noise.radius(exact, 1 - exact) <= 2


def test_radius_needs_validate():
    with pytest.raises(ValueError, match="validate"):
        SubspaceNoise(2).radius(0.9, 0.1)


def test_n_keep_must_fit_and_params_are_checked():
    with pytest.raises(ValueError, match="n_keep=5 exceeds"):
        SubspaceNoise(5).validate(3)
    with pytest.raises(ValueError, match="n_keep"):
        SubspaceNoise(0).validate(3)
    with pytest.raises(ValueError, match="keep_prob"):
        BernoulliMaskNoise(1.0).validate(3)


def test_subspace_masks_keep_exactly_k_uniformly():
    masks = SubspaceNoise(3).validate(10).sample(20_000, 10, np.random.default_rng(0))
    assert masks.dtype == bool
    np.testing.assert_array_equal(masks.sum(axis=1), 3)
    np.testing.assert_allclose(masks.mean(axis=0), 0.3, atol=0.015)
    # Pairs are kept together at the rate of uniform k-subsets: k(k-1) / (d(d-1)).
    assert np.mean(masks[:, 0] & masks[:, 1]) == pytest.approx(6 / 90, abs=0.01)


def test_bernoulli_masks_rate():
    masks = BernoulliMaskNoise(0.2).validate(10).sample(20_000, 10, np.random.default_rng(0))
    np.testing.assert_allclose(masks.mean(axis=0), 0.2, atol=0.015)


def test_perturb_fills_ablated_features():
    X = np.array([[1.0, 2.0, 3.0]])
    keep = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(SubspaceNoise(1).perturb(X, keep), [[1, 0, 3], [0, 0, 3]])
    out = SubspaceNoise(1, fill_value=np.nan).perturb(X, keep)
    np.testing.assert_array_equal(np.isnan(out), ~keep)
    np.testing.assert_array_equal(X, [[1.0, 2.0, 3.0]])


@pytest.mark.parametrize("n_samples, alpha", [(1000, 0.001), (200, 0.05)])
def test_constant_classifier_radius_closed_form(n_samples, alpha):
    d, k = 20, 2
    X = np.random.default_rng(0).normal(size=(6, d))
    clf = SmoothedClassifier(ConstantClassifier(), SubspaceNoise(k), n_samples=n_samples,
                             n_select=10, alpha=alpha, random_state=0).fit(X, [0, 1] * 3)
    _, radius = clf.certify(X)
    p = alpha ** (1 / n_samples)  # pA_lower exactly
    np.testing.assert_array_equal(radius, brute_subspace_radius(p, 1 - p, d, k))
    clf.set_params(noise=BernoulliMaskNoise(0.05)).fit(X, [0, 1] * 3)
    _, radius = clf.certify(X)
    np.testing.assert_array_equal(radius, brute_bernoulli_radius(p, 1 - p, d, 0.05))


class MajorityOfKept(ClassifierMixin, BaseEstimator):
    """``1`` when more kept features of ``S`` are positive than not; reads ``S`` only.

    Ablated features are NaN and count for neither side; no kept feature of S gives 0.
    """

    def __init__(self, S=(0, 1, 2)):
        self.S = S

    def fit(self, X, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        Z = np.asarray(X)[:, list(self.S)]
        return ((Z > 0).sum(axis=1) > (Z <= 0).sum(axis=1)).astype(int)


def _exact_prob_one(a, s, d, family, k=None, p=None):
    """Exact P[f = 1] when ``a`` of the ``s`` features of S are positive.

    i kept positives and j kept non-positives of S: multivariate hypergeometric for
    k-of-d subsets, independent binomials for Bernoulli masks; f = 1 iff i > j.
    """
    total = 0.0
    for i in range(a + 1):
        for j in range(s - a + 1):
            if i <= j:
                continue
            if family == "subspace":
                if i + j > k:
                    continue
                w = math.comb(a, i) * math.comb(s - a, j) * math.comb(d - s, k - i - j)
                total += w / math.comb(d, k)
            else:
                total += stats.binom.pmf(i, a, p) * stats.binom.pmf(j, s - a, p)
    return total


def _exact_flip_distance(a, s, prob_one):
    """Fewest features an attacker must change to flip g, by brute force over a' in [0, s].

    g depends on x only through a (the positives in S): changing rho features moves
    a to any a' with |a' - a| <= rho, and features outside S cannot change g.
    """
    g = prob_one[a] > 0.5
    flips = [abs(b - a) for b in range(s + 1) if (prob_one[b] > 0.5) != g]
    return min(flips) if flips else np.inf


@pytest.mark.slow
@pytest.mark.parametrize("family", ["subspace", "bernoulli"])
def test_l0_soundness_on_a_model_reading_a_known_feature_set(family):
    """l0 certificates against the exact l0 robustness of g for a model reading only S.

    The base model reads the 15 features of S (of d = 20), so changing the other
    features never changes its answer (checked below). g depends on x only through
    the number a of positive features of S; its exact class probability follows by
    enumeration, and so does the fewest feature changes that flip g. A certificate
    over-claims when its radius reaches that number; over-claims are Binomial with
    p <= alpha = 0.05 over 300 independent inputs, and the test fails beyond
    binom.isf(1e-4, 300, 0.05): false-alarm rate < 1e-4 (seeded).
    """
    d, s, m = 20, 15, 300
    rule = MajorityOfKept(S=tuple(range(s)))
    rng = np.random.default_rng(6)
    X = rng.normal(size=(m, d)) + rng.choice([-0.8, 0.8], size=(m, 1))
    X_out = X.copy()
    X_out[:, s:] = rng.normal(size=(m, d - s)) * 10
    np.testing.assert_array_equal(rule.predict(X), rule.predict(X_out))

    if family == "subspace":
        noise = SubspaceNoise(3, fill_value=np.nan)
        prob_one = [_exact_prob_one(a, s, d, family, k=3) for a in range(s + 1)]
    else:
        noise = BernoulliMaskNoise(0.1, fill_value=np.nan)
        prob_one = [_exact_prob_one(a, s, d, family, p=0.1) for a in range(s + 1)]
    a = (X[:, :s] > 0).sum(axis=1)
    g = np.array([prob_one[v] > 0.5 for v in a]).astype(int)
    flip = np.array([_exact_flip_distance(v, s, prob_one) for v in a])
    clf = SmoothedClassifier(rule, noise, n_samples=2000, n_select=50, alpha=0.05,
                             noise_augment=0, random_state=0).fit(X, np.arange(m) % 2)
    y_pred, radius = clf.certify(X)
    # The certificate says no change of <= radius features flips g: radius < flip.
    wrong = overclaims(y_pred, radius, g, flip - 0.5)
    assert wrong.sum() <= allowed_overclaims(m, 0.05)
    assert np.mean(radius >= 1) > 0.3  # power: many inputs certified against >= 1 change


@pytest.mark.slow
def test_nan_fill_works_with_hist_gradient_boosting():
    X, y = load_breast_cancer(return_X_y=True)
    clf = SmoothedClassifier(HistGradientBoostingClassifier(max_iter=20, random_state=0),
                             SubspaceNoise(n_keep=5, fill_value=np.nan), noise_augment=3,
                             n_samples=200, alpha=0.05, random_state=0)
    clf.fit(X[::2], y[::2])
    y_pred, radius = clf.certify(X[1::20])
    assert clf.noise_.norm == "l0"
    assert np.all(radius == np.round(radius)) and np.all(radius >= 0)
    certified = y_pred != -1
    assert certified.mean() > 0.5
    assert np.mean(y_pred[certified] == y[1::20][certified]) > 0.85
    assert radius.max() >= 2


def _near_tie(margin, deltas):
    return any(abs(float(margin) - float(delta)) < 1e-9 for delta in deltas)


def test_subspace_radius_property_against_brute_force():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=150, deadline=None, derandomize=True)
    @hypothesis.given(d=st.integers(1, 60), data=st.data(),
                      pa=st.floats(0.0, 1.0), pb=st.floats(0.0, 1.0))
    def check(d, data, pa, pb):
        k = data.draw(st.integers(1, d))
        deltas = [1 - Fraction(math.comb(d - r, k), math.comb(d, k)) for r in range(d + 1)]
        hypothesis.assume(not _near_tie((Fraction(pa) - Fraction(pb)) / 2, deltas))
        assert SubspaceNoise(k).validate(d).radius(pa, pb) == brute_subspace_radius(pa, pb, d, k)

    check()


def test_bernoulli_radius_property_against_brute_force():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=150, deadline=None, derandomize=True)
    @hypothesis.given(d=st.integers(1, 60), keep=st.floats(0.01, 0.99),
                      pa=st.floats(0.0, 1.0), pb=st.floats(0.0, 1.0))
    def check(d, keep, pa, pb):
        deltas = [1 - (1 - Fraction(keep)) ** r for r in range(d + 1)]
        hypothesis.assume(not _near_tie((Fraction(pa) - Fraction(pb)) / 2, deltas))
        radius = BernoulliMaskNoise(keep).validate(d).radius(pa, pb)
        assert radius == brute_bernoulli_radius(pa, pb, d, keep)

    check()


def test_clear_vote_with_l0_radius_zero_is_a_class_not_an_abstention():
    # Keep 5 of 10 features: changing one feature moves Delta(1) = 1/2 of the mass, more
    # than (pA - pB) / 2 can absorb; the vote is still unanimous, so g(x) is certified at x.
    X = np.zeros((4, 10))
    clf = SmoothedClassifier(ConstantClassifier(), SubspaceNoise(n_keep=5), n_samples=100,
                             alpha=0.001, random_state=0).fit(X, [0, 1, 0, 1])
    y_pred, radius = clf.certify(X)
    np.testing.assert_array_equal(radius, 0.0)
    np.testing.assert_array_equal(y_pred, 0)
