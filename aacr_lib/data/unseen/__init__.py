"""Real recordings the demo never heard: Scratch 1.4's media library (Debian package `scratch`,
CC BY-SA 3.0), a package the ClothoMix sound bank does not use.

Data and a reader: `manifest.csv` lists each Ogg Vorbis file (16 kHz mono) with the bank label
it is an instance of (empty for a sound the demo has no label for), what it is, its source and
credit; `ATTRIBUTION.md` carries the credits. `scripts/build_soundbank.py` made it. The book
captions and searches these files to show what the demo models make of sounds from elsewhere.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from aacr_lib.errors import DataError

UNSEEN_DIR = Path(__file__).resolve().parent
MANIFEST = "manifest.csv"


@dataclass(frozen=True)
class UnseenRecording:
    """One recording from outside the bank."""

    file: str
    label: str  # the bank label it is an instance of; "" when the demo has none
    description: str
    duration: float
    path: Path
    source_package: str
    source_path: str
    licence: str
    attribution: str


def load_unseen(root: str | Path | None = None) -> list[UnseenRecording]:
    """The recordings in manifest order; `DataError` naming the file when one is missing."""
    root = Path(root) if root is not None else UNSEEN_DIR
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise DataError(
            f"{manifest} not found; the aacr package is incomplete (reinstall it, or rebuild "
            "with scripts/build_soundbank.py)"
        )
    with open(manifest, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    recordings = []
    for line, row in enumerate(rows, start=2):
        path = root / row["file"]
        if not path.is_file():
            raise DataError(f"{manifest} line {line}: {path} not found")
        recordings.append(
            UnseenRecording(
                file=row["file"],
                label=row["label"],
                description=row["description"],
                duration=float(row["duration"]),
                path=path,
                source_package=row["source_package"],
                source_path=row["source_path"],
                licence=row["licence"],
                attribution=row["attribution"],
            )
        )
    return recordings
