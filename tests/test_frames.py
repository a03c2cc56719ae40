"""FrameCodec: numeric view of DataFrames with text columns, and back (sksmooth/_frames.py)."""

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
    M, tables = codec.encode(df)
    assert M.dtype == np.float64 and M.shape == df.shape
    pd.testing.assert_frame_equal(codec.decode(M, tables), df)
    assert codec.text_columns() == ["island", "kind", "flag"]


def test_codes_do_not_depend_on_row_order():
    df = _frame()
    codec = FrameCodec(df)
    M, _ = codec.encode(df)
    M_rev, _ = codec.encode(df.iloc[::-1])
    np.testing.assert_array_equal(M_rev[::-1], M)
    # the fitted table is built from the values, not their order of appearance
    reversed_tables = FrameCodec(df.iloc[::-1]).tables
    for j, table in codec.tables.items():
        assert reversed_tables[j].tolist() == table.tolist()


def test_unseen_values_decode_without_changing_the_codec():
    df = _frame()
    codec = FrameCodec(df)
    before = {j: t.copy() for j, t in codec.tables.items()}
    test = df.copy()
    test.loc[1, "island"] = "Atlantis"
    M, tables = codec.encode(test)
    assert codec.decode(M, tables).loc[1, "island"] == "Atlantis"
    for j, table in codec.tables.items():
        assert (table == before[j]).all()


def test_noised_columns_stay_float_and_missing_stays_missing():
    df = _frame()
    codec = FrameCodec(df)
    M, tables = codec.encode(df)
    noisy = M.copy()
    noisy[:, :2] += 0.25  # noise on "mass" and "count"
    back = codec.decode(noisy, tables, noised=[0, 1])
    assert back["count"].dtype == np.float64
    np.testing.assert_allclose(back["count"], [1.25, 2.25, 3.25, 4.25])
    assert np.isnan(back.loc[1, "mass"])
    assert back["island"].dtype == df["island"].dtype


def test_needed_only_for_frames_with_non_numeric_columns():
    assert FrameCodec.needed(_frame())
    assert not FrameCodec.needed(pd.DataFrame({"a": [1.0], "b": [2]}))
    assert not FrameCodec.needed(np.zeros((2, 2)))


def test_penguins_round_trip():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    df = palmerpenguins.load_penguins().drop(columns="species")
    codec = FrameCodec(df)
    M, tables = codec.encode(df)
    pd.testing.assert_frame_equal(codec.decode(M, tables), df)
