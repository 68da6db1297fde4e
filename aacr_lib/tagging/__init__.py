"""The tagging task: a small sound-event tagger trained on ClothoMix's strong labels.

The same rooms as `captioning/` and `retrieval/`:

| room | what it holds |
| --- | --- |
| `config.py` | `TaggingConfig` (data: 16 kHz log-mel; model: the CRNN tagger; training; evaluation) |
| `experiments.py` | `EXPERIMENT_SET`: the one experiment `tagger`, profiles demo / clotho / smoke |
| `task.py` | `TaggingTask`: the shared loop's view (clips in, frame-level BCE on the oracle's targets out) |
| `run.py` | `train_tagging` / `train_config`: train → detect → score → write |
| `inference.py` | `load_tagger`, `evaluate_tagger`, `tag_files` (`aacr tag`), the `events_tagger` kind |
| `display.py` | the piano roll of true against detected events, `format_metrics` for the terminal |

Importing this package registers the `events_tagger` feature kind
(`aacr_lib.events.config.TaggerEventsConfig`: a trained run's probabilities, `[frames, 527]`
on the 0.32 s grid) with `aacr_lib.features.registry`, so its caches build like any other
(`aacr_lib.features.cache.build_feature_cache`, `aacr_lib.events.build_events_cache`).
"""

from __future__ import annotations

from aacr_lib.events.config import TaggerEventsConfig
from aacr_lib.features.registry import register_kind
from aacr_lib.tagging.inference import (
    check_tagger_events,
    tagger_events_batch,
    tagger_events_config,
)


def register_tagger_kind() -> None:
    """Register `events_tagger` (again: harmless, it replaces the registration)."""
    register_kind(TaggerEventsConfig, tagger_events_batch, check_tagger_events)


register_tagger_kind()

__all__ = ["register_tagger_kind", "tagger_events_config"]
