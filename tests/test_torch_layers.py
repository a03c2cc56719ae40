"""The Gaussian noise layer (sksmooth/torch.py).

Statistical checks (fixed generator seeds; the rate is the chance that a correct layer
fails on a fresh seed): the sample variance of n = 200,000 draws against the chi-square(n - 1)
quantiles at 1e-6 and 1 - 1e-6 (false alarm 2e-6); the sample mean within 5 standard errors
(5.7e-7); the Kolmogorov-Smirnov test of normality at level 1e-6; the correlation of two calls'
noise within 5 / sqrt(n) (5.7e-7).
"""

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from scipy import stats  # noqa: E402

from sksmooth.torch import GaussianNoiseLayer  # noqa: E402

N = 200_000


def test_identity_in_eval_mode_and_with_sigma_zero():
    x = torch.randn(7, 3)
    layer = GaussianNoiseLayer(0.5)
    assert layer.training  # a new module trains
    layer.eval()
    assert layer(x) is x
    off = GaussianNoiseLayer(0.0)
    assert off.training and off(x) is x
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), GaussianNoiseLayer(1.0))
    model.eval()  # eval() reaches the layer inside a container
    torch.testing.assert_close(model(x), model[0](x))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_training_noise_has_the_right_distribution(dtype):
    sigma = 0.3
    gen = torch.Generator().manual_seed(0)
    layer = GaussianNoiseLayer(sigma, generator=gen)
    x = torch.linspace(-2, 2, N, dtype=dtype).reshape(400, 500)
    out = layer(x)
    assert out.shape == x.shape and out.dtype == dtype
    noise = (out - x).double().flatten().numpy()
    chi2 = (N - 1) * noise.var(ddof=1) / sigma**2
    lo, hi = stats.chi2.ppf([1e-6, 1 - 1e-6], df=N - 1)
    assert lo < chi2 < hi
    assert abs(noise.mean()) < 5 * sigma / np.sqrt(N)
    assert stats.kstest(noise / sigma, "norm").pvalue > 1e-6
    # Fresh noise on every call, independent of the previous call's.
    second = (layer(x) - x).double().flatten().numpy()
    assert abs(np.corrcoef(noise, second)[0, 1]) < 5 / np.sqrt(N)


def test_generator_makes_noise_reproducible():
    x = torch.zeros(1000)
    a = GaussianNoiseLayer(1.0, generator=torch.Generator().manual_seed(3))(x)
    b = GaussianNoiseLayer(1.0, generator=torch.Generator().manual_seed(3))(x)
    c = GaussianNoiseLayer(1.0, generator=torch.Generator().manual_seed(4))(x)
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, c)


def test_gradient_passes_through_and_sigma_can_change():
    x = torch.randn(5, 4, requires_grad=True)
    layer = GaussianNoiseLayer(0.2)
    (3 * layer(x)).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((5, 4), 3.0))
    layer.sigma = 2
    assert layer.sigma == 2.0 and isinstance(layer.sigma, float)
    assert repr(layer) == "GaussianNoiseLayer(sigma=2.0)"
    assert "sigma" not in dict(layer.named_parameters())  # a fixed float, not learned


def test_noise_on_recurrent_state_between_steps():
    torch.manual_seed(0)
    cell, noise = torch.nn.RNNCell(2, 6), GaussianNoiseLayer(0.5)
    inputs = torch.randn(4, 3, 2)

    def run():
        h = torch.zeros(3, 6)
        for x_t in inputs:
            h = noise(cell(x_t, h))
        return h

    noisy_a, noisy_b = run(), run()
    assert not torch.equal(noisy_a, noisy_b)
    noise.eval()
    torch.testing.assert_close(run(), run())


@pytest.mark.parametrize("sigma", [-0.1, float("nan"), float("inf"), "0.1", None, True])
def test_bad_sigma(sigma):
    with pytest.raises(ValueError, match="sigma must be a finite float >= 0"):
        GaussianNoiseLayer(sigma)
    layer = GaussianNoiseLayer(0.1)
    with pytest.raises(ValueError, match="sigma must"):
        layer.sigma = sigma
    assert layer.sigma == 0.1


def test_bad_generator_and_input():
    with pytest.raises(TypeError, match="torch.Generator"):
        GaussianNoiseLayer(0.1, generator=0)
    with pytest.raises(TypeError, match="floating-point"):
        GaussianNoiseLayer(0.1)(torch.arange(3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_noise_made_on_the_inputs_device():
    gen = torch.Generator(device="cuda").manual_seed(0)
    x = torch.zeros(N, device="cuda")
    out = GaussianNoiseLayer(0.5, generator=gen)(x)
    assert out.device == x.device
    noise = out.double().cpu().numpy()
    chi2 = (N - 1) * noise.var(ddof=1) / 0.25
    lo, hi = stats.chi2.ppf([1e-6, 1 - 1e-6], df=N - 1)
    assert lo < chi2 < hi


def test_clear_import_error_without_torch():
    # A finder that refuses torch, as if it were not installed (putting None in
    # sys.modules instead would break scipy, which inspects sys.modules["torch"]).
    code = ("import sys\n"
            "class NoTorch:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'torch':\n"
            "            raise ImportError('No module named torch')\n"
            "sys.meta_path.insert(0, NoTorch())\n"
            "import sksmooth.torch\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0
    assert "sksmooth.torch needs PyTorch" in result.stderr
    assert "pip install sksmooth[torch]" in result.stderr
