"""Sphinx configuration for the sksmooth documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html``: warnings are
errors, and sphinx-gallery runs every ``examples/plot_*.py`` script.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

import sksmooth  # noqa: E402

project = "sksmooth"
author = "the sksmooth developers"
copyright = "the sksmooth developers"  # noqa: A001
release = sksmooth.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 shipped by a PyPI package and copied into _static/mathjax: the pages
    # render math offline (Sphinx's default loads MathJax from a CDN).
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.py"]
root_doc = "index"
default_role = "literal"

# API reference: autosummary writes one page per object into docs/generated/.
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The gallery: examples/plot_*.py -> docs/auto_examples/, run at build time,
# each with a downloadable .py and .ipynb.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": True,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "reference_url": {"sksmooth": None},
    "doc_module": ("sksmooth",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "show_memory": False,
    # The execution-times pages load DataTables from a CDN; the docs stay offline without them.
    "write_computation_times": False,
}

# Examples run inside the build; keep their output clean of library chatter.
warnings.filterwarnings("ignore", category=UserWarning,
                        message="Matplotlib is currently using agg")

html_theme = "pydata_sphinx_theme"
html_title = f"sksmooth {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_static_path = []
html_show_sourcelink = True


def _skip_metadata_request_setters(app, what, name, obj, skip, options):
    """Hide scikit-learn's generated ``set_<method>_request`` methods (documented upstream)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_setters)
