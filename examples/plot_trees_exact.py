"""
Exact certificates for trees and stump ensembles
================================================

Under noise that is independent across features, the smoothed classifier of a
tree model is computed exactly from its leaf boxes (or, for boosted stumps, from
the distribution of a sum of one-feature step functions). No sampling is
involved, so the certified radius is not capped by the number of Monte Carlo
draws. This example compares the exact certified-accuracy curves of a soft
random forest and of boosted stumps with Monte Carlo certificates of the same
fitted models (n = 1,000 draws, alpha = 0.001, on a few inputs to keep it fast).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.preprocessing import StandardScaler

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth.metrics import certified_accuracy

X, y = make_classification(n_samples=900, n_features=8, n_informative=5, n_redundant=0,
                           class_sep=1.5, random_state=0)
X = StandardScaler().fit_transform(X)
X_train, y_train, X_test, y_test = X[:600], y[:600], X[600:], y[600:]
sigma, n, alpha = 0.5, 1000, 0.001
cap = sigma * norm.ppf(alpha ** (1 / n))  # the largest radius n draws can certify

# %%
# Fit, then certify both ways
# ---------------------------
# ``certification_`` names the path ``certify`` takes by default. The exact path
# certifies all 300 test inputs; Monte Carlo certifies the first 60.
models = {
    "random forest (soft vote)": (RandomForestClassifier(30, max_depth=6, random_state=0),
                                  "soft"),
    "boosted stumps": (GradientBoostingClassifier(n_estimators=60, max_depth=1,
                                                  random_state=0), "hard"),
}
radii = np.linspace(0, 3.5, 141)
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, (name, (base, vote)) in zip(axes, models.items()):
    clf = SmoothedClassifier(base, GaussianNoise(sigma), vote=vote, n_samples=n,
                             alpha=alpha, random_state=0).fit(X_train, y_train)
    start = time.perf_counter()
    y_ex, r_ex = clf.certify(X_test)
    t_ex = (time.perf_counter() - start) / len(X_test)
    start = time.perf_counter()
    y_mc, r_mc = clf.set_params(method="monte_carlo").certify(X_test[:60])
    t_mc = (time.perf_counter() - start) / 60
    print(f"{name}: {clf.set_params(method='auto').certification_}, "
          f"{t_ex * 1e3:.2f} ms per input exact, {t_mc * 1e3:.1f} ms Monte Carlo")
    ax.plot(radii, [certified_accuracy(y_test, y_ex, r_ex, at=r) for r in radii],
            label="exact (300 inputs)")
    ax.plot(radii, [certified_accuracy(y_test[:60], y_mc, r_mc, at=r) for r in radii],
            label=f"Monte Carlo, n={n} (60 inputs)")
    ax.axvline(cap, color="gray", ls=":", label=f"Monte Carlo cap {cap:.2f}")
    ax.set_title(name)
    ax.set_xlabel("radius (l2)")
axes[0].set_ylabel("certified accuracy")
axes[0].legend()
fig.tight_layout()
plt.show()

# %%
# Past the cap, only the exact curve continues. Below it, the exact curve lies
# above the Monte Carlo one, which pays for its confidence level ``alpha``.
# Forests with ``vote="hard"``, correlated Gaussian noise and the l0 masks have
# no closed form: there ``method="auto"`` samples.
