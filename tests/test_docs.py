"""The documentation builds without a single warning, running every gallery example."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_docs_build_is_warning_free_and_runs_every_example(tmp_path):
    # Build from a fresh copy: sphinx-gallery skips examples whose source is unchanged
    # since an earlier in-tree build, and this test must run every one of them.
    shutil.copytree(ROOT / "docs", tmp_path / "docs",
                    ignore=shutil.ignore_patterns("_build", "generated", "auto_examples",
                                                  "sg_execution_times.rst"))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                      os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
         str(tmp_path / "docs"), str(tmp_path / "html")],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    html = tmp_path / "html"
    for page in ["index", "getting_started", "user_guide/guarantees",
                 "user_guide/choosing_sigma", "references", "api",
                 "generated/sksmooth.metrics.make_certified_scorer",
                 "generated/sksmooth.plotting.CertifiedAccuracyDisplay"]:
        assert (html / f"{page}.html").is_file(), page
    examples = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))
    assert examples
    for name in examples:
        assert (html / "auto_examples" / f"{name}.html").is_file(), name
    notebooks = {p.stem for p in (html / "_downloads").rglob("*.ipynb")}
    assert set(examples) <= notebooks
    # math renders offline: MathJax is shipped in _static, and no page loads a script from afar
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert 'src="../_static/mathjax/tex-chtml.js"' in (
        html / "user_guide" / "guarantees.html").read_text(encoding="utf-8")
    remote = [p.relative_to(html) for p in html.rglob("*.html")
              if re.search(r"<script[^>]+src=\"(https?:)?//", p.read_text(encoding="utf-8"))]
    assert not remote, remote
