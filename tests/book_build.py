"""The smoke book, executed once per test session and shared by the tests that need it.

tests/test_notebooks.py checks each executed chapter, tests/test_browser.py opens the HTML built
from the same executed notebooks, so CI runs every notebook once. A test module takes these
fixtures with `pytest_plugins = ["tests.book_build"]`: a plugin's fixtures are registered once,
so a session fixture runs once however many modules ask for it (a fixture imported into two
modules would be two fixtures, each run once).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from aacr_lib.book import NotebookResult, build_html, execute_book, notebook_parameters
from tests.conftest import REPO_ROOT


@dataclass
class SmokeBook:
    """Every numbered notebook executed on the demo profile in smoke mode, one after another
    in one runs root (later chapters may read earlier runs, as in a real book run)."""

    executed_dir: Path
    results: dict[str, NotebookResult]  # by notebook name (file name without ".ipynb")


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory) -> SmokeBook:
    base = tmp_path_factory.mktemp("smoke-book")
    # session fixtures are set up before the function-scoped `isolated_roots`: the kernels must
    # not inherit the user's data, runs and cache roots, so this fixture sets its own
    with pytest.MonkeyPatch.context() as patch:
        for variable, name in (
            ("AACR_DATA", "data"),
            ("AACR_RUNS", "runs"),
            ("AACR_CACHE", "cache"),
        ):
            patch.setenv(variable, str(base / name))
        parameters = notebook_parameters("demo", runs_root=str(base / "smoke-runs"), smoke=True)
        results = execute_book(REPO_ROOT, parameters, out_dir=base / "executed", force=True)
    return SmokeBook(base / "executed", {result.name: result for result in results})


@pytest.fixture(scope="session")
def smoke_book_html(smoke_book, tmp_path_factory) -> Path:
    """`_build/html` of the smoke book, built by the library from the executed notebooks into
    a folder of the test's own (never the checkout's `_build`)."""
    output_root = tmp_path_factory.mktemp("smoke-book-html")
    index = build_html(REPO_ROOT, smoke_book.executed_dir, output_root)
    return index.parent
