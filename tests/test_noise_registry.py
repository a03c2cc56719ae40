"""The registry of noise families (sksmooth/noise/_registry.py) and what is built from it."""

import inspect

import numpy as np
import pytest

import sksmooth.noise as noise_module
from sksmooth import cli
from sksmooth.noise import AdditiveNoise, BaseNoise
from sksmooth.noise._registry import FAMILIES

from .soundness._cases import CERTIFY_CASES


def _exported_families():
    return {obj for obj in vars(noise_module).values()
            if inspect.isclass(obj) and issubclass(obj, BaseNoise)
            and obj not in (BaseNoise, AdditiveNoise)}


def test_every_exported_family_is_registered_once():
    registered = [family.cls for family in FAMILIES.values()]
    assert len(set(registered)) == len(registered)
    assert set(registered) == _exported_families()


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_entry_builds_its_family_at_each_level(name):
    family = FAMILIES[name]
    low, high = (family.make(level, 4).validate(4) for level in family.levels)
    assert type(low) is family.cls and low.norm == family.norm
    a, b = low.get_params()[family.level], high.get_params()[family.level]
    assert not np.array_equal(a, b)  # two distinct levels for grids
    assert ("features" in low.get_params()) == family.features


def test_cli_noise_choices_are_the_registry_entries_marked_cli():
    assert set(cli.NOISES) == {name for name, family in FAMILIES.items() if family.cli}
    assert cli.NOISES["gaussian"] == ("GaussianNoise", "sigma")
    assert cli.NOISES["subspace"] == ("SubspaceNoise", "n_keep")


def test_every_registered_family_has_a_soundness_case():
    covered = {type(case.noise()) for case in CERTIFY_CASES}
    missing = [name for name, family in FAMILIES.items() if family.cls not in covered]
    assert not missing, f"add a Case to tests/soundness/_cases.py for {missing}"
