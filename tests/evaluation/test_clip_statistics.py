"""A run keeps its final scoring's per-clip statistics; read back, they give the same corpus
scores, intervals and paired tests as scoring again (`save_clip_statistics`)."""

from __future__ import annotations

import numpy as np
import pytest

from aacr_lib.evaluation import bootstrap as bs
from aacr_lib.evaluation.captioning import (
    evaluate_captions,
    load_clip_statistics,
    save_clip_statistics,
    statistic_from_per_clip,
)

pytestmark = pytest.mark.java

REFERENCES = {
    f"clip_{i}.wav": [f"a dog barks near number {i}", f"a dog is barking by the {i} road"]
    for i in range(8)
}
GOOD = {name: refs[0] for name, refs in REFERENCES.items()}
WEAK = {name: "a car passes by" if i % 2 else refs[1] for i, (name, refs) in
        enumerate(REFERENCES.items())}  # fmt: skip
METRICS = ("bleu_1", "bleu_4", "meteor", "rouge_l", "cider_d")


@pytest.fixture(scope="module")
def scored():
    return evaluate_captions(GOOD, REFERENCES, METRICS), evaluate_captions(
        WEAK, REFERENCES, METRICS
    )


def test_the_kept_statistics_reduce_to_the_same_scores_and_intervals(scored, tmp_path):
    good, _ = scored
    save_clip_statistics(tmp_path / "stats.npz", good)
    names, statistics = load_clip_statistics(tmp_path / "stats.npz")
    assert names == tuple(REFERENCES)
    assert set(statistics) == set(METRICS)
    for metric in METRICS:
        assert statistics[metric].value() == pytest.approx(good.metrics[metric], abs=1e-12)
    assert bs.bootstrap_intervals(statistics) == bs.bootstrap_intervals(good.statistics)


def test_paired_tests_from_kept_statistics_equal_scoring_again(scored, tmp_path):
    good, weak = scored
    save_clip_statistics(tmp_path / "good.npz", good)
    save_clip_statistics(tmp_path / "weak.npz", weak)
    kept = [load_clip_statistics(tmp_path / f"{n}.npz")[1] for n in ("good", "weak")]
    fresh = bs.paired_bootstrap(good.statistics, weak.statistics)
    again = bs.paired_bootstrap(*kept)
    for metric in METRICS:
        assert again[metric].difference == pytest.approx(fresh[metric].difference, abs=1e-12)
        assert again[metric].interval == pytest.approx(fresh[metric].interval, abs=1e-12)
    assert again["cider_d"].interval[0] > 0  # the good captions are clearly better


def test_pooled_seeds_are_the_mean_and_one_seed_is_the_plain_test(scored):
    good, weak = scored
    one = bs.paired_bootstrap_seeds([good.statistics], [weak.statistics])
    assert one == bs.paired_bootstrap(good.statistics, weak.statistics)
    pooled = bs.paired_bootstrap_seeds([good.statistics, weak.statistics], [weak.statistics])
    assert pooled["cider_d"].difference == pytest.approx(
        (good.metrics["cider_d"] - weak.metrics["cider_d"]) / 2
    )
    low, high = bs.bootstrap_intervals_seeds([good.statistics, weak.statistics])["cider_d"]
    assert low <= (good.metrics["cider_d"] + weak.metrics["cider_d"]) / 2 <= high


def test_an_unknown_metric_or_version_is_refused(scored, tmp_path):
    with pytest.raises(ValueError, match="unknown caption metric"):
        statistic_from_per_clip("fense", np.zeros((2, 1)))
    np.savez(tmp_path / "old.npz", version=np.array(0), file_names=np.array(["a"]))
    with pytest.raises(ValueError, match="version 0"):
        load_clip_statistics(tmp_path / "old.npz")
