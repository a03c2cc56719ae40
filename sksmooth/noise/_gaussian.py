"""Gaussian noise, isotropic (l2 certificate) or per-feature (Mahalanobis certificate)."""

import warnings
from numbers import Real

import numpy as np
from scipy.stats import norm as _normal
from sklearn.utils._param_validation import Interval

from ._additive import AdditiveNoise
from ._features import FEATURES_CONSTRAINT


class GaussianNoise(AdditiveNoise):
    """Gaussian noise ``N(0, sigma^2 I)``, or ``N(0, diag(sigma^2))`` with one sigma per feature.

    With a single ``sigma`` the smoothed classifier keeps its prediction for
    every perturbation ``delta`` with
    ``||delta||_2 < sigma / 2 * (Phi^-1(pA) - Phi^-1(pB))``
    (Cohen, Rosenfeld & Kolter, ICML 2019, Theorem 1); with ``pB = 1 - pA``
    this is ``sigma * Phi^-1(pA)``, and :attr:`norm` is ``"l2"``.

    With one sigma per noised feature the noise is ``N(0, Sigma)``,
    ``Sigma = diag(sigma^2)``, and the certificate holds in the Mahalanobis norm
    ``||Sigma^(-1/2) delta||_2 = ||delta / sigma||_2``: the radius is
    ``1/2 (Phi^-1(pA) - Phi^-1(pB))`` (Cohen et al.'s theorem after the change
    of variables ``x -> Sigma^(-1/2) x``; Eiras et al. 2022), a number without
    units, and :attr:`norm` is ``"mahalanobis"``. The certified set is the
    ellipsoid ``{delta : ||delta / sigma||_2 < radius}``; :meth:`l2_radius`
    gives the largest l2 ball inside it, ``radius * min(sigma)``.

    Parameters
    ----------
    sigma : float or array-like of shape (n_noised,), default=0.25
        Standard deviation of the noise: one value for every noised feature, or
        one value per noised feature (in the order of the columns), in the
        units of the features.
    features : array-like of int, bool or str, default=None
        The features the noise applies to: indices, a boolean mask, or column
        names when the estimator is fitted on a DataFrame. None noises every
        feature. Other columns pass through unchanged, and the certificate
        covers perturbations of the noised features only.

    Attributes
    ----------
    norm : str
        ``"l2"`` for a single ``sigma`` (a Euclidean distance in the units of
        the features), ``"mahalanobis"`` for per-feature sigmas.

    See Also
    --------
    CorrelatedGaussianNoise : Gaussian noise with a full covariance matrix.

    Examples
    --------
    >>> from sksmooth import GaussianNoise
    >>> noise = GaussianNoise(sigma=0.5)
    >>> noise
    GaussianNoise(sigma=0.5)
    >>> float(noise.radius(0.9, 0.1))  # 0.5 * Phi^-1(0.9)
    0.640776
    >>> aniso = GaussianNoise(sigma=[0.5, 2.0])
    >>> aniso.norm, float(aniso.radius(0.9, 0.1))  # Phi^-1(0.9), Mahalanobis
    ('mahalanobis', 1.281552)
    >>> float(aniso.l2_radius(1.281552))  # the l2 ball inside: radius * min(sigma)
    0.640776
    """

    #: Soft smoothing (``vote="soft"``) is proven for Gaussian noise (Salman et al. 2019).
    soft_vote = True

    _parameter_constraints = {
        "sigma": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "features": FEATURES_CONSTRAINT,
    }

    def __init__(self, sigma=0.25, *, features=None):
        self.sigma = sigma
        self.features = features

    @property
    def norm(self):
        """``"l2"`` for a single sigma, ``"mahalanobis"`` for one sigma per feature."""
        return "l2" if np.ndim(self.sigma) == 0 else "mahalanobis"

    def _check_noised(self, n_noised):
        if np.ndim(self.sigma) == 0:
            return
        sigma = np.asarray(self.sigma, dtype=np.float64)
        if sigma.ndim != 1 or sigma.shape[0] != n_noised:
            raise ValueError(
                f"sigma has shape {sigma.shape}, but the noise applies to {n_noised} features; "
                "pass one float, or one sigma per noised feature."
            )
        if not np.all(np.isfinite(sigma) & (sigma > 0)):
            raise ValueError(f"sigma must hold finite positive values; got {sigma.tolist()!r}.")

    def _sample(self, n_draws, n_noised, rng):
        """``N(0, sigma^2)`` offsets: standard normals, scaled in place."""
        draws = rng.standard_normal((n_draws, n_noised))
        draws *= self.sigma if np.ndim(self.sigma) == 0 else np.asarray(self.sigma, np.float64)
        return draws

    def _sample_torch(self, n_draws, n_noised, generator, device, dtype):
        """``N(0, sigma^2)`` offsets drawn on ``device`` (the torch path)."""
        import torch

        draws = torch.randn((n_draws, n_noised), generator=generator, device=device, dtype=dtype)
        if np.ndim(self.sigma) == 0:
            return draws.mul_(float(self.sigma))
        return draws.mul_(torch.as_tensor(np.asarray(self.sigma), device=device, dtype=dtype))

    def radius(self, p_lower, p_upper):
        """``s / 2 * (Phi^-1(p_lower) - Phi^-1(p_upper))`` (Cohen et al. 2019, Thm 1).

        ``s`` is ``sigma`` for a single sigma (an l2 radius) and 1 for
        per-feature sigmas (a Mahalanobis radius).
        """
        p_lower = np.asarray(p_lower, dtype=np.float64)
        p_upper = np.asarray(p_upper, dtype=np.float64)
        scale = self.sigma if np.ndim(self.sigma) == 0 else 1.0
        return 0.5 * scale * (_normal.ppf(p_lower) - _normal.ppf(p_upper))

    def l2_radius(self, radius):
        """The largest l2 ball inside the certified set, from radii :meth:`radius` returned.

        The identity for a single sigma; ``radius * min(sigma)`` for per-feature
        sigmas, since ``||delta / sigma||_2 <= ||delta||_2 / min(sigma)``.

        Parameters
        ----------
        radius : array-like of float

        Returns
        -------
        l2_radius : ndarray of float
        """
        radius = np.asarray(radius, dtype=np.float64)
        if np.ndim(self.sigma) == 0:
            return radius
        return radius * float(np.min(self.sigma))

    def feature_radius(self, radius):
        """How far each noised feature may move alone inside the certified region.

        For per-feature sigmas the certified set is the ellipsoid
        ``{delta : ||delta / sigma||_2 < radius}``, so feature ``j`` alone may
        move by ``radius * sigma[j]`` in its own units; for a single sigma, by
        ``radius``.

        Parameters
        ----------
        radius : array-like of shape (n_inputs,)
            Radii :meth:`radius` returned (e.g. by ``certify``).

        Returns
        -------
        feature_radius : ndarray of shape (n_inputs, n_noised) or (n_inputs, 1)
            One column per noised feature, in the order of the columns; one
            column shared by all features for a single sigma.

        Examples
        --------
        >>> from sksmooth import GaussianNoise
        >>> GaussianNoise(sigma=[0.5, 20.0]).feature_radius([1.0, 0.0])
        array([[ 0.5, 20. ],
               [ 0. ,  0. ]])
        """
        radius = np.asarray(radius, dtype=np.float64).reshape(-1, 1)
        if np.ndim(self.sigma) == 0:
            return radius  # an l2 radius is already in the features' units
        return radius * np.atleast_1d(np.asarray(self.sigma, dtype=np.float64))[None, :]

    @classmethod
    def from_data(cls, X, fraction=0.1, *, features=None):
        """Per-feature noise in the data's own units: ``sigma = fraction * std`` of each column.

        The certificate is then a Mahalanobis radius: ``radius * sigma[j]`` is
        how far column ``j`` alone may move (:meth:`feature_radius`), in that
        column's units. Missing values are ignored when measuring the spread.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The training data (or any sample of it).
        fraction : float, default=0.1
            Noise level as a fraction of each column's standard deviation.
        features : array-like of int, bool or str, default=None
            The columns to noise (names for a DataFrame); None: every column.

        Returns
        -------
        noise : GaussianNoise
            With one sigma per noised column and ``features=features``.

        Examples
        --------
        >>> import pandas as pd
        >>> from sksmooth import GaussianNoise
        >>> df = pd.DataFrame({"mass_g": [3000.0, 5000.0], "bill_mm": [40.0, 42.0],
        ...                    "island": ["Dream", "Biscoe"]})
        >>> GaussianNoise.from_data(df, 0.1, features=["mass_g", "bill_mm"])
        GaussianNoise(sigma=[100.0, 0.1], features=['mass_g', 'bill_mm'])
        """
        if not (isinstance(fraction, Real) and np.isfinite(fraction) and fraction > 0):
            raise ValueError(f"fraction must be a finite number > 0; got {fraction!r}.")
        from ._features import resolve_features

        names = list(X.columns) if hasattr(X, "columns") else None
        n_features = len(names) if names is not None else np.shape(X)[1]
        idx = resolve_features(features, n_features, names)
        idx = np.arange(n_features) if idx is None else idx
        if names is not None:
            cols = X.iloc[:, idx]
            try:
                values = cols.to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"from_data measures numeric columns; {list(cols.columns)!r} includes a "
                    "non-numeric one: pass features= naming the numeric columns."
                ) from exc
        else:
            values = np.asarray(X, dtype=np.float64)[:, idx]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            std = np.nanstd(values, axis=0)
        bad = ~(np.isfinite(std) & (std > 0))
        if bad.any():
            which = [names[i] if names is not None else int(i) for i in idx[bad]]
            raise ValueError(
                f"Columns {which!r} have no spread (constant or all missing); leave them out of "
                "features."
            )
        sigma = (fraction * std).tolist()
        return cls(sigma=sigma, features=features)

    def _dual_norm(self, w):
        """``||w||_2`` (l2 radius) or ``||sigma * w||_2`` (Mahalanobis): Hoelder's dual norm."""
        if np.ndim(self.sigma) == 0:
            return np.linalg.norm(w, axis=-1)
        return np.linalg.norm(w * np.asarray(self.sigma, dtype=np.float64), axis=-1)

    def _gaussian_covariance(self, A):
        """``A diag(sigma^2) A^T``, the covariance of ``A @ eps`` for ``eps ~ N(0, diag(sigma^2))``."""
        if np.ndim(self.sigma) == 0:
            return self.sigma**2 * (A @ A.T)
        scaled = A * np.asarray(self.sigma, dtype=np.float64)
        return scaled @ scaled.T

    def p_required(self, radius):
        """``Phi(radius / s)``: the pA at which ``s * Phi^-1(pA)`` reaches ``radius``.

        Inverts the binary form of Cohen et al. (2019), Theorem 1; ``s`` is
        ``sigma`` for a single sigma and 1 for per-feature sigmas (Mahalanobis).

        Examples
        --------
        >>> from sksmooth import GaussianNoise
        >>> round(float(GaussianNoise(sigma=0.5).p_required(0.5)), 6)  # Phi(1)
        0.841345
        """
        scale = self.sigma if np.ndim(self.sigma) == 0 else 1.0
        return float(_normal.cdf(radius / scale))

    #: Independent coordinates, ``eps_j ~ N(0, sigma_j^2)`` (tree closed forms).
    independent_coordinates = True

    def marginal_cdf(self, t, coordinate):
        """``Phi(t / sigma_j)`` and ``Phi(-t / sigma_j)`` (scipy's ``norm.cdf`` and ``norm.sf``).

        See :meth:`BaseNoise.marginal_cdf`.

        Examples
        --------
        >>> import numpy as np
        >>> from sksmooth import GaussianNoise
        >>> cdf, sf = GaussianNoise(sigma=[1.0, 2.0]).marginal_cdf(np.array([2.0, 2.0]), [0, 1])
        >>> cdf.round(4), sf.round(4)
        (array([0.9772, 0.8413]), array([0.0228, 0.1587]))
        """
        sigma = self.sigma if np.ndim(self.sigma) == 0 else np.asarray(self.sigma, np.float64)
        if np.ndim(sigma):
            sigma = sigma[np.asarray(coordinate, dtype=np.intp)]
        z = np.asarray(t, dtype=np.float64) / sigma
        return _normal.cdf(z), _normal.sf(z)

    def worst_case_probability(self, p, radius):
        """``Phi(Phi^-1(p) - radius / s)``, ``s`` = sigma (l2) or 1 (Mahalanobis).

        Cohen et al. (2019), Lemma 3: the worst set is a half-space and the worst
        shift moves its boundary by ``radius`` standard deviations; per-feature
        sigmas after whitening. Chiang et al. (2020) use it for median smoothing.

        Examples
        --------
        >>> from sksmooth import GaussianNoise
        >>> round(float(GaussianNoise(sigma=0.5).worst_case_probability(0.5, 0.5)), 6)  # Phi(-1)
        0.158655
        """
        p = np.asarray(p, dtype=np.float64)
        radius = np.asarray(radius, dtype=np.float64)
        scale = self.sigma if np.ndim(self.sigma) == 0 else 1.0
        with np.errstate(invalid="ignore"):
            return _normal.cdf(_normal.ppf(p) - radius / scale)
