"""The report's fork of the baseline (`report_baseline`) trained for real at toy size on CPU:
its block order, dropout, unnormalised embeddings, margin and mixed precision reach the model,
the loss and the loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from aacr_lib.errors import ConfigError
from aacr_lib.features.splits import load_splits
from aacr_lib.retrieval.experiments import resolve_config
from aacr_lib.retrieval.run import train_retrieval
from aacr_lib.retrieval.task import RetrievalTask, TextTable, build_retrieval_model
from aacr_lib.training import fit, make_accelerator

TINY = ["model.audio.channels=[4,8,8,8,8]", "training.max_steps_per_epoch=2"]


def _toy_task(toy_dataset, config):
    splits = load_splits(toy_dataset, config.data, progress=False)
    captions = [c for split in splits.values() for item in split.items for c in item.captions]
    vectors = np.random.default_rng(0).standard_normal((len(captions), 300)).astype(np.float32)
    table = TextTable(captions, vectors)
    torch.manual_seed(0)
    model = build_retrieval_model(config, 64, table.dim)
    return RetrievalTask(config, model, table, splits["development"], splits["validation"])


def test_report_fork_reaches_the_model_and_the_loss(toy_dataset):
    task = _toy_task(toy_dataset, resolve_config("report_baseline", "smoke", TINY))
    layers = list(task.model.audio_encoder.cnn.layers)
    # every block Conv -> LeakyReLU -> BatchNorm (the baseline's starts with BatchNorm)
    kinds = [type(layer) for layer in layers if not isinstance(layer, nn.LPPool2d)]
    assert kinds[:3] == [nn.Conv2d, nn.LeakyReLU, nn.BatchNorm2d]
    assert kinds[:-1] == [nn.Conv2d, nn.LeakyReLU, nn.BatchNorm2d] * 5
    assert isinstance(layers[-1], nn.Dropout) and layers[-1].p == 0.5
    baseline = _toy_task(toy_dataset, resolve_config("baseline", "smoke", TINY))
    assert type(baseline.model.audio_encoder.cnn.layers[0]) is nn.BatchNorm2d
    # margin 2.0: with every score 0, each pair pays the margin twice (impostor clip and
    # impostor caption), 2 x 2.0, against 2 x 1.0 for the baseline
    zeros = torch.zeros(4, 300)
    groups = ["a", "b", "c", "d"]
    assert float(task.criterion(zeros, zeros, groups)) == pytest.approx(4.0)
    assert float(baseline.criterion(zeros, zeros, groups)) == pytest.approx(2.0)


def test_report_fork_trains_a_step_in_bf16_on_cpu_without_l2_normalisation(toy_dataset, tmp_path):
    config = resolve_config(
        "report_baseline", "smoke", [*TINY, "training.mixed_precision=bf16", "training.epochs=1"]
    )
    task = _toy_task(toy_dataset, config)
    before = {k: v.clone() for k, v in task.model.state_dict().items()}
    accelerator = make_accelerator(config.training, "cpu")
    assert accelerator.mixed_precision == "bf16"
    result = fit(task, config.training, tmp_path / "ckpt", accelerator=accelerator, progress=False)
    assert np.isfinite(result.history[0]["train_loss"])
    assert np.isfinite(result.history[0]["val_loss"])
    after = task.model.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if after[k].is_floating_point())
    # no L2 normalisation: embedding norms are whatever the encoders give, not all 1
    batch = task.collate_fn([task.validation_dataset[i] for i in range(3)])
    task.model.eval()
    with torch.no_grad(), accelerator.autocast():
        audio, text = task.model(batch["inputs"], batch["text_vectors"], batch["lengths"])
        loss = task.loss(task.model, batch)
    assert not torch.allclose(audio.float().norm(dim=-1), torch.ones(len(audio)), atol=1e-3)
    assert not torch.allclose(text.float().norm(dim=-1), torch.ones(len(text)), atol=1e-3)
    # the loss is computed in fp32 from the half-precision encoders' outputs
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    # the baseline's embeddings are unit length
    baseline = _toy_task(toy_dataset, resolve_config("baseline", "smoke", TINY)).model.eval()
    with torch.no_grad():
        unit, _ = baseline(batch["inputs"], batch["text_vectors"], batch["lengths"])
    assert torch.allclose(unit.norm(dim=-1), torch.ones(len(unit)), atol=1e-5)


def test_fp16_on_the_cpu_is_refused_before_a_run_exists(toy_dataset, tmp_path):
    runs = tmp_path / "runs"
    with pytest.raises(ConfigError, match="fp16 needs a CUDA GPU.*mixed_precision=bf16"):
        train_retrieval(
            "report_baseline",
            "smoke",
            [*TINY, "training.mixed_precision=fp16"],
            data_dir=toy_dataset,
            runs_root=runs,
            device="cpu",
            progress=False,
        )
    assert not runs.exists() or not any(runs.iterdir())


def test_fp16_is_a_missing_requirement_on_the_cpu_only():
    from aacr_lib.retrieval.run import missing_requirements

    clotho = resolve_config("report_baseline", "clotho")
    (problem,) = [m for m in missing_requirements(clotho, "cpu") if isinstance(m, ConfigError)]
    assert "fp16 needs a CUDA GPU" in str(problem)
    assert not any(isinstance(m, ConfigError) for m in missing_requirements(clotho, "cuda"))
    # the demo profile keeps fp32: nothing is missing on a CPU
    assert missing_requirements(resolve_config("report_baseline", "demo"), "cpu") == []
