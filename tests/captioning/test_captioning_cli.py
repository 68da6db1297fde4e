"""`aacr caption` and `aacr train`: captions for any readable file, clear errors for the rest."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import soundfile as sf

from aacr_lib.captioning.inference import caption_files, load_captioner
from aacr_lib.cli import caption as caption_cli
from aacr_lib.cli import parse_arguments
from aacr_lib.cli import train as train_cli


def _cli(argv):
    parser = argparse.ArgumentParser(prog="aacr")
    subparsers = parser.add_subparsers(dest="command")
    caption_cli.register(subparsers)
    train_cli.register(subparsers)
    args = parse_arguments(parser, argv)
    return args.handler(args)


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory):
    """The same tone in several formats, rates and channel counts, plus two bad files."""
    folder = tmp_path_factory.mktemp("audio")
    t = np.arange(int(3.0 * 44100)) / 44100
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    files = []
    for name, rate, channels, fmt in [
        ("tone.wav", 44100, 1, "WAV"),
        ("tone_stereo.flac", 48000, 2, "FLAC"),
        ("tone.ogg", 22050, 1, "OGG"),
        ("tone.mp3", 32000, 2, "MP3"),
    ]:
        data = tone[:: max(1, 44100 // rate)][: int(3.0 * rate)]
        data = np.stack([data] * channels, axis=1) if channels > 1 else data
        sf.write(folder / name, data, rate, format=fmt)
        files.append(folder / name)
    broken = folder / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    return files, broken, folder / "missing.flac"


def test_caption_files_reads_every_format(toy_run, audio_files):
    good, _, _ = audio_files
    results = caption_files(good, run_dir=toy_run.path)
    assert [r.path for r in results] == good
    assert all(r.ok and isinstance(r.caption, str) for r in results)


def test_a_sound_shorter_than_one_feature_frame_is_captioned(toy_run, tmp_path):
    short = tmp_path / "blip.wav"
    sf.write(short, np.full(4000, 0.1, dtype=np.float32), 16000)  # 0.25 s
    (result,) = caption_files([short], run_dir=toy_run.path)
    assert result.ok, result.error


def test_broken_files_get_errors_and_the_others_are_captioned(toy_run, audio_files):
    good, broken, missing = audio_files
    captioner = load_captioner(toy_run.path)
    results = caption_files([good[0], broken, missing, good[1]], captioner=captioner)
    assert [r.ok for r in results] == [True, False, False, True]
    assert str(broken) in results[1].error and "decode" in results[1].error
    assert str(missing) in results[2].error and "not found" in results[2].error


def test_cli_exit_codes(toy_run, audio_files, capsys):
    good, broken, missing = audio_files
    assert _cli(["caption", *map(str, good), "--run", str(toy_run.path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in out] == [str(p) for p in good]

    assert _cli(["caption", str(good[0]), str(broken), "--run", str(toy_run.path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(str(good[0]) + "\t")
    assert captured.err.startswith(f"{broken}: error: ")
    assert len(captured.err.strip().splitlines()) == 1


def test_caption_without_a_trained_run_is_a_clear_error(tmp_path):
    from aacr_lib.errors import AacrError

    with pytest.raises(AacrError, match="not a captioning run directory"):
        _cli(["caption", "x.wav", "--run", str(tmp_path)])


def test_train_cli_lists_and_prints_configs(capsys):
    assert _cli(["train", "captioning", "--list"]) == 0
    listed = capsys.readouterr().out
    for name in ("baseline", "crnn_encoder", "final", "clotho", "demo"):
        assert name in listed
    assert (
        _cli(
            [
                "train",
                "captioning",
                "--experiment",
                "layers7",
                "--profile",
                "paper",
                "--print-config",
                "training.epochs=3",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "encoder_layers: 7" in printed and "epochs: 3" in printed


def test_train_cli_seeds_are_runs_of_their_own(capsys):
    import yaml

    from aacr_lib.errors import ConfigError

    argv = ["train", "captioning", "--seeds", "3", "--print-config", "training.seed=5"]
    assert _cli(argv) == 0
    configs = [yaml.safe_load(doc) for doc in capsys.readouterr().out.split("\n---\n")]
    assert [config["training"]["seed"] for config in configs] == [5, 6, 7]
    with pytest.raises(ConfigError, match="--seeds"):
        _cli(["train", "captioning", "--seeds", "0", "--print-config"])
