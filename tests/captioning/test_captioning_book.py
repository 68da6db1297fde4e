"""What the captioning chapters call: several runs at once, side by side, then reused."""

from __future__ import annotations

import pytest

from aacr_lib.captioning import book
from aacr_lib.experiments import JOBS_VARIABLE
from aacr_lib.profiles import notebook_context


@pytest.mark.slow
def test_a_chapters_runs_train_side_by_side_and_are_reused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(JOBS_VARIABLE, "2")
    context = notebook_context("demo", runs_root_dir=tmp_path / "runs", smoke=True)
    requests = {"pads kept": "baseline", "pads masked": ("baseline", ["loss.mask_pad=true"])}
    results = book.run_experiments(context, requests)
    assert list(results) == ["pads kept", "pads masked"]
    runs = [r.run for r in results.values()]
    assert all(run is not None and run.complete for run in runs)
    assert runs[0].path != runs[1].path
    assert runs[1].config()["loss"]["mask_pad"] is True
    printed = capsys.readouterr().out
    assert "pads kept: 1 epoch(s), CIDEr-D" in printed and "trained in" in printed

    again = book.run_experiments(context, ["baseline"])  # a list: named by the title
    assert again["baseline"].run.path == runs[0].path
    assert "DCASE 2022 baseline: 1 epoch(s)" in capsys.readouterr().out
