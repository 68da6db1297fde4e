"""Which data a run reads: the part of every task's config that names the dataset and splits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aacr_lib.errors import ConfigError

EVENT_SOURCES = ("none", "panns", "tagger", "oracle")


@dataclass
class EventInputConfig:
    """Sound-event vectors as an extra input, the report's future work (`aacr_lib.events`):
    per feature frame the probabilities of AudioSet's 527 classes, joined to the audio
    features (captioning reads them per frame, retrieval as the clip's multi-hot vector)."""

    # none | panns (Cnn14_DecisionLevelMax) | tagger (trained on ClothoMix's strong labels)
    # | oracle (ClothoMix's ground truth: the upper bound)
    source: str = "none"
    # A class is present in a clip where its probability reaches this (the multi-hot vector).
    threshold: float = 0.5
    # The tagger run directory (`tagging-baseline-…`) for source "tagger"; empty: the tasks set
    # it to the tagger experiment's run at the same profile when they resolve a config.
    tagger_run: str = ""
    # The time grid the probabilities are stored on (PANNs DecisionLevelMax's own, 0.32 s).
    hop_seconds: float = 0.32

    @property
    def enabled(self) -> bool:
        return self.source != "none"

    def validate(self) -> None:
        if self.source not in EVENT_SOURCES:
            raise ConfigError(
                f"data.events.source must be one of {', '.join(EVENT_SOURCES)}, got {self.source!r}"
            )
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"data.events.threshold must be in (0, 1], got {self.threshold}")
        if self.hop_seconds <= 0:
            raise ConfigError(f"data.events.hop_seconds must be positive, got {self.hop_seconds}")


@dataclass
class DataConfig:
    """Dataset, features and splits; the dataset directory itself is not part of the config.

    Each task subclasses it for its own defaults (the captioning baseline reads VGGish, the
    retrieval baseline log-mel) and its own batching options.
    """

    # Folder name under the data root (`clotho`, `clothomix`); the run records the data's
    # fingerprint, so a run directory never mixes two datasets.
    dataset: str = "clotho"
    # The ClothoMix version the run expects (`aacr_lib.data.clothomix.CLOTHOMIX_VERSION`, set by
    # the demo profiles): part of the config, so the run's name changes with the dataset's
    # content; a run refuses a ClothoMix folder of another version. None: not checked.
    version: int | None = None
    # Feature kind of `aacr_lib.features` and field overrides of its default config.
    features: str = "logmel"
    feature_options: dict[str, Any] = field(default_factory=dict)
    train_split: str = "development"
    validation_split: str = "validation"
    evaluation_split: str = "evaluation"
    # Use only the first N clips of each split (smoke runs); None: all.
    max_clips: int | None = None
    # Sound-event vectors joined to the features (none by default).
    events: EventInputConfig = field(default_factory=EventInputConfig)

    @property
    def splits(self) -> tuple[str, str, str]:
        """(train, validation, evaluation) split names."""
        return (self.train_split, self.validation_split, self.evaluation_split)

    def check_version(self, data_dir) -> None:
        """A `DataError` when `data_dir` is a ClothoMix of another version than this config
        expects (a folder ClothoMix did not write, such as your own data, is not checked)."""
        if self.version is None:
            return
        from aacr_lib.data.clothomix.generate import clothomix_version
        from aacr_lib.errors import DataError

        found = clothomix_version(data_dir)
        if found is not None and found != self.version:
            raise DataError(
                f"{data_dir}: ClothoMix version {found}, but this run expects ClothoMix version "
                f"{self.version}; rebuild it with `aacr data demo --out {data_dir}`"
            )

    def validate(self) -> None:
        """A `ConfigError` for a value no run can use."""
        self.events.validate()
        if self.max_clips is not None and self.max_clips < 1:
            raise ConfigError(
                f"data.max_clips must be at least 1 (or null: all clips), got {self.max_clips}"
            )
