"""The one experiment registry: every task's experiments and profile sizes, in one shape.

An **experiment** is a named change to its task's baseline: a title, the report table (and row
or section) it reproduces, a description, the assets it needs beyond the baseline, and an
overlay on the task's base config. An overlay is a mapping, or a function of the profile's
resolved baseline where the change is relative (`layers7` adds one layer to whatever the
profile's baseline has), so every profile makes the same change.

An `ExperimentSet` holds one task's experiments and its overlay per profile (`demo`, `clotho`,
`smoke`; see `aacr_lib.profiles`). Resolution, for every task alike:

    base config defaults → profile overlay → experiment overlay → KEY=VALUE overrides

`experiment_set(task)` finds a task's set; `ExperimentResult` is what a chapter gets back for
an experiment: its finished run, or why there is none (shown as "n/a" with the reason).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from aacr_lib.config import deep_merge, parse_overrides, resolve
from aacr_lib.errors import ConfigError, lookup
from aacr_lib.paths import dataset_dir, environment
from aacr_lib.profiles import ALIASES, canonical_profile
from aacr_lib.runs import RunDir, execute_run, run_name, run_path
from aacr_lib.training import make_accelerator

Overlay = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]]
# What a task's training run does inside the run lifecycle: (run, accelerator, data directory)
# -> the metrics, or None when it stopped early on request.
TrainingBody = Callable[[RunDir, Any, Path], "dict[str, Any] | None"]

# Where each task's experiment set is defined (imported on first use, so that the registry
# depends on no task and `aacr --help` loads none).
TASK_MODULES = {
    "captioning": "aacr_lib.captioning.experiments",
    "retrieval": "aacr_lib.retrieval.experiments",
    "tagging": "aacr_lib.tagging.experiments",
}


@dataclass(frozen=True)
class Experiment:
    """A named change to the baseline of its task."""

    name: str
    title: str
    description: str
    overlay: Overlay = field(default_factory=dict)
    # The report's table it reproduces, the row of that table and the section that discusses
    # it (all None: not in the report).
    report_table: int | None = None
    report_row: str | None = None
    report_section: str | None = None
    # Assets it cannot run without, beyond those of the baseline (names of `aacr_lib.assets`).
    needs: tuple[str, ...] = ()

    def overlay_on(self, base: Any) -> dict[str, Any]:
        """The overlay dict, given the profile's resolved baseline config."""
        return dict(self.overlay(base) if callable(self.overlay) else self.overlay)

    @property
    def report_reference(self) -> str:
        """Where the report has it: "Table 4", "Table 10: LSTM", or "new"."""
        if self.report_table is None:
            return "new"
        row = f": {self.report_row}" if self.report_row else ""
        return f"Table {self.report_table}{row}"


@dataclass(frozen=True)
class ExperimentSet:
    """One task's experiments and profile overlays; resolves their configs."""

    task: str
    config_class: type
    profiles: Mapping[str, Mapping[str, Any]]
    profile_descriptions: Mapping[str, str]
    experiments: Mapping[str, Experiment]
    # Checks a resolved config beyond its types (e.g. the captioning model's dimensions).
    validate: Callable[[Any], None] | None = None
    # Completes a resolved config from its profile before it is checked (the sound-event
    # experiments name the tagger run of the same profile): (config, profile) -> None.
    finalize: Callable[[Any, str], None] | None = None

    def __iter__(self):
        return iter(self.experiments)

    def names(self) -> list[str]:
        return list(self.experiments)

    def in_sections(self, *sections: str) -> list[str]:
        """The experiments the report discusses in `sections` (e.g. "6.1.1"), in registry order:
        what a chapter about those sections runs."""
        return [e.name for e in self.experiments.values() if e.report_section in sections]

    def get(self, name: str) -> Experiment:
        return lookup(self.experiments, name, f"{self.task} experiment")

    def profile_overlay(self, profile: str) -> dict[str, Any]:
        name = ALIASES.get(profile, profile)
        return dict(lookup(self.profiles, name, f"{self.task} profile"))

    def resolve(
        self,
        experiment: str = "baseline",
        profile: str = "demo",
        overrides: Iterable[str] | Mapping[str, Any] | None = None,
        profile_overrides: Iterable[str] | Mapping[str, Any] | None = None,
    ) -> Any:
        """The full config of `experiment` at `profile`, with overrides (`KEY=VALUE` strings or
        a nested dict) on top.

        `profile_overrides` change the profile itself, before the experiment's overlay is
        computed from it: an experiment then makes its relative change on the changed profile
        (`layers7` adds a layer to however many the overrides give the baseline). The book's
        chapter overrides are of this kind; `overrides` are the last word.
        """
        chosen = self.get(experiment)
        profile_layer = deep_merge(self.profile_overlay(profile), _as_layer(profile_overrides))
        overrides = _as_layer(overrides)
        base = resolve(self.config_class, profile_layer)
        config = resolve(self.config_class, profile_layer, chosen.overlay_on(base), dict(overrides))
        if self.finalize is not None:
            self.finalize(config, canonical_profile(profile))
        for section in ("data", "training"):  # the sections every task shares
            validate_section = getattr(getattr(config, section, None), "validate", None)
            if validate_section is not None:
                validate_section()
        if self.validate is not None:
            self.validate(config)
        return config

    def listing(self) -> str:
        """`aacr train TASK --list`: the experiments, then the profiles, in aligned columns."""
        rows = [
            (e.name, f"{e.title} ({_where(e)}): {e.description}") for e in self.experiments.values()
        ]
        profiles = list(self.profile_descriptions.items())
        width = max(len(name) for name, _ in [*rows, *profiles]) + 2
        lines = ["experiments:", *(f"  {name:<{width}}{text}" for name, text in rows)]
        lines += ["profiles:", *(f"  {name:<{width}}{text}" for name, text in profiles)]
        return "\n".join(lines)

    def frame(self, names: Iterable[str] | None = None):
        """The experiments as a table: title, where the report has them, what each changes."""
        import pandas as pd  # pandas only for the chapters, not for `aacr train --list`

        rows = [
            {
                "experiment": name,
                "title": self.get(name).title,
                "report": self.get(name).report_reference,
                "change to the baseline": self.get(name).description,
            }
            for name in (names or self.experiments)
        ]
        return pd.DataFrame(rows).set_index("experiment")


def _where(experiment: Experiment) -> str:
    reference = experiment.report_reference
    return "new" if reference == "new" else f"report {reference}"


def experiment_set(task: str) -> ExperimentSet:
    """The experiment set of `task` (`captioning`, `retrieval`)."""
    module = importlib.import_module(lookup(TASK_MODULES, task, "task"))
    return module.EXPERIMENT_SET


TAGGER_EXPERIMENT = ("tagging", "baseline")


def name_tagger_run(config: Any, profile: str) -> None:
    """A task's `finalize`: a config whose sound events come from the tagger
    (`data.events.source=tagger`) without a tagger run named gets the run of the tagging
    task's `baseline` experiment (the tagger) at the same profile, so that the run's name (its config hash)
    changes when the tagger does."""
    events = getattr(getattr(config, "data", None), "events", None)
    if events is None or events.source != "tagger" or events.tagger_run:
        return
    task, experiment = TAGGER_EXPERIMENT
    tagger = experiment_set(task).resolve(experiment, profile)
    events.tagger_run = run_name(task, experiment, tagger)


def train_experiment(
    task: str,
    experiment: str,
    config: Any,
    body: TrainingBody,
    profile: str,
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    before_start: Callable[[], None] | None = None,
) -> Any:
    """Train one experiment's resolved config through the run lifecycle (`runs.execute_run`).

    Both tasks' `run.train_config` come here: the data directory defaults to
    `{data root}/{config.data.dataset}`; a complete run is returned before anything is built;
    `before_start` runs next (e.g. a check that the assets are there, before a run directory
    exists); then an `accelerate` accelerator for `config.training` and `device`, and `body`
    inside the lifecycle. The metrics gain the (canonical) profile.
    """
    data_path = Path(data_dir) if data_dir is not None else dataset_dir(config.data.dataset)
    existing = RunDir(run_path(task, experiment, config, runs_root))
    if existing.complete:
        return existing  # reopening a finished run builds nothing
    if before_start is not None:
        before_start()
    profile = canonical_profile(profile)
    # Under `accelerate launch` every process runs this: the main process writes the run
    # directory (and whatever the body shares on disk); the others train beside it.
    accelerator = make_accelerator(config.training, device)

    def with_profile(run: RunDir) -> dict[str, Any] | None:
        metrics = body(run, accelerator, data_path)
        return None if metrics is None else {**metrics, "profile": profile}

    return execute_run(
        task,
        experiment,
        config,
        with_profile,
        seed=config.training.seed,
        runs_root=runs_root,
        device=str(accelerator.device),
        data_dir=data_path,
        splits=config.data.splits,
        accelerator=accelerator,
        extra={"profile": profile},
    )


def _as_layer(overrides: Iterable[str] | Mapping[str, Any] | None) -> dict[str, Any]:
    if overrides is None:
        return {}
    if isinstance(overrides, Mapping):
        return dict(overrides)
    return parse_overrides(overrides)


def merge_overlays(*overlays: Mapping[str, Any]) -> dict[str, Any]:
    """Overlays merged left to right (an experiment that combines others)."""
    merged: dict[str, Any] = {}
    for overlay in overlays:
        merged = deep_merge(merged, overlay)
    return merged


@dataclass
class ExperimentResult:
    """One experiment of a chapter: its finished run, or why it has none."""

    name: str
    title: str
    run: RunDir | None  # the first seed's run: what a single-run display shows
    reason: str | None = None
    seconds: float = 0.0
    reused: bool = False  # the run was complete before: reopened, not trained
    # every seed's run, `run` first, when the experiment was trained with several seeds
    seed_runs: tuple[RunDir, ...] = ()

    @property
    def available(self) -> bool:
        return self.run is not None

    @property
    def runs(self) -> tuple[RunDir, ...]:
        """The runs of every seed (one when trained with one seed; none without a run)."""
        if self.seed_runs:
            return self.seed_runs
        return (self.run,) if self.run is not None else ()

    @property
    def seeds(self) -> int:
        return len(self.runs)

    def metrics(self) -> dict[str, Any]:
        return self.run.metrics() if self.run is not None else {}


# ----------------------------------------------------------------------------- seeds
def seed_overrides(first_seed: int, seeds: int) -> list[list[str]]:
    """The overrides of each of `seeds` runs of an experiment whose config trains with
    `first_seed`: none for the first (the run a single-seed book trains), then
    `training.seed=first_seed+k`, each a run of its own (the seed is in the config's hash)."""
    return [[]] + [[f"training.seed={first_seed + k}"] for k in range(1, seeds)]


def seed_label(label: str, seed: int) -> str:
    """A chapter's label for an extra seed's run of `label` (its status line's name)."""
    return f"{label} (seed {seed})"


def plan_seeds(
    requests: Mapping[str, tuple[str, Sequence[str]]],
    seeds: int,
    first_seed: Callable[[str, list[str]], int],
    plan: Callable[[str, str, list[str]], PlannedRun],
) -> tuple[list[PlannedRun], dict[str, list[str]]]:
    """Every seed's `PlannedRun` of `requests` (label → (experiment, overrides)), each
    label's seeds next to each other, and per label the labels of its extra seeds (for
    `pool_seeds`). `first_seed(experiment, overrides)` is the seed its config trains with;
    `plan(label, experiment, overrides)` plans one run (the task book's own)."""
    planned: list[PlannedRun] = []
    extra_labels: dict[str, list[str]] = {}
    for label, (experiment, overrides) in requests.items():
        first = first_seed(experiment, list(overrides))
        extra_labels[label] = []
        for index, extra in enumerate(seed_overrides(first, seeds)):
            run_label = label if index == 0 else seed_label(label, first + index)
            planned.append(plan(run_label, experiment, [*overrides, *extra]))
            if index:
                extra_labels[label].append(run_label)
    return planned, extra_labels


def pool_seeds(
    results: Mapping[str, ExperimentResult], seed_labels: Mapping[str, Sequence[str]]
) -> dict[str, ExperimentResult]:
    """One result per label of `seed_labels` (in its order): the first seed's result, with
    every seed's run in `seed_runs` when there are several (the seeds that have a run; the
    training time is their sum). `seed_labels[label]` names the extra seeds' results."""
    pooled = {}
    for label, extra in seed_labels.items():
        first = results[label]
        if not extra or first.run is None:
            pooled[label] = first
            continue
        others = [results[name] for name in extra]
        runs = tuple(r.run for r in (first, *others) if r.run is not None)
        pooled[label] = replace(
            first,
            seed_runs=runs if len(runs) > 1 else (),
            seconds=first.seconds + sum(r.seconds for r in others),
            reused=first.reused and all(r.reused for r in others),
        )
    return pooled


# ----------------------------------------------------------------------------- parallel runs
T = TypeVar("T")
# Environment of a worker process, set before it imports torch: one OpenMP thread, and threads
# that sleep rather than spin while they wait (spinning threads of two processes sharing two
# cores slowed a demo training step from 60 ms to over a second).
WORKER_ENVIRONMENT = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
JOBS_VARIABLE = "AACR_JOBS"


def parallel_jobs(device: str, pending: int) -> int:
    """How many trainings run at once: `AACR_JOBS` when set; otherwise, on the CPU, one per
    core (each with one torch thread: a demo model's small matrices gain little from a second
    thread, and two processes keep both cores busy through decoding and scoring too); on a GPU
    one (the runs share the device)."""
    configured = os.environ.get(JOBS_VARIABLE, "").strip()
    if configured:
        try:
            jobs = int(configured)
        except ValueError:
            raise ConfigError(
                f"{JOBS_VARIABLE} must be a whole number, got {configured!r}"
            ) from None
    elif str(device).startswith("cpu"):
        jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    else:
        jobs = 1
    return max(1, min(jobs or 1, pending))


def _worker_start() -> None:
    import torch

    torch.set_num_threads(1)


def run_in_parallel(
    calls: Sequence[Callable[[], T]],
    jobs: int,
    on_done: Callable[[int, T], None] | None = None,
    after: Sequence[int | None] | None = None,
) -> list[T]:
    """Each of `calls` (picklable: a module-level function with its arguments bound) in one
    of `jobs` worker processes; the results in the order of `calls`. `after[i]`, when given,
    is the index of a call that must finish before call i starts (it must come before i); of
    the calls that may start, those that others wait for start first, then the rest in order.
    `on_done(i, result)` runs in this process as each finishes (a status line). With `jobs` 1,
    or one call, they run here, one after the other. A call that raises stops the rest and the
    error is raised here.

    Workers are started with `spawn` (a fresh interpreter: safe from a Jupyter kernel and with
    torch already loaded) and `WORKER_ENVIRONMENT`.
    """
    after = list(after) if after is not None else [None] * len(calls)
    if any(first is not None and not 0 <= first < index for index, first in enumerate(after)):
        raise ValueError(f"every call must wait only for an earlier one: {after}")
    if jobs <= 1 or len(calls) <= 1:
        in_order = []
        for index, call in enumerate(calls):
            in_order.append(call())
            if on_done is not None:
                on_done(index, in_order[-1])
        return in_order
    awaited = {first for first in after if first is not None}
    waiting = sorted(range(len(calls)), key=lambda index: (index not in awaited, index))
    results: dict[int, T] = {}
    # inherited by the workers as they start
    with environment(WORKER_ENVIRONMENT):
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_start) as pool:
            running: dict[Future, int] = {}

            def start_ready() -> None:
                # at most `jobs` submitted: the pool's own queue would ignore the order above
                for index in list(waiting):
                    if len(running) >= jobs:
                        return
                    if after[index] is None or after[index] in results:
                        waiting.remove(index)
                        running[pool.submit(calls[index])] = index

            start_ready()
            try:
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        index = running.pop(future)
                        results[index] = future.result()
                        if on_done is not None:
                            on_done(index, results[index])
                    start_ready()
            except BaseException:
                waiting.clear()
                for future in running:
                    future.cancel()
                raise
    return [results[index] for index in range(len(calls))]


@dataclass(frozen=True)
class PlannedRun:
    """One experiment a chapter asks for: how to get its result, and whether that trains."""

    label: str  # its key in the chapter's results
    call: Callable[[], ExperimentResult]  # trains or reopens it (picklable: runs in a worker)
    pending: bool  # True: no complete run yet, training is needed
    # What must exist before the run starts (e.g. the feature caches of its data config):
    # prepared once per distinct key, in a worker, so that the training workers only read
    # shared files.
    prepare: Callable[[], None] | None = None
    prepare_key: str = ""
    parallel: bool = True  # False: trains here after the others (it needs their runs)
    run_dir: str = ""  # where its run lives: chapters asking for the same run train it once
    describe: Callable[[ExperimentResult], str] | None = None  # its task's status line


def run_planned(
    planned: Sequence[PlannedRun],
    device: str,
    report: Callable[[str, ExperimentResult], None] | None = None,
) -> dict[str, ExperimentResult]:
    """The results of `planned`, in its order: complete runs reopened here, the pending ones
    trained `parallel_jobs` at a time in worker processes (the rest here, after them).
    With several workers, each distinct input (`PlannedRun.prepare`) is prepared once, in a
    worker, before the runs that read it start; the preparations run one after the other (they
    may share caches, e.g. the tagger two event inputs need), while the other workers train
    the runs whose inputs are ready. `report(label, result)` runs as each result arrives (a
    chapter's status line)."""
    results: dict[str, ExperimentResult] = {}
    parallel = [p for p in planned if p.pending and p.parallel]
    jobs = parallel_jobs(device, len(parallel))
    calls: list[Callable[[], Any]] = []
    after: list[int | None] = []
    labels: list[str | None] = []  # None: a preparation
    preparation: dict[str, int] = {}
    for entry in parallel:
        needs = None
        if jobs > 1 and entry.prepare is not None:  # one at a time, each run builds its own
            if entry.prepare_key not in preparation:
                previous = max(preparation.values(), default=None)
                preparation[entry.prepare_key] = len(calls)
                calls.append(entry.prepare)
                after.append(previous)
                labels.append(None)
            needs = preparation[entry.prepare_key]
        calls.append(entry.call)
        after.append(needs)
        labels.append(entry.label)

    def done(index: int, result: Any) -> None:
        label = labels[index]
        if label is None:
            return
        results[label] = result
        if report is not None:
            report(label, result)

    run_in_parallel(calls, jobs, done, after)
    for entry in planned:
        if entry.label not in results:
            results[entry.label] = entry.call()
            if report is not None:
                report(entry.label, results[entry.label])
    return {entry.label: results[entry.label] for entry in planned}
