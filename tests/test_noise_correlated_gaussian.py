from statistics import NormalDist

import numpy as np
import pytest
from sklearn.base import clone

from sksmooth import CorrelatedGaussianNoise, SmoothedClassifier
from sksmooth.noise import lowpass_covariance

from ._models import ConstantClassifier, HiddenLinearRule
from ._soundness import allowed_overclaims, certify_rule, overclaims

COV = np.array([[1.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])


def test_params_repr_and_norm():
    noise = CorrelatedGaussianNoise(COV)
    assert noise.norm == "mahalanobis"
    assert set(noise.get_params()) == {"cov", "features"}
    assert repr(clone(noise)).startswith("CorrelatedGaussianNoise(cov=array(")


@pytest.mark.parametrize("cov, match", [
    (np.ones((2, 3)), "square"),
    (np.array([[1.0, 0.5], [0.4, 1.0]]), "symmetric"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "positive definite"),
    (np.eye(2), "applies to 3 features"),
])
def test_bad_covariance_is_rejected(cov, match):
    with pytest.raises(ValueError, match=match):
        CorrelatedGaussianNoise(cov).validate(3 if match == "applies to 3 features" else len(cov))


def test_samples_have_the_covariance():
    draws = CorrelatedGaussianNoise(COV).sample(100_000, 3, np.random.default_rng(0))
    np.testing.assert_allclose(np.cov(draws.T), COV, atol=0.02)


def test_radius_l2_ball_and_direction_against_linear_algebra():
    noise = CorrelatedGaussianNoise(COV).validate(3)
    assert noise.radius(0.9, 0.1) == pytest.approx(NormalDist().inv_cdf(0.9), rel=1e-10)
    lam = np.linalg.eigvalsh(COV)
    assert noise.l2_radius(2.0) == pytest.approx(2.0 * np.sqrt(lam.min()), rel=1e-10)
    # Along an eigenvector the ellipsoid reaches radius * sqrt(eigenvalue).
    vals, vecs = np.linalg.eigh(COV)
    for val, vec in zip(vals, vecs.T):
        assert noise.radius_along(2.0, -3 * vec) == pytest.approx(2 * np.sqrt(val), rel=1e-10)
    # Every point of the l2 ball is inside the ellipsoid: ||cov^(-1/2) delta|| <= radius.
    rng = np.random.default_rng(0)
    inv = np.linalg.inv(COV)
    for delta in rng.normal(size=(200, 3)):
        delta *= noise.l2_radius(1.0) / np.linalg.norm(delta)
        assert delta @ inv @ delta <= 1.0 + 1e-9


def test_constant_classifier_radius_closed_form():
    X = np.random.default_rng(0).normal(size=(6, 3))
    clf = SmoothedClassifier(ConstantClassifier(), CorrelatedGaussianNoise(COV), n_samples=500,
                             n_select=10, alpha=0.01, random_state=0).fit(X, [0, 1] * 3)
    _, radius = clf.certify(X)
    np.testing.assert_allclose(radius, NormalDist().inv_cdf(0.01 ** (1 / 500)), rtol=1e-9)


@pytest.mark.slow
def test_soundness_on_hidden_linear_rule():
    """Mahalanobis certificates against the exact radius |w.x + b| / ||cov^(1/2) w||_2.

    Over-claims are Binomial with p <= alpha = 0.05 over 300 independent inputs;
    the test fails beyond binom.isf(1e-4, 300, 0.05): false-alarm rate < 1e-4.
    """
    rng = np.random.default_rng(4)
    rule = HiddenLinearRule(w=rng.normal(size=3), b=-0.2)
    X = rng.normal(size=(300, 3)) * 0.6
    # ||cov^(1/2) w||_2 = sqrt(w^T cov w)
    exact = np.abs(rule.score_(X)) / np.sqrt(rule.w @ COV @ rule.w)
    y_pred, radius = certify_rule(rule, CorrelatedGaussianNoise(COV), X, alpha=0.05)
    assert overclaims(y_pred, radius, rule.predict(X), exact).sum() <= allowed_overclaims(300, 0.05)
    band = (exact > 0.3) & (exact < 2.0)
    assert band.sum() > 50
    assert np.mean(radius[band] >= 0.7 * exact[band]) > 0.9


def test_lowpass_covariance_power_symmetry_and_smoothness():
    cov = lowpass_covariance((8, 8), length_scale=1.5, sigma=0.5, white=0.1)
    assert cov.shape == (64, 64)
    np.testing.assert_allclose(np.diag(cov), 0.25)  # same per-pixel power as GaussianNoise(0.5)
    np.testing.assert_allclose(cov, cov.T)
    lam = np.linalg.eigvalsh(cov)
    assert lam.min() >= 0.1 * 0.25 - 1e-12
    # Neighbours are correlated more than distant pixels (pixel 0 is (0, 0)).
    assert cov[0, 1] > cov[0, 2] > cov[0, 63] > 0
    # Low-pass: a constant image is a strong direction, a checkerboard a weak one.
    noise = CorrelatedGaussianNoise(cov).validate(64)
    flat = np.ones(64)
    checker = np.indices((8, 8)).sum(axis=0).ravel() % 2 * 2.0 - 1
    assert noise.radius_along(1.0, flat) > 5 * noise.radius_along(1.0, checker)


@pytest.mark.parametrize("kwargs, match", [
    ({"image_shape": (0, 3)}, "image_shape"),
    ({"image_shape": (3, 3), "length_scale": 0}, "positive"),
    ({"image_shape": (3, 3), "white": 0}, "white"),
])
def test_lowpass_covariance_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lowpass_covariance(**kwargs)


def test_cov_changed_in_place_after_fit_is_followed_by_draws_and_radii():
    # Issue 11, item 10: the Cholesky factor was cached by id(cov), so an in-place change
    # of noise_.cov left the old factor in use (draws of the old covariance).
    from sksmooth import SmoothedClassifier

    X = np.random.default_rng(0).normal(size=(20, 2))
    clf = SmoothedClassifier(noise=CorrelatedGaussianNoise(np.eye(2)), n_samples=200,
                             method="monte_carlo",
                             random_state=0).fit(X, np.arange(20) % 2)
    noise = clf.noise_
    noise.sample(5, 2, np.random.default_rng(0))  # the factor of the identity is cached
    new = np.array([[4.0, 1.0], [1.0, 0.5]])
    noise.cov[...] = new  # in place: same object
    draws = noise.sample(200_000, 2, np.random.default_rng(1))
    np.testing.assert_allclose(np.cov(draws.T), new, atol=0.03)
    # radius_along and l2_radius follow the new covariance too.
    u = np.array([1.0, 0.0])
    assert noise.radius_along(1.0, u) == pytest.approx(1 / np.sqrt(u @ np.linalg.inv(new) @ u))
    assert noise.l2_radius(1.0) == pytest.approx(np.sqrt(np.linalg.eigvalsh(new)[0]), rel=1e-12)
    # A certify call after the change uses the new factor: same as a fresh fit on it.
    fresh = SmoothedClassifier(noise=CorrelatedGaussianNoise(new.copy()), n_samples=200,
                               method="monte_carlo",
                               random_state=0).fit(X, np.arange(20) % 2)
    fresh.estimator_ = clf.estimator_
    np.testing.assert_array_equal(clf.certify(X[:5])[1], fresh.certify(X[:5])[1])
