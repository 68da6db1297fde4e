"""Log-mel spectrograms as the DCASE 2022 retrieval baseline computes them, in torch.

The baseline (xieh97/dcase2022-audio-retrieval, `scripts/audio_features.py`) loads each clip at
its native 44.1 kHz, mono, and calls `librosa.feature.melspectrogram` with a 40 ms window
(1764 samples, periodic Hann zero-padded to the centre of a 2048-point FFT), a 20 ms hop (882),
64 mel bands from 12 Hz to 8 kHz and otherwise librosa's defaults: `center=True`, power 2,
Slaney mel scale with Slaney (area) normalisation; then `log(mel + np.spacing(1))` and a
transpose to `[T, 64]`. librosa >= 0.9 pads the centred frames with zeros (`pad_mode=
"constant"`); librosa 0.8 reflected the signal instead: `pad_mode="reflect"` reproduces that.

Everything here is batched (`[B, samples]`) and vectorised; the mel filterbank is built here
from the Slaney formulas so that librosa is needed only by the tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from aacr_lib.features.config import FeatureConfig

# Slaney's Auditory Toolbox mel scale, as librosa implements it (`htk=False`): linear below
# 1 kHz (200/3 Hz per mel), logarithmic above (27 mels per factor 6.4).
_SLANEY_F_SP = 200.0 / 3.0
_SLANEY_MIN_LOG_HZ = 1000.0
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOGSTEP = np.log(6.4) / 27.0


@dataclasses.dataclass(frozen=True)
class LogMelConfig(FeatureConfig):
    """Retrieval-baseline log-mel: defaults are the DCASE 2022 baseline's settings."""

    kind = "logmel"

    sample_rate: int = 44100
    win_length: int = 1764  # 40 ms
    hop_length: int = 882  # 20 ms
    n_fft: int = 2048
    n_mels: int = 64
    f_min: float = 12.0
    f_max: float = 8000.0
    power: float = 2.0
    center: bool = True
    pad_mode: str = "constant"  # librosa >= 0.9 default; "reflect" = librosa 0.8
    log_offset: float = float(np.spacing(1))  # 2.22e-16, what the baseline adds before log

    def __post_init__(self) -> None:
        if self.pad_mode not in ("constant", "reflect"):
            raise ValueError(f"pad_mode must be 'constant' or 'reflect', not {self.pad_mode!r}")
        if self.win_length > self.n_fft:
            raise ValueError("win_length must not exceed n_fft")

    @property
    def dim(self) -> int:
        return self.n_mels

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop_length


def hz_to_mel_slaney(frequencies: np.ndarray | float) -> np.ndarray:
    """Hertz to mels on the Slaney scale (librosa's `hz_to_mel(..., htk=False)`)."""
    f = np.asarray(frequencies, dtype=np.float64)
    linear = f / _SLANEY_F_SP
    with np.errstate(divide="ignore"):  # log(0) only occurs where the linear branch is used
        log_part = _SLANEY_MIN_LOG_MEL + np.log(np.maximum(f, 1e-300) / _SLANEY_MIN_LOG_HZ) / (
            _SLANEY_LOGSTEP
        )
    return np.where(f >= _SLANEY_MIN_LOG_HZ, log_part, linear)


def mel_to_hz_slaney(mels: np.ndarray | float) -> np.ndarray:
    """Mels on the Slaney scale to hertz (inverse of `hz_to_mel_slaney`)."""
    m = np.asarray(mels, dtype=np.float64)
    linear = _SLANEY_F_SP * m
    log_part = _SLANEY_MIN_LOG_HZ * np.exp(_SLANEY_LOGSTEP * (m - _SLANEY_MIN_LOG_MEL))
    return np.where(m >= _SLANEY_MIN_LOG_MEL, log_part, linear)


def slaney_mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float
) -> np.ndarray:
    """Triangular mel filters `[n_mels, n_fft // 2 + 1]`, Slaney scale and area normalisation.

    Same construction as `librosa.filters.mel(htk=False, norm="slaney")`: band edges equally
    spaced in mels, triangles linear in hertz, each scaled by 2 / (upper edge - lower edge) so
    that every filter has the same area. Returned in float64.
    """
    fft_freqs = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    edges_mel = np.linspace(hz_to_mel_slaney(f_min), hz_to_mel_slaney(f_max), n_mels + 2)
    edges_hz = mel_to_hz_slaney(edges_mel)
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]
    return weights


def num_frames(num_samples: int, config: LogMelConfig = LogMelConfig()) -> int:
    """Frames `log_mel` yields for a clip of `num_samples` samples."""
    if config.center:
        return 1 + num_samples // config.hop_length
    return max(0, 1 + (num_samples - config.n_fft) // config.hop_length)


class LogMel(torch.nn.Module):
    """Batched log-mel front end; `forward([B, samples]) -> [B, T, n_mels]` (float32).

    The filterbank is restricted to the FFT bins where some filter is non-zero (below
    `f_max`), so bins above 8 kHz are never squared nor multiplied: a large saving at 44.1 kHz.
    """

    def __init__(self, config: LogMelConfig = LogMelConfig()) -> None:
        super().__init__()
        self.config = config
        bank = slaney_mel_filterbank(
            config.sample_rate, config.n_fft, config.n_mels, config.f_min, config.f_max
        )
        used = np.nonzero(bank.any(axis=0))[0]
        self.n_bins = int(used[-1]) + 1 if used.size else 1
        # Stored transposed ([bins, mels]) so that the product is spectrum @ bank.
        self.register_buffer(
            "mel_bank", torch.from_numpy(bank[:, : self.n_bins].T.astype(np.float32).copy())
        )
        self.register_buffer("window", torch.hann_window(config.win_length, periodic=True))

    def _pad(self, x: torch.Tensor, lengths: Sequence[int] | None) -> torch.Tensor:
        """Centre padding of each clip (by its own length), then zeros to a common width."""
        pad = self.config.n_fft // 2
        if lengths is None:
            return F.pad(x.unsqueeze(1), (pad, pad), mode=self.config.pad_mode).squeeze(1)
        if self.config.pad_mode == "constant":
            # Zeros after a clip's end are exactly what constant padding would add there, so
            # the batch can be padded as a whole.
            return F.pad(x, (pad, pad))
        # Reflection depends on where each clip ends: pad clip by clip.
        width = x.shape[-1] + 2 * pad
        out = x.new_zeros(x.shape[0], width)
        for b, n in enumerate(lengths):
            clip = x[b : b + 1, :n].unsqueeze(1)
            out[b, : n + 2 * pad] = F.pad(clip, (pad, pad), mode="reflect")[0, 0]
        return out

    def forward(self, x: torch.Tensor, lengths: Sequence[int] | None = None) -> torch.Tensor:
        """Log-mel of `[B, samples]` (or `[samples]`) float audio.

        `lengths` (one per row) marks zero-padded rows of different durations; the result is
        then `[B, max T, n_mels]` and row b is valid up to `num_frames(lengths[b])` (the rest
        is padding). Frames are exactly those librosa yields for each clip alone.
        """
        squeeze = x.dim() == 1
        if squeeze:
            x = x.unsqueeze(0)
        x = x.to(torch.float32)
        if self.config.center:
            x = self._pad(x, lengths)
        if x.shape[-1] < self.config.n_fft:
            out = x.new_zeros(x.shape[0], 0, self.config.n_mels)
            return out[0] if squeeze else out
        spec = torch.stft(
            x,
            n_fft=self.config.n_fft,
            hop_length=self.config.hop_length,
            win_length=self.config.win_length,
            window=self.window,
            center=False,
            return_complex=True,
        )  # [B, bins, T]
        spec = spec[:, : self.n_bins].transpose(1, 2)
        if self.config.power == 2.0:
            power = spec.real.square() + spec.imag.square()
        else:
            power = spec.abs().pow(self.config.power)
        mel = power @ self.mel_bank
        out = torch.log(mel + self.config.log_offset)
        return out[0] if squeeze else out


_FRONT_ENDS: dict[LogMelConfig, LogMel] = {}


def _front_end(config: LogMelConfig) -> LogMel:
    # Building the filterbank costs more than a short clip's spectrogram: keep one per config.
    if config not in _FRONT_ENDS:
        _FRONT_ENDS[config] = LogMel(config)
    return _FRONT_ENDS[config]


def log_mel(
    waveform: np.ndarray | torch.Tensor, config: LogMelConfig = LogMelConfig()
) -> torch.Tensor:
    """Log-mel of `[samples]` → `[T, n_mels]` or `[B, samples]` → `[B, T, n_mels]` (float32).

    The audio must already be mono at `config.sample_rate` (see `aacr_lib.audio.load_audio`).
    """
    x = torch.as_tensor(waveform)
    with torch.no_grad():
        return _front_end(config)(x)


def log_mel_batch(
    waveforms: Sequence[np.ndarray], config: LogMelConfig = LogMelConfig()
) -> list[np.ndarray]:
    """Log-mel of clips of different lengths in one batched pass; one `[T_i, n_mels]` each."""
    if not waveforms:
        return []
    lengths = [len(w) for w in waveforms]
    batch = torch.zeros(len(waveforms), max(lengths), dtype=torch.float32)
    for b, w in enumerate(waveforms):
        batch[b, : len(w)] = torch.as_tensor(w, dtype=torch.float32)
    with torch.no_grad():
        out = _front_end(config)(batch, lengths)
    return [out[b, : num_frames(n, config)].numpy().copy() for b, n in enumerate(lengths)]
