"""What the captioning chapters call: run experiments in a notebook's context.

Every function takes the `NotebookContext` of `aacr_lib.profiles.notebook_context`, so a chapter
runs the same code on the demo profile, on Clotho, and in smoke mode (tiny data, one step).
Runs are ordinary run directories: a second book build finds them complete and only reads them.

Each function returns an `ExperimentResult`: the finished run, or, when a pretrained asset it
needs is missing (VGGish weights, the bart-base tokenizer, the organisers' checkpoint), no run
and the reason with the command that fixes it. The tables then show "n/a" and that reason, and
the rest of the chapter runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import pandas as pd

from aacr_lib.captioning.display import statistics_comparison
from aacr_lib.captioning.experiments import (
    EXPERIMENT_SET,
    PROFILE_DESCRIPTIONS,
    get_experiment,
    resolve_config,
)
from aacr_lib.captioning.outputs import (
    TASK,
    decoding_statistics_file,
    is_redecoded,
    missing_requirements,
)
from aacr_lib.data.clotho import read_split
from aacr_lib.errors import PretrainedUnavailable
from aacr_lib.evaluation.captioning import load_clip_statistics
from aacr_lib.experiments import (
    ExperimentResult,
    PlannedRun,
    plan_seeds,
    pool_seeds,
    run_planned,
)
from aacr_lib.profiles import NotebookContext
from aacr_lib.runs import RunDir, run_path


def run_experiment(
    context: NotebookContext,
    experiment: str,
    overrides: list[str] | None = None,
    progress: bool | None = None,
) -> ExperimentResult:
    """Train (or reopen) `experiment` at the notebook's profile (changed by the chapter's
    overrides), with `overrides` on top; never raises for a missing pretrained asset."""
    title = get_experiment(experiment).title
    config = resolve_config(experiment, context.run_profile, overrides, context.overrides_for(TASK))
    existing = RunDir(run_path(TASK, experiment, config, context.runs_root))
    if existing.complete:  # reopened as `train_captioning` would, without loading torch
        return ExperimentResult(experiment, title, existing, None, 0.0, reused=True)
    from aacr_lib.captioning.run import train_captioning

    started = time.perf_counter()
    try:
        run = train_captioning(
            experiment,
            context.run_profile,
            overrides or [],
            data_dir=context.data_dir,
            runs_root=context.runs_root,
            device=context.device,
            progress=context.progress if progress is None else progress,
            profile_overrides=context.overrides_for(TASK),
        )
    except PretrainedUnavailable as exc:
        return ExperimentResult(experiment, title, None, str(exc))
    elapsed = time.perf_counter() - started
    return ExperimentResult(experiment, title, run, None, elapsed, reused=False)


Requests = Iterable[str] | Mapping[str, str | tuple[str, Sequence[str]]]

# What each captioning chapter (by notebook name) trains: a label -> an experiment, or (experiment, overrides).
# The chapters ask for these, and `aacr book` trains the union of the chapters it is about to
# execute ahead of them, in one pool of workers (`aacr_lib.book.train_ahead`).
CHAPTER_RUNS: dict[str, dict[str, str | tuple[str, tuple[str, ...]]]] = {
    "03_captioning_baseline": {
        "pads kept (baseline)": "baseline",
        # the pad-masking variant the chapter's last section discusses
        "pads masked": ("baseline", ("loss.mask_pad=true",)),
    },
    # the report's sections 6.1.1-6.1.3, from the registry
    "04_captioning_experiments": {
        name: name for name in ["baseline", *EXPERIMENT_SET.in_sections("6.1.1", "6.1.2", "6.1.3")]
    },
    "05_captioning_final": {"baseline": "baseline", "final": "final"},
    # the report's future work: the final architecture without and with sound-event vectors
    # (tagger and oracle on ClothoMix, PANNs where its weights are; the others are n/a rows)
    "08_sound_event_vectors": {name: name for name in ["final", *EXPERIMENT_SET.in_sections("7")]},
    # the literature chapter places the book's reference systems among published results
    "00_literature": {"baseline": "baseline", "final": "final"},
    # the conclusions judge every claim of the report's sections 6.1 and 7 (`aacr_lib.conclusions`)
    "09_conclusions": {
        name: name
        for name in [
            "baseline",
            *EXPERIMENT_SET.in_sections("6.1.1", "6.1.2", "6.1.3", "6.1.4", "7"),
        ]
    },
}


def run_chapter(context: NotebookContext, chapter: str) -> dict[str, ExperimentResult]:
    """The runs of `CHAPTER_RUNS[chapter]`, by label (see `run_experiments`)."""
    return run_experiments(context, CHAPTER_RUNS[chapter])


def run_experiments(context: NotebookContext, requests: Requests) -> dict[str, ExperimentResult]:
    """Several experiments at once: `requests` names them, or maps a label to an experiment
    name or to (name, overrides). Runs that need training train side by side in worker
    processes (`aacr_lib.experiments.run_planned`: one per CPU core, `AACR_JOBS` to change);
    one line per experiment says whether it was reused, trained (and how long) or n/a."""
    planned, extra_seeds = _seeded_plan(context, requests)
    results = run_planned(
        planned, context.device, report=lambda label, r: print(status_line(r, label))
    )
    return pool_seeds(results, extra_seeds)


def planned_runs(context: NotebookContext, requests: Requests) -> list[PlannedRun]:
    """What `run_experiments` would do for `requests`, without doing it: every seed's run
    (`context.seeds` per experiment)."""
    return _seeded_plan(context, requests)[0]


def _seeded_plan(
    context: NotebookContext, requests: Requests
) -> tuple[list[PlannedRun], dict[str, list[str]]]:
    if not isinstance(requests, Mapping):
        requests = {name: name for name in requests}
    named = {
        label: (request, ()) if isinstance(request, str) else request
        for label, request in requests.items()
    }

    def first_seed(experiment: str, overrides: list[str]) -> int:
        config = resolve_config(
            experiment, context.run_profile, overrides, context.overrides_for(TASK)
        )
        return config.training.seed

    return plan_seeds(
        named,
        context.seeds,
        first_seed,
        lambda label, experiment, overrides: _planned(context, label, experiment, overrides),
    )


def _planned(
    context: NotebookContext, label: str, experiment: str, overrides: list[str]
) -> PlannedRun:
    config = resolve_config(experiment, context.run_profile, overrides, context.overrides_for(TASK))
    path = run_path(TASK, experiment, config, context.runs_root)
    return PlannedRun(
        label,
        partial(run_experiment, context, experiment, overrides, False),
        pending=not RunDir(path).complete and not missing_requirements(config),
        prepare=partial(
            _prepare_shared_inputs,
            config,
            context.data_dir,
            context.progress,
            context.run_profile,
            context.runs_root,
        ),
        prepare_key=repr((config.data, config.evaluation.metrics)),
        run_dir=str(path),
        describe=status_line,
    )


def _prepare_shared_inputs(*arguments) -> None:
    # `run.prepare_shared_inputs`, imported in the worker that prepares (it loads torch)
    from aacr_lib.captioning.run import prepare_shared_inputs

    prepare_shared_inputs(*arguments)


def status_line(result: ExperimentResult, label: str | None = None) -> str:
    """One line: the run's CIDEr-D, epochs and time, or n/a with the reason; named by
    `label` where a chapter gave one, else by the experiment's title."""
    label = label if label and label != result.name else result.title
    if result.run is None:
        return f"{label}: n/a ({result.reason})"
    metrics = result.metrics()
    epochs = metrics.get("epochs_trained")
    trained = f"{epochs} epoch(s), " if epochs is not None else ""
    how = "reused" if result.reused else f"trained in {result.seconds:.0f} s"
    return f"{label}: {trained}CIDEr-D {metrics['cider_d']:.3f} ({how}, run {result.run.name})"


def run_trivial(context: NotebookContext) -> ExperimentResult:
    """The most-frequent-training-caption system, scored like a run."""
    from aacr_lib.captioning.trivial import evaluate_trivial

    run = evaluate_trivial(
        context.run_profile,
        context.data_dir,
        context.runs_root,
        overrides=context.overrides_for(TASK),
    )
    return ExperimentResult("trivial", "most frequent training caption", run)


def organisers_checkpoint(context: NotebookContext) -> ExperimentResult:
    """Report Table 1: the organisers' trained checkpoint scored on the evaluation split.

    Needs Clotho with VGGish features, the checkpoint and the bart-base tokenizer; any of them
    missing gives a result with the reason and the fix instead of a run.
    """
    name, title = "organisers_checkpoint", "DCASE 2022 organisers' checkpoint"
    if context.run_profile != "clotho":
        reason = (
            "the organisers' checkpoint was trained on Clotho VGGish features; this book runs "
            f"the {context.run_profile} profile on {context.dataset_name}. Build the "
            "book with the clotho profile online to score it"
        )
        return ExperimentResult(name, title, None, reason)
    from aacr_lib.captioning.run import evaluate_organisers_checkpoint

    try:
        run = evaluate_organisers_checkpoint(
            context.data_dir, context.runs_root, context.device, context.overrides_for(TASK)
        )
    except PretrainedUnavailable as exc:
        return ExperimentResult(name, title, None, str(exc))
    return ExperimentResult(name, title, run)


def profile_sentence(context: NotebookContext) -> str:
    """One Markdown sentence naming the data and the profile a chapter runs on."""
    name = context.run_profile
    return (
        f"This chapter runs the **{name}** captioning profile on **{context.dataset_name}** "
        f"(`{context.data_dir}`, device `{context.device}`): {PROFILE_DESCRIPTIONS[name]}."
    )


# What `redecode_run` scores (the metrics that need no JVM).
FAST_METRICS = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider_d")


def decoding_comparison(context: NotebookContext, result: ExperimentResult):
    """Beam search against greedy decoding of a run's evaluation split (fast metrics): each
    score with its 95 % bootstrap interval over clips, and greedy minus beam with its paired
    interval; n/a columns when the experiment has no run."""
    statistics = {}
    for method in ("beam", "greedy"):
        if result.run is None:
            statistics[method] = None
            continue
        _redecode(result.run, method, context)
        statistics[method] = load_clip_statistics(
            result.run.path / decoding_statistics_file(method)
        )
    return statistics_comparison(statistics, reference="beam", metrics=FAST_METRICS)


def _redecode(run: RunDir, method: str, context: NotebookContext) -> None:
    # decoding loads the model (torch, transformers): only when the statistics are missing
    if is_redecoded(run, method):
        return
    from aacr_lib.captioning.run import redecode_run

    redecode_run(run, method, data_dir=context.data_dir, device=context.device)


def example_files(
    context: NotebookContext, count: int = 3, split: str = "evaluation"
) -> list[Path]:
    """The audio files of the first `count` clips of a split."""
    return [item.audio_path for item in read_split(context.data_dir, split, metadata=False)[:count]]


def caption_table(result: ExperimentResult, files: list[Path]):
    """`caption_files` on `files` as a table: file, caption or error (n/a without a run)."""
    if result.run is None:
        return pd.DataFrame(
            {"file": [f.name for f in files], "caption": [f"n/a: {result.reason}"] * len(files)}
        )
    from aacr_lib.captioning.inference import caption_files

    results = caption_files(files, run_dir=result.run.path)
    return pd.DataFrame(
        {
            "file": [r.path.name for r in results],
            "caption": [r.caption if r.ok else f"error: {r.error}" for r in results],
        }
    )
