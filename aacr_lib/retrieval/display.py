"""Tables, curves and listening examples of the retrieval chapters.

Every number comes from a run directory (`metrics.json`, `history.json`, `submission.csv`) or
from the report's tables in `aacr_lib.retrieval.report_tables`; nothing is typed into a notebook.
"""

from __future__ import annotations

import csv
import functools
import html
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display

from aacr_lib.audio import load_audio
from aacr_lib.config import to_dict
from aacr_lib.display import (
    NA,
    NO_DIFFERENCE,
    SPECTROGRAM_SR,
    SystemScores,
    audio_player,
    difference_text,
    score_text,
)
from aacr_lib.errors import DataError, lookup
from aacr_lib.evaluation.bootstrap import PairedDifference, jackknife_mean
from aacr_lib.evaluation.io import read_ranking, read_references
from aacr_lib.evaluation.retrieval import RetrievalResult, caption_targets, evaluate_ranking
from aacr_lib.experiments import ExperimentResult
from aacr_lib.retrieval.caption_based import GENERATED_FILE
from aacr_lib.retrieval.experiments import resolve_config
from aacr_lib.retrieval.ranking import REFERENCES_FILE, SUBMISSION_FILE
from aacr_lib.retrieval.report_tables import METRIC_TITLES, METRICS, TABLE_3, report_scores
from aacr_lib.runs import RunDir


def _with_interval(metrics: Mapping, key: str) -> str:
    low, high = metrics.get("ci", {}).get(key, (np.nan, np.nan))
    return f"{metrics[key]:.3f} [{low:.3f}, {high:.3f}]"


def results_table(
    results: Mapping[str, ExperimentResult],
    with_report: bool = True,
    reference: str = "baseline",
    pairs: Mapping[str, str] | None = None,
    metric: str = "r10",
):
    """One row per experiment: ours (the mean over its seeds, "± std over seeds" when there
    are several, [95 % jackknife interval over queries]) beside the report's Table 10 value;
    "seeds"; the paired difference in `metric` with the row's reference ("Δ R@10",
    "+0.123 [+0.050, +0.190]", marked " *" when the interval excludes 0; "—" on a reference
    row) and that reference ("Δ vs": `pairs`, by default `reference_pairs`); 'n/a' with the
    reason when an experiment could not run."""
    pairs = _pairs_within(results, reference, pairs)
    differences = paired_differences(results, reference, pairs, metric)
    delta = f"Δ {METRIC_TITLES.get(metric, metric)}"
    rows = []
    for label, result in results.items():
        row = {"experiment": result.title}
        scores = system_scores(result)
        for key in METRICS:
            row[f"ours {METRIC_TITLES[key]}"] = score_text(scores, key)
        row["seeds"] = result.seeds
        if with_report:
            report = report_scores(result.name) or {}
            for key in METRICS:
                value = report.get(key)
                row[f"report {METRIC_TITLES[key]}"] = f"{value:.2f}" if value is not None else "—"
        row[delta], row["Δ vs"], note = _difference_cells(results, label, pairs, differences)
        row["note"] = result.reason or note
        rows.append(row)
    return pd.DataFrame(rows).set_index("experiment")


def _pairs_within(
    results: Mapping[str, ExperimentResult], reference: str, pairs: Mapping[str, str] | None
) -> dict[str, str]:
    """`pairs`, or `reference_pairs` of the labels when `reference` is one of them (else none:
    a table without its reference shows no differences)."""
    if pairs is not None:
        return dict(pairs)
    return reference_pairs(list(results), reference) if reference in results else {}


def _difference_cells(
    results: Mapping[str, ExperimentResult],
    label: str,
    pairs: Mapping[str, str],
    differences: Mapping[str, PairedDifference | None],
) -> tuple[str, str, str]:
    """(the difference's text, its reference's title, a note when it is n/a) of one row."""
    if label not in pairs:
        return NO_DIFFERENCE, NO_DIFFERENCE, ""
    base = lookup(results, pairs[label], "system")
    difference = differences[label]
    if difference is not None:
        return difference_text(difference), base.title, ""
    note = ""
    if results[label].run is not None:
        note = f"Δ n/a: {base.title} has no run ({base.reason or 'no run'})"
    return NA, base.title, note


def baseline_table(result: ExperimentResult):
    """Report Table 3 (published baseline and the report's reproduction) beside our baseline."""
    rows = [
        {"system": row.label, **{METRIC_TITLES[k]: f"{row.scores[k]:.2f}" for k in METRICS}}
        for row in TABLE_3
    ]
    metrics = result.metrics()
    ours = {METRIC_TITLES[k]: _with_interval(metrics, k) if metrics else NA for k in METRICS}
    rows.append({"system": f"ours ({result.run.name if result.run else NA})", **ours})
    return pd.DataFrame(rows).set_index("system")


def chance_sentence(result: ExperimentResult) -> str:
    """'Chance R@10 = 10 / N = …; ours …' for a finished run."""
    metrics = result.metrics()
    if not metrics:
        return f"{result.title}: no run ({result.reason})."
    clips = metrics["n_clips"]
    ratio = metrics["r10"] / metrics["chance_r10"] if metrics["chance_r10"] else float("nan")
    return (
        f"A random ranking of the {clips} evaluation clips finds a query's clip in its top 10 "
        f"with probability 10 / {clips} = {metrics['chance_r10']:.3f} (chance R@10); "
        f"{result.title} reaches R@10 = {metrics['r10']:.3f}, {ratio:.1f} times chance, over "
        f"{metrics['n_queries']} queries."
    )


def _flat_settings(config: Any) -> dict[str, Any]:
    flat: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, Mapping):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value

    walk(to_dict(config), "")
    return flat


def differences_frame(
    names: Sequence[str],
    base: str = "baseline",
    profiles: Sequence[str] = ("clotho", "demo"),
) -> pd.DataFrame:
    """Every config key in which an experiment's resolved config differs from `base`'s, per
    profile ("baseline value → experiment value"; empty where they agree at that profile):
    what e.g. `report_baseline` really changes, read from the configs the runs train with."""
    rows = []
    for name in names:
        changes: dict[str, dict[str, str]] = {}
        for profile in profiles:
            before = _flat_settings(resolve_config(base, profile))
            after = _flat_settings(resolve_config(name, profile))
            for key, value in after.items():
                if value != before.get(key):
                    changes.setdefault(key, {})[profile] = f"{before.get(key)} → {value}"
        for key, per_profile in changes.items():
            rows.append(
                {
                    "experiment": name,
                    "setting": key,
                    **{profile: per_profile.get(profile, "") for profile in profiles},
                }
            )
    columns = ["experiment", "setting", *profiles]
    return pd.DataFrame(rows, columns=columns).set_index(["experiment", "setting"])


HISTORY_COLUMNS = [
    "experiment",
    "epoch",
    "train loss",
    "validation loss",
    "lr",
    *(METRIC_TITLES[k] for k in METRICS),
]


def history_frame(results: Mapping[str, ExperimentResult]) -> pd.DataFrame:
    """Per-epoch training loss, validation loss and validation R@k / mAP@10 of every run
    (the same columns, and no rows, when no experiment has a run)."""
    rows = []
    for result in results.values():
        if result.run is None:
            continue
        for epoch in result.run.history():
            rows.append(
                {
                    "experiment": result.title,
                    "epoch": epoch["epoch"],
                    "train loss": epoch["train_loss"],
                    "validation loss": epoch["val_loss"],
                    "lr": epoch["lr"],
                    **{METRIC_TITLES[k]: epoch.get("metrics", {}).get(k) for k in METRICS},
                }
            )
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def plot_training_curves(results: Mapping[str, ExperimentResult]):
    """The report's Figure 2 for our runs: validation R@1/5/10 and mAP@10 by epoch, and the
    losses (each loss on its own scale: the experiments' losses differ)."""
    frame = history_frame(results)
    panels = ["train loss", "validation loss", *(METRIC_TITLES[k] for k in METRICS)]
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5))
    for ax, column in zip(axes.ravel(), panels, strict=True):
        for name, part in frame.groupby("experiment", sort=False) if len(frame) else []:
            ax.plot(part["epoch"], part[column], marker="o", markersize=3, label=name)
        ax.set_title(column if "loss" in column else f"validation {column}", fontsize=10)
        ax.set_xlabel("epoch")
    handles, labels = axes.ravel()[2].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8)
    fig.tight_layout(rect=(0, 0.08 if handles else 0, 1, 1))
    return fig


def _read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def query_examples(result: ExperimentResult, count: int = 3, k: int = 3) -> list[dict]:
    """Up to `count` example queries (each clip's first caption, in split order): the first one
    whose clip the model ranks first, the first one it ranks 2nd to 10th, the first one it
    misses, then the next queries; each with its top-k clips from the run's submission."""
    if result.run is None:
        return []
    references = _read_rows(result.run.path / REFERENCES_FILE)
    captions = {r["file_name"]: r["caption_1"] for r in references}
    ranking = {row["caption"]: row for row in _read_rows(result.run.path / SUBMISSION_FILE)}
    candidates = []
    for reference in references:
        row = ranking[reference["caption_1"]]
        ranked = [row[c] for c in row if c.startswith("file_name_") and row[c]]
        rank = (
            ranked.index(reference["file_name"]) + 1 if reference["file_name"] in ranked else None
        )
        outcome = "first" if rank == 1 else ("in the top 10" if rank else "missed")
        candidates.append(
            {
                "query": reference["caption_1"],
                "target": reference["file_name"],
                "rank": rank,
                "outcome": outcome,
                "ranked": ranked[:k],
                "captions": captions,
            }
        )
    chosen = []
    for outcome in ("first", "in the top 10", "missed"):
        chosen.extend([c for c in candidates if c["outcome"] == outcome][:1])
    chosen.extend(c for c in candidates if c not in chosen)
    return chosen[:count]


def show_query_examples(
    result: ExperimentResult, audio_dir: str | os.PathLike, count: int = 3, k: int = 3
) -> None:
    """Each example query, then its top-k clips with audio players; the right clip is marked."""
    for example in query_examples(result, count, k):
        where = f"rank {example['rank']}" if example["rank"] else "not in the top 10"
        query = html.escape(example["query"])
        display(HTML(f"<h4>Query: “{query}” (its clip: {where})</h4>"))
        for rank, name in enumerate(example["ranked"], start=1):
            mark = "✔ the query's clip" if name == example["target"] else ""
            first = html.escape(example["captions"].get(name, ""))
            display(
                HTML(
                    f"<b>{rank}.</b> {html.escape(name)} {mark}<br>"
                    f"<i>its first caption: {first}</i>"
                )
            )
            waveform, rate = load_audio(Path(audio_dir) / name, SPECTROGRAM_SR)
            display(audio_player(waveform, rate))


def search_table(hits: Sequence) -> pd.DataFrame:
    """Search hits (`SearchIndex.search`) as a table: rank, score, file, duration."""
    columns = ["rank", "score", "file", "seconds"]
    return pd.DataFrame(
        [
            {
                "rank": hit.rank,
                "score": hit.score,
                "file": os.path.basename(hit.path),
                "seconds": hit.duration,
            }
            for hit in hits
        ],
        columns=columns,
    ).set_index("rank")


def best_result(results: Mapping[str, ExperimentResult]) -> ExperimentResult:
    """The finished experiment with the highest R@10 (the first one on ties)."""
    finished = [r for r in results.values() if r.run is not None]
    if not finished:
        raise ValueError("no experiment finished")
    return max(finished, key=lambda r: r.metrics()["r10"])


def generated_captions_frame(result: ExperimentResult, rows: int = 8) -> pd.DataFrame:
    """Generated caption beside the first reference caption, for the first clips."""
    if result.run is None:
        return pd.DataFrame({"note": [f"n/a ({result.reason})"]})
    generated = {
        r["file_name"]: r["caption_predicted"] for r in _read_rows(result.run.path / GENERATED_FILE)
    }
    references = _read_rows(result.run.path / REFERENCES_FILE)[:rows]
    return pd.DataFrame(
        [
            {
                "clip": r["file_name"],
                "generated caption": generated.get(r["file_name"], ""),
                "a reference caption": r["caption_1"],
            }
            for r in references
        ]
    ).set_index("clip")


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """R@1/5/10 and mAP@10 with their intervals, and chance R@10, as a small table (what
    `aacr train retrieval` prints for a finished run)."""
    lines = []
    for key, title in METRIC_TITLES.items():
        low, high = metrics.get("ci", {}).get(key, (float("nan"), float("nan")))
        lines.append(f"{title:<7} {metrics[key]:.4f}  [{low:.4f}, {high:.4f}]")
    lines.append(f"queries {metrics.get('n_queries')}, clips {metrics.get('n_clips')}")
    if metrics.get("chance_r10") is not None:
        lines.append(f"chance R@10 = 10 / clips = {metrics['chance_r10']:.4f}")
    return "\n".join(lines)


def show_unseen_players(frame: pd.DataFrame, audio_dir: str | os.PathLike) -> None:
    """An audio player per recording of `book.unseen_recordings`' table, beside its caption."""
    for name, row in frame.iterrows():
        caption = html.escape(str(row["caption (final captioner)"]))
        display(
            HTML(
                f"<b>{html.escape(str(name))}</b>: {html.escape(row['what it is'])}<br>"
                f"<i>the captioner: {caption}</i>"
            )
        )
        waveform, rate = load_audio(Path(audio_dir) / str(name), SPECTROGRAM_SR)
        display(audio_player(waveform, rate))


# ----------------------------------------------------------------------------- intervals, tests
# Chapter 08's retrieval metrics, and the one its differences are taken on.
TABLE_METRICS = ("r1", "r10", "map10")


def _file_stamp(path: Path) -> tuple[str, int, int]:
    """(path, mtime, size): a cache key that changes when the file is rewritten."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataError(f"{path} not found: the run has no ranking to score") from None
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=64)
def _scored_ranking(
    submission: tuple[str, int, int], references: tuple[str, int, int]
) -> tuple[tuple[str, ...], RetrievalResult]:
    """The queries (in the order of the per-query values) and the DCASE 2022 scores of a run's
    submission against its references, once per version of the two files."""
    captions = read_references(references[0])
    result = evaluate_ranking(read_ranking(submission[0]), captions)
    return tuple(caption_targets(captions)), result


def ranking_scores(run: RunDir) -> tuple[tuple[str, ...], RetrievalResult]:
    """A run's queries and its scores recomputed from `submission.csv` and `references.csv`:
    R@k and mAP@10 with their jackknife intervals and per-query values
    (`evaluation.retrieval.evaluate_ranking`)."""
    return _scored_ranking(
        _file_stamp(run.path / SUBMISSION_FILE), _file_stamp(run.path / REFERENCES_FILE)
    )


def _seed_scores(
    system: ExperimentResult | RunDir,
) -> list[tuple[tuple[str, ...], RetrievalResult]]:
    """Per seed of `system`, its queries and scores; every seed must have ranked the same
    queries."""
    runs = system.runs if isinstance(system, ExperimentResult) else (system,)
    scored = [ranking_scores(run) for run in runs]
    for run, (queries, _) in zip(runs[1:], scored[1:], strict=True):
        if queries != scored[0][0]:
            raise DataError(
                f"{run.path} and {runs[0].path} ranked different queries: their seeds cannot "
                "be pooled"
            )
    return scored


def _per_query(scored: Sequence[tuple[tuple[str, ...], RetrievalResult]], metric: str):
    return np.mean([result.per_query[metric] for _, result in scored], axis=0)


def system_scores(system: ExperimentResult | RunDir | None) -> SystemScores | None:
    """`system`'s `SystemScores` recomputed from its runs' rankings (None without a run)."""
    if system is None or (isinstance(system, ExperimentResult) and not system.runs):
        return None
    scored = _seed_scores(system)
    metrics, ci, std = {}, {}, {}
    for key in scored[0][1].per_query:
        per_query = _per_query(scored, key)
        metrics[key] = float(np.mean(per_query))
        ci[key] = jackknife_mean(per_query).interval if per_query.size >= 2 else (math.nan,) * 2
        values = [result.metrics[key] for _, result in scored]
        std[key] = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    return SystemScores(metrics, ci, std, len(scored))


def paired_difference(
    run: ExperimentResult | RunDir, reference: ExperimentResult | RunDir, metric: str = "r10"
) -> PairedDifference:
    """`metric` of `run` minus that of `reference` on the same queries: the mean of the
    per-query differences (each system's per-query values averaged over its seeds) with its
    95 % jackknife interval (`a` the run, `b` the reference). The jackknife gives no p-value:
    `p_value` is NaN."""
    scored, reference_scored = _seed_scores(run), _seed_scores(reference)
    if scored[0][0] != reference_scored[0][0]:
        first = run.runs[0] if isinstance(run, ExperimentResult) else run
        other = reference.runs[0] if isinstance(reference, ExperimentResult) else reference
        raise DataError(
            f"{first.path} and {other.path} ranked different queries (their references.csv "
            "differ): their scores cannot be paired"
        )
    ours, theirs = _per_query(scored, metric), _per_query(reference_scored, metric)
    differences = ours - theirs
    estimate = jackknife_mean(differences)
    return PairedDifference(
        float(np.mean(ours)),
        float(np.mean(theirs)),
        float(np.mean(differences)),
        estimate.interval,
        math.nan,
        seeds=min(len(scored), len(reference_scored)),
    )


def reference_pairs(labels: Sequence[str], reference: str = "baseline") -> dict[str, str]:
    """Each label's reference: the longest other label it extends by "_…"
    (`sentence_transformer_events_oracle` → `sentence_transformer`), else `reference`; the
    labels that are references themselves get none."""
    labels = list(labels)
    extends = {
        label: max(
            (other for other in labels if other != label and label.startswith(f"{other}_")),
            key=len,
            default=None,
        )
        for label in labels
    }
    referenced = {reference, *(other for other in extends.values() if other is not None)}
    return {
        label: other if other is not None else reference
        for label, other in extends.items()
        if other is not None or label not in referenced
    }


def paired_differences(
    results: Mapping[str, ExperimentResult],
    reference: str = "baseline",
    pairs: Mapping[str, str] | None = None,
    metric: str = "r10",
) -> dict[str, PairedDifference | None]:
    """Per label that has a reference (`pairs`, by default `reference_pairs`): its `metric`
    minus its reference's with the paired jackknife interval over queries
    (`paired_difference`); None when either has no run."""
    pairs = reference_pairs(list(results), reference) if pairs is None else dict(pairs)
    differences: dict[str, PairedDifference | None] = {}
    for label, other in pairs.items():
        system, base = lookup(results, label, "system"), lookup(results, other, "system")
        differences[label] = (
            None if not system.runs or not base.runs else paired_difference(system, base, metric)
        )
    return differences


def comparison_table(
    results: Mapping[str, ExperimentResult],
    reference: str = "baseline",
    pairs: Mapping[str, str] | None = None,
    metrics: Sequence[str] = TABLE_METRICS,
    metric: str = "r10",
) -> pd.DataFrame:
    """Chapter 08's retrieval table: one row per system (its title), in the order given.

    R@1, R@10 and mAP@10 (`metrics`) as "0.456 [0.401, 0.512]" (95 % jackknife interval over
    queries, recomputed from the run's `submission.csv` and `references.csv`); "Δ R@10": the
    paired difference with the row's reference, "+0.123 [+0.050, +0.190]", marked " *" when its
    jackknife interval excludes 0 ("—" on a reference row); "Δ vs": that reference's title
    (`pairs`: label → its reference's label; by default `reference_pairs`: the events rows of
    the sentence transformer against `sentence_transformer`, the others against `reference`);
    "note": why a row is n/a.
    """
    pairs = reference_pairs(list(results), reference) if pairs is None else dict(pairs)
    differences = paired_differences(results, reference, pairs, metric)
    delta = f"Δ {METRIC_TITLES.get(metric, metric)}"
    rows = []
    for label, result in results.items():
        row: dict[str, Any] = {"system": result.title}
        scores = system_scores(result)
        for key in metrics:
            row[METRIC_TITLES.get(key, key)] = score_text(scores, key)
        row["seeds"] = result.seeds
        row[delta], row["Δ vs"], note = _difference_cells(results, label, pairs, differences)
        row["note"] = result.reason or ("no run" if result.run is None else note)
        rows.append(row)
    columns = [
        "system",
        *(METRIC_TITLES.get(k, k) for k in metrics),
        "seeds",
        delta,
        "Δ vs",
        "note",
    ]
    return pd.DataFrame(rows, columns=columns).set_index("system")
