"""Reading the evaluation inputs (predictions, Clotho references, rankings) with clear errors.

Every error names the file and the offending rows (1-based line numbers of the CSV file, the
header being line 1), so that the CLI can report it in one line. CSVs are read with the `csv`
module, not pandas, so that a caption such as "NA" stays a caption.

The files are read with the rules of the Clotho reader (`aacr_lib.data.clotho.read_csv_records`
and `field_count_problem`), so that `aacr evaluate` and `aacr data check` call the same row bad:
UTF-8 only (no fallback decoding), no NUL byte, no unterminated quote or field spanning lines,
and every row as wide as its header (an unquoted comma in a caption is an error, never a
shorter caption or a shifted reference). An empty reference cell is an error naming its line
and column, as `parse_captions_csv` reports it: a reference set is never silently smaller.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aacr_lib.data.clotho import (
    empty_cell_problems,
    field_count_problem,
    problems_error,
    read_csv_records,
)
from aacr_lib.errors import DataError

PREDICTION_COLUMNS = ("caption", "caption_predicted")
_REFERENCE_COLUMN = re.compile(r"^caption_(?:reference_)?(\d+)$")
_RANKING_COLUMN = re.compile(r"^file_name_(\d+)$")
_SHOWN = 5  # rows listed in an error before "and N more"


def _rows_text(lines: Sequence[int | str]) -> str:
    shown = ", ".join(str(x) for x in lines[:_SHOWN])
    more = f" and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else ""
    return shown + more


def _raise_problems(problems) -> None:
    error = problems_error(problems)
    if error is not None:
        raise error


def read_csv_rows(path: str | os.PathLike) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and `(line number, row)` pairs of a CSV (plain or .gz); blank lines are skipped.

    `DataError` (naming the file and the lines) for a file that is not strict UTF-8 CSV or
    holds a row whose field count differs from its header's (see the module docstring).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    records, problems = read_csv_records(path, "evaluation")
    if not records:
        _raise_problems(problems)
    if not records or not any(name.strip() for name in records[0][1]):
        raise DataError(f"{path}: empty file, expected a CSV header")
    header_line, header = records[0]
    header = [name.strip() for name in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(
            f"{path} line {header_line}: column(s) {', '.join(map(repr, repeated))} appear twice "
            "in the header"
        )
    rows = []
    for line, record in records[1:]:
        if not record:  # a blank line
            continue
        problem = field_count_problem(path, "evaluation", line, header, record)
        if problem is not None:
            problems.append(problem)
            continue
        rows.append((line, dict(zip(header, record, strict=True))))
    _raise_problems(problems)
    return header, rows


def _require_column(path: Path, header: list[str], column: str, expected: str) -> None:
    if column not in header:
        raise DataError(f"{path}: no column {column!r} (columns: {', '.join(header)}); {expected}")


def _check_duplicates(path: Path, names: Iterable[tuple[int, str]], what: str) -> None:
    first: dict[str, int] = {}
    duplicates = []
    for line, name in names:
        if name in first:
            duplicates.append(f"{name!r} (lines {first[name]} and {line})")
        else:
            first[name] = line
    if duplicates:
        raise DataError(f"{path}: {what} listed twice: {_rows_text(duplicates)}")


def read_predictions(path: str | os.PathLike) -> dict[str, str]:
    """`file_name` -> predicted caption, from a CSV with `file_name` and `caption`
    (or `caption_predicted`, the official tools' column)."""
    path = Path(path)
    header, rows = read_csv_rows(path)
    expected = "expected file_name and caption (or caption_predicted)"
    _require_column(path, header, "file_name", expected)
    column = next((c for c in PREDICTION_COLUMNS if c in header), None)
    if column is None:
        raise DataError(
            f"{path}: no column 'caption' or 'caption_predicted' (columns: {', '.join(header)}); "
            f"{expected}"
        )
    empty_names = [line for line, row in rows if not (row.get("file_name") or "").strip()]
    if empty_names:
        raise DataError(f"{path}: empty file_name on line(s) {_rows_text(empty_names)}")
    empty = [line for line, row in rows if not (row.get(column) or "").strip()]
    if empty:
        raise DataError(f"{path}: empty {column} on line(s) {_rows_text(empty)}")
    _check_duplicates(path, ((line, row["file_name"]) for line, row in rows), "file_name")
    return {row["file_name"]: row[column] for _, row in rows}


def reference_columns(header: Sequence[str]) -> list[str]:
    """`caption_1..caption_N` (Clotho) or `caption_reference_01..` (official), in numeric order."""
    found = [(int(m.group(1)), c) for c in header if (m := _REFERENCE_COLUMN.match(c))]
    return [c for _, c in sorted(found)]


def read_references(path: str | os.PathLike) -> dict[str, list[str]]:
    """`file_name` -> its reference captions, from a Clotho captions CSV.

    Every `caption_N` cell must hold a caption: an empty one is a `DataError` naming its line and
    column (as `aacr data check` reports it), never a clip scored against fewer references.
    A file with fewer `caption_N` columns gives every clip that many references.
    """
    path = Path(path)
    header, rows = read_csv_rows(path)
    expected = "expected a Clotho captions CSV: file_name,caption_1,...,caption_5"
    _require_column(path, header, "file_name", expected)
    columns = reference_columns(header)
    if not columns:
        raise DataError(f"{path}: no caption_N columns (columns: {', '.join(header)}); {expected}")
    empty_names = [line for line, row in rows if not row["file_name"].strip()]
    if empty_names:
        raise DataError(f"{path}: empty file_name on line(s) {_rows_text(empty_names)}")
    _check_duplicates(path, ((line, row["file_name"]) for line, row in rows), "file_name")
    problems = []
    for line, row in rows:
        values = [row[c] for c in columns]
        problems.extend(empty_cell_problems(path, line, row["file_name"], columns, values))
    _raise_problems(problems)
    return {row["file_name"]: [row[c] for c in columns] for _, row in rows}


def match_predictions(
    predictions: dict[str, str],
    references: dict[str, list[str]],
    predictions_path: str | os.PathLike = "predictions",
    references_path: str | os.PathLike = "references",
) -> None:
    """Both files must list the same clips; the error names the clips missing on each side."""
    extra = [name for name in predictions if name not in references]
    missing = [name for name in references if name not in predictions]
    problems = []
    if extra:
        problems.append(
            f"{len(extra)} file name(s) of {predictions_path} are not in {references_path}: "
            f"{_rows_text([repr(n) for n in extra])}"
        )
    if missing:
        problems.append(
            f"{len(missing)} file name(s) of {references_path} have no prediction in "
            f"{predictions_path}: {_rows_text([repr(n) for n in missing])}"
        )
    if problems:
        raise DataError("; ".join(problems))


@dataclass(frozen=True)
class Ranking:
    """A retrieval submission: each query caption and its ranked file names (best first)."""

    captions: list[str]
    file_names: list[list[str]]
    path: str = "ranking"


def read_ranking(path: str | os.PathLike) -> Ranking:
    """The official submission format: `caption,file_name_1,...,file_name_10`.

    Any depth K >= 1 of `file_name_1..file_name_K` is read; `evaluate_ranking` refuses a ranking
    shallower than the metrics it reports (K < 10 while the references hold at least 10 clips).
    """
    path = Path(path)
    header, rows = read_csv_rows(path)
    expected = "expected caption,file_name_1,...,file_name_10"
    _require_column(path, header, "caption", expected)
    found = sorted((int(m.group(1)), c) for c in header if (m := _RANKING_COLUMN.match(c)))
    columns = [c for _, c in found]
    if not columns or [i for i, _ in found] != list(range(1, len(found) + 1)):
        raise DataError(f"{path}: columns file_name_1..file_name_K not found; {expected}")
    _check_duplicates(path, ((line, row["caption"]) for line, row in rows), "caption")
    empty = [line for line, row in rows if any(not (row.get(c) or "").strip() for c in columns)]
    if empty:
        raise DataError(f"{path}: empty file name on line(s) {_rows_text(empty)}")
    repeated = [line for line, row in rows if len({row[c] for c in columns}) != len(columns)]
    if repeated:
        raise DataError(
            f"{path}: a file name repeats within the ranking on line(s) {_rows_text(repeated)}"
        )
    return Ranking(
        [row["caption"] for _, row in rows],
        [[row[c] for c in columns] for _, row in rows],
        str(path),
    )
