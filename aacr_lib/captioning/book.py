"""Notebook glue for the captioning chapters: run experiments in a notebook's context.

Every function takes the `NotebookContext` of `aacr_lib.profiles.notebook_context`, so a chapter
runs the same code on the demo profile, on Clotho, and in smoke mode (tiny data, one step).
Runs are ordinary run directories: a second book build finds them complete and only reads them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aacr_lib.errors import AacrError
from aacr_lib.runs import RunDir


def experiment_profile(context: Any) -> str:
    """The captioning profile of a notebook: `smoke` in smoke mode, else the book profile's."""
    return "smoke" if context.smoke else context.profile.experiment_profile


def run_experiment(
    context: Any, experiment: str, overrides: list[str] | None = None, progress: bool | None = None
) -> RunDir:
    """Train (or reopen) `experiment` at the notebook's profile; returns the finished run."""
    from aacr_lib.captioning.task import train_captioning

    return train_captioning(
        experiment,
        experiment_profile(context),
        overrides or [],
        data_dir=context.data_dir,
        runs_root=context.runs_root,
        device=context.device,
        progress=context.progress if progress is None else progress,
    )


def run_trivial(context: Any) -> RunDir:
    """The most-frequent-training-caption system, scored like a run."""
    from aacr_lib.captioning.trivial import evaluate_trivial

    return evaluate_trivial(experiment_profile(context), context.data_dir, context.runs_root)


@dataclass
class Outcome:
    """A run, or why there is none (shown as "n/a" with the reason)."""

    run: RunDir | None
    reason: str | None = None


def organisers_checkpoint(context: Any) -> Outcome:
    """Report Table 1: the organisers' trained checkpoint scored on the evaluation split.

    Needs Clotho with VGGish features, the checkpoint and the bart-base tokenizer; any of them
    missing gives an `Outcome` with the reason and the fix instead of a run.
    """
    if experiment_profile(context) != "paper":
        return Outcome(
            None,
            "the organisers' checkpoint was trained on Clotho VGGish features; this book runs "
            f"the {experiment_profile(context)} profile on {context.dataset_name}. Build the "
            "book with the clotho profile online to score it",
        )
    try:
        return Outcome(
            evaluate_organisers_checkpoint(context.data_dir, context.runs_root, context.device)
        )
    except AacrError as exc:
        return Outcome(None, str(exc))


def evaluate_organisers_checkpoint(
    data_dir: str | os.PathLike,
    runs_root: str | os.PathLike | None = None,
    device: str = "cpu",
) -> RunDir:
    """Decode and score the organisers' checkpoint on Clotho's evaluation split (a run dir)."""
    import torch

    from aacr_lib.captioning.data import CaptionCollate, load_split
    from aacr_lib.captioning.decoding import decode_dataset
    from aacr_lib.captioning.experiments import resolve_config
    from aacr_lib.captioning.task import OUTPUTS_FILE, TASK, score_captions
    from aacr_lib.captioning.tokenizer import load_bart_base_tokenizer
    from aacr_lib.config import to_dict
    from aacr_lib.models.captioning.pretrained import (
        ORGANISERS_URL,
        load_organisers_checkpoint,
    )
    from aacr_lib.paths import runs_root as resolve_runs_root
    from aacr_lib.runs import create_run, run_name

    config = resolve_config("baseline", "paper")
    run_config = {"system": "organisers' checkpoint", "source": ORGANISERS_URL, **to_dict(config)}
    path = resolve_runs_root(runs_root) / run_name(TASK, "organisers_checkpoint", run_config)
    if RunDir(path).complete:
        return RunDir(path)
    tokenizer = load_bart_base_tokenizer()
    model = load_organisers_checkpoint()
    evaluation = load_split(Path(data_dir), config.data, config.data.evaluation_split)
    run = create_run(
        TASK, "organisers_checkpoint", run_config, seed=0, device=device, root=runs_root
    )
    model.to(torch.device(device if device != "auto" else "cpu"))
    collate = CaptionCollate(tokenizer, config.data.max_frames, config.tokenizer.max_length)
    predictions = decode_dataset(
        model,
        tokenizer,
        evaluation.clips(),
        collate,
        config.decoding,
        device=device,
        progress=True,
    )
    run.write_outputs(
        [
            {"file_name": i.file_name, "caption_predicted": predictions[i.file_name]}
            for i in evaluation.items
        ],
        name=OUTPUTS_FILE,
    )
    scores = score_captions(predictions, evaluation.references(), config.evaluation.metrics)
    run.write_metrics({**scores, "split": config.data.evaluation_split, "profile": "paper"})
    run.finish()
    return run


def profile_sentence(context: Any) -> str:
    """One Markdown sentence naming the data and the profile a chapter runs on."""
    from aacr_lib.captioning.experiments import PROFILE_DESCRIPTIONS

    name = experiment_profile(context)
    return (
        f"This chapter runs the **{name}** captioning profile on **{context.dataset_name}** "
        f"(`{context.data_dir}`, device `{context.device}`): {PROFILE_DESCRIPTIONS[name]}."
    )


def decoding_comparison(context: Any, run: RunDir):
    """Beam search against greedy decoding of a run's evaluation split (fast metrics)."""
    import pandas as pd

    from aacr_lib.captioning.display import TITLES
    from aacr_lib.captioning.task import redecode_run

    columns = {}
    for method in ("beam", "greedy"):
        scores = redecode_run(run, method, data_dir=context.data_dir, device=context.device)
        columns[method] = {TITLES[k]: v for k, v in scores.items() if k in TITLES}
    return pd.DataFrame(columns)


def example_files(context: Any, count: int = 3, split: str = "evaluation") -> list[Path]:
    """The audio files of the first `count` clips of a split."""
    from aacr_lib.data.clotho import read_split

    return [item.audio_path for item in read_split(context.data_dir, split, metadata=False)[:count]]


def caption_table(run: RunDir, files: list[Path]):
    """`caption_files` on `files` as a table: file, caption or error."""
    import pandas as pd

    from aacr_lib.captioning.inference import caption_files

    results = caption_files(files, run_dir=run.path)
    return pd.DataFrame(
        {
            "file": [r.path.name for r in results],
            "caption": [r.caption if r.ok else f"error: {r.error}" for r in results],
        }
    )
