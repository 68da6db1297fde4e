"""The retrieval-baseline log-mel against librosa, which the DCASE 2022 baseline calls."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from aacr_lib.features.logmel import (
    LogMel,
    LogMelConfig,
    hz_to_mel_slaney,
    log_mel,
    log_mel_batch,
    mel_to_hz_slaney,
    num_frames,
    slaney_mel_filterbank,
)
from tests.features.conftest import synth

librosa = pytest.importorskip("librosa")

SR = 44100


def librosa_log_mel(y: np.ndarray, config: LogMelConfig) -> np.ndarray:
    """The baseline's call (scripts/audio_features.py), with the pad mode made explicit."""
    mel = librosa.feature.melspectrogram(
        y=y,
        sr=config.sample_rate,
        n_fft=config.n_fft,
        hop_length=config.hop_length,
        win_length=config.win_length,
        n_mels=config.n_mels,
        fmin=config.f_min,
        fmax=config.f_max,
        center=config.center,
        pad_mode=config.pad_mode,
    )
    return np.log(mel + np.spacing(1)).T


def test_defaults_are_the_baseline_settings():
    c = LogMelConfig()
    assert (c.sample_rate, c.win_length, c.hop_length, c.n_fft) == (44100, 1764, 882, 2048)
    assert (c.n_mels, c.f_min, c.f_max, c.power) == (64, 12.0, 8000.0, 2.0)
    assert c.center and c.pad_mode == "constant"
    assert c.log_offset == np.spacing(1)
    assert c.dim == 64 and c.frame_rate == pytest.approx(50.0)


def test_slaney_scale_matches_librosa():
    freqs = np.array([0.0, 12.0, 500.0, 999.0, 1000.0, 1001.0, 4000.0, 8000.0, 22050.0])
    np.testing.assert_allclose(hz_to_mel_slaney(freqs), librosa.hz_to_mel(freqs), rtol=1e-12)
    mels = hz_to_mel_slaney(freqs)
    np.testing.assert_allclose(mel_to_hz_slaney(mels), freqs, rtol=1e-10, atol=1e-9)


def test_filterbank_matches_librosa():
    ours = slaney_mel_filterbank(SR, 2048, 64, 12.0, 8000.0)
    ref = librosa.filters.mel(
        sr=SR, n_fft=2048, n_mels=64, fmin=12.0, fmax=8000.0, dtype=np.float64
    )
    assert ours.shape == (64, 1025)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_log_mel_matches_librosa(pad_mode):
    config = LogMelConfig(pad_mode=pad_mode)
    y = synth(2.3, SR)
    ours = log_mel(y, config).numpy()
    ref = librosa_log_mel(y, config)
    assert ours.shape == ref.shape == (num_frames(len(y), config), 64)
    # float32 STFTs on both sides: differences are rounding, ~5e-6 in log units.
    np.testing.assert_allclose(ours, ref, atol=5e-5, rtol=0)


def test_batch_rows_equal_single_clips():
    y = np.stack([synth(1.5, SR, seed=s) for s in range(3)])
    batch = log_mel(y).numpy()
    assert batch.shape == (3, 1 + y.shape[1] // 882, 64)
    for b in range(3):
        np.testing.assert_allclose(batch[b], log_mel(y[b]).numpy(), atol=1e-5)


@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_clips_of_different_lengths_batch_exactly(pad_mode):
    config = LogMelConfig(pad_mode=pad_mode)
    clips = [synth(s, SR, seed=i) for i, s in enumerate((1.0, 2.03, 0.5))]
    outs = log_mel_batch(clips, config)
    for clip, out in zip(clips, outs, strict=True):
        assert out.shape == (1 + len(clip) // 882, 64)
        np.testing.assert_allclose(out, librosa_log_mel(clip, config), atol=5e-5, rtol=0)


def test_silence_is_log_of_the_offset():
    out = log_mel(np.zeros(SR, dtype=np.float32)).numpy()
    np.testing.assert_allclose(out, np.log(np.float32(np.spacing(1))), rtol=1e-6)


def test_a_tone_lands_in_its_mel_band():
    t = np.arange(SR) / SR
    out = log_mel(np.sin(2 * np.pi * 1000.0 * t).astype(np.float32)).numpy()
    bank = slaney_mel_filterbank(SR, 2048, 64, 12.0, 8000.0)
    expected_band = int(np.argmax(bank[:, round(1000.0 * 2048 / SR)]))
    assert abs(int(np.bincount(out.argmax(axis=1)).argmax()) - expected_band) <= 1


def test_module_skips_bins_above_f_max():
    module = LogMel()
    assert module.n_bins < 1025 and module.mel_bank.shape == (module.n_bins, 64)
    assert module.mel_bank.dtype == torch.float32


def test_config_hash_is_stable_and_field_sensitive():
    # A literal: the hash names cache folders on disk, so it must never drift.
    assert LogMelConfig().config_hash() == "6e35b699b3ec"
    assert LogMelConfig(pad_mode="reflect").config_hash() != LogMelConfig().config_hash()
    assert LogMelConfig(n_mels=128).config_hash() != LogMelConfig().config_hash()


def test_bad_pad_mode_is_refused():
    with pytest.raises(ValueError, match="pad_mode"):
        LogMelConfig(pad_mode="edge")
