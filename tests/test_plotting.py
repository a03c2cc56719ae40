"""CertifiedAccuracyDisplay: values, attributes, several curves (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sksmooth import GaussianNoise, SmoothedClassifier  # noqa: E402
from sksmooth.metrics import certified_accuracy  # noqa: E402
from sksmooth.plotting import CertifiedAccuracyDisplay  # noqa: E402
from tests._models import HiddenLinearRule  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_exact_step_curve_matches_the_metric_everywhere():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, 50)
    y_pred = np.where(rng.random(50) < 0.8, y_true, -1)
    radius = np.where(y_pred == -1, 0.0, rng.exponential(0.4, 50).round(2))
    display = CertifiedAccuracyDisplay.from_predictions(y_true, y_pred, radius)
    x, v = display.line_.get_data()
    np.testing.assert_array_equal(x, display.radii)
    np.testing.assert_array_equal(v, display.certified_accuracy)
    assert display.line_.get_drawstyle() == "steps-pre"
    # steps-pre draws v[i+1] on (x[i], x[i+1]]: check that at midpoints and at knots.
    mid = (x[:-1] + x[1:]) / 2
    np.testing.assert_array_equal(certified_accuracy(y_true, y_pred, radius, at=mid), v[1:])
    np.testing.assert_array_equal(certified_accuracy(y_true, y_pred, radius, at=x), v)
    assert v[0] == np.mean(y_pred == y_true) and v[-1] == 0.0


def test_attributes_labels_and_clean_marker():
    display = CertifiedAccuracyDisplay.from_predictions(
        ["a", "b"], ["a", "abstain"], [0.4, 0.0], clean_accuracy=1.0, name="mine", norm="l2")
    assert display.ax_.figure is display.figure_
    assert display.line_ in display.ax_.get_lines()
    assert display.ax_.get_xlabel() == "radius (l2)"
    assert display.ax_.get_ylabel() == "certified accuracy"
    marker = display.clean_marker_
    assert marker.get_xydata().tolist() == [[0.0, 1.0]]
    assert marker.get_color() == display.line_.get_color()
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert labels == ["mine", "clean accuracy"]
    again = display.plot(clean_marker=False, name="other")
    assert again is display and display.clean_marker_ is None
    assert display.line_.get_label() == "other"


def test_several_curves_on_one_axis_from_estimator_on_a_pipeline():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3)) * 2.0
    y = (X[:, 0] > 0).astype(int)
    displays = []
    ax = None
    for sigma in (0.25, 0.5):
        pipe = make_pipeline(StandardScaler(), SmoothedClassifier(
            HiddenLinearRule(w=[1.0, 0.0, 0.0]), noise=GaussianNoise(sigma), n_samples=300,
            n_select=20, noise_augment=0, random_state=0)).fit(X, y)
        d = CertifiedAccuracyDisplay.from_estimator(pipe, X, y, ax=ax)
        ax = d.ax_
        displays.append((d, pipe))
    assert len(ax.get_lines()) == 4  # two curves, two clean markers
    assert [d.line_.get_label() for d, _ in displays] == ["sigma = 0.25", "sigma = 0.5"]
    assert displays[0][0].line_.get_color() != displays[1][0].line_.get_color()
    for d, pipe in displays:
        Xt = pipe[0].transform(X)
        # Clean accuracy: the base rule on the clean transformed inputs (not 1: the
        # scaler moves the rule's threshold off the labels' one).
        assert d.clean_accuracy == np.mean((Xt[:, 0] > 0) == y) < 1
        y_pred, radius = pipe[-1].certify(Xt)
        np.testing.assert_array_equal(
            d.certified_accuracy, certified_accuracy(y, y_pred, radius, at=d.radii))
        assert d.ax_.get_xlabel() == "radius (l2)"


def test_given_radii_and_bad_radii():
    d = CertifiedAccuracyDisplay.from_predictions([0, 1], [0, 1], [0.1, 0.3],
                                                  radii=[0, 0.2, 0.4], clean_accuracy=None)
    np.testing.assert_array_equal(d.certified_accuracy, [1.0, 0.5, 0.0])
    assert d.clean_marker_ is None
    with pytest.raises(ValueError, match="increasing"):
        CertifiedAccuracyDisplay.from_predictions([0], [0], [0.1], radii=[0.3, 0.1])


def test_from_estimator_needs_a_smoothed_classifier():
    from sklearn.linear_model import LogisticRegression

    X = np.arange(8.0).reshape(4, 2)
    clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    with pytest.raises(TypeError, match="no certify method"):
        CertifiedAccuracyDisplay.from_estimator(clf, X, [0, 0, 1, 1])


def test_import_sksmooth_does_not_import_matplotlib():
    import subprocess
    import sys

    code = ("import sys, sksmooth, sksmooth.metrics, sksmooth.plotting; "
            "assert 'matplotlib' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
