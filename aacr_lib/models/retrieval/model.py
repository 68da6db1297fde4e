"""Audio-text embedding model: the CRNN on the audio side, frozen text vectors on the other.

Every text encoder of the report is frozen (Word2Vec means, a sentence transformer), so the text
side enters the model as precomputed vectors `[B, text_dim]`; only the audio encoder and the
optional projection heads learn. Projection (the report's "shared embedding space"):

- `projection="none"`: the audio encoder's output must already have the text vectors' size.
- `projection="shared"`: one `Linear(text_dim, projection_dim)` applied to both sides (the
  report's code; needs `audio out == text_dim`).
- `projection="separate"`: one linear head per side (audio -> projection_dim, text ->
  projection_dim), the usual two-tower design.

`normalize=True` L2-normalises both embeddings (the current baseline code); the March-2022
baseline the report forked did not.

Sound-event vectors (the report's future work): with `event_dim > 0` the last `event_dim`
columns of every input frame are event probabilities (`aacr_lib.events.inputs`); the clip's
multi-hot vector (1 where a class's highest probability over the clip's frames reaches
`event_threshold`) goes through a small branch, `Linear(event_dim, audio_dim)`, added to the
audio encoder's output before the projection: the report's "vector of the size of the number
of classes" joined to the clip embedding. The branch starts at zero, so an untrained branch
leaves the audio embedding as it is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aacr_lib.models.retrieval.crnn import init_baseline_weights

PROJECTIONS = ("none", "shared", "separate")


class AudioTextModel(nn.Module):
    """`encode_audio(features, lengths)` and `encode_text(vectors)` into one embedding space."""

    def __init__(
        self,
        audio_encoder: nn.Module,
        audio_dim: int,
        text_dim: int,
        projection: str = "none",
        projection_dim: int = 0,
        normalize: bool = True,
        event_dim: int = 0,
        event_threshold: float = 0.5,
    ) -> None:
        super().__init__()
        if projection not in PROJECTIONS:
            raise ValueError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
        if projection == "none" and audio_dim != text_dim:
            raise ValueError(
                f"audio embeddings ({audio_dim}) and text vectors ({text_dim}) differ in size; "
                "set the audio encoder's out_dim to the text size or use a projection"
            )
        if projection == "shared" and audio_dim != text_dim:
            raise ValueError(
                f"a shared projection needs audio out ({audio_dim}) == text size ({text_dim})"
            )
        if projection != "none" and projection_dim < 1:
            raise ValueError(f"projection {projection!r} needs projection_dim >= 1")
        self.audio_encoder = audio_encoder
        self.projection = projection
        self.normalize = normalize
        self.text_dim = text_dim
        self.embed_dim = text_dim if projection == "none" else projection_dim
        self.audio_head: nn.Module = nn.Identity()
        self.text_head: nn.Module = nn.Identity()
        if projection == "shared":
            shared = nn.Linear(text_dim, projection_dim)
            self.audio_head = shared
            self.text_head = shared
        elif projection == "separate":
            self.audio_head = nn.Linear(audio_dim, projection_dim)
            self.text_head = nn.Linear(text_dim, projection_dim)
        self.audio_head.apply(init_baseline_weights)
        self.text_head.apply(init_baseline_weights)
        self.event_dim = event_dim
        self.event_threshold = event_threshold
        self.event_branch: nn.Module | None = None
        if event_dim:
            self.event_branch = nn.Linear(event_dim, audio_dim)
            nn.init.zeros_(self.event_branch.weight)
            nn.init.zeros_(self.event_branch.bias)

    def _finish(self, embeddings: torch.Tensor) -> torch.Tensor:
        return F.normalize(embeddings, p=2.0, dim=-1) if self.normalize else embeddings

    def encode_audio(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        if self.event_branch is None:
            return self._finish(self.audio_head(self.audio_encoder(features, lengths)))
        audio, events = features[..., : -self.event_dim], features[..., -self.event_dim :]
        embedded = self.audio_encoder(audio, lengths) + self.event_branch(
            clip_multi_hot(events, lengths, self.event_threshold)
        )
        return self._finish(self.audio_head(embedded))

    def encode_text(self, vectors: torch.Tensor) -> torch.Tensor:
        if vectors.shape[-1] != self.text_dim:
            raise ValueError(f"expected text vectors of size {self.text_dim}, got {vectors.shape}")
        return self._finish(self.text_head(vectors))

    def forward(
        self,
        features: torch.Tensor,
        text_vectors: torch.Tensor,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encode_audio(features, lengths), self.encode_text(text_vectors)


def clip_multi_hot(
    events: torch.Tensor, lengths: torch.Tensor | None, threshold: float
) -> torch.Tensor:
    """`[B, T, C]` per-frame event probabilities → `[B, C]`: 1 where a class's highest
    probability over the clip's first `lengths` frames reaches `threshold` (padding ignored)."""
    if lengths is not None:
        steps = torch.arange(events.shape[1], device=events.device)
        valid = steps.unsqueeze(0) < lengths.to(events.device).unsqueeze(1)
        events = events.masked_fill(~valid.unsqueeze(-1), 0.0)
    return (events.amax(dim=1) >= threshold).to(events.dtype)
