"""The embedded sound bank: its manifest, its labels and the decoded recordings.

The bank lives in `aacr_lib/data/soundbank/` (package data, built once by
`scripts/build_soundbank.py`). `load_bank` reads and checks the manifest; `load_sound` decodes a
recording once per process and hands out a read-only array, so generating hundreds of clips
decodes each file only once.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from aacr_lib.audio import load_audio
from aacr_lib.errors import DataError

BANK_SAMPLE_RATE = 16_000
KINDS = ("background", "event")
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


@dataclass(frozen=True)
class SoundBank:
    """All recordings, in manifest order, with look-ups by kind and label."""

    root: Path
    sounds: tuple[BankSound, ...]

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
            )
        )
    if not sounds:
        raise DataError(f"{manifest}: the manifest lists no sounds")
    return SoundBank(root=root, sounds=tuple(sounds))


@cache
def _decode(path: str) -> np.ndarray:
    waveform, _ = load_audio(path, sample_rate=BANK_SAMPLE_RATE)
    # Shared between callers through the cache: make accidental in-place edits fail loudly.
    waveform.setflags(write=False)
    return waveform


def load_sound(sound: BankSound) -> np.ndarray:
    """The recording as read-only float32 mono at 16 kHz (decoded once per process)."""
    return _decode(str(sound.path))
