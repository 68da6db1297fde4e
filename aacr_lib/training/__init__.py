"""The training loop shared by every task (captioning and retrieval).

- `TrainingConfig`: optimiser, schedule, precision, seeding, early stopping, checkpoint keeping.
- `Task`: what a task supplies (model, datasets, collate, loss, per-epoch evaluation).
- `fit(task, config, checkpoint_dir)`: train with `accelerate`, resuming from the last epoch
  checkpoint; returns a `TrainingResult` (history, best epoch and weights).
- `distributed`: deterministic epoch orders, per-process shards, gathering of results.
- `checkpoint`: the kill-safe epoch checkpoint format (safetensors weights + optimiser,
  scheduler and RNG state).
"""

from aacr_lib.training.config import TrainingConfig

# The loop's names load torch and accelerate on first use: configs import this package too.
_FROM_LOOP = ("Task", "TrainingResult", "fit", "is_complete", "make_accelerator")


def __getattr__(name: str):
    if name in _FROM_LOOP:
        from aacr_lib.training import loop

        return getattr(loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Task", "TrainingConfig", "TrainingResult", "fit", "is_complete", "make_accelerator"]
