"""The captioning model: audio adapter → BART encoder (or CRNN) → BART decoder.

The network itself (`AudioCaptioningModel`, `bart_config`, `build_adapter`) lives in
`aacr_lib.models.captioning.network` and the token conventions (`SpecialTokens`, the bart-base
vocabulary size) in `config` (no torch); both are re-exported here;
this module adds the caption loss and `build_model`, which starts from `config.pretrained`
weights when asked (`aacr_lib.models.captioning.pretrained`). Imports go one way:
`model` → `pretrained` → `network`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from aacr_lib.models.captioning.config import (
    BART_BASE_VOCAB_SIZE,
    BART_SPECIAL_TOKENS,
    CaptioningModelConfig,
    SpecialTokens,
)
from aacr_lib.models.captioning.network import AudioCaptioningModel, bart_config, build_adapter
from aacr_lib.models.captioning.pretrained import load_pretrained_bart

__all__ = [
    "BART_BASE_VOCAB_SIZE",
    "BART_SPECIAL_TOKENS",
    "AudioCaptioningModel",
    "SpecialTokens",
    "bart_config",
    "build_adapter",
    "build_model",
    "caption_loss",
    "count_parameters",
]


def caption_loss(
    logits: torch.Tensor, labels: torch.Tensor, pad_id: int, mask_pad: bool = False
) -> torch.Tensor:
    """Token cross-entropy, mean over positions.

    `mask_pad=False` is the baseline: pad tokens stay in the labels and count in the mean (the
    model also learns to predict padding). `mask_pad=True` leaves them out.
    """
    return F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(),
        labels.reshape(-1),
        ignore_index=pad_id if mask_pad else -100,
    )


def build_model(
    config: CaptioningModelConfig,
    vocab_size: int,
    special: SpecialTokens = BART_SPECIAL_TOKENS,
    device: str | torch.device | None = None,
) -> AudioCaptioningModel:
    """Build the model (random initialisation, or `config.pretrained` BART weights)."""
    if device is not None and str(device) == "meta":
        with torch.device("meta"):
            return AudioCaptioningModel(config, vocab_size, special)
    model = AudioCaptioningModel(config, vocab_size, special)
    if config.pretrained:
        load_pretrained_bart(model, config.pretrained)
    return model if device is None else model.to(device)


def count_parameters(config: CaptioningModelConfig, vocab_size: int = BART_BASE_VOCAB_SIZE) -> int:
    """Parameters of the real model structure, built on the `meta` device (no memory, fast)."""
    return build_model(config, vocab_size, device="meta").num_parameters()
