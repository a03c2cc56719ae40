"""The one front door of Monte Carlo smoothing (DESIGN.md section 3).

The estimators call :func:`evaluate` with the inputs, the noise, the draws, the
per-input seeds and a reduction; it picks the implementation — the numpy
engine (:mod:`sksmooth._engine`: host noise, any base model) or the device
engine (:mod:`sksmooth._torch`: a skorch net, noise drawn on its device) — and
the dtype of the noisy rows (float32 for base models that round to float32
anyway, :func:`~sksmooth._engine.float32_exact`). Both implementations give
each input its own noise stream from its seed, so results do not depend on
batching, row order or ``n_jobs``.
"""

import functools
import threading
from contextlib import contextmanager

import numpy as np

from . import _engine, _torch

#: The per-input reductions: vote counts, summed class scores, every output in draw order.
REDUCTIONS = ("counts", "scores", "outputs")

#: The implementations :func:`evaluate` can use.
ENGINES = ("auto", "numpy", "torch")

#: Test hook: when set to ``"numpy"`` or ``"torch"`` it replaces ``engine="auto"``
#: (tests compare the two engines on one model). Production code never sets it.
_FORCE_ENGINE = None


def choose_engine(estimator, reduction, engine="auto"):
    """``"numpy"`` or ``"torch"``: the implementation :func:`evaluate` uses.

    ``"auto"`` takes the device engine for skorch nets counting votes or
    scores and for a skorch ``NeuralNetRegressor`` collecting outputs, the
    numpy engine otherwise. An explicit ``"torch"`` needs one of those.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}.")
    if engine == "auto" and _FORCE_ENGINE is not None:
        engine = _FORCE_ENGINE
    net = _torch.skorch_net(estimator)
    on_device = net is not None and (reduction != "outputs" or _torch.is_regressor(net))
    if engine == "auto":
        return "torch" if on_device else "numpy"
    if engine == "torch" and not on_device:
        raise ValueError(
            "engine='torch' counts votes or scores of a skorch net, or collects the outputs "
            f"of a skorch NeuralNetRegressor, on its device; got {type(estimator).__name__} "
            f"with reduction={reduction!r}."
        )
    return engine


def evaluate(
    estimator, base_output, X, noise, n_draws, seeds, reduction, *, n_classes=0,
    batch_size=None, n_jobs=None, progress=None, engine="auto", dtype=None,
):  # fmt: skip
    """The base model over ``n_draws`` noisy copies of each row of ``X``, reduced per input.

    Parameters
    ----------
    estimator : fitted estimator
        The base model: decides the engine (a skorch net runs on its device)
        and the dtype of the noisy rows.
    base_output : callable
        The numpy engine's base-model call on a 2-D array of noisy rows: class
        indices in ``[0, n_classes)`` (``"counts"``), class scores of shape
        ``(n_rows, n_classes)`` (``"scores"``) or one float per row
        (``"outputs"``). The device engine calls ``estimator``'s module itself
        (:func:`~sksmooth._torch.count_votes`, :func:`~sksmooth._torch.collect_outputs`).
    X : ndarray of shape (n_inputs, n_features)
        The clean, validated inputs.
    noise : BaseNoise
        A validated noise.
    n_draws : int
    seeds : sequence of SeedSequence
        One per input: the input's noise stream.
    reduction : {"counts", "scores", "outputs"}
    n_classes : int, default=0
        Width of the counts or scores (ignored for ``"outputs"``).
    batch_size : int, default=None
        Most noisy rows per base-model call; None lets the engine choose.
    n_jobs : int, default=None
        Parallel groups of inputs (numpy engine).
    progress : callable, default=None
        Called with the number of draws done after each batch.
    engine : {"auto", "numpy", "torch"}, default="auto"
        The implementation; see :func:`choose_engine`.
    dtype : {None, np.float32, np.float64}, default=None
        Dtype of the numpy engine's noisy rows; None: float32 for base models
        that round their input to float32 anyway (:func:`~sksmooth._engine.float32_exact`),
        float64 otherwise.

    Returns
    -------
    result : ndarray
        ``(n_inputs, n_classes)`` int64 counts or float64 score sums, or
        ``(n_inputs, n_draws)`` float64 outputs in draw order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from sksmooth import GaussianNoise
    >>> from sksmooth._montecarlo import evaluate
    >>> from sksmooth._random import RowSeeds, row_keys
    >>> X = np.array([[-3.0], [3.0]])
    >>> seeds = RowSeeds(row_keys(X), 0, (1,))
    >>> votes = lambda Z: (Z[:, 0] > 0).astype(int)
    >>> evaluate(DummyClassifier(), votes, X, GaussianNoise(0.5), 100, seeds, "counts",
    ...          n_classes=2)
    array([[100,   0],
           [  0, 100]])
    """
    engine = choose_engine(estimator, reduction, engine)
    if engine == "torch" and reduction == "outputs":
        return _torch.collect_outputs(
            _torch.skorch_net(estimator), X, noise, n_draws, seeds, batch_size=batch_size,
            progress=progress,
        )  # fmt: skip
    if engine == "torch":
        return _torch.count_votes(
            _torch.skorch_net(estimator), X, noise, n_draws, seeds, n_classes,
            batch_size=batch_size, progress=progress, soft=reduction == "scores",
        )  # fmt: skip
    if dtype is None:
        dtype = np.float32 if _engine.float32_exact(estimator) else np.float64
    if reduction == "outputs":
        return _engine.collect_outputs(
            base_output, X, noise, n_draws, seeds, batch_size=batch_size, n_jobs=n_jobs,
            progress=progress, dtype=dtype, model=estimator,
        )  # fmt: skip
    return _engine.count_votes(
        base_output, X, noise, n_draws, seeds, n_classes, batch_size=batch_size,
        n_jobs=n_jobs, progress=progress, dtype=dtype, model=estimator,
    )  # fmt: skip


#: The bar of the public call running in this thread (one bar per public call).
_ACTIVE = threading.local()


def _tqdm():
    """tqdm's notebook bar where ipywidgets is installed, its text bar elsewhere.

    ``tqdm.auto`` in a notebook without ipywidgets warns "IProgress not found"
    and prints a text bar anyway; this picks the text bar directly.
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm


@contextmanager
def progress_bar(verbose, total):
    """A tqdm bar's ``update`` while ``verbose`` and there is work, else None; closed on exit.

    Inside :func:`one_bar` (a public call), every Monte Carlo pass adds its
    draws to that call's single bar instead of opening its own.
    """
    outer = getattr(_ACTIVE, "bar", None)
    if outer is not None:
        if total:
            outer.total += total
            outer.refresh()
        yield outer.update if total else None
        return
    if not verbose or not total:
        yield None
        return
    bar = _tqdm()(total=total, unit="draws", desc="sksmooth", leave=False)
    try:
        yield bar.update
    finally:
        bar.close()


def one_bar(method):
    """Decorator of public methods: all their Monte Carlo passes share one progress bar."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.verbose or getattr(_ACTIVE, "bar", None) is not None:
            return method(self, *args, **kwargs)
        bar = _tqdm()(total=0, unit="draws", desc="sksmooth", leave=False)
        _ACTIVE.bar = bar
        try:
            return method(self, *args, **kwargs)
        finally:
            _ACTIVE.bar = None
            bar.close()

    return wrapper
