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

Geometry: for additive noises the search runs on the noised coordinates only
(``features``; perturbations elsewhere are not covered by the certificate). l2 and
l1 radii are searched directly (for l1 also along every coordinate axis, and the
worst-case direction is the l1-steepest one: the axis of the largest estimated
gradient entry). Mahalanobis radii ``||Sigma^(-1/2) delta||_2`` are searched in the
whitened space: ``delta = L u`` with ``Sigma = L L^T`` has Mahalanobis norm
``||u||_2``. l0 radii (masks) get a greedy search instead: up to ``floor(max_dist)``
features are changed one at a time, each time the change (feature and value among
``-x_j``, ``x_j +- 2``, ``0``) that lowers the estimate most; the points on the way
go to the same confirmation.

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
    point: np.ndarray = None  # the confirmed point (None when none)


def _unit(v, norm):
    ord_ = {"l2": 2, "l1": 1}[norm]
    return v / np.linalg.norm(v, ord=ord_, axis=-1, keepdims=True)


def _steepest(g, norm):
    """The unit vector ``u`` maximising ``g . u`` in ``norm`` (Hoelder's equality case)."""
    if norm == "l2":
        return _unit(g, "l2")
    u = np.zeros_like(g)
    j = int(np.argmax(np.abs(g)))
    u[j] = np.sign(g[j])
    return u


def noise_scale(noise):
    """The noise's scale in its own norm's units (1 for Mahalanobis: whitened units)."""
    if noise.norm == "mahalanobis":
        return 1.0
    return float(getattr(noise, "sigma", getattr(noise, "scale", 1.0)))


def _geometry(noise, d):
    """``(idx, L, search_norm)``: noised coordinates, whitening factor (or None), norm there."""
    idx = noise.feature_indices(d) if hasattr(noise, "feature_indices") else np.arange(d)
    if noise.norm == "mahalanobis":
        if hasattr(noise, "cov"):
            L = np.linalg.cholesky(np.asarray(noise.cov, dtype=np.float64))
        else:
            L = np.diag(np.broadcast_to(np.asarray(noise.sigma, dtype=np.float64), idx.shape))
        return idx, L, "l2"
    if noise.norm in ("l2", "l1"):
        return idx, None, noise.norm
    raise NotImplementedError(f"no attack geometry for norm {noise.norm!r}")


class _Scorer:
    """Estimates ``P[f(z + eps) = label]`` with common random numbers; confirms candidates."""

    def __init__(self, clf, label, d, n_draws, rng):
        self.noise, self.base, self.label, self.d = clf.noise_, clf.estimator_, label, d
        self.n_draws = n_draws
        self.eps = self.noise.sample(n_draws, d, rng)
        self.n_scored = 0

    def __call__(self, Z):
        Z = np.atleast_2d(Z)
        self.n_scored += Z.shape[0]
        rows = np.concatenate([self.noise.perturb(z[None, :], self.eps) for z in Z])
        votes = np.asarray(self.base.predict(rows)) == self.label
        return votes.reshape(Z.shape[0], self.n_draws).mean(axis=1)

    def confirm(self, Z, p, dist, *, n_confirm, beta, max_confirm, seed):
        """Confirm the closest candidates with ``p < 1/2`` (and the most convincing one)."""
        order = np.lexsort((p, dist))
        candidates = [i for i in order if p[i] < 0.5]
        picks = candidates[: max_confirm - 1]
        if candidates:
            best = int(np.argmin(p))
            if best not in picks:
                picks.append(best)
        picks.sort(key=lambda i: dist[i])
        confirm_rng = np.random.default_rng([seed, 1])
        for n_run, i in enumerate(picks, start=1):
            draws = self.noise.sample(n_confirm, self.d, confirm_rng)
            fresh = self.noise.perturb(Z[i][None, :], draws)
            k = int(np.sum(np.asarray(self.base.predict(fresh)) == self.label))
            upper = float(clopper_pearson_upper(k, n_confirm, beta))
            if upper < 0.5:
                return AttackResult(True, float(dist[i]), upper, self.n_scored, n_run, Z[i])
        return AttackResult(False, np.inf, 1.0, self.n_scored, len(picks))


def smoothed_attack(clf, x, label, max_dist, *, n_draws=2000, n_directions=None, n_steps=12,
                    n_refine=30, n_confirm=20_000, beta=1e-6, max_confirm=3, seed=0):
    """Search for ``z`` within ``max_dist`` of ``x`` where ``clf``'s smoothed class is not ``label``.

    ``clf`` is a fitted :class:`sksmooth.SmoothedClassifier` (its ``estimator_``
    and ``noise_`` are used). Supports noises certified in ``"l2"``, ``"l1"``,
    ``"mahalanobis"`` and ``"l0"``.
    """
    noise = clf.noise_
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[0]
    if noise.norm == "l0":
        return _l0_attack(clf, x, label, int(np.floor(max_dist)), n_draws=n_draws,
                          n_confirm=n_confirm, beta=beta, max_confirm=max_confirm, seed=seed,
                          rng=rng)
    idx, L, norm = _geometry(noise, d)
    m = idx.shape[0]
    n_directions = n_directions or max(16, m)
    p_label = _Scorer(clf, label, d, n_draws, rng)

    def embed(U):
        """Search-space vectors (..., m) -> input-space offsets (..., d)."""
        V = U if L is None else U @ L.T
        out = np.zeros(U.shape[:-1] + (d,))
        out[..., idx] = V
        return out

    def grad_dir(z, h):
        U = _unit(rng.normal(size=(n_directions, m)), norm)
        diff = p_label(z + h * embed(U)) - p_label(z - h * embed(U))
        g = diff @ U
        return None if not np.any(g) else _steepest(-g, norm)

    h = min(max_dist, noise_scale(noise)) / 2
    dirs = list(_unit(rng.normal(size=(n_directions, m)), norm))
    if norm == "l1":
        dirs += list(np.eye(m)) + list(-np.eye(m))
    g0 = grad_dir(x, max_dist / 2)
    if g0 is not None:
        dirs.append(g0)
    # Refine the most damaging direction so far: projected descent on the sphere of radius
    # max_dist, where the estimates are informative (not saturated near 0 or 1).
    u = dirs[int(np.argmin(p_label(x + max_dist * embed(np.array(dirs)))))]
    for step in range(n_refine):
        g = grad_dir(x + max_dist * embed(u), h)
        if g is None:
            break
        u = _unit(u + 0.6 * 0.85**step * g, norm)
    dirs.append(u)
    dirs = np.array(dirs)
    ts = np.linspace(max_dist / n_steps, max_dist, n_steps)
    Z = (x[None, None, :] + ts[None, :, None] * embed(dirs)[:, None, :]).reshape(-1, d)
    p = p_label(Z)
    dist = np.repeat(ts[None, :], dirs.shape[0], axis=0).ravel()
    return p_label.confirm(Z, p, dist, n_confirm=n_confirm, beta=beta,
                           max_confirm=max_confirm, seed=seed)


def _l0_attack(clf, x, label, rho, *, n_draws, n_confirm, beta, max_confirm, seed, rng):
    """Greedy l0 search: change up to ``rho`` features, one at a time, the most damaging first."""
    d = x.shape[0]
    p_label = _Scorer(clf, label, d, n_draws, rng)
    z, free = x.copy(), np.ones(d, dtype=bool)
    path, p_path = [], []
    for _ in range(max(rho, 0)):
        trials = []
        for j in np.flatnonzero(free):
            for v in (-z[j], z[j] + 2.0, z[j] - 2.0, 0.0):
                t = z.copy()
                t[j] = v
                trials.append((j, t))
        p = p_label(np.array([t for _, t in trials]))
        best = int(np.argmin(p))
        j, z = trials[best]
        free[j] = False
        path.append(z)
        p_path.append(p[best])
    if not path:
        return AttackResult(False, np.inf, 1.0, p_label.n_scored, 0)
    Z = np.array(path)
    return p_label.confirm(Z, np.array(p_path), np.arange(1.0, len(path) + 1),
                           n_confirm=n_confirm, beta=beta, max_confirm=max_confirm, seed=seed)
