"""Sequential certification at a target radius (DESIGN.md section 6).

Certifying radius ``r`` is the test ``H0: pA <= p*`` with
``p* = noise.p_required(r)`` (Gaussian: ``Phi(r / sigma)``). The draws come in
stages of doubling size, each input stops as soon as its stage decides it
(certified, or clearly not certifiable), never more than ``n_samples`` draws,
and the stage levels sum to ``alpha`` so that across all stages an input is
wrongly certified with probability at most ``alpha`` (union bound;
Horváth et al., ICLR 2022, adaptive sampling).
"""

from numbers import Real

import numpy as np

from . import _random
from ._stats import sequential_binomial_step, sequential_stage_alphas, sequential_stage_ends


def check_radius(radius):
    """Raise a clear error unless ``radius`` is a non-negative number."""
    if isinstance(radius, bool) or not isinstance(radius, Real) or not radius >= 0:
        raise ValueError(
            f"radius must be a non-negative number (a distance in the noise's norm), got "
            f"{radius!r}; pass radius=None for Cohen et al.'s PREDICT."
        )


def predict_certified_at(clf, X, radius):
    """Class where ``clf``'s smoothed classifier is certified at ``radius``, and draws used.

    The top class comes from ``n_select`` draws of the selection stream (as in
    CERTIFY); stage ``k`` of the estimation draws comes from its own stream
    ``(SEQUENTIAL, k)`` of each input, so results do not depend on batching,
    row order or ``n_jobs``.

    Returns
    -------
    y_pred : ndarray of shape (n_inputs,)
        The class, or ``clf.abstain_label_`` where not certified at ``radius``.
    n_draws : ndarray of shape (n_inputs,), dtype int64
        Draws each input used, the ``n_select`` selection draws included.
    """
    check_radius(radius)
    # Never certify unless pA > 1/2 (Cohen et al.): radius 0 then means "g's class is sure".
    p_star = max(0.5, float(clf.noise_.p_required(float(radius))))
    X, keys, entropy, top = clf._select_top(X)
    n_inputs = X.shape[0]

    ends = sequential_stage_ends(clf.n_samples)
    alphas = sequential_stage_alphas(clf.alpha, ends.shape[0])
    n_a = np.zeros(n_inputs, dtype=np.int64)
    used = np.zeros(n_inputs, dtype=np.int64)
    certified = np.zeros(n_inputs, dtype=bool)
    active = np.arange(n_inputs)
    done = 0
    for stage, (end, level) in enumerate(zip(ends.tolist(), alphas.tolist())):
        if active.size == 0:
            break
        counts = clf._counts(
            X[active], keys[active], entropy, end - done, (_random.SEQUENTIAL, stage)
        )
        if counts.dtype.kind != "i":
            raise NotImplementedError(
                "Sequential certification at a radius tests vote counts; this base model "
                "votes with scores (soft smoothing). Use certify() and compare its radius."
            )
        n_a[active] += counts[np.arange(active.size), top[active]]
        used[active] = end
        reject, give_up = sequential_binomial_step(n_a[active], end, p_star, level)
        certified[active[reject]] = True
        active = active[~(reject | give_up)]
        done = end
    return clf._labels(top, ~certified), used + clf.n_select

