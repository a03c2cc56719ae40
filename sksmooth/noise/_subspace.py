"""Random ablation of features (keep-masks), certified in the l0 "norm"."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import BaseNoise

# A tiny slack so that rounding in Delta(rho) can only shrink a radius, never grow it.
_SLACK = 1e-12


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
        """Boolean keep-masks with ``n_keep`` True per row, drawn on ``device``."""
        import torch

        if self.n_keep > n_features:
            raise ValueError(f"n_keep={self.n_keep} exceeds n_features={n_features}.")
        keys = torch.rand((n_draws, n_features), generator=generator, device=device)
        ranks = keys.argsort(dim=1).argsort(dim=1)
        return ranks < self.n_keep

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
        """Boolean keep-masks ``(n_draws, n_features)``, each entry True w.p. ``keep_prob``."""
        return rng.random((n_draws, n_features)) < self.keep_prob

    def sample_torch(self, n_draws, n_features, generator, device, dtype):
        """Boolean keep-masks, each entry True w.p. ``keep_prob``, drawn on ``device``."""
        import torch

        return torch.rand((n_draws, n_features), generator=generator, device=device) < (
            self.keep_prob
        )

    def _survive(self):
        """``(1 - keep_prob)^rho`` for ``rho = 0 .. d``, then 0 (all d features changed)."""
        d = getattr(self, "n_features_", None)
        if d is None:
            raise ValueError("Call validate(n_features) first: the radius is capped at d.")
        return np.concatenate([(1.0 - self.keep_prob) ** np.arange(d + 1), [0.0]])
