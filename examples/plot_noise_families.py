"""
Choosing the noise: certified accuracy of each family on one tabular dataset
============================================================================

The same base model, smoothed by each noise family, certified on the same test rows of
the breast-cancer data. Each family certifies a different threat, so each curve lives in
its own norm: Gaussian noise certifies l2 balls, Laplace and uniform noise l1 balls, and
random ablation (``SubspaceNoise``, ``BernoulliMaskNoise``) the number of features an
attacker may rewrite (l0). Compare curves within a panel, not across panels.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sksmooth import (
    BernoulliMaskNoise,
    GaussianNoise,
    LaplaceNoise,
    SmoothedClassifier,
    SubspaceNoise,
    UniformNoise,
)
from sksmooth.metrics import certified_accuracy

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=80, stratify=y,
                                                    random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# One smoothed classifier per family. Laplace noise of scale ``s`` has standard deviation
# ``sqrt(2) s`` and uniform noise on ``[-s, s]`` has ``s / sqrt(3)``; the levels below
# give the additive noises comparable per-feature power. Ablation keeps 5 of the 30
# features per draw (or each with probability 0.15); the base model is trained on
# ablated copies (``noise_augment``).
families = {
    "l2": {"Gaussian sigma=0.5": GaussianNoise(0.5)},
    "l1": {"Laplace scale=0.35": LaplaceNoise(0.35), "Uniform scale=0.87": UniformNoise(0.87)},
    "l0": {"Subspace k=5": SubspaceNoise(5), "Bernoulli p=0.15": BernoulliMaskNoise(0.15)},
}
curves = {}
for norm, noises in families.items():
    for name, noise in noises.items():
        clf = SmoothedClassifier(LogisticRegression(), noise, n_samples=500, alpha=0.001,
                                 noise_augment=4, random_state=0).fit(X_train, y_train)
        y_pred, radius = clf.certify(X_test)
        assert clf.noise_.norm == norm
        curves[name] = (norm, y_pred, radius)
        print(f"{name:22s} {norm}: clean certified accuracy "
              f"{certified_accuracy(y_test, y_pred, radius):.2f}, "
              f"median radius of certified rows {np.median(radius[y_pred != -1]):.2f}")

# %%
# Certified accuracy against the radius, one panel per norm.
fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), sharey=True)
for ax, norm in zip(axes, families):
    top = max(radius.max() for n, _, radius in curves.values() if n == norm)
    grid = np.arange(0, top + 1) if norm == "l0" else np.linspace(0, top, 100)
    for name, (n, y_pred, radius) in curves.items():
        if n == norm:
            style = {"drawstyle": "steps-post"} if norm == "l0" else {}
            ax.plot(grid, certified_accuracy(y_test, y_pred, radius, at=grid), label=name,
                    **style)
    ax.set_xlabel(f"{norm} radius" + (" (features changed)" if norm == "l0" else ""))
    ax.legend()
axes[0].set_ylabel("certified accuracy")
fig.tight_layout()
plt.show()
