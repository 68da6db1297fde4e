"""Run directories fabricated with known outputs, for the results tables and the claims that are
judged on them, without training.

- Captioning: `write_evaluation_split` writes a Clotho-layout evaluation split of
  `CAPTION_CLIPS` (five `references` each); `captioning_run` / `captioning_result` a finished
  run whose evaluation captions are the given ones, e.g. `RIGHT_CAPTIONS` (a reference of each
  clip) or `WRONG_CAPTIONS` (the wrong animal and place everywhere).
- Retrieval: `retrieval_run` / `retrieval_result` a finished run of `RANKED_CLIPS` (two
  `RANKED_CAPTIONS` each) whose submission ranks each query's clip first ("perfect") or the
  clips at random ("random").
- `missing`: an experiment without a run, and why.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from aacr_lib.captioning.task import OUTPUTS_FILE
from aacr_lib.evaluation.retrieval import write_submission
from aacr_lib.experiments import ExperimentResult
from aacr_lib.retrieval.ranking import REFERENCES_FILE, SUBMISSION_FILE
from aacr_lib.runs import RunDir, create_run

ANIMALS = ["dog", "cat", "bird", "cow", "horse", "frog", "duck", "goat", "sheep", "owl"]
PLACES = ["park", "kitchen", "forest", "street", "river", "barn", "garden", "station", "beach"]
CAPTION_CLIPS = [f"clip_{i:02d}.wav" for i in range(12)]
RANKED_CLIPS = [f"clip_{i:02d}.wav" for i in range(30)]
RANKED_CAPTIONS = {clip: [f"sound number {i} first", f"sound number {i} second"]
                   for i, clip in enumerate(RANKED_CLIPS)}  # fmt: skip


def references(index: int) -> list[str]:
    """The five reference captions of `CAPTION_CLIPS[index]`."""
    animal, place = ANIMALS[index % len(ANIMALS)], PLACES[index % len(PLACES)]
    return [
        f"a {animal} calls in the {place}",
        f"the {animal} makes noise near the {place}",
        f"a {animal} is heard at the {place}",
        f"someone hears a {animal} in a {place}",
        f"a loud {animal} in the {place}",
    ]


RIGHT_CAPTIONS = [references(i)[0] for i in range(len(CAPTION_CLIPS))]
WRONG_CAPTIONS = [
    f"a {ANIMALS[(i + 3) % len(ANIMALS)]} rustles by the {PLACES[(i + 4) % len(PLACES)]}"
    for i in range(len(CAPTION_CLIPS))
]


def write_evaluation_split(data_dir: Path) -> Path:
    """A Clotho-layout evaluation captions file for `CAPTION_CLIPS`; returns `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "clotho_captions_evaluation.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", *(f"caption_{i}" for i in range(1, 6))])
        for index, clip in enumerate(CAPTION_CLIPS):
            writer.writerow([clip, *references(index)])
    return data_dir


def captioning_run(root: Path, name: str, captions: Sequence[str]) -> RunDir:
    """A finished captioning run whose evaluation captions (one per `CAPTION_CLIPS`) are
    `captions`."""
    run = create_run("captioning", name, {"data": {"evaluation_split": "evaluation"}}, 0, root=root)
    rows = [{"file_name": c, "caption_predicted": t} for c, t in zip(CAPTION_CLIPS, captions, strict=True)]  # fmt: skip
    run.write_outputs(rows, OUTPUTS_FILE)
    run.finish()
    return run


def captioning_result(
    root: Path, experiment: str, title: str, captions: Sequence[str]
) -> ExperimentResult:
    """`experiment` with one `captioning_run` of `captions`."""
    return ExperimentResult(experiment, title, captioning_run(root, experiment, captions))


def retrieval_run(
    root: Path, name: str, ranking: str, seed: int = 0, clips: Sequence[str] = RANKED_CLIPS
) -> RunDir:
    """A finished retrieval run of `clips` (and their `RANKED_CAPTIONS` as queries) whose
    submission ranks each query's clip first ("perfect") or the clips at random ("random",
    drawn with `seed`)."""
    clips = list(clips)
    run = create_run("retrieval", name, {"method": "embedding"}, 0, root=root)
    with open(run.path / REFERENCES_FILE, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "caption_1", "caption_2"])
        writer.writerows([clip, *RANKED_CAPTIONS[clip]] for clip in clips)
    queries = [(c, index) for index, clip in enumerate(clips) for c in RANKED_CAPTIONS[clip]]
    scores = np.random.default_rng(seed).random((len(queries), len(clips)))
    if ranking == "perfect":
        scores[np.arange(len(queries)), [index for _, index in queries]] = 2.0
    write_submission(run.path / SUBMISSION_FILE, [q for q, _ in queries], clips, scores)
    run.finish()
    return run


def retrieval_result(
    root: Path, experiment: str, title: str, ranking: str, seed: int = 0
) -> ExperimentResult:
    """`experiment` with one `retrieval_run` ranking as `ranking` says."""
    return ExperimentResult(experiment, title, retrieval_run(root, experiment, ranking, seed))


def missing(experiment: str, title: str, reason: str) -> ExperimentResult:
    """`experiment` without a run, and `reason`."""
    return ExperimentResult(experiment, title, None, reason)
