"""The noise protocol: what every noise family implements."""

import numpy as np
from sklearn.base import BaseEstimator


class BaseNoise(BaseEstimator):
    """Base class of the noise families.

    A noise object is a scikit-learn style parameter holder (``get_params``,
    ``set_params``, ``clone``), so ``noise__<param>`` works in a grid search.
    It answers three questions and nothing else:

    1. :meth:`sample` — the random draws (additive offsets, or keep-masks);
    2. :meth:`perturb` — the noisy inputs built from rows and draws;
    3. :meth:`radius` — the certified radius, in the norm :attr:`norm`, implied by
       a lower bound on the top-class probability and an upper bound on the
       runner-up's (a radius ``<= 0`` means abstain).

    Subclasses set the class attribute :attr:`norm` (``"l2"``, ``"l1"``, ``"l0"``, ...)
    and may override :meth:`validate` to check their parameters against the data.
    """

    #: Name of the norm the certified radius is measured in.
    norm = None

    def validate(self, n_features):
        """Check the parameters, also against the number of features; return self.

        Raises
        ------
        ValueError
            With a message that says which parameter to fix.
        """
        self._validate_params()
        return self

    def sample(self, n_draws, n_features, rng):
        """Draw ``n_draws`` noise samples for inputs of ``n_features`` features.

        Consecutive calls on one generator must give the same draws as one call
        for the total number (the engine splits a row's draws across batches).
        """
        raise NotImplementedError

    def perturb(self, X, draws):
        """Noisy inputs from rows ``X`` (broadcast against ``draws``); additive by default."""
        return X + draws

    def radius(self, p_lower, p_upper):
        """Certified radius from a lower bound on pA and an upper bound on pB."""
        raise NotImplementedError

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
