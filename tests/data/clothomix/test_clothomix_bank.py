"""The embedded sound bank: manifest consistent with the files, licences, size, grammar cover."""

from __future__ import annotations

import csv
import hashlib

import pytest
import soundfile as sf

from aacr_lib.data.clothomix.bank import (
    BANK_SAMPLE_RATE,
    KINDS,
    default_bank_dir,
    load_bank,
    load_sound,
)
from aacr_lib.data.clothomix.grammar import BACKGROUND_WORDS, EVENT_WORDS
from aacr_lib.errors import DataError

MAX_BANK_BYTES = 25 * 1024 * 1024
BANK_DIR = default_bank_dir()


def manifest_rows() -> list[dict[str, str]]:
    with open(BANK_DIR / "manifest.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_manifest_file_exists_with_listed_size_hash_and_format():
    rows = manifest_rows()
    assert rows
    for row in rows:
        path = BANK_DIR / row["file"]
        data = path.read_bytes()
        assert len(data) == int(row["bytes"]), row["file"]
        assert hashlib.sha256(data).hexdigest() == row["sha256"], row["file"]
        info = sf.info(str(path))
        assert (info.format, info.subtype) == ("OGG", "VORBIS"), row["file"]
        assert info.samplerate == BANK_SAMPLE_RATE == int(row["sample_rate"])
        assert info.channels == 1
        assert info.frames == int(row["frames"])
        assert abs(info.frames / info.samplerate - float(row["duration"])) < 1e-3


def test_every_file_in_the_folder_is_listed():
    listed = {row["file"] for row in manifest_rows()}
    on_disk = {path.name for path in BANK_DIR.glob("*.ogg")}
    assert on_disk == listed


BANK_PACKAGES = {
    "0ad-data": "Wildfire Games",
    "megaglest-data": "MegaGlest",
    "redeclipse-data": "Red Eclipse",
    "supertuxkart-data": "SuperTuxKart",
    "flare-game": "Flare",
    "lugaru-data": "Wolfire Games",
    "minetest-data": "Minetest",
}


def test_licence_and_attribution_of_every_file():
    for row in manifest_rows():
        # Licences a CC BY-SA 3.0 adaptation may include, as each package's copyright says.
        assert row["licence"] in {"CC-BY-SA-3.0", "CC-BY-3.0", "CC0-1.0"}, row["file"]
        assert row["source_package"] in BANK_PACKAGES, row["file"]
        assert row["source_version"] and row["source_path"].startswith("/usr/share/"), row
        assert BANK_PACKAGES[row["source_package"]] in row["attribution"], row["file"]
    attribution = (BANK_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for needle in (*BANK_PACKAGES, "Wildfire Games", "Glest Team", "CC BY-SA 3.0"):
        assert needle in attribution
    licence = (BANK_DIR / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Attribution-ShareAlike 3.0" in licence or "CREATIVE COMMONS" in licence.upper()


def test_bank_size_within_budget():
    total = sum(path.stat().st_size for path in BANK_DIR.iterdir() if path.is_file())
    assert total <= MAX_BANK_BYTES


def test_labels_have_grammar_entries_and_several_kinds():
    bank = load_bank()
    backgrounds, events = bank.labels("background"), bank.labels("event")
    assert set(backgrounds) == set(BACKGROUND_WORDS)
    assert set(events) == set(EVENT_WORDS)
    assert len(backgrounds) >= 8 and len(events) >= 15
    assert {sound.kind for sound in bank.sounds} == set(KINDS)


def test_sounds_decode_to_listed_length_and_are_not_silent():
    bank = load_bank()
    for label in bank.labels("event")[:5] + bank.labels("background")[:2]:
        sound = bank.variants(label)[0]
        waveform = load_sound(sound)
        assert len(waveform) == sound.frames
        assert 0.5 < abs(waveform).max() <= 1.0
        with pytest.raises(ValueError):
            waveform[0] = 0.0  # the decode cache hands out read-only arrays


def test_load_bank_reports_missing_manifest_and_files(tmp_path):
    with pytest.raises(DataError, match="manifest not found"):
        load_bank(tmp_path)
    rows = manifest_rows()[:1]
    with open(tmp_path / "manifest.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataError, match="not found"):
        load_bank(tmp_path)
