"""Torch datasets over Clotho items, and a padding collate function.

Generic on purpose: the input of a clip comes from any `load_input(item) -> np.ndarray` (a
feature-cache reader giving `[time, dim]`, or a waveform loader giving `[time]`), and captions
stay strings; tokenisation belongs to each model.

- `CaptionPairDataset`: one example per (clip, caption) pair, for training.
- `ClipDataset`: one example per clip with all its captions, for evaluation and retrieval.
- `collate_padded`: pads the time axis to the longest item (optionally cropped to `max_frames`)
  and returns a dict `inputs [B, T, D]` (or `[B, T]` for 1-D inputs), `mask [B, T]` (True on
  real frames, False on padding), `lengths [B]`, `captions` and `file_names` (lists).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

from aacr_lib.audio import load_audio
from aacr_lib.data.clotho import ClothoItem

LoadInput = Callable[[ClothoItem], np.ndarray]
Transform = Callable[[np.ndarray], np.ndarray]
CROP_MODES = ("start", "random")


class CaptionPair(NamedTuple):
    """One training example: the clip's input, one of its captions, its file name."""

    input: np.ndarray
    caption: str
    file_name: str


class Clip(NamedTuple):
    """One evaluation example: the clip's input, all its captions, its file name."""

    input: np.ndarray
    captions: tuple[str, ...]
    file_name: str


class CaptionPairDataset(Dataset):
    """One example per (clip, caption) pair: 5 per Clotho clip with `captions="all"`.

    `captions="first"` keeps only each clip's first caption (one example per clip).
    `transform` maps the loaded input array (e.g. augmentation); `caption_transform` maps the
    caption string (e.g. `normalize_caption`). Examples are ordered clip by clip, caption by
    caption; shuffle with the DataLoader.
    """

    def __init__(
        self,
        items: Iterable[ClothoItem],
        load_input: LoadInput,
        captions: str = "all",
        transform: Transform | None = None,
        caption_transform: Callable[[str], str] | None = None,
    ) -> None:
        if captions not in ("all", "first"):
            raise ValueError(f"captions must be 'all' or 'first', got {captions!r}")
        self.items = list(items)
        self.load_input = load_input
        self.captions = captions
        self.transform = transform
        self.caption_transform = caption_transform
        # (item index, caption index) for every example; clips without captions give none.
        self.pairs: list[tuple[int, int]] = [
            (i, j)
            for i, item in enumerate(self.items)
            for j in range(len(item.captions) if captions == "all" else min(1, len(item.captions)))
        ]

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> CaptionPair:
        item_index, caption_index = self.pairs[index]
        item = self.items[item_index]
        data = self.load_input(item)
        if self.transform is not None:
            data = self.transform(data)
        caption = item.captions[caption_index]
        if self.caption_transform is not None:
            caption = self.caption_transform(caption)
        return CaptionPair(data, caption, item.file_name)


class ClipDataset(Dataset):
    """One example per clip, carrying all of its captions (references for evaluation)."""

    def __init__(
        self,
        items: Iterable[ClothoItem],
        load_input: LoadInput,
        transform: Transform | None = None,
        caption_transform: Callable[[str], str] | None = None,
    ) -> None:
        self.items = list(items)
        self.load_input = load_input
        self.transform = transform
        self.caption_transform = caption_transform

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Clip:
        item = self.items[index]
        data = self.load_input(item)
        if self.transform is not None:
            data = self.transform(data)
        captions = item.captions
        if self.caption_transform is not None:
            captions = tuple(self.caption_transform(c) for c in captions)
        return Clip(data, tuple(captions), item.file_name)


def _crop(tensor: torch.Tensor, max_frames: int, mode: str) -> torch.Tensor:
    length = tensor.shape[0]
    if length <= max_frames:
        return tensor
    if mode == "start":
        return tensor[:max_frames]
    start = int(torch.randint(0, length - max_frames + 1, (1,)).item())
    return tensor[start : start + max_frames]


def collate_padded(
    batch: Sequence[tuple[Any, Any, str]],
    max_frames: int | None = None,
    crop: str = "start",
    pad_value: float = 0.0,
) -> dict[str, Any]:
    """Stack `(input, caption(s), file_name)` examples into a padded batch.

    Inputs are `[time, dim]` (all the same `dim`) or all 1-D `[time]`; their dtype is kept.
    Longer inputs are cropped to `max_frames` first: their first frames (`crop="start"`, what
    the DCASE baseline does) or a random window (`crop="random"`, drawn from torch's RNG).
    Returns `inputs`, `mask` (bool, True = real frame), `lengths` (int64), `captions` and
    `file_names` (lists, in batch order).
    """
    if not batch:
        raise ValueError("collate_padded got an empty batch")
    if crop not in CROP_MODES:
        raise ValueError(f"crop must be one of {CROP_MODES}, got {crop!r}")
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be positive, got {max_frames}")
    tensors = [torch.as_tensor(np.asarray(example[0])) for example in batch]
    ndims = {t.ndim for t in tensors}
    if ndims not in ({1}, {2}):
        raise ValueError(f"inputs must all be [time] or all [time, dim]; got ndims {ndims}")
    if 2 in ndims and len({t.shape[1] for t in tensors}) > 1:
        dims = sorted({t.shape[1] for t in tensors})
        raise ValueError(f"inputs have different feature sizes {dims}; cannot batch them")
    if max_frames is not None:
        tensors = [_crop(t, max_frames, crop) for t in tensors]
    lengths = torch.tensor([t.shape[0] for t in tensors], dtype=torch.long)
    longest = int(lengths.max())
    dtype = tensors[0].dtype
    inputs = torch.full((len(tensors), longest, *tensors[0].shape[1:]), pad_value, dtype=dtype)
    for row, tensor in enumerate(tensors):
        inputs[row, : tensor.shape[0]] = tensor.to(dtype)
    mask = torch.arange(longest).unsqueeze(0) < lengths.unsqueeze(1)
    return {
        "inputs": inputs,
        "mask": mask,
        "lengths": lengths,
        "captions": [example[1] for example in batch],
        "file_names": [example[2] for example in batch],
    }


def make_collate(
    max_frames: int | None = None, crop: str = "start", pad_value: float = 0.0
) -> Callable[[Sequence[tuple[Any, Any, str]]], dict[str, Any]]:
    """`collate_padded` with its options bound, for `DataLoader(collate_fn=...)` (picklable)."""
    if crop not in CROP_MODES:
        raise ValueError(f"crop must be one of {CROP_MODES}, got {crop!r}")
    return functools.partial(collate_padded, max_frames=max_frames, crop=crop, pad_value=pad_value)


class AudioLoader:
    """`load_input` that reads a clip's audio: float32 mono `[time]` at `sample_rate`.

    A class rather than a closure so that DataLoader worker processes can pickle it.
    """

    def __init__(self, sample_rate: int | None = None) -> None:
        self.sample_rate = sample_rate

    def __call__(self, item: ClothoItem) -> np.ndarray:
        waveform, _ = load_audio(item.audio_path, sample_rate=self.sample_rate, mono=True)
        return waveform
