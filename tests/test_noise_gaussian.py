from statistics import NormalDist

import numpy as np
import pytest
from sklearn.base import clone

from sksmooth import GaussianNoise


def test_params_clone_and_repr():
    noise = GaussianNoise(sigma=0.5)
    assert noise.get_params() == {"sigma": 0.5}
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


@pytest.mark.parametrize("sigma", [0.12, 0.5, 2.0])
@pytest.mark.parametrize("radius", [0.0, 0.1, 0.5, 1.5])
def test_p_required_inverts_the_binary_radius(sigma, radius):
    noise = GaussianNoise(sigma=sigma)
    p = noise.p_required(radius)
    assert p == pytest.approx(NormalDist().cdf(radius / sigma), rel=1e-12)
    if p < 1.0:  # Phi(12.5) rounds to 1: no lower bound exceeds it, nothing is certified
        assert float(noise.radius(p, 1 - p)) == pytest.approx(radius, abs=1e-9)
