"""`generate_clothomix`: Clotho v2.1 layout, truthful captions, ground truth, determinism."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aacr_lib.data.check import check_dataset
from aacr_lib.data.clotho import CAPTIONS_HEADER, METADATA_COLUMNS, read_split
from aacr_lib.data.clothomix import EVENTS_HEADER, generate_clothomix, mentions
from aacr_lib.data.clothomix.grammar import (
    COUNT_WORDS,
    EVENT_WORDS,
    MAX_WORDS,
    MIN_WORDS,
    word_count,
)
from aacr_lib.errors import ConfigError

CLIPS = {"development": 3, "validation": 3, "evaluation": 3}
DURATION = 3.0


def _generate(folder: Path, seed: int = 0) -> Path:
    summary = generate_clothomix(folder, seed=seed, clips=CLIPS, duration=DURATION, progress=False)
    assert summary == CLIPS
    return folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory.mktemp("clothomix"))


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_layout_and_headers(demo):
    for split, count in CLIPS.items():
        captions = _rows(demo / f"clotho_captions_{split}.csv")
        metadata = _rows(demo / f"clotho_metadata_{split}.csv")
        events = _rows(demo / f"clothomix_events_{split}.csv")
        assert tuple(captions[0]) == CAPTIONS_HEADER
        assert tuple(metadata[0]) == METADATA_COLUMNS
        assert tuple(events[0]) == EVENTS_HEADER
        names = [row[0] for row in captions[1:]]
        assert len(names) == count == len(set(names))
        assert [row[0] for row in metadata[1:]] == names
        assert sorted(p.name for p in (demo / split).iterdir()) == sorted(names)
    for name in ("README.txt", "LICENSE.txt", "ATTRIBUTION.md"):
        assert (demo / name).is_file()
    assert "CC BY-SA 3.0" in (demo / "README.txt").read_text(encoding="utf-8")


def test_the_project_reader_and_checker_accept_it(demo):
    report = check_dataset(demo)
    assert report.ok, report.format()
    items = read_split(demo, "development")
    assert len(items) == CLIPS["development"]
    assert all(len(item.captions) == 5 and item.audio_path.is_file() for item in items)


def test_audio_is_16k_mono_pcm_audible_and_unclipped(demo):
    for path in sorted(demo.glob("*/*.wav")):
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype) == (16_000, 1, "PCM_16")
        assert info.frames == int(DURATION * 16_000)
        audio, _ = sf.read(str(path), dtype="int16")
        peak = int(np.abs(audio.astype(np.int32)).max())
        assert 1000 < peak < 32767, path.name


def test_captions_describe_the_ground_truth(demo):
    for split in CLIPS:
        truth: dict[str, list[list[str]]] = {}
        for row in _rows(demo / f"clothomix_events_{split}.csv")[1:]:
            truth.setdefault(row[0], []).append(row)
        metadata = {row[0]: row for row in _rows(demo / f"clotho_metadata_{split}.csv")[1:]}
        for row in _rows(demo / f"clotho_captions_{split}.csv")[1:]:
            name, captions = row[0], row[1:]
            assert len(set(captions)) == 5
            rows = truth[name]
            backgrounds = [r for r in rows if r[2] == "background"]
            events = [r for r in rows if r[2] == "event"]
            assert len(backgrounds) == 1 and events
            labels = [backgrounds[0][1]] + list(dict.fromkeys(r[1] for r in events))
            repeats = Counter(r[1] for r in events)
            for caption in captions:
                assert MIN_WORDS <= word_count(caption) <= MAX_WORDS, caption
                for label in labels:
                    assert mentions(caption, label), (label, caption)
                for label, times in repeats.items():
                    if EVENT_WORDS[label].countable and times > 1:
                        assert COUNT_WORDS[times].strip() in caption, (label, times, caption)
            assert metadata[name][1] == ";".join(label.replace("_", " ") for label in labels)
            assert metadata[name][6].startswith("CC-BY-SA-3.0")


def test_event_times_lie_inside_the_clip_in_order(demo):
    for split in CLIPS:
        by_clip: dict[str, list[tuple[float, float]]] = {}
        for name, label, kind, onset, offset in _rows(demo / f"clothomix_events_{split}.csv")[1:]:
            start, end = float(onset), float(offset)
            assert 0.0 <= start < end <= DURATION, (name, label)
            if kind == "background":
                assert (start, end) == (0.0, DURATION)
            else:
                by_clip.setdefault(name, []).append((start, end))
        for spans in by_clip.values():
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                assert start >= end  # listed in time order, never overlapping


def test_same_seed_same_bytes_other_seed_other_bytes(demo, tmp_path):
    again = _files(_generate(tmp_path / "again"))
    assert again == _files(demo)
    other = _files(_generate(tmp_path / "other", seed=1))
    assert other.keys() == again.keys()
    differing = [name for name in again if name.endswith(".wav") and again[name] != other[name]]
    assert len(differing) == sum(CLIPS.values())
    assert other["clotho_captions_development.csv"] != again["clotho_captions_development.csv"]


def test_a_clip_does_not_depend_on_the_split_size(demo, tmp_path):
    small = tmp_path / "small"
    summary = generate_clothomix(
        small, seed=0, clips={"validation": 2}, duration=DURATION, progress=False
    )
    assert summary == {"validation": 2}
    assert not (small / "development").exists()
    for name in ("clothomix_validation_0000.wav", "clothomix_validation_0001.wav"):
        assert (small / "validation" / name).read_bytes() == (
            demo / "validation" / name
        ).read_bytes()


def test_rerun_with_fewer_clips_leaves_no_stale_files(tmp_path):
    folder = tmp_path / "shrink"
    generate_clothomix(folder, clips={"evaluation": 3}, duration=1.0, progress=False)
    generate_clothomix(folder, clips={"evaluation": 1}, duration=1.0, progress=False)
    assert [p.name for p in (folder / "evaluation").iterdir()] == ["clothomix_evaluation_0000.wav"]
    assert check_dataset(folder, splits=["evaluation"]).ok


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"clips": {"train": 3}}, "unknown split"),
        ({"clips": {"development": -1}}, "non-negative"),
        ({"clips": {"development": 2.5}}, "non-negative"),
        ({"duration": 0.5}, "at least 1"),
        ({"duration": float("nan")}, "at least 1"),
        ({"seed": -3}, "seed"),
        ({"clips": ["development"]}, "map split names"),
    ],
)
def test_bad_arguments_raise_clear_errors(tmp_path, kwargs, message):
    arguments = {"clips": {"development": 1}, "progress": False, **kwargs}
    with pytest.raises(ConfigError, match=message):
        generate_clothomix(tmp_path / "bad", **arguments)
    assert not (tmp_path / "bad").exists()
