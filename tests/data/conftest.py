"""Fixtures that synthesise a small Clotho v2.1 tree (CSVs + short WAVs) in a temp folder."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

CLIPS = {"development": 3, "validation": 2, "evaluation": 2}
METADATA_HEADER = [
    "file_name",
    "keywords",
    "sound_id",
    "sound_link",
    "start_end_samples",
    "manufacturer",
    "license",
]


def write_wav(
    path: Path,
    seconds: float = 0.1,
    sample_rate: int = 44_100,
    channels: int = 1,
    seed: int = 0,
    data: np.ndarray | None = None,
    subtype: str | None = None,
) -> Path:
    """A short noise burst (or `data`) as a WAV file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is None:
        rng = np.random.default_rng(seed)
        shape = (
            (int(seconds * sample_rate), channels) if channels > 1 else int(seconds * sample_rate)
        )
        data = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    sf.write(str(path), data, sample_rate, subtype=subtype)
    return path


def clip_names(split: str, count: int) -> list[str]:
    """File names of a synthetic split; the first development one needs CSV quoting."""
    names = [f"{split}_clip_{i:02d}.wav" for i in range(count)]
    if split == "development" and names:
        names[0] = "Rain, on a tin roof 01.wav"
    return names


def clip_captions(split: str, index: int) -> list[str]:
    return [
        f"A sound number {index}, heard in the {split} split.",
        f"Someone's café door creaks {index} times",
        f"Birds sing while a car drives by ({split}).",
        f"Rain falls on a roof - clip {index}",
        f"The wind blows hard and then stops {index}",
    ]


def make_clotho_tree(
    root: Path,
    clips: dict[str, int] | None = None,
    sample_rate: int = 44_100,
    seconds: float = 0.1,
    metadata: bool = True,
    metadata_encoding: str = "latin-1",
) -> Path:
    """Write a Clotho-layout tree under `root` and return `root`."""
    clips = CLIPS if clips is None else clips
    root.mkdir(parents=True, exist_ok=True)
    for split_index, (split, count) in enumerate(clips.items()):
        names = clip_names(split, count)
        with open(root / f"clotho_captions_{split}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["file_name", *(f"caption_{i}" for i in range(1, 6))])
            for i, name in enumerate(names):
                writer.writerow([name, *clip_captions(split, i)])
        if metadata:
            path = root / f"clotho_metadata_{split}.csv"
            with open(path, "w", newline="", encoding=metadata_encoding) as f:
                writer = csv.writer(f)
                writer.writerow(METADATA_HEADER)
                for i, name in enumerate(names):
                    writer.writerow(
                        [
                            name,
                            "rain;roof;tin",
                            str(1000 + i),
                            f"https://freesound.org/people/someone/sounds/{1000 + i}",
                            "[0, 4410]",
                            "José Müller",
                            "http://creativecommons.org/licenses/by/3.0/",
                        ]
                    )
        for i, name in enumerate(names):
            write_wav(
                root / split / name,
                seconds=seconds,
                sample_rate=sample_rate,
                seed=100 * split_index + i,
            )
    return root


@pytest.fixture
def make_clotho(tmp_path):
    """Factory: `make_clotho(name="clotho", **options)` builds a tree under tmp_path."""

    def make(name: str = "clotho", **options) -> Path:
        return make_clotho_tree(tmp_path / name, **options)

    return make


@pytest.fixture
def clotho_root(make_clotho) -> Path:
    """A clean synthetic Clotho tree: 3/2/2 clips, 0.1 s 44.1 kHz mono WAVs, latin-1 metadata."""
    return make_clotho()


@pytest.fixture
def wav_writer():
    """The `write_wav(path, seconds, sample_rate, channels, seed, data, subtype)` helper."""
    return write_wav
