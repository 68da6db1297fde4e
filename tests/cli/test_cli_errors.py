"""Bad input and OS failures reach the user as one line `aacr CMD: error: …`, never a traceback."""

from __future__ import annotations

import errno

import numpy as np
import pytest
import soundfile as sf

from aacr_lib.cli import describe_os_error, main
from aacr_lib.cli import train as train_cli
from aacr_lib.runs import create_run


def _one_error_line(capsys, command: str) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"aacr {command}: error: "), err
    assert "Traceback" not in err[0]
    return err[0]


def test_an_os_failure_in_any_handler_is_one_line_naming_the_path(monkeypatch, capsys):
    def full_disk(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/runs/x/metrics.json")

    monkeypatch.setattr(train_cli, "train_from_args", full_disk)
    assert main(["train", "captioning"]) == 2
    line = _one_error_line(capsys, "train")
    assert line.endswith("/runs/x/metrics.json: No space left on device")
    assert describe_os_error(OSError(errno.EXDEV, "Cross-device link", "a", None, "b")) == (
        "a -> b: Cross-device link"
    )


def test_counts_are_checked_where_they_are_parsed(capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main(["caption", "x.wav", "--run", str(tmp_path), "--batch-size", "0"])
    assert stop.value.code == 2
    assert "--batch-size: must be at least 1, got 0" in capsys.readouterr().err
    assert main(["train", "captioning", "--print-config", "training.epochs=-1"]) == 2
    assert "training.epochs must be at least 1, got -1" in _one_error_line(capsys, "train")
    assert main(["train", "retrieval", "--print-config", "data.max_clips=0"]) == 2
    assert "data.max_clips must be at least 1" in _one_error_line(capsys, "train")


def test_an_unwritable_runs_root_fails_before_any_work(capsys, tmp_path):
    blocker = tmp_path / "runs"
    blocker.write_text("a file where the runs root should be")
    data = tmp_path / "data"
    arguments = ["train", "retrieval", "--runs-root", str(blocker), "--data-dir", str(data)]
    assert main(arguments) == 2
    assert "not a folder" in _one_error_line(capsys, "train")
    assert not data.exists()  # no demo data was built: the check came first


def test_a_run_of_the_other_task_is_named_as_such(capsys, tmp_path):
    run = create_run("retrieval", "baseline", {"method": "embedding"}, 0, root=tmp_path)
    audio = tmp_path / "a.wav"
    sf.write(audio, np.zeros(16000, dtype=np.float32), 16000)
    assert main(["caption", str(audio), "--run", str(run.path)]) == 2
    line = _one_error_line(capsys, "caption")
    assert "is a retrieval run, not a captioning run" in line


def test_run_json_records_the_packages_commit_wherever_aacr_runs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # outside the checkout
    run = create_run("captioning", "baseline", {"a": 1}, 0, root=tmp_path / "runs")
    assert run.info()["git"]["commit"]  # the commit of the checkout the package came from


def test_builders_check_their_output_folder_before_any_work(capsys, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    assert main(["data", "demo", "--out", str(blocker / "clothomix")]) == 2
    assert "not a folder" in _one_error_line(capsys, "data")
    arguments = ["index", "build", str(tmp_path), "--run", str(tmp_path), "--out"]
    assert main([*arguments, str(blocker / "index")]) == 2
    assert "not a folder" in _one_error_line(capsys, "index")
    with pytest.raises(SystemExit):
        main(["search", "rain", "--index", str(tmp_path), "-k", "0"])
    assert "-k: must be at least 1" in capsys.readouterr().err
