"""Audio-text scores and the training losses of the retrieval experiments.

Scores (`score_matrix`), for audio embeddings `a` and text embeddings `t`:

- `dot`: `a . t` (the baseline; equal to cosine when the model L2-normalises);
- `cosine`: `a . t / (|a| |t|)`;
- `exp_neg_euclidean`: `exp(-|a - t|)`, bounded in (0, 1] (Elizalde et al. 2019; the report's
  section 6.2.5 proposal).

Losses, all over one batch of (clip, caption) pairs whose clip identities are `groups` (two
captions of the same clip in a batch are never each other's negatives):

- `triplet_ranking_loss`: the baseline's. For each pair i, one random impostor clip and one
  random impostor caption from the batch (different clips; the two impostors differ);
  `relu(m + S(a_imp, t_i) - S(a_i, t_i)) + relu(m + S(a_i, t_imp) - S(a_i, t_i))`, summed
  over the batch and divided by the batch size.
- `bce_exp_euclidean_loss`: binary cross-entropy on `p = exp(-|a - t|)` for every audio-text
  pair of the batch (label 1 for the same clip, else 0); positives and negatives are averaged
  separately and added, so the many negatives do not swamp the few positives.
- `info_nce_loss`: symmetric InfoNCE (CLIP/CLAP style) on cosine similarities divided by a
  temperature; pairs of the same clip share the target probability.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

SCORES = ("dot", "cosine", "exp_neg_euclidean")
LOSSES = ("triplet", "bce_exp_euclidean", "infonce")


def score_matrix(audio: torch.Tensor, text: torch.Tensor, score: str = "dot") -> torch.Tensor:
    """Scores of every audio row against every text row: `[N_audio, N_text]`."""
    if score == "dot":
        return audio @ text.T
    if score == "cosine":
        return F.normalize(audio, dim=-1) @ F.normalize(text, dim=-1).T
    if score == "exp_neg_euclidean":
        return torch.exp(-euclidean_distances(audio, text))
    raise ValueError(f"score must be one of {SCORES}, got {score!r}")


def euclidean_distances(audio: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
    """`|a_i - t_j|` for every pair, with a gradient that stays finite at distance 0."""
    squared = (audio.unsqueeze(1) - text.unsqueeze(0)).pow(2).sum(-1)
    return torch.sqrt(squared.clamp(min=1e-12))


def group_ids(groups: Sequence[Hashable] | torch.Tensor, device=None) -> torch.Tensor:
    """Integer ids for clip identities (file names or ids), equal ids for equal clips."""
    if isinstance(groups, torch.Tensor):
        return groups.to(device=device, dtype=torch.long)
    index: dict[Hashable, int] = {}
    ids = [index.setdefault(group, len(index)) for group in groups]
    return torch.tensor(ids, dtype=torch.long, device=device)


def sample_impostors(
    groups: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """One impostor clip and one impostor caption per pair, uniformly from the batch.

    Returns two index tensors `[N]`: `audio_impostors[i]` is a pair of another clip;
    `text_impostors[i]` a pair of another clip that is not `audio_impostors[i]` (the baseline's
    rule). -1 marks a pair with no possible impostor (every pair is of the same clip).
    """
    n = groups.shape[0]
    other_clip = groups.unsqueeze(0) != groups.unsqueeze(1)
    draws = torch.rand((2, n, n), generator=generator).to(groups.device)
    audio_draw = torch.where(other_clip, draws[0], torch.full_like(draws[0], -1.0))
    audio_impostors = audio_draw.argmax(dim=1)
    has_audio = other_clip.any(dim=1)
    not_audio = torch.arange(n, device=groups.device).unsqueeze(0) != audio_impostors.unsqueeze(1)
    text_ok = other_clip & not_audio
    text_draw = torch.where(text_ok, draws[1], torch.full_like(draws[1], -1.0))
    text_impostors = text_draw.argmax(dim=1)
    has_text = text_ok.any(dim=1)
    audio_impostors = torch.where(has_audio, audio_impostors, -1)
    text_impostors = torch.where(has_text, text_impostors, -1)
    return audio_impostors, text_impostors


def triplet_ranking_loss(
    audio: torch.Tensor,
    text: torch.Tensor,
    audio_impostors: torch.Tensor,
    text_impostors: torch.Tensor,
    margin: float = 1.0,
    score: str = "dot",
) -> torch.Tensor:
    """The baseline's triplet ranking loss with given impostor indices (-1 = none)."""
    n = audio.shape[0]
    rows = torch.arange(n, device=audio.device)
    scores = score_matrix(audio, text, score)  # [audio, text]
    positive = scores[rows, rows]
    audio_ok = audio_impostors >= 0
    text_ok = text_impostors >= 0
    impostor_audio = scores[audio_impostors.clamp(min=0), rows]  # S(a_imp, t_i)
    impostor_text = scores[rows, text_impostors.clamp(min=0)]  # S(a_i, t_imp)
    audio_hinge = F.relu(margin + impostor_audio - positive) * audio_ok
    text_hinge = F.relu(margin + impostor_text - positive) * text_ok
    return (audio_hinge + text_hinge).sum() / n


def bce_exp_euclidean_loss(
    audio: torch.Tensor, text: torch.Tensor, groups: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """Balanced binary cross-entropy on `p = exp(-|a - t|)` over all pairs of the batch.

    `-log p` is the distance itself, and `-log(1 - p)` is computed as `-log(-expm1(-d))`,
    which stays accurate for both small and large distances.
    """
    distances = euclidean_distances(audio, text)
    positive = groups.unsqueeze(1) == groups.unsqueeze(0)
    positive_term = distances  # -log(exp(-d))
    negative_term = -torch.log((-torch.expm1(-distances)).clamp(min=eps))
    pos_loss = positive_term[positive].mean()
    negatives = ~positive
    neg_loss = negative_term[negatives].mean() if negatives.any() else distances.new_zeros(())
    return pos_loss + neg_loss


def info_nce_loss(
    audio: torch.Tensor, text: torch.Tensor, groups: torch.Tensor, temperature: float = 0.07
) -> torch.Tensor:
    """Symmetric InfoNCE on cosine similarities / temperature, multi-positive by clip."""
    logits = score_matrix(audio, text, "cosine") / temperature
    positive = (groups.unsqueeze(1) == groups.unsqueeze(0)).to(logits.dtype)
    targets = positive / positive.sum(dim=1, keepdim=True)
    audio_to_text = -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    text_to_audio = -(targets.T * F.log_softmax(logits.T, dim=1)).sum(dim=1).mean()
    return (audio_to_text + text_to_audio) / 2


class RetrievalLoss(nn.Module):
    """One configured loss: `loss(audio, text, groups, generator=None) -> scalar`.

    `generator` seeds the triplet loss's impostor draws (a fixed one makes validation losses
    comparable between epochs).
    """

    def __init__(
        self,
        name: str = "triplet",
        margin: float = 1.0,
        score: str = "dot",
        temperature: float = 0.07,
    ) -> None:
        super().__init__()
        if name not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {name!r}")
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}, got {score!r}")
        self.name = name
        self.margin = margin
        self.score = score
        self.temperature = temperature

    def forward(
        self,
        audio: torch.Tensor,
        text: torch.Tensor,
        groups: Sequence[Hashable] | torch.Tensor,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        ids = group_ids(groups, device=audio.device)
        if self.name == "triplet":
            audio_impostors, text_impostors = sample_impostors(ids, generator)
            return triplet_ranking_loss(
                audio, text, audio_impostors, text_impostors, self.margin, self.score
            )
        if self.name == "bce_exp_euclidean":
            return bce_exp_euclidean_loss(audio, text, ids)
        return info_nce_loss(audio, text, ids, self.temperature)
