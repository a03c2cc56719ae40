import numpy as np
import pytest

from sksmooth.metrics import average_certified_radius, certified_accuracy


def test_certified_accuracy_by_hand_with_abstentions_and_strings():
    y_true = ["a", "b", "b", "a", "c"]
    y_pred = np.array(["a", "b", -1, "c", "c"], dtype=object)
    radius = [0.4, 0.1, 0.0, 0.7, 0.25]
    assert certified_accuracy(y_true, y_pred, radius) == 3 / 5
    assert certified_accuracy(y_true, y_pred, radius, at=0.2) == 2 / 5
    assert certified_accuracy(y_true, y_pred, radius, at=0.25) == 2 / 5
    assert certified_accuracy(y_true, y_pred, radius, at=0.3) == 1 / 5
    np.testing.assert_allclose(certified_accuracy(y_true, y_pred, radius, at=[0, 0.3, 1.0]),
                               [3 / 5, 1 / 5, 0.0])


def test_average_certified_radius_by_hand():
    assert average_certified_radius([1, 1, 0, 0], [1, 0, -1, 0], [0.5, 0.9, 0.0, 0.3]) == 0.2


def test_bad_inputs():
    with pytest.raises(ValueError, match="inconsistent"):
        certified_accuracy([0, 1], [0], [0.1])
    with pytest.raises(ValueError, match="non-negative"):
        average_certified_radius([0], [0], [-0.1])
    with pytest.raises(ValueError, match="at least one"):
        certified_accuracy([], [], [])


# ------------------------------------------------------------------- by hand, more
def test_curve_over_radii_by_hand_with_int_labels_and_abstentions():
    # Rows: correct r=0.3, correct r=0.0 (certified only at 0), abstained (-1), wrong r=2.
    y_true = [1, 0, 1, 0]
    y_pred = [1, 0, -1, 1]
    radius = [0.3, 0.0, 0.0, 2.0]
    np.testing.assert_array_equal(
        certified_accuracy(y_true, y_pred, radius, at=np.array([0.0, 1e-9, 0.3, 0.31, 5.0])),
        [2 / 4, 1 / 4, 1 / 4, 0.0, 0.0],
    )
    assert average_certified_radius(y_true, y_pred, radius) == 0.3 / 4


def test_string_labels_with_string_abstain_label_and_acr():
    y_true = np.array(["cat", "dog", "dog"])
    y_pred = np.array(["cat", "abstain", "dog"])
    radius = np.array([1.5, 0.0, 0.25])
    assert average_certified_radius(y_true, y_pred, radius) == (1.5 + 0.25) / 3
    assert certified_accuracy(y_true, y_pred, radius, at=1.0) == 1 / 3


def test_inputs_are_not_mutated():
    y_pred = np.array([0, 1, 1])
    radius = np.array([0.1, 0.2, 0.3])
    before = radius.copy(), y_pred.copy()
    certified_accuracy([0, 1, 0], y_pred, radius, at=[0.0, 0.2])
    average_certified_radius([0, 1, 0], y_pred, radius)
    np.testing.assert_array_equal(radius, before[0])
    np.testing.assert_array_equal(y_pred, before[1])
