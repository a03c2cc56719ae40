"""Torch building blocks for noise as a regularizer: a Gaussian noise layer.

Needs PyTorch (``pip install sksmooth[torch]``). ``import sksmooth`` never
imports this module; import it as ``from sksmooth.torch import GaussianNoiseLayer``.
"""

import math
from numbers import Real

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "sksmooth.torch needs PyTorch; install it with `pip install sksmooth[torch]` "
        "(or `pip install torch`)."
    ) from exc

__all__ = ["GaussianNoiseLayer"]


class GaussianNoiseLayer(nn.Module):
    """Add ``N(0, sigma^2)`` noise to every entry in training mode; the identity in eval mode.

    Put it on the inputs of a network (Gaussian data augmentation, the training
    of randomized smoothing, Cohen et al. 2019), on hidden units, or on the
    state of a recurrent model between steps. In training mode ``forward(x)``
    returns ``x + sigma * eps`` with ``eps`` standard normal, of ``x``'s shape,
    dtype and device, independent across entries and calls; gradients flow to
    ``x`` unchanged. In eval mode (``module.eval()``) or with ``sigma = 0`` it
    returns ``x`` itself.

    For a model linear in the noised quantity, the expected squared error
    under this noise is the noiseless one plus ``sigma^2`` times a squared
    Frobenius norm of the map from the noise to the output (Bishop, Neural
    Computation 1995, "Training with noise is equivalent to Tikhonov
    regularization"); the gallery example *Noise as a regularizer* derives and
    measures it for a linear recurrent model.

    Parameters
    ----------
    sigma : float
        Standard deviation of the noise, finite and ``>= 0`` (0: the identity).
        A plain float attribute (not learned); it may be changed between calls
        and is validated on assignment.
    generator : torch.Generator, default=None
        Source of the noise, on the inputs' device; None uses torch's global
        generator. Reseed it (``generator.manual_seed(...)``) for reproducible
        noise.

    Examples
    --------
    >>> import torch
    >>> from sksmooth.torch import GaussianNoiseLayer
    >>> layer = GaussianNoiseLayer(sigma=0.5, generator=torch.Generator().manual_seed(0))
    >>> layer
    GaussianNoiseLayer(sigma=0.5)
    >>> x = torch.zeros(100_000)
    >>> noisy = layer(x)                       # a new module is in training mode
    >>> round(noisy.std().item(), 2)
    0.5
    >>> bool(layer.eval()(x) is x)             # the identity in eval mode
    True

    Noise on the state of a recurrent model between steps:

    >>> rnn_cell = torch.nn.RNNCell(3, 8)
    >>> state_noise = GaussianNoiseLayer(0.1)
    >>> h = torch.zeros(4, 8)
    >>> for x_t in torch.randn(5, 4, 3):       # 5 steps, batch of 4
    ...     h = state_noise(rnn_cell(x_t, h))
    >>> tuple(h.shape)
    (4, 8)
    """

    def __init__(self, sigma, generator=None):
        super().__init__()
        self.sigma = sigma
        self.generator = generator

    @property
    def sigma(self):
        """Standard deviation of the noise (a float, ``>= 0``)."""
        return self._sigma

    @sigma.setter
    def sigma(self, value):
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) \
                or value < 0:
            raise ValueError(
                f"sigma must be a finite float >= 0 (the noise's standard deviation; 0 turns "
                f"the layer off); got {value!r}."
            )
        self._sigma = float(value)

    @property
    def generator(self):
        """The ``torch.Generator`` the noise comes from, or None (torch's global one)."""
        return self._generator

    @generator.setter
    def generator(self, value):
        if value is not None and not isinstance(value, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None; got {type(value)!r}.")
        self._generator = value

    def forward(self, x):
        """``x + sigma * eps`` in training mode, ``x`` in eval mode or when ``sigma == 0``."""
        if not self.training or self._sigma == 0.0:
            return x
        if not torch.is_floating_point(x):
            raise TypeError(f"GaussianNoiseLayer needs a floating-point tensor; got {x.dtype}.")
        eps = torch.randn(x.shape, generator=self._generator, device=x.device, dtype=x.dtype)
        return x + self._sigma * eps

    def extra_repr(self):
        return f"sigma={self._sigma!r}"
