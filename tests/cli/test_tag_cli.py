"""`aacr tag FILE… --run RUN | --source panns`: every readable file tagged, one error line for
each bad one, exit 1 if any failed."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

import aacr_lib.cli as cli
from tests.tagging import conftest as tagging_fixtures

# the tagging tests' fixtures: a smoke-profile tagger trained on the tiny ClothoMix
one_torch_thread = tagging_fixtures.one_torch_thread
tagger_runs = tagging_fixtures.tagger_runs
toy_run = tagging_fixtures.toy_run


@pytest.fixture(autouse=True)
def with_tag_command(monkeypatch):
    if "tag" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "tag"))


def _tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t).astype(np.float32)
    return np.stack([tone] * channels, axis=1) if channels > 1 else tone


@pytest.fixture
def audio_files(tmp_path):
    stereo = tmp_path / "stereo 8k.wav"
    sf.write(stereo, _tone(2.0, 8000, channels=2), 8000)
    flac = tmp_path / "clip.flac"
    sf.write(flac, _tone(1.5, 44100), 44100)
    short = tmp_path / "short.wav"
    sf.write(short, _tone(0.3, 16000), 16000)
    return [stereo, flac, short]


@pytest.fixture
def bad_files(tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all\n")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    return [text, empty, tmp_path / "missing.wav"]


def _good_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if not line.startswith("  ")]


def test_good_files_are_tagged_and_bad_ones_get_one_error_line_each(
    toy_run, audio_files, bad_files, capsys
):
    mixed = [audio_files[0], *bad_files, *audio_files[1:]]
    assert cli.main(["tag", *map(str, mixed), "--run", str(toy_run.path)]) == 1
    captured = capsys.readouterr()
    heads = _good_lines(captured.out)
    assert [head.split(" (")[0] for head in heads] == [str(path) for path in audio_files]
    for head in heads:  # each good file: its events, or that there were none
        assert "no event above threshold" in head or head.endswith(" s)")
    errors = captured.err.strip().splitlines()
    assert len(errors) == 3 and "Traceback" not in captured.err
    for path, line in zip(bad_files, errors, strict=True):
        assert line.startswith(f"{path}: error: ")
    assert "not found" in errors[2]


def test_all_good_files_exit_zero_and_a_low_threshold_lists_events(toy_run, audio_files, capsys):
    arguments = ["tag", *map(str, audio_files), "--run", str(toy_run.path)]
    assert cli.main([*arguments, "--threshold", "0.001"]) == 0
    out = capsys.readouterr().out
    assert "onset  offset  confidence  label" in out
    assert "(0.30 s)" in out and "(2.00 s)" in out and "(1.50 s)" in out
    # the run's name under the runs root does as well as its directory, and JSON is JSON
    root = str(toy_run.path.parent)
    command = ["tag", str(audio_files[0]), "--run", toy_run.name, "--runs-root", root]
    assert cli.main([*command, "--format", "json", "--threshold", "0.001"]) == 0
    (document,) = json.loads(capsys.readouterr().out)
    assert document["file"] == str(audio_files[0]) and document["duration"] == 2.0
    event = document["events"][0]
    assert set(event) == {"label", "index", "onset", "offset", "confidence"}
    # no event ends after the clip (its last 0.32 s frame reaches past a 2 s clip)
    assert all(0 <= e["onset"] < e["offset"] <= 2.0 for e in document["events"])


def test_panns_without_its_weights_is_one_error_line_and_exit_one(audio_files, capsys):
    assert cli.main(["tag", str(audio_files[0]), "--source", "panns"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("aacr tag: error: ")
    assert "aacr setup panns_cnn14_decision_level_max" in err[0]


def test_a_source_is_required_and_the_threshold_checked(audio_files, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["tag", str(audio_files[0])])
    assert stop.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["tag", str(audio_files[0]), "--source", "panns", "--threshold", "2"])
    assert "must be between 0 and 1" in capsys.readouterr().err


def test_a_directory_that_is_no_tagging_run_is_exit_two(audio_files, tmp_path, capsys):
    assert cli.main(["tag", str(audio_files[0]), "--run", str(tmp_path)]) == 2
    assert "not a tagging run directory" in capsys.readouterr().err
