"""ClothoMix at Clotho scale: 15-30 s clips at 44.1 kHz, Clotho-style names, Clotho's layout."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import soundfile as sf

from aacr_lib.data.check import check_dataset
from aacr_lib.data.clotho import METADATA_COLUMNS, SPLITS, read_clotho, read_split
from aacr_lib.data.clothomix import (
    CLOTHO_CLIPS,
    FIXTURE_CLIPS,
    SCALES,
    clip_duration,
    generate_clotho_layout_fixture,
    generate_clothomix,
)
from aacr_lib.data.clothomix.names import is_clotho_style_safe
from aacr_lib.errors import ConfigError

# Clotho v2.1's files: exactly these, nothing else.
CLOTHO_LAYOUT = {
    *(f"clotho_captions_{split}.csv" for split in SPLITS),
    *(f"clotho_metadata_{split}.csv" for split in SPLITS),
    *SPLITS,
}


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory) -> Path:
    return generate_clotho_layout_fixture(tmp_path_factory.mktemp("fixture") / "clotho")


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_the_clotho_scale_has_clotho_v2_1_sizes():
    clotho = SCALES["clotho"]
    assert (
        dict(clotho.clips)
        == CLOTHO_CLIPS
        == {
            "development": 3839,
            "validation": 1045,
            "evaluation": 1045,
        }
    )
    assert (clotho.duration, clotho.sample_rate, clotho.file_names) == (
        (15.0, 30.0),
        44_100,
        "clotho",
    )
    demo = SCALES["demo"]
    assert (dict(demo.clips), demo.duration, demo.sample_rate, demo.file_names) == (
        {"development": 400, "validation": 100, "evaluation": 100},
        10.0,
        16_000,
        "clothomix",
    )


def test_the_fixture_is_exactly_clothos_layout(fixture_dir):
    assert {p.name for p in fixture_dir.iterdir()} == CLOTHO_LAYOUT
    for split, count in FIXTURE_CLIPS.items():
        names = [row[0] for row in _rows(fixture_dir / f"clotho_captions_{split}.csv")[1:]]
        assert len(names) == count
        assert sorted(p.name for p in (fixture_dir / split).iterdir()) == sorted(names)
        metadata = _rows(fixture_dir / f"clotho_metadata_{split}.csv")
        assert (
            tuple(metadata[0])
            == METADATA_COLUMNS
            == (
                "file_name",
                "keywords",
                "sound_id",
                "sound_link",
                "start_end_samples",
                "manufacturer",
                "license",
            )
        )
        assert [row[0] for row in metadata[1:]] == names


def test_the_project_readers_and_checker_accept_the_fixture(fixture_dir):
    report = check_dataset(fixture_dir, progress=False)
    assert report.ok, report.format()
    assert not report.warnings, report.format()
    # at 44.1 kHz mono, nothing is resampled or down-mixed on load
    assert not report.codes() & {"audio_sample_rate", "audio_channels"}
    splits = read_clotho(fixture_dir, require_audio=True)
    assert {split: len(items) for split, items in splits.items()} == FIXTURE_CLIPS
    for items in splits.values():
        for item in items:
            assert len(item.captions) == 5 and item.audio_path.is_file()
            assert item.metadata["manufacturer"].startswith("ClothoMix")
            assert "ATTRIBUTION.md" in item.metadata["license"]


def test_clips_last_15_to_30_s_at_44k_and_match_their_metadata(fixture_dir):
    durations = []
    for split in SPLITS:
        for item in read_split(fixture_dir, split):
            info = sf.info(str(item.audio_path))
            assert (info.samplerate, info.channels, info.subtype) == (44_100, 1, "PCM_16")
            assert 15.0 <= info.duration <= 30.0
            # whole centiseconds: a whole number of 441-sample steps
            assert info.frames % 441 == 0
            start, end = (int(v) for v in item.metadata["start_end_samples"].strip("[]").split(","))
            assert end - start == info.frames
            durations.append(info.frames)
    assert len(set(durations)) == len(durations)  # drawn per clip


def test_names_are_clotho_style_unique_and_quoted_in_the_csv(fixture_dir):
    names = []
    for split in SPLITS:
        raw = (fixture_dir / f"clotho_captions_{split}.csv").read_text(encoding="utf-8")
        for row in _rows(fixture_dir / f"clotho_captions_{split}.csv")[1:]:
            name = row[0]
            assert is_clotho_style_safe(name), name
            if "," in name:
                assert f'"{name}",' in raw  # quoted, as Clotho's CSVs quote such names
            names.append(name)
    assert len({n.casefold() for n in names}) == len(names)  # unique in the whole dataset
    assert any(" " in n for n in names)
    assert not any(n.startswith("clothomix_") for n in names)


def test_a_clotho_scale_build_with_commas_reads_back(tmp_path):
    # Enough clips that some names carry commas, parentheses and ampersands.
    clips = {"development": 30, "validation": 5, "evaluation": 5}
    out = generate_clothomix(
        tmp_path / "mix", clips=clips, scale="clotho", duration=(1.0, 2.0), progress=False
    )
    assert out == clips
    names = [item.file_name for items in read_clotho(tmp_path / "mix").values() for item in items]
    for character in ",()&' -_":
        assert any(character in name for name in names), character
    assert check_dataset(tmp_path / "mix", progress=False).ok
    # the full ClothoMix files are there too, and their events lie inside the clips
    for split in SPLITS:
        lengths = {
            i.file_name: sf.info(str(i.audio_path)).duration
            for i in read_split(tmp_path / "mix", split)
        }
        for name, _, _, onset, offset in _rows(tmp_path / "mix" / f"clothomix_events_{split}.csv")[
            1:
        ]:
            assert 0.0 <= float(onset) < float(offset) <= lengths[name] + 0.001
    assert "scale clotho" in (tmp_path / "mix" / "README.txt").read_text(encoding="utf-8")


def test_same_arguments_same_bytes_and_clips_independent_of_split_sizes(fixture_dir, tmp_path):
    again = generate_clotho_layout_fixture(tmp_path / "again")
    assert _files(again) == _files(fixture_dir)
    other = generate_clotho_layout_fixture(tmp_path / "other", seed=1)
    assert _files(other) != _files(fixture_dir)
    alone = generate_clotho_layout_fixture(tmp_path / "alone", clips={"validation": 1})
    [wav] = (alone / "validation").iterdir()
    first = read_split(fixture_dir, "validation")[0]
    assert wav.name == first.file_name
    assert wav.read_bytes() == first.audio_path.read_bytes()


def test_durations_are_drawn_per_clip_in_centiseconds_within_the_range():
    drawn = [clip_duration(0, "development", i, (15.0, 30.0)) for i in range(400)]
    assert min(drawn) >= 15.0 and max(drawn) <= 30.0
    assert min(drawn) < 16.0 and max(drawn) > 29.0  # the whole range is used
    assert all(abs(d * 100 - round(d * 100)) < 1e-6 for d in drawn)
    assert clip_duration(0, "development", 7, (15.0, 30.0)) == drawn[7]
    assert clip_duration(1, "development", 7, (15.0, 30.0)) != drawn[7]
    assert clip_duration(0, "development", 7, 10.0) == 10.0


def test_a_layout_only_clothomix_is_rebuilt_in_place(tmp_path):
    folder = generate_clotho_layout_fixture(tmp_path / "clotho", clips={"evaluation": 1})
    generate_clotho_layout_fixture(folder, clips={"evaluation": 2})
    assert len(list((folder / "evaluation").iterdir())) == 2


def test_real_clotho_is_never_replaced(tmp_path):
    # Real Clotho has the same file names as ClothoMix: only its metadata tells them apart.
    clotho = tmp_path / "clotho"
    (clotho / "evaluation").mkdir(parents=True)
    (clotho / "clotho_captions_evaluation.csv").write_text(
        "file_name,caption_1,caption_2,caption_3,caption_4,caption_5\n", encoding="utf-8"
    )
    (clotho / "clotho_metadata_evaluation.csv").write_text(
        ",".join(METADATA_COLUMNS)
        + '\n"Radio Garble.wav",radio,80399,https://freesound.org/s/80399,"[1024, 845524]",'
        "Benboncan,http://creativecommons.org/licenses/by/3.0/\n",
        encoding="utf-8",
    )
    before = _files(clotho)
    with pytest.raises(ConfigError, match="ClothoMix did not make"):
        generate_clotho_layout_fixture(clotho, clips={"evaluation": 1})
    assert _files(clotho) == before


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"duration": (20.0, 15.0)}, "longest is under the shortest"),
        ({"duration": (0.5, 3.0)}, "at least 1"),
        ({"duration": (1.0, 2.0, 3.0)}, "range"),
        ({"duration": "15-30"}, "number of seconds"),
        ({"sample_rate": 12_345}, "sample_rate"),
        ({"file_names": "freesound"}, "file_names"),
        ({"scale": "huge"}, "unknown scale"),
    ],
)
def test_bad_scale_arguments_raise_clear_errors(tmp_path, kwargs, message):
    arguments = {"clips": {"development": 1}, "progress": False, **kwargs}
    with pytest.raises(ConfigError, match=message):
        generate_clothomix(tmp_path / "bad", **arguments)
    assert not (tmp_path / "bad").exists()
