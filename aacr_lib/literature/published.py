"""Published results on Clotho: the DCASE baselines and top systems, read from package data.

`published_results.csv` holds one row per (system, metric), each with the source it was read
from (`SOURCES.md` describes every source). Nothing here is computed: the file is the citation,
and `load_published_results` checks it, so a typo in a value or a row without a source fails
loudly instead of reaching a table of the book.
"""

from __future__ import annotations

import csv
import datetime
import math
import os
from dataclasses import dataclass
from pathlib import Path

from aacr_lib.errors import DataError
from aacr_lib.evaluation.captioning import METRIC_TITLES as CAPTIONING_TITLES
from aacr_lib.retrieval.report_tables import METRIC_TITLES as RETRIEVAL_TITLES

PUBLISHED_RESULTS_FILE = Path(__file__).with_name("published_results.csv")
COLUMNS = (
    "year",
    "task",
    "challenge_task",
    "system",
    "kind",
    "metric",
    "value",
    "split",
    "source_url",
    "note",
)
BASELINE = "baseline"
TOP_SYSTEM = "top system"
KINDS = (BASELINE, TOP_SYSTEM)

# The metrics a published row may report, per task, with their titles. SPIDEr-FL and FENSE are
# the ranking metrics of DCASE 2023 and 2024; mAP@16 (several relevant clips per query) that
# of DCASE 2025. The book computes the others.
METRIC_TITLES: dict[str, dict[str, str]] = {
    "captioning": {
        **{key: CAPTIONING_TITLES[key] for key in ("cider_d", "spice", "spider")},
        "spider_fl": "SPIDEr-FL",
        "fense": "FENSE",
    },
    "retrieval": {**RETRIEVAL_TITLES, "map16": "mAP@16"},
}
# CIDEr-D is scaled by ten (its values can exceed one); every other metric lies in [0, 1].
METRIC_RANGES = {"cider_d": (0.0, 10.0)}
UNIT_RANGE = (0.0, 1.0)
# Automated audio captioning appeared in DCASE in 2020, so no Clotho result is older.
FIRST_YEAR = 2020


class PublishedResultsError(DataError):
    """A row of the published-results file that does not hold what it must."""


@dataclass(frozen=True)
class PublishedResult:
    """One published score: a system's value of one metric, where it was read."""

    year: int
    task: str
    challenge_task: str
    system: str
    kind: str
    metric: str
    value: float
    split: str
    source_url: str
    note: str

    @property
    def metric_title(self) -> str:
        return METRIC_TITLES[self.task][self.metric]


def load_published_results(
    path: str | os.PathLike = PUBLISHED_RESULTS_FILE,
) -> list[PublishedResult]:
    """Every row of `path`, typed and checked; a bad row is a `PublishedResultsError` naming
    the file, the row (its line number) and what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PublishedResultsError(f"{path}: cannot read the published results ({exc})") from exc
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise PublishedResultsError(
            f"{path}: the header must be {','.join(COLUMNS)}, "
            f"got {','.join(reader.fieldnames or ())}"
        )
    results: list[PublishedResult] = []
    seen: dict[tuple, int] = {}
    for line, row in enumerate(reader, start=2):
        try:
            result = _parse_row(row)
        except ValueError as exc:
            raise PublishedResultsError(f"{path}, row {line}: {exc}") from None
        key = (result.year, result.task, result.system, result.metric)
        if key in seen:
            raise PublishedResultsError(
                f"{path}, row {line}: {result.system} {result.metric} of {result.year} "
                f"repeats row {seen[key]}"
            )
        seen[key] = line
        results.append(result)
    if not results:
        raise PublishedResultsError(f"{path}: no published results")
    return results


def _parse_row(row: dict[str, str | None]) -> PublishedResult:
    missing = [name for name in COLUMNS if not (row.get(name) or "").strip()]
    if missing:
        raise ValueError(f"empty {', '.join(missing)}")
    fields = {name: (row.get(name) or "").strip() for name in COLUMNS}
    year = _number(fields["year"], "year", int)
    last_year = datetime.date.today().year
    if not FIRST_YEAR <= year <= last_year:
        raise ValueError(f"year {year} is outside {FIRST_YEAR}-{last_year}")
    task = fields["task"]
    if task not in METRIC_TITLES:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(METRIC_TITLES)}")
    metric = fields["metric"]
    if metric not in METRIC_TITLES[task]:
        known = ", ".join(METRIC_TITLES[task])
        raise ValueError(f"unknown {task} metric {metric!r}; choose one of {known}")
    value = _number(fields["value"], "value", float)
    low, high = METRIC_RANGES.get(metric, UNIT_RANGE)
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{metric} value {value} is outside [{low:g}, {high:g}]")
    if fields["kind"] not in KINDS:
        raise ValueError(f"unknown kind {fields['kind']!r}; choose one of {', '.join(KINDS)}")
    if not fields["source_url"].startswith("https://"):
        raise ValueError(f"source_url {fields['source_url']!r} is not an https:// address")
    return PublishedResult(**{**fields, "year": year, "value": value})


def _number(text: str, name: str, kind: type):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a number") from None
