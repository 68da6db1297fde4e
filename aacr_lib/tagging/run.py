"""A tagging run from config to run directory: train, detect, score, write the results.

`train_tagging("baseline", "demo")` resolves the config and goes through the shared run
lifecycle (`aacr_lib.runs.execute_run`); the body builds the log-mel caches of the three
splits, reads ClothoMix's strong labels (`clothomix_events_{split}.csv`), trains through the
shared loop (resuming from the last epoch checkpoint) and evaluates the best weights on the
evaluation split. The run directory `tagging-baseline-{hash}` then holds

    config.yaml, run.json        the resolved config and provenance (aacr_lib.runs)
    classes.json                 the AudioSet classes the tagger predicts (indices and names)
    checkpoints/                 epoch checkpoints and best/ (safetensors)
    history.json                 per-epoch losses, learning rate, validation frame F1 and mAP
    detected_events.csv          file_name,label,onset,offset,confidence (evaluation split)
    metrics.json                 segment F1 / error rate at 1 s (sed_eval), clip-level mAP

A complete run is not recomputed: rerunning the same config returns its directory at once.
Clotho has no strong labels, so there is no tagger at the clotho profile
(`missing_requirements` says so before anything starts).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from accelerate.utils import set_seed

from aacr_lib.errors import AacrError, ConfigError, PretrainedUnavailable
from aacr_lib.events.oracle import events_csv_path, read_clothomix_events
from aacr_lib.events.vocabulary import clothomix_classes
from aacr_lib.experiments import train_experiment
from aacr_lib.features.splits import feature_config, feature_dim, load_splits
from aacr_lib.runs import RunDir, run_name
from aacr_lib.tagging.config import TaggingConfig
from aacr_lib.tagging.experiments import resolve_config
from aacr_lib.tagging.inference import (
    CLASSES_FILE,
    evaluate_tagger,
    load_tagger,
    read_classes,
    remember_tagger_run,
    write_classes,
)
from aacr_lib.tagging.task import TASK, TaggingTask, build_tagger, split_targets
from aacr_lib.training import fit
from aacr_lib.training.loop import unsupported_precision
from aacr_lib.training.summary import training_finished, training_summary

STRONG_LABELS_DATASET = "clothomix"


# ----------------------------------------------------------------------------- requirements
def no_strong_labels(dataset: str) -> PretrainedUnavailable:
    """Why there is no tagger on `dataset`: it has no onsets and offsets to train on."""
    return PretrainedUnavailable(
        "training data with strong sound-event labels (onsets and offsets)",
        f"the {dataset} dataset (it has no clothomix_events_*.csv)",
        "only ClothoMix has them: train the tagger at the demo profile (`aacr train tagging "
        "--experiment baseline --profile demo`); on Clotho the sound events come from PANNs "
        "(data.events.source=panns)",
        reason="Clotho v2.1 has captions but no onsets and offsets",
    )


def missing_requirements(
    config: TaggingConfig,
    device: str = "cpu",
    data_dir: str | os.PathLike | None = None,
) -> list[AacrError]:
    """What a config needs that this machine lacks, on `device` (empty: it can run): strong
    labels (Clotho has none: `PretrainedUnavailable`, shown as n/a by the book), the events
    CSVs in `data_dir` when one is given, and a CUDA GPU for fp16 mixed precision."""
    missing: list[AacrError] = []
    precision = unsupported_precision(config.training, device)
    if precision is not None:
        missing.append(precision)
    if config.data.dataset != STRONG_LABELS_DATASET:
        missing.append(no_strong_labels(config.data.dataset))
    elif data_dir is not None and (Path(data_dir) / "clotho_captions_development.csv").is_file():
        absent = [
            split for split in config.data.splits if not events_csv_path(data_dir, split).is_file()
        ]
        if absent:
            missing.append(no_strong_labels(f"{config.data.dataset} at {data_dir}"))
    return missing


def check_requirements(
    config: TaggingConfig, device: str = "cpu", data_dir: str | os.PathLike | None = None
) -> None:
    """Raise the first missing requirement, before any run directory is created."""
    missing = missing_requirements(config, device, data_dir)
    if missing:
        raise missing[0]


# ----------------------------------------------------------------------------- training
def train_tagging(
    experiment: str = "baseline",
    profile: str = "demo",
    overrides: Iterable[str] | Mapping[str, Any] = (),
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
    stop_after_epochs: int | None = None,
) -> RunDir:
    """Train and evaluate one experiment; return its run directory (complete, or
    `interrupted` when `stop_after_epochs` stopped this call first: the same call resumes)."""
    config = resolve_config(experiment, profile, overrides)
    return train_config(
        config, experiment, profile, data_dir, runs_root, device, progress, stop_after_epochs
    )


def train_config(
    config: TaggingConfig,
    experiment: str,
    profile: str = "demo",
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
    stop_after_epochs: int | None = None,
) -> RunDir:
    """`train_tagging` for an already resolved config."""

    def body(run: RunDir, accelerator: Any, data_path: Path) -> dict[str, Any] | None:
        return _train_and_evaluate(run, config, data_path, progress, accelerator, stop_after_epochs)

    return train_experiment(
        TASK,
        experiment,
        config,
        body,
        profile,
        data_dir,
        runs_root,
        device,
        before_start=lambda: check_requirements(config, device, data_dir),
    )


def _run_classes(run: RunDir, accelerator: Any) -> list[int]:
    """The classes of the run: ClothoMix's AudioSet classes, fixed in `classes.json` at the
    first start (a resumed run keeps its own)."""
    if accelerator.is_main_process and not (run.path / CLASSES_FILE).is_file():
        write_classes(run, clothomix_classes())
    accelerator.wait_for_everyone()
    return read_classes(run)


def _train_and_evaluate(
    run: RunDir,
    config: TaggingConfig,
    data_dir: Path,
    progress: bool,
    accelerator: Any,
    stop_after_epochs: int | None = None,
) -> dict[str, Any] | None:
    main = accelerator.is_main_process
    data = config.data
    splits = load_splits(data_dir, data, accelerator=accelerator, progress=progress)
    events = {split: read_clothomix_events(data_dir, split) for split in data.splits}
    classes = _run_classes(run, accelerator)
    frames_per_output = round(config.model.hop_seconds * feature_config(data).frame_rate)
    hop = config.model.hop_seconds

    def targets(split: str):
        path = events_csv_path(data_dir, split)
        return split_targets(splits[split], events[split], hop, classes, frames_per_output, path)

    set_seed(config.training.seed)
    model = build_tagger(config, feature_dim(data), classes)
    task = TaggingTask(
        config,
        model,
        splits[data.train_split],
        splits[data.validation_split],
        targets(data.train_split),
        targets(data.validation_split),
    )
    result = fit(
        task,
        config.training,
        run.checkpoints,
        accelerator=accelerator,
        progress=progress,
        on_epoch_end=run.write_history,
        stop_after_epochs=stop_after_epochs,
    )
    if not training_finished(result, config.training):
        return None  # stopped on request: resumable
    if not main:
        return {}  # scoring the best weights is quick: the main process does it alone
    run.write_history(result.history)
    local_device = "cpu" if accelerator.device.type == "cpu" else str(accelerator.device)
    trained = load_tagger(run, local_device)
    evaluation = splits[data.evaluation_split]
    metrics = evaluate_tagger(trained, evaluation, events[data.evaluation_split], run)
    return {**metrics, "split": data.evaluation_split, **training_summary(result)}


def ensure_tagger(
    events: Any,
    profile: str,
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> RunDir | None:
    """The tagger run a run's `data.events` reads (source "tagger"), trained first when it is
    missing (reopened when complete, resumed when interrupted); None for other sources. The
    captioning and retrieval runs call it before they build their event caches, so that
    `aacr train captioning --experiment final_events_tagger` works on its own."""
    if events.source != "tagger":
        return None
    config = resolve_config("baseline", profile)
    expected = run_name(TASK, "baseline", config)
    if events.tagger_run != expected:
        raise ConfigError(
            f"data.events.tagger_run={events.tagger_run!r} is not the {profile} profile's tagger "
            f"({expected}); leave it empty to use that one, or train yours with `aacr train "
            "tagging` and give its run directory name"
        )
    run = train_config(config, "baseline", profile, data_dir, runs_root, device, progress)
    remember_tagger_run(run.path)
    return run
