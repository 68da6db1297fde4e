"""check_dataset and `aacr data check DIR`: one planted problem per test, plus a clean tree."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from aacr_lib.cli import main
from aacr_lib.data import check as check_mod
from aacr_lib.data.check import CheckReport, check_dataset


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write_rows(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def edit_captions(root, split, edit):
    path = root / f"clotho_captions_{split}.csv"
    rows = read_rows(path)
    edit(rows)
    write_rows(path, rows)


def run_cli(capsys, *args):
    code = main(["data", "check", *map(str, args)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out


def test_clean_tree_is_ok(clotho_root, capsys):
    report = check_dataset(clotho_root, progress=False)
    assert report.ok
    assert report.errors == [] and report.warnings == []
    assert report.codes() == {"split_summary"}
    code, out = run_cli(capsys, clotho_root)
    assert code == 0
    assert out.strip().splitlines()[-1].startswith("OK: 0 error(s), 0 warning(s)")
    for split in ("development", "validation", "evaluation"):
        assert f"[{split}]" in out
    assert "7 clips" not in out and "3 clips, 15 captions" in out


def test_json_report(clotho_root, tmp_path, capsys):
    (clotho_root / "validation" / "validation_clip_00.wav").unlink()
    target = tmp_path / "out" / "report.json"
    code, _ = run_cli(capsys, clotho_root, "--json", target)
    assert code == 1
    data = json.loads(target.read_text())
    assert data["ok"] is False
    assert data["counts"]["error"] == 1
    (finding,) = [f for f in data["findings"] if f["severity"] == "error"]
    assert finding["code"] == "audio_missing"
    assert finding["split"] == "validation"
    assert finding["path"].endswith("validation_clip_00.wav")


def _plant_missing_audio(root):
    (root / "development" / "development_clip_01.wav").unlink()
    return "development_clip_01.wav"


def _plant_extra_audio(root, wav_writer):
    wav_writer(root / "validation" / "stray recording.wav")
    return "stray recording.wav"


def _plant_missing_csv(root):
    (root / "clotho_captions_evaluation.csv").unlink()
    return "clotho_captions_evaluation.csv"


def _plant_bad_columns(root):
    edit_captions(root, "validation", lambda rows: rows[0].__setitem__(3, "caption_three"))
    return "clotho_captions_validation.csv"


def _plant_short_row(root):
    edit_captions(root, "development", lambda rows: rows.append(["x.wav", "only one"]))
    return "clotho_captions_development.csv line 5"


def _plant_extra_columns(root):
    def edit(rows):
        for i, row in enumerate(rows):
            row.append("notes" if i == 0 else "")

    edit_captions(root, "evaluation", edit)
    return "notes"


def _plant_empty_caption(root):
    edit_captions(root, "development", lambda rows: rows[2].__setitem__(4, ""))
    return "clotho_captions_development.csv line 3, column caption_4"


def _plant_empty_file_name(root):
    edit_captions(root, "validation", lambda rows: rows[1].__setitem__(0, " "))
    return "clotho_captions_validation.csv line 2, column file_name"


def _plant_duplicate(root):
    edit_captions(root, "development", lambda rows: rows.append(list(rows[2])))
    return "development_clip_01.wav is listed twice"


def _plant_unsafe(root, wav_writer):
    wav_writer(root / "outside.wav")
    edit_captions(root, "validation", lambda rows: rows[1].__setitem__(0, "../outside.wav"))
    return "../outside.wav"


def _plant_corrupt(root):
    (root / "evaluation" / "evaluation_clip_01.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
    return "evaluation_clip_01.wav"


def _plant_empty_audio(root, wav_writer):
    path = root / "development" / "development_clip_02.wav"
    wav_writer(path, data=np.zeros(0, dtype=np.float32))
    return "development_clip_02.wav"


def _plant_silent(root, wav_writer):
    wav_writer(root / "validation" / "validation_clip_01.wav", data=np.zeros(4410, np.float32))
    return "validation_clip_01.wav"


def _plant_nan(root, wav_writer):
    data = np.full(4410, 0.1, dtype=np.float32)
    data[100] = np.nan
    data[200] = np.inf
    wav_writer(root / "evaluation" / "evaluation_clip_00.wav", data=data, subtype="FLOAT")
    return "evaluation_clip_00.wav"


def _plant_truncated(root):
    # A copy cut short: the header still declares the whole clip.
    path = root / "validation" / "validation_clip_01.wav"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return "validation_clip_01.wav"


def _plant_sample_rate(root, wav_writer):
    wav_writer(root / "development" / "development_clip_01.wav", sample_rate=16_000)
    return "development_clip_01.wav"


def _plant_stereo(root, wav_writer):
    wav_writer(root / "validation" / "validation_clip_00.wav", channels=2)
    return "validation_clip_00.wav"


def _plant_no_audio_dir(root):
    for path in (root / "evaluation").iterdir():
        path.unlink()
    (root / "evaluation").rmdir()
    return "evaluation"


def _plant_bad_metadata_row(root):
    with open(root / "clotho_metadata_validation.csv", "a", encoding="latin-1") as f:
        f.write("validation_clip_00.wav,too,few\n")
    return "clotho_metadata_validation.csv line 4"


def _plant_unknown_metadata(root):
    with open(root / "clotho_metadata_development.csv", "a", encoding="latin-1") as f:
        f.write("ghost.wav,k,1,l,s,m,lic\n")
    return "ghost.wav"


def _plant_no_metadata(root):
    (root / "clotho_metadata_evaluation.csv").unlink()
    return "clotho_metadata_evaluation.csv"


# code: (planter, severity, exit code, extra CLI args, other codes it causes)
# Renaming a CSV row leaves its audio and metadata row unlisted: audio_extra and
# metadata_unknown_file follow from it by design.
RENAMED = frozenset({"audio_extra", "metadata_unknown_file"})
PLANTED = {
    "audio_missing": (_plant_missing_audio, "error", 1, (), frozenset()),
    "audio_extra": (_plant_extra_audio, "warning", 0, (), frozenset()),
    "captions_csv_missing": (
        _plant_missing_csv,
        "error",
        1,
        ("--splits", "development", "evaluation"),
        frozenset(),
    ),
    "captions_csv_columns": (_plant_bad_columns, "error", 1, (), frozenset()),
    "captions_csv_row": (_plant_short_row, "error", 1, (), frozenset()),
    "captions_csv_extra_columns": (_plant_extra_columns, "warning", 0, (), frozenset()),
    "empty_caption": (_plant_empty_caption, "error", 1, (), frozenset()),
    "empty_file_name": (_plant_empty_file_name, "error", 1, (), RENAMED),
    "duplicate_file_name": (_plant_duplicate, "error", 1, (), frozenset()),
    "unsafe_file_name": (_plant_unsafe, "error", 1, (), RENAMED),
    "audio_unreadable": (_plant_corrupt, "error", 1, (), frozenset()),
    "audio_empty": (_plant_empty_audio, "error", 1, (), frozenset()),
    "audio_silent": (_plant_silent, "warning", 0, (), frozenset()),
    "audio_nonfinite": (_plant_nan, "error", 1, (), frozenset()),
    "audio_truncated": (_plant_truncated, "error", 1, (), frozenset()),
    "audio_sample_rate": (_plant_sample_rate, "info", 0, (), frozenset()),
    "audio_channels": (_plant_stereo, "info", 0, (), frozenset()),
    "audio_dir_missing": (_plant_no_audio_dir, "error", 1, (), frozenset()),
    "metadata_csv_row": (_plant_bad_metadata_row, "error", 1, (), frozenset()),
    "metadata_unknown_file": (_plant_unknown_metadata, "warning", 0, (), frozenset()),
    "metadata_missing": (_plant_no_metadata, "info", 0, (), frozenset()),
}


@pytest.mark.parametrize("code", list(PLANTED))
def test_planted_problem(code, clotho_root, wav_writer, capsys):
    planter, severity, exit_code, args, side_effects = PLANTED[code]
    needs_writer = "wav_writer" in planter.__code__.co_varnames[: planter.__code__.co_argcount]
    name = planter(clotho_root, wav_writer) if needs_writer else planter(clotho_root)

    status, out = run_cli(capsys, clotho_root, *args)
    assert status == exit_code, out
    lines = [line for line in out.splitlines() if f" {code}: " in line]
    assert lines, out
    assert any(name in line for line in lines), out
    assert all(line.strip().startswith(severity.upper()) for line in lines), lines
    # Exactly the planted problem is an error / warning: nothing else fires.
    splits = [a for a in args if not a.startswith("--")] or None
    report = check_dataset(clotho_root, splits=splits, progress=False)
    assert code in report.codes()
    others = {f.code for f in report.errors + report.warnings} - {code}
    assert others == side_effects, others


def test_unsafe_file_is_never_opened(clotho_root, wav_writer, monkeypatch):
    _plant_unsafe(clotho_root, wav_writer)
    import soundfile

    opened = []
    real_info, real_read = soundfile.info, soundfile.read
    monkeypatch.setattr(soundfile, "info", lambda p, *a, **k: opened.append(p) or real_info(p))
    monkeypatch.setattr(
        soundfile, "read", lambda p, *a, **k: opened.append(p) or real_read(p, *a, **k)
    )
    report = check_dataset(clotho_root, progress=False)
    assert "unsafe_file_name" in report.codes()
    assert opened and not any("outside" in str(p) for p in opened)


def test_sample_rate_message_says_resampled(make_clotho, capsys):
    # The ClothoMix demo set is 16 kHz: informational only, never a failure.
    root = make_clotho(sample_rate=16_000)
    code, out = run_cli(capsys, root)
    assert code == 0
    assert "3 file(s) at 16000 Hz" in out and "resampled on load" in out


def test_no_dataset_dir(tmp_path, capsys):
    code, out = run_cli(capsys, tmp_path / "absent")
    assert code == 1
    assert "no_dataset" in out and "aacr data demo" in out


def test_empty_dir_reports_every_missing_csv(tmp_path, capsys):
    code, out = run_cli(capsys, tmp_path)
    assert code == 1
    for split in ("development", "validation", "evaluation"):
        assert f"clotho_captions_{split}.csv not found" in out
    assert "aacr data clotho --root" in out


def test_partial_tree_checks_present_splits_only(make_clotho):
    root = make_clotho(clips={"validation": 2})
    report = check_dataset(root, progress=False)
    assert report.ok
    assert report.splits == ("validation",)
    absent = [f for f in report.infos if f.code == "split_absent"]
    assert len(absent) == 2


def test_header_only_mode_skips_decoding(clotho_root, wav_writer):
    _plant_silent(clotho_root, wav_writer)
    assert (
        "audio_silent" not in check_dataset(clotho_root, progress=False, decode_audio=False).codes()
    )


def test_format_truncates_long_lists(clotho_root, monkeypatch):
    monkeypatch.setattr(check_mod, "MAX_SHOWN_PER_CODE", 1)
    for split in ("development", "validation"):
        for path in (clotho_root / split).iterdir():
            path.unlink()
    text = check_dataset(clotho_root, progress=False).format()
    assert "... and 2 more audio_missing" in text
    assert "... and 1 more audio_missing" in text


def test_report_api():
    report = CheckReport("root", ("development",))
    report.add("warning", "x", "development", "a.wav", "a.wav: odd")
    report.add("info", "y", None, None, "fyi")
    assert report.ok and len(report.warnings) == 1 and len(report.infos) == 1
    report.add("error", "z", "development", "b.wav", "b.wav: bad")
    assert not report.ok
    assert report.to_dict()["counts"] == {"error": 1, "warning": 1, "info": 1}
    assert "FAILED: 1 error(s), 1 warning(s), 1 info(s) in root" in report.format()
    with pytest.raises(ValueError):
        report.add("fatal", "q", None, None, "no such severity")


def test_audio_without_csv_is_a_warning(clotho_root, capsys):
    (clotho_root / "clotho_captions_evaluation.csv").unlink()
    code, out = run_cli(capsys, clotho_root)
    assert code == 0
    assert "WARNING captions_csv_missing: clotho_captions_evaluation.csv not found" in out


def test_truncated_wav_is_found_from_its_header_alone(clotho_root):
    _plant_truncated(clotho_root)
    report = check_dataset(clotho_root, progress=False, decode_audio=False)
    (finding,) = [f for f in report.errors if f.code == "audio_truncated"]
    assert finding.path.endswith("validation_clip_01.wav") and "header declares" in finding.message


def test_a_split_with_no_clips_fails(clotho_root, capsys):
    edit_captions(clotho_root, "evaluation", lambda rows: rows.__delitem__(slice(1, None)))
    for path in (clotho_root / "evaluation").iterdir():
        path.unlink()
    (clotho_root / "clotho_metadata_evaluation.csv").unlink()
    code, out = run_cli(capsys, clotho_root)
    assert code == 1, out
    assert "ERROR   split_empty: clotho_captions_evaluation.csv lists 0 clips" in out
    report = check_dataset(clotho_root, progress=False)
    assert {f.code for f in report.errors} == {"split_empty"}


def test_a_directory_in_place_of_the_captions_csv_is_an_error(clotho_root, capsys):
    csv_path = clotho_root / "clotho_captions_validation.csv"
    csv_path.unlink()
    csv_path.mkdir()
    (csv_path / "clotho_captions_validation.csv").write_text("file_name\n")
    code, out = run_cli(capsys, clotho_root)
    assert code == 1, out
    lines = [line for line in out.splitlines() if " captions_csv_not_file: " in line]
    assert lines and "is a directory" in lines[0] and str(csv_path) in lines[0]
    for splits in (None, ["validation"]):
        report = check_dataset(clotho_root, splits=splits, progress=False)
        assert {f.code for f in report.errors} == {"captions_csv_not_file"}
