"""The chapters' helpers: result tables with n/a rows, curves, example queries, model sizes."""

from __future__ import annotations

import matplotlib

from aacr_lib.experiments import ExperimentResult
from aacr_lib.retrieval import display
from aacr_lib.retrieval.book import model_sizes, sample_recordings

matplotlib.use("Agg")


def test_tables_put_ours_beside_the_report_and_show_n_a_with_the_reason(toy_run):
    results = {
        "baseline": ExperimentResult("baseline", "Baseline", toy_run),
        "vggish_features": ExperimentResult(
            "vggish_features", "VGGish features", None, "VGGish weights missing"
        ),
        "infonce": ExperimentResult("infonce", "InfoNCE", None, "not run"),
    }
    table = display.results_table(results)
    r10 = toy_run.metrics()["r10"]
    assert table.loc["Baseline", "ours R@10"].startswith(f"{r10:.3f} [")
    assert table.loc["Baseline", "report R@10"] == "0.16"
    assert table.loc["VGGish features", "ours R@1"] == "n/a"
    assert table.loc["VGGish features", "note"] == "VGGish weights missing"
    assert table.loc["InfoNCE", "report R@10"] == "—"  # not a row of the report
    baseline = display.baseline_table(results["baseline"])
    assert list(baseline["R@10"][:2]) == ["0.19", "0.16"]
    assert "10 / 6" in display.chance_sentence(results["baseline"])
    history = display.history_frame(results)
    assert list(history["epoch"]) == [1, 2]
    assert display.plot_training_curves(results) is not None
    assert display.best_result(results).name == "baseline"


def test_example_queries_show_a_hit_a_near_miss_and_a_miss_when_there_are(toy_run):
    examples = display.query_examples(ExperimentResult("baseline", "Baseline", toy_run), 3, 3)
    assert 1 <= len(examples) <= 3
    outcomes = [e["outcome"] for e in examples]
    # Each kind that occurs comes once, in this order, before the remaining queries.
    kinds = [o for o in ("first", "in the top 10", "missed") if o in outcomes]
    assert outcomes[: len(kinds)] == kinds
    for example in examples:
        assert len(example["ranked"]) == 3
        assert (example["rank"] == 1) == (example["ranked"][0] == example["target"])


def test_model_sizes_and_sampled_recordings(tmp_path, toy_dataset):
    sizes = model_sizes(["baseline", "caption_based"])
    assert sizes.loc[("baseline", "paper"), "trainable parameters"] == 732_354
    assert ("caption_based", "demo") not in sizes.index  # nothing trained there
    folder = sample_recordings(toy_dataset / "development", tmp_path / "sample", limit=4)
    links = sorted(p.name for p in folder.iterdir())
    assert len(links) == 4 and links[0] == "development_00_low.wav"


def test_history_of_experiments_without_runs_is_an_empty_table_not_a_crash():
    results = {"baseline": ExperimentResult("baseline", "Baseline", None, "VGGish missing")}
    frame = display.history_frame(results).set_index("epoch")  # chapter 06 does this
    assert frame.empty and "validation loss" in frame.columns
    display.plot_training_curves(results)
