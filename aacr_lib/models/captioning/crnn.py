"""The CRNN encoder of the report's Table 4 (replaces the BART encoder)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aacr_lib.models.captioning.config import CrnnEncoderConfig


class CrnnEncoder(nn.Module):
    """Conv blocks over the `[time, features]` image, then a BiGRU: `[B, T, D] → [B, T, d_model]`.

    The output is interpolated back to the input's `T` so that it lines up with the input's
    padding mask, which the decoder's cross-attention keeps using.
    """

    def __init__(self, config: CrnnEncoderConfig, input_dim: int, d_model: int) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        pools = dict(zip(config.pool_after, config.pool_kernels, strict=True))
        in_channels = 1
        for index, out_channels in enumerate(config.channels):
            layers += [
                nn.BatchNorm2d(in_channels),
                nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
                nn.LeakyReLU(negative_slope=config.leaky_slope),
            ]
            if index in pools:
                layers.append(nn.LPPool2d(config.lp_norm, tuple(pools[index])))
            in_channels = out_channels
        layers.append(nn.Dropout(config.dropout))
        self.cnn = nn.Sequential(*layers)
        freq_bins = input_dim
        for kernel in config.pool_kernels:
            freq_bins //= kernel[1]
        self.gru = nn.GRU(
            in_channels * freq_bins, d_model // 2, bidirectional=True, batch_first=True
        )
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
        image = self.cnn(features.unsqueeze(1))  # [B, C, T', F']
        # [B, T', C·F'], channel-major like the reference
        sequence = image.transpose(1, 2).flatten(2)
        hidden, _ = self.gru(sequence)
        hidden = F.interpolate(
            hidden.transpose(1, 2), size=padded, mode="linear", align_corners=False
        )
        return hidden.transpose(1, 2)[:, :frames].contiguous()
