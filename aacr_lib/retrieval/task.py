"""Training a retrieval model with the shared `accelerate` loop (`aacr_lib.training.fit`).

Data: every (clip, caption) pair of the training split is one example (5 per Clotho clip);
the caption's vector comes from the frozen text encoder, computed once before training.
Validation examples are whole clips with all their captions, so each validation clip is
encoded once per epoch (the loss is the same sum over pairs). The validation pass also leaves
the embeddings from which the per-epoch R@k / mAP@10 curves are computed (`Task.evaluate`).

Optimisation is the baseline's: Adam (= AdamW without weight decay), no gradient clipping,
ReduceLROnPlateau on the validation loss, early stopping, the best weights by validation loss.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from aacr_lib.data.clotho import ClothoItem
from aacr_lib.data.datasets import CaptionPairDataset, ClipDataset, collate_padded
from aacr_lib.models.retrieval import AudioTextModel, CRNNEncoder, RetrievalLoss
from aacr_lib.retrieval import ranking
from aacr_lib.retrieval.config import RetrievalConfig
from aacr_lib.training import Task
from aacr_lib.training import TrainingConfig as LoopConfig


class FeatureLoader:
    """`load_input(item)` reading a clip's features from a feature cache (picklable)."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    def __call__(self, item: ClothoItem) -> np.ndarray:
        return self.cache[item.file_name]


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


class PlateauSchedule:
    """ReduceLROnPlateau in the place of the loop's per-step scheduler.

    The loop calls `step()` after every optimiser step (a no-op here) and saves
    `state_dict()` in each epoch checkpoint; `epoch_end(val_loss)` applies the plateau rule
    once per epoch (called from `RetrievalTask.evaluate`, before the checkpoint is written, so a
    resumed run continues with the same learning rate and patience counters).
    """

    def __init__(self, optimizer, factor: float, patience: int, threshold: float) -> None:
        self.optimizer = optimizer
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            mode="min",
            factor=factor,
            patience=patience,
            threshold=threshold,
            threshold_mode="abs",
        )

    def step(self) -> None:
        """Per optimiser step: nothing (the rule is applied once per epoch)."""

    def epoch_end(self, val_loss: float) -> None:
        if np.isfinite(val_loss):
            self.plateau.step(val_loss)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return self.plateau.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.plateau.load_state_dict(state)


@contextlib.contextmanager
def plateau_scheduler(task: RetrievalTask, config: RetrievalConfig) -> Iterator[None]:
    """Make `fit` use a `PlateauSchedule` (kept on `task.schedule`) while the block runs.

    The shared loop builds its scheduler in `loop._make_scheduler` and offers linear or
    constant schedules only; until it offers a plateau schedule, this swaps the builder for
    the duration of one `fit` call.
    """
    from aacr_lib.training import loop

    original = loop._make_scheduler
    training = config.training

    def make(optimizer, loop_config, total_steps):
        task.schedule = PlateauSchedule(
            optimizer,
            training.plateau_factor,
            training.plateau_patience,
            training.plateau_threshold,
        )
        return task.schedule

    loop._make_scheduler = make
    try:
        yield
    finally:
        loop._make_scheduler = original


def loop_config(config: RetrievalConfig) -> LoopConfig:
    """The shared loop's settings for a retrieval config."""
    training = config.training
    return LoopConfig(
        epochs=training.epochs,
        batch_size=training.batch_size,
        grad_accumulation=1,
        lr=training.lr,
        weight_decay=training.weight_decay,
        schedule="constant",
        max_grad_norm=0.0,  # the baseline does not clip gradients
        seed=config.seed,
        early_stopping_patience=training.early_stopping_patience,
        max_steps_per_epoch=training.max_steps_per_epoch,
        eval_batch_size=training.eval_batch_size,
        num_workers=training.num_workers,
        keep_checkpoints=1,
    )


def build_model(config: RetrievalConfig, feature_dim: int, text_dim: int) -> AudioTextModel:
    """The CRNN + projection model of a config, for inputs of `feature_dim` features."""
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
    )


def _batch_generator(file_names: Sequence[str]) -> torch.Generator:
    # Validation impostors depend on the batch's clips only, so validation losses of different
    # epochs are comparable (and identical for identical models).
    seed = zlib.crc32("\n".join(file_names).encode("utf-8"))
    return torch.Generator().manual_seed(seed)


@dataclass
class ValidationRecord:
    """What one validation pass leaves behind: loss sums and the embeddings it computed."""

    loss_sum: float = 0.0
    pairs: int = 0
    clip_names: list[str] | None = None
    clip_vectors: list[np.ndarray] | None = None
    captions: list[str] | None = None
    caption_vectors: list[np.ndarray] | None = None

    def reset(self) -> None:
        self.loss_sum, self.pairs = 0.0, 0
        self.clip_names, self.clip_vectors, self.captions, self.caption_vectors = [], [], [], []


class RetrievalTask(Task):
    """The retrieval task for the shared loop."""

    def __init__(
        self,
        config: RetrievalConfig,
        model: AudioTextModel,
        table: TextTable,
        train_items: Sequence[ClothoItem],
        validation_items: Sequence[ClothoItem],
        train_loader: FeatureLoader,
        validation_loader: FeatureLoader,
    ) -> None:
        self.config = config
        self.model = model
        self.criterion = RetrievalLoss(
            config.loss.name,
            margin=config.loss.margin,
            score=config.model.score,
            temperature=config.loss.temperature,
        )
        max_frames = config.training.max_frames
        crop = RandomCrop(max_frames) if max_frames else None
        if config.training.examples == "clips":
            self.train_dataset = ClipDataset(train_items, train_loader, transform=crop)
        else:
            self.train_dataset = CaptionPairDataset(train_items, train_loader, transform=crop)
        self.validation_items = list(validation_items)
        self.validation_dataset = ClipDataset(validation_items, validation_loader)
        self.collate_fn = RetrievalCollate(table)
        self.schedule: PlateauSchedule | None = None
        self.record = ValidationRecord()
        self.record.reset()

    def batch_size_of(self, batch: dict[str, Any]) -> int:
        return len(batch["pair_captions"])

    def loss(self, model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        audio, text = model(batch["inputs"], batch["text_vectors"], batch["lengths"])
        pair_clip = batch["pair_clip"]
        groups = [batch["file_names"][i] for i in pair_clip.tolist()]
        if model.training:
            return self.criterion(audio[pair_clip], text, groups)
        loss = self.criterion(audio[pair_clip], text, groups, _batch_generator(groups))
        self._record(batch, audio, text, float(loss))
        return loss

    def _record(self, batch, audio: torch.Tensor, text: torch.Tensor, loss: float) -> None:
        record = self.record
        pairs = len(batch["pair_captions"])
        record.loss_sum += loss * pairs
        record.pairs += pairs
        record.clip_names.extend(batch["file_names"])
        record.clip_vectors.extend(audio.detach().float().cpu().numpy())
        record.captions.extend(batch["pair_captions"])
        record.caption_vectors.extend(text.detach().float().cpu().numpy())

    def evaluate(self, model: nn.Module, accelerator: Any, epoch: int) -> dict[str, Any]:
        """Validation R@k / mAP@10 from the validation pass; applies the plateau rule."""
        record = self.record
        totals = torch.tensor([record.loss_sum, record.pairs], dtype=torch.float64)
        if accelerator is not None and accelerator.num_processes > 1:
            totals = accelerator.reduce(totals.to(accelerator.device), reduction="sum").cpu()
        val_loss = float(totals[0] / totals[1]) if totals[1] > 0 else float("nan")
        metrics: dict[str, Any] = {}
        if accelerator is not None and accelerator.num_processes > 1:
            from aacr_lib.training.distributed import gather_lists

            for name in ("clip_names", "clip_vectors", "captions", "caption_vectors"):
                setattr(record, name, gather_lists(getattr(record, name), accelerator))
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
        if self.schedule is not None:
            self.schedule.epoch_end(val_loss)
        record.reset()
        return metrics
