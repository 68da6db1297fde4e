"""The retrieval task's configuration: one base dataclass (the DCASE 2022 baseline), resolved
with an experiment overlay, a profile overlay and `KEY=VALUE` overrides (`aacr_lib.config`).

The defaults are the baseline of xieh97/dcase2022-audio-retrieval as of its current code:
log-mel input, CRNN (BN -> Conv -> LeakyReLU blocks, BiGRU 150 x 2, dropout 0.3), frozen
Word2Vec GoogleNews-300 mean vectors, L2-normalised embeddings scored by dot product, triplet
ranking loss with margin 1.0, Adam 1e-3, batch 32, ReduceLROnPlateau(0.1, 5, 0.01 abs).
Where the report's code differs (BN after the activation, dropout 0.5, batch 64, margin 2.0, no
L2 normalisation) the difference is a config value, e.g.
`model.audio.block_order=conv_act_bn model.audio.dropout=0.5 loss.margin=2.0`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class AudioConfig:
    """Audio input features and the CRNN encoder."""

    features: Literal["logmel", "vggish"] = "logmel"
    rnn: Literal["gru", "lstm"] = "gru"
    block_order: Literal["bn_conv_act", "conv_act_bn"] = "bn_conv_act"
    channels: tuple[int, ...] = (32, 128, 128, 128, 128)
    dropout: float = 0.3
    out_dim: int = 300
    up_sampling: bool = True
    # Average every N input frames before the CNN (1: the baseline; the demo uses 8, i.e.
    # 160 ms frames, to fit a small CPU).
    input_pool: int = 1


@dataclass
class TextConfig:
    """The frozen text encoder."""

    encoder: Literal["word2vec", "sentence_transformer"] = "word2vec"
    # google_news: the baseline's vectors (needs gensim's download); trained: a Word2Vec
    # trained on the training captions and saved with the run (offline).
    word2vec_source: Literal["google_news", "trained"] = "google_news"
    word2vec_epochs: int = 30
    sentence_model: str = "all-MiniLM-L6-v2"
    allow_download: bool = True


@dataclass
class ProjectionConfig:
    """The report's shared embedding space: `none`, `shared` (one Linear on both sides, the
    report's code) or `separate` (one Linear per side)."""

    kind: Literal["none", "shared", "separate"] = "none"
    dim: int = 0


@dataclass
class ModelConfig:
    audio: AudioConfig = field(default_factory=AudioConfig)
    text: TextConfig = field(default_factory=TextConfig)
    projection: ProjectionConfig = field(default_factory=ProjectionConfig)
    normalize: bool = True
    score: Literal["dot", "cosine", "exp_neg_euclidean"] = "dot"


@dataclass
class LossConfig:
    name: Literal["triplet", "bce_exp_euclidean", "infonce"] = "triplet"
    margin: float = 1.0
    temperature: float = 0.07


@dataclass
class TrainingConfig:
    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    plateau_factor: float = 0.1
    plateau_patience: int = 5
    plateau_threshold: float = 0.01
    early_stopping_patience: int = 10
    # "pairs": every (clip, caption) pair is an example (the baseline: 5 per clip and epoch);
    # "clips": every clip is an example with all its captions, so its audio is encoded once for
    # its five pairs (`batch_size` then counts clips; the same pairs, a fifth of the audio cost).
    examples: Literal["pairs", "clips"] = "pairs"
    # Crop training clips to this many frames at a random position (None: whole clips).
    max_frames: int | None = None
    # Limits for smoke runs: stop an epoch after this many optimiser steps (None: no limit).
    max_steps_per_epoch: int | None = None
    eval_batch_size: int = 32
    num_workers: int = 0


@dataclass
class CaptionBasedConfig:
    """Caption-based retrieval (the report's section 3.2): caption every clip with a trained
    captioning run, then rank clips by the cosine between query and generated captions."""

    captioning_experiment: str = "baseline"
    captioning_run: str | None = None
    sentence_model: str = "all-MiniLM-L6-v2"


@dataclass
class DataConfig:
    # A dataset name under the data root (`clotho`, `clothomix`); `--data-dir` can point
    # elsewhere. Part of the config so that runs on different data never share a directory.
    dataset: str = "clotho"
    train_split: str = "development"
    validation_split: str = "validation"
    evaluation_split: str = "evaluation"
    # Use only the first N clips of each split (None: all); for smoke runs.
    max_clips: int | None = None


@dataclass
class RetrievalConfig:
    method: Literal["embedding", "caption_based"] = "embedding"
    seed: int = 16
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    caption_based: CaptionBasedConfig = field(default_factory=CaptionBasedConfig)
