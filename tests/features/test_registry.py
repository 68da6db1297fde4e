"""`compute_features`: one entry point for every kind, from a file or an array."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from aacr_lib.assets import VGGISH_URL
from aacr_lib.errors import PretrainedUnavailable
from aacr_lib.features import registry
from aacr_lib.features.logmel import LogMelConfig, log_mel
from aacr_lib.features.pooled import PooledLogMelConfig
from aacr_lib.features.vggish import VGGishConfig, vggish_patches
from tests.features.conftest import synth


def test_kinds_and_configs():
    assert registry.KINDS == ("logmel", "vggish", "logmel_pooled")
    assert isinstance(registry.make_config("logmel"), LogMelConfig)
    assert isinstance(registry.make_config("vggish"), VGGishConfig)
    assert isinstance(registry.make_config("logmel_pooled"), PooledLogMelConfig)
    hashes = {registry.make_config(kind).config_hash() for kind in registry.KINDS}
    assert len(hashes) == 3
    with pytest.raises(ValueError, match="choose one of logmel, vggish, logmel_pooled"):
        registry.make_config("mfcc")


def test_config_round_trips_through_a_manifest_dict():
    config = PooledLogMelConfig(statistics=("mean", "std"))
    again = registry.config_from_manifest("logmel_pooled", config.to_dict())
    assert again == config and again.config_hash() == config.config_hash()
    with pytest.raises(ValueError, match="no field"):
        registry.config_from_manifest("logmel", {"n_mels": 64, "bogus": 1})


def test_from_a_file_equals_from_the_array(tmp_path):
    y = synth(1.5, 44100)
    path = tmp_path / "clip.wav"
    sf.write(path, y, 44100, subtype="FLOAT")
    from_file = registry.compute_features("logmel", path)
    from_array = registry.compute_features("logmel", y, sample_rate=44100)
    assert from_file.shape == (1 + len(y) // 882, 64) and from_file.dtype == np.float32
    np.testing.assert_allclose(from_file, from_array)
    np.testing.assert_allclose(from_array, log_mel(y).numpy())


def test_arrays_are_downmixed_and_resampled():
    y = synth(2.0, 44100)
    stereo = np.stack([y, y], axis=1)
    out = registry.compute_features("logmel_pooled", stereo, sample_rate=44100)
    assert out.shape == (2, 64)
    # At the config's own rate (the default) no resampling happens.
    y16 = synth(2.0, 16000)
    np.testing.assert_allclose(
        registry.compute_features("logmel_pooled", y16),
        vggish_patches(y16).numpy().mean(axis=1),
        atol=1e-6,
    )


def test_overrides_and_config():
    y = synth(1.0, 44100)
    out = registry.compute_features("logmel", y, n_mels=40)
    assert out.shape[1] == 40
    out = registry.compute_features("logmel", y, config=LogMelConfig(n_mels=32))
    assert out.shape[1] == 32
    with pytest.raises(ValueError, match="not 'logmel'"):
        registry.compute_features("logmel", y, config=VGGishConfig())


def test_vggish_without_weights_says_how_to_get_them():
    with pytest.raises(PretrainedUnavailable, match="aacr setup vggish") as caught:
        registry.compute_features("vggish", synth(1.0, 16000))
    assert VGGISH_URL in str(caught.value) and "vggish-10086976.pth" in str(caught.value)


def test_vggish_with_weights(fake_vggish_weights):
    out = registry.compute_features("vggish", synth(2.0, 44100), sample_rate=44100)
    assert out.shape == (2, 128) and out.dtype == np.float32
