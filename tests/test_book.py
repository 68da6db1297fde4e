"""The book runner on tiny notebooks: order, caching, failure reporting, HTML build."""

from __future__ import annotations

import os
from pathlib import Path

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


# --------------------------------------------------------------------------- training ahead
def _fake_task_book(name, chapter_runs, trained):
    """A task module with `CHAPTER_RUNS` and `planned_runs`: each request is a run directory
    (complete when its name ends in "done"); training one records it."""
    import types

    from aacr_lib.experiments import ExperimentResult, PlannedRun

    def planned_runs(context, requests):
        return [
            PlannedRun(
                label=f"{name} {run}",
                call=lambda run=run: trained.append(run) or ExperimentResult(run, run, None),
                pending=not run.endswith("done"),
                run_dir=run,
                parallel=not run.endswith("last"),
                describe=lambda result, label: f"{label}: {result.name} trained",
            )
            for run in requests
        ]

    module = types.ModuleType(name)
    module.CHAPTER_RUNS, module.planned_runs = chapter_runs, planned_runs
    return module


@pytest.fixture
def two_task_books(monkeypatch):
    """Captioning-like chapters 03-04 sharing a baseline, retrieval-like 06 with one run that
    trains after the pool; runs execute here, in order (`run_in_parallel` replaced)."""
    import sys

    from aacr_lib import book, experiments

    trained = []
    slow = _fake_task_book(
        "fake_slow_book",
        {"03_a": ["slow/base", "slow/x"], "04_b": ["slow/base", "slow/y"]},
        trained,
    )
    fast = _fake_task_book(
        "fake_fast_book", {"06_c": ["fast/base", "fast/done", "fast/z last"]}, trained
    )
    monkeypatch.setitem(sys.modules, "fake_slow_book", slow)
    monkeypatch.setitem(sys.modules, "fake_fast_book", fast)
    monkeypatch.setattr(book, "TASK_BOOKS", ("fake_slow_book", "fake_fast_book"))
    pools = []

    def in_order(calls, jobs, on_done=None, after=None):
        pools.append(len(calls))
        results = [call() for call in calls]
        for index, result in enumerate(results):
            on_done(index, result)
        return results

    monkeypatch.setattr(experiments, "run_in_parallel", in_order)
    monkeypatch.setenv("AACR_JOBS", "2")
    return trained, pools


def test_train_ahead_trains_every_pending_run_once_in_one_pool(two_task_books, capsys):
    """The shared baseline trains once, a complete run not at all, the pool's runs in task
    order (longest-training task first), the run that needs the others' after them; chapters
    not about to execute train nothing."""
    from types import SimpleNamespace

    from aacr_lib.book import train_ahead

    trained, pools = two_task_books
    context = SimpleNamespace(device="cpu")
    ahead = train_ahead(context, ["03_a", "04_b", "06_c", "01_data"])
    assert ahead.trained == 5 and ahead.complete
    assert trained == ["slow/base", "slow/x", "slow/y", "fast/base", "fast/z last"]
    assert pools == [4]
    output = capsys.readouterr().out
    assert "training ahead: 5 run(s) the chapters need, 2 at a time" in output
    assert "fake_slow_book slow/y: slow/y trained" in output
    trained.clear()
    assert train_ahead(context, ["04_b"]).trained == 2
    assert trained == ["slow/base", "slow/y"]


def test_a_failing_run_ahead_leaves_the_rest_to_the_chapters(two_task_books, monkeypatch, capsys):
    from types import SimpleNamespace

    from aacr_lib import experiments
    from aacr_lib.book import train_ahead

    def broken(calls, jobs, on_done=None, after=None):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(experiments, "run_in_parallel", broken)
    ahead = train_ahead(SimpleNamespace(device="cpu"), ["03_a"])
    assert ahead.trained == 2 and not ahead.complete
    assert "training ahead stopped (RuntimeError('out of memory'))" in capsys.readouterr().out


CH04, CH06, CH07 = "04_captioning_experiments", "06_retrieval_baseline", "07_retrieval_experiments"
CH08 = "08_sound_event_vectors"


def test_the_chapters_ask_for_the_runs_the_book_trains_ahead(tmp_path):
    """Every chapter that trains has its runs in its task's `CHAPTER_RUNS`, and the book's plan
    for the real chapters names each run directory once."""
    import json

    from aacr_lib.book import planned_book_runs
    from aacr_lib.captioning import book as captioning_book
    from aacr_lib.profiles import notebook_context
    from aacr_lib.retrieval import book as retrieval_book
    from tests.conftest import REPO_ROOT

    declared = {**captioning_book.CHAPTER_RUNS, **retrieval_book.CHAPTER_RUNS}
    for notebook in discover_notebooks(REPO_ROOT):
        source = "".join(
            "".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"]
        )
        asks = f'run_chapter(context, "{notebook.stem}")' in source
        assert asks == (notebook.stem in declared), notebook.name
        assert "run_experiments(" not in source, f"{notebook.name}: use run_chapter"
    context = notebook_context("demo", runs_root_dir=str(tmp_path), smoke=True)
    planned = planned_book_runs(context, declared)
    run_dirs = [entry.run_dir for entry, _ in planned]
    assert [label for _, label in planned][:2] == ["pads kept (baseline)", "pads masked"]
    assert len(run_dirs) == len(set(run_dirs)) == len(planned)
    names = [Path(run_dir).name.rsplit("-", 1)[0] for run_dir in run_dirs]
    captioning = [f"captioning-{name}" for name in captioning_book.CHAPTER_RUNS[CH04]]
    events = [f"captioning-{name}" for name in captioning_book.CHAPTER_RUNS[CH08]]
    # the pad-masking variant (a second baseline config) after chapter 03's baseline; chapter
    # 08 reuses chapter 05's final architecture
    assert names[:11] == [
        *captioning[:1],
        "captioning-baseline",
        *captioning[1:],
        "captioning-final",
        *events[1:],
    ]
    retrieval = dict.fromkeys(
        [
            *retrieval_book.CHAPTER_RUNS[CH06],
            *retrieval_book.CHAPTER_RUNS[CH07],
            *retrieval_book.CHAPTER_RUNS[CH08],
        ]
    )
    assert names[11:] == [f"retrieval-{name}" for name in retrieval]


def test_notebooks_execute_side_by_side_and_report_in_order(tmp_path):
    """With jobs=2 two chapters run at once (the first waits for a file the second writes,
    which one at a time could never give), and the results keep the notebooks' order."""
    (tmp_path / "notebooks").mkdir()
    write_notebook(
        tmp_path / "notebooks" / "01_waits.ipynb",
        "import time\nfrom pathlib import Path\n"
        "for _ in range(600):\n"
        "    if Path('second.txt').exists():\n"
        "        break\n"
        "    time.sleep(0.1)\n"
        "assert Path('second.txt').exists(), 'ran alone'",
    )
    write_notebook(
        tmp_path / "notebooks" / "02_writes.ipynb",
        "from pathlib import Path\nPath('second.txt').write_text('here')",
    )
    parameters = notebook_parameters("demo")
    results = execute_book(tmp_path, parameters, jobs=2, echo=False)
    assert [(r.name, r.status) for r in results] == [
        ("01_waits", "executed"),
        ("02_writes", "executed"),
    ]
    again = execute_book(tmp_path, parameters, jobs=2, echo=False)
    assert [r.status for r in again] == ["cached", "cached"]
