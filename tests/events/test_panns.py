"""`aacr_lib.events.panns`: PANNs probabilities on the events grid, from a checkpoint
fabricated in the release format where the asset registry looks for it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from aacr_lib import assets
from aacr_lib.errors import ConfigError, PretrainedUnavailable
from aacr_lib.events import panns
from aacr_lib.events.config import PannsEventsConfig
from aacr_lib.paths import cache_root
from tests.models.test_cnn14 import synth, write_checkpoint

ASSET = "panns_cnn14_decision_level_max"
WEIGHTS_FILE = "Cnn14_DecisionLevelMax_mAP=0.385.pth"


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory) -> Path:
    """One fabricated checkpoint for the module (330 MB); the loaded models go with it."""
    path = write_checkpoint(tmp_path_factory.mktemp("panns") / WEIGHTS_FILE, seed=1)
    yield path
    panns._cached_model.cache_clear()


@pytest.fixture
def panns_weights(isolated_roots, checkpoint_file) -> Path:
    """The fabricated checkpoint where `assets.require(ASSET)` looks (`AACR_CACHE`)."""
    path = cache_root() / ASSET / WEIGHTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(checkpoint_file)
    assert assets.require(ASSET) == path.parent
    return path


def test_probabilities_per_clip_do_not_depend_on_the_batch(panns_weights) -> None:
    config = PannsEventsConfig()
    clips = [
        synth(1.5, seed=0),  # 48000 samples: 4 segments, 5 rows (the last one partial)
        synth(1.28, seed=1),  # 40960 = 4 x 10240: 4 segments, 4 rows
        synth(1.5, seed=2),  # the length of the first: one forward pass with it
        synth(0.1, seed=3),  # shorter than one segment: zero-padded, 1 row
        np.zeros(0, dtype=np.float32),
    ]
    batch = panns.panns_probabilities_batch(config, clips)
    assert [p.shape for p in batch] == [(5, 527), (4, 527), (5, 527), (1, 527), (0, 527)]
    for clip, probabilities in zip(clips, batch, strict=True):
        assert probabilities.dtype == np.float32
        assert len(probabilities) == math.ceil(len(clip) / 320 / 32)
        assert ((probabilities >= 0) & (probabilities <= 1)).all()
    np.testing.assert_array_equal(batch[0][4], batch[0][3])  # the partial segment: held
    assert not np.allclose(batch[0], batch[2], atol=1e-3)  # different clips, different rows
    for clip, probabilities in zip(clips, batch, strict=True):
        (alone,) = panns.panns_probabilities_batch(config, [clip])
        np.testing.assert_allclose(alone, probabilities, rtol=0, atol=1e-5)
    # one load for all those calls
    assert panns._cached_model.cache_info().currsize == 1
    assert panns.panns_model(config) is panns.panns_model(config)


def test_other_hops_hold_the_segment_where_a_frame_starts(panns_weights) -> None:
    clip = synth(1.5, seed=0)
    (native,) = panns.panns_probabilities_batch(PannsEventsConfig(), [clip])
    (finer,) = panns.panns_probabilities_batch(PannsEventsConfig(hop_seconds=0.16), [clip])
    assert finer.shape == (math.ceil(1.5 / 0.16), 527) == (10, 527)
    np.testing.assert_array_equal(finer, native[np.arange(10) // 2])
    assert panns.num_frames(len(clip), 0.16) == 10 and panns.num_frames(len(clip)) == 5


def test_missing_weights_name_the_setup_command(isolated_roots) -> None:
    config = PannsEventsConfig()
    with pytest.raises(PretrainedUnavailable) as info:
        panns.check_panns(config)
    message = str(info.value)
    assert "aacr setup panns_cnn14_decision_level_max" in message
    assert str(cache_root() / ASSET / WEIGHTS_FILE) in message
    assert "zenodo.org" in message  # where to get the file by hand
    with pytest.raises(PretrainedUnavailable):
        panns.panns_probabilities_batch(config, [synth(0.5)])


def test_the_network_takes_32_khz_only() -> None:
    with pytest.raises(ConfigError, match="32000 Hz"):
        panns.check_panns(PannsEventsConfig(sample_rate=16000))
