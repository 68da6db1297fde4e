"""The `events_tagger` feature kind: a trained run's probabilities, cached like any feature."""

from __future__ import annotations

import numpy as np
import pytest

import aacr_lib.tagging  # registers the kind
from aacr_lib.errors import PretrainedUnavailable
from aacr_lib.events.config import TaggerEventsConfig
from aacr_lib.events.vocabulary import NUM_CLASSES, clothomix_classes
from aacr_lib.features.cache import FeatureCache, build_feature_cache
from aacr_lib.features.registry import REGISTERED, check_available, make_config
from aacr_lib.features.splits import load_split
from aacr_lib.runs import create_run
from aacr_lib.tagging.inference import load_tagger
from tests.tagging.conftest import TOY_OVERRIDES


def test_importing_tagging_registers_the_kind():
    assert "events_tagger" in REGISTERED and aacr_lib.tagging.register_tagger_kind
    assert isinstance(make_config("events_tagger", run="x"), TaggerEventsConfig)


def test_the_cache_builds_from_the_run_under_the_runs_root(
    toy_run, tiny_clothomix, tmp_path, monkeypatch
):
    monkeypatch.setenv("AACR_RUNS", str(toy_run.path.parent))
    config = TaggerEventsConfig(run=toy_run.name)
    assert aacr_lib.tagging.tagger_events_config("smoke", TOY_OVERRIDES) == config
    out = tmp_path / "events.h5"
    path = build_feature_cache(
        tiny_clothomix, "events_tagger", "evaluation", out=out, config=config, progress=False
    )
    tagger = load_tagger(toy_run)
    split = load_split(tiny_clothomix, tagger.config.data, "evaluation", progress=False)
    with FeatureCache(path, config=config) as cache:
        assert cache.finished and len(cache) == len(split.items) and cache.dim == NUM_CLASSES
        for item in split.items:
            vectors = cache[item.file_name]
            (expected,) = tagger.probabilities([split.features[item.file_name]])
            assert vectors.shape == expected.shape == (13, NUM_CLASSES)  # 4 s clips
            np.testing.assert_allclose(vectors, expected, atol=1e-5)
            others = np.setdiff1d(np.arange(NUM_CLASSES), clothomix_classes())
            assert not vectors[:, others].any()


def test_a_missing_or_unfinished_run_names_the_training_command(tmp_path, monkeypatch):
    monkeypatch.setenv("AACR_RUNS", str(tmp_path))
    with pytest.raises(PretrainedUnavailable, match="no such tagging run") as missing:
        check_available(TaggerEventsConfig(run="tagging-baseline-0123456789"))
    assert "aacr train tagging --experiment baseline --profile demo" in str(missing.value)
    running = create_run("tagging", "baseline", {"model": {}}, 0, root=tmp_path)
    with pytest.raises(PretrainedUnavailable, match="not complete"):
        check_available(TaggerEventsConfig(run=running.name))
