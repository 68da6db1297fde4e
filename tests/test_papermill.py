"""Users rerun one chapter with papermill itself, as the README prints it."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from tests.conftest import REPO_ROOT

# The README's command (`papermill notebooks/03_captioning_baseline.ipynb out.ipynb -p profile
# clotho -p device cuda`) at smoke size on this CPU: `-p smoke True` keeps the clotho profile's
# parameters and plumbing but runs the tiny smoke data.
README_COMMAND = "papermill notebooks/03_captioning_baseline.ipynb out.ipynb -p profile clotho"


def test_readme_prints_the_papermill_command():
    assert README_COMMAND in (REPO_ROOT / "README.md").read_text()


@pytest.mark.slow
def test_papermill_cli_runs_a_chapter(tmp_path):
    out = tmp_path / "out.ipynb"
    command = [
        sys.executable,
        "-m",
        "papermill",
        "notebooks/03_captioning_baseline.ipynb",
        str(out),
        *("-p", "profile", "clotho"),
        *("-p", "device", "cpu"),
        *("-p", "smoke", "True"),
        *("-p", "runs_root", str(tmp_path / "runs")),
    ]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    executed = nbformat.read(out, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'profile = "clotho"' in injected[0].source
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
