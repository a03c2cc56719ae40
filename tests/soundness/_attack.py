"""A gradient-free attack on a smoothed classifier, used to falsify certificates.

It looks for a point ``z`` with ``||z - x|| <= max_dist`` (in the noise's norm)
where the smoothed classifier ``g`` no longer returns ``label``. It only sees the
base estimator's ``predict`` and the noise's ``sample``/``perturb``:

1. Common random numbers: one matrix of ``n_draws`` noise draws estimates
   ``P[f(z + eps) = label]`` at every candidate ``z``, so differences between
   candidates are not drowned by Monte Carlo noise.
2. Directions: ``n_directions`` random unit directions, plus a worst-case direction
   estimated without gradients (two-sided differences along the random directions,
   Nesterov & Spokoiny 2017), refined by ``n_refine`` steps of projected zeroth-order
   descent on the sphere of radius ``max_dist``.
3. Along each direction, a grid of distances up to ``max_dist``; the closest
   candidates whose estimate is below 1/2 go to confirmation.
4. Confirmation, with ``n_confirm`` fresh independent draws: success only when the
   one-sided Clopper-Pearson upper bound at level ``beta`` on
   ``P[f(z + eps) = label]`` is below 1/2, i.e. ``g(z) != label`` (a false success
   has probability <= ``beta`` per confirmation; at most ``max_confirm`` per attack).

It is a test helper, not public API: it falsifies, it proves nothing.
"""

from dataclasses import dataclass

import numpy as np

from sksmooth._stats import clopper_pearson_upper


@dataclass
class AttackResult:
    found: bool          # a confirmed point where g != label, within max_dist
    dist: float          # its distance from x (inf when none)
    p_upper: float       # upper bound on P[f(z + eps) = label] at that point
    n_candidates: int    # candidate points scored
    n_confirm: int       # confirmations run


def _unit(v, norm):
    ord_ = {"l2": 2, "l1": 1}[norm]
    return v / np.linalg.norm(v, ord=ord_, axis=-1, keepdims=True)


def smoothed_attack(clf, x, label, max_dist, *, n_draws=2000, n_directions=None, n_steps=12,
                    n_refine=30, n_confirm=20_000, beta=1e-6, max_confirm=3, seed=0):
    """Search for ``z`` within ``max_dist`` of ``x`` where ``clf``'s smoothed class is not ``label``.

    ``clf`` is a fitted :class:`sksmooth.SmoothedClassifier` (its ``estimator_``
    and ``noise_`` are used). Supports noises certified in ``"l2"`` or ``"l1"``.
    """
    noise, base = clf.noise_, clf.estimator_
    if noise.norm not in ("l2", "l1"):
        raise NotImplementedError(f"no attack geometry for norm {noise.norm!r} yet")
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[0]
    n_directions = n_directions or max(16, d)
    eps = noise.sample(n_draws, d, rng)
    n_scored = 0

    def p_label(Z):
        nonlocal n_scored
        Z = np.atleast_2d(Z)
        n_scored += Z.shape[0]
        rows = np.concatenate([noise.perturb(z[None, :], eps) for z in Z])
        votes = np.asarray(base.predict(rows)) == label
        return votes.reshape(Z.shape[0], n_draws).mean(axis=1)

    def grad_dir(z, h):
        U = _unit(rng.normal(size=(n_directions, d)), noise.norm)
        diff = p_label(z + h * U) - p_label(z - h * U)
        g = diff @ U
        return None if not np.any(g) else _unit(-g, noise.norm)

    h = min(max_dist, float(getattr(noise, "sigma", getattr(noise, "scale", 1.0)))) / 2
    dirs = list(_unit(rng.normal(size=(n_directions, d)), noise.norm))
    g0 = grad_dir(x, max_dist / 2)
    if g0 is not None:
        dirs.append(g0)
    # Refine the most damaging direction so far: projected descent on the sphere of radius
    # max_dist, where the estimates are informative (not saturated near 0 or 1).
    u = dirs[int(np.argmin(p_label(x + max_dist * np.array(dirs))))]
    for step in range(n_refine):
        g = grad_dir(x + max_dist * u, h)
        if g is None:
            break
        u = _unit(u + 0.6 * 0.85**step * g, noise.norm)
    dirs.append(u)
    dirs = np.array(dirs)
    ts = np.linspace(max_dist / n_steps, max_dist, n_steps)
    Z = (x[None, None, :] + ts[None, :, None] * dirs[:, None, :]).reshape(-1, d)
    p = p_label(Z)
    dist = np.repeat(ts[None, :], dirs.shape[0], axis=0).ravel()
    order = np.lexsort((p, dist))
    candidates = [i for i in order if p[i] < 0.5]
    # Confirm the closest few candidates, also the most convincing one.
    picks = candidates[: max_confirm - 1]
    if candidates:
        best = int(np.argmin(p))
        if best not in picks:
            picks.append(best)
    picks.sort(key=lambda i: dist[i])
    confirm_rng = np.random.default_rng([seed, 1])
    for n_run, i in enumerate(picks, start=1):
        fresh = noise.perturb(Z[i][None, :], noise.sample(n_confirm, d, confirm_rng))
        k = int(np.sum(np.asarray(base.predict(fresh)) == label))
        upper = float(clopper_pearson_upper(k, n_confirm, beta))
        if upper < 0.5:
            return AttackResult(True, float(dist[i]), upper, n_scored, n_run)
    return AttackResult(False, np.inf, 1.0, n_scored, len(picks))
