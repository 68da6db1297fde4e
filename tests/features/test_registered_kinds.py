"""`register_kind`: a kind defined above the features layer is cached like a built-in one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from aacr_lib.errors import ConfigError
from aacr_lib.features import registry
from aacr_lib.features.cache import (
    FeatureCache,
    build_feature_cache,
    default_cache_path,
    open_feature_cache,
)
from aacr_lib.features.config import FeatureConfig
from aacr_lib.features.logmel import LogMelConfig
from tests.features.conftest import CLIP_NAMES


@dataclass(frozen=True)
class ToyConfig(FeatureConfig):
    """Per clip one row: its duration and the length of its file name (so the test can tell
    that compute saw the right item with the right waveform)."""

    kind: ClassVar[str] = "toy_registered"

    sample_rate: int = 8000
    scale: float = 1.0

    @property
    def dim(self) -> int:
        return 2

    @property
    def frame_rate(self) -> float:
        return 1.0


class Toy:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.seen: list[str] = []
        self.refuse = False

    def compute(self, config, waveforms, items, device):
        self.calls.append("compute")
        self.seen.extend(item.file_name for item in items)
        return [
            np.array([[len(w) / config.sample_rate, config.scale * len(item.file_name)]])
            for w, item in zip(waveforms, items, strict=True)
        ]

    def check(self, config):
        self.calls.append("check")
        if self.refuse:
            raise ConfigError("toy asset missing: run `aacr setup toy`")


@pytest.fixture
def toy(monkeypatch) -> Toy:
    # Copies of the tables, so that the registration ends with the test.
    monkeypatch.setattr(registry, "CONFIGS", dict(registry.CONFIGS))
    monkeypatch.setattr(registry, "REGISTERED", dict(registry.REGISTERED))
    toy = Toy()
    registry.register_kind(ToyConfig, toy.compute, toy.check)
    return toy


def test_a_registered_kind_is_built_and_read_back(tiny_dataset, toy):
    path = build_feature_cache(tiny_dataset, "toy_registered", "development", progress=False)
    assert path == default_cache_path(tiny_dataset, ToyConfig(), "development")
    assert toy.calls[0] == "check" and sorted(toy.seen) == sorted(CLIP_NAMES)
    with open_feature_cache(tiny_dataset, "toy_registered", "development") as cache:
        assert cache.finished and cache.dim == 2 and cache.keys() == sorted(CLIP_NAMES)
        assert cache.config == ToyConfig()
        durations = dict(zip(CLIP_NAMES, (1.0, 1.3, 1.6, 2.2, 1.1), strict=True))
        for name in CLIP_NAMES:
            row = cache[name]
            assert row.shape == (1, 2) and row.dtype == np.float32
            assert row[0, 0] == pytest.approx(durations[name], abs=1e-3)
            assert row[0, 1] == len(name)
    # Finished: neither checked nor computed again.
    toy.calls.clear()
    build_feature_cache(tiny_dataset, "toy_registered", "development", progress=False)
    assert toy.calls == []


def test_configs_of_a_registered_kind_have_their_own_caches(tiny_dataset, toy):
    config = registry.make_config("toy_registered", scale=2.0)
    path = build_feature_cache(
        tiny_dataset, "toy_registered", "validation", config=config, progress=False
    )
    assert path != default_cache_path(tiny_dataset, ToyConfig(), "validation")
    with FeatureCache(path, config=config) as cache:
        assert cache["v one.wav"][0, 1] == 2.0 * len("v one.wav")


def test_the_check_runs_before_any_work(tiny_dataset, toy):
    toy.refuse = True
    with pytest.raises(ConfigError, match="aacr setup toy"):
        build_feature_cache(tiny_dataset, "toy_registered", "development", progress=False)
    assert toy.calls == ["check"]
    assert not default_cache_path(tiny_dataset, ToyConfig(), "development").exists()


def test_a_built_in_kind_cannot_be_replaced(toy):
    @dataclass(frozen=True)
    class Impostor(LogMelConfig):
        pass

    with pytest.raises(ValueError, match="built-in"):
        registry.register_kind(Impostor, toy.compute)
    assert registry.CONFIGS["logmel"] is LogMelConfig
