"""The piano roll and the terminal summary of a tagging run."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from aacr_lib.events.encodings import DetectedEvent  # noqa: E402
from aacr_lib.events.vocabulary import NUM_CLASSES, class_index  # noqa: E402
from aacr_lib.tagging.config import AugmentConfig  # noqa: E402
from aacr_lib.tagging.display import format_metrics, plot_piano_roll  # noqa: E402
from aacr_lib.tagging.task import TaggedClips  # noqa: E402

REFERENCE = [("rain", 0.0, 4.0), ("thunder", 1.0, 1.6)]  # ClothoMix labels


def _labels(ax) -> list[str]:
    return [tick.get_text() for tick in ax.get_yticklabels()]


def test_the_piano_roll_draws_true_and_detected_events_by_audioset_class():
    detected = [DetectedEvent("Rain", class_index("Rain"), 0.0, 3.84, 0.9)]
    ax = plot_piano_roll(None, detected, 0.32, REFERENCE, title="clip")
    assert _labels(ax) == ["Rain", "Thunder"]
    assert len(ax.collections) == 3  # two true bars, one detection
    assert ax.get_xlim() == (0.0, 4.0)
    plt.close("all")


def test_the_piano_roll_of_probabilities_shows_them_as_a_heat_map():
    probabilities = np.zeros((13, NUM_CLASSES), dtype=np.float32)
    probabilities[2:5, class_index("Thunder")] = 0.8
    probabilities[:, class_index("Wind")] = 0.2  # below the threshold: not a row
    _, ax = plt.subplots()
    assert plot_piano_roll(ax, probabilities, 0.32, REFERENCE, duration=4.0) is ax
    assert _labels(ax) == ["Rain", "Thunder"] and len(ax.images) == 1
    # nothing detected, nothing true: the most probable classes are shown
    ax = plot_piano_roll(None, probabilities * 0.1, 0.32)
    assert _labels(ax)[:2] == ["Thunder", "Wind"]  # by highest probability
    plt.close("all")


def test_format_metrics_is_a_few_aligned_lines():
    text = format_metrics(
        {"segment_f1": 0.5, "segment_error_rate": 0.75, "clip_map": 0.6, "n_clips": 4,
         "n_reference_events": 9, "n_detected_events": 3, "threshold": 0.5,
         "epochs_trained": 2, "best_epoch": 2, "train_seconds": 1.5}
    )  # fmt: skip
    assert "segment F1 (1 s segments)    0.5000" in text and "clip mAP" in text
    assert "4 clips, 9 true events, 3 detected events (threshold 0.5)" in text


def test_mixing_augmentation_adds_powers_and_unites_targets():
    features = {"a": np.full((32, 4), -5.0, np.float32), "b": np.full((32, 4), -5.0, np.float32)}
    targets = {"a": np.array([[1.0, 0.0]] * 2), "b": np.array([[0.0, 1.0]] * 2)}
    items = [type("Item", (), {"file_name": name})() for name in features]
    clips = TaggedClips(items, features, targets, AugmentConfig(mix=1.0))
    torch.manual_seed(0)
    mixed, united, name = clips[0]
    assert name == "a" and np.allclose(mixed, -5.0 + np.log(2.0))  # equal powers: twice as loud
    np.testing.assert_array_equal(united, [[1.0, 1.0]] * 2)
    plain = TaggedClips(items, features, targets)
    np.testing.assert_array_equal(plain[0][0], features["a"])
