"""Random ablation of features (keep-masks), certified in the l0 "norm"."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import BaseNoise

# A tiny slack so that rounding in Delta(rho) can only shrink a radius, never grow it.
_SLACK = 1e-12

#: Bits of the integer uniforms behind the torch Bernoulli keep-masks: keys are
#: uniform on ``[0, 2**31)`` (``torch.randint`` over a power-of-two range is exact).
_KEY_BITS = 31


def keep_threshold(keep_prob, bits):
    """Largest integer ``T`` with ``T / 2**bits <= keep_prob``: keep iff a key < ``T``.

    With keys uniform on the integers ``[0, 2**bits)`` (or ``k * 2**-bits``
    floats), ``P[key < T] = T / 2**bits`` exactly, never above ``keep_prob`` and
    less than ``2**-bits`` below it, so ``Delta(rho) = 1 - (1 - keep_prob)^rho``
    stays an upper bound on the true one. ``keep_prob * 2**bits`` is exact in
    float64 (a power-of-two scaling), so is its floor.

    Examples
    --------
    >>> from sksmooth.noise._subspace import keep_threshold
    >>> keep_threshold(0.1, 24), int(0.1 * 2**24)  # 0.1 * 2**24 = 1677721.6
    (1677721, 1677721)
    >>> keep_threshold(0.5, 31) == 2**30
    True
    """
    return int(np.floor(np.float64(keep_prob) * 2.0**bits))


def _apply_mask(X, keep, fill_value):
    """``X`` where ``keep`` is True, ``fill_value`` elsewhere (numpy, or torch tensors)."""
    if not type(X).__module__.startswith("torch"):
        return np.where(keep, np.asarray(X, dtype=np.float64), fill_value)
    import torch

    fill = torch.tensor(float(fill_value), dtype=X.dtype, device=X.device)
    return torch.where(torch.as_tensor(keep, device=X.device), X, fill)


def _largest_rho(margin, survive):
    """Largest ``rho >= 0`` with ``Delta(rho) = 1 - survive[rho] < margin``; -1 where none.

    ``survive`` is decreasing with ``survive[0] = 1``, so the certified radii
    are a prefix of it.
    """
    margin = np.asarray(margin, dtype=np.float64)
    delta = 1.0 - survive
    # number of rho with delta[rho] + slack < margin, minus one (rho = 0 counts).
    return np.searchsorted(delta + _SLACK, margin, side="left").astype(np.float64) - 1.0


class _MaskNoise(BaseNoise):
    norm = "l0"

    def perturb(self, X, draws):
        """``X`` where the keep-mask ``draws`` is True, ``fill_value`` elsewhere."""
        return _apply_mask(X, draws, self.fill_value)

    def radius(self, p_lower, p_upper):
        """Largest integer ``rho >= 0`` with ``pA - Delta(rho) > pB + Delta(rho)``, else 0.

        A radius of 0 (the prediction holds at ``x`` but one changed feature
        could already flip it) is reported as 0: the classifier returns the
        class, certified at ``x`` only (it abstains when ``pA_lower <= 1/2``).
        """
        p_lower = np.asarray(p_lower, dtype=np.float64)
        p_upper = np.asarray(p_upper, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            rho = _largest_rho(0.5 * (p_lower - p_upper), self._survive())
        return np.where(np.isnan(p_lower) | np.isnan(p_upper), np.nan, np.maximum(rho, 0.0))

    def worst_case_probability(self, p, radius):
        """``max(0, p - Delta(floor(radius)))``: changing ``rho`` features moves any probability by at most ``Delta(rho)``.

        Levine & Feizi (AAAI 2020), Theorem 1: draws that keep none of the
        changed features give identical ablated inputs. The same rounding slack
        as :meth:`radius`, so ``worst_case_probability(pA, rho) > 1/2`` exactly
        when ``rho <= radius(pA, 1 - pA)``.
        """
        p = np.asarray(p, dtype=np.float64)
        rho = np.floor(np.asarray(radius, dtype=np.float64))
        survive = self._survive()
        idx = np.clip(np.nan_to_num(rho, nan=0.0, posinf=survive.size), 0, survive.size)
        padded = np.append(survive, 0.0)
        delta = 1.0 - padded[idx.astype(np.intp)]
        return np.clip(p - delta - _SLACK, 0.0, 1.0)


class SubspaceNoise(_MaskNoise):
    """Random ablation: each draw keeps ``n_keep`` of the d features, the rest get ``fill_value``.

    The kept features are chosen uniformly at random without replacement. If
    an attacker changes ``rho`` features (to any values), a draw avoids all of
    them with probability ``C(d - rho, k) / C(d, k)``, and on those draws the
    ablated inputs are identical; so the class probabilities move by at most
    ``Delta(rho) = 1 - C(d - rho, k) / C(d, k)``. The certified radius is the
    largest integer ``rho`` with ``pA - Delta(rho) > pB + Delta(rho)``, with
    ``pB = 1 - pA``: ``pA - Delta(rho) > 1/2`` (Levine & Feizi, AAAI 2020,
    Theorem 1). The radius counts features (the l0 "norm").

    Parameters
    ----------
    n_keep : int, default=1
        Features kept per draw, ``k``; at most the number of features.
        Smaller ``k`` gives larger radii and a harder task for the base model.
    fill_value : float, default=0.0
        Value given to the ablated features. ``np.nan`` suits estimators that
        handle missing values natively (e.g. ``HistGradientBoostingClassifier``),
        which then tell ablated from observed values; 0.0 is the mean of
        standardized features.

    Attributes
    ----------
    norm : str
        ``"l0"``: the radius is a number of features.

    See Also
    --------
    BernoulliMaskNoise : Each feature kept independently with a probability.

    Notes
    -----
    The base model should be trained on ablated inputs (``noise_augment > 0``,
    ideally several copies). A radius of 0 with a class (``pA_lower`` above 1/2
    but changing one feature could already flip the vote) is not an
    abstention: the class is certified at ``x`` itself (the smoothed
    classifier returns it there with probability at least ``1 - alpha``), just
    not robust to any changed feature. The classifier abstains only where
    ``pA_lower <= 1/2``.

    Examples
    --------
    >>> from sksmooth import SubspaceNoise
    >>> noise = SubspaceNoise(n_keep=2, fill_value=float("nan"))
    >>> noise.validate(20).norm
    'l0'
    >>> noise.radius(0.99, 0.01)  # largest rho with C(20 - rho, 2) / C(20, 2) > 0.51
    array(5.)
    """

    _parameter_constraints = {
        "n_keep": [Interval(Integral, 1, None, closed="left")],
        "fill_value": [Real],
    }

    def __init__(self, n_keep=1, *, fill_value=0.0):
        self.n_keep = n_keep
        self.fill_value = fill_value

    def validate(self, n_features, feature_names=None):
        """Check ``n_keep <= n_features``; return self."""
        self._validate_params()
        if self.n_keep > n_features:
            raise ValueError(
                f"n_keep={self.n_keep} exceeds the {n_features} features of X; pass "
                f"n_keep <= {n_features}."
            )
        self.n_features_ = int(n_features)
        return self

    def sample(self, n_draws, n_features, rng):
        """Boolean keep-masks ``(n_draws, n_features)`` with ``n_keep`` True per row.

        Each row ranks ``n_features`` uniform numbers and keeps the ``n_keep``
        smallest, so consecutive calls give the same masks as one call.
        """
        if self.n_keep > n_features:
            raise ValueError(f"n_keep={self.n_keep} exceeds n_features={n_features}.")
        keys = rng.random((n_draws, n_features))
        keep = np.zeros((n_draws, n_features), dtype=bool)
        if self.n_keep == n_features:
            keep[:] = True
            return keep
        cols = np.argpartition(keys, self.n_keep - 1, axis=1)[:, : self.n_keep]
        np.put_along_axis(keep, cols, True, axis=1)
        return keep

    def sample_torch(self, n_draws, n_features, generator, device, dtype):
        """Boolean keep-masks with ``n_keep`` True per row, drawn on ``device``.

        Each row keeps the features of its ``n_keep`` smallest i.i.d. uniform
        keys. float32 keys can tie; a tie inside the kept or the dropped set
        changes nothing, but one between the ``n_keep``-th and the next key
        would let the sort order decide. Such rows get fresh keys until no tie
        is left: given that event (symmetric in the features), the kept set is
        exactly uniform over the ``C(d, k)`` subsets, since the keys are
        exchangeable whatever their grid.
        """
        import torch

        if self.n_keep > n_features:
            raise ValueError(f"n_keep={self.n_keep} exceeds n_features={n_features}.")
        k = self.n_keep
        if k == n_features:
            return torch.ones((n_draws, n_features), dtype=torch.bool, device=device)
        keys = torch.rand((n_draws, n_features), generator=generator, device=device)
        cut = _cut_values(keys, k)
        tied = cut[:, 0] == cut[:, 1]
        while bool(tied.any()):
            rows = tied.nonzero().reshape(-1)
            keys[rows] = torch.rand((rows.numel(), n_features), generator=generator,
                                    device=device, dtype=keys.dtype)  # fmt: skip
            cut[rows] = _cut_values(keys[rows], k)
            tied = cut[:, 0] == cut[:, 1]
        return keys <= cut[:, :1]

    def _survive(self):
        """``C(d - rho, k) / C(d, k)`` for ``rho = 0 .. d - k + 1`` (0 from ``d - k + 1`` on)."""
        d = getattr(self, "n_features_", None)
        if d is None:
            raise ValueError("Call validate(n_features) first: the radius depends on d.")
        k = self.n_keep
        rho = np.arange(d - k + 1)
        # C(d - rho, k) / C(d, k) = prod_{i < rho} (d - k - i) / (d - i)  (Levine & Feizi, Thm 1)
        ratios = (d - k - rho) / (d - rho)
        return np.concatenate([[1.0], np.cumprod(ratios)])


def _cut_values(keys, k):
    """The ``k``-th and ``(k + 1)``-th smallest key of each row, shape ``(n, 2)`` (torch)."""
    return keys.topk(k + 1, dim=1, largest=False, sorted=True).values[:, k - 1 :]


class BernoulliMaskNoise(_MaskNoise):
    """Dropout-style ablation: each feature kept with probability ``keep_prob``, else filled.

    A draw avoids ``rho`` changed features with probability
    ``(1 - keep_prob)^rho``, so the class probabilities move by at most
    ``Delta(rho) = 1 - (1 - keep_prob)^rho``; the certified radius is the
    largest integer ``rho <= d`` with ``pA - Delta(rho) > pB + Delta(rho)``
    (the argument of Levine & Feizi, AAAI 2020, Theorem 1, with independent
    keeps). The radius counts features (the l0 "norm").

    Parameters
    ----------
    keep_prob : float, default=0.1
        Probability that a feature is kept, in (0, 1).
    fill_value : float, default=0.0
        Value given to the dropped features (``np.nan`` for estimators that
        handle missing values).

    Attributes
    ----------
    norm : str
        ``"l0"``: the radius is a number of features.

    See Also
    --------
    SubspaceNoise : Exactly ``n_keep`` features kept per draw.

    Examples
    --------
    >>> from sksmooth import BernoulliMaskNoise
    >>> noise = BernoulliMaskNoise(keep_prob=0.1).validate(20)
    >>> noise.radius(0.99, 0.01)  # largest rho with 0.9 ** rho > 0.51
    array(6.)
    """

    _parameter_constraints = {
        "keep_prob": [Interval(Real, 0, 1, closed="neither")],
        "fill_value": [Real],
    }

    def __init__(self, keep_prob=0.1, *, fill_value=0.0):
        self.keep_prob = keep_prob
        self.fill_value = fill_value

    def validate(self, n_features, feature_names=None):
        """Check the parameters; return self."""
        self._validate_params()
        self.n_features_ = int(n_features)
        return self

    def sample(self, n_draws, n_features, rng):
        """Boolean keep-masks ``(n_draws, n_features)``, True w.p. at most ``keep_prob`` each.

        numpy's uniforms are ``k * 2**-53``; comparing them with the threshold
        ``keep_threshold(keep_prob, 53) * 2**-53`` keeps with probability
        ``floor(keep_prob * 2**53) / 2**53 <= keep_prob`` exactly (comparing
        with ``keep_prob`` itself would round up by up to ``2**-53``).
        """
        threshold = keep_threshold(self.keep_prob, 53) * 2.0**-53
        return rng.random((n_draws, n_features)) < threshold

    def sample_torch(self, n_draws, n_features, generator, device, dtype):
        """Boolean keep-masks drawn on ``device``, each entry True w.p. at most ``keep_prob``.

        A float32 uniform lives on a grid of ``2**-24`` (and a different one on
        CUDA), so ``u < keep_prob`` keeps up to ``2**-24`` too often. The masks
        compare integer keys uniform on ``[0, 2**31)`` with
        :func:`keep_threshold`: ``P[keep] = floor(keep_prob * 2**31) / 2**31``
        exactly, on every device.
        """
        import torch

        keys = torch.randint(0, 2**_KEY_BITS, (n_draws, n_features), generator=generator,
                             device=device, dtype=torch.int32)  # fmt: skip
        return keys < keep_threshold(self.keep_prob, _KEY_BITS)

    def _survive(self):
        """``(1 - keep_prob)^rho`` for ``rho = 0 .. d``, then 0 (all d features changed)."""
        d = getattr(self, "n_features_", None)
        if d is None:
            raise ValueError("Call validate(n_features) first: the radius is capped at d.")
        return np.concatenate([(1.0 - self.keep_prob) ** np.arange(d + 1), [0.0]])
