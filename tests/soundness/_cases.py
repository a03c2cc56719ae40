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
from scipy import stats

from sksmooth import GaussianNoise, SmoothedClassifier

from .._models import HiddenLinearRule

#: Probability that a statistical check of the suite fails on a correct
#: implementation, per check (the allowed count is the binomial (1 - FALSE_ALARM) quantile).
FALSE_ALARM = 1e-4


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


def _linear_model(d, n_used, b, spread):
    """A hidden linear rule reading the first ``n_used`` of ``d`` features (the rest ignored)."""

    def make(rng):
        w = np.zeros(d)
        w[:n_used] = rng.normal(size=n_used)
        X = rng.normal(size=(400, d)) * spread
        return HiddenLinearRule(w=w, b=b), X

    return make


def _exact_linear(base, noise, X):
    # Symmetric noise leaves a linear rule unchanged (g = f), and g's exact radius is the
    # geometric margin |w.x + b| / ||w||_q in the dual norm (DESIGN.md section 6).
    q = {"l2": 2, "l1": np.inf}[noise.norm]
    return base.predict(X), base.margin(X, q=q)


#: The certify cases. Issue 3 (Laplace -> l1 with q = inf, uniform -> l1, anisotropic
#: Gaussian -> Mahalanobis margin |w.x + b| / ||Sigma^(1/2) w||_2, ablation -> l0 on a model
#: reading few features) adds one entry each here.
CERTIFY_CASES = [
    Case("gaussian-l2 / linear rule, 5 features", lambda: GaussianNoise(0.5),
         _linear_model(5, 5, 0.3, 0.6), _exact_linear),
    Case("gaussian-l2 / linear rule reading 3 of 30 features", lambda: GaussianNoise(0.25),
         _linear_model(30, 3, -0.2, 0.4), _exact_linear),
    Case("gaussian-l2 / linear rule, sigma=2, wide inputs", lambda: GaussianNoise(2.0),
         _linear_model(8, 8, 1.0, 3.0), _exact_linear),
]


def _certify_mc(clf, X):
    return clf.certify(X)


#: The certify paths: name -> (estimator parameters, certify function). Issue 4 (exact
#: linear: method="exact" on a base with coef_), issue 7 (sequential: predict_certified
#: with radius=...) and issue 5 (torch) add one entry each.
PATHS = {
    "monte carlo CERTIFY": ({"method": "monte_carlo"}, _certify_mc),
}


def allowed(n_trials, alpha, false_alarm=FALSE_ALARM):
    """Largest over-claim count a sound method exceeds with probability <= ``false_alarm``.

    Over-claims are independent across inputs and seeds, each with probability
    ``<= alpha``, so their count is stochastically below Binomial(n_trials, alpha).
    """
    return int(stats.binom.isf(false_alarm, n_trials, alpha))


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
        radius over the certified inputs).
    """
    params, certify = PATHS[path]
    base, X = case.model(np.random.default_rng(data_seed))
    noise = case.noise()
    label, exact = case.exact(base, noise, X)
    points = certified = overclaims = 0
    ratios = []
    for seed in seeds:
        clf = SmoothedClassifier(base, noise, n_samples=n_samples, n_select=n_select,
                                 alpha=alpha, noise_augment=0, random_state=seed, **params)
        clf.fit(X, label)
        y_pred, radius = certify(clf, X)
        ok = y_pred != clf.abstain_label
        bad = ok & ((y_pred != label) | (radius > exact))
        points += X.shape[0]
        certified += int(ok.sum())
        overclaims += int(bad.sum())
        ratios.append(radius[ok] / exact[ok])
    ratios = np.concatenate(ratios)
    return {
        "case": case.name, "path": path, "alpha": alpha, "points": points,
        "certified": certified, "overclaims": overclaims, "allowed": allowed(points, alpha),
        "frac_certified": certified / points,
        "mean_ratio": float(np.mean(ratios)) if ratios.size else 0.0,
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
        ok = y_pred != clf.abstain_label
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
    from ._attack import smoothed_attack

    base, X = case.model(np.random.default_rng(seed))
    noise = case.noise()
    label, exact = case.exact(base, noise, X)
    clf = SmoothedClassifier(base, noise, n_samples=n_samples, alpha=alpha, noise_augment=0,
                             random_state=seed).fit(X, label)
    X, exact = X[:n_points], exact[:n_points]
    y_pred, radius = clf.certify(X)
    scale = float(getattr(noise, "sigma", getattr(noise, "scale", 1.0)))
    out = {"case": case.name, "attacks": 0, "inside_found": 0, "outside_found": 0,
           "outside_tried": 0, "candidates": 0, "confirmations": 0}
    for i in np.flatnonzero(y_pred != clf.abstain_label):
        for where, dist in (("inside", radius[i] * (1 - 1e-9)), ("outside", exact[i] + 0.1 * scale)):
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
    for i in np.flatnonzero(y_pred != clf.abstain_label):
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
