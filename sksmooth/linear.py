"""Exact certificates for linear models: closed-form radii, no sampling.

A classifier whose scores are affine in the input, ``s(x) = W x + b`` (binary:
``sign(w.x + b)``; multiclass: ``argmax``), smoothed by additive noise, has
closed-form certificates (DESIGN.md section 6):

* binary, any centrally symmetric noise: the smoothed classifier is the base
  classifier itself, and its exact certified radius is the geometric margin
  ``|w.x + b| / ||w||_q`` in the norm dual to the noise's (Hoelder's
  inequality); under Gaussian noise its class probability is
  ``Phi(s(x) / sqrt(w Sigma w^T))``;
* multiclass, Gaussian noise: the smoothed class probabilities are Gaussian
  orthant probabilities of the score gaps, and Cohen et al.'s radius follows.

:func:`margin` gives the base model's own robustness in any lp norm;
:func:`affine_decision` the effective ``(W, b)`` of a fitted linear classifier or
of a :class:`~sklearn.pipeline.Pipeline` of affine transformers ending in one.
"""

from numbers import Real

import numpy as np
from scipy import sparse
from scipy.stats import multivariate_normal, norm as _normal
from sklearn.decomposition import PCA, IncrementalPCA, TruncatedSVD
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = ["affine_decision", "affine_regression", "margin"]

#: Absolute error allowed for each bivariate normal probability (scipy's Genz
#: algorithm is accurate to about 1e-15; tests/test_linear.py checks 1e-13).
_CDF_SLACK = 1e-12

#: Absolute error tolerance of the quasi-Monte Carlo orthant probabilities used
#: by ``predict_proba`` with four classes or more (never by certificates).
_QMC_ABSEPS = 1e-5


# ------------------------------------------------------------ affine steps
def _dense(a):
    return np.asarray(a.toarray() if sparse.issparse(a) else a, dtype=np.float64)


def _pull_diagonal(W, b, scale, shift):
    """Scores of ``z = x * scale + shift`` pulled back to ``x``."""
    shift = np.broadcast_to(np.asarray(shift, dtype=np.float64), W.shape[1:])
    return W * scale, b + W @ shift


def _pull_standard(step, W, b):
    mean = step.mean_ if step.with_mean else 0.0
    scale = step.scale_ if step.with_std else 1.0
    return _pull_diagonal(W, b, 1.0 / scale, -np.asarray(mean) / scale)


def _pull_minmax(step, W, b):
    if step.clip:
        return None
    return _pull_diagonal(W, b, step.scale_, step.min_)


def _pull_maxabs(step, W, b):
    if getattr(step, "clip", False):
        return None
    return _pull_diagonal(W, b, 1.0 / step.scale_, 0.0)


def _pull_robust(step, W, b):
    center = step.center_ if step.with_centering else 0.0
    scale = step.scale_ if step.with_scaling else 1.0
    return _pull_diagonal(W, b, 1.0 / scale, -np.asarray(center) / scale)


def _pull_pca(step, W, b):
    # sklearn's _BasePCA._transform: z = (x - mean_) @ components_.T, divided by
    # sqrt(explained_variance_) (clipped below at eps) when whitening.
    components = _dense(step.components_)
    if step.whiten:
        scale = np.sqrt(np.asarray(step.explained_variance_, dtype=np.float64))
        scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
        W = W / scale
    W_x = W @ components
    return W_x, b - W_x @ np.asarray(step.mean_, dtype=np.float64)


def _pull_svd(step, W, b):
    return W @ _dense(step.components_), b


def _pull_function(step, W, b):
    return (W, b) if step.func is None else None


#: Transformers known to be affine, by exact type (a subclass may override
#: ``transform``): how to pull scores on their output back to their input.
_AFFINE_STEPS = {
    StandardScaler: _pull_standard,
    MinMaxScaler: _pull_minmax,
    MaxAbsScaler: _pull_maxabs,
    RobustScaler: _pull_robust,
    PCA: _pull_pca,
    IncrementalPCA: _pull_pca,
    TruncatedSVD: _pull_svd,
    FunctionTransformer: _pull_function,
}


def _linear_scores(estimator):
    """``(W, b, classes)`` of a fitted linear classifier, or a reason why it is not one."""
    if not isinstance(estimator, LinearClassifierMixin):
        return f"{type(estimator).__name__} is not a linear classifier (LinearClassifierMixin)"
    cls = type(estimator)
    if not cls.__module__.startswith("sklearn.") and (
        cls.predict is not LinearClassifierMixin.predict
        or cls.decision_function is not LinearClassifierMixin.decision_function
    ):
        return f"{cls.__name__} overrides predict or decision_function"
    check_is_fitted(estimator, ["coef_", "intercept_", "classes_"])
    W = _dense(estimator.coef_)
    W = W.reshape(1, -1) if W.ndim == 1 else W
    b = np.broadcast_to(np.atleast_1d(np.asarray(estimator.intercept_, float)), W.shape[:1])
    n_classes = len(estimator.classes_)
    if W.shape[0] != (1 if n_classes == 2 else n_classes):
        return f"{cls.__name__} has {W.shape[0]} rows of coef_ for {n_classes} classes"
    return W, b.astype(np.float64), np.asarray(estimator.classes_)


def _linear_regression_scores(estimator):
    """``(W, b, None)`` of a fitted single-output linear regressor, or a reason why it is not one."""
    from sklearn.base import is_classifier
    from sklearn.linear_model._base import LinearModel

    if is_classifier(estimator) or not isinstance(estimator, LinearModel):
        return f"{type(estimator).__name__} is not a linear regressor (LinearModel)"
    cls = type(estimator)
    if not cls.__module__.startswith("sklearn.") and (
        cls.predict is not LinearModel.predict
        or cls._decision_function is not LinearModel._decision_function
    ):
        return f"{cls.__name__} overrides predict"
    check_is_fitted(estimator, ["coef_", "intercept_"])
    W = _dense(estimator.coef_)
    if W.ndim == 2 and W.shape[0] != 1:
        return f"{cls.__name__} has {W.shape[0]} outputs; one output is supported"
    b = np.asarray(estimator.intercept_, dtype=np.float64).ravel()
    if b.size != 1:
        return f"{cls.__name__} has {b.size} intercepts; one output is supported"
    return W.reshape(1, -1), b, None


def _affine_or_reason(estimator, head_scores=_linear_scores):
    """``(W, b, classes)`` of the effective affine scores in input space, or a reason string.

    ``head_scores`` reads the last step: :func:`_linear_scores` (classifiers) or
    :func:`_linear_regression_scores` (regressors, ``classes`` None).
    """
    if isinstance(estimator, Pipeline):
        if type(estimator) is not Pipeline:
            return f"{type(estimator).__name__} is not a plain Pipeline"
        steps = [step for _, step in estimator.steps]
        head = head_scores(steps[-1])
        if isinstance(head, str):
            return head
        W, b, classes = head
        for step in reversed(steps[:-1]):
            if step is None or (isinstance(step, str) and step == "passthrough"):
                continue
            if type(step) is Pipeline:
                pulled = _pull_pipeline(step, W, b)
            else:
                pull = _AFFINE_STEPS.get(type(step))
                pulled = None if pull is None else pull(step, W, b)
            if pulled is None:
                return (
                    f"pipeline step {type(step).__name__} is not a known affine map (known: "
                    + ", ".join(sorted(t.__name__ for t in _AFFINE_STEPS))
                    + "; MinMaxScaler and MaxAbsScaler without clip, FunctionTransformer "
                    "without func)"
                )
            W, b = pulled
        return W, b, classes
    return head_scores(estimator)


def _pull_pipeline(pipeline, W, b):
    """Pull scores back through a Pipeline made only of affine transformers."""
    for _, step in reversed(pipeline.steps):
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        pull = _pull_pipeline if type(step) is Pipeline else _AFFINE_STEPS.get(type(step))
        pulled = None if pull is None else pull(step, W, b)
        if pulled is None:
            return None
        W, b = pulled
    return W, b


def affine_decision(estimator):
    """Effective affine scores of a fitted linear classifier, in its input space.

    ``estimator`` is a fitted classifier whose ``predict`` is the sign
    (binary) or the argmax (multiclass) of affine scores ``X @ coef_.T +
    intercept_`` — scikit-learn's linear classifiers (``LogisticRegression``,
    ``LinearSVC``, ``SGDClassifier``, ``RidgeClassifier``, ``Perceptron``,
    ``LinearDiscriminantAnalysis``, ...) — or a :class:`~sklearn.pipeline.Pipeline`
    of affine transformers (``StandardScaler``, ``MinMaxScaler``,
    ``MaxAbsScaler``, ``RobustScaler``, ``PCA``, ``IncrementalPCA``,
    ``TruncatedSVD``, identity ``FunctionTransformer``) ending in one; the maps
    are composed into one ``(W, b)``.

    Parameters
    ----------
    estimator : estimator object
        A fitted linear classifier or Pipeline.

    Returns
    -------
    coef : ndarray of shape (1, n_features) or (n_classes, n_features)
        One row for two classes (positive scores predict ``classes[1]``),
        else one row per class.
    intercept : ndarray of shape (1,) or (n_classes,)
    classes : ndarray of shape (n_classes,)

    Raises
    ------
    ValueError
        If the decision is not known to be affine in the input (e.g. a
        ``PolynomialFeatures`` step, a clipping scaler, a tree), saying why.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksmooth.linear import affine_decision
    >>> X = np.array([[0.0, 10.0], [1.0, 30.0], [2.0, 10.0], [3.0, 30.0]])
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, [0, 0, 1, 1])
    >>> coef, intercept, classes = affine_decision(pipe)
    >>> bool(np.allclose(X @ coef.T + intercept, pipe.decision_function(X)[:, None]))
    True
    """
    out = _affine_or_reason(estimator)
    if isinstance(out, str):
        raise ValueError(f"No affine decision: {out}.")
    return out


def affine_regression(estimator):
    """Effective affine prediction ``w.x + b`` of a fitted linear regressor, in its input space.

    ``estimator`` is a fitted single-output linear regressor (a scikit-learn
    ``LinearModel``: ``LinearRegression``, ``Ridge``, ``Lasso``, ``ElasticNet``,
    ``HuberRegressor``, ``BayesianRidge``, ...), or a
    :class:`~sklearn.pipeline.Pipeline` of the affine transformers
    :func:`affine_decision` knows ending in one.

    Parameters
    ----------
    estimator : estimator object

    Returns
    -------
    coef : ndarray of shape (n_features,)
    intercept : float

    Raises
    ------
    ValueError
        If the prediction is not known to be affine in the input, saying why.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sksmooth.linear import affine_regression
    >>> X = np.array([[0.0, 10.0], [1.0, 30.0], [2.0, 10.0], [3.0, 30.0]])
    >>> pipe = make_pipeline(StandardScaler(), Ridge()).fit(X, [0.0, 1.0, 2.0, 4.0])
    >>> coef, intercept = affine_regression(pipe)
    >>> bool(np.allclose(X @ coef + intercept, pipe.predict(X)))
    True
    """
    out = _affine_or_reason(estimator, _linear_regression_scores)
    if isinstance(out, str):
        raise ValueError(f"No affine prediction: {out}.")
    W, b, _ = out
    return W[0], float(b[0])


def _dual_exponent(p):
    if p == 1:
        return np.inf
    if p == np.inf:
        return 1.0
    return p / (p - 1.0)


def margin(estimator, X, norm=2):
    """Distance from each input to the decision boundary of a fitted linear classifier.

    The base model's own robustness: no perturbation ``delta`` with
    ``||delta||_p < margin`` changes its prediction, and one of that norm does.
    Binary: ``|w.x + b| / ||w||_q`` with ``1/p + 1/q = 1`` (Hoelder's
    inequality). Multiclass, predicted class ``a``:
    ``min_j (s_a(x) - s_j(x)) / ||w_a - w_j||_q``, the distance to the nearest
    face of ``a``'s polyhedral region (0 on a tie).

    Parameters
    ----------
    estimator : estimator object
        A fitted linear classifier or Pipeline of affine steps ending in one
        (see :func:`affine_decision`).
    X : array-like of shape (n_inputs, n_features)
    norm : float >= 1 or np.inf, default=2
        The ``p`` of the lp norm the perturbations are measured in.

    Returns
    -------
    margin : ndarray of shape (n_inputs,)
        ``inf`` where no perturbation changes the prediction.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksmooth.linear import margin
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 1.0], [4.0, 0.0]])
    >>> clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> w, b = clf.coef_[0], clf.intercept_[0]
    >>> bool(np.allclose(margin(clf, X), np.abs(X @ w + b) / np.linalg.norm(w)))
    True
    >>> bool(np.allclose(margin(clf, X, norm=1), np.abs(X @ w + b) / np.abs(w).max()))
    True
    """
    if isinstance(norm, bool) or not isinstance(norm, Real) or not norm >= 1:
        raise ValueError(f"norm must be a number >= 1 (or np.inf); got {norm!r}.")
    W, b, _ = affine_decision(estimator)
    X = check_array(X, dtype=np.float64)
    if X.shape[1] != W.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} features, but the estimator's decision uses {W.shape[1]}."
        )
    q = _dual_exponent(float(norm))
    S = X @ W.T + b
    if W.shape[0] == 1:
        return _safe_ratio(np.abs(S[:, 0]), np.linalg.norm(W[0], ord=q))
    top = np.argmax(S, axis=1)
    out = np.full(X.shape[0], np.inf)
    for a in np.unique(top):
        rows = top == a
        others = np.delete(np.arange(W.shape[0]), a)
        gaps = S[rows][:, [a]] - S[rows][:, others]
        norms = np.linalg.norm(W[a] - W[others], ord=q, axis=1)
        out[rows] = _safe_ratio(gaps, norms).min(axis=1)
    return out


def _safe_ratio(num, den):
    """``num / den`` with ``x / 0 = inf`` for ``x > 0`` and ``0 / 0 = 0``."""
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    out = np.where(num > 0, np.inf, 0.0)
    pos = den > 0
    out[pos] = num[pos] / den[pos]
    return out


# ------------------------------------------------------------ exact smoothing
def exact_smoothing(estimator, noise, classes, X_probe, scores_probe):
    """The exact smoothed classifier for ``(estimator, noise)``, or ``(None, reason)``.

    Parameters
    ----------
    estimator : fitted estimator
    noise : BaseNoise
    classes : ndarray
        The smoothed classifier's classes (must equal the estimator's).
    X_probe : ndarray of shape (n_probe, n_features)
        A few inputs on which to check the extracted affine map.
    scores_probe : callable
        Returns the estimator's own ``decision_function`` on ``X_probe``.

    Returns
    -------
    exact : ExactLinearSmoothing or None
    reason : str or None
        Why there is no closed form.
    """
    out = _affine_or_reason(estimator)
    if isinstance(out, str):
        return None, out
    W, b, est_classes = out
    if est_classes.shape != classes.shape or np.any(est_classes != classes):
        return None, "the base estimator's classes_ differ from the training classes"
    if X_probe.shape[1] != W.shape[1]:
        return None, "the affine decision does not act on the input features"
    # Guard: the composed map must reproduce the estimator's own scores.
    ours = X_probe @ W.T + b
    theirs = np.asarray(scores_probe(), dtype=np.float64).reshape(ours.shape)
    scale = np.abs(X_probe) @ np.abs(W).T + np.abs(b)
    if not np.all(np.abs(ours - theirs) <= 1e-7 * (scale + 1.0)):
        return None, "the composed affine map does not reproduce decision_function"
    if W.shape[0] == 1:
        dual = noise.dual_norm(W[0])
        if dual is None:
            return None, f"{type(noise).__name__} gives no closed form for linear models"
        if not np.all(np.asarray(dual) > 0):
            return None, "the coefficient vector is zero (a constant classifier)"
        return ExactLinearSmoothing(W, b, noise), None
    K = W.shape[0]
    diff = (W[:, None, :] - W[None, :, :]).reshape(K * K, -1)
    cov = noise.gaussian_covariance(diff)
    if cov is None:
        return None, (
            f"{type(noise).__name__} gives no closed form for multiclass linear models "
            "(only Gaussian noise does)"
        )
    var = np.diag(cov).reshape(K, K)
    if np.any(var[~np.eye(K, dtype=bool)] <= 0):
        return None, "two classes have equal coefficients (a degenerate score gap)"
    return ExactLinearSmoothing(W, b, noise), None


class ExactLinearSmoothing:
    """The smoothed classifier of an affine base model, in closed form.

    Built by :func:`exact_smoothing`; used by
    :class:`~sksmooth.SmoothedClassifier` when a closed form exists. Class
    indices refer to the estimator's ``classes_``.

    Parameters
    ----------
    coef : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept : ndarray of shape (1,) or (n_classes,)
    noise : BaseNoise
        With :meth:`~sksmooth.BaseNoise.dual_norm` (binary) or
        :meth:`~sksmooth.BaseNoise.gaussian_covariance` (multiclass).
    """

    #: Name reported by ``SmoothedClassifier.certification_``.
    kind = "exact-linear"
    #: The vote of the smoothed classifier this closed form certifies (hard votes: the
    #: soft-smoothed classifier of a multiclass linear model is a different one).
    vote = "hard"

    def __init__(self, coef, intercept, noise):
        self.coef = coef
        self.intercept = intercept
        self.noise = noise

    @property
    def binary(self):
        return self.coef.shape[0] == 1

    def _scores(self, X):
        return X @ self.coef.T + self.intercept

    def _tie_tolerance(self, X):
        # Rounding bound of a length-d dot product (Higham, Accuracy and Stability
        # of Numerical Algorithms, eq. 3.5), with room for the composed pipeline.
        d = X.shape[1]
        return 4 * (d + 2) * np.finfo(np.float64).eps * (
            np.abs(X) @ np.abs(self.coef[0]) + abs(self.intercept[0])
        )

    # -- probabilities
    def predict_proba(self, X):
        """Exact smoothed class probabilities, or None where the noise gives none.

        Binary: ``Phi(s(x) / sqrt(w Sigma w^T))`` for Gaussian noise
        (``Phi(margin / sigma)`` for isotropic). Three classes: exact bivariate
        normal orthant probabilities. Four or more: quasi-Monte Carlo orthant
        probabilities (absolute error about 1e-5), rows renormalised to sum to 1.
        """
        S = self._scores(X)
        if self.binary:
            cov = self.noise.gaussian_covariance(self.coef)
            if cov is None:
                return None
            z = S[:, 0] / np.sqrt(float(np.asarray(cov).ravel()[0]))
            # Phi(z) and Phi(-z) separately keep precision in both tails.
            return np.column_stack([_normal.cdf(-z), _normal.cdf(z)])
        K = self.coef.shape[0]
        proba = np.empty((X.shape[0], K))
        for k in range(K):
            others = np.delete(np.arange(K), k)
            # Class k wins iff (w_j - w_k).eps < s_k - s_j for all j != k.
            cov = self.noise.gaussian_covariance(self.coef[others] - self.coef[k])
            gaps = S[:, [k]] - S[:, others]
            proba[:, k] = _orthant(gaps, cov)
        proba = np.clip(proba, 0.0, 1.0)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Class indices of the exact smoothed classifier (ties: the first class).

        Multiclass: the class whose rigorous lower bound beats every other
        class's upper bound where there is one (no integration needed), else
        the argmax of :meth:`predict_proba`.
        """
        if self.binary:
            return (self._scores(X)[:, 0] > 0).astype(np.intp)
        top, p_lower, p_upper = self._bounds(X)
        unsure = ~(p_lower > p_upper)
        if np.any(unsure):
            top[unsure] = np.argmax(self.predict_proba(X[unsure]), axis=1)
        return top

    def _bounds(self, X):
        """Top class by rigorous lower bound, its ``pA_lower``, and ``pB_upper``."""
        S = self._scores(X)
        lower = _lower_bounds(S, self.coef, self.noise)
        top = np.argmax(lower, axis=1)
        p_lower = lower[np.arange(X.shape[0]), top]
        p_upper = np.minimum(_runner_up_upper(S, top, self.coef, self.noise), 1.0 - p_lower)
        return top, p_lower, p_upper

    # -- certificates
    def certify(self, X):
        """Class indices, certified radii and abstentions.

        Binary: the base prediction and the geometric margin
        ``|w.x + b| / dual_norm(w)``, rounded down by the rounding-error bound of
        the score and the norm (a relative change near ``1e-15``), abstaining
        where the score is within rounding error of 0. Multiclass: the class ``a`` with the largest
        rigorous lower bound ``pA_lower`` on its smoothed probability
        (:func:`_lower_bounds`), and Cohen et al.'s radius ``noise.radius(pA_lower,
        pB_upper)`` with a rigorous ``pB_upper`` (:func:`_runner_up_upper`, and
        ``1 - pA_lower``), abstaining where ``pA_lower <= pB_upper``. Three
        classes: both bounds are the exact probabilities (within 1e-12).
        """
        if self.binary:
            s = self._scores(X)[:, 0]
            tol = self._tie_tolerance(X)
            abstain = np.abs(s) <= tol
            dual = float(np.asarray(self.noise.dual_norm(self.coef[0])))
            # Outward rounding: |s| may be off by tol, the dual norm and the division by
            # a few ulps per feature, so shrink both (same Higham bound as the tie tolerance).
            shrink = 1.0 - 4 * (X.shape[1] + 2) * np.finfo(np.float64).eps
            radius = np.maximum(np.abs(s) - tol, 0.0) / dual * shrink
            return (s > 0).astype(np.intp), np.where(abstain, 0.0, radius), abstain
        top, p_lower, p_upper = self._bounds(X)
        with np.errstate(invalid="ignore", divide="ignore"):
            radius = np.asarray(self.noise.radius(p_lower, p_upper), dtype=np.float64)
        abstain = (p_lower <= p_upper) | ~(radius > 0)
        return top, np.where(abstain, 0.0, radius), abstain


def _orthant(gaps, cov):
    """``P[Z < gaps]`` per row for ``Z ~ N(0, cov)`` (scipy's multivariate normal cdf).

    Two dimensions use Genz's deterministic bivariate algorithm; more use
    randomised quasi-Monte Carlo, seeded per row so each row's value depends on
    that row only.
    """
    if gaps.shape[1] == 2:
        return np.atleast_1d(multivariate_normal.cdf(gaps, cov=cov, allow_singular=True))
    return np.array(
        [
            multivariate_normal.cdf(
                g, cov=cov, allow_singular=True, abseps=_QMC_ABSEPS, rng=np.random.default_rng(0)
            )
            for g in gaps
        ]
    )


def _pair_lower(gi, gj, cov2):
    """``P[Z_i >= g_i, Z_j >= g_j]`` minus the integration slack (a lower bound)."""
    both = np.atleast_1d(
        multivariate_normal.cdf(np.column_stack([-gi, -gj]), cov=cov2, allow_singular=True)
    )
    return np.maximum(both - _CDF_SLACK, 0.0)


def _lower_bounds(S, W, noise):
    """Rigorous lower bounds on every class's smoothed probability (multiclass Gaussian).

    With ``Z_j = (w_j - w_a).eps ~ N(0, C)`` and gaps ``g_j = s_a - s_j``, class
    ``a`` loses iff some event ``A_j = {Z_j >= g_j}`` happens, so
    ``pA >= 1 - [sum_j P(A_j) - sum_{(i,j) in T} P(A_i & A_j)]`` for any spanning
    tree ``T`` of the other classes (Hunter 1976, "An upper bound for the
    probability of a union", J. Appl. Probab. 13; exact for three classes), with
    ``T`` a maximum spanning tree of the pair probabilities. Each probability
    is one- or two-dimensional, computed deterministically to about 1e-15, and
    widened by ``_CDF_SLACK`` in the conservative direction.
    """
    n, K = S.shape
    lower = np.zeros((n, K))
    for a in range(K):
        others = np.delete(np.arange(K), a)
        m = others.size
        C = noise.gaussian_covariance(W[others] - W[a])
        g = S[:, [a]] - S[:, others]
        single = _normal.sf(g / np.sqrt(np.diag(C))) + _CDF_SLACK
        pair = np.zeros((n, m, m))
        for i in range(m):
            for j in range(i + 1, m):
                cov2 = C[np.ix_([i, j], [i, j])]
                pair[:, i, j] = pair[:, j, i] = _pair_lower(g[:, i], g[:, j], cov2)
        union = single.sum(axis=1) - _max_spanning_tree(pair)
        lower[:, a] = np.clip(1.0 - union, 0.0, 1.0)
    return lower


def _runner_up_upper(S, top, W, noise):
    """Rigorous upper bound on the largest smoothed probability of a class other than ``top``.

    ``P[b wins] <= P[b beats a and b beats c]`` for every ``c`` (a bivariate
    normal probability; exact for three classes), plus ``_CDF_SLACK``.
    """
    n, K = S.shape
    upper = np.zeros(n)
    for a in np.unique(top):
        rows = np.flatnonzero(top == a)
        Sa = S[rows]
        others = [c for c in range(K) if c != a]
        best = np.zeros(rows.size)
        for b_ in others:
            bound = np.ones(rows.size)
            for c in others:
                if c == b_:
                    continue
                # b beats a and c: (w_a - w_b).eps < s_b - s_a, (w_c - w_b).eps < s_b - s_c.
                cov2 = noise.gaussian_covariance(np.stack([W[a] - W[b_], W[c] - W[b_]]))
                both = np.atleast_1d(multivariate_normal.cdf(
                    np.column_stack([Sa[:, b_] - Sa[:, a], Sa[:, b_] - Sa[:, c]]),
                    cov=cov2, allow_singular=True))
                bound = np.minimum(bound, both + _CDF_SLACK)
            best = np.maximum(best, bound)
        upper[rows] = best
    return np.minimum(upper, 1.0)


def _max_spanning_tree(weights):
    """Total weight of a maximum spanning tree, per row (Prim's algorithm, vectorised).

    ``weights`` has shape (n_rows, m, m), symmetric, non-negative.
    """
    n, m, _ = weights.shape
    if m < 2:
        return np.zeros(n)
    rows = np.arange(n)
    in_tree = np.zeros((n, m), dtype=bool)
    in_tree[:, 0] = True
    best = weights[:, 0, :].copy()
    total = np.zeros(n)
    for _ in range(m - 1):
        cand = np.where(in_tree, -np.inf, best)
        nxt = np.argmax(cand, axis=1)
        total += cand[rows, nxt]
        in_tree[rows, nxt] = True
        best = np.maximum(best, weights[rows, nxt, :])
    return total
