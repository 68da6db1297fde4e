"""Captioning end to end on a toy dataset: train → checkpoint → interrupt/resume → same result."""

from __future__ import annotations

import csv
import json

import pytest

from aacr_lib.captioning.run import train_captioning
from aacr_lib.captioning.task import OUTPUTS_FILE
from aacr_lib.evaluation.captioning import CAPTION_METRICS
from aacr_lib.runs import HISTORY_FILE
from tests.captioning.conftest import TOY_OVERRIDES


def _captions(run):
    with open(run.path / OUTPUTS_FILE, newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_run_directory_holds_everything(toy_run):
    assert toy_run.complete
    for name in ("config.yaml", "run.json", "metrics.json", HISTORY_FILE, OUTPUTS_FILE):
        assert (toy_run.path / name).is_file(), name
    assert (toy_run.path / "tokenizer" / "tokenizer.json").is_file()
    assert (toy_run.checkpoints / "best" / "model.safetensors").is_file()
    metrics = toy_run.metrics()
    asked = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider_d", "spice", "spider")
    for name in asked:
        assert name in metrics and name in CAPTION_METRICS
    assert metrics["n_clips"] == 4 and metrics["epochs_trained"] == 2
    if metrics["spice"] is None:  # offline: said why
        assert "spice" in metrics["unavailable"] and "spider" in metrics["unavailable"]
    rows = _captions(toy_run)
    assert [row["file_name"] for row in rows] == [f"toy_{i:03d}.wav" for i in range(12, 16)]
    history = json.loads((toy_run.path / HISTORY_FILE).read_text())["epochs"]
    assert [e["epoch"] for e in history] == [1, 2]
    assert "cider_d" in history[0]["metrics"] and history[0]["metrics"]["n_clips"] == 4
    assert toy_run.info()["data_fingerprint"]


def test_interrupted_run_resumes_to_the_same_result(toy_run, toy_dataset, tmp_path):
    runs = tmp_path / "runs"
    first = train_captioning(
        "baseline",
        "smoke",
        TOY_OVERRIDES,
        data_dir=toy_dataset,
        runs_root=runs,
        progress=False,
        stop_after_epochs=1,
    )
    assert not first.complete and not (first.path / "metrics.json").exists()
    assert first.info()["status"] == "interrupted"
    # the same command again: same directory, continues from the epoch-1 checkpoint
    again = train_captioning(
        "baseline", "smoke", TOY_OVERRIDES, data_dir=toy_dataset, runs_root=runs, progress=False
    )
    assert again.path.name == toy_run.path.name and again.complete
    assert len(again.info()["starts"]) == 2
    ours, reference = again.metrics(), toy_run.metrics()
    for name in ("bleu_1", "rouge_l", "cider_d", "best_val_loss", "best_epoch"):
        assert ours[name] == reference[name], name
    assert _captions(again) == _captions(toy_run)
    history = json.loads((again.path / HISTORY_FILE).read_text())["epochs"]
    expected = json.loads((toy_run.path / HISTORY_FILE).read_text())["epochs"]
    assert [e["val_loss"] for e in history] == [e["val_loss"] for e in expected]
    # the training time of the run counts the epochs of both starts
    assert ours["epochs_trained"] == 2
    assert ours["train_seconds"] == pytest.approx(sum(e["seconds"] for e in history))


def test_a_finished_run_is_not_trained_again(toy_run, toy_dataset):
    before = toy_run.metrics()
    again = train_captioning(
        "baseline",
        "smoke",
        TOY_OVERRIDES,
        data_dir=toy_dataset,
        runs_root=toy_run.path.parent,
        progress=False,
    )
    assert again.path == toy_run.path and again.metrics() == before


def test_every_missing_asset_is_named_at_once_before_a_run_exists(tmp_path):
    """At the clotho profile with an empty cache, one error names VGGish and the bart-base
    tokenizer with both commands, and no run directory is made."""
    import pytest

    from aacr_lib.captioning.run import train_captioning
    from aacr_lib.errors import PretrainedUnavailable

    runs = tmp_path / "runs"
    with pytest.raises(PretrainedUnavailable) as error:
        train_captioning("baseline", "clotho", data_dir=tmp_path, runs_root=runs)
    message = str(error.value)
    assert message.startswith("2 assets are missing: VGGish")
    assert "aacr setup vggish; aacr setup bart_base_tokenizer" in message
    assert not runs.exists()
