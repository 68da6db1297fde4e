"""Reading a Clotho v2.1 directory (or anything laid out like it, e.g. the ClothoMix demo).

Layout, relative to the dataset root:

    clotho_captions_{split}.csv   file_name,caption_1,...,caption_5   (required)
    clotho_metadata_{split}.csv   file_name,keywords,sound_id,...     (optional)
    {split}/{file_name}           the audio clip                      (optional unless asked)

The CSV parsers here never raise on a bad row: they return `CsvProblem`s, which `read_split`
turns into one `DataError` and `aacr_lib.data.check` turns into report findings, so both agree
on what "bad" means. `read_csv_records` and `field_count_problem` are also the rules of
`aacr_lib.evaluation.io` (predictions, references, rankings): one reading, one verdict.

Captions CSVs (and every evaluation input) are read strictly: UTF-8 only (a BOM is allowed),
no NUL byte, no unterminated or stray quote, no field spanning several lines, and every row has
as many fields as the header; each violation is a problem naming the file and the line. Only
Clotho's metadata CSVs, which are not UTF-8 (ISO-8859-1 in v2/v2.1), are decoded leniently
(`decode_text`: line by line with a fallback).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath

from aacr_lib.data.text import normalize_caption
from aacr_lib.errors import DataError

SPLITS = ("development", "validation", "evaluation")
CAPTION_COLUMNS = tuple(f"caption_{i}" for i in range(1, 6))
CAPTIONS_HEADER = ("file_name", *CAPTION_COLUMNS)
METADATA_COLUMNS = (
    "file_name",
    "keywords",
    "sound_id",
    "sound_link",
    "start_end_samples",
    "manufacturer",
    "license",
)
CLOTHO_SAMPLE_RATE = 44_100
CLOTHO_CHANNELS = 1

GET_DATA_HINT = (
    "run `aacr data clotho --root {root}` to download Clotho v2.1, "
    "or `aacr data demo` to build the offline ClothoMix demo data"
)

# A problem list turned into a DataError shows this many problems, then a count.
_MAX_PROBLEMS_SHOWN = 5


def captions_csv_path(root: str | os.PathLike, split: str) -> Path:
    """`{root}/clotho_captions_{split}.csv`."""
    return Path(root) / f"clotho_captions_{split}.csv"


def metadata_csv_path(root: str | os.PathLike, split: str) -> Path:
    """`{root}/clotho_metadata_{split}.csv`."""
    return Path(root) / f"clotho_metadata_{split}.csv"


def audio_dir(root: str | os.PathLike, split: str) -> Path:
    """`{root}/{split}`: the folder holding the split's audio clips."""
    return Path(root) / split


@dataclass(frozen=True)
class ClothoItem:
    """One clip: its file name, where its audio is, its captions (raw, as in the CSV)."""

    file_name: str
    audio_path: Path
    captions: tuple[str, ...]
    split: str
    # Excluded from hashing: a dict is unhashable, and the file name already identifies a clip.
    metadata: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def normalized_captions(self) -> tuple[str, ...]:
        """Captions after `normalize_caption` (the DCASE baseline pre-processing)."""
        return tuple(normalize_caption(c) for c in self.captions)


@dataclass(frozen=True)
class CsvProblem:
    """One thing wrong in a CSV file; `line` is the physical line (the header is line 1)."""

    severity: str  # "error" | "warning"
    code: str
    path: Path
    message: str
    line: int | None = None
    column: str | None = None
    file_name: str | None = None

    def describe(self, full_path: bool = False) -> str:
        """One line naming the file (base name or full path), line, column and what is wrong."""
        where = str(self.path) if full_path else self.path.name
        if self.line is not None:
            where += f" line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class CaptionRow:
    """A parsed row of a captions CSV."""

    file_name: str
    captions: tuple[str, ...]
    line: int


def is_safe_file_name(name: str) -> bool:
    """False for names that could point outside the split folder (absolute, `..`, NUL).

    Both `/` and `\\` count as separators so that a Windows-style `..\\x.wav` is caught too.
    """
    if not name or not name.strip() or "\x00" in name:
        return False
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        return False
    return ".." not in re.split(r"[\\/]", name)


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 if valid, else each line as UTF-8, then cp1252, then latin-1.

    Per-line fallback matters because a file can mix encodings (names written by one tool,
    keywords by another); latin-1 never fails, so decoding always succeeds.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = []
    for raw in data.splitlines(keepends=True):
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                lines.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
    return "".join(lines).removeprefix("\ufeff")


def _record_problem(path: Path, kind: str, line: int, message: str) -> CsvProblem:
    return CsvProblem("error", f"{kind}_csv_unreadable", path, message, line=line)


def _strict_decode(path: Path, kind: str, data: bytes) -> tuple[str | None, list[CsvProblem]]:
    """UTF-8 text of `data` (BOM removed), or a problem per line with a bad byte or a NUL."""
    problems = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
        for number, raw in enumerate(data.splitlines(keepends=True), start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                byte = raw[exc.start]
                problems.append(
                    _record_problem(
                        path,
                        kind,
                        number,
                        f"not valid UTF-8 (byte 0x{byte:02x} at byte {exc.start + 1} of the "
                        "line); save the file as UTF-8",
                    )
                )
        return None, problems
    if "\x00" in text:
        # numbered as the `csv` module numbers lines: split on \n, \r and \r\n only
        for number, line in enumerate(io.StringIO(text, newline=""), start=1):
            if "\x00" in line:
                problems.append(
                    _record_problem(
                        path,
                        kind,
                        number,
                        f"NUL byte at character {line.index(chr(0)) + 1} (a binary or UTF-16 "
                        "file?); save the file as UTF-8 text",
                    )
                )
    return (None if problems else text), problems


def read_csv_records(
    path: str | os.PathLike, kind: str, lenient: bool = False
) -> tuple[list[tuple[int, list[str]]], list[CsvProblem]]:
    """Every record of a CSV (plain or .gz) with the line it starts on (the header is line 1).

    Strict (the default): the file must be UTF-8 without NUL bytes, every quote must close on
    the line that opens it (an unterminated quote would swallow the rest of the file), and a
    field may not span lines; each violation is a `{kind}_csv_unreadable` (encoding, NUL, broken
    quote) or `{kind}_csv_row` (a record spanning lines, left out) problem naming the line.
    A file that cannot be decoded yields no record. `lenient` is for Clotho's metadata
    CSVs only: `decode_text` and the `csv` module's lenient parsing, as before.
    Field counts are not checked here: see `field_count_problem`.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        return [], [CsvProblem("error", f"{kind}_csv_unreadable", path, f"cannot read ({exc})")]
    if lenient:
        text = decode_text(data)
    else:
        text, problems = _strict_decode(path, kind, data)
        if text is None:
            return [], problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=not lenient)
    rows: list[tuple[int, list[str]]] = []
    problems: list[CsvProblem] = []
    start = 1
    try:
        for row in reader:
            end = reader.line_num
            if not lenient and end > start:
                problems.append(
                    CsvProblem(
                        "error",
                        f"{kind}_csv_row",
                        path,
                        f"a quoted field runs from line {start} to line {end} (a quote that is "
                        "not closed on its line?); a field may not span lines",
                        line=start,
                    )
                )
            else:
                rows.append((start, row))
            start = end + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            message = (
                f"unterminated quote: the quoted field opened on line {start} never closes "
                "(it would swallow the rest of the file)"
            )
        else:
            message = f"malformed CSV ({exc}; a stray or unclosed quote?)"
        problems.append(_record_problem(path, kind, start, message))
    return rows, problems


def field_count_problem(
    path: Path, kind: str, line: int, header: Sequence[str], record: Sequence[str]
) -> CsvProblem | None:
    """The one field-count rule: a `{kind}_csv_row` error unless the record is as wide as its
    header (an unquoted comma in a caption or a cut row would otherwise shift the columns)."""
    if len(record) == len(header):
        return None
    return CsvProblem(
        "error",
        f"{kind}_csv_row",
        path,
        f"expected {len(header)} fields, found {len(record)} (an unquoted comma in a field?)",
        line=line,
    )


def empty_cell_problems(
    path: Path, line: int, name: str, columns: Sequence[str], values: Sequence[str]
) -> list[CsvProblem]:
    """One `empty_caption` error (line and column) per blank caption cell of a row."""
    return [
        CsvProblem("error", "empty_caption", path, f"empty caption for {name}", line, column, name)
        for column, value in zip(columns, values, strict=True)
        if not value.strip()
    ]


def problems_error(problems: Sequence[CsvProblem], suffix: str = "") -> DataError | None:
    """One `DataError` of the first error problems (the first with its full path), or None."""
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return None
    shown = "; ".join(
        p.describe(full_path=(i == 0)) for i, p in enumerate(errors[:_MAX_PROBLEMS_SHOWN])
    )
    more = len(errors) - _MAX_PROBLEMS_SHOWN
    tail = f"; and {more} more" if more > 0 else ""
    return DataError(f"{shown}{tail}{suffix}")


def parse_captions_csv(path: str | os.PathLike) -> tuple[list[CaptionRow], list[CsvProblem]]:
    """Parse a captions CSV; return the good rows and every problem found (never raises).

    Rows with a wrong field count, an empty or unsafe file name, or a repeated file name are
    left out; a row with an empty caption is kept (its audio can still be checked) and reported.
    """
    path = Path(path)
    if not path.is_file():
        return [], [CsvProblem("error", "captions_csv_missing", path, "captions CSV not found")]
    records, problems = read_csv_records(path, "captions")
    if problems and not records:
        return [], problems
    if not records:
        return [], [_empty_captions_csv_problem(path)]
    header_line, header = records[0]
    header = [name.strip() for name in header]
    missing = _missing_columns_problem(path, header_line, header)
    if missing is not None:
        # Without every Clotho column no row can be read, so the rows are not even tried.
        return [], [*problems, missing]
    extra = _extra_columns_problem(path, header_line, header)
    if extra is not None:
        problems.append(extra)
    rows, row_problems = _parse_caption_records(path, header, records[1:])
    return rows, problems + row_problems


def _empty_captions_csv_problem(path: Path) -> CsvProblem:
    return CsvProblem(
        "error",
        "captions_csv_columns",
        path,
        f"file is empty; expected the header {','.join(CAPTIONS_HEADER)}",
        line=1,
    )


def _missing_columns_problem(path: Path, header_line: int, header: list[str]) -> CsvProblem | None:
    """A `captions_csv_columns` error when the header lacks a Clotho column, else None."""
    missing = [name for name in CAPTIONS_HEADER if name not in header]
    if not missing:
        return None
    return CsvProblem(
        "error",
        "captions_csv_columns",
        path,
        f"missing column(s) {', '.join(missing)}; found {','.join(header)}; "
        f"expected {','.join(CAPTIONS_HEADER)}",
        line=header_line,
    )


def _extra_columns_problem(path: Path, header_line: int, header: list[str]) -> CsvProblem | None:
    """A `captions_csv_extra_columns` warning when the header has non-Clotho columns, else None."""
    extra = [name for name in header if name not in CAPTIONS_HEADER]
    if not extra:
        return None
    return CsvProblem(
        "warning",
        "captions_csv_extra_columns",
        path,
        f"unexpected column(s) {', '.join(extra)} are ignored",
        line=header_line,
    )


def _parse_caption_records(
    path: Path, header: list[str], records: list[tuple[int, list[str]]]
) -> tuple[list[CaptionRow], list[CsvProblem]]:
    """The data records (after the header) as rows, plus the problems of each record."""
    index = {name: header.index(name) for name in CAPTIONS_HEADER}
    rows: list[CaptionRow] = []
    problems: list[CsvProblem] = []
    seen: dict[str, int] = {}  # file name -> line of its first row, for duplicate messages
    for line, record in records:
        if not record:  # a blank line
            continue
        count = field_count_problem(path, "captions", line, header, record)
        if count is not None:
            problems.append(count)
            continue
        name = record[index["file_name"]]
        name_problem = _file_name_problem(path, line, name, seen)
        if name_problem is not None:
            problems.append(name_problem)
            continue
        seen[name] = line
        captions = tuple(record[index[column]] for column in CAPTION_COLUMNS)
        problems.extend(empty_cell_problems(path, line, name, CAPTION_COLUMNS, captions))
        rows.append(CaptionRow(name, captions, line))
    return rows, problems


def _file_name_problem(path: Path, line: int, name: str, seen: dict[str, int]) -> CsvProblem | None:
    """Why a row's file name cannot be used (empty, unsafe or repeated), or None when it can."""
    if not name.strip():
        return CsvProblem("error", "empty_file_name", path, "empty file name", line, "file_name")
    if not is_safe_file_name(name):
        return CsvProblem(
            "error",
            "unsafe_file_name",
            path,
            f"file name {name!r} points outside the dataset directory; not opened",
            line,
            "file_name",
            name,
        )
    if name in seen:
        return CsvProblem(
            "error",
            "duplicate_file_name",
            path,
            f"{name} is listed twice (first on line {seen[name]})",
            line,
            "file_name",
            name,
        )
    return None


def parse_metadata_csv(
    path: str | os.PathLike,
) -> tuple[dict[str, dict[str, str]], list[CsvProblem]]:
    """Parse a metadata CSV into `{file_name: {column: value}}` plus problems (never raises).

    A missing file is not a problem (metadata is optional): it returns `({}, [])`.
    """
    path = Path(path)
    if not path.is_file():
        return {}, []
    records, problems = read_csv_records(path, "metadata", lenient=True)
    if not records:
        return {}, problems
    header_line, header = records[0]
    header = [name.strip() for name in header]
    if "file_name" not in header:
        problems.append(
            CsvProblem(
                "error",
                "metadata_csv_columns",
                path,
                f"no file_name column; found {','.join(header)}; expected {','.join(METADATA_COLUMNS)}",
                line=header_line,
            )
        )
        return {}, problems
    name_index = header.index("file_name")
    metadata: dict[str, dict[str, str]] = {}
    for line, record in records[1:]:
        if not record:
            continue
        count = field_count_problem(path, "metadata", line, header, record)
        if count is not None:
            problems.append(count)
            continue
        values = {column: value for column, value in zip(header, record, strict=True)}
        values.pop("file_name")
        metadata[record[name_index]] = values
    return metadata, problems


def _raise_problems(problems: Sequence[CsvProblem], root: Path) -> None:
    error = problems_error(problems, f". Run `aacr data check {root}` for the full report")
    if error is not None:
        raise error


def read_split(
    root: str | os.PathLike,
    split: str,
    require_audio: bool = False,
    metadata: bool = True,
) -> list[ClothoItem]:
    """Read one split of a Clotho-layout directory, in CSV order.

    Raises `DataError` naming the file, line and column of the first problems found; with
    `require_audio`, also when an audio file listed in the CSV is missing. `metadata=False`
    skips the (optional) metadata CSV, e.g. to read past a broken one.
    """
    root = Path(root)
    if not is_safe_file_name(split) or "/" in split or "\\" in split:
        raise DataError(f"{split!r} is not a split name; expected one of {', '.join(SPLITS)}")
    if not root.is_dir():
        raise DataError(f"dataset directory {root} not found; {GET_DATA_HINT.format(root=root)}")
    captions_path = captions_csv_path(root, split)
    if not captions_path.is_file():
        raise DataError(
            f"{captions_path} not found (split {split!r}); {GET_DATA_HINT.format(root=root)}"
        )
    rows, problems = parse_captions_csv(captions_path)
    meta: dict[str, dict[str, str]] = {}
    if metadata:
        meta, meta_problems = parse_metadata_csv(metadata_csv_path(root, split))
        if any(p.severity == "error" for p in meta_problems):
            _raise_problems(
                [
                    CsvProblem(
                        p.severity,
                        p.code,
                        p.path,
                        p.message + " (read_split(..., metadata=False) skips this file)",
                        p.line,
                        p.column,
                        p.file_name,
                    )
                    for p in meta_problems
                ],
                root,
            )
    _raise_problems(problems, root)
    directory = audio_dir(root, split)
    items = [
        ClothoItem(
            file_name=row.file_name,
            audio_path=directory / row.file_name,
            captions=row.captions,
            split=split,
            metadata=dict(meta.get(row.file_name, {})),
        )
        for row in rows
    ]
    if require_audio:
        missing = [item for item in items if not item.audio_path.is_file()]
        if missing:
            names = ", ".join(item.file_name for item in missing[:_MAX_PROBLEMS_SHOWN])
            more = len(missing) - _MAX_PROBLEMS_SHOWN
            tail = f" and {more} more" if more > 0 else ""
            raise DataError(
                f"{directory}: {len(missing)} audio file(s) listed in {captions_path.name} are "
                f"missing: {names}{tail}. {GET_DATA_HINT.format(root=root).capitalize()}"
            )
    return items


def available_splits(root: str | os.PathLike) -> tuple[str, ...]:
    """The standard splits whose captions CSV exists under `root`, in `SPLITS` order."""
    return tuple(s for s in SPLITS if captions_csv_path(root, s).is_file())


def read_clotho(
    root: str | os.PathLike,
    splits: Iterable[str] | None = None,
    require_audio: bool = False,
) -> dict[str, list[ClothoItem]]:
    """Read several splits: `{split: items}`.

    `splits=None` reads every standard split whose captions CSV is present (at least one must
    be); splits named explicitly must all be present.
    """
    root = Path(root)
    if splits is None:
        splits = available_splits(root)
        if not splits:
            raise DataError(
                f"no clotho_captions_{{{','.join(SPLITS)}}}.csv in {root}; "
                f"{GET_DATA_HINT.format(root=root)}"
            )
    return {split: read_split(root, split, require_audio=require_audio) for split in splits}


def items_by_name(items: Iterable[ClothoItem]) -> dict[str, ClothoItem]:
    """`{file_name: item}` (file names are unique within a split)."""
    return {item.file_name: item for item in items}


def captions_frame(items: Iterable[ClothoItem], normalize: bool = False):
    """One row per clip: `file_name, caption_1..caption_N` (a references table), as pandas.

    `N` is the largest caption count among the items (5 for Clotho); shorter rows get "".
    """
    import pandas as pd  # here, not at the top: slow to import, and keeps `aacr --help` fast

    items = list(items)
    width = max((len(item.captions) for item in items), default=len(CAPTION_COLUMNS))
    columns = ["file_name", *(f"caption_{i}" for i in range(1, width + 1))]
    records = []
    for item in items:
        captions = item.normalized_captions if normalize else item.captions
        records.append([item.file_name, *captions, *([""] * (width - len(captions)))])
    return pd.DataFrame(records, columns=columns)


def pairs_frame(items: Iterable[ClothoItem], normalize: bool = False):
    """One row per (clip, caption): `split, file_name, caption_index (1-based), caption`."""
    import pandas as pd  # here, not at the top: slow to import, and keeps `aacr --help` fast

    records = []
    for item in items:
        captions = item.normalized_captions if normalize else item.captions
        for index, caption in enumerate(captions, start=1):
            records.append((item.split, item.file_name, index, caption))
    return pd.DataFrame(records, columns=["split", "file_name", "caption_index", "caption"])


def write_captions_csv(
    items: Iterable[ClothoItem], path: str | os.PathLike, normalize: bool = False
) -> Path:
    """Write a Clotho-format captions CSV (`file_name,caption_1..caption_5`, UTF-8)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    captions_frame(items, normalize=normalize).to_csv(path, index=False, encoding="utf-8")
    return path
