"""Collection rules for the doctests of sksmooth/ (pyproject: testpaths, --doctest-modules)."""

import importlib.util

# sksmooth/torch.py imports torch at import time (it defines an nn.Module); without
# torch its doctests cannot be collected, so they are skipped rather than failing.
collect_ignore = [] if importlib.util.find_spec("torch") else ["sksmooth/torch.py"]
