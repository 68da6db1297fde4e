"""Data for the captioning task: feature caches, datasets of (clip, caption) pairs, batching.

Features come from the HDF5 caches of `aacr_lib.features` (built on first use, resumable);
captions are normalised as the baseline does (`normalize_caption`) and tokenised in the collate
function: `<s> … </s>` padded to `tokenizer.max_length` (64), with the attention mask the
baseline passes to the decoder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from aacr_lib.captioning.config import DataConfig
from aacr_lib.captioning.tokenizer import encode_captions
from aacr_lib.data.clotho import ClothoItem, read_split
from aacr_lib.data.datasets import CaptionPairDataset, ClipDataset, collate_padded
from aacr_lib.data.text import normalize_caption
from aacr_lib.errors import ConfigError


def feature_config(data: DataConfig):
    """The `aacr_lib.features` config of `data.features` with `data.feature_options` applied."""
    from aacr_lib.features import make_config

    options = {k: tuple(v) if isinstance(v, list) else v for k, v in data.feature_options.items()}
    try:
        return make_config(data.features, **options)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"data.features={data.features!r} with {options}: {exc}") from exc


class CachedFeatures:
    """`load_input` reading a clip's features from an HDF5 cache (picklable for workers).

    Each clip is read from disk once and then kept in memory: every epoch reads every clip
    five times (once per caption), and a whole Clotho split of VGGish features is ~60 MB.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        from aacr_lib.features import FeatureCache

        self.cache = FeatureCache(path)
        self._memory: dict[str, Any] = {}

    @property
    def dim(self) -> int:
        return self.cache.dim

    def __call__(self, item: ClothoItem):
        features = self._memory.get(item.file_name)
        if features is None:
            features = self._memory[item.file_name] = self.cache[item.file_name]
        return features


@dataclass
class SplitData:
    """One split: its clips (CSV order) and where their features are read from."""

    name: str
    items: list[ClothoItem]
    features: CachedFeatures

    def pairs(self) -> CaptionPairDataset:
        """One example per (clip, caption): training and validation loss."""
        return CaptionPairDataset(self.items, self.features, caption_transform=normalize_caption)

    def clips(self) -> ClipDataset:
        """One example per clip with its (raw) reference captions: decoding and scoring."""
        return ClipDataset(self.items, self.features)

    def references(self) -> dict[str, list[str]]:
        return {item.file_name: list(item.captions) for item in self.items}


def load_split(
    data_dir: str | os.PathLike, data: DataConfig, split: str, progress: bool = True
) -> SplitData:
    """Read a split and make sure its feature cache is complete (computing what is missing)."""
    from aacr_lib.features import build_feature_cache

    items = read_split(data_dir, split, metadata=False)
    if data.max_clips is not None:
        items = items[: data.max_clips]
    path = build_feature_cache(
        data_dir, data.features, split, config=feature_config(data), progress=progress
    )
    return SplitData(split, items, CachedFeatures(path))


class CaptionCollate:
    """Collate for captioning batches (picklable).

    Training pairs give `features [B, T, D]`, `mask [B, T]`, `labels [B, L]`,
    `decoder_attention_mask [B, L]`, `file_names`; clips give `features`, `mask`, `file_names`,
    `references` (lists of raw captions).
    """

    def __init__(self, tokenizer: Any, max_frames: int, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_frames = max_frames
        self.max_length = max_length

    def __call__(self, examples: list[Any]) -> dict[str, Any]:
        batch = collate_padded(examples, max_frames=self.max_frames, crop="start")
        out: dict[str, Any] = {
            "features": batch["inputs"].to(torch.float32),
            "mask": batch["mask"],
            "file_names": batch["file_names"],
        }
        captions = batch["captions"]
        if captions and isinstance(captions[0], str):
            labels, attention = encode_captions(self.tokenizer, captions, self.max_length)
            out["labels"] = labels
            out["decoder_attention_mask"] = attention
        else:
            out["references"] = [list(c) for c in captions]
        return out


def check_feature_width(features: CachedFeatures, input_dim: int, kind: str) -> None:
    if features.dim != input_dim:
        raise ConfigError(
            f"the {kind} features are {features.dim}-d but model.input_dim is {input_dim}; "
            f"set model.input_dim={features.dim} (or change data.feature_options)"
        )
