"""The DCASE 2022 BART captioning baseline and the report's variants, as one configurable model.

- `CaptioningModelConfig` (+ `AdapterConfig`, `CrnnEncoderConfig`): every variant as values.
- `AudioCaptioningModel` / `build_model(config, vocab_size)`: adapter → BART encoder or CRNN →
  BART decoder; `encode`, `forward` (logits), `generate` (beam search or greedy).
- `caption_loss`: token cross-entropy with pad tokens kept (baseline) or masked.
- `count_parameters(config)`: the real structure's parameter count, built on the meta device.
- `pretrained`: bart-base weights and the organisers' trained checkpoint (Zenodo 6352699).
"""

from aacr_lib.models.captioning.config import (
    AdapterConfig,
    CaptioningModelConfig,
    CrnnEncoderConfig,
)
from aacr_lib.models.captioning.model import (
    BART_BASE_VOCAB_SIZE,
    BART_SPECIAL_TOKENS,
    AudioCaptioningModel,
    SpecialTokens,
    bart_config,
    build_adapter,
    build_model,
    caption_loss,
    count_parameters,
)

__all__ = [
    "BART_BASE_VOCAB_SIZE",
    "BART_SPECIAL_TOKENS",
    "AdapterConfig",
    "AudioCaptioningModel",
    "CaptioningModelConfig",
    "CrnnEncoderConfig",
    "SpecialTokens",
    "bart_config",
    "build_adapter",
    "build_model",
    "caption_loss",
    "count_parameters",
]
