import numpy as np
import pytest

from sksmooth import SmoothedClassifier, UniformNoise

from ._models import ConstantClassifier, HiddenLinearRule
from ._soundness import allowed_overclaims, certify_rule, overclaims


def test_params_norm_and_validation():
    noise = UniformNoise(scale=0.5)
    assert noise.get_params() == {"scale": 0.5, "features": None}
    assert noise.norm == "l1"
    with pytest.raises(ValueError, match="scale"):
        UniformNoise(scale=0).validate(3)


def test_radius_binary_and_pairwise_forms():
    noise = UniformNoise(scale=0.8)
    for p in [0.51, 0.75, 0.999]:
        assert noise.radius(p, 1 - p) == pytest.approx(2 * 0.8 * (p - 0.5), rel=1e-12)
    assert noise.radius(0.7, 0.1) == pytest.approx(0.8 * 0.6, rel=1e-12)
    assert noise.radius(0.5, 0.5) == 0.0
    assert noise.radius(0.4, 0.6) < 0


def test_sample_is_uniform_on_the_cube():
    draws = UniformNoise(scale=1.5).sample(20_000, 3, np.random.default_rng(0))
    assert draws.min() >= -1.5 and draws.max() <= 1.5
    np.testing.assert_allclose(draws.std(axis=0), 1.5 / np.sqrt(3), rtol=0.03)


def test_total_variation_bound_behind_the_radius():
    """The formula rests on TV(U(cube), U(cube + delta)) <= ||delta||_1 / (2 scale): check it."""
    scale = 0.5
    rng = np.random.default_rng(0)
    for _ in range(20):
        delta = rng.normal(size=4) * 0.2
        tv = 1 - np.prod(np.clip(1 - np.abs(delta) / (2 * scale), 0, None))  # exact TV
        assert tv <= np.abs(delta).sum() / (2 * scale) + 1e-15


@pytest.mark.parametrize("n_samples, alpha, scale", [(1000, 0.001, 0.25), (137, 0.05, 1.3)])
def test_constant_classifier_radius_closed_form(n_samples, alpha, scale):
    X = np.random.default_rng(0).normal(size=(6, 3))
    clf = SmoothedClassifier(ConstantClassifier(), UniformNoise(scale), n_samples=n_samples,
                             n_select=10, alpha=alpha, random_state=0).fit(X, [0, 1] * 3)
    _, radius = clf.certify(X)
    expected = 2 * scale * (alpha ** (1 / n_samples) - 0.5)  # pA_lower = alpha ** (1/n)
    np.testing.assert_allclose(radius, expected, rtol=1e-9)


@pytest.mark.slow
def test_soundness_on_hidden_linear_rule():
    """l1 certificates against the exact l1 radius |w.x + b| / ||w||_inf.

    Over-claims (wrong label or radius above the exact radius) are Binomial with
    p <= alpha = 0.05 over 300 independent inputs; the test fails beyond
    binom.isf(1e-4, 300, 0.05): false-alarm rate < 1e-4 (seeded).
    """
    rng = np.random.default_rng(2)
    w = np.r_[1.0, 0.03 * rng.normal(size=3)]  # nearly one-dimensional: nearly tight
    rule, X = HiddenLinearRule(w=w, b=-0.1), rng.normal(size=(300, 4)) * 0.4
    margin = rule.margin(X, q=np.inf)
    y_pred, radius = certify_rule(rule, UniformNoise(1.0), X, alpha=0.05)
    wrong = overclaims(y_pred, radius, rule.predict(X), margin)
    assert wrong.sum() <= allowed_overclaims(len(X), 0.05)
    band = (margin > 0.1) & (margin < 0.8)
    assert band.sum() > 50
    assert np.mean(radius[band] >= 0.6 * margin[band]) > 0.9
