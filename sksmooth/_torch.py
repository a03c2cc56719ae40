"""Counting votes of skorch/torch models with noise made on the model's device (DESIGN.md §5).

The numpy engine (:mod:`sksmooth._engine`) builds noisy rows on the host and
calls ``predict``. For a skorch net this module does the same counting on the
net's device instead: each input's noise comes from a ``torch.Generator`` on
that device, seeded from the input's own ``SeedSequence`` (DESIGN.md §4), the
noisy rows go through ``net.module_`` in eval mode under ``torch.no_grad`` in
batches of at most ``batch_size`` rows, votes are counted there (argmax and
``bincount``), and only the counts come back to the host.

Nothing here imports torch or skorch at import time: :func:`skorch_net` looks
for skorch among the modules already imported (a skorch net cannot exist
otherwise), and the rest imports torch when called.
"""

import sys
import time
import warnings

import numpy as np

from ._random import TRAIN, generator
from ._warnings import SmoothingWarning

#: Draws of one input made by one sampler call. Fixed (not tied to ``batch_size``)
#: so that the draws, hence the counts, do not depend on the batch size.
_BLOCK = 4096

#: Most bytes of noisy float32 rows per forward pass when ``batch_size`` is None.
_AUTO_BATCH_BYTES = 8 * 2**20

#: Bytes of noisy float32 rows of the first forward pass the tuner times.
_FIRST_BATCH_BYTES = 64 * 2**10


def skorch_net(estimator):
    """The skorch net behind ``estimator`` (itself, or inside ``FrozenEstimator``), or None."""
    if estimator is None or "skorch" not in sys.modules:
        return None
    from skorch import NeuralNet

    while True:
        if isinstance(estimator, NeuralNet):
            return estimator
        if _is_frozen(estimator):
            estimator = estimator.estimator
            continue
        return None


def _is_frozen(estimator):
    try:
        from sklearn.frozen import FrozenEstimator
    except ImportError:  # scikit-learn < 1.6
        return False
    return isinstance(estimator, FrozenEstimator)


def _is_binary(net):
    from skorch import NeuralNetBinaryClassifier

    return isinstance(net, NeuralNetBinaryClassifier)


def is_regressor(net):
    """Whether ``net`` is a skorch ``NeuralNetRegressor`` (``predict`` gives the module output)."""
    from skorch import NeuralNetRegressor

    return isinstance(net, NeuralNetRegressor)


def auto_batch_size(n_features):
    """Most noisy rows per forward pass when the user gave none: about 8 MiB of float32 rows.

    The batch itself is tuned below this cap by measured throughput
    (:func:`batch_tuner`): on a CPU the cap is usually far too large.
    """
    return int(min(65536, max(1024, _AUTO_BATCH_BYTES // (4 * max(1, n_features)))))


def batch_tuner(n_features, batch_size, memo=None):
    """The engine's :class:`~sksmooth._engine._BatchTuner` for forward passes.

    A user's ``batch_size`` is kept. Otherwise the ladder runs in doublings
    from about :data:`_FIRST_BATCH_BYTES` of float32 rows (at least 64 rows) to
    :func:`auto_batch_size`, each size judged by the wall time from one forward
    pass to the next less the time spent drawing noise (which does not depend
    on the batch size; synchronized on CUDA while tuning). Measured on a
    2-core CPU for an MLP 64-256-256-10: 1,024 rows forward 2.1 times as fast
    as the cap of 32,768 (benchmarks/bench_torch.py). With ``memo`` (the
    module and a key of the workload) the size settled on is reused by the
    module's later calls. A trial spans at least one block of draws
    (:data:`_BLOCK` rows: 16 passes of 256 rows), so that timer jitter on
    passes of a fraction of a millisecond does not decide.
    """
    from ._engine import _BatchTuner

    cap = auto_batch_size(n_features)
    first = max(64, _FIRST_BATCH_BYTES // (4 * max(1, n_features)))
    return _BatchTuner(
        n_features, batch_size, sizes=(min(first, cap), cap), memo=memo, window=_BLOCK
    )


def _module_device_dtype(net):
    """The device and floating dtype of ``net.module_`` (float32 if it has no parameters)."""
    import torch

    params = [p for p in net.module_.parameters() if p.is_floating_point()]
    if params:
        return params[0].device, params[0].dtype
    return torch.device(net.device or "cpu"), torch.float32


def torch_seed(seed):
    """A 64-bit ``torch.Generator`` seed from one input's ``SeedSequence``."""
    return int(seed.generate_state(1, np.uint64)[0])


# ---------------------------------------------------------------------- fit
def fit_net(
    estimator, X, y, classes, noise, noise_augment, random_state, entropy, params,
    training="noise", training_params=None,
):  # fmt: skip
    """Fit a skorch net (or accept a frozen one) for :class:`~sksmooth.SmoothedClassifier`.

    ``y`` is encoded as indices into ``classes`` (skorch predicts indices), ``X``
    cast to float32. With ``training="noise"`` and ``noise_augment > 0`` the
    net's training batches are noised afresh on every batch
    (:class:`NoisyCollate`); the other ``training`` methods refit a copy of the
    net whose train step draws the noise on the net's device and computes the
    method's loss (:func:`sksmooth._training.with_training`, which returns the
    fitted net). A net wrapped in
    ``FrozenEstimator`` is not refitted nor changed. ``random_state`` (not None)
    seeds torch's global generators for the fit inside ``torch.random.fork_rng``,
    so weight init and shuffling are reproducible and the caller's torch state
    is left untouched. The module's output width is checked against ``classes``.
    """
    import torch

    net = skorch_net(estimator)
    y_enc = np.searchsorted(classes, y)
    y_enc = y_enc.astype(np.float32 if _is_binary(net) else np.int64)
    X32 = np.asarray(X, dtype=np.float32)
    train_seed = np.random.SeedSequence(entropy, spawn_key=(TRAIN,))
    from . import _training

    _training.check_training_params(training, training_params)
    if training != "noise":
        if _is_frozen(estimator):
            raise ValueError(
                f"training={training!r} trains the net, but a net inside FrozenEstimator is "
                "never refitted. Pass the net itself, or use training='noise' (the default)."
            )
        estimator = net = _training.with_training(
            net, training, training_params, noise, noise_augment, torch_seed(train_seed)
        )
    elif getattr(net, "certified_training", None) is not None and not _is_frozen(estimator):
        net.set_params(certified_training=None)  # a net refitted from training=... before
    if training == "noise" and not _is_frozen(estimator) and noise_augment > 0:
        inner = net.get_params().get("iterator_train__collate_fn")
        if isinstance(inner, NoisyCollate):  # refit: replace ours, keep the user's
            inner = inner.collate_fn
        net.set_params(
            iterator_train__collate_fn=NoisyCollate(
                noise, n_copies=noise_augment, seed=torch_seed(train_seed), collate_fn=inner
            )
        )
    if random_state is None or _is_frozen(estimator):
        estimator.fit(X32, y_enc, **params)
    else:
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(int(entropy) % 2**63)
            estimator.fit(X32, y_enc, **params)
    check_output_width(net, X32[:1], len(classes))
    return estimator


class NoisyCollate:
    """A DataLoader ``collate_fn`` that noises every training batch afresh.

    It collates with ``collate_fn`` (torch's ``default_collate`` when None),
    repeats the batch ``n_copies`` times and perturbs each copy with fresh
    draws of ``noise``. The generator is seeded once
    from ``seed`` and advances with every batch, so every epoch sees new noise.
    In DataLoader worker processes the worker's own seed (which torch redraws
    every epoch) is mixed in, so workers do not repeat each other's noise.

    Parameters
    ----------
    noise : noise object
        Drawn with its ``sample_torch`` on the batch's device when it declares
        ``device_sampler``; otherwise on the host with ``sample`` (numpy generator).
    n_copies : int
        Noisy copies of each row in a batch.
    seed : int
        Seed of the torch generator.
    collate_fn : callable, default=None
        The collate function to wrap.
    """

    def __init__(self, noise, n_copies=1, seed=0, collate_fn=None):
        self.noise = noise
        self.n_copies = n_copies
        self.seed = seed
        self.collate_fn = collate_fn
        self._gen = None
        self._gen_key = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_gen"] = state["_gen_key"] = None
        return state

    def _generator(self, device):
        """This process's generator: torch's on ``device``, numpy's for host-sampled families."""
        import torch
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        key = (str(device), None if info is None else info.seed)
        if self._gen is None or self._gen_key != key:
            seed = np.random.SeedSequence(
                [self.seed] if info is None else [self.seed, info.seed % 2**63]
            )
            if self.noise.device_sampler:
                self._gen = torch.Generator(device=device).manual_seed(torch_seed(seed))
            else:
                self._gen = generator(seed)
            self._gen_key = key
        return self._gen

    def __call__(self, batch):
        import torch
        from torch.utils.data import default_collate

        Xb, yb = (self.collate_fn or default_collate)(batch)
        if self.n_copies > 1:
            Xb = Xb.repeat(self.n_copies, *([1] * (Xb.dim() - 1)))
            yb = yb.repeat(self.n_copies, *([1] * (yb.dim() - 1)))
        flat = Xb.reshape(Xb.shape[0], -1)
        gen = self._generator(Xb.device)
        if self.noise.device_sampler:
            noisy = self.noise.perturb(
                flat, self.noise.sample_torch(*flat.shape, gen, Xb.device, Xb.dtype)
            )
        else:  # host sampler: the family has no sample_torch yet
            host = flat.cpu().numpy()
            noisy = torch.as_tensor(
                np.asarray(self.noise.perturb(host, self.noise.sample(*flat.shape, gen)))
            ).to(device=Xb.device, dtype=Xb.dtype)
        return noisy.reshape(Xb.shape), yb


# ------------------------------------------------------------------- votes
def _exact_rows(X, device):
    """The clean inputs as float64 on ``device``, so that no rounding happens before the noise.

    The noisy rows are ``perturb(x, draws)`` in float64 (a float32 offset or a
    keep-mask promotes to the row's float64), cast to the module's dtype only
    when copied into the forward batch: the module sees ``round(x + eps)``,
    as on the numpy path, and the certificate is about the smoothed classifier
    of ``z -> module(round(z))`` at ``x``. Casting ``x`` first would certify
    ``round(x)`` instead (a float32 step is 0.0625 at 1e6).
    """
    import torch

    X = np.ascontiguousarray(X, dtype=np.float64)
    try:
        return torch.as_tensor(X, device=device)
    except (TypeError, RuntimeError) as exc:  # e.g. Apple MPS has no float64
        raise ValueError(
            f"The torch path keeps the inputs in float64 on the net's device so that the "
            f"certificate is about x and not x rounded to the module's dtype, but device "
            f"{device} cannot hold float64 tensors ({exc}). Certify on a device with float64 "
            "support (CPU or CUDA): set the net's device and move its module there."
        ) from exc


def check_output_width(net, X_rows, n_classes):
    """Raise a clear error unless ``net.module_`` gives one score per class."""
    import torch

    device, dtype = _module_device_dtype(net)
    module = net.module_
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            X_dev = torch.as_tensor(np.ascontiguousarray(X_rows), device=device).to(dtype)
            out = _forward(module, X_dev)
    finally:
        module.train(was_training)
    _check_out(net, out, X_rows.shape[0], n_classes)


def _forward(module, X):
    out = module(X)
    if isinstance(out, (tuple, list)):  # skorch's convention: the first output is the prediction
        out = out[0]
    return out


def _check_out(net, out, n_rows, n_classes):
    name = type(net).__name__
    if _is_binary(net):
        if n_classes != 2 or out.reshape(n_rows, -1).shape[1] != 1:
            raise ValueError(
                f"The module of {name} must output one logit per row (shape (n,) or (n, 1)) "
                f"and y must have 2 classes; got output shape {tuple(out.shape)} and "
                f"{n_classes} classes."
            )
        return
    if out.dim() != 2 or out.shape[0] != n_rows or out.shape[1] != n_classes:
        raise ValueError(
            f"The module of {name} outputs scores of shape {tuple(out.shape)} for {n_rows} "
            f"rows, but the smoothed classifier has {n_classes} classes: the module must "
            f"output {n_classes} scores per row (one per class of y, in sorted order). "
            f"Change the output layer of the module to {n_classes} units."
        )


def _votes(net, out, n_classes):
    """Class indices from module outputs, on the device (as ``net.predict`` decides)."""
    if _is_binary(net):  # skorch: predict = sigmoid(logit) > threshold
        return (net._get_predict_nonlinearity()(out.reshape(-1))[:, 1] > net.threshold).long()
    return out.argmax(dim=1)


#: Largest ``|sum - 1|`` of a row of class scores accepted by soft voting: float32
#: softmax rows sum to 1 within a few ``2**-24`` per class, far below it.
SCORE_SUM_TOL = 1e-4


def _scores(net, out, n_classes):
    """Class-probability rows from module outputs, on the device, in float64 (``predict_proba``).

    Soft smoothing's radius ``sigma * Phi^-1(pA_lower)`` needs the runner-up's
    mean score to be at most ``1 - pA``, i.e. score rows on the probability
    simplex (Salman et al., NeurIPS 2019, Lemma 2 applied to ``F_A`` and
    ``F_B <= 1 - F_A``). Rows must be finite, non-negative and sum to 1 within
    :data:`SCORE_SUM_TOL`; they are then divided by their float64 sum, so the
    averaged scores are exactly those of the normalized base ``F / sum(F)``
    (a change of at most ``1e-4``). Anything else (a sigmoid per class, raw
    logits) is an error: certificates from it could exceed the true flip point.
    """
    import torch

    scores = net._get_predict_nonlinearity()(out)
    scores = scores.reshape(out.shape[0], -1)
    name = type(net).__name__
    if scores.shape[1] != n_classes:
        raise ValueError(
            f"Soft smoothing needs one class score per class, but the predict nonlinearity "
            f"of {name} gave scores of shape {tuple(scores.shape)} for {n_classes} classes."
        )
    scores = scores.to(dtype=torch.float64)
    total = scores.sum(dim=1)
    in_unit = bool(((scores >= 0) & (scores <= 1)).all())
    on_simplex = in_unit and bool(((total - 1).abs() <= SCORE_SUM_TOL).all())
    if not on_simplex:
        worst = float((total - 1).abs().max()) if bool(total.isfinite().all()) else float("nan")
        raise ValueError(
            f"Soft smoothing needs probability vectors: class scores in [0, 1] that sum to 1 "
            f"in every row (within {SCORE_SUM_TOL:g}), but the predict nonlinearity of {name} "
            f"gave scores {'outside [0, 1]' if not in_unit else 'whose rows do not sum to 1'} "
            f"(largest |row sum - 1| = {worst:.3g}). The soft radius sigma * Phi^-1(pA) is "
            "only valid on the simplex: set predict_nonlinearity='auto' (softmax for "
            "CrossEntropyLoss) or a softmax over the classes, or use vote='hard'."
        )
    return scores / total[:, None]


def _outputs(net, out):
    """One float64 per row from module outputs, on the device, as ``net.predict`` gives them.

    skorch's ``NeuralNetRegressor.predict`` is its ``predict_proba``: the
    module output through the predict nonlinearity (the identity for a
    regression loss). Regression smoothing needs one number per row.
    """
    import torch

    n_rows = out.shape[0]
    values = net._get_predict_nonlinearity()(out).reshape(n_rows, -1)
    if values.shape[1] != 1:
        raise ValueError(
            f"SmoothedRegressor needs one output per row, but the module of "
            f"{type(net).__name__} outputs shape {tuple(out.shape)} for {n_rows} rows; "
            "change its output layer to 1 unit (output shape (n,) or (n, 1))."
        )
    return values[:, 0].to(dtype=torch.float64)


def numpy_vote(net):
    """The numpy engine's vote function for a skorch net: class indices from ``predict_proba``."""

    def vote(X_noisy):
        proba = net.predict_proba(np.asarray(X_noisy, dtype=np.float32))
        if _is_binary(net):
            return (proba[:, 1] > net.threshold).astype(np.intp)
        return np.argmax(proba, axis=1)

    return vote


def count_votes(
    net, X, noise, n_draws, seeds, n_classes, *, batch_size=None, progress=None, soft=False
):
    """Votes of ``net.module_`` over ``n_draws`` noisy copies of each row of ``X``, on its device.

    With ``soft=True`` it sums the net's class scores (its ``predict_proba``
    nonlinearity, e.g. softmax, applied on the device) instead of counting
    argmax votes: the sums behind soft smoothing (Salman et al., NeurIPS 2019).

    Parameters
    ----------
    net : skorch.NeuralNet
        An initialized (fitted) net.
    X : ndarray of shape (n_inputs, n_features)
        The clean inputs. They stay float64 on the device: each noisy row is
        ``x + eps`` computed in float64 and only then cast to the module's
        dtype (never the module to theirs), so the votes are those of the base
        classifier ``z -> module(round(z))`` at ``x`` itself, not at ``x``
        rounded to float32 (see :func:`_exact_rows`).
    noise : noise object
        Where it declares ``device_sampler`` the draws are made on the device
        with ``sample_torch``; a family without one is sampled on the host with ``sample`` (the numpy engine's draws) and
        copied over, with a :class:`~sksmooth.SmoothingWarning`.
    n_draws : int
    seeds : list of SeedSequence
        One per input: the input's noise stream.
    n_classes : int
    batch_size : int, default=None
        Most noisy rows per forward pass; None tunes it by measured throughput
        up to :func:`auto_batch_size` (:func:`batch_tuner`). The draws, hence
        the noisy rows, do not depend on it.
    progress : callable, default=None
        Called with the number of draws done after each forward pass.
    soft : bool, default=False
        Sum class-probability rows (non-negative, summing to 1 within
        :data:`SCORE_SUM_TOL`; see :func:`_scores`) instead of counting votes.

    Returns
    -------
    counts : ndarray of shape (n_inputs, n_classes)
        int64 vote counts; with ``soft=True``, float64 sums of scores (divide by
        ``n_draws`` for mean scores).
    """
    return _reduce(
        net, X, noise, n_draws, seeds, n_classes, "scores" if soft else "counts",
        batch_size=batch_size, progress=progress,
    )  # fmt: skip


def collect_outputs(net, X, noise, n_draws, seeds, *, batch_size=None, progress=None):
    """Every output of a regressor net's module over ``n_draws`` noisy copies of each row of ``X``.

    The device counterpart of :func:`sksmooth._engine.collect_outputs` for a
    skorch ``NeuralNetRegressor``: the noisy rows are those of
    :func:`count_votes` (same per-input streams, float64 rows rounded once to
    the module's dtype), each row's output (``net.predict``'s: the module
    output through its predict nonlinearity) is written, in draw order, into
    an ``(n_inputs, n_draws)`` float64 tensor on the device, copied back once.
    The noisy rows do not depend on ``batch_size``; the outputs only through
    the module's float32 rounding, which can change by an ulp with the shape of
    the forward batch (measured: 1.2e-7 for an MLP at ``batch_size=1``).

    Parameters
    ----------
    net : skorch.NeuralNetRegressor
        An initialized (fitted) net whose module outputs one number per row.
    X, noise, n_draws, seeds, batch_size, progress
        As in :func:`count_votes`.

    Returns
    -------
    outputs : ndarray of shape (n_inputs, n_draws)
        float64; row ``i`` holds input ``i``'s outputs in draw order. Memory:
        ``8 * n_inputs * n_draws`` bytes, on the device and on the host.
    """
    return _reduce(
        net, X, noise, n_draws, seeds, 0, "outputs", batch_size=batch_size, progress=progress
    )


def _reduce(net, X, noise, n_draws, seeds, n_classes, reduction, *, batch_size, progress):
    """The device loop behind :func:`count_votes` and :func:`collect_outputs`.

    Rows are produced input after input, draw after draw, so buffer row ``k``
    of a forward pass is flat draw ``pos + k`` of the ``(n_inputs, n_draws)``
    outputs, ``pos`` the rows done before it.
    """
    import torch

    soft, outputs = reduction == "scores", reduction == "outputs"
    n_inputs, n_features = X.shape
    if n_inputs == 0:
        if outputs:
            return np.zeros((0, n_draws), dtype=np.float64)
        return np.zeros((0, n_classes), dtype=np.float64 if soft else np.int64)
    device, dtype = _module_device_dtype(net)
    on_device = noise.device_sampler
    if not on_device:
        warnings.warn(
            f"{type(noise).__name__} has no torch sampler of its own (sample_torch): its "
            "noise is drawn on the host with numpy and copied to the device, which is slower.",
            SmoothingWarning,
            stacklevel=4,
        )
    module = net.module_
    workload = ("device", n_features, n_classes, reduction, str(device), str(dtype))
    tuner = batch_tuner(n_features, batch_size, memo=(module, workload))
    cap = min(tuner.cap, n_inputs * n_draws)
    size = min(tuner.size, cap)
    X_dev = _exact_rows(X, device)
    counts = None if outputs else torch.zeros(
        n_inputs * n_classes, dtype=torch.int64, device=device
    )
    values = torch.empty(n_inputs * n_draws, dtype=torch.float64, device=device) if outputs \
        else None
    pos = 0  # flat draws flushed so far (outputs)
    sums = torch.zeros((n_inputs, n_classes), dtype=torch.float64, device=device) if soft else None
    buf = torch.empty((cap, n_features), dtype=dtype, device=device)
    owner = torch.empty(cap, dtype=torch.int64, device=device)
    # Declared additive draws are added to the float64 row in a float64 scratch block
    # and rounded once to the module's dtype into the batch (three vectorized passes,
    # measured 2x faster than one mixed-dtype add on a CPU).
    add_into = on_device and noise.additive
    scratch = torch.empty((_BLOCK, n_features), dtype=torch.float64, device=device) \
        if add_into else None
    was_training = module.training
    module.eval()

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    last = []  # (wall clock, rows) at the previous forward pass, while tuning
    drawing = [0.0]  # seconds spent drawing noise since then

    def flush(fill, lo, hi):
        nonlocal pos
        # The tuner sees the wall time from one forward pass to the next, less the time
        # spent drawing noise: the pass, the counting, the copies into the batch and the
        # per-batch Python work, all of which depend on the batch size. The draws do
        # not (fixed blocks of _BLOCK draws per input), and timing them per batch would
        # make batches smaller than a block look fast whenever no block was drawn.
        if not tuner.settled:
            sync()
            now = time.perf_counter()
            if last:
                tuner.record(last[1], now - last[0] - drawing[0])
            last[:] = [now, fill]
            drawing[0] = 0.0
        out = _forward(module, buf[:fill])
        if outputs:
            values[pos : pos + fill] = _outputs(net, out)
            pos += fill
        elif soft:
            _check_out(net, out, fill, n_classes)
            sums.index_add_(0, owner[:fill], _scores(net, out, n_classes))
        else:
            _check_out(net, out, fill, n_classes)
            flat = (owner[:fill] - lo) * n_classes + _votes(net, out, n_classes)
            width = (hi - lo) * n_classes
            counts[lo * n_classes : hi * n_classes] += torch.bincount(flat, minlength=width)
        if progress is not None:
            progress(fill)
        return min(tuner.size, cap)

    try:
        with torch.no_grad():
            fill = lo = 0  # rows in the buffer; first input they belong to
            for i in range(n_inputs):
                if on_device:
                    gen = torch.Generator(device=device).manual_seed(torch_seed(seeds[i]))
                else:
                    rng = generator(seeds[i])
                row = X_dev[i : i + 1]
                left = n_draws
                while left:
                    take = min(left, _BLOCK)
                    timing = not tuner.settled
                    if timing:
                        sync()
                        start = time.perf_counter()
                    if on_device:
                        draws = noise.sample_torch(take, n_features, gen, device, dtype)
                    else:
                        host = noise.perturb(X[i : i + 1], noise.sample(take, n_features, rng))
                        host = np.ascontiguousarray(host)
                        noisy = torch.as_tensor(host, device=device).to(dtype)
                    if timing:
                        sync()
                        drawing[0] += time.perf_counter() - start
                    left -= take
                    done = 0
                    while done < take:  # a block may straddle forward passes
                        put = min(take - done, size - fill)
                        if add_into:  # float64 row + draws, rounded once to dtype into buf
                            part = scratch[:put]
                            part.copy_(draws[done : done + put]).add_(row)
                            buf[fill : fill + put].copy_(part)
                        elif on_device:
                            buf[fill : fill + put] = noise.perturb(row, draws[done : done + put])
                        else:
                            buf[fill : fill + put] = noisy[done : done + put]
                        owner[fill : fill + put] = i
                        fill += put
                        done += put
                        if fill == size:
                            size = flush(fill, lo, i + 1)
                            fill, lo = 0, i if left or done < take else i + 1
            if fill:
                flush(fill, lo, n_inputs)
        tuner.finish()
    finally:
        module.train(was_training)
    if outputs:
        return values.reshape(n_inputs, n_draws).cpu().numpy()
    if soft:
        return sums.cpu().numpy()
    return counts.reshape(n_inputs, n_classes).cpu().numpy()
