"""Fixtures of the captioning tests: a tiny tone dataset and one trained toy run, built once."""

from __future__ import annotations

import pytest

from tests.captioning.toy_data import make_toy_dataset

# The smoke profile, with fast metrics and enough steps for a resume to matter.
TOY_OVERRIDES = [
    "training.epochs=2",
    "training.max_steps_per_epoch=null",
    "training.batch_size=8",
    "evaluation.epoch_metrics=[cider_d]",
    "evaluation.metrics=[bleu,rouge_l,cider_d,spice,spider]",
]


@pytest.fixture(scope="session")
def toy_dataset(tmp_path_factory):
    return make_toy_dataset(tmp_path_factory.mktemp("toy") / "tones")


@pytest.fixture(scope="session")
def toy_run(toy_dataset, tmp_path_factory):
    """An uninterrupted toy training run (shared by the resume and CLI tests)."""
    from aacr_lib.captioning.run import train_captioning

    runs = tmp_path_factory.mktemp("toy-runs")
    return train_captioning(
        "baseline", "smoke", TOY_OVERRIDES, data_dir=toy_dataset, runs_root=runs, progress=False
    )
