"""Statistical soundness: certificates against the exact radius of known models.

Each input's certificate over-claims (wrong label, or a radius above the exact
radius) with probability at most ``alpha``, independently across inputs and
seeds (each input has its own noise stream), so the over-claim count is
stochastically below Binomial(points, alpha). Each check fails when the count
exceeds that binomial's (1 - 1e-4) quantile: false-alarm rate <= 1e-4 per check
(and the seeds are fixed, so the outcome is deterministic).
"""

import numpy as np
import pytest

from sksmooth._stats import clopper_pearson_lower

from ._cases import (
    CERTIFY_CASES,
    PATHS,
    allowed,
    certify_runs,
    run_certify_case,
    run_predict_case,
)

pytestmark = [pytest.mark.soundness, pytest.mark.slow]


RUNS = certify_runs()


@pytest.mark.parametrize("path,case,alpha", RUNS,
                         ids=[f"{p} | {c.name} | {a}" for p, c, a in RUNS])
def test_certify_over_claims_within_binomial_bound(path, case, alpha):
    """Over-claims <= binom.isf(1e-4, points, alpha); false-alarm rate <= 1e-4.

    Closed-form paths (no sampling) must have no over-claim at all and radii
    equal to the exact ones within the path's ``rtol`` (1e-9 unless stated); deterministic.
    """
    res = run_certify_case(case, path=path, alpha=alpha)
    assert res["points"] == 1200
    if PATHS[path].closed_form:
        assert res["overclaims"] == 0, res
        assert res["frac_certified"] > 0.99, res
        assert res["max_rel_err"] < PATHS[path].rtol, res
        return
    assert res["overclaims"] <= res["allowed"], res
    # Power: a sound method that always abstains would pass the check above.
    if PATHS[path].fixed_radius:  # certified at r = radius(pA=0.8): a share of the inputs
        assert res["frac_certified"] > 0.15, res
        return
    assert res["frac_certified"] > case.min_certified, res
    assert res["mean_ratio"] > case.min_ratio[alpha != 0.05], res


@pytest.mark.parametrize("case", CERTIFY_CASES, ids=lambda c: c.name)
def test_predict_certified_over_claims_within_binomial_bound(case):
    """PREDICT answers the wrong class w.p. <= alpha per input; false-alarm rate <= 1e-4."""
    res = run_predict_case(case, alpha=0.05)
    assert res["overclaims"] <= res["allowed"], res
    assert res["frac_certified"] > 0.3, res


def test_the_check_catches_an_unsound_certifier():
    """The harness can fail: a plug-in estimate of pA (no confidence bound) over-claims.

    Certificates from ``pA_hat = nA / n`` exceed the exact radius for about
    half the inputs, far above the binomial bound at alpha = 0.05.
    Deterministic (fixed seeds); no false-alarm rate applies.
    """
    case = CERTIFY_CASES[0]
    base, X = case.model(np.random.default_rng(0))
    noise = case.noise()
    label, exact = case.exact(base, noise, X)
    rng = np.random.default_rng(5)
    n = 1000
    # Exact pA of the linear rule: Phi(margin / sigma); draw nA ~ Binomial(n, pA).
    from scipy.stats import norm

    p_a = norm.cdf(exact / noise.sigma)
    n_a = rng.binomial(n, p_a)
    r_plugin = noise.sigma * norm.ppf(np.clip(n_a / n, 0, 1 - 1e-12))
    r_sound = noise.radius(clopper_pearson_lower(n_a, n, 0.05),
                           1 - clopper_pearson_lower(n_a, n, 0.05))
    bound = allowed(X.shape[0], 0.05)
    assert np.sum(r_plugin > exact) > 3 * bound
    assert np.sum(r_sound > exact) <= bound
