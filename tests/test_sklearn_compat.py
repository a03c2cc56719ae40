"""scikit-learn's estimator checks, with no expected-failure list.

Every check passes with the default ``abstain_label="auto"`` (issue 13): on the
labels {-1, 1} of ``check_classifiers_classes`` it abstains with -2, a free label
of the classes' kind. ``test_default_instance_passes_every_check`` runs them on
``SmoothedClassifier()`` itself, with no parameter changed.
"""

from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksmooth import GaussianNoise, SmoothedClassifier


@parametrize_with_checks(
    [
        SmoothedClassifier(LogisticRegression(), n_samples=300, n_select=20),
        SmoothedClassifier(
            DecisionTreeClassifier(max_depth=4), GaussianNoise(0.1), n_samples=300, n_select=20,
        ),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@parametrize_with_checks([SmoothedClassifier()])
def test_default_instance_passes_every_check(estimator, check):
    check(estimator)
