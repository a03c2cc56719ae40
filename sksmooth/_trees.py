"""Exact smoothed tree models under product noise: leaf boxes and additive ensembles.

A fitted tree partitions the input space into axis-aligned boxes (its leaves).
Under additive noise with independent coordinates (a noise that declares
``independent_coordinates``, with the marginal CDF ``marginal_cdf``)
``P[x + eps in box] = prod_f P[l_f - x_f < eps_f < u_f - x_f]``, so the smoothed
classifier is computed exactly, without sampling (DESIGN.md section 6):

* a decision tree (hard vote): a class's probability is the sum over its leaves;
* a tree or forest with ``vote="soft"``: the expected ``predict_proba`` is the
  mean over trees of ``sum_leaves value x P[box]`` (Salman et al., NeurIPS 2019,
  certify the same radius formulas on expected scores);
* a decision tree regressor (median / percentile smoothing): the output law is
  discrete, leaf value ``v_l`` with probability ``P[box_l]``, so the smoothed
  percentile and its certified bounds are read off its CDF
  (:class:`ExactTreeRegression`);
* an additive binary ensemble (gradient-boosted stumps, histogram boosting
  with ``interaction_cst="no_interactions"``): the score is a sum of
  independent one-feature step functions; ``P[F > 0]`` is bounded from both
  sides by dynamic programming over a score grid, rounding every term down
  (lower bound) or up (upper bound) (Horvath et al., NeurIPS 2022,
  "(De-)Randomized Smoothing for Decision Stump Ensembles").

Splits are read as scikit-learn evaluates them: trees, forests and
``GradientBoostingClassifier`` compare ``float32(x_f) <= threshold``, which is
``x_f < b`` (or ``<= b`` on a tie that rounds down) for the float32 rounding
boundary ``b`` of the threshold (:func:`split_boundary`); histogram boosting
compares the float64 value with ``num_threshold``. Every probability is an
interval ``[lower, upper]`` that holds in floating point: arguments of the CDF
are rounded outwards, each CDF value is allowed a relative error ``_REL``, and
sums and products are widened by their rounding bounds, so ``pA`` is never
over- and ``pB`` never under-stated; small probabilities are computed from the
near tail directly, never as ``1 -`` a sum.
"""

import warnings

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

_EPS = np.finfo(np.float64).eps
_MAX = np.finfo(np.float64).max

#: Relative error allowed on each CDF or survival value: scipy's normal tails are
#: within 2.4e-13 of mpmath for |z| <= 38 (where they underflow), Laplace within
#: 2e-16 (measured; tests/test_trees.py checks 5e-13 on a grid).
_REL = 1e-12

#: Floor added to every upper bound, so a probability that underflows is still bounded.
_TINY = 1e-300

#: Grid cells of the dynamic program over the additive score (its rounding gap shrinks as 1/G).
GRID = 4096

#: Most combinations of cells (one per noised feature) enumerated exactly instead of the grid.
ENUMERATE = 2**22

#: Largest ``n_inputs x n_columns`` block evaluated at once (bounds memory).
_BLOCK = 2**20

#: Relative slack on the additive score covering the float sums of scikit-learn and ours.
_SCORE_SLACK = 1e-9


# ---------------------------------------------------------------- splits
def split_boundary(threshold):
    """Real-number form of scikit-learn's split ``float32(x) <= threshold``.

    float32 rounding (to nearest, ties to even) is monotone, so
    ``float32(x) <= t`` iff ``x < b``, or ``x == b`` and ``closed``, where ``b``
    is the midpoint between ``T``, the largest float32 ``<= t``, and the next
    float32 above it; ``closed`` says whether ``b`` itself rounds down to ``T``.

    Parameters
    ----------
    threshold : array-like of float
        float64 thresholds (``tree_.threshold``).

    Returns
    -------
    boundary : ndarray of float64
    closed : ndarray of bool

    Examples
    --------
    >>> import numpy as np
    >>> from sksmooth._trees import split_boundary
    >>> b, closed = split_boundary([0.1])
    >>> x = np.nextafter(b, [-np.inf, np.inf])  # the float64 neighbours of b
    >>> # what sklearn computes: the float32 input, compared as a double with the threshold
    >>> (x.astype(np.float32).astype(np.float64) <= 0.1).tolist()
    [True, False]
    >>> bool(closed[0]) == bool(np.float64(np.float32(b[0])) <= 0.1)
    True
    """
    t = np.atleast_1d(np.asarray(threshold, dtype=np.float64))
    with np.errstate(over="ignore"):
        low = t.astype(np.float32)
        low = np.where(low.astype(np.float64) > t, np.nextafter(low, np.float32(-np.inf)), low)
        high = np.nextafter(low, np.float32(np.inf))
        top = np.float64(np.finfo(np.float32).max)
        half_ulp = 2.0**103  # half the spacing of float32 at its largest binade
        lo64, hi64 = low.astype(np.float64), high.astype(np.float64)
        b = np.where(np.isinf(high) & (high > 0), top + half_ulp,
                     np.where(np.isinf(low) & (low < 0), -(top + half_ulp), 0.5 * (lo64 + hi64)))
        b = np.where(t == np.inf, t, b)  # everything but NaN goes left
        closed = b.astype(np.float32) <= t
    return b, closed


def _goes_left(x, b, closed):
    """scikit-learn's routing of clean values ``x`` at boundaries ``(b, closed)`` (NaN: False)."""
    return (x < b) | ((x == b) & closed)


class _Table:
    """Boundaries per feature, sorted, with ``-inf`` first and ``+inf`` last."""

    def __init__(self, n_features, pairs):
        # pairs: (feature, boundary, closed) for every split of the model
        self.n_features = n_features
        self.start = np.zeros(n_features + 1, dtype=np.intp)
        feats, bounds, closed = [], [], []
        for f in range(n_features):
            seen = {}
            for b, c in pairs.get(f, ()):
                seen[float(b)] = bool(c)
            values = sorted(v for v in seen if np.isfinite(v))
            row = [(-np.inf, False)] + [(v, seen[v]) for v in values] + [(np.inf, True)]
            feats += [f] * len(row)
            bounds += [v for v, _ in row]
            closed += [c for _, c in row]
            self.start[f + 1] = len(bounds)
        self.feature = np.asarray(feats, dtype=np.intp)
        self.bound = np.asarray(bounds, dtype=np.float64)
        self.closed = np.asarray(closed, dtype=bool)

    def index(self, f, b):
        """Table index of boundary ``b`` of feature ``f``."""
        lo, hi = self.start[f], self.start[f + 1]
        return int(lo + np.searchsorted(self.bound[lo:hi], b))


# ------------------------------------------------------ interval probabilities
class _Marginals:
    """Bounds on the noise's CDF at every (input, boundary) pair, shared by all leaves.

    With ``t = b - x`` (rounded, so widened outwards to ``t_dn <= true <= t_up``)
    each boundary stores ``G(t)``, the CDF from its near tail: ``cdf(t)`` for
    ``t <= 0`` and ``-sf(t)`` for ``t > 0`` (``cdf(t) - 1``, kept precise), and
    ``s(t) = [t <= 0]``. Then ``P[a < eps < b] = G(b) - G(a) + s(a) - s(b)``:
    a difference of two near tails, or ``1 -`` two tails when ``a <= 0 < b``,
    never a difference of two values near 1. ``upper_g`` is an upper bound on
    ``G`` at ``t_up``, ``lower_g`` a lower bound at ``t_dn`` (each CDF value is
    allowed a relative error ``_REL``); ``G`` is non-decreasing, so the inner
    interval ``(t_up(a), t_dn(b))`` gives a lower bound and the outer one an
    upper bound. An un-noised feature has ``G = 0`` and ``s`` = "x lies right
    of b" by scikit-learn's rule, so the same formula gives its 0 or 1.
    """

    def __init__(self, noise, table, X, noised):
        self.X = X
        pos = np.full(table.n_features, -1, dtype=np.intp)
        pos[noised] = np.arange(noised.shape[0])
        self.noised_feature = pos >= 0
        coord = pos[table.feature]
        cols = coord >= 0
        n, width = X.shape[0], table.bound.shape[0]
        # (boundary, input) layout: a leaf's constraint gathers whole contiguous rows.
        self.upper_g, self.lower_g = np.zeros((width, n)), np.zeros((width, n))
        self.s_up, self.s_dn = np.zeros((width, n)), np.zeros((width, n))
        if cols.any():
            t = table.bound[cols, None] - X.T[table.feature[cols]]
            # The true b - x lies within one rounding of t; widening by 4 eps |t| more also
            # covers a family's own rounding of t / scale, so the argument is bracketed.
            # 2 eps |b| more: the boundary itself is known to one ulp (a real input is
            # rounded to float64 before the model sees it).
            b = table.bound[cols, None]
            widen = np.where(np.isfinite(t), 4 * _EPS * np.abs(t) + 2 * _EPS * np.abs(b), 0.0)
            t_dn = np.nextafter(t - widen, -np.inf)
            t_up = np.nextafter(t + widen, np.inf)
            coord = np.broadcast_to(coord[cols, None], t.shape)
            with np.errstate(over="ignore"):  # +-max float / scale: the CDF is 0 or 1 there
                g_dn = _near_tail(*noise.marginal_cdf(t_dn, coord), t_dn)
                g_up = _near_tail(*noise.marginal_cdf(t_up, coord), t_up)
            self.upper_g[cols] = g_up + _REL * np.abs(g_up)
            self.lower_g[cols] = g_dn - _REL * np.abs(g_dn)
            self.s_up[cols] = t_up <= 0
            self.s_dn[cols] = t_dn <= 0
        fixed = ~cols
        if fixed.any():
            x = X.T[table.feature[fixed]]
            right = ~_goes_left(x, table.bound[fixed, None], table.closed[fixed, None])
            self.s_up[fixed] = self.s_dn[fixed] = right
        self.nan = np.isnan(X.T)
        self.any_nan = bool(self.nan.any())

    def interval(self, feature, lo, hi, nan_ok=None):
        """Bounds on ``P[lo < x_f + eps_f < hi]``, shape (n_columns, n_inputs), for ``(feature, lo, hi)``.

        Un-noised features: 0 or 1 from the clean value by scikit-learn's rule;
        a NaN value: ``nan_ok`` (whether missing values take this path).
        The results carry the rounding of the two operations (``4 eps`` relative,
        and ``4 eps`` absolute when ``a <= 0 < b``).
        """
        cross_in = self.s_up[lo] - self.s_dn[hi]
        lower = self.lower_g[hi] - self.upper_g[lo] + cross_in
        lower = np.maximum(lower * (1 - 4 * _EPS) - 4 * _EPS * np.abs(cross_in), 0.0)
        cross_out = self.s_dn[lo] - self.s_up[hi]
        upper = self.upper_g[hi] - self.lower_g[lo] + cross_out
        upper = np.minimum(upper * (1 + 4 * _EPS) + 4 * _EPS * np.abs(cross_out), 1.0)
        if self.any_nan:
            missing = self.nan[feature]
            ok = (np.ones(feature.shape, bool) if nan_ok is None else nan_ok).astype(float)
            ok = np.broadcast_to(ok[:, None], missing.shape)
            lower, upper = np.where(missing, ok, lower), np.where(missing, ok, upper)
        return lower, upper


def _near_tail(cdf, sf, t):
    """``cdf(t)`` where ``t <= 0``, ``-sf(t)`` elsewhere (see :class:`_Marginals`)."""
    return np.where(t <= 0, cdf, -sf)


def _round_sum(lower, upper, n_terms):
    """Widen sums (or products) of ``n_terms`` non-negative floats by their rounding bound.

    Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5 / Lemma 3.1:
    relative error at most ``n u / (1 - n u)``; ``(n + 2) eps`` covers it.
    """
    rel = (n_terms + 2) * _EPS
    return lower * (1.0 - rel), np.minimum(upper * (1.0 + rel) + _TINY, 1.0)


# ------------------------------------------------------------- leaf boxes
class _Leaves:
    """The leaf boxes of one or more trees over one boundary table."""

    def __init__(self, trees, table, n_features, bounds):
        self.table = table
        cons_feat, cons_lo, cons_hi, cons_nan, leaf_of = [], [], [], [], []
        values = []
        for k, tree in enumerate(trees):
            for node, box in _walk(tree, table, n_features, bounds):
                if not box:  # a tree that is one leaf: one constraint that always holds
                    box = {0: (table.start[0], table.start[1] - 1, True)}
                for f, (lo, hi, ok) in box.items():
                    cons_feat.append(f), cons_lo.append(lo), cons_hi.append(hi)
                    cons_nan.append(ok), leaf_of.append(len(values))
                values.append((k, node))
        self.leaf_tree = np.array([k for k, _ in values], dtype=np.intp)
        self.leaf_node = np.array([n for _, n in values], dtype=np.intp)
        self.n_leaves = len(values)
        # Leaves of one subtree share constraints: compute each distinct one once.
        keys = np.column_stack([cons_feat, cons_lo, cons_hi, cons_nan]).astype(np.intp)
        unique, self.use = np.unique(keys, axis=0, return_inverse=True)
        self.use = self.use.ravel()
        self.feature, self.lo, self.hi = unique[:, 0], unique[:, 1], unique[:, 2]
        self.nan_ok = unique[:, 3].astype(bool)
        # Constraints are listed leaf by leaf, each leaf has at least one.
        leaf_of = np.asarray(leaf_of, dtype=np.intp)
        counts = np.bincount(leaf_of, minlength=self.n_leaves)
        self.depth = int(counts.max())
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)

    def probabilities(self, marginals):
        """Bounds on ``P[x + eps in leaf]``, shape (n_leaves, n_inputs) each."""
        lower, upper = marginals.interval(self.feature, self.lo, self.hi, self.nan_ok)
        lower = np.multiply.reduceat(lower[self.use], self.starts, axis=0)
        upper = np.multiply.reduceat(upper[self.use], self.starts, axis=0)
        return _round_sum(lower, upper, self.depth)


def _walk(tree, table, n_features, bounds):
    """``(leaf node, {feature: (lo index, hi index, missing values go here)})`` of a tree."""
    t = tree.tree_
    left, right, feature = t.children_left, t.children_right, t.feature
    boundary, closed = bounds(t.threshold, feature, True)
    missing_left = getattr(t, "missing_go_to_left", np.zeros(t.node_count, dtype=np.uint8))
    stack = [(0, {})]
    while stack:
        node, box = stack.pop()
        if left[node] == -1:
            yield node, box
            continue
        f = int(feature[node])
        j = table.index(f, boundary[node])
        lo, hi, ok = box.get(f, (table.start[f], table.start[f + 1] - 1, True))
        go_left = bool(missing_left[node])
        stack.append((int(right[node]), {**box, f: (max(lo, j), hi, ok and not go_left)}))
        stack.append((int(left[node]), {**box, f: (lo, min(hi, j), ok and go_left)}))


def _splits(trees, bounds):
    pairs = {}
    for tree in trees:
        t = tree.tree_
        internal = t.children_left != -1
        b, c = bounds(t.threshold[internal], t.feature[internal], True)
        for f, bb, cc in zip(t.feature[internal], b, c):
            pairs.setdefault(int(f), []).append((bb, cc))
    return pairs


def _class_columns(classes, est_classes):
    cols = np.searchsorted(classes, est_classes)
    cols = np.minimum(cols, classes.shape[0] - 1)
    if np.any(classes[cols] != est_classes):
        return None
    return cols


# --------------------------------------------------------------- the models
class _ExactBase:
    """Shared interface: class indices refer to the smoothed classifier's ``classes_``."""

    kind = None
    #: The vote of the smoothed classifier this closed form certifies.
    vote = "hard"

    def __init__(self, noise, n_features, n_classes):
        self.noise = noise
        self.n_features = n_features
        self.n_classes = n_classes
        self.noised = noise.feature_indices(n_features)

    def _blocks(self, X, width):
        step = max(1, _BLOCK // max(1, width))
        for start in range(0, X.shape[0], step):
            yield slice(start, start + step)

    def predict_proba(self, X):
        """Exact smoothed class probabilities (mid-points of the certified bounds)."""
        lower, upper = self.bounds(X)
        mid = 0.5 * (lower + upper)
        return mid / mid.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Class indices of the exact smoothed classifier (the argmax of :meth:`predict_proba`)."""
        return np.argmax(self.predict_proba(X), axis=1)

    #: The class scores sum to 1 (hard votes, and soft votes of normalised leaves).
    complement = True

    def _tight_bounds(self, X):
        """:meth:`bounds`, each lower bound also raised to ``1 - sum of the others' upper``.

        Near 1 that complement is far more precise than the direct sum (each
        term's error is relative to the small upper bounds); both are valid.
        """
        lower, upper = self.bounds(X)
        if not self.complement:
            return lower, upper
        rest = upper.sum(axis=1, keepdims=True) - upper
        rest = rest * (1.0 + (self.n_classes + 2) * _EPS)
        slack = (self.n_classes + 2) * _EPS * getattr(self, "n_trees", 1)
        comp = np.nextafter(1.0 - rest - slack, -np.inf)
        return np.maximum(lower, np.clip(comp, 0.0, 1.0)), upper

    def certify(self, X):
        """Top class (largest lower bound), radius ``noise.radius(pA_lower, pB_upper)``, abstain.

        ``pA_lower`` is the larger of the direct lower bound and ``1 -`` the
        others' upper bounds (rounded down); ``pB_upper`` is the largest upper
        bound over the other classes, computed directly (and at most
        ``1 - pA_lower``, rounded up); abstain where ``pA_lower <= pB_upper``.
        """
        lower, upper = self._tight_bounds(X)
        rows = np.arange(X.shape[0])
        top = np.argmax(lower, axis=1)
        p_lower = lower[rows, top]
        others = upper.copy()
        others[rows, top] = -np.inf
        p_upper = np.minimum(others.max(axis=1), np.nextafter(1.0 - p_lower, 2.0))
        p_upper = np.maximum(p_upper, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            radius = np.asarray(self.noise.radius(p_lower, p_upper), dtype=np.float64)
        abstain = (p_lower <= p_upper) | ~(radius > 0)
        return top, np.where(abstain, 0.0, radius), abstain


class ExactTreeSmoothing(_ExactBase):
    """Smoothed trees in closed form: hard vote of one tree, or soft vote of one or many.

    Built by :func:`exact_smoothing`. ``weights[leaf, c]`` is the leaf's vote
    for class ``c`` (hard: 1 for its argmax class; soft: its normalised
    ``value``) divided by the number of trees, so a class's smoothed score is
    ``sum_leaves weights x P[box]``.
    """

    def __init__(self, noise, n_features, n_classes, leaves, weights, n_trees, soft):
        super().__init__(noise, n_features, n_classes)
        self.leaves = leaves
        self.weights = weights
        self.n_trees = n_trees
        self.soft = soft
        self.vote = "soft" if soft else "hard"
        self.kind = "exact-soft-forest" if soft and n_trees > 1 else (
            "exact-soft-tree" if soft else "exact-tree")

    def bounds(self, X):
        """Certified bounds on each class's smoothed probability (or expected score)."""
        X = np.asarray(X, dtype=np.float64)
        lower = np.zeros((X.shape[0], self.n_classes))
        upper = np.zeros_like(lower)
        leaves = self.leaves
        width = 3 * leaves.use.shape[0] + 4 * leaves.table.bound.shape[0]
        for rows in self._blocks(X, width):
            marg = _Marginals(self.noise, self.leaves.table, X[rows], self.noised)
            p_lo, p_hi = self.leaves.probabilities(marg)
            lower[rows] = (self.weights.T @ p_lo).T
            upper[rows] = (self.weights.T @ p_hi).T
        # One product per term, a sum over the leaves, the forest's division by n_trees.
        n_terms = self.leaves.n_leaves + 2 * self.n_trees + 2
        lower, upper = _round_sum(lower, upper, n_terms)
        return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


class ExactAdditiveSmoothing(_ExactBase):
    """Binary additive ensemble ``F(x) = c + sum_f h_f(x_f)`` in closed form (dynamic program).

    Built by :func:`exact_smoothing`. With at most ``max_combinations``
    combinations of cells over the noised features, ``P[F > 0]`` sums them
    all (exact to the score tolerance); otherwise the dynamic program over a
    grid of ``grid`` steps bounds it. ``cells[f]`` are the values of ``h_f`` on
    the cells between consecutive boundaries of feature ``f``; ``missing[f]``
    its value at NaN. Class 1 wins where ``F > 0`` (histogram boosting) or
    ``F >= 0`` (gradient boosting); the bounds hold for both, since they count
    ``|F| <= tol`` (the rounding of the float sums) on the conservative side.
    """

    kind = "exact-additive"

    def __init__(self, noise, n_features, table, constant, cells, missing, grid=GRID,
                 max_combinations=ENUMERATE):
        super().__init__(noise, n_features, 2)
        self.table = table
        self.constant = constant
        self.cells = cells
        self.missing = missing
        self.grid = grid
        span = sum(float(np.ptp(v)) for v in cells.values())
        scale = abs(constant) + sum(float(np.max(np.abs(v))) for v in cells.values())
        self.tol = _SCORE_SLACK * max(scale, 1.0)
        self.step = span / grid if span > 0 else 1.0
        # Few cell combinations: sum over all of them (exact up to the score tolerance),
        # meeting in the middle: the noised features split in two halves A and B.
        noised = set(self.noised.tolist())
        sizes = [v.shape[0] for f, v in cells.items() if f in noised]
        self.enumerate = float(np.prod(sizes)) <= max_combinations
        if self.enumerate:
            half, total, self.half = 1.0, float(np.prod(sizes)), []
            for size in sizes:  # features into A until A holds about sqrt(total) combinations
                self.half.append(half * size <= np.sqrt(total) or not self.half)
                half *= size if self.half[-1] else 1.0
            values_a, values_b = np.zeros(1), np.zeros(1)
            k = 0
            for f, v in cells.items():
                if f in noised:
                    if self.half[k]:
                        values_a = (values_a[:, None] + v[None, :]).ravel()
                    else:
                        values_b = (values_b[:, None] + v[None, :]).ravel()
                    k += 1
            self.values_a = values_a
            self.order_b = np.argsort(values_b, kind="stable")
            self.values_b = values_b[self.order_b]

    def _feature_pmfs(self, X):
        """Per feature: cell values and bounds on the cells' probabilities (or a fixed value)."""
        marg = _Marginals(self.noise, self.table, X, self.noised)
        fixed = np.full(X.shape[0], self.constant)
        noisy = []
        for f, values in self.cells.items():
            start = self.table.start[f]
            k = np.arange(values.shape[0])
            feat = np.full(k.shape, f)
            lower, upper = marg.interval(feat, start + k, start + k + 1)
            lower, upper = lower.T, upper.T
            x = X[:, f]
            nan = np.isnan(x)
            if marg.noised_feature[f]:
                ok = ~nan
                fixed[nan] += self.missing[f]
                noisy.append((values, np.where(ok[:, None], lower, 0.0),
                              np.where(ok[:, None], upper, 0.0), ok))
            else:
                cell = np.argmax(lower > 0.5, axis=1)
                fixed += np.where(nan, self.missing[f], values[cell])
        return fixed, noisy

    def bounds(self, X):
        """Certified bounds on ``P[class 0]`` and ``P[class 1]`` (column order of ``classes_``)."""
        X = np.asarray(X, dtype=np.float64)
        out_lo = np.zeros((X.shape[0], 2))
        out_hi = np.zeros_like(out_lo)
        if self.enumerate:
            width = (self.table.bound.shape[0] * 8 + 8 * self.values_a.shape[0]
                     + 4 * self.values_b.shape[0])
            block = self._bounds_enumerated
        else:
            width = self.table.bound.shape[0] * 8 + 4 * self.grid
            block = self._bounds_block
        for rows in self._blocks(X, width):
            lo, hi = block(X[rows])
            out_lo[rows], out_hi[rows] = lo, hi
        return out_lo, out_hi

    def _bounds_enumerated(self, X):
        """``P[F > 0]`` summed over every combination of cells (one per noised feature).

        Meet in the middle: ``F = c(x) + V_A + V_B`` over the two halves of the
        features; ``P[F > 0] = sum_a P[V_A = a] P[V_B > -c(x) - a]``, the tail of
        ``V_B`` read from cumulative sums in its sorted order. All terms are
        non-negative, so the rounding bound of a sum applies.
        """
        n = X.shape[0]
        fixed, noisy = self._feature_pmfs(X)
        pmf = {"a": [np.ones((n, 1)), np.ones((n, 1))], "b": [np.ones((n, 1)), np.ones((n, 1))]}
        for (values, lower, upper, ok), in_a in zip(noisy, self.half):
            # a NaN row: all mass on cell 0, and the feature's NaN value (in `fixed`)
            # replaces the cell's value
            lower, upper = lower.copy(), upper.copy()
            lower[~ok], upper[~ok] = 0.0, 0.0
            lower[~ok, 0] = upper[~ok, 0] = 1.0
            fixed = fixed - np.where(ok, 0.0, values[0])
            side = pmf["a" if in_a else "b"]
            for j, p in enumerate((lower, upper)):
                side[j] = (side[j][:, :, None] * p[:, None, :]).reshape(n, -1)
        va, vb = self.values_a, self.values_b
        thr = -fixed[:, None] - va[None, :]  # F > 0 iff V_B > thr (per input and a)
        out = []
        for j in (0, 1):  # 0: lower bounds, 1: upper bounds
            pa = pmf["a"][j]
            pb = pmf["b"][j][:, self.order_b]
            head = np.concatenate([np.zeros((n, 1)), np.cumsum(pb, axis=1)], axis=1)
            tail = np.concatenate([np.cumsum(pb[:, ::-1], axis=1)[:, ::-1],
                                   np.zeros((n, 1))], axis=1)
            rows = np.arange(n)[:, None]

            def below(t, side):  # sum of pb over V_B < t (side "left") or <= t ("right")
                return head[rows, np.searchsorted(vb, t, side=side)]

            def above(t, side):  # sum of pb over V_B > t ("right") or >= t ("left")
                return tail[rows, np.searchsorted(vb, t, side=side)]

            if j == 0:  # P[F < -tol] <= P[class 0], P[F > tol] <= P[class 1]
                out.append(np.column_stack([(pa * below(thr - self.tol, "left")).sum(axis=1),
                                            (pa * above(thr + self.tol, "right")).sum(axis=1)]))
            else:  # P[class 0] <= P[F <= tol], P[class 1] <= P[F >= -tol]
                out.append(np.column_stack([(pa * below(thr + self.tol, "right")).sum(axis=1),
                                            (pa * above(thr - self.tol, "left")).sum(axis=1)]))
        n_terms = len(noisy) + va.shape[0] + vb.shape[0] + 4
        lower, upper = _round_sum(out[0], out[1], n_terms)
        return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)

    def _bounds_block(self, X):
        n = X.shape[0]
        fixed, noisy = self._feature_pmfs(X)
        base = fixed + sum(float(v.min()) for v, *_ in noisy)
        # Each feature's offset from its minimum, in grid steps, rounded down and up.
        shifts_dn, shifts_up = [], []
        for values, *_ in noisy:
            q = (values - values.min()) / self.step
            shifts_dn.append(np.maximum(np.floor(q - 1e-9), 0).astype(np.intp))
            shifts_up.append(np.ceil(q + 1e-9).astype(np.intp))
        # rows with NaN on a noised feature: that feature's pmf is a point mass at its
        # NaN value (already in `fixed`); give it all mass at shift 0 and add back its minimum.
        for values, lower, upper, ok in noisy:
            base = base - np.where(ok, 0.0, float(values.min()))
        dist = {}
        for name, shifts in (("dn", shifts_dn), ("up", shifts_up)):
            length = 1 + sum(int(s.max()) for s in shifts)
            cur = np.zeros((2, n, length))
            cur[:, :, 0] = 1.0
            used = 1
            for (values, lower, upper, ok), s in zip(noisy, shifts):
                nxt = np.zeros_like(cur)
                probs = np.stack([lower, upper])
                # a NaN row keeps its distribution (mass 1 at shift 0 of this feature)
                probs[:, ~ok, :] = 0.0
                for k in range(values.shape[0]):
                    sk = int(s[k])
                    nxt[:, :, sk:sk + used] += probs[:, :, k, None] * cur[:, :, :used]
                nxt[:, ~ok, :used] += cur[:, ~ok, :used]
                used += int(s.max())
                cur = nxt
            dist[name] = cur
        n_ops = 2 * sum(v.shape[0] for v, *_ in noisy) + 2
        lower = np.zeros((n, 2))
        upper = np.zeros((n, 2))
        for name, sign in (("dn", -1), ("up", +1)):
            cur = dist[name]
            score = base[:, None] + self.step * np.arange(cur.shape[2])[None, :]
            pos_lo = score > self.tol
            pos_hi = score >= -self.tol
            neg_lo = score < -self.tol
            neg_hi = score <= self.tol
            if name == "dn":  # F_dn <= F: P[F > 0] >= P[F_dn > tol], P[F <= 0] <= P[F_dn <= tol]
                lower[:, 1] = (cur[0] * pos_lo).sum(axis=1)
                upper[:, 0] = (cur[1] * neg_hi).sum(axis=1)
            else:  # F_up >= F: P[F > 0] <= P[F_up >= -tol], P[F <= 0] >= P[F_up < -tol]
                upper[:, 1] = (cur[1] * pos_hi).sum(axis=1)
                lower[:, 0] = (cur[0] * neg_lo).sum(axis=1)
        lower, upper = _round_sum(lower, upper, n_ops + cur.shape[2])
        return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


# ----------------------------------------------------- boundaries of splits
def _plain_bounds(threshold, feature, float32):
    """Real-number boundaries of splits on the raw inputs (float32 trees, or float64 ``<=``)."""
    threshold = np.asarray(threshold, dtype=np.float64)
    if float32:
        return split_boundary(threshold)
    return threshold, np.ones(threshold.shape, dtype=bool)


#: Transformers that map each feature by its own non-decreasing function (by exact type).
_MONOTONE_STEPS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler,
                   FunctionTransformer)


def _to_key(x):
    """Order-preserving int64 keys of float64 values (-0.0 and 0.0 share key 0)."""
    i = np.asarray(x, dtype=np.float64).view(np.int64)
    return np.where(i >= 0, i, -(i & np.int64(0x7FFFFFFFFFFFFFFF)))


def _from_key(k):
    k = np.asarray(k, dtype=np.int64)
    return np.where(k >= 0, k, (-k) | np.int64(-0x8000000000000000)).view(np.float64)


class _PulledBounds:
    """Boundaries of splits made after per-feature increasing steps, in input units.

    Each step maps feature ``f`` by its own non-decreasing float function, and so
    does their composition ``phi_f``; the tree goes left where
    ``float32(phi_f(x)) <= t`` (or ``phi_f(x) <= t``), a monotone condition on
    ``x``. The largest float64 ``x`` that goes left is found by bisection over
    the ordered float64 values, calling the fitted steps' own ``transform``, so
    the boundary reproduces the pipeline's decisions on every float input.
    """

    def __init__(self, steps, n_features):
        self.steps = steps
        self.n_features = n_features
        self._cache = {}  # (float32, feature, threshold) -> boundary: each is found once

    def _phi(self, x, f):
        Z = np.zeros((x.shape[0], self.n_features))
        Z[:, f] = x
        with np.errstate(all="ignore"), warnings.catch_warnings():
            # steps fitted on a DataFrame: the columns are probed by position here
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            for step in self.steps:
                # Inputs so large that a step overflows are refused by the next step's
                # own checks in predict; clipping keeps the map monotone for the bisection.
                Z = np.clip(step.transform(Z), -_MAX, _MAX)
        return np.asarray(Z, dtype=np.float64)[:, f]

    def _left(self, keys, t, f, float32):
        z = self._phi(_from_key(keys), f)
        if float32:
            with np.errstate(over="ignore"):
                z = z.astype(np.float32).astype(np.float64)
        return z <= t

    def __call__(self, threshold, feature, float32):
        threshold = np.asarray(threshold, dtype=np.float64)
        b = np.zeros(threshold.shape)
        feature = np.asarray(feature)
        top = _to_key(np.finfo(np.float64).max)
        cached = np.array([(float32, int(f), float(t)) in self._cache
                           for f, t in zip(feature, threshold)], dtype=bool)
        for i in np.flatnonzero(cached):
            b[i] = self._cache[(float32, int(feature[i]), float(threshold[i]))]
        for f in np.unique(feature[(feature >= 0) & ~cached]):
            sel = np.flatnonzero((feature == f) & ~cached)
            t = threshold[sel]
            lo = np.full(t.shape, -top, dtype=np.int64)
            hi = np.full(t.shape, top, dtype=np.int64)
            none_left = ~self._left(lo, t, int(f), float32)
            all_left = self._left(hi, t, int(f), float32)
            while True:  # invariant: lo goes left, hi goes right
                todo = hi > lo + 1
                todo &= ~(none_left | all_left)
                if not todo.any():
                    break
                mid = (lo >> 1) + (hi >> 1) + (lo & hi & 1)
                go = self._left(mid, t, int(f), float32)
                lo = np.where(todo & go, mid, lo)
                hi = np.where(todo & ~go, mid, hi)
            out = _from_key(lo)
            out = np.where(none_left, -np.inf, np.where(all_left, np.inf, out))
            b[sel] = out
            self._cache.update({(float32, int(f), float(tt)): bb for tt, bb in zip(t, out)})
        return b, np.ones(threshold.shape, dtype=bool)


# ------------------------------------------------------------ construction
_TREES = (DecisionTreeClassifier, ExtraTreeClassifier)
_FORESTS = (RandomForestClassifier, ExtraTreesClassifier)


def _final_step_and_bounds(estimator, n_features):
    """``(tree model, boundaries)``: the last step of a Pipeline of per-feature increasing
    steps with its boundaries pulled back to input units (or the model and its plain
    boundaries); a reason string where a step is not such a map."""
    if type(estimator) is not Pipeline:
        return estimator, _plain_bounds
    steps = [step for _, step in estimator.steps[:-1]
             if step is not None and not (isinstance(step, str) and step == "passthrough")]
    for step in steps:
        if type(step) not in _MONOTONE_STEPS or getattr(step, "clip", False):
            return (f"pipeline step {type(step).__name__} is not a known per-feature "
                    "increasing map (known: " + ", ".join(
                        sorted(t.__name__ for t in _MONOTONE_STEPS))
                    + "; without clip, FunctionTransformer without func)")
        if type(step) is FunctionTransformer and step.func is not None:
            return "pipeline step FunctionTransformer has a func"
    return estimator.steps[-1][1], _PulledBounds(steps, n_features)


def exact_smoothing(estimator, noise, classes, vote, X_probe, decision_probe):
    """The exact smoothed tree model for ``(estimator, noise, vote)``, or ``(None, reason)``.

    Parameters
    ----------
    estimator : fitted estimator
    noise : BaseNoise
    classes : ndarray
        The smoothed classifier's classes.
    vote : {"hard", "soft"}
    X_probe : ndarray of shape (n_probe, n_features)
        A few inputs on which the extracted additive score is checked.
    decision_probe : callable
        Returns the estimator's ``decision_function`` on ``X_probe``.

    Returns
    -------
    exact : ExactTreeSmoothing, ExactAdditiveSmoothing or None
    reason : str or None
        Why there is no closed form.
    """
    n_features = X_probe.shape[1]
    out = _final_step_and_bounds(estimator, n_features)
    if isinstance(out, str):
        return None, out
    estimator, bounds = out
    kind = type(estimator)
    if kind not in _TREES + _FORESTS + (GradientBoostingClassifier,
                                        HistGradientBoostingClassifier):
        return None, (f"{kind.__name__} is not a tree model with a closed form (decision "
                      "trees, random / extra-trees forests with vote='soft', binary additive "
                      "boosting)")
    if not getattr(noise, "independent_coordinates", False):
        return None, (f"{type(noise).__name__} has no independent coordinates with a marginal "
                      "CDF (tree closed forms need a product noise; this noise samples)")
    if getattr(estimator, "n_features_in_", n_features) != n_features:
        return None, "the tree model does not act on the input features"
    if kind in _TREES + _FORESTS:
        return _leaf_model(estimator, noise, classes, vote, n_features, bounds)
    if vote == "soft":
        return None, "soft voting of a boosted ensemble has no closed form here (it samples)"
    if classes.shape[0] != 2:
        return None, "multiclass boosting has no closed form here (it samples)"
    if _class_columns(classes, np.asarray(estimator.classes_)) is None:
        return None, "the base estimator's classes_ differ from the training classes"
    # GradientBoosting predicts class 1 where F >= 0, histogram boosting where F > 0:
    # both within the score tolerance of the bounds.
    stumps = _gb_stumps if kind is GradientBoostingClassifier else _hgb_stumps
    out = stumps(estimator, bounds)
    if isinstance(out, str):
        return None, out
    pairs, trees = out
    table = _Table(n_features, pairs)
    cells, missing = _step_functions(trees, table)
    rest = _evaluate_steps(trees, table, X_probe)
    constant_all = np.asarray(decision_probe(), dtype=np.float64).ravel() - rest
    constant = float(np.median(constant_all))
    scale = np.abs(rest).max(initial=0.0) + abs(constant) + 1.0
    if not np.all(np.abs(constant_all - constant) <= 1e-9 * scale):
        return None, "the extracted additive score does not reproduce decision_function"
    return ExactAdditiveSmoothing(noise, n_features, table, constant, cells, missing), None


def _leaf_model(estimator, noise, classes, vote, n_features, bounds):
    forest = type(estimator) in _FORESTS
    if forest and vote != "soft":
        return None, ("hard voting of a forest has no closed form (use vote='soft' for an exact "
                      "forest)")
    trees = list(estimator.estimators_) if forest else [estimator]
    if any(t.tree_.n_outputs != 1 for t in trees):
        return None, "multi-output trees have no closed form here"
    cols = _class_columns(classes, np.asarray(estimator.classes_))
    if cols is None:
        return None, "the base estimator's classes_ differ from the training classes"
    table = _Table(n_features, _splits(trees, bounds))
    leaves = _Leaves(trees, table, n_features, bounds)
    weights = np.zeros((leaves.n_leaves, classes.shape[0]))
    for k, tree in enumerate(trees):
        mine = leaves.leaf_tree == k
        value = tree.tree_.value[leaves.leaf_node[mine], 0, : len(estimator.classes_)]
        if vote == "soft":  # DecisionTreeClassifier.predict_proba: value / its row sum
            norm = value.sum(axis=1, keepdims=True)
            norm[norm == 0.0] = 1.0
            w = value / norm
        else:  # DecisionTreeClassifier.predict: classes_[argmax(value)]
            w = np.zeros_like(value)
            w[np.arange(value.shape[0]), np.argmax(value, axis=1)] = 1.0
        weights[np.ix_(np.flatnonzero(mine), cols)] = w / len(trees)
    exact = ExactTreeSmoothing(noise, n_features, classes.shape[0], leaves, weights,
                              len(trees), vote == "soft")
    # A leaf with no weight (all-zero value) would make the scores sum below 1.
    exact.complement = bool(np.all(weights.sum(axis=1) * len(trees) > 0.5))
    return exact, None


class _OneFeatureTree:
    """A tree on one feature: node arrays in table terms (boundary index per node)."""

    def __init__(self, feature, left, right, boundary, closed, value, missing_left):
        self.feature = feature
        self.left, self.right = left, right
        self.boundary, self.closed = boundary, closed
        self.value = value
        self.missing_left = missing_left


def _gb_stumps(estimator, bounds):
    if estimator.init not in (None, "zero"):
        return "GradientBoostingClassifier with an init estimator is not additive here"
    trees, pairs = [], {}
    for reg in estimator.estimators_[:, 0]:
        t = reg.tree_
        internal = t.children_left != -1
        feats = np.unique(t.feature[internal])
        if feats.size > 1:
            return ("GradientBoostingClassifier trees use several features (use max_depth=1 "
                    "stumps for a closed form)")
        b, c = bounds(t.threshold, t.feature, True)
        f = int(feats[0]) if feats.size else 0
        value = estimator.learning_rate * t.value[:, 0, 0]
        trees.append(_OneFeatureTree(f, t.children_left, t.children_right, b, c, value,
                                     getattr(t, "missing_go_to_left",
                                             np.zeros(t.node_count, np.uint8))))
        pairs.setdefault(f, []).extend(zip(b[internal], c[internal]))
    return pairs, trees


def _hgb_stumps(estimator, bounds):
    predictors = getattr(estimator, "_predictors", None)
    if predictors is None or any(len(p) != 1 for p in predictors):
        return "HistGradientBoostingClassifier's predictors are not one tree per iteration"
    if getattr(estimator, "is_categorical_", None) is not None and np.any(
            estimator.is_categorical_):
        return "HistGradientBoostingClassifier with categorical features has no closed form here"
    trees, pairs = [], {}
    for (pred,) in predictors:
        nodes = pred.nodes
        internal = nodes["is_leaf"] == 0
        feats = np.unique(nodes["feature_idx"][internal])
        if feats.size > 1:
            return ("HistGradientBoostingClassifier trees use several features (use "
                    "interaction_cst='no_interactions' for a closed form)")
        f = int(feats[0]) if feats.size else 0
        left = np.where(internal, nodes["left"].astype(np.intp), -1)
        right = np.where(internal, nodes["right"].astype(np.intp), -1)
        # x <= num_threshold goes left, compared in float64
        b, c = bounds(nodes["num_threshold"].astype(np.float64),
                      np.where(internal, nodes["feature_idx"], -1), False)
        trees.append(_OneFeatureTree(f, left, right, b, c, nodes["value"].astype(np.float64),
                                     nodes["missing_go_to_left"]))
        pairs.setdefault(f, []).extend(zip(b[internal], c[internal]))
    return pairs, trees


def _route_cells(tree, table, f):
    """Leaf reached by every cell of feature ``f`` (cell k lies between boundaries k and k+1)."""
    start, stop = table.start[f], table.start[f + 1]
    n_cells = stop - start - 1
    k = np.arange(n_cells)
    idx = np.searchsorted(table.bound[start:stop], tree.boundary)  # table position per node
    node = np.zeros(n_cells, dtype=np.intp)
    for _ in range(tree.left.shape[0]):
        inner = tree.left[node] != -1
        if not inner.any():
            break
        go_left = k < idx[node]
        node = np.where(inner, np.where(go_left, tree.left[node], tree.right[node]), node)
    return node


def _route_missing(tree):
    node = 0
    while tree.left[node] != -1:
        node = tree.left[node] if tree.missing_left[node] else tree.right[node]
    return node


def _step_functions(trees, table):
    """Per feature used: the summed values on its cells, and its summed value at NaN."""
    cells, missing = {}, {}
    for tree in trees:
        f = tree.feature
        n_cells = table.start[f + 1] - table.start[f] - 1
        if tree.left[0] == -1:  # a single leaf: a constant, spread on feature f's cells
            cells.setdefault(f, np.zeros(n_cells))
            cells[f] = cells[f] + tree.value[0]
            missing[f] = missing.get(f, 0.0) + tree.value[0]
            continue
        cells.setdefault(f, np.zeros(n_cells))
        cells[f] = cells[f] + tree.value[_route_cells(tree, table, f)]
        missing[f] = missing.get(f, 0.0) + tree.value[_route_missing(tree)]
    return cells, missing


def _evaluate_steps(trees, table, X):
    """``sum_trees value(x)`` by the extracted cells (the guard against ``decision_function``)."""
    cells, missing = _step_functions(trees, table)
    total = np.zeros(X.shape[0])
    for f, values in cells.items():
        start, stop = table.start[f], table.start[f + 1]
        x = X[:, f]
        right = ~_goes_left(x[:, None], table.bound[None, start + 1:stop - 1],
                            table.closed[None, start + 1:stop - 1])
        cell = right.sum(axis=1)
        total += np.where(np.isnan(x), missing[f], values[cell])
    return total


# ------------------------------------------------------------ regression
_TREE_REGRESSORS = (DecisionTreeRegressor, ExtraTreeRegressor)
_FOREST_REGRESSORS = (RandomForestRegressor, ExtraTreesRegressor)

#: Relative allowance on the computed levels ``W(p, r)`` and ``W(1 - p, r)`` (scipy's
#: ndtr / ndtri, exp, and ``1 - p``; measured against mpmath within 1e-11 in
#: tests/test_regressor_trees.py).
_W_REL = 1e-9


def exact_tree_regression(estimator, noise, X_probe, predict_probe):
    """The exact median-smoothed tree regressor for ``(estimator, noise)``, or ``(None, reason)``.

    Parameters
    ----------
    estimator : fitted regressor
        A ``DecisionTreeRegressor`` / ``ExtraTreeRegressor``, or a Pipeline of
        per-feature increasing steps ending in one.
    noise : BaseNoise
        With ``independent_coordinates`` (a product noise).
    X_probe : ndarray of shape (n_probe, n_features)
        A few inputs on which the extracted leaf boxes are checked.
    predict_probe : callable
        Returns the estimator's own ``predict`` on ``X_probe``.

    Returns
    -------
    exact : ExactTreeRegression or None
    reason : str or None
        Why there is no closed form.
    """
    n_features = X_probe.shape[1]
    out = _final_step_and_bounds(estimator, n_features)
    if isinstance(out, str):
        return None, out
    tree, bounds = out
    kind = type(tree)
    if kind in _FOREST_REGRESSORS:
        return None, (f"{kind.__name__} averages its trees, so its output mixes leaves across "
                      "trees and has no cheap exact distribution (it samples)")
    if kind not in _TREE_REGRESSORS:
        return None, (f"{kind.__name__} is not a tree regressor with a closed form "
                      "(DecisionTreeRegressor, ExtraTreeRegressor)")
    if not getattr(noise, "independent_coordinates", False):
        return None, (f"{type(noise).__name__} has no independent coordinates with a marginal "
                      "CDF (tree closed forms need a product noise; this noise samples)")
    if getattr(tree, "n_features_in_", n_features) != n_features:
        return None, "the tree does not act on the input features"
    if tree.tree_.n_outputs != 1:
        return None, "multi-output trees have no closed form here"
    table = _Table(n_features, _splits([tree], bounds))
    leaves = _Leaves([tree], table, n_features, bounds)
    values = np.asarray(tree.tree_.value[leaves.leaf_node, 0, 0], dtype=np.float64)
    exact = ExactTreeRegression(noise, n_features, leaves, values)
    if X_probe.shape[0]:
        theirs = np.asarray(predict_probe(), dtype=np.float64).ravel()
        if not np.array_equal(exact.clean_predict(X_probe), theirs):
            return None, "the extracted leaf boxes do not reproduce predict"
    return exact, None


class ExactTreeRegression:
    """Median (percentile) smoothing of one regression tree in closed form.

    Built by :func:`exact_tree_regression`. ``f(x + eps)`` takes the value
    ``v_l`` of leaf ``l`` with probability ``P_l(x) = P[x + eps in box_l]``
    (bounded from both sides, :class:`_Leaves`). With ``u_1 < ... < u_K`` the
    distinct leaf values (equal values pooled) and ``F_x(u) = sum_{v_l <= u}
    P_l(x)``, the smoothed ``p``-th percentile is ``q(x) = min{u_k : F_x(u_k)
    >= p}``. Let ``W`` be the noise's Neyman-Pearson lower function (Cohen et
    al. 2019, Lemma 3; Chiang et al. 2020, Theorem 1) and ``||delta|| <= r``.
    Apply it from ``x + delta`` back to ``x`` (a shift of norm ``<= r``) on
    the sets ``A_k = {z : f(z) <= u_k}`` and their complements:

    * ``F_x(u_k) >= W(F_{x+delta}(u_k), r)``, so ``F_x(u_k) < W(p, r)``
      implies ``F_{x+delta}(u_k) < p``: ``lower = min{u_k : F_hi(u_k) >=
      W(p, r)}``;
    * ``1 - F_x(u_k) >= W(1 - F_{x+delta}(u_k), r)``, so ``F_x(u_k) > 1 -
      W(1 - p, r)`` implies ``F_{x+delta}(u_k) >= p``: ``upper = min{u_k :
      F_lo(u_k) > 1 - W(1 - p, r)}``;

    ``F_lo <= F_x <= F_hi`` the outward-rounded CDF bounds. The levels are
    Chiang et al.'s ``p_low``, ``p_up`` (the Monte Carlo path's), rounded
    outward by ``_W_REL``; ``W`` is evaluated at ``p`` only (at ``F`` near 1
    it is ill-conditioned). The output at ``x + delta`` takes leaf values
    only, so ``q(x + delta)`` lies in ``[lower, upper]``; at ``u_K`` ``F = 1``
    everywhere, so both bounds lie in the tree's range, never infinite.
    """

    kind = "exact-tree"

    def __init__(self, noise, n_features, leaves, values):
        self.noise = noise
        self.n_features = n_features
        self.leaves = leaves
        self.values = values
        self.noised = noise.feature_indices(n_features)
        self.order = np.argsort(values, kind="stable")
        self.levels, self.group_starts = np.unique(values[self.order], return_index=True)

    def clean_predict(self, X):
        """The tree's own prediction at clean inputs, routed through the leaf boxes."""
        X = np.asarray(X, dtype=np.float64)
        lv, table = self.leaves, self.leaves.table
        x = X[:, lv.feature]
        inside = (~_goes_left(x, table.bound[lv.lo], table.closed[lv.lo])
                  & _goes_left(x, table.bound[lv.hi], table.closed[lv.hi]))
        inside = np.where(np.isnan(x), lv.nan_ok[None, :], inside)
        member = np.minimum.reduceat(inside[:, lv.use].astype(np.uint8), lv.starts, axis=1)
        return self.values[np.argmax(member, axis=1)]

    def cdf_bounds(self, X):
        """``(F_lo, F_hi)`` of shape (n_inputs, n_levels): bounds on ``F_x`` at :attr:`levels`.

        Each is the better of the direct sum ``sum_{j <= k}`` and ``1 -`` the
        other side's tail ``sum_{j > k}`` (the leaves partition the space),
        widened by the rounding bound of a sum of ``n_leaves`` non-negative
        terms (Higham, eq. 3.5); the last column is exactly 1.
        """
        X = np.asarray(X, dtype=np.float64)
        n, n_levels = X.shape[0], self.levels.shape[0]
        F_lo, F_hi = np.zeros((n, n_levels)), np.zeros((n, n_levels))
        width = 3 * self.leaves.use.shape[0] + 4 * self.leaves.table.bound.shape[0]
        step = max(1, _BLOCK // max(1, width))
        rel = (self.leaves.n_leaves + 4) * _EPS
        for start in range(0, n, step):
            rows = slice(start, start + step)
            marg = _Marginals(self.noise, self.leaves.table, X[rows], self.noised)
            p_lo, p_hi = self.leaves.probabilities(marg)  # (n_leaves, n_rows)
            g_lo = np.add.reduceat(p_lo[self.order], self.group_starts, axis=0)
            g_hi = np.add.reduceat(p_hi[self.order], self.group_starts, axis=0)
            head_lo, head_hi = np.cumsum(g_lo, axis=0), np.cumsum(g_hi, axis=0)
            zero = np.zeros((1, g_lo.shape[1]))
            tail_lo = np.concatenate([np.cumsum(g_lo[::-1], axis=0)[::-1][1:], zero])
            tail_hi = np.concatenate([np.cumsum(g_hi[::-1], axis=0)[::-1][1:], zero])
            lo = np.maximum(head_lo * (1 - rel),
                            np.nextafter(1.0 - (tail_hi * (1 + rel) + _TINY), -np.inf))
            hi = np.minimum(head_hi * (1 + rel) + _TINY,
                            np.nextafter(1.0 - tail_lo * (1 - rel), np.inf))
            F_lo[rows], F_hi[rows] = lo.T, hi.T
        F_lo, F_hi = np.clip(F_lo, 0.0, 1.0), np.clip(F_hi, 0.0, 1.0)
        F_lo[:, -1] = F_hi[:, -1] = 1.0
        return F_lo, F_hi

    def _first(self, reach):
        """The first level where ``reach`` holds (the last level always does)."""
        reach[:, -1] = True
        return self.levels[np.argmax(reach, axis=1)]

    def _predict(self, F_hi, p):
        # Where F_x is within its rounding of p (p at a CDF step) the smaller candidate.
        return self._first(F_hi >= p)

    def _levels(self, p, radius):
        """``(p_low, p_up)`` rounded outward: ``W(p, r)`` down, ``1 - W(1 - p, r)`` up."""
        try:
            low = np.asarray(self.noise.worst_case_probability(p, radius), dtype=np.float64)
            rest = np.asarray(self.noise.worst_case_probability(1.0 - p, radius),
                              dtype=np.float64)
        except NotImplementedError as exc:
            raise ValueError(str(exc)) from None
        return low * (1.0 - _W_REL), 1.0 - rest * (1.0 - _W_REL)

    def _bounds(self, F_lo, F_hi, p, radius):
        p_low, p_up = self._levels(p, radius)
        with np.errstate(invalid="ignore"):
            lower = self._first(F_hi >= p_low)
            upper = self._first(F_lo > p_up)
        return lower, upper

    def percentile(self, X, p):
        """The exact smoothed ``p``-th percentile."""
        _, F_hi = self.cdf_bounds(X)
        return self._predict(F_hi, p)

    def certify(self, X, p, radius):
        """``(q, lower, upper)``: the percentile and its certified bounds at ``radius``."""
        F_lo, F_hi = self.cdf_bounds(X)
        lower, upper = self._bounds(F_lo, F_hi, p, radius)
        return self._predict(F_hi, p), lower, upper

    def certified_radius(self, X, p, tolerance):
        """Largest radius (bisection, 60 steps) with both bounds within ``tolerance`` of ``q``.

        Every radius returned is one at which :meth:`certify`'s bounds were
        checked to lie within ``tolerance``; ``inf`` where the tree's whole
        range does; 0.0 where not even radius 0 does.
        """
        F_lo, F_hi = self.cdf_bounds(X)
        pred = self._predict(F_hi, p)
        m = pred.shape[0]

        def ok(r):
            lower, upper = self._bounds(F_lo, F_hi, p, r[:, None])
            return (lower >= pred - tolerance) & (upper <= pred + tolerance)

        everywhere = (self.levels[0] >= pred - tolerance) & (self.levels[-1] <= pred + tolerance)
        good = ok(np.zeros(m)) & ~everywhere
        lo, hi = np.zeros(m), np.ones(m)
        for _ in range(200):  # bracket: hi doubles while the bounds stay within tolerance
            grow = good & ok(hi)
            if not grow.any():
                break
            lo = np.where(grow, hi, lo)
            hi = np.where(grow, hi * 2.0, hi)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            inside = ok(mid)
            lo = np.where(inside, mid, lo)
            hi = np.where(inside, hi, mid)
        return np.where(everywhere, np.inf, np.where(good, lo, 0.0))
