"""
Noise as a regularizer: a noisy recurrent state and a smoothed critic
=====================================================================

Noise injected into a model is a regularizer in disguise. This example uses
:class:`sksmooth.torch.GaussianNoiseLayer` (noise in training mode, the identity
in eval mode) twice and measures what the noise does:

1. a **linear recurrent model** with Gaussian noise on its state: the expected
   noisy loss is exactly the noiseless loss plus an L2 penalty on the products
   of the readout and the powers of the recurrent matrix, derived below and
   compared with a Monte Carlo average; training with the noise lands where
   training on the penalized loss does;
2. a **smoothed critic**: averaging a jagged critic ``f`` over input noise,
   ``g(x) = E f(x + sigma u)``, lowers its gradient norm (the Lipschitz
   constraint a WGAN critic needs); measured on a grid.

Needs PyTorch (``pip install sksmooth[torch]``).
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from sksmooth.optimize import GaussianSmoothing
from sksmooth.torch import GaussianNoiseLayer

torch.manual_seed(0)

# %%
# 1. A linear recurrent model with noise on its state
# ---------------------------------------------------
# The model reads a sequence ``x_1, ..., x_T`` and predicts ``y`` from its last
# state:
#
# .. math::
#
#    h_0 = 0, \qquad h_t = W h_{t-1} + U x_t + \sigma \varepsilon_t \quad (t = 1..T),
#    \qquad \hat y = C h_T,
#
# the noise ``sigma eps_t`` (independent standard normal vectors) being added by a
# :class:`~sksmooth.torch.GaussianNoiseLayer` after every update. Unrolling the
# recursion, ``h_T = sum_t W^(T-t) (U x_t + sigma eps_t)``, so
#
# .. math::
#
#    \hat y = \hat y_0 + \sigma \sum_{k=0}^{T-1} C W^k \varepsilon_{T-k},
#
# where ``y_hat_0`` is the noiseless prediction. The noise term has mean zero and,
# the ``eps`` being independent with identity covariance,
# ``E ||sum_k M_k eps_k||^2 = sum_k ||M_k||_F^2``. Hence, for every sequence,
#
# .. math::
#
#    E\,\|\hat y - y\|^2 = \|\hat y_0 - y\|^2
#    + \sigma^2 \sum_{k=0}^{T-1} \|C W^k\|_F^2 ,
#
# exactly, not to leading order: the expected training loss under state noise is
# the noiseless loss plus ``sigma^2 P(W, C)``, an L2 penalty on the products
# ``C W^k`` (on ``C`` itself for ``k = 0``), which penalizes long memory (large
# powers of ``W``) as much as large weights. (Bishop 1995 derives the input-noise
# case, where the penalty is to leading order a Tikhonov term.)


class LinearRNN(nn.Module):
    def __init__(self, n_in, n_hidden, n_out, sigma):
        super().__init__()
        self.W = nn.Parameter(0.3 * torch.randn(n_hidden, n_hidden) / n_hidden**0.5)
        self.U = nn.Parameter(torch.randn(n_hidden, n_in) / n_in**0.5)
        self.C = nn.Parameter(torch.randn(n_out, n_hidden) / n_hidden**0.5)
        self.state_noise = GaussianNoiseLayer(sigma)

    def forward(self, X):  # X: (n_sequences, T, n_in)
        h = X.new_zeros(X.shape[0], self.W.shape[0])
        for t in range(X.shape[1]):
            h = self.state_noise(h @ self.W.T + X[:, t] @ self.U.T)
        return h @ self.C.T

    def penalty(self, T):
        """sum_{k<T} ||C W^k||_F^2, the exact cost of unit state noise."""
        total, CWk = 0.0, self.C
        for _ in range(T):
            total = total + (CWk**2).sum()
            CWk = CWk @ self.W
        return total


def loss(model, X, y):
    return ((model(X) - y) ** 2).sum(dim=1).mean()


T, n_in, n_hidden, n_out, n_seq = 10, 3, 6, 2, 256
teacher = LinearRNN(n_in, n_hidden, n_out, sigma=0.0)
with torch.no_grad():
    teacher.W.mul_(2.5)  # a longer memory than the default scale
X = torch.randn(n_seq, T, n_in)
with torch.no_grad():
    y = teacher(X) + 0.1 * torch.randn(n_seq, n_out)

# %%
# The formula against a Monte Carlo average of the noisy loss: a fresh model, 1,000
# noisy evaluations of the loss over the 256 sequences, each through the noise
# layer in training mode.

model = LinearRNN(n_in, n_hidden, n_out, sigma=0.0)
with torch.no_grad():
    model.eval()
    clean = loss(model, X, y).item()
    P = model.penalty(T).item()
    model.train()
    print(f"noiseless loss {clean:.4f}, penalty P(W, C) = {P:.4f}")
    for sigma in [0.1, 0.5, 1.0]:
        model.state_noise.sigma = sigma
        draws = torch.tensor([loss(model, X, y).item() for _ in range(1000)])
        mc, se = draws.mean().item(), draws.std().item() / 1000**0.5
        exact = clean + sigma**2 * P
        print(f"sigma = {sigma}: Monte Carlo {mc:.4f} +- {se:.4f}, noiseless + sigma^2 P = "
              f"{exact:.4f} (z = {(mc - exact) / se:+.2f})")

# %%
# Training with the noise versus training on the penalized loss. Three copies of
# one initial model, each trained with Adam for 500 full-batch steps (learning rate
# 0.01, cosine decay): with state noise (``sigma = 0.5``, fresh noise every step, on
# 8 noisy copies of the 256 sequences to tame the gradient's variance), on the
# deterministic loss
# ``noiseless + sigma^2 P``, and on the noiseless loss alone. The first two
# minimize the same expected objective, so they should end at the same value of
# it, with a smaller penalty than the unregularized model's.

sigma = 0.5
init = LinearRNN(n_in, n_hidden, n_out, sigma=sigma)
X_copies, y_copies = X.repeat(8, 1, 1), y.repeat(8, 1)
runs = {}
for name in ["noisy state", "penalized", "noiseless"]:
    net = LinearRNN(n_in, n_hidden, n_out, sigma=sigma)
    net.load_state_dict(init.state_dict())
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=500)
    for step in range(500):
        optimizer.zero_grad()
        if name == "noisy state":
            objective = loss(net.train(), X_copies, y_copies)
        else:
            objective = loss(net.eval(), X, y)
            if name == "penalized":
                objective = objective + sigma**2 * net.penalty(T)
        objective.backward()
        optimizer.step()
        scheduler.step()
    with torch.no_grad():
        clean, P = loss(net.eval(), X, y).item(), net.penalty(T).item()
    runs[name] = (clean, P)
    print(f"{name:>12}: noiseless loss {clean:.4f}, P = {P:.4f}, expected noisy loss "
          f"noiseless + sigma^2 P = {clean + sigma**2 * P:.4f}")
J = {name: c + sigma**2 * p for name, (c, p) in runs.items()}
print(f"expected noisy loss: noise-trained {J['noisy state']:.4f} vs penalty-trained "
      f"{J['penalized']:.4f} (relative gap {abs(J['noisy state'] / J['penalized'] - 1):.2%}); "
      f"the noiseless model's {J['noiseless']:.4f}")

fig, ax = plt.subplots(figsize=(5.5, 3.6))
names = list(runs)
ax.bar(names, [runs[n][0] for n in names], label="noiseless loss")
ax.bar(names, [sigma**2 * runs[n][1] for n in names], bottom=[runs[n][0] for n in names],
       label=r"$\sigma^2 P(W, C)$")
ax.set(ylabel="expected loss under state noise", title=rf"Linear RNN, $\sigma$ = {sigma}")
ax.legend()
fig.tight_layout()

# %%
# 2. A smoothed critic
# --------------------
# A WGAN critic must be 1-Lipschitz; a jagged one is far from it. The critic here
# is the kernel witness function of an MMD-GAN (Gretton et al. 2012) between a
# "real" sample (a ring of 8 Gaussian blobs) and a "generated" one (a single
# Gaussian), with a narrow Gaussian kernel of bandwidth ``l = 0.1``:
# ``f(x) = mean_i k(x, r_i) - mean_j k(x, s_j)``, ``k(x, z) = exp(-||x - z||^2 / (2 l^2))``,
# a bumpy surface with one bump per sample point. Its Gaussian smoothing
# ``g(x) = E f(x + sigma u)`` has ``grad g(x) = E grad f(x + sigma u)``, an average of
# gradients, so ``||grad g|| <= Lip(f)`` — never steeper, and much flatter where
# the gradients of nearby bumps disagree. For this critic ``g`` is known exactly:
# smoothing a Gaussian bump widens it,
# ``E k(x + sigma u, z) = (l^2 / L^2)^(d/2) exp(-||x - z||^2 / (2 L^2))``, ``L^2 = l^2 + sigma^2``.
#
# We estimate ``grad g`` as a user would for any critic, with autograd through a
# noise layer and 128 noise draws per point (the gradient of the average is
# unbiased for ``grad g``), on a 30 x 30 grid of ``[-2, 2]^2``, and compare with
# the exact gradient. The Monte Carlo norms sit a little above the exact ones:
# the noise of an estimate adds to its norm on average
# (``E ||estimate||^2 = ||grad g||^2 + trace of its covariance``).

angles = 2 * np.pi * np.arange(8) / 8
centres = 1.2 * np.column_stack([np.cos(angles), np.sin(angles)])
rng = np.random.default_rng(0)
real = torch.tensor(np.repeat(centres, 16, axis=0) + 0.08 * rng.standard_normal((128, 2)))
fake = torch.tensor(0.6 * rng.standard_normal((128, 2)))
points = torch.cat([real, fake])
# Scaled by 20 (a critic's scale is arbitrary) so that it is far from 1-Lipschitz.
signs = 20 * torch.cat([torch.full((128,), 1 / 128), torch.full((128,), -1 / 128)]).double()
bandwidth = 0.1


class WitnessCritic(nn.Module):
    def __init__(self, sigma=0.0, width=bandwidth):
        super().__init__()
        self.input_noise = GaussianNoiseLayer(sigma, generator=torch.Generator().manual_seed(1))
        self.width = width

    def forward(self, x):
        x = self.input_noise(x)
        sq_dist = (x**2).sum(dim=1, keepdim=True) - 2 * x @ points.T + (points**2).sum(dim=1)
        return torch.exp(-sq_dist / (2 * self.width**2)) @ signs


def exact_smoothed_gradient(x, sigma):
    width2 = bandwidth**2 + sigma**2
    scale = bandwidth**2 / width2  # (l^2 / L^2)^(d/2) with d = 2
    diff = x[:, None, :] - points[None, :, :]
    bumps = torch.exp(-(diff**2).sum(dim=2) / (2 * width2)) * signs
    return -scale * (bumps[:, :, None] * diff).sum(dim=1) / width2


def autograd_smoothed_gradient(x, sigma, n_draws=128):
    critic = WitnessCritic(sigma)
    x = x.clone().requires_grad_(True)
    reps = n_draws if sigma > 0 else 1
    values = critic(x.repeat(reps, 1)).reshape(reps, -1).mean(dim=0)
    (grad,) = torch.autograd.grad(values.sum(), x)
    return grad


axis = torch.linspace(-2, 2, 30, dtype=torch.float64)
grid = torch.cartesian_prod(axis, axis)
print(f"{'sigma':>6} {'mean |grad| MC':>15} {'exact':>7} {'max |grad| MC':>14} {'exact':>7} "
      f"{'max |error|':>12} {'share <= 1 (exact)':>19}")
norms = {}
for sigma in [0.0, 0.05, 0.1, 0.2, 0.4]:
    mc = autograd_smoothed_gradient(grid, sigma)
    exact = exact_smoothed_gradient(grid, sigma)
    norms[sigma] = exact.norm(dim=1)
    print(f"{sigma:6.2f} {mc.norm(dim=1).mean():15.3f} {norms[sigma].mean():7.3f} "
          f"{mc.norm(dim=1).max():14.3f} {norms[sigma].max():7.3f} "
          f"{(mc - exact).norm(dim=1).max():12.3f} {(norms[sigma] <= 1).double().mean():19.1%}")

# %%
# A third, independent estimate: the zeroth-order estimator of
# :class:`~sksmooth.optimize.GaussianSmoothing` uses values of the critic only.
# At three points, per coordinate, against the exact gradient in units of its
# standard error.


def critic_numpy(Z):
    with torch.no_grad():
        return WitnessCritic(0.0)(torch.as_tensor(Z)).numpy()


sigma = 0.1
for point in [[0.0, 0.0], [1.2, 0.1], [-0.5, 0.8]]:
    zeroth = GaussianSmoothing(critic_numpy, sigma, n_samples=20_000,
                               random_state=0).gradient(point)
    exact = exact_smoothed_gradient(torch.tensor([point], dtype=torch.float64), sigma)[0]
    z = (zeroth.estimate - exact.numpy()) / zeroth.stderr
    print(f"x = {point}: zeroth-order {np.round(zeroth.estimate, 3)}, exact "
          f"{np.round(exact.numpy(), 3)}, z = {np.round(z, 2)}")

fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharey=True)
for ax, sigma in zip(axes, [0.0, 0.1, 0.4]):
    image = ax.imshow(norms[sigma].reshape(30, 30).T, origin="lower", extent=(-2, 2, -2, 2),
                      vmin=0, vmax=float(norms[0.0].max()), cmap="magma")
    ax.set(title=rf"$\|\nabla g\|$, $\sigma$ = {sigma}", xlabel="$x_1$")
axes[0].set_ylabel("$x_2$")
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()
