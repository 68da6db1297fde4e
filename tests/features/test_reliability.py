"""Feature caches notice changed audio, stop on bad audio, and live outside read-only datasets."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import soundfile as sf

from aacr_lib.cli import main
from aacr_lib.data.config import DataConfig
from aacr_lib.errors import DataError
from aacr_lib.features import registry
from aacr_lib.features.cache import (
    CLIPS_GROUP,
    FORMAT_VERSION,
    MANIFEST_ATTR,
    MTIME_ATTR,
    SIZE_ATTR,
    FeatureCache,
    build_feature_cache,
    default_cache_path,
    encode_key,
)
from aacr_lib.features.splits import load_split
from tests.features.conftest import CLIP_NAMES, synth

KIND = "logmel_pooled"


@pytest.fixture(autouse=True)
def no_features_root(monkeypatch):
    monkeypatch.delenv("AACR_FEATURES", raising=False)


class Counter:
    def __init__(self, real):
        self.real = real
        self.clips = 0

    def __call__(self, config, waveforms, device="cpu", items=None):
        self.clips += len(waveforms)
        return self.real(config, waveforms, device=device, items=items)


def replace_clip(path: Path, seconds: float, seed: int, same_size: bool = False) -> None:
    """Write new audio to `path`; its modification time moves on even on coarse clocks."""
    before = path.stat()
    sf.write(path, synth(seconds, 44100, seed=seed), 44100, "PCM_16")
    if same_size:
        assert path.stat().st_size == before.st_size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))


def test_a_replaced_clip_gets_new_features(tiny_dataset, monkeypatch):
    path = build_feature_cache(tiny_dataset, KIND, "development", progress=False)
    victim = tiny_dataset / "development" / "tone low.wav"
    with FeatureCache(path) as cache:
        old = cache["tone low.wav"]
    replace_clip(victim, 1.0, seed=7, same_size=True)  # same size, other content and mtime
    counter = Counter(registry.compute_features_batch)
    monkeypatch.setattr(registry, "compute_features_batch", counter)
    assert build_feature_cache(tiny_dataset, KIND, "development", progress=False) == path
    assert counter.clips == 1  # only the replaced clip
    expected = registry.compute_features(KIND, victim)
    with FeatureCache(path) as cache:
        assert cache.finished and cache.keys() == sorted(CLIP_NAMES)
        np.testing.assert_array_equal(cache["tone low.wav"], expected)
        assert not np.array_equal(cache["tone low.wav"], old)
    with h5py.File(path, "r") as handle:
        entry = handle[CLIPS_GROUP][encode_key("tone low.wav")]
        stat = victim.stat()
        assert (entry.attrs[SIZE_ATTR], entry.attrs[MTIME_ATTR]) == (
            stat.st_size,
            stat.st_mtime_ns,
        )


def test_training_loads_the_new_features_of_a_replaced_clip(tiny_dataset):
    data = DataConfig(features=KIND)
    first = load_split(tiny_dataset, data, "validation", progress=False)
    old = first.features["v one.wav"]
    first.features.cache.close()  # an open reader would block the update
    replace_clip(tiny_dataset / "validation" / "v one.wav", 2.0, seed=9)  # a longer clip
    again = load_split(tiny_dataset, data, "validation", progress=False)
    new = again.features["v one.wav"]
    assert new.shape[0] > old.shape[0]
    np.testing.assert_array_equal(
        new, registry.compute_features(KIND, tiny_dataset / "validation" / "v one.wav")
    )


def test_a_format_1_cache_is_rebuilt_in_place(tiny_dataset, monkeypatch):
    path = build_feature_cache(tiny_dataset, KIND, "validation", progress=False)
    with h5py.File(path, "a") as handle:  # what the previous format wrote: no source stamps
        manifest = json.loads(handle.attrs[MANIFEST_ATTR])
        handle.attrs[MANIFEST_ATTR] = json.dumps({**manifest, "format": 1})
        for entry in handle[CLIPS_GROUP].values():
            del entry.attrs[SIZE_ATTR], entry.attrs[MTIME_ATTR]
    with FeatureCache(path) as old:  # still readable
        assert len(old) == 2 and old.manifest["format"] == 1
    counter = Counter(registry.compute_features_batch)
    monkeypatch.setattr(registry, "compute_features_batch", counter)
    build_feature_cache(tiny_dataset, KIND, "validation", progress=False)
    assert counter.clips == 2  # their sources were unknown: recomputed
    with FeatureCache(path) as cache:
        assert cache.finished and len(cache) == 2
        assert cache.manifest["format"] == FORMAT_VERSION == 2
    counter.clips = 0
    build_feature_cache(tiny_dataset, KIND, "validation", progress=False)
    assert counter.clips == 0


def test_bad_audio_stops_the_build_naming_the_file_and_keeps_the_rest(tiny_dataset):
    bad = tiny_dataset / "development" / "chirp 100%.wav"  # the third clip of five
    data = synth(1.6, 44100)
    data[1000] = np.nan
    sf.write(bad, data, 44100, subtype="FLOAT")
    with pytest.raises(DataError) as caught:
        build_feature_cache(tiny_dataset, KIND, "development", batch_size=8, progress=False)
    message = str(caught.value)
    assert "\n" not in message
    assert "chirp 100%.wav" in message and "NaN/inf" in message
    assert "aacr data check" in message and "2 of 5 clips" in message
    path = default_cache_path(tiny_dataset, KIND, "development")
    with FeatureCache(path) as partial:  # the clips before it are kept; nothing is finished
        assert partial.keys() == sorted(CLIP_NAMES[:2]) and not partial.finished
    sf.write(bad, synth(1.6, 44100), 44100, "PCM_16")  # fixed: the rerun resumes
    build_feature_cache(tiny_dataset, KIND, "development", progress=False)
    with FeatureCache(path) as cache:
        assert cache.finished and cache.keys() == sorted(CLIP_NAMES)
        assert all(np.isfinite(cache[name]).all() for name in cache)


def test_a_truncated_clip_stops_the_build(tiny_dataset, capsys):
    clip = tiny_dataset / "validation" / "v two.wav"
    data = clip.read_bytes()
    clip.write_bytes(data[: len(data) // 2])
    assert main(["features", str(tiny_dataset), "--kind", KIND, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "v two.wav: truncated" in err


@pytest.fixture
def read_only(monkeypatch):
    """`make(root)`: make `root` read-only (chmod 0o555).

    Tests run as root in CI, where permission bits do not stop writes: there the refusal is
    simulated by making directory creation and file creation under `root` raise
    PermissionError, as the kernel would for another user.
    """
    made = []

    def make(root: Path) -> Path:
        root.chmod(0o555)
        made.append(root)
        if os.geteuid() != 0:
            return root

        def inside(path) -> bool:
            return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(root))

        real_mkdir, real_mkstemp, real_file = Path.mkdir, tempfile.mkstemp, h5py.File

        def mkdir(self, *args, **kwargs):
            if inside(self) and not self.is_dir():
                raise PermissionError(13, "Permission denied", str(self))
            return real_mkdir(self, *args, **kwargs)

        def mkstemp(*args, dir=None, **kwargs):
            if dir is not None and inside(dir):
                raise PermissionError(13, "Permission denied", str(dir))
            return real_mkstemp(*args, dir=dir, **kwargs)

        def h5file(name, mode="r", *args, **kwargs):
            if mode != "r" and inside(name):
                raise PermissionError(13, "Permission denied", str(name))
            return real_file(name, mode, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", mkdir)
        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
        monkeypatch.setattr(h5py, "File", h5file)
        return root

    yield make
    for root in made:
        root.chmod(0o755)


def test_a_read_only_dataset_gives_one_line_naming_the_fix(tiny_dataset, read_only, capsys):
    read_only(tiny_dataset)
    with pytest.raises(DataError) as caught:
        build_feature_cache(tiny_dataset, KIND, "validation", progress=False)
    message = str(caught.value)
    assert "\n" not in message and str(tiny_dataset / "features") in message
    assert "AACR_FEATURES=/somewhere/writable" in message and "--features-dir" in message
    assert main(["features", str(tiny_dataset), "--kind", KIND, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and "AACR_FEATURES=" in err
    assert not (tiny_dataset / "features").exists()


def test_a_read_only_dataset_works_with_aacr_features(
    tiny_dataset, read_only, tmp_path, monkeypatch
):
    read_only(tiny_dataset)
    root = tmp_path / "writable features"
    monkeypatch.setenv("AACR_FEATURES", str(root))
    split = load_split(tiny_dataset, DataConfig(features=KIND), "validation", progress=False)
    path = split.features.cache.path
    assert path.is_relative_to(root) and path == default_cache_path(
        tiny_dataset, KIND, "validation"
    )
    assert path.parent.parent.name.startswith("tiny-")
    assert split.features["v one.wav"].shape[1] == 64
    assert not (tiny_dataset / "features").exists()


def test_features_dir_option_is_the_root_training_reads(
    tiny_dataset, read_only, tmp_path, capsys, monkeypatch
):
    read_only(tiny_dataset)
    root = tmp_path / "elsewhere"
    args = ["features", str(tiny_dataset), "--kind", KIND, "--features-dir", str(root)]
    assert main([*args, "--no-progress"]) == 0
    out = capsys.readouterr().out
    for split in ("development", "validation"):
        path = default_cache_path(tiny_dataset, KIND, split, features_root=root)
        assert path.is_relative_to(root) and f"in {path}" in out
    assert not (tiny_dataset / "features").exists()
    monkeypatch.setenv("AACR_FEATURES", str(root))
    monkeypatch.setattr(registry, "compute_features_batch", Counter(None))  # nothing to do
    split = load_split(tiny_dataset, DataConfig(features=KIND), "development", progress=False)
    assert split.features.cache.path == default_cache_path(
        tiny_dataset, KIND, "development", features_root=root
    )
