"""A tiny Clotho-layout dataset of synthetic tones, built in well under a second.

Each clip is a sine tone (low, middle or high) with or without noise; its five captions say so,
so a model can actually learn them. Used where ClothoMix would be overkill.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf

PITCHES = {"low": 220.0, "middle": 880.0, "high": 3520.0}
TEMPLATES = (
    "a {pitch} tone beeps{noise}",
    "a steady {pitch} beep{noise}",
    "someone plays a {pitch} sound{noise}",
    "a {pitch} pitched tone{noise}",
    "the {pitch} tone continues{noise}",
)


def make_toy_dataset(root: Path, clips=None, duration: float = 2.0, sample_rate: int = 16000):
    clips = clips or {"development": 8, "validation": 4, "evaluation": 4}
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    index = 0
    for split, count in clips.items():
        (root / split).mkdir(exist_ok=True)
        rows = []
        for _ in range(count):
            pitch = list(PITCHES)[index % 3]
            noisy = (index // 3) % 2 == 1
            t = np.arange(int(duration * sample_rate)) / sample_rate
            wave = 0.4 * np.sin(2 * np.pi * PITCHES[pitch] * t)
            if noisy:
                wave += 0.2 * rng.standard_normal(t.shape)
            name = f"toy_{index:03d}.wav"
            sf.write(root / split / name, wave.astype(np.float32), sample_rate)
            noise = " with noise" if noisy else ""
            rows.append([name, *(tpl.format(pitch=pitch, noise=noise) for tpl in TEMPLATES)])
            index += 1
        with open(root / f"clotho_captions_{split}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["file_name", *(f"caption_{i}" for i in range(1, 6))])
            writer.writerows(rows)
    return root
