"""
Quickstart: certified robustness on tabular data
================================================

Wrap a random forest in :class:`~sksmooth.SmoothedClassifier`, certify the test rows of
the breast-cancer data, and plot certified accuracy against the l2 radius.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth.metrics import average_certified_radius, certified_accuracy

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

clf = SmoothedClassifier(
    RandomForestClassifier(n_estimators=50, random_state=0),
    noise=GaussianNoise(sigma=0.25),
    n_samples=2000,
    random_state=0,
).fit(X_train, y_train)

# %%
# ``certify`` returns the smoothed class (or ``-1`` to abstain) and the certified l2 radius.
y_pred, radius = clf.certify(X_test)
print("certified accuracy at r = 0, 0.25, 0.5:",
      certified_accuracy(y_test, y_pred, radius, at=[0.0, 0.25, 0.5]))
print("average certified radius:", round(average_certified_radius(y_test, y_pred, radius), 3))

# %%
radii = np.linspace(0, 1, 101)
plt.step(radii, certified_accuracy(y_test, y_pred, radius, at=radii), where="post")
plt.xlabel("l2 radius")
plt.ylabel("certified accuracy")
plt.title("Random forest smoothed with sigma = 0.25")
plt.show()
