"""Every noise family on the torch path: drawn on the device, same law as the numpy path."""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sksmooth import (  # noqa: E402
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    SubspaceNoise,
)
from sksmooth import _montecarlo  # noqa: E402
from sksmooth.noise._registry import FAMILIES as REGISTRY  # noqa: E402

from .test_torch import CENTERS, blobs, clone_with, mlp_net  # noqa: E402

COV = np.array([[0.2, 0.1, 0.0, 0.0], [0.1, 0.2, 0.05, 0.0],
                [0.0, 0.05, 0.15, 0.0], [0.0, 0.0, 0.0, 0.1]])
#: Every registered family (all declare a device sampler), then variants.
FAMILIES = [family.make(family.levels[1], 4) for family in REGISTRY.values()] + [
    GaussianNoise([0.2, 0.5, 0.3, 0.4]),
    GaussianNoise(0.5, features=[0, 1]),
    LaplaceNoise(0.4, features=[1]),
    CorrelatedGaussianNoise(COV),
]


def _draws(noise, n=40_000, d=4):
    noise.validate(d)
    gen = torch.Generator().manual_seed(0)
    torch_draws = noise.sample_torch(n, d, gen, torch.device("cpu"), torch.float64).numpy()
    numpy_draws = noise.sample(n, d, np.random.default_rng(0))
    return torch_draws, numpy_draws


@pytest.mark.parametrize("noise", FAMILIES, ids=repr)
def test_family_has_a_device_sampler_with_the_numpy_law(noise):
    """First and second moments of 40,000 torch draws match the numpy draws' within 6 SE.

    Each comparison of two independent means of 40,000 draws fails by chance
    with probability < 2e-9; fixed seeds make the test deterministic.
    """
    assert noise.device_sampler
    t, n = _draws(noise)
    assert t.shape == n.shape == (40_000, 4)
    assert t.dtype == n.dtype
    t, n = t.astype(float), n.astype(float)
    for stat in (lambda a: a, lambda a: a * a, lambda a: a[:, :1] * a):
        ts, ns = stat(t), stat(n)
        se = np.sqrt((ts.var(axis=0) + ns.var(axis=0)) / 40_000) + 1e-12
        assert np.all(np.abs(ts.mean(axis=0) - ns.mean(axis=0)) <= 6 * se)


def test_feature_subset_leaves_other_columns_untouched_on_the_device():
    t, _ = _draws(GaussianNoise(0.5, features=[0, 1]))
    assert np.all(t[:, 2:] == 0) and np.all(t[:, :2] != 0)


def test_subspace_masks_keep_exactly_n_keep_on_the_device():
    t, _ = _draws(SubspaceNoise(3))
    assert t.dtype == bool and np.all(t.sum(axis=1) == 3)


@pytest.fixture(scope="module")
def net_clf():
    X, y = blobs()
    clf = SmoothedClassifier(mlp_net(), GaussianNoise(0.3), n_samples=3000, n_select=50,
                             random_state=0).fit(X, y)
    return clf


@pytest.mark.slow
@pytest.mark.parametrize("noise", FAMILIES, ids=repr)
def test_torch_and_numpy_paths_agree_for_every_family(net_clf, noise, monkeypatch):
    """Vote frequencies of the device path and the numpy path agree within 4.5 SE.

    6 inputs x 3 classes per family, n = 3000 draws each: each comparison fails
    by chance with probability < 7e-6 (fixed seeds: deterministic).
    """
    t = np.linspace(0.35, 0.65, 6)[:, None]
    rows = (1 - t) * CENTERS[0] + t * CENTERS[1]
    model = clone_with(net_clf, noise_=noise.validate(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a host fallback would warn: the device path is used
        p_torch = model.predict_proba(rows)
    monkeypatch.setattr(_montecarlo, "_FORCE_ENGINE", "numpy")
    p_numpy = model.predict_proba(rows)
    pooled = (p_torch + p_numpy) / 2
    se = np.sqrt(2 * pooled * (1 - pooled) / 3000)
    assert np.all(np.abs(p_torch - p_numpy) <= 4.5 * se + 1e-12)
