"""
Quickstart: certified robustness on tabular data
================================================

Wrap a random forest in :class:`~sksmooth.SmoothedClassifier`, certify the test rows of
the breast-cancer data, and plot certified accuracy against the l2 radius.
"""

# %%
# Data and model
# --------------
# The noise is added to the inputs of the smoothed classifier, so we standardize first:
# then ``sigma=0.25`` means a quarter of a standard deviation for every feature.
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth.metrics import average_certified_radius, certified_accuracy
from sksmooth.plotting import CertifiedAccuracyDisplay

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

model = make_pipeline(
    StandardScaler(),
    SmoothedClassifier(
        RandomForestClassifier(n_estimators=30, random_state=0),
        noise=GaussianNoise(sigma=0.25),
        n_samples=1000,  # Monte Carlo draws per input; the default is 10,000
        random_state=0,
    ),
).fit(X_train, y_train)

# %%
# Certify
# -------
# ``certify`` returns the smoothed class (or ``abstain_label_``, here ``-1``) and the certified l2
# radius, in the standardized units the smoothed classifier sees.
smoothed = model[-1]
X_test_t = model[:-1].transform(X_test)
y_pred, radius = smoothed.certify(X_test_t)
for label, r in zip(y_pred[:5], radius[:5]):
    print(f"class {label}, certified radius {r:.3f}")
print("abstained:", int((y_pred == smoothed.abstain_label_).sum()), "of", len(y_pred))
print("certified accuracy at r = 0, 0.25, 0.5:",
      certified_accuracy(y_test, y_pred, radius, at=[0.0, 0.25, 0.5]).round(3))
print("average certified radius:", round(average_certified_radius(y_test, y_pred, radius), 3))

# %%
# Plot
# ----
# The curve is exact (a step at every certified radius); the star marks the accuracy of
# the base forest on the clean test rows.
# (``estimator_`` is trained on encoded labels, 0 .. n_classes - 1: map them back by
# ``classes_``.)
clean_accuracy = (smoothed.classes_[smoothed.estimator_.predict(X_test_t)] == y_test).mean()
display = CertifiedAccuracyDisplay.from_predictions(
    y_test, y_pred, radius, name="random forest, sigma = 0.25", norm="l2",
    clean_accuracy=clean_accuracy,
)
_ = display.ax_.set_title("Certified accuracy on breast cancer")
