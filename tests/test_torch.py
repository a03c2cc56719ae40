"""The torch path (sksmooth/_torch.py): skorch nets counted on their device."""

import subprocess
import sys
import warnings
from statistics import NormalDist

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from scipy import stats  # noqa: E402
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier  # noqa: E402
from skorch.callbacks import Callback  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from torch import nn  # noqa: E402

from sksmooth import GaussianNoise, SmoothedClassifier, SmoothingWarning  # noqa: E402
from sksmooth import _engine, _montecarlo, _torch  # noqa: E402

from ._soundness import allowed_overclaims  # noqa: E402

LABELS = np.array(["ant", "bee", "cat"])
CENTERS = np.array([[2.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 2.0, 0]])


def blobs(n_per_class=40, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([c + 0.3 * rng.standard_normal((n_per_class, 4)) for c in CENTERS])
    y = np.repeat(LABELS, n_per_class)
    return X, y


class MLP(nn.Module):
    def __init__(self, n_in=4, n_hidden=16, n_out=3):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(),
                                    nn.Linear(n_hidden, n_out))

    def forward(self, X):
        return self.layers(X)


def mlp_net(n_out=3, **kwargs):
    params = dict(
        module=MLP,
        module__n_out=n_out,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=0.2,
        max_epochs=15,
        batch_size=32,
        train_split=None,
        verbose=0,
    )
    params.update(kwargs)
    return NeuralNetClassifier(**params)


def fixed_net(weight, bias):
    """An initialized skorch net whose module is one linear layer with the given weights."""
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
        layer.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
    return NeuralNetClassifier(layer, criterion=nn.CrossEntropyLoss, verbose=0).initialize()


@pytest.fixture(scope="module")
def fitted():
    X, y = blobs()
    clf = SmoothedClassifier(mlp_net(), GaussianNoise(0.3), n_samples=500, n_select=50,
                             random_state=0).fit(X, y)
    return clf, X, y


def test_import_sksmooth_does_not_import_torch():
    code = "import sys, sksmooth; print('torch' in sys.modules, 'skorch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_skorch_net_is_found_directly_and_through_frozen_estimator():
    net = mlp_net()
    assert _torch.skorch_net(net) is net
    assert _torch.skorch_net(FrozenEstimator(net)) is net
    assert _torch.skorch_net(FrozenEstimator(FrozenEstimator(net))) is net
    assert _torch.skorch_net(None) is None
    from sklearn.linear_model import LogisticRegression

    assert _torch.skorch_net(LogisticRegression()) is None


# ------------------------------------------------------------------ labels
def test_string_labels_fit_predict_and_certify(fitted):
    clf, X, y = fitted
    np.testing.assert_array_equal(clf.classes_, LABELS)
    # The net itself was trained on indices 0..K-1.
    np.testing.assert_array_equal(clf.estimator_.classes_, [0, 1, 2])
    assert set(clf.predict(X)) <= set(LABELS)
    assert np.mean(clf.predict(X) == y) > 0.95
    y_pred, radius = clf.certify(X[::10])
    assert set(y_pred) <= set(LABELS) | {-1}
    assert np.mean(y_pred == y[::10]) > 0.9
    assert np.all(radius[y_pred != -1] > 0) and np.all(radius[y_pred == -1] == 0)
    proba = clf.predict_proba(X[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict_certified(X[:5])) <= set(LABELS) | {-1}


def test_caller_arrays_are_not_changed(fitted):
    clf, X, y = fitted
    X0, y0 = X.copy(), y.copy()
    SmoothedClassifier(mlp_net(max_epochs=1), n_samples=20, random_state=0).fit(X, y)
    clf.certify(X[:3])
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_binary_net_with_string_labels(monkeypatch):
    X, y = blobs()
    keep = y != "cat"
    net = NeuralNetBinaryClassifier(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)),
                                    lr=0.2, max_epochs=15, train_split=None, verbose=0)
    clf = SmoothedClassifier(net, GaussianNoise(0.3), n_samples=300, n_select=30,
                             random_state=0).fit(X[keep], y[keep])
    y_pred, radius = clf.certify(X[keep][::8])
    assert np.mean(y_pred == y[keep][::8]) > 0.9
    # Torch votes follow the net's own thresholded decision (numpy path for comparison).
    monkeypatch.setattr(_montecarlo, "_FORCE_ENGINE", "numpy")
    y_np, _ = clf.certify(X[keep][::8])
    assert np.mean(y_np == y_pred) > 0.9


# ------------------------------------------------------------------- dtype
def test_float32_inputs_give_the_float64_certificates(fitted):
    clf, X, _ = fitted
    X32 = X[:6].astype(np.float32)
    y32, r32 = clf.certify(X32)
    y64, r64 = clf.certify(X32.astype(np.float64))
    np.testing.assert_array_equal(y32, y64)
    np.testing.assert_array_equal(r32, r64)


def test_float32_training_data_and_module_stays_float32():
    X, y = blobs()
    clf = SmoothedClassifier(mlp_net(max_epochs=2), n_samples=50, random_state=0)
    clf.fit(X.astype(np.float32), y)
    assert all(p.dtype == torch.float32 for p in clf.estimator_.module_.parameters())
    clf.predict(X[:3])
    assert all(p.dtype == torch.float32 for p in clf.estimator_.module_.parameters())


# -------------------------------------------------------------- randomness
def test_reproducible_with_fixed_random_state():
    X, y = blobs()
    fits = [SmoothedClassifier(mlp_net(max_epochs=3), GaussianNoise(0.5), n_samples=300,
                               n_select=30, random_state=7).fit(X, y) for _ in range(2)]
    for a, b in zip(fits[0].estimator_.module_.parameters(),
                    fits[1].estimator_.module_.parameters()):
        assert torch.equal(a, b)  # weights: torch seeded from random_state
    c1, c2 = (clf.certify(X[::6]) for clf in fits)
    np.testing.assert_array_equal(c1[0], c2[0])
    np.testing.assert_array_equal(c1[1], c2[1])
    np.testing.assert_array_equal(fits[0].certify(X[::6])[1], c1[1])  # same call twice
    other = fits[0].set_params(random_state=8).predict_proba(X[::6])
    assert not np.array_equal(other, fits[1].predict_proba(X[::6]))


def test_fit_with_random_state_leaves_global_torch_rng_alone():
    X, y = blobs()
    torch.manual_seed(123)
    state = torch.get_rng_state()
    SmoothedClassifier(mlp_net(max_epochs=1), n_samples=20, random_state=0).fit(X, y)
    assert torch.equal(torch.get_rng_state(), state)


def test_counts_do_not_depend_on_batch_size_or_row_order(fitted):
    clf, X, _ = fitted
    rows = X[[0, 45, 90, 100]]
    base = clf.predict_proba(rows)
    small = clone_with(clf, batch_size=37).predict_proba(rows)
    np.testing.assert_array_equal(base, small)
    np.testing.assert_array_equal(clf.predict_proba(rows[::-1]), base[::-1])


def test_torch_batch_tuner_ladder_runs_from_64_kib_of_rows_to_the_cap():
    from sksmooth._torch import auto_batch_size, batch_tuner

    tuner = batch_tuner(64, None)
    assert (tuner.first, tuner.cap) == (256, auto_batch_size(64)) == (256, 32768)
    assert batch_tuner(10**6, None).ladder == [64 * 2**k for k in range(5)]  # cap 1,024 rows
    assert batch_tuner(64, 500).settled and batch_tuner(64, 500).size == 500


def test_tuned_batch_gives_the_counts_of_any_fixed_batch(fitted):
    from sksmooth import _random
    from sksmooth._torch import count_votes

    clf, X, _ = fitted
    rows = X[:3]
    net = clf.estimator_
    seeds = _random.RowSeeds(_random.row_keys(rows), 0, (1,))
    # 3 inputs x 9,000 draws: the tuner times 256, 512, ... rows (more than one size).
    k = len(clf.classes_)
    _engine._SETTLED.pop(net.module_, None)  # not a size an earlier test settled on
    auto = count_votes(net, rows, clf.noise_, 9000, seeds, k, batch_size=None)
    for batch in (256, 1000, 4096):
        fixed = count_votes(net, rows, clf.noise_, 9000, seeds, k, batch_size=batch)
        np.testing.assert_array_equal(auto, fixed)
    assert auto.sum(axis=1).tolist() == [9000] * 3


def test_torch_path_reuses_the_batch_size_tuned_on_the_modules_first_call(fitted, tuner_trials):
    from sksmooth import _random
    from sksmooth._torch import count_votes

    clf, X, _ = fitted
    net, rows, k = clf.estimator_, X[:3], len(clf.classes_)
    seeds = _random.RowSeeds(_random.row_keys(rows), 0, (1,))
    _engine._SETTLED.pop(net.module_, None)

    def memo():
        return next(iter(_engine._SETTLED.get(net.module_, {}).values()), None)

    # 3 x 100,000 rows per call: about the whole ladder (4,096 ... 65,536 rows). A call
    # that ends before the tuner settles leaves its progress, and the next climbs on.
    first = count_votes(net, rows, clf.noise_, 100_000, seeds, k)
    n_calls, n_timed = 1, len(tuner_trials)
    while not isinstance(memo(), int):
        assert isinstance(memo(), list) and n_calls < 3, memo()
        count_votes(net, rows, clf.noise_, 100_000, seeds, k)
        n_calls += 1
    assert n_timed >= 4
    tuner_trials.clear()
    second = count_votes(net, rows, clf.noise_, 100_000, seeds, k)
    assert tuner_trials == []  # settled: later calls time nothing
    settled = memo()
    assert settled in _torch.batch_tuner(rows.shape[1], None).ladder
    np.testing.assert_array_equal(first, second)


def clone_with(clf, **params):
    """The fitted ``clf`` with other parameters (no refit), as a shallow copy."""
    import copy

    out = copy.copy(clf)
    for key, value in params.items():
        setattr(out, key, value)
    return out


# ------------------------------------------------------------------ frozen
def test_frozen_estimator_is_certified_without_refit(monkeypatch):
    X, y = blobs()
    net = mlp_net()
    net.fit(X.astype(np.float32), np.searchsorted(LABELS, y))
    before = {k: v.clone() for k, v in net.module_.state_dict().items()}
    params_before = net.get_params()
    calls = []
    original = _torch.count_votes
    monkeypatch.setattr(_torch, "count_votes",
                        lambda *a, **k: calls.append(1) or original(*a, **k))

    clf = SmoothedClassifier(FrozenEstimator(net), GaussianNoise(0.3), n_samples=300,
                             n_select=30, random_state=0).fit(X, y)
    y_pred, radius = clf.certify(X[::10])
    assert calls, "the torch path was not used through FrozenEstimator"
    assert clf.estimator_.estimator is net
    for key, value in net.module_.state_dict().items():
        assert torch.equal(value, before[key])
    assert "iterator_train__collate_fn" not in net.get_params()
    assert net.get_params().keys() == params_before.keys()
    direct = LABELS[net.predict(X[::10].astype(np.float32))]
    assert np.mean(y_pred == direct) > 0.9


def test_constant_module_radius_is_sigma_phi_inv_alpha_root():
    # Oracle: a module that always votes for class 1 gives nA = n, so
    # pA_lower = alpha ** (1/n) exactly and the radius is sigma * Phi^-1(alpha ** (1/n)).
    net = fixed_net(np.zeros((3, 4)), [0.0, 5.0, 0.0])
    X, y = blobs(5)
    n, alpha, sigma = 400, 0.01, 0.7
    clf = SmoothedClassifier(FrozenEstimator(net), GaussianNoise(sigma), n_samples=n, n_select=10,
                             alpha=alpha, random_state=0).fit(X, y)
    y_pred, radius = clf.certify(X)
    assert list(y_pred) == ["bee"] * len(X)
    np.testing.assert_allclose(radius, sigma * NormalDist().inv_cdf(alpha ** (1 / n)), atol=1e-9)


@pytest.mark.slow
def test_linear_module_radii_never_exceed_the_true_margin():
    """Soundness on a hidden linear rule: class 1 iff w.x + b > 0, exact radius = margin.

    Each of the 60 certificates over-claims with probability <= alpha = 0.01;
    the count of over-claims is at most Binomial(60, 0.01), so ``<= 5`` fails
    with probability < 4e-5 (fixed seed: the outcome is deterministic).
    """
    w, b = np.array([1.0, -2.0, 0.5, 0.0]), 0.3
    net = fixed_net(np.vstack([np.zeros(4), w]), [0.0, b])
    X = np.random.default_rng(1).normal(scale=0.5, size=(60, 4))
    y = np.arange(60) % 2
    clf = SmoothedClassifier(FrozenEstimator(net), GaussianNoise(0.5), n_samples=2000,
                             n_select=50, alpha=0.01, random_state=3).fit(X, y)
    y_pred, radius = clf.certify(X)
    margin = np.abs(X @ w + b) / np.linalg.norm(w)
    truth = (X @ w + b > 0).astype(int)
    certified = y_pred != -1
    assert certified.sum() > 30
    over = (y_pred[certified] != truth[certified]) | (radius[certified] > margin[certified] + 1e-6)
    # Over-claims are independent, each with probability <= alpha: the harness's allowance
    # (exceeded by a sound method with probability <= FALSE_ALARM = 1e-4).
    assert over.sum() <= allowed_overclaims(int(certified.sum()), 0.01)


# -------------------------------------------------------- training noise
class RecordTrainBatches(Callback):
    def initialize(self):
        self.batches = []
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training:
            self.batches.append((batch[0].clone(), batch[1].clone()))


def record_training(noise_augment, max_epochs=2, sigma=0.5, random_state=0):
    X, y = blobs(20)
    rec = RecordTrainBatches()
    net = mlp_net(max_epochs=max_epochs, batch_size=len(X), iterator_train__shuffle=False,
                  callbacks=[("rec", rec)])
    clf = SmoothedClassifier(net, GaussianNoise(sigma), noise_augment=noise_augment,
                             random_state=random_state).fit(X, y)
    return dict(clf.estimator_.callbacks_)["rec"].batches, X, y


def test_training_noise_is_fresh_on_every_epoch():
    batches, X, y = record_training(noise_augment=1, max_epochs=3)
    clean = torch.as_tensor(X, dtype=torch.float32)
    assert len(batches) == 3
    offsets = [xb - clean for xb, _ in batches]
    for (xb, yb), off in zip(batches, offsets):
        assert xb.shape == clean.shape
        np.testing.assert_array_equal(yb.numpy(), np.searchsorted(LABELS, y))
        # N(0, 0.25): 240 values, std within 15% and mean within 4 standard errors.
        assert abs(off.std().item() - 0.5) < 0.075
        assert abs(off.mean().item()) < 4 * 0.5 / np.sqrt(off.numel())
    for i in range(3):
        for j in range(i):
            assert not torch.allclose(offsets[i], offsets[j])
            # Independent draws: correlation near 0 (|r| < 0.25 for 240 pairs).
            r = np.corrcoef(offsets[i].ravel(), offsets[j].ravel())[0, 1]
            assert abs(r) < 0.25


def test_training_noise_repeats_rows_noise_augment_times():
    batches, X, _ = record_training(noise_augment=3, max_epochs=1)
    xb, yb = batches[0]
    assert xb.shape == (3 * len(X), X.shape[1]) and yb.shape == (3 * len(X),)
    copies = (xb - torch.as_tensor(X, dtype=torch.float32).repeat(3, 1)).reshape(3, len(X), -1)
    assert not torch.allclose(copies[0], copies[1])


def test_no_training_noise_with_noise_augment_zero():
    batches, X, _ = record_training(noise_augment=0)
    for xb, _ in batches:
        np.testing.assert_array_equal(xb.numpy(), X.astype(np.float32))


def test_training_noise_is_reproducible():
    first, _, _ = record_training(noise_augment=1, random_state=5)
    second, _, _ = record_training(noise_augment=1, random_state=5)
    for (a, _), (b, _) in zip(first, second):
        assert torch.equal(a, b)


def test_refit_keeps_a_single_noise_layer_and_user_collate():
    X, y = blobs(10)
    seen = []

    def my_collate(batch):
        seen.append(len(batch))
        return torch.utils.data.default_collate(batch)

    clf = SmoothedClassifier(mlp_net(max_epochs=1, iterator_train__collate_fn=my_collate),
                             n_samples=20, random_state=0)
    clf.fit(X, y)
    clf.fit(X, y)
    collate = clf.estimator_.get_params()["iterator_train__collate_fn"]
    assert isinstance(collate, _torch.NoisyCollate) and collate.collate_fn is my_collate
    assert seen
    # The user's net is not changed: clone() gave the classifier its own copy.
    assert clf.estimator.get_params()["iterator_train__collate_fn"] is my_collate


# ----------------------------------------------------- torch vs numpy path
@pytest.mark.slow
def test_torch_and_numpy_paths_agree_statistically(fitted, monkeypatch):
    """Same net, two engines, independent draws: vote frequencies agree within error.

    For each of 8 inputs and 3 classes, the two frequencies estimate the same p
    from n = 4000 draws each; |diff| > 4.5 standard errors has probability
    < 7e-6 per comparison, < 2e-4 for all 24 (fixed seeds: deterministic).
    Radii then agree to within what the same error allows, input by input.
    """
    clf, X, _ = fitted
    # Inputs between class centres, where the vote is split.
    t = np.linspace(0.35, 0.65, 8)[:, None]
    rows = (1 - t) * CENTERS[0] + t * CENTERS[1]
    model = clone_with(clf, n_samples=4000, n_select=100)
    p_torch = model.predict_proba(rows)
    y_torch, r_torch = model.certify(rows)
    monkeypatch.setattr(_montecarlo, "_FORCE_ENGINE", "numpy")
    p_numpy = model.predict_proba(rows)
    y_numpy, r_numpy = model.certify(rows)
    pooled = (p_torch + p_numpy) / 2
    se = np.sqrt(2 * pooled * (1 - pooled) / 4000)
    assert np.all(np.abs(p_torch - p_numpy) <= 4.5 * se + 1e-12)
    assert 0.1 < p_torch[:, 0].max() and p_torch[:, 0].min() < 0.9  # split votes were tested
    both = (y_torch != -1) & (y_numpy != -1)
    assert np.all(y_torch[both] == y_numpy[both])
    # Radii: sigma * Phi^-1 of two estimates of the same pA lying within 4.5 standard errors
    # of each other differ by at most sigma * (Phi^-1(pA + w) - Phi^-1(pA - w)), w = 4.5 se.
    top = np.argmax(p_torch, axis=1)
    p_top = p_torch[np.arange(len(rows)), top]
    w = 4.5 * se[np.arange(len(rows)), top]
    ppf = stats.norm.ppf
    gap = clf.noise_.sigma * (ppf(np.minimum(p_top + w, 1 - 1e-9)) - ppf(p_top - w))
    assert np.all(np.abs(r_torch - r_numpy)[both] <= gap[both])


class HostOnlyGaussian(GaussianNoise):
    """A family without a torch sampler (as a newly added family would be)."""

    device_sampler = False


def test_family_without_torch_sampler_is_sampled_on_the_host(fitted, monkeypatch):
    clf, X, _ = fitted
    host = clone_with(clf, noise_=HostOnlyGaussian(0.3))
    with pytest.warns(SmoothingWarning, match="HostOnlyGaussian has no torch sampler"):
        p_torch = host.predict_proba(X[::20])
    monkeypatch.setattr(_montecarlo, "_FORCE_ENGINE", "numpy")
    p_numpy = host.predict_proba(X[::20])
    # The same numpy draws, the same float32 rows, the same module: the same votes up to
    # float rounding between batch shapes (at most a few flipped ties).
    assert np.abs(p_torch - p_numpy).sum() * clf.n_samples <= 4


class DoubledGaussian(GaussianNoise):
    """A subclass that changes ``sample`` but inherits GaussianNoise's ``sample_torch``."""

    def sample(self, n_draws, n_features, rng):
        return 2.0 * super().sample(n_draws, n_features, rng)


def test_subclass_changing_sample_is_not_given_its_parents_torch_sampler(fitted, monkeypatch):
    assert GaussianNoise().device_sampler
    assert not HostOnlyGaussian().device_sampler
    assert not DoubledGaussian().device_sampler
    clf, X, _ = fitted
    doubled = clone_with(clf, noise_=DoubledGaussian(0.3))
    with pytest.warns(SmoothingWarning, match="DoubledGaussian has no torch sampler"):
        p_torch = doubled.predict_proba(X[::20])
    monkeypatch.setattr(_montecarlo, "_FORCE_ENGINE", "numpy")
    assert np.abs(p_torch - doubled.predict_proba(X[::20])).sum() * clf.n_samples <= 4


def test_training_under_a_family_without_torch_sampler():
    X, y = blobs(10)
    clf = SmoothedClassifier(mlp_net(max_epochs=2), HostOnlyGaussian(0.3), n_samples=50,
                             random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmoothingWarning)
        clf.fit(X, y)
        assert set(clf.predict(X[:4])) <= set(LABELS)


def test_base_noise_sample_torch_names_the_family():
    with pytest.raises(NotImplementedError, match="HostOnlyGaussian has no torch sampler"):
        HostOnlyGaussian().sample_torch(2, 3, None, "cpu", torch.float32)


def test_gaussian_sample_torch_moments_and_dtype():
    gen = torch.Generator().manual_seed(0)
    draws = GaussianNoise(0.5).sample_torch(20000, 3, gen, torch.device("cpu"), torch.float32)
    assert draws.dtype == torch.float32 and draws.shape == (20000, 3)
    # 60000 values: std error of the std ~ 0.5 / sqrt(120000) ~ 0.0015.
    assert abs(draws.std().item() - 0.5) < 0.01
    assert abs(draws.mean().item()) < 0.01


# --------------------------------------------------------------- bad input
def test_module_with_wrong_number_of_outputs_is_a_clear_error():
    X, y = blobs(10)
    with pytest.raises(ValueError, match="must output 3 scores per row"):
        SmoothedClassifier(mlp_net(n_out=4, max_epochs=1), n_samples=20).fit(X, y)


def test_frozen_module_with_wrong_number_of_outputs_is_a_clear_error():
    X, y = blobs(10)
    net = fixed_net(np.zeros((2, 4)), [0.0, 1.0])
    with pytest.raises(ValueError, match=r"shape \(1, 2\).*3 classes"):
        SmoothedClassifier(FrozenEstimator(net), n_samples=20).fit(X, y)


# --------------------------------------------------------------------- GPU
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_net_certifies_on_the_device_reproducibly():
    X, y = blobs()
    clf = SmoothedClassifier(mlp_net(device="cuda"), GaussianNoise(0.3), n_samples=2000,
                             n_select=50, random_state=0).fit(X, y)
    assert next(clf.estimator_.module_.parameters()).is_cuda
    first = clf.certify(X[::10])
    second = clf.certify(X[::10])
    np.testing.assert_array_equal(first[1], second[1])
    assert np.mean(first[0] == y[::10]) > 0.9


def test_plain_neuralnet_with_class_scores():
    from skorch import NeuralNet

    X, y = blobs()
    net = NeuralNet(MLP, criterion=nn.CrossEntropyLoss, lr=0.2, max_epochs=15, batch_size=32,
                    train_split=None, verbose=0)
    clf = SmoothedClassifier(net, GaussianNoise(0.3), n_samples=200, n_select=20,
                             random_state=0).fit(X, y)
    y_pred, _ = clf.certify(X[::10])
    assert np.mean(y_pred == y[::10]) > 0.9


def test_pickle_round_trip_keeps_certificates(fitted):
    import pickle

    clf, X, _ = fitted
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.certify(X[:4])[1], clf.certify(X[:4])[1])
    collate = again.estimator_.get_params()["iterator_train__collate_fn"]
    assert isinstance(collate, _torch.NoisyCollate) and collate._gen is None


# -------------------------------------------------------- soft scores (device)
def test_soft_sums_are_softmax_scores_summed_on_the_device():
    # Oracle: a constant module's softmax scores are softmax(bias) on every draw.
    bias = np.array([0.5, 2.0, -1.0])
    net = fixed_net(np.zeros((3, 4)), bias)
    X = np.random.default_rng(0).normal(size=(5, 4))
    from sksmooth import _random

    seeds = _random.row_seeds(_random.row_keys(X), 0, _random.ESTIMATE)
    sums = _torch.count_votes(net, X, GaussianNoise(0.5), 300, seeds, 3, batch_size=128, soft=True)
    softmax = np.exp(bias) / np.exp(bias).sum()
    np.testing.assert_allclose(sums / 300, np.tile(softmax, (5, 1)), rtol=1e-6)


def test_soft_sums_match_predict_proba_on_the_same_draws(fitted):
    # Host-sampled family: the torch path uses the numpy engine's very draws, so the
    # device sums must equal the mean of the net's own predict_proba on those rows.
    clf, X, _ = fitted
    from sksmooth import _random

    rows = X[[0, 50, 100]]
    seeds = _random.row_seeds(_random.row_keys(rows), 0, _random.ESTIMATE)
    noise = HostOnlyGaussian(0.3)
    with pytest.warns(SmoothingWarning):
        sums = _torch.count_votes(clf.estimator_, rows, noise, 200, seeds, 3, soft=True)
    for i, seed in enumerate(seeds):
        noisy = noise.perturb(rows[i : i + 1], noise.sample(200, 4, _random.generator(seed)))
        expected = clf.estimator_.predict_proba(noisy.astype(np.float32)).sum(axis=0)
        np.testing.assert_allclose(sums[i], expected, rtol=1e-4)


def test_soft_sums_reject_scores_outside_unit_interval():
    net = fixed_net(np.zeros((3, 4)), [0.5, 2.0, -1.0])
    net.set_params(predict_nonlinearity=None)  # raw logits, not probabilities
    X = np.zeros((2, 4))
    from sksmooth import _random

    seeds = _random.row_seeds(_random.row_keys(X), 0, _random.ESTIMATE)
    with pytest.raises(ValueError, match=r"scores in \[0, 1\].*predict_nonlinearity"):
        _torch.count_votes(net, X, GaussianNoise(), 10, seeds, 3, soft=True)


def test_cross_validation_with_string_labels():
    from sklearn.model_selection import cross_val_score

    X, y = blobs(20)
    clf = SmoothedClassifier(mlp_net(max_epochs=10), GaussianNoise(0.3), n_samples=100,
                             random_state=0)
    scores = cross_val_score(clf, X, y, cv=2)
    assert scores.shape == (2,) and np.all(scores > 0.8)
