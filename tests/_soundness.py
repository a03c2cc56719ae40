"""The one soundness harness: the false-alarm rate, the over-claim allowance, the checks.

Every statistical soundness test (here, ``tests/soundness/``, the family
tests) takes :data:`FALSE_ALARM` and :func:`allowed_overclaims` from this module.
"""

import numpy as np
from scipy import stats

from sksmooth import SmoothedClassifier

#: Probability that a statistical check fails on a correct implementation, per check:
#: P[Binomial(m, alpha) > allowed_overclaims(m, alpha)] <= FALSE_ALARM.
FALSE_ALARM = 1e-4


def allowed_overclaims(m, alpha, false_alarm=FALSE_ALARM):
    """Most over-claims tolerated among ``m`` independent certificates at level ``alpha``.

    Over-claims are independent across inputs and seeds, each with probability
    ``<= alpha``, so their count is stochastically below Binomial(m, alpha); a
    sound method exceeds this count with probability ``<= false_alarm``.
    """
    return int(stats.binom.isf(false_alarm, m, alpha))


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
