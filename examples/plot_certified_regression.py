"""
Certified regression on the diabetes data
=========================================

:class:`~sksmooth.SmoothedRegressor` predicts the median of a regressor's
outputs under random noise, and bounds that median at every point within a
radius (median smoothing). This example certifies a decision tree and a
linear model (both exact, no sampling; the tree also by Monte Carlo, for
comparison) on scikit-learn's diabetes data, plots the bounds of a few
patients against the radius, and reports the certified coverage: the fraction
of patients whose whole certified interval is within a tolerance of their true
disease progression.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from sksmooth import GaussianNoise, SmoothedRegressor
from sksmooth.metrics import certified_coverage, mean_certified_half_width
from sksmooth.plotting import CertifiedBoundsDisplay

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# A tree, certified exactly and by sampling
# -----------------------------------------
# Gaussian noise of standard deviation 0.25 on the standardized features. Under
# this product noise the tree's output is discrete, each leaf's value with an
# exactly computable probability, so the smoothed median and its bounds are
# exact (``certification_ == "exact-tree"``). With ``method="monte_carlo"`` the
# bounds at radius ``r`` are order statistics of 2,000 noisy outputs instead,
# valid with probability 1 - alpha = 0.999 per patient, and a little wider.

tree = SmoothedRegressor(
    DecisionTreeRegressor(max_depth=4, random_state=0),
    noise=GaussianNoise(sigma=0.25),
    random_state=0,
).fit(X_train, y_train)
sampled = SmoothedRegressor(
    DecisionTreeRegressor(max_depth=4, random_state=0),
    noise=GaussianNoise(sigma=0.25),
    n_samples=2000,
    method="monte_carlo",
    random_state=0,
).fit(X_train, y_train)
print(tree.certification_, sampled.certification_)
_, lower_mc, upper_mc = sampled.certify(X_test, radius=0.1)
print(f"tree (Monte Carlo), r = 0.1: mean half-width "
      f"{mean_certified_half_width(lower_mc, upper_mc):.1f}")
y_pred, lower, upper = tree.certify(X_test, radius=0.1)
print(f"tree (exact), r = 0.1: mean half-width {mean_certified_half_width(lower, upper):.1f}, "
      f"certified coverage at tolerance 60: "
      f"{certified_coverage(y_test, lower, upper, tolerance=60.0):.2f}")

# %%
# A linear model, exact
# ---------------------
# For a linear regressor the smoothed median is ``w.x + b`` and the bounds are
# ``w.x + b -/+ r ||w||_2``, with no sampling and no alpha.

ridge = SmoothedRegressor(Ridge(), noise=GaussianNoise(sigma=0.25)).fit(X_train, y_train)
y_lin, lower_lin, upper_lin = ridge.certify(X_test, radius=0.1)
print(f"ridge, r = 0.1: mean half-width {mean_certified_half_width(lower_lin, upper_lin):.1f}, "
      f"certified coverage at tolerance 60: "
      f"{certified_coverage(y_test, lower_lin, upper_lin, tolerance=60.0):.2f}")

# %%
# Bounds against the radius
# -------------------------
# Three test patients: the band is where the smoothed prediction can be pushed
# by any perturbation of l2 norm below the radius; dots are the true targets.
# The tree's bands are steps (its outputs are discrete); they never leave the
# range of its leaf values.

radii = np.linspace(0.0, 0.4, 9)
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
CertifiedBoundsDisplay.from_estimator(tree, X_test[:3], y_test[:3], radii=radii, ax=axes[0])
axes[0].set_title("decision tree (exact)")
CertifiedBoundsDisplay.from_estimator(ridge, X_test[:3], y_test[:3], radii=radii, ax=axes[1])
axes[1].set_title("ridge (exact)")
plt.tight_layout()

# %%
# The inverse question
# --------------------
# ``certified_radius`` answers: how far may the input move while the smoothed
# prediction provably stays within 30 of its value?

print("tree:", np.round(tree.certified_radius(X_test[:5], tolerance=30.0), 3))
print("ridge:", np.round(ridge.certified_radius(X_test[:5], tolerance=30.0), 3))
