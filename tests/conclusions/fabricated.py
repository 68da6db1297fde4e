"""Run directories fabricated with known outputs, for judging claims without training:
captioning runs with chosen captions against a fabricated evaluation split, retrieval runs whose
rankings are perfect or random."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from aacr_lib.captioning.task import OUTPUTS_FILE
from aacr_lib.evaluation.retrieval import write_submission
from aacr_lib.experiments import ExperimentResult
from aacr_lib.retrieval.ranking import REFERENCES_FILE, SUBMISSION_FILE
from aacr_lib.runs import create_run

ANIMALS = ["dog", "cat", "bird", "cow", "horse", "frog", "duck", "goat", "sheep", "owl"]
PLACES = ["park", "kitchen", "forest", "street", "river", "barn", "garden", "station", "beach"]
CAPTION_CLIPS = [f"clip_{i:02d}.wav" for i in range(12)]
RANKED_CLIPS = [f"clip_{i:02d}.wav" for i in range(30)]


def references(index: int) -> list[str]:
    animal, place = ANIMALS[index % len(ANIMALS)], PLACES[index % len(PLACES)]
    return [
        f"a {animal} calls in the {place}",
        f"the {animal} makes noise near the {place}",
        f"a {animal} is heard at the {place}",
        f"someone hears a {animal} in a {place}",
        f"a loud {animal} in the {place}",
    ]


def write_evaluation_split(data_dir: Path) -> Path:
    """A Clotho-layout evaluation captions file for `CAPTION_CLIPS`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "clotho_captions_evaluation.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", *(f"caption_{i}" for i in range(1, 6))])
        for index, clip in enumerate(CAPTION_CLIPS):
            writer.writerow([clip, *references(index)])
    return data_dir


RIGHT_CAPTIONS = [references(i)[0] for i in range(len(CAPTION_CLIPS))]
WRONG_CAPTIONS = [
    f"a {ANIMALS[(i + 3) % 10]} rustles by the {PLACES[(i + 4) % 9]}"
    for i in range(len(CAPTION_CLIPS))
]


def captioning_result(root: Path, experiment: str, title: str, captions: list[str]):
    """A complete captioning run whose evaluation captions are `captions`."""
    run = create_run(
        "captioning", experiment, {"data": {"evaluation_split": "evaluation"}}, 0, root=root
    )
    rows = [{"file_name": c, "caption_predicted": t} for c, t in zip(CAPTION_CLIPS, captions, strict=True)]  # fmt: skip
    run.write_outputs(rows, OUTPUTS_FILE)
    run.finish()
    return ExperimentResult(experiment, title, run)


def retrieval_result(root: Path, experiment: str, title: str, ranking: str, seed: int = 0):
    """A complete retrieval run whose submission ranks each query's clip first ("perfect") or
    the clips at random ("random")."""
    run = create_run("retrieval", experiment, {"method": "embedding"}, 0, root=root)
    captions = {clip: [f"sound number {i} first", f"sound number {i} second"]
                for i, clip in enumerate(RANKED_CLIPS)}  # fmt: skip
    with open(run.path / REFERENCES_FILE, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "caption_1", "caption_2"])
        writer.writerows([clip, *captions[clip]] for clip in RANKED_CLIPS)
    queries = [(c, index) for index, clip in enumerate(RANKED_CLIPS) for c in captions[clip]]
    scores = np.random.default_rng(seed).random((len(queries), len(RANKED_CLIPS)))
    if ranking == "perfect":
        scores[np.arange(len(queries)), [index for _, index in queries]] = 2.0
    write_submission(run.path / SUBMISSION_FILE, [q for q, _ in queries], RANKED_CLIPS, scores)
    run.finish()
    return ExperimentResult(experiment, title, run)


def missing(experiment: str, title: str, reason: str) -> ExperimentResult:
    return ExperimentResult(experiment, title, None, reason)
