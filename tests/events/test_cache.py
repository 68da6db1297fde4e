"""Sound-event caches: resumable after a crash, not recomputed when finished, clear errors."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from aacr_lib.errors import ConfigError, DataError, PretrainedUnavailable
from aacr_lib.events import (
    OracleEventsConfig,
    PannsEventsConfig,
    TaggerEventsConfig,
    build_events_cache,
    events_cache_path,
    load_events,
    open_events_cache,
)
from aacr_lib.events import cache as events_cache
from aacr_lib.events.oracle import oracle_events_batch
from aacr_lib.features import registry
from tests.events import CLIPS, make_clothomix

SPLIT = "development"


@pytest.fixture(scope="module")
def clothomix(tmp_path_factory) -> Path:
    return make_clothomix(tmp_path_factory.mktemp("events") / "clothomix")


class CountingOracle:
    """The oracle's compute, counting the clips it is asked for; raises after `fail_after`."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.names: list[str] = []
        self.fail_after = fail_after

    def __call__(self, config, waveforms, items, device):
        if self.fail_after is not None and len(self.names) >= self.fail_after:
            raise KeyboardInterrupt  # a crash mid-build (Ctrl-C, a killed process)
        self.names.extend(item.file_name for item in items)
        return oracle_events_batch(config, waveforms, items, device)


def _use(monkeypatch, compute: CountingOracle) -> None:
    monkeypatch.setitem(registry.REGISTERED, "events_oracle", (compute, None))


def _build(clothomix: Path, root: Path) -> Path:
    return build_events_cache(
        clothomix, OracleEventsConfig(), SPLIT, progress=False, features_root=root, batch_size=1
    )


def test_a_crashed_build_resumes_with_the_missing_clips_only(clothomix, tmp_path, monkeypatch):
    crashing = CountingOracle(fail_after=1)
    _use(monkeypatch, crashing)
    with pytest.raises(KeyboardInterrupt):
        _build(clothomix, tmp_path)
    assert len(crashing.names) == 1
    with open_events_cache(clothomix, OracleEventsConfig(), SPLIT, tmp_path) as cache:
        assert not cache.finished and cache.keys() == crashing.names
    with pytest.raises(DataError, match="unfinished.*aacr events"):
        load_events(clothomix, OracleEventsConfig(), SPLIT, tmp_path)

    resumed = CountingOracle()
    _use(monkeypatch, resumed)
    _build(clothomix, tmp_path)
    assert len(resumed.names) == CLIPS[SPLIT] - 1
    assert crashing.names[0] not in resumed.names

    finished = CountingOracle()
    _use(monkeypatch, finished)
    path = _build(clothomix, tmp_path)
    assert finished.names == []  # a finished cache is not recomputed
    vectors = load_events(clothomix, OracleEventsConfig(), SPLIT, tmp_path)
    assert len(vectors) == CLIPS[SPLIT] and path == events_cache_path(
        clothomix, OracleEventsConfig(), SPLIT, tmp_path
    )
    assert all(v.shape == (10, 527) and v.dtype == np.float32 for v in vectors.values())


def test_an_entry_left_incomplete_is_recomputed_alone(clothomix, tmp_path, monkeypatch):
    path = _build(clothomix, tmp_path)
    before = load_events(clothomix, OracleEventsConfig(), SPLIT, tmp_path)
    with h5py.File(path, "a") as handle:
        key = sorted(handle["clips"])[1]
        victim = str(handle["clips"][key].attrs["file_name"])
        del handle["clips"][key].attrs["complete"]  # what a crash between write and mark leaves
        handle.attrs["finished"] = False
    counting = CountingOracle()
    _use(monkeypatch, counting)
    _build(clothomix, tmp_path)
    assert counting.names == [victim]
    after = load_events(clothomix, OracleEventsConfig(), SPLIT, tmp_path)
    assert sorted(after) == sorted(before)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


def test_missing_caches_name_the_command(clothomix, tmp_path):
    with pytest.raises(DataError, match="aacr events .* --source oracle --split validation"):
        load_events(clothomix, OracleEventsConfig(), "validation", tmp_path)


def test_oracle_without_ground_truth_writes_nothing(clothomix, tmp_path):
    dataset = make_clothomix(tmp_path / "clotho-like")
    (dataset / "clothomix_events_validation.csv").unlink()
    with pytest.raises(DataError, match="aacr data demo"):
        build_events_cache(dataset, OracleEventsConfig(), "validation", features_root=tmp_path)
    assert not events_cache_path(dataset, OracleEventsConfig(), "validation", tmp_path).exists()


def test_panns_offline_says_how_to_get_the_weights(clothomix, tmp_path):
    config = PannsEventsConfig()
    with pytest.raises(PretrainedUnavailable, match="aacr setup panns_cnn14_decision_level_max"):
        build_events_cache(clothomix, config, SPLIT, progress=False, features_root=tmp_path)
    assert not events_cache_path(clothomix, config, SPLIT, tmp_path).exists()


def test_a_missing_panns_module_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(events_cache, "PANNS_MODULE", "aacr_lib.events.no_such_module")
    with pytest.raises(ConfigError, match="no_such_module, which this installation lacks"):
        events_cache.panns_events_batch(PannsEventsConfig(), [np.zeros(320)], [], "cpu")


def test_an_unregistered_tagger_kind_is_a_clear_error(clothomix, tmp_path, monkeypatch):
    monkeypatch.delitem(registry.REGISTERED, "events_tagger", raising=False)
    with pytest.raises(ConfigError, match="import aacr_lib.tagging"):
        build_events_cache(clothomix, TaggerEventsConfig(run="tagger-x"), SPLIT)


def test_the_tasks_event_input_config_is_the_data_layers():
    from aacr_lib.data.config import EventInputConfig as data_layers
    from aacr_lib.events import EventInputConfig

    assert EventInputConfig is data_layers and EventInputConfig().source == "none"
