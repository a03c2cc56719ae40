"""Gaussian-smoothed objectives (sksmooth/optimize.py) against closed forms.

Closed forms, u ~ N(0, I), g(x) = E f(x + sigma u):
* quadratic f = x^T A x / 2 + b^T x: g = f + sigma^2 / 2 tr A, grad g = A x + b;
* quartic f = sum x_j^4: g = sum x_j^4 + 6 sigma^2 x_j^2 + 3 sigma^4, grad g = 4 x^3 + 12 sigma^2 x;
* |x| (1-D): g = sigma sqrt(2/pi) exp(-x^2 / 2 sigma^2) + x (2 Phi(x / sigma) - 1),
  g' = 2 Phi(x / sigma) - 1;
* Rastrigin: E cos(2 pi (x + sigma u)) = exp(-2 pi^2 sigma^2) cos(2 pi x).

Statistical checks and their false-alarm rates (all seeds fixed, so each outcome is
reproducible; the rate is the chance that a correct implementation fails on a fresh seed):
* "within 4 standard errors": |Z| > 4 has probability 6.3e-5 per coordinate (n >= 2,000
  draws, so the estimated standard error is within a few percent of the true one);
* standard-error calibration: the sum of 300 squared z-scores is chi-square(300); the test
  fails outside its [1e-5, 1 - 1e-5] quantiles (false alarm 2e-5).
"""

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import OptimizeResult
from scipy.optimize import minimize as scipy_minimize

from sksmooth.optimize import GaussianSmoothing, SmoothingEstimate, minimize

A = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 3.0]])
B = np.array([1.0, -2.0, 0.5])


def quadratic(X):
    return 0.5 * np.einsum("ij,jk,ik->i", X, A, X) + X @ B


def quartic(X):
    return (X**4).sum(axis=1)


def rastrigin(X):
    X = np.atleast_2d(X)
    return 10 * X.shape[1] + (X**2 - 10 * np.cos(2 * np.pi * X)).sum(axis=1)


def absolute(X):
    return np.abs(X[:, 0])


POINTS = [np.array([0.3, -1.2, 2.0]), np.array([0.0, 0.0, 0.0])]


@pytest.mark.parametrize("antithetic", [True, False])
@pytest.mark.parametrize("x", POINTS)
def test_quadratic_value_and_gradient_within_four_standard_errors(x, antithetic):
    sigma = 0.7
    smooth = GaussianSmoothing(quadratic, sigma, n_samples=4000, antithetic=antithetic,
                               random_state=1)
    value = smooth.value(x)
    exact = quadratic(x[None])[0] + sigma**2 / 2 * np.trace(A)
    assert abs(value.estimate - exact) < 4 * value.stderr
    grad = smooth.gradient(x)
    assert np.all(np.abs(grad.estimate - (A @ x + B)) < 4 * grad.stderr)
    assert grad.estimate.shape == grad.stderr.shape == (3,)


@pytest.mark.parametrize("sigma", [0.1, 0.5, 1.5])
def test_quartic_value_and_gradient_within_four_standard_errors(sigma):
    x = np.array([1.0, -0.4])
    smooth = GaussianSmoothing(quartic, sigma, n_samples=5000, random_state=2)
    value = smooth.value(x)
    exact = np.sum(x**4 + 6 * sigma**2 * x**2 + 3 * sigma**4)
    assert abs(value.estimate - exact) < 4 * value.stderr
    grad = smooth.gradient(x)
    assert np.all(np.abs(grad.estimate - (4 * x**3 + 12 * sigma**2 * x)) < 4 * grad.stderr)


@pytest.mark.parametrize("x0", [-0.8, 0.0, 0.25, 1.0])
def test_non_differentiable_absolute_value(x0):
    sigma = 0.5
    smooth = GaussianSmoothing(absolute, sigma, n_samples=4000, random_state=3)
    exact = (sigma * np.sqrt(2 / np.pi) * np.exp(-x0**2 / (2 * sigma**2))
             + x0 * (2 * stats.norm.cdf(x0 / sigma) - 1))
    value = smooth.value([x0])
    assert abs(value.estimate - exact) < 4 * value.stderr
    grad = smooth.gradient([x0])
    # At x = 0 the symmetric difference of the even |x| is exactly 0: estimate 0, stderr 0.
    assert abs(grad.estimate[0] - (2 * stats.norm.cdf(x0 / sigma) - 1)) <= 4 * grad.stderr[0]


def test_rastrigin_value_matches_closed_form():
    x, sigma = np.array([3.3, -0.7]), 0.3
    value = GaussianSmoothing(rastrigin, sigma, n_samples=5000, random_state=4).value(x)
    exact = 20 + np.sum(x**2 + sigma**2 - 10 * np.exp(-2 * np.pi**2 * sigma**2)
                        * np.cos(2 * np.pi * x))
    assert abs(value.estimate - exact) < 4 * value.stderr


def test_standard_errors_are_calibrated():
    # The z-scores of 300 independent estimates (distinct random_state) are standard normal
    # if the standard errors are right: sum z^2 ~ chi2(300). Too large a standard error
    # (which would make the 4-SE checks above vacuous) fails this test as surely as too small.
    x, sigma, n_rep = np.array([1.0, -0.4]), 0.5, 150
    exact_value = np.sum(x**4 + 6 * sigma**2 * x**2 + 3 * sigma**4)
    exact_grad = 4 * x**3 + 12 * sigma**2 * x
    z = []
    for seed in range(n_rep):
        # Distinct seeds: value and gradient at one point with one seed share their draws.
        value = GaussianSmoothing(quartic, sigma, n_samples=2000, random_state=2 * seed).value(x)
        grad = GaussianSmoothing(quartic, sigma, n_samples=2000,
                                 random_state=2 * seed + 1).gradient(x)
        z.append((value.estimate - exact_value) / value.stderr)
        z.append((grad.estimate[0] - exact_grad[0]) / grad.stderr[0])
    chi2 = np.sum(np.square(z))
    lo, hi = stats.chi2.ppf([1e-5, 1 - 1e-5], df=len(z))
    assert lo < chi2 < hi, chi2


def test_evaluation_counts():
    x = np.array([0.5, 0.5])
    anti = GaussianSmoothing(quartic, 0.3, n_samples=100, random_state=0)
    plain = GaussianSmoothing(quartic, 0.3, n_samples=100, antithetic=False, random_state=0)
    assert anti.value(x).n_evaluations == 200 and anti.gradient(x).n_evaluations == 200
    assert plain.value(x).n_evaluations == 100 and plain.gradient(x).n_evaluations == 101
    result = anti.value(x)
    assert isinstance(result, SmoothingEstimate)
    estimate, stderr, n_evaluations = result  # unpacks as a tuple
    assert isinstance(estimate, float) and isinstance(stderr, float)


def test_antithetic_variance_below_plain_at_equal_cost():
    # Same number of evaluations of f: n antithetic pairs versus 2n plain draws. The odd
    # part of f around x cancels in the value's pairs, the even part in the gradient's
    # symmetric difference. For the quadratic the per-pair value term is
    # f(x) + sigma^2 u^T A u / 2, whose variance sigma^4 ||A||_F^2 / 2 = 0.46 is far below
    # the plain term's sigma^2 ||grad f||^2 + that = 15.8 (half of it for 2n draws): the
    # ratio of standard errors is about 0.25. Near the minimum (small gradient) the
    # forward difference keeps a curvature term the symmetric one cancels.
    x = np.array([0.3, -1.2, 2.0])
    x_near_min = np.linalg.solve(A, -B) + 0.05
    for seed in range(5):
        anti = GaussianSmoothing(quadratic, 0.5, n_samples=1000, random_state=seed)
        plain = GaussianSmoothing(quadratic, 0.5, n_samples=2000, antithetic=False,
                                  random_state=seed)
        v_anti, v_plain = anti.value(x), plain.value(x)
        assert v_anti.n_evaluations == v_plain.n_evaluations
        assert v_anti.stderr < 0.5 * v_plain.stderr
        g_anti, g_plain = anti.gradient(x_near_min), plain.gradient(x_near_min)
        assert np.all(g_anti.stderr < 0.5 * g_plain.stderr)


def test_reproducible_per_random_state_and_independent_of_batch_size():
    x = np.array([0.2, 0.9])
    smooth = GaussianSmoothing(quartic, 0.4, n_samples=500, random_state=7)
    first, again = smooth.value(x), smooth.value(x)
    assert first == again
    np.testing.assert_array_equal(smooth.gradient(x).estimate, smooth.gradient(x).estimate)
    batched = GaussianSmoothing(quartic, 0.4, n_samples=500, random_state=7, batch_size=7)
    np.testing.assert_allclose(batched.value(x).estimate, first.estimate, rtol=1e-12)
    np.testing.assert_allclose(batched.value(x).stderr, first.stderr, rtol=1e-9)
    np.testing.assert_allclose(batched.gradient(x).estimate, smooth.gradient(x).estimate,
                               rtol=1e-12)
    other = GaussianSmoothing(quartic, 0.4, n_samples=500, random_state=8).value(x)
    assert other.estimate != first.estimate
    fresh = GaussianSmoothing(quartic, 0.4, n_samples=500, random_state=None)
    assert fresh.value(x).estimate != fresh.value(x).estimate
    # Distinct points get distinct (independent) draws from one random_state.
    shifted = smooth.value(x + 1e-9)
    assert abs(shifted.estimate - first.estimate) > 1e-6


def test_batch_size_bounds_rows_per_call_and_caller_array_untouched():
    sizes = []

    def recording(X):
        sizes.append(X.shape[0])
        return quartic(X)

    x = np.array([0.2, 0.9])
    x_copy = x.copy()
    GaussianSmoothing(recording, 0.4, n_samples=50, batch_size=8, random_state=0).gradient(x)
    assert max(sizes) <= 8 and sum(sizes) == 100
    np.testing.assert_array_equal(x, x_copy)


def test_minimize_rastrigin_reaches_global_basin_where_bfgs_stalls():
    x0 = np.array([3.3, 3.3])
    bfgs = scipy_minimize(lambda x: rastrigin(x)[0], x0, method="BFGS")
    assert np.all(np.abs(bfgs.x) > 2.5) and bfgs.fun > 10  # a local minimum near (3, 3)
    for seed in range(10):
        result = minimize(rastrigin, x0, sigma=1.0, random_state=seed)
        assert isinstance(result, OptimizeResult)
        assert np.all(np.abs(result.x) < 0.5), (seed, result.x)
        assert result.fun < 1.0 and result.success
        assert result.nit == 300 and result.nfev == 300 * 100 + 1
    np.testing.assert_array_equal(x0, [3.3, 3.3])


def test_minimize_reproducible_schedule_and_callback():
    seen = []
    result = minimize(rastrigin, [3.3, 3.3], sigma=1.0, sigma_final=0.05, n_iter=40,
                      random_state=0, callback=lambda r: seen.append((r.nit, r.sigma)))
    again = minimize(rastrigin, [3.3, 3.3], sigma=1.0, sigma_final=0.05, n_iter=40,
                     random_state=0)
    np.testing.assert_array_equal(result.x, again.x)
    sigmas = np.array([s for _, s in seen])
    assert [n for n, _ in seen] == list(range(1, 41))
    np.testing.assert_allclose(sigmas[[0, -1]], [1.0, 0.05])
    assert np.all(np.diff(sigmas) < 0)
    np.testing.assert_allclose(sigmas, np.geomspace(1.0, 0.05, 40))
    assert result.sigma == pytest.approx(0.05)

    def stop(r):
        if r.nit == 5:
            raise StopIteration

    stopped = minimize(rastrigin, [3.3, 3.3], n_iter=40, random_state=0, callback=stop)
    assert stopped.nit == 5 and not stopped.success


def test_minimize_gradient_descent_on_a_quadratic():
    result = minimize(quadratic, np.zeros(3), sigma=0.5, method="gd", learning_rate=0.2,
                      n_iter=300, n_samples=200, random_state=0)
    np.testing.assert_allclose(result.x, np.linalg.solve(A, -B), atol=0.05)


@pytest.mark.parametrize("sigma", [0, -1.0])
def test_bad_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        GaussianSmoothing(quartic, sigma).value([1.0])
    with pytest.raises(ValueError, match="sigma"):
        minimize(quartic, [1.0], sigma=sigma)


def test_bad_f_and_parameters():
    with pytest.raises(ValueError, match="'f' parameter"):
        GaussianSmoothing("not a function", 1.0).value([1.0])
    with pytest.raises(ValueError, match="'f' parameter"):
        minimize(np.ones(3), [1.0])
    with pytest.raises(ValueError, match="n_samples"):
        GaussianSmoothing(quartic, 1.0, n_samples=1).gradient([1.0])
    with pytest.raises(ValueError, match="sigma_final"):
        minimize(quartic, [1.0], sigma=0.5, sigma_final=1.0)
    with pytest.raises(ValueError, match="method"):
        minimize(quartic, [1.0], method="newton")


@pytest.mark.parametrize("x", [1.0, [[1.0, 2.0]], [], [1.0, np.nan]])
def test_bad_x(x):
    smooth = GaussianSmoothing(quartic, 1.0, n_samples=10)
    for call in (smooth.value, smooth.gradient, lambda x: minimize(quartic, x, n_iter=2)):
        with pytest.raises(ValueError, match="x must"):
            call(x)


@pytest.mark.parametrize("bad_f, match", [
    (lambda X: X.sum(axis=1, keepdims=True), r"shape \(m,\)"),
    (lambda X: X.sum(), r"shape \(m,\)"),
    (lambda X: np.full(X.shape[0], np.nan), "NaN or infinity"),
])
def test_f_returning_wrong_values(bad_f, match):
    smooth = GaussianSmoothing(bad_f, 1.0, n_samples=10)
    with pytest.raises(ValueError, match=match):
        smooth.value([1.0, 2.0])
    with pytest.raises(ValueError, match=match):
        minimize(bad_f, [1.0, 2.0], n_iter=2)


def test_importing_sksmooth_and_optimize_does_not_import_torch():
    code = ("import sys, sksmooth, sksmooth.optimize; "
            "print('torch' in sys.modules, 'sksmooth.torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
