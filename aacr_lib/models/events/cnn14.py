"""PANNs' Cnn14_DecisionLevelMax: the AudioSet sound-event detector of Kong et al. (2020).

"PANNs: Large-Scale Pretrained Audio Neural Networks for Audio Pattern Recognition" (IEEE/ACM
TASLP 28, 2020), model `Cnn14_DecisionLevelMax` of qiuqiangkong/audioset_tagging_cnn
(`pytorch/models.py`), released as `Cnn14_DecisionLevelMax_mAP=0.385.pth` (Zenodo 3987831,
`aacr setup panns_cnn14_decision_level_max`). Written here from its published facts, with
the same module tree and parameter / buffer names, so that the checkpoint's `model` state
dict loads with `strict=True`:

* front end, as torchlibrosa builds it (all three tensors are saved in the checkpoint):
  `spectrogram_extractor.stft.conv_real.weight` / `conv_imag.weight` `[513, 1, 1024]`: the
  STFT as two Conv1d (stride 320, no bias) whose kernels are the real and imaginary parts of
  the DFT times a periodic Hann window, after `center=True` reflect padding of 512 samples;
  power = real² + imag²; `logmel_extractor.melW` `[513, 64]`: the Slaney mel filterbank
  (`librosa.filters.mel(sr=32000, n_fft=1024, n_mels=64, fmin=50, fmax=14000)`,
  area-normalised), then `10 * log10(max(mel, 1e-10))` (ref 1.0, no top_db);
* `bn0` (BatchNorm2d over the 64 mel bins), then `conv_block1..6` (3x3 conv, BN, ReLU,
  twice; 64, 128, 256, 512, 1024, 2048 channels; 2x2 average pooling after blocks 1-5,
  none after block 6), mean over frequency, max + average pooling over time (kernel 3,
  stride 1, padding 1), `fc1` (2048 → 2048, ReLU), `fc_audioset` (2048 → 527, sigmoid) at
  each time step;
* outputs: `segmentwise_output` `[B, T // 32, 527]` (one step per 32 frames = 0.32 s),
  `clipwise_output` (its maximum over time), `framewise_output` (each segment repeated 32
  times, the last one repeated up to the input's frame count `T = 1 + samples // 320`).

Training-only parts (SpecAugment, mixup, dropout) have no parameters and are left out: this
module is for inference (`eval()`), and in eval mode they are the identity upstream too.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from aacr_lib.errors import DataError
from aacr_lib.features.logmel import slaney_mel_filterbank

SAMPLE_RATE = 32000
WINDOW_SIZE = 1024  # n_fft = win_length
HOP_SIZE = 320  # 10 ms
MEL_BINS = 64
FMIN = 50.0
FMAX = 14000.0
CLASSES_NUM = 527
AMIN = 1e-10
# Five 2x2 poolings divide the frame axis by 32: one segment-wise output per 32 frames.
SEGMENT_FRAMES = 32
SEGMENT_SAMPLES = SEGMENT_FRAMES * HOP_SIZE  # 10240 samples = 0.32 s
# The shortest input with one segment: 1 + samples // 320 >= 32 frames.
MIN_SAMPLES = (SEGMENT_FRAMES - 1) * HOP_SIZE
CHANNELS = (64, 128, 256, 512, 1024, 2048)

SETUP_COMMAND = "aacr setup panns_cnn14_decision_level_max"


def stft_kernels(n_fft: int = WINDOW_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary DFT rows times a periodic Hann window: two `[n_fft//2+1, 1, n_fft]`.

    Row k, tap n: `cos(2π nk / N) w[n]` and `-sin(2π nk / N) w[n]`, i.e. `exp(-2πi nk / N)`,
    so that correlating a frame with them gives `rfft(frame * window)` (librosa's STFT).
    The phase `nk mod N` is reduced exactly in integers before the float64 trigonometry.
    """
    n = np.arange(n_fft)
    k = np.arange(n_fft // 2 + 1)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / n_fft)  # periodic Hann (fftbins=True)
    phase = 2.0 * np.pi * ((k[:, None] * n[None, :]) % n_fft) / n_fft
    real = np.cos(phase) * window[None, :]
    imag = -np.sin(phase) * window[None, :]
    return real[:, None, :], imag[:, None, :]


class ConvStft(nn.Module):
    """STFT as two strided Conv1d (torchlibrosa's `STFT`): `[B, samples]` → real, imag
    `[B, 1, T, n_fft//2+1]` after centre reflect padding of `n_fft // 2`."""

    def __init__(self, n_fft: int = WINDOW_SIZE, hop_length: int = HOP_SIZE) -> None:
        super().__init__()
        self.n_fft = n_fft
        self.hop_length = hop_length
        bins = n_fft // 2 + 1
        self.conv_real = nn.Conv1d(1, bins, kernel_size=n_fft, stride=hop_length, bias=False)
        self.conv_imag = nn.Conv1d(1, bins, kernel_size=n_fft, stride=hop_length, bias=False)
        real, imag = stft_kernels(n_fft)
        with torch.no_grad():
            self.conv_real.weight.copy_(torch.from_numpy(real.astype(np.float32)))
            self.conv_imag.weight.copy_(torch.from_numpy(imag.astype(np.float32)))
        self.requires_grad_(False)

    def forward(self, waveform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = waveform[:, None, :]
        pad = self.n_fft // 2
        x = F.pad(x, (pad, pad), mode="reflect")
        real = self.conv_real(x).transpose(1, 2)[:, None]  # [B, 1, T, bins]
        imag = self.conv_imag(x).transpose(1, 2)[:, None]
        return real, imag


class PowerSpectrogram(nn.Module):
    """|STFT|² (torchlibrosa's `Spectrogram`, power 2): `[B, samples]` → `[B, 1, T, bins]`."""

    def __init__(self, n_fft: int = WINDOW_SIZE, hop_length: int = HOP_SIZE) -> None:
        super().__init__()
        self.stft = ConvStft(n_fft, hop_length)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        real, imag = self.stft(waveform)
        return real**2 + imag**2


class LogMelFilterBank(nn.Module):
    """Power spectrogram → Slaney mel (`melW`, `[bins, mels]`) → decibels re 1.0, floor
    `amin` (torchlibrosa's `LogmelFilterBank` with ref 1.0, top_db None)."""

    def __init__(
        self,
        sample_rate: int = SAMPLE_RATE,
        n_fft: int = WINDOW_SIZE,
        n_mels: int = MEL_BINS,
        fmin: float = FMIN,
        fmax: float = FMAX,
        amin: float = AMIN,
    ) -> None:
        super().__init__()
        self.amin = amin
        bank = slaney_mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax)  # [mels, bins]
        self.melW = nn.Parameter(torch.from_numpy(bank.T.astype(np.float32).copy()))
        self.requires_grad_(False)

    def forward(self, power: torch.Tensor) -> torch.Tensor:
        mel = torch.matmul(power, self.melW)
        # 10 log10(max(mel, amin)) - 10 log10(max(amin, ref)); the second term is 0 for ref 1.
        return 10.0 * torch.log10(torch.clamp(mel, min=self.amin))


class Cnn14Block(nn.Module):
    """Two 3x3 convolutions (no bias), each followed by BatchNorm and ReLU, then average
    pooling (PANNs' `ConvBlock`)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor, pool_size: tuple[int, int] = (2, 2)) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        if pool_size != (1, 1):
            x = F.avg_pool2d(x, kernel_size=pool_size)
        return x


class Cnn14DecisionLevelMax(nn.Module):
    """PANNs' Cnn14_DecisionLevelMax, inference only (see the module docstring).

    `forward(waveform [B, samples] at 32 kHz)` returns a dict of `segmentwise_output`
    `[B, S, classes]` (S = (1 + samples // 320) // 32, one row per 0.32 s), `clipwise_output`
    `[B, classes]` (its maximum over time) and `framewise_output` `[B, 1 + samples // 320,
    classes]` (upstream's nearest interpolation ×32, padded with the last segment), all
    probabilities in [0, 1]. An input shorter than `MIN_SAMPLES` (0.31 s) has no segment and
    raises `ValueError`.
    """

    def __init__(
        self,
        sample_rate: int = SAMPLE_RATE,
        window_size: int = WINDOW_SIZE,
        hop_size: int = HOP_SIZE,
        mel_bins: int = MEL_BINS,
        fmin: float = FMIN,
        fmax: float = FMAX,
        classes_num: int = CLASSES_NUM,
    ) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.hop_size = hop_size
        self.interpolate_ratio = SEGMENT_FRAMES
        self.spectrogram_extractor = PowerSpectrogram(window_size, hop_size)
        self.logmel_extractor = LogMelFilterBank(sample_rate, window_size, mel_bins, fmin, fmax)
        self.bn0 = nn.BatchNorm2d(mel_bins)
        inputs = (1, *CHANNELS[:-1])
        for index, (c_in, c_out) in enumerate(zip(inputs, CHANNELS, strict=True), start=1):
            setattr(self, f"conv_block{index}", Cnn14Block(c_in, c_out))
        self.fc1 = nn.Linear(CHANNELS[-1], CHANNELS[-1], bias=True)
        self.fc_audioset = nn.Linear(CHANNELS[-1], classes_num, bias=True)

    @property
    def min_samples(self) -> int:
        return (self.interpolate_ratio - 1) * self.hop_size

    def log_mel(self, waveform: torch.Tensor) -> torch.Tensor:
        """The front end alone: log-mel in dB, `[B, 1, T, mel_bins]`."""
        return self.logmel_extractor(self.spectrogram_extractor(waveform))

    def forward(self, waveform: torch.Tensor) -> dict[str, torch.Tensor]:
        if waveform.ndim != 2:
            raise ValueError(f"expected a batch of mono clips [B, samples], got {waveform.shape}")
        if waveform.shape[-1] < self.min_samples:
            raise ValueError(
                f"Cnn14_DecisionLevelMax needs at least {self.min_samples} samples "
                f"({self.interpolate_ratio} frames), got {waveform.shape[-1]}"
            )
        x = self.log_mel(waveform)  # [B, 1, T, mels]
        frames_num = x.shape[2]
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)  # normalise each mel bin
        blocks = [getattr(self, f"conv_block{i}") for i in range(1, len(CHANNELS) + 1)]
        for block in blocks[:-1]:
            x = block(x, pool_size=(2, 2))
        x = blocks[-1](x, pool_size=(1, 1))
        x = torch.mean(x, dim=3)  # [B, 2048, S]
        x = F.max_pool1d(x, kernel_size=3, stride=1, padding=1) + F.avg_pool1d(
            x, kernel_size=3, stride=1, padding=1
        )
        x = F.relu(self.fc1(x.transpose(1, 2)))  # [B, S, 2048]
        segmentwise = torch.sigmoid(self.fc_audioset(x))  # [B, S, classes]
        clipwise = segmentwise.max(dim=1).values
        framewise = segmentwise.repeat_interleave(self.interpolate_ratio, dim=1)
        missing = frames_num - framewise.shape[1]
        framewise = torch.cat([framewise, framewise[:, -1:].expand(-1, missing, -1)], dim=1)
        return {
            "segmentwise_output": segmentwise,
            "framewise_output": framewise,
            "clipwise_output": clipwise,
        }


def _key_problems(state: dict[str, torch.Tensor]) -> str:
    """'' when `state` has exactly Cnn14DecisionLevelMax's keys and shapes, else a summary."""
    with torch.device("meta"):
        expected = Cnn14DecisionLevelMax().state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(
        f"{k} {tuple(state[k].shape)} instead of {tuple(expected[k].shape)}"
        for k in set(expected) & set(state)
        if tuple(state[k].shape) != tuple(expected[k].shape)
    )
    return "; ".join(
        f"{label}: {', '.join(keys[:4])}{f' and {len(keys) - 4} more' if len(keys) > 4 else ''}"
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("shape", wrong))
        if keys
    )


def load_cnn14_decision_level_max(
    path: str | os.PathLike, device: str | torch.device = "cpu"
) -> Cnn14DecisionLevelMax:
    """Cnn14DecisionLevelMax holding the weights of `path`, in eval mode, on `device`.

    `path` is the release file `Cnn14_DecisionLevelMax_mAP=0.385.pth` (a `torch.save` of a
    dict whose `model` entry is the state dict) or a bare state dict. The weights load with
    `strict=True`; a file that is not such a checkpoint (unreadable, other keys or shapes)
    raises `DataError` naming the file, the keys at fault and the command that replaces it.
    """
    path = Path(path)
    fix = f"delete it and run `{SETUP_COMMAND}`"
    if not path.is_file():
        raise DataError(f"{path}: no such file; run `{SETUP_COMMAND}`")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle/zip errors of a truncated or foreign file
        # torch's own messages run over many lines: their first says what failed
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise DataError(
            f"{path}: cannot read PANNs Cnn14_DecisionLevelMax weights ({reason}); {fix}"
        ) from exc
    state = checkpoint.get("model", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise DataError(
            f"{path}: expected a PANNs checkpoint (a dict with a `model` state dict) or a "
            f"state dict, found {type(checkpoint).__name__}; {fix}"
        )
    problems = _key_problems(state)
    if problems:
        raise DataError(f"{path}: not PANNs Cnn14_DecisionLevelMax weights ({problems}); {fix}")
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    # Built on the meta device: random initialisation of 80 M parameters would take longer
    # than reading them, and every value is replaced by `assign=True` anyway.
    with torch.device("meta"):
        model = Cnn14DecisionLevelMax()
    model.load_state_dict(state, strict=True, assign=True)
    model.requires_grad_(False)
    return model.to(device).eval()
