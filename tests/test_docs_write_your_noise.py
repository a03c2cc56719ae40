"""The example families of docs/user_guide/write_your_noise.rst, run from the included file."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sksmooth import SmoothedClassifier, UniformNoise

from ._models import HiddenLinearRule
from ._soundness import allowed_overclaims, certify_rule

_PATH = Path(__file__).parents[1] / "docs" / "user_guide" / "code" / "cube_linf_noise.py"
_spec = importlib.util.spec_from_file_location("cube_linf_noise", _PATH)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)


def test_the_page_includes_the_tested_file():
    page = (_PATH.parents[1] / "write_your_noise.rst").read_text()
    assert ":pyobject: CubeLinfNoise" in page and ":pyobject: MinimalCubeNoise" in page
    assert "code/cube_linf_noise.py" in page


@pytest.mark.parametrize("k", [1, 3, 10])
def test_linf_radius_is_where_the_total_variation_reaches_half_the_gap(k):
    noise = example.CubeLinfNoise(0.5).validate(k)
    p_a = np.array([0.55, 0.7, 0.9, 0.999])
    p_b = 1.0 - p_a
    r = noise.radius(p_a, p_b)
    tv = 1.0 - (1.0 - r / (2 * 0.5)) ** k  # total variation of the cube shifted by r per axis
    assert np.all(tv <= (p_a - p_b) / 2) and np.allclose(tv, (p_a - p_b) / 2, rtol=1e-9)
    assert np.all(noise.radius(p_b, p_a) == 0)  # pA <= pB: abstain


def test_the_overlap_behind_the_radius_by_monte_carlo():
    """P[eps + delta stays in the cube] = prod(1 - |delta_i| / (2 scale)): 4.5 SE, p < 7e-6."""
    noise = example.CubeLinfNoise(1.0).validate(3)
    eps = noise.sample(200_000, 3, np.random.default_rng(0))
    delta = np.array([0.3, -0.5, 0.1])
    inside = np.all(np.abs(eps + delta) <= 1.0, axis=1).mean()
    exact = np.prod(1 - np.abs(delta) / 2.0)
    assert abs(inside - exact) <= 4.5 * np.sqrt(exact * (1 - exact) / 200_000)


def test_linf_certificates_never_exceed_the_exact_margin_of_a_linear_rule():
    """g = f for a binary linear rule under symmetric noise: its exact l-inf radius is
    |w.x + b| / ||w||_1. Over-claims stay within the harness's binomial allowance."""
    rng = np.random.default_rng(1)
    w, b = np.array([1.0, -0.5, 0.8]), 0.1
    X = rng.uniform(-0.6, 0.6, (150, 3))
    rule = HiddenLinearRule(w, b)
    y_pred, radius = certify_rule(rule, example.CubeLinfNoise(0.5), X, alpha=0.05,
                                  n_samples=1000)
    margin = rule.margin(X, q=1)
    certified = y_pred != -1
    wrong = certified & ((y_pred != rule.predict(X)) | (radius > margin))
    assert wrong.sum() <= allowed_overclaims(X.shape[0], 0.05)
    assert certified.mean() > 0.5 and np.mean(radius[certified] / margin[certified]) > 0.2


def test_features_subset_uses_the_number_of_noised_features():
    noise = example.CubeLinfNoise(0.5, features=[0, 2]).validate(5)
    draws = noise.sample(4, 5, np.random.default_rng(0))
    assert np.all(draws[:, [1, 3, 4]] == 0) and np.all(np.abs(draws[:, [0, 2]]) <= 0.5)
    assert noise.radius(0.9, 0.1) == pytest.approx(1.0 - np.sqrt(0.6), rel=1e-9)


def test_minimal_form_gives_uniform_noises_certificates():
    """Same law, same stream (rng.uniform), same l1 radius: the same certificates."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    kw = dict(n_samples=300, n_select=30, method="monte_carlo", random_state=0)

    mine = SmoothedClassifier(LogisticRegression(), example.MinimalCubeNoise(0.5), **kw)
    ref = SmoothedClassifier(LogisticRegression(), UniformNoise(0.5), **kw)
    got, want = mine.fit(X, y).certify(X[:10]), ref.fit(X, y).certify(X[:10])
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], rtol=0, atol=0)
    np.testing.assert_array_equal(mine.predict_certified(X[:10], radius=0.1),
                                  ref.predict_certified(X[:10], radius=0.1))
