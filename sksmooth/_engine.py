"""Counting base-model votes over noisy copies of inputs (DESIGN.md section 5).

The base model is called on the noisy rows of many inputs at once, in batches of
at most ``batch_size`` rows; votes are counted with ``np.bincount``. Python work
per input is limited to seeding its stream and one ``sample`` call per batch it
spans.
"""

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from ._random import generator

#: Bytes of noisy rows held at once when ``batch_size`` is None.
_AUTO_BATCH_BYTES = 32 * 2**20


def auto_batch_size(n_features):
    """Noisy rows per base-model call when the user gave none: about 32 MiB of float64."""
    return max(1024, _AUTO_BATCH_BYTES // (8 * max(1, n_features)))


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
):
    """Votes of the base model over ``n_draws`` noisy copies of each row of ``X``.

    Parameters
    ----------
    vote : callable
        Maps a 2-D array of noisy rows to class indices in ``[0, n_classes)``
        (counted), or to a float array of shape ``(n_rows, n_classes)`` of
        scores (summed per input; the counts are then float64).
    X : ndarray of shape (n_inputs, n_features)
        The clean inputs.
    noise : BaseNoise
        Draws and perturbs.
    n_draws : int
        Noisy copies per input.
    seeds : list of SeedSequence
        One per input: the input's noise stream.
    n_classes : int
    batch_size : int, default=None
        Most noisy rows per call to ``vote``; None picks :func:`auto_batch_size`.
    n_jobs : int, default=None
        Inputs are split into ``n_jobs`` contiguous groups run through
        ``sklearn.utils.parallel.Parallel`` (any joblib backend).
    progress : callable, default=None
        Called with the number of draws done after each batch (single job only).

    Returns
    -------
    counts : ndarray of shape (n_inputs, n_classes), dtype int64 (float64 for scores)
    """
    n_inputs, n_features = X.shape
    if n_inputs == 0:
        return np.zeros((0, n_classes), dtype=np.int64)
    batch = batch_size or auto_batch_size(n_features)
    n_groups = min(n_inputs, _effective_n_jobs(n_jobs))
    if n_groups <= 1:
        return _count_group(vote, X, noise, n_draws, seeds, n_classes, batch, progress)
    bounds = np.linspace(0, n_inputs, n_groups + 1).astype(int)
    parts = Parallel(n_jobs=n_jobs)(
        delayed(_count_group)(vote, X[lo:hi], noise, n_draws, seeds[lo:hi], n_classes, batch)
        for lo, hi in zip(bounds[:-1], bounds[1:])
    )
    return np.vstack(parts)


def _effective_n_jobs(n_jobs):
    from joblib import effective_n_jobs

    return effective_n_jobs(n_jobs)


def _count_group(vote, X, noise, n_draws, seeds, n_classes, batch, progress=None):
    """Count votes for a contiguous group of inputs, one batch of noisy rows at a time."""
    n_inputs, n_features = X.shape
    counts = np.zeros((n_inputs, n_classes), dtype=np.int64)
    size = min(batch, n_inputs * n_draws)
    buf = np.empty((size, n_features), dtype=np.float64)
    owner = np.empty(size, dtype=np.intp)
    fill = 0

    def flush(fill):
        nonlocal counts
        idx = np.asarray(vote(buf[:fill]))
        lo, hi = owner[0], owner[fill - 1] + 1
        if idx.ndim == 2:  # scores (soft vote): summed per input
            counts = counts.astype(np.float64, copy=False)
            for c in range(n_classes):
                counts[lo:hi, c] += np.bincount(
                    owner[:fill] - lo, weights=idx[:, c], minlength=hi - lo
                )
        else:
            flat = (owner[:fill] - lo) * n_classes + idx.astype(np.intp, copy=False)
            counts[lo:hi] += np.bincount(flat, minlength=(hi - lo) * n_classes).reshape(
                hi - lo, n_classes
            )
        if progress is not None:
            progress(fill)

    for i in range(n_inputs):
        rng = generator(seeds[i])
        row = X[i : i + 1]
        left = n_draws
        while left:
            take = min(left, size - fill)
            buf[fill : fill + take] = noise.perturb(row, noise.sample(take, n_features, rng))
            owner[fill : fill + take] = i
            fill += take
            left -= take
            if fill == size:
                flush(fill)
                fill = 0
    if fill:
        flush(fill)
    return counts
