"""The tagging task's configuration: a small sound-event tagger trained on ClothoMix's strong
labels, resolved like every task's (defaults → profile overlay → experiment overlay →
`KEY=VALUE` overrides; `aacr_lib.experiments`).

Input: log-mel frames at 50 frames/s, computed at 16 kHz (ClothoMix's demo rate, and the rate
the `events_tagger` feature kind hands the tagger: a 40 ms window, 20 ms hop, 64 mel bands up to
8 kHz, the retrieval baseline's log-mel otherwise). Model: a CRNN whose convolution stack
(`aacr_lib.models.crnn.ConvStack`) pools time to the sound-event grid of `model.hop_seconds`
(0.32 s, PANNs' and every event source's grid), a bidirectional GRU over those frames and one
logit per AudioSet class that ClothoMix uses. Training: frame-level binary cross-entropy
against the ground truth of `aacr_lib.events.oracle`, the shared loop (`aacr_lib.training`)
with ReduceLROnPlateau and early stopping on the validation loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from aacr_lib.data.config import DataConfig
from aacr_lib.errors import ConfigError
from aacr_lib.training.config import TrainingConfig

# 16 kHz log-mel at 50 frames/s: a 40 ms window and a 20 ms hop, as the retrieval baseline's
# 44.1 kHz log-mel (`aacr_lib.features.logmel.LogMelConfig`), up to the Nyquist frequency.
LOGMEL_16K: dict[str, Any] = {
    "sample_rate": 16000,
    "win_length": 640,
    "hop_length": 320,
    "n_fft": 1024,
    "n_mels": 64,
    "f_min": 12.0,
    "f_max": 8000.0,
}


def _logmel_16k() -> dict[str, Any]:
    return dict(LOGMEL_16K)


@dataclass
class AugmentConfig:
    """Training-time augmentation of the log-mel frames (drawn from torch's checkpointed RNG,
    so a resumed run draws what an uninterrupted one would).

    `mix`: the probability that a training clip is mixed with another one of the same length
    (their mel power spectra added, the second at a random gain; the targets of both). `gain_db`:
    a random gain in [-gain_db, +gain_db]. Then `freq_masks` bands of up to `freq_mask_bins` mel
    bins and `time_masks` spans of up to `time_mask_frames` frames are set to the clip's mean
    (SpecAugment). All zero: no augmentation.
    """

    mix: float = 0.0
    gain_db: float = 0.0
    freq_masks: int = 0
    freq_mask_bins: int = 8
    time_masks: int = 0
    time_mask_frames: int = 25


@dataclass
class TaggingDataConfig(DataConfig):
    """ClothoMix (the only data with strong labels) and the tagger's log-mel input."""

    dataset: str = "clothomix"
    features: str = "logmel"
    feature_options: dict[str, Any] = field(default_factory=_logmel_16k)
    augment: AugmentConfig = field(default_factory=AugmentConfig)


@dataclass
class TaggerModelConfig:
    """The CRNN tagger (`aacr_lib.models.events.tagger.SoundEventTagger`).

    Time is pooled from the feature frames to the event grid: first `input_pool` frames are
    averaged, then block `i` of the convolution stack pools `time_pools[i]` frames (and
    `freq_pools[i]` mel bins), so `input_pool x prod(time_pools)` feature frames make one
    output frame of `hop_seconds` (16 at 50 frames/s and 0.32 s).
    """

    hop_seconds: float = 0.32
    input_pool: int = 4
    channels: tuple[int, ...] = (16, 32, 64)
    time_pools: tuple[int, ...] = (2, 2, 1)
    freq_pools: tuple[int, ...] = (4, 4, 2)
    # Units per direction of the bidirectional GRU over the event frames (0: none, the conv
    # stack's frame vectors go straight to the classifier).
    rnn_hidden: int = 64
    dropout: float = 0.2
    block_order: Literal["bn_conv_act", "conv_act_bn"] = "bn_conv_act"
    # The classifier's initial bias: the logit of this probability (most classes are absent
    # from most frames; starting there spares the first epochs from learning it).
    prior: float = 0.05


@dataclass
class TaggingEvaluationConfig:
    """How detected events are read off the probabilities and scored (`evaluation.tagging`)."""

    threshold: float = 0.5
    min_duration: float = 0.0
    # Segment length of the segment-based F1 and error rate (sed_eval), seconds.
    time_resolution: float = 1.0


def baseline_training() -> TrainingConfig:
    """Adam 2e-3 (AdamW without weight decay), batch 16, up to 30 epochs, ReduceLROnPlateau
    (x0.1 after 2 epochs without a 1 % lower validation loss), early stopping after 3 such
    epochs, no gradient clipping, seed 0."""
    return TrainingConfig(
        epochs=30,
        batch_size=16,
        grad_accumulation=1,
        lr=2e-3,
        schedule="plateau",
        plateau_factor=0.1,
        plateau_patience=2,
        plateau_threshold=0.01,
        plateau_threshold_mode="rel",
        max_grad_norm=0.0,
        seed=0,
        early_stopping_patience=3,
    )


@dataclass
class TaggingConfig:
    data: TaggingDataConfig = field(default_factory=TaggingDataConfig)
    model: TaggerModelConfig = field(default_factory=TaggerModelConfig)
    training: TrainingConfig = field(default_factory=baseline_training)
    evaluation: TaggingEvaluationConfig = field(default_factory=TaggingEvaluationConfig)


def hop_frames(model: TaggerModelConfig, frame_rate: float) -> int:
    """Feature frames per event frame: `hop_seconds x frame_rate`, which must be whole."""
    frames = model.hop_seconds * frame_rate
    if model.hop_seconds <= 0 or abs(frames - round(frames)) > 1e-6 or round(frames) < 1:
        raise ConfigError(
            f"model.hop_seconds={model.hop_seconds} is not a whole number of feature frames "
            f"at {frame_rate:g} frames/s"
        )
    return int(round(frames))


def validate_config(config: TaggingConfig) -> None:
    """A `ConfigError` naming the keys for a model that cannot produce the event grid."""
    from aacr_lib.features.splits import feature_config  # torch: only once a config resolves

    model = config.model
    if not model.channels:
        raise ConfigError("model.channels must list at least one convolution block")
    if len(model.time_pools) != len(model.channels) or len(model.freq_pools) != len(model.channels):
        raise ConfigError(
            f"model.time_pools ({len(model.time_pools)}) and model.freq_pools "
            f"({len(model.freq_pools)}) need one entry per block of model.channels "
            f"({len(model.channels)})"
        )
    if min((model.input_pool, *model.time_pools, *model.freq_pools)) < 1:
        raise ConfigError("model.input_pool, model.time_pools and model.freq_pools must be >= 1")
    if model.rnn_hidden < 0:
        raise ConfigError(f"model.rnn_hidden must be 0 or more, got {model.rnn_hidden}")
    if not 0 < model.prior < 1:
        raise ConfigError(f"model.prior must be between 0 and 1, got {model.prior}")
    features = feature_config(config.data)
    needed = hop_frames(model, features.frame_rate)
    pooled = model.input_pool * math.prod(model.time_pools)
    if pooled != needed:
        raise ConfigError(
            f"model.input_pool x prod(model.time_pools) = {pooled} feature frames per output "
            f"frame, but model.hop_seconds={model.hop_seconds} at {features.frame_rate:g} "
            f"frames/s needs {needed}"
        )
    bins = features.dim
    for pool in model.freq_pools:
        bins //= pool
    if bins < 1:
        raise ConfigError(
            f"model.freq_pools {tuple(model.freq_pools)} pool {features.dim} feature bins to "
            "nothing; pool less"
        )
    evaluation = config.evaluation
    if not 0 < evaluation.threshold < 1:
        raise ConfigError(
            f"evaluation.threshold must be between 0 and 1, got {evaluation.threshold}"
        )
    if evaluation.time_resolution <= 0:
        raise ConfigError("evaluation.time_resolution must be above 0")
