"""Training a retrieval model with the shared `accelerate` loop (`aacr_lib.training.fit`).

Data: every (clip, caption) pair of the training split is one example (5 per Clotho clip);
the caption's vector comes from the frozen text encoder, computed once before training.
Validation examples are whole clips with all their captions, so each validation clip is
encoded once per epoch (the loss is the same sum over pairs). The validation pass also leaves
the embeddings from which the per-epoch R@k / mAP@10 curves are computed (`Task.evaluate`).

Optimisation is the baseline's (`config.training`, the shared `TrainingConfig`): Adam (= AdamW
without weight decay), no gradient clipping, ReduceLROnPlateau on the validation loss, early
stopping, the best weights by validation loss.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from aacr_lib.data.datasets import collate_padded
from aacr_lib.events.vocabulary import NUM_CLASSES as EVENT_DIM
from aacr_lib.features.splits import SplitData
from aacr_lib.models.retrieval import AudioTextModel, CRNNEncoder, RetrievalLoss
from aacr_lib.retrieval import ranking
from aacr_lib.retrieval.config import RetrievalConfig
from aacr_lib.training import Task, TrainingConfig
from aacr_lib.training.distributed import gather_lists
from aacr_lib.training.loop import validation_loss as shard_validation_loss

TASK = "retrieval"


class RandomCrop:
    """A random window of at most `max_frames` frames, drawn from torch's (checkpointed) RNG."""

    def __init__(self, max_frames: int) -> None:
        self.max_frames = max_frames

    def __call__(self, features: np.ndarray) -> np.ndarray:
        extra = features.shape[0] - self.max_frames
        if extra <= 0:
            return features
        start = int(torch.randint(0, extra + 1, (1,)).item())
        return features[start : start + self.max_frames]


class TextTable:
    """Caption -> row of a precomputed matrix of frozen text vectors."""

    def __init__(self, captions: Sequence[str], vectors: np.ndarray) -> None:
        self.rows = {caption: row for row, caption in enumerate(captions)}
        self.vectors = np.asarray(vectors, dtype=np.float32)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def lookup(self, captions: Sequence[str]) -> torch.Tensor:
        return torch.from_numpy(self.vectors[[self.rows[c] for c in captions]])


class RetrievalCollate:
    """Pads clips and attaches text vectors; examples hold one caption (a training pair) or a
    tuple of captions (a validation clip). `pair_clip[p]` is the clip row of caption `p`."""

    def __init__(self, table: TextTable) -> None:
        self.table = table

    def __call__(self, examples: Sequence[tuple[np.ndarray, Any, str]]) -> dict[str, Any]:
        batch = collate_padded(examples)
        captions: list[str] = []
        pair_clip: list[int] = []
        for row, caption_or_captions in enumerate(batch["captions"]):
            group = (
                [caption_or_captions]
                if isinstance(caption_or_captions, str)
                else list(caption_or_captions)
            )
            captions.extend(group)
            pair_clip.extend([row] * len(group))
        batch["pair_captions"] = captions
        batch["pair_clip"] = torch.tensor(pair_clip, dtype=torch.long)
        batch["text_vectors"] = self.table.lookup(captions)
        return batch


def build_retrieval_model(
    config: RetrievalConfig, feature_dim: int, text_dim: int
) -> AudioTextModel:
    """The CRNN + projection model of a config, for inputs of `feature_dim` features (and,
    with `data.events`, the event probabilities joined after them)."""
    audio = config.model.audio
    encoder = CRNNEncoder(
        in_dim=feature_dim,
        out_dim=audio.out_dim,
        rnn=audio.rnn,
        block_order=audio.block_order,
        dropout=audio.dropout,
        up_sampling=audio.up_sampling,
        channels=tuple(audio.channels),
        input_pool=audio.input_pool,
    )
    return AudioTextModel(
        encoder,
        audio_dim=audio.out_dim,
        text_dim=text_dim,
        projection=config.model.projection.kind,
        projection_dim=config.model.projection.dim,
        normalize=config.model.normalize,
        event_dim=EVENT_DIM if config.data.events.enabled else 0,
        event_threshold=config.data.events.threshold,
    )


def _batch_generator(file_names: Sequence[str]) -> torch.Generator:
    # Validation impostors depend on the batch's clips only, so validation losses of different
    # epochs are comparable (and identical for identical models).
    seed = zlib.crc32("\n".join(file_names).encode("utf-8"))
    return torch.Generator().manual_seed(seed)


@dataclass
class ValidationRecord:
    """What one validation pass leaves behind: the embeddings it computed."""

    clip_names: list[str] | None = None
    clip_vectors: list[np.ndarray] | None = None
    captions: list[str] | None = None
    caption_vectors: list[np.ndarray] | None = None

    def reset(self) -> None:
        self.clip_names, self.clip_vectors, self.captions, self.caption_vectors = [], [], [], []


class RetrievalTask(Task):
    """The retrieval task for the shared loop."""

    def __init__(
        self,
        config: RetrievalConfig,
        model: AudioTextModel,
        table: TextTable,
        train: SplitData,
        validation: SplitData,
    ) -> None:
        self.config = config
        self.model = model
        self.criterion = RetrievalLoss(
            config.loss.name,
            margin=config.loss.margin,
            score=config.model.score,
            temperature=config.loss.temperature,
        )
        crop_frames = config.data.crop_frames
        crop = RandomCrop(crop_frames) if crop_frames else None
        if config.data.examples == "clips":
            self.train_dataset = train.clips(transform=crop)
        else:
            self.train_dataset = train.pairs(transform=crop)
        self.validation_items = list(validation.items)
        self.validation_dataset = validation.clips()
        self.collate_fn = RetrievalCollate(table)
        self.record = ValidationRecord()
        self.record.reset()

    def batch_size_of(self, batch: dict[str, Any]) -> int:
        return len(batch["pair_captions"])

    def loss(self, model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        audio, text = model(batch["inputs"], batch["text_vectors"], batch["lengths"])
        pair_clip = batch["pair_clip"]
        groups = [batch["file_names"][i] for i in pair_clip.tolist()]
        # Under mixed precision the encoders run in fp16/bf16, the scores and the loss in fp32
        # (as the report's AMP code does): unnormalised dot products and margins lose too much
        # in half precision.
        audio, text = audio.float(), text.float()
        with torch.autocast(audio.device.type, enabled=False):
            if model.training:
                return self.criterion(audio[pair_clip], text, groups)
            self._record(batch, audio, text)
            return self.criterion(audio[pair_clip], text, groups, _batch_generator(groups))

    def _record(self, batch, audio: torch.Tensor, text: torch.Tensor) -> None:
        record = self.record
        record.clip_names.extend(batch["file_names"])
        record.clip_vectors.extend(audio.detach().float().cpu().numpy())
        record.captions.extend(batch["pair_captions"])
        record.caption_vectors.extend(text.detach().float().cpu().numpy())

    def validation_loss(self, model: nn.Module, accelerator: Any, config: TrainingConfig) -> float:
        """The validation loss in fixed batches of `eval_batch_size` clips, in split order.

        The triplet loss draws its impostors inside a batch, so the loss of a data-parallel
        pass (each process batching its own shard) would depend on the number of processes.
        Each process embeds its shard; the embeddings are gathered, and the loss is computed
        on them in the batches a single process would use: the same value for any process
        count. The gathered embeddings also give `evaluate` its R@k / mAP@10.
        """
        self.record.reset()
        shard_validation_loss(self, model, accelerator, config)  # embeds this shard
        record = self.record
        if accelerator is not None and accelerator.num_processes > 1:
            for name in ("clip_names", "clip_vectors", "captions", "caption_vectors"):
                setattr(record, name, gather_lists(getattr(record, name), accelerator))
        if not record.clip_names:
            return float("nan")
        clip_vectors = dict(zip(record.clip_names, record.clip_vectors, strict=True))
        caption_vectors = dict(zip(record.captions, record.caption_vectors, strict=True))
        device = accelerator.device if accelerator is not None else torch.device("cpu")
        items = self.validation_items
        total, pairs = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(items), config.eval_batch_size):
                batch_items = items[start : start + config.eval_batch_size]
                pair_clip = [row for row, item in enumerate(batch_items) for _ in item.captions]
                captions = [caption for item in batch_items for caption in item.captions]
                groups = [batch_items[row].file_name for row in pair_clip]
                audio = torch.from_numpy(np.stack([clip_vectors[i.file_name] for i in batch_items]))
                text = torch.from_numpy(np.stack([caption_vectors[c] for c in captions]))
                loss = self.criterion(
                    audio.to(device)[pair_clip], text.to(device), groups, _batch_generator(groups)
                )
                total += float(loss) * len(captions)
                pairs += len(captions)
        return total / pairs

    def evaluate(self, model: nn.Module, accelerator: Any, epoch: int) -> dict[str, Any]:
        """Validation R@k / mAP@10 from the embeddings gathered by `validation_loss`."""
        record = self.record
        metrics: dict[str, Any] = {}
        if record.clip_names:
            queries = ranking.Queries.from_items(self.validation_items)
            caption_vectors = dict(zip(record.captions, record.caption_vectors, strict=True))
            clip_vectors = dict(zip(record.clip_names, record.clip_vectors, strict=True))
            rows = ranking.scores(
                np.stack([caption_vectors[c] for c in queries.captions]),
                np.stack([clip_vectors[name] for name in queries.clip_names]),
                self.config.model.score,
            )
            metrics = queries.metrics(rows).metrics
        record.reset()
        return metrics
