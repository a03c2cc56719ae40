import math

import numpy as np
import pytest

from sksmooth import LaplaceNoise, SmoothedClassifier

from ._models import ConstantClassifier, HiddenLinearRule
from ._soundness import allowed_overclaims, certify_rule, overclaims


def test_params_norm_and_validation():
    noise = LaplaceNoise(scale=0.5)
    assert noise.get_params() == {"scale": 0.5, "features": None}
    assert noise.norm == "l1"
    for bad in [0, -1.0]:
        with pytest.raises(ValueError, match="scale"):
            LaplaceNoise(scale=bad).validate(3)


def test_radius_binary_and_pairwise_forms_against_math():
    noise = LaplaceNoise(scale=0.7)
    for p in [0.51, 0.8, 0.999]:
        # Binary form: the pairwise maximum with pB = 1 - pA is -scale * ln(2 (1 - pA)).
        assert noise.radius(p, 1 - p) == pytest.approx(-0.7 * math.log(2 * (1 - p)), rel=1e-10)
    # Pairwise (Teng et al. 2020): both terms of the maximum can win.
    pa, pb = 0.6, 0.01  # ratio term wins: 0.35 ln 60 = 1.433 > -0.7 ln 0.41 = 0.624
    assert noise.radius(pa, pb) == pytest.approx(0.35 * math.log(60), rel=1e-12)
    pa, pb = 0.9, 0.08  # total term wins: -0.7 ln 0.18 = 1.200 > 0.35 ln 11.25 = 0.847
    assert noise.radius(pa, pb) == pytest.approx(-0.7 * math.log(0.18), rel=1e-12)
    assert noise.radius(0.5, 0.5) == 0.0
    assert noise.radius(0.4, 0.6) < 0
    np.testing.assert_allclose(noise.radius([0.8, 0.9], [0.2, 0.1]),
                               [-0.7 * math.log(0.4), -0.7 * math.log(0.2)])


def test_sample_is_laplace():
    draws = LaplaceNoise(scale=2.0).sample(40_000, 2, np.random.default_rng(0))
    np.testing.assert_allclose(np.abs(draws).mean(axis=0), 2.0, rtol=0.03)  # E|Z| = scale
    np.testing.assert_allclose(draws.mean(axis=0), 0.0, atol=0.05)


@pytest.mark.parametrize("n_samples, alpha, scale", [(1000, 0.001, 0.25), (137, 0.05, 1.3)])
def test_constant_classifier_radius_closed_form(n_samples, alpha, scale):
    X = np.random.default_rng(0).normal(size=(6, 3))
    clf = SmoothedClassifier(ConstantClassifier(), LaplaceNoise(scale), n_samples=n_samples,
                             n_select=10, alpha=alpha, random_state=0).fit(X, [0, 1] * 3)
    y_pred, radius = clf.certify(X)
    # Every vote goes to the constant class: pA_lower = alpha ** (1/n) exactly.
    expected = -scale * math.log(2 * (1 - alpha ** (1 / n_samples)))
    np.testing.assert_allclose(radius, expected, rtol=1e-9)
    assert list(y_pred) == [0] * 6


def _rule_and_inputs(seed, m=300, d=4):
    rng = np.random.default_rng(seed)
    # One dominant weight makes the l1 certificate nearly tight (exact in one dimension).
    w = np.r_[1.0, 0.03 * rng.normal(size=d - 1)]
    return HiddenLinearRule(w=w, b=0.1), rng.normal(size=(m, d)) * 0.5


@pytest.mark.slow
def test_soundness_on_hidden_linear_rule():
    """l1 certificates against the exact l1 radius |w.x + b| / ||w||_inf.

    Each certificate over-claims with probability <= alpha = 0.05, independently
    across the 300 inputs; the test fails beyond binom.isf(1e-4, 300, 0.05)
    over-claims: false-alarm rate < 1e-4 (seeded, so deterministic).
    """
    rule, X = _rule_and_inputs(1)
    margin = rule.margin(X, q=np.inf)
    y_pred, radius = certify_rule(rule, LaplaceNoise(0.5), X, alpha=0.05)
    wrong = overclaims(y_pred, radius, rule.predict(X), margin)
    assert wrong.sum() <= allowed_overclaims(len(X), 0.05)
    # Power: near-tight certificates where the margin is a few scales or less.
    band = (margin > 0.1) & (margin < 1.0)
    assert band.sum() > 50
    assert np.mean(radius[band] >= 0.6 * margin[band]) > 0.9


@pytest.mark.slow
def test_soundness_check_detects_an_inflated_radius():
    """The soundness test above can fail: a radius 20% too large over-claims far too often."""

    class Inflated(LaplaceNoise):
        def radius(self, p_lower, p_upper):
            return 1.2 * super().radius(p_lower, p_upper)

    rule, X = _rule_and_inputs(1)
    y_pred, radius = certify_rule(rule, Inflated(0.5), X, alpha=0.05)
    wrong = overclaims(y_pred, radius, rule.predict(X), rule.margin(X, q=np.inf))
    assert wrong.sum() > 2 * allowed_overclaims(len(X), 0.05)


def test_radius_at_pa_one_is_infinite_so_p_required_is_finite():
    """Regression: radius(1, 0) was NaN (inf minus 4 ulps of inf), so the default
    p_required returned inf and the sequential test never certified under Laplace noise."""
    noise = LaplaceNoise(0.5)
    assert noise.radius(1.0, 0.0) == np.inf
    p = noise.p_required(0.3)
    exact = 1.0 - 0.5 * np.exp(-0.3 / 0.5)  # solves -scale * ln(2 (1 - p)) = r
    assert exact <= p <= exact + 1e-12
