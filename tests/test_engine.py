import numpy as np
import pytest

from sksmooth import GaussianNoise
from sksmooth._engine import auto_batch_size, count_votes
from sksmooth._random import ESTIMATE, row_keys, row_seeds


def _vote(X):
    # Class 1 when the first feature is positive, 2 when the second is, else 0.
    return np.where(X[:, 0] > 0, 1, np.where(X[:, 1] > 0, 2, 0))


def _counts(X, n_draws=500, **kw):
    seeds = row_seeds(row_keys(X), 42, ESTIMATE)
    return count_votes(_vote, X, GaussianNoise(1.0), n_draws, seeds, 3, **kw)


def test_counts_sum_to_draws_and_follow_probabilities():
    X = np.array([[0.0, 0.0], [3.0, 0.0], [-3.0, 3.0]])
    counts = _counts(X, n_draws=4000)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts.sum(axis=1), 4000)
    # Row 0: P[class 1] = 1/2, P[class 2] = 1/4, P[class 0] = 1/4 (tolerance ~5 standard errors).
    np.testing.assert_allclose(counts[0] / 4000, [0.25, 0.5, 0.25], atol=0.04)
    assert counts[1, 1] > 3950 and counts[2, 2] > 3950


@pytest.mark.parametrize("batch_size", [1, 7, 499, 500, 501, 10_000])
def test_counts_do_not_depend_on_batching(batch_size):
    X = np.random.default_rng(0).normal(size=(9, 2))
    np.testing.assert_array_equal(_counts(X, batch_size=batch_size), _counts(X))


def test_counts_do_not_depend_on_n_jobs_or_order():
    X = np.random.default_rng(1).normal(size=(12, 2))
    reference = _counts(X)
    np.testing.assert_array_equal(_counts(X, n_jobs=2), reference)
    order = np.random.default_rng(2).permutation(12)
    np.testing.assert_array_equal(_counts(X[order]), reference[order])


def test_rows_get_independent_streams_and_empty_input():
    X = np.array([[0.0, 0.0], [0.0, 1e-12]])
    counts = _counts(X, n_draws=200)
    assert not np.array_equal(counts[0], counts[1])
    assert _counts(np.empty((0, 2))).shape == (0, 3)


def test_progress_reports_every_draw():
    done = []
    _counts(np.zeros((3, 2)), n_draws=100, batch_size=64, progress=done.append)
    assert sum(done) == 300 and max(done) <= 64


def test_auto_batch_size_bounds_memory():
    assert auto_batch_size(1) * 8 <= 32 * 2**20
    assert auto_batch_size(10**6) == 1024
