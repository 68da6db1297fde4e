"""The sound-event vocabulary: AudioSet's 527 classes, and ClothoMix's labels mapped onto them.

Every source of sound-event vectors (PANNs, a trained tagger, ClothoMix's ground truth) speaks
AudioSet's ontology, so that one vector layout serves them all: index `i` of a 527-d vector is
class `AUDIOSET_CLASSES[i]`, in the order of the PANNs models' output units. Both tables are
package data (`data/`, see `data/SOURCES.md`).
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
from importlib import resources

from aacr_lib.errors import ConfigError

AUDIOSET_CSV = "audioset_class_labels_indices.csv"
CLOTHOMIX_CSV = "clothomix_to_audioset.csv"
AUDIOSET_HEADER = ("index", "mid", "display_name")
CLOTHOMIX_HEADER = ("clothomix_label", "audioset_display_name", "note")


def _read_table(name: str, header: tuple[str, ...]) -> list[dict[str, str]]:
    text = resources.files("aacr_lib.events").joinpath("data", name).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != header:
        raise ConfigError(f"aacr_lib/events/data/{name}: header is not {','.join(header)}")
    return list(reader)


@functools.cache
def _audioset_rows() -> tuple[tuple[str, str], ...]:
    """(mid, display name) of each class, by index; the file must list 0, 1, … in order."""
    rows = _read_table(AUDIOSET_CSV, AUDIOSET_HEADER)
    for position, row in enumerate(rows):
        if int(row["index"]) != position:
            raise ConfigError(
                f"aacr_lib/events/data/{AUDIOSET_CSV}: row {position} has index {row['index']}"
            )
    return tuple((row["mid"], row["display_name"]) for row in rows)


AUDIOSET_MIDS: tuple[str, ...] = tuple(mid for mid, _ in _audioset_rows())
AUDIOSET_CLASSES: tuple[str, ...] = tuple(name for _, name in _audioset_rows())
NUM_CLASSES = 527
# The per-frame class sequence's symbol for "no class reaches the threshold": one past the last
# class, so that an embedding table of NUM_CLASSES + 1 rows covers every symbol.
NO_EVENT = NUM_CLASSES

if len(AUDIOSET_CLASSES) != NUM_CLASSES:  # a damaged package: fail at import, not mid-training
    raise ConfigError(
        f"aacr_lib/events/data/{AUDIOSET_CSV} lists {len(AUDIOSET_CLASSES)} classes, not {NUM_CLASSES}"
    )


@functools.cache
def _index_by_name() -> dict[str, int]:
    return {name: index for index, name in enumerate(AUDIOSET_CLASSES)}


def class_index(display_name: str) -> int:
    """Index of an AudioSet class by its exact display name; `ConfigError` naming the closest
    names for an unknown one (display names hold commas: "Walk, footsteps")."""
    try:
        return _index_by_name()[display_name]
    except KeyError:
        pass
    lowered = {name.lower(): name for name in AUDIOSET_CLASSES}
    close = difflib.get_close_matches(display_name.lower(), list(lowered), n=5, cutoff=0.5)
    close += [key for key in lowered if display_name.lower() in key and key not in close][:5]
    hint = "; ".join(f"{lowered[key]!r}" for key in close[:5]) or "none"
    raise ConfigError(
        f"unknown AudioSet class {display_name!r}; close names: {hint} "
        f"(all {NUM_CLASSES} are in aacr_lib/events/data/{AUDIOSET_CSV})"
    )


@functools.cache
def _clothomix_mapping() -> tuple[tuple[str, str], ...]:
    rows = _read_table(CLOTHOMIX_CSV, CLOTHOMIX_HEADER)
    labels = [row["clothomix_label"] for row in rows]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"aacr_lib/events/data/{CLOTHOMIX_CSV} maps a label twice")
    return tuple((row["clothomix_label"], row["audioset_display_name"]) for row in rows)


def clothomix_mapping() -> dict[str, str]:
    """ClothoMix sound-bank label → the AudioSet display name of its class."""
    return dict(_clothomix_mapping())


@functools.cache
def _clothomix_indices() -> tuple[tuple[str, int], ...]:
    return tuple((label, class_index(name)) for label, name in _clothomix_mapping())


def clothomix_class_indices() -> dict[str, int]:
    """ClothoMix sound-bank label → the index of its AudioSet class."""
    return dict(_clothomix_indices())


def clothomix_classes() -> list[int]:
    """The distinct AudioSet classes ClothoMix uses, sorted by index (several labels share
    one: walking on grass, gravel and wood are all "Walk, footsteps")."""
    return sorted({index for _, index in _clothomix_indices()})


def clothomix_class_index(label: str) -> int:
    """The AudioSet class of one ClothoMix label; `ConfigError` for a label the mapping lacks."""
    indices = dict(_clothomix_indices())
    if label not in indices:
        raise ConfigError(
            f"ClothoMix label {label!r} has no AudioSet class in "
            f"aacr_lib/events/data/{CLOTHOMIX_CSV}; add a row for it"
        )
    return indices[label]
