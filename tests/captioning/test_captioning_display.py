"""Book tables: the report's numbers beside ours, n/a with a reason where ours are missing."""

from __future__ import annotations

import math

from aacr_lib.captioning.display import (
    compare_with_report,
    experiments_table,
    final_metrics_table,
    profiles_table,
    report_last_epochs,
    versus_trivial,
)
from aacr_lib.captioning.trivial import evaluate_trivial, most_frequent_caption
from aacr_lib.data.clotho import read_split


def test_report_table_beside_a_run(toy_run):
    frame, notes = compare_with_report(2, toy_run, "smoke")
    assert list(frame.columns[:3]) == ["report, epoch 1", "report, epoch 2", "report, epoch 3"]
    assert frame.loc["CIDEr-D", "report, epoch 3"] == 0.237
    assert "ours, epoch 1 (val.)" in frame.columns and "ours, epoch 2 (val.)" in frame.columns
    final = [c for c in frame.columns if c.startswith("ours, final")]
    assert len(final) == 1
    assert frame.loc["CIDEr-D", final[0]] == toy_run.metrics()["cider_d"]
    assert any("smoke profile" in note for note in notes)
    assert math.isnan(frame.loc["METEOR", "ours, epoch 1 (val.)"])  # not computed per epoch
    assert any("not computed per epoch" in note for note in notes)


def test_missing_run_is_na_with_its_reason():
    frame, notes = compare_with_report(1, None, "demo", reason="checkpoint not downloaded")
    assert frame["ours (demo)"].isna().all()
    assert any("checkpoint not downloaded" in note for note in notes)


def test_trivial_system(toy_dataset, toy_run, tmp_path):
    items = read_split(toy_dataset, "development")
    caption = most_frequent_caption(items)
    assert caption in {c for item in items for c in item.normalized_captions}
    trivial = evaluate_trivial("smoke", toy_dataset, tmp_path)
    assert trivial.complete and trivial.metrics()["caption"] == caption
    assert "trivial system" in versus_trivial(toy_run, trivial)
    frame, notes = final_metrics_table({"ours": toy_run, "trivial": trivial, "missing": None})
    assert list(frame.index) == ["ours", "trivial", "missing"]
    assert (frame.loc["missing", ["BLEU-4", "CIDEr-D"]] == "n/a").all()
    # a score with its 95 % bootstrap interval, and the difference with the first system
    value, interval = frame.loc["trivial", "CIDEr-D"].split(" ", 1)
    low, high = (float(x) for x in interval.strip("[]").split(", "))
    assert low <= float(value) <= high
    assert frame.loc["trivial", "Δ CIDEr-D vs ours"].startswith(("+", "-"))
    assert frame.loc["ours", "Δ CIDEr-D vs ours"] == "—"
    assert frame.loc["trivial", "seeds"] == 1
    assert "missing n/a: no run" in notes


def test_overview_tables():
    table = experiments_table("demo", ["baseline", "layers7"])
    assert table.loc["baseline", "parameters (paper)"] == "139,519,488"
    assert table.loc["layers7", "parameters (paper)"] == "156,059,136"
    assert set(profiles_table().columns) == {"paper", "demo"}
    assert report_last_epochs(["final"]).iloc[6, 0] == 0.321  # CIDEr-D at epoch 20


def test_a_missing_asset_gives_na_rows_and_the_fix_everywhere(toy_dataset, toy_run, tmp_path):
    """What chapters 03-05 show when a pretrained asset is missing: every helper takes the
    result without a run, shows n/a with the reason, and nothing raises."""
    import matplotlib.pyplot as plt

    from aacr_lib.captioning.book import caption_table
    from aacr_lib.captioning.display import plot_learning_curves, show_examples
    from aacr_lib.experiments import ExperimentResult

    reason = "VGGish weights not in cache/vggish; fix: aacr setup vggish"
    missing = ExperimentResult("baseline", "DCASE 2022 baseline", None, reason)
    trained = ExperimentResult("final", "Final architecture", toy_run)

    frame, notes = compare_with_report(2, missing, "clotho")
    assert frame["ours (clotho)"].isna().all()
    assert any("aacr setup vggish" in note for note in notes)

    frame, notes = final_metrics_table({"baseline": missing, "final": trained})
    assert (frame.loc["DCASE 2022 baseline", ["CIDEr-D", "seeds"]] == ["n/a", 0]).all()
    assert frame.loc["Final architecture", "CIDEr-D"] != "n/a"
    assert frame.loc["Final architecture", "Δ CIDEr-D vs DCASE 2022 baseline"] == "n/a"
    assert notes[0] == f"DCASE 2022 baseline n/a: {reason}"

    trivial = evaluate_trivial("smoke", toy_dataset, tmp_path)
    sentence = versus_trivial(missing, trivial)
    assert "trained baseline n/a" in sentence and "aacr setup vggish" in sentence

    figure = plot_learning_curves({"baseline": missing, "final": trained})
    assert "n/a (no run): baseline" in figure._suptitle.get_text()
    assert figure.axes[0].get_legend_handles_labels()[1] == ["final"]
    plt.close(figure)
    figure = plot_learning_curves({"baseline": missing})  # no run at all: still a figure
    plt.close(figure)

    show_examples({"baseline": missing, "final": trained}, toy_dataset, count=1)
    files = [item.audio_path for item in read_split(toy_dataset, "evaluation")[:2]]
    table = caption_table(missing, files)
    assert list(table["file"]) == [f.name for f in files]
    assert all(caption == f"n/a: {reason}" for caption in table["caption"])


def test_beam_and_greedy_side_by_side_with_intervals_and_their_difference(toy_run, toy_dataset):
    from types import SimpleNamespace

    from aacr_lib.captioning.book import FAST_METRICS, decoding_comparison
    from aacr_lib.experiments import ExperimentResult

    context = SimpleNamespace(data_dir=toy_dataset, device="cpu")
    frame = decoding_comparison(context, ExperimentResult("baseline", "Baseline", toy_run))
    assert list(frame.columns) == ["beam", "greedy", "Δ greedy − beam"]
    assert len(frame) == len(FAST_METRICS) and frame.index[-1] == "CIDEr-D"
    value, interval = frame.loc["CIDEr-D", "beam"].split(" ", 1)
    low, high = (float(x) for x in interval.strip("[]").split(", "))
    assert low <= float(value) <= high
    assert frame.loc["CIDEr-D", "Δ greedy − beam"].startswith(("+", "-"))
    missing = decoding_comparison(context, ExperimentResult("baseline", "Baseline", None, "why"))
    assert (missing == "n/a").all().all()
