"""`logmel_pooled`: an offline demo stand-in for per-0.96 s audio embeddings.

It is *not* a learned embedding. It takes the same log-mel patches that VGGish would see
(16 kHz, 25 ms / 10 ms, 64 HTK mels 125–7500 Hz, log(mel + 0.01), 96-frame patches) and
averages each patch over its 96 frames: one 64-d vector per 0.96 s, on the same time grid as
VGGish's 128-d vectors. With `statistics=("mean", "std")` the per-band standard deviation is
appended (128-d), which gives a captioning model built for 128-d inputs the same input width.

Its purpose is to let the captioning pipeline run end to end without downloading any weights;
numbers obtained with it say nothing about VGGish.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch

from aacr_lib.features.vggish import VGGishFrontEndConfig, vggish_patches_batch

_STATISTICS = ("mean", "std", "max")


@dataclasses.dataclass(frozen=True)
class PooledLogMelConfig(VGGishFrontEndConfig):
    """VGGish log-mel patches pooled over time: `len(statistics) × 64` values per 0.96 s."""

    kind = "logmel_pooled"

    statistics: tuple[str, ...] = ("mean",)

    def __post_init__(self) -> None:
        super().__post_init__()
        bad = [s for s in self.statistics if s not in _STATISTICS]
        if not self.statistics or bad:
            raise ValueError(f"statistics must be a non-empty subset of {_STATISTICS}; got {bad}")

    @property
    def dim(self) -> int:
        return self.n_mels * len(self.statistics)


def _pool(patches: torch.Tensor, statistics: Sequence[str]) -> np.ndarray:
    parts = []
    for name in statistics:
        if name == "mean":
            parts.append(patches.mean(dim=1))
        elif name == "std":
            # Population std (ddof 0): defined for any patch length, equal to numpy's default.
            parts.append(patches.std(dim=1, unbiased=False))
        else:
            parts.append(patches.amax(dim=1))
    return torch.cat(parts, dim=-1).numpy().astype(np.float32, copy=False)


def pooled_log_mel_batch(
    waveforms: Sequence[np.ndarray], config: PooledLogMelConfig = PooledLogMelConfig()
) -> list[np.ndarray]:
    """Pooled patches of mono 16 kHz clips: one `[P_i, config.dim]` float32 array each."""
    return [_pool(p, config.statistics) for p in vggish_patches_batch(waveforms, config)]


def pooled_log_mel(
    waveform: np.ndarray, config: PooledLogMelConfig = PooledLogMelConfig()
) -> np.ndarray:
    """Pooled patches of one mono 16 kHz clip: `[P, config.dim]` float32."""
    return pooled_log_mel_batch([waveform], config)[0]
