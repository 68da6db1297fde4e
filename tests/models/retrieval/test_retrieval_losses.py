"""Scores and losses against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from aacr_lib.models.retrieval import (
    RetrievalLoss,
    bce_exp_euclidean_loss,
    info_nce_loss,
    sample_impostors,
    score_matrix,
    triplet_ranking_loss,
)

AUDIO = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
TEXT = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, -1.0]])


def test_scores():
    dot = score_matrix(AUDIO, TEXT, "dot")
    assert dot.tolist() == [[2.0, 0.0, 0.0], [0.0, 1.0, -1.0], [2.0, 1.0, -1.0]]
    cosine = score_matrix(AUDIO, TEXT, "cosine")
    assert cosine[2, 0].item() == pytest.approx(1 / math.sqrt(2))
    exp_dist = score_matrix(AUDIO, TEXT, "exp_neg_euclidean")
    assert exp_dist[0, 0].item() == pytest.approx(math.exp(-1.0))  # |(1,0) - (2,0)| = 1
    assert exp_dist[1, 1].item() == pytest.approx(1.0, abs=1e-5)  # identical vectors
    assert exp_dist[2, 2].item() == pytest.approx(math.exp(-math.sqrt(5)))


def test_triplet_ranking_loss_by_hand():
    # Pair 0: audio impostor 1, text impostor 2. S00 = 2, S10 = 0, S02 = 0, margin 1:
    #   relu(1 + 0 - 2) + relu(1 + 0 - 2) = 0.
    # Pair 1: audio impostor 2, text impostor 0. S11 = 1, S21 = 1, S10 = 0:
    #   relu(1 + 1 - 1) + relu(1 + 0 - 1) = 1.
    # Pair 2: audio impostor 0, text impostor 1. S22 = -1, S02 = 0, S21 = 1:
    #   relu(1 + 0 + 1) + relu(1 + 1 + 1) = 5.
    loss = triplet_ranking_loss(
        AUDIO, TEXT, torch.tensor([1, 2, 0]), torch.tensor([2, 0, 1]), margin=1.0
    )
    assert loss.item() == pytest.approx((0 + 1 + 5) / 3)
    # -1 = no impostor: that hinge is left out, the mean still divides by the batch size.
    none = triplet_ranking_loss(
        AUDIO, TEXT, torch.tensor([-1, 2, 0]), torch.tensor([-1, 0, -1]), margin=1.0
    )
    assert none.item() == pytest.approx((0 + 1 + 2) / 3)


def test_impostors_come_from_other_clips_and_differ():
    groups = torch.tensor([0, 0, 1, 1, 2, 3, 3, 4])
    generator = torch.Generator().manual_seed(0)
    for _ in range(50):
        audio_imp, text_imp = sample_impostors(groups, generator)
        assert (groups[audio_imp] != groups).all()
        assert (groups[text_imp] != groups).all()
        assert (audio_imp != text_imp).all()
    # Only one clip in the batch: no impostor at all.
    audio_imp, text_imp = sample_impostors(torch.tensor([5, 5]))
    assert audio_imp.tolist() == [-1, -1] and text_imp.tolist() == [-1, -1]


def test_bce_exp_euclidean_by_hand():
    audio = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    text = torch.tensor([[0.0, 1.0], [3.0, 4.0]])
    # distances: d00 = 1, d11 = 0 (clamped to 1e-6), d01 = 5, d10 = sqrt(9 + 9) = sqrt(18)
    positives = (1.0 + 1e-6) / 2
    negatives = (-math.log(1 - math.exp(-5.0)) - math.log(1 - math.exp(-math.sqrt(18)))) / 2
    loss = bce_exp_euclidean_loss(audio, text, torch.tensor([0, 1]))
    assert loss.item() == pytest.approx(positives + negatives, rel=1e-5)


def test_info_nce_by_hand_and_multi_positive():
    audio = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    text = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    t = 0.5
    c = 1 / math.sqrt(2)
    # logits: [[1, c], [0, c]] / t; rows are audio -> text, columns text -> audio.
    row0 = -math.log(math.exp(1 / t) / (math.exp(1 / t) + math.exp(c / t)))
    row1 = -math.log(math.exp(c / t) / (math.exp(0) + math.exp(c / t)))
    col0 = -math.log(math.exp(1 / t) / (math.exp(1 / t) + math.exp(0)))
    col1 = -math.log(math.exp(c / t) / (math.exp(c / t) + math.exp(c / t)))
    expected = ((row0 + row1) / 2 + (col0 + col1) / 2) / 2
    assert info_nce_loss(audio, text, torch.tensor([0, 1]), t).item() == pytest.approx(expected)
    # Two captions of one clip: each is a positive of the other's audio (target 1/2 each).
    same = info_nce_loss(audio, text, torch.tensor([7, 7]), t)
    per_row = -0.5 * torch.log_softmax(torch.tensor([[1.0, c], [0.0, c]]) / t, dim=1).sum(1)
    per_col = -0.5 * torch.log_softmax(torch.tensor([[1.0, 0.0], [c, c]]) / t, dim=1).sum(1)
    assert same.item() == pytest.approx(((per_row.mean() + per_col.mean()) / 2).item())


def test_retrieval_loss_module_groups_by_file_name_and_is_seedable():
    loss = RetrievalLoss("triplet", margin=1.0)
    names = ["a.wav", "b.wav", "c.wav"]
    first = loss(AUDIO, TEXT, names, torch.Generator().manual_seed(3))
    second = loss(AUDIO, TEXT, names, torch.Generator().manual_seed(3))
    assert first.item() == second.item()
    with pytest.raises(ValueError, match="loss must be"):
        RetrievalLoss("hinge")
    for name in ("bce_exp_euclidean", "infonce"):
        value = RetrievalLoss(name)(AUDIO.requires_grad_(), TEXT, names)
        value.backward()
        assert torch.isfinite(value)
