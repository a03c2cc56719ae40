"""Metrics of certified robustness."""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics._scorer import _BaseScorer
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._pipeline import final_smoothed


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


# ------------------------------------------------------------------------------ scorers
# Certified scorers plug into scikit-learn's private scorer protocol
# (``_BaseScorer._score(method_caller, estimator, X, y_true)``): when several scorers
# are asked for at once, ``_MultimetricScorer`` hands each one the same caching
# ``method_caller``, keyed by response-method name, so the certificates of one
# (estimator, X) are computed once and shared by every certified metric.

_METRICS = {
    "certified_accuracy": certified_accuracy,
    "average_certified_radius": average_certified_radius,
}


class _Certifier(BaseEstimator):
    """Adapter giving a Pipeline (or a SmoothedClassifier) a ``certify`` response method.

    Each method here is one cacheable response, named by the method: a
    ``predict_certified(X, radius=r)`` response would be one more method
    (e.g. ``predict_certified_at_<r>``) and one more branch in
    :meth:`_CertifiedScorer._score`.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def certify(self, X):
        smoothed, X = final_smoothed(self.estimator, X)
        return smoothed.certify(X)


class _CertifiedScorer(_BaseScorer):
    """``scorer(estimator, X, y)`` computing a metric of ``certify``'s output."""

    # Preference list for sklearn's cache decision (``_MultimetricScorer._use_cache``):
    # it resolves to ``certify`` on a SmoothedClassifier and to ``predict`` on a
    # Pipeline, so two certified scorers are always seen as sharing a response.
    _RESPONSE = ["certify", "predict"]

    def __init__(self, metric, at, sequential=False):
        func = _METRICS[metric] if isinstance(metric, str) else metric
        kwargs = {} if at is None else {"at": at}
        super().__init__(func, 1, kwargs, response_method=list(self._RESPONSE))
        self._metric = metric
        self._sequential = sequential

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        if self._sequential:
            # "Certified at r?" only: the sequential test stops each input early.
            smoothed, X = final_smoothed(estimator, X)
            y_pred = smoothed.predict_certified(X, radius=self._kwargs["at"])
            at = np.full(len(y_pred), self._kwargs["at"])
            return float(certified_accuracy(y_true, y_pred, at, at=self._kwargs["at"]))
        y_pred, radius = method_caller(_Certifier(estimator), "certify", X, pos_label=None)
        return float(self._score_func(y_true, y_pred, radius, **self._kwargs, **kwargs))

    def __repr__(self):
        name = self._metric if isinstance(self._metric, str) else _name(self._metric)
        at = "" if "at" not in self._kwargs else f", at={self._kwargs['at']!r}"
        seq = ", sequential=False" if name == "certified_accuracy" and not self._sequential else ""
        return f"make_certified_scorer(metric={name!r}{at}{seq})"


def _name(func):
    return getattr(func, "__name__", repr(func))


def make_certified_scorer(*, at=None, metric="certified_accuracy", sequential=True):
    """A scorer of certified robustness for ``GridSearchCV``, ``cross_validate`` and friends.

    The scorer calls ``certify`` on the test inputs and scores the certificates
    with ``metric`` (certified accuracy at one radius uses the cheaper
    sequential test by default, see ``sequential``). The estimator may be a fitted
    :class:`~sksmooth.SmoothedClassifier` or a fitted
    :class:`~sklearn.pipeline.Pipeline` whose last step is one: the preceding
    steps transform the inputs first, so radii are in the space the smoothed
    classifier sees. Inside a dict of scorers (``scoring={"ca@0.5": ..., "acr":
    ...}``) the certificates of a fold are computed once and shared by all
    certified scorers.

    Parameters
    ----------
    at : float, default=None
        For ``metric="certified_accuracy"``: the radius at which to evaluate
        (None means 0.0, i.e. the accuracy of the certified predictions, with
        abstentions counted as errors). For a callable ``metric``, passed as
        ``at=`` when not None. Not allowed with
        ``metric="average_certified_radius"``.
    metric : {"certified_accuracy", "average_certified_radius"} or callable, \
            default="certified_accuracy"
        The score; a callable is called as ``metric(y_true, y_pred, radius)``
        (plus ``at=at`` when ``at`` is given) and must return a number, greater
        being better.
    sequential : bool, default=True
        For ``metric="certified_accuracy"``: answer "certified at ``at``?" with
        the sequential test ``predict_certified(X, radius=at)``, which stops
        each input as soon as the answer is clear (far fewer draws; the same
        guarantee at level ``alpha``). ``False`` calls ``certify`` instead, whose
        certificates other certified scorers of the same ``scoring`` dict share.
        Ignored for other metrics.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` returning a float.

    See Also
    --------
    certified_accuracy : The metric behind the default scorer.
    average_certified_radius : The mean certified radius.

    Notes
    -----
    Sharing the certificates between scorers (those that call ``certify``)
    uses scikit-learn's multi-metric scoring cache (its private scorer protocol, as in scikit-learn 1.6 to
    1.9): one ``certify`` per fold and candidate, however many certified
    scorers the ``scoring`` dict holds. The certificates are exactly those of
    ``certify`` on each fold's fitted model, with its per-input guarantee.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sksmooth import SmoothedClassifier, GaussianNoise
    >>> from sksmooth.metrics import make_certified_scorer
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), SmoothedClassifier(
    ...     DecisionTreeClassifier(max_depth=3), noise=GaussianNoise(0.25),
    ...     n_samples=200, n_select=20, random_state=0))
    >>> search = GridSearchCV(
    ...     pipe, {"smoothedclassifier__noise__sigma": [0.1, 0.5]}, cv=2,
    ...     scoring={"ca@0.5": make_certified_scorer(at=0.5),
    ...              "acr": make_certified_scorer(metric="average_certified_radius")},
    ...     refit="ca@0.5").fit(X, y)
    >>> search.best_params_
    {'smoothedclassifier__noise__sigma': 0.5}
    """
    if isinstance(metric, str):
        if metric not in _METRICS:
            raise ValueError(
                f"metric={metric!r} is not known; use one of {sorted(_METRICS)} or a callable "
                "metric(y_true, y_pred, radius)."
            )
    elif not callable(metric):
        raise TypeError(f"metric must be a name or a callable, got {type(metric).__name__}.")
    if metric == "average_certified_radius" and at is not None:
        raise ValueError(
            "at= does not apply to metric='average_certified_radius' (it averages over all "
            "radii); leave at=None."
        )
    if metric == "certified_accuracy":
        at = 0.0 if at is None else at
        if isinstance(at, bool) or np.ndim(at) != 0 or not np.isfinite(at) or at < 0:
            raise ValueError(
                f"at must be one non-negative radius for a scorer (a scorer returns one "
                f"number), got {at!r}; make one scorer per radius."
            )
        at = float(at)
        return _CertifiedScorer(metric, at, sequential=bool(sequential))
    return _CertifiedScorer(metric, at)


# ------------------------------------------------------------ certified regression
def _bounds(lower, upper, *arrays):
    lower = column_or_1d(lower).astype(np.float64)
    upper = column_or_1d(upper).astype(np.float64)
    arrays = [column_or_1d(a).astype(np.float64) for a in arrays]
    check_consistent_length(lower, upper, *arrays)
    if np.any(np.isnan(lower)) or np.any(np.isnan(upper)) or np.any(lower > upper):
        raise ValueError("lower and upper must be certified bounds: no NaN, lower <= upper.")
    return lower, upper, arrays


def _check_tolerance(tolerance):
    if isinstance(tolerance, bool) or np.ndim(tolerance) != 0 or not 0 < tolerance < np.inf:
        raise ValueError(
            f"tolerance must be a positive finite number (in the units of the target), got "
            f"{tolerance!r}."
        )
    return float(tolerance)


def certified_coverage(y_true, lower, upper, *, tolerance):
    """Fraction of inputs whose certified interval lies within ``tolerance`` of the truth.

    An input counts when ``y_true - tolerance <= lower`` and
    ``upper <= y_true + tolerance``: every output the smoothed regressor can be
    pushed to (within the radius ``certify`` was called with) is within
    ``tolerance`` of the target. The regression analogue of certified accuracy.

    Parameters
    ----------
    y_true : array-like of shape (n_inputs,)
    lower, upper : array-like of shape (n_inputs,)
        Certified bounds, as :meth:`~sksmooth.SmoothedRegressor.certify` returns them.
    tolerance : float
        Positive, in the units of the target.

    Returns
    -------
    coverage : float

    Examples
    --------
    >>> from sksmooth.metrics import certified_coverage
    >>> certified_coverage([1.0, 2.0, 3.0], [0.8, 1.0, 2.9], [1.1, 2.5, float("inf")],
    ...                    tolerance=0.5)
    0.3333...
    """
    tolerance = _check_tolerance(tolerance)
    lower, upper, (y_true,) = _bounds(lower, upper, y_true)
    if y_true.size == 0:
        return 0.0
    return float(np.mean((lower >= y_true - tolerance) & (upper <= y_true + tolerance)))


def mean_certified_half_width(lower, upper):
    """Mean of ``(upper - lower) / 2``: how far the smoothed output can move, on average.

    ``inf`` when some bound is infinite (the radius was too large for the draws).

    Parameters
    ----------
    lower, upper : array-like of shape (n_inputs,)

    Returns
    -------
    half_width : float

    Examples
    --------
    >>> from sksmooth.metrics import mean_certified_half_width
    >>> mean_certified_half_width([0.0, 1.0], [1.0, 4.0])
    1.0
    """
    lower, upper, _ = _bounds(lower, upper)
    if lower.size == 0:
        return 0.0
    return float(np.mean((upper - lower) / 2.0))


class _CertifiedRegressionScorer:
    """``scorer(estimator, X, y)`` scoring ``certify(X, radius=r)`` of a smoothed regressor."""

    def __init__(self, radius, tolerance, metric):
        self.radius, self.tolerance, self.metric = radius, tolerance, metric

    def __call__(self, estimator, X, y_true, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("The certified regression scorer takes no sample_weight.")
        smoothed, X = final_smoothed(estimator, X)
        _, lower, upper = smoothed.certify(X, radius=self.radius)
        if self.metric == "certified_coverage":
            return certified_coverage(y_true, lower, upper, tolerance=self.tolerance)
        return -mean_certified_half_width(lower, upper)

    def __repr__(self):
        tol = "" if self.tolerance is None else f", tolerance={self.tolerance!r}"
        return (f"make_certified_regression_scorer(radius={self.radius!r}{tol}, "
                f"metric={self.metric!r})")


def make_certified_regression_scorer(*, radius, tolerance=None, metric="certified_coverage"):
    """A scorer of certified regression for ``GridSearchCV`` (e.g. over the noise level).

    The scorer calls ``certify(X, radius=radius)`` on a fitted
    :class:`~sksmooth.SmoothedRegressor` (or a Pipeline ending in one; the
    preceding steps transform ``X`` first) and scores the bounds.

    Parameters
    ----------
    radius : float
        Non-negative radius, in the noise's norm.
    tolerance : float, default=None
        For ``metric="certified_coverage"`` (required there): see
        :func:`certified_coverage`.
    metric : {"certified_coverage", "mean_certified_half_width"}, default="certified_coverage"
        ``"mean_certified_half_width"`` is negated (greater is better), as
        scikit-learn's ``neg_*`` scorers.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)`` returning a float.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksmooth import SmoothedRegressor
    >>> from sksmooth.metrics import make_certified_regression_scorer
    >>> X, y = load_diabetes(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), SmoothedRegressor(random_state=0))
    >>> search = GridSearchCV(
    ...     pipe, {"smoothedregressor__noise__sigma": [0.1, 1.0, 2.0]}, cv=2,
    ...     scoring=make_certified_regression_scorer(radius=0.5, tolerance=60.0)).fit(X, y)
    >>> search.best_params_  # noise augmentation shrinks w, hence the certified bounds
    {'smoothedregressor__noise__sigma': 1.0}
    """
    if isinstance(radius, bool) or np.ndim(radius) != 0 or not 0 <= radius < np.inf:
        raise ValueError(f"radius must be one non-negative finite number, got {radius!r}.")
    if metric == "certified_coverage":
        if tolerance is None:
            raise ValueError("metric='certified_coverage' needs tolerance=, e.g. tolerance=1.0.")
        tolerance = _check_tolerance(tolerance)
    elif metric == "mean_certified_half_width":
        if tolerance is not None:
            raise ValueError("tolerance= does not apply to metric='mean_certified_half_width'.")
    else:
        raise ValueError(
            f"metric={metric!r} is not known; use 'certified_coverage' or "
            "'mean_certified_half_width'."
        )
    return _CertifiedRegressionScorer(float(radius), tolerance, metric)
