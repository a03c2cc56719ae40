"""Throughput of the torch path: certify vs the bare forward pass of the same module.

On the device present (CUDA if available, else the CPU; ``--device`` to choose),
for each model this prints the noisy rows per second of

* ``certify``: ``SmoothedClassifier(FrozenEstimator(net)).certify`` on
  ``--n-inputs`` inputs, i.e. ``n_inputs * (n_samples + n_select)`` noisy rows
  (noise drawn on the device, forward, argmax, bincount, counts to the host,
  Clopper-Pearson bounds);
* ``forward``: the same module called in eval mode under ``no_grad`` on the
  same number of rows in batches of the same size, on a fixed input tensor
  already on the device (no noise, no counting) — the floor certify can reach;

and their ratio (target: certify >= 0.80 of forward). Each figure is the best of
``--repeats`` runs, the two measured alternately in the same process. On the
CPU the ratio is also given in process CPU time (``cpu ratio``), which a machine
shared with other jobs disturbs less than wall-clock time, and as the
``fwd share``: the share of certify's own wall time spent inside the module's
forward (timed by forward hooks during the same certify runs), i.e. the ratio
certify would reach if its forward passes ran as fast as the bare ones.

Usage::

    python benchmarks/bench_torch.py [--device cpu] [--n-inputs 50] [--n-samples 10000]
"""

import argparse
import time

import numpy as np
import torch
from skorch import NeuralNetClassifier
from sklearn.frozen import FrozenEstimator
from torch import nn

from sksmooth import GaussianNoise, SmoothedClassifier


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


def bench(name, module_cls, device, args):
    torch.manual_seed(0)
    net = NeuralNetClassifier(module_cls, device=str(device), verbose=0).initialize()
    rng = np.random.default_rng(0)
    X = rng.random((args.n_inputs, 64))
    y = np.arange(args.n_inputs) % 10
    clf = SmoothedClassifier(FrozenEstimator(net), GaussianNoise(0.25), n_samples=args.n_samples,
                             n_select=args.n_select, batch_size=args.batch_size,
                             random_state=0).fit(X, y)
    rows = args.n_inputs * (args.n_samples + args.n_select)
    module = net.module_.eval()
    buf = torch.rand((args.batch_size, 64), device=device)
    n_full, last = divmod(rows, args.batch_size)

    def forward():
        with torch.no_grad():
            for _ in range(n_full):
                module(buf)
            if last:
                module(buf[:last])
        sync(device)

    def certify():
        clf.certify(X)
        sync(device)

    inside = [0.0, None]  # forward time accumulated by the hooks; start of the current call

    def pre_hook(module, inputs):
        inside[1] = time.perf_counter()

    def post_hook(module, inputs, output):
        inside[0] += time.perf_counter() - inside[1]

    clf.certify(X[:2])  # warm-up
    forward()
    best = {"certify": np.inf, "forward": np.inf}
    cpu = {"certify": np.inf, "forward": np.inf}
    share = 0.0
    for _ in range(args.repeats):
        for key, fn in (("certify", certify), ("forward", forward)):
            hooks = []
            if key == "certify" and device.type == "cpu":
                inside[0] = 0.0
                hooks = [module.register_forward_pre_hook(pre_hook),
                         module.register_forward_hook(post_hook)]
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall = time.perf_counter() - t0
            best[key] = min(best[key], wall)
            cpu[key] = min(cpu[key], time.process_time() - c0)
            if hooks:
                share = max(share, inside[0] / wall)
                for hook in hooks:
                    hook.remove()
    rate_c, rate_f = rows / best["certify"], rows / best["forward"]
    cpu_ratio = (f"{cpu['forward'] / cpu['certify']:>10.2f}{share:>10.2f}"
                 if device.type == "cpu" else "")
    print(f"{name:<6} {rows:>9d} {args.batch_size:>6d} {rate_c:>14,.0f} {rate_f:>14,.0f} "
          f"{rate_c / rate_f:>6.2f}{cpu_ratio}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--n-inputs", type=int, default=50)
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--n-select", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16384)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args()
    device = torch.device(args.device)
    desc = torch.cuda.get_device_name(device) if device.type == "cuda" else (
        f"CPU, {torch.get_num_threads()} torch threads")
    print(f"device: {desc}; torch {torch.__version__}")
    print(f"{'model':<6} {'rows':>9} {'batch':>6} {'certify rows/s':>14} {'forward rows/s':>14} "
          f"{'ratio':>6}"
          + (f"{'cpu ratio':>10}{'fwd share':>10}" if device.type == "cpu" else ""))
    models = {"mlp": MLP, "cnn": SmallCNN}
    for name in args.models.split(","):
        bench(name, models[name], device, args)


if __name__ == "__main__":
    main()
