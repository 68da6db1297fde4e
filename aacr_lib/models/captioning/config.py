"""Configuration of the captioning model: every variant of the report is a value here.

Defaults are the DCASE 2022 baseline at paper size (`exp_settings/dcb.yaml` of
felixgontier/dcase-2022-baseline): VGGish 128-d inputs, one `Linear(128, 768)` adapter, a BART
with d_model 768, 6+6 layers, 12 heads, FFN 3072, GELU, all dropouts 0.1, 1024 positions, random
initialisation. The vocabulary size is not part of the model config: it comes from the tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aacr_lib.errors import ConfigError

# The size of facebook/bart-base's vocabulary, used by the baseline (and the parameter counts).
BART_BASE_VOCAB_SIZE = 50265


@dataclass(frozen=True)
class SpecialTokens:
    """Token ids the model needs; BART's conventions (`<s>`=0, `<pad>`=1, `</s>`=2) by default.

    The decoder starts from `</s>` (`decoder_start`), as BART does.
    """

    bos: int = 0
    pad: int = 1
    eos: int = 2
    decoder_start: int = 2


BART_SPECIAL_TOKENS = SpecialTokens()


ENCODERS = ("bart", "crnn")
ENCODER_OUTPUTS = ("last", "mean_all", "mean_last2")
ADAPTER_STYLES = ("relu", "linear")


@dataclass
class AdapterConfig:
    """The audio adapter that maps feature vectors to `d_model` embeddings.

    `style="relu"` is the baseline code: `Linear(input, d_model)`, then `layers - 1` times
    `ReLU → Linear(d_model, d_model)`. `style="linear"` is the report's "2-layer adapter":
    `Linear(input, hidden_dim)`, `layers - 2` times `Linear(hidden_dim, hidden_dim)`, then
    `Linear(hidden_dim, d_model)`, with no activation anywhere. `layers=0` means no adapter
    (the features must already be `d_model` wide).
    """

    layers: int = 1
    style: Literal["relu", "linear"] = "relu"
    hidden_dim: int = 384


@dataclass
class CrnnEncoderConfig:
    """The CRNN that replaces the BART encoder in the report's Table 4.

    The retrieval baseline's CNN layout (BatchNorm → 3×3 conv without bias → LeakyReLU 0.1 per
    block; LPPool2d p=4 after the blocks listed in `pool_after`), its last block widened to 192
    channels, dropout at the end, over the `[min_frames, input_dim]` feature "image"; then a
    bidirectional GRU with `d_model / 2` units per direction, linearly interpolated back to the
    input length. At paper size: 32×128 → 8 steps × 2 bins × 192 = 384 → BiGRU → 768.
    """

    channels: tuple[int, ...] = (32, 128, 128, 128, 192)
    # Index of the conv block after which each pooling happens, and its (time, frequency) kernel.
    pool_after: tuple[int, ...] = (0, 2, 4)
    pool_kernels: tuple[tuple[int, ...], ...] = ((2, 4), (2, 4), (1, 4))
    lp_norm: float = 4.0
    leaky_slope: float = 0.1
    dropout: float = 0.3
    # Inputs shorter than this are zero-padded first, as the baseline pads every clip to 32.
    min_frames: int = 32


@dataclass
class CaptioningModelConfig:
    """Audio adapter → encoder (BART or CRNN) → BART decoder, sized for the paper by default."""

    input_dim: int = 128
    d_model: int = 768
    encoder_layers: int = 6
    decoder_layers: int = 6
    attention_heads: int = 12
    ffn_dim: int = 3072
    activation_function: str = "gelu"
    dropout: float = 0.1
    attention_dropout: float = 0.1
    activation_dropout: float = 0.1
    max_positions: int = 1024
    encoder: Literal["bart", "crnn"] = "bart"
    # What the decoder attends to: the last encoder layer (baseline), the mean of all hidden
    # states including the embedding output (report Table 5), or of the last two (Table 6).
    encoder_output: Literal["last", "mean_all", "mean_last2"] = "last"
    adapter: AdapterConfig = field(default_factory=AdapterConfig)
    crnn: CrnnEncoderConfig = field(default_factory=CrnnEncoderConfig)
    # Hook for per-frame extra inputs (e.g. sound-event vectors): `extra_input_dim` values per
    # frame are concatenated to the audio features before the adapter / CRNN.
    extra_input_dim: int = 0
    # None: random initialisation (the baseline). "facebook/bart-base": start the BART from the
    # pretrained weights (needs them cached or the network; the sizes must be bart-base's).
    pretrained: str | None = None

    def validate(self) -> CaptioningModelConfig:
        """Raise `ConfigError` naming the key when the combination cannot be built."""
        if self.d_model % self.attention_heads:
            raise ConfigError(
                f"model.d_model ({self.d_model}) must be divisible by model.attention_heads "
                f"({self.attention_heads})"
            )
        if self.encoder == "crnn":
            if self.encoder_output != "last":
                raise ConfigError(
                    "model.encoder_output must be 'last' with model.encoder=crnn (the CRNN has "
                    "one output sequence, no per-layer hidden states)"
                )
            if self.d_model % 2:
                raise ConfigError("model.d_model must be even with model.encoder=crnn (BiGRU)")
            crnn = self.crnn
            if len(crnn.pool_after) != len(crnn.pool_kernels):
                raise ConfigError(
                    "model.crnn.pool_after and model.crnn.pool_kernels differ in length"
                )
            if any(len(kernel) != 2 for kernel in crnn.pool_kernels):
                raise ConfigError("model.crnn.pool_kernels must be (time, frequency) pairs")
            freq_pool = 1
            for kernel in crnn.pool_kernels:
                freq_pool *= kernel[1]
            if (self.input_dim + self.extra_input_dim) < freq_pool:
                raise ConfigError(
                    f"model.input_dim {self.input_dim} is smaller than the CRNN's frequency "
                    f"pooling ({freq_pool}); use fewer or smaller model.crnn.pool_kernels"
                )
        elif self.adapter.layers == 0 and self.input_dim + self.extra_input_dim != self.d_model:
            raise ConfigError(
                "model.adapter.layers=0 needs input features of d_model size "
                f"({self.input_dim + self.extra_input_dim} != {self.d_model})"
            )
        if self.adapter.layers < 0 or self.encoder_layers < 0 or self.decoder_layers < 1:
            raise ConfigError("layer counts must be positive (model.decoder_layers at least 1)")
        return self
