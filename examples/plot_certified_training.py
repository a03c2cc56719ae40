"""
Training a network for certified robustness
===========================================

The radius a smoothed classifier can certify depends on how its base network was
trained. :class:`~sksmooth.SmoothedClassifier` trains a skorch net with
``training="noise"`` (Gaussian data augmentation, the default) or with one of
three methods designed for randomized smoothing: ``"consistency"`` (Jeong & Shin,
2020), ``"smoothadv"`` (Salman et al., 2019) and ``"macer"`` (Zhai et al., 2020).
Their hyperparameters go in ``training_params``.

This example trains the same small MLP on the 8x8 digits with each method, for the
same few epochs and from the same seed, and compares the certified-accuracy curves
at sigma = 0.5. It is kept tiny to run in seconds on a CPU; the user guide
("Training for certified robustness") has the figures of a longer benchmark.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from skorch import NeuralNetClassifier
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth.metrics import average_certified_radius, certified_accuracy

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels in [0, 1]
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
X_test, y_test = X_test[:80], y_test[:80]


def make_net():
    module = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    return NeuralNetClassifier(
        module, criterion=nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=0.01,
        max_epochs=8, batch_size=64, train_split=None, verbose=0,
    )  # fmt: skip


# %%
# One smoothed classifier per method. ``training_params`` sets a method's
# hyperparameters (here fewer noise draws and attack steps than the defaults,
# to keep the example fast); ``None`` keeps the defaults.
methods = {
    "noise": None,
    "consistency": {"m": 2, "lambda": 3.0},
    "smoothadv": {"m": 2, "epsilon": 0.5, "steps": 1},
    "macer": {"m": 4, "lambda": 4.0},
}
radii = np.linspace(0, 1.2, 121)
for method, params in methods.items():
    torch.manual_seed(0)  # the module instance above is initialised when made
    clf = SmoothedClassifier(
        make_net(), GaussianNoise(sigma=0.5), training=method, training_params=params,
        n_samples=500, n_select=50, random_state=0,
    ).fit(X_train, y_train)
    y_pred, radius = clf.certify(X_test)
    acr = average_certified_radius(y_test, y_pred, radius)
    print(f"{method:<12} certified accuracy at r=0.25: "
          f"{certified_accuracy(y_test, y_pred, radius, at=0.25):.2f}   ACR: {acr:.3f}")
    plt.step(radii, certified_accuracy(y_test, y_pred, radius, at=radii), where="post",
             label=f"{method} (ACR {acr:.2f})")

# %%
# With so few epochs and test digits the curves are noisy; the benchmark
# ``benchmarks/bench_training.py`` compares the methods over more epochs.
plt.xlabel("l2 radius (pixels scaled to [0, 1])")
plt.ylabel("certified accuracy")
plt.title("MLP on 8x8 digits, sigma = 0.5, 8 epochs")
plt.legend()
plt.show()
