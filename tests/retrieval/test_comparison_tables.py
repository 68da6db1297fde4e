"""The retrieval chapters' tables: R@k / mAP@10 with jackknife intervals, seeds and paired
differences against each row's reference, from fabricated run directories with known
rankings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aacr_lib.errors import DataError
from aacr_lib.experiments import ExperimentResult
from aacr_lib.retrieval.display import (
    comparison_table,
    paired_difference,
    paired_differences,
    ranking_scores,
    reference_pairs,
    results_table,
    system_scores,
)
from tests.fabricate_runs import RANKED_CLIPS, missing, retrieval_run


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    random = retrieval_run(runs, "b", "random")
    return {
        "baseline": ExperimentResult("baseline", "Baseline", random),
        "baseline_events_oracle": ExperimentResult(
            "baseline_events_oracle",
            "Baseline + oracle events",
            retrieval_run(runs, "o", "perfect"),
        ),
        "baseline_events_tagger": ExperimentResult(  # the baseline's own ranking
            "baseline_events_tagger", "Baseline + tagger events", random
        ),
        "baseline_events_panns": missing(
            "baseline_events_panns", "Baseline + panns events", "PANNs weights are missing"
        ),
        "sentence_transformer": ExperimentResult(
            "sentence_transformer", "Sentence transformer", retrieval_run(runs, "s", "perfect")
        ),
        "sentence_transformer_events_oracle": ExperimentResult(
            "sentence_transformer_events_oracle",
            "Sentence transformer + oracle events",
            retrieval_run(runs, "so", "random", seed=1),
        ),
    }


def test_each_row_is_paired_with_its_own_reference():
    labels = ["baseline", "baseline_events_oracle", "sentence_transformer",
              "sentence_transformer_events_oracle", "lstm"]  # fmt: skip
    assert reference_pairs(labels) == {
        "baseline_events_oracle": "baseline",
        "sentence_transformer_events_oracle": "sentence_transformer",
        "lstm": "baseline",
    }


def test_the_table_has_scores_with_intervals_differences_and_notes(results):
    table = comparison_table(results)
    assert list(table.columns) == ["R@1", "R@10", "mAP@10", "seeds", "Δ R@10", "Δ vs", "note"]
    assert list(table.index) == [r.title for r in results.values()]
    rows = {label: table.loc[r.title] for label, r in results.items()}
    assert rows["baseline"]["Δ R@10"] == "—" and rows["sentence_transformer"]["Δ vs"] == "—"
    oracle = rows["baseline_events_oracle"]
    assert oracle["R@1"] == "1.000 [1.000, 1.000]" and oracle["Δ vs"] == "Baseline"
    assert oracle["Δ R@10"].startswith("+") and oracle["Δ R@10"].endswith(" *")
    assert rows["baseline_events_tagger"]["Δ R@10"] == "+0.000 [+0.000, +0.000]"  # unmarked
    worse = rows["sentence_transformer_events_oracle"]
    assert worse["Δ vs"] == "Sentence transformer"
    assert worse["Δ R@10"].startswith("-") and worse["Δ R@10"].endswith(" *")
    panns = rows["baseline_events_panns"]
    assert panns["R@10"] == "n/a" and panns["Δ R@10"] == "n/a"
    assert panns["note"] == "PANNs weights are missing"
    # the scores are those of the run's own DCASE evaluation
    _, scores = ranking_scores(results["baseline"].run)
    low, high = scores.ci["r10"]
    assert rows["baseline"]["R@10"] == f"{scores.metrics['r10']:.3f} [{low:.3f}, {high:.3f}]"


def test_the_differences_pair_the_same_queries(results):
    differences = paired_differences(results)
    assert set(differences) == {
        "baseline_events_oracle",
        "baseline_events_tagger",
        "baseline_events_panns",
        "sentence_transformer_events_oracle",
    }
    oracle = differences["baseline_events_oracle"]
    assert oracle.a == 1.0 and math.isclose(oracle.difference, oracle.a - oracle.b)
    assert oracle.interval[0] > 0 and math.isnan(oracle.p_value)  # the jackknife has none
    same = differences["baseline_events_tagger"]
    assert same.difference == 0.0 and same.interval[0] <= 0 <= same.interval[1]
    assert differences["baseline_events_panns"] is None
    chosen = paired_differences(results, pairs={"baseline_events_oracle": "sentence_transformer"})
    assert (
        list(chosen) == ["baseline_events_oracle"]
        and chosen["baseline_events_oracle"].difference == 0
    )


def test_runs_of_different_queries_are_not_paired(results, tmp_path):
    other = retrieval_run(tmp_path, "x", "perfect", clips=RANKED_CLIPS[:20])
    with pytest.raises(DataError, match="different queries"):
        paired_difference(other, results["baseline"].run)


def test_several_seeds_pool_their_per_query_scores(results, tmp_path):
    perfect, random = results["sentence_transformer"].run, results["baseline"].run
    seeded = ExperimentResult("lstm", "LSTM", perfect, seed_runs=(perfect, random))
    scores = system_scores(seeded)
    alone = [ranking_scores(run)[1].metrics["r10"] for run in (perfect, random)]
    assert scores.seeds == 2
    assert math.isclose(scores.metrics["r10"], sum(alone) / 2)
    assert math.isclose(scores.std["r10"], float(np.std(alone, ddof=1)))
    difference = paired_difference(seeded, results["baseline"])
    assert math.isclose(difference.difference, (alone[0] - alone[1]) / 2)
    assert difference.seeds == 1


def test_the_results_table_adds_seeds_and_differences_to_the_report(results):
    chosen = {k: results[k] for k in ("baseline", "baseline_events_oracle", "sentence_transformer")}
    table = results_table(chosen)
    rows = {label: table.loc[r.title] for label, r in chosen.items()}
    assert rows["baseline"]["Δ R@10"] == "—" and rows["baseline"]["seeds"] == 1
    assert rows["sentence_transformer"]["Δ vs"] == "Baseline"
    assert rows["sentence_transformer"]["Δ R@10"].endswith(" *")
    assert "report R@10" in table.columns
    without = results_table({"sentence_transformer": results["sentence_transformer"]})
    assert without.iloc[0]["Δ R@10"] == "—"  # no baseline in the table: nothing to pair with
