"""Counting base-model votes over noisy copies of inputs (DESIGN.md section 5).

The base model is called on the noisy rows of many inputs at once, in batches of
at most ``batch_size`` rows; votes are counted with ``np.bincount`` (or, for
2-D scores, summed per input). Python work per input is limited to seeding its
stream and one ``sample`` call per 256 KiB of its draws.

Speed: while the base model votes on one batch, a producer thread builds the
next one (numpy's generators and ufuncs release the GIL, and so do the Cython
loops of scikit-learn's trees and boosting), so on two cores the cost of making
the noise hides behind the base model's own ``predict``. Gaussian draws go into
cache-sized blocks and are added straight into the batch buffer; trees
get float32 rows (bit-identical votes, see :func:`float32_exact`); with
``batch_size=None`` the batch size is picked per model (:class:`_BatchTuner`).
Results depend on none of this: each input's draws come from its own stream,
in order.

Memory: at most two batches of noisy rows (the one being voted on and the one
being built) plus one 256 KiB block of draws, whatever the number of inputs;
per input only its counts are kept. The ``"outputs"`` reduction (order
statistics for median smoothing, :func:`collect_outputs`) keeps every base
output instead: its result is ``n_inputs x n_draws`` float64 (80 MB for 1,000
inputs of 10,000 draws), on top of the same two batches. With
``batch_size=None`` a batch is sized in bytes from the row width and the
model's output width (:func:`auto_batch_size`).
"""

import os
import threading
import time
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from ._random import generator
from ._warnings import SmoothingWarning

#: Most bytes of one batch (its noisy rows and the base model's outputs on them)
#: when ``batch_size`` is None.
_AUTO_BATCH_BYTES = 32 * 2**20

#: Bytes of the first batch when ``batch_size`` is None.
_FIRST_BATCH_BYTES = 1 * 2**20

#: The tuner stops climbing at a batch size this much slower per row than the best.
_TUNER_SLACK = 0.10

#: A size whose first full batch is this many times slower per row than the best so
#: far is rejected on that batch alone (no second trial at a size that is plainly worse).
_TUNER_REJECT = 1.5

#: The batch size each tuner settled on, per base model (held weakly) and workload:
#: a later call on the same model starts there instead of climbing the ladder again.
_SETTLED = weakref.WeakKeyDictionary()
_SETTLED_LOCK = threading.Lock()

#: Build the next batch in a producer thread while the base model votes.
_OVERLAP = True

#: Bytes of draws made per ``sample`` call: the noise family's temporaries stay in
#: the L2 cache and are recycled by the allocator instead of being fresh pages
#: (large fresh arrays cost a page fault per 4 KiB, more than drawing the noise).
_CHUNK_BYTES = 256 * 2**10


def row_bytes(n_features, n_classes):
    """Bytes one noisy row costs in a batch: its float64 values and ``n_classes`` float64 outputs.

    A classifier's ``predict`` typically builds one score or probability per
    class and row before taking the argmax (trees, forests, linear models), and
    soft votes are ``n_classes`` scores per row, so the output width is counted
    for hard votes too.
    """
    return 8 * (max(1, n_features) + max(1, n_classes))


def auto_batch_size(n_features, n_classes=2):
    """Most noisy rows per base-model call when the user gave none: 32 MiB of rows and outputs.

    ``max(1, 32 MiB // row_bytes(n_features, n_classes))``: never under one row,
    so one very wide input (100,000 features: 41 rows) or a model with many
    classes (500 classes, 5 features: 8,309 rows) stays within the budget.
    Within that cap the engine tunes the batch as it runs (:class:`_BatchTuner`).

    Memory bound (``batch_size=None``): besides the inputs and the per-input
    totals, counting holds at most two batches of noisy rows, one 256 KiB
    block of draws and the base model's outputs on one batch plus our copy of
    them, so about ``4 * 32 MiB = 128 MiB`` for base models whose ``predict``
    allocates O(n_features + n_classes) per row (tested with tracemalloc in
    ``tests/test_engine.py``).
    """
    return max(1, _AUTO_BATCH_BYTES // row_bytes(n_features, n_classes))


class _BatchTuner:
    """Picks the batch size by measured throughput when the user gave none (both engines).

    The best batch depends on the base model and the machine: a linear model
    runs fastest on batches that fit the L2 cache, a forest on large ones that
    spread its per-call overhead, a torch MLP on a CPU on batches whose
    activations fit the cache (2.4x faster at 1,000 rows than at 32,768), a GPU
    on the largest. So the engine climbs a ladder of doublings from ``first``
    to ``cap``, judges each size on the faster of two full batches by the
    seconds per row its caller measured (CPU time on the host engine, wall
    time around the forward pass on a device), stops climbing at the first
    size more than :data:`_TUNER_SLACK` slower than the best so far, and keeps
    the best. Only speed depends on it, never the draws: each input's noise
    comes from its own stream in fixed blocks, whatever the batch.

    Parameters
    ----------
    n_features, batch_size, n_classes
        The host engine's defaults: ``first`` about 1 MiB of noisy rows and
        outputs, ``cap`` the largest doubling of it within
        :func:`auto_batch_size` (32 MiB). A user's ``batch_size`` is kept as
        it is.
    sizes : (int, int), default=None
        ``(first, cap)`` in rows instead (the torch engine's ladder).
    memo : (object, hashable), default=None
        ``(owner, key)``: the base model the batches go to and a key of the
        workload (row width, output width, dtype, ...). The size settled on
        is kept for them (the model held weakly) and a later tuner with the
        same ``memo`` starts settled at it, so only a model's first call pays
        for climbing the ladder. None: tune every time.
    window : int, default=0
        Fewest rows one trial spans: consecutive full batches are timed
        together until they reach ``window`` rows, so a trial of small
        batches is not one lucky (or unlucky) call of a fraction of a
        millisecond.
    """

    def __init__(self, n_features, batch_size, n_classes=2, *, sizes=None, memo=None,
                 window=0):
        self.memo = None
        self.window = window
        self._rows, self._seconds = 0, 0.0  # the trial being timed
        if batch_size is not None:
            self.first = self.cap = self.size = batch_size
            self.ladder = [batch_size]
            self.settled = True
            return
        if sizes is None:
            cap = auto_batch_size(n_features, n_classes)
            first = min(cap, max(1, _FIRST_BATCH_BYTES // row_bytes(n_features, n_classes)))
        else:
            first, cap = (max(1, int(v)) for v in sizes)
            first = min(first, cap)
        self.first = first
        # Doublings of the first size, the largest within the cap.
        self.ladder = [first * 2**k for k in range(int(np.log2(cap / first)) + 1)]
        self.cap = self.ladder[-1]
        self.size = self.first
        self.settled = len(self.ladder) == 1
        self.rates, self.trials = [], []
        self.memo = _memo_slot(memo)
        if self.memo is not None and not self.settled:
            owner, key = self.memo
            with _SETTLED_LOCK:
                known = _SETTLED.get(owner, {}).get(key)
            if isinstance(known, int) and known in self.ladder:
                self.size, self.settled = known, True
            elif isinstance(known, list) and 0 < len(known) < len(self.ladder):
                # An earlier call ended before settling: climb on from where it stopped.
                self.rates, self.size = list(known), self.ladder[len(known)]

    def record(self, rows, seconds):
        """Seconds one batch of ``rows`` rows took; may change the size.

        Each size is judged on the faster of two trials (a full batch, or
        consecutive full batches of at least ``window`` rows), so one slow
        call (a warm-up, another process) does not decide, except a size
        whose first batch is :data:`_TUNER_REJECT` times slower per row than
        the best so far: it is rejected at once. The size settled on is
        remembered for the tuner's ``memo`` (a later call on the same base
        model and workload starts there).
        """
        if self.settled:
            return
        if rows < self.size:  # a partial batch (an input's or the call's end) is no measure
            self._rows, self._seconds = 0, 0.0
            return
        self._rows += rows
        self._seconds += seconds
        if self._rows < self.window:
            return
        self.trials.append(self._seconds / self._rows)
        self._rows, self._seconds = 0, 0.0
        plainly_worse = bool(self.rates) and self.trials[0] > _TUNER_REJECT * min(self.rates)
        if len(self.trials) < 2 and not plainly_worse:
            return
        self.rates.append(min(self.trials))
        self.trials = []
        best = min(self.rates)
        worse = self.rates[-1] > (1 + _TUNER_SLACK) * best
        if worse or len(self.rates) == len(self.ladder):
            self.size = self.ladder[int(np.argmin(self.rates))]
            self.settled = True
            self._remember()
        else:
            self.size = self.ladder[len(self.rates)]

    def finish(self):
        """End of a call: keep how far an unsettled climb got, for the model's next call."""
        if not self.settled and self.rates:
            self._remember(list(self.rates))

    def _remember(self, value=None):
        if self.memo is None:
            return
        owner, key = self.memo
        with _SETTLED_LOCK:
            _SETTLED.setdefault(owner, {})[key] = self.size if value is None else value


def _memo_slot(memo):
    """``(owner, key)`` if ``owner`` can key :data:`_SETTLED` (weakly, by identity), else None."""
    if memo is None:
        return None
    owner, key = memo
    try:
        weakref.ref(owner)
        hash(owner)
    except TypeError:  # no weak references, or unhashable: tune on every call
        return None
    return owner, key


def warn_unmoved_rows(noise, X):
    """Warn (``SmoothingWarning``) about rows of ``X`` that ``noise`` cannot move.

    Every noisy copy of such a row is the row itself (additive noise on
    features that are all NaN), so its vote is unanimous and its radius the
    largest ``n_samples`` allows; but the theorem behind the radius needs
    noise with a density around ``x``, and a point ``x'`` that puts numbers in
    those features is at no finite distance from ``x``. The certificate there
    says only that ``g(x) = f(x)``.
    """
    rows = np.flatnonzero(noise.unmoved_rows(X))
    if rows.size:
        shown = ", ".join(str(i) for i in rows[:10]) + (", ..." if rows.size > 10 else "")
        warnings.warn(
            f"{rows.size} input row(s) ({shown}) have NaN in every noised feature, so the noise "
            "cannot move them: the base model sees the same row on every draw and the radius "
            "reported there certifies nothing beyond x itself (no perturbation that replaces "
            "the NaNs is covered). Impute those features before smoothing, or treat these "
            "certificates as unsupported.",
            SmoothingWarning,
            stacklevel=3,
        )


def float32_exact(estimator):
    """Whether ``estimator.predict`` casts its input to float32 before using it.

    scikit-learn's trees, forests and gradient boosting (not the histogram
    one) convert ``X`` to float32 first (``sklearn.tree._tree.DTYPE``), so
    handing them noisy rows already rounded to float32 gives bit-identical
    votes while halving the memory traffic. Any other estimator gets float64.
    """
    from sklearn.ensemble._forest import BaseForest
    from sklearn.ensemble._gb import BaseGradientBoosting
    from sklearn.tree import BaseDecisionTree

    return isinstance(estimator, (BaseDecisionTree, BaseForest, BaseGradientBoosting))


def count_votes(
    vote,
    X,
    noise,
    n_draws,
    seeds,
    n_classes,
    *,
    batch_size=None,
    n_jobs=None,
    progress=None,
    dtype=np.float64,
    reduction="counts",
    model=None,
):
    """Votes of the base model over ``n_draws`` noisy copies of each row of ``X``.

    Parameters
    ----------
    vote : callable
        Maps a 2-D array of noisy rows either to class indices in
        ``[0, n_classes)`` (1-D ints, counted), or to scores of shape
        ``(n_rows, n_classes)`` (2-D floats, summed per input, as soft
        smoothing needs).
    X : ndarray of shape (n_inputs, n_features)
        The clean inputs.
    noise : BaseNoise
        Draws and perturbs.
    n_draws : int
        Noisy copies per input.
    seeds : sequence of SeedSequence
        One per input: the input's noise stream (a list, or a lazy
        :class:`~sksmooth._random.RowSeeds`).
    n_classes : int
    batch_size : int, default=None
        Most noisy rows per call to ``vote``; None picks :func:`auto_batch_size`.
    n_jobs : int, default=None
        Inputs are split into ``n_jobs`` contiguous groups run through
        ``sklearn.utils.parallel.Parallel``: threads unless a joblib backend is
        set with ``joblib.parallel_config`` (processes, Dask, Ray).
    progress : callable, default=None
        Called with the number of draws done after each batch (single job only).
    dtype : {np.float64, np.float32}, default=np.float64
        Dtype of the noisy rows handed to ``vote``. The noise is always drawn
        and added in float64; float32 only rounds the sum, which is exact for
        base models that round their input to float32 anyway
        (:func:`float32_exact`).
    reduction : {"counts", "outputs"}, default="counts"
        The per-input reduction. ``"counts"``: vote counts or score sums (see
        Returns). ``"outputs"``: every base output kept, in draw order
        (``vote`` returns one float per noisy row, e.g. a regressor's
        ``predict``; ``n_classes`` is ignored); see :func:`collect_outputs`.
    model : object, default=None
        The base model behind ``vote``: with ``batch_size=None`` the batch
        size tuned on its first call is reused on later ones
        (:class:`_BatchTuner`'s ``memo``). None: tune on every call.

    Returns
    -------
    counts : ndarray of shape (n_inputs, n_classes)
        int64 vote counts, or float64 sums of scores when ``vote`` returns 2-D
        scores. Each input's sum is a left-to-right sum over its draws, so it
        is bit-identical whatever the batching. With ``reduction="outputs"``,
        float64 of shape ``(n_inputs, n_draws)``.
    """
    if reduction not in ("counts", "outputs"):
        raise ValueError(f"reduction must be 'counts' or 'outputs', got {reduction!r}.")
    n_inputs, n_features = X.shape
    if n_inputs == 0:
        if reduction == "outputs":
            return np.zeros((0, n_draws), dtype=np.float64)
        return np.zeros((0, n_classes), dtype=np.int64)
    batch = batch_size
    n_groups = min(n_inputs, _effective_n_jobs(n_jobs))
    if n_groups <= 1:
        return _count_group(vote, X, noise, n_draws, seeds, n_classes, batch, dtype, progress,
                            reduction=reduction,
                            memo=_memo(model, X, n_classes, dtype, reduction, 1))
    bounds = np.linspace(0, n_inputs, n_groups + 1).astype(int)
    # Threads by default: noise generation, numpy and scikit-learn's tree, boosting
    # and BLAS code release the GIL, and threads share the model without pickling.
    # A backend set with joblib.parallel_config (loky, dask, ray) takes precedence.
    # With as many groups as cores, every core already votes: a producer thread
    # per group would only oversubscribe them (measured slower on 2 cores).
    n_cpus = os.cpu_count() or 1
    overlap = n_groups < n_cpus
    # Each job's base model gets its share of the cores for its own BLAS / OpenMP threads
    # (a logistic regression's matrix product, a histogram booster): k jobs each starting
    # as many threads as cores would oversubscribe them k times over. BLAS pools are
    # process-wide (set here for the call); OpenMP's is per thread (set in each job).
    share = max(1, n_cpus // n_groups)
    with threadpool_limits(limits=share, user_api="blas"):
        parts = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_count_job)(
                share, vote, X[lo:hi], noise, n_draws, seeds[lo:hi], n_classes, batch, dtype,
                overlap=overlap, reduction=reduction,
                memo=_memo(model, X, n_classes, dtype, reduction, n_groups),
            )
            for lo, hi in zip(bounds[:-1], bounds[1:])
        )
    if any(part.dtype.kind == "f" for part in parts):
        parts = [part.astype(np.float64, copy=False) for part in parts]
    return np.vstack(parts)


def _memo(model, X, n_classes, dtype, reduction, n_groups):
    """The tuner's ``memo`` for ``model`` on this workload (None without a model)."""
    if model is None:
        return None
    return model, ("host", X.shape[1], n_classes, np.dtype(dtype).str, reduction, n_groups)


def collect_outputs(
    predict, X, noise, n_draws, seeds, *, batch_size=None, n_jobs=None, progress=None,
    dtype=np.float64, model=None,
):
    """Every base output over ``n_draws`` noisy copies of each row of ``X`` (order statistics).

    The engine of :func:`count_votes` with the ``"outputs"`` reduction: same
    per-input streams, batching, threads and producer, so the result does not
    depend on ``batch_size``, row order or ``n_jobs``.

    Parameters
    ----------
    predict : callable
        Maps a 2-D array of noisy rows to one float per row (1-D, or a single
        column).
    X, noise, n_draws, seeds, batch_size, n_jobs, progress, dtype, model
        As in :func:`count_votes`.

    Returns
    -------
    outputs : ndarray of shape (n_inputs, n_draws)
        float64; row ``i`` holds input ``i``'s outputs in draw order. Memory:
        ``8 * n_inputs * n_draws`` bytes.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth import GaussianNoise
    >>> from sksmooth._engine import collect_outputs
    >>> from sksmooth._random import RowSeeds, row_keys
    >>> X = np.array([[0.0, 1.0], [2.0, 3.0]])
    >>> seeds = RowSeeds(row_keys(X), 0, (1,))
    >>> out = collect_outputs(lambda Z: Z.sum(axis=1), X, GaussianNoise(0.1), 500, seeds)
    >>> out.shape, np.round(np.median(out, axis=1), 1)
    ((2, 500), array([1., 5.]))
    """
    return count_votes(
        predict, X, noise, n_draws, seeds, 0, batch_size=batch_size, n_jobs=n_jobs,
        progress=progress, dtype=dtype, reduction="outputs", model=model,
    )


def _effective_n_jobs(n_jobs):
    from joblib import effective_n_jobs

    return effective_n_jobs(n_jobs)


class _Producer:
    """Fills batch buffers with the noisy rows of consecutive inputs, in stream order."""

    def __init__(self, X, noise, n_draws, seeds):
        self.X, self.noise, self.n_draws, self.seeds = X, noise, n_draws, seeds
        self.n_features = X.shape[1]
        self.chunk = max(1, _CHUNK_BYTES // (8 * max(1, self.n_features)))
        # Declared additive draws (noise.additive) are added into the batch in place.
        self.additive = noise.additive
        self.i, self.left, self.rng = 0, n_draws, None

    def fill(self, buf, owner):
        """Write up to ``len(buf)`` noisy rows into ``buf``; return how many."""
        size, fill = buf.shape[0], 0
        X, noise, n_inputs = self.X, self.noise, self.X.shape[0]
        while fill < size and self.i < n_inputs:
            if self.rng is None:
                self.rng = generator(self.seeds[self.i])
            take = min(self.left, size - fill, self.chunk)
            row = X[self.i : self.i + 1]
            draws = noise.sample(take, self.n_features, self.rng)
            if self.additive:
                np.add(row, draws, out=buf[fill : fill + take])
            else:
                buf[fill : fill + take] = noise.perturb(row, draws)
            owner[fill : fill + take] = self.i
            fill += take
            self.left -= take
            if self.left == 0:
                self.i, self.left, self.rng = self.i + 1, self.n_draws, None
        return fill


class _Accumulator:
    """Per-input totals: vote counts (1-D class indices) or score sums (2-D scores)."""

    def __init__(self, n_inputs, n_classes):
        self.n_inputs, self.n_classes = n_inputs, n_classes
        self.totals = None

    def add(self, result, owner):
        result = np.asarray(result)
        n_classes = self.n_classes
        lo, hi = int(owner[0]), int(owner[-1]) + 1
        if result.ndim == 2:
            if result.shape != (owner.shape[0], n_classes):
                raise ValueError(
                    f"The vote function returned scores of shape {result.shape}; expected "
                    f"({owner.shape[0]}, {n_classes})."
                )
            self._ensure(np.float64)
            scores = np.array(result, dtype=np.float64)
            bounds = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1], True])
            # Left-to-right sum per input, across batches too: the running total
            # is added to the input's first row, then np.add.accumulate (strictly
            # sequential, unlike np.sum's pairwise summation) runs along the rest.
            for a, b in zip(bounds[:-1], bounds[1:]):
                i = owner[a]
                scores[a] += self.totals[i]
                np.add.accumulate(scores[a:b], axis=0, out=scores[a:b])  # in place: no copy
                self.totals[i] = scores[b - 1]
            return
        if self.totals is not None and self.totals.dtype.kind == "f":
            raise ValueError("The vote function mixed class indices and scores.")
        self._ensure(np.int64)
        idx = result.astype(np.intp, copy=False)
        flat = (owner - lo) * n_classes + idx
        self.totals[lo:hi] += np.bincount(flat, minlength=(hi - lo) * n_classes).reshape(
            hi - lo, n_classes
        )

    def _ensure(self, dtype):
        if self.totals is None:
            self.totals = np.zeros((self.n_inputs, self.n_classes), dtype=dtype)
        elif self.totals.dtype != dtype:
            raise ValueError("The vote function mixed class indices and scores.")

    def result(self):
        if self.totals is None:
            return np.zeros((self.n_inputs, self.n_classes), dtype=np.int64)
        return self.totals


class _Outputs:
    """Per-input base outputs, in draw order: the ``"outputs"`` reduction (order statistics)."""

    def __init__(self, n_inputs, n_draws):
        self.values = np.empty((n_inputs, n_draws), dtype=np.float64)
        self.filled = np.zeros(n_inputs, dtype=np.intp)

    def add(self, result, owner):
        result = np.asarray(result, dtype=np.float64)
        if result.ndim == 2 and result.shape[1] == 1:
            result = result[:, 0]
        if result.shape != owner.shape:
            raise ValueError(
                f"The base model returned outputs of shape {np.asarray(result).shape} for "
                f"{owner.shape[0]} noisy rows; expected one number per row (a single-output "
                "regressor)."
            )
        # Rows of one input are contiguous and in draw order (the producer's order).
        bounds = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1], True])
        for a, b in zip(bounds[:-1], bounds[1:]):
            i = owner[a]
            start = self.filled[i]
            self.values[i, start : start + (b - a)] = result[a:b]
            self.filled[i] = start + (b - a)

    def result(self):
        return self.values


def _count_job(n_threads, *args, **kwargs):
    """:func:`_count_group` in a job, with at most ``n_threads`` OpenMP threads for its model."""
    with threadpool_limits(limits=n_threads, user_api="openmp"):
        return _count_group(*args, **kwargs)


def _count_group(vote, X, noise, n_draws, seeds, n_classes, batch, dtype, progress=None,
                 overlap=True, reduction="counts", memo=None):
    """Count votes for a contiguous group of inputs, one batch of noisy rows at a time.

    With two or more batches and ``overlap``, a producer thread builds batch
    ``j + 1`` while ``vote`` runs on batch ``j`` (double buffering).
    """
    n_inputs, n_features = X.shape
    total = n_inputs * n_draws
    tuner = _BatchTuner(n_features, batch, n_classes, memo=memo)
    cap = min(tuner.cap, total)
    producer = _Producer(X, noise, n_draws, seeds)
    if reduction == "outputs":
        acc = _Outputs(n_inputs, n_draws)
    else:
        acc = _Accumulator(n_inputs, n_classes)

    last = []

    def consume(buf, owner, fill):
        # The tuner sees the CPU seconds of the process from one vote to the next:
        # the base model's and the producer's work for one batch (both grow with
        # cache misses), and, unlike wall-clock time, not other processes' work.
        now = time.process_time()
        if last:
            tuner.record(last[1], now - last[0])
        last[:] = [now, fill]
        result = vote(buf[:fill])
        acc.add(result, owner[:fill])
        if progress is not None:
            progress(fill)

    def fill_next(buf, owner):
        size = min(tuner.size, cap)
        return producer.fill(buf[:size], owner[:size])

    if total <= tuner.size or not (_OVERLAP and overlap):
        buf, owner = np.empty((cap, n_features), dtype=dtype), np.empty(cap, dtype=np.intp)
        while True:
            fill = fill_next(buf, owner)
            if fill == 0:
                tuner.finish()
                return acc.result()
            consume(buf, owner, fill)

    bufs = [np.empty((cap, n_features), dtype=dtype) for _ in range(2)]
    owners = [np.empty(cap, dtype=np.intp) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sksmooth-noise") as pool:
        pending = pool.submit(fill_next, bufs[0], owners[0])
        slot = 0
        while True:
            fill = pending.result()
            if fill == 0:
                break
            pending = pool.submit(fill_next, bufs[1 - slot], owners[1 - slot])
            try:
                consume(bufs[slot], owners[slot], fill)
            except BaseException:
                pending.cancel()
                raise
            slot = 1 - slot
    tuner.finish()
    return acc.result()
