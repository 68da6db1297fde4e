"""One split of a dataset with its cached features: what every task trains and evaluates on.

`load_split(data_dir, data, split)` reads the split's clips (CSV order, cut to
`data.max_clips`), makes sure the split's feature cache is complete (computing what is missing,
resumable) and returns a `SplitData` whose datasets read each clip's features from it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aacr_lib.data.clotho import ClothoItem, read_split
from aacr_lib.data.config import DataConfig
from aacr_lib.data.datasets import CaptionPairDataset, ClipDataset
from aacr_lib.errors import ConfigError, DataError
from aacr_lib.features.cache import FeatureCache, build_feature_cache
from aacr_lib.features.registry import make_config


def feature_config(data: DataConfig):
    """The `aacr_lib.features` config of `data.features` with `data.feature_options` applied."""
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in data.feature_options.items()}
    try:
        return make_config(data.features, **options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"data.features={data.features!r} with {options}: {exc}") from exc


def feature_dim(data: DataConfig) -> int:
    """Width of one feature frame of `data.features`."""
    return int(feature_config(data).dim)


class CachedFeatures:
    """`load_input` reading a clip's features from an HDF5 cache (picklable for workers).

    Each clip is read from disk once and then kept in memory: every epoch reads every clip
    once per caption, and a whole Clotho split of VGGish features is ~60 MB.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.cache = FeatureCache(path)
        self._memory: dict[str, Any] = {}

    @property
    def dim(self) -> int:
        return self.cache.dim

    def __getitem__(self, file_name: str):
        features = self._memory.get(file_name)
        if features is None:
            features = self._memory[file_name] = self.cache[file_name]
        return features

    def __call__(self, item: ClothoItem):
        return self[item.file_name]


@dataclass
class SplitData:
    """One split: its clips (CSV order) and where their features are read from."""

    name: str
    items: list[ClothoItem]
    features: CachedFeatures

    def pairs(
        self, transform: Callable | None = None, caption_transform: Callable | None = None
    ) -> CaptionPairDataset:
        """One example per (clip, caption): training and validation loss."""
        return CaptionPairDataset(
            self.items, self.features, transform=transform, caption_transform=caption_transform
        )

    def clips(self, transform: Callable | None = None) -> ClipDataset:
        """One example per clip with its (raw) reference captions: decoding, scoring, ranking."""
        return ClipDataset(self.items, self.features, transform=transform)

    def references(self) -> dict[str, list[str]]:
        return {item.file_name: list(item.captions) for item in self.items}


def read_items(data_dir: str | os.PathLike, data: DataConfig, split: str) -> list[ClothoItem]:
    """A split's clips in CSV order, cut to `data.max_clips`.

    Raises `DataError` when the split has no clips or lists audio that is not there, or when the
    folder is not the ClothoMix version the config expects (`DataConfig.check_version`).
    """
    data.check_version(data_dir)
    items = read_split(data_dir, split, require_audio=True, metadata=False)
    if data.max_clips is not None:
        items = items[: data.max_clips]
    if not items:
        raise DataError(f"{data_dir}: the {split} split has no clips")
    return items


def load_split(
    data_dir: str | os.PathLike,
    data: DataConfig,
    split: str,
    progress: bool = True,
    device: str = "cpu",
) -> SplitData:
    """Read a split and make sure its feature cache is complete (computing what is missing, on
    `device`: VGGish on a GPU server runs on its GPU)."""
    items = read_items(data_dir, data, split)
    path = build_feature_cache(
        data_dir,
        data.features,
        split,
        config=feature_config(data),
        device=device,
        progress=progress,
    )
    return SplitData(split, items, CachedFeatures(path))


def load_splits(
    data_dir: str | os.PathLike,
    data: DataConfig,
    splits: Sequence[str] | None = None,
    accelerator: Any = None,
    progress: bool = True,
) -> dict[str, SplitData]:
    """`load_split` for each of `splits` (default: train, validation, evaluation).

    Under a data-parallel launch (`accelerator` with several processes) the main process builds
    the feature caches; the others wait for it and then open them.
    """
    names = list(splits or data.splits)
    main = accelerator is None or accelerator.is_main_process
    device = str(accelerator.device) if accelerator is not None else "cpu"
    loaded = {}
    if main:
        loaded = {
            split: load_split(data_dir, data, split, progress=progress, device=device)
            for split in names
        }
    if accelerator is not None:
        accelerator.wait_for_everyone()
    if not main:
        loaded = {split: load_split(data_dir, data, split, progress=False) for split in names}
    return loaded
