"""Throughput of the torch path: certify vs the bare forward pass vs a Cohen et al.-style loop.

On the device present (CUDA if available, else the CPU; ``--device`` to choose),
for each model this prints, measured alternately in one process (best of
``--repeats`` runs, the same torch thread count for all), the noisy rows per
second of

* ``forward@B``: the module alone, eval mode under ``no_grad``, on the same
  number of rows certify evaluates, in batches of ``B`` rows of a fixed input
  tensor already on the device (no noise, no counting), for every ``B`` in
  ``--batches``; ``forward best`` is the fastest of them: the floor certify
  can reach;
* ``certify auto``: ``SmoothedClassifier(FrozenEstimator(net)).certify`` on
  ``--n-inputs`` inputs with ``batch_size=None``, i.e. ``n_inputs *
  (n_samples + n_select)`` noisy rows (noise drawn on the device, forward,
  argmax, bincount, counts to the host, Clopper-Pearson bounds), at the batch
  size the engine tuned by throughput on the model's first call and reuses
  after it; ``certify auto, 1st call``: the same with the tuning forgotten
  before each run (the cost of a model's first call, ladder included);
* ``certify@B``: the same with ``batch_size=B``, for every ``B``;
* ``cohen``: a reference loop written from Cohen et al. (ICML 2019), Algorithm
  CERTIFY, as their code does it: for each input, ``n0`` then ``n`` noisy
  copies in batches of ``--cohen-batch`` rows (``x.repeat`` + ``randn_like *
  sigma``), argmax, counts per class, then the Clopper-Pearson bound;

then the pieces of certify timed side by side with the forward at its best
batch (``parts``: ``randn``, the float64 add and rounding, argmax and
bincount, as fractions of the forward); every variant run once per round,
``--repeats`` rounds (machine drift hits all
alike), and the ratios ``certify auto / forward best`` (target <= 1.25; also
for the first call), ``certify@B / forward@B`` at the forward's best ``B``
(what the noise and counting cost at one batch size) and ``cohen / certify
auto`` (> 1: sksmooth faster).

Usage::

    python benchmarks/bench_torch.py [--device cpu] [--n-inputs 20] [--n-samples 10000]
"""

import argparse
import os
import time

import numpy as np
import torch
from scipy.stats import beta, norm
from skorch import NeuralNetClassifier
from sklearn.frozen import FrozenEstimator
from torch import nn

from sksmooth import GaussianNoise, SmoothedClassifier
import sksmooth._engine as engine
from sksmooth._torch import auto_batch_size, batch_tuner

SIGMA, ALPHA = 0.25, 0.001


class MLP(nn.Module):
    def __init__(self, n_in=64, n_hidden=256, n_out=10):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(n_in, n_hidden), nn.ReLU(),
            nn.Linear(n_hidden, n_hidden), nn.ReLU(),
            nn.Linear(n_hidden, n_out),
        )  # fmt: skip

    def forward(self, X):
        return self.layers(X)


class SmallCNN(nn.Module):
    """The example's network (examples/plot_skorch_digits.py): 8x8 images, 10 classes."""

    def __init__(self, channels=16):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(),
                                      nn.MaxPool2d(2))
        self.head = nn.Linear(channels * 4 * 4, 10)

    def forward(self, X):
        return self.head(self.features(X.reshape(-1, 1, 8, 8)).flatten(1))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def cohen_certify(module, X, n0, n, batch, device, n_classes=10):
    """Cohen et al.'s CERTIFY, written from the paper: per input, batches of noisy copies."""

    def counts(x, num):
        out = torch.zeros(n_classes, dtype=torch.long, device=device)
        left = num
        while left:
            size = min(batch, left)
            left -= size
            copies = x.repeat(size, 1)
            noisy = copies + torch.randn_like(copies) * SIGMA
            out += torch.bincount(module(noisy).argmax(1), minlength=n_classes)
        return out.cpu().numpy()

    pred, radius = np.empty(len(X), dtype=int), np.zeros(len(X))
    X_dev = torch.as_tensor(X, dtype=torch.float32, device=device)
    with torch.no_grad():
        for i in range(len(X)):
            c_a = int(counts(X_dev[i : i + 1], n0).argmax())
            n_a = int(counts(X_dev[i : i + 1], n)[c_a])
            p_lower = beta.ppf(ALPHA, n_a, n - n_a + 1) if n_a else 0.0  # one-sided CP
            pred[i] = c_a if p_lower > 0.5 else -1
            radius[i] = SIGMA * norm.ppf(p_lower) if p_lower > 0.5 else 0.0
    return pred, radius


def time_parts(module, forward, rows, batch, device, repeats, n_features=64, block=4096):
    """Seconds of certify's pieces for ``rows`` noisy rows, run alternately, best of ``repeats``.

    ``forward``: the benchmark's bare forward run at ``batch`` rows;
    ``randn``: the Gaussians in blocks of ``block`` draws, scaled;
    ``add``: a float64 row plus the draws, rounded into a float32 batch;
    ``count``: argmax and bincount of the outputs.
    """
    gen = torch.Generator(device=device).manual_seed(0)
    x = torch.rand((1, n_features), dtype=torch.float64, device=device)
    buf = torch.rand((batch, n_features), device=device)
    draws = torch.randn((batch, n_features), device=device)
    scratch = torch.empty((batch, n_features), dtype=torch.float64, device=device)
    with torch.no_grad():
        out = module(buf)
    owner = torch.zeros(batch, dtype=torch.int64, device=device)
    n_batches = max(1, rows // batch)

    def randn():
        for _ in range(max(1, rows // block)):
            torch.randn((block, n_features), generator=gen, device=device).mul_(SIGMA)

    def add():
        for _ in range(n_batches):
            scratch.copy_(draws).add_(x)
            buf.copy_(scratch)

    def count():
        for _ in range(n_batches):
            torch.bincount(owner * 10 + out.argmax(1), minlength=10 * 20)

    runs = {"forward": forward, "randn": randn, "add": add, "count": count}
    best = {key: np.inf for key in runs}
    for _ in range(repeats):
        for key, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            sync(device)
            best[key] = min(best[key], time.perf_counter() - t0)
    return best


def bench(name, module_cls, device, args):
    torch.manual_seed(0)
    net = NeuralNetClassifier(module_cls, device=str(device), verbose=0).initialize()
    rng = np.random.default_rng(0)
    X = rng.random((args.n_inputs, 64))
    y = np.arange(args.n_inputs) % 10
    rows = args.n_inputs * (args.n_samples + args.n_select)
    module = net.module_.eval()

    def smoothed(batch_size):
        return SmoothedClassifier(
            FrozenEstimator(net), GaussianNoise(SIGMA), n_samples=args.n_samples,
            n_select=args.n_select, batch_size=batch_size, random_state=0,
        ).fit(X, y)

    def forward(batch):
        buf = torch.rand((batch, 64), device=device)
        n_full, last = divmod(rows, batch)

        def run():
            with torch.no_grad():
                for _ in range(n_full):
                    module(buf)
                if last:
                    module(buf[:last])
            sync(device)

        return run

    def certify(clf):
        def run():
            clf.certify(X)
            sync(device)
        return run

    def cohen():
        cohen_certify(module, X, args.n_select, args.n_samples, args.cohen_batch, device)
        sync(device)

    settled = []
    tuner_cls = type(batch_tuner(64, None))
    record = tuner_cls.record

    def spy(self, rows_, seconds):  # which size the tuner settles on (benchmark only)
        record(self, rows_, seconds)
        if self.settled and self.cap > self.first:
            settled.append(self.size)

    auto = smoothed(None)

    def cold():  # benchmark only: forget the size tuned on earlier calls (a model's first call)
        engine._SETTLED.clear()
        certify(auto)()

    runs = {f"forward@{b}": forward(b) for b in args.batches}
    runs["certify auto"] = certify(auto)
    runs["certify auto, 1st call"] = cold
    runs.update({f"certify@{b}": certify(smoothed(b)) for b in args.batches})
    runs["cohen"] = cohen
    best = {key: np.inf for key in runs}
    for key, fn in runs.items():  # warm-up
        if key != "cohen":
            fn()
    tuner_cls.record = spy
    try:
        for _ in range(args.repeats):  # every variant once per round: drifts hit all alike
            for key, fn in runs.items():
                t0 = time.perf_counter()
                fn()
                best[key] = min(best[key], time.perf_counter() - t0)
    finally:
        tuner_cls.record = record
    fwd = {b: best[f"forward@{b}"] for b in args.batches}
    b_best = min(fwd, key=fwd.get)
    parts = time_parts(module, runs[f"forward@{b_best}"], rows, b_best, device, args.repeats)
    print(f"\n{name}: {rows:,} noisy rows; tuner settled on "
          f"{sorted(set(settled)) or '-'} rows")
    for key in runs:
        print(f"  {key:<22} {rows / best[key]:>12,.0f} rows/s  {best[key]:>7.3f} s")
    warm, first = best["certify auto"], best["certify auto, 1st call"]
    print(f"  certify auto / forward best (@{b_best}): time ratio {warm / fwd[b_best]:.2f} "
          f"(target <= 1.25); a model's first call {first / fwd[b_best]:.2f}")
    print(f"  certify@{b_best} / forward@{b_best}: {best[f'certify@{b_best}'] / fwd[b_best]:.2f} "
          "(the noise, counting and copies at one batch size)")
    print(f"  parts at {b_best} rows, side by side: " + ", ".join(
        f"{k} {v:.3f} s ({v / parts['forward']:.2f})" for k, v in parts.items()))
    print(f"  cohen / certify auto: {best['cohen'] / warm:.2f} (> 1: sksmooth faster)")
    old = auto_batch_size(64)
    if f"certify@{old}" in best:
        print(f"  certify@{old} (old default) / certify auto: {best[f'certify@{old}'] / warm:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--n-inputs", type=int, default=20)
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--n-select", type=int, default=100)
    parser.add_argument("--batches", type=int, nargs="+",
                        default=[256, 512, 1024, 2048, 4096, 16384, 32768])
    parser.add_argument("--cohen-batch", type=int, default=1000,
                        help="Cohen et al.'s code uses --batch 1000 on ImageNet/CIFAR")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    desc = torch.cuda.get_device_name(device) if device.type == "cuda" else (
        f"CPU, {torch.get_num_threads()} torch threads (all runs)")
    print(f"device: {desc}; torch {torch.__version__}; sigma={SIGMA}, n={args.n_samples}, "
          f"n0={args.n_select}, {args.n_inputs} inputs, best of {args.repeats}, "
          f"load average {os.getloadavg()[0]:.1f}")
    models = {"mlp": MLP, "cnn": SmallCNN}
    for name in args.models.split(","):
        bench(name, models[name], device, args)


if __name__ == "__main__":
    main()
