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


@pytest.mark.slow
def test_several_seeds_train_runs_of_their_own_and_are_pooled(tmp_path, capsys, monkeypatch):
    from aacr_lib.captioning.display import comparison_table
    from aacr_lib.profiles import SEEDS_VARIABLE

    monkeypatch.setenv(JOBS_VARIABLE, "2")
    monkeypatch.setenv(SEEDS_VARIABLE, "2")
    context = notebook_context("demo", runs_root_dir=tmp_path / "runs", smoke=True)
    assert context.seeds == 2
    planned = book.planned_runs(context, ["baseline", "adapter2"])
    assert [p.label for p in planned] == [
        "baseline",
        "baseline (seed 1)",
        "adapter2",
        "adapter2 (seed 1)",
    ]
    assert len({p.run_dir for p in planned}) == 4
    results = book.run_experiments(context, ["baseline", "adapter2"])
    assert list(results) == ["baseline", "adapter2"]
    baseline = results["baseline"]
    assert baseline.seeds == 2 and baseline.runs[0] == baseline.run
    assert [run.config()["training"]["seed"] for run in baseline.runs] == [0, 1]
    assert "baseline (seed 1): 1 epoch(s)" in capsys.readouterr().out
    table = comparison_table(results, context.data_dir, reference="baseline")
    assert list(table["seeds"]) == [2, 2]
    assert " ± " in table.iloc[1]["CIDEr-D"]
    # one seed (the profile's) reopens the first seed's runs: the same directories
    monkeypatch.delenv(SEEDS_VARIABLE)
    single = book.run_experiments(context, ["baseline"])["baseline"]
    assert single.seeds == 1 and single.run.path == baseline.run.path and single.reused
