"""End to end on CPU: a toy baseline run through the shared loop, its files and its scores."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aacr_lib.evaluation.io import read_ranking, read_references
from aacr_lib.evaluation.retrieval import evaluate_ranking
from aacr_lib.retrieval.run import (
    HISTORY_FILE,
    REFERENCES_FILE,
    SUBMISSION_FILE,
    load_trained,
    read_history,
    train_retrieval,
)
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
    assert (toy_run.path / "text_encoder" / "word2vec.kv").is_file()
    history = read_history(toy_run)
    assert [e["epoch"] for e in history] == [1, 2]
    assert {"train_loss", "val_loss", "lr"} <= set(history[0])
    assert set(history[0]["metrics"]) == {"r1", "r5", "r10", "map10"}
    assert json.loads((toy_run.path / HISTORY_FILE).read_text()) == history


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
    assert again.complete and read_history(again) == read_history(toy_run)


def test_trained_model_embeds_equal_length_clips_independently_of_the_batch(toy_run):
    trained = load_trained(toy_run)
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal((40, 64)).astype(np.float32) - 10 for _ in range(3)]
    together = trained.embed_features(clips)
    alone = np.concatenate([trained.embed_features([clip]) for clip in clips])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert trained.embed_text(["a low hum drones"]).shape == (1, 300)


def test_training_uses_the_loops_plateau_schedule():
    from aacr_lib.retrieval.experiments import resolve_config
    from aacr_lib.retrieval.task import loop_config

    config = resolve_config("baseline", "paper")
    loop = loop_config(config)
    assert loop.schedule == "plateau"
    assert (loop.plateau_factor, loop.plateau_patience, loop.plateau_threshold) == (0.1, 5, 0.01)
    assert loop.plateau_threshold_mode == "abs" and loop.max_grad_norm == 0.0


def test_collate_expands_clip_examples_into_pairs_and_looks_up_text_vectors():
    from aacr_lib.retrieval.task import RetrievalCollate, TextTable

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
    from aacr_lib.retrieval.experiments import resolve_config
    from aacr_lib.retrieval.run import feature_caches, load_splits
    from aacr_lib.retrieval.task import FeatureLoader, RetrievalTask, TextTable, build_model

    for examples, expected in (("pairs", 12 * 5), ("clips", 12)):
        config = resolve_config(
            "baseline",
            "smoke",
            [f"training.examples={examples}", "model.audio.channels=[4,8,8,8,8]"],
        )
        splits = load_splits(config, toy_dataset)
        caches = feature_caches(config, toy_dataset, splits, progress=False)
        captions = [c for items in splits.values() for item in items for c in item.captions]
        table = TextTable(captions, np.ones((len(captions), 300), dtype=np.float32))
        task = RetrievalTask(
            config,
            build_model(config, 64, 300),
            table,
            splits["development"],
            splits["validation"],
            FeatureLoader(caches["development"]),
            FeatureLoader(caches["validation"]),
        )
        assert len(task.train_dataset) == expected
        batch = task.collate_fn([task.train_dataset[i] for i in range(4)])
        assert task.batch_size_of(batch) == (4 if examples == "pairs" else 20)
        assert torch.isfinite(task.loss(task.model.train(), batch))
