"""Fixtures of the feature tests: synthesised audio and a tiny Clotho-layout dataset."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.fabricate import vggish_state_dict, write_vggish_state_dict

# Clip names chosen to exercise the cache's key encoding: spaces, a comma, a percent sign,
# non-ASCII letters and a leading dot.
CLIP_NAMES = (
    "tone low.wav",
    "noise, bright.wav",
    "chirp 100%.wav",
    "café ambience.wav",
    ".hidden start.wav",
)


def synth(seconds: float, sample_rate: int, seed: int = 0) -> np.ndarray:
    """Two tones (one switching on half-way), a chirp and a little noise: float32 in [-1, 1]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    f0 = 220.0 * (1 + seed % 5)
    y = 0.3 * np.sin(2 * np.pi * f0 * t)
    y += 0.2 * np.sin(2 * np.pi * 3000.0 * t) * (t > seconds / 2)
    y += 0.1 * np.sin(2 * np.pi * (100.0 + 800.0 * t) * t)
    y += 0.05 * rng.standard_normal(t.size)
    return y.astype(np.float32)


def write_dataset(root: Path, splits: dict[str, list[tuple[str, float]]]) -> Path:
    """A Clotho-layout directory: captions CSV + 44.1 kHz 16-bit WAVs for each split."""
    import soundfile as sf

    root.mkdir(parents=True, exist_ok=True)
    for split, clips in splits.items():
        (root / split).mkdir(exist_ok=True)
        with open(root / f"clotho_captions_{split}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["file_name", *(f"caption_{i}" for i in range(1, 6))])
            for i, (name, seconds) in enumerate(clips):
                sf.write(root / split / name, synth(seconds, 44100, seed=i), 44100, "PCM_16")
                writer.writerow([name, *(f"a sound number {i} caption {k}" for k in range(5))])
    return root


@pytest.fixture
def tiny_dataset(tmp_path) -> Path:
    """Five clips of 1.0–2.2 s in `development`, two in `validation`."""
    durations = (1.0, 1.3, 1.6, 2.2, 1.1)
    return write_dataset(
        tmp_path / "tiny",
        {
            "development": list(zip(CLIP_NAMES, durations, strict=True)),
            "validation": [("v one.wav", 1.2), ("v two.wav", 1.5)],
        },
    )


def fake_vggish_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights with torchvggish's keys and shapes (`tests.fabricate`)."""
    return vggish_state_dict(seed)


def vggish_from_state(state: dict[str, torch.Tensor], final_relu: bool = False):
    """torchvggish's VGGish holding `state`, as `load_vggish` builds it."""
    from aacr_lib.features.vggish import vggish_network

    return vggish_network(state, final_relu=final_relu)


@pytest.fixture(scope="session")
def vggish_state() -> dict[str, torch.Tensor]:
    """`fake_vggish_state(0)`, made once: 72 M random numbers take a while on a small CPU."""
    return fake_vggish_state(0)


@pytest.fixture(scope="session")
def vggish_state_file(tmp_path_factory) -> Path:
    """`write_vggish_state_dict(seed=0)`: the same numbers as `vggish_state`."""
    return write_vggish_state_dict(tmp_path_factory.mktemp("vggish") / "vggish-10086976.pth")


@pytest.fixture
def fake_vggish_weights(isolated_roots, vggish_state_file) -> Path:
    """The fake VGGish state dict where `aacr_lib.assets.require("vggish")` looks."""
    from aacr_lib.assets import require
    from aacr_lib.paths import cache_root

    path = cache_root() / "vggish" / "vggish-10086976.pth"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(vggish_state_file)  # a link: the 290 MB file is written once per session
    assert require("vggish") == path.parent
    return path
