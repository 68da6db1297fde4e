"""Retrieval models: the baseline CRNN audio encoder, the audio-text model, scores and losses."""

from aacr_lib.models.retrieval.crnn import CNNFrontEnd, CRNNEncoder, count_parameters
from aacr_lib.models.retrieval.losses import (
    LOSSES,
    SCORES,
    RetrievalLoss,
    bce_exp_euclidean_loss,
    info_nce_loss,
    sample_impostors,
    score_matrix,
    triplet_ranking_loss,
)
from aacr_lib.models.retrieval.model import PROJECTIONS, AudioTextModel

__all__ = [
    "LOSSES",
    "PROJECTIONS",
    "SCORES",
    "AudioTextModel",
    "CNNFrontEnd",
    "CRNNEncoder",
    "RetrievalLoss",
    "bce_exp_euclidean_loss",
    "count_parameters",
    "info_nce_loss",
    "sample_impostors",
    "score_matrix",
    "triplet_ranking_loss",
]
