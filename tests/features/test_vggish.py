"""VGGish on torchvggish: patches against `waveform_to_examples` and the TF formulas, the
network, the weight loader. (`test_vggish_parity.py`: against the project's former port.)"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from torchvggish import vggish_input
from torchvggish.torchvggish import VGG, make_layers

from aacr_lib.errors import ConfigError, DataError, PretrainedUnavailable
from aacr_lib.features import registry
from aacr_lib.features.vggish import (
    VGGishConfig,
    load_vggish,
    vggish_embeddings,
    vggish_embeddings_batch,
    vggish_patches,
    vggish_patches_batch,
)
from tests.fabricate import VGGISH_SHAPES
from tests.features.conftest import synth, vggish_from_state

SR = 16000


def reference_patches(y: np.ndarray) -> np.ndarray:
    """VGGish patches recomputed in float64 numpy from the formulas of TF `mel_features.py`.

    25 ms / 10 ms frames without padding, periodic Hann, |rfft(512)|, HTK-mel triangles
    (linear in mels, peak 1, DC bin zeroed) for 64 bands over 125–7500 Hz, log(x + 0.01),
    non-overlapping 96-frame patches.
    """
    y = y.astype(np.float64)
    win, hop, n_fft = 400, 160, 512
    n_frames = 1 + (len(y) - win) // hop
    frames = np.stack([y[i * hop : i * hop + win] for i in range(n_frames)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi / win * np.arange(win))
    spectrum = np.abs(np.fft.rfft(frames * window, n_fft))

    def mel(f):
        return 1127.0 * np.log(1.0 + f / 700.0)

    bins = mel(np.linspace(0.0, SR / 2, n_fft // 2 + 1))
    edges = np.linspace(mel(125.0), mel(7500.0), 66)
    weights = np.zeros((n_fft // 2 + 1, 64))
    for i in range(64):
        lo, mid, hi = edges[i : i + 3]
        weights[:, i] = np.maximum(
            0.0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid))
        )
    weights[0] = 0.0
    log_mel = np.log(spectrum @ weights + 0.01)
    n_patches = 1 + (n_frames - 96) // 96
    return log_mel[: n_patches * 96].reshape(n_patches, 96, 64)


def test_defaults_are_vggish_params():
    c = VGGishConfig()
    assert (c.sample_rate, c.win_length, c.hop_length, c.n_fft) == (16000, 400, 160, 512)
    assert (c.n_mels, c.f_min, c.f_max, c.log_offset) == (64, 125.0, 7500.0, 0.01)
    assert (c.patch_frames, c.patch_hop_frames, c.dim) == (96, 96, 128)
    assert not c.final_relu and not c.postprocess
    assert c.frame_rate == pytest.approx(1 / 0.96)


def test_patches_match_the_documented_formulas():
    y = synth(3.5, SR)
    ours = vggish_patches(y).numpy()
    ref = reference_patches(y)
    assert ours.shape == ref.shape == (3, 96, 64) and ours.dtype == np.float32
    # float64 formulas in both, the result rounded to float32.
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)


def test_patches_are_waveform_to_examples():
    y = synth(3.5, SR, seed=3)
    ref = vggish_input.waveform_to_examples(y.astype(np.float64), SR, return_tensor=False)
    np.testing.assert_array_equal(vggish_patches(y).numpy(), ref.astype(np.float32))


def test_resampy_option_matches_torchvggish_from_44k():
    y = synth(3.0, 44100, seed=1)
    ref = vggish_input.waveform_to_examples(y.astype(np.float64), 44100, return_tensor=False)
    config = VGGishConfig(resampler="resampy")
    assert config == VGGishConfig()  # the default, as in the DCASE baseline
    ours = vggish_patches(registry.prepare_waveform(y, config, sample_rate=44100)).numpy()
    assert ours.shape == ref.shape == (3, 96, 64)
    # The same resampy call; registry rounds the resampled audio to float32 (~1e-6 here).
    np.testing.assert_allclose(ours, ref, atol=1e-5, rtol=0)
    # soxr differs from resampy only in the top mel bands (its roll-off).
    soxr = VGGishConfig(resampler="soxr-hq")
    other = vggish_patches(registry.prepare_waveform(y, soxr, 44100)).numpy()
    np.testing.assert_allclose(other[..., :60], ref[..., :60], atol=2e-3, rtol=0)
    assert np.abs(other[..., 62:] - ref[..., 62:]).max() > 1e-2


def test_resampy_option_without_resampy_names_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "resampy", None)  # makes `import resampy` fail
    with pytest.raises(ConfigError, match="pip install resampy"):
        registry.prepare_waveform(synth(0.5, 44100), VGGishConfig(resampler="resampy"), 44100)
    with pytest.raises(ValueError, match="resampler"):
        VGGishConfig(resampler="sinc")


def test_patch_count_drops_the_incomplete_patch():
    clips = [synth(s, SR, seed=i) for i, s in enumerate((0.005, 0.02, 0.5, 0.975, 2.0, 3.5))]
    patches = vggish_patches_batch(clips)
    # 0.975 s = 96 frames exactly: one patch; 0.5 s: none; 5 ms (80 samples, less than one
    # 400-sample window) and 20 ms: no frame at all.
    assert [p.shape for p in patches] == [(n, 96, 64) for n in (0, 0, 0, 1, 2, 3)]
    for clip, p in zip(clips, patches, strict=True):
        np.testing.assert_array_equal(p.numpy(), vggish_patches(clip).numpy())


def test_fabricated_weights_have_torchvggish_keys_and_shapes():
    with torch.device("meta"):
        upstream = VGG(make_layers(), postprocess=False)
    assert {k: tuple(v.shape) for k, v in upstream.state_dict().items()} == VGGISH_SHAPES


def test_network_is_torchvggish_without_its_final_relu(vggish_state):
    patches = torch.from_numpy(reference_patches(synth(2.0, SR))).float()[:, None]
    plain = vggish_from_state(vggish_state)
    relu = vggish_from_state(vggish_state, final_relu=True)
    assert isinstance(plain, VGG) and not plain.postprocess and not plain.training
    assert isinstance(plain.embeddings[5], torch.nn.Identity)
    assert isinstance(relu.embeddings[5], torch.nn.ReLU)
    with torch.no_grad():
        a, b = plain(patches), relu(patches)
    assert a.shape == (2, 128)
    assert (a < 0).any()
    torch.testing.assert_close(b, a.clamp(min=0))


def test_loader_reads_the_asset_cache_without_downloading(
    fake_vggish_weights, vggish_state, monkeypatch
):
    def no_download(*args, **kwargs):
        raise AssertionError("torch.hub download attempted")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    model = load_vggish()
    assert not model.training
    for key, value in vggish_state.items():
        torch.testing.assert_close(model.state_dict()[key], value, rtol=0, atol=0)
    out = vggish_embeddings(synth(2.0, SR), model=model)
    assert out.shape == (2, 128) and out.dtype == np.float32


def test_embeddings_batch_equals_single_clips(fake_vggish_weights):
    clips = [synth(s, SR, seed=i) for i, s in enumerate((1.0, 2.5, 0.3))]
    outs = vggish_embeddings_batch(clips, patch_batch=2)
    assert [o.shape for o in outs] == [(1, 128), (2, 128), (0, 128)]
    for clip, out in zip(clips[:2], outs[:2], strict=True):
        np.testing.assert_allclose(out, vggish_embeddings(clip), rtol=1e-5, atol=1e-5)


def test_missing_weights_name_the_fix(isolated_roots):
    with pytest.raises(PretrainedUnavailable, match="aacr setup vggish"):
        load_vggish()
    with pytest.raises(PretrainedUnavailable, match="vggish-10086976.pth"):
        load_vggish(isolated_roots / "nowhere" / "vggish-10086976.pth")


class _NotATensor:
    """A pickled object: `torch.load(weights_only=True)` must refuse to build it."""


def test_wrong_weights_file_is_a_data_error(tmp_path):
    state = {k: torch.zeros(1) for k in VGGISH_SHAPES}  # loader must check before loading
    state.pop("embeddings.4.bias")
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(DataError, match="missing: embeddings.4.bias.*unexpected: extra.weight"):
        load_vggish(path)
    torch.save({"features.0.weight": _NotATensor()}, path)
    with pytest.raises(DataError, match="cannot read VGGish weights"):
        load_vggish(path)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="cannot read VGGish weights"):
        load_vggish(path)


def test_postprocessing_is_refused():
    with pytest.raises(ValueError, match="PCA"):
        VGGishConfig(postprocess=True)
