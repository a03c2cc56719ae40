"""
Abstaining predictions in a Pipeline on mixed numeric and categorical data
==========================================================================

A credit-style table with numeric and categorical columns goes through a
``ColumnTransformer`` (scaling and one-hot encoding) into a
:class:`~sksmooth.SmoothedClassifier`. Its ``predict_certified`` returns a decision
only where the smoothed vote is clear, and ``abstain_label`` elsewhere: here the
abstained applications go to a human reviewer.

.. note::
   The smoothed classifier is the *last* step, so the noise, and therefore the
   certificate, lives in the transformed space: standardized numeric columns and
   one-hot columns alike. A radius there is a statement about small changes of the
   scaled numbers; changing a category moves the input by ``sqrt(2)``, so a radius
   below 1.41 never covers a change of category.
"""

# %%
# A mixed table with string labels
# --------------------------------
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth.metrics import certified_accuracy

rng = np.random.default_rng(0)
n = 1200
data = pd.DataFrame({
    "income": rng.lognormal(10.5, 0.5, n).round(-2),
    "age": rng.integers(21, 70, n),
    "debt_ratio": rng.beta(2, 5, n).round(3),
    "employment": rng.choice(["salaried", "self-employed", "unemployed"], n, p=[.6, .3, .1]),
    "region": rng.choice(["north", "south", "east", "west"], n),
})
score = (np.log(data["income"]) - 10.5) * 2 - 4 * (data["debt_ratio"] - 0.3) \
    + 0.02 * (data["age"] - 45) - 1.5 * (data["employment"] == "unemployed") \
    + rng.normal(0, 0.4, n)
target = np.where(score > 0, "approve", "deny")
X_train, X_test, y_train, y_test = train_test_split(data, target, test_size=200,
                                                    random_state=0)
data.head()

# %%
# The pipeline: encode, then smooth
# ---------------------------------
# ``abstain_label="review"`` is returned where the smoothed classifier will not commit.
numeric = ["income", "age", "debt_ratio"]
categorical = ["employment", "region"]
model = Pipeline([
    ("encode", ColumnTransformer([
        ("num", StandardScaler(), numeric),
        ("cat", OneHotEncoder(sparse_output=False), categorical),
    ])),
    ("smooth", SmoothedClassifier(
        RandomForestClassifier(n_estimators=20, min_samples_leaf=3, random_state=0),
        noise=GaussianNoise(sigma=0.25),
        n_samples=500,
        alpha=0.01,
        abstain_label="review",
        random_state=0,
    )),
]).fit(X_train, y_train)

# %%
# Decisions with abstention
# -------------------------
# ``predict_certified`` (Cohen et al.'s PREDICT) is not a method of ``Pipeline``, so we
# call it on the last step with the transformed inputs. Each returned decision equals the
# smoothed classifier's with probability at least ``1 - alpha``.
X_test_t = model[:-1].transform(X_test)
decision = model[-1].predict_certified(X_test_t)
summary = pd.crosstab(pd.Series(y_test, name="truth"), pd.Series(decision, name="decision"))
print(summary)
committed = decision != "review"
print(f"\nabstained (sent to review): {np.mean(~committed):.1%}")
accuracy_committed = np.mean(decision[committed] == y_test[committed])
print(f"accuracy where a decision was made: {accuracy_committed:.3f}")
print(f"accuracy of the plain smoothed vote (no abstention): "
      f"{np.mean(model.predict(X_test) == y_test):.3f}")

# %%
# Where does the model abstain?
# -----------------------------
# Abstentions concentrate near the decision boundary, where the noisy votes split.
# Certifying gives a radius for each committed decision (in the transformed space).
y_cert, radius = model[-1].certify(X_test_t)
shown = X_test.assign(truth=y_test, decision=decision, radius=radius.round(3))
shown.sort_values("radius").head(8)

# %%
print("certified accuracy at r = 0, 0.1, 0.25:",
      certified_accuracy(y_test, y_cert, radius, at=[0.0, 0.1, 0.25]).round(3))
