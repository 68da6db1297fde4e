"""The DCASE 2022 retrieval baseline's audio encoder: a CRNN over log-mel frames.

Layout (xieh97/dcase2022-audio-retrieval, `models/audio_encoders.py`): five 3x3 convolution
blocks with channels 1 -> 32 -> 128 -> 128 -> 128 -> 128, LPPool2d (p = 4) with kernels (2, 4)
after blocks 1 and 3 and (1, 4) after block 5, dropout 0.3, a bidirectional GRU with 150 units
per direction (300 outputs), linear interpolation of the GRU outputs back to the input frame
rate and a mean over time. Each block is BatchNorm -> Conv (no bias) -> LeakyReLU(0.1) in the
baseline; the report's code moved BatchNorm after the activation (Conv -> LeakyReLU -> BN),
which `block_order="conv_act_bn"` reproduces. Convolutions use Kaiming-normal initialisation
and BatchNorm starts at weight 1, bias 0, as in the baseline. The convolution stack is
`aacr_lib.models.crnn.ConvStack`, shared with the captioning CRNN encoder.

One deliberate difference: the baseline averages over every frame of the zero-padded batch, so a
clip's embedding depended on the longest clip it was batched with. Here the mean runs over the
clip's own frames (`lengths`), which makes an embedding independent of its batch; without
`lengths` the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from aacr_lib.models.crnn import BLOCK_ORDERS as BLOCK_ORDERS  # re-exported, as before
from aacr_lib.models.crnn import ConvStack
from aacr_lib.models.crnn import conv_block as shared_conv_block

RNN_TYPES = ("gru", "lstm")
BASELINE_CHANNELS = (32, 128, 128, 128, 128)
# (block index after which to pool, pooling kernel over (time, frequency))
BASELINE_POOLS = ((0, (2, 4)), (2, (2, 4)), (4, (1, 4)))
LEAKY_SLOPE = 0.1
LP_NORM = 4


def init_baseline_weights(module: nn.Module) -> None:
    """The baseline's initialisation: Kaiming for conv/linear weights, zero biases, BN at 1/0."""
    if isinstance(module, nn.Conv1d | nn.Conv2d):
        nn.init.kaiming_normal_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):
        nn.init.kaiming_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def conv_block(in_channels: int, out_channels: int, block_order: str) -> list[nn.Module]:
    """One 3x3 convolution block in the baseline's or the report's order."""
    return shared_conv_block(
        in_channels, out_channels, block_order, leaky_slope=LEAKY_SLOPE, inplace=True
    )


class CNNFrontEnd(nn.Module):
    """The convolutional part: `[B, T, F]` features to `[B, T', C * F']` frame vectors."""

    def __init__(
        self,
        channels: Sequence[int] = BASELINE_CHANNELS,
        pools: Sequence[tuple[int, tuple[int, int]]] = BASELINE_POOLS,
        block_order: str = "bn_conv_act",
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        self.layers = ConvStack(
            channels,
            pools,
            block_order=block_order,
            leaky_slope=LEAKY_SLOPE,
            lp_norm=LP_NORM,
            dropout=dropout,
            inplace=True,
        )
        self.time_reduction = self.layers.time_reduction
        self.apply(init_baseline_weights)

    def output_dim(self, in_dim: int) -> int:
        """Size of each output frame vector for `in_dim` input features (channels x bins)."""
        with torch.no_grad():
            was_training = self.training
            self.eval()
            probe = self(torch.zeros(1, 4 * self.time_reduction, in_dim))
            self.train(was_training)
        return int(probe.shape[-1])

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers.frame_vectors(features)  # [B, T', C * F']


class CRNNEncoder(nn.Module):
    """CRNN audio encoder: `[B, T, in_dim]` frames (+ optional lengths) to `[B, out_dim]`.

    `rnn` is `"gru"` (baseline) or `"lstm"` (the report's variant); `out_dim` must be even (two
    directions of `out_dim / 2` units). `up_sampling=False` skips the interpolation back to the
    input frame rate (the mean is then over the pooled frames). `input_pool > 1` averages every
    `input_pool` input frames first (a cheaper, coarser time axis for small machines; the
    baseline has 1); a remainder shorter than `input_pool` frames is dropped.
    """

    def __init__(
        self,
        in_dim: int = 64,
        out_dim: int = 300,
        rnn: str = "gru",
        block_order: str = "bn_conv_act",
        dropout: float = 0.3,
        up_sampling: bool = True,
        channels: Sequence[int] = BASELINE_CHANNELS,
        input_pool: int = 1,
    ) -> None:
        super().__init__()
        if input_pool < 1:
            raise ValueError(f"input_pool must be at least 1, got {input_pool}")
        if out_dim % 2:
            raise ValueError(f"out_dim must be even (two RNN directions), got {out_dim}")
        if rnn not in RNN_TYPES:
            raise ValueError(f"rnn must be one of {RNN_TYPES}, got {rnn!r}")
        min_bins = 4 * 4 * 4  # the three pools divide the frequency axis by 64
        if in_dim < min_bins:
            raise ValueError(f"in_dim must be at least {min_bins} feature bins, got {in_dim}")
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.up_sampling = up_sampling
        self.input_pool = input_pool
        self.cnn = CNNFrontEnd(channels=channels, block_order=block_order, dropout=dropout)
        rnn_class = nn.GRU if rnn == "gru" else nn.LSTM
        self.rnn = rnn_class(
            self.cnn.output_dim(in_dim), out_dim // 2, bidirectional=True, batch_first=True
        )

    def frame_embeddings(self, features: torch.Tensor) -> torch.Tensor:
        """Per-frame outputs `[B, T, out_dim]` (at the input rate when `up_sampling`)."""
        frames = features.shape[1]
        x, _ = self.rnn(self.cnn(features))
        if self.up_sampling:
            x = F.interpolate(
                x.transpose(1, 2), size=frames, mode="linear", align_corners=False
            ).transpose(1, 2)
        return x

    @property
    def min_frames(self) -> int:
        """The fewest input frames a clip may have."""
        return self.cnn.time_reduction * self.input_pool

    def forward(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        if features.ndim != 3 or features.shape[-1] != self.in_dim:
            raise ValueError(
                f"expected features [batch, time, {self.in_dim}], got {tuple(features.shape)}"
            )
        if features.shape[1] < self.min_frames:
            raise ValueError(
                f"clips need at least {self.min_frames} frames, got {features.shape[1]}"
            )
        if self.input_pool > 1:
            features = F.avg_pool1d(features.transpose(1, 2), self.input_pool).transpose(1, 2)
            if lengths is not None:
                lengths = torch.clamp(lengths // self.input_pool, min=1)
        x = self.frame_embeddings(features)
        if lengths is None:
            return x.mean(dim=1)
        lengths = lengths.to(x.device)
        if not self.up_sampling:
            lengths = torch.clamp(lengths // self.cnn.time_reduction, min=1)
        steps = torch.arange(x.shape[1], device=x.device)
        mask = (steps.unsqueeze(0) < lengths.unsqueeze(1)).to(x.dtype)
        return (x * mask.unsqueeze(-1)).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1)


def count_parameters(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of a module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
