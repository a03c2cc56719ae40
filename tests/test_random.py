"""Per-row stream keys (sksmooth._random)."""

import hashlib

import numpy as np

from sksmooth import GaussianNoise, SmoothedClassifier
from sksmooth._random import row_keys

from ._models import HiddenLinearRule


def _raw_key(row):
    digest = hashlib.blake2b(np.ascontiguousarray(row, np.float64).tobytes(), digest_size=16)
    return np.frombuffer(digest.digest(), np.uint32)


def test_equal_rows_get_equal_keys_zero_sign_and_nan_payloads():
    # Issue 11, item 5: -0.0 and NaNs with other payloads hashed to other streams.
    payload = np.frombuffer(np.uint64(0x7FF8000000000123).tobytes(), np.float64)[0]
    assert np.isnan(payload) and payload.tobytes() != np.float64(np.nan).tobytes()
    a = np.array([[0.0, 1.5, np.nan], [2.0, 0.0, 3.0]])
    b = np.array([[-0.0, 1.5, payload], [2.0, -0.0, 3.0]])
    np.testing.assert_array_equal(row_keys(a), row_keys(b))
    np.testing.assert_array_equal(row_keys(a), row_keys(np.array([[0.0, 1.5, -np.nan],
                                                                  [2.0, 0.0, 3.0]])))


def test_keys_of_ordinary_rows_are_the_hash_of_their_bytes_and_input_is_not_mutated():
    X = np.random.default_rng(0).normal(size=(6, 4))
    X[0, 1] = -0.0
    before = X.copy()
    keys = row_keys(X)
    np.testing.assert_array_equal(X.view(np.uint64), before.view(np.uint64))  # -0.0 kept
    for i in range(1, 6):  # rows without -0.0 / NaN: same keys as before the fix
        np.testing.assert_array_equal(keys[i], _raw_key(X[i]))
    np.testing.assert_array_equal(keys[0], _raw_key(np.where(X[0] == 0, 0.0, X[0])))


def test_rows_equal_in_value_get_the_same_certificate():
    X = np.random.default_rng(1).normal(size=(10, 2))
    clf = SmoothedClassifier(HiddenLinearRule(w=[1.0, -1.0]), GaussianNoise(0.5), n_samples=300,
                             noise_augment=0, random_state=0).fit(X, np.arange(10) % 2)
    plus = np.array([[0.0, 0.3]])
    minus = np.array([[-0.0, 0.3]])
    y1, r1 = clf.certify(plus)
    y2, r2 = clf.certify(minus)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(r1, r2)
