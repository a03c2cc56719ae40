import csv
import os
import subprocess
import sys

import numpy as np
import pytest

from sksmooth.cli import main


def _read(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_default_run_writes_certificates_and_plot(tmp_path, capsys):
    code = main(["certify", "--n-samples", "300", "--n-select", "20", "--estimator",
                 "decision_tree", "--quiet", "--output", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "breast-cancer" in out and "certified accuracy" in out and "average certified" in out
    rows = _read(tmp_path / "certificates.csv")
    assert len(rows) == 114
    assert set(rows[0]) == {"row", "sigma", "y_true", "y_pred", "radius", "abstained"}
    for row in rows:
        assert (float(row["radius"]) == 0) == (row["abstained"] == "1")
        assert (row["y_pred"] == "-1") == (row["abstained"] == "1")
    png = tmp_path / "certified_accuracy.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_several_sigmas_give_one_column_each(tmp_path, capsys):
    code = main(["certify", "--n-samples", "200", "--estimator", "logistic", "--quiet",
                 "--sigma", "0.1", "0.5", "--output", str(tmp_path)])
    assert code == 0
    assert "sigma=0.1" in capsys.readouterr().out
    rows = _read(tmp_path / "certificates.csv")
    assert {r["sigma"] for r in rows} == {"0.1", "0.5"}


def test_plot_option_table_and_summary(tmp_path, capsys):
    png = tmp_path / "curves.png"
    code = main(["certify", "--n-samples", "200", "--estimator", "logistic", "--quiet",
                 "--sigma", "0.12", "0.25", "0.5", "--plot", str(png)])
    assert code == 0
    out = capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("radius"))
    assert lines[header].split() == ["radius", "sigma=0.12", "sigma=0.25", "sigma=0.5"]
    assert set(lines[header + 1]) == {"-"}
    assert lines[header + 2].startswith("clean (base model)")
    rows = []
    for line in lines[header + 3:]:
        if not line.strip():
            break
        rows.append([float(v) for v in line.split()])
    rows = np.array(rows)
    assert rows[0, 0] == 0.0 and np.all(np.diff(rows[:, 0]) > 0)
    assert np.all(np.diff(rows[:, 1:], axis=0) <= 0)  # certified accuracy never increases
    assert np.all(rows[-1, 1:] == 0)  # the table runs past the largest certificate
    summaries = [line for line in lines if line.startswith("sigma=")]
    assert len(summaries) == 3
    assert all("certified accuracy @0:" in s and "average certified radius" in s
               for s in summaries)


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_user_csv_with_string_labels(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    labels = np.where(X[:, 0] + X[:, 1] > 0, "fraud", "ok")
    path = tmp_path / "data.csv"
    _write_csv(path, ["a", "label", "b", "c"],
               [[x[0], lab, x[1], x[2]] for x, lab in zip(X, labels)])
    code = main(["certify", "--csv", str(path), "--target", "label", "--n-samples", "200",
                 "--quiet", "--output", str(tmp_path / "out")])
    assert code == 0
    rows = _read(tmp_path / "out" / "certificates.csv")
    assert len(rows) == 16
    assert {r["y_true"] for r in rows} <= {"fraud", "ok"}
    # abstain_label="auto": string classes abstain with "abstain", not a mixed-type -1.
    assert {r["y_pred"] for r in rows} <= {"fraud", "ok", "abstain"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--csv", "missing.csv", "--target", "y"], "no such file"),
        (["--csv", "{data}", "--target", "nope"], "column 'nope' is not in"),
        (["--csv", "{text}", "--target", "y"], "column 'b' is not numeric"),
        (["--csv", "{data}"], "needs --target"),
        (["--alpha", "1.5"], "--alpha must be in (0, 1)"),
        (["--sigma", "0"], "--sigma must be > 0"),
        (["--plot", "{data}.d/curve.png"], "does not exist"),
        (["--plot", "{data}"], "ending in .png"),
    ],
)
def test_user_errors_give_one_line_and_exit_2(tmp_path, capsys, args, message):
    data, text = tmp_path / "d.csv", tmp_path / "t.csv"
    _write_csv(data, ["a", "y"], [[1.0, 0], [2.0, 1]])
    _write_csv(text, ["a", "b", "y"], [[1.0, "red", 0], [2.0, "blue", 1]])
    args = [a.format(data=data, text=text) for a in args]
    assert main(["certify", "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_console_command_runs_as_a_module(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sksmooth", "certify", "--n-samples", "100", "--estimator",
         "logistic", "--quiet"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    assert "certified accuracy" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "sksmooth", "certify", "--csv", "nope.csv",
                          "--target", "y"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("sksmooth: error:")


@pytest.mark.parametrize("noise, extra, column, norm", [
    ("laplace", ["--sigma", "0.3"], "scale", "l1"),
    ("uniform", ["--sigma", "0.5"], "scale", "l1"),
    ("subspace", ["--n-keep", "10"], "n_keep", "l0"),
])
def test_other_noise_families(tmp_path, capsys, noise, extra, column, norm):
    code = main(["certify", "--noise", noise, *extra, "--n-samples", "300", "--estimator",
                 "decision_tree", "--quiet", "--output", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert f"{norm} radius" in out and f"{column}=" in out
    rows = _read(tmp_path / "certificates.csv")
    assert column in rows[0]
    if norm == "l0":
        assert all(float(r["radius"]).is_integer() for r in rows)


def test_n_keep_needs_subspace(capsys):
    assert main(["certify", "--n-keep", "3", "--quiet"]) == 2
    assert "--n-keep applies to --noise subspace only" in capsys.readouterr().err


def test_plot_without_matplotlib_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    code = main(["certify", "--n-samples", "50", "--estimator", "logistic", "--quiet",
                 "--output", str(tmp_path)])
    assert code == 2
    assert "pip install 'sksmooth[plot]'" in capsys.readouterr().err
