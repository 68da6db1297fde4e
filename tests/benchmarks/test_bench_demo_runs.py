"""`benchmarks/bench_demo_runs.py`: plateau and cost of finished runs, read from their files."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "bench_demo_runs", ROOT / "benchmarks" / "bench_demo_runs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_run(root: Path, name: str, val_losses, max_epochs: int, stopped: bool, seconds: int):
    run = root / name
    run.mkdir(parents=True)
    best = min(range(len(val_losses)), key=val_losses.__getitem__) + 1
    epochs = [{"epoch": i + 1, "val_loss": v, "seconds": 2.0} for i, v in enumerate(val_losses)]
    (run / "history.json").write_text(json.dumps({"epochs": epochs}))
    metrics = {"best_epoch": best, "stopped_early": stopped, "epochs_trained": len(epochs)}
    (run / "metrics.json").write_text(json.dumps(metrics))
    start = "2026-12-02T10:00:00+00:00"
    end = f"2026-12-02T10:{seconds // 60:02d}:{seconds % 60:02d}+00:00"
    info = {"task": "captioning", "experiment": name, "start_time": start, "end_time": end}
    (run / "run.json").write_text(json.dumps({**info, "starts": [start]}))
    training = {"epochs": max_epochs, "early_stopping_patience": 3}
    (run / "config.yaml").write_text(yaml.safe_dump({"training": training}))


def test_runs_are_classed_flat_or_rising_and_their_time_summed(
    bench, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("AACR_JOBS", "2")
    write_run(tmp_path, "captioning-flat-1", [3, 2, 1.5, 1.6, 1.7, 1.6], 20, True, 90)
    write_run(tmp_path, "captioning-rising-2", [3, 2, 1.5, 1.2], 4, False, 30)
    (tmp_path / "captioning-unfinished-3").mkdir()  # no metrics: not counted
    out = tmp_path / "out.json"
    assert bench.main(["--runs-root", str(tmp_path), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [r["plateau"] for r in report["rows"]] == ["flat", "rising"]
    assert report["rising"] == ["captioning-rising-2"]
    assert report["one_seed_of_every_run_seconds"] == 120
    assert report["one_seed_book_seconds"] == 60
    assert "1 still improving" in capsys.readouterr().out


def test_an_empty_root_says_so(bench, tmp_path, capsys):
    assert bench.main(["--runs-root", str(tmp_path)]) == 1
    assert "no finished runs" in capsys.readouterr().out
