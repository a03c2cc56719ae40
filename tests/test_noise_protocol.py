"""The declared noise protocol (sksmooth/noise/_base.py, _additive.py).

A family written against BaseNoise with only its parameters, ``norm``,
``sample`` and ``radius`` works everywhere; capabilities are declared class
attributes; a subclass's sampling hook is honoured by every path.
"""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from sksmooth import GaussianNoise, SmoothedClassifier, SmoothingWarning
from sksmooth._engine import count_votes
from sksmooth._random import ESTIMATE, RowSeeds, row_keys
from sksmooth.noise import AdditiveNoise, BaseNoise, LaplaceNoise, SubspaceNoise

from ._models import CubeNoise


def _blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(-1.5, 0.4, (n, 2)), rng.normal(1.5, 0.4, (n, 2))])
    return X, np.repeat([0, 1], n)


def test_base_noise_requires_sample_and_radius():
    class NoRadius(BaseNoise):
        norm = "l2"

        def sample(self, n_draws, n_features, rng):
            return np.zeros((n_draws, n_features))

    with pytest.raises(TypeError, match="radius"):
        NoRadius()


def test_capabilities_are_declared_class_attributes():
    assert CubeNoise.additive and not CubeNoise.soft_vote and not CubeNoise.device_sampler
    assert not CubeNoise.independent_coordinates
    assert CubeNoise._parameter_constraints == {}
    assert GaussianNoise.soft_vote and GaussianNoise.device_sampler and GaussianNoise.additive
    assert not LaplaceNoise.soft_vote and LaplaceNoise.device_sampler
    assert not SubspaceNoise.additive and SubspaceNoise.device_sampler


def test_minimal_family_fits_certifies_and_tests_sequentially():
    X, y = _blobs()
    clf = SmoothedClassifier(LogisticRegression(), CubeNoise(0.5), n_samples=400, n_select=50,
                             method="monte_carlo", random_state=0).fit(X, y)
    y_pred, radius = clf.certify(X[::10])
    assert np.all(y_pred == y[::10]) and np.all(radius > 0.3)  # far from the boundary
    assert np.all(radius <= 0.5)  # scale * (pA - pB) <= scale
    at, n_draws = clf.predict_certified(X[::10], radius=0.2, return_n_draws=True)
    # p_required is derived by the base class (bisection of radius): 0.5 + 0.2 / (2 * 0.5)
    assert CubeNoise(0.5).p_required(0.2) == pytest.approx(0.7, abs=1e-12)
    np.testing.assert_array_equal(at, y[::10])
    assert np.all(n_draws <= clf.n_select + clf.n_samples)
    # A radius no pA <= 1 reaches (scale * 1 < 0.6) is never certified.
    assert np.all(clf.predict_certified(X[:4], radius=0.6) == clf.abstain_label_)


def test_minimal_family_in_a_grid_search_over_its_parameter():
    X, y = _blobs()
    search = GridSearchCV(
        SmoothedClassifier(LogisticRegression(), CubeNoise(), n_samples=100, n_select=20,
                           method="monte_carlo", random_state=0),
        {"noise__scale": [0.1, 8.0]}, cv=2,
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    # Cube noise of half-width 8 drowns blobs 3 apart: accuracy drops well below 0.1's.
    assert scores[0] > 0.95 and scores[1] < scores[0] - 0.1
    assert search.best_params_ == {"noise__scale": 0.1}


class ZeroGaussian(GaussianNoise):
    """A GaussianNoise variant that overrides the one host hook: no noise at all."""

    def _sample(self, n_draws, n_noised, rng):
        return np.zeros((n_draws, n_noised))


class _Spy(LogisticRegression):
    """Records every batch of rows given to fit and predict."""

    def fit(self, X, y, **kw):
        type(self).seen_fit = np.array(X)
        return super().fit(X, y, **kw)

    def predict(self, X):
        type(self).seen.append(np.array(X))
        return super().predict(X)


def test_subclass_hook_is_honoured_by_fit_the_engine_and_the_sequential_test():
    """Regression: GaussianNoise.sample(out=) once bypassed _sample (trained on one noise,
    certified with another)."""
    assert not ZeroGaussian.device_sampler  # host hook changed, device hook not: no device
    X, y = _blobs(20)
    _Spy.seen = []
    clf = SmoothedClassifier(_Spy(), ZeroGaussian(sigma=5.0), n_samples=60, n_select=10,
                             method="monte_carlo", random_state=0).fit(X, y)
    np.testing.assert_array_equal(_Spy.seen_fit, X)  # fit-time augmentation saw no noise
    _Spy.seen = []
    clf.certify(X[:3])
    clf.predict_certified(X[:3], radius=0.1)
    rows = np.vstack(_Spy.seen)
    assert rows.shape[0] >= 3 * (60 + 10)
    assert {tuple(r) for r in rows} <= {tuple(r) for r in X[:3]}  # only clean rows
    row = X[:1]
    counts = count_votes(lambda Z: np.all(Z == row, axis=1).astype(int), row, ZeroGaussian(5.0),
                         50, RowSeeds(row_keys(row), 0, (ESTIMATE,)), 2)
    np.testing.assert_array_equal(counts, [[0, 50]])  # the numpy engine: every row is clean


def test_subclass_hook_is_honoured_on_the_torch_path():
    pytest.importorskip("skorch")
    import torch
    from skorch import NeuralNetClassifier
    from torch import nn

    X, y = _blobs(20)
    net = NeuralNetClassifier(nn.Linear(2, 2), criterion=nn.CrossEntropyLoss, max_epochs=3,
                              train_split=None, verbose=0, lr=0.1, optimizer=torch.optim.SGD)
    clf = SmoothedClassifier(net, ZeroGaussian(sigma=5.0), n_samples=200, n_select=10,
                             random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmoothingWarning)
        clf.fit(X, y)
    with pytest.warns(SmoothingWarning, match="ZeroGaussian has no torch sampler"):
        proba = clf.predict_proba(X)
    # No noise: every vote is the clean prediction (sigma=5 draws would split them).
    onehot = np.eye(2)[np.searchsorted(clf.classes_, clf.predict_base(X))]
    np.testing.assert_array_equal(proba, onehot)


def test_additive_template_scatters_the_hook_on_chosen_features():
    class Ones(AdditiveNoise):
        norm = "l2"

        def __init__(self, *, features=None):
            self.features = features

        def _sample(self, n_draws, n_noised, rng):
            return np.ones((n_draws, n_noised))

        def radius(self, p_lower, p_upper):
            return np.asarray(p_lower) - np.asarray(p_upper)

    draws = Ones(features=[0, 2]).validate(3).sample(2, 3, np.random.default_rng(0))
    np.testing.assert_array_equal(draws, [[1, 0, 1], [1, 0, 1]])
    assert not Ones.device_sampler
