"""Sequential certification at a target radius: predict_certified(X, radius=r)."""

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sksmooth import GaussianNoise, SmoothedClassifier

from ._models import HiddenLinearRule

SIGMA, RADIUS = 0.25, 0.25


def _rule_clf(**params):
    clf = SmoothedClassifier(
        HiddenLinearRule(w=[1.0, 0.0]), noise=GaussianNoise(SIGMA), noise_augment=0,
        random_state=0, **params,
    )
    return clf.fit(np.zeros((2, 2)), [0, 1])


def _at_margin(margins, seed=0):
    # Rows whose true certified radius (the rule's geometric margin) is |margins|;
    # distinct second coordinates give every row its own noise stream.
    second = np.random.default_rng(seed).uniform(-5, 5, size=len(margins))
    return np.column_stack([margins, second])


@pytest.mark.slow
def test_sequential_certification_is_sound_at_the_boundary():
    """Inputs just inside the radius are wrongly certified at most at rate alpha.

    Each row's true radius is 0.995 r, so every certificate at r is wrong, and each
    row is wrongly certified with probability <= alpha = 0.05, independently across
    rows (own streams): the count is stochastically below Binomial(4000, 0.05).
    False-alarm rate of the check: 1e-4 (the binomial quantile, 253). Measured with
    this seed: 96 wrong; a sequential test without the alpha split (each of its 4
    stages at 0.05) wrongly certifies 367 of these rows and fails this check.
    """
    m = 4000
    clf = _rule_clf(n_samples=1000, n_select=50, alpha=0.05)
    margins = np.full(m, 0.995 * RADIUS)
    y_pred, n_draws = clf.predict_certified(_at_margin(margins), radius=RADIUS,
                                            return_n_draws=True)
    wrong = int(np.sum(y_pred == 1))
    assert wrong <= stats.binom.ppf(1 - 1e-4, m, 0.05)
    assert n_draws.max() <= 1050


def test_easy_inputs_stop_early_and_far_side_gives_up_early():
    clf = _rule_clf(n_samples=10_000, n_select=100)
    easy = _at_margin(np.r_[np.full(20, 4 * SIGMA), np.full(20, -4 * SIGMA)])
    y_pred, n_draws = clf.predict_certified(easy, radius=RADIUS, return_n_draws=True)
    np.testing.assert_array_equal(y_pred, np.r_[np.ones(20), np.zeros(20)])
    assert n_draws.mean() <= (10_000 + 100) / 5  # the target: >= 5x fewer draws
    assert n_draws.max() <= 100 + 2 * 78  # in fact the first stage or two suffice
    # On the boundary itself (pA = 1/2) no class can be certified at r: given up early.
    hopeless = _at_margin(np.zeros(20) + 1e-9, seed=1)
    y_pred, n_draws = clf.predict_certified(hopeless, radius=RADIUS, return_n_draws=True)
    assert np.all(y_pred == -1) and n_draws.max() <= 100 + 2 * 78


def test_agrees_with_certify_up_to_sampling_error():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=4, random_state=0),
                             noise=GaussianNoise(SIGMA), n_samples=2000, random_state=0)
    clf.fit(X[200:], y[200:])
    y_cert, radius = clf.certify(X[:200])
    y_seq, n_draws = clf.predict_certified(X[:200], radius=RADIUS, return_n_draws=True)
    fixed = (y_cert != -1) & (radius >= RADIUS)
    seq = y_seq != -1
    # Same class wherever both certify (the same selection draws pick it).
    np.testing.assert_array_equal(y_seq[seq & fixed], y_cert[seq & fixed])
    # They disagree only on inputs near the threshold, a few percent at most.
    assert np.mean(seq != fixed) <= 0.05
    assert n_draws.mean() < 2100 / 3


def test_invariant_to_batching_order_and_n_jobs():
    X = _at_margin(np.linspace(-1, 1, 30), seed=2)
    clf = _rule_clf(n_samples=1000, n_select=20)
    ref = clf.predict_certified(X, radius=0.1, return_n_draws=True)
    for params in ({"batch_size": 37}, {"n_jobs": 2}):
        got = clf.set_params(**params).predict_certified(X, radius=0.1, return_n_draws=True)
        for a, b in zip(got, ref):
            np.testing.assert_array_equal(a, b)
    order = np.random.default_rng(0).permutation(30)
    got = clf.set_params(batch_size=None, n_jobs=None).predict_certified(
        X[order], radius=0.1, return_n_draws=True
    )
    for a, b in zip(got, ref):
        np.testing.assert_array_equal(a, b[order])


def test_radius_none_keeps_predict_and_reports_n_samples():
    X = _at_margin(np.linspace(-1, 1, 10))
    clf = _rule_clf(n_samples=300, n_select=20)
    y_pred = clf.predict_certified(X)
    y_pred2, n_draws = clf.predict_certified(X, return_n_draws=True)
    np.testing.assert_array_equal(y_pred, y_pred2)
    np.testing.assert_array_equal(n_draws, 300)
    # radius=0 certifies the class wherever pA > 1/2 is shown: far rows, both sides.
    y0 = clf.predict_certified(_at_margin([-1.0, 1.0]), radius=0.0)
    np.testing.assert_array_equal(y0, [0, 1])


@pytest.mark.parametrize("radius", [-0.1, np.nan, "0.5", True])
def test_bad_radius_is_rejected(radius):
    clf = _rule_clf(n_samples=100, n_select=10)
    with pytest.raises(ValueError, match="radius must be a non-negative number"):
        clf.predict_certified(np.zeros((1, 2)), radius=radius)


def test_scores_instead_of_votes_are_refused_clearly(monkeypatch):
    clf = _rule_clf(n_samples=200, n_select=10)
    monkeypatch.setattr(clf, "_vote", lambda rows: np.full((rows.shape[0], 2), 0.5))
    with pytest.raises(NotImplementedError, match="vote counts"):
        clf.predict_certified(np.zeros((2, 2)), radius=0.1)


def test_soft_votes_at_a_radius_are_certify_with_radius_at_least_r():
    # Before the fix: NotImplementedError (the sequential test counts votes only).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=3), GaussianNoise(0.5),
                             vote="soft", n_samples=300, n_select=20, random_state=0).fit(
        X, (X[:, 0] > 0).astype(int))
    y_cert, radius = clf.certify(X)
    for r in (0.0, 0.2):
        y_pred, n_draws = clf.predict_certified(X, radius=r, return_n_draws=True)
        expected = np.where(radius >= r, y_cert, clf.abstain_label_)
        expected[y_cert == clf.abstain_label_] = clf.abstain_label_
        np.testing.assert_array_equal(y_pred, expected)
        assert np.all(n_draws == 320)
