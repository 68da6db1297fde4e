"""What a book's runs cost and whether each was trained to its plateau, read from a runs root.

    .venv/bin/python benchmarks/bench_demo_runs.py [--runs-root runs] [--json OUT]

For every finished run directory (`metrics.json`, `history.json`, `run.json`, `config.yaml`):
its task and experiment, epochs trained against the config's maximum, the best epoch, whether
early stopping ended it, its wall time (run.json's start to end: training, decoding and scoring,
in its worker process) and the seconds of its epochs.

"Plateau": the run stopped early (its validation loss did not fall for the patience's epochs
after the best one), or its best epoch lies at least the patience before its last epoch. A run
that ended on its epoch limit with the best epoch last is still improving: listed as "rising".

"One seed of every run": the summed wall times of the runs (what one more seed of every demo
experiment costs on one core), and that sum divided by the workers that trained side by side
(`AACR_JOBS`, one per core by default): about what a seed adds to the book's wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path

import yaml


def read_run(path: Path) -> dict | None:
    """One run's facts, or None for a directory that is not a finished run."""
    try:
        metrics = json.loads((path / "metrics.json").read_text())
        epochs = json.loads((path / "history.json").read_text())["epochs"]
        info = json.loads((path / "run.json").read_text())
        config = yaml.safe_load((path / "config.yaml").read_text())
    except (OSError, ValueError, KeyError):
        return None
    training = config.get("training", {})
    patience = training.get("early_stopping_patience")
    best = metrics.get("best_epoch")
    trained = len(epochs)
    stopped = bool(metrics.get("stopped_early"))
    flat = stopped or (best is not None and patience is not None and trained - best >= patience)
    start, end = info.get("start_time"), info.get("end_time")
    wall = None
    if start and end and len(info.get("starts", [start])) == 1:
        wall = (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
    return {
        "run": path.name,
        "task": info.get("task"),
        "experiment": info.get("experiment"),
        "epochs_trained": trained,
        "max_epochs": training.get("epochs"),
        "best_epoch": best,
        "patience": patience,
        "stopped_early": stopped,
        "plateau": "flat" if flat else ("no training" if not trained else "rising"),
        "wall_seconds": wall,
        "epoch_seconds": round(sum(float(e.get("seconds", 0.0)) for e in epochs), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-root", type=Path, default=Path(os.environ.get("AACR_RUNS", "runs")))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = [r for p in sorted(args.runs_root.glob("*-*")) if (r := read_run(p))]
    if not rows:
        print(f"no finished runs in {args.runs_root}")
        return 1
    print(f"{'run':48} {'epochs':>9} {'best':>4}  {'plateau':8} {'wall s':>7} {'epochs s':>8}")
    for r in rows:
        wall = f"{r['wall_seconds']:.0f}" if r["wall_seconds"] is not None else "-"
        epochs = f"{r['epochs_trained']}/{r['max_epochs']}"
        print(
            f"{r['run']:48} {epochs:>9} {r['best_epoch'] or '-':>4}  {r['plateau']:8} "
            f"{wall:>7} {r['epoch_seconds']:>8}"
        )
    timed = [r["wall_seconds"] for r in rows if r["wall_seconds"] is not None]
    jobs = int(os.environ.get("AACR_JOBS") or len(os.sched_getaffinity(0)))
    summary = {
        "runs": len(rows),
        "rising": [r["run"] for r in rows if r["plateau"] == "rising"],
        "one_seed_of_every_run_seconds": round(sum(timed), 1),
        "workers": jobs,
        "one_seed_book_seconds": round(sum(timed) / jobs, 1),
    }
    print(
        f"\n{summary['runs']} runs, {len(summary['rising'])} still improving at their epoch limit; "
        f"one seed of every run: {summary['one_seed_of_every_run_seconds']:.0f} s of run time, "
        f"about {summary['one_seed_book_seconds']:.0f} s of book time with {jobs} workers"
    )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, **summary}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
