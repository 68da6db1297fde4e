"""The published Clotho results (package data) and the literature chapter's table and figure."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pytest

from aacr_lib import literature
from aacr_lib.captioning.report_tables import REPORT_TABLES
from aacr_lib.experiments import ExperimentResult
from aacr_lib.literature.display import NOT_REPORTED, SOURCE_COLUMN, THE_REPORT, THIS_BOOK
from aacr_lib.literature.published import METRIC_RANGES, METRIC_TITLES, UNIT_RANGE
from aacr_lib.retrieval.report_tables import STATE_OF_THE_ART_2022, TABLE_3
from aacr_lib.runs import RunDir

CORENLP_MISSING = "Stanford CoreNLP 3.6.0 is not installed; to get it: `aacr setup spice`"


@pytest.fixture(scope="module")
def published():
    return literature.load_published_results()


def test_every_published_row_has_a_source_and_a_value_in_range(published):
    assert {result.task for result in published} == {"captioning", "retrieval"}
    for result in published:
        assert result.source_url.startswith("https://"), result
        assert result.note and result.split and result.system, result
        low, high = METRIC_RANGES.get(result.metric, UNIT_RANGE)
        assert math.isfinite(result.value) and low <= result.value <= high, result
        assert result.metric in METRIC_TITLES[result.task]


def test_both_tasks_have_a_baseline_of_dcase_2022(published):
    kinds = {(r.task, r.year, r.kind) for r in published}
    assert ("captioning", 2022, "baseline") in kinds
    assert ("retrieval", 2022, "baseline") in kinds


def _values(published, task, year, kind):
    return {r.metric: r.value for r in published if (r.task, r.year, r.kind) == (task, year, kind)}


def test_the_2022_baselines_agree_with_the_report_tables_the_book_prints(published):
    # the same published numbers live in the report transcriptions; they must not drift apart
    organisers = REPORT_TABLES[1].at_epoch(None)
    captioning = _values(published, "captioning", 2022, "baseline")
    assert captioning == {key: organisers[key] for key in ("cider_d", "spice", "spider")}
    # SPIDEr is the mean of CIDEr-D and SPICE, which is how the report's labels were read
    assert captioning["spider"] == pytest.approx(
        (captioning["cider_d"] + captioning["spice"]) / 2, abs=1e-3
    )
    benchmark = next(row for row in TABLE_3 if row.experiment is None)
    assert _values(published, "retrieval", 2022, "baseline") == benchmark.scores
    assert _values(published, "retrieval", 2022, "top system") == STATE_OF_THE_ART_2022


def _corrupt(tmp_path, replace: tuple[str, str]):
    lines = literature.PUBLISHED_RESULTS_FILE.read_text(encoding="utf-8").splitlines()
    assert replace[0] in lines[3]
    lines[3] = lines[3].replace(*replace, 1)
    path = tmp_path / "published_results.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ((",https://", ",http://"), "is not an https:// address"),
        ((",0.233,", ",2.33,"), "spider value 2.33 is outside [0, 1]"),
        ((",0.233,", ",high,"), "value 'high' is not a number"),
        ((",spider,", ",bleu_9,"), "unknown captioning metric 'bleu_9'"),
        ((",baseline,spider", ",winner,spider"), "unknown kind 'winner'"),
        (("2022,", "2012,"), "year 2012 is outside"),
    ],
)
def test_a_corrupted_copy_fails_naming_the_file_and_the_row(tmp_path, replace, message):
    path = _corrupt(tmp_path, replace)
    with pytest.raises(literature.PublishedResultsError) as error:
        literature.load_published_results(path)
    assert str(error.value).startswith(f"{path}, row 4: ")
    assert message in str(error.value)


def test_a_row_without_a_source_or_a_repeated_row_is_refused(tmp_path):
    lines = literature.PUBLISHED_RESULTS_FILE.read_text(encoding="utf-8").splitlines()
    no_source = lines[1].replace(
        "https://github.com/PatrickKollman/Deep-Learning-Final-Project", ""
    )
    path = tmp_path / "no_source.csv"
    path.write_text("\n".join([lines[0], no_source]) + "\n", encoding="utf-8")
    with pytest.raises(literature.PublishedResultsError, match=r"row 2: empty source_url"):
        literature.load_published_results(path)
    path = tmp_path / "repeated.csv"
    path.write_text("\n".join([lines[0], lines[1], lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(literature.PublishedResultsError, match=r"row 3: .* repeats row 2"):
        literature.load_published_results(path)
    path = tmp_path / "header.csv"
    path.write_text("year,task\n2022,captioning\n", encoding="utf-8")
    with pytest.raises(literature.PublishedResultsError, match="the header must be"):
        literature.load_published_results(path)


def _run(tmp_path, name: str, metrics: dict) -> RunDir:
    run = RunDir(tmp_path / name)
    run.path.mkdir()
    run.write_metrics(metrics)
    return run


@pytest.fixture
def captioners(tmp_path):
    final = _run(
        tmp_path,
        "captioning-final",
        {
            "cider_d": 0.25,
            "spice": None,
            "spider": None,
            "unavailable": {"spice": CORENLP_MISSING, "spider": f"needs SPICE: {CORENLP_MISSING}"},
        },
    )
    return {
        "baseline": ExperimentResult("baseline", "DCASE 2022 baseline", None, "VGGish is missing"),
        "final": ExperimentResult("final", "Final architecture", final),
    }


@pytest.fixture
def retrievers(tmp_path):
    metrics = {"r1": 0.05, "r5": 0.2, "r10": 0.3, "map10": 0.1}
    run = _run(tmp_path, "retrieval-baseline", metrics)
    return {
        "baseline": ExperimentResult("baseline", "Baseline", run),
        "sentence_transformer": ExperimentResult(
            "sentence_transformer", "Sentence transformer", None, "all-MiniLM-L6-v2 is missing"
        ),
    }


def test_the_table_places_runs_and_says_why_a_value_is_missing(published, captioners):
    book = literature.BookSystems("captioning", captioners, "demo", "ClothoMix", on_clotho=False)
    table = literature.results_table(published, book)
    ours = table[table["kind"] == THIS_BOOK].set_index("system")
    assert ours.loc["Final architecture", "CIDEr-D"] == 0.25
    assert math.isnan(ours.loc["Final architecture", "SPIDEr"])
    assert CORENLP_MISSING in ours.loc["Final architecture", SOURCE_COLUMN]
    assert (
        "SPIDEr-FL, FENSE: not computed by this book"
        in ours.loc["Final architecture", SOURCE_COLUMN]
    )
    assert ours.loc["DCASE 2022 baseline", SOURCE_COLUMN].endswith("VGGish is missing")
    assert (
        ours["data"] == "ClothoMix evaluation split, demo profile: not comparable with Clotho"
    ).all()
    # the report's rows of the same experiments (Table 2 at epoch 3, Table 9 at epoch 20)
    report = table[table["kind"] == THE_REPORT].set_index("system")
    assert report.loc["Final architecture, epoch 20 (Table 9)", "SPIDEr"] == 0.213
    assert len(report) == 2
    published_2023 = table[table["year"] == "2023"].iloc[0]
    assert published_2023["SPIDEr-FL"] == 0.326 and published_2023["SPIDEr"] == NOT_REPORTED


def test_the_table_without_runs_lists_the_published_rows_only(published):
    table = literature.results_table(published, literature.BookSystems("retrieval"))
    assert set(table["kind"]) == {"baseline", "top system"}
    assert (table[SOURCE_COLUMN].str.startswith("https://")).all()


def test_sources_name_each_published_system_once(published):
    sources = literature.sources_table(published)
    assert len(sources) == len({(r.year, r.challenge_task, r.system) for r in published})
    assert sources["source"].str.startswith("https://").all()


@pytest.mark.parametrize("on_clotho", [False, True])
def test_the_figure_has_a_panel_per_metric_with_the_runs_or_without(
    published, captioners, retrievers, on_clotho
):
    systems = [
        literature.BookSystems("captioning", captioners, "clotho", "Clotho v2.1", on_clotho),
        literature.BookSystems("retrieval", retrievers, "clotho", "Clotho v2.1", on_clotho),
    ]
    fig = literature.plot_results(published, systems)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [
        "CIDEr-D", "SPIDEr", "SPIDEr-FL", "R@1", "R@10", "mAP@10",
    ]  # fmt: skip
    assert visible[0].get_xticklabels()[-1].get_text() == THIS_BOOK
    # SPIDEr needs CoreNLP, and the baseline has no run: both listed under n/a, CIDEr-D has one
    assert "n/a:\nDCASE 2022 baseline\nFinal architecture" in [
        t.get_text() for t in visible[1].texts
    ]
    assert "n/a:\nDCASE 2022 baseline" in [t.get_text() for t in visible[0].texts]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(("not comparable with Clotho" in text) != on_clotho for text in legend[3:])
    plt.close(fig)
    empty = literature.plot_results(published, [literature.BookSystems("retrieval")])
    assert len([ax for ax in empty.axes if ax.get_visible()]) == 3
    plt.close(empty)


def test_the_summary_ranks_only_clotho_runs(published, captioners, retrievers):
    demo = [literature.BookSystems("captioning", captioners, "demo", "ClothoMix", False)]
    assert "not for ranking" in literature.standing_markdown(published, demo)
    clotho = [literature.BookSystems("retrieval", retrievers, "clotho", "Clotho v2.1", True)]
    summary = literature.standing_markdown(published, clotho)
    assert "mAP@10 0.100 against 0.070 of the DCASE 2022 baseline" in summary
    assert "all-MiniLM-L6-v2 is missing" in summary
    # SPIDEr is the captioning headline; without it the summary says why and uses CIDEr-D
    captioning = [literature.BookSystems("captioning", captioners, "clotho", "Clotho v2.1", True)]
    summary = literature.standing_markdown(published, captioning)
    assert f"SPIDEr n/a (needs SPICE: {CORENLP_MISSING}); CIDEr-D 0.250 against 0.358" in summary
    assert "DCASE 2022 baseline**: n/a (VGGish is missing)." in summary
