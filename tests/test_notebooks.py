"""Every chapter runs in smoke mode (tiny data, one step), so a broken notebook fails CI."""

from __future__ import annotations

import nbformat
import pytest

from aacr_lib.book import discover_notebooks, execute_notebook, notebook_parameters
from tests.conftest import REPO_ROOT

NOTEBOOKS = discover_notebooks(REPO_ROOT)


@pytest.fixture(scope="session")
def smoke_runs_root(tmp_path_factory):
    # shared by all notebooks, like a real book run: later chapters may read earlier runs
    return tmp_path_factory.mktemp("smoke-runs")


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_in_smoke_mode(notebook, smoke_runs_root, tmp_path):
    parameters = notebook_parameters("demo", runs_root=str(smoke_runs_root), smoke=True)
    result = execute_notebook(notebook, tmp_path / notebook.name, parameters, REPO_ROOT)
    assert result.status == "executed", result.describe()
    # the book shows the parameters once: papermill's injected cell, the defaults are removed
    executed = nbformat.read(result.output, as_version=4)
    tags = [cell.metadata.get("tags", []) for cell in executed.cells]
    shown = [t for t in tags if {"parameters", "injected-parameters"} & set(t)]
    assert [t for t in shown if "remove-cell" not in t] == [["injected-parameters"]]
    assert [t for t in shown if "remove-cell" in t] == [["parameters", "remove-cell"]]
