"""`aacr_lib.audio`: bad audio is caught where it is decoded, decoder chatter goes to logging."""

from __future__ import annotations

import logging
import os
import struct

import numpy as np
import pytest
import soundfile as sf

from aacr_lib.audio import AudioError, audio_info, load_audio
from aacr_lib.errors import DataError


def write_truncated_wav(path, declared_seconds=10.0, samples=8, sample_rate=16_000):
    """A 16-bit mono WAV whose header declares `declared_seconds` but that holds `samples`."""
    declared = int(declared_seconds * sample_rate) * 2
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
    header = b"RIFF" + struct.pack("<I", 36 + declared) + b"WAVE" + b"fmt " + fmt
    header += b"data" + struct.pack("<I", declared)
    path.write_bytes(header + (np.arange(samples) * 100).astype("<i2").tobytes())
    return path


def write_nan_wav(path):
    data = np.full(4410, 0.1, dtype=np.float32)
    data[10] = np.nan
    data[20] = np.inf
    sf.write(str(path), data, 44_100, subtype="FLOAT")
    return path


def test_a_good_file_loads(tmp_path):
    path = tmp_path / "good.wav"
    sf.write(str(path), np.full((4410, 2), 0.25, np.float32), 44_100, subtype="FLOAT")
    waveform, rate = load_audio(path)
    assert rate == 44_100 and waveform.shape == (4410,) and np.allclose(waveform, 0.25)
    waveform, rate = load_audio(path, sample_rate=16_000, mono=False)
    assert rate == 16_000 and waveform.shape[1] == 2
    assert audio_info(path).declared_frames is None


def test_nan_audio_is_a_data_error_naming_the_file(tmp_path):
    path = write_nan_wav(tmp_path / "nan clip.wav")
    with pytest.raises(DataError, match="nan clip.wav.*2 NaN/inf sample") as caught:
        load_audio(path)
    assert isinstance(caught.value, AudioError) and caught.value.code == "audio_nonfinite"


def test_truncated_wav_is_a_data_error_naming_the_file(tmp_path):
    path = write_truncated_wav(tmp_path / "cut short.wav")
    with pytest.raises(DataError, match=r"cut short.wav: truncated.*160000 frames.*only 8") as e:
        load_audio(path)
    assert e.value.code == "audio_truncated"
    info = audio_info(path)  # the header alone tells, for WAV
    assert (info.frames, info.declared_frames) == (8, 160_000)


def test_a_wav_cut_in_the_middle_is_truncated(tmp_path):
    path = tmp_path / "half.wav"
    sf.write(str(path), np.zeros(16_000, np.float32) + 0.1, 16_000, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="half.wav: truncated"):
        load_audio(path)


@pytest.mark.skipif("MP3" not in sf.available_formats(), reason="libsndfile without mp3")
def test_a_truncated_mp3_is_caught_and_its_decoder_warnings_are_logged(tmp_path, caplog, capfd):
    path = tmp_path / "song.mp3"
    sf.write(str(path), 0.1 * np.sin(np.arange(88_200) / 10).astype(np.float32), 44_100)
    assert load_audio(path)[0].shape == (88_200,)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="aacr_lib.audio"):
        with pytest.raises(DataError, match="song.mp3: truncated"):
            load_audio(path)
    assert "Warning" not in capfd.readouterr().err
    assert all("song.mp3" in r.getMessage() for r in caplog.records)


def test_what_a_decoder_prints_to_stderr_goes_to_logging(tmp_path, monkeypatch, caplog, capfd):
    path = tmp_path / "chatty.wav"
    sf.write(str(path), np.full(100, 0.1, np.float32), 8000)
    real_read = sf.read

    def chatty_read(*args, **kwargs):
        os.write(2, b"Note: Illegal Audio-MPEG-Header 0x00000000 at offset 42.\n")
        return real_read(*args, **kwargs)

    monkeypatch.setattr(sf, "read", chatty_read)
    with caplog.at_level(logging.WARNING, logger="aacr_lib.audio"):
        waveform, _ = load_audio(path)
    assert waveform.shape == (100,)
    assert "Illegal Audio-MPEG-Header" not in capfd.readouterr().err
    (record,) = caplog.records
    assert record.name == "aacr_lib.audio" and record.levelno == logging.WARNING
    assert (
        "chatty.wav" in record.getMessage() and "Illegal Audio-MPEG-Header" in record.getMessage()
    )
    os.write(2, b"stderr is back\n")  # the descriptor is restored after the decode
    assert "stderr is back" in capfd.readouterr().err
