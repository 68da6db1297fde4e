"""Sound-event probabilities `[T, C]` turned into what models and reports consume (numpy only).

- `align_frames` / `frame_probabilities`: onto another time grid (a model's audio frames);
- `most_probable_class`: one class per frame, `NO_EVENT` where none is likely (an embedding
  index sequence);
- `multi_hot`: the classes present anywhere in the clip;
- `detected_events`: segments with onset, offset and confidence (`aacr tag`, the tagger's
  evaluation).

Probabilities on the events grid cover the clip from its start, one frame per `hop_seconds`;
another grid of `n_frames` frames is taken to cover the same clip, so frames are matched by
their position in the clip rather than by an absolute frame rate (the sources and the feature
kinds round a clip's last partial frame differently, by up to one frame).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from aacr_lib.events.vocabulary import AUDIOSET_CLASSES, NO_EVENT, NUM_CLASSES


def _as_matrix(probabilities: np.ndarray) -> np.ndarray:
    matrix = np.asarray(probabilities)
    if matrix.ndim != 2:
        raise ValueError(f"expected probabilities [frames, classes], got shape {matrix.shape}")
    return matrix


def align_frames(probabilities: np.ndarray, n_frames: int) -> np.ndarray:
    """`[T, C]` → `[n_frames, C]`: each target frame takes, per class, the maximum over the
    source frames whose span of the clip overlaps its own (a short event is never lost when
    the grid is coarser, and is repeated when it is finer). `T == 0` gives zeros."""
    source = _as_matrix(probabilities)
    if n_frames < 0:
        raise ValueError(f"n_frames must be at least 0, got {n_frames}")
    length, classes = source.shape
    if length == 0 or n_frames == 0:
        return np.zeros((n_frames, classes), dtype=source.dtype)
    targets = np.arange(n_frames)
    # Target frame j spans [j / n, (j + 1) / n) of the clip, source frame i [i / T, (i + 1) / T):
    # they overlap for floor(j T / n) <= i < ceil((j + 1) T / n), exactly, in integers.
    first = (targets * length) // n_frames
    stop = -((-(targets + 1) * length) // n_frames)
    width = int((stop - first).max())
    # Every window padded to the widest one by repeating its first frame (harmless for a max).
    offsets = np.arange(width)
    windows = first[:, None] + offsets[None, :]
    windows = np.where(windows < stop[:, None], windows, first[:, None])
    return source[windows].max(axis=1)


def frame_probabilities(probabilities: np.ndarray, n_frames: int) -> np.ndarray:
    """Probabilities on a grid of `n_frames` frames (`align_frames`), float32 `[n_frames, C]`."""
    return align_frames(probabilities, n_frames).astype(np.float32, copy=False)


def most_probable_class(
    probabilities: np.ndarray, n_frames: int, threshold: float = 0.5
) -> np.ndarray:
    """The most probable class of each of `n_frames` aligned frames, int64 `[n_frames]`;
    `NO_EVENT` where even that class's probability is under `threshold`."""
    aligned = align_frames(probabilities, n_frames)
    if aligned.shape[1] == 0:
        return np.full(n_frames, NO_EVENT, dtype=np.int64)
    best = aligned.argmax(axis=1).astype(np.int64)
    return np.where(aligned.max(axis=1) >= threshold, best, NO_EVENT).astype(np.int64)


def multi_hot(probabilities: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """float32 `[C]`: 1 for each class whose highest probability in the clip is at least
    `threshold`, else 0."""
    source = _as_matrix(probabilities)
    if source.shape[0] == 0:
        return np.zeros(source.shape[1], dtype=np.float32)
    return (source.max(axis=0) >= threshold).astype(np.float32)


@dataclass(frozen=True)
class DetectedEvent:
    """One detected sound: an AudioSet class, when (seconds) and how sure (its highest
    probability between onset and offset)."""

    label: str
    index: int
    onset: float
    offset: float
    confidence: float


def _runs(active: np.ndarray) -> list[tuple[int, int]]:
    """(first, stop) of each run of True in a 1-d boolean array."""
    padded = np.concatenate([[False], active, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def detected_events(
    probabilities: np.ndarray,
    hop_seconds: float,
    threshold: float = 0.5,
    classes: Iterable[int] | None = None,
    min_duration: float = 0.0,
) -> list[DetectedEvent]:
    """Segments of consecutive frames at or above `threshold`, per class, sorted by onset.

    `probabilities` are `[T, 527]` on a grid of `hop_seconds`: frame `t` spans
    `[t * hop, (t + 1) * hop)`. `classes` restricts the search to those indices (e.g.
    `clothomix_classes()`); segments shorter than `min_duration` seconds are dropped.
    """
    source = _as_matrix(probabilities)
    if source.shape[1] != NUM_CLASSES:
        raise ValueError(f"expected {NUM_CLASSES} AudioSet classes, got {source.shape[1]}")
    if not hop_seconds > 0:
        raise ValueError(f"hop_seconds must be positive, got {hop_seconds}")
    indices = range(NUM_CLASSES) if classes is None else sorted(set(int(c) for c in classes))
    events = []
    active = source >= threshold
    for index in indices:
        if not 0 <= index < NUM_CLASSES:
            raise ValueError(f"class index {index} is not in 0..{NUM_CLASSES - 1}")
        if not active[:, index].any():
            continue
        for first, stop in _runs(active[:, index]):
            # Rounded to the microsecond: 3 * 0.32 is 0.9600000000000001 in floating point.
            onset, offset = round(first * hop_seconds, 6), round(stop * hop_seconds, 6)
            if offset - onset < min_duration:
                continue
            confidence = float(source[first:stop, index].max())
            events.append(DetectedEvent(AUDIOSET_CLASSES[index], index, onset, offset, confidence))
    return sorted(events, key=lambda event: (event.onset, event.offset, event.index))
