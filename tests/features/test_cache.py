"""HDF5 feature caches: layout, manifest, no-op reruns, resume after a crash, readers."""

from __future__ import annotations

import json
import pickle

import h5py
import numpy as np
import pytest
import soundfile as sf

from aacr_lib import __version__
from aacr_lib.data.clotho import read_split
from aacr_lib.errors import DataError, PretrainedUnavailable
from aacr_lib.features import registry
from aacr_lib.features.cache import (
    CLIPS_GROUP,
    FeatureCache,
    build_feature_cache,
    decode_key,
    default_cache_path,
    encode_key,
    open_feature_cache,
)
from aacr_lib.features.logmel import LogMelConfig
from tests.features.conftest import CLIP_NAMES


class Counter:
    """Wraps `registry.compute_features_batch`: counts the clips computed, can crash."""

    def __init__(self, real, crash_after: int | None = None):
        self.real = real
        self.crash_after = crash_after
        self.clips: list[int] = []

    def __call__(self, config, waveforms, device="cpu", items=None):
        if self.crash_after is not None and len(self.clips) + len(waveforms) > self.crash_after:
            raise RuntimeError("simulated crash")
        self.clips.extend(len(w) for w in waveforms)
        return self.real(config, waveforms, device=device, items=items)


def no_work(*args, **kwargs):
    raise AssertionError("a finished cache must not load or compute anything")


@pytest.mark.parametrize("name", [*CLIP_NAMES, "a/b.wav", "%41", "..", "x" * 200])
def test_keys_are_hdf5_safe_and_reversible(name):
    key = encode_key(name)
    assert "/" not in key and not key.startswith(".")
    assert key.isascii() and decode_key(key) == name


def test_build_writes_every_clip_and_a_manifest(tiny_dataset):
    path = build_feature_cache(tiny_dataset, "logmel", "development", progress=False)
    config = LogMelConfig()
    assert path == tiny_dataset / "features" / f"logmel-{config.config_hash()}" / "development.h5"
    assert path == default_cache_path(tiny_dataset, "logmel", "development")
    with FeatureCache(path, config=config) as cache:
        assert cache.keys() == sorted(CLIP_NAMES) and len(cache) == 5
        assert "tone low.wav" in cache and "other.wav" not in cache
        for name in CLIP_NAMES:
            expected = registry.compute_features("logmel", tiny_dataset / "development" / name)
            np.testing.assert_array_equal(cache[name], expected)
        manifest = cache.manifest
        assert manifest["kind"] == "logmel" and manifest["config"] == config.to_dict()
        assert manifest["config_hash"] == config.config_hash()
        assert (manifest["sample_rate"], manifest["dim"]) == (44100, 64)
        assert manifest["package_version"] == __version__ and manifest["split"] == "development"
        assert manifest["finished"] and manifest["n_expected"] == 5
        assert cache.config == config and cache.finished
        with pytest.raises(KeyError, match="nope.wav"):
            cache["nope.wav"]


def test_rerun_with_the_same_config_does_no_work(tiny_dataset, monkeypatch):
    first = build_feature_cache(tiny_dataset, "logmel_pooled", "validation", progress=False)
    stamp = first.stat().st_mtime_ns
    monkeypatch.setattr(registry, "compute_features_batch", no_work)
    monkeypatch.setattr("aacr_lib.audio.load_audio", no_work)
    monkeypatch.setattr(registry, "load_waveform", no_work)
    again = build_feature_cache(tiny_dataset, "logmel_pooled", "validation", progress=False)
    assert again == first
    with FeatureCache(again) as cache:
        assert cache.keys() == ["v one.wav", "v two.wav"] and cache.dim == 64
    assert first.stat().st_mtime_ns == stamp  # not even reopened for writing


def test_resume_after_a_crash_computes_exactly_the_rest(tiny_dataset, tmp_path, monkeypatch):
    real = registry.compute_features_batch
    clean = build_feature_cache(
        tiny_dataset, "logmel", "development", out=tmp_path / "clean.h5", progress=False
    )
    out = tmp_path / "resumed.h5"

    crashing = Counter(real, crash_after=3)
    monkeypatch.setattr(registry, "compute_features_batch", crashing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_feature_cache(
            tiny_dataset, "logmel", "development", out=out, batch_size=1, progress=False
        )
    with FeatureCache(out) as partial:
        assert len(partial) == 3 and not partial.finished
        done = set(partial.keys())

    resumed = Counter(real)
    monkeypatch.setattr(registry, "compute_features_batch", resumed)
    build_feature_cache(
        tiny_dataset, "logmel", "development", out=out, batch_size=2, progress=False
    )
    # Exactly the two clips the crash left undone were computed (told apart by length).
    remaining = [n for n in CLIP_NAMES if n not in done]
    lengths = [sf.info(str(tiny_dataset / "development" / n)).frames for n in remaining]
    assert sorted(resumed.clips) == sorted(lengths) and len(lengths) == 2
    with FeatureCache(out) as after, FeatureCache(clean) as reference:
        assert after.keys() == reference.keys() and after.finished
        for name in reference.keys():
            np.testing.assert_array_equal(after[name], reference[name])


def test_an_entry_not_marked_complete_is_recomputed(tiny_dataset, monkeypatch):
    path = build_feature_cache(tiny_dataset, "logmel_pooled", "development", progress=False)
    victim = "noise, bright.wav"
    with FeatureCache(path) as cache:
        good = cache[victim]
    with h5py.File(path, "a") as handle:
        # What a crash between writing the data and marking it complete leaves behind.
        dataset = handle[CLIPS_GROUP][encode_key(victim)]
        del dataset.attrs["complete"]
        dataset[...] = 0.0
        handle.attrs["finished"] = False
    with FeatureCache(path) as cache:
        assert victim not in cache and len(cache) == 4
    counter = Counter(registry.compute_features_batch)
    monkeypatch.setattr(registry, "compute_features_batch", counter)
    build_feature_cache(tiny_dataset, "logmel_pooled", "development", progress=False)
    assert len(counter.clips) == 1
    with FeatureCache(path) as cache:
        np.testing.assert_array_equal(cache[victim], good)


def test_another_config_is_refused_naming_file_and_fix(tiny_dataset, tmp_path):
    out = tmp_path / "x.h5"
    build_feature_cache(tiny_dataset, "logmel", "validation", out=out, progress=False)
    other = LogMelConfig(n_mels=32)
    with pytest.raises(DataError, match=r"x\.h5 holds logmel features .* delete the file"):
        build_feature_cache(tiny_dataset, "logmel", "validation", out=out, config=other)
    with pytest.raises(DataError, match=r"x\.h5 holds logmel .* not the requested logmel"):
        FeatureCache(out, config=other)
    with pytest.raises(DataError, match="holds the 'validation' split"):
        build_feature_cache(tiny_dataset, "logmel", "development", out=out, progress=False)


def test_open_by_dataset_and_pickle(tiny_dataset):
    build_feature_cache(tiny_dataset, "logmel_pooled", "validation", progress=False)
    cache = open_feature_cache(tiny_dataset, "logmel_pooled", "validation")
    first = cache["v one.wav"]
    clone = pickle.loads(pickle.dumps(cache))  # what DataLoader workers receive
    np.testing.assert_array_equal(clone["v one.wav"], first)
    item = read_split(tiny_dataset, "validation")[0]
    np.testing.assert_array_equal(clone.load(item), cache[item.file_name])
    cache.close()
    clone.close()


def test_errors_are_data_errors(tiny_dataset, tmp_path):
    with pytest.raises(DataError, match="not found"):
        build_feature_cache(tmp_path / "nowhere", "logmel", "development")
    with pytest.raises(DataError, match="clotho_captions_evaluation.csv not found"):
        build_feature_cache(tiny_dataset, "logmel", "evaluation")
    (tiny_dataset / "development" / "tone low.wav").unlink()
    with pytest.raises(DataError, match="1 audio file.*missing.*tone low.wav"):
        build_feature_cache(tiny_dataset, "logmel", "development", progress=False)
    assert not default_cache_path(tiny_dataset, "logmel", "development").exists()
    with pytest.raises(DataError, match="feature cache not found"):
        FeatureCache(tmp_path / "none.h5")
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as handle:
        handle["x"] = np.zeros(3)
    with pytest.raises(DataError, match="without a feature-cache manifest"):
        FeatureCache(plain)
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not hdf5")
    with pytest.raises(DataError, match="not a readable HDF5 feature cache"):
        FeatureCache(garbage)


def test_vggish_without_weights_leaves_no_file(tiny_dataset):
    with pytest.raises(PretrainedUnavailable, match="aacr setup vggish"):
        build_feature_cache(tiny_dataset, "vggish", "validation", progress=False)
    assert not default_cache_path(tiny_dataset, "vggish", "validation").exists()


def test_vggish_cache(tiny_dataset, fake_vggish_weights):
    path = build_feature_cache(tiny_dataset, "vggish", "validation", progress=False)
    with FeatureCache(path) as cache:
        assert cache["v one.wav"].shape == (1, 128) and cache["v two.wav"].shape == (1, 128)
        assert json.loads(json.dumps(cache.manifest))["config"]["final_relu"] is False


KILL_SCRIPT = """
import os, sys
from aacr_lib.features import cache, registry
real = registry.compute_features_batch
count = [0]
def dying(config, waveforms, device="cpu", items=None):
    if count[0] == 2:
        os._exit(9)  # no cleanup at all: as abrupt as a kill
    count[0] += len(waveforms)
    return real(config, waveforms, device=device, items=items)
registry.compute_features_batch = dying
cache.build_feature_cache(sys.argv[1], "logmel_pooled", "development", progress=False,
                          batch_size=1)
"""


@pytest.mark.slow
def test_resume_after_the_process_dies(tiny_dataset, monkeypatch):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(tiny_dataset)], check=False)
    assert result.returncode == 9
    path = default_cache_path(tiny_dataset, "logmel_pooled", "development")
    with FeatureCache(path) as partial:
        assert len(partial) == 2 and not partial.finished
    counter = Counter(registry.compute_features_batch)
    monkeypatch.setattr(registry, "compute_features_batch", counter)
    build_feature_cache(tiny_dataset, "logmel_pooled", "development", progress=False)
    assert len(counter.clips) == 3
    with FeatureCache(path) as cache:
        assert cache.finished and cache.keys() == sorted(CLIP_NAMES)
        for name in CLIP_NAMES:
            expected = registry.compute_features(
                "logmel_pooled", tiny_dataset / "development" / name
            )
            np.testing.assert_array_equal(cache[name], expected)
