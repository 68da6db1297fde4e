"""The captioning task's configuration: one typed dataclass, defaults = the DCASE 2022 baseline.

Experiments (`experiments.py`) and profiles (`profiles.py`) are overlays on it; `KEY=VALUE`
overrides are the last layer (`aacr_lib.config.parse_overrides`). The resolved config's hash
names the run directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from aacr_lib.captioning.tokenizer import TokenizerConfig
from aacr_lib.models.captioning.config import CaptioningModelConfig
from aacr_lib.training.config import TrainingConfig


@dataclass
class DataConfig:
    """Which dataset and features; the dataset directory itself is not part of the config."""

    # Folder name under the data root (`clotho`, `clothomix`); the run records the data's
    # fingerprint, so a run directory never mixes two datasets.
    dataset: str = "clotho"
    # Feature kind of `aacr_lib.features` and field overrides of its default config.
    features: str = "vggish"
    feature_options: dict[str, Any] = field(default_factory=dict)
    # Clips longer than this many feature frames are cut to their first frames (baseline: 32).
    max_frames: int = 32
    train_split: str = "development"
    validation_split: str = "validation"
    evaluation_split: str = "evaluation"
    # Use only the first N clips of each split (smoke runs); None: all.
    max_clips: int | None = None


@dataclass
class LossConfig:
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

    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: CaptioningModelConfig = field(default_factory=CaptioningModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
