"""scikit-learn's estimator checks, with no expected-failure list.

The instances use ``abstain_label=-99``: ``check_classifiers_classes`` trains on
the labels {-1, 1}, and a class equal to the default ``abstain_label=-1`` is,
by design, an error at fit (an abstention would be indistinguishable from a
prediction). Every check passes with that one setting changed.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksmooth import GaussianNoise, SmoothedClassifier


@parametrize_with_checks(
    [
        SmoothedClassifier(LogisticRegression(), n_samples=300, n_select=20, abstain_label=-99),
        SmoothedClassifier(
            DecisionTreeClassifier(max_depth=4), GaussianNoise(0.1), n_samples=300, n_select=20,
            abstain_label=-99,
        ),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
