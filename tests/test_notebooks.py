"""Every chapter runs in smoke mode (tiny data, one step), so a broken notebook fails CI.

The chapters are executed once per session (`tests.book_build.smoke_book`, in order, in one
runs root); tests/test_browser.py opens the HTML book built from the same executed copies.
"""

from __future__ import annotations

import nbformat
import pytest

from aacr_lib.book import discover_notebooks
from tests.conftest import REPO_ROOT

pytest_plugins = ["tests.book_build"]

NOTEBOOKS = discover_notebooks(REPO_ROOT)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_in_smoke_mode(notebook, smoke_book):
    result = smoke_book.results[notebook.stem]
    assert result.status == "executed", result.describe()
    # the book shows the parameters once: papermill's injected cell, the defaults are removed
    executed = nbformat.read(result.output, as_version=4)
    tags = [cell.metadata.get("tags", []) for cell in executed.cells]
    shown = [t for t in tags if {"parameters", "injected-parameters"} & set(t)]
    assert [t for t in shown if "remove-cell" not in t] == [["injected-parameters"]]
    assert [t for t in shown if "remove-cell" in t] == [["parameters", "remove-cell"]]
