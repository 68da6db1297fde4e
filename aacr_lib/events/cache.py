"""Sound-event caches: the sources as registered feature kinds, built and read like features.

`register_event_kinds()` (run when `aacr_lib.events` is imported) registers `events_oracle`
and `events_panns` with `aacr_lib.features.registry`; `aacr_lib.tagging` registers
`events_tagger`. Their caches are then ordinary feature caches
(`{features_dir}/events_{source}-{hash}/{split}.h5`, resumable, fresh, `[frames, 527]` per
clip), which is what the wrappers below build and open.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from aacr_lib import assets
from aacr_lib.errors import ConfigError, DataError
from aacr_lib.events.config import EventsConfig, OracleEventsConfig, PannsEventsConfig
from aacr_lib.events.oracle import oracle_events_batch, read_clothomix_events
from aacr_lib.features import registry
from aacr_lib.features.cache import FeatureCache, build_feature_cache, default_cache_path

PANNS_MODULE = "aacr_lib.events.panns"


def _panns_available() -> bool:
    return importlib.util.find_spec(PANNS_MODULE) is not None


def _panns_module():
    """`aacr_lib.events.panns`, imported on first use (it loads the network's code)."""
    if not _panns_available():
        raise ConfigError(
            f"the panns source needs {PANNS_MODULE}, which this installation lacks; "
            "reinstall aacr (`make setup`)"
        )
    from aacr_lib.events import panns

    return panns


def check_panns_events(config: PannsEventsConfig) -> None:
    """Before any work: the PANNs code is there and its weights are cached (else
    `PretrainedUnavailable` naming `aacr setup panns_cnn14_decision_level_max`)."""
    if not _panns_available():
        assets.require(config.asset)  # offline, the missing weights are the first thing to fix
    _panns_module().check_panns(config)


def panns_events_batch(
    config: PannsEventsConfig,
    waveforms: Sequence[np.ndarray],
    items: Sequence[Any],
    device: str = "cpu",
) -> list[np.ndarray]:
    """The registered compute of `events_panns` (the clips' items are not needed)."""
    del items
    return _panns_module().panns_probabilities_batch(config, waveforms, device)


def register_event_kinds() -> None:
    """Register the sources this package computes (again: harmless, it replaces them)."""
    registry.register_kind(OracleEventsConfig, oracle_events_batch)
    registry.register_kind(PannsEventsConfig, panns_events_batch, check_panns_events)


def _require_registered(config: EventsConfig) -> None:
    if config.kind not in registry.REGISTERED:
        where = "aacr_lib.tagging" if config.source == "tagger" else "aacr_lib.events"
        raise ConfigError(
            f"sound-event kind {config.kind!r} is not registered; import {where} first"
        )


def build_events_cache(
    dataset_dir: str | os.PathLike,
    config: EventsConfig,
    split: str,
    progress: bool = True,
    device: str = "cpu",
    features_root: str | os.PathLike | None = None,
    batch_size: int = 8,
) -> Path:
    """Compute a source's probabilities for every clip of a split into its cache; return the
    cache's path. Resumes an interrupted build; returns at once when it is complete and fresh.

    Raises before any file is written: `DataError` for a missing split or (oracle) a missing
    ground-truth CSV, `PretrainedUnavailable` for missing PANNs weights.
    """
    _require_registered(config)
    if isinstance(config, OracleEventsConfig):
        read_clothomix_events(dataset_dir, split)
    return build_feature_cache(
        dataset_dir,
        config.kind,
        split,
        config=config,
        batch_size=batch_size,
        device=device,
        progress=progress,
        features_root=features_root,
    )


def events_cache_path(
    dataset_dir: str | os.PathLike,
    config: EventsConfig,
    split: str,
    features_root: str | os.PathLike | None = None,
) -> Path:
    """Where `build_events_cache` writes: `{features_dir}/events_{source}-{hash}/{split}.h5`."""
    return default_cache_path(dataset_dir, config, split, features_root=features_root)


def _build_hint(dataset_dir: str | os.PathLike, config: EventsConfig, split: str) -> str:
    run = f" --run {config.run}" if getattr(config, "run", "") else ""
    return f"`aacr events {dataset_dir} --source {config.source} --split {split}{run}`"


def open_events_cache(
    dataset_dir: str | os.PathLike,
    config: EventsConfig,
    split: str,
    features_root: str | os.PathLike | None = None,
) -> FeatureCache:
    """The cache of a split, read-only; `DataError` naming the command that builds it when it
    is missing."""
    _require_registered(config)
    path = events_cache_path(dataset_dir, config, split, features_root)
    if not path.is_file():
        raise DataError(
            f"{path}: no {config.source} sound-event cache of {split}; build it with "
            f"{_build_hint(dataset_dir, config, split)}"
        )
    return FeatureCache(path, config=config)


def load_events(
    dataset_dir: str | os.PathLike,
    config: EventsConfig,
    split: str,
    features_root: str | os.PathLike | None = None,
) -> dict[str, np.ndarray]:
    """file name → float32 `[frames, 527]` of every clip of a finished cache (an unfinished one
    is a `DataError`: a rerun of the build resumes it)."""
    with open_events_cache(dataset_dir, config, split, features_root) as cache:
        if not cache.finished:
            raise DataError(
                f"{cache.path}: the {config.source} sound-event cache of {split} is unfinished "
                f"({len(cache)} clips); resume it with {_build_hint(dataset_dir, config, split)}"
            )
        return {name: cache[name] for name in cache.keys()}
