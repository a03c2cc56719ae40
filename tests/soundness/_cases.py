"""The soundness cases: (noise, base model with a known exact radius) pairs, and their runner.

Extending the suite to a new noise family or certify path means adding one
:class:`Case` to :data:`CERTIFY_CASES` (and, for a new path, one entry to
:data:`PATHS`): a factory for the noise, a factory for a base model whose
smoothed classifier is known exactly, and the exact radius of that smoothed
classifier in the noise's norm. Every test and ``benchmarks/soundness_report.py``
iterate over these tables.
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from sksmooth import (
    BernoulliMaskNoise,
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    SubspaceNoise,
    UniformNoise,
)

from .._models import HiddenLinearRule
from .._soundness import FALSE_ALARM, allowed_overclaims  # noqa: F401 (re-exported)
from ..test_noise_subspace import MajorityOfKept, _exact_flip_distance, _exact_prob_one

# FALSE_ALARM and the over-claim allowance come from the one harness, tests/_soundness.py.
allowed = allowed_overclaims


@dataclass
class Case:
    """One soundness case.

    Attributes
    ----------
    name : str
    noise : callable
        ``noise() -> noise object``.
    model : callable
        ``model(rng) -> (base_estimator, X)``: a base model whose smoothed
        classifier is known exactly, and the inputs to certify.
    exact : callable
        ``exact(base, noise, X) -> (label, radius)``: the smoothed classifier's
        label at each input and the exact radius of its region in ``noise.norm``
        (the largest radius any sound certificate may claim).
    """

    name: str
    noise: Callable
    model: Callable
    exact: Callable
    params: dict = field(default_factory=dict)
    #: Power floors asserted by the tests: least fraction certified, and least mean
    #: certified / exact radius at alpha = 0.05 and 0.001 (Monte Carlo paths).
    min_certified: float = 0.5
    min_ratio: tuple = (0.5, 0.4)
    #: A hidden linear rule under additive symmetric noise (exact, torch and soft paths apply).
    linear: bool = True


def _linear_model(d, n_used, b, spread):
    """A hidden linear rule reading the first ``n_used`` of ``d`` features (the rest ignored)."""

    def make(rng):
        w = np.zeros(d)
        w[:n_used] = rng.normal(size=n_used)
        X = rng.normal(size=(400, d)) * spread
        return HiddenLinearRule(w=w, b=b), X

    return make


def _noised(noise, d):
    """Indices of the coordinates the noise perturbs (``features``, all when None)."""
    return np.arange(d) if noise.features is None else np.asarray(noise.features)


def _dual(noise, w):
    """The dual norm of ``w`` on the noised coordinates, computed here from the parameters.

    Hoelder: l2 -> ||w_S||_2, l1 -> ||w_S||_inf, Mahalanobis ||Sigma^(-1/2) delta||_2 ->
    ||Sigma^(1/2) w_S||_2 = sqrt(w_S Sigma w_S) (Sigma = diag(sigma^2) for a sigma vector).
    Perturbations outside the noised coordinates are not covered, so only w_S enters.
    """
    w_s = np.asarray(w, dtype=np.float64)[_noised(noise, len(w))]
    if isinstance(noise, CorrelatedGaussianNoise):
        return float(np.sqrt(w_s @ np.asarray(noise.cov, dtype=np.float64) @ w_s))
    if isinstance(noise, GaussianNoise):
        sigma = np.asarray(noise.sigma, dtype=np.float64)
        return float(np.linalg.norm(w_s if sigma.ndim == 0 else sigma * w_s))
    if isinstance(noise, (LaplaceNoise, UniformNoise)):
        return float(np.max(np.abs(w_s)))
    raise TypeError(f"no exact linear radius for {type(noise).__name__}")


def _exact_linear(base, noise, X):
    # Symmetric noise leaves a linear rule unchanged (g = f), and g's exact radius is the
    # geometric margin |w.x + b| / ||w||_* in the dual norm (DESIGN.md section 6).
    return base.predict(X), np.abs(base.score_(X)) / _dual(noise, base.w)


def _majority_model(d, s):
    """A base reading only the first ``s`` of ``d`` features (majority of kept signs in S)."""

    def make(rng):
        X = rng.normal(size=(400, d)) + rng.choice([-0.8, 0.8], size=(400, 1))
        return MajorityOfKept(S=tuple(range(s))), X

    return make


def _exact_l0(base, noise, X):
    """g's label by enumeration and its exact l0 radius: (fewest changes that flip g) - 1.

    g depends on x only through a, the count of positive features of S; P[f = 1 | a]
    is a hypergeometric (k-of-d) or binomial (Bernoulli) sum, and changing rho
    features moves a anywhere within rho (tests/test_noise_subspace.py).
    """
    d, s = X.shape[1], len(base.S)
    if isinstance(noise, SubspaceNoise):
        prob = [_exact_prob_one(a, s, d, "subspace", k=noise.n_keep) for a in range(s + 1)]
    else:
        prob = [_exact_prob_one(a, s, d, "bernoulli", p=noise.keep_prob) for a in range(s + 1)]
    a = (X[:, :s] > 0).sum(axis=1)
    label = np.array([prob[v] > 0.5 for v in a]).astype(int)
    flip = np.array([_exact_flip_distance(v, s, prob) for v in a], dtype=np.float64)
    return label, flip - 1.0


#: A covariance with strong correlations and unequal variances (positive definite).
_COV4 = np.array([[0.50, 0.30, 0.00, -0.10],
                  [0.30, 0.40, 0.10, 0.00],
                  [0.00, 0.10, 0.20, 0.05],
                  [-0.10, 0.00, 0.05, 0.30]])

#: The certify cases: every noise family (l2, l1 with q = inf, Mahalanobis with
#: ||Sigma^(1/2) w_S||_2, noise on a feature subset S, l0 masks on a model reading a known
#: feature set). A new family adds one entry here.
CERTIFY_CASES = [
    Case("gaussian-l2 / linear rule, 5 features", lambda: GaussianNoise(0.5),
         _linear_model(5, 5, 0.3, 0.6), _exact_linear),
    Case("gaussian-l2 / linear rule reading 3 of 30 features", lambda: GaussianNoise(0.25),
         _linear_model(30, 3, -0.2, 0.4), _exact_linear),
    Case("gaussian-l2 / linear rule, sigma=2, wide inputs", lambda: GaussianNoise(2.0),
         _linear_model(8, 8, 1.0, 3.0), _exact_linear),
    Case("gaussian-l2 on features 0-2 / linear rule, 6 features",
         lambda: GaussianNoise(0.5, features=[0, 1, 2]), _linear_model(6, 6, 0.3, 0.6),
         _exact_linear),
    Case("laplace-l1 / linear rule, 5 features", lambda: LaplaceNoise(0.5),
         _linear_model(5, 5, 0.3, 0.6), _exact_linear, min_ratio=(0.4, 0.35)),
    Case("laplace-l1 on features 1-3 / linear rule, 5 features",
         lambda: LaplaceNoise(0.5, features=[1, 2, 3]), _linear_model(5, 5, 0.3, 0.6),
         _exact_linear, min_ratio=(0.4, 0.35)),
    Case("uniform-l1 / linear rule, 5 features", lambda: UniformNoise(1.0),
         _linear_model(5, 5, 0.3, 0.6), _exact_linear),
    Case("gaussian-mahalanobis / per-feature sigma, 5 features",
         lambda: GaussianNoise(sigma=np.array([0.2, 0.5, 1.0, 0.3, 0.7])),
         _linear_model(5, 5, 0.3, 0.6), _exact_linear),
    Case("correlated-gaussian / full covariance, 4 features",
         lambda: CorrelatedGaussianNoise(_COV4), _linear_model(4, 4, -0.2, 0.6), _exact_linear),
    Case("subspace-l0 (keep 4 of 20) / majority of 15 features",
         lambda: SubspaceNoise(4, fill_value=np.nan), _majority_model(20, 15), _exact_l0,
         min_ratio=(0.3, 0.25), linear=False),
    Case("bernoulli-l0 (keep 0.1) / majority of 15 of 20 features",
         lambda: BernoulliMaskNoise(0.1, fill_value=np.nan), _majority_model(20, 15), _exact_l0,
         min_ratio=(0.3, 0.25), linear=False),
]


def _certify_mc(clf, X):
    return clf.certify(X)


def _certify_sequential(clf, X):
    """``predict_certified(X, radius=r)`` as a certificate: radius ``r`` where certified, else 0.

    ``r`` is the radius the noise grants at pA = 0.8 (scale-aware for every family),
    so some inputs of each case lie inside it and some outside.
    """
    r = float(clf.noise_.radius(0.8, 0.2))
    y_pred = clf.predict_certified(X, radius=r)
    certified = np.fromiter((p != clf.abstain_label_ for p in y_pred.tolist()), bool,
                            count=len(y_pred))
    return y_pred, np.where(certified, r, 0.0)


@dataclass
class Path:
    """One certify path.

    Attributes
    ----------
    params : dict
        Extra :class:`~sksmooth.SmoothedClassifier` parameters.
    certify : callable
        ``certify(clf, X) -> (y_pred, radius)``.
    applies : callable
        ``applies(case) -> bool``: the cases the path can certify.
    base : callable or None
        ``base(rule) -> estimator`` given to the classifier in place of the case's
        base model (None: the case's model itself).
    truth : callable or None
        ``truth(clf, rule) -> model`` whose exact radius is the ground truth after
        fit (None: the case's model).
    closed_form : bool
        No sampling: zero over-claims and the radius equal to the exact one (up to
        rounding) are required, stricter than a binomial bound.
    fixed_radius : bool
        The path answers "certified at one radius r?" (sequential): its radius is
        r or 0, so the power check is the certified fraction only.
    rtol : float
        Closed forms: the relative gap allowed between the radius and the exact one.
    """

    params: dict
    certify: Callable
    applies: Callable = lambda case: True
    base: Callable = None
    truth: Callable = None
    closed_form: bool = False
    fixed_radius: bool = False
    #: Closed forms: largest relative gap allowed between the radius and the exact one.
    rtol: float = 1e-9


def _scaled_logistic(rule):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=100.0))


def _pipeline_rule(clf, rule):
    """The fitted pipeline's affine rule in input units, computed here from its parts."""
    scaler, lr = clf.estimator_[0], clf.estimator_[-1]
    assert clf._exact is not None, clf._exact_reason  # method="auto" took the closed form
    w = lr.coef_[0] / scaler.scale_
    return HiddenLinearRule(w=w, b=float(lr.intercept_[0] - w @ scaler.mean_))


def _torch_available():
    try:
        import skorch  # noqa: F401
        import torch  # noqa: F401
    except ImportError:  # pragma: no cover - torch is an optional extra
        return False
    return True


def _fixed_linear_net(rule):
    """A skorch net whose module is one fixed float32 linear layer: logits (0, w.x + b)."""
    import torch
    from skorch import NeuralNetClassifier
    from sklearn.frozen import FrozenEstimator

    w = np.asarray(rule.w, dtype=np.float64)
    layer = torch.nn.Linear(w.shape[0], 2)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(np.vstack([np.zeros_like(w), w]), dtype=torch.float32))
        layer.bias.copy_(torch.as_tensor([0.0, rule.b], dtype=torch.float32))
    net = NeuralNetClassifier(layer, criterion=torch.nn.CrossEntropyLoss, verbose=0)
    return FrozenEstimator(net.initialize())


def _float32_rule(clf, rule):
    """The rule the float32 layer computes (its weights rounded to float32)."""
    return HiddenLinearRule(w=np.float64(np.float32(rule.w)), b=float(np.float32(rule.b)))


def _probit(rule):
    """Scores P[1] = Phi((w.x + b) / s), s = 0.05 ||w||: its soft-smoothed class is the rule's.

    Under N(0, Sigma), E Phi((w.(x + e) + b) / s) = Phi((w.x + b) / sqrt(s^2 + w Sigma w)),
    above 1/2 exactly where w.x + b > 0: the soft-smoothed classifier is the rule, whose
    exact radius is the geometric margin (tests/test_soft.py, ProbitRule).
    """
    from ..test_soft import ProbitRule

    return ProbitRule(w=rule.w, b=rule.b, s=0.05 * float(np.linalg.norm(rule.w)))


def _stump(rule):
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=1)


def _stump_rule(clf, rule):
    """The fitted stump as the halfspace it is: its split feature against sklearn's boundary.

    The stump predicts ``left`` where ``float32(x_f) <= t``, i.e. ``x_f < b`` for the
    float32 rounding boundary ``b`` of ``t`` (checked against numpy's float32 cast in
    tests/test_trees.py); under symmetric noise g = f and the exact radius is the margin.
    """
    from sksmooth._trees import split_boundary

    assert clf.certification_ == "exact-tree", clf._exact_reason  # auto took the closed form
    tree = clf.estimator_.tree_
    b = float(split_boundary(tree.threshold[:1])[0][0])
    left = clf.estimator_.classes_[np.argmax(tree.value[tree.children_left[0], 0])]
    sign = 1.0 if left == 0 else -1.0
    w = np.zeros(clf.n_features_in_)
    w[tree.feature[0]] = sign
    return HiddenLinearRule(w=w, b=-sign * b)


def _product_linear(case):
    """Linear cases under a product noise whose pairwise radius reaches the margin.

    Uniform noise is left out: its radius ``scale (pA - pB)`` stops at ``scale``, below
    the margin of far inputs (tests/test_trees.py checks that cap as its oracle).
    """
    return case.linear and isinstance(case.noise(), (GaussianNoise, LaplaceNoise))


def _gaussian_linear(case):
    return case.linear and isinstance(case.noise(), (GaussianNoise, CorrelatedGaussianNoise))


#: The certify paths.
PATHS = {
    "monte carlo CERTIFY": Path({"method": "monte_carlo"}, _certify_mc),
    "sequential predict_certified(radius=r)": Path({"method": "monte_carlo"},
                                                   _certify_sequential, fixed_radius=True),
    "exact linear (auto, scaled logistic pipeline)": Path(
        {}, _certify_mc, applies=lambda case: case.linear, base=_scaled_logistic,
        truth=_pipeline_rule, closed_form=True),
    "torch (skorch, float32 linear layer)": Path(
        {}, _certify_mc, applies=lambda case: case.linear and _torch_available(),
        base=_fixed_linear_net, truth=_float32_rule),
    # The radius comes from pA, pB bounded to ~1e-12 (the CDF error allowance): near the
    # split, where pA - pB is small, that moves it by up to ~5e-9 relative (measured).
    "exact tree (auto, decision stump)": Path(
        {}, _certify_mc, applies=_product_linear, base=_stump, truth=_stump_rule,
        closed_form=True, rtol=1e-7),
    "soft vote (probit rule)": Path({"vote": "soft"}, _certify_mc, applies=_gaussian_linear,
                                    base=_probit),
}


def path_cases(path):
    """The cases a path applies to."""
    return [case for case in CERTIFY_CASES if PATHS[path].applies(case)]


def certify_runs():
    """``(path, case, alpha)`` triples run by the tests and the report.

    Closed-form paths do not depend on ``alpha`` and run once.
    """
    return [(path, case, alpha) for path in PATHS for case in path_cases(path)
            for alpha in ((0.001,) if PATHS[path].closed_form else (0.05, 0.001))]


def run_certify_case(case, *, path="monte carlo CERTIFY", alpha=0.05, seeds=(0, 1, 2),
                     n_samples=1000, n_select=50, data_seed=0):
    """Certify the case's inputs under several seeds; count over-claims against the exact radius.

    Returns
    -------
    result : dict
        ``points`` (inputs x seeds certified), ``certified`` (non-abstained),
        ``overclaims`` (non-abstained with the wrong label or a radius above the
        exact one), ``allowed`` (the binomial bound), and the power:
        ``frac_certified`` and ``mean_ratio`` (mean certified radius / exact
        radius over the certified inputs with a positive finite exact radius), and
        ``max_rel_err`` (largest ``|radius - exact| / exact`` over certified inputs).
    """
    spec = PATHS[path]
    rule, X = case.model(np.random.default_rng(data_seed))
    noise = case.noise()
    label, _ = case.exact(rule, noise, X)
    estimator = rule if spec.base is None else spec.base(rule)
    points = certified = overclaims = 0
    ratios, rel_err = [], 0.0
    for seed in seeds:
        clf = SmoothedClassifier(estimator, noise, n_samples=n_samples, n_select=n_select,
                                 alpha=alpha, noise_augment=0, random_state=seed, **spec.params)
        clf.fit(X, label)
        truth = rule if spec.truth is None else spec.truth(clf, rule)
        label_true, exact = case.exact(truth, noise, X)
        y_pred, radius = spec.certify(clf, X)
        ok = y_pred != clf.abstain_label_
        bad = ok & ((y_pred != label_true) | (radius > exact))
        points += X.shape[0]
        certified += int(ok.sum())
        overclaims += int(bad.sum())
        # Power: certified / exact radius, where the exact radius is positive and finite.
        some = ok & (exact > 0) & np.isfinite(exact)
        ratios.append(radius[some] / exact[some])
        if spec.closed_form and ok.any():
            rel_err = max(rel_err, float(np.max(np.abs(radius[ok] - exact[ok]) / exact[ok])))
    ratios = np.concatenate(ratios)
    return {
        "case": case.name, "path": path, "alpha": alpha, "points": points,
        "certified": certified, "overclaims": overclaims, "allowed": allowed(points, alpha),
        "frac_certified": certified / points,
        "mean_ratio": float(np.mean(ratios)) if ratios.size else 0.0,
        "max_rel_err": rel_err,
    }


def run_predict_case(case, *, alpha=0.05, seeds=(0, 1, 2), n_samples=500, data_seed=1):
    """PREDICT (``predict_certified``): count answers that differ from the exact smoothed label.

    The inputs are shrunk towards the decision boundary so that many are close calls.
    """
    base, X = case.model(np.random.default_rng(data_seed))
    X = X * 0.3
    noise = case.noise()
    label, _ = case.exact(base, noise, X)
    points = answered = overclaims = 0
    for seed in seeds:
        clf = SmoothedClassifier(base, noise, n_samples=n_samples, alpha=alpha,
                                 noise_augment=0, random_state=seed).fit(X, label)
        y_pred = clf.predict_certified(X)
        ok = y_pred != clf.abstain_label_
        points += X.shape[0]
        answered += int(ok.sum())
        overclaims += int((ok & (y_pred != label)).sum())
    return {"case": case.name, "path": "PREDICT", "alpha": alpha, "points": points,
            "certified": answered, "overclaims": overclaims,
            "allowed": allowed(points, alpha), "frac_certified": answered / points}


def _tree(rng):
    from sklearn.datasets import make_classification
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_classification(n_samples=400, n_features=4, n_informative=3, n_redundant=0,
                               random_state=int(rng.integers(1000)))
    return DecisionTreeClassifier(max_depth=5), X / X.std(axis=0), y


def _mlp(rng):
    from sklearn.datasets import make_moons
    from sklearn.neural_network import MLPClassifier

    X, y = make_moons(n_samples=300, noise=0.25, random_state=int(rng.integers(1000)))
    return MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0), X, y


#: Nonlinear bases (exact radius unknown) for the attack: name -> (factory, noise factory).
NONLINEAR_CASES = {
    "gaussian-l2 / decision tree, 4 features": (_tree, lambda: GaussianNoise(0.5)),
    "gaussian-l2 / MLP on two moons": (_mlp, lambda: GaussianNoise(0.25)),
}


def run_linear_attack_case(case, *, n_points=12, alpha=1e-5, n_samples=2000, seed=0,
                           n_draws=2000):
    """Attack certified inputs of a linear case inside their radius and just outside the exact one.

    Returns counts: ``attacks`` (attacks run), ``inside_found`` (successes within the
    certified radius: g is known, so each is an over-claim or a false confirmation),
    ``outside_found`` (successes within exact radius + 0.1 * scale, showing the
    attack is real), ``candidates`` (points scored by Monte Carlo).
    """
    from ._attack import noise_scale, smoothed_attack

    base, X = case.model(np.random.default_rng(seed))
    noise = case.noise()
    label, exact = case.exact(base, noise, X)
    clf = SmoothedClassifier(base, noise, n_samples=n_samples, alpha=alpha, noise_augment=0,
                             random_state=seed).fit(X, label)
    X, exact = X[:n_points], exact[:n_points]
    y_pred, radius = clf.certify(X)
    scale = noise_scale(clf.noise_)
    out = {"case": case.name, "attacks": 0, "inside_found": 0, "outside_found": 0,
           "outside_tried": 0, "candidates": 0, "confirmations": 0}
    for i in np.flatnonzero(y_pred != clf.abstain_label_):
        if noise.norm == "l0":
            # Integer radii: the certificate covers radius[i] changes; exact + 1 flips g.
            where_dist = (("inside", radius[i]), ("outside", exact[i] + 1))
        else:
            where_dist = (("inside", radius[i] * (1 - 1e-9)), ("outside", exact[i] + 0.1 * scale))
        for where, dist in where_dist:
            res = smoothed_attack(clf, X[i], y_pred[i], dist, seed=int(i), n_draws=n_draws)
            out["attacks"] += 1
            out["candidates"] += res.n_candidates
            out["confirmations"] += res.n_confirm
            out[f"{where}_found"] += int(res.found)
            out["outside_tried"] += where == "outside"
    return out


def run_nonlinear_attack_case(name, *, n_points=12, alpha=1e-3, n_samples=2000, seed=0,
                              reach=3.0, n_draws=1000):
    """Attack certified test inputs of a nonlinear base inside their certified radius.

    Also attacks within ``reach`` times the radius, to report how close to the
    certified radius the smoothed prediction can actually be changed.
    """
    from ._attack import smoothed_attack

    make, make_noise = NONLINEAR_CASES[name]
    base, X, y = make(np.random.default_rng(seed))
    clf = SmoothedClassifier(base, make_noise(), n_samples=n_samples, alpha=alpha,
                             random_state=seed).fit(X[:-n_points], y[:-n_points])
    X_test = X[-n_points:]
    y_pred, radius = clf.certify(X_test)
    out = {"case": name, "alpha": alpha, "attacks": 0, "certified": 0, "inside_found": 0,
           "candidates": 0, "confirmations": 0, "reach_found": 0, "ratios": []}
    for i in np.flatnonzero(y_pred != clf.abstain_label_):
        out["certified"] += 1
        inside = smoothed_attack(clf, X_test[i], y_pred[i], radius[i] * (1 - 1e-9), seed=int(i),
                                 n_draws=n_draws)
        far = smoothed_attack(clf, X_test[i], y_pred[i], reach * radius[i], seed=int(i) + 1000,
                              n_draws=n_draws)
        for res in (inside, far):
            out["attacks"] += 1
            out["candidates"] += res.n_candidates
            out["confirmations"] += res.n_confirm
        out["inside_found"] += int(inside.found)
        if far.found:
            out["reach_found"] += 1
            out["ratios"].append(far.dist / radius[i])
    return out
