"""Torch-path certificates at the edges: inputs float32 cannot hold, scores off the simplex.

A float32 module sees ``round(z)``, the float32 nearest its float64 input ``z``.
The torch path must build ``round(x + eps)`` (noise added to ``x`` in float64,
then cast), exactly what the numpy path hands the net, so that the certificate
is about the smoothed classifier of ``h(z) = module(round(z))`` at ``x`` itself.
Casting ``x`` first certifies ``round(x)``: near ``1e6`` (float32 step
``2**-4``) two inputs ``0.002`` apart got contradicting certificates of radius
``3 sigma`` (issue 11, item 1).

The model here is exact: one linear layer with logits ``(0, z_0 - 1e6)``. In
float32 ``round(z_0) - 1e6`` is exact (Sterbenz), so ``h`` votes 1 iff
``round(z_0) > 1e6`` iff ``z_0 > t = 1e6 + 2**-5`` (the midpoint, which rounds
to even, i.e. to ``1e6``): ``h`` is the halfspace ``z_0 > t``, its smoothed
classifier under symmetric noise is itself, and the exact radius is the margin
``|x_0 - t| / ||w_S||_*`` (``tests/soundness/_cases.py``).
"""

import numpy as np
import pytest
from scipy import integrate, optimize, stats

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from skorch import NeuralNetClassifier  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402

from sksmooth import (  # noqa: E402
    BernoulliMaskNoise,
    CorrelatedGaussianNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    SubspaceNoise,
    UniformNoise,
)
from sksmooth import _random, _torch  # noqa: E402

from .._soundness import allowed_overclaims  # noqa: E402
from ._cases import _dual  # noqa: E402

pytestmark = pytest.mark.soundness

#: Where the float32 model's vote flips: the midpoint between 1e6 and 1e6 + 2**-4.
T = 1e6 + 2.0**-5

_COV = 1e-4 * np.array([[1.0, 0.5], [0.5, 1.0]])
ADDITIVE = [
    GaussianNoise(0.01),
    GaussianNoise([0.01, 0.02]),
    GaussianNoise(0.01, features=[0]),
    LaplaceNoise(0.01),
    UniformNoise(0.01),
    CorrelatedGaussianNoise(_COV),
]


def _threshold_net():
    """Logits ``(0, z_0 - 1e6)`` in float32: class 1 iff ``round(z_0) > 1e6``."""
    layer = torch.nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
        layer.bias.copy_(torch.tensor([0.0, -1e6]))
    return NeuralNetClassifier(layer, criterion=torch.nn.CrossEntropyLoss, verbose=0).initialize()


def _smoothed(noise, **params):
    clf = SmoothedClassifier(FrozenEstimator(_threshold_net()), noise, n_select=50,
                             random_state=0, **params)  # fmt: skip
    return clf.fit(np.array([[0.0, 0.0], [1.0, 0.0]]), [0, 1])


def _distance(noise, delta):
    """``||delta||`` in the noise's norm (l2, l1, or Mahalanobis ``sqrt(d Sigma^-1 d)``)."""
    delta = np.asarray(delta, dtype=np.float64)
    if isinstance(noise, CorrelatedGaussianNoise):
        return float(np.sqrt(delta @ np.linalg.solve(np.asarray(noise.cov), delta)))
    if isinstance(noise, GaussianNoise):
        sigma = np.asarray(noise.sigma, dtype=np.float64)
        return float(np.linalg.norm(delta if sigma.ndim == 0 else delta / sigma))
    return float(np.abs(delta).sum())


def test_the_model_flips_at_the_float32_midpoint():
    # The oracle's premise, checked on the module itself: votes flip between t and its successor.
    assert np.float32(T) == np.float32(1e6)
    assert np.float32(np.nextafter(T, np.inf)) == np.float32(1e6 + 2.0**-4)
    net = _threshold_net()
    z = np.array([[T, 0.0], [np.nextafter(T, np.inf), 0.0]], dtype=np.float32)
    assert list(net.predict(z)) == [0, 1]


@pytest.mark.parametrize("noise", ADDITIVE, ids=repr)
def test_two_inputs_near_1e6_get_no_contradicting_certificates(noise):
    """The issue's case: x = 1e6 + 0.03 and x + 0.002, sigma = 0.01 (scale 0.01).

    Before the fix both were certified, with different classes and radii near
    3 sigma (the float32 rows were all 1e6, resp. all 1e6 + 2**-4). Certificates
    of different classes must have disjoint balls: r1 + r2 <= ||x2 - x1||.
    Each certificate is wrong w.p. <= alpha = 1e-3 (fixed seeds: deterministic).
    """
    clf = _smoothed(noise, n_samples=2000, alpha=1e-3)
    X = np.array([[1e6 + 0.03, 0.0], [1e6 + 0.032, 0.0]])
    y_pred, radius = clf.certify(X)
    gap = _distance(clf.noise_, X[1] - X[0])
    certified = y_pred != clf.abstain_label
    if certified.all() and y_pred[0] != y_pred[1]:
        assert radius.sum() <= gap, (y_pred, radius, gap)


@pytest.mark.parametrize("noise", ADDITIVE, ids=repr)
def test_certificates_near_1e6_never_exceed_the_float32_models_exact_radius(noise):
    """26 inputs from 1e6 to 1e6 + 0.0625: wrong class or radius > exact margin <= allowed.

    Over-claims are stochastically below Binomial(26, 1e-3); the check allows
    its (1 - 1e-4) quantile (false-alarm rate 1e-4; fixed seeds). Before the fix
    most inputs were certified for the class of round(x) at about 3 sigma.
    """
    alpha, m = 1e-3, 26
    clf = _smoothed(noise, n_samples=2000, alpha=alpha)
    X = np.column_stack([1e6 + 0.0025 * np.arange(m), np.zeros(m)])
    y_pred, radius = clf.certify(X)
    truth = (X[:, 0] > T).astype(int)
    exact = np.abs(X[:, 0] - T) / _dual(clf.noise_, np.array([1.0, 0.0]))
    certified = y_pred != clf.abstain_label
    over = certified & ((y_pred != truth) | (radius > exact))
    assert over.sum() <= allowed_overclaims(m, alpha), (y_pred, radius, exact)
    assert certified.mean() > 0.3, (y_pred, radius)  # power: far from t it certifies


FAMILIES = ADDITIVE + [SubspaceNoise(1, fill_value=0.1), BernoulliMaskNoise(0.5, fill_value=0.1)]


@pytest.mark.parametrize("noise", FAMILIES, ids=repr)
def test_module_sees_the_float64_noisy_row_rounded_once(noise):
    """Rows reaching the module are exactly ``float32(perturb(x, draws))`` computed in float64.

    The draws are remade from the input's own torch stream; additive rows are
    ``float32(x + eps)``, masks ``float32(x)`` where kept and ``float32(fill)``
    elsewhere (what the numpy path gives the net). Deterministic.
    """
    x = np.array([[1e6 + 0.03, -3.3e5 + 0.01]])
    net = _threshold_net()
    seen = []
    net.module_.register_forward_hook(lambda mod, inp, out: seen.append(inp[0].clone()))
    seeds = _random.row_seeds(_random.row_keys(x), 0, _random.ESTIMATE)
    noise.validate(2)
    _torch.count_votes(net, x, noise, 64, seeds, 2, batch_size=64)
    rows = torch.cat(seen).numpy()
    gen = torch.Generator().manual_seed(_torch.torch_seed(seeds[0]))
    draws = noise.sample_torch(64, 2, gen, torch.device("cpu"), torch.float32).numpy()
    expected = np.asarray(noise.perturb(x, draws), dtype=np.float64).astype(np.float32)
    assert rows.dtype == np.float32
    np.testing.assert_array_equal(rows, expected)
    if isinstance(noise, (SubspaceNoise, BernoulliMaskNoise)):
        assert set(np.unique(rows[:, 0])) <= {np.float32(x[0, 0]), np.float32(0.1)}


# ------------------------------------------------------------- item 2: soft votes
def _sigmoid_net(logit0, slope):
    """Per-class sigmoid scores: ``(sigmoid(logit0), sigmoid(slope * z))``."""
    layer = torch.nn.Linear(1, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.0], [slope]]))
        layer.bias.copy_(torch.tensor([logit0, 0.0]))
    return NeuralNetClassifier(layer, criterion=torch.nn.CrossEntropyLoss, verbose=0,
                               predict_nonlinearity=torch.sigmoid).initialize()  # fmt: skip


def test_sigmoid_scores_are_refused_where_they_gave_certificates_past_the_flip():
    """Scores ``(0.99, sigmoid(20 z))``, sigma = 1, at x = 4: the soft class flips at 2.3.

    Independent check (quadrature): the mean score of class 1 at x = 4 is
    ~0.99997, so even the exact pA gives sigma * Phi^-1(pA) ~ 4.0 > 4 - 2.3;
    certifying them as probabilities over-claims (it did: radius 2.08 > 1.7 at
    n = 10,000). The torch path must refuse them with an error naming the net
    and the fix. Deterministic.
    """
    logit0, slope, sigma, x = np.log(99.0), 20.0, 1.0, 4.0

    def mean_score1(c):
        f = lambda e: stats.norm.pdf(e) / (1 + np.exp(-slope * (c + sigma * e)))  # noqa: E731
        return integrate.quad(f, -12, 12, points=[-c / sigma], limit=200)[0]

    flip = optimize.brentq(lambda c: mean_score1(c) - 0.99, 0.0, 4.0)
    assert 2.0 < flip < 2.6 and mean_score1(x) > 0.9999
    assert sigma * stats.norm.ppf(mean_score1(x)) > x - flip  # the radius would over-claim

    clf = SmoothedClassifier(FrozenEstimator(_sigmoid_net(logit0, slope)), GaussianNoise(sigma),
                             vote="soft", n_samples=2000, random_state=0)  # fmt: skip
    clf.fit(np.array([[0.0], [1.0]]), [0, 1])
    with pytest.raises(ValueError, match=r"NeuralNetClassifier.*do not sum to 1.*softmax"):
        clf.certify(np.array([[x]]))


def test_scores_within_the_tolerance_are_renormalized_exactly():
    # float32 softmax rows (1,000 classes) and rows off by 5e-5 pass; the averaged rows
    # then sum to 1 in float64, so pB <= 1 - pA holds for the scores that are averaged.
    rng = np.random.default_rng(0)
    d, n_classes = 3, 1000
    layer = torch.nn.Linear(d, n_classes)
    net = NeuralNetClassifier(layer, criterion=torch.nn.CrossEntropyLoss, verbose=0).initialize()
    X = rng.normal(size=(3, d))
    seeds = _random.row_seeds(_random.row_keys(X), 0, _random.ESTIMATE)
    sums = _torch.count_votes(net, X, GaussianNoise(0.5), 100, seeds, n_classes, soft=True)
    np.testing.assert_allclose(sums.sum(axis=1), 100.0, rtol=1e-12)

    net.set_params(predict_nonlinearity=lambda out: torch.softmax(out, 1) * (1 + 5e-5))
    sums = _torch.count_votes(net, X, GaussianNoise(0.5), 100, seeds, n_classes, soft=True)
    np.testing.assert_allclose(sums.sum(axis=1), 100.0, rtol=1e-12)

    net.set_params(predict_nonlinearity=lambda out: torch.softmax(out, 1) * (1 + 2e-4))
    with pytest.raises(ValueError, match="do not sum to 1"):
        _torch.count_votes(net, X, GaussianNoise(0.5), 100, seeds, n_classes, soft=True)

