"""SmoothedRegressor: median (percentile) smoothing with certified bounds (DESIGN.md section 6)."""

import math
import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, _fit_context, clone
from sklearn.base import is_classifier
from sklearn.linear_model import LinearRegression
from sklearn.utils._param_validation import Interval
from sklearn.utils.metadata_routing import _routing_enabled, process_routing
from sklearn.utils.validation import _check_method_params, check_is_fitted, validate_data

from . import _montecarlo, _random, _torch
from ._exact_regression import exact_regression
from ._meta import (
    SHARED_CONSTRAINTS,
    check_radius,
    SmoothingMixin,
    keep_state_on_error,
    numeric_hint,
    seed_unset_random_states,
)
from ._stats import dkw_epsilon, order_statistic_lower_index, order_statistic_upper_index
from ._warnings import SmoothingWarning


def _check_tolerance(tolerance):
    if (
        isinstance(tolerance, bool) or not isinstance(tolerance, Real)
        or not 0 < tolerance < np.inf
    ):
        raise ValueError(
            f"tolerance must be a positive finite number (in the units of the target), got "
            f"{tolerance!r}."
        )


class SmoothedRegressor(SmoothingMixin, MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """A regressor smoothed by random noise, with certified bounds on its output.

    The smoothed regressor predicts the ``percentile``-th percentile (by
    default the median) of ``f(x + eps)``, where ``f`` is the base regressor and
    ``eps`` the noise. :meth:`certify` bounds that smoothed percentile at every
    point near ``x``: with probability at least ``1 - alpha`` per input, the
    smoothed percentile at every ``x + delta`` with ``||delta|| < radius`` (in
    the norm ``noise_.norm``) lies in ``[lower, upper]`` (median smoothing,
    Chiang et al., NeurIPS 2020).

    Parameters
    ----------
    estimator : estimator object, default=None
        The base regressor ``f``, any estimator with ``fit`` and ``predict``
        returning one number per row; cloned into :attr:`estimator_`. None uses
        ``LinearRegression()`` (exact, see ``method``). A classifier is refused.
    noise : noise object, default=None
        The noise distribution; None uses ``GaussianNoise(sigma=0.25)``.
        :meth:`certify` needs a family with
        :meth:`~sksmooth.BaseNoise.worst_case_probability` (all built-in ones).
    n_samples : int, default=10_000
        Monte Carlo draws per input behind :meth:`predict`, :meth:`certify` and
        :meth:`certified_radius` (the same draws for all three).
    alpha : float, default=0.001
        Each input's bounds are wrong with probability at most ``alpha``
        (``alpha / 2`` for each side).
    percentile : float, default=0.5
        Which percentile of ``f(x + eps)`` is smoothed, in (0, 1).
    noise_augment : int, default=1
        :meth:`fit` trains the base estimator on ``noise_augment`` noisy copies
        of every training row; 0 trains on the clean data.
    method : {"auto", "monte_carlo", "exact"}, default="auto"
        ``"auto"`` uses a closed form where one exists, sampling elsewhere;
        ``"exact"`` raises where none exists; ``"monte_carlo"`` always samples.
        Closed forms: linear regressors (``LinearModel``, or a Pipeline of
        affine steps ending in one) under noise with
        :meth:`~sksmooth.BaseNoise.dual_norm`, for the median (every
        percentile under Gaussian noise): exact, deterministic, no ``alpha``.
        A ``DecisionTreeRegressor`` / ``ExtraTreeRegressor`` (or a Pipeline
        of per-feature increasing scalers ending in one) under product noise
        (Gaussian, Laplace, uniform), every percentile: its output law is
        discrete with exact leaf probabilities, so the percentile and its
        bounds are exact too. Forests are sampled (their output mixes leaves
        across trees: no cheap exact law). See :attr:`certification_`. A skorch
        ``NeuralNetRegressor`` is fitted on float32 rows (and ``y`` as a
        column) noised on the host; at prediction its noise is drawn on the
        net's device and its module's outputs are collected there.
    batch_size : int, default=None
        Most noisy rows per base-model call; None tunes it by measured
        throughput on the fitted model's first calls and reuses it after
        (the draws never depend on it).
    n_jobs : int, default=None
        Inputs are split across jobs (``sklearn.utils.parallel``); results do
        not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise; each input row has its own stream keyed by it and the
        row's values (results do not depend on row order, batching or
        ``n_jobs``). Also seeds the base estimator's unset ``random_state``.
    verbose : int, default=0
        Show a progress bar when > 0.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``.
    noise_ : noise object
        The validated clone of ``noise``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Only when ``X`` had string column names.
    certification_ : str
        The path :meth:`predict` and :meth:`certify` take: ``"exact-linear"``,
        ``"exact-tree"`` or ``"monte_carlo"``.

    See Also
    --------
    SmoothedClassifier : The same for classifiers.

    Notes
    -----
    The guarantee is about the smoothed percentile, not the base regressor
    ``f`` nor the target; it is per input (probability ``1 - alpha`` over that
    input's draws, independent across inputs) and covers perturbations in the
    noise's norm only (of the noised features only, with ``features=``).
    With Monte Carlo, the bounds at a radius ``r`` are order statistics of the
    ``n_samples`` outputs, at the percentiles
    ``noise_.worst_case_probability(percentile, r)`` and
    ``1 - noise_.worst_case_probability(1 - percentile, r)`` (Gaussian:
    ``Phi(Phi^-1(p) -/+ r / sigma)``). Memory: ``n_inputs x n_samples`` floats.

    References
    ----------
    .. [1] P. Chiang, M. Curry, A. Abdelkader, A. Kumar, J. Dickerson,
       T. Goldstein. "Detection as Regression: Certified Object Detection by
       Median Smoothing". NeurIPS 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from sksmooth import SmoothedRegressor, GaussianNoise
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> reg = SmoothedRegressor(DecisionTreeRegressor(max_depth=3, random_state=0),
    ...                         noise=GaussianNoise(sigma=0.25), n_samples=1000,
    ...                         random_state=0).fit(X[:400], y[:400])
    >>> y_pred, lower, upper = reg.certify(X[400:403], radius=0.1)
    >>> bool((lower <= y_pred).all() and (y_pred <= upper).all())
    True
    >>> reg.certification_
    'exact-tree'
    """

    _parameter_constraints = {
        **SHARED_CONSTRAINTS,
        "percentile": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        estimator=None,
        noise=None,
        *,
        n_samples=10_000,
        alpha=0.001,
        percentile=0.5,
        noise_augment=1,
        method="auto",
        batch_size=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.noise = noise
        self.n_samples = n_samples
        self.alpha = alpha
        self.percentile = percentile
        self.noise_augment = noise_augment
        self.method = method
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ params
    _default_estimator = LinearRegression

    # --------------------------------------------------------------------- fit
    @keep_state_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the base regressor on noise-augmented data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (numeric).
        y : array-like of shape (n_samples,)
            Continuous targets (finite).
        **fit_params : dict
            Passed to the base estimator's ``fit`` (through metadata routing
            when it is enabled); per-sample ones are repeated for the noisy copies.

        Returns
        -------
        self : object
        """
        base = self._make_estimator()
        if is_classifier(base):
            raise ValueError(
                f"SmoothedRegressor needs a regressor, but {type(base).__name__} is a "
                "classifier; use SmoothedClassifier for classification."
            )
        if self.n_jobs == 0:
            raise ValueError("n_jobs=0 runs nothing; pass None, a positive int, or -1 (all cores).")
        with numeric_hint("SmoothedRegressor"):
            X, y = validate_data(
                self, X, y, dtype=np.float64, ensure_all_finite=self._finite_policy(),
                y_numeric=True,
            )
        y = np.asarray(y, dtype=np.float64)
        names = getattr(self, "feature_names_in_", None)
        names = {} if names is None else {"feature_names": names}
        self.noise_ = clone(self._make_noise()).validate(X.shape[1], **names)
        half = self.alpha / 2
        if order_statistic_lower_index(self.n_samples, self.percentile, half) < 1 or (
            order_statistic_upper_index(self.n_samples, self.percentile, half) > self.n_samples
        ):
            warnings.warn(
                f"n_samples={self.n_samples} cannot bound the {self.percentile} percentile at "
                f"alpha={self.alpha} even at radius 0 (certify returns infinite bounds); use "
                "more n_samples or a percentile nearer 0.5.",
                SmoothingWarning,
            )
        params = process_routing(self, "fit", **fit_params).estimator.fit if _routing_enabled() \
            else fit_params
        if self.noise_augment > 0:
            entropy = _random.base_entropy(self.random_state)
            rng = _random.generator(np.random.SeedSequence(entropy, spawn_key=(_random.TRAIN,)))
            idx = np.tile(np.arange(X.shape[0]), self.noise_augment)
            X_train = self.noise_.perturb(X[idx], self.noise_.sample(idx.size, X.shape[1], rng))
            y_train = y[idx]
            params = _check_method_params(X, params, indices=idx)
        else:
            X_train, y_train = X, y
        estimator = clone(base)
        seed_unset_random_states(estimator, self.random_state)
        if _torch.skorch_net(estimator) is not None:  # a NeuralNetRegressor: float32, y a column
            X_train, y_train = X_train.astype(np.float32), y_train.astype(np.float32)[:, None]
        self.estimator_ = estimator.fit(self._to_base_input(X_train), y_train, **params)
        probe = X[:20]
        self._exact, self._exact_reason = exact_regression(
            self.estimator_, self.noise_, probe,
            lambda: self.estimator_.predict(self._to_base_input(probe)),
        )
        return self

    @property
    def certification_(self):
        """The path :meth:`certify` takes: a closed form's name, or ``"monte_carlo"``.

        ``"exact-linear"`` (a linear regressor), ``"exact-tree"`` (a decision
        tree regressor under product noise, user guide "Certified regression"),
        or ``"monte_carlo"`` where no closed form applies (also for a
        percentile the closed form does not know), or ``method="monte_carlo"``.
        """
        exact = self._check_method()
        if exact is None or exact.percentile(np.zeros((0, self.n_features_in_)),
                                             self.percentile) is None:
            return "monte_carlo"
        return exact.kind

    # -------------------------------------------------------------- internals
    def _to_base_input(self, X):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return X
        import pandas as pd

        return pd.DataFrame(X, columns=names, copy=False)

    def _validate_X(self, X):
        self._validate_params()
        check_is_fitted(self)
        with numeric_hint("SmoothedRegressor"):
            return validate_data(
                self, X, reset=False, dtype=np.float64, ensure_all_finite=self._finite_policy()
            )

    def _check_method(self):
        """The closed form to use, or None to sample."""
        self._validate_params()
        check_is_fitted(self)
        exact = getattr(self, "_exact", None)
        if self.method == "exact" and (
            exact is None or exact.percentile(np.zeros((0, self.n_features_in_)),
                                              self.percentile) is None
        ):
            reason = getattr(self, "_exact_reason", None) or (
                f"percentile={self.percentile} has no closed form under "
                f"{type(self.noise_).__name__} (the median does; every percentile under "
                "Gaussian noise)"
            )
            raise ValueError(
                "method='exact' needs a closed form, and none exists for "
                f"{type(self.estimator_).__name__} with {type(self.noise_).__name__}; use "
                f"method='auto' or method='monte_carlo'. ({reason})"
            )
        return None if self.method == "monte_carlo" else exact

    def _predict_outputs(self, X_noisy):
        if _torch.skorch_net(self.estimator_) is not None:  # numpy engine: host noise
            X_noisy = np.asarray(X_noisy, dtype=np.float32)
        return np.asarray(self.estimator_.predict(self._to_base_input(X_noisy)))

    def _sorted_outputs(self, X):
        """Each input's ``n_samples`` base outputs on its own noise stream, sorted."""
        keys = _random.row_keys(X)
        entropy = _random.base_entropy(self.random_state)
        seeds = _random.RowSeeds(keys, entropy, (_random.ESTIMATE,))
        with _montecarlo.progress_bar(self.verbose, X.shape[0] * self.n_samples) as progress:
            out = _montecarlo.evaluate(
                self.estimator_, self._predict_outputs, X, self.noise_, self.n_samples, seeds,
                "outputs", batch_size=self.batch_size, n_jobs=self.n_jobs, progress=progress,
            )  # fmt: skip
        if not np.all(np.isfinite(out)):
            raise ValueError(
                "The base regressor returned non-finite outputs on noisy inputs; smoothing "
                "needs finite predictions."
            )
        out.sort(axis=1)
        return out

    def _median_index(self):
        """0-based index of the empirical ``percentile`` (the lower quantile) of n outputs."""
        return max(0, math.ceil(self.percentile * self.n_samples) - 1)

    def _levels(self, radius):
        """Percentile levels whose quantiles at ``x`` bound the smoothed percentile near ``x``."""
        try:
            low = self.noise_.worst_case_probability(self.percentile, radius)
            up = 1.0 - self.noise_.worst_case_probability(1.0 - self.percentile, radius)
        except NotImplementedError as exc:
            raise ValueError(str(exc)) from None
        return np.asarray(low, dtype=np.float64), np.asarray(up, dtype=np.float64)

    # --------------------------------------------------------------- predict
    @_montecarlo.one_bar
    def predict(self, X):
        """The smoothed ``percentile``-th percentile of ``f(x + eps)``.

        Monte Carlo: the empirical percentile (the ``ceil(p n)``-th smallest)
        of the base outputs on ``n_samples`` noisy copies; the same draws as
        :meth:`certify`. Where a closed form is used (see ``method``), exact.

        Parameters
        ----------
        X : array-like of shape (n_inputs, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_inputs,)
        """
        exact = self._check_method()
        X = self._validate_X(X)
        if exact is not None:
            q = exact.percentile(X, self.percentile)
            if q is not None:
                return q
        return self._sorted_outputs(X)[:, self._median_index()]

    @_montecarlo.one_bar
    def certify(self, X, radius):
        """The smoothed percentile and certified bounds on it at every point within ``radius``.

        With probability at least ``1 - alpha`` per input, for every
        ``delta`` with ``||delta|| < radius`` (the norm ``noise_.norm``), the
        smoothed percentile at ``x + delta`` lies in ``[lower, upper]``.
        Monte Carlo (Chiang et al. 2020): with ``p = percentile``,
        ``p_low = noise_.worst_case_probability(p, radius)`` and
        ``p_up = 1 - noise_.worst_case_probability(1 - p, radius)``,
        ``lower`` is the ``k``-th smallest output, ``k`` the largest index with
        ``P[Binom(n, p_low) >= k] >= 1 - alpha / 2``, and ``upper`` the
        ``k'``-th, ``k'`` the smallest index with
        ``P[Binom(n, p_up) >= k'] <= alpha / 2``. Where no such order
        statistic exists (``radius`` too large for ``n_samples`` and
        ``alpha``) the bound is ``-inf`` / ``+inf`` and a
        :class:`~sksmooth.SmoothingWarning` says so. For the l0 noises
        (ablation) the bounds hold for every change of at most
        ``floor(radius)`` features. On a closed form (:attr:`certification_`
        ``"exact-linear"`` or ``"exact-tree"``) the bounds are exact and hold
        with probability 1; a tree's lie in its range of leaf values.

        Parameters
        ----------
        X : array-like of shape (n_inputs, n_features)
        radius : float or array-like of shape (n_radii,)
            Non-negative, in the norm ``noise_.norm``. Several radii are
            bounded on one set of draws (each bound holds at its own radius
            with probability at least ``1 - alpha``).

        Returns
        -------
        y_pred : ndarray of shape (n_inputs,)
            As :meth:`predict` (the same draws).
        lower, upper : ndarray of shape (n_inputs,), or (n_inputs, n_radii)
            The certified bounds; one column per radius when ``radius`` is a list.
        """
        radii = np.asarray(radius, dtype=object if np.ndim(radius) == 0 else None)
        if radii.ndim > 1 or (radii.ndim == 1 and radii.size == 0):
            raise ValueError(f"radius must be a number or a 1-D list of numbers, got {radius!r}.")
        for r in np.atleast_1d(radii).tolist():
            check_radius(r)
        exact = self._check_method()
        X = self._validate_X(X)
        many = [float(r) for r in np.atleast_1d(radii).tolist()]
        if exact is not None:
            outs = [exact.certify(X, self.percentile, r) for r in many]
            if all(out is not None for out in outs):
                if np.ndim(radius) == 0:
                    return outs[0]
                return (outs[0][0], np.column_stack([o[1] for o in outs]),
                        np.column_stack([o[2] for o in outs]))
        S = self._sorted_outputs(X)  # one set of draws for every radius
        bounds = [self._order_bounds(S, r) for r in many]
        y_pred = S[:, self._median_index()]
        if np.ndim(radius) == 0:
            return y_pred, bounds[0][0], bounds[0][1]
        return (y_pred, np.column_stack([b[0] for b in bounds]),
                np.column_stack([b[1] for b in bounds]))

    def _order_bounds(self, S, radius):
        """Lower and upper certified bounds at ``radius`` from sorted outputs ``S``."""
        low, up = self._levels(radius)
        n = self.n_samples
        k_low = int(order_statistic_lower_index(n, low, self.alpha / 2))
        k_up = int(order_statistic_upper_index(n, up, self.alpha / 2))
        m = S.shape[0]
        lower = S[:, k_low - 1] if k_low >= 1 else np.full(m, -np.inf)
        upper = S[:, k_up - 1] if k_up <= n else np.full(m, np.inf)
        if m and (k_low < 1 or k_up > n):
            warnings.warn(
                f"radius={radius} is too large to bound with n_samples={n} at alpha="
                f"{self.alpha}: the needed order statistic does not exist, so "
                + ("lower = -inf" if k_low < 1 else "")
                + (" and " if k_low < 1 and k_up > n else "")
                + ("upper = +inf" if k_up > n else "")
                + ". Use a smaller radius, more n_samples, or a larger alpha.",
                SmoothingWarning,
            )
        return lower, upper

    @_montecarlo.one_bar
    def certified_radius(self, X, tolerance):
        """The largest radius at which the certified bounds stay within ``tolerance`` of the prediction.

        With probability at least ``1 - alpha`` per input, the smoothed
        percentile at every ``x + delta`` with ``||delta|| < radius`` lies
        within ``tolerance`` of ``predict(x)`` (the same draws). Monte Carlo:
        the radius is chosen from the draws, so it is found on a confidence
        band that holds for all radii at once (Dvoretzky-Kiefer-Wolfowitz with
        Massart's constant, ``eps = sqrt(ln(2 / alpha) / (2 n))``): bounds
        ``Y_(ceil(n (p_low - eps)))`` and ``Y_(ceil(n (p_up + eps)))``, and
        bisection over the radius on those. They are looser than
        :meth:`certify`'s binomial bounds at the same radius (Hoeffding's
        inequality bounds the binomial tails by the band), so ``certify`` at
        the returned radius is within ``tolerance`` too. The closed
        forms: ``tolerance / ||w||_dual`` (linear), bisection over the radius
        on the exact bounds (a tree; ``inf`` where the tree's whole range is
        within ``tolerance``). The radius is 0.0 where even at
        radius 0 the bounds are wider than ``tolerance`` (nothing certified);
        for l0 noises it is a whole number of features.

        Parameters
        ----------
        X : array-like of shape (n_inputs, n_features)
        tolerance : float
            Positive, in the units of the target.

        Returns
        -------
        radius : ndarray of shape (n_inputs,)
        """
        _check_tolerance(tolerance)
        exact = self._check_method()
        X = self._validate_X(X)
        if exact is not None:
            out = exact.certified_radius(X, self.percentile, float(tolerance))
            if out is not None:
                return out
        S = self._sorted_outputs(X)
        n, m = self.n_samples, X.shape[0]
        pred = S[:, self._median_index()]
        eps = dkw_epsilon(n, self.alpha)
        # 1-based indices of the outermost order statistics within tolerance.
        i_lo = (S < (pred - tolerance)[:, None]).sum(axis=1) + 1
        i_hi = (S <= (pred + tolerance)[:, None]).sum(axis=1)

        def ok(r):
            # Band bounds at r: lower index ceil(n (p_low - eps)) >= i_lo, upper
            # index ceil(n (p_up + eps)) <= i_hi (and both exist).
            low, up = self._levels(r)
            k_low = np.ceil(n * (low - eps))
            k_up = np.ceil(n * (up + eps))
            return (k_low >= np.maximum(i_lo, 1)) & (k_up <= np.minimum(i_hi, n))

        radius = np.zeros(m)
        good = ok(np.zeros(m))
        if not good.any():
            return radius
        hi = np.ones(m)
        for _ in range(200):  # bracket: the band's bounds leave any tolerance as r grows
            grow = good & ok(hi)
            if not grow.any():
                break
            hi = np.where(grow, hi * 2.0, hi)
        lo = np.zeros(m)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            inside = ok(mid)
            lo = np.where(inside, mid, lo)
            hi = np.where(inside, hi, mid)
        radius = np.where(good, lo, 0.0)
        if getattr(self.noise_, "norm", None) == "l0":
            radius = np.floor(radius)
        return radius
