"""The `oracle` source: ClothoMix's ground truth as sound-event probabilities.

ClothoMix writes what it mixed into `clothomix_events_{split}.csv` (`file_name, label, kind,
onset, offset`, seconds; the background spans the whole clip). Each label maps to an AudioSet
class (`vocabulary.clothomix_mapping`), and a frame of the events grid is 1 for that class
when its span overlaps the sound, else 0: what a perfect tagger would say. It bounds what
sound-event inputs can bring, and needs no model. Real Clotho has no such strong labels.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aacr_lib.data.clothomix import EVENTS_HEADER
from aacr_lib.errors import DataError
from aacr_lib.events.config import OracleEventsConfig
from aacr_lib.events.vocabulary import NUM_CLASSES, clothomix_class_index

EventRow = tuple[str, float, float]  # (ClothoMix label, onset, offset), seconds
# Slack, in frames, for times that fall on a frame boundary: the CSV's millisecond times
# divided by the hop (0.640 / 0.32 = 2.0000000000000004) must not reach into the next frame.
BOUNDARY_SLACK = 1e-6


def events_csv_path(dataset_dir: str | os.PathLike, split: str) -> Path:
    """`{dataset_dir}/clothomix_events_{split}.csv`."""
    return Path(dataset_dir) / f"clothomix_events_{split}.csv"


def frame_count(duration_seconds: float, hop_seconds: float) -> int:
    """Frames of `hop_seconds` that cover a clip: the last one may be partial."""
    if duration_seconds < 0 or not hop_seconds > 0:
        raise ValueError(f"need duration >= 0 and hop > 0, got {duration_seconds}, {hop_seconds}")
    return max(0, math.ceil(duration_seconds / hop_seconds - BOUNDARY_SLACK))


def oracle_probabilities(
    rows: Sequence[EventRow], duration_seconds: float, hop_seconds: float
) -> np.ndarray:
    """float32 `[frame_count(duration, hop), 527]`: 1.0 where a frame's span
    `[t * hop, (t + 1) * hop)` overlaps one of the clip's sounds, for that sound's class.

    A sound of zero length still marks the frame it falls in (it was mixed in, however short).
    """
    n_frames = frame_count(duration_seconds, hop_seconds)
    probabilities = np.zeros((n_frames, NUM_CLASSES), dtype=np.float32)
    for label, onset, offset in rows:
        if offset < onset:
            raise ValueError(f"{label}: offset {offset} is before onset {onset}")
        index = clothomix_class_index(label)
        first = max(0, math.floor(onset / hop_seconds + BOUNDARY_SLACK))
        stop = min(n_frames, max(first + 1, math.ceil(offset / hop_seconds - BOUNDARY_SLACK)))
        probabilities[first:stop, index] = 1.0
    return probabilities


def _parse_events_csv(path: Path) -> dict[str, list[EventRow]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in EVENTS_HEADER if column not in (reader.fieldnames or ())]
        if missing:
            raise DataError(
                f"{path}: column(s) {', '.join(missing)} missing (expected "
                f"{','.join(EVENTS_HEADER)}); rebuild the demo data with `aacr data demo`"
            )
        events: dict[str, list[EventRow]] = {}
        for line, row in enumerate(reader, start=2):
            try:
                onset, offset = float(row["onset"]), float(row["offset"])
            except (TypeError, ValueError):
                raise DataError(
                    f"{path}, line {line}: onset/offset {row['onset']!r}, {row['offset']!r} "
                    "are not numbers"
                ) from None
            events.setdefault(row["file_name"], []).append((row["label"], onset, offset))
    return events


@functools.lru_cache(maxsize=8)
def _cached_events(path: str, size: int, mtime_ns: int) -> dict[str, tuple[EventRow, ...]]:
    """Parsed once per file version (size and mtime are part of the key: a rebuilt ClothoMix
    is read again); a cache build asks for it once per batch."""
    del size, mtime_ns
    return {name: tuple(rows) for name, rows in _parse_events_csv(Path(path)).items()}


def _events_table(dataset_dir: str | os.PathLike, split: str) -> dict[str, tuple[EventRow, ...]]:
    path = events_csv_path(dataset_dir, split)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataError(
            f"{path} not found: the oracle source reads ClothoMix's ground truth, which real "
            "Clotho does not have (it has no strong labels); use --source panns or tagger, or "
            f"rebuild ClothoMix with `aacr data demo --out {Path(dataset_dir)}`"
        ) from None
    return _cached_events(str(path), stat.st_size, stat.st_mtime_ns)


def read_clothomix_events(dataset_dir: str | os.PathLike, split: str) -> dict[str, list[EventRow]]:
    """file name → its (label, onset, offset) rows, background included, in CSV order.

    `DataError` naming the file and the fix when the CSV is missing (real Clotho) or malformed.
    """
    return {name: list(rows) for name, rows in _events_table(dataset_dir, split).items()}


def _dataset_and_split(item: Any) -> tuple[Path, str]:
    """Where a clip's ground truth is: its audio is `{dataset_dir}/{split}/{file_name}`."""
    audio_path = Path(item.audio_path)
    depth = len(Path(item.file_name).parts)
    return audio_path.parents[depth], audio_path.parents[depth - 1].name


def oracle_events_batch(
    config: OracleEventsConfig,
    waveforms: Sequence[np.ndarray],
    items: Sequence[Any],
    device: str = "cpu",
) -> list[np.ndarray]:
    """The registered compute of `events_oracle`: each clip's `oracle_probabilities`, its
    duration taken from the waveform (at `config.sample_rate`). `device` is unused."""
    del device
    if len(items) != len(waveforms):
        raise ValueError("the oracle source needs every clip's ClothoItem (its file name)")
    out = []
    for waveform, item in zip(waveforms, items, strict=True):
        dataset_dir, split = _dataset_and_split(item)
        table = _events_table(dataset_dir, split)
        if item.file_name not in table:
            raise DataError(
                f"{events_csv_path(dataset_dir, split)} has no row for {item.file_name!r}: "
                "the ground truth does not match the clips; rebuild ClothoMix with "
                f"`aacr data demo --out {dataset_dir}`"
            )
        duration = len(waveform) / config.sample_rate
        out.append(oracle_probabilities(table[item.file_name], duration, config.hop_seconds))
    return out
