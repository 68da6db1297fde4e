"""Chapter 08's captioning table: scores with bootstrap intervals and paired differences, from
fabricated run directories (known captions) and a fabricated evaluation split."""

from __future__ import annotations

import csv

import pytest

from aacr_lib.captioning import display
from aacr_lib.captioning.display import events_differences, events_table
from aacr_lib.captioning.task import OUTPUTS_FILE
from aacr_lib.experiments import ExperimentResult
from aacr_lib.runs import create_run

pytestmark = pytest.mark.java

ANIMALS = ["dog", "cat", "bird", "cow", "horse", "frog", "duck", "goat", "sheep", "owl"]
PLACES = ["park", "kitchen", "forest", "street", "river", "barn", "garden", "station", "beach"]
CLIPS = [f"clip_{i:02d}.wav" for i in range(12)]


def references(index: int) -> list[str]:
    animal, place = ANIMALS[index % len(ANIMALS)], PLACES[index % len(PLACES)]
    return [
        f"a {animal} calls in the {place}",
        f"the {animal} makes noise near the {place}",
        f"a {animal} is heard at the {place}",
        f"someone hears a {animal} in a {place}",
        f"a loud {animal} in the {place}",
    ]


def fabricated_run(root, name: str, captions: list[str]):
    run = create_run("captioning", name, {"data": {"evaluation_split": "evaluation"}}, 0, root=root)
    run.write_outputs(
        [{"file_name": c, "caption_predicted": t} for c, t in zip(CLIPS, captions, strict=True)],
        OUTPUTS_FILE,
    )
    run.finish()
    return run


@pytest.fixture(scope="module")
def fabricated(tmp_path_factory):
    """An evaluation split and runs with known captions: `final` says the wrong animal and
    place everywhere, `final_events_oracle` gives a reference caption, `final_events_tagger`
    repeats `final`, `final_events_panns` has no run."""
    data = tmp_path_factory.mktemp("data")
    with open(data / "clotho_captions_evaluation.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", *(f"caption_{i}" for i in range(1, 6))])
        for index, clip in enumerate(CLIPS):
            writer.writerow([clip, *references(index)])
    runs = tmp_path_factory.mktemp("runs")
    wrong = [f"a {ANIMALS[(i + 3) % 10]} rustles by the {PLACES[(i + 4) % 9]}" for i in range(12)]
    right = [references(i)[0] for i in range(12)]
    results = {
        "final": ExperimentResult("final", "Final architecture", fabricated_run(runs, "f", wrong)),
        "final_events_oracle": ExperimentResult(
            "final_events_oracle", "Final + oracle events", fabricated_run(runs, "o", right)
        ),
        "final_events_tagger": ExperimentResult(
            "final_events_tagger", "Final + tagger events", fabricated_run(runs, "t", wrong)
        ),
        "final_events_panns": ExperimentResult(
            "final_events_panns", "Final + PANNs events", None, "PANNs weights are missing"
        ),
    }
    return data, results


def test_the_table_has_scores_with_intervals_differences_and_notes(fabricated):
    data, results = fabricated
    table = events_table(results, data)
    delta = "Δ CIDEr-D vs Final architecture"
    assert list(table.columns) == ["CIDEr-D", "BLEU-4", "ROUGE-L", delta, "p-value", "note"]
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


def test_the_differences_are_those_of_the_table_and_computed_once(fabricated, monkeypatch):
    data, results = fabricated
    events_table(results, data)  # scored (or found scored) once per pair of runs

    def no_second_scoring(*args, **kwargs):
        raise AssertionError("a comparison was scored twice")

    monkeypatch.setattr(display, "compare_captions", no_second_scoring)
    differences = events_differences(results, data)
    assert list(differences) == ["final_events_oracle", "final_events_tagger", "final_events_panns"]
    oracle = differences["final_events_oracle"]
    assert oracle.difference > 0 and oracle.interval[0] > 0 and oracle.a > oracle.b
    assert differences["final_events_tagger"].difference == 0.0
    assert differences["final_events_panns"] is None
    assert events_table(results, data).equals(events_table(results, data))


def test_without_a_reference_run_every_difference_is_na(fabricated):
    data, results = fabricated
    missing = {
        "final": ExperimentResult("final", "Final architecture", None, "not trained"),
        "final_events_oracle": results["final_events_oracle"],
    }
    table = events_table(missing, data, metrics=("cider_d",))
    assert list(table.columns) == [
        "CIDEr-D",
        "Δ CIDEr-D vs Final architecture",
        "p-value",
        "note",
    ]
    assert table.iloc[0]["CIDEr-D"] == "n/a" and table.iloc[0]["note"] == "not trained"
    assert table.iloc[1]["CIDEr-D"] != "n/a"  # scored on its own
    assert table.iloc[1]["Δ CIDEr-D vs Final architecture"] == "n/a"
    assert table.iloc[1]["note"] == "Δ n/a: Final architecture has no run (not trained)"
    assert events_differences(missing, data) == {"final_events_oracle": None}
