"""What the smoothed estimators share: parameters, tags, routing and a safe refit."""

import functools
from contextlib import contextmanager

import numpy as np
from numbers import Integral, Real

from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping

from . import _random
from .noise import BaseNoise, GaussianNoise

#: Parameter constraints both smoothed estimators share (each adds its own).
SHARED_CONSTRAINTS = {
    "estimator": [HasMethods(["fit", "predict"]), None],
    "noise": [BaseNoise, None],
    "n_samples": [Interval(Integral, 1, None, closed="left")],
    "alpha": [Interval(Real, 0, 1, closed="neither")],
    "noise_augment": [Interval(Integral, 0, None, closed="left")],
    "method": [StrOptions({"auto", "monte_carlo", "exact"})],
    "batch_size": [Interval(Integral, 1, None, closed="left"), None],
    "n_jobs": [Integral, None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


class SmoothingMixin:
    """Shared by :class:`~sksmooth.SmoothedClassifier` and :class:`~sksmooth.SmoothedRegressor`.

    A subclass sets ``_default_estimator`` (a callable making the base
    estimator used when ``estimator=None``).
    """

    _default_estimator = None

    def set_params(self, **params):
        """Set parameters; ``noise__<param>`` also works while ``noise`` is None.

        With ``noise=None`` the default ``GaussianNoise()`` is materialised first,
        so ``GridSearchCV(SmoothedClassifier(), {"noise__sigma": [...]})`` works.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : object
        """
        if self.noise is None and "noise" not in params and any(
            key.startswith("noise__") for key in params
        ):
            self.noise = GaussianNoise()
        return super().set_params(**params)

    def _make_estimator(self):
        return type(self)._default_estimator() if self.estimator is None else self.estimator

    def _make_noise(self):
        return GaussianNoise() if self.noise is None else self.noise

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = get_tags(self._make_estimator()).input_tags.allow_nan
        tags.input_tags.sparse = False
        return tags

    def get_metadata_routing(self):
        """Metadata routing: ``fit`` parameters are routed to the base estimator's ``fit``.

        Returns
        -------
        routing : MetadataRouter
        """
        return MetadataRouter(owner=self.__class__.__name__).add(
            estimator=self._make_estimator(),
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def _finite_policy(self):
        return "allow-nan" if get_tags(self._make_estimator()).input_tags.allow_nan else True


def keep_state_on_error(fit):
    """Restore the estimator's attributes when ``fit`` raises, so a failed refit leaves it usable."""

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        state = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(state)
            raise

    return wrapper


@contextmanager
def numeric_hint(name, extra=""):
    """Add what to do to numpy's error on non-numeric features (``name``: the estimator)."""
    try:
        yield
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        raise ValueError(
            f"{exc}. {name} adds noise to numeric features: encode non-numeric columns before "
            f"it (e.g. make_pipeline(OneHotEncoder(), {name}(...))){extra}."
        ) from exc


def seed_unset_random_states(estimator, random_state):
    """Seed the base estimator's unset ``random_state`` parameters from ours (as bagging does).

    Only parameters left at None are set, so a seed the user gave the base
    estimator is kept; with ``random_state=None`` nothing changes.
    """
    if random_state is None:
        return
    rng = np.random.RandomState(_random.base_entropy(random_state) % 2**32)
    seeds = {
        key: int(rng.randint(np.iinfo(np.int32).max))
        for key, value in sorted(estimator.get_params(deep=True).items())
        if (key == "random_state" or key.endswith("__random_state")) and value is None
    }
    if seeds:
        estimator.set_params(**seeds)


def check_radius(radius, hint=""):
    """Raise a clear error unless ``radius`` is a non-negative number (``hint`` ends the message)."""
    if isinstance(radius, bool) or not isinstance(radius, Real) or not radius >= 0:
        raise ValueError(
            f"radius must be a non-negative number (a distance in the noise's norm), got "
            f"{radius!r}{hint}."
        )
