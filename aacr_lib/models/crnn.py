"""The CRNN convolution stack shared by the retrieval baseline and the captioning CRNN encoder.

A stack of 3x3 convolution blocks (no bias, padding 1) over the `[time, features]` "image" of a
clip, with `LPPool2d` after chosen blocks and a dropout at the end (xieh97/dcase2022-audio-
retrieval, `models/audio_encoders.py`). A block is BatchNorm -> Conv -> LeakyReLU in the baseline
(`block_order="bn_conv_act"`) or Conv -> LeakyReLU -> BatchNorm as in the report's retrieval code
(`"conv_act_bn"`).

`ConvStack` is an `nn.Sequential` of exactly these layers (block layers, pools, dropout, in that
order), so an encoder that stores it as an attribute keeps the state-dict keys of a plain
`nn.Sequential` (`<attribute>.<index>.<param>`). It does not initialise its weights: each encoder
does that itself, at the point (and with the scheme) its reference does, so seeded runs keep
their initial weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

BLOCK_ORDERS = ("bn_conv_act", "conv_act_bn")


def conv_block(
    in_channels: int,
    out_channels: int,
    block_order: str = "bn_conv_act",
    leaky_slope: float = 0.1,
    inplace: bool = False,
) -> list[nn.Module]:
    """One 3x3 convolution block (without bias) in the baseline's or the report's order."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False)
    activation = nn.LeakyReLU(negative_slope=leaky_slope, inplace=inplace)
    if block_order == "bn_conv_act":
        return [nn.BatchNorm2d(in_channels), conv, activation]
    if block_order == "conv_act_bn":
        return [conv, activation, nn.BatchNorm2d(out_channels)]
    raise ValueError(f"block_order must be one of {BLOCK_ORDERS}, got {block_order!r}")


class ConvStack(nn.Sequential):
    """Conv blocks with LP pooling and a final dropout: `[B, 1, T, F]` -> `[B, C, T', F']`.

    `channels` are the blocks' output channels; `pools` pairs a block index with the
    `(time, frequency)` kernel of the `LPPool2d(lp_norm, kernel)` that follows that block.
    """

    def __init__(
        self,
        channels: Sequence[int],
        pools: Sequence[tuple[int, Sequence[int]]] = (),
        *,
        block_order: str = "bn_conv_act",
        leaky_slope: float = 0.1,
        lp_norm: float = 4,
        dropout: float = 0.0,
        inplace: bool = False,
        in_channels: int = 1,
    ) -> None:
        pools = tuple((index, tuple(kernel)) for index, kernel in pools)
        pool_after = dict(pools)
        layers: list[nn.Module] = []
        for index, out_channels in enumerate(channels):
            layers.extend(conv_block(in_channels, out_channels, block_order, leaky_slope, inplace))
            if index in pool_after:
                layers.append(nn.LPPool2d(lp_norm, pool_after[index]))
            in_channels = out_channels
        layers.append(nn.Dropout(dropout))
        super().__init__(*layers)
        self.pools = pools
        self.out_channels = in_channels

    @property
    def time_reduction(self) -> int:
        """The factor by which the pools shorten the time axis (the product of time kernels)."""
        reduction = 1
        for _, (time_kernel, _) in self.pools:
            reduction *= time_kernel
        return reduction

    def output_bins(self, in_bins: int) -> int:
        """Frequency bins left of `in_bins` input features after the pools."""
        for _, (_, freq_kernel) in self.pools:
            in_bins //= freq_kernel
        return in_bins

    def output_dim(self, in_bins: int) -> int:
        """Size of each output frame vector (channels x bins) for `in_bins` input features."""
        return self.out_channels * self.output_bins(in_bins)

    def frame_vectors(self, features: torch.Tensor) -> torch.Tensor:
        """`[B, T, F]` features to `[B, T', C * F']` frame vectors (channel-major)."""
        image = self(features.unsqueeze(1))  # [B, C, T', F']
        return image.transpose(1, 2).flatten(2)
