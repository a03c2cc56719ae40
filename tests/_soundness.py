"""Shared soundness check: certificates against a known exact radius."""

import numpy as np
from scipy import stats

from sksmooth import SmoothedClassifier

#: False-alarm rate of every soundness test: P[Binomial(m, alpha) > allowed] < 1e-4.
FALSE_ALARM = 1e-4


def allowed_overclaims(m, alpha):
    """Most over-claims tolerated among ``m`` independent certificates at level ``alpha``."""
    return stats.binom.isf(FALSE_ALARM, m, alpha)


def certify_rule(rule, noise, X, *, alpha=0.05, n_samples=2000, random_state=0, **kwargs):
    """Certify ``X`` with the smoothed ``rule`` (trained on nothing: ``noise_augment=0``)."""
    clf = SmoothedClassifier(rule, noise, n_samples=n_samples, n_select=50, alpha=alpha,
                             noise_augment=0, random_state=random_state, **kwargs)
    clf.fit(X, np.arange(X.shape[0]) % 2)
    return clf.certify(X)


def overclaims(y_pred, radius, y_true, true_radius):
    """Certified inputs whose label is wrong or whose radius exceeds the exact one."""
    certified = y_pred != -1
    return certified & ((y_pred != y_true) | (radius > true_radius))
