"""Which data a run reads: the part of every task's config that names the dataset and splits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aacr_lib.errors import ConfigError


@dataclass
class DataConfig:
    """Dataset, features and splits; the dataset directory itself is not part of the config.

    Each task subclasses it for its own defaults (the captioning baseline reads VGGish, the
    retrieval baseline log-mel) and its own batching options.
    """

    # Folder name under the data root (`clotho`, `clothomix`); the run records the data's
    # fingerprint, so a run directory never mixes two datasets.
    dataset: str = "clotho"
    # Feature kind of `aacr_lib.features` and field overrides of its default config.
    features: str = "logmel"
    feature_options: dict[str, Any] = field(default_factory=dict)
    train_split: str = "development"
    validation_split: str = "validation"
    evaluation_split: str = "evaluation"
    # Use only the first N clips of each split (smoke runs); None: all.
    max_clips: int | None = None

    @property
    def splits(self) -> tuple[str, str, str]:
        """(train, validation, evaluation) split names."""
        return (self.train_split, self.validation_split, self.evaluation_split)

    def validate(self) -> None:
        """A `ConfigError` for a value no run can use."""
        if self.max_clips is not None and self.max_clips < 1:
            raise ConfigError(
                f"data.max_clips must be at least 1 (or null: all clips), got {self.max_clips}"
            )
