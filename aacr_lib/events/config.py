"""Configurations of the sound-event sources (and, re-exported, the small config the tasks nest).

Each source is a feature kind of `aacr_lib.features` (registered by `aacr_lib.events.cache`
and `aacr_lib.tagging`), so its vectors live in the same resumable HDF5 caches as the audio
features, keyed by the config hash: `[frames, 527]` probabilities per clip. All sources use
one time grid, `hop_seconds` (by default PANNs Cnn14_DecisionLevelMax's own resolution: 32 kHz
audio, hop 320 samples, pooled 32× = 0.32 s), so that their vectors can be compared frame by
frame and swapped for one another without changing a model's input.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from aacr_lib.data.config import EventInputConfig
from aacr_lib.errors import ConfigError, lookup
from aacr_lib.events.vocabulary import NUM_CLASSES
from aacr_lib.features.config import FeatureConfig

# 320 samples at 32 kHz, × 32 (Cnn14 halves the time axis in five of its six conv blocks)
PANNS_HOP_SECONDS = 0.32
SOURCES = ("panns", "tagger", "oracle")
# The tasks' `data.events` (source none|panns|tagger|oracle, threshold, tagger run, hop) lives
# beside `DataConfig`, which nests it, in the data layer; it is named here for the sources' users.
__all__ = [
    "CONFIGS",
    "PANNS_HOP_SECONDS",
    "SOURCES",
    "EventInputConfig",
    "EventsConfig",
    "OracleEventsConfig",
    "PannsEventsConfig",
    "TaggerEventsConfig",
    "events_config",
]
KIND_PREFIX = "events_"


@dataclass(frozen=True)
class EventsConfig(FeatureConfig):
    """Base of the sources' configs: per-frame probabilities of the 527 AudioSet classes."""

    hop_seconds: float = PANNS_HOP_SECONDS

    def __post_init__(self) -> None:
        if not self.hop_seconds > 0:
            raise ConfigError(f"hop_seconds must be positive, got {self.hop_seconds}")

    @property
    def dim(self) -> int:
        return NUM_CLASSES

    @property
    def frame_rate(self) -> float:
        return 1.0 / self.hop_seconds

    @property
    def source(self) -> str:
        """`panns`, `tagger` or `oracle`."""
        return self.kind.removeprefix(KIND_PREFIX)


@dataclass(frozen=True)
class OracleEventsConfig(EventsConfig):
    """ClothoMix's ground truth: 1 where a labelled sound plays, else 0. The audio is read only
    for its duration (hence the low rate, which makes reading cheap)."""

    kind: ClassVar[str] = "events_oracle"

    sample_rate: int = 16000


@dataclass(frozen=True)
class PannsEventsConfig(EventsConfig):
    """PANNs Cnn14_DecisionLevelMax (AudioSet-trained) frame-wise probabilities."""

    kind: ClassVar[str] = "events_panns"

    sample_rate: int = 32000
    asset: str = "panns_cnn14_decision_level_max"


@dataclass(frozen=True)
class TaggerEventsConfig(EventsConfig):
    """A tagger trained here (`aacr_lib.tagging`). `run` is the run's directory name under the
    runs root (an absolute path for a run elsewhere): the name holds the run's config hash, so
    two taggers never share a cache."""

    kind: ClassVar[str] = "events_tagger"

    run: str = ""
    sample_rate: int = 16000


CONFIGS: dict[str, type[EventsConfig]] = {
    "panns": PannsEventsConfig,
    "tagger": TaggerEventsConfig,
    "oracle": OracleEventsConfig,
}


def events_config(source: str, **fields: Any) -> EventsConfig:
    """The config of a source with `fields` replaced; `ConfigError` for an unknown source or
    field (a typo would otherwise change nothing, silently)."""
    cls = lookup(CONFIGS, source, "sound-event source")
    names = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - names)
    if unknown:
        raise ConfigError(
            f"the {source} source has no field {unknown[0]!r}; fields: {', '.join(sorted(names))}"
        )
    return cls(**fields)
