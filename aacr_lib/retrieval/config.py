"""The retrieval task's configuration: one base dataclass (the DCASE 2022 baseline), resolved
with an experiment overlay, a profile overlay and `KEY=VALUE` overrides (`aacr_lib.config`).

The defaults are the baseline of xieh97/dcase2022-audio-retrieval as of its current code:
log-mel input, CRNN (BN -> Conv -> LeakyReLU blocks, BiGRU 150 x 2, dropout 0.3), frozen
Word2Vec GoogleNews-300 mean vectors, L2-normalised embeddings scored by dot product, triplet
ranking loss with margin 1.0, Adam 1e-3, batch 32, ReduceLROnPlateau(0.1, 5, 0.01 abs), all in
the shared `TrainingConfig` (so mixed precision, clipping and the other schedules are reachable
by `KEY=VALUE` too).
Where the report's code differs (BN after the activation, dropout 0.5, batch 64, margin 2.0, no
L2 normalisation, fp16 AMP) the difference is a config value, e.g.
`model.audio.block_order=conv_act_bn model.audio.dropout=0.5 loss.margin=2.0
model.normalize=false training.batch_size=64 training.mixed_precision=fp16`; the experiment
`report_baseline` sets them all (`aacr_lib.retrieval.experiments.report_fork`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from aacr_lib.data.config import DataConfig
from aacr_lib.training.config import TrainingConfig


@dataclass
class AudioConfig:
    """The CRNN audio encoder (its input features are `data.features`)."""

    rnn: Literal["gru", "lstm"] = "gru"
    # Each conv block: "bn_conv_act" BatchNorm -> Conv -> LeakyReLU (the baseline's code);
    # "conv_act_bn" Conv -> LeakyReLU -> BatchNorm (the report's fork).
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
    # google_news: the baseline's vectors (`aacr setup word2vec_google_news`, never fetched in
    # training); trained: a Word2Vec trained on the training captions, saved with the run.
    word2vec_source: Literal["google_news", "trained"] = "google_news"
    word2vec_epochs: int = 30
    sentence_model: str = "all-MiniLM-L6-v2"


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
class RetrievalLossConfig:
    name: Literal["triplet", "bce_exp_euclidean", "infonce"] = "triplet"
    margin: float = 1.0
    temperature: float = 0.07


def baseline_training() -> TrainingConfig:
    """The shared loop's settings of the retrieval baseline: Adam 1e-3 (AdamW without weight
    decay), batch 32, up to 50 epochs, ReduceLROnPlateau(0.1, 5, 0.01 abs) on the validation
    loss, early stopping after 10 epochs without a lower validation loss, no gradient clipping,
    seed 16."""
    return TrainingConfig(
        epochs=50,
        batch_size=32,
        grad_accumulation=1,
        lr=1e-3,
        schedule="plateau",
        plateau_factor=0.1,
        plateau_patience=5,
        plateau_threshold=0.01,
        plateau_threshold_mode="abs",
        max_grad_norm=0.0,
        seed=16,
        early_stopping_patience=10,
    )


@dataclass
class CaptionBasedConfig:
    """Caption-based retrieval (the report's section 3.2): caption every clip with a trained
    captioning run, then rank clips by the cosine between query and generated captions.

    The captioner is the report's own model, the captioning experiment `final` (Table 9), as
    its section 3.2 plans ("our model from the previous audio captioning task");
    `caption_based.captioning_experiment=baseline` captions with the DCASE baseline instead.
    """

    captioning_experiment: str = "final"
    captioning_run: str | None = None
    # KEY=VALUE overrides of the captioner's config when it is trained here (the book passes
    # its chapter's captioning overrides, so chapter 07 reuses chapter 05's run).
    captioning_overrides: tuple[str, ...] = ()
    sentence_model: str = "all-MiniLM-L6-v2"


@dataclass
class RetrievalDataConfig(DataConfig):
    """Log-mel input (the baseline) or VGGish (`data.features=vggish`), and how clips batch."""

    features: str = "logmel"
    # "pairs": every (clip, caption) pair is an example (the baseline: 5 per clip and epoch);
    # "clips": every clip is an example with all its captions, so its audio is encoded once for
    # its five pairs (`training.batch_size` then counts clips; the same pairs, a fifth of the
    # audio cost).
    examples: Literal["pairs", "clips"] = "pairs"
    # Crop training clips to this many frames at a random position (None: whole clips).
    crop_frames: int | None = None


@dataclass
class RetrievalConfig:
    method: Literal["embedding", "caption_based"] = "embedding"
    data: RetrievalDataConfig = field(default_factory=RetrievalDataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: RetrievalLossConfig = field(default_factory=RetrievalLossConfig)
    training: TrainingConfig = field(default_factory=baseline_training)
    caption_based: CaptionBasedConfig = field(default_factory=CaptionBasedConfig)
