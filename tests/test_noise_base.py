import numpy as np
import pytest

from sksmooth import GaussianNoise
from sksmooth.noise import BaseNoise

from ._models import CubeNoise


@pytest.mark.parametrize("radius", [0.0, 0.01, 0.3, 0.9999])
def test_default_p_required_bisects_to_the_closed_form_from_above(radius):
    p = BaseNoise.p_required(CubeNoise(), radius)
    exact = 0.5 + radius / 2  # solves pA - (1 - pA) = radius
    assert exact <= p <= exact + 1e-12


def test_default_p_required_is_inf_when_unreachable_and_agrees_with_gaussian():
    assert BaseNoise.p_required(CubeNoise(), 1.5) == np.inf
    noise = GaussianNoise(sigma=0.4)
    for radius in (0.0, 0.2, 1.0):
        assert BaseNoise.p_required(noise, radius) == pytest.approx(
            noise.p_required(radius), abs=1e-12
        )


def test_repr_shows_every_parameter_that_defines_the_distribution():
    from sklearn.base import clone

    from sksmooth import (BernoulliMaskNoise, CorrelatedGaussianNoise, LaplaceNoise,
                          SubspaceNoise, UniformNoise)

    assert repr(GaussianNoise()) == "GaussianNoise(sigma=0.25)"  # the default is shown
    assert repr(clone(GaussianNoise())) == "GaussianNoise(sigma=0.25)"
    assert repr(GaussianNoise(0.5, features=[0, 2])) == "GaussianNoise(sigma=0.5, features=[0, 2])"
    assert repr(LaplaceNoise()) == "LaplaceNoise(scale=0.25)"
    assert repr(UniformNoise()) == "UniformNoise(scale=0.25)"
    assert repr(SubspaceNoise()) == "SubspaceNoise(n_keep=1, fill_value=0.0)"
    assert repr(BernoulliMaskNoise()) == "BernoulliMaskNoise(keep_prob=0.1, fill_value=0.0)"
    assert repr(CorrelatedGaussianNoise([[1.0]])) == "CorrelatedGaussianNoise(cov=[[1.0]])"
    assert repr(CubeNoise()) == "CubeNoise(scale=1.0)"  # any subclass
