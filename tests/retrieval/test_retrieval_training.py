"""End to end on CPU: a toy baseline run through the shared loop, its files and its scores."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aacr_lib.evaluation.io import read_ranking, read_references
from aacr_lib.evaluation.retrieval import evaluate_ranking
from aacr_lib.features.splits import load_splits
from aacr_lib.retrieval.experiments import resolve_config
from aacr_lib.retrieval.inference import load_trained
from aacr_lib.retrieval.ranking import REFERENCES_FILE, SUBMISSION_FILE
from aacr_lib.retrieval.run import train_retrieval
from aacr_lib.retrieval.task import (
    RetrievalCollate,
    RetrievalTask,
    TextTable,
    build_retrieval_model,
)
from aacr_lib.runs import HISTORY_FILE
from tests.retrieval.conftest import TOY_OVERRIDES


def test_toy_run_writes_metrics_submission_history_and_checkpoints(toy_run):
    metrics = toy_run.metrics()
    for key in ("r1", "r5", "r10", "map10"):
        assert 0.0 <= metrics[key] <= 1.0
        low, high = metrics["ci"][key]
        assert low <= metrics[key] + 1e-9 and metrics[key] <= high + 1e-9
    assert metrics["n_queries"] == 6 * 5 and metrics["n_clips"] == 6
    assert metrics["chance_r10"] == 1.0  # 10 / 6 clips, capped
    assert toy_run.complete
    assert (toy_run.checkpoints / "best" / "model.safetensors").is_file()
    assert (toy_run.path / "text_encoder" / "word2vec.npy").is_file()
    history = toy_run.history()
    assert [e["epoch"] for e in history] == [1, 2]
    assert {"train_loss", "val_loss", "lr"} <= set(history[0])
    assert set(history[0]["metrics"]) == {"r1", "r5", "r10", "map10"}
    document = json.loads((toy_run.path / HISTORY_FILE).read_text())
    assert document == {"task": "retrieval", "experiment": "baseline", "epochs": history}
    assert metrics["epochs_trained"] == 2 and metrics["train_seconds"] > 0


def test_submission_rescored_by_the_evaluation_module_gives_the_same_numbers(toy_run):
    ranking = read_ranking(toy_run.path / SUBMISSION_FILE)
    assert len(ranking.file_names[0]) == 6  # every clip: the split has fewer than 10
    result = evaluate_ranking(ranking, read_references(toy_run.path / REFERENCES_FILE))
    metrics = toy_run.metrics()
    for key in ("r1", "r5", "r10", "map10"):
        assert result.metrics[key] == pytest.approx(metrics[key])
        assert list(result.ci[key]) == pytest.approx(metrics["ci"][key])


def test_rerunning_a_complete_config_reuses_its_run(toy_run, toy_dataset):
    again = train_retrieval(
        "baseline",
        "smoke",
        TOY_OVERRIDES,
        data_dir=toy_dataset,
        runs_root=toy_run.path.parent,
        progress=False,
    )
    assert again.path == toy_run.path
    assert len(again.info()["starts"]) == 1  # not reopened: it was complete
    assert again.complete and again.history() == toy_run.history()


def test_trained_model_embeds_equal_length_clips_independently_of_the_batch(toy_run):
    trained = load_trained(toy_run)
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal((40, 64)).astype(np.float32) - 10 for _ in range(3)]
    together = trained.embed_features(clips)
    alone = np.concatenate([trained.embed_features([clip]) for clip in clips])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert trained.embed_text(["a low hum drones"]).shape == (1, 300)


def test_training_uses_the_shared_config_with_the_baselines_plateau_schedule():
    loop = resolve_config("baseline", "paper").training
    assert loop.schedule == "plateau"
    assert (loop.plateau_factor, loop.plateau_patience, loop.plateau_threshold) == (0.1, 5, 0.01)
    assert loop.plateau_threshold_mode == "abs" and loop.max_grad_norm == 0.0
    assert (loop.grad_accumulation, loop.seed, loop.early_stopping_patience) == (1, 16, 10)
    # every setting of the shared loop is reachable by KEY=VALUE, mixed precision included
    overridden = resolve_config("baseline", "paper", ["training.mixed_precision=bf16"]).training
    assert overridden.mixed_precision == "bf16"


def test_collate_expands_clip_examples_into_pairs_and_looks_up_text_vectors():
    table = TextTable(["a", "b", "c"], np.eye(3, dtype=np.float32))
    collate = RetrievalCollate(table)
    frames = np.zeros((8, 2), dtype=np.float32)
    pairs = collate([(frames, "c", "x.wav"), (frames[:5], "a", "y.wav")])
    assert pairs["pair_clip"].tolist() == [0, 1]
    assert pairs["text_vectors"].argmax(1).tolist() == [2, 0]
    assert pairs["lengths"].tolist() == [8, 5]
    clips = collate([(frames, ("a", "b"), "x.wav"), (frames, ("c",), "y.wav")])
    assert clips["pair_clip"].tolist() == [0, 0, 1]
    assert clips["pair_captions"] == ["a", "b", "c"]
    assert clips["text_vectors"].shape == (3, 3)


def test_pairs_and_clips_training_examples(toy_dataset):
    for examples, expected in (("pairs", 12 * 5), ("clips", 12)):
        config = resolve_config(
            "baseline",
            "smoke",
            [f"data.examples={examples}", "model.audio.channels=[4,8,8,8,8]"],
        )
        splits = load_splits(toy_dataset, config.data, progress=False)
        captions = [c for split in splits.values() for item in split.items for c in item.captions]
        table = TextTable(captions, np.ones((len(captions), 300), dtype=np.float32))
        task = RetrievalTask(
            config,
            build_retrieval_model(config, 64, 300),
            table,
            splits["development"],
            splits["validation"],
        )
        assert len(task.train_dataset) == expected
        batch = task.collate_fn([task.train_dataset[i] for i in range(4)])
        assert task.batch_size_of(batch) == (4 if examples == "pairs" else 20)
        assert torch.isfinite(task.loss(task.model.train(), batch))
