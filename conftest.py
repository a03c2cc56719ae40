"""Collection rules for the doctests of sksmooth/ (pyproject: testpaths, --doctest-modules)."""

import importlib.util


def _installed(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules
        return False


# sksmooth/torch.py imports torch at import time (it defines an nn.Module); without
# torch its doctests cannot be collected, so they are skipped rather than failing.
collect_ignore = [] if _installed("torch") else ["sksmooth/torch.py"]
