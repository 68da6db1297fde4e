"""Validating a Clotho-layout directory: `aacr data check DIR`.

`check_dataset` never raises on bad data: every problem becomes a `Finding` with a severity, a
stable code and a message naming the file. Codes:

errors
    no_dataset                 the directory does not exist
    captions_csv_missing       clotho_captions_{split}.csv not found (a warning when splits=None
                               and only that split's audio folder exists)
    captions_csv_not_file      clotho_captions_{split}.csv is a directory (or another non-file)
    captions_csv_unreadable    the captions CSV cannot be read or parsed
    captions_csv_columns       header lacks file_name/caption_1..caption_5 (or file is empty)
    captions_csv_row           a row has the wrong number of fields
    empty_file_name            a row has an empty file_name
    empty_caption              a caption cell is empty (line and column given)
    duplicate_file_name        a file name appears twice in one split
    unsafe_file_name           a file name is absolute or contains `..` (never opened)
    split_empty                the captions CSV lists no clip (nothing to train or score on)
    audio_dir_missing          the {split}/ audio folder does not exist
    audio_missing              a clip listed in the CSV has no audio file
    audio_unreadable           the audio file cannot be decoded
    audio_empty                the audio file holds 0 samples
    audio_truncated            the file holds fewer frames than its header declares (a cut
                               download or copy; WAV/AIFF are seen from the header alone)
    audio_nonfinite            the audio holds NaN or infinite samples
    metadata_csv_unreadable / metadata_csv_columns / metadata_csv_row
                               the optional metadata CSV is present but broken
    recording_overlap          (ClothoMix) a source recording of the sound bank is heard in
                               two splits: evaluation would measure sounds seen in training
warnings
    captions_csv_extra_columns the captions CSV has columns beyond the Clotho ones (ignored)
    audio_extra                an audio file in {split}/ is not listed in the CSV
    audio_silent               the audio peak is below SILENCE_PEAK (about -80 dBFS)
    metadata_unknown_file      the metadata CSV lists a clip absent from the captions CSV
infos
    split_summary              clips, captions and total duration of a split
    split_absent               a standard split is not present (only when splits=None)
    metadata_missing           no metadata CSV (it is optional)
    audio_sample_rate          files not at 44.1 kHz (resampled on load)
    audio_channels             files that are not mono (down-mixed on load)
    recordings_disjoint        (ClothoMix) the source recordings per split, none shared
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from aacr_lib.audio import AUDIO_EXTENSIONS, AudioError, audio_info
from aacr_lib.audio import decode_audio as _decode_audio
from aacr_lib.data.clotho import (
    CLOTHO_CHANNELS,
    CLOTHO_SAMPLE_RATE,
    GET_DATA_HINT,
    SPLITS,
    CaptionRow,
    CsvProblem,
    audio_dir,
    captions_csv_path,
    metadata_csv_path,
    parse_captions_csv,
    parse_metadata_csv,
)

SEVERITIES = ("error", "warning", "info")
# Peak amplitude below which a clip counts as silent: 1e-4 is -80 dBFS, far below any real
# recording's noise floor yet above float rounding noise of an all-zero signal.
SILENCE_PEAK = 1e-4
# `format()` prints at most this many findings of one code per split, then a count.
MAX_SHOWN_PER_CODE = 20
# Aggregated infos list this many example file names.
_EXAMPLES = 3


@dataclass(frozen=True)
class Finding:
    """One result of a check. `split` is None for dataset-wide findings."""

    severity: str
    code: str
    split: str | None
    path: str | None
    message: str


@dataclass
class CheckReport:
    """All findings of `check_dataset`, with summaries for people and machines."""

    root: str
    splits: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)

    def add(
        self, severity: str, code: str, split: str | None, path: os.PathLike | str | None, msg: str
    ) -> None:
        """Record one finding."""
        if severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
        self.findings.append(
            Finding(severity, code, split, None if path is None else str(path), msg)
        )

    def _by(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        """Findings of severity "error"."""
        return self._by("error")

    @property
    def warnings(self) -> list[Finding]:
        """Findings of severity "warning"."""
        return self._by("warning")

    @property
    def infos(self) -> list[Finding]:
        """Findings of severity "info"."""
        return self._by("info")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings and infos allowed)."""
        return not self.errors

    def codes(self) -> set[str]:
        """The set of finding codes, handy in tests and scripts."""
        return {f.code for f in self.findings}

    def summary(self) -> str:
        """One line: counts per severity and the verdict."""
        counts = (len(self.errors), len(self.warnings), len(self.infos))
        verdict = "OK" if self.ok else "FAILED"
        return (
            f"{verdict}: {counts[0]} error(s), {counts[1]} warning(s), {counts[2]} info(s) "
            f"in {self.root}"
        )

    def format(self) -> str:
        """Human-readable report grouped by split (errors first), ending with `summary()`."""
        order = {s: i for i, s in enumerate(SEVERITIES)}
        groups: dict[str | None, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            groups[finding.split].append(finding)
        lines = [f"Checking {self.root} (splits: {', '.join(self.splits) or 'none'})"]
        # Checked splits in order, then any other split a finding names (e.g. a skipped one).
        others = [s for s in groups if s is not None and s not in self.splits]
        for split in [None, *self.splits, *others]:
            findings = sorted(groups.get(split, []), key=lambda f: order[f.severity])
            if split is None and not findings:
                continue
            lines.append("")
            lines.append(f"[{split or 'dataset'}]")
            if not any(f.severity != "info" for f in findings) and split is not None:
                lines.append("  no problems")
            shown: dict[str, int] = defaultdict(int)
            hidden: dict[str, int] = defaultdict(int)
            for finding in findings:
                if shown[finding.code] >= MAX_SHOWN_PER_CODE:
                    hidden[finding.code] += 1
                    continue
                shown[finding.code] += 1
                lines.append(f"  {finding.severity.upper():<7} {finding.code}: {finding.message}")
            for code, count in hidden.items():
                lines.append(f"  ... and {count} more {code} (see --json for all)")
        lines.append("")
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready dict: root, splits, ok, counts and every finding."""
        return {
            "root": self.root,
            "splits": list(self.splits),
            "ok": self.ok,
            "counts": {s: len(self._by(s)) for s in SEVERITIES},
            "findings": [asdict(f) for f in self.findings],
        }

    def write_json(self, path: str | os.PathLike) -> Path:
        """Write `to_dict()` as JSON; return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return path


@dataclass
class _AudioStats:
    """What one split's audio scan saw, for the aggregated infos."""

    duration: float = 0.0
    rates: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    channels: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def _examples(names: list[str]) -> str:
    shown = ", ".join(names[:_EXAMPLES])
    return shown + (", ..." if len(names) > _EXAMPLES else "")


def _check_audio_file(
    report: CheckReport, split: str, path: Path, stats: _AudioStats, decode: bool
) -> None:
    """Open one audio file and record what is wrong with it; never raises.

    The problems are those `aacr_lib.audio.decode_audio` raises for (what training would hit),
    each under its `AudioError.code`; header-only mode sees unreadable headers, empty files
    and truncated WAV/AIFF files.
    """
    name = path.name
    samples = None
    try:
        if decode:
            samples, info = _decode_audio(path)
        else:
            info = audio_info(path)
            if info.frames == 0 and info.expected_frames == 0:
                raise AudioError(path, "audio_empty", "audio file holds no samples", info)
            if info.declared_frames:
                raise AudioError(
                    path,
                    "audio_truncated",
                    f"truncated audio: the header declares {info.declared_frames} frames, "
                    f"only {info.frames} are in the file",
                    info,
                )
    except AudioError as exc:
        if exc.info is not None and exc.code in ("audio_truncated", "audio_nonfinite"):
            _count(stats, exc.info, name)
        code = exc.code if exc.code != "audio_missing" else "audio_unreadable"
        report.add("error", code, split, path, f"{name}: {exc.reason}")
        return
    except Exception as exc:  # never raise: anything else also means "cannot decode"
        report.add("error", "audio_unreadable", split, path, f"{name}: cannot decode audio ({exc})")
        return
    _count(stats, info, name)
    if samples is None:
        return
    peak = float(np.abs(samples).max())
    if peak < SILENCE_PEAK:
        report.add(
            "warning",
            "audio_silent",
            split,
            path,
            f"{name}: silent (peak amplitude {peak:.2g}, below {SILENCE_PEAK:g})",
        )


def _count(stats: _AudioStats, info, name: str) -> None:
    stats.duration += info.duration
    stats.rates[info.sample_rate].append(name)
    stats.channels[info.channels].append(name)


def _check_split(
    report: CheckReport, root: Path, split: str, progress: bool, decode_audio: bool
) -> None:
    csv_path = captions_csv_path(root, split)
    if csv_path.exists() and not csv_path.is_file():
        what = "a directory" if csv_path.is_dir() else "not a regular file"
        report.add(
            "error",
            "captions_csv_not_file",
            split,
            csv_path,
            f"{csv_path} is {what}, not the captions CSV file; replace it with the file "
            f"clotho_captions_{split}.csv (an unpacked archive may have put the file inside it)",
        )
        return
    rows, problems = parse_captions_csv(csv_path)
    _report_captions_problems(report, root, split, csv_path, problems)
    if not csv_path.is_file() or any(p.code == "captions_csv_columns" for p in problems):
        return  # nothing listed, nothing more to check
    _check_metadata(report, root, split, csv_path, rows)
    if not rows and not any(p.severity == "error" for p in problems):
        report.add(
            "error",
            "split_empty",
            split,
            csv_path,
            f"{csv_path.name} lists 0 clips: a split needs at least one to train or score on",
        )
    directory = audio_dir(root, split)
    if not directory.is_dir():
        report.add(
            "error",
            "audio_dir_missing",
            split,
            directory,
            f"audio folder {directory} not found ({len(rows)} clips listed in {csv_path.name})",
        )
        return
    stats = _check_listed_audio(
        report, split, directory, csv_path, rows, progress=progress, decode=decode_audio
    )
    _report_unlisted_audio(report, split, directory, csv_path, rows)
    _report_audio_formats(report, split, directory, stats)
    report.add(
        "info",
        "split_summary",
        split,
        directory,
        f"{len(rows)} clips, {sum(len(r.captions) for r in rows)} captions, "
        f"{_duration(stats.duration)} of readable audio",
    )


def _report_captions_problems(
    report: CheckReport, root: Path, split: str, csv_path: Path, problems: list[CsvProblem]
) -> None:
    """One finding per problem of the captions CSV; a missing CSV also says how to get it."""
    for p in problems:
        message = p.describe()
        if p.code == "captions_csv_missing":
            message += f"; {GET_DATA_HINT.format(root=root)}"
        report.add(p.severity, p.code, split, csv_path, message)


def _check_metadata(
    report: CheckReport, root: Path, split: str, csv_path: Path, rows: list[CaptionRow]
) -> None:
    """Findings for the optional metadata CSV: its problems and clips the captions lack."""
    meta_path = metadata_csv_path(root, split)
    if not meta_path.is_file():
        report.add(
            "info",
            "metadata_missing",
            split,
            meta_path,
            f"{meta_path.name} not found (optional: keywords and licences only)",
        )
        return
    metadata, meta_problems = parse_metadata_csv(meta_path)
    for p in meta_problems:
        report.add(p.severity, p.code, split, meta_path, p.describe())
    listed = {row.file_name for row in rows}
    unknown = sorted(name for name in metadata if name not in listed)
    if unknown:
        report.add(
            "warning",
            "metadata_unknown_file",
            split,
            meta_path,
            f"{meta_path.name}: {len(unknown)} clip(s) not in {csv_path.name}, "
            f"e.g. {_examples(unknown)}",
        )


def _check_listed_audio(
    report: CheckReport,
    split: str,
    directory: Path,
    csv_path: Path,
    rows: list[CaptionRow],
    progress: bool,
    decode: bool,
) -> _AudioStats:
    """Report clips of the CSV without audio, open the others; return what the scan saw."""
    # here, not at the top: keeps `aacr --help` fast
    from tqdm.auto import tqdm

    stats = _AudioStats()
    present = []
    for row in rows:
        path = directory / row.file_name
        if path.is_file():
            present.append(path)
        else:
            report.add(
                "error",
                "audio_missing",
                split,
                path,
                f"{row.file_name}: audio file missing (listed in {csv_path.name} line {row.line})",
            )
    for path in tqdm(present, desc=f"checking {split}", unit="file", disable=not progress):
        _check_audio_file(report, split, path, stats, decode)
    return stats


def _report_unlisted_audio(
    report: CheckReport, split: str, directory: Path, csv_path: Path, rows: list[CaptionRow]
) -> None:
    """Warn about audio files in the split folder that the captions CSV does not list."""
    listed = {row.file_name for row in rows}
    for path in sorted(directory.iterdir()):
        if (
            path.is_file()
            and not path.name.startswith(".")
            and path.suffix.lower() in AUDIO_EXTENSIONS
            and path.name not in listed
        ):
            report.add(
                "warning",
                "audio_extra",
                split,
                path,
                f"{path.name}: audio file not listed in {csv_path.name} (ignored)",
            )


def _report_audio_formats(
    report: CheckReport, split: str, directory: Path, stats: _AudioStats
) -> None:
    """Infos for sample rates and channel counts other than Clotho's (converted on load)."""
    for rate, names in sorted(stats.rates.items()):
        if rate != CLOTHO_SAMPLE_RATE:
            report.add(
                "info",
                "audio_sample_rate",
                split,
                directory,
                f"{len(names)} file(s) at {rate} Hz, not Clotho's {CLOTHO_SAMPLE_RATE} Hz "
                f"(resampled on load): {_examples(names)}",
            )
    for channels, names in sorted(stats.channels.items()):
        if channels != CLOTHO_CHANNELS:
            report.add(
                "info",
                "audio_channels",
                split,
                directory,
                f"{len(names)} file(s) with {channels} channels, not mono "
                f"(down-mixed on load): {_examples(names)}",
            )


def check_dataset(
    root: str | os.PathLike,
    splits: Iterable[str] | None = None,
    progress: bool = True,
    decode_audio: bool = True,
) -> CheckReport:
    """Check a Clotho-layout directory and return the report (never raises on bad data).

    `splits=None` checks the standard splits whose captions CSV is present (none present is an
    error); named splits must be present. `decode_audio=False` reads only audio headers (fast,
    but cannot see silent or NaN audio, nor a truncated mp3; truncated WAV/AIFF it sees).
    """
    root = Path(root)
    if splits is None:
        # A directory in place of a CSV is present (and reported), not absent.
        present = tuple(s for s in SPLITS if captions_csv_path(root, s).exists())
        chosen = present or SPLITS
    else:
        present = None
        chosen = tuple(splits)
    report = CheckReport(str(root), chosen)
    if not root.is_dir():
        report.add(
            "error",
            "no_dataset",
            None,
            root,
            f"dataset directory {root} not found; {GET_DATA_HINT.format(root=root)}",
        )
        return report
    if present is not None:
        if not present:
            for split in SPLITS:
                path = captions_csv_path(root, split)
                report.add(
                    "error",
                    "captions_csv_missing",
                    split,
                    path,
                    f"{path.name} not found; {GET_DATA_HINT.format(root=root)}",
                )
            return report
        for split in SPLITS:
            if split in present:
                continue
            path = captions_csv_path(root, split)
            if audio_dir(root, split).is_dir():
                # Audio without its CSV looks like an incomplete download, not a choice.
                report.add(
                    "warning",
                    "captions_csv_missing",
                    split,
                    path,
                    f"{path.name} not found although {split}/ exists; that split is skipped. "
                    f"{GET_DATA_HINT.format(root=root).capitalize()}",
                )
            else:
                report.add(
                    "info", "split_absent", None, path, f"split {split}: {path.name} not present"
                )
    for split in chosen:
        _check_split(report, root, split, progress, decode_audio)
    _check_recording_overlap(report, root, chosen)
    return report


BANK_LINK = "soundbank:"


def _check_recording_overlap(report: CheckReport, root: Path, splits: Iterable[str]) -> None:
    """ClothoMix only (its metadata links every clip to the bank files it mixes): which source
    recordings each split hears, and an error for each one heard in two splits."""
    used: dict[str, dict[str, str]] = {}  # split → bank file → first clip using it
    for split in splits:
        metadata, _ = parse_metadata_csv(metadata_csv_path(root, split))
        for clip, values in metadata.items():
            for link in str(values.get("sound_link", "")).split(";"):
                if link.startswith(BANK_LINK):
                    used.setdefault(split, {}).setdefault(link[len(BANK_LINK) :], clip)
    if not used:
        return  # not ClothoMix (Clotho links to Freesound)
    from aacr_lib.data.clothomix.bank import load_bank

    recording_of = {sound.file: sound.recording for sound in load_bank().sounds}
    heard: dict[str, dict[str, str]] = defaultdict(dict)  # recording → split → clip
    for split, files in used.items():
        for file, clip in files.items():
            recording = recording_of.get(file, file)
            heard[recording].setdefault(split, clip)
    shared = {rec: where for rec, where in heard.items() if len(where) > 1}
    for recording, where in sorted(shared.items()):
        clips = ", ".join(f"{clip} ({split})" for split, clip in where.items())
        report.add(
            "error",
            "recording_overlap",
            None,
            root,
            f"source recording {recording} is heard in {len(where)} splits, e.g. {clips}; "
            "rebuild with `aacr data demo` (this aacr keeps recordings to one split)",
        )
    if not shared:
        counts = ", ".join(
            f"{split} {sum(1 for where in heard.values() if split in where)}" for split in used
        )
        report.add(
            "info",
            "recordings_disjoint",
            None,
            root,
            f"sound-bank recordings per split: {counts}; none is heard in two splits",
        )
