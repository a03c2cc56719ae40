"""Additive noise on chosen features: resolving ``features`` and scattering draws."""

from numbers import Integral

import numpy as np

from ._base import BaseNoise

#: Parameter constraint of ``features``: indices, a mask, names, one index or name, or None.
FEATURES_CONSTRAINT = ["array-like", Integral, str, None]


def resolve_features(features, n_features, feature_names=None):
    """Indices of the features a noise applies to.

    Parameters
    ----------
    features : None, array-like of int, array-like of bool or array-like of str
        None means every feature. Integers are column indices (negative ones
        count from the end); booleans are a mask of length ``n_features``;
        strings are column names, resolved against ``feature_names``.
    n_features : int
    feature_names : array-like of str, default=None
        The column names seen in fit (``feature_names_in_``), if any.

    Returns
    -------
    indices : ndarray of int, sorted and unique, or None for every feature.

    Examples
    --------
    >>> from sksmooth.noise._features import resolve_features
    >>> resolve_features([2, 0], 4)
    array([0, 2])
    >>> resolve_features([True, False, True], 3)
    array([0, 2])
    >>> resolve_features(["b"], 2, feature_names=["a", "b"])
    array([1])
    """
    if features is None:
        return None
    if isinstance(features, (str, bytes)) or np.ndim(features) == 0:
        features = [features]
    arr = np.asarray(features)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"features must be a non-empty 1-D list of indices, booleans or column names; "
            f"got {features!r}."
        )
    if arr.dtype.kind == "b":
        if arr.shape[0] != n_features:
            raise ValueError(
                f"features is a boolean mask of length {arr.shape[0]}, but X has {n_features} "
                "features; pass one boolean per feature."
            )
        if not arr.any():
            raise ValueError("features is a boolean mask with no True entry; select a feature.")
        return np.flatnonzero(arr)
    if arr.dtype.kind in "USO":
        if feature_names is None:
            raise ValueError(
                f"features={list(arr)!r} names columns, but X has no column names; fit on a "
                "pandas DataFrame or pass column indices."
            )
        names = [str(name) for name in feature_names]
        lookup = {name: i for i, name in enumerate(names)}
        missing = [str(name) for name in arr if str(name) not in lookup]
        if missing:
            raise ValueError(f"features {missing!r} are not columns of X; columns are {names!r}.")
        idx = np.array([lookup[str(name)] for name in arr], dtype=np.intp)
    elif arr.dtype.kind in "iu":
        idx = arr.astype(np.intp)
        if np.any(idx >= n_features) or np.any(idx < -n_features):
            raise ValueError(
                f"features {arr.tolist()!r} holds indices outside [0, {n_features}) for X with "
                f"{n_features} features."
            )
        idx = np.where(idx < 0, idx + n_features, idx)
    else:
        raise ValueError(
            f"features must hold indices, booleans or column names; got dtype {arr.dtype}."
        )
    unique = np.unique(idx)
    if unique.shape[0] != idx.shape[0]:
        raise ValueError(f"features {arr.tolist()!r} lists a feature twice.")
    return unique


class AdditiveNoise(BaseNoise):
    """Base of the additive noises: draws on the chosen ``features``, zeros elsewhere.

    Subclasses implement ``_sample(n_draws, n_noised, rng)`` for the noised
    features only; :meth:`sample` scatters those draws into full-width rows,
    so :meth:`perturb` stays ``X + draws`` and the other columns pass through
    unchanged.
    """

    def validate(self, n_features, feature_names=None):
        """Check the parameters and resolve ``features`` (names need ``feature_names``)."""
        self._validate_params()
        self._feature_names = None if feature_names is None else list(feature_names)
        self._check_noised(self._n_noised(n_features))
        return self

    def _check_noised(self, n_noised):
        """Check parameters whose shape depends on the number of noised features."""

    def feature_indices(self, n_features):
        """Indices of the features the noise applies to (all of them when ``features`` is None).

        Parameters
        ----------
        n_features : int

        Returns
        -------
        indices : ndarray of int
        """
        idx = resolve_features(self.features, n_features, getattr(self, "_feature_names", None))
        return np.arange(n_features) if idx is None else idx

    def _n_noised(self, n_features):
        if self.features is None:
            return n_features
        return self.feature_indices(n_features).shape[0]

    def sample(self, n_draws, n_features, rng):
        """Draw ``(n_draws, n_features)`` offsets; columns outside ``features`` are 0.

        Consecutive calls on one generator give the same draws as one call for
        the total number.
        """
        if self.features is None:
            return self._sample(n_draws, n_features, rng)
        idx = self.feature_indices(n_features)
        draws = np.zeros((n_draws, n_features))
        draws[:, idx] = self._sample(n_draws, idx.shape[0], rng)
        return draws

    def sample_torch(self, n_draws, n_features, generator, device, dtype):
        """Draw offsets on ``device`` (the torch path); columns outside ``features`` are 0.

        Families implement ``_sample_torch(n_draws, n_noised, generator, device, dtype)``
        for the noised features, the torch twin of their ``_sample``.
        """
        if self.features is None:
            return self._sample_torch(n_draws, n_features, generator, device, dtype)
        import torch

        idx = torch.as_tensor(self.feature_indices(n_features), device=device)
        draws = torch.zeros((n_draws, n_features), device=device, dtype=dtype)
        draws[:, idx] = self._sample_torch(n_draws, idx.numel(), generator, device, dtype)
        return draws

    def _sample_torch(self, n_draws, n_noised, generator, device, dtype):
        """Family hook: torch draws for the noised features (see :meth:`sample_torch`)."""
        return BaseNoise.sample_torch(self, n_draws, n_noised, generator, device, dtype)

    def unmoved_rows(self, X):
        """Rows whose noised features are all NaN: ``NaN + eps`` is NaN, so no draw moves them."""
        X = np.asarray(X, dtype=np.float64)
        return np.isnan(X[:, self.feature_indices(X.shape[1])]).all(axis=1)

    def dual_norm(self, w):
        """Dual norm of ``w`` restricted to the noised features (see :meth:`BaseNoise.dual_norm`).

        Perturbations of the other features are not covered by the certificate,
        so only ``w``'s noised coordinates enter the exact radius of a halfspace.
        """
        w = np.asarray(w, dtype=np.float64)
        return self._dual_norm(w[..., self.feature_indices(w.shape[-1])])

    def gaussian_covariance(self, A):
        """``A Sigma A^T`` for Gaussian noise, ``Sigma`` zero outside the noised features."""
        A = np.asarray(A, dtype=np.float64)
        return self._gaussian_covariance(A[:, self.feature_indices(A.shape[-1])])

    def _dual_norm(self, w):
        """Family hook on the noised coordinates of ``w``; None means no closed form."""
        return None

    def _gaussian_covariance(self, A):
        """Family hook on the noised columns of ``A``; None means not Gaussian."""
        return None
