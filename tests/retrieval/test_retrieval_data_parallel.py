"""Data parallelism: `aacr train retrieval` under a 2-process launch (CPU, gloo backend).

The gathered per-epoch validation loss and R@k equal a one-process computation with the same
weights (so no validation clip was dropped or counted twice), and the evaluation ranks every
caption once.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aacr_lib.evaluation.io import read_ranking
from tests.retrieval.conftest import SPLITS, TOY_OVERRIDES
from tests.training.test_training_gloo import _free_port

OVERRIDES = [o for o in TOY_OVERRIDES if not o.startswith("training.epochs=")]
OVERRIDES += ["training.epochs=1", "training.batch_size=4"]


@pytest.mark.slow
def test_two_processes_train_validate_and_evaluate_every_clip_once(toy_dataset, tmp_path):
    runs = tmp_path / "runs"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2"]
    command += [f"--master_port={_free_port()}", "-m", "aacr_lib", "train", "retrieval"]
    command += ["--experiment", "baseline", "--profile", "smoke", "--no-progress"]
    command += ["--data-dir", str(toy_dataset), "--runs-root", str(runs), "--device", "cpu"]
    done = subprocess.run(command + OVERRIDES, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("run: ") == 1  # the main process reports, once

    (run_path,) = [p for p in runs.iterdir() if p.name.startswith("retrieval-baseline-")]
    from aacr_lib.retrieval.ranking import SUBMISSION_FILE
    from aacr_lib.runs import RunDir

    run = RunDir(run_path)
    assert run.complete and run.info()["processes"] == 2
    metrics = run.metrics()
    assert metrics["n_clips"] == SPLITS["evaluation"]
    ranking = read_ranking(run_path / SUBMISSION_FILE)
    assert len(ranking.captions) == len(set(ranking.captions)) == SPLITS["evaluation"] * 5
    (epoch,) = run.history()

    # One process, the same (final = best, one epoch) weights: the same loss and metrics.
    from aacr_lib.features.splits import load_splits
    from aacr_lib.retrieval.inference import load_trained
    from aacr_lib.retrieval.task import RetrievalTask, TextTable
    from aacr_lib.training.loop import make_accelerator, validation_loss

    trained = load_trained(run)
    config = trained.config
    splits = load_splits(toy_dataset, config.data, progress=False)
    captions = list(
        dict.fromkeys(c for split in splits.values() for item in split.items for c in item.captions)
    )
    table = TextTable(captions, trained.text_encoder.encode(captions, progress=False))
    task = RetrievalTask(config, trained.model, table, splits["development"], splits["validation"])
    accelerator = make_accelerator(config.training)
    single_loss = validation_loss(task, trained.model, accelerator, config.training)
    single_metrics = task.evaluate(trained.model, accelerator, 1)
    assert single_loss == pytest.approx(epoch["val_loss"], rel=1e-5)
    for key in ("r1", "r5", "r10", "map10"):
        assert single_metrics[key] == pytest.approx(epoch["metrics"][key]), key
