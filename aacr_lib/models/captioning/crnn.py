"""The CRNN encoder of the report's Table 4 (replaces the BART encoder)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aacr_lib.models.captioning.config import CrnnEncoderConfig
from aacr_lib.models.crnn import ConvStack


class CrnnEncoder(nn.Module):
    """Conv blocks over the `[time, features]` image, then a BiGRU: `[B, T, D] → [B, T, d_model]`.

    The conv blocks are the retrieval baseline's (`aacr_lib.models.crnn.ConvStack`, block order
    BatchNorm → Conv → LeakyReLU), as `self.cnn`.

    The output is interpolated back to the input's `T` so that it lines up with the input's
    padding mask, which the decoder's cross-attention keeps using.
    """

    def __init__(self, config: CrnnEncoderConfig, input_dim: int, d_model: int) -> None:
        super().__init__()
        self.config = config
        self.cnn = ConvStack(
            config.channels,
            tuple(zip(config.pool_after, config.pool_kernels, strict=True)),
            block_order="bn_conv_act",
            leaky_slope=config.leaky_slope,
            lp_norm=config.lp_norm,
            dropout=config.dropout,
        )
        self.gru = nn.GRU(
            self.cnn.output_dim(input_dim), d_model // 2, bidirectional=True, batch_first=True
        )
        # After the GRU, as before: the order of random draws fixes a seeded run's weights.
        for module in self.cnn.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_uniform_(module.weight, nonlinearity="leaky_relu")

    def forward(self, features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        batch, frames, _ = features.shape
        if mask is not None:
            features = features * mask.unsqueeze(-1).to(features.dtype)
        padded = max(frames, self.config.min_frames)
        if padded > frames:
            features = F.pad(features, (0, 0, 0, padded - frames))
        # [B, T', C·F'], channel-major like the reference
        sequence = self.cnn.frame_vectors(features)
        hidden, _ = self.gru(sequence)
        hidden = F.interpolate(
            hidden.transpose(1, 2), size=padded, mode="linear", align_corners=False
        )
        return hidden.transpose(1, 2)[:, :frames].contiguous()
