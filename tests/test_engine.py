import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

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
    assert auto_batch_size(10**6) == 4  # 32 MiB of 8 MB rows; never under one row
    assert auto_batch_size(10**8) == 1
    assert auto_batch_size(5, 500) == 32 * 2**20 // (8 * 505)


def test_gaussian_draws_are_scaled_standard_normals():
    """The stream of GaussianNoise: standard normals times sigma, in row order."""
    a = GaussianNoise(0.3).sample(50, 4, np.random.default_rng(5))
    b = 0.3 * np.random.default_rng(5).standard_normal((50, 4))
    np.testing.assert_array_equal(a, b)


class _SlowPerturbNoise(GaussianNoise):
    """Gaussian noise through the generic protocol path (own ``perturb``: not declared additive)."""

    def sample(self, n_draws, n_features, rng):
        return super().sample(n_draws, n_features, rng)

    def perturb(self, X, draws):
        return X + draws


def test_fast_path_matches_the_generic_protocol_path():
    assert GaussianNoise.additive and not _SlowPerturbNoise.additive
    X = np.random.default_rng(3).normal(size=(6, 2))
    seeds = row_seeds(row_keys(X), 42, ESTIMATE)
    fast = count_votes(_vote, X, GaussianNoise(1.0), 700, seeds, 3, batch_size=256)
    slow = count_votes(_vote, X, _SlowPerturbNoise(1.0), 700, seeds, 3, batch_size=256)
    np.testing.assert_array_equal(fast, slow)


def test_float32_rows_give_identical_votes_for_trees():
    from sklearn.ensemble import RandomForestClassifier

    from sksmooth._engine import float32_exact

    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(300, 3))
    forest = RandomForestClassifier(n_estimators=5, random_state=0)
    forest.fit(X_train, (X_train.sum(axis=1) > 0).astype(int))
    assert float32_exact(forest) and not float32_exact(LogisticRegression())
    X = rng.normal(size=(5, 3))
    seeds = row_seeds(row_keys(X), 1, ESTIMATE)
    seen = []

    def vote(rows):
        seen.append(rows.dtype)
        return forest.predict(rows)

    args = (vote, X, GaussianNoise(0.5), 400, seeds, 2)
    c32 = count_votes(*args, dtype=np.float32, batch_size=300)
    c64 = count_votes(*args, batch_size=300)
    np.testing.assert_array_equal(c32, c64)
    assert {np.dtype(np.float32), np.dtype(np.float64)} == set(seen)


def _scores(X):
    # Soft votes: a score per class, summed per input by the engine.
    p = 1.0 / (1.0 + np.exp(-3.0 * X[:, 0]))
    return np.column_stack([1.0 - p, p, np.full_like(p, 0.1)])


def test_scores_are_summed_left_to_right_whatever_the_batching():
    X = np.random.default_rng(4).normal(size=(5, 2))
    seeds = row_seeds(row_keys(X), 7, ESTIMATE)
    noise = GaussianNoise(0.5)
    reference = np.zeros((5, 3))
    for i in range(5):  # independent computation: one input at a time, a Python loop
        rng = np.random.default_rng(np.random.PCG64(seeds[i]))
        rows = X[i] + noise.sample(333, 2, rng)
        for s in _scores(rows):
            reference[i] = reference[i] + s
    for batch_size in (1, 7, 100, 333, 334, 5000):
        sums = count_votes(_scores, X, noise, 333, seeds, 3, batch_size=batch_size)
        assert sums.dtype == np.float64
        np.testing.assert_array_equal(sums, reference)
    np.testing.assert_array_equal(
        count_votes(_scores, X, noise, 333, seeds, 3, batch_size=64, n_jobs=2), reference
    )


def test_bad_scores_shape_and_vote_errors_propagate():
    X = np.zeros((3, 2))
    seeds = row_seeds(row_keys(X), 0, ESTIMATE)
    with pytest.raises(ValueError, match="shape"):
        count_votes(lambda r: np.ones((r.shape[0], 2)), X, GaussianNoise(), 10, seeds, 3)

    def broken(rows):
        raise RuntimeError("base model failed")

    with pytest.raises(RuntimeError, match="base model failed"):
        count_votes(broken, X, GaussianNoise(), 1000, seeds, 3, batch_size=100)


def test_lazy_row_seeds_match_row_seeds():
    from sksmooth._random import RowSeeds

    X = np.random.default_rng(0).normal(size=(4, 3))
    keys = row_keys(X)
    lazy, eager = RowSeeds(keys, 9, (ESTIMATE,)), row_seeds(keys, 9, ESTIMATE)
    a = count_votes(_vote, X[:, :2], GaussianNoise(), 50, lazy, 3)
    b = count_votes(_vote, X[:, :2], GaussianNoise(), 50, eager, 3)
    np.testing.assert_array_equal(a, b)
    assert [s.state for s in lazy[1:3]] == [s.state for s in eager[1:3]]


@pytest.mark.slow
def test_memory_is_bounded_by_the_batch_not_the_number_of_inputs():
    """Certify-style counting of 100,000 inputs holds one or two batches of noisy rows.

    The noisy copies of all inputs would take 100,000 x 20 x 2 x 8 B = 32 MB; the
    peak traced allocation must stay under 8 MB, most of it O(n_inputs) bookkeeping
    (inputs, keys, counts, ~1.6 MB each). Deterministic: no false alarms.
    """
    import tracemalloc

    from sksmooth import SmoothedClassifier

    from ._models import HiddenLinearRule

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 2))
    clf = SmoothedClassifier(
        HiddenLinearRule(w=[1.0, 0.0]), n_samples=20, n_select=5, noise_augment=0,
        batch_size=4096, random_state=0,
    ).fit(X[:10], (X[:10, 0] > 0).astype(int))
    tracemalloc.start()
    try:
        proba = clf.predict_proba(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert proba.shape == (100_000, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_batch_tuner_keeps_the_faster_of_small_and_large_and_respects_the_user():
    from sksmooth._engine import _BatchTuner

    fixed = _BatchTuner(30, 500)
    fixed.record(500, 1.0)
    assert fixed.size == 500 and fixed.settled

    def run(per_call, per_row):  # synthetic CPU seconds of one batch
        tuner = _BatchTuner(30, None)
        first, cap = tuner.first, tuner.cap
        assert first * 30 * 8 <= 2**20 + 30 * 8 and cap <= auto_batch_size(30) < 2 * cap
        tuner.record(first // 2, 1e9)  # a partial batch is not a measurement
        while not tuner.settled:
            size = tuner.size
            tuner.record(size, per_call + size * per_row)
            tuner.record(size, 1e9)  # the faster of two batches counts
        return tuner.size, first, cap

    size, first, cap = run(per_call=1e-2, per_row=1e-6)  # a forest: per-call overhead
    assert size == cap
    size, first, cap = run(per_call=0.0, per_row=1e-6)  # no gain from larger batches
    assert size == first


def test_batch_tuner_finds_an_interior_best_and_stops_climbing_past_it():
    from sksmooth._engine import _BatchTuner

    # A torch MLP on a CPU: per-call overhead, then a cache cliff above 1,024 rows.
    def per_row(size):
        return 1e-4 / size + (1e-6 if size <= 1024 else 2.4e-6)

    tuner = _BatchTuner(64, None, sizes=(256, 32768))
    assert tuner.ladder == [256 * 2**k for k in range(8)]
    timed = []
    while not tuner.settled:
        size = tuner.size
        timed.append(size)
        tuner.record(size, size * per_row(size))
        tuner.record(size, size * per_row(size))
    assert tuner.size == 1024
    assert timed == [256, 512, 1024, 2048]  # stopped at the first size >10% slower
    assert _BatchTuner(64, None, sizes=(4096, 1000)).ladder == [1000]  # first capped
    assert _BatchTuner(64, 77, sizes=(256, 32768)).size == 77  # the user's size is kept


def test_batch_tuner_rejects_a_plainly_slower_size_on_its_first_batch():
    from sksmooth._engine import _TUNER_REJECT, _BatchTuner

    tuner = _BatchTuner(64, None, sizes=(256, 4096))
    for _ in range(2):  # 256 rows: 1 microsecond per row
        tuner.record(256, 256e-6)
    assert tuner.size == 512
    tuner.record(512, 512e-6 * _TUNER_REJECT * 1.01)  # one batch, past the rejection bound
    assert tuner.settled and tuner.size == 256
    near = _BatchTuner(64, None, sizes=(256, 4096))
    for _ in range(2):
        near.record(256, 256e-6)
    near.record(512, 512e-6 * 1.05)  # slower, but within the bound: a second batch decides
    assert not near.settled and near.size == 512
    near.record(512, 512e-6 * 0.9)
    assert not near.settled and near.size == 1024


def test_batch_tuner_window_times_small_batches_together():
    from sksmooth._engine import _BatchTuner

    tuner = _BatchTuner(64, None, sizes=(256, 4096), window=1024)
    # One lucky pass (0 s) among four does not decide: the trial is their total.
    for seconds in (0.0, 256e-6, 256e-6, 256e-6):
        tuner.record(256, seconds)
    assert tuner.trials == [pytest.approx(0.75e-6)]
    tuner.record(100, 1.0)  # a partial batch ends the trial being timed, uncounted
    for _ in range(4):
        tuner.record(256, 256e-6)
    assert tuner.rates == [pytest.approx(0.75e-6)] and tuner.size == 512
    for _ in range(2):  # 512 rows: two passes per trial
        tuner.record(512, 512e-6)
    assert len(tuner.rates) == 1 and len(tuner.trials) == 1


def test_batch_tuner_memo_reuses_the_settled_size_per_model_and_workload():
    import gc
    import weakref

    from sksmooth import _engine
    from sksmooth._engine import _BatchTuner

    class Model:
        pass

    model = Model()

    def settle(memo):
        tuner = _BatchTuner(64, None, sizes=(256, 4096), memo=memo)
        timed = 0
        while not tuner.settled:  # a per-call overhead: the largest size wins
            tuner.record(tuner.size, 1e-3 + tuner.size * 1e-6)
            timed += 1
        return tuner.size, timed

    assert settle((model, "a")) == (4096, 10)
    again = _BatchTuner(64, None, sizes=(256, 4096), memo=(model, "a"))
    assert again.settled and again.size == 4096  # no ladder on the model's next call
    assert not _BatchTuner(64, None, sizes=(256, 4096), memo=(model, "b")).settled  # workload
    assert not _BatchTuner(64, None, sizes=(256, 4096), memo=(Model(), "a")).settled  # model
    assert _BatchTuner(64, 100, sizes=(256, 4096), memo=(model, "a")).size == 100  # the user's
    assert model in _engine._SETTLED
    alive = weakref.ref(model)
    del model, again
    gc.collect()
    assert alive() is None  # the memo holds the model weakly

    class Unhashable:
        __hash__ = None

    assert settle((Unhashable(), "a"))[1] == 10  # no memo: tunes, and does not fail
    assert settle((Unhashable(), "a"))[1] == 10

    # A call that ends before settling keeps its progress: the next climbs on.
    short = Model()
    tuner = _BatchTuner(64, None, sizes=(256, 4096), memo=(short, "a"))
    for _ in range(4):  # 256 and 512 judged, then the call ends
        tuner.record(tuner.size, 1e-3 + tuner.size * 1e-6)
    tuner.finish()
    resumed = _BatchTuner(64, None, sizes=(256, 4096), memo=(short, "a"))
    assert not resumed.settled and resumed.size == 1024 and len(resumed.rates) == 2


def test_certify_reuses_the_batch_size_tuned_on_the_models_first_call(tuner_trials):
    from sklearn.datasets import make_classification

    from sksmooth import SmoothedClassifier, _engine

    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    clf = SmoothedClassifier(
        LogisticRegression(), n_samples=100_000, n_select=10, method="monte_carlo",
        random_state=0,
    ).fit(X, y)
    first = clf.certify(X[:20])
    n_calls, n_timed = 1, len(tuner_trials)
    # A call that ends before the tuner settles leaves its progress; the next climbs on.
    while not all(isinstance(v, int) for v in _engine._SETTLED[clf.estimator_].values()):
        assert n_calls < 4, _engine._SETTLED[clf.estimator_]
        clf.certify(X[:20])
        n_calls += 1
    tuner_trials.clear()
    second = clf.certify(X[:20])
    assert n_timed >= 4  # the first call climbed the ladder ...
    assert tuner_trials == []  # ... once settled, later calls start at the size settled on
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def _peak_traced(call):
    import tracemalloc

    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


#: The bound stated in auto_batch_size's docstring for batch_size=None, beyond the inputs.
_AUTO_BOUND = 4 * 32 * 2**20


def test_auto_batches_bound_memory_for_one_very_wide_input():
    """One input with 100,000 features: batches of 41 rows, not a 1,024-row floor.

    Before the fix (batches of at least 1,024 rows, here capped by the 400 draws)
    the peak traced memory was 0.3 GiB; the bound is 128 MiB. Deterministic.
    """
    from sksmooth import SmoothedClassifier

    from ._models import HiddenLinearRule

    d = 100_000
    X = np.random.default_rng(0).normal(size=(4, d))
    w = np.zeros(d)
    w[0] = 1.0
    clf = SmoothedClassifier(HiddenLinearRule(w=w), n_samples=400, n_select=10,
                             noise_augment=0, random_state=0).fit(X, [0, 1, 0, 1])
    peak = _peak_traced(lambda: clf.predict_proba(X[:1]))
    assert peak < _AUTO_BOUND, f"peak {peak / 2**20:.0f} MiB"


class _ManyClassScores(ClassifierMixin, BaseEstimator):
    """500 affine scores per row, argmax (as a linear model's or a tree's predict builds them)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = X.shape[1]
        self.coef_ = np.random.default_rng(0).normal(size=(X.shape[1], self.classes_.size))
        return self

    def predict_proba(self, X):
        scores = np.asarray(X) @ self.coef_  # (rows, n_classes) float64
        proba = np.zeros_like(scores)
        proba[np.arange(scores.shape[0]), np.argmax(scores, axis=1)] = 1.0
        return proba

    def predict(self, X):
        return self.classes_[np.argmax(np.asarray(X) @ self.coef_, axis=1)]


@pytest.mark.parametrize("vote", ["hard", "soft"])
def test_auto_batches_bound_memory_for_many_classes(vote):
    """500 classes: the base builds 500 floats per row, which the batch size now counts.

    Before the fix (rows sized by the features only: 65,536-row first batches and a
    cap of 2,097,152 rows of 2 features) the peak traced memory was 0.5 GiB (hard)
    and 1.9 GiB (soft) here; the bound is 128 MiB. Deterministic.
    """
    from sksmooth import GaussianNoise, SmoothedClassifier

    K = 500
    X = np.random.default_rng(0).normal(size=(4 * K, 2))
    clf = SmoothedClassifier(_ManyClassScores(), GaussianNoise(0.1), vote=vote,
                             n_samples=200_000, n_select=10, noise_augment=0,
                             random_state=0).fit(X, np.arange(4 * K) % K)
    peak = _peak_traced(lambda: clf.predict_proba(X[:1]))
    assert peak < _AUTO_BOUND, f"peak {peak / 2**20:.0f} MiB"


def test_each_job_gets_its_share_of_the_blas_and_openmp_threads():
    import os

    from threadpoolctl import threadpool_info

    def pools():
        return {(p["user_api"], p["prefix"]): p["num_threads"] for p in threadpool_info()}

    before = pools()
    if not before:
        pytest.skip("no BLAS or OpenMP thread pool loaded")
    seen = []

    def vote(Z):
        seen.append(pools())
        return _vote(Z)

    X = np.random.default_rng(3).normal(size=(4, 2))
    seeds = row_seeds(row_keys(X), 42, ESTIMATE)
    counts = count_votes(vote, X, GaussianNoise(1.0), 300, seeds, 3, n_jobs=2)
    np.testing.assert_array_equal(counts, _counts(X, n_draws=300))
    share = max(1, (os.cpu_count() or 1) // 2)
    assert seen and all(n <= share for inside in seen for n in inside.values())
    assert pools() == before  # restored after the call
