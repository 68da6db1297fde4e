"""The captioning task's configuration: one typed dataclass, defaults = the DCASE 2022 baseline.

Experiments and profiles (`experiments.py`) are overlays on it; `KEY=VALUE`
overrides are the last layer (`aacr_lib.config.parse_overrides`). The resolved config's hash
names the run directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aacr_lib.captioning.tokenizer import TokenizerConfig
from aacr_lib.data.config import DataConfig
from aacr_lib.models.captioning.config import CaptioningModelConfig
from aacr_lib.training.config import TrainingConfig


@dataclass
class CaptioningDataConfig(DataConfig):
    """The baseline reads VGGish embeddings, at most 32 per clip."""

    features: str = "vggish"
    # Clips longer than this many feature frames are cut to their first frames (baseline: 32).
    max_frames: int = 32


@dataclass
class CaptionLossConfig:
    """`mask_pad=False` is the baseline (pad tokens count in the loss); True leaves them out."""

    mask_pad: bool = False


@dataclass
class DecodingConfig:
    """Caption generation; defaults are the baseline's beam search settings."""

    method: Literal["beam", "greedy"] = "beam"
    num_beams: int = 4
    no_repeat_ngram_size: int = 3
    min_length: int = 5
    max_length: int = 100
    length_penalty: float = 1.0
    early_stopping: bool = True
    batch_size: int = 32


@dataclass
class EvaluationConfig:
    """What is scored: per epoch on the validation split, and at the end on the evaluation split.

    Metric names are those of `aacr_lib.evaluation.captioning` (`all`, `no_spice`, `bleu`,
    `meteor`, `rouge_l`, `cider_d`, `spice`, `spider`). An empty `epoch_metrics` skips the
    per-epoch decoding.
    """

    epoch_metrics: tuple[str, ...] = ("all",)
    # Clips of the validation split decoded each epoch (None: all of them).
    epoch_max_clips: int | None = None
    metrics: tuple[str, ...] = ("all",)


@dataclass
class CaptioningConfig:
    """Everything that defines a captioning run."""

    data: CaptioningDataConfig = field(default_factory=CaptioningDataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: CaptioningModelConfig = field(default_factory=CaptioningModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    loss: CaptionLossConfig = field(default_factory=CaptionLossConfig)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
