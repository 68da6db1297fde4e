"""What a finished training contributes to a run's `metrics.json`, the same keys for every task."""

from __future__ import annotations

import math
from typing import Any

from aacr_lib.training.config import TrainingConfig
from aacr_lib.training.loop import TrainingResult


def training_finished(result: TrainingResult, config: TrainingConfig) -> bool:
    """True when the training ran all its epochs or stopped early (not stopped on request)."""
    last_epoch = result.history[-1]["epoch"] if result.history else 0
    return result.stopped_early or last_epoch >= config.epochs


def training_summary(result: TrainingResult) -> dict[str, Any]:
    """`best_epoch`, `best_val_loss`, `epochs_trained`, `stopped_early`, `train_seconds`.

    `train_seconds` sums the epochs' own times, so the epochs of a resumed run all count.
    """
    best = result.best_val_loss
    return {
        "best_epoch": result.best_epoch,
        "best_val_loss": None if best is None or math.isnan(best) else best,
        "epochs_trained": len(result.history),
        "stopped_early": result.stopped_early,
        "train_seconds": sum(float(epoch.get("seconds", 0.0)) for epoch in result.history),
    }
