"""Batching for the captioning task.

Splits and their feature caches come from `aacr_lib.features.splits` (the loader both tasks
share); captions are normalised as the baseline does (`normalize_caption`) and tokenised in the collate
function: `<s> … </s>` padded to `tokenizer.max_length` (64), with the attention mask the
baseline passes to the decoder.
"""

from __future__ import annotations

from typing import Any

import torch

from aacr_lib.captioning.tokenizer import encode_captions
from aacr_lib.data.datasets import collate_padded
from aacr_lib.data.text import normalize_caption
from aacr_lib.errors import ConfigError
from aacr_lib.features.splits import CachedFeatures, SplitData


class CaptionCollate:
    """Collate for captioning batches (picklable).

    Training pairs give `features [B, T, D]`, `mask [B, T]`, `labels [B, L]`,
    `decoder_attention_mask [B, L]`, `file_names`; clips give `features`, `mask`, `file_names`,
    `references` (lists of raw captions).
    """

    def __init__(
        self, tokenizer: Any, max_frames: int, max_length: int, extra_input_dim: int = 0
    ) -> None:
        self.tokenizer = tokenizer
        self.max_frames = max_frames
        self.max_length = max_length
        # the last `extra_input_dim` columns of each frame are the model's extra input (the
        # sound-event probabilities `aacr_lib.events.inputs` joins to the features)
        self.extra_input_dim = extra_input_dim

    def __call__(self, examples: list[Any]) -> dict[str, Any]:
        batch = collate_padded(examples, max_frames=self.max_frames, crop="start")
        frames = batch["inputs"].to(torch.float32)
        out: dict[str, Any] = {
            "features": frames,
            "mask": batch["mask"],
            "file_names": batch["file_names"],
        }
        if self.extra_input_dim:
            out["features"] = frames[..., : -self.extra_input_dim]
            out["extra_inputs"] = frames[..., -self.extra_input_dim :]
        captions = batch["captions"]
        if captions and isinstance(captions[0], str):
            labels, attention = encode_captions(self.tokenizer, captions, self.max_length)
            out["labels"] = labels
            out["decoder_attention_mask"] = attention
        else:
            out["references"] = [list(c) for c in captions]
        return out


def caption_pairs(split: SplitData):
    """Training and validation-loss examples: one per (clip, normalised caption)."""
    return split.pairs(caption_transform=normalize_caption)


def check_feature_width(features: CachedFeatures, input_dim: int, kind: str) -> None:
    if features.dim != input_dim:
        raise ConfigError(
            f"the {kind} features are {features.dim}-d but model.input_dim is {input_dim}; "
            f"set model.input_dim={features.dim} (or change data.feature_options)"
        )
