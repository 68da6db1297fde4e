"""Sound-event detection and tagging quality, with the field's established packages.

- Segment-based F1 (micro-averaged over classes) and error rate at 1 s segments, the DCASE
  sound-event-detection metrics, computed by `sed_eval.sound_event.SegmentBasedMetrics`
  (Mesaros et al., "Metrics for polyphonic sound event detection", 2016): event lists become
  `dcase_util.containers.MetaDataContainer`s of `filename`, `event_label`, `onset`, `offset`
  and are evaluated file by file.
- Clip-level mAP: per class, `sklearn.metrics.average_precision_score` of the clips' highest
  frame probabilities against whether the class occurs in the clip at all; the mean over the
  classes that occur in at least one clip (macro).

A functional API on plain lists and arrays: an event is a mapping with `filename` (or
`file_name`), `event_label` (or `label`), `onset` and `offset` in seconds, or a tuple
`(file_name, label, onset, offset)`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

SEGMENT_METRICS = (
    "f1",
    "precision",
    "recall",
    "error_rate",
    "substitution_rate",
    "deletion_rate",
    "insertion_rate",
)
DEFAULT_TIME_RESOLUTION = 1.0

Event = Mapping[str, Any] | Sequence[Any]


def _sed_eval():
    """sed_eval, without the DeprecationWarning its dependency dcase_util raises on import
    (it imports `pkg_resources`, hence `setuptools<81` in the project's dependencies)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pkg_resources.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import dcase_util
        import sed_eval
    return sed_eval, dcase_util


def as_event(event: Event) -> dict[str, Any]:
    """One event as sed_eval's dict: `filename`, `event_label`, `onset`, `offset`."""
    if isinstance(event, Mapping):
        file_name = event.get("filename", event.get("file_name"))
        label = event.get("event_label", event.get("label"))
        onset, offset = event["onset"], event["offset"]
    else:
        file_name, label, onset, offset = event[:4]
    if file_name is None or label is None:
        raise ValueError(f"an event needs a file name and a label, got {event!r}")
    onset, offset = float(onset), float(offset)
    if not (math.isfinite(onset) and math.isfinite(offset)) or offset < onset or onset < 0:
        raise ValueError(f"event {event!r}: onset and offset must satisfy 0 <= onset <= offset")
    return {"filename": str(file_name), "event_label": str(label), "onset": onset, "offset": offset}


def segment_metrics(
    reference: Iterable[Event],
    estimated: Iterable[Event],
    time_resolution: float = DEFAULT_TIME_RESOLUTION,
    durations: Mapping[str, float] | None = None,
    labels: Sequence[str] | None = None,
) -> dict[str, float]:
    """Segment-based metrics of `estimated` events against `reference` (sed_eval), overall
    (micro over classes): `f1`, `precision`, `recall`, `error_rate` and its
    `substitution_rate`, `deletion_rate`, `insertion_rate`, plus `n_reference` (active
    reference segment-class pairs) and `n_files`.

    F1 is 0 where nothing was detected (sed_eval gives NaN: its precision is then 0 / 0) but
    there was something to detect.

    Files: those of `durations` (file name → seconds, each evaluated over its whole length,
    so a clip with no event at all still counts its silent segments) when given, else every
    file either list names (evaluated up to its last offset). `labels`: the classes (default:
    every label either list holds).
    """
    sed_eval, dcase_util = _sed_eval()
    reference = [as_event(e) for e in reference]
    estimated = [as_event(e) for e in estimated]
    if not time_resolution > 0:
        raise ValueError(f"time_resolution must be positive, got {time_resolution}")
    if labels is None:
        labels = sorted(
            {e["event_label"] for e in reference} | {e["event_label"] for e in estimated}
        )
    else:
        known = set(labels)
        unknown = sorted({e["event_label"] for e in [*reference, *estimated]} - known)
        if unknown:
            raise ValueError(f"events with labels outside `labels`: {', '.join(unknown)}")
    if durations is not None:
        files = list(durations)
        unlisted = sorted({e["filename"] for e in [*reference, *estimated]} - set(files))
        if unlisted:
            raise ValueError(f"events of files without a duration: {', '.join(unlisted[:5])}")
    else:
        files = list(dict.fromkeys(e["filename"] for e in [*reference, *estimated]))
    by_file_reference: dict[str, list[dict[str, Any]]] = {name: [] for name in files}
    by_file_estimated: dict[str, list[dict[str, Any]]] = {name: [] for name in files}
    for event in reference:
        by_file_reference[event["filename"]].append(event)
    for event in estimated:
        by_file_estimated[event["filename"]].append(event)

    metrics = sed_eval.sound_event.SegmentBasedMetrics(
        event_label_list=list(labels), time_resolution=float(time_resolution)
    )
    for name in files:
        length = None if durations is None else float(durations[name])
        if length is None and not (by_file_reference[name] or by_file_estimated[name]):
            continue
        metrics.evaluate(
            reference_event_list=dcase_util.containers.MetaDataContainer(by_file_reference[name]),
            estimated_event_list=dcase_util.containers.MetaDataContainer(by_file_estimated[name]),
            evaluated_length_seconds=length,
        )
    overall = metrics.results_overall_metrics()
    f_measure, error_rate = overall["f_measure"], overall["error_rate"]
    f1 = float(f_measure["f_measure"])
    if math.isnan(f1) and metrics.overall["Nref"] > 0 and metrics.overall["Ntp"] == 0:
        f1 = 0.0  # nothing detected (sed_eval's precision is 0/0): no true positive, F1 0
    return {
        "f1": f1,
        "precision": float(f_measure["precision"]),
        "recall": float(f_measure["recall"]),
        "error_rate": float(error_rate["error_rate"]),
        "substitution_rate": float(error_rate["substitution_rate"]),
        "deletion_rate": float(error_rate["deletion_rate"]),
        "insertion_rate": float(error_rate["insertion_rate"]),
        "n_reference": int(metrics.overall["Nref"]),
        "n_files": int(metrics.evaluated_files),
    }


def clip_scores(frame_probabilities: Sequence[np.ndarray]) -> np.ndarray:
    """`[clips, classes]`: each clip's highest probability per class over its frames (a clip
    of no frames scores 0)."""
    rows = []
    for matrix in frame_probabilities:
        matrix = np.asarray(matrix, dtype=np.float64)
        if matrix.ndim != 2:
            raise ValueError(f"expected [frames, classes] per clip, got shape {matrix.shape}")
        rows.append(matrix.max(axis=0) if matrix.shape[0] else np.zeros(matrix.shape[1]))
    if not rows:
        return np.zeros((0, 0))
    if len({row.shape[0] for row in rows}) > 1:
        raise ValueError("clips have different numbers of classes")
    return np.stack(rows)


def clip_truth(
    file_names: Sequence[str], reference: Iterable[Event], labels: Sequence[str]
) -> np.ndarray:
    """`[clips, len(labels)]` of 0/1: whether each label occurs anywhere in each clip."""
    row = {name: i for i, name in enumerate(file_names)}
    column = {label: j for j, label in enumerate(labels)}
    truth = np.zeros((len(file_names), len(labels)), dtype=np.int64)
    for event in reference:
        event = as_event(event)
        if event["filename"] in row and event["event_label"] in column:
            truth[row[event["filename"]], column[event["event_label"]]] = 1
    return truth


def clip_map(truth: np.ndarray, scores: np.ndarray) -> float:
    """Clip-level mAP: `average_precision_score` per class (column) over clips (rows), the mean
    over the classes present in at least one clip; NaN when none is."""
    from sklearn.metrics import average_precision_score

    truth = np.asarray(truth)
    scores = np.asarray(scores, dtype=np.float64)
    if truth.shape != scores.shape or truth.ndim != 2:
        raise ValueError(
            f"truth and scores must both be [clips, classes], got {truth.shape} and {scores.shape}"
        )
    present = np.flatnonzero(truth.sum(axis=0) > 0)
    if present.size == 0:
        return float("nan")
    values = [average_precision_score(truth[:, c] > 0, scores[:, c]) for c in present]
    return float(np.mean(values))


def tagging_metrics(
    reference: Iterable[Event],
    estimated: Iterable[Event],
    truth: np.ndarray,
    scores: np.ndarray,
    time_resolution: float = DEFAULT_TIME_RESOLUTION,
    durations: Mapping[str, float] | None = None,
    labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Everything a tagging run reports: `segment_f1`, `segment_precision`, `segment_recall`,
    `segment_error_rate` (and its three parts), `clip_map`, `time_resolution`, `n_files`."""
    segments = segment_metrics(reference, estimated, time_resolution, durations, labels)
    result: dict[str, Any] = {f"segment_{name}": segments[name] for name in SEGMENT_METRICS}
    result["clip_map"] = clip_map(truth, scores)
    result["time_resolution"] = float(time_resolution)
    result["n_files"] = segments["n_files"]
    result["n_reference_segments"] = segments["n_reference"]
    return result
