"""
Smoothed objectives: bias, convexity, and escaping local minima
===============================================================

The Gaussian smoothing of a function ``f: R^d -> R`` is
``g(x) = E f(x + sigma u)``, ``u ~ N(0, I)``: randomized smoothing applied to an
objective instead of a classifier. :class:`sksmooth.optimize.GaussianSmoothing`
estimates ``g`` and its gradient from values of ``f`` alone, each with a
standard error, and :func:`sksmooth.optimize.minimize` descends ``g`` while
``sigma`` shrinks. This example measures three claims instead of asserting
them:

1. the bias ``g - f`` of the smoothed ``x^4`` is exactly
   ``6 sigma^2 x^2 + 3 sigma^4``, which is ``sigma^2 / 2 f''`` to leading order;
2. smoothing a convex function keeps it convex and never makes it steeper, nor
   its gradient more curved (Nesterov & Spokoiny 2017, section 2);
3. on the Rastrigin function, graduated smoothing from ``(3.3, 3.3)`` reaches
   the global minimum where BFGS stops in a local one.
"""

import matplotlib.pyplot as plt
import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import minimize as scipy_minimize
from scipy.stats import norm

from sksmooth.optimize import GaussianSmoothing, minimize

# %%
# 1. The bias of the smoothed quartic
# -----------------------------------
# With ``u ~ N(0, 1)``, ``E u^2 = 1``, ``E u^4 = 3`` and the odd moments vanish, so
# ``E (x + sigma u)^4 = x^4 + 6 sigma^2 x^2 + 3 sigma^4``: the bias is
# ``6 sigma^2 x^2 + 3 sigma^4`` exactly. The second-order approximation
# ``sigma^2 / 2 f''(x) = 6 sigma^2 x^2`` misses the ``3 sigma^4``, which matters
# only when ``sigma`` is not small against ``|x|``. Below, each Monte Carlo bias
# (``value(x) - f(x)``, 20,000 antithetic pairs) is compared with the exact one in
# units of its standard error: ``z`` should look like standard normal draws.


def quartic(X):
    return X[:, 0] ** 4


print(f"{'sigma':>6} {'x':>5} {'MC bias':>10} {'stderr':>9} {'exact':>10} {'z':>6} "
      f"{'sigma^2 f2/2':>13} {'rel. err':>9}")
z_scores = []
for seed, sigma in enumerate([0.1, 0.3, 1.0]):
    # One seed per sigma: at a given x one random_state gives the same u whatever sigma.
    smooth = GaussianSmoothing(quartic, sigma, n_samples=20_000, random_state=seed)
    for x in [0.0, 0.5, 2.0]:
        est = smooth.value([x])
        bias = est.estimate - x**4
        exact = 6 * sigma**2 * x**2 + 3 * sigma**4
        leading = 6 * sigma**2 * x**2
        z = (bias - exact) / est.stderr
        z_scores.append(z)
        print(f"{sigma:6.1f} {x:5.1f} {bias:10.5f} {est.stderr:9.2e} {exact:10.5f} {z:6.2f} "
              f"{leading:13.5f} {(exact - leading) / exact:9.2%}")
print(f"max |z| over {len(z_scores)} estimates: {np.max(np.abs(z_scores)):.2f}")

# %%
# The relative error of the leading-order term is ``3 sigma^4 / (6 sigma^2 x^2 +
# 3 sigma^4) = sigma^2 / (2 x^2 + sigma^2)``: it vanishes like ``sigma^2`` at a
# fixed ``x != 0`` and is 100% at ``x = 0``, where ``f'' = 0``.

sigmas = np.geomspace(0.05, 1.5, 12)
mc = [GaussianSmoothing(quartic, s, n_samples=5000, random_state=1).value([1.0])
      for s in sigmas]
fig, ax = plt.subplots(figsize=(5.5, 3.8))
ax.loglog(sigmas, 6 * sigmas**2 + 3 * sigmas**4, label=r"exact $6\sigma^2x^2 + 3\sigma^4$")
ax.loglog(sigmas, 6 * sigmas**2, "--", label=r"leading order $\sigma^2 f''/2$")
ax.errorbar(sigmas, [m.estimate - 1 for m in mc], yerr=[2 * m.stderr for m in mc], fmt="o",
            ms=4, label="Monte Carlo (2 s.e.)")
ax.set(xlabel=r"$\sigma$", ylabel=r"$g(1) - f(1)$", title=r"Bias of the smoothed $x^4$ at $x=1$")
ax.legend()
fig.tight_layout()

# %%
# 2. Smoothing a convex function
# ------------------------------
# ``f(x) = max_i (a_i x + b_i)``, a convex piecewise-linear function with slopes
# from -2 to 3 (so ``Lip(f) = 3``). Between breakpoints ``t_{i-1} < t_i`` it is
# the line ``a_i t + b_i``, and the Gaussian integral of a line over an interval
# gives ``g`` in closed form: with ``alpha = (t_{i-1} - x) / sigma``,
# ``beta = (t_i - x) / sigma``,
# ``g(x) = sum_i (a_i x + b_i)(Phi(beta) - Phi(alpha)) + a_i sigma (phi(alpha) - phi(beta))``,
# ``g'(x) = sum_i a_i (Phi(beta) - Phi(alpha))`` and
# ``g''(x) = sum_i (a_{i+1} - a_i) phi((t_i - x) / sigma) / sigma >= 0``. We first check
# the closed form against Monte Carlo, then measure on a grid.

slopes = np.array([-2.0, -0.5, 1.0, 3.0])
intercepts = np.array([-1.0, 0.0, -0.5, -3.0])
breaks = -(intercepts[1:] - intercepts[:-1]) / (slopes[1:] - slopes[:-1])  # where pieces meet
assert np.all(np.diff(breaks) > 0)  # every piece is active on its interval


def pl(X):
    return np.max(np.outer(X[:, 0], slopes) + intercepts, axis=1)


def pl_smoothed(x, sigma):
    edges = np.concatenate([[-np.inf], breaks, [np.inf]])
    alpha = (edges[:-1, None] - x) / sigma
    beta = (edges[1:, None] - x) / sigma
    mass = norm.cdf(beta) - norm.cdf(alpha)
    lines = (slopes[:, None] * x + intercepts[:, None]) * mass
    value = (lines + slopes[:, None] * sigma * (norm.pdf(alpha) - norm.pdf(beta))).sum(axis=0)
    return value, (slopes[:, None] * mass).sum(axis=0)


sigma = 0.4
smooth = GaussianSmoothing(pl, sigma, n_samples=20_000, random_state=2)
for x in [-1.0, 0.3, 1.2]:
    value, grad = smooth.value([x]), smooth.gradient([x])
    exact_value, exact_grad = pl_smoothed(np.array([x]), sigma)
    print(f"x = {x:4.1f}: g MC {value.estimate:.4f} vs closed form {exact_value[0]:.4f} "
          f"(z = {(value.estimate - exact_value[0]) / value.stderr:5.2f}); g' MC "
          f"{grad.estimate[0]:.4f} vs {exact_grad[0]:.4f} "
          f"(z = {(grad.estimate[0] - exact_grad[0]) / grad.stderr[0]:5.2f})")

# %%
# Measured on a grid of step ``h = 1e-3``: the smallest second difference (convexity:
# ``>= 0`` up to rounding), the largest slope (``Lip``), and the largest change of
# slope per unit (the Lipschitz constant of the derivative). ``f'`` jumps, so its
# measured "Lipschitz constant" is ``jump / h`` and grows without bound as ``h``
# shrinks; ``g'`` is Lipschitz with constant at most ``sqrt(d) Lip(f) / sigma``
# (Nesterov & Spokoiny 2017, Lemma 2).

h = 1e-3
grid = np.arange(-4, 4 + h / 2, h)
f_grid = pl(grid[:, None])
g_grid, g_prime = pl_smoothed(grid, sigma)


def measure(values):
    slope = np.diff(values) / h
    return np.min(np.diff(values, 2)), np.max(np.abs(slope)), np.max(np.abs(np.diff(slope))) / h


for name, values in [("f", f_grid), (f"g, sigma={sigma}", g_grid)]:
    second, lip, lip_prime = measure(values)
    print(f"{name:>12}: min second difference {second:+.1e}, max |slope| {lip:.6f}, "
          f"max |slope change| / h {lip_prime:9.2f}")
print(f"bound sqrt(d) Lip(f) / sigma = {3 / sigma:.2f}; 0.798 * Lip(f) / sigma = "
      f"{2 * norm.pdf(0) * 3 / sigma:.2f} (g'' <= sum of jumps * phi(0) / sigma = "
      f"{np.sum(np.diff(slopes)) * norm.pdf(0) / sigma:.2f})")

# %%
# A smooth convex ``f`` (the log-sum-exp of the same lines at temperature 0.1)
# shows that the curvature of ``g`` does not exceed that of ``f``: ``g'' = E f''(x
# + sigma u)`` is an average of values of ``f''``. Here ``g`` is computed by
# 80-point Gauss-Hermite quadrature, an independent check of the Monte Carlo.

tau = 0.1


def logsumexp_lines(X):
    z = (np.outer(X[:, 0], slopes) + intercepts) / tau
    top = z.max(axis=1)
    return tau * (top + np.log(np.exp(z - top[:, None]).sum(axis=1)))


nodes, weights = hermegauss(80)
weights = weights / weights.sum()
lse_f = logsumexp_lines(grid[:, None])
lse_g = np.array([weights @ logsumexp_lines((x + sigma * nodes)[:, None]) for x in grid])
mc_lse = GaussianSmoothing(logsumexp_lines, sigma, n_samples=20_000, random_state=3).value([0.3])
lse_at = lse_g[np.argmin(np.abs(grid - 0.3))]
print(f"log-sum-exp at x = 0.3: quadrature {lse_at:.5f}, Monte Carlo {mc_lse.estimate:.5f} "
      f"+- {mc_lse.stderr:.5f} (z = {(mc_lse.estimate - lse_at) / mc_lse.stderr:.2f})")
for name, values in [("f (lse)", lse_f), (f"g, sigma={sigma}", lse_g)]:
    second, lip, lip_prime = measure(values)
    print(f"{name:>12}: min second difference {second:+.1e}, max |slope| {lip:.4f}, "
          f"max |f''| {lip_prime:7.3f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
axes[0].plot(grid, f_grid, label="f (piecewise linear)")
axes[0].plot(grid, g_grid, label=rf"g, $\sigma$={sigma}")
axes[0].set(xlim=(-3, 3), ylim=(-1, 6), xlabel="x", title="values")
axes[0].legend()
axes[1].plot(grid[1:], np.diff(f_grid) / h, label="f'")
axes[1].plot(grid, g_prime, label="g'")
axes[1].set(xlim=(-3, 3), xlabel="x", title="slopes: never steeper, no jumps")
axes[1].legend()
fig.tight_layout()

# %%
# 3. Rastrigin: graduated smoothing escapes the local minima
# ----------------------------------------------------------
# ``f(x) = 10 d + sum_j (x_j^2 - 10 cos(2 pi x_j))`` has a local minimum near every
# integer point. Since ``E cos(2 pi (x + sigma u)) = exp(-2 pi^2 sigma^2) cos(2 pi x)``,
# its smoothing ``g = 10 d + sum_j (x_j^2 + sigma^2 - 10 exp(-2 pi^2 sigma^2) cos(2 pi
# x_j))`` is a bowl with ripples damped by ``exp(-2 pi^2 sigma^2)``: ``g`` is convex
# for ``sigma > 0.52``. :func:`~sksmooth.optimize.minimize` starts at ``sigma = 1``
# (ripples damped by ``3e-9``) and shrinks it geometrically to 0.01 over 300 Adam
# steps.


def rastrigin(X):
    X = np.atleast_2d(X)
    return 10 * X.shape[1] + (X**2 - 10 * np.cos(2 * np.pi * X)).sum(axis=1)


x0 = np.array([3.3, 3.3])
bfgs = scipy_minimize(lambda x: rastrigin(x)[0], x0, method="BFGS")
path = [x0]
result = minimize(rastrigin, x0, sigma=1.0, random_state=0,
                  callback=lambda r: path.append(r.x))
path = np.array(path)
print(f"BFGS:     x = {np.round(bfgs.x, 4)}, f = {bfgs.fun:.4f} ({bfgs.nfev} evaluations)")
print(f"smoothed: x = {np.round(result.x, 4)}, f = {result.fun:.4f} ({result.nfev} evaluations)")
reached = sum(np.all(np.abs(minimize(rastrigin, x0, sigma=1.0, random_state=seed).x) < 0.5)
              for seed in range(20))
print(f"global basin (|x_j| < 0.5) reached from (3.3, 3.3) in {reached} of 20 seeded runs")

# %%
# The path: straight down the smoothed bowl while ``sigma`` is large, then settling
# into the global minimum's basin as the ripples come back.

grid_2d = np.linspace(-1.5, 4, 300)
X1, X2 = np.meshgrid(grid_2d, grid_2d)
F = rastrigin(np.column_stack([X1.ravel(), X2.ravel()])).reshape(X1.shape)
fig, ax = plt.subplots(figsize=(5, 4.5))
ax.contourf(X1, X2, F, levels=30, cmap="viridis")
ax.plot(path[:, 0], path[:, 1], "w.-", ms=2, lw=0.8, label="smoothed descent")
ax.plot(*bfgs.x, "rx", ms=10, mew=2, label="BFGS stops")
ax.plot(*x0, "wo", label="start (3.3, 3.3)")
ax.set(xlabel="$x_1$", ylabel="$x_2$", title="Rastrigin")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
