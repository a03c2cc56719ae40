"""The README's commands are the ones CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_ci_runs_the_readme_test_command():
    test_command = [b.strip() for b in _bash_blocks() if "pytest" in b]
    assert len(test_command) == 1
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command[0] in ci_lines


def test_readme_has_the_main_job_command():
    assert any("sksmooth certify" in b and "pip install" in b for b in _bash_blocks())
