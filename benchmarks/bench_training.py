"""Certified training of skorch nets: each ``training`` method on the 8x8 digits, side by side.

The same net (an MLP and the small CNN of ``examples/plot_skorch_digits.py``) is
trained with ``training="noise"``, ``"consistency"``, ``"smoothadv"`` and
``"macer"`` (their default ``training_params``) for the same epochs, from the
same seeds, at sigma = 0.25 and 0.5, then certified on the same test digits.
It prints, per net, sigma and method, averaged over the seeds: the base net's
accuracy on clean test digits, the smoothed classifier's certified accuracy at
several l2 radii (pixels scaled to [0, 1]), the average certified radius (ACR)
and its change against ``"noise"``, and the training time against
``"noise"`` (fits timed one after the other in this run).

    python benchmarks/bench_training.py                # about 2-3 minutes on 2 CPU cores
    python benchmarks/bench_training.py --device cuda --n-test 500 --n-samples 10000
"""

import argparse
import time

import numpy as np
import torch
from skorch import NeuralNetClassifier
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from bench_torch import MLP as TorchBenchMLP
from bench_torch import SmallCNN
from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth.metrics import average_certified_radius, certified_accuracy

METHODS = ["noise", "consistency", "smoothadv", "macer"]
RADII = [0.0, 0.25, 0.5, 0.75, 1.0]


class MLP(TorchBenchMLP):
    """bench_torch's MLP with 128 hidden units: 64-128-128-10."""

    def __init__(self, hidden=128):
        super().__init__(n_hidden=hidden)


def make_net(module, epochs, device):
    return NeuralNetClassifier(
        module, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=0.01,
        max_epochs=epochs, batch_size=64, train_split=None, verbose=0, device=device,
    )  # fmt: skip


def run(module, method, sigma, seed, data, args):
    X_train, X_test, y_train, y_test = data
    clf = SmoothedClassifier(
        make_net(module, args.epochs, args.device), GaussianNoise(sigma), training=method,
        n_samples=args.n_samples, n_select=args.n_select, alpha=0.001, random_state=seed,
    )  # fmt: skip
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    clean = np.mean(clf.estimator_.predict(X_test.astype(np.float32)) == y_test)
    y_pred, radius = clf.certify(X_test)
    return {
        "clean": clean,
        "cert": certified_accuracy(y_test, y_pred, radius, at=RADII),
        "acr": average_certified_radius(y_test, y_pred, radius),
        "time": fit_time,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n-test", type=int, default=100, help="test digits certified")
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--n-select", type=int, default=50)
    parser.add_argument("--sigmas", type=float, nargs="+", default=[0.25, 0.5])
    parser.add_argument("--nets", nargs="+", default=["mlp", "cnn"], choices=["mlp", "cnn"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (CPU)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
    data = X_train, X_test[: args.n_test], y_train, y_test[: args.n_test]
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"device: {device} ({torch.get_num_threads()} torch threads); {len(X_train)} training "
          f"digits, {args.epochs} epochs, seeds {args.seeds}; {len(data[1])} test digits "
          f"certified with n={args.n_samples}, n0={args.n_select}, alpha=0.001")
    head = " ".join(f"r={r:<5}" for r in RADII)
    modules = {"mlp": MLP, "cnn": SmallCNN}
    warm = argparse.Namespace(**{**vars(args), "epochs": 1})
    for method in METHODS:  # warm-up: first calls are slower, and "noise" is timed first
        run(MLP, method, 0.25, 0, (X_train[:256], X_test[:2], y_train[:256], y_test[:2]), warm)
    for name in args.nets:
        for sigma in args.sigmas:
            print(f"\n{name.upper()}  sigma={sigma}")
            print(f"{'method':<12} {'clean':>6}  certified accuracy at {head}  {'ACR':>6} "
                  f"{'vs noise':>8} {'time x':>7}")
            base = None
            for method in METHODS:
                runs = [run(modules[name], method, sigma, s, data, args) for s in args.seeds]
                clean = np.mean([r["clean"] for r in runs])
                cert = np.mean([r["cert"] for r in runs], axis=0)
                acr = np.mean([r["acr"] for r in runs])
                fit_time = np.mean([r["time"] for r in runs])
                if base is None:
                    base = acr, fit_time
                cells = " ".join(f"{c:<7.3f}" for c in cert)
                print(f"{method:<12} {clean:6.3f}  {'':21} {cells}  {acr:6.3f} "
                      f"{100 * (acr / base[0] - 1):+7.1f}% {fit_time / base[1]:7.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
