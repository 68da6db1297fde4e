"""Data parallelism: 2 CPU processes on gloo run the captioning entry point; validation and
evaluation see every clip exactly once, and the gathered validation loss is the exact one."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.captioning.toy_data import make_toy_dataset
from tests.training.gloo_worker import OVERRIDES

WORKER = Path(__file__).with_name("gloo_worker.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_two_gloo_processes_gather_every_clip_once(tmp_path):
    # odd clip counts, so that the two shards differ in size
    data = make_toy_dataset(
        tmp_path / "tones", clips={"development": 9, "validation": 5, "evaluation": 7}
    )
    runs = tmp_path / "runs"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "AACR_RUNS": str(runs)}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        f"--master_port={_free_port()}",
        str(WORKER),
        str(data),
        str(runs),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    (run_path,) = [p for p in runs.iterdir() if p.name.startswith("captioning-baseline-")]
    from aacr_lib.runs import RunDir

    run = RunDir(run_path)
    assert run.complete and run.info()["processes"] == 2
    with open(run_path / "generated_captions.csv", newline="") as handle:
        names = [row["file_name"] for row in csv.DictReader(handle)]
    assert names == [f"toy_{i:03d}.wav" for i in range(14, 21)]  # each evaluation clip once
    assert run.metrics()["n_clips"] == 7
    epoch = json.loads((run_path / "history.json").read_text())["epochs"][0]
    assert epoch["metrics"]["n_clips"] == 5  # each validation clip once

    # The validation loss reduced over the 2 processes equals a 1-process computation.
    from aacr_lib.captioning.experiments import resolve_config
    from aacr_lib.captioning.inference import load_captioner
    from aacr_lib.captioning.task import CaptioningTask
    from aacr_lib.config import parse_overrides
    from aacr_lib.features.splits import load_split
    from aacr_lib.training.loop import make_accelerator, validation_loss

    config = resolve_config("baseline", "smoke", parse_overrides(OVERRIDES))
    captioner = load_captioner(run_path)
    splits = [
        load_split(data, config.data, s, progress=False) for s in ("development", "validation")
    ]
    task = CaptioningTask(config, captioner.model, captioner.tokenizer, *splits)
    single = validation_loss(
        task, captioner.model, make_accelerator(config.training), config.training
    )
    assert single == pytest.approx(epoch["val_loss"], rel=1e-5)
