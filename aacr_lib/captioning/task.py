"""The training loop's view of captioning (`aacr_lib.training.Task`) and its scoring.

`CaptioningTask` gives the shared loop (clip, caption) pairs and the token cross-entropy, and
scores decoded validation captions per epoch; `score_captions` is how every captioning system
(trained runs, the organisers' checkpoint, the trivial system) is scored. The whole run is in
`run.py`.
"""

from __future__ import annotations

import os
from typing import Any

from aacr_lib.captioning.config import CaptioningConfig
from aacr_lib.captioning.data import CaptionCollate, caption_pairs
from aacr_lib.captioning.decoding import decode_dataset

# what a run leaves on disk is named in `outputs` (no torch), re-exported for the task's users
from aacr_lib.captioning.outputs import CLIP_STATISTICS_FILE as CLIP_STATISTICS_FILE
from aacr_lib.captioning.outputs import OUTPUTS_FILE as OUTPUTS_FILE
from aacr_lib.captioning.outputs import TASK as TASK
from aacr_lib.evaluation.captioning import evaluate_captions, save_clip_statistics
from aacr_lib.features.splits import SplitData
from aacr_lib.models.captioning.model import AudioCaptioningModel, caption_loss
from aacr_lib.training import Task


class CaptioningTask(Task):
    """The training loop's view of captioning: pairs in, token cross-entropy out."""

    def __init__(
        self,
        config: CaptioningConfig,
        model: AudioCaptioningModel,
        tokenizer: Any,
        train: SplitData,
        validation: SplitData,
    ) -> None:
        self.config = config
        self.model = model
        self.tokenizer = tokenizer
        self.train_dataset = caption_pairs(train)
        self.validation = validation
        self.validation_dataset = caption_pairs(validation)
        self.collate_fn = CaptionCollate(
            tokenizer,
            config.data.max_frames,
            config.tokenizer.max_length,
            config.model.extra_input_dim,
        )

    def loss(self, model, batch):
        logits = model(
            batch["features"],
            batch["labels"],
            mask=batch["mask"],
            decoder_attention_mask=batch["decoder_attention_mask"],
            extra_inputs=batch.get("extra_inputs"),
        )
        return caption_loss(
            logits, batch["labels"], self.model.special.pad, self.config.loss.mask_pad
        )

    def evaluate(self, model, accelerator, epoch: int) -> dict[str, Any]:
        """Decode the validation clips (once each) and score them with `epoch_metrics`.

        Every process decodes its share; the main process scores the gathered captions (the
        others return {}: only the main process writes the history).
        """
        metrics = tuple(self.config.evaluation.epoch_metrics)
        if not metrics:
            return {}
        predictions = decode_dataset(
            model,
            self.tokenizer,
            self.validation.clips(),
            self.collate_fn,
            self.config.decoding,
            accelerator=accelerator,
            limit=self.config.evaluation.epoch_max_clips,
        )
        if not accelerator.is_main_process:
            return {}
        references = self.validation.references()
        return score_captions(predictions, {k: references[k] for k in predictions}, metrics)


def score_captions(
    predictions: dict[str, str],
    references: dict[str, list[str]],
    metrics: tuple[str, ...],
    statistics_path: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Scores with the evaluation module's keys, `unavailable` and `n_clips` added; with
    `statistics_path` (a run's `CLIP_STATISTICS_FILE`) its per-clip statistics are kept there,
    for the chapters' intervals and paired tests."""
    result = evaluate_captions(predictions, references, metrics=list(metrics))
    if statistics_path is not None:
        save_clip_statistics(statistics_path, result)
    return {**result.metrics, "unavailable": dict(result.unavailable), "n_clips": result.n_clips}
