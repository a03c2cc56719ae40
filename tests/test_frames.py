"""FrameCodec: numeric view of DataFrames with text columns, and back (sksmooth/_frames.py)."""

import pickle

import numpy as np
import pandas as pd
import pytest

from sksmooth._frames import FrameCodec


def _frame():
    return pd.DataFrame(
        {
            "mass": [3.5, np.nan, 4.1, 3.9],
            "count": np.array([1, 2, 3, 4], dtype=np.int64),
            "island": pd.Series(["Dream", "Biscoe", None, "Dream"], dtype="str"),
            "kind": pd.Categorical(["a", "b", "a", None]),
            "flag": [True, False, True, True],
            "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
        }
    )


def test_round_trip_keeps_values_and_dtypes():
    df = _frame()
    codec = FrameCodec(df)
    M = codec.encode(df)
    assert M.dtype == np.float64 and M.shape == df.shape
    pd.testing.assert_frame_equal(codec.decode(M), df)
    assert codec.text_columns() == ["island", "kind", "flag"]


def test_codes_depend_on_the_value_only():
    df = _frame()
    codec = FrameCodec(df)
    M = codec.encode(df)
    np.testing.assert_array_equal(codec.encode(df.iloc[::-1])[::-1], M)
    np.testing.assert_array_equal(FrameCodec(df.iloc[::-1]).encode(df), M)
    # equal values, equal codes; different values, different codes; missing is NaN
    assert M[0, 2] == M[3, 2] and M[0, 2] != M[1, 2] and np.isnan(M[2, 2])
    # codes are integers, exact in float64, never confused with numeric data
    codes = M[:, 2:5][~np.isnan(M[:, 2:5])]
    assert (codes < 0).all() and (codes == np.round(codes)).all() and (codes > -2.0**53).all()


def test_unseen_values_get_the_same_code_in_every_call_and_decode():
    df = _frame()
    codec = FrameCodec(df)
    test = df.copy()
    test.loc[1, "island"] = "Atlantis"
    first = codec.encode(test)
    again = FrameCodec(df).encode(test.iloc[::-1])[::-1]
    np.testing.assert_array_equal(first, again)
    assert codec.decode(first).loc[1, "island"] == "Atlantis"


def test_noised_columns_stay_float_and_missing_stays_missing():
    df = _frame()
    codec = FrameCodec(df)
    noisy = codec.encode(df)
    noisy[:, :2] += 0.25  # noise on "mass" and "count"
    back = codec.decode(noisy, noised=[0, 1])
    assert back["count"].dtype == np.float64
    np.testing.assert_allclose(back["count"], [1.25, 2.25, 3.25, 4.25])
    assert np.isnan(back.loc[1, "mass"])
    assert back["island"].dtype == df["island"].dtype


def test_codec_pickles_and_still_decodes():
    df = _frame()
    codec = pickle.loads(pickle.dumps(FrameCodec(df)))
    pd.testing.assert_frame_equal(codec.decode(codec.encode(df)), df)


def test_needed_only_for_frames_with_non_numeric_columns():
    assert FrameCodec.needed(_frame())
    assert not FrameCodec.needed(pd.DataFrame({"a": [1.0], "b": [2]}))
    assert not FrameCodec.needed(np.zeros((2, 2)))


def test_penguins_round_trip():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    df = palmerpenguins.load_penguins().drop(columns="species")
    codec = FrameCodec(df)
    pd.testing.assert_frame_equal(codec.decode(codec.encode(df)), df)
