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

    def _finish(self, embeddings: torch.Tensor) -> torch.Tensor:
        return F.normalize(embeddings, p=2.0, dim=-1) if self.normalize else embeddings

    def encode_audio(
        self, features: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self._finish(self.audio_head(self.audio_encoder(features, lengths)))

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
