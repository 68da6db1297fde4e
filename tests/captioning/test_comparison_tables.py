"""The captioning chapters' results table: scores with bootstrap intervals, seeds and paired
differences, from fabricated run directories (known captions) and a fabricated evaluation
split."""

from __future__ import annotations

import pytest

from aacr_lib.captioning import display
from aacr_lib.captioning.display import (
    comparison_table,
    final_metrics_table,
    paired_differences,
    system_scores,
)
from aacr_lib.captioning.outputs import read_captions
from aacr_lib.captioning.task import CLIP_STATISTICS_FILE, OUTPUTS_FILE, score_captions
from aacr_lib.experiments import ExperimentResult
from aacr_lib.runs import create_run
from tests.fabricate_runs import (
    CAPTION_CLIPS,
    RIGHT_CAPTIONS,
    WRONG_CAPTIONS,
    captioning_run,
    missing,
    references,
    write_evaluation_split,
)

pytestmark = pytest.mark.java


@pytest.fixture(scope="module")
def fabricated(tmp_path_factory):
    """An evaluation split and runs with known captions: `final` says the wrong animal and
    place everywhere, `final_events_oracle` gives a reference caption, `final_events_tagger`
    repeats `final`, `final_events_panns` has no run."""
    data = write_evaluation_split(tmp_path_factory.mktemp("data"))
    runs = tmp_path_factory.mktemp("runs")
    wrong, right = WRONG_CAPTIONS, RIGHT_CAPTIONS
    results = {
        "final": ExperimentResult("final", "Final architecture", captioning_run(runs, "f", wrong)),
        "final_events_oracle": ExperimentResult(
            "final_events_oracle", "Final + oracle events", captioning_run(runs, "o", right)
        ),
        "final_events_tagger": ExperimentResult(
            "final_events_tagger", "Final + tagger events", captioning_run(runs, "t", wrong)
        ),
        "final_events_panns": missing(
            "final_events_panns", "Final + PANNs events", "PANNs weights are missing"
        ),
    }
    return data, results


def test_the_table_has_scores_with_intervals_differences_and_notes(fabricated):
    data, results = fabricated
    table = comparison_table(results, data)
    delta = "Δ CIDEr-D vs Final architecture"
    assert list(table.columns) == [
        "CIDEr-D",
        "BLEU-4",
        "ROUGE-L",
        "seeds",
        delta,
        "p-value",
        "note",
    ]
    assert list(table.index) == [r.title for r in results.values()]
    assert table.index.name == "system"
    final, oracle, tagger, panns = (table.loc[r.title] for r in results.values())
    # "0.456 [0.401, 0.512]": a score and its 95 % bootstrap interval
    value, interval = oracle["CIDEr-D"].split(" ", 1)
    low, high = (float(x) for x in interval.strip("[]").split(", "))
    assert low <= float(value) <= high
    assert final[delta] == "—" and final["p-value"] == "—" and final["note"] == ""
    assert oracle[delta].startswith("+") and oracle[delta].endswith(" *")  # clearly better
    assert float(oracle["p-value"]) < 0.05
    assert tagger[delta] == "+0.000 [+0.000, +0.000]"  # the same captions: no difference
    assert float(tagger["p-value"]) == 1.0
    assert tagger["CIDEr-D"] == final["CIDEr-D"]
    assert panns["CIDEr-D"] == "n/a" and panns[delta] == "n/a"
    assert panns["note"] == "PANNs weights are missing"
    assert [final["seeds"], panns["seeds"]] == [1, 0]


def test_the_differences_are_those_of_the_table_and_computed_once(fabricated, monkeypatch):
    data, results = fabricated
    comparison_table(results, data)  # scored (or found scored) once per pair of runs

    def no_second_scoring(*args, **kwargs):
        raise AssertionError("a comparison was scored twice")

    monkeypatch.setattr(display, "evaluate_captions", no_second_scoring)
    differences = paired_differences(results, data)
    assert list(differences) == ["final_events_oracle", "final_events_tagger", "final_events_panns"]
    oracle = differences["final_events_oracle"]
    assert oracle.difference > 0 and oracle.interval[0] > 0 and oracle.a > oracle.b
    assert differences["final_events_tagger"].difference == 0.0
    assert differences["final_events_panns"] is None
    assert comparison_table(results, data).equals(comparison_table(results, data))


def test_without_a_reference_run_every_difference_is_na(fabricated):
    data, results = fabricated
    missing = {
        "final": ExperimentResult("final", "Final architecture", None, "not trained"),
        "final_events_oracle": results["final_events_oracle"],
    }
    table = comparison_table(missing, data, metrics=("cider_d",))
    assert list(table.columns) == [
        "CIDEr-D",
        "seeds",
        "Δ CIDEr-D vs Final architecture",
        "p-value",
        "note",
    ]
    assert table.iloc[0]["CIDEr-D"] == "n/a" and table.iloc[0]["note"] == "not trained"
    assert table.iloc[1]["CIDEr-D"] != "n/a"  # scored on its own
    assert table.iloc[1]["Δ CIDEr-D vs Final architecture"] == "n/a"
    assert table.iloc[1]["note"] == "Δ n/a: Final architecture has no run (not trained)"
    assert paired_differences(missing, data) == {"final_events_oracle": None}


def stored_copy(root, name: str, run):
    """A copy of `run` that kept its final scoring's per-clip statistics, as training does."""
    copy = create_run(
        "captioning", name, {"data": {"evaluation_split": "evaluation"}}, 0, root=root
    )
    predictions = read_captions(run.path / OUTPUTS_FILE)
    copy.write_outputs(
        [{"file_name": c, "caption_predicted": predictions[c]} for c in CAPTION_CLIPS],
        OUTPUTS_FILE,
    )
    return copy


def test_statistics_kept_by_the_run_give_the_same_table_without_scoring(
    fabricated, tmp_path, monkeypatch
):
    data, results = fabricated
    expected = comparison_table(results, data)
    references_of = {clip: references(i) for i, clip in enumerate(CAPTION_CLIPS)}
    kept = {}
    for label, result in results.items():
        if result.run is None:
            kept[label] = result
            continue
        copy = stored_copy(tmp_path, label, result.run)
        score_captions(
            read_captions(copy.path / OUTPUTS_FILE),
            references_of,
            ("bleu", "rouge_l", "cider_d"),
            statistics_path=copy.path / CLIP_STATISTICS_FILE,
        )
        copy.finish()
        kept[label] = ExperimentResult(result.name, result.title, copy)

    def no_scoring(*args, **kwargs):
        raise AssertionError("the run's own statistics should have been read")

    monkeypatch.setattr(display, "evaluate_captions", no_scoring)
    assert comparison_table(kept, data).equals(expected)


def test_several_seeds_give_a_spread_and_pooled_differences(fabricated, tmp_path):
    data, results = fabricated
    final, oracle = results["final"], results["final_events_oracle"]
    half = [references(i)[0] if i % 2 else f"a quiet hum number {i}" for i in range(12)]
    second = captioning_run(tmp_path, "second seed", half)
    seeded = {
        "final": final,
        "final_events_oracle": ExperimentResult(
            oracle.name, oracle.title, oracle.run, seed_runs=(oracle.run, second)
        ),
    }
    scores = system_scores(seeded["final_events_oracle"], data)
    alone = [system_scores(ExperimentResult("x", "x", run), data) for run in (oracle.run, second)]
    assert scores.seeds == 2
    assert scores.metrics["cider_d"] == pytest.approx(
        (alone[0].metrics["cider_d"] + alone[1].metrics["cider_d"]) / 2
    )
    assert scores.std["cider_d"] > 0
    row = comparison_table(seeded, data).loc[oracle.title]
    assert row["seeds"] == 2 and " ± " in row["CIDEr-D"]
    pooled = paired_differences(seeded, data)["final_events_oracle"]
    assert pooled.seeds == 1  # the reference has one seed: the pairs are as many
    single = paired_differences(results, data)["final_events_oracle"]
    assert pooled.difference < single.difference  # the weaker second seed pulls it down


def test_an_extra_reference_gets_its_own_difference_column(fabricated):
    data, results = fabricated
    table = comparison_table(results, data, also=["final_events_oracle"])
    column = "Δ CIDEr-D vs Final + oracle events"
    assert list(table.columns)[-2] == column
    assert table.loc["Final architecture", column].startswith("-")
    assert table.loc["Final + oracle events", column] == "—"
    assert table.loc["Final + PANNs events", column] == "n/a"


def test_the_final_table_says_why_a_difference_with_a_reference_without_a_run_is_na(
    fabricated, tmp_path
):
    """The chapters' table drops the note column: the reason of the n/a differences is among
    its notes instead, once however many systems it concerns."""
    data, _ = fabricated
    references_of = {clip: references(i) for i, clip in enumerate(CAPTION_CLIPS)}
    systems = {"final": missing("final", "Final architecture", "not trained")}
    for name, title, captions in [
        ("final_events_oracle", "Final + oracle events", RIGHT_CAPTIONS),
        ("final_events_tagger", "Final + tagger events", WRONG_CAPTIONS),
    ]:
        run = captioning_run(tmp_path, name, captions)
        # the run's final scoring, as training keeps it (the quick metrics only)
        scores = score_captions(
            dict(zip(CAPTION_CLIPS, captions, strict=True)),
            references_of,
            ("bleu", "rouge_l", "cider_d"),
            statistics_path=run.path / CLIP_STATISTICS_FILE,
        )
        run.write_metrics(scores)
        systems[name] = ExperimentResult(name, title, run)
    table, notes = final_metrics_table(systems, data_dir=data)
    assert "note" not in table.columns
    delta = "Δ CIDEr-D vs Final architecture"
    assert list(table[delta]) == ["—", "n/a", "n/a"]
    assert table.loc["Final + oracle events", "CIDEr-D"] != "n/a"  # scored on its own
    assert notes[:2] == [
        "Final architecture n/a: not trained",
        "Δ n/a: Final architecture has no run (not trained)",
    ]
    assert notes.count("Δ n/a: Final architecture has no run (not trained)") == 1
