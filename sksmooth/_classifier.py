"""SmoothedClassifier: validation and orchestration of randomized smoothing."""

import math
import warnings
from collections.abc import Hashable
from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
    is_classifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.utils import get_tags
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import _routing_enabled, process_routing
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_method_params, check_is_fitted, validate_data

from . import _frames, _montecarlo, _random, _torch, _training, _trees, linear
from ._engine import warn_unmoved_rows
from ._meta import (
    SHARED_CONSTRAINTS,
    check_radius,
    SmoothingMixin,
    keep_state_on_error,
    numeric_hint,
    seed_unset_random_states,
)
from ._stats import binom_test_half, clopper_pearson_lower, hoeffding_lower
from ._warnings import InconsistentVersionWarning, SmoothingWarning

#: The numeric-features hint's last words for a classifier.
_ENCODED = "; the certificate then covers the encoded features"
#: The end of the radius error of predict_certified.
_PREDICT_HINT = "; pass radius=None for Cohen et al.'s PREDICT"


class SmoothedClassifier(SmoothingMixin, MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A classifier smoothed by random noise, with provable robustness certificates.

    The smoothed classifier predicts ``g(x) = argmax_c P[f(x + eps) = c]`` where
    ``f`` is the base estimator and ``eps`` the noise. :meth:`certify` returns,
    for each input, ``g``'s class and a radius such that, with probability at
    least ``1 - alpha`` over the Monte Carlo draws, no perturbation of norm
    smaller than the radius (in the norm ``noise_.norm``) changes ``g``'s class
    (Cohen, Rosenfeld & Kolter, ICML 2019).

    Parameters
    ----------
    estimator : estimator object, default=None
        The base classifier ``f``, any estimator with ``fit`` and ``predict``.
        It is cloned into :attr:`estimator_`. None uses
        ``LogisticRegression()``. A skorch net (also inside
        ``sklearn.frozen.FrozenEstimator``) is trained on encoded labels and
        certified on its own device (user guide: "Neural networks with skorch").
    noise : noise object, default=None
        The noise distribution, e.g. :class:`~sksmooth.GaussianNoise`. None uses
        ``GaussianNoise(sigma=0.25)``; ``set_params(noise__sigma=...)`` then
        tunes that default, so a grid over ``noise__sigma`` works either way.
    n_samples : int, default=10_000
        Monte Carlo draws per input used to estimate the class probabilities
        (``n`` in Cohen et al.'s CERTIFY and PREDICT); also the draws behind
        :meth:`predict` and :meth:`predict_proba`.
    n_select : int, default=100
        Separate draws per input used by :meth:`certify` to pick the top class
        (``n0`` in Cohen et al.).
    alpha : float, default=0.001
        Each certificate (and each non-abstained :meth:`predict_certified`
        answer) is wrong with probability at most ``alpha``.
    noise_augment : int, default=1
        :meth:`fit` trains the base estimator on ``noise_augment`` noisy copies
        of every training row (Gaussian data augmentation, as in Cohen et al.).
        0 trains on the clean data. A skorch net instead gets ``noise_augment``
        freshly noised copies of every training batch, new at every epoch.
    method : {"auto", "monte_carlo", "exact"}, default="auto"
        How to certify. ``"monte_carlo"`` always samples; ``"exact"`` demands a
        closed form and raises where none exists; ``"auto"`` uses a closed form
        where one exists and sampling elsewhere. Closed forms exist for linear
        base models (see :mod:`sksmooth.linear`): binary ones under any noise
        with :meth:`~sksmooth.BaseNoise.dual_norm`, multiclass ones under
        Gaussian noise; and for tree models under noise with independent
        coordinates (decision trees, forests with ``vote="soft"``, binary
        stump / no-interaction boosting; user guide "Exact certificates for
        trees"). There every method is exact and deterministic (no
        ``alpha``); ``predict_proba`` samples where the noise gives no exact
        probability (binary non-Gaussian noise).
    abstain_label : "auto" or scalar, default="auto"
        Label returned where the smoothed classifier abstains; the label used
        is the fitted :attr:`abstain_label_`. ``"auto"`` picks a value of the
        classes' own kind that is no class: ``-1`` for integer (or float)
        classes unless ``-1`` is a class, then one below the smallest class;
        ``"abstain"`` for string classes (``"abstain_"``, ``"abstain__"``, ...
        if that is a class); ``None`` for bool classes (no bool is free) and
        any other kind. An explicit value must be a scalar that is not a class
        label. Outputs that may abstain (:meth:`certify`,
        :meth:`predict_certified`) have the classes' dtype where the label
        fits it, else ``object`` (bool classes: ``True``/``False``/``None``).
    vote : {"hard", "soft"}, default="hard"
        ``"hard"`` counts the base estimator's predicted classes (Cohen et al.).
        ``"soft"`` averages its ``predict_proba`` over the draws instead
        (Salman et al. 2019): :meth:`certify` bounds the top class's mean score
        from below with Hoeffding's inequality and applies the same radius
        formula. Soft voting needs a base estimator with ``predict_proba`` and
        a noise for which it is proven (Gaussian noises: ``noise.soft_vote``).
        The radius needs every ``predict_proba`` row to be a probability
        vector: entries below ``-1e-6`` or a row sum off 1 by more than
        ``1e-6`` are an error; within that tolerance rows are clipped at 0 and
        divided by their sum. The closed forms of :mod:`sksmooth.linear`
        certify the hard vote, so with ``vote="soft"`` every method samples
        (``method="exact"`` raises).
    training : {"noise", "consistency", "smoothadv", "macer"}, default="noise"
        How a skorch net is trained (user guide: "Training for certified
        robustness"). ``"noise"``: Gaussian data augmentation, the
        ``noise_augment`` copies above (Cohen et al. 2019), the only method for
        scikit-learn base estimators. The others train skorch nets only, on
        ``m`` noisy copies of every batch drawn on the net's device:
        ``"consistency"`` adds ``lambda * KL(mean prediction || each copy's) +
        eta * entropy(mean prediction)`` to the cross-entropy (Jeong & Shin,
        NeurIPS 2020); ``"smoothadv"`` trains on noisy copies of points found by
        an l2 PGD attack (``epsilon``, ``steps``, ``step_size``) on the smoothed
        soft classifier (Salman et al., NeurIPS 2019); ``"macer"`` minimises the
        smoothed soft classifier's cross-entropy plus ``lambda`` times a hinge
        (``gamma``) on its certified radius, with inverse temperature ``beta``
        (Zhai et al., ICLR 2020).
    training_params : dict, default=None
        Hyperparameters of ``training`` (None: the defaults).
        ``"consistency"``: ``m`` (2), ``lambda`` (3.0), ``eta`` (0.5);
        ``"smoothadv"``: ``m`` (2), ``epsilon`` (0.5), ``steps`` (2),
        ``step_size`` (None: ``2 * epsilon / steps``); ``"macer"``: ``m`` (8),
        ``lambda`` (12.0), ``gamma`` (8.0), ``beta`` (16.0). ``"noise"`` takes
        none. Unknown keys and values out of range are errors at fit. A grid
        search tunes them as a list of dicts, e.g. ``{"training_params":
        [{"lambda": 5}, {"lambda": 20}]}``.
    batch_size : int, default=None
        Most noisy rows passed to the base estimator in one call; bounds memory
        (each job holds at most two batches). None sizes batches in bytes from
        the row width and the model's output width (``n_classes`` scores per
        row): from about 1 MiB up to 32 MiB of rows and outputs per batch,
        never under one row, tuned by measured throughput on the fitted
        model's first calls and reused after (the draws never depend on it);
        counting then holds about
        128 MiB at most besides the inputs (for base models whose ``predict``
        needs O(n_features + n_classes) memory per row).
    n_jobs : int, default=None
        Inputs are split across ``n_jobs`` jobs through
        ``sklearn.utils.parallel`` (threads by default; any joblib backend set
        with ``joblib.parallel_config``, e.g. Dask, applies). Results do not
        depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise. An int gives the same draws on every call; each input
        row gets its own stream keyed by ``random_state`` and the row's values,
        so results do not depend on row order, batching or ``n_jobs``. It also
        seeds the base estimator's ``random_state`` parameters that are None.
    verbose : int, default=0
        Show a progress bar when > 0.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``. It is trained on the labels encoded
        as ``0 .. n_classes - 1`` (indices into ``classes_``, as in
        scikit-learn's ``StackingClassifier``), so that any library's
        classifier accepts them; a base wrapped in
        ``sklearn.frozen.FrozenEstimator`` keeps its own labels, which must be
        among ``classes_``. Every output of this estimator is in the labels
        of ``y``.
    noise_ : noise object
        The validated clone of ``noise`` used after fit.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    abstain_label_ : object
        The label returned where the smoothed classifier abstains (``abstain_label``
        resolved against ``classes_``, see ``abstain_label``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when ``X`` had string column names.
    certification_ : str
        The path :meth:`certify` takes: a closed form (``"exact-linear"``,
        ``"exact-tree"``, ``"exact-soft-tree"``, ``"exact-soft-forest"``,
        ``"exact-additive"``) or ``"monte_carlo"``.

    See Also
    --------
    sksmooth.GaussianNoise : Gaussian noise and its l2 certificate.

    Notes
    -----
    The guarantee is about the smoothed classifier ``g``, not the base
    estimator ``f``; it is statistical (each certificate is wrong with
    probability at most ``alpha``, independently across inputs since each
    input has its own noise stream); and it covers perturbations in the
    norm of the noise only.

    References
    ----------
    .. [1] J. Cohen, E. Rosenfeld, J. Z. Kolter. "Certified Adversarial
       Robustness via Randomized Smoothing". ICML 2019.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from sksmooth import SmoothedClassifier, GaussianNoise
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = SmoothedClassifier(DecisionTreeClassifier(max_depth=3, random_state=0),
    ...                          noise=GaussianNoise(sigma=0.25), n_samples=1000,
    ...                          random_state=0).fit(X[:400], y[:400])
    >>> y_pred, radius = clf.certify(X[400:405])
    >>> y_pred
    array([0, 1, 1, 1, 1])
    >>> radius.round(2)  # exact: a tree under Gaussian noise has a closed form
    array([1.55, 0.6 , 0.87, 0.91, 1.16])
    >>> clf.certification_
    'exact-tree'
    """

    _parameter_constraints = {
        **SHARED_CONSTRAINTS,
        "n_select": [Interval(Integral, 1, None, closed="left")],
        "abstain_label": "no_validation",  # any scalar; checked against classes_
        "vote": [StrOptions({"hard", "soft"})],
        "training": [StrOptions({"noise", "consistency", "smoothadv", "macer"})],
        "training_params": [dict, None],
    }

    def __init__(
        self,
        estimator=None,
        noise=None,
        *,
        n_samples=10_000,
        n_select=100,
        alpha=0.001,
        noise_augment=1,
        method="auto",
        abstain_label="auto",
        vote="hard",
        training="noise",
        training_params=None,
        batch_size=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.noise = noise
        self.n_samples = n_samples
        self.n_select = n_select
        self.alpha = alpha
        self.noise_augment = noise_augment
        self.method = method
        self.abstain_label = abstain_label
        self.vote = vote
        self.training = training
        self.training_params = training_params
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    _default_estimator = LogisticRegression

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        base = get_tags(self._make_estimator())
        if base.classifier_tags is not None:
            tags.classifier_tags.multi_class = base.classifier_tags.multi_class
        return tags

    # --------------------------------------------------------------------- fit
    @keep_state_on_error
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **fit_params):
        """Fit the base estimator on noise-augmented data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (numeric).
        y : array-like of shape (n_samples,)
            Class labels: ints, strings, anything scikit-learn accepts.
        **fit_params : dict
            Passed to the base estimator's ``fit`` (through metadata routing when
            it is enabled). Per-sample parameters such as ``sample_weight`` are
            repeated for the noisy copies.

        Returns
        -------
        self : object
        """
        X, y = self._validate_fit_data(X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if self.classes_.shape[0] < 2:
            raise ValueError(
                "Classifier can't train when only one class is present: y has the single "
                f"class {self.classes_[0]!r}; smoothing needs at least two classes."
            )
        self.abstain_label_ = _resolve_abstain_label(self.abstain_label, self.classes_)
        # Stored as a dtype string so that skops.io files need no numpy.dtype/object trust.
        self._out_dtype = np.dtype(_label_dtype(self.classes_, self.abstain_label_)).str
        names = getattr(self, "feature_names_in_", None)
        names = {} if names is None else {"feature_names": names}  # noises of the 1-arg protocol
        self.noise_ = clone(self._make_noise()).validate(X.shape[1], **names)
        if self._codec is not None:
            _frames.check_noise(self._codec, self.noise_, self._make_estimator())
        self._check_params(self._make_estimator(), self.noise_)
        self._warn_if_never_certifies()

        if _routing_enabled():
            params = process_routing(self, "fit", **fit_params).estimator.fit
        else:
            params = fit_params
        # Labels encoded as indices into classes_ for every base (StackingClassifier does
        # the same); a FrozenEstimator is not refitted and keeps its own labels.
        y_enc = np.searchsorted(self.classes_, y)
        if _torch.skorch_net(self._make_estimator()) is not None:  # torch path: _torch.py
            self._fit_net(X, y, params)
            return self
        self._fit_sampled(X, y_enc, params)
        self._fit_closed_form(X[:20])
        return self

    def _fit_net(self, X, y, params):
        """Fit job 1: a skorch net, trained (or frozen) by :func:`sksmooth._torch.fit_net`."""
        self._exact, self._exact_reason = None, "a skorch net is not a linear model"
        entropy = _random.base_entropy(self.random_state)
        self._base_labels = np.arange(self.classes_.shape[0])
        self.estimator_ = _torch.fit_net(
            clone(self._make_estimator()), X, y, self.classes_, self.noise_,
            self.noise_augment, self.random_state, entropy, params,
            self.training, self.training_params,
        )  # fmt: skip

    def _fit_sampled(self, X, y_enc, params):
        """Fit job 2: a scikit-learn base on ``noise_augment`` noisy copies of the data."""
        _training.check_sklearn_base(self.training, self.training_params)
        if self.noise_augment > 0:
            entropy = _random.base_entropy(self.random_state)
            rng = _random.generator(np.random.SeedSequence(entropy, spawn_key=(_random.TRAIN,)))
            idx = np.tile(np.arange(X.shape[0]), self.noise_augment)
            X_train = self.noise_.perturb(X[idx], self.noise_.sample(idx.size, X.shape[1], rng))
            y_train = y_enc[idx]
            params = _check_method_params(X, params, indices=idx)
        else:
            X_train, y_train = X, y_enc
        estimator = clone(self._make_estimator())
        seed_unset_random_states(estimator, self.random_state)
        self.estimator_ = estimator.fit(self._to_base_input(X_train), y_train, **params)
        self._base_labels = self._check_base_classes(self.estimator_)

    def _fit_closed_form(self, probe):
        """Fit job 3: find a closed form for the fitted base (linear, then trees), if any.

        ``probe`` (a few training rows) checks that the closed form reproduces
        the base's own scores.
        """
        self._exact, self._exact_reason = linear.exact_smoothing(
            self.estimator_, self.noise_, self._base_labels, probe,
            lambda: self.estimator_.decision_function(self._to_base_input(probe)),
        )
        if self._exact is None:  # tree closed forms (sksmooth/_trees.py)
            self._exact, reason = _trees.exact_smoothing(
                self.estimator_, self.noise_, self._base_labels, self.vote, probe,
                lambda: self.estimator_.decision_function(self._to_base_input(probe)),
            )
            self._exact_reason = None if reason is None else f"{self._exact_reason}; {reason}"

    # -------------------------------------------------------------- pickling
    def __getstate__(self):
        from . import __version__

        state = super().__getstate__()
        state = dict(state) if state is not None else dict(self.__dict__)
        state["_sksmooth_version"] = __version__
        return state

    def __setstate__(self, state):
        from . import __version__

        state = dict(state)
        saved = state.pop("_sksmooth_version", "unknown (saved before versions were stored)")
        if saved != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    original_sksmooth_version=saved, current_sksmooth_version=__version__
                )
            )
        super().__setstate__(state)

    # ------------------------------------------------------------- validation
    def _check_params(self, estimator, noise):
        """The cross-parameter rules of ``fit``, against the base estimator and noise in use.

        ``fit`` runs them on what it is about to fit; every public method runs
        them (with sklearn's ``_validate_params``) on the fitted ``estimator_``
        and ``noise_`` (:meth:`_check_fitted`), so parameters changed with
        ``set_params`` after fit get the same errors as at fit.
        """
        # A skorch NeuralNet emitting class scores is a classifier by its output width
        # (checked by _torch.fit_net); any other base must say it is one (StackingClassifier).
        if not is_classifier(estimator) and _torch.skorch_net(estimator) is None:
            raise ValueError(
                f"The base estimator {type(estimator).__name__} is not a classifier (its "
                "estimator_type tag is not 'classifier', e.g. it is a regressor); "
                "SmoothedClassifier needs a classifier."
            )
        if self.n_jobs == 0:
            raise ValueError("n_jobs=0 runs nothing; pass None, a positive int, or -1 (all cores).")
        if self.vote == "soft":
            if not noise.soft_vote:
                raise ValueError(
                    f"vote='soft' is proven for Gaussian noise only (Salman et al. 2019), not "
                    f"for {type(noise).__name__}; use vote='hard' or a GaussianNoise / "
                    "CorrelatedGaussianNoise."
                )
            if not hasattr(estimator, "predict_proba"):
                raise ValueError(
                    f"vote='soft' averages predict_proba, which {type(estimator).__name__} "
                    "does not have; use vote='hard' or a base estimator with predict_proba."
                )

    def _warn_if_never_certifies(self):
        if self.alpha ** (1.0 / self.n_samples) <= 0.5:
            least = math.floor(math.log(self.alpha) / math.log(0.5)) + 1
            warnings.warn(
                f"n_samples={self.n_samples} can never certify at alpha={self.alpha}: even a "
                f"unanimous vote gives pA_lower = alpha**(1/n_samples) <= 1/2. Use "
                f"n_samples >= {least}.",
                SmoothingWarning,
            )

    #: Fitted private state every public method relies on (a model unpickled from a
    #: version without one of them must not silently change how it certifies).
    _FITTED_STATE = (
        "_exact", "_exact_reason", "_out_dtype", "_base_labels", "abstain_label_", "_codec",
    )

    def _check_fitted(self):
        """Fitted, complete state and valid parameters: the check of every public method."""
        check_is_fitted(self)
        missing = [name for name in self._FITTED_STATE if name not in vars(self)]
        if missing:
            raise AttributeError(
                f"This fitted SmoothedClassifier lacks {missing} (it was probably saved by "
                "another sksmooth version); it cannot tell how to certify (e.g. exact or "
                "Monte Carlo radii). Refit it with this version."
            )
        self._validate_params()
        resolved = _resolve_abstain_label(self.abstain_label, self.classes_)
        if not _same_label(resolved, self.abstain_label_):
            raise ValueError(
                f"abstain_label was changed after fit: it now gives {resolved!r}, but the "
                f"model was fitted with abstain_label_={self.abstain_label_!r}. Call fit again "
                "(or set abstain_label back)."
            )
        self._check_params(self.estimator_, self.noise_)

    def _check_base_classes(self, estimator):
        """The labels the fitted base predicts for each of ``classes_`` (encoded, or frozen own)."""
        from sklearn.frozen import FrozenEstimator

        n_classes = self.classes_.shape[0]
        if not isinstance(estimator, FrozenEstimator):
            return np.arange(n_classes)
        base = getattr(estimator, "classes_", None)
        if base is None or len(base) != n_classes or np.any(np.asarray(base) != self.classes_):
            raise ValueError(
                f"The frozen base estimator's classes_ {None if base is None else list(base)!r} "
                f"differ from the classes of y {self.classes_.tolist()!r}; a FrozenEstimator "
                "is not refitted, so it must have been trained on the same classes."
            )
        return self.classes_

    @property
    def certification_(self):
        """The path :meth:`certify` takes: a closed form's name, or ``"monte_carlo"``.

        ``"exact-linear"`` (:mod:`sksmooth.linear`), ``"exact-tree"``,
        ``"exact-soft-tree"``, ``"exact-soft-forest"``, ``"exact-additive"``
        (tree models, user guide "Exact certificates for trees"), or
        ``"monte_carlo"`` where no closed form applies or ``method="monte_carlo"``.
        """
        exact = self._check_method()
        return "monte_carlo" if exact is None else exact.kind

    # -------------------------------------------------------------- internals
    def _to_base_input(self, X):
        """Give the base estimator a DataFrame with the fit-time column names, if any.

        A frame fitted with text columns is rebuilt in its own columns and dtypes
        (:class:`~sksmooth._frames.FrameCodec`).
        """
        if self._codec is not None:
            return self._codec.decode(X, noised=self.noise_.feature_indices(X.shape[1]))
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            return X
        import pandas as pd

        return pd.DataFrame(X, columns=names, copy=False)

    def _soft_scores(self, X_noisy):
        """``predict_proba`` of the base estimator on noisy rows, in the columns of ``classes_``.

        Soft smoothing's radius assumes probability vectors (the runner-up's mean
        score is then at most ``1 - pA``): rows off the simplex by more than
        ``_SIMPLEX_TOL`` are an error; within it they are clipped and renormalised.
        """
        n_rows, n_classes = X_noisy.shape[0], self.classes_.shape[0]
        proba = np.asarray(self.estimator_.predict_proba(self._to_base_input(X_noisy)), float)
        name = type(self.estimator_).__name__
        if _torch.skorch_net(self.estimator_) is not None:
            cols = np.arange(n_classes)  # a skorch net is trained on class indices
        else:
            cols = np.searchsorted(self._base_labels, self.estimator_.classes_)
        if proba.shape != (n_rows, cols.shape[0]):
            raise ValueError(
                f"{name}.predict_proba returned an array of shape {proba.shape} for {n_rows} "
                f"rows; expected ({n_rows}, {cols.shape[0]}), one column per class of its "
                "classes_."
            )
        scores = np.zeros((n_rows, n_classes))
        scores[:, cols] = proba
        return _on_simplex(scores, name)

    def _vote(self, X_noisy):
        """Class indices predicted by the base estimator on noisy rows."""
        n_rows = X_noisy.shape[0]
        labels = np.asarray(self.estimator_.predict(self._to_base_input(X_noisy)))
        if labels.shape != (n_rows,):
            raise ValueError(
                f"{type(self.estimator_).__name__}.predict returned an array of shape "
                f"{labels.shape} for {n_rows} rows; expected ({n_rows},), one label per row."
            )
        base = self._base_labels
        idx = np.searchsorted(base, labels)
        idx = np.minimum(idx, base.shape[0] - 1)
        bad = base[idx] != labels
        if np.any(bad):
            raise ValueError(
                f"The base estimator {type(self.estimator_).__name__} predicted "
                f"{labels[bad][0]!r}, which is not one of the labels it was trained on "
                f"{base.tolist()!r} (the classes {self.classes_.tolist()!r}, encoded)."
            )
        return idx

    def predict_base(self, X):
        """The base estimator's predictions on the clean inputs, in the labels of ``y``.

        ``estimator_`` itself is trained on encoded labels (indices into
        ``classes_``, as in :class:`~sklearn.ensemble.StackingClassifier`), so
        its own ``predict`` returns indices; this maps them back. It is the
        base model's clean accuracy that :class:`~sksmooth.plotting.CertifiedAccuracyDisplay`
        and the ``sksmooth`` command report beside the certified one.

        Parameters
        ----------
        X : array-like of shape (n_inputs, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_inputs,)
            In the labels of ``classes_``; no noise, no abstention.
        """
        X = self._validate_X(X)
        net = _torch.skorch_net(self.estimator_)
        vote = self._vote if net is None else _torch.numpy_vote(net)
        return self.classes_[np.asarray(vote(X))]

    def _validate_X(self, X):
        self._check_fitted()
        if self._codec is not None:
            return _frames.validate_frame(self, self._codec, X, reset=False)
        with numeric_hint("SmoothedClassifier", _ENCODED):
            return validate_data(
                self, X, reset=False, dtype=np.float64, ensure_all_finite=self._finite_policy()
            )

    def _validate_fit_data(self, X, y):
        """Validated float64 ``X`` and ``y`` for fit; a frame with text columns gets a codec."""
        self._codec = _frames.FrameCodec(X) if _frames.FrameCodec.needed(X) else None
        if self._codec is not None:
            X = _frames.validate_frame(self, self._codec, X, reset=True)
            return X, _frames.check_target(X, y)
        with numeric_hint("SmoothedClassifier", _ENCODED):
            return validate_data(
                self, X, y, dtype=np.float64, ensure_all_finite=self._finite_policy(),
                y_numeric=False,
            )

    def _counts(self, X, keys, entropy, n_draws, purpose):
        """Vote counts (or score sums) of ``n_draws`` draws per row: the Monte Carlo front door."""
        spawn_key = purpose if isinstance(purpose, tuple) else (purpose,)
        seeds = _random.RowSeeds(keys, entropy, spawn_key)
        net = _torch.skorch_net(self.estimator_)
        if self.vote == "soft":
            reduction, base_output = "scores", self._soft_scores
        else:
            reduction = "counts"
            base_output = self._vote if net is None else _torch.numpy_vote(net)
        with _montecarlo.progress_bar(self.verbose, X.shape[0] * n_draws) as progress:
            return _montecarlo.evaluate(
                self.estimator_, base_output, X, self.noise_, n_draws, seeds, reduction,
                n_classes=self.classes_.shape[0], batch_size=self.batch_size,
                n_jobs=self.n_jobs, progress=progress,
                # codes of text columns (FrameCodec) are exact in float64 only
                dtype=None if self._codec is None else np.float64,
            )  # fmt: skip

    def _estimation_counts(self, X):
        X = self._validate_X(X)
        keys = _random.row_keys(X)
        entropy = _random.base_entropy(self.random_state)
        return self._counts(X, keys, entropy, self.n_samples, _random.ESTIMATE)

    def _select_top(self, X):
        """Validated ``X``, its row keys and entropy, and the top class from ``n_select`` draws.

        The selection step shared by CERTIFY and the sequential test (Cohen et al.).
        """
        X = self._validate_X(X)
        warn_unmoved_rows(self.noise_, X)
        keys = _random.row_keys(X)
        entropy = _random.base_entropy(self.random_state)
        select = self._counts(X, keys, entropy, self.n_select, _random.SELECT)
        return X, keys, entropy, np.argmax(select, axis=1)

    def _labels(self, idx, abstain):
        out = np.empty(idx.shape[0], dtype=self._out_dtype)
        if out.dtype == object:
            out[:] = self.classes_[idx].tolist()  # Python values: True stays True, not 1
        else:
            out[:] = self.classes_[idx]
        out[abstain] = self.abstain_label_
        return out

    def _check_method(self):
        """The closed form to use (see :mod:`sksmooth.linear`), or None to sample."""
        self._check_fitted()
        exact, reason = self._exact, self._exact_reason
        if exact is not None and exact.vote != self.vote:
            # A closed form certifies one smoothed classifier: the hard-vote one (linear,
            # trees, boosting) or the soft-vote one (trees and forests fitted with
            # vote='soft'); argmax of mean scores and of vote counts differ (issue 11, item 3).
            exact, reason = None, (
                f"the closed form ({exact.kind}) certifies the {exact.vote}-vote smoothed "
                f"classifier, not vote={self.vote!r}"
                + ("; refit with vote='soft' for a soft closed form" if exact.kind != "exact-linear"
                   else "; vote='soft' of a linear model is certified by sampling")
            )
        if self.method == "exact" and exact is None:
            raise ValueError(
                "method='exact' needs a closed-form certificate, and none exists for "
                f"{type(self.estimator_).__name__} with {type(self.noise_).__name__}"
                f"{' and vote=' + repr(self.vote) if self.vote == 'soft' else ''}; use "
                f"method='auto' or method='monte_carlo'. ({reason})"
            )
        return None if self.method == "monte_carlo" else exact

    # --------------------------------------------------------------- predict
    @_montecarlo.one_bar
    def predict_proba(self, X):
        """Vote frequencies of the base estimator over ``n_samples`` noisy copies.

        Parameters
        ----------
        X : array-like of shape (n_inputs, n_features)

        Returns
        -------
        proba : ndarray of shape (n_inputs, n_classes)
            Monte Carlo estimates of ``P[f(x + eps) = c]``; rows sum to 1.
            With ``vote="soft"``, the mean of the base ``predict_proba``.
            Where a closed form is used (see ``method``), the exact
            probabilities instead (:mod:`sksmooth.linear`).
        """
        exact = self._check_method()
        if exact is not None:
            proba = exact.predict_proba(self._validate_X(X))
            if proba is not None:
                return proba
        counts = self._estimation_counts(X)
        return counts / float(self.n_samples)

    @_montecarlo.one_bar
    def predict(self, X):
        """Smoothed majority vote over ``n_samples`` noisy copies; always a class.

        It is the argmax of :meth:`predict_proba` (same draws). Use
        :meth:`predict_certified` or :meth:`certify` for answers with a guarantee.

        Parameters
        ----------
        X : array-like of shape (n_inputs, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_inputs,)
        """
        exact = self._check_method()
        if exact is not None:
            return self.classes_[exact.predict(self._validate_X(X))]
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    @_montecarlo.one_bar
    def predict_certified(self, X, radius=None, return_n_draws=False):
        """The class where the answer is guaranteed, ``abstain_label`` elsewhere.

        With ``radius=None``, Cohen et al.'s PREDICT: draws ``n_samples`` noisy
        copies; returns the top class when the two-sided binomial test of the
        top two counts against 1/2 has p-value ``<= alpha``, else
        ``abstain_label``. A returned class differs from the smoothed
        classifier's with probability at most ``alpha``.

        With ``radius=r``, sequential certification: returns the class where
        the smoothed classifier is certified at radius ``r`` (what
        :meth:`certify` would report as a radius ``>= r``), testing
        ``H0: pA <= noise_.p_required(r)`` in stages of doubling size and
        stopping each input as soon as the answer is clear, never past
        ``n_samples`` draws (Horváth et al., ICLR 2022). The stage levels sum
        to ``alpha``, so a returned class is wrongly certified at ``r`` with
        probability at most ``alpha``. Inputs far from the decision boundary
        stop after a few hundred draws.

        With ``vote="soft"`` (and ``radius=None``) the top class is returned
        when the Hoeffding lower bound at level ``alpha / n_classes`` on its
        mean score exceeds 1/2. Where a closed form is used (see ``method``),
        the answers are exact and use no draws.

        Parameters
        ----------
        X : array-like of shape (n_inputs, n_features)
        radius : float, default=None
            Target radius in the norm ``noise_.norm``; None runs PREDICT.
        return_n_draws : bool, default=False
            Also return the draws each input used.

        Returns
        -------
        y_pred : ndarray of shape (n_inputs,)
        n_draws : ndarray of shape (n_inputs,)
            Only with ``return_n_draws=True``: noisy copies drawn per input
            (with a radius, the ``n_select`` selection draws included).
        """
        exact = self._check_method()
        if exact is not None:
            top, exact_radius, abstain = self._exact_certify(exact, X)
            if radius is not None:
                check_radius(radius, _PREDICT_HINT)
                abstain = abstain | ~(exact_radius >= radius)
            y_pred = self._labels(top, abstain)
            return (y_pred, np.zeros(y_pred.shape[0], dtype=np.int64)) if return_n_draws else y_pred
        self._check_fitted()
        self._warn_if_never_certifies()
        if radius is not None:
            check_radius(radius, _PREDICT_HINT)
            if self.vote == "soft":
                # The sequential test counts votes; soft votes are certified by CERTIFY's
                # Hoeffding bound instead: certified at r iff certify's radius >= r.
                top, certified, abstain = self._certify(X)
                y_pred = self._labels(top, abstain | ~(certified >= radius))
                n = np.full(y_pred.shape[0], self.n_select + self.n_samples, dtype=np.int64)
                return (y_pred, n) if return_n_draws else y_pred
            y_pred, n_draws = self._predict_certified_at(X, radius)
            return (y_pred, n_draws) if return_n_draws else y_pred
        counts = self._estimation_counts(X)
        top2 = np.argsort(-counts, axis=1, kind="stable")[:, :2]
        rows = np.arange(counts.shape[0])
        n_a = counts[rows, top2[:, 0]]
        n_b = counts[rows, top2[:, 1]]
        if self.vote == "soft":
            # At most one class has mean score > 1/2; answer only when the top class's
            # Hoeffding bound exceeds 1/2, Bonferroni over the classes (so w.p. <= alpha wrong).
            n_classes = self.classes_.shape[0]
            lower = hoeffding_lower(n_a / self.n_samples, self.n_samples, self.alpha / n_classes)
            abstain = ~(lower > 0.5)
        else:
            abstain = binom_test_half(n_a, n_b) > self.alpha
        y_pred = self._labels(top2[:, 0], abstain)
        if return_n_draws:
            return y_pred, np.full(y_pred.shape[0], self.n_samples, dtype=np.int64)
        return y_pred

    def _predict_certified_at(self, X, radius):
        """Sequential test at ``radius``: the class where certified, and the draws each row used.

        The top class comes from ``n_select`` selection draws (as in CERTIFY);
        stage ``k`` of the estimation draws comes from each input's stream
        ``(SEQUENTIAL, k)`` (:func:`sksmooth._sequential.sequential_certify`).
        """
        from ._sequential import sequential_certify

        # Never certify unless pA > 1/2 (Cohen et al.): radius 0 then means "g's class is sure".
        p_star = max(0.5, float(self.noise_.p_required(float(radius))))
        X, keys, entropy, top = self._select_top(X)

        def counts(active, n_draws, stage):
            return self._counts(X[active], keys[active], entropy, n_draws,
                                (_random.SEQUENTIAL, stage))

        certified, used = sequential_certify(counts, top, self.n_samples, self.alpha, p_star)
        return self._labels(top, ~certified), used + self.n_select

    @_montecarlo.one_bar
    def certify(self, X):
        """Cohen et al.'s CERTIFY: class and certified radius for each input.

        The top class ``cA`` is the most frequent among ``n_select`` draws; a
        fresh ``n_samples`` draws count ``nA`` votes for it; the one-sided
        Clopper–Pearson bound at level ``alpha`` gives ``pA_lower``, and with
        ``pB = 1 - pA_lower`` the noise turns them into a radius. The input is
        abstained (``abstain_label``, radius 0.0) when ``pA_lower <= 1/2``.
        With ``vote="soft"``, ``pA_lower`` is the Hoeffding lower bound on the
        mean ``predict_proba`` score of ``cA`` (Salman et al. 2019).

        Parameters
        ----------
        X : array-like of shape (n_inputs, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_inputs,)
            The smoothed class, or ``abstain_label``.
        radius : ndarray of shape (n_inputs,)
            The certified radius in the norm ``noise_.norm``; 0.0 where abstained.
            A class with radius 0 (possible with the integer l0 radius of the
            ablation noises) is a prediction certified at ``x`` itself but not
            robust to changing any feature.
            With probability at least ``1 - alpha`` per input, ``g`` returns
            ``y_pred`` on every point closer than ``radius``.
        """
        self._check_fitted()
        self._warn_if_never_certifies()
        top, radius, abstain = self._certify(X)
        return self._labels(top, abstain), radius

    def _exact_certify(self, exact, X):
        """The closed form's class indices, radii and abstentions (rows it cannot move warn)."""
        X = self._validate_X(X)
        warn_unmoved_rows(self.noise_, X)
        return exact.certify(X)

    def _certify(self, X):
        """Class indices, radii (0.0 where abstained) and abstentions of CERTIFY."""
        exact = self._check_method()
        if exact is not None:
            return self._exact_certify(exact, X)
        X, keys, entropy, top = self._select_top(X)
        counts = self._counts(X, keys, entropy, self.n_samples, _random.ESTIMATE)
        n_a = counts[np.arange(X.shape[0]), top]
        if self.vote == "soft":  # mean score of cA, Hoeffding bound (Salman et al. 2019)
            p_lower = hoeffding_lower(n_a / self.n_samples, self.n_samples, self.alpha)
        else:
            p_lower = clopper_pearson_lower(n_a, self.n_samples, self.alpha)
        with np.errstate(invalid="ignore"):
            radius = np.asarray(self.noise_.radius(p_lower, 1.0 - p_lower), dtype=np.float64)
        abstain = (p_lower <= 0.5) | ~(radius >= 0)
        return top, np.where(abstain, 0.0, radius), abstain


def _label_family(dtype):
    """Kinds of label whose values one array holds faithfully: numbers, strings, bools."""
    kind = np.dtype(dtype).kind
    return {"i": "number", "u": "number", "f": "number", "U": "string", "S": "string",
            "b": "bool"}.get(kind, "object")


def _label_dtype(classes, abstain_label):
    """A dtype holding every class and the abstain label with their values (else object).

    Numbers with numbers and strings with strings share a numpy dtype; anything
    else (bool classes, mixed kinds) is ``object``, so that ``True`` stays ``True``.
    """
    label = np.asarray(abstain_label)
    family = _label_family(classes.dtype)
    if family in ("object", "bool") or _label_family(label.dtype) != family:
        return object
    try:
        return np.result_type(classes.dtype, label.dtype)
    except TypeError:
        return object


def _resolve_abstain_label(abstain_label, classes):
    """The label to abstain with: ``"auto"``'s pick, or the user's, checked against ``classes``.

    ``"auto"``: -1 for numeric classes (one below the smallest if -1 is a class),
    ``"abstain"`` for strings (underscores appended while it is a class), None
    otherwise (bool classes: no bool is free).
    """
    if isinstance(abstain_label, str) and abstain_label == "auto":
        family = _label_family(classes.dtype)
        values = classes.tolist()
        if family == "object" and values and all(isinstance(v, str) for v in values):
            family = "string"
        if family == "number":
            if not any(v == -1 for v in values):
                return -1 if classes.dtype.kind in "iu" else -1.0
            low = classes.min()
            return int(low) - 1 if classes.dtype.kind in "iu" else float(np.floor(low)) - 1.0
        if family == "string":
            label = "abstain"
            while label in values:
                label += "_"
            return label
        return None
    if not isinstance(abstain_label, Hashable) or np.ndim(abstain_label) != 0:
        raise ValueError(
            f"abstain_label must be one scalar label (a number, a string or None), got "
            f"{abstain_label!r}; pass abstain_label='auto' to let sksmooth pick one."
        )
    if any(_equal(c, abstain_label) for c in classes.tolist()):
        raise ValueError(
            f"abstain_label={abstain_label!r} is also a class label in y; pass an "
            "abstain_label that is not a class, e.g. abstain_label="
            f"{_resolve_abstain_label('auto', classes)!r}, or 'auto'."
        )
    return abstain_label


def _equal(a, b):
    """``a == b`` for two scalar labels, as metrics compare them (so ``False == 0``)."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _same_label(a, b):
    """Whether two scalar labels are the same value and kind (NaN is NaN; ``True`` is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return _equal(a, b)


#: Soft voting: how far a ``predict_proba`` row may be off the probability simplex
#: (an entry below 0, or the row sum off 1), as float32 models round it.
_SIMPLEX_TOL = 1e-6


def _on_simplex(scores, name):
    """``scores`` rows as probability vectors, or a clear error naming the estimator."""
    low = scores.min(axis=1) if scores.size else np.zeros(scores.shape[0])
    total = scores.sum(axis=1)
    bad = ~((low >= -_SIMPLEX_TOL) & (np.abs(total - 1.0) <= _SIMPLEX_TOL))
    if np.any(bad):
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"vote='soft' needs predict_proba rows that are probability vectors (entries "
            f">= 0 summing to 1, within {_SIMPLEX_TOL:g}), the soft radius assumes it; "
            f"{name}.predict_proba gave a row with minimum {low[row]!r} and sum "
            f"{total[row]!r}. Use vote='hard', or a base whose predict_proba is a "
            "probability (e.g. softmax, not one sigmoid per class)."
        )
    np.maximum(scores, 0.0, out=scores)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores
