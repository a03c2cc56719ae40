"""The ``sksmooth`` command: train, certify and report on a dataset.

``sksmooth certify`` with no arguments trains a smoothed classifier on
scikit-learn's breast-cancer data (standardized, 80/20 split), certifies the
test rows and prints certified accuracy at a range of radii.
"""

import argparse
import csv
import os
import sys
import time

import numpy as np

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
NOISES = {
    "gaussian": ("GaussianNoise", "sigma"),
    "laplace": ("LaplaceNoise", "scale"),
    "uniform": ("UniformNoise", "scale"),
    "subspace": ("SubspaceNoise", "n_keep"),
}


class UserError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="sksmooth",
        description="Provable robustness certificates by randomized smoothing.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    cert = sub.add_parser(
        "certify",
        help="train a smoothed classifier and certify the test rows",
        description="Train a smoothed classifier, certify held-out rows, and report "
        "certified accuracy. Without --csv it uses scikit-learn's breast-cancer data.",
    )
    data = cert.add_argument_group("data")
    data.add_argument("--csv", metavar="FILE", help="CSV file with a header row")
    data.add_argument("--target", metavar="COLUMN", help="name of the label column in --csv")
    data.add_argument("--test-size", type=float, default=0.2, help="held-out fraction (0.2)")
    data.add_argument("--no-standardize", action="store_true",
                      help="do not standardize features (noise is then in raw units)")
    model = cert.add_argument_group("smoothed classifier")
    model.add_argument("--estimator", choices=sorted(ESTIMATORS), default="random_forest",
                       help="base classifier (random_forest)")
    model.add_argument("--noise", choices=sorted(NOISES), default="gaussian",
                       help="noise family: gaussian (l2 radius), laplace or uniform (l1), "
                       "subspace (l0: how many features may change) (gaussian)")
    model.add_argument("--sigma", type=float, nargs="+", default=[0.25], metavar="SIGMA",
                       help="noise level(s), sigma for gaussian and scale for laplace and "
                       "uniform; several give one curve each (0.25)")
    model.add_argument("--n-keep", type=int, nargs="+", default=None, metavar="K",
                       help="features kept per draw for --noise subspace; several give one "
                       "curve each (half the features)")
    model.add_argument("--n-samples", type=int, default=10_000, help="Monte Carlo draws (10000)")
    model.add_argument("--n-select", type=int, default=100, help="selection draws (100)")
    model.add_argument("--alpha", type=float, default=0.001, help="failure probability (0.001)")
    model.add_argument("--noise-augment", type=int, default=1,
                       help="noisy copies per training row (1)")
    model.add_argument("--batch-size", type=int, default=None, help="noisy rows per model call")
    model.add_argument("--n-jobs", type=int, default=None, help="parallel jobs")
    model.add_argument("--random-state", type=int, default=0, help="seed (0)")
    out = cert.add_argument_group("output")
    out.add_argument("--output", metavar="DIR",
                     help="write certificates.csv and certified_accuracy.png here")
    out.add_argument("--plot", metavar="FILE",
                     help="write the certified-accuracy curves (one per sigma) to this PNG")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _load_csv(path, target):
    if target is None:
        raise UserError("--csv needs --target COLUMN, the name of the label column")
    if not os.path.isfile(path):
        raise UserError(f"cannot read {path!r}: no such file")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise UserError(f"{path!r} needs a header row and at least one data row")
    header, body = rows[0], [r for r in rows[1:] if r]
    if target not in header:
        raise UserError(f"column {target!r} is not in {path!r}; its columns are {header}")
    t = header.index(target)
    features = [name for j, name in enumerate(header) if j != t]
    if not features:
        raise UserError(f"{path!r} has no feature columns besides {target!r}")
    X = np.empty((len(body), len(features)))
    y = []
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise UserError(f"line {i} of {path!r} has {len(row)} fields, expected {len(header)}")
        y.append(row[t])
        values = [v for j, v in enumerate(row) if j != t]
        for j, value in enumerate(values):
            try:
                X[i - 2, j] = float(value)
            except ValueError:
                raise UserError(
                    f"column {features[j]!r} is not numeric (value {value!r} on line {i}); "
                    "encode it as numbers or drop it"
                ) from None
    y = np.array(y)
    try:
        as_int = y.astype(np.int64)
        if np.array_equal(as_int.astype(str), y):
            y = as_int
    except ValueError:
        pass
    return X, y, features


def _load_data(args):
    if args.csv is not None:
        return _load_csv(args.csv, args.target)
    if args.target is not None:
        raise UserError("--target needs --csv FILE")
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return data.data, data.target, list(data.feature_names)


def _check_args(args):
    if not 0 < args.alpha < 1:
        raise UserError(f"--alpha must be in (0, 1), got {args.alpha}")
    if any(s <= 0 for s in args.sigma):
        raise UserError(f"--sigma must be > 0, got {args.sigma}")
    if args.n_keep is not None and args.noise != "subspace":
        raise UserError("--n-keep applies to --noise subspace only")
    if args.n_samples < 1 or args.n_select < 1:
        raise UserError("--n-samples and --n-select must be at least 1")
    if not 0 < args.test_size < 1:
        raise UserError(f"--test-size must be in (0, 1), got {args.test_size}")
    if args.plot is not None:
        folder = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(folder):
            raise UserError(f"--plot {args.plot!r}: folder {folder!r} does not exist")
        if not args.plot.lower().endswith(".png"):
            raise UserError(f"--plot {args.plot!r}: give a file name ending in .png")


def _make_estimator(name, random_state):
    import importlib

    module, cls, params = ESTIMATORS[name]
    est = getattr(importlib.import_module(module), cls)(**params)
    if "random_state" in est.get_params():
        est.set_params(random_state=random_state)
    return est


def _plot(path, results, y_test, norm, label="sigma"):
    """One certified-accuracy curve per sigma, with the base model's clean accuracy marked."""
    try:
        import matplotlib
    except ImportError:
        raise UserError(
            "writing the plot needs matplotlib: pip install 'sksmooth[plot]' (or matplotlib)"
        ) from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import CertifiedAccuracyDisplay

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for sigma, _, y_pred, radius, base_acc, _ in results:
        CertifiedAccuracyDisplay.from_predictions(
            y_test, y_pred, radius, clean_accuracy=base_acc, name=f"{label} = {sigma:g}",
            norm=norm, ax=ax)
    ax.grid(alpha=0.3)
    ax.set_title("certified accuracy (star: base model on clean inputs)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _table_radii(top, sigmas):
    """About ten round radii from 0 to just past the largest certified radius."""
    span = max(top, max(sigmas))
    raw = span / 10
    magnitude = 10 ** np.floor(np.log10(raw))
    step = min(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    last = np.floor(span / step + 1e-9) + 1  # the first round radius past every certificate
    return np.round(np.arange(last + 1) * step, 6)


def _table(out, radii, curves, sigmas, base_accs, label="sigma"):
    """A readable table: one row per radius, one column per noise level."""
    cols = [f"{label}={s:g}" for s in sigmas]
    width = max(12, *(len(c) + 2 for c in cols))
    first = 22
    print(f"{'radius':<{first}}" + "".join(f"{c:>{width}}" for c in cols), file=out)
    print("-" * (first + width * len(cols)), file=out)
    print(f"{'clean (base model)':<{first}}" + "".join(f"{a:>{width}.3f}" for a in base_accs),
          file=out)
    for k, r in enumerate(radii):
        print(f"{r:<{first}.3f}" + "".join(f"{c[k]:>{width}.3f}" for c in curves), file=out)


def _abstained(y_pred, abstain_label):
    """Boolean mask of the abstained predictions."""
    return np.fromiter((p == abstain_label for p in y_pred.tolist()), bool, count=len(y_pred))


def certify_command(args, out=None):
    """Run ``sksmooth certify``; return the exit status."""
    out = sys.stdout if out is None else out
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from . import SmoothedClassifier
    from . import noise as noises
    from .metrics import average_certified_radius, certified_accuracy

    _check_args(args)
    X, y, _ = _load_data(args)
    classes, counts = np.unique(y, return_counts=True)
    if classes.shape[0] < 2:
        raise UserError("the target column has a single class; certification needs two or more")
    stratify = y if counts.min() >= 2 else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=args.test_size, random_state=args.random_state, stratify=stratify
    )
    if not args.no_standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    source = args.csv or "breast-cancer (scikit-learn)"
    print(f"data: {source}: {X_train.shape[0]} train / {X_test.shape[0]} test rows, "
          f"{X.shape[1]} features, {classes.shape[0]} classes", file=out)
    noise_class, label = NOISES[args.noise]
    if args.noise == "subspace":
        sigmas = args.n_keep or [max(1, X.shape[1] // 2)]
        if any(not 1 <= k <= X.shape[1] for k in sigmas):
            raise UserError(f"--n-keep must be between 1 and {X.shape[1]}, got {sigmas}")
    else:
        sigmas = args.sigma
    results = []
    for sigma in sigmas:
        clf = SmoothedClassifier(
            _make_estimator(args.estimator, args.random_state),
            getattr(noises, noise_class)(sigma),
            n_samples=args.n_samples,
            n_select=args.n_select,
            alpha=args.alpha,
            noise_augment=args.noise_augment,
            batch_size=args.batch_size,
            n_jobs=args.n_jobs,
            random_state=args.random_state,
            verbose=0 if args.quiet else 1,
        )
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        y_pred, radius = clf.certify(X_test)
        elapsed = time.perf_counter() - start
        base_acc = float(np.mean(clf._base_predict(X_test) == y_test))
        results.append((sigma, clf, y_pred, radius, base_acc, elapsed))

    top = max(r[3].max() for r in results)
    if clf.noise_.norm == "l0":
        radii = np.arange(int(top) + 2, dtype=float)
    else:
        radii = _table_radii(top, sigmas)
    print(f"\n{args.estimator}, {clf.noise_.norm} radius, n_samples={args.n_samples}, "
          f"alpha={args.alpha}", file=out)
    print("certified accuracy (correct and certified at least this radius; abstentions "
          "count as errors)", file=out)
    curves = [certified_accuracy(y_test, r[2], r[3], at=radii) for r in results]
    _table(out, radii, curves, sigmas, [r[4] for r in results], label)
    print("", file=out)
    for sigma, _, y_pred, radius, base_acc, elapsed in results:
        summary = ", ".join(
            f"@{r:g}: {certified_accuracy(y_test, y_pred, radius, at=r):.3f}"
            for r in ((0.0, 1.0, 2.0) if clf.noise_.norm == "l0" else (0.0, sigma, 2 * sigma))
        )
        print(f"{label}={sigma:g}: base accuracy {base_acc:.3f}; certified accuracy {summary}; "
              f"average certified radius {average_certified_radius(y_test, y_pred, radius):.3f}; "
              f"abstained {np.mean(_abstained(y_pred, clf.abstain_label_)):.1%}; {elapsed:.1f} s",
              file=out)

    if args.output:
        os.makedirs(args.output, exist_ok=True)
        path = os.path.join(args.output, "certificates.csv")
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["row", label, "y_true", "y_pred", "radius", "abstained"])
            for sigma, fitted, y_pred, radius, _, _ in results:
                abstained = _abstained(y_pred, fitted.abstain_label_)
                for i in range(len(y_test)):
                    writer.writerow([i, sigma, y_test[i], y_pred[i], repr(float(radius[i])),
                                     int(abstained[i])])
        png = os.path.join(args.output, "certified_accuracy.png")
        _plot(png, results, y_test, clf.noise_.norm, label)
        print(f"wrote {path} and {png}", file=out)
    if args.plot:
        _plot(args.plot, results, y_test, clf.noise_.norm, label)
        print(f"wrote {args.plot}", file=out)
    return 0


def main(argv=None):
    """Entry point of the ``sksmooth`` command."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return certify_command(args)
    except UserError as exc:
        print(f"sksmooth: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sksmooth: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
