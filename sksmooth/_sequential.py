"""Sequential certification at a target radius (DESIGN.md section 6).

Certifying radius ``r`` is the test ``H0: pA <= p*`` with
``p* = noise.p_required(r)`` (Gaussian: ``Phi(r / sigma)``). The draws come in
stages of doubling size, each input stops as soon as its stage decides it
(certified, or clearly not certifiable), never more than ``n_samples`` draws,
and the stage levels sum to ``alpha`` so that across all stages an input is
wrongly certified with probability at most ``alpha`` (union bound;
Horváth et al., ICLR 2022, adaptive sampling).
"""

import numpy as np

from ._stats import sequential_binomial_step, sequential_stage_alphas, sequential_stage_ends


def sequential_certify(counts, top, n_max, alpha, p_star):
    """Which inputs are certified: test ``H0: pA <= p_star`` in stages, and the draws used.

    Parameters
    ----------
    counts : callable
        ``counts(active, n_draws, stage)``: vote counts of shape
        ``(active.size, n_classes)`` (ints) of ``n_draws`` fresh draws for the
        inputs at indices ``active``, from stream ``(SEQUENTIAL, stage)`` of
        each input, so results do not depend on batching, row order or ``n_jobs``.
    top : ndarray of int of shape (n_inputs,)
        The class tested for each input (chosen on separate selection draws).
    n_max : int
        Most estimation draws per input (``n_samples``).
    alpha : float
        Total level: the stage levels sum to it (union bound).
    p_star : float
        The probability to beat; at least 1/2 (never certify unless pA > 1/2).

    Returns
    -------
    certified : ndarray of bool of shape (n_inputs,)
    used : ndarray of int64 of shape (n_inputs,)
        Estimation draws each input used.

    Examples
    --------
    >>> import numpy as np
    >>> unanimous = lambda active, n, stage: np.column_stack([np.full(active.size, n),
    ...                                                       np.zeros(active.size, int)])
    >>> sequential_certify(unanimous, np.array([0, 1]), 10_000, 0.001, 0.9)
    (array([ True, False]), array([156,  78]))
    """
    n_inputs = top.shape[0]
    ends = sequential_stage_ends(n_max)
    alphas = sequential_stage_alphas(alpha, ends.shape[0])
    n_a = np.zeros(n_inputs, dtype=np.int64)
    used = np.zeros(n_inputs, dtype=np.int64)
    certified = np.zeros(n_inputs, dtype=bool)
    active = np.arange(n_inputs)
    done = 0
    for stage, (end, level) in enumerate(zip(ends.tolist(), alphas.tolist())):
        if active.size == 0:
            break
        stage_counts = counts(active, end - done, stage)
        if stage_counts.dtype.kind != "i":
            raise NotImplementedError(
                "Sequential certification at a radius tests vote counts; this base model "
                "votes with scores (soft smoothing). Use certify() and compare its radius."
            )
        n_a[active] += stage_counts[np.arange(active.size), top[active]]
        used[active] = end
        reject, give_up = sequential_binomial_step(n_a[active], end, p_star, level)
        certified[active[reject]] = True
        active = active[~(reject | give_up)]
        done = end
    return certified, used
