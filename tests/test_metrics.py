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
