"""Cost of building noisy rows exactly on the torch path (issue 11), side by side in one run.

``count_votes`` makes each input's draws in blocks of 4,096 and copies the noisy
rows into the forward batch. This times, per block, on the chosen device:

* additive noise (Gaussian): ``old`` = float32 row + float32 draws (the clean
  input rounded to float32 first: the certificate was about ``round(x)``);
  ``new`` = float64 row + float32 draws, cast to float32 once on the copy
  (what the package does); ``f64 noise`` = float64 row + float64 draws (the
  alternative not taken);
* keep-masks: Bernoulli ``old`` = float32 uniform < keep_prob vs ``new`` =
  int32 keys < threshold; subspace ``old`` = double argsort of float32 keys vs
  ``new`` = topk with the tie check;

then the MLP forward pass of the block (64-256-256-10, the benchmark model of
``bench_torch.py``), and prints the per-block times and the ratio of
(rows + forward) new / old, the cost certify pays for the exact rows. Best of
``--repeats`` runs, alternating the variants.

Usage::

    python benchmarks/bench_torch_rows.py [--device cpu] [--repeats 20] [--threads 1]
"""

import argparse
import time

import torch

from sksmooth import BernoulliMaskNoise, SubspaceNoise
from sksmooth.noise._subspace import keep_threshold

BLOCK = 4096


def best_ms(fn, repeats, device):
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return 1e3 * best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-features", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device, d = torch.device(args.device), args.n_features
    gen = torch.Generator(device=device).manual_seed(0)
    x64 = torch.randn((1, d), dtype=torch.float64, device=device) * 1e3
    x32 = x64.float()
    buf = torch.empty((BLOCK, d), device=device)
    mlp = torch.nn.Sequential(torch.nn.Linear(d, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                              torch.nn.ReLU(), torch.nn.Linear(256, 10)).to(device).eval()

    def randn(dtype):
        return torch.randn((BLOCK, d), generator=gen, device=device, dtype=dtype)

    variants = {
        "gaussian old": lambda: buf.copy_(x32 + randn(torch.float32).mul_(0.25)),
        "gaussian new": lambda: buf.copy_(x64 + randn(torch.float32).mul_(0.25)),
        "gaussian f64 noise": lambda: buf.copy_(x64 + randn(torch.float64).mul_(0.25)),
        "bernoulli old": lambda: buf.copy_(torch.where(
            torch.rand((BLOCK, d), generator=gen, device=device) < 0.1, x32, 0.0)),
        "bernoulli new": lambda: buf.copy_(torch.where(
            BernoulliMaskNoise(0.1).sample_torch(BLOCK, d, gen, device, torch.float32), x64, 0.0)),
        "subspace old": lambda: buf.copy_(torch.where(
            torch.rand((BLOCK, d), generator=gen, device=device).argsort(1).argsort(1) < 8,
            x32, 0.0)),
        "subspace new": lambda: buf.copy_(torch.where(
            SubspaceNoise(8).sample_torch(BLOCK, d, gen, device, torch.float32), x64, 0.0)),
    }

    def forward():
        with torch.no_grad():
            mlp(buf).argmax(1)

    assert keep_threshold(0.1, 31) / 2**31 <= 0.1
    times = {name: float("inf") for name in [*variants, "forward"]}
    for _ in range(3):  # alternate the variants; best of all rounds
        for name, fn in [*variants.items(), ("forward", forward)]:
            times[name] = min(times[name], best_ms(fn, args.repeats, device))
    fwd = times["forward"]
    print(f"device {device}, {args.threads} thread(s), block {BLOCK} x {d} features, "
          f"best of {3 * args.repeats}")
    print(f"{'rows':<20}{'ms/block':>10}{'(rows+fwd)/old':>16}")
    for family in ("gaussian", "bernoulli", "subspace"):
        old = times[f"{family} old"] + fwd
        for name in (n for n in variants if n.startswith(family)):
            print(f"{name:<20}{times[name]:>10.3f}{(times[name] + fwd) / old:>16.3f}")
    print(f"{'forward (MLP)':<20}{fwd:>10.3f}")


if __name__ == "__main__":
    main()
