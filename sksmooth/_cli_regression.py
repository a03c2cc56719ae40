"""Certified regression in ``sksmooth certify``: a continuous target.

:mod:`sksmooth.cli` reads, splits and encodes the data and builds the noise;
this module fits one :class:`~sksmooth.SmoothedRegressor` per noise level,
certifies the test rows at a range of radii, prints the certified-coverage
table and writes ``certificates.csv``, the plot and the run record.

Certified coverage at radius ``r`` (:func:`~sksmooth.metrics.certified_coverage`):
the fraction of test rows whose certified interval ``[lower, upper]`` (every
value the smoothed percentile takes within ``r`` of the row) lies within
``tolerance`` of the true value.
"""

import csv
import math
import time
import warnings

import numpy as np

from ._cli_data import UserError, uses_closed_form
from ._warnings import SmoothingWarning

#: --estimator choices for a continuous target: (module, class, parameters).
REGRESSORS = {
    "linear": ("sklearn.linear_model", "LinearRegression", {}),
    "random_forest": ("sklearn.ensemble", "RandomForestRegressor", {"n_estimators": 100}),
    "gradient_boosting": ("sklearn.ensemble", "HistGradientBoostingRegressor", {}),
    "decision_tree": ("sklearn.tree", "DecisionTreeRegressor", {}),
    "knn": ("sklearn.neighbors", "KNeighborsRegressor", {}),
    "svm": ("sklearn.svm", "SVR", {}),
    "mlp": ("sklearn.neural_network", "MLPRegressor", {"max_iter": 500}),
}

#: Default --tolerance, as a fraction of the target's standard deviation on the training rows.
TOLERANCE_FRACTION = 0.5


def make_regressor(name, random_state):
    """The base regressor ``name``; a one-line error where it has no regression form."""
    import importlib

    if name not in REGRESSORS:
        raise UserError(
            f"--estimator {name} is a classifier with no regression form, and the target is "
            f"continuous; choose one of {', '.join(sorted(REGRESSORS))} (or --task "
            "classification to treat the target's values as classes)"
        )
    module, cls, params = REGRESSORS[name]
    est = getattr(importlib.import_module(module), cls)(**params)
    if "random_state" in est.get_params():
        est.set_params(random_state=random_state)
    return est


def monte_carlo_cap(noise, n_samples, alpha, percentile):
    """Largest radius ``n_samples`` draws can bound at level ``alpha``; None if none.

    The lower bound is the ``k``-th smallest of ``n`` outputs with ``k >= 1`` only
    if ``P[Binom(n, q) >= 1] = 1 - (1 - q)^n >= 1 - alpha / 2``, i.e.
    ``q >= t = 1 - (alpha / 2)^(1/n)``, at ``q = worst_case_probability(p, r)``;
    the upper bound likewise at ``1 - p`` (Chiang et al. 2020, order statistics).
    Beyond the cap the bounds are infinite. Found by bisection on ``r``
    (``worst_case_probability`` is non-increasing in ``r``), rounded down.
    """
    t = -math.expm1(math.log(alpha / 2) / n_samples)

    def bounded(r):
        return min(float(noise.worst_case_probability(percentile, r)),
                   float(noise.worst_case_probability(1.0 - percentile, r))) >= t

    if not bounded(0.0):
        return None
    if noise.norm == "l0":
        r = 0
        while r < 10_000 and bounded(r + 1):
            r += 1
        return float(r)
    hi = 1.0
    while bounded(hi) and hi < 1e12:
        hi *= 2.0
    lo = 0.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if bounded(mid) else (lo, mid)
    return lo


def _round_radii(top):
    """About eight round radii from 0 to ``top`` (inclusive where round)."""
    if not top > 0:
        return np.array([0.0])
    raw = top / 8
    magnitude = 10 ** np.floor(np.log10(raw))
    step = min(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return np.round(np.arange(np.floor(top / step + 1e-9) + 1) * step, 6)


def table_radii(caps, levels, norm, extra_top=None):
    """Radii for the table: up to the largest Monte Carlo cap; exact: up to ``extra_top``."""
    finite = [c for c in caps if c is not None]
    if norm == "l0":
        top = max(finite) if finite else max(extra_top or 0.0, 2.0)
        return np.arange(int(top) + 1, dtype=float)
    if finite and len(finite) == len(caps):
        return _round_radii(max(finite))
    top = extra_top if extra_top is not None and extra_top > 0 else 2.0 * max(levels)
    radii = _round_radii(top)
    return np.append(radii, radii[-1] + (radii[1] - radii[0] if radii.size > 1 else 1.0))


def fit_and_certify(args, levels, make_noise, X_train, y_train, X_test, y_test, tolerance,
                    radius_option):
    """One result per noise level: predictions and bounds at every table radius."""
    from . import SmoothedRegressor
    from .metrics import certified_coverage, mean_certified_half_width

    fitted = []
    for level in levels:
        reg = SmoothedRegressor(
            make_regressor(args.estimator, args.random_state), make_noise(level),
            n_samples=args.n_samples, alpha=args.alpha, percentile=args.percentile,
            noise_augment=args.noise_augment, batch_size=args.batch_size, n_jobs=args.n_jobs,
            random_state=args.random_state, verbose=0 if args.quiet else 1,
        )
        begin = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SmoothingWarning)  # the cap line says it
                reg.fit(X_train, y_train)
        except ValueError as exc:
            raise UserError(f"fitting {args.estimator} failed: {str(exc).splitlines()[0]}") \
                from None
        exact = uses_closed_form(reg, args.method)
        cap = None if exact else monte_carlo_cap(reg.noise_, args.n_samples, args.alpha,
                                                 args.percentile)
        fitted.append({"level": level, "reg": reg, "exact": exact, "cap": cap,
                       "seconds": time.perf_counter() - begin})
    norm = fitted[0]["reg"].noise_.norm
    extra_top = None
    if any(res["exact"] for res in fitted):  # exact: up to where every row leaves tolerance
        extra_top = max(float(np.max(res["reg"].certified_radius(X_test, tolerance=tolerance)))
                        for res in fitted if res["exact"])
    radii = table_radii([res["cap"] for res in fitted], levels, norm, extra_top)
    if radius_option is not None:
        radii = np.unique(np.append(radii, radius_option))
    for res in fitted:
        reg, begin = res["reg"], time.perf_counter()
        # every table radius on one set of draws (certify takes a list of radii)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmoothingWarning)  # infinite bounds: the cap says it
            y_pred, lower, upper = reg.certify(X_test, radius=[float(r) for r in radii])
        res["radii"], res["y_pred"] = radii, y_pred
        res["lower"], res["upper"] = lower.T, upper.T
        res["coverage"] = np.array([certified_coverage(y_test, lo, up, tolerance=tolerance)
                                    for lo, up in zip(res["lower"], res["upper"])])
        res["half_width"] = np.array([mean_certified_half_width(lo, up)
                                      for lo, up in zip(res["lower"], res["upper"])])
        base = np.asarray(reg.estimator_.predict(X_test), dtype=np.float64)
        res["base_coverage"] = float(np.mean(np.abs(base - y_test) <= tolerance))
        res["base_mae"] = float(np.mean(np.abs(base - y_test)))
        res["smoothed_mae"] = float(np.mean(np.abs(y_pred - y_test)))
        res["seconds"] += time.perf_counter() - begin
    return fitted, radii, norm


def print_report(out, args, results, radii, norm, label, tolerance, tolerance_text):
    exact = all(res["exact"] for res in results)
    if exact:
        print(f"\n{args.estimator}, {norm} radius, percentile={args.percentile:g}, exact "
              "certificate (closed form: no sampling, no alpha)", file=out)
    else:
        print(f"\n{args.estimator}, {norm} radius, percentile={args.percentile:g}, "
              f"n_samples={args.n_samples}, alpha={args.alpha}", file=out)
    print(f"certified coverage: fraction of test rows whose certified interval [lower, upper] "
          f"at the radius lies within tolerance {tolerance:.4g} of the true value "
          f"({tolerance_text}); half-width: mean of (upper - lower) / 2, in target units",
          file=out)
    first, width = 22, 12
    levels = "".join(f"{label + '=' + format(res['level'], 'g'):>{2 * width}}"
                     for res in results)
    print(f"{'':<{first}}{levels}", file=out)
    print(f"{'radius':<{first}}" + f"{'coverage':>{width}}{'half-width':>{width}}" * len(results),
          file=out)
    print("-" * (first + 2 * width * len(results)), file=out)
    print(f"{'clean (base model)':<{first}}" + "".join(
        f"{res['base_coverage']:>{width}.3f}{'-':>{width}}" for res in results), file=out)
    for k, r in enumerate(radii):
        cells = []
        for res in results:
            if res["cap"] is not None and r > res["cap"] or not np.isfinite(res["half_width"][k]):
                cells.append(f"{'-':>{width}}{'-':>{width}}")
            else:  # a half-width of rounding error only (exact paths widen outward) shows 0
                hw = res["half_width"][k]
                hw = 0.0 if hw <= 1e-9 * tolerance else hw
                cells.append(f"{res['coverage'][k]:>{width}.3f}{hw:>{width}.4g}")
        print(f"{r:<{first}.3f}" + "".join(cells), file=out)
    sampled = [res for res in results if not res["exact"]]
    if sampled:
        caps = ", ".join(f"{label}={res['level']:g}: "
                         + ("none" if res["cap"] is None else f"{res['cap']:.3f}")
                         for res in sampled)
        print(f"Monte Carlo cap: n_samples={args.n_samples} and alpha={args.alpha} bound the "
              f"{args.percentile:g} percentile at no radius above {caps} (beyond it the order "
              "statistic does not exist and the bounds are infinite; '-' in the table)",
              file=out)
    print("", file=out)
    for res in results:
        print(f"{label}={res['level']:g}: base model MAE {res['base_mae']:.4g}, within "
              f"tolerance {res['base_coverage']:.3f}; smoothed MAE {res['smoothed_mae']:.4g}; "
              f"certified coverage @0: {res['coverage'][0]:.3f}; "
              f"{'exact' if res['exact'] else 'Monte Carlo'}; {res['seconds']:.1f} s",
              file=out)


def write_certificates(path, ids, y_test, results, label, norm, units, tolerance, radius):
    """One row per test input, noise level and radius (only ``radius`` when given)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", label, "radius", "y_true", "y_pred", "lower", "upper",
                         "within_tolerance", "norm", "units"])
        for res in results:
            for k, r in enumerate(res["radii"]):
                if radius is not None and r != radius:
                    continue
                lower, upper = res["lower"][k], res["upper"][k]
                inside = (lower >= y_test - tolerance) & (upper <= y_test + tolerance)
                for i in range(len(y_test)):
                    writer.writerow([ids[i], f"{res['level']:g}", f"{r:g}", repr(float(y_test[i])),
                                     repr(float(res["y_pred"][i])), repr(float(lower[i])),
                                     repr(float(upper[i])), int(inside[i]), norm, units])


def plot(path, results, y_test, norm, label, n_bands=5):
    """Coverage and half-width against the radius; bounds of a few test rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import CertifiedBoundsDisplay

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    for res in results:
        ok = np.isfinite(res["half_width"])
        left.plot(res["radii"][ok], res["coverage"][ok], marker="o", markersize=3,
                  label=f"{label} = {res['level']:g}")
    left.set_xlabel(f"radius ({norm})")
    left.set_ylabel("certified coverage")
    left.set_ylim(-0.02, 1.02)
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    left.set_title("certified coverage (interval within tolerance of the truth)", fontsize=9)
    first = results[0]
    CertifiedBoundsDisplay.from_predictions(
        first["radii"], first["y_pred"][:n_bands], first["lower"][:, :n_bands],
        first["upper"][:, :n_bands], y_true=y_test[:n_bands], norm=norm, ax=right)
    right.set_title(f"certified bounds of {min(n_bands, len(y_test))} test rows "
                    f"({label} = {first['level']:g}; dot: true value)", fontsize=9)
    right.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_results(results, label):
    """The per-level part of ``run.json``."""
    return [
        {label: res["level"], "method": "exact" if res["exact"] else "monte_carlo",
         "monte_carlo_cap": res["cap"], "base_mae": res["base_mae"],
         "base_within_tolerance": res["base_coverage"], "smoothed_mae": res["smoothed_mae"],
         "certified_coverage": {f"{r:g}": float(c) for r, c in zip(res["radii"], res["coverage"])},
         "mean_certified_half_width": {f"{r:g}": (float(h) if np.isfinite(h) else None)
                                       for r, h in zip(res["radii"], res["half_width"])},
         "seconds": res["seconds"]}
        for res in results
    ]
