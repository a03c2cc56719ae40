"""SmoothedRegressor with a skorch NeuralNetRegressor: outputs collected on the net's device."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from skorch import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402
from torch import nn  # noqa: E402

from sksmooth import GaussianNoise, SmoothedRegressor, SmoothingWarning  # noqa: E402
from sksmooth import _montecarlo, _torch  # noqa: E402
from sksmooth._random import ESTIMATE, RowSeeds, base_entropy, row_keys  # noqa: E402

W = np.array([1.0, -1.0, 0.5])


def data(n=200, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, 3))
    return X, X @ W


def reg_net(**kwargs):
    params = dict(module=nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1)),
                  max_epochs=20, lr=0.05, verbose=0, train_split=None)
    params.update(kwargs)
    return NeuralNetRegressor(**params)


@pytest.fixture(scope="module")
def fitted():
    X, y = data()
    reg = SmoothedRegressor(reg_net(), GaussianNoise(0.2), n_samples=400,
                            random_state=0).fit(X, y)
    return reg, X, y


def seeds_for(X):
    return RowSeeds(row_keys(X), 7, (ESTIMATE,))


class HostOnlyGaussian(GaussianNoise):
    """A family without a torch sampler: the device engine uses the numpy engine's draws."""

    device_sampler = False


def test_auto_engine_is_torch_for_a_regressor_net_collecting_outputs():
    net = reg_net()
    assert _montecarlo.choose_engine(net, "outputs") == "torch"
    clf = NeuralNetClassifier(nn.Linear(2, 2), criterion=nn.CrossEntropyLoss)
    assert _montecarlo.choose_engine(clf, "outputs") == "numpy"
    with pytest.raises(ValueError, match="outputs of a skorch NeuralNetRegressor"):
        _montecarlo.choose_engine(clf, "outputs", "torch")


def test_device_outputs_are_the_module_outputs_on_the_same_noisy_rows(fitted):
    """Host draws on both engines: the same float32 rows, so the same outputs.

    Only float32 rounding of the module between batch shapes may differ (a
    relative 1e-5 is ample for a 16-unit MLP on values of order 1).
    """
    reg, X, _ = fitted
    net, noise, rows = reg.estimator_, HostOnlyGaussian(0.2), X[:6]
    with pytest.warns(SmoothingWarning, match="HostOnlyGaussian has no torch sampler"):
        dev = _torch.collect_outputs(net, rows, noise, 300, seeds_for(rows))
    host = _montecarlo.evaluate(
        net, lambda Z: net.predict(np.asarray(Z, dtype=np.float32)), rows, noise, 300,
        seeds_for(rows), "outputs", engine="numpy", dtype=np.float64,
    )
    assert dev.shape == host.shape == (6, 300) and dev.dtype == np.float64
    np.testing.assert_allclose(dev, host, rtol=1e-5, atol=1e-5)
    q = [0.1, 0.5, 0.9]
    np.testing.assert_allclose(np.quantile(dev, q, axis=1), np.quantile(host, q, axis=1),
                               rtol=1e-5, atol=1e-5)
    # An independent check of one input: its noisy rows rebuilt by hand, through the module.
    from sksmooth._random import generator

    rng = generator(seeds_for(rows)[2])
    Z = noise.perturb(rows[2:3], noise.sample(300, 3, rng)).astype(np.float32)
    with torch.no_grad():
        ref = net.module_(torch.as_tensor(Z)).numpy()[:, 0]
    np.testing.assert_allclose(dev[2], ref, rtol=1e-5, atol=1e-5)


def test_device_and_host_percentiles_agree_on_independent_draws(fitted, monkeypatch):
    """Device (torch) and host (numpy) draws of the same Gaussian: percentiles agree.

    With n = 4000 draws per engine, the empirical p-quantile has standard error
    sqrt(p (1 - p) / n) / density; comparing ranks instead: the device median's
    rank among the host outputs is Binomial-like around n / 2 with sd
    sqrt(n) / 2 (~32, doubled for two samples, ~45); |rank - n/2| > 4.5 * 45 has
    probability < 1e-5 per input (8 inputs, fixed seeds: deterministic).
    """
    reg, X, _ = fitted
    rows, n = X[:8], 4000
    seeds = seeds_for(rows)
    noise = GaussianNoise(0.2)
    net = reg.estimator_
    dev = _montecarlo.evaluate(net, None, rows, noise, n, seeds, "outputs")
    host = _montecarlo.evaluate(
        net, lambda Z: net.predict(np.asarray(Z, dtype=np.float32)), rows, noise, n, seeds,
        "outputs", engine="numpy",
    )
    assert not np.array_equal(dev, host)  # the device engine did draw its own noise
    for p in (0.25, 0.5, 0.75):
        q_dev = np.quantile(dev, p, axis=1)
        rank = (host < q_dev[:, None]).sum(axis=1)
        sd = np.sqrt(2 * n * p * (1 - p))
        assert np.all(np.abs(rank - p * n) <= 4.5 * sd)


def test_outputs_do_not_depend_on_batch_size(fitted):
    """The same noisy rows at every batch size; outputs equal up to a float32 ulp.

    (The module's float32 result for one row can change by an ulp with the batch
    shape: measured 1.2e-7 at batch_size=1 against 4000, none at 64 to 2048.)
    """
    reg, X, _ = fitted
    rows, net = X[:5], reg.estimator_
    ref = _torch.collect_outputs(net, rows, GaussianNoise(0.2), 5000, seeds_for(rows))
    for batch_size in (1, 7, 333, 4096, 100_000):
        out = _torch.collect_outputs(net, rows, GaussianNoise(0.2), 5000, seeds_for(rows),
                                     batch_size=batch_size)
        np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)
    # Row order: each input keeps its own stream.
    perm = [3, 0, 4, 1, 2]
    seeds = seeds_for(rows)
    out = _torch.collect_outputs(net, rows[perm], GaussianNoise(0.2), 5000,
                                 [seeds[i] for i in perm], batch_size=999)
    np.testing.assert_allclose(out, ref[perm], rtol=1e-6, atol=1e-6)


def test_outputs_go_through_the_predict_nonlinearity():
    """skorch's predict is the module output through predict_nonlinearity: so are the outputs."""
    layer = nn.Linear(2, 1)
    net = NeuralNetRegressor(layer, predict_nonlinearity=lambda t: 3.0 * t + 1.0,
                             verbose=0).initialize()
    X = np.array([[0.5, -1.0], [2.0, 0.0]])
    out = _torch.collect_outputs(net, X, GaussianNoise(1e-12), 10, seeds_for(X))
    np.testing.assert_allclose(out, np.repeat(net.predict(X.astype(np.float32)), 10, axis=1),
                               rtol=1e-6)


def test_module_with_several_outputs_is_a_clear_error():
    net = NeuralNetRegressor(nn.Linear(2, 3), verbose=0).initialize()
    X = np.zeros((2, 2))
    with pytest.raises(ValueError, match="one output per row.*1 unit"):
        _torch.collect_outputs(net, X, GaussianNoise(0.1), 10, seeds_for(X))


def test_no_inputs_give_an_empty_table(fitted):
    reg, _, _ = fitted
    out = _torch.collect_outputs(reg.estimator_, np.zeros((0, 3)), GaussianNoise(0.1), 10, [])
    assert out.shape == (0, 10) and out.dtype == np.float64


def test_certify_and_predict_end_to_end_on_the_device(fitted):
    reg, X, y = fitted
    assert reg.certification_ == "monte_carlo"
    y_pred, lower, upper = reg.certify(X[:10], radius=0.1)
    assert np.all(lower <= y_pred) and np.all(y_pred <= upper)
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))
    # The same draws; the module's float32 result for a row may change by an ulp with the
    # batch shape, which the tuner picks by timing (measured: at most 1.2e-7 here).
    np.testing.assert_allclose(reg.predict(X[:10]), y_pred, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y_pred, y[:10], atol=1.0)
    # The bounds are order statistics of exactly the device outputs.
    seeds = RowSeeds(row_keys(X[:10]), base_entropy(reg.random_state), (ESTIMATE,))
    S = np.sort(_torch.collect_outputs(reg.estimator_, X[:10], reg.noise_, reg.n_samples,
                                       seeds), axis=1)
    np.testing.assert_allclose(S[:, reg._median_index()], y_pred, rtol=1e-6, atol=1e-6)
    radius = reg.certified_radius(X[:10], tolerance=1.0)
    assert np.all(radius >= 0) and np.all(np.isfinite(radius))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_regressor_certifies_on_the_device_reproducibly():
    X, y = data()
    reg = SmoothedRegressor(reg_net(device="cuda"), GaussianNoise(0.2), n_samples=2000,
                            random_state=0).fit(X, y)
    assert next(reg.estimator_.module_.parameters()).is_cuda
    first = reg.certify(X[:20], radius=0.1)
    second = reg.certify(X[:20], radius=0.1)
    for a, b in zip(first, second):  # up to the module's float32 rounding between batch shapes
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert np.all(first[1] <= first[0]) and np.all(first[0] <= first[2])
    np.testing.assert_allclose(first[0], y[:20], atol=1.0)
    seeds = RowSeeds(row_keys(X[:20]), base_entropy(0), (ESTIMATE,))
    small = _torch.collect_outputs(reg.estimator_, X[:20], reg.noise_, 2000, seeds,
                                   batch_size=77)
    np.testing.assert_allclose(np.median(small, axis=1), np.median(
        _torch.collect_outputs(reg.estimator_, X[:20], reg.noise_, 2000, seeds), axis=1),
        rtol=1e-6, atol=1e-6)
