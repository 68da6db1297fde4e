"""The vocabulary: AudioSet's 527 classes by index, and every ClothoMix label mapped to one."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from aacr_lib.errors import ConfigError
from aacr_lib.events import vocabulary
from aacr_lib.events.vocabulary import (
    AUDIOSET_CLASSES,
    AUDIOSET_MIDS,
    NO_EVENT,
    NUM_CLASSES,
    class_index,
    clothomix_class_indices,
    clothomix_classes,
    clothomix_mapping,
)


def _rows(package: str, *parts: str) -> list[dict[str, str]]:
    text = resources.files(package).joinpath(*parts).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_527_classes_with_unique_indices_and_mids():
    rows = _rows("aacr_lib.events", "data", vocabulary.AUDIOSET_CSV)
    assert sorted(int(row["index"]) for row in rows) == list(range(527))
    assert NUM_CLASSES == 527 == len(AUDIOSET_CLASSES) == len(AUDIOSET_MIDS)
    assert len(set(AUDIOSET_MIDS)) == 527 and all(mid.startswith("/") for mid in AUDIOSET_MIDS)
    assert len(set(AUDIOSET_CLASSES)) == 527
    assert AUDIOSET_CLASSES[0] == "Speech" and class_index("Speech") == 0
    assert AUDIOSET_CLASSES[class_index("Walk, footsteps")] == "Walk, footsteps"
    assert NO_EVENT == NUM_CLASSES  # one past the last class


def test_every_sound_bank_label_maps_to_an_audioset_class():
    labels = {row["label"] for row in _rows("aacr_lib.data.soundbank", "manifest.csv")}
    mapping = clothomix_mapping()
    assert labels and labels <= set(mapping)
    indices = clothomix_class_indices()
    for label in labels:
        assert AUDIOSET_CLASSES[indices[label]] == mapping[label]


def test_clothomix_classes_are_the_distinct_indices_sorted():
    indices = clothomix_class_indices()
    assert clothomix_classes() == sorted(set(indices.values()))
    # Several labels share a class.
    walking = {indices[f"walking_{ground}"] for ground in ("grass", "gravel", "wood")}
    assert walking == {class_index("Walk, footsteps")}
    assert len(clothomix_classes()) < len(indices)


def test_an_unknown_class_names_the_close_ones():
    with pytest.raises(ConfigError, match="'Walk, footsteps'"):
        class_index("walk footsteps")
    with pytest.raises(ConfigError, match="unknown AudioSet class 'Zzyzx'"):
        class_index("Zzyzx")
    with pytest.raises(ConfigError, match="add a row"):
        vocabulary.clothomix_class_index("kazoo")
