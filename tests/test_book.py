"""The book runner on tiny notebooks: order, caching, failure reporting, HTML build."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from aacr_lib.book import (
    build_html,
    discover_notebooks,
    execute_book,
    hide_source_parameters,
    notebook_parameters,
)
from aacr_lib.cli import main
from aacr_lib.errors import AacrError

PARAMS = 'profile = "demo"\ndata_root = None\nruns_root = None\ndevice = "cpu"\nsmoke = False'


def parameter_cells(notebook) -> tuple[list, list]:
    """(visible, removed) cells tagged `parameters` or `injected-parameters`."""
    cells = [
        cell
        for cell in notebook.cells
        if {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", []))
    ]
    removed = [cell for cell in cells if "remove-cell" in cell.metadata["tags"]]
    return [cell for cell in cells if cell not in removed], removed


def write_notebook(path, *sources, title="Tiny"):
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = new_code_cell(PARAMS)
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [new_markdown_cell(f"# {title}"), parameters]
    notebook.cells += [new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)


@pytest.fixture
def tiny_book(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# Tiny book\n")
    (tmp_path / "_config.yml").write_text(
        'title: tiny\nexecute:\n  execute_notebooks: "off"\nonly_build_toc_files: true\n'
    )
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/01_first\n"
    )
    write_notebook(
        tmp_path / "notebooks" / "01_first.ipynb",
        "from pathlib import Path\nPath('first.txt').write_text(profile + str(smoke))",
        "import os\nPath('batch.txt').write_text(os.environ.get('AACR_BATCH', 'unset'))",
        "print('the answer is', 6 * 7)",
        title="First",
    )
    write_notebook(
        tmp_path / "notebooks" / "02_broken.ipynb", "x = 1", "raise ValueError('planted failure')"
    )
    write_notebook(tmp_path / "notebooks" / "03_after.ipynb", "print('still runs')")
    (tmp_path / "notebooks" / "helper.ipynb").write_text("{}")  # unnumbered: not a chapter
    return tmp_path


def test_discover_only_numbered_notebooks_in_order(tiny_book):
    names = [nb.name for nb in discover_notebooks(tiny_book)]
    assert names == ["01_first.ipynb", "02_broken.ipynb", "03_after.ipynb"]
    assert [nb.name for nb in discover_notebooks(tiny_book, only=["3"])] == ["03_after.ipynb"]
    with pytest.raises(AacrError, match="no notebook numbered 09"):
        discover_notebooks(tiny_book, only=["09"])


def test_execute_reports_failing_cell_runs_the_rest_and_caches(tiny_book):
    parameters = notebook_parameters("demo", smoke=True)
    results = execute_book(tiny_book, parameters, echo=False)
    assert [r.status for r in results] == ["executed", "failed", "executed"]
    broken = results[1]
    assert broken.failing_cell == 3 and "planted failure" in broken.error
    # parameters were injected and the notebook ran in the project root
    assert (tiny_book / "first.txt").read_text() == "demoTrue"
    # kernels know they run in batch (no progress bars); the caller's environment is restored
    assert (tiny_book / "batch.txt").read_text() == "1"
    assert "AACR_BATCH" not in os.environ
    executed = nbformat.read(tiny_book / "_build" / "executed" / "01_first.ipynb", as_version=4)
    assert any("the answer is 42" in str(cell.get("outputs")) for cell in executed.cells)

    # second run: unchanged notebooks are not executed again, the failed one is retried
    again = execute_book(tiny_book, parameters, echo=False)
    assert [r.status for r in again] == ["cached", "failed", "cached"]

    # a change of parameters or source re-executes
    other = execute_book(
        tiny_book, notebook_parameters("clotho", smoke=True), only=["1"], echo=False
    )
    assert other[0].status == "executed"
    write_notebook(tiny_book / "notebooks" / "03_after.ipynb", "print('changed')")
    assert execute_book(tiny_book, parameters, only=["3"], echo=False)[0].status == "executed"


def test_executed_notebook_shows_its_parameters_once(tiny_book):
    parameters = notebook_parameters("clotho", smoke=True)
    results = execute_book(tiny_book, parameters, only=["1", "2"], echo=False)
    assert [r.status for r in results] == ["executed", "failed"]
    for name in ("01_first.ipynb", "02_broken.ipynb"):  # a failed chapter is rendered too
        executed = nbformat.read(tiny_book / "_build" / "executed" / name, as_version=4)
        visible, removed = parameter_cells(executed)
        # the book shows papermill's cell, with the values of this run ...
        assert len(visible) == 1 and visible[0].metadata.tags == ["injected-parameters"]
        assert 'profile = "clotho"' in visible[0].source and "smoke = True" in visible[0].source
        # ... and hides the notebook's own defaults, which stay in the file before it
        assert [cell.source for cell in removed] == [PARAMS]
        assert removed[0].metadata.tags == ["parameters", "remove-cell"]
        assert executed.cells.index(removed[0]) + 1 == executed.cells.index(visible[0])
    # the injected values were the ones used; the committed notebook is untouched
    assert (tiny_book / "first.txt").read_text() == "clothoTrue"
    committed = nbformat.read(tiny_book / "notebooks" / "01_first.ipynb", as_version=4)
    assert all("remove-cell" not in cell.metadata.get("tags", []) for cell in committed.cells)


def test_parameters_stay_visible_without_an_injected_cell(tiny_book):
    path = tiny_book / "notebooks" / "03_after.ipynb"
    assert hide_source_parameters(path) is False  # nothing injected: the defaults are all there is
    visible, removed = parameter_cells(nbformat.read(path, as_version=4))
    assert len(visible) == 1 and not removed


def test_cli_exits_non_zero_when_a_notebook_fails(tiny_book, capsys):
    code = main(["book", "--root", str(tiny_book), "--smoke", "--no-html", "--only", "2"])
    assert code == 1
    assert "02_broken: FAILED at cell 3" in capsys.readouterr().out


def test_unknown_profile_is_rejected():
    with pytest.raises(AacrError, match="unknown profile"):
        notebook_parameters("colab")


@pytest.mark.slow
def test_html_build_renders_executed_notebooks(tiny_book):
    execute_book(tiny_book, notebook_parameters("demo", smoke=True), only=["1"], echo=False)
    index = build_html(tiny_book)
    assert index == tiny_book / "_build" / "html" / "index.html"
    page = (tiny_book / "_build" / "html" / "notebooks" / "01_first.html").read_text()
    assert "the answer is 42" in page  # outputs come from the papermill run
    # the parameters are shown once (papermill's injected cell), not the removed defaults too
    assert page.count("Parameters") == 1 and page.count(">data_root<") == 1
