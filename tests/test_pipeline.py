"""sksmooth.certify through Pipelines (sksmooth/_pipeline.py)."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier

import sksmooth
from sksmooth import GaussianNoise, SmoothedClassifier


def _smoothed():
    return SmoothedClassifier(DecisionTreeClassifier(max_depth=3, random_state=0),
                              noise=GaussianNoise(sigma=0.3), n_samples=300, n_select=30,
                              random_state=0)


def test_certify_through_pipeline_equals_hand_unwrapping():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), _smoothed()).fit(X, y)
    y_pred, radius = sksmooth.certify(pipe, X[::10])
    y_hand, r_hand = pipe[-1].certify(pipe[:-1].transform(X[::10]))
    np.testing.assert_array_equal(y_pred, y_hand)
    np.testing.assert_array_equal(radius, r_hand)
    assert (radius > 0).any()


def test_certify_nested_pipeline_and_passthrough():
    X, y = load_iris(return_X_y=True)
    inner = Pipeline([("skip", "passthrough"), ("smooth", _smoothed())])
    pipe = make_pipeline(MinMaxScaler(), inner).fit(X, y)
    y_pred, radius = sksmooth.certify(pipe, X[:5])
    expected = pipe[-1][-1].certify(pipe[0].transform(X[:5]))
    np.testing.assert_array_equal(radius, expected[1])


def test_certify_accepts_the_smoothed_estimator_itself():
    X, y = load_iris(return_X_y=True)
    clf = _smoothed().fit(X, y)
    np.testing.assert_array_equal(sksmooth.certify(clf, X[:4])[1], clf.certify(X[:4])[1])


def test_certify_rejects_what_cannot_certify():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with pytest.raises(TypeError, match="Pipeline ending in LogisticRegression"):
        sksmooth.certify(pipe, X)
