"""Showing a tagger's output: a piano roll of true against detected events, and its metrics.

`plot_piano_roll(ax, probabilities_or_events, hop_seconds, reference_rows)` draws one row per
AudioSet class: the ground truth as green bars in the lower half of the row, the detections as
orange bars in its upper half (given probabilities, the probabilities themselves fill the row
as a grey heat map and the detections are outlined). `format_metrics` is what `aacr train tagging` prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aacr_lib.events.encodings import DetectedEvent, detected_events
from aacr_lib.events.vocabulary import AUDIOSET_CLASSES, NUM_CLASSES, clothomix_mapping

REFERENCE_COLOUR = "#8fd19e"
DETECTED_COLOUR = "#d9480f"
METRIC_TITLES = {
    "segment_f1": "segment F1",
    "segment_precision": "precision",
    "segment_recall": "recall",
    "segment_error_rate": "error rate",
    "clip_map": "clip mAP",
}


def _span(event: Any) -> tuple[str, float, float]:
    """(label, onset, offset) of a `DetectedEvent`, a mapping or a tuple."""
    if isinstance(event, DetectedEvent):
        return event.label, event.onset, event.offset
    if isinstance(event, Mapping):
        label = event.get("label", event.get("event_label"))
        return str(label), float(event["onset"]), float(event["offset"])
    # (label, onset, offset), or (file_name, label, onset, offset[, confidence])
    label, onset, offset = event[1:4] if len(event) >= 4 else event[:3]
    return str(label), float(onset), float(offset)


def _audioset_name(label: str) -> str:
    """A ClothoMix label as its AudioSet class name; an AudioSet name stays as it is."""
    return clothomix_mapping().get(label, label)


def plot_piano_roll(
    ax=None,
    probabilities_or_events: np.ndarray | Sequence[Any] = (),
    hop_seconds: float = 0.32,
    reference_rows: Sequence[Any] | None = None,
    threshold: float = 0.5,
    classes: Sequence[int] | None = None,
    duration: float | None = None,
    title: str = "",
):
    """Draw true against detected events on `ax` (a new figure when None); returns the axis.

    `probabilities_or_events`: a clip's `[T, 527]` probabilities on the `hop_seconds` grid
    (drawn as a heat map, detections at `threshold` over `classes` outlined) or its detected
    events (`DetectedEvent`s, `{label, onset, offset}` mappings or `(label, onset, offset)`
    tuples). `reference_rows`: the ground truth, `(label, onset, offset)` with ClothoMix or
    AudioSet labels (as `aacr_lib.events.oracle.read_clothomix_events` gives them). Rows are
    the classes either side names, plus those `classes` a probability reaches `threshold` in.
    """
    import matplotlib.pyplot as plt

    probabilities = None
    if isinstance(probabilities_or_events, np.ndarray) and probabilities_or_events.ndim == 2:
        probabilities = np.asarray(probabilities_or_events, dtype=np.float32)
        if probabilities.shape[1] != NUM_CLASSES:
            raise ValueError(
                f"expected probabilities [frames, {NUM_CLASSES}], got {probabilities.shape}"
            )
        detected = [
            _span(e) for e in detected_events(probabilities, hop_seconds, threshold, classes)
        ]
    else:
        detected = [_span(e) for e in probabilities_or_events]
    reference = [
        (_audioset_name(label), onset, offset)
        for label, onset, offset in (_span(row) for row in reference_rows or ())
    ]
    labels = sorted({label for label, _, _ in [*reference, *detected]})
    if not labels and probabilities is not None:
        # nothing detected and no ground truth: show the most probable classes instead
        order = np.argsort(-probabilities.max(axis=0)) if len(probabilities) else []
        allowed = set(classes) if classes is not None else None
        labels = [AUDIOSET_CLASSES[i] for i in order if allowed is None or i in allowed][:5]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 0.45 * max(len(labels), 2) + 1.2))
    row_of = {label: row for row, label in enumerate(labels)}
    end = max([offset for _, _, offset in [*reference, *detected]] + [0.0])
    if probabilities is not None:
        end = max(end, len(probabilities) * hop_seconds)
        if labels:
            columns = [AUDIOSET_CLASSES.index(label) for label in labels]
            ax.imshow(
                probabilities[:, columns].T,
                aspect="auto",
                origin="lower",
                cmap="Greys",
                vmin=0.0,
                vmax=1.0,
                extent=(0.0, len(probabilities) * hop_seconds, -0.5, len(labels) - 0.5),
                alpha=0.6,
            )
    if duration is not None:
        end = float(duration)
    for label, onset, offset in reference:
        ax.broken_barh(
            [(onset, max(offset - onset, 1e-3))],
            (row_of[label] - 0.42, 0.38),
            facecolors=REFERENCE_COLOUR,
        )
    for label, onset, offset in detected:
        ax.broken_barh(
            [(onset, max(offset - onset, 1e-3))],
            (row_of[label] + 0.04, 0.38),
            facecolors="none" if probabilities is not None else DETECTED_COLOUR,
            edgecolors=DETECTED_COLOUR,
            linewidth=1.5,
        )
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_ylim(-0.6, max(len(labels), 1) - 0.4)
    ax.set_xlim(0.0, end or 1.0)
    ax.set_xlabel("time (s)")
    from matplotlib.patches import Patch

    heat_map = probabilities is not None
    handles = [
        Patch(facecolor=REFERENCE_COLOUR, label="ground truth"),
        Patch(
            facecolor="none" if heat_map else DETECTED_COLOUR,
            edgecolor=DETECTED_COLOUR,
            label=f"detected (p >= {threshold:g})" if heat_map else "detected",
        ),
    ]
    ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=2,
        fontsize=7,
        frameon=False,
    )
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """Segment F1 / precision / recall / error rate (at `time_resolution`) and clip mAP, one
    per line (what `aacr train tagging` prints for a finished run)."""
    resolution = metrics.get("time_resolution", 1.0)
    lines = []
    for key, title in METRIC_TITLES.items():
        if key in metrics and metrics[key] is not None:
            where = f" ({resolution:g} s segments)" if key.startswith("segment_") else ""
            lines.append(f"{title + where:<28} {float(metrics[key]):.4f}")
    counts = [
        f"{metrics[key]} {name}"
        for key, name in (
            ("n_clips", "clips"),
            ("n_reference_events", "true events"),
            ("n_detected_events", "detected events"),
        )
        if key in metrics
    ]
    if counts:
        lines.append(", ".join(counts) + f" (threshold {metrics.get('threshold', 0.5):g})")
    if metrics.get("epochs_trained") is not None:
        lines.append(
            f"{metrics['epochs_trained']} epochs, best {metrics.get('best_epoch')}, "
            f"{float(metrics.get('train_seconds', 0.0)):.1f} s of training"
        )
    return "\n".join(lines)


def detected_events_frame(run_or_path: Any):
    """A run's `detected_events.csv` as a DataFrame."""
    from pathlib import Path

    import pandas as pd

    from aacr_lib.tagging.inference import EVENTS_FILE

    path = Path(getattr(run_or_path, "path", run_or_path))
    return pd.read_csv(path / EVENTS_FILE if path.is_dir() else path)
