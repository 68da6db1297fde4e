"""The captioning network: audio adapter → BART encoder (or CRNN) → BART decoder.

Built with `transformers` from a `BartConfig`, like the DCASE 2022 baseline: the adapter's output
is the encoder's `inputs_embeds`, the decoder is `BartForConditionalGeneration`'s own, and the
language-model head is tied to the token embeddings. `encode()` is the only place where the
encoder output is formed (including the report's hidden-state averaging), and both training
(`forward`) and decoding (`generate`) go through it, so they always see the same encoder output.

This module holds the network only; `aacr_lib.models.captioning.model` adds the loss and
`build_model` (which can start from pretrained weights) and re-exports everything here. It
imports neither `model` nor `pretrained`, so both can depend on it without a cycle.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig
from transformers.modeling_outputs import BaseModelOutput
from transformers.models.bart.modeling_bart import shift_tokens_right

from aacr_lib.models.captioning.config import (
    BART_SPECIAL_TOKENS,
    AdapterConfig,
    CaptioningModelConfig,
    SpecialTokens,
)
from aacr_lib.models.captioning.crnn import CrnnEncoder


def build_adapter(config: AdapterConfig, input_dim: int, d_model: int) -> nn.Module:
    """The audio adapter described by `config` (see `AdapterConfig`)."""
    if config.layers == 0:
        return nn.Identity()
    if config.style == "relu":
        modules: list[nn.Module] = [nn.Linear(input_dim, d_model)]
        for _ in range(config.layers - 1):
            modules += [nn.ReLU(), nn.Linear(d_model, d_model)]
        return nn.Sequential(*modules)
    if config.layers == 1:
        return nn.Sequential(nn.Linear(input_dim, d_model))
    widths = [input_dim] + [config.hidden_dim] * (config.layers - 1) + [d_model]
    return nn.Sequential(*(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)))


def bart_config(
    config: CaptioningModelConfig, vocab_size: int, special: SpecialTokens = BART_SPECIAL_TOKENS
) -> BartConfig:
    """The `BartConfig` of a captioning model config (one place, shared with the benchmark)."""
    return BartConfig(
        vocab_size=vocab_size,
        d_model=config.d_model,
        encoder_layers=max(config.encoder_layers, 1) if config.encoder == "bart" else 1,
        decoder_layers=config.decoder_layers,
        encoder_attention_heads=config.attention_heads,
        decoder_attention_heads=config.attention_heads,
        encoder_ffn_dim=config.ffn_dim,
        decoder_ffn_dim=config.ffn_dim,
        activation_function=config.activation_function,
        dropout=config.dropout,
        attention_dropout=config.attention_dropout,
        activation_dropout=config.activation_dropout,
        classifier_dropout=0.0,
        max_position_embeddings=config.max_positions,
        pad_token_id=special.pad,
        bos_token_id=special.bos,
        eos_token_id=special.eos,
        decoder_start_token_id=special.decoder_start,
        forced_eos_token_id=special.eos,
    )


def _as_long(mask: torch.Tensor | None) -> torch.Tensor | None:
    """BART's attention masks are integer tensors; convert once, not per use."""
    return mask if mask is None or mask.dtype == torch.long else mask.long()


class _NoEncoder(nn.Module):
    """Stands in for BART's encoder when the CRNN replaces it (holds no parameters)."""

    def forward(self, *args, **kwargs):  # pragma: no cover - never called: encode() bypasses it
        raise RuntimeError("this captioning model encodes audio with its CRNN; call encode()")


class AudioCaptioningModel(nn.Module):
    """Audio features `[B, T, input_dim]` (+ padding mask) → caption token logits / ids.

    Attributes: `adapter` (or None with the CRNN), `crnn` (or None), `bart`
    (`BartForConditionalGeneration`; its encoder is unused and removed with the CRNN).
    """

    def __init__(
        self,
        config: CaptioningModelConfig,
        vocab_size: int,
        special: SpecialTokens = BART_SPECIAL_TOKENS,
    ) -> None:
        super().__init__()
        config.validate()
        self.config = config
        self.special = special
        self.vocab_size = vocab_size
        in_dim = config.input_dim + config.extra_input_dim
        self.bart = BartForConditionalGeneration(bart_config(config, vocab_size, special))
        if config.encoder == "crnn":
            self.adapter = None
            self.crnn = CrnnEncoder(config.crnn, in_dim, config.d_model)
            self.bart.model.encoder = _NoEncoder()
        else:
            self.adapter = build_adapter(config.adapter, in_dim, config.d_model)
            self.crnn = None

    # ----- encoder side
    def encode(
        self,
        features: torch.Tensor,
        mask: torch.Tensor | None = None,
        extra_inputs: torch.Tensor | None = None,
    ) -> BaseModelOutput:
        """The encoder output the decoder attends to, `[B, T, d_model]` (after aggregation)."""
        if self.config.extra_input_dim:
            if extra_inputs is None:
                raise ValueError(
                    f"this model expects extra_inputs of {self.config.extra_input_dim} values "
                    "per frame (model.extra_input_dim)"
                )
            features = torch.cat([features, extra_inputs.to(features.dtype)], dim=-1)
        if self.crnn is not None:
            return BaseModelOutput(last_hidden_state=self.crnn(features, mask))
        mode = self.config.encoder_output
        output = self.bart.model.encoder(
            inputs_embeds=self.adapter(features),
            attention_mask=_as_long(mask),
            output_hidden_states=mode != "last",
            return_dict=True,
        )
        if mode == "last":
            hidden = output.last_hidden_state
        elif mode == "mean_all":
            # Every hidden state BART returns: the embedding output and each layer's output.
            hidden = torch.stack(output.hidden_states).mean(dim=0)
        else:  # mean_last2
            hidden = (output.hidden_states[-1] + output.hidden_states[-2]) / 2
        return BaseModelOutput(last_hidden_state=hidden)

    # ----- training
    def decoder_inputs(self, labels: torch.Tensor) -> torch.Tensor:
        """Teacher-forcing inputs: the labels shifted right behind the decoder start token."""
        return shift_tokens_right(labels, self.special.pad, self.special.decoder_start)

    def forward(
        self,
        features: torch.Tensor,
        labels: torch.Tensor,
        mask: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        extra_inputs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Next-token logits `[B, L, vocab]` for caption `labels` `[B, L]` (teacher forcing)."""
        mask = _as_long(mask)
        encoder_outputs = self.encode(features, mask, extra_inputs)
        output = self.bart(
            attention_mask=mask,
            encoder_outputs=encoder_outputs,
            decoder_input_ids=self.decoder_inputs(labels),
            decoder_attention_mask=decoder_attention_mask,
            use_cache=False,
            return_dict=True,
        )
        return output.logits

    # ----- decoding
    @torch.no_grad()
    def generate(
        self,
        features: torch.Tensor,
        generation_config: GenerationConfig,
        mask: torch.Tensor | None = None,
        extra_inputs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Token ids `[B, L]` (starting with the decoder start token) by beam search or greedy."""
        encoder_outputs = self.encode(features, mask, extra_inputs)
        if mask is None:
            mask = torch.ones(features.shape[:2], dtype=torch.long, device=features.device)
        return self.bart.generate(
            encoder_outputs=encoder_outputs,
            attention_mask=mask.long(),
            generation_config=generation_config,
        )

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Number of parameters (tied embeddings counted once)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)
