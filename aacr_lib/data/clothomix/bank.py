"""The embedded sound bank: its manifest, its labels, its split rule and the decoded recordings.

The bank lives in `aacr_lib/data/soundbank/` (package data, built once by
`scripts/build_soundbank.py`). `load_bank` reads and checks the manifest; `load_sound` decodes a
recording once per process and hands out a read-only array, so generating hundreds of clips
decodes each file only once.

**Recording-disjoint splits.** As in Clotho, where every clip is another Freesound recording,
each distinct *source recording* serves exactly one split: several bank files cut from one
source file (windows), or source files with the same audio (found by the build script by
content), share one `recording` id and one `split`. `assign_splits` is the rule, stratified
by label: a label with at least `MIN_RECORDINGS` recordings gives about 17.5 % of them (at
least one) to validation and as many to evaluation, Clotho v2.1's proportions, the rest to
development; a label with fewer is development-only, so evaluation never hears a recording,
nor a label, that only a single recording stands for. Which recording goes where depends only
on the recording ids (a SHA-256 order), never on the order of the manifest.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from aacr_lib.audio import load_audio
from aacr_lib.errors import DataError

BANK_SAMPLE_RATE = 16_000
KINDS = ("background", "event")
SPLIT_NAMES = ("development", "validation", "evaluation")
# A label needs this many distinct recordings to appear in validation and evaluation.
MIN_RECORDINGS = 3
# Clotho v2.1: 1,045 of 5,929 clips in validation, as many in evaluation.
HELD_OUT_FRACTION = 0.175
MANIFEST_NAME = "manifest.csv"
REQUIRED_COLUMNS = (
    "file",
    "label",
    "kind",
    "description",
    "duration",
    "frames",
    "sample_rate",
    "bytes",
    "source_package",
    "source_path",
    "recording",
    "split",
    "licence",
    "attribution",
)


def default_bank_dir() -> Path:
    """`aacr_lib/data/soundbank`, found relative to this module (works in any install)."""
    return Path(__file__).resolve().parent.parent / "soundbank"


@dataclass(frozen=True)
class BankSound:
    """One recording of the bank."""

    file: str
    label: str
    kind: str
    description: str
    duration: float
    frames: int  # exact length in samples at BANK_SAMPLE_RATE
    path: Path
    source_package: str
    source_path: str
    licence: str
    attribution: str
    recording: str = ""  # the source recording: shared by every file cut from it
    split: str = "development"  # the one split this file (its recording) serves


@dataclass(frozen=True)
class SoundBank:
    """All recordings, in manifest order, with look-ups by kind and label."""

    root: Path
    sounds: tuple[BankSound, ...]
    split: str | None = None  # set on the view `for_split` returns

    def for_split(self, split: str) -> SoundBank:
        """The bank files serving `split` (a `SoundBank` of its own: the mixer draws from it)."""
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        sounds = tuple(sound for sound in self.sounds if sound.split == split)
        if not sounds:
            raise DataError(f"{self.root}: no bank file serves the {split} split")
        return replace(self, sounds=sounds, split=split)

    def recordings(self, label: str | None = None) -> dict[str, str]:
        """Recording id → split, in manifest order (of one label, or all)."""
        return {
            sound.recording: sound.split
            for sound in self.sounds
            if label is None or sound.label == label
        }

    def labels(self, kind: str) -> tuple[str, ...]:
        """Sorted labels of one kind; sorted so that random choices never depend on file order."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        return tuple(sorted({sound.label for sound in self.sounds if sound.kind == kind}))

    def variants(self, label: str) -> tuple[BankSound, ...]:
        """Recordings of one label, in manifest order."""
        found = tuple(sound for sound in self.sounds if sound.label == label)
        if not found:
            raise KeyError(f"no sound labelled {label!r} in the bank")
        return found


def load_bank(root: str | os.PathLike | None = None) -> SoundBank:
    """Read and check the bank manifest; raise `DataError` naming what is wrong."""
    root = Path(root) if root is not None else default_bank_dir()
    manifest = root / MANIFEST_NAME
    if not manifest.is_file():
        raise DataError(
            f"{manifest}: sound bank manifest not found; the aacr package is incomplete "
            "(reinstall it, or rebuild the bank with scripts/build_soundbank.py)"
        )
    with open(manifest, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{manifest}: missing columns {', '.join(missing)}")
        rows = list(reader)
    sounds = []
    for line, row in enumerate(rows, start=2):
        if row["kind"] not in KINDS:
            raise DataError(f"{manifest} line {line}: kind {row['kind']!r} is not one of {KINDS}")
        path = root / row["file"]
        if int(row["sample_rate"]) != BANK_SAMPLE_RATE:
            raise DataError(
                f"{manifest} line {line}: sample rate {row['sample_rate']}, "
                f"expected {BANK_SAMPLE_RATE}"
            )
        if not path.is_file():
            raise DataError(f"{manifest} line {line}: {path} not found")
        sounds.append(
            BankSound(
                file=row["file"],
                label=row["label"],
                kind=row["kind"],
                description=row["description"],
                duration=float(row["duration"]),
                frames=int(row["frames"]),
                path=path,
                source_package=row["source_package"],
                source_path=row["source_path"],
                licence=row["licence"],
                attribution=row["attribution"],
                recording=row["recording"],
                split=row["split"],
            )
        )
        if row["split"] not in SPLIT_NAMES:
            raise DataError(
                f"{manifest} line {line}: split {row['split']!r} is not one of {SPLIT_NAMES}"
            )
    if not sounds:
        raise DataError(f"{manifest}: the manifest lists no sounds")
    _check_recording_splits(manifest, sounds)
    return SoundBank(root=root, sounds=tuple(sounds))


def _check_recording_splits(manifest: Path, sounds: list[BankSound]) -> None:
    """Every file of one recording in one split, one label, and the split `assign_splits` gives."""
    seen: dict[str, BankSound] = {}
    for sound in sounds:
        first = seen.setdefault(sound.recording, sound)
        if (first.split, first.label) != (sound.split, sound.label):
            raise DataError(
                f"{manifest}: recording {sound.recording!r} serves {first.split} in "
                f"{first.file} but {sound.split} in {sound.file}; a recording belongs to one "
                "split (rebuild with scripts/build_soundbank.py)"
            )
    expected = assign_splits((sound.label, sound.recording) for sound in seen.values())
    for recording, sound in seen.items():
        if expected[recording] != sound.split:
            raise DataError(
                f"{manifest}: recording {recording!r} is in {sound.split}, but the split rule "
                f"puts it in {expected[recording]} (rebuild with scripts/build_soundbank.py)"
            )


def held_out_count(recordings: int) -> int:
    """How many of a label's recordings validation gets (evaluation gets as many)."""
    if recordings < MIN_RECORDINGS:
        return 0
    return max(1, int(recordings * HELD_OUT_FRACTION + 0.5))


def assign_splits(labelled: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Recording id → split for `(label, recording id)` pairs, stratified by label.

    Per label, the recordings are ordered by the SHA-256 of their ids; the first
    `held_out_count(n)` go to evaluation, the next as many to validation, the rest to
    development. Deterministic, and independent of the order of `labelled`.
    """
    by_label: dict[str, set[str]] = {}
    for label, recording in labelled:
        by_label.setdefault(label, set()).add(recording)
    owner: dict[str, str] = {}
    for label, recordings in by_label.items():
        for recording in recordings:
            if owner.setdefault(recording, label) != label:
                raise ValueError(f"recording {recording!r} carries two labels")
    splits: dict[str, str] = {}
    for recordings in by_label.values():
        ordered = sorted(recordings, key=lambda rid: hashlib.sha256(rid.encode()).hexdigest())
        held = held_out_count(len(ordered))
        for position, recording in enumerate(ordered):
            if position < held:
                splits[recording] = "evaluation"
            elif position < 2 * held:
                splits[recording] = "validation"
            else:
                splits[recording] = "development"
    return splits


@cache
def _decode(path: str) -> np.ndarray:
    waveform, _ = load_audio(path, sample_rate=BANK_SAMPLE_RATE)
    # Shared between callers through the cache: make accidental in-place edits fail loudly.
    waveform.setflags(write=False)
    return waveform


def load_sound(sound: BankSound) -> np.ndarray:
    """The recording as read-only float32 mono at 16 kHz (decoded once per process)."""
    return _decode(str(sound.path))
