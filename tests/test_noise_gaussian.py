from statistics import NormalDist

import numpy as np
import pytest
from sklearn.base import clone

from sksmooth import GaussianNoise


def test_params_clone_and_repr():
    noise = GaussianNoise(sigma=0.5)
    assert noise.get_params() == {"sigma": 0.5, "features": None}
    assert repr(clone(noise)) == "GaussianNoise(sigma=0.5)"
    assert noise.norm == "l2"


@pytest.mark.parametrize("sigma", [0, -1.0])
def test_sigma_must_be_positive(sigma):
    with pytest.raises(ValueError, match="sigma"):
        GaussianNoise(sigma=sigma).validate(3)


def test_radius_binary_and_pairwise_forms():
    noise = GaussianNoise(sigma=0.4)
    for p in [0.51, 0.7, 0.99, 0.999999]:
        assert noise.radius(p, 1 - p) == pytest.approx(0.4 * NormalDist().inv_cdf(p), rel=1e-10)
    expected = 0.2 * (NormalDist().inv_cdf(0.7) - NormalDist().inv_cdf(0.2))
    assert noise.radius(0.7, 0.2) == pytest.approx(expected, rel=1e-12)
    assert noise.radius(0.5, 0.5) == 0.0
    assert noise.radius(0.4, 0.6) < 0


def test_sample_shape_moments_and_concatenation():
    noise = GaussianNoise(sigma=2.0)
    draws = noise.sample(20_000, 3, np.random.default_rng(0))
    assert draws.shape == (20_000, 3)
    np.testing.assert_allclose(draws.std(axis=0), 2.0, rtol=0.03)
    # Splitting one generator's draws across calls gives the same draws (the engine relies on it).
    rng = np.random.default_rng(1)
    parts = np.vstack([noise.sample(7, 3, rng), noise.sample(5, 3, rng)])
    np.testing.assert_array_equal(parts, noise.sample(12, 3, np.random.default_rng(1)))


def test_perturb_adds_and_does_not_mutate():
    X = np.ones((1, 3))
    draws = np.full((4, 3), 0.5)
    out = GaussianNoise().perturb(X, draws)
    np.testing.assert_array_equal(out, np.full((4, 3), 1.5))
    np.testing.assert_array_equal(X, np.ones((1, 3)))


# ------------------------------------------------------- per-feature sigma
def test_per_feature_sigma_norm_radius_and_l2_ball():
    noise = GaussianNoise(sigma=[0.5, 2.0, 1.0]).validate(3)
    assert noise.norm == "mahalanobis"
    for p in [0.6, 0.99]:
        # Mahalanobis radius Phi^-1(pA): no sigma factor, the norm carries the scales.
        assert noise.radius(p, 1 - p) == pytest.approx(NormalDist().inv_cdf(p), rel=1e-10)
    np.testing.assert_allclose(noise.l2_radius([1.0, 2.0]), [0.5, 1.0])
    assert GaussianNoise(0.3).l2_radius(1.5) == 1.5


def test_per_feature_sigma_samples_each_scale():
    draws = GaussianNoise(sigma=[0.5, 2.0]).sample(20_000, 2, np.random.default_rng(0))
    np.testing.assert_allclose(draws.std(axis=0), [0.5, 2.0], rtol=0.03)


@pytest.mark.parametrize("sigma", [[0.5, 1.0], [0.5, -1.0, 1.0], [[0.5, 1.0, 1.0]]])
def test_per_feature_sigma_is_validated(sigma):
    with pytest.raises(ValueError, match="sigma"):
        GaussianNoise(sigma=sigma).validate(3)


@pytest.mark.slow
def test_anisotropic_soundness_on_hidden_linear_rule():
    """Mahalanobis certificates against the exact radius |w.x + b| / ||Sigma^(1/2) w||_2.

    Under N(0, Sigma) the certificate with the exact pA equals that radius, so
    over-claims are Binomial with p <= alpha = 0.05 over 300 inputs; the test
    fails beyond binom.isf(1e-4, 300, 0.05): false-alarm rate < 1e-4 (seeded).
    """
    from ._models import HiddenLinearRule
    from ._soundness import allowed_overclaims, certify_rule, overclaims

    rng = np.random.default_rng(3)
    sigma = np.array([0.2, 1.0, 0.5, 2.0])
    rule = HiddenLinearRule(w=rng.normal(size=4), b=0.2)
    X = rng.normal(size=(300, 4)) * 0.5
    exact = np.abs(rule.score_(X)) / np.linalg.norm(sigma * rule.w)
    y_pred, radius = certify_rule(rule, GaussianNoise(sigma=sigma), X, alpha=0.05)
    wrong = overclaims(y_pred, radius, rule.predict(X), exact)
    assert wrong.sum() <= allowed_overclaims(len(X), 0.05)
    band = (exact > 0.3) & (exact < 2.0)
    assert band.sum() > 50
    assert np.mean(radius[band] >= 0.7 * exact[band]) > 0.9
    # The implied l2 ball is sound against the exact l2 radius too.
    l2 = GaussianNoise(sigma=sigma).l2_radius(radius)
    assert (overclaims(y_pred, l2, rule.predict(X), rule.margin(X)).sum()
            <= allowed_overclaims(len(X), 0.05))


@pytest.mark.parametrize("sigma", [0.12, 0.5, 2.0])
@pytest.mark.parametrize("radius", [0.0, 0.1, 0.5, 1.5])
def test_p_required_inverts_the_binary_radius(sigma, radius):
    noise = GaussianNoise(sigma=sigma)
    p = noise.p_required(radius)
    assert p == pytest.approx(NormalDist().cdf(radius / sigma), rel=1e-12)
    if p < 1.0:  # Phi(12.5) rounds to 1: no lower bound exceeds it, nothing is certified
        assert float(noise.radius(p, 1 - p)) == pytest.approx(radius, abs=1e-9)
