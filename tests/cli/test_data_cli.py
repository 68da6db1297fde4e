"""`aacr data demo --scale clotho`: Clotho's sizes, names and layout from the command line."""

from __future__ import annotations

import pytest
import soundfile as sf

from aacr_lib.cli import main
from aacr_lib.data.check import check_dataset
from aacr_lib.data.clotho import read_split


def test_demo_at_clotho_scale_with_a_few_clips(tmp_path, capsys):
    out = tmp_path / "mix"
    clips = "development=2,validation=1,evaluation=1"
    assert main(["data", "demo", "--scale", "clotho", "--clips", clips, "--out", str(out)]) == 0
    assert "development 2, validation 1, evaluation 1" in capsys.readouterr().out
    items = read_split(out, "development")
    assert not any(item.file_name.startswith("clothomix_") for item in items)
    for item in items:
        info = sf.info(str(item.audio_path))
        assert info.samplerate == 44_100 and 15.0 <= info.duration <= 30.0
    assert (out / "clothomix_events_development.csv").is_file()
    assert check_dataset(out, progress=False).ok


def test_options_override_the_scale_and_layout_only_writes_clothos_files(tmp_path):
    out = tmp_path / "clotho"
    arguments = ["data", "demo", "--scale", "clotho", "--clips", "evaluation=2"]
    arguments += ["--duration", "2-3", "--file-names", "clothomix", "--clotho-layout-only"]
    assert main([*arguments, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "clotho_captions_evaluation.csv",
        "clotho_metadata_evaluation.csv",
        "evaluation",
    ]
    files = sorted((out / "evaluation").iterdir())
    assert [f.name for f in files] == [
        "clothomix_evaluation_0000.wav",
        "clothomix_evaluation_0001.wav",
    ]
    for path in files:
        info = sf.info(str(path))
        assert info.samplerate == 44_100 and 2.0 <= info.duration <= 3.0


def test_the_default_scale_is_the_demo(tmp_path):
    out = tmp_path / "demo"
    assert main(["data", "demo", "--clips", "evaluation=1", "--out", str(out)]) == 0
    [path] = (out / "evaluation").iterdir()
    info = sf.info(str(path))
    assert (path.name, info.samplerate, info.duration) == (
        "clothomix_evaluation_0000.wav",
        16_000,
        10.0,
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--duration", "ten"], "--duration expects seconds"),
        (["--scale", "huge"], "invalid choice"),
        (["--file-names", "freesound"], "invalid choice"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit):
        main(["data", "demo", *arguments, "--out", str(tmp_path / "x")])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_bad_range_is_reported_by_the_library(tmp_path, capsys):
    assert main(["data", "demo", "--duration", "30-15", "--out", str(tmp_path / "x")]) == 2
    assert "longest is under the shortest" in capsys.readouterr().err
