"""The public base of additive noise families: ``X + offsets`` on chosen features."""

import numpy as np

from ._base import BaseNoise
from ._features import resolve_features


class AdditiveNoise(BaseNoise):
    """Base of the additive noises: offsets on the chosen ``features``, zeros elsewhere.

    A family implements one sampling hook, ``_sample(n_draws, n_noised, rng)``,
    the offsets for the noised features only (float64 of shape
    ``(n_draws, n_noised)``), plus :meth:`~BaseNoise.radius` and
    :attr:`~BaseNoise.norm`. Every path samples through that hook: fit-time
    augmentation, the numpy engine (which adds the draws into its batch in
    place, since :attr:`~BaseNoise.additive`), the torch path and the
    sequential test. :meth:`sample` scatters the hook's draws into full-width
    rows, so :meth:`~BaseNoise.perturb` stays ``X + draws`` and the other
    columns pass through unchanged.

    Optional hooks, each on the noised coordinates only:

    * ``_sample_torch(n_draws, n_noised, generator, device, dtype)`` — the
      same law drawn on a torch device; defining it declares
      :attr:`~BaseNoise.device_sampler`. A subclass that overrides ``_sample``
      but not ``_sample_torch`` is sampled on the host on the torch path.
    * ``_check_noised(n_noised)`` — check parameters whose shape depends on
      the number of noised features.
    * ``_dual_norm(w)``, ``_gaussian_covariance(A)`` — closed forms for
      linear models (:mod:`sksmooth.linear`).

    The family's ``__init__`` takes ``features`` (see
    :data:`~sksmooth.noise._features.FEATURES_CONSTRAINT`) besides its own
    parameters. See the user guide, "Write your own noise".

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth.noise import AdditiveNoise
    >>> class Cube(AdditiveNoise):
    ...     norm = "l1"
    ...     def __init__(self, scale=1.0, *, features=None):
    ...         self.scale, self.features = scale, features
    ...     def _sample(self, n_draws, n_noised, rng):
    ...         return rng.uniform(-self.scale, self.scale, size=(n_draws, n_noised))
    ...     def radius(self, p_lower, p_upper):  # Yang et al. 2020, Table 1
    ...         return self.scale * (np.asarray(p_lower) - np.asarray(p_upper))
    >>> noise = Cube(0.5, features=[1]).validate(3)
    >>> noise.sample(2, 3, np.random.default_rng(0))[:, [0, 2]]
    array([[0., 0.],
           [0., 0.]])
    >>> noise.device_sampler, noise.additive
    (False, True)
    """

    #: No device sampler until a family defines ``_sample_torch``.
    device_sampler = False

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
        the total number. The template around the family's ``_sample`` hook.
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
        if not self.device_sampler:  # e.g. a subclass that changed _sample only
            return BaseNoise.sample_torch(self, n_draws, n_features, generator, device, dtype)
        if self.features is None:
            return self._sample_torch(n_draws, n_features, generator, device, dtype)
        import torch

        idx = torch.as_tensor(self.feature_indices(n_features), device=device)
        draws = torch.zeros((n_draws, n_features), device=device, dtype=dtype)
        draws[:, idx] = self._sample_torch(n_draws, idx.numel(), generator, device, dtype)
        return draws

    def _sample(self, n_draws, n_noised, rng):
        """Family hook: float64 offsets ``(n_draws, n_noised)`` for the noised features."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement _sample(n_draws, n_noised, rng)."
        )

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
