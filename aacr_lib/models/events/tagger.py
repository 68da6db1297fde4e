"""A small CRNN sound-event tagger: log-mel frames in, per-frame class probabilities out.

`[B, T, F]` log-mel frames are averaged `input_pool` at a time, go through a stack of 3x3
convolution blocks (`aacr_lib.models.crnn.ConvStack`, LP pooling after each block) that pools
time down to the event grid (0.32 s: `input_pool x prod(time_pools)` feature frames per output
frame), a bidirectional GRU over those frames and a linear layer: one logit per class the
tagger was trained on, `[B, T', C]` with `T' = ceil(T / frames_per_output)` (a clip is padded
to a whole number of output frames by repeating its last frame).

The classes are indices into a larger vocabulary (AudioSet's 527 classes, of which ClothoMix
uses a few dozen): `probabilities_527` scatters the C probabilities into that vocabulary, zeros
elsewhere, the layout every sound-event source shares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from aacr_lib.models.crnn import ConvStack

LEAKY_SLOPE = 0.1
LP_NORM = 4
# AudioSet's classes (`aacr_lib.events.vocabulary.NUM_CLASSES`; this layer cannot import it).
VOCABULARY_SIZE = 527


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, a=LEAKY_SLOPE)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class SoundEventTagger(nn.Module):
    """CRNN tagger over `classes` (indices into a vocabulary of `vocabulary_size` classes)."""

    def __init__(
        self,
        in_bins: int,
        classes: Sequence[int],
        channels: Sequence[int] = (16, 32, 64),
        time_pools: Sequence[int] = (2, 2, 1),
        freq_pools: Sequence[int] = (4, 4, 2),
        input_pool: int = 4,
        rnn_hidden: int = 64,
        dropout: float = 0.2,
        block_order: str = "bn_conv_act",
        prior: float = 0.05,
        vocabulary_size: int = VOCABULARY_SIZE,
    ) -> None:
        super().__init__()
        classes = [int(c) for c in classes]
        if not classes:
            raise ValueError("a tagger needs at least one class")
        if len(set(classes)) != len(classes):
            raise ValueError("classes must be distinct")
        if min(classes) < 0 or max(classes) >= vocabulary_size:
            raise ValueError(f"class indices must be in 0..{vocabulary_size - 1}")
        if not (len(time_pools) == len(freq_pools) == len(channels)):
            raise ValueError("time_pools and freq_pools need one entry per block of channels")
        if input_pool < 1 or min((*time_pools, *freq_pools)) < 1:
            raise ValueError("pools must be at least 1")
        self.in_bins = int(in_bins)
        self.input_pool = int(input_pool)
        self.vocabulary_size = int(vocabulary_size)
        pools = [
            (index, (int(t), int(f)))
            for index, (t, f) in enumerate(zip(time_pools, freq_pools, strict=True))
            if (t, f) != (1, 1)
        ]
        self.cnn = ConvStack(
            channels,
            pools,
            block_order=block_order,
            leaky_slope=LEAKY_SLOPE,
            lp_norm=LP_NORM,
            dropout=dropout,
        )
        self.frames_per_output = self.input_pool * math.prod(int(t) for t in time_pools)
        frame_dim = self.cnn.output_dim(self.in_bins)
        if frame_dim < 1:
            raise ValueError(f"the pools leave nothing of {in_bins} feature bins")
        self.rnn = (
            nn.GRU(frame_dim, rnn_hidden, batch_first=True, bidirectional=True)
            if rnn_hidden > 0
            else None
        )
        self.classifier = nn.Linear(2 * rnn_hidden if rnn_hidden > 0 else frame_dim, len(classes))
        self.register_buffer("classes", torch.tensor(classes, dtype=torch.long), persistent=False)
        self.apply(_init_weights)
        nn.init.constant_(self.classifier.bias, math.log(prior / (1 - prior)))

    @property
    def num_classes(self) -> int:
        return int(self.classes.numel())

    def output_frames(self, input_frames: int | torch.Tensor):
        """Output frames of a clip of `input_frames` feature frames (`ceil(T / pool)`)."""
        if isinstance(input_frames, torch.Tensor):
            steps = input_frames + self.frames_per_output - 1
            return torch.div(steps, self.frames_per_output, rounding_mode="floor").clamp(min=1)
        return max(1, -(-int(input_frames) // self.frames_per_output))

    def forward(self, features: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Frame logits `[B, T', C]` of `[B, T, F]` features (`lengths`: each clip's frames;
        the GRU then ignores the padding)."""
        if features.ndim != 3 or features.shape[-1] != self.in_bins:
            raise ValueError(
                f"expected features [batch, time, {self.in_bins}], got {tuple(features.shape)}"
            )
        frames = features.shape[1]
        if frames < 1:
            raise ValueError("a clip needs at least one feature frame")
        out_frames = self.output_frames(frames)
        extra = out_frames * self.frames_per_output - frames
        if extra:  # repeat the last frame up to a whole output frame
            features = torch.cat([features, features[:, -1:].expand(-1, extra, -1)], dim=1)
        if self.input_pool > 1:
            features = F.avg_pool1d(features.transpose(1, 2), self.input_pool).transpose(1, 2)
        x = self.cnn.frame_vectors(features)  # [B, T', D]
        if self.rnn is not None:
            if lengths is not None and bool((lengths < frames).any()):
                steps = self.output_frames(lengths.to("cpu")).clamp(max=x.shape[1])
                packed = pack_padded_sequence(x, steps, batch_first=True, enforce_sorted=False)
                x, _ = self.rnn(packed)
                x, _ = pad_packed_sequence(x, batch_first=True, total_length=out_frames)
            else:
                x, _ = self.rnn(x)
        return self.classifier(x)

    def probabilities(self, features: torch.Tensor, lengths: torch.Tensor | None = None):
        """Sigmoid of the logits: `[B, T', C]` in the order of `classes`."""
        return torch.sigmoid(self(features, lengths))

    def probabilities_527(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """`[B, T', vocabulary_size]`: the classes' probabilities at their indices, 0 elsewhere."""
        return self.scatter(self.probabilities(features, lengths))

    def scatter(self, probabilities: torch.Tensor) -> torch.Tensor:
        """`[..., C]` probabilities of `classes` into `[..., vocabulary_size]`, zeros elsewhere."""
        full = probabilities.new_zeros((*probabilities.shape[:-1], self.vocabulary_size))
        full[..., self.classes] = probabilities
        return full
