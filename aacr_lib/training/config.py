"""Training hyper-parameters shared by every task (captioning and retrieval)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aacr_lib.errors import ConfigError

# Settings that count something: at least 1 (None, where allowed, means "no limit").
_AT_LEAST_ONE = ("epochs", "batch_size", "grad_accumulation", "eval_batch_size", "keep_checkpoints")
_AT_LEAST_ONE_OR_NONE = ("early_stopping_patience", "max_steps_per_epoch")
_NOT_NEGATIVE = (
    "weight_decay",
    "warmup_steps",
    "plateau_patience",
    "max_grad_norm",
    "seed",
    "early_stopping_min_delta",
)


@dataclass
class TrainingConfig:
    """Optimiser, schedule and loop settings; defaults are the DCASE 2022 captioning baseline.

    The baseline trains with the Hugging Face `Trainer`: AdamW (lr 1e-5, no weight decay,
    eps 1e-8), batch 4 with 2 accumulation steps, 20 epochs, linear decay without warm-up,
    gradient-norm clipping at 1.0, seed 0, best checkpoint by validation loss.
    """

    epochs: int = 20
    batch_size: int = 4
    grad_accumulation: int = 2
    lr: float = 1e-5
    weight_decay: float = 0.0
    adam_eps: float = 1e-8
    adam_betas: tuple[float, ...] = (0.9, 0.999)
    # "linear": decay to 0 over the run, stepped per optimiser step (the captioning baseline).
    # "constant": after the warm-up. "plateau": ReduceLROnPlateau on the validation loss, stepped
    # once per epoch (the retrieval baseline); it needs a validation set.
    schedule: Literal["linear", "constant", "plateau"] = "linear"
    warmup_steps: int = 0
    # ReduceLROnPlateau settings (schedule "plateau"): multiply the rate by `plateau_factor`
    # after `plateau_patience` epochs whose validation loss is not below the best by more than
    # `plateau_threshold` (absolute, or relative with threshold_mode "rel").
    plateau_factor: float = 0.1
    plateau_patience: int = 5
    plateau_threshold: float = 0.01
    plateau_threshold_mode: Literal["abs", "rel"] = "abs"
    max_grad_norm: float = 1.0
    # "bf16"/"fp16": autocast (and a loss scaler for fp16) through accelerate. fp16 needs a CUDA
    # GPU (`make_accelerator` refuses it on the CPU); bf16 also runs on the CPU.
    # ("fp32" rather than accelerate's "no", which YAML would read as False.)
    mixed_precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    seed: int = 0
    # Stop after this many epochs without a lower validation loss (None: never stop early).
    early_stopping_patience: int | None = None
    # An epoch resets that patience only when it lowers the best validation loss by more than
    # this fraction of it (0: any decrease; 0.02: a curve creeping down by under 2 % an epoch
    # counts as flat). The best weights are always those of the lowest loss.
    early_stopping_min_delta: float = 0.0
    # Cap on optimiser micro-batches per epoch (smoke runs); None: the whole training set.
    max_steps_per_epoch: int | None = None
    eval_batch_size: int = 32
    num_workers: int = 0
    # Epoch checkpoints kept besides the best one (older ones are deleted to save disk).
    keep_checkpoints: int = 1

    def validate(self, where: str = "training") -> None:
        """A `ConfigError` naming the key for a value no training can use (e.g. epochs=-1)."""
        for name in _AT_LEAST_ONE:
            _check(where, name, getattr(self, name), lambda v: v >= 1, "at least 1")
        for name in _AT_LEAST_ONE_OR_NONE:
            value = getattr(self, name)
            if value is not None:
                _check(where, name, value, lambda v: v >= 1, "at least 1 (or null: no limit)")
        for name in _NOT_NEGATIVE:
            _check(where, name, getattr(self, name), lambda v: v >= 0, "0 or more")
        _check(where, "num_workers", self.num_workers, lambda v: v >= 0, "0 or more")
        _check(where, "lr", self.lr, lambda v: v > 0, "above 0")
        _check(where, "plateau_factor", self.plateau_factor, lambda v: 0 < v < 1, "between 0 and 1")


def _check(where: str, name: str, value, ok, rule: str) -> None:
    if not ok(value):
        raise ConfigError(f"{where}.{name} must be {rule}, got {value!r}")
