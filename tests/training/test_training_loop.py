"""The shared training loop on a toy regression task: it learns, checkpoints, resumes exactly."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from accelerate.utils import set_seed
from torch import nn
from torch.utils.data import TensorDataset

from aacr_lib.errors import ConfigError, DataError
from aacr_lib.training import Task, TrainingConfig, fit, is_complete
from aacr_lib.training import checkpoint as ckpt
from aacr_lib.training.distributed import (
    batches,
    epoch_order,
    evaluation_shard,
    training_shard,
)


class ToyRegression(Task):
    """y = x·w + noise, with dropout so that resuming must restore the RNG too."""

    def __init__(self, n_train: int = 48, n_val: int = 16, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(123)
        weights = torch.randn(6, 1, generator=generator)
        x = torch.randn(n_train + n_val, 6, generator=generator)
        y = x @ weights + 0.05 * torch.randn(n_train + n_val, 1, generator=generator)
        self.train_dataset = TensorDataset(x[:n_train], y[:n_train])
        self.validation_dataset = TensorDataset(x[n_train:], y[n_train:])
        self.collate_fn = None
        set_seed(seed)
        self.model = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.2), nn.ReLU(), nn.Linear(16, 1))

    def loss(self, model, batch):
        x, y = batch
        return nn.functional.mse_loss(model(x), y)


def _config(**changes) -> TrainingConfig:
    values = dict(epochs=4, batch_size=8, grad_accumulation=1, lr=5e-2, seed=0)
    values.update(changes)
    return TrainingConfig(**values)


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_fit_learns_and_writes_checkpoints(tmp_path):
    task = ToyRegression()
    result = fit(task, _config(), tmp_path / "ckpt", progress=False)
    losses = [epoch["val_loss"] for epoch in result.history]
    assert len(result.history) == 4
    assert losses[-1] < losses[0] * 0.7
    latest = ckpt.latest_checkpoint(tmp_path / "ckpt")
    assert latest is not None and latest.name == "epoch-0004"
    for name in ("model.safetensors", "training_state.pt", "rng-0.pt"):
        assert (latest / name).is_file()
    assert result.best_weights == tmp_path / "ckpt" / "best" / "model.safetensors"
    assert result.best_epoch == min(range(1, 5), key=lambda e: losses[e - 1])
    assert is_complete(tmp_path / "ckpt", _config())
    # keep_checkpoints=1: only the last epoch stays besides best/
    assert sorted(p.name for p in (tmp_path / "ckpt").glob("epoch-*")) == ["epoch-0004"]


def test_resume_after_interruption_gives_the_same_result(tmp_path):
    config = _config(grad_accumulation=2)
    straight = ToyRegression()
    full = fit(straight, config, tmp_path / "a", progress=False)

    first = ToyRegression()
    partial = fit(first, config, tmp_path / "b", progress=False, stop_after_epochs=2)
    assert len(partial.history) == 2 and not is_complete(tmp_path / "b", config)
    # a save killed half-way leaves a .tmp folder: it must be ignored
    (tmp_path / "b" / "epoch-0003.tmp").mkdir()
    resumed_task = ToyRegression(seed=99)  # different init: the checkpoint must override it
    resumed = fit(resumed_task, config, tmp_path / "b", progress=False)

    assert resumed.resumed_from_epoch == 3
    assert [e["val_loss"] for e in resumed.history] == [e["val_loss"] for e in full.history]
    assert [e["train_loss"] for e in resumed.history] == [e["train_loss"] for e in full.history]
    for key, value in _state(straight.model).items():
        assert torch.equal(value, _state(resumed_task.model)[key]), key


def test_checkpoint_files_load_with_weights_only(tmp_path):
    fit(ToyRegression(), _config(epochs=1), tmp_path, progress=False)
    latest = ckpt.latest_checkpoint(tmp_path)
    state = torch.load(latest / ckpt.STATE_FILE, weights_only=True)
    assert state["epoch"] == 1 and len(state["history"]) == 1
    rng = torch.load(latest / "rng-0.pt", weights_only=True)
    assert set(rng) >= {"python", "numpy", "torch"}


def test_rng_state_round_trips_through_a_weights_only_file(tmp_path):
    random.seed(3)
    np.random.seed(4)
    np.random.standard_normal()  # a cached Gaussian in numpy's state
    torch.manual_seed(5)
    ckpt.save_state(ckpt.rng_state(), tmp_path / "rng-0.pt")
    expected = (random.random(), np.random.standard_normal(3).tolist(), torch.rand(3))
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    ckpt.load_rng_state(tmp_path / "rng-0.pt")
    again = (random.random(), np.random.standard_normal(3).tolist(), torch.rand(3))
    assert again[:2] == expected[:2] and torch.equal(again[2], expected[2])


def test_an_old_pickled_rng_file_is_refused_with_the_fix(tmp_path):
    fit(ToyRegression(), _config(epochs=2), tmp_path, progress=False, stop_after_epochs=1)
    rng_file = ckpt.latest_checkpoint(tmp_path) / "rng-0.pt"
    old = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    torch.save(old, rng_file)  # what the old code wrote: numpy arrays need a full unpickle
    with pytest.raises(DataError, match="rng-0.pt") as error:
        fit(ToyRegression(), _config(epochs=2), tmp_path, progress=False)
    assert "delete" in str(error.value) and str(tmp_path) in str(error.value)


def test_plain_keeps_values_and_drops_numpy_types():
    value = {"a": np.float64(0.5), "b": [np.int64(3), (np.float32(1.5), None)], 2: np.ones(2)}
    assert ckpt.plain(value) == {"a": 0.5, "b": [3, (1.5, None)], 2: [1.0, 1.0]}
    assert type(ckpt.plain(value)["a"]) is float


def test_finished_training_is_not_repeated(tmp_path):
    task = ToyRegression()
    fit(task, _config(epochs=2), tmp_path, progress=False)
    before = _state(task.model)
    again = fit(ToyRegression(seed=5), _config(epochs=2), tmp_path, progress=False)
    assert len(again.history) == 2
    loaded = ToyRegression(seed=7)
    ckpt.load_weights(loaded.model, ckpt.latest_checkpoint(tmp_path) / ckpt.MODEL_FILE)
    for key, value in before.items():
        assert torch.equal(value, _state(loaded.model)[key])


def test_gradient_accumulation_matches_a_larger_batch(tmp_path):
    # Without dropout, 2 × 4 accumulated equals one batch of 8 (up to float rounding).
    def run(batch_size, accumulation, where):
        task = ToyRegression(n_train=8)
        task.model[1].p = 0.0
        fit(
            task,
            _config(epochs=1, batch_size=batch_size, grad_accumulation=accumulation, lr=0.1),
            where,
            progress=False,
        )
        return _state(task.model)

    big = run(8, 1, tmp_path / "big")
    small = run(4, 2, tmp_path / "small")
    for key in big:
        torch.testing.assert_close(big[key], small[key], rtol=1e-5, atol=1e-6)


def test_early_stopping(tmp_path):
    task = ToyRegression()
    # lr 0: the validation loss never improves after epoch 1
    result = fit(
        task, _config(epochs=10, lr=0.0, early_stopping_patience=2), tmp_path, progress=False
    )
    assert result.stopped_early
    assert len(result.history) == 3
    assert result.best_epoch == 1
    assert is_complete(tmp_path, _config(epochs=10))


def test_early_stopping_min_delta_counts_a_creeping_curve_as_flat():
    """Decreases smaller than the min delta keep the best weights but not the patience: 10 %
    less, then twice 1 % less (under 2 %) stop a patience-2 run at epoch 4 with epoch 4's
    weights; without a min delta every decrease is progress and it goes on."""
    from aacr_lib.training.loop import _Progress

    losses = [1.0, 0.9, 0.891, 0.882]
    for min_delta, stopped in ((0.02, True), (0.0, False)):
        config = _config(epochs=10, early_stopping_patience=2, early_stopping_min_delta=min_delta)
        progress = _Progress()
        for epoch, loss in enumerate(losses, 1):
            assert progress.record_val_loss(loss, epoch, config)  # each epoch is a new best
        assert progress.stopped_early == stopped
        assert progress.best_epoch == 4


def test_history_is_reported_each_epoch(tmp_path):
    seen = []
    fit(
        ToyRegression(),
        _config(epochs=2),
        tmp_path,
        progress=False,
        on_epoch_end=lambda h: seen.append(list(h)),
    )
    assert [len(h) for h in seen] == [1, 2]
    assert set(seen[-1][-1]) >= {"epoch", "train_loss", "val_loss", "lr", "seconds", "metrics"}
    json.dumps(seen[-1])  # JSON-serialisable for history.json


def test_linear_decay_reaches_zero(tmp_path):
    result = fit(ToyRegression(), _config(epochs=2), tmp_path, progress=False)
    assert result.history[0]["lr"] == pytest.approx(5e-2 / 2)
    assert result.history[-1]["lr"] == pytest.approx(0.0)


def test_plateau_schedule_lowers_the_rate_when_validation_stalls_and_resumes_exactly(tmp_path):
    # The toy loss stalls quickly at this rate: each stalled epoch beyond the patience cuts it.
    config = _config(
        epochs=8, lr=0.2, schedule="plateau", plateau_patience=1, plateau_threshold=0.05
    )
    full = fit(ToyRegression(), config, tmp_path / "a", progress=False)
    rates = [epoch["lr"] for epoch in full.history]
    losses = [epoch["val_loss"] for epoch in full.history]
    # ReduceLROnPlateau's rule, written out: an epoch counts as bad unless it beats the best
    # loss by more than the threshold; more bad epochs than the patience cut the rate.
    expected, rate, best, bad = [], 0.2, float("inf"), 0
    for loss in losses:
        if loss < best - 0.05:
            best, bad = loss, 0
        else:
            bad += 1
        if bad > 1:
            rate, bad = rate * 0.1, 0
        expected.append(rate)
    assert rates == pytest.approx(expected, rel=1e-9)
    assert rates[-1] < 0.2  # the rule fired at least once
    first_cut = next(i for i, rate in enumerate(rates) if rate < 0.2)

    fit(ToyRegression(), config, tmp_path / "b", progress=False, stop_after_epochs=first_cut)
    resumed = fit(ToyRegression(seed=3), config, tmp_path / "b", progress=False)
    assert [e["lr"] for e in resumed.history] == rates
    assert [e["val_loss"] for e in resumed.history] == losses


def test_plateau_schedule_halves_the_rate_after_patience_epochs_without_improvement():
    # The report's sentence-transformer schedule: ReduceLROnPlateau(factor 0.5, patience 3,
    # threshold 0.01 absolute), stepped once per epoch on the validation loss.
    from aacr_lib.training.loop import PlateauSchedule

    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1e-3)
    schedule = PlateauSchedule(optimizer, _config(plateau_factor=0.5, plateau_patience=3))
    rates = []
    # best 1.0; 0.995 is no improvement (within the 0.01 threshold); NaN is not an epoch
    for loss in (1.0, 1.0, 0.995, float("nan"), 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5):
        schedule.step()  # per optimiser step: never changes the rate
        schedule.epoch_end(loss)
        rates.append(schedule.get_last_lr()[0])
    # three stalled epochs are tolerated; the fourth halves the rate; 0.5 is a new best, then
    # four more stalled epochs halve it again
    assert rates == pytest.approx(
        [1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 5e-4, 5e-4, 5e-4, 2.5e-4]
    )


def test_mixed_precision_fp16_is_refused_on_the_cpu_and_precisions_may_change():
    from aacr_lib.training import make_accelerator

    with pytest.raises(ConfigError, match="fp16 needs a CUDA GPU"):
        make_accelerator(_config(mixed_precision="fp16"), "cpu")
    # one process may train runs of different precisions in turn (a chapter's experiments)
    assert make_accelerator(_config(mixed_precision="bf16"), "cpu").mixed_precision == "bf16"
    assert make_accelerator(_config(), "cpu").mixed_precision == "no"
    assert make_accelerator(_config(), "cpu").mixed_precision == "no"


def test_fit_in_bf16_on_the_cpu(tmp_path):
    from aacr_lib.training import make_accelerator

    config = _config(epochs=2, mixed_precision="bf16")
    result = fit(ToyRegression(), config, tmp_path, make_accelerator(config), progress=False)
    losses = [epoch["val_loss"] for epoch in result.history]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    make_accelerator(_config())  # later tests in this process get fp32 again either way


def test_plateau_schedule_needs_a_validation_set(tmp_path):
    task = ToyRegression()
    task.validation_dataset = None
    with pytest.raises(ConfigError, match="plateau"):
        fit(task, _config(schedule="plateau"), tmp_path, progress=False)


def test_epoch_order_depends_on_seed_and_epoch_only():
    assert epoch_order(10, 0, 1) == epoch_order(10, 0, 1)
    assert epoch_order(10, 0, 1) != epoch_order(10, 0, 2)
    assert sorted(epoch_order(10, 3, 7)) == list(range(10))


@pytest.mark.parametrize("n,world", [(10, 2), (11, 2), (7, 3), (2, 4)])
def test_shards(n, world):
    order = epoch_order(n, 0, 1)
    train = [training_shard(order, rank, world) for rank in range(world)]
    assert len({len(s) for s in train}) == 1  # same number of steps everywhere (DDP)
    assert set().union(*map(set, train)) == set(range(n))
    evaluation = [evaluation_shard(n, rank, world) for rank in range(world)]
    flat = [i for shard in evaluation for i in shard]
    assert sorted(flat) == list(range(n))  # every example exactly once


def test_batches():
    assert batches([5, 6, 7, 8, 9], 2) == [[5, 6], [7, 8], [9]]


def test_weights_round_trip_with_tied_and_shared_storage(tmp_path):
    # Tied weights (same memory, same view) are stored once; tensors that only share a
    # buffer (as cuDNN flattens a GRU's weights) are stored apart. Both load back.
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            buffer = torch.arange(12.0)
            self.first = nn.Parameter(buffer[:6])
            self.second = nn.Parameter(buffer[6:])
            self.embed = nn.Embedding(5, 3)
            self.head = nn.Linear(3, 5, bias=False)
            self.head.weight = self.embed.weight  # tied

    model = Shared()
    saved = ckpt.weights_to_save(model)
    assert set(saved) == {"first", "second", "embed.weight"}
    ckpt.save_weights(model, tmp_path / "w.safetensors")
    fresh = Shared()
    with torch.no_grad():
        for parameter in fresh.parameters():
            parameter.zero_()
    ckpt.load_weights(fresh, tmp_path / "w.safetensors")
    for key, value in model.state_dict().items():
        assert torch.equal(value, fresh.state_dict()[key]), key
    assert fresh.head.weight is fresh.embed.weight
