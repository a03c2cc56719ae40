"""Gaussian noise with a full covariance, certified in its Mahalanobis norm."""

import numpy as np
from scipy.stats import norm as _normal

from ._additive import AdditiveNoise
from ._features import FEATURES_CONSTRAINT


class CorrelatedGaussianNoise(AdditiveNoise):
    """Gaussian noise ``N(0, cov)`` with a full covariance; Mahalanobis certificates.

    The smoothed classifier keeps its prediction for every perturbation
    ``delta`` of the noised features with
    ``||cov^(-1/2) delta||_2 < 1/2 (Phi^-1(pA) - Phi^-1(pB))``: Cohen et al.'s
    Theorem 1 (ICML 2019) applied to ``x -> f(cov^(1/2) x)`` under ``N(0, I)``
    (Eiras et al. 2022). With ``pB = 1 - pA`` the radius is ``Phi^-1(pA)``.

    :meth:`~sksmooth.SmoothedClassifier.certify` therefore returns a number
    without units, ``R``: the certified set is the ellipsoid
    ``{delta : delta^T cov^-1 delta < R^2}``. It contains the l2 ball of radius
    ``R * sqrt(lambda_min(cov))`` (:meth:`l2_radius`), and along a direction
    ``u`` it reaches ``R / ||cov^(-1/2) u||_2`` (:meth:`radius_along`):
    directions where the noise is strong are certified far, those where it is
    weak barely.

    Parameters
    ----------
    cov : array-like of shape (n_noised, n_noised)
        Covariance of the noise on the noised features: symmetric positive
        definite, in squared feature units. :func:`lowpass_covariance` builds
        one for image-shaped inputs.
    features : array-like of int, bool or str, default=None
        The features the noise applies to: indices, a boolean mask, or column
        names when the estimator is fitted on a DataFrame. None noises every
        feature. Other columns pass through unchanged, and the certificate
        covers perturbations of the noised features only.

    Attributes
    ----------
    norm : str
        ``"mahalanobis"``: the radius bounds ``||cov^(-1/2) delta||_2``.

    See Also
    --------
    GaussianNoise : Isotropic or per-feature Gaussian noise.
    lowpass_covariance : A spatially smooth covariance for images.

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth import CorrelatedGaussianNoise
    >>> noise = CorrelatedGaussianNoise(cov=[[1.0, 0.8], [0.8, 1.0]])
    >>> float(noise.radius(0.9, 0.1))  # Phi^-1(0.9)
    1.281552
    >>> float(noise.l2_radius(1.0))  # sqrt(lambda_min) = sqrt(0.2)
    0.447214
    >>> float(noise.radius_along(1.0, [1.0, 1.0]))  # sqrt(1.8), the strong direction
    1.341641
    """

    norm = "mahalanobis"

    #: Soft smoothing (``vote="soft"``) is proven for Gaussian noise (Salman et al. 2019).
    soft_vote = True

    _parameter_constraints = {"cov": ["array-like"], "features": FEATURES_CONSTRAINT}

    def __init__(self, cov, *, features=None):
        self.cov = cov
        self.features = features

    def _cov(self):
        cov = np.asarray(self.cov, dtype=np.float64)
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
            raise ValueError(f"cov must be a square matrix; got shape {cov.shape}.")
        if not np.all(np.isfinite(cov)) or not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
            raise ValueError("cov must be a finite symmetric matrix.")
        return cov

    def _factor(self):
        """Cholesky factor ``L`` (``cov = L L^T``) of the current ``cov``.

        Cached with a copy of the covariance it was computed from, and recomputed
        whenever ``cov`` no longer equals that copy (also after an in-place change).
        """
        current = np.asarray(self.cov, dtype=np.float64)
        cached = getattr(self, "_cached", None)
        if (cached is not None and cached[0].shape == current.shape
                and np.array_equal(cached[0], current)):
            return cached[1]
        cov = self._cov()
        try:
            factor = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError(
                "cov must be positive definite (its Cholesky factorisation failed); add a "
                "small multiple of the identity, e.g. cov + 1e-6 * np.eye(len(cov))."
            ) from None
        self._cached = (cov.copy(), factor)
        return factor

    def _check_noised(self, n_noised):
        cov = self._cov()
        if cov.shape[0] != n_noised:
            raise ValueError(
                f"cov has shape {cov.shape}, but the noise applies to {n_noised} features; pass "
                f"a ({n_noised}, {n_noised}) covariance."
            )
        self._factor()

    def _sample(self, n_draws, n_noised, rng):
        factor = self._factor()
        if factor.shape[0] != n_noised:
            raise ValueError(
                f"cov has shape {factor.shape}, but the noise applies to {n_noised} features."
            )
        return rng.standard_normal((n_draws, n_noised)) @ factor.T

    def _sample_torch(self, n_draws, n_noised, generator, device, dtype):
        """``N(0, cov)`` offsets drawn on ``device`` as ``z L^T`` with ``cov = L L^T``."""
        import torch

        factor = torch.as_tensor(self._factor(), device=device, dtype=dtype)
        z = torch.randn((n_draws, n_noised), generator=generator, device=device, dtype=dtype)
        return z @ factor.T

    def _dual_norm(self, w):
        """``||Sigma^(1/2) w||_2 = sqrt(w Sigma w^T)``, dual to the Mahalanobis radius."""
        return np.sqrt(np.einsum("...i,ij,...j->...", w, self._cov(), w))

    def _gaussian_covariance(self, A):
        """``A Sigma A^T``, the covariance of ``A @ eps`` for ``eps ~ N(0, Sigma)``."""
        return A @ self._cov() @ A.T

    def radius(self, p_lower, p_upper):
        """``1/2 (Phi^-1(p_lower) - Phi^-1(p_upper))`` (Cohen et al. 2019, Thm 1, whitened)."""
        p_lower = np.asarray(p_lower, dtype=np.float64)
        p_upper = np.asarray(p_upper, dtype=np.float64)
        return 0.5 * (_normal.ppf(p_lower) - _normal.ppf(p_upper))

    def l2_radius(self, radius):
        """Largest l2 ball inside the certified ellipsoid: ``radius * sqrt(lambda_min(cov))``, rounded down.

        ``lambda_min`` is the smallest computed eigenvalue less a bound on its
        error: a backward-stable symmetric eigensolver returns the eigenvalues of
        ``cov + E`` with ``||E||_2 <= p(n) eps ||cov||_2`` (Demmel, Applied
        Numerical Linear Algebra, 1997, Thm 5.5 and sec. 5.4), so by Weyl's
        inequality each is within that of the exact one; here ``p(n) = 8 n``
        (generous: the errors measured on covariances of condition 1e16 were
        below ``eps ||cov||_2``) and ``||cov||_2 <= max |lambda| / (1 - p(n) eps)``.
        On a covariance of condition near ``1 / (8 n eps)`` or worse this leaves 0.

        Parameters
        ----------
        radius : array-like of float
            Mahalanobis radii, as :meth:`radius` or ``certify`` return them.

        Returns
        -------
        l2_radius : ndarray of float
        """
        cov = self._cov()
        eps = np.finfo(np.float64).eps
        lam = np.linalg.eigvalsh(cov)
        p_n = 8.0 * cov.shape[0] * eps
        slack = p_n * np.max(np.abs(lam)) / (1.0 - p_n) * (1.0 + 4.0 * eps)
        lam_min = lam[0] - slack
        scale = np.sqrt(max(lam_min, 0.0)) * (1.0 - 4.0 * eps)
        return np.asarray(radius, dtype=np.float64) * scale * (1.0 - 2.0 * eps)

    def radius_along(self, radius, direction):
        """Certified l2 length along ``direction``: ``radius / ||cov^(-1/2) u||_2``, ``u`` unit.

        Every perturbation ``t * u`` with ``|t|`` below it (``u`` the direction
        scaled to unit l2 norm, over the noised features) is certified.

        Parameters
        ----------
        radius : array-like of float
            Mahalanobis radii.
        direction : array-like of shape (n_noised,)

        Returns
        -------
        length : ndarray of float
        """
        u = np.asarray(direction, dtype=np.float64)
        u = u / np.linalg.norm(u)
        # ||cov^(-1/2) u||_2^2 = u^T cov^-1 u = ||L^-1 u||_2^2 with cov = L L^T.
        whitened = np.linalg.solve(self._factor(), u)
        return np.asarray(radius, dtype=np.float64) / np.linalg.norm(whitened)

    def worst_case_probability(self, p, radius):
        """``Phi(Phi^-1(p) - radius)`` for the Mahalanobis radius (Cohen et al. 2019, Lemma 3, whitened).

        Examples
        --------
        >>> from sksmooth import CorrelatedGaussianNoise
        >>> round(float(CorrelatedGaussianNoise(cov=[[1.0]]).worst_case_probability(0.5, 1.0)), 6)
        0.158655
        """
        p = np.asarray(p, dtype=np.float64)
        radius = np.asarray(radius, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            return _normal.cdf(_normal.ppf(p) - radius)


def lowpass_covariance(image_shape, *, length_scale=1.0, sigma=1.0, white=0.1):
    """A spatially smooth ("low-pass") noise covariance for image-shaped inputs.

    ``cov = sigma^2 * ((1 - white) * K + white * I)`` where
    ``K[i, j] = exp(-||p_i - p_j||^2 / (2 length_scale^2))`` over the pixel
    coordinates ``p`` (row-major, as ``image.ravel()``). Every pixel keeps
    variance ``sigma^2``, so the total noise power (the trace) equals that of
    ``GaussianNoise(sigma)``; the power concentrates on smooth, low-frequency
    patterns, and ``white > 0`` keeps every eigenvalue ``>= white * sigma^2``.

    Parameters
    ----------
    image_shape : tuple of int
        Shape of one image, e.g. ``(8, 8)``; the features are its pixels.
    length_scale : float, default=1.0
        Correlation length, in pixels.
    sigma : float, default=1.0
        Standard deviation of every pixel's noise.
    white : float, default=0.1
        Fraction of white (independent) noise, in (0, 1].

    Returns
    -------
    cov : ndarray of shape (prod(image_shape), prod(image_shape))

    Examples
    --------
    >>> from sksmooth.noise import lowpass_covariance
    >>> cov = lowpass_covariance((8, 8), length_scale=1.5, sigma=0.5)
    >>> cov.shape, float(cov.trace())  # same power as GaussianNoise(sigma=0.5) on 64 pixels
    ((64, 64), 16.0)
    """
    shape = tuple(int(s) for s in np.atleast_1d(image_shape))
    if not shape or any(s < 1 for s in shape):
        raise ValueError(f"image_shape must be positive ints, e.g. (8, 8); got {image_shape!r}.")
    if not length_scale > 0 or not sigma > 0:
        raise ValueError("length_scale and sigma must be positive.")
    if not 0 < white <= 1:
        raise ValueError(f"white must be in (0, 1]; got {white!r}.")
    grid = np.indices(shape).reshape(len(shape), -1).T.astype(np.float64)
    sq = ((grid[:, None, :] - grid[None, :, :]) ** 2).sum(axis=-1)
    kernel = np.exp(-sq / (2.0 * length_scale**2))
    return sigma**2 * ((1.0 - white) * kernel + white * np.eye(grid.shape[0]))
