"""The oracle source: ClothoMix's ground truth on the events grid, exact."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aacr_lib.errors import DataError
from aacr_lib.events import OracleEventsConfig, build_events_cache, load_events
from aacr_lib.events.oracle import (
    events_csv_path,
    frame_count,
    oracle_probabilities,
    read_clothomix_events,
)
from aacr_lib.events.vocabulary import class_index, clothomix_class_indices
from tests.events import CLIPS, make_clothomix


@pytest.fixture(scope="module")
def clothomix(tmp_path_factory) -> Path:
    return make_clothomix(tmp_path_factory.mktemp("events") / "clothomix")


def test_frames_overlapping_each_sound_are_on():
    rows = [("rain", 0.0, 3.0), ("hammer", 0.5, 0.7), ("pig", 0.32, 0.64), ("owl", 1.0, 1.0)]
    out = oracle_probabilities(rows, duration_seconds=3.0, hop_seconds=0.32)
    assert out.shape == (10, 527) and out.dtype == np.float32  # ceil(3.0 / 0.32) = 10
    on = {index: np.flatnonzero(out[:, index]).tolist() for index in np.flatnonzero(out.any(0))}
    assert on == {
        class_index("Rain"): list(range(10)),
        class_index("Hammer"): [1, 2],  # [0.32, 0.64) and [0.64, 0.96) overlap [0.5, 0.7)
        class_index("Pig"): [1],  # ends exactly where frame 2 starts
        class_index("Owl"): [3],  # zero length: the frame it falls in
    }
    assert set(np.unique(out)) == {0.0, 1.0}


def test_frame_count_on_boundaries():
    assert frame_count(3.2, 0.32) == 10  # 3.2 / 0.32 is 10.000000000000002 in floating point
    assert frame_count(3.21, 0.32) == 11
    assert frame_count(0.0, 0.32) == 0


def test_read_events_and_missing_csv(clothomix, tmp_path):
    events = read_clothomix_events(clothomix, "development")
    assert len(events) == CLIPS["development"]
    for rows in events.values():
        assert rows[0][1:] == (0.0, 3.0)  # the background spans the clip
        assert all(label in clothomix_class_indices() for label, _, _ in rows)
    with pytest.raises(DataError, match="clothomix_events_development.csv not found") as caught:
        read_clothomix_events(tmp_path, "development")
    assert "no strong labels" in str(caught.value) and "aacr data demo" in str(caught.value)


def _ms(text: str) -> int:
    return round(float(text) * 1000)


def _expected(dataset: Path, split: str, hop_ms: int) -> dict[str, np.ndarray]:
    """The oracle vectors from the CSV rows, in integer milliseconds (no rounding questions):
    frame j spans [j hop, (j + 1) hop) and is on where it overlaps a sound."""
    with open(events_csv_path(dataset, split), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    indices = clothomix_class_indices()
    expected = {}
    for name in {row["file_name"] for row in rows}:
        info = sf.info(dataset / split / name)
        duration_ms = round(info.frames * 1000 / info.samplerate)
        n_frames = -(-duration_ms // hop_ms)
        vectors = np.zeros((n_frames, 527), dtype=np.float32)
        for row in (r for r in rows if r["file_name"] == name):
            onset, offset = _ms(row["onset"]), _ms(row["offset"])
            for frame in range(n_frames):
                if frame * hop_ms < offset and (frame + 1) * hop_ms > onset:
                    vectors[frame, indices[row["label"]]] = 1.0
        expected[name] = vectors
    return expected


@pytest.mark.parametrize("hop_seconds", [0.32, 0.25])
def test_cached_oracle_vectors_are_exact(clothomix, tmp_path, hop_seconds):
    config = OracleEventsConfig(hop_seconds=hop_seconds)
    for split in CLIPS:
        build_events_cache(clothomix, config, split, progress=False, features_root=tmp_path)
        cached = load_events(clothomix, config, split, features_root=tmp_path)
        expected = _expected(clothomix, split, round(hop_seconds * 1000))
        assert sorted(cached) == sorted(expected) and len(cached) == CLIPS[split]
        for name, vectors in expected.items():
            np.testing.assert_array_equal(cached[name], vectors, err_msg=name)
            assert vectors.sum() > vectors.shape[0]  # a background and at least one event


def test_a_clip_without_ground_truth_is_an_error(tmp_path):
    dataset = make_clothomix(tmp_path / "clothomix")
    path = events_csv_path(dataset, "validation")
    lines = path.read_text(encoding="utf-8").splitlines()
    dropped = lines[1].split(",")[0]
    kept = [line for line in lines if not line.startswith(dropped + ",")]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=f"no row for '{dropped}'.*aacr data demo"):
        build_events_cache(dataset, OracleEventsConfig(), "validation", progress=False)
