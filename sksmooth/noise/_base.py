"""The noise protocol: what every noise family implements."""

import inspect
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator

#: Host sampling hooks: a class body that defines one of them (and no device hook)
#: changes the noise, so it loses any device sampler it would inherit.
_HOST_HOOKS = ("sample", "_sample", "perturb")
#: Device sampling hooks: a class body that defines one declares a device sampler.
_DEVICE_HOOKS = ("sample_torch", "_sample_torch")


class BaseNoise(BaseEstimator, metaclass=ABCMeta):
    """Base class of the noise families.

    A noise object is a scikit-learn style parameter holder (``get_params``,
    ``set_params``, ``clone``), so ``noise__<param>`` works in a grid search.
    It answers three questions and nothing else:

    1. :meth:`sample` — the random draws (additive offsets, or keep-masks);
    2. :meth:`perturb` — the noisy inputs built from rows and draws;
    3. :meth:`radius` — the certified radius, in the norm :attr:`norm`, implied by
       a lower bound on the top-class probability and an upper bound on the
       runner-up's (a radius ``<= 0`` means abstain).

    A family must define :meth:`sample`, :meth:`radius` and the class
    attribute :attr:`norm` (``"l2"``, ``"l1"``, ``"l0"``, ``"mahalanobis"``,
    ...); ``__init__`` stores its parameters and ``_parameter_constraints``
    (empty by default) may constrain them. Everything else has a default:
    :meth:`p_required` (for ``predict_certified(radius=r)``) is derived from
    :meth:`radius`, :meth:`validate` checks the constraints. Families for
    additive noise on chosen features derive from
    :class:`~sksmooth.noise.AdditiveNoise` instead and implement one hook,
    ``_sample``.

    What a family can do is declared in class attributes, never probed:

    * :attr:`additive` — ``perturb(X, draws)`` is ``X + draws`` (the default
      ``perturb``); the engine then adds the draws into its batch in place.
      A class body that overrides ``perturb`` without setting it is declared
      not additive.
    * :attr:`soft_vote` — ``vote="soft"`` is proven for this noise.
    * :attr:`independent_coordinates` — independent offset coordinates with
      :meth:`marginal_cdf` (tree closed forms).
    * :attr:`device_sampler` — :meth:`sample_torch` draws this family's noise
      on a torch device. Set at class creation: a class body that defines a
      device hook (``sample_torch`` or ``_sample_torch``) declares it, one that
      defines only host hooks (``sample``, ``_sample``, ``perturb``) loses the
      one it inherited, so a subclass that changes its noise is never sampled
      with its parent's device sampler.

    Two optional hooks give linear base models closed-form certificates
    (:mod:`sksmooth.linear`); by default they return None, meaning "no closed
    form", and smoothing samples:

    * :meth:`dual_norm` — for additive, centrally symmetric noise;
    * :meth:`gaussian_covariance` — for Gaussian noise.
    """

    #: Name of the norm the certified radius is measured in.
    norm = None

    #: Parameter constraints (scikit-learn's ``_validate_params``); none by default.
    _parameter_constraints: dict = {}

    #: Declared: ``perturb(X, draws)`` is ``X + draws``.
    additive = True

    #: Declared: soft smoothing (``vote="soft"``) is proven for this noise.
    soft_vote = False

    #: Declared: :meth:`sample_torch` draws this family's noise on a torch device.
    device_sampler = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        body = vars(cls)
        if "additive" not in body and "perturb" in body:
            cls.additive = False
        if "device_sampler" not in body:
            if any(name in body for name in _DEVICE_HOOKS):
                cls.device_sampler = True
            elif any(name in body for name in _HOST_HOOKS):
                cls.device_sampler = False

    def __repr__(self):
        """Every parameter that defines the distribution, defaults included.

        scikit-learn's repr leaves out parameters at their default, which hides
        the noise level (``GaussianNoise()`` for ``sigma=0.25``). Here only
        parameters left at None (such as ``features=None``: every feature) are
        left out, in the order of ``__init__``'s signature.
        """
        params = self.get_params(deep=False)
        order = [name for name in inspect.signature(type(self).__init__).parameters
                 if name in params]
        shown = ", ".join(f"{name}={params[name]!r}" for name in order
                          if params[name] is not None)
        return f"{type(self).__name__}({shown})"

    def validate(self, n_features, feature_names=None):
        """Check the parameters, also against the number of features; return self.

        ``feature_names`` (the fit-time column names, or None) lets a noise
        resolve features given by name.

        Raises
        ------
        ValueError
            With a message that says which parameter to fix.
        """
        self._validate_params()
        return self

    @abstractmethod
    def sample(self, n_draws, n_features, rng):
        """Draw ``n_draws`` noise samples for inputs of ``n_features`` features.

        Consecutive calls on one generator must give the same draws as one call
        for the total number (the engine splits a row's draws across batches).

        Parameters
        ----------
        n_draws, n_features : int
        rng : numpy.random.Generator

        Returns
        -------
        draws : ndarray of shape (n_draws, n_features)
            Offsets (float64) for additive families, keep-masks (bool) for masks.
        """

    def sample_torch(self, n_draws, n_features, generator, device, dtype):
        """Draw ``n_draws`` noise samples as a torch tensor on ``device`` (the torch path).

        Used by skorch nets (``sksmooth._torch``) when the family declares
        :attr:`device_sampler`: the draws are made with the ``torch.Generator``
        ``generator`` directly on the model's device, in its ``dtype``. A
        family that implements it must also make :meth:`perturb` work on
        tensors (``X + draws`` does). Families without it still work on the
        torch path: their draws are made on the host with :meth:`sample`.

        Raises
        ------
        NotImplementedError
            Unless the family overrides it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no torch sampler: implement "
            f"{type(self).__name__}.sample_torch(n_draws, n_features, generator, device, dtype) "
            "to draw its noise on the model's device."
        )

    def perturb(self, X, draws):
        """Noisy inputs from rows ``X`` (broadcast against ``draws``); additive by default."""
        return X + draws

    @abstractmethod
    def radius(self, p_lower, p_upper):
        """Certified radius from a lower bound on pA and an upper bound on pB.

        Vectorised over array-like ``p_lower``, ``p_upper``; a radius ``<= 0``
        (or NaN) means abstain. It must be non-decreasing in ``p_lower`` (the
        default :meth:`p_required` inverts it by bisection).
        """

    def unmoved_rows(self, X):
        """Rows of ``X`` the noise cannot move (every noisy copy is the row itself).

        The default claims none. Additive noises report rows whose noised
        features are all NaN (``NaN + eps`` is NaN): the base model then sees
        one row on every draw, and a certificate there is about ``x`` alone.

        Parameters
        ----------
        X : ndarray of shape (n_inputs, n_features)

        Returns
        -------
        unmoved : ndarray of bool of shape (n_inputs,)
        """
        return np.zeros(np.shape(X)[0], dtype=bool)

    def dual_norm(self, w):
        """Norm of ``w`` dual to :attr:`norm`, for the exact certificate of a halfspace.

        Implement it only when :meth:`perturb` is additive and the noise is
        centrally symmetric (``eps`` and ``-eps`` have the same law): then a
        binary linear classifier ``sign(w.x + b)`` smoothed by this noise is
        itself, and its exact certified radius is ``|w.x + b| / dual_norm(w)``
        (Hoelder's inequality). Examples: ``||w||_2`` for l2 radii,
        ``||w||_inf`` for l1 radii, ``||Sigma^(1/2) w||_2`` for Mahalanobis radii
        ``||Sigma^(-1/2) delta||_2``.

        Parameters
        ----------
        w : ndarray of shape (..., n_features)
            Coefficient vectors, one per row.

        Returns
        -------
        norms : ndarray of shape (...,) or None
            None (the default) when the noise gives no closed form.
        """
        return None

    def gaussian_covariance(self, A):
        """Covariance of ``A @ eps`` when the noise ``eps`` is zero-mean Gaussian.

        Implement it only for additive zero-mean Gaussian noise ``N(0, Sigma)``:
        it returns ``A Sigma A^T``. Linear models then get exact smoothed
        probabilities (binary: ``Phi(s / sqrt(w Sigma w^T))``; multiclass:
        orthant probabilities of the score gaps).

        Parameters
        ----------
        A : ndarray of shape (n_rows, n_features)
            Linear functionals of the noise, one per row.

        Returns
        -------
        cov : ndarray of shape (n_rows, n_rows) or None
            None (the default) when the noise is not Gaussian.
        """
        return None


    def p_required(self, radius):
        """Smallest pA whose binary-form radius ``radius(pA, 1 - pA)`` reaches ``radius``.

        Certifying ``radius`` is then the test ``H0: pA <= p_required(radius)``.
        This default bisects :meth:`radius` (assumed non-decreasing in pA) and
        errs upwards, which is the safe side; families with a closed form
        override it. Returns ``inf`` where no pA <= 1 reaches ``radius``.

        Parameters
        ----------
        radius : float
            Target radius, >= 0, in the norm :attr:`norm`.

        Returns
        -------
        p : float
        """

        def reach(p):
            with np.errstate(divide="ignore", invalid="ignore"):
                return float(self.radius(p, 1.0 - p))

        lo, hi = 0.5, 1.0
        if not reach(hi) >= radius:
            return np.inf
        if radius <= 0:
            return 0.5
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if reach(mid) >= radius:
                hi = mid
            else:
                lo = mid
        return hi

    #: Declared capability: the offsets are additive and their noised coordinates are
    #: independent, with the marginal CDF :meth:`marginal_cdf` (tree closed forms,
    #: :mod:`sksmooth._trees`). Families that declare it override both.
    independent_coordinates = False

    def marginal_cdf(self, t, coordinate):
        """CDF and survival function of single offset coordinates, for product noises.

        Only for families with :attr:`independent_coordinates`: then
        ``eps_j``, the offset on the ``j``-th noised feature (in the order of
        ``feature_indices``), are independent, and tree models get exact
        smoothed probabilities. Both tails are computed directly (never as
        ``1 - cdf``), so small probabilities keep their relative precision.

        Parameters
        ----------
        t : ndarray of float
            Points at which to evaluate.
        coordinate : ndarray of int
            Position among the noised features of each point, broadcast with ``t``.

        Returns
        -------
        cdf, sf : ndarray of float
            ``P[eps_j <= t]`` and ``P[eps_j > t]``.

        Raises
        ------
        NotImplementedError
            Unless the family declares :attr:`independent_coordinates`.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not declare independent coordinates with a marginal CDF."
        )

    def worst_case_probability(self, p, radius):
        """Smallest probability, at any ``x + delta`` with ``||delta|| <= radius``, of a set of probability ``p`` at ``x``.

        The Neyman-Pearson function of the family (Cohen et al. 2019, Lemma 3;
        Yang et al. 2020): for every set ``A`` with ``P[x + eps in A] = p``,
        ``P[x + delta + eps in A] >= worst_case_probability(p, radius)``. It
        is non-decreasing in ``p``, non-increasing in ``radius``, and
        ``worst_case_probability(pA, r) > 1/2`` exactly when ``r`` is below
        the binary radius ``radius(pA, 1 - pA)``. By symmetry the largest such
        probability is ``1 - worst_case_probability(1 - p, radius)``.
        Median smoothing (:class:`~sksmooth.SmoothedRegressor`) needs it.

        Parameters
        ----------
        p : array-like of float in [0, 1]
        radius : array-like of float >= 0
            In the norm :attr:`norm`; broadcast against ``p``.

        Returns
        -------
        q : ndarray of float in [0, 1]

        Raises
        ------
        NotImplementedError
            Unless the family implements it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no worst_case_probability(p, radius): certified "
            "regression (SmoothedRegressor.certify) needs the family's worst-case probability "
            "shift; implement it, or use a family that has it (GaussianNoise, LaplaceNoise, "
            "UniformNoise, CorrelatedGaussianNoise, SubspaceNoise, BernoulliMaskNoise)."
        )
