"""
Certifying a small convolutional network trained with skorch
============================================================

A skorch :class:`~skorch.NeuralNetClassifier` is a base estimator like any other:
:class:`~sksmooth.SmoothedClassifier` trains it under Gaussian noise (fresh noise on
every training batch), then certifies it by counting the network's votes over
noisy copies of each input — the noise is drawn with torch on the network's
device (the CPU here, a GPU with ``device="cuda"``) and only the vote counts
come back. Labels are strings to show that any scikit-learn labels work.
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


class SmallCNN(nn.Module):
    """Rows of 64 pixels -> one 8x8 image -> 10 class scores."""

    def __init__(self, channels=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.head = nn.Linear(channels * 4 * 4, 10)

    def forward(self, X):
        return self.head(self.features(X.reshape(-1, 1, 8, 8)).flatten(1))


X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixels in [0, 1]: sigma is then a fraction of the pixel range
y = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])[y]
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

net = NeuralNetClassifier(
    SmallCNN,
    criterion=nn.CrossEntropyLoss,
    optimizer=torch.optim.Adam,
    lr=0.01,
    max_epochs=12,
    batch_size=64,
    train_split=None,
    verbose=0,
)
clf = SmoothedClassifier(
    net,
    noise=GaussianNoise(sigma=0.25),
    n_samples=1000,
    n_select=50,
    noise_augment=1,  # one noisy copy of every row per batch, fresh at every epoch
    random_state=0,
).fit(X_train, y_train)

# %%
# ``certify`` returns the smoothed class (or ``-1`` to abstain) and the certified l2
# radius, in the units of the scaled pixels.
y_pred, radius = clf.certify(X_test[:200])
y_true = y_test[:200]
print("certified accuracy at r = 0, 0.25, 0.5:",
      certified_accuracy(y_true, y_pred, radius, at=[0.0, 0.25, 0.5]))
print("average certified radius:", round(average_certified_radius(y_true, y_pred, radius), 3))

# %%
# The certified-accuracy curve: the share of test digits classified correctly *and*
# certified at each l2 radius.
radii = np.linspace(0, 1, 101)
plt.step(radii, certified_accuracy(y_true, y_pred, radius, at=radii), where="post")
plt.xlabel("l2 radius (pixels scaled to [0, 1])")
plt.ylabel("certified accuracy")
plt.title("Small CNN on 8x8 digits smoothed with sigma = 0.25")
plt.show()
