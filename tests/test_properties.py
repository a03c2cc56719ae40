"""Property-based tests (hypothesis) of the statistics and the noise protocol.

Derandomized (fixed example sequence) with modest example counts, so the suite
is deterministic and fast.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth._engine import count_votes
from sksmooth._random import ESTIMATE, row_keys, row_seeds
from sksmooth._stats import binom_test_half, clopper_pearson_lower, clopper_pearson_upper

from ._models import HiddenLinearRule

FAST = settings(max_examples=60, derandomize=True, deadline=None)
SLOW = settings(max_examples=8, derandomize=True, deadline=None)

alphas = st.floats(min_value=1e-12, max_value=0.5, allow_nan=False)


@st.composite
def counts(draw, max_n=10**7):
    n = draw(st.integers(1, max_n))
    k = draw(st.integers(0, n))
    return k, n


@FAST
@given(counts(), alphas)
def test_bounds_bracket_the_estimate(kn, alpha):
    k, n = kn
    lo = float(clopper_pearson_lower(k, n, alpha))
    up = float(clopper_pearson_upper(k, n, alpha))
    assert 0.0 <= lo <= k / n <= up <= 1.0
    assert lo < 1.0 and up > 0.0
    # Duality: the lower bound for k successes is one minus the upper bound for n - k.
    assert lo == pytest.approx(1 - float(clopper_pearson_upper(n - k, n, alpha)), abs=1e-9)


@FAST
@given(counts(), alphas, alphas)
def test_bounds_monotone_in_k_and_alpha(kn, a1, a2):
    k, n = kn
    a1, a2 = sorted((a1, a2))
    if k < n:
        assert clopper_pearson_lower(k, n, a1) <= clopper_pearson_lower(k + 1, n, a1)
        assert clopper_pearson_upper(k, n, a1) <= clopper_pearson_upper(k + 1, n, a1)
    # A smaller alpha (more confidence) gives a wider interval.
    assert clopper_pearson_lower(k, n, a1) <= clopper_pearson_lower(k, n, a2)
    assert clopper_pearson_upper(k, n, a1) >= clopper_pearson_upper(k, n, a2)


@FAST
@given(st.integers(0, 5000), st.integers(0, 5000))
def test_binomial_test_symmetric_bounded_and_monotone(n_a, n_b):
    p = float(binom_test_half(n_a, n_b))
    assert 0.0 < p <= 1.0
    assert p == float(binom_test_half(n_b, n_a))
    if n_a >= n_b:  # one more vote for the leader never makes the test less significant
        assert float(binom_test_half(n_a + 1, n_b)) <= p


@FAST
@given(counts(max_n=10**6), alphas, st.floats(1e-3, 1e3))
def test_gaussian_radius_positive_iff_bound_above_half_and_scales_with_sigma(kn, alpha, sigma):
    k, n = kn
    lo = clopper_pearson_lower(k, n, alpha)
    with np.errstate(divide="ignore"):
        r = float(GaussianNoise(sigma).radius(lo, 1 - lo))
        r1 = float(GaussianNoise(1.0).radius(lo, 1 - lo))
    assert (r > 0) == (float(lo) > 0.5)
    if np.isfinite(r1):
        assert r == pytest.approx(sigma * r1, rel=1e-12)
        assert np.isfinite(r)


@FAST
@given(st.integers(0, 300), st.integers(0, 300), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_noise_sample_concatenates_and_perturb_does_not_mutate(a, b, d, seed):
    noise = GaussianNoise(0.7)
    rng = np.random.default_rng(seed)
    parts = np.vstack([noise.sample(a, d, rng), noise.sample(b, d, rng)])
    whole = noise.sample(a + b, d, np.random.default_rng(seed))
    np.testing.assert_array_equal(parts, whole)  # the engine splits a row's draws freely
    row = np.arange(d, dtype=float)[None, :]
    keep = row.copy()
    out = noise.perturb(row, whole)
    np.testing.assert_array_equal(row, keep)
    assert out.shape == (a + b, d)


def _vote(Z):
    return (Z[:, 0] + 0.5 * Z[:, 1] > 0).astype(np.intp)


@FAST
@given(st.integers(1, 12), st.integers(1, 400), st.integers(1, 3000), st.integers(0, 10**6))
def test_engine_counts_invariant_to_batching_and_row_order(m, n_draws, batch, seed):
    X = np.random.default_rng(seed).normal(size=(m, 2))
    seeds = row_seeds(row_keys(X), seed, ESTIMATE)
    ref = count_votes(_vote, X, GaussianNoise(1.0), n_draws, seeds, 2)
    got = count_votes(_vote, X, GaussianNoise(1.0), n_draws, seeds, 2, batch_size=batch)
    np.testing.assert_array_equal(got, ref)
    assert np.all(ref.sum(axis=1) == n_draws)
    perm = np.random.default_rng(seed + 1).permutation(m)
    seeds_p = row_seeds(row_keys(X[perm]), seed, ESTIMATE)
    np.testing.assert_array_equal(
        count_votes(_vote, X[perm], GaussianNoise(1.0), n_draws, seeds_p, 2, batch_size=batch),
        ref[perm],
    )


@SLOW
@given(st.integers(2, 15), st.integers(1, 2000), st.sampled_from([None, 1, 2]),
       st.integers(0, 10**6))
def test_certify_invariant_to_row_order_chunking_and_n_jobs(m, batch, n_jobs, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 3))
    rule = HiddenLinearRule(w=[1.0, -0.5, 0.25], b=0.1)
    y = np.arange(m) % 2

    def run(Xq, **kw):
        clf = SmoothedClassifier(rule, GaussianNoise(0.5), n_samples=200, n_select=20,
                                 noise_augment=0, random_state=seed, **kw).fit(X, y)
        return (*clf.certify(Xq), clf.predict_certified(Xq), clf.predict_proba(Xq))

    ref = run(X)
    perm = rng.permutation(m)
    for got, rows in ((run(X, batch_size=batch, n_jobs=n_jobs), slice(None)),
                      (run(X[perm]), perm), (run(X[: m // 2]), slice(0, m // 2))):
        for a, b in zip(got, ref):
            np.testing.assert_array_equal(a, b[rows])
