"""The DCASE 2022 BART captioning baseline and the report's variants, as one configurable model.

- `CaptioningModelConfig` (+ `AdapterConfig`, `CrnnEncoderConfig`): every variant as values.
- `AudioCaptioningModel` / `build_model(config, vocab_size)`: adapter → BART encoder or CRNN →
  BART decoder; `encode`, `forward` (logits), `generate` (beam search or greedy).
- `caption_loss`: token cross-entropy with pad tokens kept (baseline) or masked.
- `count_parameters(config)`: the real structure's parameter count, built on the meta device.
- `pretrained`: bart-base weights and the organisers' trained checkpoint (Zenodo 6352699).
"""

from aacr_lib.models.captioning.config import (
    BART_BASE_VOCAB_SIZE,
    BART_SPECIAL_TOKENS,
    AdapterConfig,
    CaptioningModelConfig,
    CrnnEncoderConfig,
    SpecialTokens,
)

# The network's names load torch and transformers (seconds) on first use, not with the package:
# configs, registries and the book's tables import this package without needing either.
_FROM_MODEL = (
    "AudioCaptioningModel",
    "bart_config",
    "build_adapter",
    "build_model",
    "caption_loss",
    "count_parameters",
)


def __getattr__(name: str):
    if name in _FROM_MODEL:
        from aacr_lib.models.captioning import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
