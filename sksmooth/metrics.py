"""Metrics of certified robustness."""

import numpy as np
from sklearn.utils.validation import check_consistent_length, column_or_1d


def _correct(y_true, y_pred, radius):
    y_true = column_or_1d(y_true)
    y_pred = column_or_1d(y_pred)
    radius = column_or_1d(radius).astype(np.float64)
    check_consistent_length(y_true, y_pred, radius)
    if np.any(np.isnan(radius)) or np.any(radius < 0):
        raise ValueError("radius must hold non-negative numbers (0.0 for abstained inputs).")
    correct = np.fromiter((a == b for a, b in zip(y_true.tolist(), y_pred.tolist())), bool,
                          count=y_true.shape[0])
    return correct, radius


def certified_accuracy(y_true, y_pred, radius, *, at=0.0):
    """Fraction of inputs classified correctly with a certified radius of at least ``at``.

    ``mean((y_pred == y_true) & (radius >= at))``; abstained inputs (any
    ``y_pred`` that is not the true label) count as errors.

    Parameters
    ----------
    y_true : array-like of shape (n_inputs,)
        True labels.
    y_pred : array-like of shape (n_inputs,)
        Certified predictions, e.g. from :meth:`SmoothedClassifier.certify`.
    radius : array-like of shape (n_inputs,)
        Certified radii (0.0 where abstained).
    at : float or array-like of float, default=0.0
        Radius or radii at which to evaluate.

    Returns
    -------
    accuracy : float or ndarray
        A float for a scalar ``at``; the curve, one value per radius, otherwise.

    Examples
    --------
    >>> from sksmooth.metrics import certified_accuracy
    >>> certified_accuracy([0, 1, 1, 0], [0, 1, -1, 1], [0.5, 0.2, 0.0, 0.9], at=0.3)
    0.25
    >>> certified_accuracy([0, 1, 1, 0], [0, 1, -1, 1], [0.5, 0.2, 0.0, 0.9], at=[0, 0.3])
    array([0.5 , 0.25])
    """
    correct, radius = _correct(y_true, y_pred, radius)
    at_arr = np.asarray(at, dtype=np.float64)
    if np.any(np.isnan(at_arr)):
        raise ValueError("at must hold radii (numbers), got NaN.")
    if correct.size == 0:
        raise ValueError("certified_accuracy needs at least one input.")
    curve = np.mean(correct[:, None] & (radius[:, None] >= at_arr.reshape(1, -1)), axis=0)
    return float(curve[0]) if at_arr.ndim == 0 else curve


def average_certified_radius(y_true, y_pred, radius):
    """Mean certified radius, counting 0 for wrong or abstained inputs.

    Parameters
    ----------
    y_true, y_pred, radius : array-like of shape (n_inputs,)

    Returns
    -------
    acr : float

    Examples
    --------
    >>> from sksmooth.metrics import average_certified_radius
    >>> average_certified_radius([0, 1, 1], [0, 0, 1], [0.6, 0.3, 0.3])
    0.3
    """
    correct, radius = _correct(y_true, y_pred, radius)
    if correct.size == 0:
        raise ValueError("average_certified_radius needs at least one input.")
    return float(np.mean(np.where(correct, radius, 0.0)))
