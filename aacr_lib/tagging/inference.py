"""A finished tagging run, loaded and applied: probabilities, detected events, scores.

`load_tagger(run_dir)` rebuilds the tagger (best weights, the classes saved with the run);
`TrainedTagger.probabilities` turns log-mel frames into `[T', 527]` probabilities on the
events grid (0.32 s), `TrainedTagger.waveform_probabilities` does the same from 16 kHz audio
through the run's own log-mel. `evaluate_tagger` scores a split (`aacr_lib.evaluation.tagging`)
and writes its detected events; `tag_files` is `aacr tag`.

The `events_tagger` feature kind (`aacr_lib.events.config.TaggerEventsConfig`) is computed here
(`tagger_events_batch`, checked by `check_tagger_events`) and registered with
`aacr_lib.features.registry` when `aacr_lib.tagging` is imported: its `run` field names a run
directory under the runs root (`aacr_lib.paths.runs_root`).
"""

from __future__ import annotations

import functools
import json
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aacr_lib.audio import audio_info, load_audio
from aacr_lib.errors import AacrError, ConfigError, DataError, PretrainedUnavailable
from aacr_lib.evaluation.tagging import clip_truth, tagging_metrics
from aacr_lib.events.config import PannsEventsConfig, TaggerEventsConfig
from aacr_lib.events.encodings import DetectedEvent, detected_events
from aacr_lib.events.oracle import EventRow
from aacr_lib.events.vocabulary import AUDIOSET_CLASSES, NUM_CLASSES, clothomix_mapping
from aacr_lib.features.registry import compute_features_batch, resample_for
from aacr_lib.features.splits import SplitData, feature_config, feature_dim
from aacr_lib.paths import runs_root
from aacr_lib.runs import RunDir, run_name
from aacr_lib.tagging.config import TaggingConfig
from aacr_lib.tagging.experiments import resolve_config
from aacr_lib.tagging.task import TASK, build_tagger
from aacr_lib.training.checkpoint import best_weights, load_weights

CLASSES_FILE = "classes.json"
EVENTS_FILE = "detected_events.csv"
EVENTS_COLUMNS = ("file_name", "label", "onset", "offset", "confidence")
TRAIN_COMMAND = "aacr train tagging --experiment baseline --profile demo"


def torch_device(device: str) -> str:
    """`auto` → `cuda` when there is a GPU, else `cpu`; other names unchanged."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def write_classes(run: RunDir, classes: Sequence[int]) -> Path:
    """`classes.json`: the AudioSet indices (and names) the run's tagger predicts."""
    path = run.path / CLASSES_FILE
    document = {
        "classes": [int(c) for c in classes],
        "labels": [AUDIOSET_CLASSES[c] for c in classes],
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def read_classes(run: RunDir) -> list[int]:
    """The class indices of `classes.json`; `DataError` naming the fix when it is unusable."""
    path = run.path / CLASSES_FILE
    try:
        classes = [int(c) for c in json.loads(path.read_text(encoding="utf-8"))["classes"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"{path}: not a readable class list ({type(exc).__name__}); retrain the run with "
            f"`{TRAIN_COMMAND}`"
        ) from None
    if not classes or min(classes) < 0 or max(classes) >= NUM_CLASSES:
        raise DataError(f"{path}: class indices outside 0..{NUM_CLASSES - 1}")
    return classes


def read_config(run: RunDir) -> TaggingConfig:
    """The resolved config of a tagging run; another task's run is named as such."""
    return run.task_config(TASK, TaggingConfig)


@dataclass
class TrainedTagger:
    """A trained run's tagger, ready to turn audio into sound-event probabilities."""

    run: RunDir
    config: TaggingConfig
    model: Any  # SoundEventTagger, on `device`, in eval mode
    classes: list[int]
    device: str

    @property
    def hop_seconds(self) -> float:
        return float(self.config.model.hop_seconds)

    @property
    def feature_config(self) -> Any:
        """The run's log-mel settings, to compute the features of new audio."""
        return feature_config(self.config.data)

    @property
    def sample_rate(self) -> int:
        return int(self.feature_config.sample_rate)

    def probabilities(
        self, features: Sequence[np.ndarray], batch_size: int = 16
    ) -> list[np.ndarray]:
        """float32 `[T', 527]` per clip of `[T, F]` log-mel frames (clips of one length share a
        forward pass, so a clip's result does not depend on the others)."""
        out: list[np.ndarray | None] = [None] * len(features)
        by_length: dict[int, list[int]] = defaultdict(list)
        for index, frames in enumerate(features):
            frames = np.asarray(frames)
            if frames.ndim != 2 or frames.shape[0] == 0:
                raise DataError(
                    f"expected [frames, {self.model.in_bins}] features, got {frames.shape}"
                )
            by_length[frames.shape[0]].append(index)
        with torch.no_grad():
            for members in by_length.values():
                for start in range(0, len(members), batch_size):
                    chunk = members[start : start + batch_size]
                    batch = torch.from_numpy(
                        np.stack([np.asarray(features[i], dtype=np.float32) for i in chunk])
                    ).to(self.device)
                    result = self.model.probabilities_527(batch).float().cpu().numpy()
                    for row, index in enumerate(chunk):
                        out[index] = result[row]
        return out  # type: ignore[return-value]

    def waveform_probabilities(
        self, waveforms: Sequence[np.ndarray], sample_rate: int | None = None
    ) -> list[np.ndarray]:
        """`probabilities` of mono clips at `sample_rate` (default: the run's log-mel rate)."""
        config = self.feature_config
        rate = config.sample_rate if sample_rate is None else int(sample_rate)
        prepared = [resample_for(np.asarray(w, dtype=np.float32), rate, config) for w in waveforms]
        return self.probabilities(compute_features_batch(config, prepared))

    def detect(
        self, probabilities: np.ndarray, threshold: float | None = None
    ) -> list[DetectedEvent]:
        """The events of one clip's `[T', 527]` probabilities (the run's threshold and minimum
        duration unless `threshold` is given), over the run's classes."""
        evaluation = self.config.evaluation
        return detected_events(
            probabilities,
            self.hop_seconds,
            threshold=evaluation.threshold if threshold is None else threshold,
            classes=self.classes,
            min_duration=evaluation.min_duration,
        )


def load_tagger(run_dir: str | os.PathLike | RunDir, device: str = "cpu") -> TrainedTagger:
    """The tagger (best weights) of a tagging run."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(Path(run_dir))
    config = read_config(run)
    weights = best_weights(run.checkpoints)
    if weights is None:
        raise DataError(
            f"{run.path}: no trained weights in {run.checkpoints}; finish training with "
            f"`{TRAIN_COMMAND}`"
        )
    classes = read_classes(run)
    device = torch_device(device)
    model = build_tagger(config, feature_dim(config.data), classes)
    load_weights(model, weights, device)
    model.to(torch.device(device)).eval()
    return TrainedTagger(run, config, model, classes, device)


# ----------------------------------------------------------------------------- a split's quality
def reference_events(
    events: Mapping[str, Sequence[EventRow]], file_names: Sequence[str]
) -> list[dict[str, Any]]:
    """The ground truth of `file_names` as events labelled by their AudioSet class names (what
    the tagger predicts; several ClothoMix labels share a class)."""
    mapping = clothomix_mapping()
    rows = []
    for name in file_names:
        for label, onset, offset in events.get(name, ()):
            if label not in mapping:
                raise ConfigError(
                    f"ClothoMix label {label!r} has no AudioSet class in the vocabulary mapping"
                )
            event = {"filename": name, "event_label": mapping[label]}
            rows.append({**event, "onset": onset, "offset": offset})
    return rows


def evaluate_tagger(
    trained: TrainedTagger,
    split: SplitData,
    events: Mapping[str, Sequence[EventRow]],
    run: RunDir | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Segment-based F1 and error rate (sed_eval, `evaluation.time_resolution` segments) and
    clip-level mAP of a split's clips; with `run`, the detected events are written to its
    `detected_events.csv` (`file_name,label,onset,offset,confidence`)."""
    names = [item.file_name for item in split.items]
    probabilities = trained.probabilities([split.features[name] for name in names])
    detected: list[dict[str, Any]] = []
    for name, matrix in zip(names, probabilities, strict=True):
        for event in trained.detect(matrix, threshold):
            detected.append(
                {
                    "file_name": name,
                    "label": event.label,
                    "onset": event.onset,
                    "offset": event.offset,
                    "confidence": round(event.confidence, 6),
                }
            )
    if run is not None:
        write_detected_events(run.path / EVENTS_FILE, detected)
    reference = reference_events(events, names)
    labels = [AUDIOSET_CLASSES[c] for c in trained.classes]
    durations = {item.file_name: audio_info(item.audio_path).duration for item in split.items}
    scores = np.stack([matrix[:, trained.classes].max(axis=0) for matrix in probabilities])
    truth = clip_truth(names, reference, labels)
    metrics = tagging_metrics(
        reference,
        detected,  # `file_name`, `label`, `onset`, `offset` (and a confidence, not used)
        truth,
        scores,
        time_resolution=trained.config.evaluation.time_resolution,
        durations=durations,
        labels=labels,
    )
    evaluation = trained.config.evaluation
    return {
        **metrics,
        "threshold": evaluation.threshold if threshold is None else threshold,
        "n_clips": len(names),
        "n_detected_events": len(detected),
        "n_reference_events": len(reference),
        "n_classes": len(trained.classes),
        "n_classes_present": int((truth.sum(axis=0) > 0).sum()),
    }


def write_detected_events(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """The detected events as CSV (`EVENTS_COLUMNS`), written then renamed into place."""
    import csv

    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EVENTS_COLUMNS)
        for row in rows:
            writer.writerow([row[column] for column in EVENTS_COLUMNS])
    os.replace(tmp, path)
    return path


# ----------------------------------------------------------------------------- the events_tagger kind
# Tagger runs this process trained or reopened, by name: a chapter's runs root need not be
# AACR_RUNS's, and the event cache's config names the run only (its name is in the hash).
_LOCATED: dict[str, Path] = {}


def remember_tagger_run(path: str | os.PathLike) -> None:
    """Where the tagger run of that directory name is, for `tagger_run_path` in this process
    (`run.ensure_tagger` calls it before the event caches are built)."""
    _LOCATED[Path(path).name] = Path(path)


def tagger_run_path(name: str, root: str | os.PathLike | None = None) -> Path:
    """Where the run named by `TaggerEventsConfig.run` is: where this process last trained or
    reopened it, else under the runs root (an absolute path is taken as it is)."""
    if not name:
        raise ConfigError(
            "the events_tagger kind needs `run`, the directory name of a tagging run (e.g. "
            f"what `{TRAIN_COMMAND}` prints); see aacr_lib.tagging.tagger_events_config"
        )
    path = Path(name)
    if path.is_absolute():
        return path
    if root is None and name in _LOCATED:
        return _LOCATED[name]
    return runs_root(root) / path


def check_tagger_events(config: TaggerEventsConfig) -> None:
    """Before any work: the tagger run exists, is complete and has its weights and classes;
    `PretrainedUnavailable` naming the command that trains it otherwise."""
    path = tagger_run_path(config.run)
    run = RunDir(path)
    problem = None
    if not (path / "config.yaml").is_file():
        problem = "no such tagging run"
    elif not run.complete:
        problem = "the run is not complete (interrupted or still training)"
    elif best_weights(run.checkpoints) is None or not (path / CLASSES_FILE).is_file():
        problem = "the run has no trained weights or class list"
    if problem is not None:
        raise PretrainedUnavailable(
            f"the sound-event tagger run {config.run!r}",
            str(path),
            f"train it with `{TRAIN_COMMAND}` (with the same KEY=VALUE overrides, if any; "
            "AACR_RUNS or --runs-root the runs root it is looked for in)",
            reason=problem,
        )
    tagger_config = read_config(run)
    if not np.isclose(tagger_config.model.hop_seconds, config.hop_seconds):
        raise ConfigError(
            f"tagger run {config.run!r} predicts on a {tagger_config.model.hop_seconds} s grid, "
            f"but the events_tagger config asks for hop_seconds={config.hop_seconds}"
        )


@functools.lru_cache(maxsize=4)
def _cached_tagger(path: str, weights_mtime_ns: int, device: str) -> TrainedTagger:
    del weights_mtime_ns  # part of the key only: retrained weights are loaded again
    return load_tagger(path, device)


def tagger_for(config: TaggerEventsConfig, device: str = "cpu") -> TrainedTagger:
    """The tagger of `config.run`, loaded once per process and device."""
    check_tagger_events(config)
    run = RunDir(tagger_run_path(config.run))
    weights = best_weights(run.checkpoints)
    return _cached_tagger(str(run.path), weights.stat().st_mtime_ns, torch_device(device))


def tagger_events_batch(
    config: TaggerEventsConfig,
    waveforms: Sequence[np.ndarray],
    items: Sequence[Any] = (),
    device: str = "cpu",
) -> list[np.ndarray]:
    """The registered compute of `events_tagger`: per mono clip at `config.sample_rate`
    (16 kHz), the tagger's float32 `[T', 527]` probabilities on the 0.32 s grid, through the
    run's own log-mel front end."""
    del items
    tagger = tagger_for(config, device)
    return tagger.waveform_probabilities(waveforms, config.sample_rate)


def tagger_events_config(
    profile: str = "demo",
    overrides: Sequence[str] = (),
    experiment: str = "baseline",
) -> TaggerEventsConfig:
    """The `events_tagger` config of the tagger run of `experiment` at `profile` (whether it
    is trained yet or not: `check_tagger_events` says)."""
    config = resolve_config(experiment, profile, overrides)
    return TaggerEventsConfig(
        run=run_name(TASK, experiment, config), hop_seconds=config.model.hop_seconds
    )


# ----------------------------------------------------------------------------- aacr tag
@dataclass
class TagResult:
    """One file's outcome: its detected events, or the error that prevented them."""

    path: Path
    events: list[DetectedEvent] | None = None
    error: str | None = None
    duration: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _file_error(path: Path, exc: Exception) -> str:
    return str(exc) if str(path) in str(exc) else f"{path}: {exc}"


def tag_files(
    paths: Sequence[str | os.PathLike],
    run_dir: str | os.PathLike | None = None,
    source: str = "run",
    threshold: float | None = None,
    device: str = "cpu",
    tagger: TrainedTagger | None = None,
) -> list[TagResult]:
    """Detected events of each file (in order), by a trained run (`source="run"`, `run_dir`
    or `tagger`) or by PANNs (`source="panns"`). A file that cannot be read gets `error`
    instead; a missing run or missing PANNs weights raise (one error for the whole call).

    Any file `aacr_lib.audio` reads (any sample rate, any channels) is down-mixed and
    resampled to the source's rate; a clip shorter than one event frame is zero-padded to one.
    """
    if source not in ("run", "panns"):
        raise ConfigError(f"unknown tagging source {source!r}; choose one of run, panns")
    if source == "run":
        if tagger is None:
            if run_dir is None:
                raise ValueError("give run_dir or a loaded tagger")
            tagger = load_tagger(run_dir, device)
        rate, hop = tagger.sample_rate, tagger.hop_seconds
        chosen = tagger.config.evaluation.threshold if threshold is None else threshold
        classes: Sequence[int] | None = tagger.classes
        min_duration = tagger.config.evaluation.min_duration
    else:
        from aacr_lib.events.panns import check_panns, panns_probabilities_batch

        panns = PannsEventsConfig()
        check_panns(panns)  # PretrainedUnavailable before any file is read
        rate, hop = panns.sample_rate, panns.hop_seconds
        chosen = 0.5 if threshold is None else threshold
        classes, min_duration = None, 0.0
    if not 0 < chosen < 1:
        raise ConfigError(f"the threshold must be between 0 and 1, got {chosen}")
    results = [TagResult(Path(p)) for p in paths]
    for result in results:
        try:
            waveform, _ = load_audio(result.path, sample_rate=rate)
            result.duration = len(waveform) / rate
            shortest = int(np.ceil(hop * rate))
            if waveform.shape[0] < shortest:
                waveform = np.pad(waveform, (0, shortest - waveform.shape[0]))
            if source == "run":
                (probabilities,) = tagger.waveform_probabilities([waveform], rate)
            else:
                (probabilities,) = panns_probabilities_batch(
                    panns, [waveform], torch_device(device)
                )
            events = detected_events(
                probabilities, hop, threshold=chosen, classes=classes, min_duration=min_duration
            )
            # the last frame covers the clip's end and past it: no event ends after the clip
            result.events = [
                replace(event, offset=min(event.offset, round(result.duration, 6)))
                for event in events
            ]
        except (AacrError, ValueError, RuntimeError) as exc:
            if isinstance(exc, PretrainedUnavailable):
                raise
            result.error = _file_error(result.path, exc)
    return results
