"""Sound-event probabilities of PANNs Cnn14_DecisionLevelMax, on the events grid.

`panns_probabilities_batch(config, waveforms)` runs `aacr_lib.models.events.cnn14` (weights:
`aacr setup panns_cnn14_decision_level_max`) on mono clips already at 32 kHz (the feature
cache resamples them) and returns, per clip, its `segmentwise_output`: float32 `[K, 527]`, one
row per 0.32 s (32 frames of 10 ms), `K = ceil(samples / 10240)` rows covering the whole clip.

* Each clip goes through the network alone, unpadded, exactly as upstream's inference does:
  zero-padding a clip to a longer batch mate would change its last segments (the reflect
  padding at its end and the convolutions' receptive field would see the padding), so its
  vectors would depend on which clips it was cached with. Clips of the same length share a
  forward pass.
* The network has `S = (1 + samples // 320) // 32` segments; the clip's last `K - S` rows
  (0 or 1: the partial segment at its end) repeat the last segment, as upstream's
  `framewise_output` does for those frames, so row `k` equals `framewise_output[32 k]`.
* A clip shorter than 0.31 s (too short for one segment) is zero-padded to 9920 samples.
* Another `hop_seconds` than 0.32 takes, for each frame of that grid, the segment where the
  frame starts (sample and hold), on `ceil(duration / hop)` frames.

The network is loaded once per process and device (keyed by the weights file's resolved path,
size and modification time).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aacr_lib import assets
from aacr_lib.errors import ConfigError, PretrainedUnavailable
from aacr_lib.models.events.cnn14 import (
    CLASSES_NUM,
    MIN_SAMPLES,
    SAMPLE_RATE,
    SEGMENT_SAMPLES,
    Cnn14DecisionLevelMax,
    load_cnn14_decision_level_max,
)

# 0.32 s: the network's own resolution
NATIVE_HOP_SECONDS = SEGMENT_SAMPLES / SAMPLE_RATE
# Frame boundaries computed in floats (0.64 / 0.32 = 2.0000000000000004) must not spill over.
_SLACK = 1e-9


def _weights_file(config: Any) -> tuple[assets.Asset, str]:
    asset = assets.get(config.asset)
    if len(asset.files) != 1:
        raise ConfigError(f"asset {config.asset!r} is not a single PANNs checkpoint file")
    return asset, next(iter(asset.files))


def check_panns(config: Any) -> Path:
    """Path of the checkpoint of `config.asset`, after checking the config fits the network.

    `PretrainedUnavailable` naming `aacr setup panns_cnn14_decision_level_max` (and the URL,
    for copying the file there by hand) when it is not in the asset cache; `ConfigError` when
    `config.sample_rate` is not the network's 32 kHz.
    """
    if config.sample_rate != SAMPLE_RATE:
        raise ConfigError(
            f"PANNs Cnn14_DecisionLevelMax takes {SAMPLE_RATE} Hz audio; the panns source's "
            f"sample_rate is {config.sample_rate}"
        )
    if not config.hop_seconds > 0:
        raise ConfigError(f"hop_seconds must be positive, got {config.hop_seconds}")
    asset, name = _weights_file(config)
    try:
        return assets.require(asset.name) / name
    except PretrainedUnavailable:
        raise PretrainedUnavailable(
            f"{asset.title} weights ({name})",
            str(asset.directory() / name),
            f"{asset.fix} (downloads {asset.files[name].url}; offline, copy that file there)",
        ) from None


@functools.cache
def _cached_model(path: str, size: int, mtime_ns: int, device: str) -> Cnn14DecisionLevelMax:
    del size, mtime_ns  # part of the key only: a replaced file is loaded again
    return load_cnn14_decision_level_max(path, device=device)


def panns_model(config: Any, device: str | torch.device = "cpu") -> Cnn14DecisionLevelMax:
    """The network with the cached weights, in eval mode on `device`, loaded once per process."""
    path = check_panns(config).resolve()
    stat = path.stat()
    return _cached_model(str(path), stat.st_size, stat.st_mtime_ns, str(torch.device(device)))


def num_frames(num_samples: int, hop_seconds: float = NATIVE_HOP_SECONDS) -> int:
    """Rows `panns_probabilities_batch` gives a clip of `num_samples` samples at 32 kHz:
    `ceil(samples / 10240)` at 0.32 s, else `ceil(duration / hop_seconds)`."""
    if math.isclose(hop_seconds, NATIVE_HOP_SECONDS, rel_tol=0.0, abs_tol=_SLACK):
        return -(-num_samples // SEGMENT_SAMPLES)
    return max(0, math.ceil(num_samples / SAMPLE_RATE / hop_seconds - _SLACK))


def _to_grid(segments: np.ndarray, num_samples: int, hop_seconds: float) -> np.ndarray:
    """`[S, 527]` segments → the clip's rows on the events grid (see the module docstring)."""
    n = num_frames(num_samples, hop_seconds)
    if math.isclose(hop_seconds, NATIVE_HOP_SECONDS, rel_tol=0.0, abs_tol=_SLACK):
        index = np.arange(n)
    else:
        index = np.floor(np.arange(n) * hop_seconds / NATIVE_HOP_SECONDS + _SLACK).astype(int)
    return np.ascontiguousarray(segments[np.minimum(index, len(segments) - 1)])


def _as_clip(waveform: np.ndarray | torch.Tensor) -> np.ndarray:
    clip = torch.as_tensor(waveform).detach().cpu().numpy().astype(np.float32, copy=False)
    if clip.ndim != 1:
        raise ValueError(f"expected one mono clip [samples], got shape {clip.shape}")
    return clip


def panns_probabilities_batch(
    config: Any,
    waveforms: Sequence[np.ndarray | torch.Tensor],
    device: str | torch.device = "cpu",
    *,
    max_batch: int = 8,
) -> list[np.ndarray]:
    """Per clip, PANNs' segment-wise probabilities on the events grid: float32 `[K, 527]`.

    `waveforms` are mono clips at `config.sample_rate` (32 kHz). At the default 0.32 s grid
    `K = ceil(samples / 10240)`; row k is the network's segment k (the partial segment at the
    end repeats the last one). A clip's rows do not depend on the other clips of the call:
    clips of equal length go through the network together, `max_batch` at a time, others
    apart (see the module docstring). An empty clip gets `[0, 527]`.
    """
    clips = [_as_clip(w) for w in waveforms]
    out: list[np.ndarray | None] = [None] * len(clips)
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, clip in enumerate(clips):
        if len(clip) == 0:
            out[i] = np.zeros((0, CLASSES_NUM), dtype=np.float32)
        else:
            by_length[max(len(clip), MIN_SAMPLES)].append(i)
    if by_length:
        model = panns_model(config, device)
        target = next(model.parameters()).device
        for length, members in by_length.items():
            for start in range(0, len(members), max_batch):
                chunk = members[start : start + max_batch]
                batch = np.zeros((len(chunk), length), dtype=np.float32)
                for row, i in enumerate(chunk):
                    batch[row, : len(clips[i])] = clips[i]
                with torch.inference_mode():
                    segments = model(torch.from_numpy(batch).to(target))["segmentwise_output"]
                segments = segments.float().cpu().numpy()
                for row, i in enumerate(chunk):
                    out[i] = _to_grid(segments[row], len(clips[i]), config.hop_seconds)
    return out  # type: ignore[return-value]


__all__ = [
    "NATIVE_HOP_SECONDS",
    "check_panns",
    "num_frames",
    "panns_model",
    "panns_probabilities_batch",
]
