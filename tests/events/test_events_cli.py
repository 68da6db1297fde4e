"""`aacr events DIR --source SOURCE`: builds each split's cache, prints it, one-line errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from aacr_lib import cli
from aacr_lib.events import OracleEventsConfig, events_cache_path, load_events
from tests.events import CLIPS, make_clothomix


@pytest.fixture(autouse=True)
def events_command(monkeypatch):
    """`aacr events` in the command table (whether or not it is there already)."""
    if "events" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "events"))


@pytest.fixture(scope="module")
def clothomix(tmp_path_factory) -> Path:
    return make_clothomix(tmp_path_factory.mktemp("events") / "clothomix")


def test_oracle_end_to_end(clothomix, tmp_path, capsys):
    args = ["events", str(clothomix), "--source", "oracle", "--features-dir", str(tmp_path)]
    assert cli.main(args) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == len(CLIPS)
    for line, (split, count) in zip(lines, CLIPS.items(), strict=True):
        path = events_cache_path(clothomix, OracleEventsConfig(), split, tmp_path)
        assert line == (
            f"oracle events of {split}: {count} clips, 3.125 frames/s, 527 classes, in {path}"
        )
        vectors = load_events(clothomix, OracleEventsConfig(), split, tmp_path)
        assert len(vectors) == count and all(v.shape == (10, 527) for v in vectors.values())
    assert "events_oracle development" in captured.err  # the progress bar

    # A rerun finds the caches finished; another hop is another cache.
    args += ["--split", "validation", "--hop", "0.5", "--no-progress"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    path = events_cache_path(clothomix, OracleEventsConfig(hop_seconds=0.5), "validation", tmp_path)
    assert (
        out.strip() == f"oracle events of validation: 2 clips, 2 frames/s, 527 classes, in {path}"
    )
    vectors = load_events(clothomix, OracleEventsConfig(hop_seconds=0.5), "validation", tmp_path)
    assert {v.shape for v in vectors.values()} == {(6, 527)}
    assert all(np.isin(v, (0.0, 1.0)).all() for v in vectors.values())


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_errors_are_one_line(clothomix, tmp_path, capsys, monkeypatch):
    root = ["--features-dir", str(tmp_path), "--no-progress"]
    assert cli.main(["events", str(tmp_path / "nowhere"), "--source", "oracle"]) == 2
    assert "nowhere not found" in _error(capsys)

    assert cli.main(["events", str(clothomix), "--source", "oracle", "--split", "evaluation"]) == 2
    assert "clotho_captions_evaluation.csv not found" in _error(capsys)

    assert cli.main(["events", str(clothomix), "--source", "panns", *root]) == 2
    assert "aacr setup panns_cnn14_decision_level_max" in _error(capsys)

    assert cli.main(["events", str(clothomix), "--source", "tagger", *root]) == 2
    assert "--source tagger needs --run" in _error(capsys)

    assert cli.main(["events", str(clothomix), "--source", "oracle", "--run", "x", *root]) == 2
    assert "--run is for --source tagger" in _error(capsys)

    real_find_spec = importlib.util.find_spec

    def without_tagging(name, *args):
        return None if name == "aacr_lib.tagging" else real_find_spec(name, *args)

    with monkeypatch.context() as patch:
        patch.setattr(importlib.util, "find_spec", without_tagging)
        args = ["events", str(clothomix), "--source", "tagger", "--run", "runs/tagger-x", *root]
        assert cli.main(args) == 2
    assert "needs the aacr_lib.tagging package" in _error(capsys)

    clotho_like = make_clothomix(tmp_path / "clotho-like")
    for path in clotho_like.glob("clothomix_events_*.csv"):
        path.unlink()
    assert cli.main(["events", str(clotho_like), "--source", "oracle", *root]) == 2
    err = _error(capsys)
    assert "no strong labels" in err and "aacr data demo" in err

    with pytest.raises(SystemExit):
        cli.main(["events", str(clothomix), "--source", "oracle", "--hop", "0"])
    assert "must be above 0" in capsys.readouterr().err


def test_tagger_runs_are_named_by_directory(tmp_path):
    from aacr_lib.cli.events import _tagger_run
    from aacr_lib.paths import runs_root

    assert _tagger_run("tagging-baseline-0123456789") == "tagging-baseline-0123456789"
    inside = runs_root() / "tagging-baseline-0123456789"
    assert _tagger_run(str(inside)) == "tagging-baseline-0123456789"
    elsewhere = tmp_path / "mine" / "tagging-baseline-0123456789"
    assert _tagger_run(str(elsewhere)) == str(elsewhere.resolve())


def test_an_untrained_tagger_run_is_a_one_line_error(clothomix, tmp_path, capsys):
    pytest.importorskip("aacr_lib.tagging")
    args = ["events", str(clothomix), "--source", "tagger", "--run", "tagging-baseline-nothing"]
    assert cli.main([*args, "--features-dir", str(tmp_path), "--no-progress"]) == 2
    assert "tagging-baseline-nothing" in _error(capsys)
