"""One training loop for every task, on `accelerate`.

A task supplies the model, the datasets, a collate function, the loss of a batch and (optionally)
per-epoch evaluation; the loop does the rest: device placement and data parallelism, bf16/fp16
autocast, gradient accumulation, gradient-norm clipping, AdamW, seeding,
a linear, constant or plateau (ReduceLROnPlateau) learning-rate schedule,
per-epoch validation loss and metrics, the best checkpoint by validation loss, early stopping, and
an epoch checkpoint from which a killed run resumes with the same final result.

Data order and shards are computed by `distributed` (a function of seed and epoch), never drawn
from a stateful sampler, which is what makes resuming exact.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from aacr_lib.errors import ConfigError, DataError
from aacr_lib.training import checkpoint as ckpt
from aacr_lib.training.config import TrainingConfig
from aacr_lib.training.distributed import (
    batches,
    epoch_order,
    evaluation_shard,
    training_shard,
)


class Task:
    """What a task gives the loop. Subclass and override; the defaults suit most tasks.

    Attributes to set: `model`, `train_dataset`, `validation_dataset` (or None), `collate_fn`.
    """

    model: nn.Module
    train_dataset: Dataset
    validation_dataset: Dataset | None = None
    collate_fn: Callable[[list[Any]], Any] | None = None

    def loss(self, model: nn.Module, batch: Any) -> torch.Tensor:
        """Mean loss of a batch (already on the device). `model` may be DDP-wrapped."""
        raise NotImplementedError

    def batch_size_of(self, batch: Any) -> int:
        """Examples in a batch, to weight validation losses exactly."""
        for value in batch.values() if isinstance(batch, dict) else batch:
            if isinstance(value, torch.Tensor | list):
                return len(value)
        raise TypeError("cannot tell the batch size; override Task.batch_size_of")

    def to_device(self, batch: Any, device: torch.device) -> Any:
        """Move the tensors of a batch (a dict or a tuple) to `device`."""
        if isinstance(batch, dict):
            return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        return type(batch)(v.to(device) if isinstance(v, torch.Tensor) else v for v in batch)

    def validation_loss(self, model: nn.Module, accelerator: Any, config: TrainingConfig) -> float:
        """Mean loss over the whole validation set, across processes (`validation_loss`).

        Override when a batch's loss depends on which examples share the batch (in-batch
        negatives), so that the value does not depend on the number of processes.
        """
        return validation_loss(self, model, accelerator, config)

    def evaluate(self, model: nn.Module, accelerator: Any, epoch: int) -> dict[str, Any]:
        """Per-epoch metrics (e.g. decoded validation captions, scored). Runs on every process;
        `model` is unwrapped. Return the same dict on every process (gather inside)."""
        return {}


@dataclass
class TrainingResult:
    """What a `fit` call leaves: the per-epoch history and where the best weights are."""

    history: list[dict[str, Any]]
    best_epoch: int | None
    best_val_loss: float | None
    best_weights: Path | None
    stopped_early: bool
    resumed_from_epoch: int | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def make_accelerator(config: TrainingConfig, device: str = "cpu"):
    """An `Accelerator` for `device` ("cpu", "cuda", "auto"); mixed precision as configured.

    fp16 on the CPU is refused (`ConfigError`) rather than run: accelerate would accept it but
    train without a loss scaler, which is not the fp16 AMP of a GPU run. bf16 is the CPU's
    mixed precision.
    """
    from accelerate import Accelerator  # here, not at the top: keeps `aacr --help` fast

    problem = unsupported_precision(config, device)
    if problem is not None:
        raise problem
    precision = "no" if config.mixed_precision == "fp32" else config.mixed_precision
    _forget_other_precision(precision)
    return Accelerator(cpu=runs_on_cpu(device), mixed_precision=precision)


def runs_on_cpu(device: str) -> bool:
    """Whether `device` ("cpu", "cuda", "auto") means the CPU on this machine."""
    return device == "cpu" or (device == "auto" and not torch.cuda.is_available())


def unsupported_precision(config: TrainingConfig, device: str) -> ConfigError | None:
    """The error `make_accelerator` raises for this precision on `device` (None: it can run),
    so that a caller can report it before anything starts."""
    if config.mixed_precision == "fp16" and runs_on_cpu(device):
        return ConfigError(
            "training.mixed_precision=fp16 needs a CUDA GPU (autocast with a loss scaler), but "
            "this run is on the CPU: train with --device cuda on a GPU machine, or set "
            "training.mixed_precision=bf16 (CPU autocast) or training.mixed_precision=fp32"
        )
    return None


def _forget_other_precision(precision: str) -> None:
    """Let this process make an accelerator of another mixed precision than its last one.

    accelerate keeps one `AcceleratorState` per process and refuses an `Accelerator` whose mixed
    precision differs from it, but one process may train several runs in turn (a chapter's
    experiments, a test session) whose precisions differ. Each run makes its accelerator before
    it starts, so dropping the finished run's state is safe; the process state (`PartialState`:
    device, process group) is kept, so a data-parallel launch is unaffected.
    """
    from accelerate.state import AcceleratorState

    shared = AcceleratorState._shared_state
    if shared and shared.get("_mixed_precision") != precision:
        AcceleratorState._reset_state(reset_partial_state=False)


def _make_optimizer(model: nn.Module, config: TrainingConfig) -> torch.optim.Optimizer:
    return torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.lr,
        betas=tuple(config.adam_betas),
        eps=config.adam_eps,
        weight_decay=config.weight_decay,
    )


class PlateauSchedule:
    """ReduceLROnPlateau behind the loop's scheduler interface.

    The loop calls `step()` after every optimiser step (nothing happens: the rule is per
    epoch) and `epoch_end(val_loss)` once per epoch, before that epoch's checkpoint is written,
    so a resumed run continues with the same rate, best loss and patience counter.
    """

    def __init__(self, optimizer, config: TrainingConfig) -> None:
        self.optimizer = optimizer
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            mode="min",
            factor=config.plateau_factor,
            patience=config.plateau_patience,
            threshold=config.plateau_threshold,
            threshold_mode=config.plateau_threshold_mode,
        )

    def step(self) -> None:
        """Per optimiser step: nothing."""

    def epoch_end(self, val_loss: float) -> None:
        # an epoch without a validation loss neither counts as progress nor as a plateau
        if math.isfinite(val_loss):
            self.plateau.step(val_loss)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return self.plateau.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.plateau.load_state_dict(state)


def _make_scheduler(optimizer, config: TrainingConfig, total_steps: int):
    # here, not at the top: transformers is slow to import, and this keeps `aacr --help` fast
    from transformers import get_constant_schedule_with_warmup, get_linear_schedule_with_warmup

    if config.schedule == "plateau":
        return PlateauSchedule(optimizer, config)
    if config.schedule == "constant":
        return get_constant_schedule_with_warmup(optimizer, config.warmup_steps)
    return get_linear_schedule_with_warmup(optimizer, config.warmup_steps, max(total_steps, 1))


def _loader(task: Task, indices: list[int], batch_size: int, config: TrainingConfig) -> DataLoader:
    return DataLoader(
        task.train_dataset,
        batch_sampler=batches(indices, batch_size),
        collate_fn=task.collate_fn,
        num_workers=config.num_workers,
    )


def micro_batches_per_epoch(num_examples: int, world_size: int, config: TrainingConfig) -> int:
    """Micro-batches each process runs in one epoch (after the optional smoke cap)."""
    per_process = math.ceil(num_examples / world_size)
    count = math.ceil(per_process / config.batch_size)
    if config.max_steps_per_epoch is not None:
        count = min(count, config.max_steps_per_epoch)
    return count


def validation_loss(task: Task, model: nn.Module, accelerator, config: TrainingConfig) -> float:
    """Example-weighted mean loss over the whole validation set, across processes."""
    dataset = task.validation_dataset
    if dataset is None or len(dataset) == 0:
        return float("nan")
    shard = evaluation_shard(len(dataset), accelerator.process_index, accelerator.num_processes)
    loader = DataLoader(
        dataset,
        batch_sampler=batches(shard, config.eval_batch_size),
        collate_fn=task.collate_fn,
        num_workers=config.num_workers,
    )
    model.eval()
    total = torch.zeros(2, dtype=torch.float64, device=accelerator.device)
    with torch.no_grad():
        for batch in loader:
            batch = task.to_device(batch, accelerator.device)
            with accelerator.autocast():
                loss = task.loss(model, batch)
            n = task.batch_size_of(batch)
            total += torch.tensor([float(loss) * n, n], dtype=torch.float64, device=total.device)
    total = accelerator.reduce(total, reduction="sum") if accelerator.num_processes > 1 else total
    return float(total[0] / total[1]) if total[1] > 0 else float("nan")


@dataclass
class _Run:
    """What every epoch of one `fit` call works with."""

    accelerator: Any
    model: nn.Module  # prepared (DDP-wrapped when distributed): for training
    raw_model: nn.Module  # unwrapped: for validation, evaluation and checkpoints
    optimizer: Any  # accelerate's wrapper; `.optimizer` is the torch optimiser
    scheduler: Any
    checkpoint_dir: Path
    steps_per_epoch: int


@dataclass
class _Progress:
    """The loop's counters: what an epoch checkpoint stores besides weights, optimiser and RNG."""

    history: list[dict[str, Any]] = field(default_factory=list)
    best_val: float = math.inf  # inf until an epoch has a validation loss
    best_epoch: int | None = None
    patience_used: int = 0
    stopped_early: bool = False
    start_epoch: int = 1
    resumed_from: int | None = None

    @property
    def best_val_loss(self) -> float | None:
        return None if math.isinf(self.best_val) else self.best_val

    def counters(self) -> dict[str, Any]:
        """The counters as the checkpoint's state file stores them."""
        return {
            "history": self.history,
            "best_val_loss": self.best_val_loss,
            "best_epoch": self.best_epoch,
            "patience_used": self.patience_used,
            "stopped_early": self.stopped_early,
        }

    def record_val_loss(self, val_loss: float, epoch: int, config: TrainingConfig) -> bool:
        """Update the best loss and the patience counter, decide on early stopping; return
        whether this epoch is the new best."""
        improved = not math.isnan(val_loss) and val_loss < self.best_val
        # progress (what resets the patience) is a decrease by more than the min delta
        progressed = improved and (
            math.isinf(self.best_val)
            or val_loss < self.best_val - config.early_stopping_min_delta * abs(self.best_val)
        )
        if improved:
            self.best_val, self.best_epoch = val_loss, epoch
        self.patience_used = 0 if progressed else self.patience_used + 1
        patience = config.early_stopping_patience
        # "early" only when epochs are left to skip: stopping after the last one is finishing
        if patience is not None and self.patience_used >= patience and epoch < config.epochs:
            self.stopped_early = True
        return improved


def fit(
    task: Task,
    config: TrainingConfig,
    checkpoint_dir: str | Path,
    accelerator=None,
    device: str = "cpu",
    progress: bool = True,
    on_epoch_end: Callable[[list[dict[str, Any]]], None] | None = None,
    stop_after_epochs: int | None = None,
) -> TrainingResult:
    """Train `task.model` for `config.epochs`, resuming from `checkpoint_dir` when it holds one.

    Call `accelerate.utils.set_seed(config.seed)` before building the model so that its
    initialisation is reproducible (the captioning task does). `on_epoch_end(history)` runs on
    the main process after each epoch's checkpoint (e.g. to write `history.json`).
    `stop_after_epochs` ends this call early (as if killed after that many epochs; for tests).
    """
    started = time.perf_counter()
    run = _start_run(task, config, Path(checkpoint_dir), accelerator, device)
    state = _resume(run)
    epochs_run = 0
    for epoch in range(state.start_epoch, config.epochs + 1):
        if state.stopped_early or (
            stop_after_epochs is not None and epochs_run >= stop_after_epochs
        ):
            break
        _run_epoch(task, config, run, state, epoch, progress)
        epochs_run += 1
        if run.accelerator.is_main_process and on_epoch_end is not None:
            on_epoch_end(state.history)

    run.accelerator.wait_for_everyone()
    return TrainingResult(
        history=state.history,
        best_epoch=state.best_epoch,
        best_val_loss=state.best_val_loss,
        best_weights=ckpt.best_weights(run.checkpoint_dir),
        stopped_early=state.stopped_early,
        resumed_from_epoch=state.resumed_from,
        seconds=time.perf_counter() - started,
    )


def _start_run(
    task: Task, config: TrainingConfig, checkpoint_dir: Path, accelerator, device: str
) -> _Run:
    """Create the checkpoint folder, the optimiser and the schedule; prepare the model."""
    accelerator = accelerator or make_accelerator(config, device)
    if accelerator.is_main_process:
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    if config.schedule == "plateau" and not task.validation_dataset:
        raise ConfigError(
            'schedule "plateau" steps on the validation loss, but this task has no validation '
            'set; give it one, or choose schedule "linear" or "constant"'
        )
    steps_per_epoch = micro_batches_per_epoch(
        len(task.train_dataset), accelerator.num_processes, config
    )
    updates_per_epoch = math.ceil(steps_per_epoch / config.grad_accumulation)
    optimizer = _make_optimizer(task.model, config)
    scheduler = _make_scheduler(optimizer, config, updates_per_epoch * config.epochs)
    model, optimizer = accelerator.prepare(task.model, optimizer)
    raw_model = accelerator.unwrap_model(model)
    return _Run(
        accelerator, model, raw_model, optimizer, scheduler, checkpoint_dir, steps_per_epoch
    )


def _resume(run: _Run) -> _Progress:
    """Load the latest epoch checkpoint, if any, into the model, optimiser, scheduler, scaler
    and this process's RNGs; return its counters (fresh ones when there is no checkpoint)."""
    latest = ckpt.latest_checkpoint(run.checkpoint_dir)
    if latest is None:
        return _Progress()
    accelerator = run.accelerator
    # weights_only: a checkpoint from someone else's run directory cannot run code
    state_file = latest / ckpt.STATE_FILE
    state = ckpt.training_state(state_file)
    ckpt.load_weights(run.raw_model, latest / ckpt.MODEL_FILE, accelerator.device)
    try:
        run.optimizer.optimizer.load_state_dict(state["optimizer"])
        run.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler") is not None and accelerator.scaler is not None:
            accelerator.scaler.load_state_dict(state["scaler"])
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise DataError(
            f"{state_file}: its optimiser or schedule state does not fit this training "
            f"({type(exc).__name__}); "
            f"delete {run.checkpoint_dir} to train again from the start"
        ) from None
    rng_file = latest / f"rng-{accelerator.process_index}.pt"
    if rng_file.is_file():
        ckpt.load_rng_state(rng_file)
    return _Progress(
        history=state["history"],
        best_val=state["best_val_loss"] if state["best_val_loss"] is not None else math.inf,
        best_epoch=state["best_epoch"],
        patience_used=state["patience_used"],
        stopped_early=state["stopped_early"],
        start_epoch=state["epoch"] + 1,
        resumed_from=state["epoch"] + 1,
    )


def _run_epoch(
    task: Task, config: TrainingConfig, run: _Run, state: _Progress, epoch: int, progress: bool
) -> None:
    """Train one epoch, validate and evaluate it, record it in the history, checkpoint it."""
    epoch_start = time.perf_counter()
    train_loss = _train_one_epoch(task, config, run, epoch, progress)
    train_seconds = time.perf_counter() - epoch_start
    # The unwrapped model: DDP's forward would synchronise buffers, and evaluation shards
    # may differ in length between processes.
    val_loss = task.validation_loss(run.raw_model, run.accelerator, config)
    validation_seconds = time.perf_counter() - epoch_start - train_seconds
    metrics = task.evaluate(run.raw_model, run.accelerator, epoch)
    if isinstance(run.scheduler, PlateauSchedule):
        run.scheduler.epoch_end(val_loss)
    improved = state.record_val_loss(val_loss, epoch, config)
    state.history.append(
        {
            "epoch": epoch,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "lr": run.scheduler.get_last_lr()[0],
            "seconds": time.perf_counter() - epoch_start,
            "seconds_training": train_seconds,
            "seconds_validation_loss": validation_seconds,
            "seconds_evaluation": time.perf_counter()
            - epoch_start
            - train_seconds
            - validation_seconds,
            "best": improved,
            "metrics": metrics,
        }
    )
    _save_checkpoint(
        run.accelerator,
        run.raw_model,
        run.optimizer,
        run.scheduler,
        run.checkpoint_dir,
        epoch,
        config,
        state.counters(),
        # Without a validation set the best weights are simply the latest.
        save_best=improved or math.isnan(val_loss) or ckpt.best_weights(run.checkpoint_dir) is None,
    )


def _train_one_epoch(
    task: Task, config: TrainingConfig, run: _Run, epoch: int, progress: bool
) -> float:
    """One pass over this process's shard of the epoch's order; the mean loss across processes.

    Ends by giving every process the main process's buffers, so that validation sees the
    model the checkpoint will hold.
    """
    from tqdm.auto import tqdm  # here, not at the top: keeps `aacr --help` fast

    accelerator = run.accelerator
    world, rank = accelerator.num_processes, accelerator.process_index
    run.model.train()
    order = epoch_order(len(task.train_dataset), config.seed, epoch)
    shard = training_shard(order, rank, world)[: run.steps_per_epoch * config.batch_size]
    loader = _loader(task, shard, config.batch_size, config)
    loss_sum, loss_count = 0.0, 0
    bar = tqdm(
        loader,
        total=run.steps_per_epoch,
        desc=f"epoch {epoch}/{config.epochs}",
        disable=not (progress and accelerator.is_main_process),
        leave=False,
    )
    for step, batch in enumerate(bar):
        loss = _train_step(task, config, run, step, batch)
        loss_sum += float(loss.detach())
        loss_count += 1
        bar.set_postfix(loss=f"{loss_sum / loss_count:.3f}")
    bar.close()
    train_loss = _mean_across(accelerator, loss_sum, loss_count)
    _share_main_buffers(accelerator, run.raw_model)
    return train_loss


def _train_step(task: Task, config: TrainingConfig, run: _Run, step: int, batch: Any):
    """Forward and backward of one micro-batch; an optimiser step when it ends an
    accumulation window (or the epoch). Returns the micro-batch's loss."""
    accelerator, model = run.accelerator, run.model
    batch = task.to_device(batch, accelerator.device)
    window_end = (step + 1) % config.grad_accumulation == 0 or step + 1 == run.steps_per_epoch
    # Between optimiser steps, DDP need not all-reduce gradients.
    sync = accelerator.no_sync(model) if not window_end else contextlib.nullcontext()
    with sync:
        with accelerator.autocast():
            loss = task.loss(model, batch)
        accelerator.backward(loss / config.grad_accumulation)
    if window_end:
        if config.max_grad_norm and config.max_grad_norm > 0:
            accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        run.optimizer.step()
        run.scheduler.step()
        run.optimizer.zero_grad(set_to_none=True)
    return loss


def is_complete(checkpoint_dir: str | Path, config: TrainingConfig) -> bool:
    """True when the checkpoints show a finished training (all epochs, or stopped early)."""
    latest = ckpt.latest_checkpoint(Path(checkpoint_dir))
    if latest is None:
        return False
    state = ckpt.training_state(latest / ckpt.STATE_FILE)  # weights_only: runs no code
    return state["epoch"] >= config.epochs or bool(state["stopped_early"])


def _save_checkpoint(
    accelerator,
    raw_model: nn.Module,
    optimizer,
    scheduler,
    directory: Path,
    epoch: int,
    config: TrainingConfig,
    counters: dict[str, Any],
    save_best: bool,
) -> None:
    main = accelerator.is_main_process
    tmp = directory / (ckpt.epoch_dir_name(epoch) + ".tmp")
    if main:
        ckpt.prepare_tmp(directory, epoch)
    accelerator.wait_for_everyone()
    ckpt.save_state(ckpt.rng_state(), tmp / f"rng-{accelerator.process_index}.pt")
    if main:
        ckpt.save_weights(raw_model, tmp / ckpt.MODEL_FILE)
        state = {
            "epoch": epoch,
            "optimizer": optimizer.optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": accelerator.scaler.state_dict() if accelerator.scaler is not None else None,
            **counters,
        }
        ckpt.save_state(state, tmp / ckpt.STATE_FILE)
        if save_best:
            ckpt.save_best(
                raw_model,
                directory,
                {"epoch": epoch, "val_loss": counters["best_val_loss"]},
            )
    accelerator.wait_for_everyone()
    if main:
        ckpt.commit(directory, epoch, config.keep_checkpoints)
    accelerator.wait_for_everyone()


def _share_main_buffers(accelerator, model: nn.Module) -> None:
    """Give every process the main process's buffers (e.g. BatchNorm running statistics).

    DDP broadcasts them only at the start of the next training forward, so after an epoch each
    process holds the statistics of its own last batches. Validation would then mix models, and
    would not describe the checkpoint, which holds the main process's.
    """
    if accelerator.num_processes == 1:
        return
    import torch.distributed as dist

    for buffer in model.buffers():
        dist.broadcast(buffer.data, src=0)


def _mean_across(accelerator, total: float, count: int) -> float:
    if accelerator.num_processes == 1:
        return total / max(count, 1)
    pair = torch.tensor([total, count], dtype=torch.float64, device=accelerator.device)
    pair = accelerator.reduce(pair, reduction="sum")
    return float(pair[0] / pair[1].clamp(min=1))
