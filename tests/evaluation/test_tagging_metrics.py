"""Sound-event metrics (`aacr_lib.evaluation.tagging`) on cases small enough to do by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aacr_lib.evaluation.tagging import (
    clip_map,
    clip_scores,
    clip_truth,
    segment_metrics,
    tagging_metrics,
)

REFERENCE = [
    ("a.wav", "Dog", 0.0, 2.0),  # segments 0 and 1 of 1 s
    ("a.wav", "Cat", 2.0, 3.0),  # segment 2
    ("b.wav", "Rain", 0.0, 4.0),  # segments 0..3
]
DURATIONS = {"a.wav": 4.0, "b.wav": 4.0}


def test_perfect_detection_has_f1_one_and_error_rate_zero():
    result = segment_metrics(REFERENCE, REFERENCE, durations=DURATIONS)
    assert result["f1"] == pytest.approx(1.0)
    assert result["error_rate"] == pytest.approx(0.0)
    assert result["n_reference"] == 2 + 1 + 4 and result["n_files"] == 2


def test_one_deleted_event_counts_one_deletion():
    # The cat is missed: segment 2 of a.wav has one reference and no system event, D = 1 of
    # N = 7 reference segment-labels; precision 6/6, recall 6/7, F1 = 2*6/(6+7) = 12/13.
    estimated = [row for row in REFERENCE if row[1] != "Cat"]
    result = segment_metrics(REFERENCE, estimated, durations=DURATIONS)
    assert result["deletion_rate"] == pytest.approx(1 / 7)
    assert result["substitution_rate"] == 0 and result["insertion_rate"] == 0
    assert result["error_rate"] == pytest.approx(1 / 7)
    assert result["precision"] == pytest.approx(1.0)
    assert result["recall"] == pytest.approx(6 / 7)
    assert result["f1"] == pytest.approx(12 / 13)


def test_a_wrong_label_is_a_substitution_and_an_extra_one_an_insertion():
    # a.wav only, 3 s: reference Dog in segment 0; the system says Cat there (S = 1) and Dog
    # in segment 2 (an insertion: nothing is there). ER = (1 + 0 + 1) / 1.
    reference = [{"filename": "a.wav", "event_label": "Dog", "onset": 0.0, "offset": 1.0}]
    estimated = [
        {"file_name": "a.wav", "label": "Cat", "onset": 0.0, "offset": 1.0},
        {"file_name": "a.wav", "label": "Dog", "onset": 2.0, "offset": 3.0},
    ]
    result = segment_metrics(reference, estimated, durations={"a.wav": 3.0})
    assert result["substitution_rate"] == pytest.approx(1.0)
    assert result["insertion_rate"] == pytest.approx(1.0)
    assert result["error_rate"] == pytest.approx(2.0)
    assert result["f1"] == pytest.approx(0.0)


def test_nothing_detected_is_f1_zero_not_nan():
    result = segment_metrics(REFERENCE, [], durations=DURATIONS)
    assert result["f1"] == 0.0 and result["error_rate"] == pytest.approx(1.0)
    assert math.isnan(result["precision"])


def test_events_of_files_without_a_duration_are_refused():
    with pytest.raises(ValueError, match="without a duration: b.wav"):
        segment_metrics(REFERENCE, [], durations={"a.wav": 4.0})


def test_clip_map_on_three_clips_by_hand():
    truth = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])  # the third class never occurs
    scores = np.array([[0.9, 0.2, 0.5], [0.3, 0.8, 0.1], [0.4, 0.1, 0.7]])
    # class 0: positives rank 1 and 2 -> AP 1; class 1: positives rank 1 and 3 -> (1 + 2/3) / 2
    assert clip_map(truth, scores) == pytest.approx((1 + 5 / 6) / 2)
    assert math.isnan(clip_map(np.zeros((2, 2)), np.ones((2, 2))))


def test_clip_scores_and_truth_come_from_frames_and_events():
    frames = [np.array([[0.1, 0.9], [0.7, 0.2]]), np.zeros((0, 2))]
    np.testing.assert_allclose(clip_scores(frames), [[0.7, 0.9], [0.0, 0.0]])
    truth = clip_truth(["a.wav", "b.wav"], REFERENCE, ["Cat", "Rain"])
    np.testing.assert_array_equal(truth, [[1, 0], [0, 1]])


def test_tagging_metrics_gathers_both():
    truth = clip_truth(["a.wav", "b.wav"], REFERENCE, ["Cat", "Dog", "Rain"])
    result = tagging_metrics(REFERENCE, REFERENCE, truth, truth.astype(float), durations=DURATIONS)
    assert result["segment_f1"] == pytest.approx(1.0) and result["segment_error_rate"] == 0
    assert result["clip_map"] == pytest.approx(1.0) and result["time_resolution"] == 1.0
