"""Certified training of skorch nets: consistency, SmoothAdv and MACER losses (DESIGN.md §6).

``SmoothedClassifier(net, training=...)`` trains a skorch net with one of

* ``"noise"``: Gaussian data augmentation (Cohen et al., ICML 2019), the
  default, done by :class:`sksmooth._torch.NoisyCollate` (not here);
* ``"consistency"``: cross-entropy on ``m`` noisy copies plus a consistency
  regulariser (Jeong & Shin, NeurIPS 2020), :func:`consistency_term`;
* ``"smoothadv"``: cross-entropy on noisy copies of adversarial points found by
  PGD on the smoothed soft classifier (Salman et al., NeurIPS 2019),
  :func:`smoothadv_attack`;
* ``"macer"``: cross-entropy of the smoothed soft classifier plus a hinge on
  its certified radius (Zhai et al., ICLR 2020), :func:`macer_loss`.

How it plugs into skorch. The losses need the clean batch, the noise and the
module, so neither a criterion (it sees ``(y_pred, y_true)`` only) nor a
callback (it cannot change the loss) can hold them. ``fit`` therefore builds,
from the user's own net class, a subclass made once per class
(:func:`certified_class`) that overrides skorch's documented customisation
point, ``train_step_single``, and nothing else, and refits a copy of the net as
that class with every parameter of the user's net plus one,
``certified_training`` (a :class:`CertifiedTraining`). skorch's own
``train_step`` (zero_grad, optimizer step, ``on_grad_computed``), its
callbacks (early stopping, checkpoints, scoring), the validation step (clean
rows, the net's criterion), ``warm_start``, ``partial_fit`` and device
placement all stay skorch's; the user's overrides of ``infer`` and
``get_loss`` are used. The subclass pickles and clones like its base.

Noise is drawn on the net's device from one ``torch.Generator`` seeded from
``random_state`` (the training stream of :mod:`sksmooth._random`) and
advancing with every batch, as in :class:`~sksmooth._torch.NoisyCollate`:
every batch and every epoch gets fresh noise, and a fit is reproducible.

Nothing here imports torch or skorch at import time.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, validate_parameter_constraints

from . import _torch

#: The net-only methods, their hyperparameters' constraints and defaults.
#: Defaults follow the papers, with fewer noise draws (``m``) for small nets.
METHODS = {
    "consistency": {
        # Jeong & Shin 2020: m = 2, eta = 0.5; lambda = 3, what the authors' code advises with the
        # exact entropy of the mean (the paper's lambda = 10 collapsed a small MLP at sigma = 0.5
        # to 54% clean accuracy in benchmarks/bench_training.py).
        "m": ([Interval(Integral, 2, None, closed="left")], 2),
        "lambda": ([Interval(Real, 0, None, closed="left")], 3.0),
        "eta": ([Interval(Real, 0, None, closed="left")], 0.5),
    },
    "smoothadv": {
        # Salman et al. 2019: m in {1, 2, 4, 8}, epsilon in {0.25, ..., 2}, steps in {1, ..., 10}.
        "m": ([Interval(Integral, 1, None, closed="left")], 2),
        "epsilon": ([Interval(Real, 0, None, closed="neither")], 0.5),
        "steps": ([Interval(Integral, 1, None, closed="left")], 2),
        "step_size": ([Interval(Real, 0, None, closed="neither"), None], None),
    },
    "macer": {
        # Zhai et al. 2020: k = 16 draws (m here), lambda = 12, gamma = 8, beta = 16.
        "m": ([Interval(Integral, 1, None, closed="left")], 8),
        "lambda": ([Interval(Real, 0, None, closed="left")], 12.0),
        "gamma": ([Interval(Real, 0, None, closed="neither")], 8.0),
        "beta": ([Interval(Real, 0, None, closed="neither")], 16.0),
    },
}

TRAINING_METHODS = ("noise", *METHODS)


def check_training_params(training, training_params):
    """The full hyperparameters of ``training``: ``training_params`` over the defaults.

    Raises a ``ValueError`` naming the accepted keys for an unknown key, and
    sklearn's ``InvalidParameterError`` (a ``ValueError``) for a value out of
    range. ``training="noise"`` takes none (its copies are ``noise_augment``).

    Examples
    --------
    >>> from sksmooth._training import check_training_params
    >>> check_training_params("consistency", {"lambda": 5})
    {'m': 2, 'lambda': 5, 'eta': 0.5}
    """
    given = {} if training_params is None else dict(training_params)
    if training == "noise":
        if given:
            raise ValueError(
                f"training='noise' takes no training_params (got {sorted(given)}): its number "
                "of noisy copies is noise_augment. training_params configure 'consistency', "
                "'smoothadv' and 'macer'."
            )
        return {}
    if training not in METHODS:
        raise ValueError(f"training must be one of {TRAINING_METHODS}; got {training!r}.")
    spec = METHODS[training]
    unknown = sorted(set(given) - set(spec), key=str)
    if unknown:
        accepted = ", ".join(f"{key!r} (default {default!r})" for key, (_, default) in spec.items())
        raise ValueError(
            f"Unknown training_params {unknown} for training={training!r}; it accepts "
            f"{accepted}."
        )
    validate_parameter_constraints(
        {key: constraint for key, (constraint, _) in spec.items()},
        given,
        caller_name=f"training_params of training={training!r}",
    )
    return {key: given.get(key, default) for key, (_, default) in spec.items()}


def check_sklearn_base(training, training_params):
    """Raise a clear error unless ``training`` suits a scikit-learn (non-skorch) base estimator."""
    if training != "noise":
        raise ValueError(
            f"training={training!r} trains skorch neural nets only, but the base estimator is "
            "not a skorch net. Use training='noise' (noise_augment noisy copies of the "
            "training set) with a scikit-learn estimator, or pass a skorch NeuralNetClassifier."
        )
    check_training_params(training, training_params)


def check_noise(training, noise):
    """Raise a clear error unless ``noise`` can train with ``training``."""
    if not noise.device_sampler:
        raise ValueError(
            f"training={training!r} draws its noise on the net's device and needs a noise "
            f"family with its own sample_torch; {type(noise).__name__} has none. Use "
            "training='noise' (host sampling works there)."
        )
    if training == "smoothadv" and getattr(noise, "norm", None) != "l2":
        raise ValueError(
            "training='smoothadv' attacks in the l2 norm and needs a noise certifying l2 "
            f"radii (e.g. GaussianNoise with one sigma); {type(noise).__name__} has norm "
            f"{getattr(noise, 'norm', None)!r}."
        )
    if training == "macer" and not _scalar_gaussian(noise):
        raise ValueError(
            "training='macer' maximises the Gaussian radius sigma/2 (Phi^-1(pA) - Phi^-1(pB)) "
            f"and needs GaussianNoise with one sigma; got {type(noise).__name__}."
        )


def _scalar_gaussian(noise):
    from .noise import GaussianNoise

    return isinstance(noise, GaussianNoise) and np.ndim(noise.sigma) == 0


# ---------------------------------------------------------------- the losses
def log_probs(net, out):
    """Log class probabilities ``(n, n_classes)`` from the module's outputs, differentiably.

    A ``NeuralNetBinaryClassifier`` outputs one logit: ``[log(1 - s), log s]``
    with ``s`` its sigmoid. Otherwise the net's criterion says what the module
    outputs: logits for ``CrossEntropyLoss``, probabilities for ``NLLLoss``
    (skorch's default, which takes their log the same way).
    """
    import torch
    from torch import nn

    if isinstance(out, (tuple, list)):  # skorch's convention: the first output is the prediction
        out = out[0]
    if _torch._is_binary(net):
        z = out.reshape(-1)
        return torch.stack([nn.functional.logsigmoid(-z), nn.functional.logsigmoid(z)], dim=1)
    criterion = getattr(net, "criterion_", None)
    if isinstance(criterion, nn.CrossEntropyLoss):
        return out.log_softmax(dim=1)
    if isinstance(criterion, nn.NLLLoss):
        return out.clamp_min(torch.finfo(out.dtype).tiny).log()
    raise ValueError(
        "Certified training needs the net's class probabilities: train with "
        "criterion=torch.nn.CrossEntropyLoss (the module outputs logits), torch.nn.NLLLoss "
        "(it outputs probabilities) or a NeuralNetBinaryClassifier; got criterion "
        f"{type(criterion).__name__}."
    )


def _output(net, log_p):
    """Module-like outputs whose predictions are ``exp(log_p)`` (the y_pred callbacks see)."""
    from torch import nn

    if _torch._is_binary(net):
        return log_p[:, 1] - log_p[:, 0]  # the logit of p_1
    if isinstance(net.criterion_, nn.NLLLoss):
        return log_p.exp()
    return log_p


def smoothed_log_probs(log_p):
    """``log((1/m) sum_i p_i)`` from ``log_p`` of shape ``(m, n, C)``: the soft smoothed one."""
    return log_p.logsumexp(dim=0) - math.log(log_p.shape[0])


def consistency_term(log_p, lbd, eta):
    """``lbd * mean_i KL(p_bar || p_i) + eta * H(p_bar)``, averaged over the batch.

    Jeong & Shin, NeurIPS 2020 (their consistency loss L_con; p_bar the mean
    of the m noisy predictions p_i). ``log_p`` has shape ``(m, n, C)``.
    """
    log_bar = smoothed_log_probs(log_p)
    bar = log_bar.exp()
    kl = (bar * (log_bar - log_p)).sum(dim=-1).mean()  # mean over copies and rows
    entropy = -(bar * log_bar).sum(dim=-1).mean()
    return lbd * kl + eta * entropy


def macer_loss(log_p, y, sigma, lbd, gamma, beta):
    """MACER's loss: CE of the soft smoothed classifier + lbd * sigma/2 * hinge on its radius.

    Zhai et al., ICLR 2020 (the MACER objective, Algorithm 1): ``-log g_y`` with
    ``g`` the mean of the m softmax outputs; ``g^beta`` the mean of
    ``softmax(beta * logits)``; on rows where ``g^beta``'s top class is ``y``,
    ``xi = Phi^-1(top1) - Phi^-1(top2)`` and the hinge ``max(gamma - xi, 0)``.
    ``log_p`` has shape ``(m, n, C)``; the result is the batch mean.
    """
    import torch

    n = log_p.shape[1]
    nll = -smoothed_log_probs(log_p).gather(1, y.long().reshape(-1, 1)).sum()
    g_beta = (beta * log_p).softmax(dim=-1).mean(dim=0)  # softmax(beta * log p) = softmax(beta * z)
    top, idx = g_beta.topk(2, dim=1)
    # Clamped inside (0, 1): Phi^-1 is infinite at 0 and 1, and its infinite
    # gradient at a masked-out row would still make NaN gradients.
    finfo = torch.finfo(top.dtype)
    top = top.clamp(finfo.tiny, 1 - finfo.eps)
    xi = torch.special.ndtri(top[:, 0]) - torch.special.ndtri(top[:, 1])
    active = (idx[:, 0] == y.long()) & torch.isfinite(xi) & (xi < gamma)
    hinge = (gamma - xi[active]).sum() * sigma / 2
    return (nll + lbd * hinge) / n


def smoothed_nll(forward, X, y, draws, noise):
    """Per-row ``-log g_y(X)`` of the soft smoothed classifier on the given noise ``draws``.

    ``forward`` maps noisy rows ``(m * n, d)`` to log-probabilities; ``draws``
    has ``m * n`` rows, copy-major (copy ``i`` of row ``j`` is row ``i * n + j``).
    """
    n = X.shape[0]
    m = draws.shape[0] // n
    log_p = forward(noise.perturb(X.repeat(m, 1), draws)).reshape(m, n, -1)
    return -smoothed_log_probs(log_p).gather(1, y.long().reshape(-1, 1)).reshape(-1)


def smoothadv_attack(forward, X, y, draws, noise, epsilon, steps, step_size=None):
    """SmoothAdv's l2 PGD on the soft smoothed classifier; returns the perturbation.

    Salman et al., NeurIPS 2019 (SmoothAdv with PGD, the noise draws fixed
    over the attack): ``steps`` ascent steps of length ``step_size`` (default
    ``2 * epsilon / steps``) along the row-normalised gradient of
    :func:`smoothed_nll`, each projected on the l2 ball of radius ``epsilon``.
    Starts from ``X``; rows whose gradient is zero do not move.
    """
    import torch

    step = 2.0 * epsilon / steps if step_size is None else step_size
    delta = torch.zeros_like(X)
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = smoothed_nll(forward, X + delta, y, draws, noise).sum()
        (grad,) = torch.autograd.grad(loss, [delta])
        norm = grad.norm(dim=1, keepdim=True)
        grad = torch.where(norm > 0, grad / norm.clamp_min(1e-30), torch.zeros_like(grad))
        delta = (delta.detach() + step * grad).renorm(2, 0, epsilon)  # project rows on the ball
    return delta.detach()


# ------------------------------------------------------------ skorch glue
class CertifiedTraining(BaseEstimator):
    """The training step of a net trained by ``SmoothedClassifier(training=...)``.

    Parameters
    ----------
    method : {"consistency", "smoothadv", "macer"}
    params : dict
        The method's full hyperparameters (:func:`check_training_params`).
    noise : noise object
        A validated noise with ``sample_torch``.
    seed : int
        Seed of the torch generator of the training noise.
    """

    def __init__(self, method, params, noise, seed=0):
        self.method = method
        self.params = params
        self.noise = noise
        self.seed = seed

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_gen", None)
        state.pop("_gen_device", None)
        return state

    def generator(self, device):
        """The training generator on ``device``: made once, then advancing with every batch."""
        import torch

        if getattr(self, "_gen", None) is None or self._gen_device != str(device):
            seed = _torch.torch_seed(np.random.SeedSequence([self.seed]))
            self._gen = torch.Generator(device=device).manual_seed(seed)
            self._gen_device = str(device)
        return self._gen

    def draws(self, n_rows, n_features, device, dtype):
        """Fresh noise draws for ``n_rows`` noisy rows, on ``device``."""
        gen = self.generator(device)
        return self.noise.sample_torch(n_rows, n_features, gen, device, dtype)

    def step(self, net, X, y, set_training, **fit_params):
        """Loss and predictions of one training batch (the module in train mode on return).

        Returns skorch's ``{"loss": loss, "y_pred": y_pred}``; ``y_pred`` gives,
        through the net's nonlinearity, the mean prediction over the noisy copies.
        """
        from skorch.utils import to_tensor

        X = to_tensor(X, device=net.device)
        y = to_tensor(y, device=net.device)
        if not hasattr(X, "reshape"):
            raise TypeError(
                "Certified training needs one tensor of inputs per batch; got "
                f"{type(X).__name__}."
            )
        p, n = self.params, X.shape[0]
        flat = X.reshape(n, -1)
        m = p["m"]
        draws = self.draws(m * n, flat.shape[1], flat.device, flat.dtype)

        def infer(rows):
            return net.infer(rows.reshape(rows.shape[0], *X.shape[1:]), **fit_params)

        if self.method == "smoothadv":
            set_training(False)  # Salman et al. attack the model in eval mode
            try:
                delta = smoothadv_attack(
                    lambda rows: log_probs(net, infer(rows)), flat, y, draws, self.noise,
                    p["epsilon"], p["steps"], p["step_size"],
                )  # fmt: skip
            finally:
                set_training(True)
            flat = flat + delta
        noisy = self.noise.perturb(flat.repeat(m, 1), draws)
        out = infer(noisy)
        log_p = log_probs(net, out).reshape(m, n, -1)
        if self.method == "macer":
            loss = macer_loss(log_p, y, float(self.noise.sigma), p["lambda"], p["gamma"], p["beta"])
        else:
            y_rep = y.repeat(m, *([1] * (y.dim() - 1)))
            loss = net.get_loss(out, y_rep, X=noisy.reshape(m * n, *X.shape[1:]), training=True)
            if self.method == "consistency":
                loss = loss + consistency_term(log_p, p["lambda"], p["eta"])
        return {"loss": loss, "y_pred": _output(net, smoothed_log_probs(log_p).detach())}


class CertifiedStep:
    """Mixin of :func:`certified_class`: skorch's ``train_step_single`` with a certified loss.

    With ``certified_training=None`` the net trains exactly as its base class.
    """

    def __init__(self, *args, certified_training=None, **kwargs):
        self.certified_training = certified_training
        super().__init__(*args, **kwargs)

    def train_step_single(self, batch, **fit_params):
        if self.certified_training is None:
            return super().train_step_single(batch, **fit_params)
        from skorch.dataset import unpack_data

        self._set_training(True)
        Xi, yi = unpack_data(batch)
        step = self.certified_training.step(self, Xi, yi, self._set_training, **fit_params)
        step["loss"].backward()
        return step

    def __reduce__(self):
        # The class is made at run time: pickle it as "certified_class(base)" and skorch's state.
        return (_new_certified, (self._sksmooth_base,), self.__getstate__())


_CLASSES = {}


def certified_class(base):
    """The subclass of the skorch net class ``base`` that trains with a :class:`CertifiedTraining`.

    Made once per ``base`` (so ``clone`` and ``isinstance`` behave), named
    ``Certified<base name>``; ``base`` itself when it already is one.
    """
    if issubclass(base, CertifiedStep):
        return base
    cls = _CLASSES.get(base)
    if cls is None:
        name = f"Certified{base.__name__}"
        cls = type(name, (CertifiedStep, base), {"__module__": __name__, "__qualname__": name,
                                                  "_sksmooth_base": base})  # fmt: skip
        _CLASSES[base] = cls
    return cls


def _new_certified(base):
    cls = certified_class(base)
    return cls.__new__(cls)


def with_training(net, training, training_params, noise, noise_augment, seed):
    """A copy of the unfitted skorch ``net`` as its :func:`certified_class`, with ``training``."""
    params = check_training_params(training, training_params)
    if noise_augment != 1:
        raise ValueError(
            f"noise_augment={noise_augment} applies to training='noise' only; "
            f"training={training!r} trains on training_params['m'] noisy copies of each row "
            f"(now {params['m']}). Leave noise_augment at 1."
        )
    check_noise(training, noise)
    settings = net.get_params(deep=False)
    collate = settings.get("iterator_train__collate_fn")
    if isinstance(collate, _torch.NoisyCollate):  # a net trained by training="noise" before
        settings["iterator_train__collate_fn"] = collate.collate_fn
    settings["certified_training"] = CertifiedTraining(training, params, noise, seed)
    base = getattr(type(net), "_sksmooth_base", type(net))
    return certified_class(base)(**settings)
