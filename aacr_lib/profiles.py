"""Profiles, and the context every notebook starts from.

A **profile** says which data everything runs on and at which size, for every task alike:
`demo` (ClothoMix, models sized for a 2-core CPU), `clotho` (Clotho v2.1 at the report's sizes, a
GPU server; `paper` is another name for it, kept for `aacr train --profile paper`) and `smoke`
(the demo on tiny data, one training step: the test suite). Each task's experiment set holds its
own overlay per profile (`aacr_lib.experiments`).

A notebook's `parameters` cell holds `profile`, `data_root`, `runs_root`, `device`, `smoke` and
`overrides` (per task, `KEY=VALUE` strings that change the profile for every run of the
chapter, before each experiment's overlay: how the test suite's clotho rehearsal shrinks the
report's sizes while keeping the clotho code path); `notebook_context(...)` turns them into concrete
directories, making sure the data exists:
the `demo` profile builds ClothoMix when it is missing, `clotho` names the download command,
and `smoke=True` (the test suite) runs the `smoke` profile on a tiny ClothoMix so every chapter
runs in seconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from aacr_lib.data import clothomix
from aacr_lib.errors import ConfigError, DatasetUnavailable, lookup
from aacr_lib.paths import dataset_dir, runs_root


@dataclass(frozen=True)
class Profile:
    """Which data a profile runs on; each task's sizes for it are overlays of its experiments."""

    name: str
    dataset: str
    description: str
    # Training seeds per experiment in the book's chapters (`AACR_SEEDS` changes it): the
    # tables give the mean and spread over seeds, the paired tests pool them. The demo's main
    # job has room for one (a second seed of every demo run costs ~6 min on two cores).
    seeds: int = 1


PROFILES: dict[str, Profile] = {
    "demo": Profile(
        "demo", "clothomix", "ClothoMix demo data, model sizes scaled for a 2-core CPU"
    ),
    "clotho": Profile(
        "clotho", "clotho", "Clotho v2.1, the report's model sizes (a GPU server)", seeds=3
    ),
    "smoke": Profile("smoke", "clothomix", "the demo on tiny data, one training step (tests only)"),
}
SEEDS_VARIABLE = "AACR_SEEDS"


def seeds_for(profile: Profile) -> int:
    """How many seeds the chapters train per experiment: `AACR_SEEDS` when set, else the
    profile's."""
    configured = os.environ.get(SEEDS_VARIABLE, "").strip()
    if not configured:
        return profile.seeds
    try:
        seeds = int(configured)
    except ValueError:
        raise ConfigError(f"{SEEDS_VARIABLE} must be a whole number, got {configured!r}") from None
    if seeds < 1:
        raise ConfigError(f"{SEEDS_VARIABLE} must be at least 1, got {seeds}")
    return seeds


# Other names of a profile: `paper` is what `aacr train --profile` called the clotho sizes.
ALIASES = {"paper": "clotho"}
# The profiles a book is built at (`aacr book --profile`); smoke is the chapters' `smoke` flag.
BOOK_PROFILES = ("demo", "clotho")

# Set by the book runner for its kernels: batch runs print no progress bars (nobody watches them,
# and they would end up in the rendered book); interactive notebooks show them.
BATCH_ENV = "AACR_BATCH"

# Tiny data for smoke runs: enough clips for every split and a batch, seconds to build.
SMOKE_CLIPS = {"development": 8, "validation": 4, "evaluation": 4}
SMOKE_DURATION = 4.0


def batch_run() -> bool:
    """True inside a kernel started by the book runner."""
    return os.environ.get(BATCH_ENV, "0") not in ("0", "")


def canonical_profile(name: str) -> str:
    """The profile's own name (`paper` → `clotho`); an unknown name is a `ConfigError`."""
    return get_profile(name).name


def get_profile(name: str) -> Profile:
    return lookup(PROFILES, ALIASES.get(name, name), "profile")


@dataclass(frozen=True)
class NotebookContext:
    """Resolved parameters of one notebook run."""

    profile: Profile
    data_dir: Path
    runs_root: Path
    device: str
    smoke: bool
    # Per task ("captioning", "retrieval", ...): `KEY=VALUE` overrides for every run.
    overrides: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def overrides_for(self, task: str) -> list[str]:
        """The chapter's overrides of `task`: they change the profile, before each
        experiment's overlay (`ExperimentSet.resolve(profile_overrides=...)`)."""
        return list(self.overrides.get(task, ()))

    @property
    def progress(self) -> bool:
        """Progress bars for long work: on in JupyterLab, off in batch runs (`aacr book`)."""
        return not batch_run()

    @property
    def run_profile(self) -> str:
        """The profile the chapter's runs use: `smoke` in smoke mode, else the book's."""
        return "smoke" if self.smoke else self.profile.name

    @property
    def seeds(self) -> int:
        """Training seeds per experiment (`seeds_for` the book's profile; smoke mode too)."""
        return seeds_for(self.profile)

    @property
    def dataset_name(self) -> str:
        return "ClothoMix" if self.profile.dataset == "clothomix" or self.smoke else "Clotho v2.1"


def ensure_clothomix(directory: Path, smoke: bool = False, progress: bool = True) -> Path:
    """Build ClothoMix in `directory` unless a complete copy of this version is already there
    (a copy an older aacr built, `clothomix_version` below `CLOTHOMIX_VERSION`, is rebuilt:
    the runs of this version expect its clips; a complete folder ClothoMix did not write is
    left as it is).

    Safe when several processes ask at once (an `accelerate launch` of N processes, or two
    notebooks): one builds under a file lock beside the directory, the others wait for it and
    then find the complete copy. The captions of the evaluation split are written last, so
    their presence means "complete", and an interrupted build is simply redone.
    """
    directory = Path(directory)
    marker = directory / "clotho_captions_evaluation.csv"

    def current() -> bool:
        # Complete, and not an older ClothoMix (a folder ClothoMix did not write, such as
        # your own data given to `aacr train --data-dir`, is used as it is).
        version = clothomix.clothomix_version(directory)
        return marker.is_file() and version in (None, clothomix.CLOTHOMIX_VERSION)

    if current():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory.parent / f".{directory.name}.lock")):
        if current():
            return directory  # built by another process while this one waited
        if marker.is_file():
            found = clothomix.clothomix_version(directory)
            print(
                f"{directory} holds ClothoMix version {found}; this aacr uses version "
                f"{clothomix.CLOTHOMIX_VERSION}: rebuilding it"
            )
        if smoke:
            clothomix.generate_clothomix(
                directory, seed=0, clips=SMOKE_CLIPS, duration=SMOKE_DURATION, progress=False
            )
        else:
            print(f"ClothoMix not found in {directory}: building it (about a minute)…")
            clothomix.generate_clothomix(directory, seed=0, progress=progress)
    return directory


def training_data_dir(
    dataset: str, data_dir: str | os.PathLike | None = None, progress: bool = True
) -> Path | None:
    """The data directory for `aacr train`: ClothoMix is built when missing (offline, about a
    minute) rather than failing; other datasets are left to the task to find or report."""
    if dataset != "clothomix":
        return Path(data_dir) if data_dir else None
    directory = Path(data_dir) if data_dir else dataset_dir("clothomix")
    return ensure_clothomix(directory, progress=progress)


def notebook_context(
    profile: str = "demo",
    data_root: str | os.PathLike | None = None,
    runs_root_dir: str | os.PathLike | None = None,
    device: str = "cpu",
    smoke: bool = False,
    overrides: Mapping[str, Sequence[str]] | None = None,
) -> NotebookContext:
    """Resolve a notebook's parameters; the dataset is guaranteed to exist afterwards.

    `overrides` maps a task name to `KEY=VALUE` strings (see `NotebookContext.overrides_for`).
    """
    task_overrides = check_overrides(overrides)
    book_profile = lookup({name: PROFILES[name] for name in BOOK_PROFILES}, profile, "profile")
    runs = runs_root(runs_root_dir)
    if smoke:
        # Smoke runs never touch real data: a tiny ClothoMix, shared by all notebooks of a run.
        data_dir = ensure_clothomix(runs / "_smoke" / "clothomix", smoke=True)
    elif book_profile.dataset == "clothomix":
        data_dir = ensure_clothomix(dataset_dir("clothomix", data_root), progress=not batch_run())
    else:
        data_dir = dataset_dir(book_profile.dataset, data_root)
        if not (data_dir / "clotho_captions_development.csv").is_file():
            raise DatasetUnavailable(
                f"Clotho v2.1 is not in {data_dir}. Download it with "
                f"`aacr data clotho --root {data_dir}` (about 7 GB), or set AACR_DATA / the "
                "notebook's data_root to the folder that holds `clotho/`"
            )
    return NotebookContext(book_profile, data_dir, runs, device, smoke, task_overrides)


# The tasks a chapter's `overrides` may name.
OVERRIDE_TASKS = ("captioning", "retrieval", "events")


def check_overrides(
    overrides: Mapping[str, Sequence[str]] | None,
) -> dict[str, tuple[str, ...]]:
    """`overrides` as `{task: (KEY=VALUE, ...)}`; an unknown task or a malformed entry is a
    `ConfigError` (the keys themselves are checked when a task resolves its config)."""
    checked: dict[str, tuple[str, ...]] = {}
    for task, entries in (overrides or {}).items():
        lookup({name: name for name in OVERRIDE_TASKS}, task, "task in overrides")
        if isinstance(entries, str):
            entries = [entries]
        for entry in entries:
            if not isinstance(entry, str) or "=" not in entry:
                raise ConfigError(
                    f"overrides[{task!r}]: {entry!r} is not KEY=VALUE (e.g. training.epochs=1)"
                )
        checked[task] = tuple(entries)
    return checked
