"""The literature chapter's table, figure and summary: published Clotho results per year, the
report's own numbers, and this book's runs placed beside them with the data that produced them.

The book's runs are `ExperimentResult`s of either task (`captioning.book.run_chapter` and
`retrieval.book.run_chapter`); a run that is missing, or a metric the run could not compute
(SPICE without Stanford CoreNLP), is shown as n/a with its reason. On the demo profile the runs
score ClothoMix, not Clotho: every label says so, because those numbers cannot be ranked
against the published ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from aacr_lib.captioning.report_tables import table_for_experiment
from aacr_lib.experiments import ExperimentResult
from aacr_lib.literature.published import (
    BASELINE,
    METRIC_TITLES,
    TOP_SYSTEM,
    PublishedResult,
)
from aacr_lib.profiles import NotebookContext
from aacr_lib.retrieval.report_tables import report_scores

THE_REPORT = "the report"
THIS_BOOK = "this book"
REPORT_YEAR = 2022
REPORT_DATA = "Clotho v2.1 (the report's runs)"
NOT_REPORTED = "—"  # the source gives no value for this metric (also: a row of no DCASE task)
SOURCE_COLUMN = "source, or why n/a"
NOT_COMPUTED = "not computed by this book"  # a published metric the book's runs lack
# What the figure shows per task: the metrics the book computes, and each task's ranking metric.
DEFAULT_PANELS = {
    "captioning": ("cider_d", "spider", "spider_fl"),
    "retrieval": ("r1", "r10", "map10"),
}
# The metric that sums a task up in `standing_markdown` (the first one a run has).
HEADLINE_METRICS = {"captioning": ("spider", "cider_d"), "retrieval": ("map10",)}
STYLES = {
    BASELINE: {"marker": "o", "color": "tab:blue"},
    TOP_SYSTEM: {"marker": "^", "color": "tab:orange"},
    THE_REPORT: {"marker": "s", "color": "tab:green"},
    THIS_BOOK: {"marker": "D", "color": "tab:red"},
}


@dataclass(frozen=True)
class BookSystems:
    """The book's runs of one task, with the profile and the dataset that produced them."""

    task: str
    results: Mapping[str, ExperimentResult] = field(default_factory=dict)
    profile: str = "demo"
    dataset: str = "ClothoMix"
    on_clotho: bool = False

    @property
    def data_label(self) -> str:
        """Where the runs' numbers come from, and whether they compare with Clotho's."""
        where = f"{self.dataset} evaluation split, {self.profile} profile"
        return where if self.on_clotho else f"{where}: not comparable with Clotho"


def book_systems(
    context: NotebookContext, task: str, results: Mapping[str, ExperimentResult]
) -> BookSystems:
    """`results` of `task` labelled with the chapter's profile and dataset (smoke runs use a
    tiny ClothoMix, whatever the book profile)."""
    on_clotho = context.profile.dataset == "clotho" and not context.smoke
    return BookSystems(task, dict(results), context.run_profile, context.dataset_name, on_clotho)


def book_value(result: ExperimentResult, task: str, metric: str) -> tuple[float | None, str]:
    """A run's value of `metric`, or None and why it has none."""
    if result.run is None:
        return None, result.reason or "no run"
    metrics = result.metrics()
    value = metrics.get(metric)
    if value is None:
        reason = (metrics.get("unavailable") or {}).get(metric)
        return None, reason or NOT_COMPUTED
    return float(value), ""


def report_values(task: str, result: ExperimentResult) -> tuple[str, dict[str, float]] | None:
    """The report's row for the experiment of a book run (its label and scores), None if the
    report has none: captioning from the table the experiment reproduces, at its last epoch;
    retrieval from Table 10."""
    if task == "captioning":
        table = table_for_experiment(result.name)
        if table is None:
            return None
        epoch = table.epochs[-1]
        label = f"{table.title}, epoch {epoch} (Table {table.number})"
        return label, table.at_epoch(epoch)
    scores = report_scores(result.name)
    return None if scores is None else (f"{result.title} (Table 10)", scores)


def _of_task(published: Sequence[PublishedResult], task: str) -> list[PublishedResult]:
    return [result for result in published if result.task == task]


def results_table(published: Sequence[PublishedResult], systems: BookSystems) -> pd.DataFrame:
    """One row per published system of the task, per report row and per book run; one column
    per metric ("—": the source reports no value; n/a: the run could not compute it, and the
    last column says why)."""
    titles = METRIC_TITLES[systems.task]
    rows: dict[tuple, dict] = {}
    for result in _of_task(published, systems.task):
        key = (result.year, result.challenge_task, result.system, result.kind, result.split)
        row = rows.setdefault(
            key,
            {
                "year": str(result.year),
                "task": result.challenge_task,
                "system": result.system,
                "kind": result.kind,
                "data": result.split,
                **dict.fromkeys(titles.values(), NOT_REPORTED),
                SOURCE_COLUMN: result.source_url,
            },
        )
        row[result.metric_title] = result.value
    table = list(rows.values())
    for result in systems.results.values():
        report = report_values(systems.task, result)
        if report is None:
            continue
        label, scores = report
        row = {
            "year": str(REPORT_YEAR),
            "task": NOT_REPORTED,
            "system": label,
            "kind": THE_REPORT,
            "data": REPORT_DATA,
            **dict.fromkeys(titles.values(), NOT_REPORTED),
            SOURCE_COLUMN: "Gomes et al. 2022",
        }
        row.update({titles[m]: v for m, v in scores.items() if m in titles})
        table.append(row)
    for result in systems.results.values():
        row = {"year": THIS_BOOK, "task": NOT_REPORTED, "system": result.title, "kind": THIS_BOOK}
        row["data"] = systems.data_label
        reasons: dict[str, list[str]] = {}
        for metric, title in titles.items():
            value, reason = book_value(result, systems.task, metric)
            row[title] = np.nan if value is None else value
            if value is None:
                reasons.setdefault(reason, []).append(title)
        row[SOURCE_COLUMN] = "; ".join(f"{', '.join(t)}: {why}" for why, t in reasons.items())
        table.append(row)
    columns = ["year", "task", "system", "kind", "data", *titles.values(), SOURCE_COLUMN]
    return pd.DataFrame(table, columns=columns)


def sources_table(published: Sequence[PublishedResult]) -> pd.DataFrame:
    """Each published system once: where its numbers were read, and what the source says."""
    rows: dict[tuple, dict] = {}
    for result in published:
        key = (result.year, result.challenge_task, result.system)
        row = rows.setdefault(
            key,
            {
                "year": result.year,
                "task": result.challenge_task,
                "system": result.system,
                "source": result.source_url,
                "notes": [],
            },
        )
        if result.note not in row["notes"]:
            row["notes"].append(result.note)
    frame = pd.DataFrame(list(rows.values()))
    frame["notes"] = frame["notes"].map(" ".join)
    return frame


def plot_results(
    published: Sequence[PublishedResult],
    systems: Sequence[BookSystems],
    panels: Mapping[str, Sequence[str]] = DEFAULT_PANELS,
):
    """One row of panels per task, one panel per metric: the published values by year, the
    report's at its year, and the book's runs in a column of their own (hollow markers when
    they come from ClothoMix, not Clotho). Returns the figure."""
    columns = max(len(panels[s.task]) for s in systems)
    fig, axes = plt.subplots(
        len(systems), columns, figsize=(4.2 * columns, 3.6 * len(systems)), squeeze=False
    )
    years = sorted({result.year for result in published} | {REPORT_YEAR})
    book_x = years[-1] + 1.5  # a column of its own, apart from the years
    for row_axes, book in zip(axes, systems, strict=True):
        metrics = panels[book.task]
        for ax, metric in zip(row_axes, metrics, strict=False):
            _panel(ax, published, book, metric, book_x)
            ax.set_xticks([*years, book_x], [*map(str, years), THIS_BOOK])
            ax.set_xlim(years[0] - 0.6, book_x + 1.2)
        row_axes[0].set_ylabel(book.task)
        for ax in row_axes[len(metrics) :]:
            ax.set_visible(False)
    fig.legend(handles=_legend(systems), loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06 + 0.02 * len(systems), 1, 1))
    return fig


def _panel(ax, published, book: BookSystems, metric: str, book_x: float) -> None:
    title = METRIC_TITLES[book.task][metric]
    ax.set_title(title, fontsize=10)
    for result in _of_task(published, book.task):
        if result.metric == metric:
            ax.plot(result.year, result.value, linestyle="none", **STYLES[result.kind])
            _label(ax, result.year, result.value, result.system)
    for result in book.results.values():
        report = report_values(book.task, result)
        if report is not None and metric in report[1]:
            ax.plot(REPORT_YEAR, report[1][metric], linestyle="none", **STYLES[THE_REPORT])
            _label(ax, REPORT_YEAR, report[1][metric], f"report: {result.title}")
    style = dict(STYLES[THIS_BOOK])
    if not book.on_clotho:
        style["markerfacecolor"] = "none"
    missing = []
    for number, result in enumerate(book.results.values()):
        value, _ = book_value(result, book.task, metric)
        if value is None:
            missing.append(result.title)
            continue
        ax.plot(book_x, value, linestyle="none", **style)
        # alternate above and below, so two close runs keep readable labels
        _label(ax, book_x, value, result.title, rise=2 if number % 2 == 0 else -9)
    if missing:
        # x in data, y in axes fraction: at the foot of the book's column, whatever the scale
        ax.text(book_x, 0.03, "n/a:\n" + "\n".join(missing), transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=7)  # fmt: skip
    ax.margins(y=0.2)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)


def _label(ax, x: float, y: float, text: str, rise: float = 2) -> None:
    ax.annotate(text, (x, y), xytext=(4, rise), textcoords="offset points", fontsize=7)


def _legend(systems: Sequence[BookSystems]) -> list[Line2D]:
    handles = [
        Line2D([], [], linestyle="none", label="DCASE baseline", **STYLES[BASELINE]),
        Line2D([], [], linestyle="none", label="DCASE top system", **STYLES[TOP_SYSTEM]),
        Line2D(
            [], [], linestyle="none", label="the report (Gomes et al. 2022)", **STYLES[THE_REPORT]
        ),
    ]
    for book in systems:
        style = dict(STYLES[THIS_BOOK])
        if not book.on_clotho:
            style["markerfacecolor"] = "none"
        label = f"{THIS_BOOK}, {book.task}: {book.data_label}"
        handles.append(Line2D([], [], linestyle="none", label=label, **style))
    return handles


def standing_markdown(published: Sequence[PublishedResult], systems: Sequence[BookSystems]) -> str:
    """A few Markdown lines on where the book's runs stand: against the DCASE 2022 baseline of
    the same metric on Clotho, or why they are not ranked (ClothoMix)."""
    lines = []
    for book in systems:
        if not book.on_clotho:
            lines.append(
                f"- **{book.task}**: the runs score {book.dataset} ({book.profile} profile), "
                "synthetic clips mixed from a sound bank, not Clotho: they sit beside the "
                "published points for scale, not for ranking."
            )
            continue
        for result in book.results.values():
            lines.append(
                f"- **{book.task}, {result.title}**: " + _standing(published, book, result)
            )
    return "\n".join(lines)


def _standing(published, book: BookSystems, result: ExperimentResult) -> str:
    if result.run is None:
        return f"n/a ({result.reason or 'no run'})."
    reasons = []
    for metric in HEADLINE_METRICS[book.task]:
        value, reason = book_value(result, book.task, metric)
        title = METRIC_TITLES[book.task][metric]
        if value is None:
            reasons.append(f"{title} n/a ({reason})")
            continue
        baseline = [
            r.value
            for r in _of_task(published, book.task)
            if r.metric == metric and r.kind == BASELINE and r.year == REPORT_YEAR
        ]
        against = (
            f" against {baseline[0]:.3f} of the DCASE {REPORT_YEAR} baseline" if baseline else ""
        )
        # a headline metric the run lacks (SPIDEr without CoreNLP) is named, with why
        return "; ".join([*reasons, f"{title} {value:.3f}{against} ({book.data_label})"]) + "."
    return "; ".join(reasons) + "."
