"""Reading and encoding CSV files for ``sksmooth certify`` (sksmooth/_cli_data.py)."""

import numpy as np
import pytest

from sksmooth._cli_data import Encoder, UserError, make_dataset, read_csv


def _table(tmp_path, text, encoding="utf-8", **kwargs):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    return read_csv(str(path), **kwargs)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_separator_is_sniffed_and_quotes_are_kept(tmp_path, sep):
    text = f'name{sep}x{sep}y\n"Smith, J{sep}r"{sep}1.5{sep}a\n"Doe"{sep}2{sep}b\n'
    raw = _table(tmp_path, text)
    assert raw.separator == sep and raw.header == ["name", "x", "y"]
    assert raw.rows[0] == [f"Smith, J{sep}r", "1.5", "a"]
    assert raw.lines == [2, 3]


def test_bom_and_blank_lines(tmp_path):
    raw = _table(tmp_path, "\ufeffa,y\n1,0\n\n2,1\n")
    assert raw.header == ["a", "y"] and raw.rows == [["1", "0"], ["2", "1"]]
    assert raw.lines == [2, 4]


def test_ragged_line_is_named(tmp_path):
    with pytest.raises(UserError, match="line 3 .* has 3 fields, expected 2"):
        _table(tmp_path, "a,y\n1,0\n1,2,3\n", sep=",")


def test_unnamed_leading_columns_are_the_index(tmp_path):
    # pandas' to_csv of a frame read back without index_col: "", "Unnamed: 0", then data
    raw = _table(tmp_path, ",Unnamed: 0,x,x,y\n0,10,1,5,a\n1,11,2,6,b\n2,12,3,7,a\n")
    data = make_dataset(raw, "y")
    assert data.names == ["x", "x.1"]  # repeated headers get pandas' names
    assert data.ids.tolist() == ["0", "1", "2"] and "index column" in data.id_source
    assert data.ignored == [("Unnamed: 0", "index column")] * 2  # as named in the file
    assert data.y.tolist() == ["a", "b", "a"]


def test_labels_ints_strings_and_missing(tmp_path):
    raw = _table(tmp_path, "a,y\n1,1.0\n2,0\n3,\n4,1\n")
    data = make_dataset(raw, "y")
    assert data.y.dtype.kind == "i" and data.y.tolist() == [1, 0, 1]
    assert data.dropped == {"missing target": 1} and data.ids.tolist() == ["1", "2", "4"]


def test_id_column_must_be_unique(tmp_path):
    raw = _table(tmp_path, "id,a,y\n1,1,0\n1,2,1\n")
    with pytest.raises(UserError, match="not unique"):
        make_dataset(raw, "y", id_column="id")


def test_encoder_numeric_first_then_one_hot(tmp_path):
    raw = _table(tmp_path, "c,a,y\nred,1,0\nblue,,1\nred,3,0\ngreen,5,1\n")
    data = make_dataset(raw, "y")
    assert data.kinds == ["text", "numeric"]
    train, test = np.array([0, 1, 2]), np.array([3])
    enc = Encoder().fit(data, train)
    X = enc.transform(data, train)
    # a: median 2 imputed, then standardized over [1, 2, 3]; c: blue, red one-hot
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(X[:, 0], (a - a.mean()) / a.std())
    np.testing.assert_array_equal(X[:, 1:], [[0, 1], [1, 0], [0, 1]])
    assert enc.noised_features() == [0]
    np.testing.assert_array_equal(enc.transform(data, test)[:, 1:], [[0, 0]])  # unseen: zeros
    assert enc.n_imputed(data) == {"a": 1}
    described = {f["name"]: f for f in enc.describe(data, train, [0.5], True)}
    assert described["a"]["noise_scale_in_column_units"]["0.5"] == pytest.approx(0.5 * a.std())
    assert described["c"]["one_hot_categories"] == ["blue", "red"]


def test_target_task_auto_regression_and_forced(tmp_path):
    values = [f"{1.5 * i + 0.25:.2f}" for i in range(30)]
    text = "a,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)) + "30,\n"
    raw = _table(tmp_path, text)
    data = make_dataset(raw, "y")  # 30 distinct non-integers: continuous
    assert data.task == "regression" and data.y.dtype == np.float64
    np.testing.assert_array_equal(data.y, [float(v) for v in values])
    assert data.dropped == {"missing target": 1}
    forced = make_dataset(raw, "y", task="classification")
    assert forced.task == "classification" and forced.y.tolist() == values  # labels as written
    few = _table(tmp_path, "a,y\n1,0.5\n2,1.5\n3,0.5\n")
    assert make_dataset(few, "y").task == "classification"  # 2 distinct values: classes
    reg = make_dataset(few, "y", task="regression")
    assert reg.task == "regression" and reg.y.tolist() == [0.5, 1.5, 0.5]
    comma = _table(tmp_path, "a;y\n1;0,5\n2;1,5\n", sep=";")
    assert make_dataset(comma, "y", decimal=",", task="regression").y.tolist() == [0.5, 1.5]
    words = _table(tmp_path, "a,y\n1,cat\n2,dog\n")
    with pytest.raises(UserError, match="--task regression needs a numeric target, but 'y' "
                                        "holds 'cat' on line 2"):
        make_dataset(words, "y", task="regression")
