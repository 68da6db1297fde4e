"""Training the sound-event tagger with the shared `accelerate` loop (`aacr_lib.training.fit`).

Data: one example per clip, its log-mel frames (the split's feature cache) and its frame
targets: the ground truth of `aacr_lib.events.oracle` (`oracle_probabilities`: 1 where a
labelled sound plays in a 0.32 s frame, for its AudioSet class), restricted to the classes the
tagger predicts and put on the model's output grid (the same frames for ClothoMix's clips).
Loss: binary cross-entropy of every (frame, class) logit, padding frames excluded. The
validation pass keeps each clip's probabilities, from which `evaluate` computes the per-epoch
frame-level F1 and clip-level mAP of the history.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from aacr_lib.audio import audio_info
from aacr_lib.data.clotho import ClothoItem
from aacr_lib.data.datasets import collate_padded
from aacr_lib.errors import DataError
from aacr_lib.evaluation.tagging import clip_map
from aacr_lib.events.encodings import frame_probabilities
from aacr_lib.events.oracle import EventRow, oracle_probabilities
from aacr_lib.features.splits import SplitData
from aacr_lib.models.events.tagger import SoundEventTagger
from aacr_lib.tagging.config import AugmentConfig, TaggingConfig
from aacr_lib.training import Task
from aacr_lib.training.distributed import gather_lists

TASK = "tagging"


def build_tagger(
    config: TaggingConfig, feature_dim: int, classes: Sequence[int]
) -> SoundEventTagger:
    """The CRNN tagger of a config, for `feature_dim` input bins, over `classes`."""
    model = config.model
    return SoundEventTagger(
        in_bins=feature_dim,
        classes=classes,
        channels=tuple(model.channels),
        time_pools=tuple(model.time_pools),
        freq_pools=tuple(model.freq_pools),
        input_pool=model.input_pool,
        rnn_hidden=model.rnn_hidden,
        dropout=model.dropout,
        block_order=model.block_order,
        prior=model.prior,
    )


def output_frames(feature_frames: int, frames_per_output: int) -> int:
    """The tagger's output frames for a clip of `feature_frames` (`ceil`, at least 1)."""
    return max(1, -(-int(feature_frames) // int(frames_per_output)))


def clip_targets(
    rows: Sequence[EventRow],
    duration_seconds: float,
    hop_seconds: float,
    classes: Sequence[int],
    n_frames: int | None = None,
) -> np.ndarray:
    """float32 `[frames, len(classes)]`: the oracle's probabilities of `classes`, on
    `n_frames` frames (default: the oracle's own `frame_count`; another count is matched by
    position in the clip, `events.encodings.frame_probabilities`)."""
    oracle = oracle_probabilities(rows, duration_seconds, hop_seconds)
    if n_frames is not None and n_frames != oracle.shape[0]:
        oracle = frame_probabilities(oracle, n_frames)
    return np.ascontiguousarray(oracle[:, list(classes)], dtype=np.float32)


def split_targets(
    split: SplitData,
    events: Mapping[str, Sequence[EventRow]],
    hop_seconds: float,
    classes: Sequence[int],
    frames_per_output: int,
    events_path: str | os.PathLike = "the events CSV",
) -> dict[str, np.ndarray]:
    """Every clip's `clip_targets` on the tagger's grid (`events`: the split's rows of
    `events_path`); `DataError` for a clip without rows."""
    targets = {}
    for item in split.items:
        if item.file_name not in events:
            raise DataError(
                f"{events_path} has no row for {item.file_name!r}: the ground truth does not "
                "match the clips; rebuild ClothoMix with `aacr data demo`"
            )
        frames = output_frames(split.features[item.file_name].shape[0], frames_per_output)
        duration = audio_info(item.audio_path).duration
        targets[item.file_name] = clip_targets(
            events[item.file_name], duration, hop_seconds, classes, frames
        )
    return targets


LOG_GAIN_PER_DB = float(np.log(10.0) / 10.0)  # the log-mel is ln(power): +1 dB adds this


class TaggedClips(Dataset):
    """One example per clip: `(features [T, F], targets [T', C], file name)`; with `augment`
    (training), each example is augmented as `AugmentConfig` describes."""

    def __init__(
        self,
        items: Sequence[ClothoItem],
        features: Any,
        targets: Mapping[str, np.ndarray],
        augment: AugmentConfig | None = None,
    ) -> None:
        self.items = list(items)
        self.features = features
        self.targets = targets
        self.augment = augment
        lengths: dict[int, list[int]] = {}
        if augment is not None and augment.mix > 0:
            for index, item in enumerate(self.items):
                lengths.setdefault(features[item.file_name].shape[0], []).append(index)
        self.same_length = lengths

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, str]:
        name = self.items[index].file_name
        features, targets = self.features[name], self.targets[name]
        if self.augment is not None:
            features, targets = self._augmented(features, targets)
        return features, targets, name

    def _uniform(self, low: float, high: float) -> float:
        return float(low + (high - low) * torch.rand(()).item())

    def _integer(self, high: int) -> int:
        """A whole number in [0, high] from torch's RNG."""
        return int(torch.randint(0, max(int(high), 0) + 1, ()).item())

    def _augmented(self, features: np.ndarray, targets: np.ndarray):
        augment = self.augment
        features = np.array(features, dtype=np.float32)
        if augment.mix > 0 and torch.rand(()).item() < augment.mix:
            partners = self.same_length.get(features.shape[0], [])
            if len(partners) > 1:
                other = self.items[partners[self._integer(len(partners) - 1)]].file_name
                gain = self._uniform(-augment.gain_db, augment.gain_db) * LOG_GAIN_PER_DB
                features = np.logaddexp(features, self.features[other] + gain).astype(np.float32)
                targets = np.maximum(targets, self.targets[other])
        if augment.gain_db > 0:
            features += self._uniform(-augment.gain_db, augment.gain_db) * LOG_GAIN_PER_DB
        mean = float(features.mean())
        frames, bins = features.shape
        for _ in range(augment.freq_masks):
            width = self._integer(min(augment.freq_mask_bins, bins - 1))
            start = self._integer(bins - width)
            features[:, start : start + width] = mean
        for _ in range(augment.time_masks):
            width = self._integer(min(augment.time_mask_frames, frames - 1))
            start = self._integer(frames - width)
            features[start : start + width] = mean
        return features, targets


def collate_tagged(examples: Sequence[tuple[np.ndarray, np.ndarray, str]]) -> dict[str, Any]:
    """Padded features (`collate_padded`), plus `targets [B, T', C]` and `target_mask
    [B, T']` (True on each clip's own output frames)."""
    batch = collate_padded([(features, None, name) for features, _, name in examples])
    target_list = [torch.as_tensor(targets) for _, targets, _ in examples]
    longest = max(t.shape[0] for t in target_list)
    targets = torch.zeros(len(target_list), longest, target_list[0].shape[1])
    mask = torch.zeros(len(target_list), longest, dtype=torch.bool)
    for row, tensor in enumerate(target_list):
        targets[row, : tensor.shape[0]] = tensor
        mask[row, : tensor.shape[0]] = True
    batch["targets"] = targets
    batch["target_mask"] = mask
    return batch


def masked_bce(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over the (frame, class) pairs of real frames."""
    frames = min(logits.shape[1], targets.shape[1])
    logits, targets, mask = logits[:, :frames], targets[:, :frames], mask[:, :frames]
    losses = F.binary_cross_entropy_with_logits(logits.float(), targets, reduction="none")
    weights = mask.unsqueeze(-1).to(losses.dtype)
    return (losses * weights).sum() / (weights.sum() * losses.shape[-1]).clamp(min=1)


@dataclass
class ValidationRecord:
    """Per clip of the last validation pass: probabilities and targets, `[T', C]`."""

    probabilities: list[np.ndarray] = field(default_factory=list)
    targets: list[np.ndarray] = field(default_factory=list)

    def reset(self) -> None:
        self.probabilities, self.targets = [], []


def frame_f1(
    probabilities: Sequence[np.ndarray], targets: Sequence[np.ndarray], threshold: float
) -> float:
    """Micro F1 of thresholded frame probabilities against 0/1 targets (all clips, classes)."""
    if not probabilities:
        return float("nan")
    predicted = np.concatenate([p >= threshold for p in probabilities])
    truth = np.concatenate([t >= 0.5 for t in targets])
    tp = float(np.logical_and(predicted, truth).sum())
    denominator = float(predicted.sum() + truth.sum())
    return 2 * tp / denominator if denominator else float("nan")


class TaggingTask(Task):
    """The tagging task for the shared loop."""

    def __init__(
        self,
        config: TaggingConfig,
        model: SoundEventTagger,
        train: SplitData,
        validation: SplitData,
        train_targets: Mapping[str, np.ndarray],
        validation_targets: Mapping[str, np.ndarray],
    ) -> None:
        self.config = config
        self.model = model
        self.train_dataset = TaggedClips(
            train.items, train.features, train_targets, config.data.augment
        )
        self.validation_dataset = TaggedClips(
            validation.items, validation.features, validation_targets
        )
        self.collate_fn = collate_tagged
        self.record = ValidationRecord()

    def loss(self, model: nn.Module, batch: dict[str, Any]) -> torch.Tensor:
        logits = model(batch["inputs"], batch["lengths"])
        loss = masked_bce(logits, batch["targets"], batch["target_mask"])
        if not model.training:
            self._record(logits, batch)
        return loss

    def _record(self, logits: torch.Tensor, batch: dict[str, Any]) -> None:
        probabilities = torch.sigmoid(logits.detach().float()).cpu().numpy()
        targets = batch["targets"].cpu().numpy()
        for row, frames in enumerate(batch["target_mask"].sum(dim=1).tolist()):
            self.record.probabilities.append(probabilities[row, :frames])
            self.record.targets.append(targets[row, :frames])

    def validation_loss(self, model: nn.Module, accelerator: Any, config) -> float:
        self.record.reset()
        return super().validation_loss(model, accelerator, config)

    def evaluate(self, model: nn.Module, accelerator: Any, epoch: int) -> dict[str, Any]:
        """Validation frame F1 (at the evaluation threshold) and clip-level mAP."""
        probabilities = gather_lists(self.record.probabilities, accelerator)
        targets = gather_lists(self.record.targets, accelerator)
        self.record.reset()
        if not probabilities:
            return {}
        threshold = self.config.evaluation.threshold
        clip_scores = np.stack([p.max(axis=0) for p in probabilities])
        clip_truth = np.stack([t.max(axis=0) for t in targets]) >= 0.5
        return {
            "frame_f1": frame_f1(probabilities, targets, threshold),
            "clip_map": clip_map(clip_truth, clip_scores),
        }
