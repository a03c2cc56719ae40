"""The ``sksmooth`` command: train, certify and report on a dataset.

``sksmooth certify`` with no arguments trains a smoothed classifier on
scikit-learn's breast-cancer data (standardized, 80/20 split), certifies the
test rows and prints certified accuracy at a range of radii.
``--csv FILE --target COLUMN`` runs it on any CSV file: see
:mod:`sksmooth._cli_data` for how the file is read and encoded. A continuous
target (or ``--task regression``) runs certified regression instead: see
:mod:`sksmooth._cli_regression`.

Noise units: numeric columns are standardized on the training rows (unless
``--no-standardize``), so ``--sigma`` is in units of each column's standard
deviation (noise of ``sigma * sd_j`` in column ``j``'s own units) and the
certified radius is a distance in standard deviations (``||delta_j / sd_j||``
in the noise's norm). Text columns are one-hot encoded and get no noise.
"""

import argparse
import csv
import io
import json
import math
import os
import sys
import tempfile
import time

import numpy as np

from ._cli_data import (
    Encoder,
    UserError,
    breast_cancer,
    make_dataset,
    read_csv,
    uses_closed_form,
)
from ._cli_regression import REGRESSORS
from .noise._registry import FAMILIES

ESTIMATORS = {
    "logistic": ("sklearn.linear_model", "LogisticRegression", {"max_iter": 1000}),
    "random_forest": ("sklearn.ensemble", "RandomForestClassifier", {"n_estimators": 100}),
    "gradient_boosting": ("sklearn.ensemble", "HistGradientBoostingClassifier", {}),
    "decision_tree": ("sklearn.tree", "DecisionTreeClassifier", {}),
    "knn": ("sklearn.neighbors", "KNeighborsClassifier", {}),
    "svm": ("sklearn.svm", "SVC", {}),
    "mlp": ("sklearn.neural_network", "MLPClassifier", {"max_iter": 500}),
}


#: --noise choices: (class name in sksmooth, name of its level in the output).
#: ``--noise`` choices: name -> (class name, level parameter), from the family registry.
NOISES = {name: (family.cls.__name__, family.level) for name, family in FAMILIES.items()
          if family.cli}

__all__ = ["main", "certify_command", "UserError"]


# ----------------------------------------------------------------- arguments
class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one ``sksmooth: error: ...`` line (exit 2)."""

    def error(self, message):
        raise UserError(message)


def _number(kind, test, what):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse


_positive_int = _number(int, lambda v: v >= 1, "an integer >= 1")
_nonneg_int = _number(int, lambda v: v >= 0, "an integer >= 0")
_seed = _number(int, lambda v: 0 <= v < 2**32, "an integer in [0, 2**32 - 1]")
_n_jobs = _number(int, lambda v: v != 0, "a non-zero integer (-1: all cores)")
_positive = _number(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
_open_unit = _number(float, lambda v: 0 < v < 1, "a number strictly between 0 and 1")


def _build_parser():
    parser = _Parser(
        prog="sksmooth",
        description="Provable robustness certificates by randomized smoothing.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    cert = sub.add_parser(
        "certify",
        help="train a smoothed classifier (or regressor) and certify the test rows",
        description="Train a smoothed classifier, certify held-out rows, and report "
        "certified accuracy; on a continuous --target (or --task regression) a smoothed "
        "regressor, with certified coverage. Without --csv it uses scikit-learn's "
        "breast-cancer data. "
        "Numeric columns are imputed (median) and standardized, so --sigma is in units "
        "of each column's standard deviation and radii are distances in standard "
        "deviations; text columns are one-hot encoded and get no noise.",
    )
    data = cert.add_argument_group("data")
    data.add_argument("--csv", metavar="FILE", help="CSV file with a header row")
    data.add_argument("--target", metavar="COLUMN",
                      help="name of the target column in --csv: class labels, or a continuous "
                      "value (certified regression)")
    data.add_argument("--task", choices=["auto", "classification", "regression"],
                      default="auto",
                      help="auto: regression where the target looks continuous (more than 20 "
                      "distinct numbers, non-integer or on more than half of the rows), else "
                      "classification (auto)")
    data.add_argument("--id-column", metavar="COLUMN",
                      help="column identifying each row in certificates.csv (not a feature); "
                      "default: the index column pandas writes, else the data row number")
    data.add_argument("--drop", metavar="COLUMN", nargs="+", default=[],
                      help="columns not to use as features (names, or one comma-separated "
                      "list)")
    data.add_argument("--encoding", default="utf-8-sig",
                      help="text encoding of --csv, e.g. latin-1 (utf-8, with or without BOM)")
    data.add_argument("--sep", default=None,
                      help="field separator of --csv (sniffed among , ; tab |)")
    data.add_argument("--decimal", default=".", choices=[".", ","], metavar="MARK",
                      help="decimal mark of numbers in --csv: . or , (.)")
    data.add_argument("--test-size", type=_open_unit, default=0.2,
                      help="held-out fraction (0.2)")
    data.add_argument("--no-standardize", action="store_true",
                      help="do not standardize numeric columns (--sigma and radii are then in "
                      "the columns' own units)")
    model = cert.add_argument_group("smoothed classifier")
    model.add_argument("--estimator", choices=sorted(set(ESTIMATORS) | set(REGRESSORS)),
                       default="random_forest",
                       help="base model (random_forest); logistic: classification only, "
                       "linear (LinearRegression, exact): regression only; the others have "
                       "both forms")
    model.add_argument("--noise", choices=sorted(NOISES), default="gaussian",
                       help="noise family: gaussian (l2 radius), laplace or uniform (l1), "
                       "subspace (l0: how many features may change) (gaussian)")
    model.add_argument("--sigma", type=_positive, nargs="+", default=[0.25], metavar="SIGMA",
                       help="noise level(s), sigma for gaussian and scale for laplace and "
                       "uniform, in standard deviations of each numeric column; several give "
                       "one curve each (0.25)")
    model.add_argument("--n-keep", type=_positive_int, nargs="+", default=None, metavar="K",
                       help="features kept per draw for --noise subspace; several give one "
                       "curve each (half the features)")
    model.add_argument("--method", choices=["auto", "exact", "monte_carlo"], default="auto",
                       help="auto: closed form where one exists (linear models), else Monte "
                       "Carlo (auto)")
    model.add_argument("--n-samples", type=_positive_int, default=10_000,
                       help="Monte Carlo draws (10000)")
    model.add_argument("--n-select", type=_positive_int, default=None,
                       help="selection draws, classification only (100)")
    model.add_argument("--alpha", type=_open_unit, default=0.001,
                       help="failure probability (0.001)")
    model.add_argument("--noise-augment", type=_nonneg_int, default=1,
                       help="noisy copies per training row (1)")
    model.add_argument("--batch-size", type=_positive_int, default=None,
                       help="noisy rows per model call")
    model.add_argument("--n-jobs", type=_n_jobs, default=None, help="parallel jobs")
    model.add_argument("--random-state", type=_seed, default=0, help="seed (0)")
    reg = cert.add_argument_group("certified regression (a continuous target)")
    reg.add_argument("--percentile", type=_open_unit, default=None,
                     help="the percentile of f(x + noise) that is smoothed (0.5: the median)")
    reg.add_argument("--tolerance", type=_positive, default=None,
                     help="certified coverage counts a row whose certified interval lies "
                     "within this distance of the true value, in target units (half the "
                     "target's standard deviation on the training rows)")
    reg.add_argument("--radius", type=_number(float, lambda v: math.isfinite(v) and v >= 0,
                                              "a finite number >= 0"), default=None,
                     help="write certificates.csv at this radius only (every table radius)")
    out = cert.add_argument_group("output")
    out.add_argument("--output", metavar="DIR",
                     help="write certificates.csv, run.json and certified_accuracy.png "
                     "(regression: certified_coverage.png) here")
    out.add_argument("--plot", metavar="FILE",
                     help="write the certified-accuracy (or coverage) curves to this PNG")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _writable_folder(folder, option):
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise UserError(f"{option}: cannot write in {folder!r}: {exc.strerror or exc}") from None


def _need_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError(
            "writing the plot needs matplotlib: pip install 'sksmooth[plot]' (or matplotlib)"
        ) from None


def _check_args(args):
    """Everything that can be checked before reading data; writing needs first."""
    if args.n_keep is not None and args.noise != "subspace":
        raise UserError("--n-keep applies to --noise subspace only")
    if args.csv is None:
        for option in ("target", "id_column", "sep"):
            if getattr(args, option) is not None:
                raise UserError(f"--{option.replace('_', '-')} needs --csv FILE")
        if args.drop:
            raise UserError("--drop needs --csv FILE")
        if args.task == "regression":
            raise UserError("--task regression needs --csv FILE and a continuous --target "
                            "(the built-in data is a classification task)")
    elif args.target is None:
        raise UserError("--csv needs --target COLUMN, the name of the label column")
    if args.sep is not None and len(args.sep.replace("\\t", "\t")) != 1:
        raise UserError(f"--sep must be one character, got {args.sep!r}")
    args.drop = [name.strip() for item in args.drop for name in item.split(",") if name.strip()]
    if args.plot is not None:
        folder = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(folder):
            raise UserError(f"--plot {args.plot!r}: folder {folder!r} does not exist")
        if not args.plot.lower().endswith(".png"):
            raise UserError(f"--plot {args.plot!r}: give a file name ending in .png")
        _writable_folder(folder, f"--plot {args.plot!r}")
    if args.output is not None:
        if os.path.exists(args.output) and not os.path.isdir(args.output):
            raise UserError(f"--output {args.output!r} is a file; give a folder")
        try:
            os.makedirs(args.output, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--output {args.output!r}: cannot create it: "
                            f"{exc.strerror or exc}") from None
        _writable_folder(args.output, f"--output {args.output!r}")
    if args.plot is not None or args.output is not None:
        _need_matplotlib()


# ---------------------------------------------------------------------- data
def _load_data(args):
    if args.csv is None:
        return breast_cancer()
    sep = None if args.sep is None else args.sep.replace("\\t", "\t")
    raw = read_csv(args.csv, encoding=args.encoding, sep=sep)
    return make_dataset(raw, args.target, id_column=args.id_column, drop=args.drop,
                        decimal=args.decimal, task=args.task)


def _split(data, args):
    from sklearn.model_selection import train_test_split

    n = data.n_rows
    n_test = math.ceil(args.test_size * n)
    if n - n_test < 2 or n_test < 1:
        raise UserError(f"--test-size {args.test_size:g} leaves {n - n_test} training and "
                        f"{n_test} test rows of {n}; choose a fraction that leaves both")
    classify = data.task == "classification"
    stratify = None
    if classify and np.unique(data.y, return_counts=True)[1].min() >= 2:
        stratify = data.y
    try:
        train, test = train_test_split(np.arange(n), test_size=args.test_size,
                                       random_state=args.random_state, stratify=stratify)
    except ValueError as exc:
        raise UserError(f"cannot split {n} rows with --test-size {args.test_size:g}: "
                        f"{exc}") from None
    if classify and np.unique(data.y[train]).shape[0] < 2:
        raise UserError("the training rows hold a single class; lower --test-size")
    return train, test


def _make_estimator(name, random_state):
    import importlib

    module, cls, params = ESTIMATORS[name]
    est = getattr(importlib.import_module(module), cls)(**params)
    if "random_state" in est.get_params():
        est.set_params(random_state=random_state)
    return est


def _make_noise(args, level, features):
    family = FAMILIES[args.noise]
    if not family.features:
        return family.make(level)
    return family.make(level, features=features)


def _mc_cap(noise, n_samples, alpha):
    """Largest radius n draws can certify at level alpha: a unanimous vote.

    With nA = n the Clopper-Pearson lower bound is alpha**(1/n) (DESIGN.md, section 6).
    """
    p = alpha ** (1.0 / n_samples)
    with np.errstate(divide="ignore", invalid="ignore"):
        return max(0.0, float(noise.radius(p, 1.0 - p)))


# ------------------------------------------------------------------- report
def _plot(path, results, y_test, norm, label="sigma"):
    """One certified-accuracy curve per sigma, with the base model's clean accuracy marked."""
    _need_matplotlib()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import CertifiedAccuracyDisplay

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for res in results:
        CertifiedAccuracyDisplay.from_predictions(
            y_test, res["y_pred"], res["radius"], clean_accuracy=res["base_accuracy"],
            name=f"{label} = {res['level']:g}", norm=norm, ax=ax)
    ax.grid(alpha=0.3)
    ax.set_title("certified accuracy (star: base model on clean inputs)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _table_radii(top, levels):
    """About ten round radii from 0 to just past the largest certified radius."""
    span = max(top, max(levels))
    raw = span / 10
    magnitude = 10 ** np.floor(np.log10(raw))
    step = min(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    last = np.floor(span / step + 1e-9) + 1  # the first round radius past every certificate
    return np.round(np.arange(last + 1) * step, 6)


def _round_down(x, digits=2):
    """``x`` rounded down to ``digits`` significant digits (a radius below a cap stays below)."""
    if x <= 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(x)) - digits + 1)
    return math.floor(x / scale + 1e-9) * scale


def _summary_radii(level, cap, norm):
    """Three radii worth reporting: 0 and two the noise can reach.

    The noise's own scale (``level`` and twice it; 1 and 2 features for l0)
    where the Monte Carlo cap allows, otherwise a third and two thirds of the cap
    (uniform noise, for one, can never certify beyond its scale).
    """
    if norm == "l0":
        radii = [0.0, 1.0, 2.0]
        return radii if cap is None else [r for r in radii if r <= cap] or [0.0]
    if cap is None or 2 * level <= cap:
        return [0.0, float(level), 2.0 * level]
    return [0.0, _round_down(cap / 3), _round_down(2 * cap / 3)]


def _table(out, radii, curves, levels, base_accs, caps, label="sigma"):
    """A readable table: one row per radius, one column per noise level.

    A cell above its column's Monte Carlo cap shows "-": no vote of n_samples
    draws can certify that radius at level alpha.
    """
    cols = [f"{label}={s:g}" for s in levels]
    width = max(12, *(len(c) + 2 for c in cols))
    first = 22
    print(f"{'radius':<{first}}" + "".join(f"{c:>{width}}" for c in cols), file=out)
    print("-" * (first + width * len(cols)), file=out)
    print(f"{'clean (base model)':<{first}}" + "".join(f"{a:>{width}.3f}" for a in base_accs),
          file=out)
    for k, r in enumerate(radii):
        cells = ["-" if cap is not None and r > cap else f"{c[k]:.3f}"
                 for c, cap in zip(curves, caps)]
        if all(cell == "-" for cell in cells):
            break
        print(f"{r:<{first}.3f}" + "".join(f"{cell:>{width}}" for cell in cells), file=out)


def _abstained(y_pred, abstain_label):
    """Boolean mask of the abstained predictions."""
    return np.fromiter((p == abstain_label for p in y_pred.tolist()), bool, count=len(y_pred))


def _units(args, norm):
    if norm == "l0":
        return "features"
    if args.no_standardize:
        return "column units"
    return "standard deviations"


def _describe_data(out, data, encoder, args, n_train, n_test, target):
    n_num, n_text = encoder.n_numeric_, len(data.names) - encoder.n_numeric_
    print(f"data: {data.source}: {n_train} train / {n_test} test rows, {len(data.names)} "
          f"features, {target}", file=out)
    if args.csv is None:
        return
    dropped = sum(data.dropped.values())
    reasons = ", ".join(f"{k}: {v}" for k, v in data.dropped.items())
    print(f"  rows: {data.rows_read} read, {dropped} dropped{f' ({reasons})' if dropped else ''}"
          f"; row ids: {data.id_source}", file=out)
    ignored = ", ".join(f"{name} ({why})" for name, why in data.ignored)
    print(f"  features: {n_num} numeric (noised), {n_text} text (one-hot encoded, not noised)"
          f"{'; not features: ' + ignored if ignored else ''}", file=out)
    imputed = encoder.n_imputed(data)
    if imputed:
        detail = ", ".join(f"{k} {v}" for k, v in imputed.items())
        print(f"  imputed: {sum(imputed.values())} missing values ({detail}; median for "
              f"numeric, '{Encoder.MISSING_CATEGORY}' for text)", file=out)


def _write_certificates(path, ids, y_test, results, label, norm, units, abstain):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", label, "y_true", "y_pred", "radius", "norm", "units",
                         "abstained"])
        for res in results:
            abstained = _abstained(res["y_pred"], abstain)
            for i in range(len(y_test)):
                writer.writerow([ids[i], f"{res['level']:g}", y_test[i], res["y_pred"][i],
                                 repr(float(res["radius"][i])), norm, units,
                                 int(abstained[i])])


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    return value


def certify_command(args, out=None):
    """Run ``sksmooth certify``; return the exit status."""
    start = time.perf_counter()
    out = sys.stdout if out is None else out
    from . import SmoothedClassifier, __version__
    from .metrics import average_certified_radius, certified_accuracy

    _check_args(args)
    data = _load_data(args)
    for note in data.notes:
        print(f"sksmooth: note: {note}", file=sys.stderr)
    regression = data.task == "regression"
    _check_task_options(args, regression)
    if regression:
        why = "--task regression" if args.task == "regression" else (
            "it looks continuous; --task classification treats its values as classes")
        target = f"continuous target {args.target!r} (certified regression: {why})"
    else:
        classes = np.unique(data.y)
        if classes.shape[0] < 2:
            raise UserError(f"the target column has a single class ({classes[0]!r}); "
                            "certification needs two or more")
        target = f"{classes.shape[0]} classes"
        if args.task == "auto" and classes.shape[0] > 20:
            print(f"sksmooth: note: target {args.target!r} has {classes.shape[0]} classes; if it "
                  "is a continuous quantity, --task regression certifies it as one",
                  file=sys.stderr)
    train, test = _split(data, args)
    encoder = Encoder(standardize=not args.no_standardize).fit(data, train)
    if encoder.n_numeric_ == 0:
        raise UserError("no numeric feature column to add noise to; sksmooth certify noises "
                        "numeric columns only")
    X_train, X_test = encoder.transform(data, train), encoder.transform(data, test)
    y_train, y_test = data.y[train], data.y[test]
    _describe_data(out, data, encoder, args, len(train), len(test), target)

    label = NOISES[args.noise][1]
    if args.noise == "subspace":
        if encoder.noised_features() is not None:
            raise UserError("--noise subspace ablates every encoded column and cannot spare "
                            "the one-hot text columns; --drop the text columns or use "
                            "gaussian, laplace or uniform noise")
        levels = args.n_keep or [max(1, X_train.shape[1] // 2)]
        if any(not 1 <= k <= X_train.shape[1] for k in levels):
            raise UserError(f"--n-keep must be between 1 and {X_train.shape[1]}, got {levels}")
    else:
        levels = args.sigma
    units = _units(args, "l0" if args.noise == "subspace" else "l2")
    if args.noise != "subspace":
        what = ("standard deviations of each numeric column (measured on the training rows)"
                if not args.no_standardize else "each column's own units")
        print(f"noise: {args.noise} on the {encoder.n_numeric_} numeric columns, {label} in "
              f"{what}", file=out)
    if regression:
        return _regression(args, data, encoder, train, test, X_train, X_test, levels, label,
                           out, start)

    results = []
    for level in levels:
        clf = SmoothedClassifier(
            _make_estimator(args.estimator, args.random_state),
            _make_noise(args, level, encoder.noised_features()),
            n_samples=args.n_samples,
            n_select=100 if args.n_select is None else args.n_select,
            alpha=args.alpha,
            noise_augment=args.noise_augment,
            batch_size=args.batch_size,
            n_jobs=args.n_jobs,
            random_state=args.random_state,
            verbose=0 if args.quiet else 1,
        )
        begin = time.perf_counter()
        try:
            clf.fit(X_train, y_train)
        except ValueError as exc:
            raise UserError(f"fitting {args.estimator} failed: {str(exc).splitlines()[0]}") \
                from None
        exact = uses_closed_form(clf, args.method)
        y_pred, radius = clf.certify(X_test)
        elapsed = time.perf_counter() - begin
        base_acc = float(np.mean(clf.predict_base(X_test) == y_test))
        cap = None if exact else _mc_cap(clf.noise_, args.n_samples, args.alpha)
        results.append({"level": level, "y_pred": y_pred, "radius": radius,
                        "base_accuracy": base_acc, "seconds": elapsed, "exact": exact,
                        "cap": cap})
    norm = clf.noise_.norm
    abstain = clf.abstain_label_
    units = _units(args, norm)
    exact = all(res["exact"] for res in results)

    top = max(res["radius"].max() for res in results)
    if norm == "l0":
        radii = np.arange(int(top) + 2, dtype=float)
    else:
        radii = _table_radii(top, levels)
    if exact:
        print(f"\n{args.estimator}, {norm} radius, exact certificate (closed form: no "
              "sampling, no alpha)", file=out)
    else:
        print(f"\n{args.estimator}, {norm} radius, n_samples={args.n_samples}, "
              f"alpha={args.alpha}", file=out)
    print("certified accuracy (correct and certified at least this radius; abstentions "
          "count as errors)", file=out)
    curves = [certified_accuracy(y_test, res["y_pred"], res["radius"], at=radii)
              for res in results]
    _table(out, radii, curves, levels, [res["base_accuracy"] for res in results],
           [res["cap"] for res in results], label)
    if not exact:
        caps = ", ".join(f"{label}={res['level']:g}: {res['cap']:.3f}" for res in results)
        print(f"Monte Carlo cap: n_samples={args.n_samples} and alpha={args.alpha} certify no "
              f"radius above {caps} (a unanimous vote; '-' in the table)", file=out)
    print("", file=out)
    for res in results:
        at = _summary_radii(res["level"], res["cap"], norm)
        res["certified_accuracy"] = {
            f"{r:g}": float(certified_accuracy(y_test, res["y_pred"], res["radius"], at=r))
            for r in at}
        res["average_certified_radius"] = float(
            average_certified_radius(y_test, res["y_pred"], res["radius"]))
        res["abstained"] = float(np.mean(_abstained(res["y_pred"], abstain)))
        summary = ", ".join(f"@{r}: {v:.3f}" for r, v in res["certified_accuracy"].items())
        print(f"{label}={res['level']:g}: base accuracy {res['base_accuracy']:.3f}; certified "
              f"accuracy {summary}; average certified radius "
              f"{res['average_certified_radius']:.3f}; abstained {res['abstained']:.1%}; "
              f"{res['seconds']:.1f} s", file=out)

    if args.output:
        path = os.path.join(args.output, "certificates.csv")
        _write_certificates(path, data.ids[test], y_test, results, label, norm, units, abstain)
        png = os.path.join(args.output, "certified_accuracy.png")
        _plot(png, results, y_test, norm, label)
        run = os.path.join(args.output, "run.json")
        _write_run(run, args, data, encoder, train, test, results, norm, units, exact,
                   abstain, __version__, time.perf_counter() - start)
        print(f"wrote {path}, {run} and {png}", file=out)
    if args.plot:
        _plot(args.plot, results, y_test, norm, label)
        print(f"wrote {args.plot}", file=out)
    return 0


def _data_summary(args, data, encoder, train, test):
    """The data part of ``run.json``, shared by classification and regression."""
    imputed = encoder.n_imputed(data)
    return {
        "source": data.source,
        "encoding": args.encoding if args.csv else None,
        "row_ids": data.id_source,
        "rows_read": data.rows_read,
        "rows_dropped": sum(data.dropped.values()),
        "dropped_because": data.dropped,
        "rows_used": data.n_rows,
        "train_rows": len(train),
        "test_rows": len(test),
        "imputed": imputed,
        "imputed_total": sum(imputed.values()),
        "not_features": [{"name": n, "why": w} for n, w in data.ignored],
    }


def _settings(args):
    """run.json's "settings": the parsed options, for either task."""
    return {k: v for k, v in vars(args).items() if k != "command"}


def _certificate_common(args, norm, units, exact):
    """The keys of run.json's "certificate" that both tasks share (norm, method, draws)."""
    return {
        "norm": norm,
        "units": units,
        "method": "exact" if exact else "monte_carlo",
        "n_samples": None if exact else args.n_samples,
        "alpha": None if exact else args.alpha,
    }


def _write_run(path, args, data, encoder, train, test, results, norm, units, exact, abstain,
               version, seconds):
    label = NOISES[args.noise][1]
    noised = args.noise != "subspace"
    settings = _settings(args)
    covers = ("perturbations of the numeric columns (after imputation), in the noise's norm; "
              "text columns held fixed")
    if norm in ("l2", "l1") and not args.no_standardize:
        covers += ("; a radius r lets numeric column j alone move by "
                   "r * radius_unit_in_column_units in its own units")
    record = {
        "sksmooth_version": version,
        "command": "sksmooth certify",
        "task": "classification",
        "settings": settings,
        "data": {
            **_data_summary(args, data, encoder, train, test),
            "classes": np.unique(data.y).tolist(),
        },
        "features": encoder.describe(data, train, [r["level"] for r in results], noised),
        "certificate": {
            **_certificate_common(args, norm, units, exact),
            "abstain_label": abstain,
            "covers": covers,
        },
        "results": [
            {label: res["level"], "base_accuracy": res["base_accuracy"],
             "certified_accuracy": res["certified_accuracy"],
             "average_certified_radius": res["average_certified_radius"],
             "abstained_fraction": res["abstained"], "monte_carlo_cap": res["cap"],
             "seconds": res["seconds"]}
            for res in results
        ],
        "seconds": seconds,
    }
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(_jsonable(record), handle, indent=2, ensure_ascii=False)
        handle.write("\n")


def _check_task_options(args, regression):
    """Options that belong to the other task, and estimators without a form for this one."""
    from ._cli_regression import make_regressor

    if regression:
        if args.estimator not in REGRESSORS:
            make_regressor(args.estimator, None)  # the one-line error naming the choices
        if args.n_select is not None:
            raise UserError("--n-select applies to classification only (certified regression "
                            "draws no selection sample)")
        if args.percentile is None:
            args.percentile = 0.5
        return
    if args.estimator not in ESTIMATORS:
        module, cls, _ = REGRESSORS[args.estimator]
        raise UserError(f"--estimator {args.estimator} is a regressor ({cls}) with no "
                        "classification form, and the target holds class labels; choose one "
                        f"of {', '.join(sorted(ESTIMATORS))} (or --task regression for a "
                        "numeric target)")
    for option in ("percentile", "tolerance", "radius"):
        if getattr(args, option) is not None:
            raise UserError(f"--{option} applies to certified regression only, and the target "
                            "holds class labels (--task regression for a numeric target)")


def _regression(args, data, encoder, train, test, X_train, X_test, levels, label, out, start):
    """Certified regression on a continuous target: table, certificates, plot, run.json."""
    from . import __version__
    from . import _cli_regression as creg

    y_train, y_test = data.y[train], data.y[test]
    sd = float(np.std(y_train))
    if args.tolerance is not None:
        tolerance, rule = args.tolerance, "--tolerance"
    elif sd > 0:
        tolerance = creg.TOLERANCE_FRACTION * sd
        rule = (f"{creg.TOLERANCE_FRACTION:g} x the target's standard deviation {sd:.4g} on "
                "the training rows; --tolerance to change")
    else:
        raise UserError(f"the target {args.target!r} is constant on the training rows; there "
                        "is nothing to regress (or pass --tolerance)")
    results, radii, norm = creg.fit_and_certify(
        args, levels, lambda level: _make_noise(args, level, encoder.noised_features()),
        X_train, y_train, X_test, y_test, tolerance, args.radius)
    units = _units(args, norm)
    creg.print_report(out, args, results, radii, norm, label, tolerance, rule)
    exact = all(res["exact"] for res in results)
    if args.output:
        path = os.path.join(args.output, "certificates.csv")
        creg.write_certificates(path, data.ids[test], y_test, results, label, norm, units,
                                tolerance, args.radius)
        png = os.path.join(args.output, "certified_coverage.png")
        creg.plot(png, results, y_test, norm, label)
        run = os.path.join(args.output, "run.json")
        covers = ("the smoothed percentile of the base model's output (not the base model, "
                  "not the target) at every perturbation of the numeric columns (after "
                  "imputation) within the radius, in the noise's norm; text columns held "
                  "fixed; per input, with probability >= 1 - alpha where sampled")
        record = {
            "sksmooth_version": __version__,
            "command": "sksmooth certify",
            "task": "regression",
            "settings": _settings(args),
            "data": {
                **_data_summary(args, data, encoder, train, test),
                "target": {"name": args.target, "mean": float(np.mean(y_train)),
                           "standard_deviation": sd, "min": float(np.min(y_train)),
                           "max": float(np.max(y_train)), "measured_on": "training rows"},
            },
            "features": encoder.describe(data, train, levels, args.noise != "subspace"),
            "certificate": {
                **_certificate_common(args, norm, units, exact),
                "percentile": args.percentile,
                "tolerance": tolerance,
                "tolerance_rule": rule,
                "radii": radii,
                "covers": covers,
            },
            "results": creg.run_results(results, label),
            "seconds": time.perf_counter() - start,
        }
        with open(run, "w", encoding="utf-8", newline="\n") as handle:
            json.dump(_jsonable(record), handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        print(f"wrote {path}, {run} and {png}", file=out)
    if args.plot:
        creg.plot(args.plot, results, y_test, norm, label)
        print(f"wrote {args.plot}", file=out)
    return 0


def _silence_stdout():
    """After a broken pipe: point stdout at devnull so the exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass


def main(argv=None):
    """Entry point of the ``sksmooth`` command."""
    try:
        args = _build_parser().parse_args(argv)
        code = certify_command(args)
        sys.stdout.flush()
        return code
    except UserError as exc:
        print(f"sksmooth: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `sksmooth certify | head`: the reader left; stop quietly
        _silence_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a process the pipe ended
    except KeyboardInterrupt:
        print("sksmooth: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
