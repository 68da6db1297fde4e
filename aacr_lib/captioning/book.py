"""What the captioning chapters call: run experiments in a notebook's context.

Every function takes the `NotebookContext` of `aacr_lib.profiles.notebook_context`, so a chapter
runs the same code on the demo profile, on Clotho, and in smoke mode (tiny data, one step).
Runs are ordinary run directories: a second book build finds them complete and only reads them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aacr_lib.captioning.experiments import PROFILE_DESCRIPTIONS
from aacr_lib.captioning.inference import caption_files
from aacr_lib.captioning.run import evaluate_organisers_checkpoint, redecode_run, train_captioning
from aacr_lib.captioning.trivial import evaluate_trivial
from aacr_lib.data.clotho import read_split
from aacr_lib.errors import AacrError
from aacr_lib.evaluation.captioning import METRIC_TITLES
from aacr_lib.experiments import ExperimentResult
from aacr_lib.profiles import NotebookContext
from aacr_lib.runs import RunDir


def run_experiment(
    context: NotebookContext,
    experiment: str,
    overrides: list[str] | None = None,
    progress: bool | None = None,
) -> RunDir:
    """Train (or reopen) `experiment` at the notebook's profile; returns the finished run."""
    return train_captioning(
        experiment,
        context.run_profile,
        overrides or [],
        data_dir=context.data_dir,
        runs_root=context.runs_root,
        device=context.device,
        progress=context.progress if progress is None else progress,
    )


def run_trivial(context: NotebookContext) -> RunDir:
    """The most-frequent-training-caption system, scored like a run."""
    return evaluate_trivial(context.run_profile, context.data_dir, context.runs_root)


def organisers_checkpoint(context: NotebookContext) -> ExperimentResult:
    """Report Table 1: the organisers' trained checkpoint scored on the evaluation split.

    Needs Clotho with VGGish features, the checkpoint and the bart-base tokenizer; any of them
    missing gives a result with the reason and the fix instead of a run.
    """
    name, title = "organisers_checkpoint", "DCASE 2022 organisers' checkpoint"
    if context.run_profile != "clotho":
        reason = (
            "the organisers' checkpoint was trained on Clotho VGGish features; this book runs "
            f"the {context.run_profile} profile on {context.dataset_name}. Build the "
            "book with the clotho profile online to score it"
        )
        return ExperimentResult(name, title, None, reason)
    try:
        run = evaluate_organisers_checkpoint(context.data_dir, context.runs_root, context.device)
    except AacrError as exc:
        return ExperimentResult(name, title, None, str(exc))
    return ExperimentResult(name, title, run)


def profile_sentence(context: NotebookContext) -> str:
    """One Markdown sentence naming the data and the profile a chapter runs on."""
    name = context.run_profile
    return (
        f"This chapter runs the **{name}** captioning profile on **{context.dataset_name}** "
        f"(`{context.data_dir}`, device `{context.device}`): {PROFILE_DESCRIPTIONS[name]}."
    )


def decoding_comparison(context: NotebookContext, run: RunDir):
    """Beam search against greedy decoding of a run's evaluation split (fast metrics)."""
    columns = {}
    for method in ("beam", "greedy"):
        scores = redecode_run(run, method, data_dir=context.data_dir, device=context.device)
        columns[method] = {METRIC_TITLES[k]: v for k, v in scores.items() if k in METRIC_TITLES}
    return pd.DataFrame(columns)


def example_files(
    context: NotebookContext, count: int = 3, split: str = "evaluation"
) -> list[Path]:
    """The audio files of the first `count` clips of a split."""
    return [item.audio_path for item in read_split(context.data_dir, split, metadata=False)[:count]]


def caption_table(run: RunDir, files: list[Path]):
    """`caption_files` on `files` as a table: file, caption or error."""
    results = caption_files(files, run_dir=run.path)
    return pd.DataFrame(
        {
            "file": [r.path.name for r in results],
            "caption": [r.caption if r.ok else f"error: {r.error}" for r in results],
        }
    )
