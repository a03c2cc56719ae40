"""Certified regression metrics, scorer and CertifiedBoundsDisplay."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksmooth import GaussianNoise, SmoothedRegressor
from sksmooth.metrics import (
    certified_coverage,
    make_certified_regression_scorer,
    mean_certified_half_width,
)
from sksmooth.plotting import CertifiedBoundsDisplay


def test_certified_coverage_counts_intervals_within_tolerance():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    lower = np.array([0.5, 1.0, 2.9, -np.inf])
    upper = np.array([1.5, 2.2, 3.6, 4.0])
    # within 0.5: [0.5, 1.5] yes; [1.0, 2.2] no (lower); [2.9, 3.6] no (upper); -inf no.
    assert certified_coverage(y, lower, upper, tolerance=0.5) == 0.25
    assert certified_coverage(y, lower, upper, tolerance=1.0) == 0.75
    assert certified_coverage([], [], [], tolerance=1.0) == 0.0


def test_mean_certified_half_width():
    assert mean_certified_half_width([0.0, 1.0], [2.0, 5.0]) == 1.5
    assert mean_certified_half_width([-np.inf], [0.0]) == np.inf


def test_metrics_reject_bad_input():
    for t in [0.0, -1.0, np.inf, [1.0]]:
        with pytest.raises(ValueError, match="tolerance"):
            certified_coverage([1.0], [0.0], [2.0], tolerance=t)
    with pytest.raises(ValueError, match="lower <= upper"):
        certified_coverage([1.0], [2.0], [0.0], tolerance=1.0)
    with pytest.raises(ValueError, match="inconsistent"):
        mean_certified_half_width([0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="needs tolerance"):
        make_certified_regression_scorer(radius=0.1)
    with pytest.raises(ValueError, match="radius"):
        make_certified_regression_scorer(radius=-1.0, tolerance=1.0)
    with pytest.raises(ValueError, match="not known"):
        make_certified_regression_scorer(radius=0.1, metric="r2")
    with pytest.raises(ValueError, match="does not apply"):
        make_certified_regression_scorer(radius=0.1, tolerance=1.0,
                                         metric="mean_certified_half_width")


def test_scorer_matches_metrics_on_pipeline():
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SmoothedRegressor(
        LinearRegression(), GaussianNoise(0.5))).fit(X, y)
    reg, Xt = pipe[-1], pipe[0].transform(X[:50])
    _, lo, up = reg.certify(Xt, radius=0.3)
    scorer = make_certified_regression_scorer(radius=0.3, tolerance=40.0)
    assert scorer(pipe, X[:50], y[:50]) == certified_coverage(y[:50], lo, up, tolerance=40.0)
    hw = make_certified_regression_scorer(radius=0.3, metric="mean_certified_half_width")
    assert hw(pipe, X[:50], y[:50]) == -mean_certified_half_width(lo, up)
    assert "tolerance=40.0" in repr(scorer)


def test_bounds_display_from_estimator_draws_one_band_per_input():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    reg = SmoothedRegressor(noise=GaussianNoise(0.5)).fit(X, y)
    radii = np.array([0.0, 0.2, 0.4])
    display = CertifiedBoundsDisplay.from_estimator(reg, X[:3], y[:3], radii=radii)
    assert len(display.bands_) == 3 and len(display.lines_) == 3
    assert display.ax_.get_xlabel() == "radius (l2)"
    for k, r in enumerate(radii):
        y_pred, lo, up = reg.certify(X[:3], radius=float(r))
        np.testing.assert_array_equal(display.lower[k], lo)
        np.testing.assert_array_equal(display.upper[k], up)
    np.testing.assert_array_equal(display.y_pred, y_pred)


def test_bounds_display_rejects_bad_shapes():
    with pytest.raises(ValueError, match="increasing"):
        CertifiedBoundsDisplay.from_predictions([0.5, 0.1], [1.0], [[0.0], [0.0]], [[1.0], [1.0]])
    with pytest.raises(ValueError, match="shape"):
        CertifiedBoundsDisplay.from_predictions([0.0, 0.1], [1.0, 2.0], [[0.0], [0.0]],
                                                [[1.0], [1.0]])
