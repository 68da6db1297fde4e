"""Recording-disjoint ClothoMix: the split rule, the committed manifest, a generated set, the
version, the build script's same-recording detector and the unseen recordings."""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from aacr_lib.data.check import check_dataset
from aacr_lib.data.clothomix import (
    CLOTHOMIX_VERSION,
    MIN_RECORDINGS,
    assign_splits,
    clothomix_version,
    generate_clothomix,
    load_bank,
)
from aacr_lib.data.clothomix.bank import SPLIT_NAMES, default_bank_dir
from aacr_lib.data.config import DataConfig
from aacr_lib.data.stats import development_only_sentence, recording_splits
from aacr_lib.data.unseen import load_unseen
from aacr_lib.errors import DataError

REPO = Path(__file__).resolve().parents[3]


def load_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_soundbank", REPO / "scripts" / "build_soundbank.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_soundbank", module)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ the rule


def test_split_rule_is_stratified_deterministic_and_order_free():
    pairs = [
        (label, f"{label}:{i}") for label, n in (("a", 2), ("b", 3), ("c", 10)) for i in range(n)
    ]
    splits = assign_splits(pairs)
    assert splits == assign_splits(reversed(pairs))
    counts = {label: Counter(splits[r] for lab, r in pairs if lab == label) for label in "abc"}
    assert counts["a"] == {"development": 2}  # under MIN_RECORDINGS: development only
    assert counts["b"] == {"development": 1, "validation": 1, "evaluation": 1}
    assert counts["c"] == {"development": 6, "validation": 2, "evaluation": 2}


def test_a_recording_with_two_labels_is_refused():
    with pytest.raises(ValueError, match="two labels"):
        assign_splits([("a", "x"), ("b", "x")])


# ------------------------------------------------------------------ the committed bank


def test_manifest_puts_each_recording_in_one_split_by_the_rule():
    bank = load_bank()  # checks the rule itself; a wrong manifest raises DataError
    where = defaultdict(set)
    for sound in bank.sounds:
        where[sound.recording].add(sound.split)
        assert sound.recording and sound.split in SPLIT_NAMES
    assert all(len(splits) == 1 for splits in where.values())
    labelled = {(s.label, s.recording) for s in bank.sounds}
    assert assign_splits(labelled) == {r: next(iter(s)) for r, s in where.items()}


def test_every_held_out_label_has_three_recordings_and_every_split_has_them():
    bank = load_bank()
    table = recording_splits(bank)
    for label, row in table.iterrows():
        if row["evaluation"] or row["validation"]:
            assert row["recordings"] >= MIN_RECORDINGS, label
            assert row["evaluation"] >= 1 and row["validation"] >= 1 and row["development"] >= 1
        else:
            assert row["held out"] == "development only" and row["recordings"] < MIN_RECORDINGS
    for split in SPLIT_NAMES:
        view = bank.for_split(split)
        assert view.labels("background") and view.labels("event")
        # Every label heard in validation or evaluation was heard in development too.
        assert set(view.labels("event")) <= set(bank.for_split("development").labels("event"))
    assert "Development only" in development_only_sentence(table)


def test_windows_of_one_source_file_are_one_recording():
    rows = list(csv.DictReader(open(default_bank_dir() / "manifest.csv", encoding="utf-8")))
    by_source = defaultdict(set)
    for row in rows:
        by_source[(row["source_package"], row["source_path"])].add(row["recording"])
    assert all(len(recordings) == 1 for recordings in by_source.values())
    assert len({row["recording"] for row in rows}) < len(by_source)  # content duplicates found


def test_a_tampered_manifest_is_refused(tmp_path):
    bank_dir = default_bank_dir()
    rows = list(csv.DictReader(open(bank_dir / "manifest.csv", encoding="utf-8")))
    evaluation = next(row for row in rows if row["split"] == "evaluation")
    evaluation["split"] = "development"
    with open(tmp_path / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        (tmp_path / row["file"]).symlink_to(bank_dir / row["file"])
    with pytest.raises(DataError, match="split"):
        load_bank(tmp_path)


# ------------------------------------------------------------------ a generated set


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("disjoint") / "clothomix"
    clips = {"development": 60, "validation": 30, "evaluation": 30}
    generate_clothomix(folder, seed=3, clips=clips, duration=4.0, progress=False)
    return folder


def heard_recordings(folder: Path) -> dict[str, set[str]]:
    recording_of = {sound.file: sound.recording for sound in load_bank().sounds}
    heard = {}
    for split in SPLIT_NAMES:
        with open(folder / f"clotho_metadata_{split}.csv", newline="", encoding="utf-8") as f:
            links = [row["sound_link"] for row in csv.DictReader(f)]
        files = {link.split(":", 1)[1] for field in links for link in field.split(";")}
        heard[split] = {recording_of[file] for file in files}
    return heard


def test_no_source_recording_is_heard_in_two_splits(generated):
    heard = heard_recordings(generated)
    for first in SPLIT_NAMES:
        for second in SPLIT_NAMES:
            if first < second:
                assert not heard[first] & heard[second], (first, second)
    bank = load_bank()
    for split, recordings in heard.items():
        assert recordings <= set(bank.for_split(split).recordings())


def test_data_check_reports_the_split_of_recordings(generated, tmp_path):
    report = check_dataset(generated, decode_audio=False, progress=False)
    assert "recordings_disjoint" in report.codes() and "recording_overlap" not in report.codes()
    # A copy whose evaluation clip links a development recording: the overlap is an error.
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in generated.glob("*.csv"):
        (copy / path.name).write_bytes(path.read_bytes())
    for split in SPLIT_NAMES:
        (copy / split).symlink_to(generated / split)
    development_file = next(s.file for s in load_bank().sounds if s.split == "development")
    metadata = copy / "clotho_metadata_evaluation.csv"
    rows = list(csv.DictReader(open(metadata, encoding="utf-8")))
    rows[0]["sound_link"] += f";soundbank:{development_file}"
    with open(metadata, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    report = check_dataset(copy, decode_audio=False, progress=False)
    assert "recording_overlap" in report.codes() and not report.ok


def test_the_readme_states_the_version_and_the_split_rule(generated):
    readme = (generated / "README.txt").read_text(encoding="utf-8")
    assert clothomix_version(generated) == CLOTHOMIX_VERSION
    assert "Recording-disjoint" in readme and "development only" in readme


def test_a_run_refuses_another_clothomix_version(generated, tmp_path):
    DataConfig(dataset="clothomix", version=CLOTHOMIX_VERSION).check_version(generated)
    DataConfig(dataset="clothomix").check_version(generated)  # no version asked: no check
    # A folder ClothoMix did not write (your own data at the demo sizes) is not checked.
    DataConfig(dataset="clothomix", version=CLOTHOMIX_VERSION).check_version(tmp_path)
    with pytest.raises(DataError, match="aacr data demo"):
        DataConfig(dataset="clothomix", version=CLOTHOMIX_VERSION + 1).check_version(generated)


def test_an_older_clothomix_is_rebuilt(tmp_path):
    from aacr_lib.profiles import ensure_clothomix

    folder = tmp_path / "clothomix"
    ensure_clothomix(folder, smoke=True)
    readme = folder / "README.txt"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace(f"Version: {CLOTHOMIX_VERSION}\n\n", ""), encoding="utf-8")
    assert clothomix_version(folder) == 1
    ensure_clothomix(folder, smoke=True)
    assert clothomix_version(folder) == CLOTHOMIX_VERSION


def test_demo_runs_name_the_version_in_their_config():
    from aacr_lib.captioning.experiments import resolve_config as captioning_config
    from aacr_lib.retrieval.experiments import resolve_config as retrieval_config

    assert captioning_config("baseline", "demo").data.version == CLOTHOMIX_VERSION
    assert retrieval_config("baseline", "demo").data.version == CLOTHOMIX_VERSION
    assert retrieval_config("baseline", "clotho").data.version is None


# ------------------------------------------------------------------ the build script


def test_shared_material_tells_copies_and_cuts_from_other_recordings():
    build = load_build_script()
    rate = build.MATERIAL_RATE
    rng = np.random.default_rng(0)
    noise = build.material_signal(rng.normal(size=20 * rate))
    other = build.material_signal(rng.normal(size=20 * rate))
    cut = noise[3 * rate : 11 * rate] * 0.3
    assert build.shared_material(noise, noise) > 0.99
    assert build.shared_material(cut, noise) > 0.99
    assert build.shared_material(noise, other) < build.SHARED_MATERIAL_THRESHOLD
    # Two bursts of one kind of sound (decaying noise, like two different chops) are not one.
    envelope = np.exp(-np.arange(rate // 2) / (0.05 * rate))
    chop_a = build.material_signal(rng.normal(size=rate // 2) * envelope)
    chop_b = build.material_signal(np.concatenate([rng.normal(size=rate // 2) * envelope] * 3))
    assert build.shared_material(chop_a, chop_b) < build.SHARED_MATERIAL_THRESHOLD
    groups = build.group_recordings(
        {
            "x": ("rain", "background", noise),
            "y": ("rain", "background", cut),
            "z": ("rain", "background", other),
        }
    )
    assert groups == {"x": "x", "y": "x", "z": "z"}
    with pytest.raises(SystemExit, match="two labels"):
        build.group_recordings(
            {"x": ("rain", "background", noise), "y": ("wind", "background", cut)}
        )


def test_build_script_picks_only_compatible_licences():
    build = load_build_script()
    for pick in (*build.PICKS, *build.UNSEEN_PICKS):
        licence, credit = build.rights(pick)
        assert licence in build.COMPATIBLE_LICENCES and credit
    assert build.SCRATCH not in build.BANK_PACKAGES


# ------------------------------------------------------------------ unseen recordings


def test_unseen_recordings_come_from_a_package_the_bank_does_not_use():
    recordings = load_unseen()
    bank_packages = {sound.source_package for sound in load_bank().sounds}
    assert len(recordings) >= 5
    bank_labels = {sound.label for sound in load_bank().sounds}
    for recording in recordings:
        assert recording.path.is_file() and recording.duration > 0.5
        assert recording.source_package not in bank_packages
        assert recording.licence == "CC-BY-SA-3.0" and "Massachusetts" in recording.attribution
        assert recording.label == "" or recording.label in bank_labels
