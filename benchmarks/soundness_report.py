"""Run the soundness suite's cases and print the table of docs/user_guide/soundness.rst.

Usage (from the repository root)::

    python benchmarks/soundness_report.py

Runs exactly the cases and seeds of ``tests/soundness`` (the tables in
``tests/soundness/_cases.py``) and prints reStructuredText tables and totals.
"""

import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tests.soundness._cases import (  # noqa: E402
    CERTIFY_CASES,
    NONLINEAR_CASES,
    PATHS,
    allowed,
    certify_runs,
    run_certify_case,
    run_linear_attack_case,
    run_nonlinear_attack_case,
    run_predict_case,
)
from tests.test_bad_inputs import BAD_INPUTS_TRIED  # noqa: E402


def table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = "  ".join("=" * w for w in widths)
    fmt = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line, fmt(header), line, *map(fmt, rows), line])


def main():
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    rows, tot = [], {"points": 0, "certified": 0, "over": 0, "allowed_sum": 0.0}
    closed_err = 0.0
    for path, case, alpha in certify_runs():
        r = run_certify_case(case, path=path, alpha=alpha)
        closed = PATHS[path].closed_form
        power = f"{r['mean_ratio']:.2f}"
        if closed:
            closed_err = max(closed_err, r["max_rel_err"])
        rows.append([case.name, path, "any" if closed else alpha, r["points"], r["certified"],
                     r["overclaims"], 0 if closed else r["allowed"],
                     "0" if closed else f"{alpha * r['points']:.1f}", power])
        tot["points"] += r["points"]
        tot["certified"] += r["certified"]
        tot["over"] += r["overclaims"]
        tot["allowed_sum"] += 0 if closed else alpha * r["points"]
    for case in CERTIFY_CASES:
        r = run_predict_case(case, alpha=0.05)
        rows.append([case.name, "PREDICT", 0.05, r["points"], r["certified"], r["overclaims"],
                     r["allowed"], f"{0.05 * r['points']:.1f}", "-"])
        tot["points"] += r["points"]
        tot["certified"] += r["certified"]
        tot["over"] += r["overclaims"]
        tot["allowed_sum"] += 0.05 * r["points"]
    print("Statistical soundness (3 seeds per case; over-claim = wrong label or radius above "
          "the exact radius)\n")
    print(table(["case", "path", "alpha", "points", "certified", "over-claims",
                 "allowed (1e-4)", "expected <=", "mean r / exact"], rows))

    att_rows, attacks, candidates, inside, att_allowed = [], 0, 0, 0, 0
    for case in CERTIFY_CASES:
        kw = {"n_points": 5, "n_draws": 1000} if "30 features" in case.name else {}
        r = run_linear_attack_case(case, **kw)
        att_rows.append([case.name, "1e-05", r["attacks"], r["candidates"], r["inside_found"],
                         0, f"{r['outside_found']}/{r['outside_tried']}", "-"])
        attacks += r["attacks"]
        candidates += r["candidates"]
        inside += r["inside_found"]
    for name in NONLINEAR_CASES:
        r = run_nonlinear_attack_case(name)
        bound = allowed(r["certified"], r["alpha"] + 3e-6)
        ratios = np.array(r["ratios"])
        att_rows.append([name, r["alpha"], r["attacks"], r["candidates"], r["inside_found"],
                         bound, f"{r['reach_found']}/{r['certified']} within 3 r",
                         f"{np.median(ratios):.2f}" if ratios.size else "-"])
        attacks += r["attacks"]
        candidates += r["candidates"]
        inside += r["inside_found"]
        att_allowed += bound
    print("\nAdversarial falsification (gradient-free attack on the smoothed classifier)\n")
    print(table(["base", "alpha", "attacks", "points scored", "found inside r", "allowed",
                 "found outside", "median flip / r"], att_rows))
    print("\nTotals")
    print(f"  inputs certified (points x seeds): {tot['points']}, non-abstained: "
          f"{tot['certified']}")
    print(f"  over-claims observed: {tot['over']} (expected at most {tot['allowed_sum']:.1f} "
          f"from alpha; each check's bound in the table)")
    print(f"  closed-form (exact linear) radii: largest |r - exact| / exact = {closed_err:.1e}")
    print(f"  attacks tried: {attacks} ({candidates} candidate points scored by Monte Carlo), "
          f"successes inside a certified radius: {inside} (allowed {att_allowed})")
    print(f"  bad inputs tried (tests/test_bad_inputs.py): {BAD_INPUTS_TRIED}")
    print(f"  wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
