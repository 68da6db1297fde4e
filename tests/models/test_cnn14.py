"""PANNs Cnn14_DecisionLevelMax: the upstream checkpoint format loads strictly, the outputs
have upstream's shapes and relations, and the front end is librosa's log-mel.

No PANNs weights exist on the test machines: the checkpoint is fabricated in the release
file's format (`torch.save` of `{"model": state_dict, "iteration": ...}`), with the keys and
shapes of upstream's `Cnn14_DecisionLevelMax` written out below, the front end's tensors
computed independently here (numpy DFT, scipy's Hann window, librosa's mel filters) and
random values elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from aacr_lib.errors import DataError
from aacr_lib.models.events.cnn14 import (
    Cnn14DecisionLevelMax,
    load_cnn14_decision_level_max,
)

# qiuqiangkong/audioset_tagging_cnn `pytorch/models.py` `Cnn14_DecisionLevelMax(sample_rate=
# 32000, window_size=1024, hop_size=320, mel_bins=64, fmin=50, fmax=14000, classes_num=527)
# .state_dict()`: torchlibrosa's Spectrogram (STFT as Conv1d) and LogmelFilterBank (melW, a
# Parameter), bn0, six ConvBlocks (conv1, conv2, bn1, bn2), fc1, fc_audioset.
UPSTREAM_SHAPES: dict[str, tuple[int, ...]] = {
    "spectrogram_extractor.stft.conv_real.weight": (513, 1, 1024),
    "spectrogram_extractor.stft.conv_imag.weight": (513, 1, 1024),
    "logmel_extractor.melW": (513, 64),
    "bn0.weight": (64,),
    "bn0.bias": (64,),
    "bn0.running_mean": (64,),
    "bn0.running_var": (64,),
    "bn0.num_batches_tracked": (),
    "conv_block1.conv1.weight": (64, 1, 3, 3),
    "conv_block1.conv2.weight": (64, 64, 3, 3),
    "conv_block1.bn1.weight": (64,),
    "conv_block1.bn1.bias": (64,),
    "conv_block1.bn1.running_mean": (64,),
    "conv_block1.bn1.running_var": (64,),
    "conv_block1.bn1.num_batches_tracked": (),
    "conv_block1.bn2.weight": (64,),
    "conv_block1.bn2.bias": (64,),
    "conv_block1.bn2.running_mean": (64,),
    "conv_block1.bn2.running_var": (64,),
    "conv_block1.bn2.num_batches_tracked": (),
    "conv_block2.conv1.weight": (128, 64, 3, 3),
    "conv_block2.conv2.weight": (128, 128, 3, 3),
    "conv_block2.bn1.weight": (128,),
    "conv_block2.bn1.bias": (128,),
    "conv_block2.bn1.running_mean": (128,),
    "conv_block2.bn1.running_var": (128,),
    "conv_block2.bn1.num_batches_tracked": (),
    "conv_block2.bn2.weight": (128,),
    "conv_block2.bn2.bias": (128,),
    "conv_block2.bn2.running_mean": (128,),
    "conv_block2.bn2.running_var": (128,),
    "conv_block2.bn2.num_batches_tracked": (),
    "conv_block3.conv1.weight": (256, 128, 3, 3),
    "conv_block3.conv2.weight": (256, 256, 3, 3),
    "conv_block3.bn1.weight": (256,),
    "conv_block3.bn1.bias": (256,),
    "conv_block3.bn1.running_mean": (256,),
    "conv_block3.bn1.running_var": (256,),
    "conv_block3.bn1.num_batches_tracked": (),
    "conv_block3.bn2.weight": (256,),
    "conv_block3.bn2.bias": (256,),
    "conv_block3.bn2.running_mean": (256,),
    "conv_block3.bn2.running_var": (256,),
    "conv_block3.bn2.num_batches_tracked": (),
    "conv_block4.conv1.weight": (512, 256, 3, 3),
    "conv_block4.conv2.weight": (512, 512, 3, 3),
    "conv_block4.bn1.weight": (512,),
    "conv_block4.bn1.bias": (512,),
    "conv_block4.bn1.running_mean": (512,),
    "conv_block4.bn1.running_var": (512,),
    "conv_block4.bn1.num_batches_tracked": (),
    "conv_block4.bn2.weight": (512,),
    "conv_block4.bn2.bias": (512,),
    "conv_block4.bn2.running_mean": (512,),
    "conv_block4.bn2.running_var": (512,),
    "conv_block4.bn2.num_batches_tracked": (),
    "conv_block5.conv1.weight": (1024, 512, 3, 3),
    "conv_block5.conv2.weight": (1024, 1024, 3, 3),
    "conv_block5.bn1.weight": (1024,),
    "conv_block5.bn1.bias": (1024,),
    "conv_block5.bn1.running_mean": (1024,),
    "conv_block5.bn1.running_var": (1024,),
    "conv_block5.bn1.num_batches_tracked": (),
    "conv_block5.bn2.weight": (1024,),
    "conv_block5.bn2.bias": (1024,),
    "conv_block5.bn2.running_mean": (1024,),
    "conv_block5.bn2.running_var": (1024,),
    "conv_block5.bn2.num_batches_tracked": (),
    "conv_block6.conv1.weight": (2048, 1024, 3, 3),
    "conv_block6.conv2.weight": (2048, 2048, 3, 3),
    "conv_block6.bn1.weight": (2048,),
    "conv_block6.bn1.bias": (2048,),
    "conv_block6.bn1.running_mean": (2048,),
    "conv_block6.bn1.running_var": (2048,),
    "conv_block6.bn1.num_batches_tracked": (),
    "conv_block6.bn2.weight": (2048,),
    "conv_block6.bn2.bias": (2048,),
    "conv_block6.bn2.running_mean": (2048,),
    "conv_block6.bn2.running_var": (2048,),
    "conv_block6.bn2.num_batches_tracked": (),
    "fc1.weight": (2048, 2048),
    "fc1.bias": (2048,),
    "fc_audioset.weight": (527, 2048),
    "fc_audioset.bias": (527,),
}
# Size of Zenodo 3987831's Cnn14_DecisionLevelMax_mAP=0.385.pth (the asset registry's `size`).
RELEASE_BYTES = 327_428_481
SAMPLE_RATE = 32000


def synth(seconds: float, seed: int = 0) -> np.ndarray:
    """Two tones, a chirp and noise at 32 kHz: float32, every mel band well above the floor."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * SAMPLE_RATE))) / SAMPLE_RATE
    y = 0.3 * np.sin(2 * np.pi * 440.0 * (1 + seed) * t)
    y += 0.2 * np.sin(2 * np.pi * 3000.0 * t) * (t > seconds / 2)
    y += 0.1 * np.sin(2 * np.pi * (100.0 + 2000.0 * t) * t)
    y += 0.05 * rng.standard_normal(t.size)
    return y.astype(np.float32)


def upstream_front_end() -> dict[str, torch.Tensor]:
    """The front end's tensors as torchlibrosa computes them, derived here independently."""
    import librosa
    from scipy.signal import get_window

    window = get_window("hann", 1024, fftbins=True)  # periodic Hann
    dft = np.fft.rfft(np.eye(1024), axis=1)  # [n, k] = exp(-2 pi i n k / N)
    kernels = (dft * window[:, None]).T[:, None, :]  # [k, 1, n]
    mel = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=1024, n_mels=64, fmin=50, fmax=14000)
    return {
        "spectrogram_extractor.stft.conv_real.weight": torch.tensor(
            kernels.real, dtype=torch.float32
        ),
        "spectrogram_extractor.stft.conv_imag.weight": torch.tensor(
            kernels.imag, dtype=torch.float32
        ),
        "logmel_extractor.melW": torch.tensor(mel.T, dtype=torch.float32),
    }


def fabricated_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Upstream's keys and shapes; the true front end, random weights scaled so that the
    probabilities are neither 0 nor 1 (He-scaled convolutions, BatchNorm near the identity,
    bn0 normalising log-mels of about -20 +- 20 dB)."""
    generator = torch.Generator().manual_seed(seed)

    def randn(shape: tuple[int, ...]) -> torch.Tensor:
        return torch.randn(shape, generator=generator)

    front = upstream_front_end()
    state: dict[str, torch.Tensor] = {}
    for key, shape in UPSTREAM_SHAPES.items():
        name = key.rsplit(".", 1)[-1]
        if key in front:
            value = front[key]
        elif name == "num_batches_tracked":
            value = torch.tensor(0, dtype=torch.int64)
        elif key.startswith("bn0."):
            value = {
                "weight": 1.0 + 0.1 * randn(shape),
                "bias": 0.1 * randn(shape),
                "running_mean": -20.0 + 2.0 * randn(shape),
                "running_var": 400.0 + 20.0 * randn(shape),
            }[name]
        elif ".bn" in key:
            value = {
                "weight": 1.0 + 0.1 * randn(shape),
                "bias": 0.1 * randn(shape),
                "running_mean": 0.1 * randn(shape),
                "running_var": 1.0 + 0.1 * torch.rand(shape, generator=generator),
            }[name]
        elif key == "fc_audioset.bias":
            value = -1.0 + 0.5 * randn(shape)
        elif name == "bias":
            value = 0.01 * randn(shape)
        else:  # conv / linear weights
            fan_in = int(np.prod(shape[1:]))
            gain = 1.0 if key.startswith("fc_audioset") else 2.0
            value = randn(shape) * (gain / fan_in) ** 0.5
        assert tuple(value.shape) == shape, key
        state[key] = value
    return state


def write_checkpoint(path: str | os.PathLike, seed: int = 0) -> Path:
    """`fabricated_state_dict(seed)` in the release file's layout (about 330 MB)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": fabricated_state_dict(seed), "iteration": 0}, path)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return write_checkpoint(tmp_path_factory.mktemp("panns") / "Cnn14_DecisionLevelMax.pth")


@pytest.fixture(scope="module")
def model(checkpoint) -> Cnn14DecisionLevelMax:
    return load_cnn14_decision_level_max(checkpoint)


def test_module_tree_is_upstreams() -> None:
    with torch.device("meta"):
        state = Cnn14DecisionLevelMax().state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == UPSTREAM_SHAPES
    # The release file holds these tensors and little else: their bytes are its published
    # size less 15 KB (the pickle with their names, and headers); one tensor more or less
    # would be at least 256 bytes (the smallest, a [64] vector) off, most of them far more.
    tensor_bytes = sum(v.numel() * v.element_size() for v in state.values())
    assert 0 < RELEASE_BYTES - tensor_bytes < 20_000


def test_checkpoint_loads_and_outputs_follow_upstream(model) -> None:
    assert not model.training
    assert all(p.device.type == "cpu" and p.dtype == torch.float32 for p in model.parameters())
    short = torch.from_numpy(np.stack([synth(1.5, seed=0), synth(1.5, seed=1)]))
    long = torch.from_numpy(synth(10.0, seed=2))[None]
    for waveform, expected_segments in ((short, 4), (long, 31)):
        with torch.inference_mode():
            out = model(waveform)
        batch, samples = waveform.shape
        frames = 1 + samples // 320
        segments = frames // 32
        assert segments == expected_segments  # 1.5 s: 151 frames; 10 s: 1001 frames
        framewise, clipwise = out["framewise_output"], out["clipwise_output"]
        segmentwise = out["segmentwise_output"]
        assert framewise.shape == (batch, frames, 527)
        assert segmentwise.shape == (batch, segments, 527)
        assert clipwise.shape == (batch, 527)
        assert ((clipwise >= 0) & (clipwise <= 1)).all()
        assert 0.01 < clipwise.mean() < 0.99  # the fabricated weights do not saturate
        torch.testing.assert_close(clipwise, segmentwise.max(dim=1).values, rtol=0, atol=0)
        # nearest interpolation x32, then the last segment repeated up to the frame count
        torch.testing.assert_close(framewise[:, ::32][:, :segments], segmentwise, rtol=0, atol=0)
        torch.testing.assert_close(
            framewise[:, 32 * segments :],
            segmentwise[:, -1:].expand(-1, frames - 32 * segments, -1),
            rtol=0,
            atol=0,
        )


def test_front_end_of_checkpoint_equals_our_construction(model) -> None:
    ours = Cnn14DecisionLevelMax().state_dict()
    loaded = model.state_dict()
    for key in upstream_front_end():
        torch.testing.assert_close(ours[key], loaded[key], rtol=0, atol=1e-6)


def test_log_mel_equals_librosa() -> None:
    import librosa

    y = synth(2.0, seed=3)
    mel = librosa.feature.melspectrogram(
        y=y.astype(np.float64),
        sr=SAMPLE_RATE,
        n_fft=1024,
        hop_length=320,
        window="hann",
        center=True,
        pad_mode="reflect",
        power=2.0,
        n_mels=64,
        fmin=50,
        fmax=14000,
        htk=False,
        norm="slaney",
    )
    expected = 10.0 * np.log10(np.maximum(mel, 1e-10)).T  # [T, 64]
    with torch.inference_mode():
        ours = Cnn14DecisionLevelMax().log_mel(torch.from_numpy(y)[None])[0, 0].double().numpy()
    assert ours.shape == expected.shape == (1 + len(y) // 320, 64)
    assert np.abs(ours - expected).max() < 1e-3


def test_bare_state_dict_loads(tmp_path) -> None:
    path = tmp_path / "bare.pth"
    torch.save(fabricated_state_dict_small(), path)
    loaded = load_cnn14_decision_level_max(path)
    assert not loaded.training and torch.count_nonzero(loaded.fc1.weight) == 0


def test_foreign_keys_are_named(tmp_path) -> None:
    state = fabricated_state_dict_small()
    state["conv_block3.bn1.running_variance"] = state.pop("conv_block3.bn1.running_var")
    state["fc_audioset.bias"] = torch.zeros(1000)
    path = tmp_path / "renamed.pth"
    torch.save({"model": state, "iteration": 0}, path)
    with pytest.raises(DataError) as info:
        load_cnn14_decision_level_max(path)
    message = str(info.value)
    assert str(path) in message
    assert "missing: conv_block3.bn1.running_var" in message
    assert "unexpected: conv_block3.bn1.running_variance" in message
    assert "fc_audioset.bias (1000,) instead of (527,)" in message
    assert "aacr setup panns_cnn14_decision_level_max" in message


def test_unreadable_file_is_named(tmp_path) -> None:
    path = tmp_path / "truncated.pth"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="cannot read PANNs") as info:
        load_cnn14_decision_level_max(path)
    assert str(path) in str(info.value)


def test_too_short_input_is_refused() -> None:
    with torch.device("meta"):
        model = Cnn14DecisionLevelMax()
    with pytest.raises(ValueError, match="at least 9920 samples"):
        model(torch.zeros(1, 9919, device="meta"))


def fabricated_state_dict_small() -> dict[str, torch.Tensor]:
    """Zeros of upstream's shapes: for tests that never run the network."""
    return {
        key: torch.zeros(shape, dtype=torch.int64 if key.endswith("tracked") else torch.float32)
        for key, shape in UPSTREAM_SHAPES.items()
    }
