"""scikit-learn's estimator checks for SmoothedRegressor, with no expected-failure list.

``SmoothedRegressor()`` (the default ``LinearRegression`` base, exact path), a
``DecisionTreeRegressor`` base (the exact tree path) and the same tree sampled
(Monte Carlo path, fewer draws to keep the checks fast).
"""

from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksmooth import GaussianNoise, SmoothedRegressor


@parametrize_with_checks(
    [
        SmoothedRegressor(),
        SmoothedRegressor(DecisionTreeRegressor(max_depth=4), GaussianNoise(0.1)),
        SmoothedRegressor(DecisionTreeRegressor(max_depth=4), GaussianNoise(0.1), n_samples=200,
                          method="monte_carlo"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
