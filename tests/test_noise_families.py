"""What every noise family shares: parameters, draws, perturbation, sklearn workflows."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import (
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    SubspaceNoise,
    UniformNoise,
)
from sksmooth.noise._registry import FAMILIES as REGISTRY

D = 4
COV = np.array([[1.0, 0.5, 0, 0], [0.5, 1.0, 0, 0], [0, 0, 2.0, 0], [0, 0, 0, 0.5]]) * 0.1

#: Every registered family at its first level, then variants (per-feature sigma, subsets).
FAMILIES = [
    (family.make(family.levels[0], D), family.norm, family.level,
     [family.make(level, D).get_params()[family.level] for level in family.levels])
    for family in REGISTRY.values()
] + [
    (GaussianNoise([0.1, 0.2, 0.3, 0.4]), "mahalanobis", "sigma",
     [[0.1] * D, [0.5] * D]),
    (CorrelatedGaussianNoise(COV), "mahalanobis", "cov", [COV, 4 * COV]),
    (LaplaceNoise(0.3, features=[0, 2]), "l1", "scale", [0.1, 0.5]),
    (CorrelatedGaussianNoise(COV[:2, :2], features=[True, False, True, False]), "mahalanobis",
     "cov", [COV[:2, :2], 2 * COV[:2, :2]]),
]
IDS = list(REGISTRY) + ["gauss-diag", "gauss-cov", "laplace-subset", "gauss-cov-subset"]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=90, n_features=D, n_informative=3, n_redundant=0,
                               random_state=0)
    return X, y


@pytest.mark.parametrize("noise, norm, param, grid", FAMILIES, ids=IDS)
def test_norm_repr_clone(noise, norm, param, grid):
    noise = clone(noise)
    assert noise.validate(D) is noise
    assert noise.norm == norm
    text = repr(noise)
    assert text.startswith(type(noise).__name__ + "(") and "\n" not in text.replace("\n ", "")
    assert repr(clone(noise)) == text
    assert param in noise.get_params()


@pytest.mark.parametrize("noise, norm, param, grid", FAMILIES, ids=IDS)
def test_split_draws_equal_one_call(noise, norm, param, grid, request):
    """The engine splits one row's draws across batches: the draws must not depend on it."""
    if request.node.callspec.id == "correlated-gaussian":
        # Found by the registry-built list (a banded covariance): ``z @ L.T`` goes through
        # BLAS, whose summation order depends on the number of rows, so draws split across
        # batches differ from one call in the last ulp. Open: fix in the family (row-wise
        # products) without the 5-14x slowdown of batched matmul.
        request.applymarker(pytest.mark.xfail(strict=True, reason="BLAS order depends on rows"))
    noise = clone(noise).validate(D)
    rng = np.random.default_rng(5)
    parts = np.vstack([noise.sample(7, D, rng), noise.sample(1, D, rng), noise.sample(4, D, rng)])
    whole = noise.sample(12, D, np.random.default_rng(5))
    assert whole.shape == (12, D)
    np.testing.assert_array_equal(parts, whole)


@pytest.mark.parametrize("noise, norm, param, grid", FAMILIES, ids=IDS)
def test_perturb_does_not_mutate_and_changes_rows(noise, norm, param, grid):
    noise = clone(noise).validate(D)
    X = np.arange(1.0, D + 1).reshape(1, D)
    before = X.copy()
    draws = noise.sample(50, D, np.random.default_rng(0))
    draws_before = draws.copy()
    out = noise.perturb(X, draws)
    assert out.shape == (50, D)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(draws, draws_before)
    assert np.any(out != X)


@pytest.mark.parametrize("noise, norm, param, grid", FAMILIES, ids=IDS)
def test_perturb_works_on_torch_tensors(noise, norm, param, grid):
    torch = pytest.importorskip("torch")
    noise = clone(noise).validate(D)
    X = np.arange(1.0, D + 1).reshape(1, D)
    draws = noise.sample(20, D, np.random.default_rng(0))
    expected = noise.perturb(X, draws)
    out = noise.perturb(torch.as_tensor(X), torch.as_tensor(draws))
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.numpy(), expected)


@pytest.mark.parametrize("noise, norm, param, grid", FAMILIES, ids=IDS)
def test_pipeline_and_grid_search_over_noise_param(data, noise, norm, param, grid):
    X, y = data
    smoothed = SmoothedClassifier(LogisticRegression(), noise, n_samples=60, n_select=10,
                                  noise_augment=4,
                                  alpha=0.05, random_state=0)
    pipe = make_pipeline(StandardScaler(), smoothed)
    search = GridSearchCV(pipe, {f"smoothedclassifier__noise__{param}": grid}, cv=2)
    search.fit(X, y)
    best = search.best_estimator_[-1]
    np.testing.assert_array_equal(best.noise_.get_params()[param],
                                  search.best_params_[f"smoothedclassifier__noise__{param}"])
    assert search.best_estimator_.score(X, y) > 0.6
    y_cert, radius = best.certify(search.best_estimator_[0].transform(X[:20]))
    assert radius.shape == (20,) and np.all(radius >= 0)
    assert np.all(radius[y_cert == -1] == 0)
    if norm != "l0":  # with d = 4, an l0 radius of 1 needs pA_lower > 1/2 + k/4: rare here
        assert np.any(y_cert != -1)
    assert best.noise_.norm == norm


def test_grid_search_over_noise_families(data):
    X, y = data
    X = StandardScaler().fit_transform(X)
    families = [LaplaceNoise(0.3), UniformNoise(0.3), SubspaceNoise(3)]
    base = SmoothedClassifier(LogisticRegression(), n_samples=40, n_select=10, random_state=0)
    search = GridSearchCV(base, {"noise": families}, cv=2).fit(X, y)
    # Each candidate was scored with its own family: its fold scores are those of a
    # classifier built directly with that noise (same folds, same random_state).
    direct = [clone(base).set_params(noise=clone(noise)) for noise in families]
    for i, est in enumerate(direct):
        np.testing.assert_array_equal(
            [search.cv_results_[f"split{k}_test_score"][i] for k in range(2)],
            cross_val_score(est, X, y, cv=2))
    # The families give different certificates, so the checks below can tell them apart.
    certs = [clone(est).fit(X, y).certify(X[:10]) for est in direct]
    assert not np.array_equal(certs[0][1], certs[1][1])
    assert not np.array_equal(certs[0][1], certs[2][1])
    # The refit best estimator holds the winning family (a fitted copy) and certifies with it.
    best = search.best_params_["noise"]
    assert search.cv_results_["rank_test_score"][families.index(best)] == 1
    fitted = search.best_estimator_
    assert type(fitted.noise_) is type(best) and fitted.noise_ is not best
    assert fitted.noise_.get_params() == best.get_params()
    got = fitted.certify(X[:10])
    want = certs[families.index(best)]
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
