"""Fixtures of the tagging tests: one smoke-profile tagger trained on the tiny ClothoMix."""

from __future__ import annotations

import pytest

# The smoke profile with every step of two epochs, so that a resume has something to resume.
TOY_OVERRIDES = ["training.epochs=2", "training.max_steps_per_epoch=null", "training.batch_size=4"]


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The models here are tiny: one thread is faster than two OpenMP threads on a busy CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def tagger_runs(tmp_path_factory):
    return tmp_path_factory.mktemp("tagger-runs")


@pytest.fixture(scope="session")
def toy_run(tiny_clothomix, tagger_runs, one_torch_thread):
    """A smoke-profile tagger, two epochs on the tiny ClothoMix (shared by several tests)."""
    from aacr_lib.tagging.run import train_tagging

    return train_tagging(
        "baseline",
        "smoke",
        TOY_OVERRIDES,
        data_dir=tiny_clothomix,
        runs_root=tagger_runs,
        progress=False,
    )
