"""One entry point for every feature kind: `compute_features(kind, audio)`.

Kinds: `logmel` (retrieval baseline, `[T, 64]` at 50 frames/s), `vggish` (captioning
baseline, `[P, 128]` per 0.96 s, needs the VGGish weights), `logmel_pooled` (offline demo
stand-in on VGGish's time grid, `[P, 64]`). Each kind has a frozen config dataclass whose
`config_hash()` identifies its feature caches.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from aacr_lib import audio
from aacr_lib.errors import ConfigError, lookup
from aacr_lib.features.config import FeatureConfig
from aacr_lib.features.logmel import LogMelConfig, log_mel_batch
from aacr_lib.features.pooled import PooledLogMelConfig, pooled_log_mel_batch
from aacr_lib.features.vggish import VGGishConfig, vggish_embeddings_batch, weights_path

CONFIGS: dict[str, type[FeatureConfig]] = {
    "logmel": LogMelConfig,
    "vggish": VGGishConfig,
    "logmel_pooled": PooledLogMelConfig,
}
KINDS = tuple(CONFIGS)  # the audio features; `register_kind` adds others (sound events)

# Kinds that packages above this one add (`aacr_lib.events`: sound-event probabilities from
# PANNs, a trained tagger, the ground truth), so that their caches are built and read by the
# same code (HDF5, resumable, fresh, keyed by the config hash) without this layer importing
# them: kind -> (compute, check). `compute(config, waveforms, items, device)` gets the clips'
# `ClothoItem`s too (the ground truth is looked up by file name); `check(config)` raises
# before any work when something the kind needs is missing (weights, a run).
ComputeBatch = Callable[[FeatureConfig, Sequence[np.ndarray], Sequence[Any], str], list[np.ndarray]]
REGISTERED: dict[str, tuple[ComputeBatch, Callable[[FeatureConfig], None] | None]] = {}


def register_kind(
    config_class: type[FeatureConfig],
    compute: ComputeBatch,
    check: Callable[[FeatureConfig], None] | None = None,
) -> None:
    """Add a feature kind defined above this layer (see `REGISTERED`); registering a kind
    again replaces it (a module reloaded in a notebook)."""
    if config_class.kind in KINDS:
        raise ValueError(f"{config_class.kind!r} is a built-in feature kind")
    CONFIGS[config_class.kind] = config_class
    REGISTERED[config_class.kind] = (compute, check)


def config_class(kind: str) -> type[FeatureConfig]:
    """The config dataclass of a kind; `ValueError` listing the kinds for an unknown one."""
    return lookup(CONFIGS, kind, "feature kind", error=ValueError)


def make_config(kind: str, **overrides: Any) -> FeatureConfig:
    """Default config of `kind`, with fields replaced by `overrides`."""
    return config_class(kind)(**overrides)


def config_from_manifest(kind: str, values: dict[str, Any]) -> FeatureConfig:
    """Rebuild a config from the dict stored in a cache manifest."""
    return config_class(kind).from_dict(values)


def check_available(config: FeatureConfig) -> None:
    """Raise before any work when a kind needs an asset that is missing (VGGish weights)."""
    if isinstance(config, VGGishConfig):
        weights_path()
    if config.kind in REGISTERED and REGISTERED[config.kind][1] is not None:
        REGISTERED[config.kind][1](config)


def compute_features_batch(
    config: FeatureConfig,
    waveforms: Sequence[np.ndarray],
    device: str | torch.device = "cpu",
    items: Sequence[Any] | None = None,
) -> list[np.ndarray]:
    """Features of mono clips already at `config.sample_rate`: one float32 array each.

    The arrays are `[frames, config.dim]`; clips may differ in length. `items` (the clips'
    `ClothoItem`s) are passed on to a registered kind.
    """
    if config.kind in REGISTERED:
        return REGISTERED[config.kind][0](config, waveforms, items or (), str(device))
    if isinstance(config, LogMelConfig):
        return log_mel_batch(waveforms, config)
    if isinstance(config, VGGishConfig):
        return vggish_embeddings_batch(waveforms, config, device=device)
    if isinstance(config, PooledLogMelConfig):
        return pooled_log_mel_batch(waveforms, config)
    raise TypeError(f"no feature extractor for {type(config).__name__}")


def resample_for(waveform: np.ndarray, sample_rate: int, config: FeatureConfig) -> np.ndarray:
    """Mono float32 `waveform` at `sample_rate` → at `config.sample_rate`, with the config's
    resampler (`resampler` field: "soxr-hq", the default except for VGGish, or "resampy", VGGish's default as in torchvggish)."""
    target = config.sample_rate  # type: ignore[attr-defined]
    if sample_rate == target:
        return waveform
    if getattr(config, "resampler", "soxr-hq") == "resampy":
        try:
            import resampy
        except ImportError:
            raise ConfigError(
                "resampler='resampy' (torchvggish's resampler) needs the resampy package: "
                "pip install resampy"
            ) from None
        # float64 in, like torchvggish (which resamples int16 / 32768 as float64).
        out = resampy.resample(
            waveform.astype(np.float64), sample_rate, target, filter="kaiser_best"
        )
        return out.astype(np.float32)
    return audio.resample(waveform, sample_rate, target)


def load_waveform(path: str | os.PathLike, config: FeatureConfig) -> np.ndarray:
    """A file as mono float32 at `config.sample_rate` (see `resample_for`)."""
    waveform, sample_rate = audio.load_audio(path)
    return resample_for(waveform, sample_rate, config)


def prepare_waveform(
    waveform_or_path: np.ndarray | torch.Tensor | str | os.PathLike,
    config: FeatureConfig,
    sample_rate: int | None = None,
) -> np.ndarray:
    """Mono float32 audio at `config.sample_rate` from a file or an array.

    An array is `[samples]` or `[samples, channels]` at `sample_rate` (default: already at
    `config.sample_rate`); it is down-mixed and resampled as a file would be.
    """
    if isinstance(waveform_or_path, str | os.PathLike):
        return load_waveform(waveform_or_path, config)
    if isinstance(waveform_or_path, torch.Tensor):
        waveform_or_path = waveform_or_path.detach().cpu().numpy()
    waveform = np.asarray(waveform_or_path, dtype=np.float32)
    if waveform.ndim not in (1, 2):
        raise ValueError(f"expected [samples] or [samples, channels], got {waveform.shape}")
    waveform = audio.to_mono(waveform)
    if sample_rate is not None:
        waveform = resample_for(waveform, sample_rate, config)
    return np.ascontiguousarray(waveform, dtype=np.float32)


def compute_features(
    kind: str,
    waveform_or_path: np.ndarray | torch.Tensor | str | os.PathLike,
    sample_rate: int | None = None,
    config: FeatureConfig | None = None,
    device: str | torch.device = "cpu",
    **overrides: Any,
) -> np.ndarray:
    """Features of one clip (a file, or a mono/multichannel array): `[frames, dim]` float32.

    `config` (or field `overrides` of the kind's default config) sets the extraction;
    `sample_rate` is the rate of an array input (default: the config's own rate). `vggish`
    raises `PretrainedUnavailable` when its weights are not cached.
    """
    if config is None:
        config = make_config(kind, **overrides)
    elif overrides:
        raise ValueError("pass either config or field overrides, not both")
    if config.kind != kind:
        raise ValueError(f"config is for {config.kind!r}, not {kind!r}")
    waveform = prepare_waveform(waveform_or_path, config, sample_rate)
    return compute_features_batch(config, [waveform], device=device)[0]
