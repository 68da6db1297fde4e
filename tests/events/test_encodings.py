"""Encodings of probabilities `[T, C]`: shapes and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.events.encodings import (
    DetectedEvent,
    align_frames,
    detected_events,
    frame_probabilities,
    most_probable_class,
    multi_hot,
)
from aacr_lib.events.vocabulary import AUDIOSET_CLASSES, NO_EVENT, NUM_CLASSES


def test_align_frames_upsamples_by_overlap():
    two = np.array([[0.2], [0.8]])
    np.testing.assert_array_equal(align_frames(two, 4)[:, 0], [0.2, 0.2, 0.8, 0.8])
    # Target frame 1 spans [1/3, 2/3) of the clip: it overlaps both source frames.
    np.testing.assert_array_equal(align_frames(two, 3)[:, 0], [0.2, 0.8, 0.8])


def test_align_frames_downsamples_by_max():
    five = np.array([[1.0, 0.0], [5.0, 0.1], [2.0, 0.0], [0.0, 0.0], [3.0, 0.2]])
    # Target frame 0 spans [0, 2.5) source frames (0, 1, 2), frame 1 spans [2.5, 5) (2, 3, 4).
    np.testing.assert_array_equal(align_frames(five, 2), [[5.0, 0.1], [3.0, 0.2]])
    np.testing.assert_array_equal(align_frames(five, 1), [[5.0, 0.2]])
    np.testing.assert_array_equal(align_frames(five, 5), five)


def test_align_frames_edge_cases():
    assert align_frames(np.zeros((0, 3)), 4).shape == (4, 3)
    assert not align_frames(np.zeros((0, 3)), 4).any()
    assert align_frames(np.ones((3, 2)), 0).shape == (0, 2)
    with pytest.raises(ValueError, match="frames, classes"):
        align_frames(np.zeros(4), 2)


def test_frame_probabilities_are_float32():
    out = frame_probabilities(np.array([[0.25, 0.5]], dtype=np.float64), 3)
    assert out.dtype == np.float32 and out.shape == (3, 2)
    np.testing.assert_array_equal(out, [[0.25, 0.5]] * 3)


def test_most_probable_class_with_threshold():
    probabilities = np.array([[0.1, 0.7], [0.6, 0.3], [0.2, 0.4]])
    out = most_probable_class(probabilities, 3)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [1, 0, NO_EVENT])
    np.testing.assert_array_equal(most_probable_class(probabilities, 3, threshold=0.0), [1, 0, 1])
    # Aligned first: 6 frames repeat each source frame twice.
    np.testing.assert_array_equal(
        most_probable_class(probabilities, 6), [1, 1, 0, 0, NO_EVENT, NO_EVENT]
    )
    np.testing.assert_array_equal(most_probable_class(np.zeros((0, 5)), 2), [NO_EVENT] * 2)


def test_multi_hot():
    probabilities = np.array([[0.1, 0.7, 0.0], [0.6, 0.3, 0.5]])
    out = multi_hot(probabilities)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [1.0, 1.0, 1.0])  # 0.5 reaches the threshold
    np.testing.assert_array_equal(multi_hot(probabilities, threshold=0.65), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(multi_hot(np.zeros((0, 3))), [0.0, 0.0, 0.0])


def _probabilities() -> np.ndarray:
    probabilities = np.zeros((6, NUM_CLASSES), dtype=np.float32)
    probabilities[1:3, 3] = [0.6, 0.9]
    probabilities[4, 3] = 0.7
    probabilities[0, 10] = 0.8
    probabilities[5, 20] = 0.4  # under the threshold
    return probabilities


def test_detected_events_are_segments_sorted_by_onset():
    events = detected_events(_probabilities(), hop_seconds=0.5)
    assert events == [
        DetectedEvent(AUDIOSET_CLASSES[10], 10, 0.0, 0.5, pytest.approx(0.8)),
        DetectedEvent(AUDIOSET_CLASSES[3], 3, 0.5, 1.5, pytest.approx(0.9)),
        DetectedEvent(AUDIOSET_CLASSES[3], 3, 2.0, 2.5, pytest.approx(0.7)),
    ]
    assert isinstance(events[0].confidence, float)


def test_detected_events_options():
    probabilities = _probabilities()
    long_only = detected_events(probabilities, 0.5, min_duration=0.6)
    assert [(e.index, e.onset, e.offset) for e in long_only] == [(3, 0.5, 1.5)]
    only_ten = detected_events(probabilities, 0.5, classes=[10])
    assert [e.index for e in only_ten] == [10]
    low = detected_events(probabilities, 0.5, threshold=0.35)
    assert [(e.index, e.onset) for e in low][-1] == (20, 2.5)
    # Times on a 0.32 s grid stay round numbers.
    assert detected_events(probabilities, 0.32)[-1].onset == 1.28
    with pytest.raises(ValueError, match="527"):
        detected_events(np.zeros((2, 3)), 0.5)
