"""Reading a Clotho v2.1 directory (or anything laid out like it, e.g. the ClothoMix demo).

Layout, relative to the dataset root:

    clotho_captions_{split}.csv   file_name,caption_1,...,caption_5   (required)
    clotho_metadata_{split}.csv   file_name,keywords,sound_id,...     (optional)
    {split}/{file_name}           the audio clip                      (optional unless asked)

The CSV parsers here never raise on a bad row: they return `CsvProblem`s, which `read_split`
turns into one `DataError` and `aacr_lib.data.check` turns into report findings, so both agree
on what "bad" means. Clotho's metadata CSVs are not UTF-8 (ISO-8859-1 in v2/v2.1), so every CSV
is decoded as UTF-8 when it is valid UTF-8 and otherwise line by line with a fallback.
"""

from __future__ import annotations

import csv
import io
import os
import re
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


def _read_rows(path: Path, kind: str) -> tuple[list[tuple[int, list[str]]], list[CsvProblem]]:
    """All records of a CSV with their line numbers, or a `{kind}_csv_unreadable` problem."""
    try:
        text = decode_text(path.read_bytes())
    except OSError as exc:
        return [], [CsvProblem("error", f"{kind}_csv_unreadable", path, f"cannot read ({exc})")]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        return rows, [
            CsvProblem(
                "error",
                f"{kind}_csv_unreadable",
                path,
                f"malformed CSV ({exc})",
                line=reader.line_num,
            )
        ]
    return rows, []


def parse_captions_csv(path: str | os.PathLike) -> tuple[list[CaptionRow], list[CsvProblem]]:
    """Parse a captions CSV; return the good rows and every problem found (never raises).

    Rows with a wrong field count, an empty or unsafe file name, or a repeated file name are
    left out; a row with an empty caption is kept (its audio can still be checked) and reported.
    """
    path = Path(path)
    if not path.is_file():
        return [], [CsvProblem("error", "captions_csv_missing", path, "captions CSV not found")]
    records, problems = _read_rows(path, "captions")
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
        if len(record) != len(header):
            problems.append(_field_count_problem(path, line, len(header), len(record)))
            continue
        name = record[index["file_name"]]
        name_problem = _file_name_problem(path, line, name, seen)
        if name_problem is not None:
            problems.append(name_problem)
            continue
        seen[name] = line
        captions = tuple(record[index[column]] for column in CAPTION_COLUMNS)
        problems.extend(_empty_caption_problems(path, line, name, captions))
        rows.append(CaptionRow(name, captions, line))
    return rows, problems


def _field_count_problem(path: Path, line: int, expected: int, found: int) -> CsvProblem:
    return CsvProblem(
        "error",
        "captions_csv_row",
        path,
        f"expected {expected} fields, found {found} (an unquoted comma in a caption?)",
        line=line,
    )


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


def _empty_caption_problems(
    path: Path, line: int, name: str, captions: tuple[str, ...]
) -> list[CsvProblem]:
    """One `empty_caption` error per blank caption cell of a row."""
    return [
        CsvProblem("error", "empty_caption", path, f"empty caption for {name}", line, column, name)
        for column, caption in zip(CAPTION_COLUMNS, captions, strict=True)
        if not caption.strip()
    ]


def parse_metadata_csv(
    path: str | os.PathLike,
) -> tuple[dict[str, dict[str, str]], list[CsvProblem]]:
    """Parse a metadata CSV into `{file_name: {column: value}}` plus problems (never raises).

    A missing file is not a problem (metadata is optional): it returns `({}, [])`.
    """
    path = Path(path)
    if not path.is_file():
        return {}, []
    records, problems = _read_rows(path, "metadata")
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
        if len(record) != len(header):
            problems.append(
                CsvProblem(
                    "error",
                    "metadata_csv_row",
                    path,
                    f"expected {len(header)} fields, found {len(record)}",
                    line=line,
                )
            )
            continue
        values = {column: value for column, value in zip(header, record, strict=True)}
        values.pop("file_name")
        metadata[record[name_index]] = values
    return metadata, problems


def _raise_problems(problems: Sequence[CsvProblem], root: Path) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return
    shown = "; ".join(
        p.describe(full_path=(i == 0)) for i, p in enumerate(errors[:_MAX_PROBLEMS_SHOWN])
    )
    more = len(errors) - _MAX_PROBLEMS_SHOWN
    tail = f"; and {more} more" if more > 0 else ""
    raise DataError(f"{shown}{tail}. Run `aacr data check {root}` for the full report")


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
