"""The book runner: execute the numbered notebooks with papermill, then build the HTML book.

Notebooks are committed without outputs; executed copies go to `_build/executed/`. A notebook
whose source, parameters and library code are unchanged since its last successful execution is
not run again. A failing notebook is reported with its failing cell and the others still run.
The HTML is built by Jupyter Book 1 from a staging copy in which the executed notebooks replace
the committed ones (`execute_notebooks: "off"`: the book only renders what papermill ran).
In an executed notebook the source `parameters` cell is tagged `remove-cell`, so the book shows
the parameters once: papermill's `injected-parameters` cell, the values that were really used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aacr_lib import __version__
from aacr_lib.errors import AacrError
from aacr_lib.paths import environment
from aacr_lib.profiles import BATCH_ENV, SEEDS_VARIABLE, check_overrides, get_profile

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
CACHE_FILE = ".book-cache.json"
BOOK_SOURCES = ("_config.yml", "_toc.yml", "book")
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"  # papermill's tag for the cell it adds after `parameters`
REMOVE_TAG = "remove-cell"  # Jupyter Book (MyST-NB) leaves such cells out of the HTML


@dataclass
class NotebookResult:
    """Outcome of one notebook: `executed`, `cached` or `failed` (with the failing cell)."""

    name: str
    status: str
    seconds: float = 0.0
    output: Path | None = None
    error: str | None = None
    failing_cell: int | None = None

    def describe(self) -> str:
        if self.status == "failed":
            return f"{self.name}: FAILED at cell {self.failing_cell}: {self.error}"
        if self.status == "cached":
            return f"{self.name}: unchanged, not run again"
        return f"{self.name}: executed in {self.seconds:.1f} s"


def discover_notebooks(root: str | os.PathLike, only: Iterable[str] | None = None) -> list[Path]:
    """Numbered notebooks of `root/notebooks`, in order; `only` keeps those whose number matches."""
    notebooks = sorted((Path(root) / "notebooks").glob(NOTEBOOK_GLOB))
    if only:
        wanted = {str(number).zfill(2) for number in only}
        notebooks = [nb for nb in notebooks if nb.name[:2] in wanted]
        if not notebooks:
            raise AacrError(f"no notebook numbered {', '.join(sorted(wanted))} in {root}/notebooks")
    return notebooks


def library_fingerprint() -> str:
    """Hash of the library's version and source, so a library change re-executes the book,
    and of the settings read from the environment that change what the chapters show (the
    seeds per experiment, `AACR_SEEDS`)."""
    package = Path(__file__).parent
    digest = hashlib.sha256(__version__.encode())
    digest.update(f"{SEEDS_VARIABLE}={os.environ.get(SEEDS_VARIABLE, '').strip()}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def notebook_source_hash(path: Path) -> str:
    """Hash of a notebook's cells (types and sources), ignoring outputs and metadata noise."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    payload = [(cell.get("cell_type"), "".join(cell.get("source", ""))) for cell in cells]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def execution_key(path: Path, parameters: dict, fingerprint: str) -> str:
    blob = json.dumps([notebook_source_hash(path), parameters, fingerprint], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def notebook_parameters(
    profile: str,
    device: str = "cpu",
    data_root: str | None = None,
    runs_root: str | None = None,
    smoke: bool = False,
    overrides: Mapping[str, Sequence[str]] | None = None,
) -> dict:
    """The values injected into every notebook's `parameters` cell (`overrides`: per task,
    `KEY=VALUE` strings for every run of the chapter; see `profiles.notebook_context`)."""
    get_profile(profile)  # fail early on an unknown profile
    return {
        "profile": profile,
        "data_root": data_root,
        "runs_root": runs_root,
        "device": device,
        "smoke": smoke,
        "overrides": {task: list(entries) for task, entries in check_overrides(overrides).items()},
    }


def _load_cache(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / CACHE_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def _save_cache(out_dir: Path, cache: dict) -> None:
    (out_dir / CACHE_FILE).write_text(json.dumps(cache, indent=1, sort_keys=True))


def hide_source_parameters(path: str | os.PathLike) -> bool:
    """Tag the `parameters` cell of an executed notebook `remove-cell` if papermill injected one.

    Papermill keeps the notebook's own `parameters` cell (the defaults) and adds an
    `injected-parameters` cell after it (the values of this run), so the book would show the
    parameters twice. Only the rendering changes: both cells stay, with their sources and
    outputs. Without an injected cell nothing is hidden. Returns whether a cell was tagged.
    """
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)

    def tags(cell) -> list:
        return cell.get("metadata", {}).get("tags", [])

    if not any(INJECTED_TAG in tags(cell) for cell in notebook.cells):
        return False
    changed = False
    for cell in notebook.cells:
        cell_tags = tags(cell)
        if PARAMETERS_TAG in cell_tags and INJECTED_TAG not in cell_tags:
            if REMOVE_TAG not in cell_tags:
                cell.metadata["tags"] = [*cell_tags, REMOVE_TAG]
                changed = True
    if changed:
        nbformat.write(notebook, str(path))
    return changed


def execute_notebook(notebook: Path, output: Path, parameters: dict, cwd: Path) -> NotebookResult:
    """Run one notebook with papermill; a failure becomes a result naming the failing cell.

    The executed copy at `output` shows its parameters once in the book (see
    `hide_source_parameters`), also when a cell failed.
    """
    with environment(kernel_environment()):
        return _execute_notebook(notebook, output, parameters, cwd)


def kernel_environment() -> dict[str, str]:
    """What the kernels inherit: progress bars off in batch runs (see `BATCH_ENV`), and OpenMP
    threads that sleep while they wait unless the user chose otherwise (a run training beside
    METEOR's JVM start-up, with spinning threads, got many times slower on 2 cores)."""
    return {BATCH_ENV: "1", "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}


def _execute_notebook(notebook: Path, output: Path, parameters: dict, cwd: Path) -> NotebookResult:
    result = _execute(notebook, output, parameters, cwd, time.perf_counter())
    if output.is_file():
        try:
            hide_source_parameters(output)
        except Exception as exc:  # an unreadable output must not hide the execution's outcome
            if result.status != "failed":
                return NotebookResult(
                    notebook.stem, "failed", result.seconds, output, repr(exc), None
                )
    return result


def _execute(
    notebook: Path, output: Path, parameters: dict, cwd: Path, start: float
) -> NotebookResult:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(cwd),
            progress_bar=sys.stderr.isatty(),
            log_output=False,
        )
    except PapermillExecutionError as exc:
        first_line = (exc.source or "").strip().splitlines()[:1]
        where = f" [In [{exc.exec_count}]: {first_line[0][:60]}]" if first_line else ""
        # papermill counts its injected-parameters cell; report the index in the source notebook
        source_index = exc.cell_index - 1 if parameters else exc.cell_index
        return NotebookResult(
            notebook.stem,
            "failed",
            time.perf_counter() - start,
            output,
            f"{exc.ename}: {exc.evalue}{where}",
            source_index,
        )
    except Exception as exc:  # kernel died, notebook unreadable, ...: still report, keep going
        return NotebookResult(
            notebook.stem, "failed", time.perf_counter() - start, output, repr(exc), None
        )
    return NotebookResult(notebook.stem, "executed", time.perf_counter() - start, output)


def _executed_dir(root: Path, out_dir: str | os.PathLike | None) -> Path:
    return Path(out_dir) if out_dir else root / "_build" / "executed"


def notebooks_to_execute(
    root: str | os.PathLike,
    parameters: dict,
    only: Iterable[str] | None = None,
    out_dir: str | os.PathLike | None = None,
    force: bool = False,
) -> list[Path]:
    """The notebooks `execute_book` would run rather than reuse (changed, failed or new)."""
    root = Path(root).resolve()
    out = _executed_dir(root, out_dir)
    cache, fingerprint = _load_cache(out), library_fingerprint()
    return [
        notebook
        for notebook in discover_notebooks(root, only)
        if force or not _is_current(notebook, out, cache, parameters, fingerprint)
    ]


def _is_current(notebook: Path, out: Path, cache: dict, parameters: dict, fingerprint: str):
    key = execution_key(notebook, parameters, fingerprint)
    return cache.get(notebook.name) == key and (out / notebook.name).is_file()


# The task modules whose chapters train runs (`CHAPTER_RUNS` and `planned_runs` in each), the
# longest-training task first: the pool then ends with short runs and its workers finish
# together. Imported only when the book trains ahead.
TASK_BOOKS = ("aacr_lib.captioning.book", "aacr_lib.retrieval.book")


def planned_book_runs(context, chapters: Iterable[str]) -> list[tuple]:
    """Every run the chapters `chapters` (notebook names without ".ipynb") ask for, once each
    (several chapters reuse the baseline): (`aacr_lib.experiments.PlannedRun` labelled by its
    run directory, the label its first chapter gives it)."""
    import importlib
    from dataclasses import replace

    wanted, planned, seen = set(chapters), [], set()
    for module_name in TASK_BOOKS:
        module = importlib.import_module(module_name)
        for chapter, requests in module.CHAPTER_RUNS.items():
            if chapter not in wanted:
                continue
            for entry in module.planned_runs(context, requests):
                if entry.run_dir not in seen:
                    seen.add(entry.run_dir)
                    planned.append((replace(entry, label=entry.run_dir), entry.label))
    return planned


@dataclass
class TrainedAhead:
    """What `train_ahead` did: how many runs it trained, and why it stopped early (None: every
    run the chapters need is complete or n/a, so the chapters only read runs)."""

    trained: int = 0
    stopped: str | None = None

    @property
    def complete(self) -> bool:
        return self.stopped is None


def train_ahead(context, chapters: Iterable[str], echo: bool = True) -> TrainedAhead:
    """Train every run that the chapters `chapters` will ask for and is not complete,
    in one pool of workers (`aacr_lib.experiments.run_planned`), before any notebook starts;
    the chapters then reopen finished runs. One pool for the whole book keeps every core busy
    to the end (a chapter with one run left trains it alone) and starts its workers once.
    A run that fails here stops the rest: the chapters then train what is left themselves and
    show the error where it belongs."""
    from aacr_lib.experiments import parallel_jobs, run_planned

    pending = [
        (entry, label) for entry, label in planned_book_runs(context, chapters) if entry.pending
    ]
    if not pending:
        return TrainedAhead()
    jobs = parallel_jobs(context.device, sum(entry.parallel for entry, _ in pending))
    if echo:
        print(
            f"training ahead: {len(pending)} run(s) the chapters need, {jobs} at a time",
            flush=True,
        )
    describe = {entry.label: (entry.describe, label) for entry, label in pending}

    def report(run_dir, result) -> None:
        status, label = describe[run_dir]
        if echo:
            print(f"    {status(result, label) if status else label}", flush=True)

    try:
        run_planned([entry for entry, _ in pending], context.device, report=report)
    except Exception as exc:  # the chapters train it again and show the error in place
        print(f"training ahead stopped ({exc!r}); the chapters train what is left", flush=True)
        return TrainedAhead(len(pending), repr(exc))
    return TrainedAhead(len(pending))


def execute_book(
    root: str | os.PathLike,
    parameters: dict,
    only: Iterable[str] | None = None,
    out_dir: str | os.PathLike | None = None,
    force: bool = False,
    echo: bool = True,
    jobs: int = 1,
) -> list[NotebookResult]:
    """Execute the numbered notebooks into `out_dir` (default `_build/executed`): in order,
    or `jobs` at a time, each in its own kernel (for chapters that only read runs trained
    ahead of them, see `train_ahead`: chapters that train would compete for the cores and for
    the caches they build). The results come back in the notebooks' order."""
    from concurrent.futures import ThreadPoolExecutor

    root = Path(root).resolve()
    out = _executed_dir(root, out_dir)
    out.mkdir(parents=True, exist_ok=True)
    notebooks = discover_notebooks(root, only)
    cache = _load_cache(out)
    fingerprint = library_fingerprint()
    results: dict[int, NotebookResult] = {}
    pending = []
    for index, notebook in enumerate(notebooks):
        if not force and _is_current(notebook, out, cache, parameters, fingerprint):
            results[index] = NotebookResult(notebook.stem, "cached", 0.0, out / notebook.name)
            if echo:
                print(f"[{index + 1}/{len(notebooks)}] {results[index].describe()}", flush=True)
        else:
            cache.pop(notebook.name, None)
            pending.append(index)
    _save_cache(out, cache)

    def run(index: int) -> NotebookResult:
        notebook = notebooks[index]
        if echo:
            print(f"[{index + 1}/{len(notebooks)}] {notebook.name} …", flush=True)
        result = _execute_notebook(notebook, out / notebook.name, parameters, root)
        if echo:
            print(f"    {result.describe()}", flush=True)
        return result

    # the kernels' environment is set once: threads must not set and restore it in turn
    with environment(kernel_environment()), ThreadPoolExecutor(max(1, jobs)) as pool:
        for index, result in zip(pending, pool.map(run, pending), strict=True):
            results[index] = result
            if result.status == "executed":
                cache[notebooks[index].name] = execution_key(
                    notebooks[index], parameters, fingerprint
                )
            _save_cache(out, cache)
    return [results[index] for index in range(len(notebooks))]


def stage_book(root: str | os.PathLike, executed_dir: str | os.PathLike, stage: Path) -> Path:
    """A copy of the book sources where executed notebooks replace the committed ones."""
    root, executed_dir = Path(root), Path(executed_dir)
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for name in BOOK_SOURCES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, stage / name)
        elif source.is_file():
            shutil.copy2(source, stage / name)
    (stage / "notebooks").mkdir()
    for notebook in discover_notebooks(root):
        executed = executed_dir / notebook.name
        shutil.copy2(
            executed if executed.is_file() else notebook, stage / "notebooks" / notebook.name
        )
    return stage


def build_html(
    root: str | os.PathLike,
    executed_dir: str | os.PathLike | None = None,
    output_root: str | os.PathLike | None = None,
) -> Path:
    """Build `{output_root}/_build/html` (default: the project's) with Jupyter Book from the
    staged, executed notebooks."""
    root = Path(root).resolve()
    output = Path(output_root).resolve() if output_root else root
    executed = Path(executed_dir) if executed_dir else root / "_build" / "executed"
    stage = stage_book(root, executed, output / "_build" / "stage")
    command = [
        sys.executable,
        "-c",
        "from jupyter_book.cli.main import main; main()",
        "build",
        str(stage),
        "--path-output",
        str(output),
    ]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
        raise AacrError(f"jupyter-book build failed:\n{tail}")
    index = output / "_build" / "html" / "index.html"
    if not index.is_file():
        raise AacrError(f"jupyter-book finished but {index} is missing")
    return index
