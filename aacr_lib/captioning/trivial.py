"""The trivial captioning system: the most frequent training caption, for every clip.

A trained captioner has to beat this clearly to show that it listens to the audio. The system
is scored like any run and stored as a run directory (`captioning-trivial-<hash>`), so the book
reads its numbers from disk like everything else.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from aacr_lib.captioning.experiments import resolve_config
from aacr_lib.captioning.outputs import CLIP_STATISTICS_FILE, TASK, write_captions
from aacr_lib.config import to_dict
from aacr_lib.data.clotho import ClothoItem, read_split
from aacr_lib.paths import dataset_dir
from aacr_lib.profiles import canonical_profile
from aacr_lib.runs import RunDir, execute_run

EXPERIMENT = "trivial"


def most_frequent_caption(items: Iterable[ClothoItem]) -> str:
    """The most frequent normalised caption (ties: the alphabetically first)."""
    counts = Counter(c for item in items for c in item.normalized_captions)
    if not counts:
        raise ValueError("no captions to choose from")
    best = max(counts.values())
    return min(caption for caption, count in counts.items() if count == best)


def evaluate_trivial(
    profile: str = "demo",
    data_dir: str | os.PathLike | None = None,
    runs_root: str | os.PathLike | None = None,
    overrides: Sequence[str] = (),
) -> RunDir:
    """Score the most-frequent-caption system on the profile's evaluation split (a run dir);
    `overrides` (KEY=VALUE) reach the baseline config it takes its data and metrics from."""
    base = resolve_config("baseline", profile, overrides)
    data = base.data
    config: dict[str, Any] = {
        "system": "most frequent training caption",
        "data": to_dict(data),
        "metrics": list(base.evaluation.metrics),
    }
    data_dir = Path(data_dir) if data_dir is not None else dataset_dir(data.dataset)

    def body(run: RunDir) -> dict[str, Any]:
        from aacr_lib.captioning.task import score_captions  # scoring only: it loads torch

        limit = data.max_clips
        train = read_split(data_dir, data.train_split, metadata=False)[:limit]
        evaluation = read_split(data_dir, data.evaluation_split, metadata=False)[:limit]
        caption = most_frequent_caption(train)
        predictions = {item.file_name: caption for item in evaluation}
        write_captions(run, evaluation, predictions)
        references = {item.file_name: list(item.captions) for item in evaluation}
        scores = score_captions(
            predictions,
            references,
            tuple(base.evaluation.metrics),
            statistics_path=run.path / CLIP_STATISTICS_FILE,
        )
        return {**scores, "split": data.evaluation_split, "caption": caption, "profile": profile}

    profile = canonical_profile(profile)
    return execute_run(
        TASK, EXPERIMENT, config, body, seed=0, runs_root=runs_root, extra={"profile": profile}
    )
