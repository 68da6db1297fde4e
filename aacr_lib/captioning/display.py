"""Tables and figures of the captioning chapters: the report's numbers beside ours.

Our numbers come only from run directories (`metrics.json`, `history.json`); the report's from
`report_tables`. Every table names the profile its runs used; a value that does not exist (a
metric not computed, weights not available) is shown as "n/a" and its reason listed below.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from aacr_lib.captioning.experiments import EXPERIMENTS, resolve_config
from aacr_lib.captioning.report_tables import (
    METRICS,
    ReportTable,
    report_table,
    table_for_experiment,
)
from aacr_lib.captioning.run import read_captions
from aacr_lib.captioning.task import OUTPUTS_FILE
from aacr_lib.data.clotho import captions_csv_path, read_split
from aacr_lib.display import format_table, show_clip
from aacr_lib.errors import DataError, lookup
from aacr_lib.evaluation import bootstrap as bs
from aacr_lib.evaluation.captioning import (
    METRIC_TITLES,
    CaptioningComparison,
    CaptioningResult,
    compare_captions,
    evaluate_captions,
    resolve_metrics,
)
from aacr_lib.experiments import ExperimentResult
from aacr_lib.models.captioning import count_parameters
from aacr_lib.runs import RunDir

TITLES = METRIC_TITLES

# What the chapters pass: an experiment's result (a run, or why there is none), a run, or None.
System = ExperimentResult | RunDir | None


def run_and_reason(system: System) -> tuple[RunDir | None, str | None]:
    """The run of a system and, when it has none, why."""
    if isinstance(system, ExperimentResult):
        return system.run, system.reason
    return system, None if system is not None else "no run"


def history(run: RunDir) -> list[dict[str, Any]]:
    """The per-epoch records of a run (`history.json`); [] when it has none."""
    return run.history()


def _metric_rows(values: Mapping[str, Any]) -> list[float | None]:
    return [values.get(metric) for metric in METRICS]


def _frame(columns: dict[str, list[float | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=[TITLES[m] for m in METRICS], dtype="float64")
    frame.index.name = "metric"
    return frame


def unavailable_notes(runs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per distinct reason: "SPICE, SPIDEr n/a (baseline, final): why".

    `runs` maps a column label to that run's metrics. SPIDEr's "needs SPICE: why" joins
    SPICE's own reason, so a missing CoreNLP is explained once.
    """
    grouped: dict[str, tuple[list[str], list[str]]] = {}
    for label, metrics in runs.items():
        for metric, why in (metrics.get("unavailable") or {}).items():
            why = why.removeprefix("needs SPICE: ")
            names, labels = grouped.setdefault(why, ([], []))
            if TITLES.get(metric, metric) not in names:
                names.append(TITLES.get(metric, metric))
            if label not in labels:
                labels.append(label)
    return [f"{', '.join(n)} n/a ({', '.join(w)}): {why}" for why, (n, w) in grouped.items()]


def compare_with_report(
    table: int | ReportTable,
    system: System,
    profile: str,
    reason: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The report's table beside our run: per-epoch columns, then our final evaluation.

    Ours per epoch are validation-split scores of that epoch (the metrics the profile computes
    per epoch); "final" is the evaluation split decoded with the best checkpoint. Returns the
    table and the notes (profile, splits, reasons for every n/a).
    """
    run, why = run_and_reason(system)
    reason = reason or why
    table = report_table(table) if isinstance(table, int) else table
    columns: dict[str, list[float | None]] = {}
    for epoch in table.epochs:
        label = "report" if epoch is None else f"report, epoch {epoch}"
        columns[label] = _metric_rows(table.at_epoch(epoch))
    notes = [f"ours: the {profile} profile; report: Clotho v2.1 evaluation split"]
    notes += [f"report: {note}" for note in table.notes]
    if run is None:
        columns[f"ours ({profile})"] = [None] * len(METRICS)
        notes.append(f"ours n/a: {reason or 'no run'}")
        return _frame(columns), notes
    records = {record["epoch"]: record for record in history(run)}
    last = max(records) if records else None
    for epoch in table.epochs:
        if epoch is None:
            continue
        shown = epoch if epoch in records else None
        if shown is None and last is not None and epoch > last:
            shown = last  # e.g. the report's epoch 20 beside our last epoch
        label = f"ours, epoch {shown} (val.)" if shown else f"ours, epoch {epoch}"
        if label in columns:
            continue
        values = records[shown]["metrics"] if shown else {}
        columns[label] = _metric_rows(values)
    final = run.metrics()
    best = final.get("best_epoch")
    columns[f"ours, final (eval., best epoch {best})"] = _metric_rows(final)
    computed = set(records[last]["metrics"]) if last else set()
    skipped = [TITLES[m] for m in METRICS if m not in computed]
    if records and skipped:
        notes.append(
            f"ours per epoch: {', '.join(skipped)} not computed per epoch in this profile "
            "(see evaluation.epoch_metrics)"
        )
    notes += unavailable_notes({"ours, final": final})
    return _frame(columns), notes


def final_metrics_table(
    runs: Mapping[str, System], reasons: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """One column per system with its final (evaluation split) metrics; n/a and the reason
    for a system without a run."""
    columns: dict[str, list[float | None]] = {}
    notes: list[str] = []
    scored: dict[str, Mapping[str, Any]] = {}
    for label, system in runs.items():
        run, why = run_and_reason(system)
        if run is None:
            columns[label] = [None] * len(METRICS)
            notes.append(f"{label} n/a: {(reasons or {}).get(label, why)}")
            continue
        scored[label] = run.metrics()
        columns[label] = _metric_rows(scored[label])
    return _frame(columns), notes + unavailable_notes(scored)


def show_table(frame: pd.DataFrame, notes: Sequence[str] = (), digits: int = 3) -> None:
    """Display a table (n/a for missing values) and its notes as a bullet list."""
    display(format_table(frame, digits=digits))
    if notes:
        display(Markdown("\n".join(f"- {note}" for note in notes)))


def plot_learning_curves(runs: Mapping[str, System], metric: str = "cider_d"):
    """Training and validation loss per epoch, and the validation `metric`, one line per run;
    a system without a run (or history) is named in the figure as n/a."""
    fig, (loss_ax, metric_ax) = plt.subplots(1, 2, figsize=(11, 3.6))
    missing = []
    for label, system in runs.items():
        run, _ = run_and_reason(system)
        records = history(run) if run is not None else []
        if not records:
            missing.append(label)
            continue
        epochs = [r["epoch"] for r in records]
        line = loss_ax.plot(epochs, [r["val_loss"] for r in records], marker="o", label=label)
        color = line[0].get_color()
        loss_ax.plot(epochs, [r["train_loss"] for r in records], linestyle="--", color=color)
        best = [r for r in records if r.get("best")]
        if best:  # the checkpoint the run is scored with (lowest validation loss)
            loss_ax.plot(
                best[-1]["epoch"],
                best[-1]["val_loss"],
                marker="*",
                markersize=14,
                color=color,
                linestyle="none",
            )
        values = [r["metrics"].get(metric) for r in records]
        if any(v is not None for v in values):
            metric_ax.plot(epochs, values, marker="o", label=label)
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("loss (solid: validation, dashed: training)")
    loss_ax.set_title("star: the best epoch (the scored checkpoint)", fontsize=9)
    metric_ax.set_xlabel("epoch")
    metric_ax.set_ylabel(f"validation {TITLES.get(metric, metric)}")
    for ax in (loss_ax, metric_ax):
        if ax.lines:
            ax.legend(fontsize=8)
    if missing:
        fig.suptitle(f"n/a (no run): {', '.join(missing)}", fontsize=9)
    fig.tight_layout()
    return fig


def generated_captions(run: RunDir) -> dict[str, str]:
    """`{file_name: caption}` of a run's evaluation outputs."""
    return read_captions(run.path / OUTPUTS_FILE)


def show_examples(
    runs: Mapping[str, System], data_dir: Any, count: int = 3, split: str = "evaluation"
) -> None:
    """Spectrogram, audio player, generated captions (one per run; n/a without a run) and the
    references."""
    items = read_split(data_dir, split, metadata=False)
    outputs = {}
    for label, system in runs.items():
        run, _ = run_and_reason(system)
        outputs[label] = generated_captions(run) if run is not None else {}
    for item in items[:count]:
        generated = [
            f"{label}: {captions.get(item.file_name, 'n/a')}" for label, captions in outputs.items()
        ]
        show_clip(item.audio_path, item.captions, title=item.file_name, generated=generated)


def versus_trivial(system: System, trivial: System, metric: str = "cider_d") -> str:
    """One sentence: the trained system's score against the trivial system's (n/a and the
    reason when the trained system has no run)."""
    run, why = run_and_reason(system)
    trivial_run, _ = run_and_reason(trivial)
    ours = run.metrics().get(metric) if run is not None else None
    trivial_metrics = trivial_run.metrics() if trivial_run is not None else {}
    baseline, caption = trivial_metrics.get(metric), trivial_metrics.get("caption", "")

    def fmt(value):
        return "n/a" if value is None else f"{value:.3f}"

    return (
        f"{TITLES.get(metric, metric)} on the evaluation split: trained baseline {fmt(ours)}, "
        f'trivial system {fmt(baseline)} (every clip captioned "{caption}", the most frequent '
        "training caption)" + ("" if run is not None else f". Trained baseline n/a: {why}")
    )


def experiments_table(
    profile: str, names: Sequence[str] | None = None, overrides: Sequence[str] = ()
) -> pd.DataFrame:
    """The experiments: what changes, the report table, parameters at paper and `profile` size
    (with the chapter's `overrides`).

    Parameter counts use the bart-base vocabulary at paper size and the profile's BPE target
    size otherwise (the trained tokenizer may end a little smaller).
    """
    rows = []
    for name in names or list(EXPERIMENTS):
        experiment = EXPERIMENTS[name]
        paper = resolve_config(name, "paper")
        ours = resolve_config(name, profile, profile_overrides=overrides)
        vocab = ours.tokenizer.vocab_size if ours.tokenizer.kind == "bpe" else 50265
        rows.append(
            {
                "experiment": name,
                "change": experiment.description,
                "report table": experiment.report_table,
                "parameters (paper)": f"{count_parameters(paper.model):,}",
                f"parameters ({profile})": f"{count_parameters(ours.model, vocab):,}",
            }
        )
    return pd.DataFrame(rows).set_index("experiment")


def profiles_table(profiles: Sequence[str] = ("paper", "demo")) -> pd.DataFrame:
    """The settings that differ between profiles, side by side."""

    def describe(config) -> dict[str, Any]:
        model, training = config.model, config.training
        return {
            "dataset": config.data.dataset,
            "features": config.data.features,
            "tokenizer": config.tokenizer.kind
            + (
                f" (~{config.tokenizer.vocab_size} tokens)"
                if config.tokenizer.kind == "bpe"
                else ""
            ),
            "d_model / FFN / heads": f"{model.d_model} / {model.ffn_dim} / {model.attention_heads}",
            "encoder + decoder layers": f"{model.encoder_layers} + {model.decoder_layers}",
            "dropout (residual / attention / activation)": f"{model.dropout} / "
            f"{model.attention_dropout} / {model.activation_dropout}",
            "caption tokens (padded to)": config.tokenizer.max_length,
            "epochs": training.epochs,
            "batch × accumulation": f"{training.batch_size} × {training.grad_accumulation}",
            "learning rate (AdamW, linear decay)": training.lr,
            "decoding": f"{config.decoding.method} {config.decoding.num_beams}, "
            f"max {config.decoding.max_length} tokens",
            "pad tokens in the loss": "masked" if config.loss.mask_pad else "kept (baseline)",
        }

    return pd.DataFrame({p: describe(resolve_config("baseline", p)) for p in profiles})


def report_last_epochs(experiments: Sequence[str]) -> pd.DataFrame:
    """The report's scores at the last epoch it gives for each experiment (one column each)."""
    columns: dict[str, list[float | None]] = {}
    for name in experiments:
        table = table_for_experiment(name)
        if table is None:
            continue
        last = table.epochs[-1]
        columns[f"report {name} (Table {table.number}, epoch {last})"] = _metric_rows(
            table.at_epoch(last)
        )
    return _frame(columns)


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """A finished run's metrics for the terminal (`aacr train captioning`): the JSON, then one
    line per metric that could not be computed, with the reason."""
    shown = {k: v for k, v in metrics.items() if k != "unavailable"}
    lines = [json.dumps(shown, indent=2)]
    for name, reason in metrics.get("unavailable", {}).items():
        lines.append(f"{name}: unavailable ({reason})")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- sound-event vectors
# Chapter 08's captioning metrics: the quick ones (METEOR's and SPICE's JVMs would take longer
# than everything else together).
EVENTS_METRICS = ("cider_d", "bleu_4", "rouge_l")
NA = "n/a"
NO_DIFFERENCE = "—"


def _file_stamp(path: Path) -> tuple[str, int, int]:
    """(path, mtime, size): a cache key that changes when the file is rewritten."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataError(f"{path} not found: the run has no evaluation outputs") from None
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


def _evaluation_split(run: RunDir) -> str:
    return str((run.config().get("data") or {}).get("evaluation_split", "evaluation"))


def _references(data_dir: str, split: str) -> dict[str, list[str]]:
    return {
        item.file_name: list(item.captions) for item in read_split(data_dir, split, metadata=False)
    }


def _with_ci(result: CaptioningResult) -> CaptioningResult:
    """`result` with the bootstrap intervals `evaluate_captions(ci=True)` gives (same resamples,
    same seed), from the statistics it already holds."""
    if result.ci is None:
        result.ci = bs.bootstrap_intervals(result.statistics)
    return result


@functools.lru_cache(maxsize=32)
def _scored(
    captions_a: tuple[str, int, int],
    captions_b: tuple[str, int, int] | None,
    data_dir: str,
    split: str,
    references: tuple[str, int, int],
    metrics: tuple[str, ...],
) -> tuple[CaptioningResult, CaptioningResult | None, CaptioningComparison | None]:
    """A's scores with intervals, and when B is given, B's and the paired comparison A - B:
    one tokenizer JVM per call, once per version of the files (the stamps are the key)."""
    del references  # part of the key only
    refs = _references(data_dir, split)
    predictions_a = read_captions(captions_a[0])
    if captions_b is None:
        return evaluate_captions(predictions_a, refs, metrics, ci=True), None, None
    comparison = compare_captions(predictions_a, read_captions(captions_b[0]), refs, metrics)
    return _with_ci(comparison.a), _with_ci(comparison.b), comparison


def _score_runs(
    run: RunDir, reference: RunDir | None, data_dir: Any, metrics: tuple[str, ...]
) -> tuple[CaptioningResult, CaptioningResult | None, CaptioningComparison | None]:
    split = _evaluation_split(run)
    if reference is not None and _evaluation_split(reference) != split:
        raise DataError(
            f"{run.path} and {reference.path} were evaluated on different splits "
            f"({split}, {_evaluation_split(reference)}): their scores cannot be compared"
        )
    return _scored(
        _file_stamp(run.path / OUTPUTS_FILE),
        None if reference is None else _file_stamp(reference.path / OUTPUTS_FILE),
        str(data_dir),
        split,
        _file_stamp(captions_csv_path(data_dir, split)),
        metrics,
    )


def _chosen_metrics(metrics: Sequence[str], metric: str) -> tuple[str, ...]:
    """The metrics scored, in canonical order (one cache entry for the table and the
    differences that ask for the same ones)."""
    return resolve_metrics([*metrics, metric])


def _events_comparisons(
    results: Mapping[str, ExperimentResult],
    data_dir: Any,
    reference: str,
    metrics: tuple[str, ...],
    scores: bool = True,
) -> tuple[dict[str, CaptioningResult | None], dict[str, CaptioningComparison | None]]:
    """Per label, its scores with intervals (None without a run; with `scores=False` only
    those the comparisons give), and per label other than `reference`, its comparison with
    the reference (None when either has no run)."""
    base = lookup(results, reference, "system").run
    scored: dict[str, CaptioningResult | None] = {label: None for label in results}
    comparisons: dict[str, CaptioningComparison | None] = {}
    for label, result in results.items():
        if label == reference:
            continue
        comparisons[label] = None
        if result.run is None:
            continue
        if base is None:
            if scores:
                scored[label] = _score_runs(result.run, None, data_dir, metrics)[0]
            continue
        scored[label], scored[reference], comparisons[label] = _score_runs(
            result.run, base, data_dir, metrics
        )
    if scores and scored[reference] is None and base is not None:
        scored[reference] = _score_runs(base, None, data_dir, metrics)[0]
    return scored, comparisons


def events_differences(
    results: Mapping[str, ExperimentResult],
    data_dir: Any,
    reference: str = "final",
    metric: str = "cider_d",
    metrics: Sequence[str] = EVENTS_METRICS,
) -> dict[str, bs.PairedDifference | None]:
    """Per label other than `reference`: its `metric` minus the reference's on the evaluation
    split, with the paired bootstrap interval over clips and p-value
    (`evaluation.captioning.compare_captions`; `a` is the system, `b` the reference); None
    when either has no run. Computed once per pair of runs and shared with `events_table`."""
    chosen = _chosen_metrics(metrics, metric)
    _, comparisons = _events_comparisons(results, data_dir, reference, chosen, scores=False)
    return {
        label: None if comparison is None else comparison.differences[metric]
        for label, comparison in comparisons.items()
    }


def _score_with_interval(scores: CaptioningResult | None, metric: str) -> str:
    value = None if scores is None else scores.metrics.get(metric)
    if value is None:
        return NA
    low, high = (scores.ci or {}).get(metric, (math.nan, math.nan))
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _excludes_zero(difference: bs.PairedDifference) -> bool:
    low, high = difference.interval
    return low > 0 or high < 0


def _difference_text(difference: bs.PairedDifference) -> str:
    """ "+0.123 [+0.050, +0.190] *": the difference, its 95 % interval, * when it excludes 0."""
    low, high = difference.interval
    mark = " *" if _excludes_zero(difference) else ""
    return f"{difference.difference:+.3f} [{low:+.3f}, {high:+.3f}]{mark}"


def events_table(
    results: Mapping[str, ExperimentResult],
    data_dir: Any,
    reference: str = "final",
    metrics: Sequence[str] = EVENTS_METRICS,
    metric: str = "cider_d",
) -> pd.DataFrame:
    """Chapter 08's captioning table: one row per system (its title), in the order given.

    Each of `metrics` on the evaluation split as "0.456 [0.401, 0.512]" (95 % bootstrap over
    clips); then "Δ CIDEr-D vs <reference title>", the paired difference with its 95 % interval
    ("+0.123 [+0.050, +0.190]", marked " *" when the interval excludes 0; "—" on the reference
    row) and its "p-value"; "note": why a row is n/a. Captions come from each run's
    `generated_captions.csv`, the references from `data_dir`'s evaluation split (the one each
    run's config names).
    """
    chosen = _chosen_metrics(metrics, metric)
    scored, comparisons = _events_comparisons(results, data_dir, reference, chosen)
    base = results[reference]
    delta = f"Δ {TITLES.get(metric, metric)} vs {base.title}"
    rows = []
    for label, result in results.items():
        row: dict[str, Any] = {"system": result.title}
        comparison = comparisons.get(label)
        for name in metrics:
            row[TITLES.get(name, name)] = _score_with_interval(scored[label], name)
        note = result.reason or ("no run" if result.run is None else "")
        if label == reference:
            row[delta] = row["p-value"] = NO_DIFFERENCE
        elif comparison is not None:
            difference = comparison.differences[metric]
            row[delta] = _difference_text(difference)
            row["p-value"] = f"{difference.p_value:.3f}"
        else:
            row[delta] = row["p-value"] = NA
            if result.run is not None:
                note = f"Δ n/a: {base.title} has no run ({base.reason or 'no run'})"
        row["note"] = note
        rows.append(row)
    columns = ["system", *(TITLES.get(m, m) for m in metrics), delta, "p-value", "note"]
    return pd.DataFrame(rows, columns=columns).set_index("system")
