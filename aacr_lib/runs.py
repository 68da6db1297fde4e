"""Self-describing run directories and the one run lifecycle: the only thing the book reads.

A run directory is named `{task}-{experiment}-{config hash}` under the runs root and holds:
`config.yaml` (the resolved config), `run.json` (git commit, package versions, seed, device,
start/end time, status), `metrics.json`, `history.json` (`{"task", "experiment", "epochs":
[...]}`, one record per epoch), an outputs CSV (generated captions, rankings, ...) and
`checkpoints/` (safetensors). The same config always maps to the same directory, which is what
makes a rerun resume instead of starting over.

`execute_run(...)` is the lifecycle every task's runs go through: return a complete run as it
is; refuse a directory trained on other data; write `config.yaml` and `run.json`; run the task's
body; on success write `metrics.json` and mark the run `complete`, on Ctrl-C `interrupted`, on
an error `failed`, and when the body stops early on request (it returns None) `interrupted`:
the same command resumes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from aacr_lib import __version__
from aacr_lib.config import config_hash, from_dict, to_dict
from aacr_lib.data.clotho import audio_dir, captions_csv_path, parse_captions_csv
from aacr_lib.errors import AacrError, ConfigError, DataError
from aacr_lib.paths import runs_root

TRACKED_PACKAGES = (
    "torch",
    "transformers",
    "accelerate",
    "tokenizers",
    "numpy",
    "scipy",
    "pandas",
    "h5py",
    "soundfile",
    "pycocoevalcap",
    "sentence-transformers",
    "gensim",
    "faiss-cpu",
    "papermill",
    "jupyter-book",
)

# The checkout the package runs from: its commit is recorded wherever `aacr` is started.
PACKAGE_DIR = Path(__file__).resolve().parent

CONFIG_FILE = "config.yaml"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.json"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def git_state(cwd: str | os.PathLike | None = None) -> dict[str, Any]:
    """Commit and dirtiness of the git checkout around `cwd` (None values outside git)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed versions of the packages a result depends on (None when absent)."""
    versions: dict[str, str | None] = {"aacr": __version__, "python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def run_name(task: str, experiment: str, config: Any) -> str:
    """`{task}-{experiment}-{hash}`: derived from the resolved config alone."""
    return f"{task}-{experiment}-{config_hash(config)}"


@dataclass
class RunDir:
    """A run directory on disk; thin wrapper over the files it holds."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    # ----- reading
    def config(self) -> dict[str, Any]:
        return _read_document(self.path / CONFIG_FILE, yaml.safe_load, yaml.YAMLError)

    def info(self) -> dict[str, Any]:
        return _read_document(self.path / RUN_FILE, json.loads, json.JSONDecodeError)

    def metrics(self, name: str = METRICS_FILE) -> dict[str, Any]:
        path = self.path / name
        if not path.is_file():
            raise AacrError(f"{path}: no metrics yet (the run has not finished evaluation)")
        return _read_document(path, json.loads, json.JSONDecodeError)

    def task_config(self, task: str, config_class: type) -> Any:
        """The run's resolved config as `config_class`, checking that it is a `task` run: a
        missing config or another task's run is a `ConfigError` naming the command to run."""
        fix = f"`aacr train {task} --experiment NAME`"
        if not (self.path / CONFIG_FILE).is_file():
            raise ConfigError(f"{self.path} is not a {task} run directory (no {CONFIG_FILE}); "
                              f"train one with {fix}")  # fmt: skip
        try:
            recorded = self.info().get("task")
        except (OSError, ValueError):
            recorded = None
        if recorded not in (None, task):
            raise ConfigError(f"{self.path} is a {recorded} run, not a {task} run; this needs a "
                              f"run of {fix}")  # fmt: skip
        return from_dict(config_class, self.config())

    def history(self) -> list[dict[str, Any]]:
        """The per-epoch records of `history.json` ([] when the run has none)."""
        path = self.path / HISTORY_FILE
        if not path.is_file():
            return []
        document = _read_document(path, json.loads, json.JSONDecodeError)
        # retrieval runs made before the one format wrote the bare list of epochs
        return list(document if isinstance(document, list) else document.get("epochs", []))

    @property
    def complete(self) -> bool:
        try:
            return self.info().get("status") == "complete"
        except (OSError, ValueError):
            return False

    # ----- writing
    def update_info(self, **fields: Any) -> None:
        info = self.info()
        info.update(fields)
        _write_json(self.path / RUN_FILE, info)

    def write_metrics(self, metrics: dict[str, Any], name: str = METRICS_FILE) -> Path:
        return _write_json(self.path / name, metrics)

    def write_history(self, epochs: Sequence[dict[str, Any]]) -> Path:
        """`history.json`: the task, the experiment and one record per epoch."""
        info = self.info()
        document = {"task": info.get("task"), "experiment": info.get("experiment")}
        return _write_json(self.path / HISTORY_FILE, {**document, "epochs": list(epochs)})

    def write_outputs(self, frame: Any, name: str = "outputs.csv") -> Path:
        """Write a pandas DataFrame (or a list of dict rows) as CSV inside the run."""
        import pandas as pd  # pandas only where outputs are written (`aacr info` needs none)

        frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
        path = self.path / name
        frame.to_csv(path, index=False)
        return path

    def finish(self, status: str = "complete") -> None:
        self.update_info(status=status, end_time=_now())


def _write_json(path: Path, payload: dict[str, Any]) -> Path:
    # Write then rename, so a reader never sees a half-written file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False, default=_json_default) + "\n")
    os.replace(tmp, path)
    return path


class RunFileError(DataError, ValueError):
    """A run file that cannot be parsed (damaged, or crafted: e.g. a YAML `!!python` tag).

    A `ValueError` too, so the callers that skip unreadable runs (`find_runs`) still do.
    """


def _read_document(path: Path, parse: Callable[[str], Any], error: type[Exception]) -> Any:
    """`parse(text)` of a run file; a `RunFileError` naming it when it cannot be parsed."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (error, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RunFileError(
            f"{path}: not a readable run file ({reason}); delete the run directory "
            f"{path.parent} and rerun the command that made it"
        ) from None


def _json_default(value: Any) -> Any:
    # numpy scalars are written as numbers, anything else as its text
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def run_path(
    task: str, experiment: str, config: Any, root: str | os.PathLike | None = None
) -> Path:
    """Where the run of a resolved config lives (whether or not it exists yet)."""
    return runs_root(root) / run_name(task, experiment, config)


def create_run(
    task: str,
    experiment: str,
    config: Any,
    seed: int,
    device: str = "cpu",
    root: str | os.PathLike | None = None,
    extra: dict[str, Any] | None = None,
) -> RunDir:
    """Create (or reopen, when the same config ran before) the run directory of a config.

    A reopened run keeps its first start time and records the restart, so a resumed job shows
    its whole history.
    """
    path = run_path(task, experiment, config, root)
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / (CONFIG_FILE + ".tmp")
    tmp.write_text(yaml.safe_dump(to_dict(config), sort_keys=False))
    os.replace(tmp, path / CONFIG_FILE)
    run = RunDir(path)
    starts = []
    if (path / RUN_FILE).is_file():
        previous = run.info()
        starts = previous.get("starts", [previous.get("start_time")])
    now = _now()
    info = {
        "task": task,
        "experiment": experiment,
        "config_hash": config_hash(config),
        "seed": seed,
        "device": device,
        "git": git_state(PACKAGE_DIR),
        "versions": package_versions(),
        "platform": platform.platform(),
        "command": " ".join(sys.argv),
        "start_time": starts[0] if starts else now,
        "starts": [*starts, now],
        "end_time": None,
        "status": "running",
        **(extra or {}),
    }
    _write_json(path / RUN_FILE, info)
    return run


def find_runs(
    root: str | os.PathLike | None = None,
    task: str | None = None,
    experiment: str | None = None,
    complete_only: bool = True,
) -> list[RunDir]:
    """Run directories under the runs root, newest first, filtered by task/experiment."""
    base = runs_root(root)
    if not base.is_dir():
        return []
    found = []
    for path in base.iterdir():
        if not (path / RUN_FILE).is_file():
            continue
        run = RunDir(path)
        try:
            info = run.info()
        except (OSError, ValueError):
            continue
        if task and info.get("task") != task:
            continue
        if experiment and info.get("experiment") != experiment:
            continue
        if complete_only and info.get("status") != "complete":
            continue
        found.append((info.get("end_time") or info.get("start_time") or "", run))
    return [run for _, run in sorted(found, key=lambda pair: pair[0], reverse=True)]


def data_fingerprint(data_dir: str | os.PathLike, splits: Sequence[str]) -> str:
    """Which data a run was trained on: `{captions}-{audio}`, two SHA-1 prefixes (12 hex each).

    `captions` digests the splits' captions CSVs (the whole fingerprint before audio was
    covered); `audio` the name, size and modification time (ns) of every audio file those CSVs
    list, in CSV order (a missing one counts as such): cheap (no audio is read), and a clip
    fixed, replaced or re-generated changes it. Copying a dataset without keeping modification
    times changes it too.
    """
    captions, audio = hashlib.sha1(), hashlib.sha1()
    for split in splits:
        path = captions_csv_path(data_dir, split)
        captions.update(split.encode())
        captions.update(path.read_bytes() if path.is_file() else b"")
        audio.update(f"split\0{split}\0".encode())
        rows, _ = parse_captions_csv(path)
        folder = audio_dir(data_dir, split)
        for row in rows:
            try:
                stat = (folder / row.file_name).stat()
                stamp = f"{stat.st_size}\0{stat.st_mtime_ns}"
            except OSError:
                stamp = "missing"
            audio.update(f"{row.file_name}\0{stamp}\n".encode())
    return f"{captions.hexdigest()[:12]}-{audio.hexdigest()[:12]}"


def check_same_data(run: RunDir, fingerprint: str) -> None:
    """A run directory is named by its config alone: refuse to reuse one trained on other data."""
    try:
        previous = run.info().get("data_fingerprint") or ""
    except (OSError, ValueError):
        return
    # A run from before the audio was fingerprinted holds the captions part alone.
    same = previous == fingerprint or ("-" not in previous and fingerprint.startswith(previous))
    if previous and not same:
        raise ConfigError(
            f"run {run.path} was trained on other data (fingerprint {previous}, now "
            f"{fingerprint}); delete that run directory or use another runs root (--runs-root)"
        )


def execute_run(
    task: str,
    experiment: str,
    config: Any,
    body: Callable[[RunDir], dict[str, Any] | None],
    *,
    seed: int,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    data_dir: str | os.PathLike | None = None,
    splits: Sequence[str] = (),
    accelerator: Any = None,
    extra: dict[str, Any] | None = None,
) -> RunDir:
    """The run lifecycle shared by every task; `body(run)` does the task's work.

    `body` returns the metrics to write into `metrics.json` (on the main process; other
    processes of a data-parallel launch may return anything), or None when it stopped early on
    request. With `data_dir`, the data's fingerprint (`splits`) is recorded and a run directory
    trained on other data is refused. `accelerator` (a data-parallel launch): only its main
    process writes, and every process waits for it between the steps.
    """
    path = run_path(task, experiment, config, runs_root)
    existing = RunDir(path)
    if existing.complete:
        return existing  # finished before: nothing to do, and its run.json stays as it was
    main = accelerator is None or accelerator.is_main_process
    facts = dict(extra or {})
    if data_dir is not None:
        fingerprint = data_fingerprint(data_dir, splits)
        facts.update({"data_dir": str(data_dir), "data_fingerprint": fingerprint})
        check_same_data(existing, fingerprint)
    if accelerator is not None:
        facts["processes"] = accelerator.num_processes
    if main:
        create_run(task, experiment, config, seed, device, runs_root, extra=facts)
    _wait(accelerator)
    run = RunDir(path)
    try:
        metrics = body(run)
    except KeyboardInterrupt:
        if main:
            run.finish("interrupted")  # rerunning the same command resumes it
        raise
    except BaseException:
        if main:
            run.finish("failed")
        raise
    if main:
        if metrics is None:
            run.finish("interrupted")  # stopped on request: the same command resumes it
        else:
            run.write_metrics({**metrics, "experiment": experiment})
            run.finish()
    _wait(accelerator)
    return run


def _wait(accelerator: Any) -> None:
    if accelerator is not None:
        accelerator.wait_for_everyone()
