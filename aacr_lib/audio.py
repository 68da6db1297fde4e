"""Reading audio: any format libsndfile reads (wav, flac, ogg/oga/opus, mp3), any rate and channels.

Everything downstream works on float32 mono arrays at a known sample rate; resampling and
down-mixing happen here and nowhere else.

Bad audio is caught here, where it is decoded: `decode_audio` / `load_audio` raise
`AudioError` (a `DataError` naming the file, with the `aacr data check` code of the problem)
for a file that cannot be decoded, holds no samples, holds fewer samples than its header
declares (a truncated download or copy), or holds NaN/infinite samples. What decoders print
to the process's stderr while decoding (mpg123's mp3 warnings, for one) is captured and sent to
the `aacr_lib.audio` logger as warnings naming the file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aacr_lib.errors import DataError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif")

logger = logging.getLogger(__name__)

# Formats whose frame count is an estimate (mp3 without an exact Xing/LAME header); a decode
# this many frames (two mp3 frames) short of it is not called truncated.
_ESTIMATED_FRAMES_TOLERANCE = {"MP3": 2 * 1152}
# libsndfile's header log: "data : 320000 (should be 16)" when the WAV data chunk declares more
# bytes than the file holds, "SSND : N (should be M)" for AIFF; libsndfile then reports (and
# decodes) only the frames present, so the declared count is read from the log.
_SHORT_CHUNK = re.compile(r"^\s*(data|SSND)\s*:\s*(\d+)\s*\(should be\s*(\d+)\)", re.MULTILINE)
_BLOCK_ALIGN = re.compile(r"^\s*Block Align\s*:\s*(\d+)\s*$", re.MULTILINE)
_COMM_FRAMES = re.compile(r"^\s*Frames\s*:\s*(\d+)\s*$", re.MULTILINE)


class AudioError(DataError):
    """An audio file that cannot be used; `code` is the `aacr data check` finding code.

    Codes: `audio_missing`, `audio_unreadable`, `audio_empty`, `audio_truncated`,
    `audio_nonfinite`. `reason` is the message without the path; `info` the header, when it
    could be read.
    """

    def __init__(self, path: Path, code: str, reason: str, info: AudioInfo | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.code = code
        self.reason = reason
        self.info = info


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds before any conversion.

    `frames` is what the file holds (what libsndfile decodes); `declared_frames` what its
    header declares, when that is known and differs (a truncated WAV/AIFF file), else `frames`.
    """

    path: Path
    sample_rate: int
    channels: int
    frames: int
    declared_frames: int | None = None
    format: str = ""

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

    @property
    def expected_frames(self) -> int:
        """The frame count a complete file would decode to."""
        return max(self.frames, self.declared_frames or 0)


def _declared_frames(extra_info: str) -> int | None:
    """Frames the header declares when libsndfile found its data chunk cut short, else None."""
    match = _SHORT_CHUNK.search(extra_info or "")
    if match is None:
        return None
    chunk, declared, present = match.group(1), int(match.group(2)), int(match.group(3))
    if declared <= present:
        return None
    if chunk == "data":
        align = _BLOCK_ALIGN.search(extra_info)
        if align is None or int(align.group(1)) == 0:
            return None
        return declared // int(align.group(1))
    frames = _COMM_FRAMES.search(extra_info)
    return int(frames.group(1)) if frames else None


_STDERR_LOCK = threading.RLock()


@contextlib.contextmanager
def _decoder_messages_to_log(path: Path) -> Iterator[None]:
    """Send what C decoders write to file descriptor 2 meanwhile to `logger`, naming `path`.

    mpg123 (libsndfile's mp3 decoder) prints its warnings straight to stderr, around Python's
    `sys.stderr`; the descriptor is pointed at a temporary file for the duration of the decode
    and restored afterwards. Where that is impossible (no descriptor 2, no temp dir), decoding
    goes on with stderr untouched.
    """
    try:
        capture = tempfile.TemporaryFile()
    except OSError:
        yield
        return
    with capture, _STDERR_LOCK:
        try:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            saved = os.dup(2)
        except OSError:
            yield
            return
        try:
            os.dup2(capture.fileno(), 2)
        except OSError:
            os.close(saved)
            yield
            return
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            for line in text.splitlines():
                if line.strip():
                    logger.warning("%s: decoder: %s", path, line.strip())


def _header(path: Path, failure: str = "cannot read audio header") -> AudioInfo:
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile raises several types; all mean "cannot read"
        raise AudioError(path, "audio_unreadable", f"{failure} ({exc})") from exc
    declared = _declared_frames(getattr(info, "extra_info", ""))
    return AudioInfo(
        path,
        int(info.samplerate),
        int(info.channels),
        int(info.frames),
        declared_frames=declared,
        format=str(getattr(info, "format", "")),
    )


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Header information of an audio file; raises `DataError` naming the file if unreadable.

    Reads no samples: a truncated WAV/AIFF shows as `declared_frames` above `frames`; NaN
    samples or a truncated mp3 are only seen by `decode_audio`.
    """
    path = Path(path)
    with _decoder_messages_to_log(path):
        return _header(path)


def decode_audio(path: str | os.PathLike) -> tuple[np.ndarray, AudioInfo]:
    """Every sample of `path` as float32 `[time, channels]`, and its header.

    Raises `AudioError` (a `DataError` naming the file) when the file is missing or cannot be
    decoded, holds no samples, holds fewer frames than its header declares, or holds NaN or
    infinite samples.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "audio_missing", "audio file not found")
    with _decoder_messages_to_log(path):
        info = _header(path, failure="cannot decode audio")
        try:
            waveform, _ = sf.read(str(path), dtype="float32", always_2d=True)
        except Exception as exc:
            raise AudioError(
                path, "audio_unreadable", f"cannot decode audio ({exc})", info
            ) from exc
    frames = int(waveform.shape[0])
    expected = info.expected_frames
    tolerance = 0 if info.declared_frames else _ESTIMATED_FRAMES_TOLERANCE.get(info.format, 0)
    if frames == 0 and expected == 0:
        raise AudioError(path, "audio_empty", "audio file holds no samples", info)
    if expected - frames > tolerance:
        raise AudioError(
            path,
            "audio_truncated",
            f"truncated audio: the header declares {expected} frames "
            f"({expected / info.sample_rate if info.sample_rate else 0:.2f} s), "
            f"only {frames} could be read",
            info,
        )
    finite = np.isfinite(waveform)
    if not finite.all():
        bad = int(waveform.size - finite.sum())
        raise AudioError(
            path,
            "audio_nonfinite",
            f"{bad} NaN/inf sample(s) of {waveform.size}; features computed from it would be NaN",
            info,
        )
    return waveform, info


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
    Raises `DataError` (an `AudioError`) naming the file when it is missing, cannot be
    decoded, holds no samples, is truncated (fewer frames than its header declares) or holds
    NaN/infinite samples (see `decode_audio`).
    """
    waveform, info = decode_audio(path)
    sr = info.sample_rate
    if mono:
        waveform = to_mono(waveform)
    if sample_rate is not None and sr != sample_rate:
        waveform = resample(waveform, sr, sample_rate)
        sr = sample_rate
    return np.ascontiguousarray(waveform, dtype=np.float32), int(sr)
