"""What chapter 08 calls for the tagger: the run (or why there is none), its quality table, one
clip's true against detected events, and the conclusion computed from the differences."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from IPython.display import Audio, Markdown  # noqa: E402

from aacr_lib.captioning.task import OUTPUTS_FILE  # noqa: E402
from aacr_lib.data.clotho import read_split  # noqa: E402
from aacr_lib.evaluation.bootstrap import PairedDifference  # noqa: E402
from aacr_lib.experiments import ExperimentResult  # noqa: E402
from aacr_lib.profiles import NotebookContext, get_profile  # noqa: E402
from aacr_lib.runs import create_run  # noqa: E402
from aacr_lib.tagging import book  # noqa: E402
from aacr_lib.tagging.book import (  # noqa: E402
    CAPTIONS_FILE,
    events_conclusion,
    run_tagger,
    show_event_example,
    tagger_quality_table,
)
from aacr_lib.tagging.inference import tagger_events_config  # noqa: E402
from tests.captioning.toy_data import make_toy_dataset  # noqa: E402


def context(profile: str, data_dir, runs, smoke: bool = False) -> NotebookContext:
    return NotebookContext(get_profile(profile), data_dir, runs, "cpu", smoke)


@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    """A Clotho-layout dataset without ClothoMix's events CSVs (as real Clotho)."""
    return make_toy_dataset(tmp_path_factory.mktemp("tones") / "clotho")


@pytest.fixture
def shown(monkeypatch):
    """What the functions display, in order."""
    outputs: list = []
    monkeypatch.setattr(book, "display", outputs.append)
    return outputs


def test_the_captions_file_is_the_captioning_runs_outputs():
    assert CAPTIONS_FILE == OUTPUTS_FILE


def test_there_is_no_tagger_at_the_clotho_profile(tones, tmp_path):
    result = run_tagger(context("clotho", tones, tmp_path), progress=False)
    assert result.run is None and "strong sound-event labels" in result.reason
    assert not list(tmp_path.iterdir())  # refused before any run directory
    table = tagger_quality_table(result)
    assert table.loc[result.title, "note"] == result.reason
    assert table.isna().loc[result.title, "segment F1"]


def test_the_smoke_tagger_is_the_run_the_events_experiments_read(tiny_clothomix, tmp_path):
    result = run_tagger(context("demo", tiny_clothomix, tmp_path, smoke=True), progress=False)
    assert result.run is not None and result.run.complete and result.reason is None
    assert result.run.name == tagger_events_config("smoke").run  # what they name


def test_the_quality_table_reads_the_runs_metrics(tmp_path):
    run = create_run("tagging", "baseline", {"model": {}}, 0, root=tmp_path)
    run.write_metrics({"segment_f1": 0.5, "segment_precision": 0.6, "segment_recall": 0.4,
                       "segment_error_rate": 0.7, "clip_map": 0.8, "time_resolution": 1.0,
                       "split": "evaluation", "n_clips": 4})  # fmt: skip
    table = tagger_quality_table(ExperimentResult("baseline", "Sound-event tagger", run))
    assert list(table.columns) == [
        "segment F1",
        "segment precision",
        "segment recall",
        "segment error rate",
        "clip mAP",
        "segment (s)",
        "split",
        "clips",
        "note",
    ]
    row = table.loc["Sound-event tagger"]
    assert (row["segment F1"], row["segment recall"], row["clip mAP"]) == (0.5, 0.4, 0.8)
    assert (row["segment (s)"], row["split"], row["clips"], row["note"]) == (
        1.0,
        "evaluation",
        4,
        "",
    )


def captioning_systems(root, data_dir, caption: str) -> dict[str, ExperimentResult]:
    items = read_split(data_dir, "evaluation", metadata=False)
    run = create_run("captioning", "final", {"data": {}}, 0, root=root)
    run.write_outputs([{"file_name": i.file_name, "caption_predicted": caption} for i in items],
                      OUTPUTS_FILE)  # fmt: skip
    run.finish()
    return {
        "final": ExperimentResult("final", "Final architecture", run),
        "final_events_panns": ExperimentResult(
            "final_events_panns", "Final + PANNs events", None, "PANNs weights are missing"
        ),
    }


def test_the_example_shows_true_against_detected_events(tiny_clothomix, toy_run, tmp_path, shown):
    systems = captioning_systems(tmp_path, tiny_clothomix, "rain falls on a roof")
    tagger = ExperimentResult("baseline", "Sound-event tagger", toy_run)
    fig = show_event_example(context("demo", tiny_clothomix, tmp_path, True), tagger, systems, 1)
    assert not plt.fignum_exists(fig.number)  # displayed, then closed
    spectrogram, roll = fig.axes
    assert roll.get_shared_x_axes().joined(spectrogram, roll)
    assert roll.get_xlim() == pytest.approx((0.0, 4.0), abs=0.01)
    assert len(roll.images) == 1 and roll.get_yticklabels()  # probabilities and true classes
    figure, legend, player, captions = shown
    assert figure is fig and isinstance(player, Audio) and isinstance(legend, Markdown)
    assert "true events" in legend.data and "detections (p ≥ 0.5)" in legend.data
    assert isinstance(captions, pd.DataFrame)
    item = read_split(tiny_clothomix, "evaluation", metadata=False)[1]
    assert list(captions["caption"][: len(item.captions)]) == list(item.captions)
    assert captions.loc["Final architecture", "caption"] == "rain falls on a roof"
    assert captions.loc["Final + PANNs events", "caption"] == "n/a: PANNs weights are missing"


def test_without_ground_truth_the_example_shows_the_detections_only(
    tones, toy_run, tmp_path, shown
):
    tagger = ExperimentResult("baseline", "Sound-event tagger", toy_run)
    fig = show_event_example(context("clotho", tones, tmp_path), tagger, {})
    assert len(fig.axes) == 2 and not plt.fignum_exists(fig.number)
    assert "no ground-truth events" in shown[1].data and "detections" in shown[1].data
    assert len(shown[3]) == 5  # the references, no captioning system


def test_without_ground_truth_or_tagger_the_example_says_so(tones, tmp_path, shown):
    tagger = ExperimentResult("baseline", "Sound-event tagger", None, "Clotho has no labels")
    fig = show_event_example(context("clotho", tones, tmp_path), tagger, {}, index=2)
    assert len(fig.axes) == 1 and not plt.fignum_exists(fig.number)
    assert shown[1].data.startswith("No sound events to show")
    assert "Clotho has no labels" in shown[1].data
    with pytest.raises(ValueError, match="outside the 4 clips"):
        show_event_example(context("clotho", tones, tmp_path), tagger, {}, index=4)


# ----------------------------------------------------------------------------- the conclusion
def difference(a: float, b: float, low: float, high: float) -> PairedDifference:
    return PairedDifference(a, b, a - b, (low, high), 0.01)


@pytest.fixture
def tagger(tmp_path):
    run = create_run("tagging", "baseline", {"model": {}}, 0, root=tmp_path)
    run.write_metrics({"segment_f1": 0.234, "time_resolution": 1.0, "split": "evaluation"})
    return ExperimentResult("baseline", "Sound-event tagger", run)


def test_the_conclusion_reports_gains_the_tagger_gap_and_the_demo_caveat(tagger):
    captioning = {
        "final_events_oracle": difference(0.6, 0.4, 0.1, 0.3),
        "final_events_tagger": difference(0.42, 0.4, -0.03, 0.07),
        "final_events_panns": None,
    }
    retrieval = {
        "baseline_events_oracle": difference(0.97, 0.5, 0.4, 0.55),
        "baseline_events_tagger": difference(0.55, 0.5, 0.01, 0.09),
        "sentence_transformer_events_oracle": difference(0.99, 0.9, 0.05, 0.13),
        "baseline_events_panns": None,
    }
    text = events_conclusion(captioning, retrieval, tagger)
    assert text.startswith("The oracle's events (ClothoMix's true labels) raised")
    assert "raised the final captioner's CIDEr-D by 0.200 (95 % interval [+0.100, +0.300])" in text
    assert "raised the retrieval baseline's R@10 by 0.470" in text  # the baseline's row
    assert "did not change the final captioner's CIDEr-D measurably (+0.020" in text
    assert "PANNs' events: n/a (no runs)." in text
    assert (
        "the gap is the tagger's quality" in text
        and "quality: its segment F1 is 0.234 (1 s segments" in text
    )
    assert "CIDEr-D (+0.200 against +0.020) and on R@10 (+0.470 against +0.050)" in text
    assert "R@10 reaches 0.970" in text and "not evidence for Clotho" in text


def test_the_conclusion_flips_with_the_differences(tagger):
    captioning = {
        "final_events_oracle": difference(0.3, 0.4, -0.15, -0.05),
        "final_events_tagger": difference(0.45, 0.4, 0.02, 0.08),
    }
    retrieval = {
        "baseline_events_oracle": difference(0.52, 0.5, -0.02, 0.06),
        "baseline_events_tagger": None,
    }
    text = events_conclusion(captioning, retrieval, tagger)
    assert "lowered the final captioner's CIDEr-D by 0.100" in text
    assert "did not change the retrieval baseline's R@10 measurably (+0.020" in text
    assert "tagger's events raised the final captioner's CIDEr-D by 0.050" in text
    assert "could not be measured on the retrieval baseline's R@10 (n/a: no run)" in text
    assert (
        "gap" not in text
        and "ClothoMix's captions" not in text
        and "raised the retrieval" not in text
    )
    assert "nothing to conclude" in events_conclusion({}, {}, tagger)
