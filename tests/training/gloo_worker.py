"""One process of the 2-process data-parallel test (launched by torch.distributed.run).

Trains the toy captioning run through the real entry point, `train_captioning`, on the CPU:
accelerate sees LOCAL_RANK/WORLD_SIZE and uses the gloo backend.
"""

from __future__ import annotations

import sys

from aacr_lib.captioning.run import train_captioning

OVERRIDES = [
    "training.epochs=1",
    "training.max_steps_per_epoch=null",
    "training.batch_size=4",
    "evaluation.epoch_metrics=[cider_d]",
    "evaluation.metrics=[bleu,cider_d]",
]

if __name__ == "__main__":
    data_dir, runs_root = sys.argv[1], sys.argv[2]
    train_captioning(
        "baseline",
        "smoke",
        OVERRIDES,
        data_dir=data_dir,
        runs_root=runs_root,
        device="cpu",
        progress=False,
    )
