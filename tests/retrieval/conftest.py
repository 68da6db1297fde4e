"""A toy Clotho-layout dataset of synthesised sounds whose captions say what they are."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

SAMPLE_RATE = 44_100
SPLITS = {"development": 12, "validation": 6, "evaluation": 6}
SOUNDS = {
    "low": "a low hum drones steadily",
    "high": "a high pitched whistle sounds",
    "noise": "static noise hisses loudly",
    "clicks": "a clock ticks with sharp clicks",
    "sweep": "a siren sweeps upward in pitch",
    "pulse": "a beeping alarm pulses on and off",
}
PHRASES = ("", " nearby", " in a room", " for a while", " again and again")


def synthesise(kind: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    if kind == "low":
        y = np.sin(2 * np.pi * rng.uniform(90, 150) * t)
    elif kind == "high":
        y = np.sin(2 * np.pi * rng.uniform(3000, 5000) * t)
    elif kind == "noise":
        y = rng.standard_normal(t.size)
    elif kind == "clicks":
        y = np.zeros_like(t)
        y[:: int(SAMPLE_RATE * rng.uniform(0.1, 0.2))] = 1.0
    elif kind == "sweep":
        y = np.sin(2 * np.pi * (300 + 1500 * t / seconds) * t)
    else:
        y = np.sin(2 * np.pi * 1000 * t) * (np.sin(2 * np.pi * 4 * t) > 0)
    y = y + 0.01 * rng.standard_normal(t.size)
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


def write_toy_dataset(root: Path, seconds: float = 1.2, seed: int = 0) -> Path:
    """Clips cycle through the sound kinds; captions vary the wording around the kind."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    kinds = list(SOUNDS)
    for split, count in SPLITS.items():
        (root / split).mkdir(parents=True, exist_ok=True)
        rows = []
        for index in range(count):
            kind = kinds[index % len(kinds)]
            name = f"{split}_{index:02d}_{kind}.wav"
            sf.write(root / split / name, synthesise(kind, seconds, rng), SAMPLE_RATE)
            captions = [f"{SOUNDS[kind]}{phrase} {split} {index}" for phrase in PHRASES]
            rows.append([name, *captions])
        with open(root / f"clotho_captions_{split}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file_name", *(f"caption_{i}" for i in range(1, 6))])
            writer.writerows(rows)
    return root


@pytest.fixture(scope="session")
def toy_dataset(tmp_path_factory) -> Path:
    return write_toy_dataset(tmp_path_factory.mktemp("toy") / "toy")


TOY_OVERRIDES = [
    "training.epochs=2",
    "training.max_steps_per_epoch=null",
    "training.batch_size=16",
    "model.audio.channels=[4,8,8,8,8]",
    "model.text.word2vec_epochs=5",
]


@pytest.fixture(scope="session")
def toy_run(toy_dataset, tmp_path_factory, one_torch_thread):
    """A baseline run trained for two epochs on the toy dataset (shared by several tests)."""
    from aacr_lib.retrieval.run import train_retrieval

    return train_retrieval(
        "baseline",
        "smoke",
        TOY_OVERRIDES,
        data_dir=toy_dataset,
        runs_root=tmp_path_factory.mktemp("toy-runs"),
        progress=False,
    )


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The models here are tiny: one thread is faster than two OpenMP threads on a busy CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
