"""`logmel_pooled`: the offline stand-in on VGGish's time grid."""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.features.pooled import PooledLogMelConfig, pooled_log_mel, pooled_log_mel_batch
from aacr_lib.features.vggish import vggish_patches
from tests.features.conftest import synth

SR = 16000


def test_mean_of_each_vggish_patch():
    y = synth(3.5, SR)
    out = pooled_log_mel(y)
    patches = vggish_patches(y).numpy()
    assert out.shape == (3, 64) and out.dtype == np.float32
    np.testing.assert_allclose(out, patches.mean(axis=1), rtol=1e-6, atol=1e-6)


def test_mean_and_std_give_128_values():
    config = PooledLogMelConfig(statistics=("mean", "std"))
    y = synth(2.0, SR, seed=2)
    out = pooled_log_mel(y, config)
    patches = vggish_patches(y).numpy()
    assert config.dim == 128 and out.shape == (2, 128)
    np.testing.assert_allclose(out[:, 64:], patches.std(axis=1), rtol=1e-5, atol=1e-5)


def test_batch_equals_single_clips_and_keeps_the_grid():
    clips = [synth(s, SR, seed=i) for i, s in enumerate((0.5, 1.0, 2.9))]
    outs = pooled_log_mel_batch(clips)
    assert [o.shape[0] for o in outs] == [0, 1, 3]  # floor(seconds / 0.96) when 10 ms frames fit
    for clip, out in zip(clips, outs, strict=True):
        np.testing.assert_allclose(out, pooled_log_mel(clip), atol=1e-6)


def test_it_is_not_called_vggish():
    config = PooledLogMelConfig()
    assert config.kind == "logmel_pooled" and "vggish" not in config.kind
    assert config.dim == 64 and config.frame_rate == pytest.approx(1 / 0.96)
    with pytest.raises(ValueError, match="statistics"):
        PooledLogMelConfig(statistics=("median",))
