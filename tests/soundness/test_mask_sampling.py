"""Keep-masks whose law matches the l0 certificate exactly (issue 11, item 4, torch part).

The l0 radius uses ``Delta(rho) = 1 - (1 - keep_prob)^rho`` (Bernoulli) and
``1 - C(d - rho, k) / C(d, k)`` (k of d, uniform subsets). Both are upper
bounds on the true probability shift only if the sampler keeps a feature with
probability at most ``keep_prob``, resp. picks every k-subset equally often.
A float32 uniform compared with ``keep_prob`` keeps up to ``2**-24`` too often
(a keep probability below ``2**-24`` even becomes ``2**-24``), and argsort of
tied float32 keys lets the sort order decide which features are kept.
"""

from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from scipy import stats

torch = pytest.importorskip("torch")

from sksmooth import BernoulliMaskNoise, SubspaceNoise  # noqa: E402
from sksmooth.noise._subspace import keep_threshold  # noqa: E402

from .._soundness import FALSE_ALARM  # noqa: E402

pytestmark = pytest.mark.soundness

#: Each statistical check below fails by chance with probability FALSE_ALARM (the one
#: harness, tests/_soundness.py); fixed seeds make them deterministic.
CPU = torch.device("cpu")


def _probabilities():
    rng = np.random.default_rng(0)
    grid = [k * 2.0**-24 for k in (1, 3, 1677721, 1677722)]  # float32-grid points
    edges = [np.nextafter(p, 1.0) for p in grid] + [np.nextafter(p, 0.0) for p in grid]
    tiny = [1e-10, 2.0**-31, np.nextafter(2.0**-31, 1.0), np.nextafter(2.0**-31, 0.0), 3e-8]
    return [0.1, 1 / 3, 0.5, 0.9, 0.999999] + grid + edges + tiny + list(rng.random(200))


@pytest.mark.parametrize("bits", [31, 53])
def test_keep_threshold_is_the_largest_grid_point_not_above_keep_prob(bits):
    # Exact rational arithmetic: T / 2**bits <= p < (T + 1) / 2**bits for every p tried,
    # so P[key < T] = T / 2**bits for keys uniform on [0, 2**bits) never exceeds p.
    for p in _probabilities():
        t = keep_threshold(p, bits)
        assert isinstance(t, int)
        assert Fraction(t, 2**bits) <= Fraction(p) < Fraction(t + 1, 2**bits), (p, t)


def test_torch_bernoulli_masks_are_integer_keys_below_the_threshold():
    # The construction: keep iff an integer key uniform on [0, 2**31) (torch.randint over a
    # power-of-two range, exact on CPU and CUDA) is below keep_threshold(p, 31).
    # Deterministic: the same generator state gives the keys and the masks.
    noise = BernoulliMaskNoise(0.3).validate(7)
    masks = noise.sample_torch(500, 7, torch.Generator().manual_seed(3), CPU, torch.float32)
    keys = torch.randint(0, 2**31, (500, 7), generator=torch.Generator().manual_seed(3),
                         dtype=torch.int32)  # fmt: skip
    assert masks.dtype == torch.bool
    assert torch.equal(masks, keys < keep_threshold(0.3, 31))


def test_torch_bernoulli_never_keeps_below_the_grid():
    """keep_prob = 1e-10 < 2**-31: T = 0, so no feature is ever kept (P[keep] = 0 <= p).

    The float32 sampler kept at rate 2**-24 (u == 0), 600 times too often: about
    6 of these 10**8 entries. Deterministic (fixed seed).
    """
    noise = BernoulliMaskNoise(1e-10).validate(100)
    gen = torch.Generator().manual_seed(0)
    kept = sum(int(noise.sample_torch(100_000, 100, gen, CPU, torch.float32).sum())
               for _ in range(10))  # fmt: skip
    assert kept == 0


def test_numpy_bernoulli_compares_with_the_rounded_down_threshold():
    # numpy's uniforms are k * 2**-53: comparing with floor(p * 2**53) * 2**-53 keeps w.p.
    # floor(p * 2**53) / 2**53 <= p exactly; same draws otherwise. Deterministic.
    for p in (0.1, 0.3, 1 / 3):
        noise = BernoulliMaskNoise(p).validate(5)
        masks = noise.sample(1000, 5, np.random.default_rng(1))
        u = np.random.default_rng(1).random((1000, 5))
        np.testing.assert_array_equal(masks, u < keep_threshold(p, 53) * 2.0**-53)


def _subset_counts(masks, d, k):
    index = {s: i for i, s in enumerate(combinations(range(d), k))}
    counts = np.zeros(len(index), dtype=np.int64)
    for row in masks:
        counts[index[tuple(np.flatnonzero(row))]] += 1
    return counts


def _coarse_rand(original, levels):
    """``torch.rand`` rounded down to ``levels`` values: i.i.d. keys that tie often."""

    def rand(*size, generator=None, device=None, dtype=None):
        u = original(*size, generator=generator, device=device)
        u = torch.floor(u * levels) / levels
        return u if dtype is None else u.to(dtype)

    return rand


def test_torch_subspace_masks_are_uniform_even_when_keys_tie(monkeypatch):
    """Keys on a 4-point grid (ties in most rows): 5 choose 2 subsets still uniform.

    Chi-square goodness of fit over the 10 subsets, 20,000 draws, rejected at
    p < 1e-4 (false-alarm rate 1e-4; fixed seed). The argsort construction gave
    the lower feature indices the tied places (p-value ~0 here).
    """
    monkeypatch.setattr(torch, "rand", _coarse_rand(torch.rand, 4))
    d, k, n = 5, 2, 20_000
    noise = SubspaceNoise(k).validate(d)
    masks = noise.sample_torch(n, d, torch.Generator().manual_seed(0), CPU, torch.float32)
    assert torch.all(masks.sum(dim=1) == k)
    counts = _subset_counts(masks.numpy(), d, k)
    assert stats.chisquare(counts).pvalue > FALSE_ALARM, counts


def test_torch_subspace_masks_are_uniform_with_the_real_keys():
    """6 choose 3 subsets from the device sampler's own keys: chi-square p > 1e-4 (fixed seed)."""
    d, k, n = 6, 3, 40_000
    noise = SubspaceNoise(k).validate(d)
    masks = noise.sample_torch(n, d, torch.Generator().manual_seed(1), CPU, torch.float32)
    assert torch.all(masks.sum(dim=1) == k)
    assert stats.chisquare(_subset_counts(masks.numpy(), d, k)).pvalue > FALSE_ALARM


def test_torch_subspace_keep_all_features():
    noise = SubspaceNoise(4).validate(4)
    masks = noise.sample_torch(10, 4, torch.Generator().manual_seed(0), CPU, torch.float32)
    assert masks.dtype == torch.bool and bool(masks.all())
