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
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from aacr_lib.captioning.experiments import EXPERIMENTS, resolve_config
from aacr_lib.captioning.outputs import CLIP_STATISTICS_FILE, OUTPUTS_FILE, read_captions
from aacr_lib.captioning.report_tables import (
    METRICS,
    ReportTable,
    report_table,
    table_for_experiment,
)
from aacr_lib.data.clotho import captions_csv_path, read_split
from aacr_lib.display import (
    NA,
    NO_DIFFERENCE,
    SystemScores,
    difference_text,
    format_table,
    score_text,
    show_clip,
)
from aacr_lib.errors import DataError, lookup
from aacr_lib.evaluation import bootstrap as bs
from aacr_lib.evaluation.captioning import (
    METRIC_TITLES,
    evaluate_captions,
    load_clip_statistics,
    resolve_metrics,
)
from aacr_lib.experiments import ExperimentResult
from aacr_lib.models.captioning.config import BART_BASE_VOCAB_SIZE
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
    runs: Mapping[str, System],
    reasons: Mapping[str, str] | None = None,
    reference: str | None = None,
    also: Sequence[str] = (),
    data_dir: Any = None,
) -> tuple[pd.DataFrame, list[str]]:
    """A chapter's results table: one row per system with its final (evaluation split)
    scores of `RESULT_METRICS`, their 95 % bootstrap intervals, the seeds, and the paired
    difference with `reference` (default: the first system) and with each of `also`
    (`comparison_table`); and the notes: why a system, a difference (its reference has no
    run) or a metric is n/a. `data_dir`: where the references are, for runs that kept no
    per-clip statistics (default: each run's own dataset)."""
    reference = reference if reference is not None else next(iter(runs))
    table = comparison_table(runs, data_dir, reference, RESULT_METRICS, also=also)
    notes: list[str] = []
    difference_notes: list[str] = []
    scored: dict[str, Mapping[str, Any]] = {}
    # the table's rows are the systems, in their order
    for (label, system), note in zip(runs.items(), table["note"], strict=True):
        run, why = run_and_reason(system)
        if run is None:
            notes.append(f"{_title(label, system)} n/a: {(reasons or {}).get(label, why)}")
            continue
        scored[_title(label, system)] = run.metrics()
        # a scored system's note says why its difference is n/a; every system scored against
        # a reference without a run has the same one, listed once
        if note and note not in difference_notes:
            difference_notes.append(note)
    table = table.drop(columns="note")
    return table, notes + difference_notes + unavailable_notes(scored)


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
    # counting builds each model on the meta device: the network's code (transformers) is
    # loaded here, not with the display
    from aacr_lib.models.captioning import count_parameters

    rows = []
    for name in names or list(EXPERIMENTS):
        experiment = EXPERIMENTS[name]
        paper = resolve_config(name, "paper")
        ours = resolve_config(name, profile, profile_overrides=overrides)
        vocab = ours.tokenizer.vocab_size if ours.tokenizer.kind == "bpe" else BART_BASE_VOCAB_SIZE
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


# ----------------------------------------------------------------------------- intervals, tests
# The result tables' metrics: the quick ones (METEOR's and SPICE's JVMs would take longer than
# everything else together when a run keeps no per-clip statistics).
TABLE_METRICS = ("cider_d", "bleu_4", "rouge_l")
# The chapters' results tables: what the report's tables show (BLEU-1 to -3 are in the
# comparisons with the report), read from the per-clip statistics each run keeps.
RESULT_METRICS = ("bleu_4", "meteor", "rouge_l", "cider_d", "spice", "spider")


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


@functools.lru_cache(maxsize=128)
def _stored_statistics(
    stamp: tuple[str, int, int],
) -> tuple[tuple[str, ...], dict[str, bs.CorpusStatistic]]:
    return load_clip_statistics(stamp[0])


@functools.lru_cache(maxsize=64)
def _computed_statistics(
    captions: tuple[str, int, int],
    data_dir: str,
    split: str,
    references: tuple[str, int, int],
    metrics: tuple[str, ...],
) -> tuple[tuple[str, ...], dict[str, bs.CorpusStatistic]]:
    """Score a run's captions here (one tokenizer JVM), once per version of the files (the
    stamps are the key): for runs written before they kept their statistics."""
    del references  # part of the key only
    result = evaluate_captions(read_captions(captions[0]), _references(data_dir, split), metrics)
    return tuple(result.details["file_names"]), result.statistics


def clip_statistics(
    run: RunDir, data_dir: Any, metrics: Sequence[str] = TABLE_METRICS
) -> tuple[tuple[str, ...], dict[str, bs.CorpusStatistic]]:
    """A run's clip names and per-metric statistics on its evaluation split: those its final
    scoring kept (`CLIP_STATISTICS_FILE`), else scored from its `generated_captions.csv`
    against the references of `data_dir` (None: the dataset the run was trained on). A metric
    the run could not compute (SPICE without CoreNLP) is absent."""
    chosen = resolve_metrics(list(metrics))
    stored = run.path / CLIP_STATISTICS_FILE
    if stored.is_file():
        names, statistics = _stored_statistics(_file_stamp(stored))
    else:
        split = _evaluation_split(run)
        data_dir = data_dir if data_dir is not None else run.info().get("data_dir")
        if data_dir is None:
            raise DataError(
                f"{run.path} keeps no {CLIP_STATISTICS_FILE} and names no dataset: pass the "
                "data directory its captions were evaluated on"
            )
        names, statistics = _computed_statistics(
            _file_stamp(run.path / OUTPUTS_FILE),
            str(data_dir),
            split,
            _file_stamp(captions_csv_path(data_dir, split)),
            chosen,
        )
    return names, {name: statistics[name] for name in chosen if name in statistics}


def _seed_statistics(
    system: System, data_dir: Any, metrics: Sequence[str]
) -> list[dict[str, bs.CorpusStatistic]]:
    """Per seed of `system`, its statistics (all on the same clips, in the same order)."""
    runs = system.runs if isinstance(system, ExperimentResult) else ([system] if system else [])
    seeds, first = [], None
    for run in runs:
        names, statistics = clip_statistics(run, data_dir, metrics)
        if first is None:
            first = (run, names)
        elif names != first[1]:
            raise DataError(
                f"{run.path} and {first[0].path} were scored on different clips: their seeds "
                "cannot be pooled"
            )
        seeds.append(statistics)
    return seeds


def system_scores(
    system: System, data_dir: Any, metrics: Sequence[str] = TABLE_METRICS
) -> SystemScores | None:
    """`system`'s `SystemScores` (None without a run)."""
    seeds = _seed_statistics(system, data_dir, metrics)
    if not seeds:
        return None
    names = [name for name in seeds[0] if all(name in s for s in seeds)]
    values = {name: [s[name].value() for s in seeds] for name in names}
    return SystemScores(
        metrics={name: float(np.mean(v)) for name, v in values.items()},
        ci=bs.bootstrap_intervals_seeds(seeds),
        std={
            name: float(np.std(v, ddof=1)) if len(v) > 1 else math.nan for name, v in values.items()
        },
        seeds=len(seeds),
    )


def _clip_names(system: System, data_dir: Any, metrics: Sequence[str]) -> tuple[str, ...]:
    run = system.runs[0] if isinstance(system, ExperimentResult) else system
    return clip_statistics(run, data_dir, metrics)[0]


def compare_systems(
    system: System, reference: System, data_dir: Any, metrics: Sequence[str] = TABLE_METRICS
) -> dict[str, bs.PairedDifference] | None:
    """`system` minus `reference` per metric: the paired bootstrap over clips of their means
    over seeds (`evaluation.bootstrap.paired_bootstrap_seeds`: `a` the system, `b` the
    reference); None when either has no run."""
    seeds_a = _seed_statistics(system, data_dir, metrics)
    seeds_b = _seed_statistics(reference, data_dir, metrics)
    if not seeds_a or not seeds_b:
        return None
    if _clip_names(system, data_dir, metrics) != _clip_names(reference, data_dir, metrics):
        run_a, run_b = (
            s.runs[0] if isinstance(s, ExperimentResult) else s for s in (system, reference)
        )
        raise DataError(
            f"{run_a.path} and {run_b.path} were evaluated on different clips: their scores "
            "cannot be compared"
        )
    return bs.paired_bootstrap_seeds(seeds_a, seeds_b)


def _chosen_metrics(metrics: Sequence[str], metric: str) -> tuple[str, ...]:
    """The metrics scored, in canonical order (one cache entry for the table and the
    differences that ask for the same ones)."""
    return resolve_metrics([*metrics, metric])


def paired_differences(
    results: Mapping[str, ExperimentResult],
    data_dir: Any,
    reference: str = "final",
    metric: str = "cider_d",
    metrics: Sequence[str] = TABLE_METRICS,
) -> dict[str, bs.PairedDifference | None]:
    """Per label other than `reference`: its `metric` minus the reference's on the evaluation
    split, with the paired bootstrap interval over clips and p-value, over all seeds of both
    (`compare_systems`); None when either has no run."""
    chosen = _chosen_metrics(metrics, metric)
    base = lookup(results, reference, "system")
    differences: dict[str, bs.PairedDifference | None] = {}
    for label, result in results.items():
        if label == reference:
            continue
        compared = compare_systems(result, base, data_dir, chosen)
        differences[label] = None if compared is None else compared.get(metric)
    return differences


def comparison_table(
    results: Mapping[str, System],
    data_dir: Any = None,
    reference: str = "final",
    metrics: Sequence[str] = TABLE_METRICS,
    metric: str = "cider_d",
    also: Sequence[str] = (),
) -> pd.DataFrame:
    """A chapter's results table: one row per system (its title, or the label for a bare run),
    in the order given.

    Each of `metrics` on the evaluation split as "0.456 [0.401, 0.512]" (the mean over the
    system's seeds, "± std over seeds" when there are several, and the 95 % bootstrap interval
    over clips); "seeds"; then "Δ <metric> vs <reference title>", the paired difference with
    its 95 % interval ("+0.123 [+0.050, +0.190]", marked " *" when the interval excludes 0;
    "—" on the reference row) and its "p-value"; `also` (label → its title in the column)
    adds one more Δ column per system of `results` to compare with (e.g. the organisers'
    checkpoint in chapter 05), n/a where it has no run; "note": why a row is n/a. The scores
    are those the runs kept of their final scoring (`clip_statistics`).
    """
    chosen = _chosen_metrics(metrics, metric)
    title_of = {label: _title(label, system) for label, system in results.items()}
    delta = TITLES.get(metric, metric)
    columns_of = {
        other: f"Δ {delta} vs {lookup(title_of, other, 'system')}" for other in [reference, *also]
    }
    rows = []
    for label, system in results.items():
        run, why = run_and_reason(system)
        scores = system_scores(system, data_dir, chosen) if run is not None else None
        row: dict[str, Any] = {"system": title_of[label]}
        for name in metrics:
            row[TITLES.get(name, name)] = score_text(scores, name)
        row["seeds"] = scores.seeds if scores is not None else 0
        note = why if run is None else ""
        for other, column in columns_of.items():
            if label == other:
                row[column] = NO_DIFFERENCE
                if other == reference:
                    row["p-value"] = NO_DIFFERENCE
                continue
            compared = compare_systems(system, results[other], data_dir, chosen)
            if compared is None or metric not in compared:
                row[column] = NA
                if other == reference:
                    row["p-value"] = NA
                base_run, base_why = run_and_reason(results[other])
                if run is not None and base_run is None and other == reference:
                    note = f"Δ n/a: {title_of[other]} has no run ({base_why or 'no run'})"
                continue
            difference = compared[metric]
            row[column] = difference_text(difference)
            if other == reference:
                row["p-value"] = f"{difference.p_value:.3f}"
        row["note"] = note or ""
        rows.append(row)
    delta_columns = list(columns_of.values())
    order = [
        "system",
        *(TITLES.get(m, m) for m in metrics),
        "seeds",
        delta_columns[0],
        "p-value",
        *delta_columns[1:],
        "note",
    ]
    return pd.DataFrame(rows, columns=order).set_index("system")


def _title(label: str, system: System) -> str:
    return system.title if isinstance(system, ExperimentResult) else label


def statistics_comparison(
    systems: Mapping[str, tuple[tuple[str, ...], dict[str, bs.CorpusStatistic]] | None],
    reference: str,
    metrics: Sequence[str] = TABLE_METRICS,
) -> pd.DataFrame:
    """Systems scored on the same clips (name → (clip names, per-metric statistics) as
    `load_clip_statistics` gives them; None: n/a) side by side: one row per metric, each
    system's score with its 95 % bootstrap interval, then "Δ <system> − <reference>" with its
    paired interval (marked " *" when it excludes 0) for every other system."""
    base = lookup(systems, reference, "system")
    columns: dict[str, list[str]] = {}
    for name, scored in systems.items():
        intervals = bs.bootstrap_intervals(scored[1]) if scored is not None else {}
        columns[name] = [
            NA
            if scored is None or metric not in scored[1]
            else _interval_text(scored[1][metric].value(), intervals[metric])
            for metric in metrics
        ]
    for name, scored in systems.items():
        if name == reference:
            continue
        if scored is not None and base is not None and scored[0] != base[0]:
            raise DataError(f"{name} and {reference} were scored on different clips")
        differences = (
            bs.paired_bootstrap(scored[1], base[1])
            if scored is not None and base is not None
            else {}
        )
        columns[f"Δ {name} − {reference}"] = [
            difference_text(differences[m]) if m in differences else NA for m in metrics
        ]
    frame = pd.DataFrame(columns, index=[TITLES.get(m, m) for m in metrics])
    frame.index.name = "metric"
    return frame


def _interval_text(value: float, interval: tuple[float, float]) -> str:
    return f"{value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]"
