"""Reading audio: any format libsndfile reads (wav, flac, ogg/oga/opus, mp3), any rate and channels.

Everything downstream works on float32 mono arrays at a known sample rate; resampling and
down-mixing happen here and nowhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aacr_lib.errors import DataError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif")


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds before any conversion."""

    path: Path
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Header information of an audio file; raises `DataError` naming the file if unreadable."""
    import soundfile as sf

    path = Path(path)
    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile raises several types; all mean "cannot read"
        raise DataError(f"{path}: cannot read audio header ({exc})") from exc
    return AudioInfo(path, int(info.samplerate), int(info.channels), int(info.frames))


def resample(waveform: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """High-quality resampling (soxr, 'HQ') of a mono or [time, channels] array."""
    if orig_sr == target_sr:
        return waveform
    import soxr

    return soxr.resample(waveform, orig_sr, target_sr, quality="HQ").astype(np.float32)


def to_mono(waveform: np.ndarray) -> np.ndarray:
    """Average the channels of a [time, channels] array; mono input is returned unchanged."""
    if waveform.ndim == 1:
        return waveform
    return waveform.mean(axis=1).astype(np.float32)


def load_audio(
    path: str | os.PathLike, sample_rate: int | None = None, mono: bool = True
) -> tuple[np.ndarray, int]:
    """Load `path` as float32 in [-1, 1]; optionally down-mix and resample.

    Returns `(waveform, sample_rate)`: shape `[time]` when `mono`, else `[time, channels]`.
    Raises `DataError` naming the file when it cannot be decoded or holds no samples.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: audio file not found")
    try:
        waveform, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:
        raise DataError(f"{path}: cannot decode audio ({exc})") from exc
    if waveform.shape[0] == 0:
        raise DataError(f"{path}: audio file holds no samples")
    if mono:
        waveform = to_mono(waveform)
    if sample_rate is not None and sr != sample_rate:
        waveform = resample(waveform, sr, sample_rate)
        sr = sample_rate
    return np.ascontiguousarray(waveform, dtype=np.float32), int(sr)
