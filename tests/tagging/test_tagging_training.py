"""The tagging task end to end on the tiny ClothoMix: run directory, resume, targets, model."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
import torch

from aacr_lib.audio import audio_info
from aacr_lib.errors import ConfigError, PretrainedUnavailable
from aacr_lib.events.oracle import frame_count, oracle_probabilities, read_clothomix_events
from aacr_lib.events.vocabulary import AUDIOSET_CLASSES, NUM_CLASSES, clothomix_classes
from aacr_lib.features.splits import load_split
from aacr_lib.models.events.tagger import SoundEventTagger
from aacr_lib.runs import HISTORY_FILE
from aacr_lib.tagging.experiments import EXPERIMENT_SET, resolve_config
from aacr_lib.tagging.inference import EVENTS_COLUMNS, EVENTS_FILE, load_tagger
from aacr_lib.tagging.run import missing_requirements, train_tagging
from aacr_lib.tagging.task import clip_targets, split_targets
from tests.tagging.conftest import TOY_OVERRIDES


def test_the_run_directory_holds_config_history_checkpoints_events_and_metrics(toy_run):
    assert toy_run.name.startswith("tagging-baseline-") and toy_run.complete
    for name in ("config.yaml", "run.json", "history.json", "metrics.json", "classes.json"):
        assert (toy_run.path / name).is_file(), name
    assert (toy_run.checkpoints / "best" / "model.safetensors").is_file()
    assert json.loads((toy_run.path / "classes.json").read_text())["classes"] == clothomix_classes()
    history = toy_run.history()
    assert [epoch["epoch"] for epoch in history] == [1, 2]
    assert set(history[0]["metrics"]) == {"frame_f1", "clip_map"}
    document = json.loads((toy_run.path / HISTORY_FILE).read_text())
    assert document["task"] == "tagging" and document["experiment"] == "baseline"
    metrics = toy_run.metrics()
    for key in ("segment_f1", "segment_error_rate", "clip_map"):
        assert math.isnan(metrics[key]) or metrics[key] >= 0, key
    assert 0 <= metrics["segment_f1"] <= 1 and 0 <= metrics["clip_map"] <= 1
    assert metrics["split"] == "evaluation" and metrics["n_clips"] == 4
    assert metrics["time_resolution"] == 1.0 and metrics["epochs_trained"] == 2
    with open(toy_run.path / EVENTS_FILE, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert tuple(reader.fieldnames) == EVENTS_COLUMNS
    assert len(rows) == metrics["n_detected_events"]
    assert all(row["label"] in AUDIOSET_CLASSES for row in rows)


def test_rerunning_a_complete_config_reopens_its_run(toy_run, tiny_clothomix):
    again = train_tagging(
        "baseline",
        "smoke",
        TOY_OVERRIDES,
        data_dir=tiny_clothomix,
        runs_root=toy_run.path.parent,
        progress=False,
    )
    assert again.path == toy_run.path and len(again.info()["starts"]) == 1


def test_an_interrupted_run_resumes_to_the_same_result(toy_run, tiny_clothomix, tmp_path):
    runs = tmp_path / "runs"
    first = train_tagging(
        "baseline",
        "smoke",
        TOY_OVERRIDES,
        data_dir=tiny_clothomix,
        runs_root=runs,
        progress=False,
        stop_after_epochs=1,
    )
    assert first.info()["status"] == "interrupted" and not (first.path / "metrics.json").exists()
    again = train_tagging(
        "baseline", "smoke", TOY_OVERRIDES, data_dir=tiny_clothomix, runs_root=runs, progress=False
    )
    assert again.name == toy_run.name and again.complete and len(again.info()["starts"]) == 2
    assert [e["val_loss"] for e in again.history()] == [e["val_loss"] for e in toy_run.history()]
    ours, reference = again.metrics(), toy_run.metrics()
    for key in ("segment_error_rate", "clip_map", "best_val_loss", "n_detected_events"):
        assert ours[key] == reference[key], key


def test_the_frame_targets_are_the_oracles(tiny_clothomix):
    config = resolve_config("baseline", "smoke")
    split = load_split(tiny_clothomix, config.data, "development", progress=False)
    events = read_clothomix_events(tiny_clothomix, "development")
    classes = clothomix_classes()
    targets = split_targets(split, events, 0.32, classes, frames_per_output=16)
    for item in split.items:
        duration = audio_info(item.audio_path).duration
        oracle = oracle_probabilities(events[item.file_name], duration, 0.32)
        assert targets[item.file_name].shape == (frame_count(duration, 0.32), len(classes))
        np.testing.assert_array_equal(targets[item.file_name], oracle[:, classes])
        # the background plays throughout: some class is on in every frame
        assert targets[item.file_name].max(axis=1).min() == 1.0
    # another frame count is matched by position in the clip
    rows = [("rain", 0.0, 4.0), ("thunder", 1.0, 1.5)]
    coarse = clip_targets(rows, 4.0, 0.32, classes, n_frames=4)
    assert (
        coarse.shape == (4, len(classes))
        and coarse[:, classes.index(AUDIOSET_CLASSES.index("Rain"))].all()
    )


def test_the_model_scatters_its_classes_into_the_527_vocabulary():
    torch.manual_seed(0)
    classes = [3, 100, 526]
    model = SoundEventTagger(64, classes, channels=(4, 8, 8), rnn_hidden=8).eval()
    features = torch.randn(2, 201, 64)
    with torch.no_grad():
        own = model.probabilities(features)
        full = model.probabilities_527(features)
    assert own.shape == (2, 13, 3) and full.shape == (2, 13, NUM_CLASSES)  # ceil(201 / 16)
    torch.testing.assert_close(full[..., classes], own)
    others = [i for i in range(NUM_CLASSES) if i not in classes]
    assert float(full[..., others].abs().max()) == 0.0
    # a clip's output does not depend on its batch mates (of the same length)
    with torch.no_grad():
        alone = model.probabilities_527(features[1:])
    torch.testing.assert_close(alone[0], full[1])
    with pytest.raises(ValueError, match="distinct"):
        SoundEventTagger(64, [3, 3])


def test_the_loaded_tagger_gives_probabilities_on_the_event_grid(toy_run):
    tagger = load_tagger(toy_run)
    assert tagger.classes == clothomix_classes() and tagger.hop_seconds == 0.32
    (probabilities,) = tagger.waveform_probabilities([np.zeros(16000 * 2, dtype=np.float32)])
    assert probabilities.shape == (7, NUM_CLASSES)  # 101 log-mel frames -> ceil(101 / 16)
    assert probabilities.dtype == np.float32


def test_the_clotho_profile_has_no_tagger(tmp_path):
    config = resolve_config("baseline", "clotho")
    (missing,) = missing_requirements(config)
    assert isinstance(missing, PretrainedUnavailable)
    assert "no onsets and offsets" in str(missing) and "PANNs" in str(missing)
    with pytest.raises(PretrainedUnavailable, match="training data with strong sound-event labels"):
        train_tagging(
            "baseline", "clotho", data_dir=tmp_path / "clotho", runs_root=tmp_path / "runs"
        )
    assert not (tmp_path / "runs").exists()  # refused before any run directory


def test_the_profiles_resolve_and_a_model_off_the_event_grid_is_refused():
    assert set(EXPERIMENT_SET.profiles) == {"demo", "clotho", "smoke"}
    demo = resolve_config("baseline", "demo")
    assert demo.data.dataset == "clothomix" and demo.training.epochs == 20
    assert demo.data.feature_options["sample_rate"] == 16000
    with pytest.raises(ConfigError, match="needs 16"):
        resolve_config("baseline", "demo", ["model.time_pools=[2,2,2]"])
    with pytest.raises(ConfigError, match="one entry per block"):
        resolve_config("baseline", "demo", ["model.channels=[8,8]"])
