"""What chapter 08 (sound-event vectors, the report's future work) calls for the tagger.

`run_tagger` trains or reopens the tagging `baseline` at the chapter's profile (at the clotho
profile there is none: Clotho has no strong labels, and the result says so instead of
raising); `tagger_quality_table` shows how good its events are; `show_event_example` puts one
clip's true events (ClothoMix's ground truth, where the data has it) beside the tagger's, with
the clip's audio and what each captioner wrote for it; `events_conclusion` turns the chapter's
paired differences into its closing paragraph, every number taken from its inputs.

The captioning and retrieval tables of the chapter are in those tasks' `display` modules
(`comparison_table`, `paired_differences`); this layer sits below them and reads their runs only
as files.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from aacr_lib.audio import load_audio
from aacr_lib.data.clotho import read_split
from aacr_lib.display import SPECTROGRAM_SR, audio_player, excludes_zero, plot_spectrogram
from aacr_lib.errors import PretrainedUnavailable
from aacr_lib.evaluation.bootstrap import PairedDifference
from aacr_lib.evaluation.io import read_predictions
from aacr_lib.events.oracle import EventRow, events_csv_path, read_clothomix_events
from aacr_lib.experiments import ExperimentResult
from aacr_lib.profiles import NotebookContext
from aacr_lib.tagging.config import TaggingEvaluationConfig
from aacr_lib.tagging.display import plot_piano_roll
from aacr_lib.tagging.experiments import get_experiment
from aacr_lib.tagging.inference import load_tagger
from aacr_lib.tagging.run import train_tagging

TAGGER_EXPERIMENT = "baseline"
# A captioning run's evaluation outputs (`captioning.task.OUTPUTS_FILE`, a layer above).
CAPTIONS_FILE = "generated_captions.csv"
NA = "n/a"


# ----------------------------------------------------------------------------- the tagger
def run_tagger(context: NotebookContext, progress: bool | None = None) -> ExperimentResult:
    """Train (or reopen) the tagging `baseline` at the chapter's profile, on its data and runs
    root: the run the `*_events_tagger` experiments read. Where the data has no strong labels
    (Clotho) the result has no run and the reason; this never raises for that."""
    title = get_experiment(TAGGER_EXPERIMENT).title
    started = time.perf_counter()
    try:
        run = train_tagging(
            TAGGER_EXPERIMENT,
            context.run_profile,
            data_dir=context.data_dir,
            runs_root=context.runs_root,
            device=context.device,
            progress=context.progress if progress is None else progress,
        )
    except PretrainedUnavailable as exc:
        return ExperimentResult(TAGGER_EXPERIMENT, title, None, str(exc))
    return ExperimentResult(TAGGER_EXPERIMENT, title, run, None, time.perf_counter() - started)


QUALITY_COLUMNS = {
    "segment_f1": "segment F1",
    "segment_precision": "segment precision",
    "segment_recall": "segment recall",
    "segment_error_rate": "segment error rate",
    "clip_map": "clip mAP",
}


def tagger_quality_table(result: ExperimentResult) -> pd.DataFrame:
    """One row (the tagger's title): segment-based F1, precision, recall and error rate (sed_eval,
    at "segment (s)", 1 s by default) and clip-level mAP on the run's evaluation split, the
    split and its clip count; NaN (shown n/a) and the reason in "note" without a run."""
    metrics = result.metrics()
    row: dict[str, Any] = {"tagger": result.title}
    for key, column in QUALITY_COLUMNS.items():
        value = metrics.get(key)
        row[column] = math.nan if value is None else float(value)
    row["segment (s)"] = float(
        metrics.get("time_resolution", TaggingEvaluationConfig().time_resolution)
    )
    row["split"] = metrics.get("split", NA)
    row["clips"] = metrics.get("n_clips", NA)
    row["note"] = result.reason or ("" if result.run is not None else "no run")
    return pd.DataFrame([row]).set_index("tagger")


# ----------------------------------------------------------------------------- one clip
def true_events(data_dir: str | Path, split: str, file_name: str) -> list[EventRow] | None:
    """A clip's ground truth (ClothoMix's `clothomix_events_{split}.csv`); None when the
    dataset has no such file (real Clotho)."""
    if not events_csv_path(data_dir, split).is_file():
        return None
    return read_clothomix_events(data_dir, split).get(file_name, [])


def example_captions_frame(
    file_name: str, references: Sequence[str], captions: Mapping[str, ExperimentResult]
) -> pd.DataFrame:
    """The clip's reference captions, then each captioning system's generated caption for it
    (from its run's `generated_captions.csv`; "n/a: reason" without a run)."""
    rows = [
        {"caption of": f"reference {number}", "caption": caption}
        for number, caption in enumerate(references, start=1)
    ]
    for result in captions.values():
        if result.run is None:
            text = f"{NA}: {result.reason or 'no run'}"
        else:
            path = result.run.path / CAPTIONS_FILE
            generated = read_predictions(path) if path.is_file() else {}
            text = generated.get(file_name, f"{NA}: no caption for {file_name} in {path}")
        rows.append({"caption of": result.title, "caption": text})
    return pd.DataFrame(rows, columns=["caption of", "caption"]).set_index("caption of")


def _legend_line(
    truth: list[EventRow] | None,
    tagger: ExperimentResult,
    threshold: float | None,
    dataset: str,
    split: str,
) -> str:
    why = tagger.reason or "no run"
    if truth is None and threshold is None:
        return (
            f"No sound events to show: {dataset} has no ground-truth events (no "
            f"`clothomix_events_{split}.csv`) and the tagger is n/a ({why})."
        )
    detected = (
        f"grey, the tagger's probabilities; orange outlines, its detections (p ≥ {threshold:g})"
        if threshold is not None
        else f"the tagger is n/a ({why})"
    )
    if truth is None:
        return (
            f"Below the spectrogram: {detected}. {dataset} has no ground-truth events (no "
            "onsets and offsets), so there are no true events to compare with."
        )
    return (
        "Below the spectrogram, one row per AudioSet class: green (lower half of a row), the "
        f"true events (ClothoMix's ground truth, background included); {detected}."
    )


def show_event_example(
    context: NotebookContext,
    tagger: ExperimentResult,
    captions: Mapping[str, ExperimentResult],
    index: int = 0,
    split: str = "evaluation",
):
    """Clip `index` of the `split` split: a figure with its spectrogram (dB) on top and,
    sharing the time axis, the piano roll of its true events (where the dataset has them)
    against the events the tagger detects on it; a line saying what the rows show (or why
    there are none); the audio player; the reference captions beside each captioning
    system's. Returns the figure (closed, once displayed)."""
    items = read_split(context.data_dir, split, metadata=False)
    if not 0 <= index < len(items):
        raise ValueError(f"index {index} is outside the {len(items)} clips of {split!r}")
    item = items[index]
    waveform, rate = load_audio(item.audio_path, SPECTROGRAM_SR)
    duration = len(waveform) / rate
    truth = true_events(context.data_dir, split, item.file_name)
    probabilities, threshold, classes, hop = None, None, None, None
    if tagger.run is not None:
        trained = load_tagger(tagger.run, context.device)
        (probabilities,) = trained.waveform_probabilities([waveform], rate)
        threshold, classes = trained.config.evaluation.threshold, trained.classes
        hop = trained.hop_seconds
    if truth is None and probabilities is None:
        fig, spectrogram_ax = plt.subplots(figsize=(9, 2.6))
        plot_spectrogram(waveform, rate, item.file_name, ax=spectrogram_ax)
    else:
        fig, (spectrogram_ax, roll_ax) = plt.subplots(
            2, 1, sharex=True, figsize=(9, 5.6), gridspec_kw={"height_ratios": [1.0, 1.2]}
        )
        plot_spectrogram(waveform, rate, item.file_name, ax=spectrogram_ax)
        spectrogram_ax.set_xlabel("")
        roll: dict[str, Any] = {"duration": duration, "reference_rows": truth or ()}
        if probabilities is not None:
            roll.update(hop_seconds=hop, threshold=threshold, classes=classes)
        plot_piano_roll(roll_ax, probabilities if probabilities is not None else [], **roll)
    fig.tight_layout()
    display(fig)
    plt.close(fig)
    display(Markdown(_legend_line(truth, tagger, threshold, context.dataset_name, split)))
    display(audio_player(waveform, rate))
    display(example_captions_frame(item.file_name, item.captions, captions))
    return fig


# ----------------------------------------------------------------------------- the conclusion
SOURCES = {
    "oracle": "the oracle's events (ClothoMix's true labels)",
    "panns": "PANNs' events",
    "tagger": "the tagger's events",
}
# R@10 from which the oracle's retrieval counts as "almost perfect".
NEAR_PERFECT = 0.9
# The oracle helps "far more" than the tagger when its gain is at least this many times the
# tagger's (and its interval excludes zero).
FAR_MORE = 2.0


def _source_label(
    differences: Mapping[str, PairedDifference | None], source: str, prefer: str
) -> str | None:
    """The label of `source`'s events row: `{prefer}_events_{source}`, else the first label
    ending in `_events_{source}`."""
    if f"{prefer}_events_{source}" in differences:
        return f"{prefer}_events_{source}"
    return next((label for label in differences if label.endswith(f"_events_{source}")), None)


def _interval(difference: PairedDifference) -> str:
    low, high = difference.interval
    return f"95 % interval [{low:+.3f}, {high:+.3f}]"


def _effect(difference: PairedDifference | None, what: str) -> str:
    if difference is None:
        return f"could not be measured on {what} (n/a: no run)"
    if not excludes_zero(difference):
        return (
            f"did not change {what} measurably ({difference.difference:+.3f}, "
            f"{_interval(difference)}, which includes zero)"
        )
    verb = "raised" if difference.difference > 0 else "lowered"
    return f"{verb} {what} by {abs(difference.difference):.3f} ({_interval(difference)})"


def _far_more(oracle: PairedDifference | None, tagger: PairedDifference | None) -> bool:
    return (
        oracle is not None
        and tagger is not None
        and oracle.difference > 0
        and excludes_zero(oracle)
        and tagger.difference * FAR_MORE <= oracle.difference
    )


def events_conclusion(
    captioning_differences: Mapping[str, PairedDifference | None],
    retrieval_differences: Mapping[str, PairedDifference | None],
    tagger: ExperimentResult,
    captioning_reference: str = "final",
    retrieval_reference: str = "baseline",
    captioning_metric: str = "CIDEr-D",
    retrieval_metric: str = "R@10",
) -> str:
    """The chapter's closing paragraph (markdown), computed from the paired differences
    (`captioning.display.paired_differences`, `retrieval.display.paired_differences`: label →
    difference or None) and the tagger's run.

    Per event source (oracle, PANNs, tagger; the rows `{reference}_events_{source}`): whether
    its events raised the final captioner's `captioning_metric` and the retrieval baseline's
    `retrieval_metric`, by how much, with the interval, or that it is n/a. When the oracle helps
    far more than the tagger, the gap is put down to the tagger's quality (its segment F1);
    when the oracle's retrieval is almost perfect, that ClothoMix's captions are written from
    its event labels: a property of the demo data, not evidence for Clotho.
    """
    captioning_what = f"the final captioner's {captioning_metric}"
    retrieval_what = f"the retrieval baseline's {retrieval_metric}"
    found: dict[str, tuple[PairedDifference | None, PairedDifference | None]] = {}
    for source in SOURCES:
        caption_label = _source_label(captioning_differences, source, captioning_reference)
        retrieval_label = _source_label(retrieval_differences, source, retrieval_reference)
        if caption_label is None and retrieval_label is None:
            continue
        found[source] = (
            captioning_differences.get(caption_label) if caption_label else None,
            retrieval_differences.get(retrieval_label) if retrieval_label else None,
        )
    if not found:
        return "No sound-event experiment was run, so there is nothing to conclude (n/a)."
    sentences = []
    for source, (captioning, retrieval) in found.items():
        name = SOURCES[source]
        if captioning is None and retrieval is None:
            sentences.append(f"{name[0].upper()}{name[1:]}: n/a (no runs).")
            continue
        effects = f"{_effect(captioning, captioning_what)} and {_effect(retrieval, retrieval_what)}"
        sentences.append(f"{name[0].upper()}{name[1:]} {effects}.")
    oracle = found.get("oracle", (None, None))
    tagged = found.get("tagger", (None, None))
    gaps = [
        f"{metric} ({oracle[i].difference:+.3f} against {tagged[i].difference:+.3f})"
        for i, metric in enumerate((captioning_metric, retrieval_metric))
        if _far_more(oracle[i], tagged[i])
    ]
    if gaps:
        metrics = tagger.metrics()
        f1 = metrics.get("segment_f1")
        if f1 is None or (isinstance(f1, float) and np.isnan(f1)):
            quality = f" (its segment F1 is n/a: {tagger.reason or 'not scored'})"
        else:
            resolution = metrics.get("time_resolution", TaggingEvaluationConfig().time_resolution)
            split = metrics.get("split", "evaluation")
            quality = (
                f": its segment F1 is {float(f1):.3f} ({resolution:g} s segments, {split} "
                "split), where the true events score 1"
            )
        sentences.append(
            f"The oracle's events help far more than the tagger's on {' and on '.join(gaps)}: "
            f"the gap is the tagger's quality{quality}."
        )
    oracle_retrieval = oracle[1]
    if oracle_retrieval is not None and oracle_retrieval.a >= NEAR_PERFECT:
        sentences.append(
            f"With the true labels, {retrieval_metric} reaches {oracle_retrieval.a:.3f}, almost "
            f"perfect, for a reason: ClothoMix's captions are written from its event labels, so "
            "the true labels nearly give the caption away. That is a property of the demo data, "
            "not evidence for Clotho."
        )
    return " ".join(sentences)
