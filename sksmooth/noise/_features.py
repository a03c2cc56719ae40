"""The ``features`` parameter of additive noises: which columns get noise."""

from numbers import Integral

import numpy as np

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
