"""Noise in the data's own units: GaussianNoise.from_data and feature_radius."""

import numpy as np
import pandas as pd
import pytest

from sksmooth import GaussianNoise


def test_from_data_is_a_fraction_of_each_columns_std_ignoring_missing():
    df = pd.DataFrame({"a": [1.0, 3.0, np.nan], "b": [10.0, 30.0, 50.0], "t": ["x", "y", "z"]})
    noise = GaussianNoise.from_data(df, 0.5, features=["a", "b"])
    np.testing.assert_allclose(noise.sigma, [0.5 * 1.0, 0.5 * np.std([10.0, 30.0, 50.0])])
    assert noise.features == ["a", "b"] and noise.norm == "mahalanobis"


def test_from_data_on_arrays_and_all_columns():
    X = np.array([[0.0, 0.0], [2.0, 4.0]])
    np.testing.assert_allclose(GaussianNoise.from_data(X, 1.0).sigma, [1.0, 2.0])


@pytest.mark.parametrize("fraction", [0, -1, np.nan, np.inf])
def test_from_data_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="fraction"):
        GaussianNoise.from_data(np.eye(3), fraction)


def test_from_data_rejects_constant_and_text_columns():
    df = pd.DataFrame({"c": [1.0, 1.0], "t": ["x", "y"], "a": [0.0, 1.0]})
    with pytest.raises(ValueError, match="no spread"):
        GaussianNoise.from_data(df, 0.1, features=["c", "a"])
    with pytest.raises(ValueError, match="non-numeric"):
        GaussianNoise.from_data(df, 0.1, features=["t", "a"])


def test_feature_radius_is_radius_times_sigma_and_stays_inside_the_ellipsoid():
    noise = GaussianNoise(sigma=[0.5, 2.0, 8.0])
    radius = np.array([0.0, 1.0, 2.5])
    per = noise.feature_radius(radius)
    np.testing.assert_allclose(per, radius[:, None] * [0.5, 2.0, 8.0])
    # moving feature j alone by per[:, j] lands exactly on the ellipsoid's boundary
    for j in range(3):
        delta = np.zeros((3, 3))
        delta[:, j] = per[:, j]
        np.testing.assert_allclose(np.linalg.norm(delta / noise.sigma, axis=1), radius)
    np.testing.assert_allclose(GaussianNoise(sigma=0.3).feature_radius([2.0]), [[2.0]])
