"""`features.splits`: a split's clips and its feature cache, computed on the run's device."""

from __future__ import annotations

from types import SimpleNamespace

from aacr_lib.data.config import DataConfig
from aacr_lib.features import splits


def test_feature_caches_are_computed_on_the_accelerator_device(tiny_clothomix, monkeypatch):
    """A GPU run extracts its features (VGGish) on its GPU, not on the CPU."""
    seen = []
    real = splits.build_feature_cache

    def recording(*args, device="cpu", **kwargs):
        seen.append(device)
        return real(*args, device="cpu", **kwargs)  # this machine has no GPU

    monkeypatch.setattr(splits, "build_feature_cache", recording)
    data = DataConfig(dataset="clothomix", features="logmel")
    accelerator = SimpleNamespace(
        device="cuda:0", is_main_process=True, wait_for_everyone=lambda: None
    )
    loaded = splits.load_splits(tiny_clothomix, data, accelerator=accelerator, progress=False)
    assert set(loaded) == set(data.splits)
    assert seen == ["cuda:0"] * len(data.splits)
    splits.load_splits(tiny_clothomix, data, progress=False)
    assert seen[-1] == "cpu"
